"""Transaction status from a data directory's SLRU files, with no server.

* ``pg_xact`` (access/transam/clog.c): two bits per transaction, ``TRANSACTION_STATUS_*``;
* ``pg_multixact/offsets`` and ``pg_multixact/members`` (access/transam/multixact.c, 12 to 18,
  32-bit offsets): where each multixact's members start, and the members themselves (xid and
  lock mode, in groups of four flag bytes and four xids);
* ``pg_twophase`` (access/transam/twophase.c): the transactions left prepared, whose pg_xact
  status stays "in progress" until COMMIT/ROLLBACK PREPARED.

An SLRU directory holds segments of ``SLRU_PAGES_PER_SEGMENT`` pages of ``BLCKSZ`` bytes,
named by segment number in hexadecimal: ``%04X`` (slru.c, every version), or ``%015X`` for
the SLRUs given long segment names (``SlruCtl->long_segment_names``, 17 and later; pg_xact and
pg_multixact keep the short names through 18, but both names are tried). Segments are read
lazily, once each, and kept.

Nothing here raises on bad data: a missing segment, a page past a segment's end, a multixact
that no longer exists all give status ``unknown`` (or no members) with the reason, and the
reader keeps each such reason once in :attr:`SlruDirectory.problems` so a caller can say it
once. Only a data directory (or SLRU directory) that is not a directory raises
:class:`~pageinspect_py.errors.DataDirectoryError`.

The numbers that bound what pg_xact and pg_multixact hold (next xid, oldest xid, next
multixact and offset, oldest multixact) come from pg_control; the caller passes them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from pageinspect_py import constants as C
from pageinspect_py.errors import DataDirectoryError

# --- access/slru.h ------------------------------------------------------------------------------
SLRU_PAGES_PER_SEGMENT: Final = 32

# --- access/clog.h, access/transam/clog.c -------------------------------------------------------
TRANSACTION_STATUS_IN_PROGRESS: Final = 0x00
TRANSACTION_STATUS_COMMITTED: Final = 0x01
TRANSACTION_STATUS_ABORTED: Final = 0x02
TRANSACTION_STATUS_SUB_COMMITTED: Final = 0x03
CLOG_BITS_PER_XACT: Final = 2
CLOG_XACTS_PER_BYTE: Final = 4
CLOG_XACT_BITMASK: Final = (1 << CLOG_BITS_PER_XACT) - 1

# --- access/multixact.h, access/transam/multixact.c (12 to 18) ----------------------------------
InvalidMultiXactId: Final = 0
FirstMultiXactId: Final = 1
MULTIXACT_OFFSET_SIZE: Final = 4  #: sizeof(MultiXactOffset): 32 bits up to 18
MXACT_MEMBER_BITS_PER_XACT: Final = 8
MXACT_MEMBER_XACT_BITMASK: Final = (1 << MXACT_MEMBER_BITS_PER_XACT) - 1
MULTIXACT_FLAGBYTES_PER_GROUP: Final = 4
MULTIXACT_MEMBERS_PER_MEMBERGROUP: Final = MULTIXACT_FLAGBYTES_PER_GROUP  # 1 flag byte each
#: 4 flag bytes + 4 TransactionIds
MULTIXACT_MEMBERGROUP_SIZE: Final = 4 * MULTIXACT_MEMBERS_PER_MEMBERGROUP + 4
#: no multixact has more members than there can be transactions at once (MAX_BACKENDS,
#: 2^18 - 1, bounds MaxBackends and max_prepared_transactions); a longer one is damage
MAX_PLAUSIBLE_MEMBERS: Final = 2 * (1 << 18)

# --- access/twophase.c: TwoPhaseFileHeader ------------------------------------------------------
TWOPHASE_DIR: Final = "pg_twophase"
TWOPHASE_MAGIC: Final = 0x57F94534
_TWOPHASE_NSUBXACTS_OFFSET: Final = 28  #: after magic, total_len, xid, database, prepared_at, owner
#: (sizeof(TwoPhaseFileHeader), offsetof(gidlen)): 15 added ncommitstats and nabortstats
_TWOPHASE_HEADER_12: Final = (64, 46)
_TWOPHASE_HEADER_15: Final = (72, 54)
#: file names: the xid (%08X) before 17, epoch and xid (%08X%08X) from 17
_TWOPHASE_NAME = re.compile(r"^(?:[0-9A-F]{8}){1,2}$")

_U32: Final = 0xFFFFFFFF

#: :meth:`DataDirectoryXacts.pg_xact_fates`: the xid's status was not read from pg_xact's two
#: bits (a permanent xid, older than pg_xact keeps, in the future, or unreadable)
FATE_NONE: Final = 4

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def _u32(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "little")


def xid_precedes(id1: int, id2: int) -> bool:
    """TransactionIdPrecedes (transam.c): modulo-2^32 comparison of normal xids, plain
    comparison when either is a permanent one (0, 1, 2)."""
    if id1 < C.FirstNormalTransactionId or id2 < C.FirstNormalTransactionId:
        return id1 < id2
    diff = (id1 - id2) & _U32
    return diff >= 0x80000000


def xids_precede(ids: I64, id2: int) -> Bools:
    """:func:`xid_precedes` of every xid in ``ids`` (0 to 2^32 - 1) against ``id2``."""
    if id2 < C.FirstNormalTransactionId:
        out: Bools = ids < id2
        return out
    wrapped: Bools = (ids < C.FirstNormalTransactionId) | (((ids - id2) & _U32) >= 0x80000000)
    return wrapped


def multixact_precedes(multi1: int, multi2: int) -> bool:
    """MultiXactIdPrecedes (multixact.c): ``(int32) (multi1 - multi2) < 0``."""
    return ((multi1 - multi2) & _U32) >= 0x80000000


class XactStatus(enum.StrEnum):
    """A transaction's fate as far as a reader of the data directory can tell."""

    IN_PROGRESS = "in progress"  #: TRANSACTION_STATUS_IN_PROGRESS (or prepared)
    COMMITTED = "committed"  #: TRANSACTION_STATUS_COMMITTED
    ABORTED = "aborted"  #: TRANSACTION_STATUS_ABORTED
    SUB_COMMITTED = "sub-committed"  #: TRANSACTION_STATUS_SUB_COMMITTED
    FROZEN = "frozen"  #: FrozenTransactionId, BootstrapTransactionId, or HEAP_XMIN_FROZEN
    INVALID = "invalid"  #: InvalidTransactionId (or a HEAP_*_INVALID hint bit)
    UNKNOWN = "unknown"  #: not readable: missing segment, page past the end, in the future


#: the two bits of pg_xact, indexed by their value
CLOG_STATUSES: Final = (
    XactStatus.IN_PROGRESS,
    XactStatus.COMMITTED,
    XactStatus.ABORTED,
    XactStatus.SUB_COMMITTED,
)


class XidSource(enum.StrEnum):
    """Where an :class:`XidStatus` came from."""

    PG_XACT = "pg_xact"
    PERMANENT = "permanent xid"  #: 0, 1 or 2: no pg_xact entry, the value says it
    PREPARED = "prepared: pg_xact in progress, pg_twophase has it"
    #: pg_xact still says in progress, no prepared transaction has it, the server stopped
    #: cleanly: it never ended, and PostgreSQL treats it as aborted
    NEVER_ENDED = "pg_xact in progress, not prepared: never ended, so aborted"
    #: older than pg_control's oldest xid: pg_xact keeps no status; any tuple still carrying
    #: it was committed or frozen (VACUUM removed or froze everything older)
    BEFORE_OLDEST = "older than the oldest xid pg_xact keeps: committed or frozen"
    FUTURE = "in the future"  #: not before pg_control's next xid: nothing can know it
    UNREADABLE = "unreadable"  #: the segment or page is missing; ``detail`` says which


@dataclass(frozen=True, slots=True)
class XidStatus:
    """The status of one xid and where it was read."""

    xid: int
    status: XactStatus
    source: XidSource
    detail: str = ""  #: which file or limit, for the reason text

    def describe(self) -> str:
        """``committed (pg_xact)``, ``unknown (pg_xact/0001: no such segment)``."""
        where = self.detail or str(self.source)
        return f"{self.status} ({where})"

    @property
    def from_pg_xact(self) -> bool:
        """The status was read from pg_xact's two bits (possibly reinterpreted: prepared,
        never ended), so it can confirm or contradict a hint bit."""
        return self.source in (XidSource.PG_XACT, XidSource.PREPARED, XidSource.NEVER_ENDED)


class MultiXactStatus(enum.IntEnum):
    """MultiXactStatus (access/multixact.h): the lock or update a member holds."""

    ForKeyShare = 0x00
    ForShare = 0x01
    ForNoKeyUpdate = 0x02
    ForUpdate = 0x03
    NoKeyUpdate = 0x04  #: an update that does not modify key columns
    Update = 0x05  #: other updates, and delete

    @property
    def mode(self) -> str:
        """The mode as pg_get_multixact_members prints it (mxstatus_to_string)."""
        return _MODES[self]

    @property
    def is_update(self) -> bool:
        """ISUPDATE_from_mxstatus: the member updated or deleted the tuple, not only locked."""
        return self > MultiXactStatus.ForUpdate


_MODES: Final = {
    MultiXactStatus.ForKeyShare: "keysh",
    MultiXactStatus.ForShare: "sh",
    MultiXactStatus.ForNoKeyUpdate: "fornokeyupd",
    MultiXactStatus.ForUpdate: "forupd",
    MultiXactStatus.NoKeyUpdate: "nokeyupd",
    MultiXactStatus.Update: "upd",
}


@dataclass(frozen=True, slots=True)
class MultiXactMember:
    """MultiXactMember: one transaction of a multixact and what it did."""

    xid: int
    status: MultiXactStatus

    @property
    def mode(self) -> str:
        return self.status.mode

    @property
    def is_update(self) -> bool:
        return self.status.is_update


@dataclass(frozen=True, slots=True)
class MultiXactLookup:
    """The members of one multixact, or ``members is None`` and why."""

    multi: int
    members: tuple[MultiXactMember, ...] | None
    detail: str = ""  #: why the members are unknown

    @property
    def known(self) -> bool:
        return self.members is not None

    @property
    def updater(self) -> MultiXactMember | None:
        """The member that updated or deleted (at most one does), as HeapTupleGetUpdateXid
        finds it; None for a lock-only multixact or unknown members."""
        for member in self.members or ():
            if member.is_update:
                return member
        return None


class SlruDirectory:
    """The pages of one SLRU directory, read a segment at a time and kept."""

    def __init__(self, path: Path, *, block_size: int = C.BLCKSZ, label: str = "") -> None:
        if not path.is_dir():
            raise DataDirectoryError(f"{path}: not a directory")
        if block_size <= 0:
            raise DataDirectoryError(f"{path}: block size {block_size} is not positive")
        self.path = path
        self.block_size = block_size
        self.label = label or path.name
        self._segments: dict[int, bytes | None] = {}
        self._problems: dict[str, None] = {}

    @property
    def problems(self) -> tuple[str, ...]:
        """Each reason a lookup was unknown, once, in the order met."""
        return tuple(self._problems)

    def _problem(self, message: str) -> str:
        self._problems.setdefault(message)
        return message

    def segment_names(self, segno: int) -> tuple[str, str]:
        """SlruFileName: the short (``%04X``) and the long (``%015X``, 17+) name."""
        return f"{segno:04X}", f"{segno:015X}"

    def _segment(self, segno: int) -> bytes | None:
        if segno in self._segments:
            return self._segments[segno]
        data: bytes | None = None
        for name in self.segment_names(segno):
            try:
                with (self.path / name).open("rb") as f:
                    data = f.read(SLRU_PAGES_PER_SEGMENT * self.block_size)
                break
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                continue
            except OSError as exc:
                self._problem(f"{self.label}/{name}: {exc.strerror or exc}")
                break
        self._segments[segno] = data
        return data

    def page(self, pageno: int) -> tuple[bytes | None, str]:
        """One page, or None and the reason (kept once in :attr:`problems`)."""
        segno, rpage = divmod(pageno, SLRU_PAGES_PER_SEGMENT)
        data = self._segment(segno)
        name = self.segment_names(segno)[0]
        if data is None:
            return None, self._problem(f"{self.label}/{name}: no such segment")
        start = rpage * self.block_size
        if len(data) < start + self.block_size:
            pages = len(data) // self.block_size
            return None, self._problem(
                f"{self.label}/{name}: page {rpage} is past the end (the segment has "
                f"{pages} whole page{'s' if pages != 1 else ''})"
            )
        return data[start : start + self.block_size], ""


class ClogReader:
    """pg_xact: two bits per transaction (clog.c)."""

    def __init__(self, pgdata: Path, *, block_size: int = C.BLCKSZ) -> None:
        _check_datadir(pgdata)
        self.slru = SlruDirectory(pgdata / "pg_xact", block_size=block_size, label="pg_xact")
        self.xacts_per_page = block_size * CLOG_XACTS_PER_BYTE  #: CLOG_XACTS_PER_PAGE

    @property
    def problems(self) -> tuple[str, ...]:
        return self.slru.problems

    def raw_status(self, xid: int) -> tuple[XactStatus, str]:
        """The two bits of ``xid`` (TransactionIdGetStatus), or UNKNOWN and the reason."""
        xid &= _U32
        pageno, entry = divmod(xid, self.xacts_per_page)
        page, why = self.slru.page(pageno)
        if page is None:
            return XactStatus.UNKNOWN, why
        byte = page[entry // CLOG_XACTS_PER_BYTE]
        bshift = (xid % CLOG_XACTS_PER_BYTE) * CLOG_BITS_PER_XACT
        return CLOG_STATUSES[(byte >> bshift) & CLOG_XACT_BITMASK], ""

    def statuses(self, xids: I64) -> tuple[U8, Bools]:
        """:meth:`raw_status` of many xids at once: ``(bits, readable)``, the two bits of each
        (``TRANSACTION_STATUS_*``, 0 where unreadable) and whether they could be read. Each
        segment is read once; the reasons for unreadable xids are kept in :attr:`problems`
        exactly as :meth:`raw_status` words them."""
        xids = np.asarray(xids, dtype=np.int64) & _U32
        bits = np.zeros(len(xids), dtype=np.uint8)
        readable = np.zeros(len(xids), dtype=np.bool_)
        if not len(xids):
            return bits, readable
        per_segment = self.xacts_per_page * SLRU_PAGES_PER_SEGMENT
        segnos = xids // per_segment
        first, last = int(segnos.min()), int(segnos.max())
        # usually one segment (a million xids at 8 kB), or a few neighbours
        found_segnos = range(first, last + 1) if last - first < 8 else np.unique(segnos).tolist()
        for segno in found_segnos:
            chosen = np.flatnonzero(segnos == segno) if first != last else np.arange(len(xids))
            if not len(chosen):
                continue
            data = self.slru._segment(segno)
            within = xids[chosen] - segno * per_segment
            byte = within // CLOG_XACTS_PER_BYTE
            # whole pages only, as SlruDirectory.page hands them out
            whole = 0 if data is None else len(data) // self.slru.block_size
            ok = byte < whole * self.slru.block_size
            if data is not None and ok.any():
                page_bytes = np.frombuffer(data, dtype=np.uint8, count=whole * self.slru.block_size)
                shift = (within[ok] % CLOG_XACTS_PER_BYTE) * CLOG_BITS_PER_XACT
                found = (page_bytes[byte[ok]] >> shift.astype(np.uint8)) & CLOG_XACT_BITMASK
                bits[chosen[ok]] = found
                readable[chosen[ok]] = True
            if not ok.all():
                for pageno in np.unique(xids[chosen[~ok]] // self.xacts_per_page).tolist():
                    self.slru.page(pageno)  # keeps the reason, worded once
        return bits, readable


class MultiXactReader:
    """pg_multixact/offsets and pg_multixact/members (multixact.c, 32-bit offsets)."""

    def __init__(
        self,
        pgdata: Path,
        *,
        block_size: int = C.BLCKSZ,
        next_multi: int | None = None,
        next_multi_offset: int | None = None,
        oldest_multi: int | None = None,
    ) -> None:
        _check_datadir(pgdata)
        base = pgdata / "pg_multixact"
        self.offsets = SlruDirectory(
            base / "offsets", block_size=block_size, label="pg_multixact/offsets"
        )
        self.members_slru = SlruDirectory(
            base / "members", block_size=block_size, label="pg_multixact/members"
        )
        self.next_multi = None if next_multi is None else next_multi & _U32
        self.next_multi_offset = None if next_multi_offset is None else next_multi_offset & _U32
        self.oldest_multi = None if oldest_multi is None else oldest_multi & _U32
        self.offsets_per_page = block_size // MULTIXACT_OFFSET_SIZE
        self.groups_per_page = block_size // MULTIXACT_MEMBERGROUP_SIZE
        self.members_per_page = self.groups_per_page * MULTIXACT_MEMBERS_PER_MEMBERGROUP
        self._cache: dict[int, MultiXactLookup] = {}
        self._problems: dict[str, None] = {}

    @property
    def problems(self) -> tuple[str, ...]:
        merged = dict.fromkeys(self._problems)
        merged.update(dict.fromkeys(self.offsets.problems))
        merged.update(dict.fromkeys(self.members_slru.problems))
        return tuple(merged)

    def _unknown(self, multi: int, why: str) -> MultiXactLookup:
        self._problems.setdefault(why)
        return MultiXactLookup(multi, None, why)

    def offset(self, multi: int) -> tuple[int | None, str]:
        """The starting offset of ``multi``'s members (MultiXactIdToOffsetPage/Entry)."""
        pageno, entry = divmod(multi & _U32, self.offsets_per_page)
        page, why = self.offsets.page(pageno)
        if page is None:
            return None, why
        return _u32(page, entry * MULTIXACT_OFFSET_SIZE), ""

    def members(self, multi: int) -> MultiXactLookup:
        """GetMultiXactIdMembers: the members in the order they were stored."""
        multi &= _U32
        found = self._cache.get(multi)
        if found is None:
            found = self._read_members(multi)
            self._cache[multi] = found
        return found

    def _read_members(self, multi: int) -> MultiXactLookup:
        if multi == InvalidMultiXactId:
            return MultiXactLookup(multi, None, "InvalidMultiXactId (0)")
        if self.oldest_multi is not None and multixact_precedes(multi, self.oldest_multi):
            return self._unknown(
                multi,
                f"multixact {multi} is older than the oldest multixact {self.oldest_multi}: "
                "it no longer exists",
            )
        if self.next_multi is not None and not multixact_precedes(multi, self.next_multi):
            return self._unknown(
                multi,
                f"multixact {multi} is in the future (the next multixact is {self.next_multi})",
            )
        start, why = self.offset(multi)
        if start is None:
            return self._unknown(multi, why)
        if start == 0:
            # GetNewMultiXactId never hands out offset 0: this entry was never written
            return self._unknown(multi, f"multixact {multi} has offset 0: it was never written")
        # wraparound: multixact 0 is skipped
        following = max((multi + 1) & _U32, FirstMultiXactId)
        if following == self.next_multi and self.next_multi_offset is not None:
            end = self.next_multi_offset  # the newest: pg_control's nextOffset
        else:
            found, why = self.offset(following)
            if found is None:
                return self._unknown(multi, why)
            end = found
            if end == 0:
                return self._unknown(
                    multi,
                    f"multixact {multi}: the offset of multixact {following}, where its "
                    "members end, was never written",
                )
        length = (end - start) & _U32
        if length > MAX_PLAUSIBLE_MEMBERS:
            return self._unknown(
                multi, f"multixact {multi} claims {length} members (offsets {start}..{end})"
            )
        members: list[MultiXactMember] = []
        for offset in _offsets(start, length):
            pageno, within = divmod(offset, self.members_per_page)
            page, why = self.members_slru.page(pageno)
            if page is None:
                return self._unknown(multi, why)
            group, slot = divmod(within, MULTIXACT_MEMBERS_PER_MEMBERGROUP)
            flagsoff = group * MULTIXACT_MEMBERGROUP_SIZE  # MXOffsetToFlagsOffset
            xid = _u32(page, flagsoff + MULTIXACT_FLAGBYTES_PER_GROUP + slot * 4)
            if xid == C.InvalidTransactionId:
                continue  # corner case 3: the unused slot at offset zero after wraparound
            flags = page[flagsoff + slot] & MXACT_MEMBER_XACT_BITMASK  # MXOffsetToFlagsBitShift
            if flags > MultiXactStatus.Update:
                return self._unknown(
                    multi, f"multixact {multi}: member {xid} has status {flags}, not a mode"
                )
            members.append(MultiXactMember(xid, MultiXactStatus(flags)))
        return MultiXactLookup(multi, tuple(members))


def _offsets(start: int, length: int) -> Iterator[int]:
    for i in range(length):
        yield (start + i) & _U32


def _check_datadir(pgdata: Path) -> None:
    if not pgdata.is_dir():
        raise DataDirectoryError(f"{pgdata}: not a directory")


def prepared_xids(pgdata: Path) -> frozenset[int]:
    """The transactions left prepared: the ``pg_twophase/`` file names (``%08X``, or epoch
    and xid ``%08X%08X`` from 17) and the subtransactions each file lists after its header
    and GID (TwoPhaseFileHeader.nsubxacts), whose pg_xact status is in progress too.

    A file whose header cannot be read still gives its own xid. No ``pg_twophase`` directory
    gives the empty set (the caller then knows nothing is prepared)."""
    _check_datadir(pgdata)
    directory = pgdata / TWOPHASE_DIR
    if not directory.is_dir():
        return frozenset()
    header = _twophase_header(pgdata)
    found: set[int] = set()
    for entry in sorted(directory.iterdir()):
        if not _TWOPHASE_NAME.match(entry.name):
            continue
        xid = int(entry.name[-8:], 16)
        found.add(xid)
        if header is not None:
            found.update(_twophase_subxacts(entry, xid, header))
    return frozenset(found)


def _twophase_header(pgdata: Path) -> tuple[int, int] | None:
    try:
        major = int((pgdata / "PG_VERSION").read_text().strip().split(".")[0])
    except (OSError, ValueError):
        return None
    return _TWOPHASE_HEADER_15 if major >= 15 else _TWOPHASE_HEADER_12


def _twophase_subxacts(path: Path, xid: int, header: tuple[int, int]) -> list[int]:
    size, gidlen_at = header
    try:
        data = path.read_bytes()
    except OSError:
        return []
    if len(data) < size or _u32(data, 0) != TWOPHASE_MAGIC or _u32(data, 8) != xid:
        return []
    nsubxacts = _u32(data, _TWOPHASE_NSUBXACTS_OFFSET)
    gidlen = int.from_bytes(data[gidlen_at : gidlen_at + 2], "little")
    start = C.maxalign(size) + C.maxalign(gidlen)
    if nsubxacts >= 0x80000000 or start + 4 * nsubxacts > len(data):
        return []
    return [_u32(data, start + 4 * i) for i in range(nsubxacts)]


class DataDirectoryXacts:
    """Transaction and multixact status of a data directory: what
    :func:`pageinspect_py.analysis.visibility.tuple_visibility` asks.

    ``next_xid`` and ``oldest_xid`` (pg_control's nextXid, 32-bit part, and oldestXid) bound
    what pg_xact can answer: older xids are committed or frozen, xids from the next one on are
    unknown. ``prepared`` is the set of prepared xids (:func:`prepared_xids`) of a cleanly
    stopped directory: an xid pg_xact calls in progress that is not among them never ended and
    counts as aborted. Without it (a crashed or running server's files) in progress stays in
    progress."""

    def __init__(
        self,
        pgdata: Path,
        *,
        block_size: int = C.BLCKSZ,
        next_xid: int | None = None,
        oldest_xid: int | None = None,
        next_multi: int | None = None,
        next_multi_offset: int | None = None,
        oldest_multi: int | None = None,
        prepared: Collection[int] | None = None,
    ) -> None:
        self.pgdata = pgdata
        self.block_size = block_size
        self.clog = ClogReader(pgdata, block_size=block_size)
        self.multixacts = MultiXactReader(
            pgdata,
            block_size=block_size,
            next_multi=next_multi,
            next_multi_offset=next_multi_offset,
            oldest_multi=oldest_multi,
        )
        self.next_xid = None if next_xid is None else next_xid & _U32
        self.oldest_xid = None if oldest_xid is None else oldest_xid & _U32
        self.prepared = None if prepared is None else frozenset(x & _U32 for x in prepared)
        self._cache: dict[int, XidStatus] = {}

    @property
    def spec(self) -> XactsSpec:
        """What this reader was built from: a worker process rebuilds it with
        :meth:`XactsSpec.open` (open readers are not handed over)."""
        multis = self.multixacts
        return XactsSpec(
            self.pgdata,
            self.block_size,
            self.next_xid,
            self.oldest_xid,
            multis.next_multi,
            multis.next_multi_offset,
            multis.oldest_multi,
            self.prepared,
        )

    def pg_xact_fates(self, xids: I64) -> U8:
        """For many xids at once, what :meth:`xid_status` says when the status is read from
        pg_xact's two bits (``XidStatus.from_pg_xact``): ``TRANSACTION_STATUS_*`` (in progress
        for a prepared xid, aborted for one that never ended), else :data:`FATE_NONE` (a
        permanent xid, older than the oldest or not before the next xid, unreadable). Reasons
        for unreadable xids go to :attr:`problems` as :meth:`xid_status` gives them."""
        xids = np.asarray(xids, dtype=np.int64) & _U32
        if len(xids) >= 64:
            lo, hi = int(xids.min()), int(xids.max())
            if hi - lo < len(xids) // 2:  # many tuples, few transactions: a table of them
                table = self._fates(np.arange(lo, hi + 1, dtype=np.int64))
                out: U8 = table[xids - lo]
                return out
        return self._fates(xids)

    def _fates(self, xids: I64) -> U8:
        fates = np.full(len(xids), FATE_NONE, dtype=np.uint8)
        normal = xids >= C.FirstNormalTransactionId
        if self.next_xid is not None:
            normal &= xids_precede(xids, self.next_xid)
        if self.oldest_xid is not None:
            normal &= ~xids_precede(xids, self.oldest_xid)
        chosen = np.flatnonzero(normal)
        bits, readable = self.clog.statuses(xids[chosen])
        if self.prepared is not None:
            pending = np.flatnonzero(readable & (bits == TRANSACTION_STATUS_IN_PROGRESS))
            if len(pending):
                prepared = np.isin(xids[chosen[pending]], np.fromiter(self.prepared, np.int64))
                bits[pending[~prepared]] = TRANSACTION_STATUS_ABORTED  # never ended
        fates[chosen[readable]] = bits[readable]
        return fates

    @property
    def problems(self) -> tuple[str, ...]:
        """Each reason a status or members were unknown, once."""
        return tuple(dict.fromkeys((*self.clog.problems, *self.multixacts.problems)))

    def xid_status(self, xid: int) -> XidStatus:
        xid &= _U32
        found = self._cache.get(xid)
        if found is None:
            found = self._status(xid)
            self._cache[xid] = found
        return found

    def multixact_members(self, multi: int) -> MultiXactLookup:
        return self.multixacts.members(multi)

    def _status(self, xid: int) -> XidStatus:
        if xid == C.InvalidTransactionId:
            return XidStatus(xid, XactStatus.INVALID, XidSource.PERMANENT)
        if xid in (C.BootstrapTransactionId, C.FrozenTransactionId):
            return XidStatus(xid, XactStatus.FROZEN, XidSource.PERMANENT)
        if self.next_xid is not None and not xid_precedes(xid, self.next_xid):
            return XidStatus(
                xid,
                XactStatus.UNKNOWN,
                XidSource.FUTURE,
                f"in the future: the next xid is {self.next_xid}",
            )
        if self.oldest_xid is not None and xid_precedes(xid, self.oldest_xid):
            return XidStatus(
                xid,
                XactStatus.COMMITTED,
                XidSource.BEFORE_OLDEST,
                f"older than the oldest xid {self.oldest_xid} pg_xact keeps: committed or frozen",
            )
        status, why = self.clog.raw_status(xid)
        if status is XactStatus.UNKNOWN:
            return XidStatus(xid, status, XidSource.UNREADABLE, why)
        if status is XactStatus.IN_PROGRESS and self.prepared is not None:
            if xid in self.prepared:
                return XidStatus(xid, status, XidSource.PREPARED)
            return XidStatus(xid, XactStatus.ABORTED, XidSource.NEVER_ENDED)
        return XidStatus(xid, status, XidSource.PG_XACT)


@dataclass(frozen=True, slots=True)
class XactsSpec:
    """The arguments of a :class:`DataDirectoryXacts`: picklable, hashable, so a worker
    process can build its own reader (:meth:`open`) instead of receiving an open one."""

    pgdata: Path
    block_size: int = C.BLCKSZ
    next_xid: int | None = None
    oldest_xid: int | None = None
    next_multi: int | None = None
    next_multi_offset: int | None = None
    oldest_multi: int | None = None
    prepared: frozenset[int] | None = None

    def open(self) -> DataDirectoryXacts:
        """This process's reader for the spec: the one :func:`share` registered (in the
        parent, or inherited by a forked worker), else a new one, kept for the next call."""
        found = _SHARED.get(self)
        if found is None:
            found = _SHARED[self] = DataDirectoryXacts(
                self.pgdata,
                block_size=self.block_size,
                next_xid=self.next_xid,
                oldest_xid=self.oldest_xid,
                next_multi=self.next_multi,
                next_multi_offset=self.next_multi_offset,
                oldest_multi=self.oldest_multi,
                prepared=self.prepared,
            )
        return found


#: the readers :meth:`XactsSpec.open` hands out in this process, by spec
_SHARED: dict[XactsSpec, DataDirectoryXacts] = {}


def share(xacts: DataDirectoryXacts) -> XactsSpec:
    """``xacts``'s spec, registered so that :meth:`XactsSpec.open` in this process (and in
    workers forked after this) returns ``xacts`` itself, segments already read included."""
    spec = xacts.spec
    _SHARED[spec] = xacts
    return spec
