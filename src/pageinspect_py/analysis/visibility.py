"""Is a heap tuple visible? A verdict per tuple from its header and the data directory's
transaction status, with no server.

The verdict is what HeapTupleSatisfiesMVCC (access/heap/heapam_visibility.c) answers for a
snapshot taken after every transaction recorded in the directory ended: no transaction of our
own, ``xmax`` = the next xid, and the prepared transactions (still in progress) in ``xip``.
Hint bits are honoured when set, as the server honours them; pg_xact is still read for every
hinted xid it covers, and a hint it contradicts becomes a ``hint-contradicts-xact``
diagnostic (for ``pgpage check``), while the verdict stays the server's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final, Protocol

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Diagnostic, Severity
from pageinspect_py.sources.datadir.slru import (
    MultiXactLookup,
    XactStatus,
    XidSource,
    XidStatus,
)

HINT_CONTRADICTS_XACT: Final = "hint-contradicts-xact"


class XactSource(Protocol):
    """What the verdict needs to know of transactions: the slru readers
    (:class:`~pageinspect_py.sources.datadir.slru.DataDirectoryXacts`) or a test double."""

    def xid_status(self, xid: int) -> XidStatus:
        """The status of ``xid``: PREPARED xids are IN_PROGRESS, UNKNOWN when unreadable."""
        ...

    def multixact_members(self, multi: int) -> MultiXactLookup:
        """The members of ``multi`` (``members is None`` when they cannot be read)."""
        ...


class Verdict(enum.StrEnum):
    LIVE = "live"  #: inserted by a committed transaction, not deleted
    DEAD = "dead"  #: inserted by an aborted transaction, or deleted/updated by a committed one
    LOCKED = "locked"  #: live, and xmax only locks it
    IN_PROGRESS = "in progress"  #: inserted or deleted by a transaction still in progress
    UNKNOWN = "unknown"  #: a status the verdict needs is not readable


@dataclass(frozen=True, slots=True)
class Visibility:
    """The verdict on one tuple, the statuses it rests on, and why."""

    verdict: Verdict
    #: returned by a query on the server restarted on this directory; an insert in progress
    #: is not, a delete in progress still is; None when the verdict is unknown
    visible: bool | None
    xmin_status: XactStatus
    #: of the deleter or locker; of the updater member when xmax is a multixact with one
    xmax_status: XactStatus
    reason: str
    diagnostics: tuple[Diagnostic, ...] = ()
    #: the member that updated or deleted, when xmax is a multixact with one
    updater_xid: int | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.diagnostics)


def is_locked_only(t_infomask: int) -> bool:
    """HEAP_XMAX_IS_LOCKED_ONLY (htup_details.h): HEAP_XMAX_LOCK_ONLY, or (for pg_upgrade of
    9.2 and older, which set no LOCK_ONLY) a plain xid with only HEAP_XMAX_EXCL_LOCK set."""
    return bool(t_infomask & C.HEAP_XMAX_LOCK_ONLY) or (
        t_infomask & (C.HEAP_XMAX_IS_MULTI | C.HEAP_LOCK_MASK) == C.HEAP_XMAX_EXCL_LOCK
    )


def is_locked_upgraded(t_infomask: int) -> bool:
    """HEAP_LOCKED_UPGRADED: a multixact xmax a pre-9.3 server wrote for a share lock; its
    members cannot be read (nor need to be: it only locks)."""
    return (
        bool(t_infomask & C.HEAP_XMAX_IS_MULTI)
        and bool(t_infomask & C.HEAP_XMAX_LOCK_ONLY)
        and not t_infomask & (C.HEAP_XMAX_EXCL_LOCK | C.HEAP_XMAX_KEYSHR_LOCK)
    )


def _fate(status: XidStatus) -> XactStatus | None:
    """Committed, aborted or in progress as pg_xact tells it, or None where it does not."""
    if not status.from_pg_xact or status.status not in (
        XactStatus.COMMITTED,
        XactStatus.ABORTED,
        XactStatus.IN_PROGRESS,
    ):
        return None
    return status.status


def _conflict(which: str, xid: int, hint: str, looked_up: XidStatus) -> Diagnostic:
    return Diagnostic(
        Severity.ERROR,
        HINT_CONTRADICTS_XACT,
        f"{which} {xid}: {hint} is set but pg_xact says {looked_up.describe()}",
    )


@dataclass(frozen=True, slots=True)
class _Half:
    """What one of xmin and xmax says: a verdict (None: the insert committed, go on to xmax),
    the status it rests on and its part of the reason."""

    verdict: Verdict | None
    status: XactStatus
    part: str
    updater_xid: int | None = None


@dataclass(slots=True)
class _Judge:
    t_xmin: int
    t_xmax: int
    t_infomask: int
    xact: XactSource
    diagnostics: list[Diagnostic]

    # --- xmin -----------------------------------------------------------------------------
    def inserter(self) -> _Half:
        """The xmin half of HeapTupleSatisfiesMVCC: a verdict when the insert decides it,
        None when the inserting transaction committed (then xmax decides)."""
        mask, xmin = self.t_infomask, self.t_xmin
        frozen_bits = mask & C.HEAP_XMIN_FROZEN == C.HEAP_XMIN_FROZEN
        if frozen_bits or xmin in (C.FrozenTransactionId, C.BootstrapTransactionId):
            if frozen_bits:
                self._check("xmin", xmin, "HEAP_XMIN_FROZEN", bad_fates=_NOT_COMMITTED)
                return _Half(None, XactStatus.FROZEN, "xmin frozen (HEAP_XMIN_FROZEN)")
            return _Half(None, XactStatus.FROZEN, "xmin frozen (permanent xid)")
        if mask & C.HEAP_XMIN_COMMITTED:
            looked = self._check("xmin", xmin, "HEAP_XMIN_COMMITTED", bad_fates=_NOT_COMMITTED)
            # committed, but maybe not according to the snapshot (XidInMVCCSnapshot)
            if looked.source is XidSource.PREPARED:
                part = f"xmin committed (hint bit) but {looked.describe()}"
                return _Half(Verdict.IN_PROGRESS, XactStatus.IN_PROGRESS, part)
            if looked.source is XidSource.FUTURE:
                part = f"xmin committed (hint bit) but {looked.describe()}"
                return _Half(Verdict.UNKNOWN, XactStatus.UNKNOWN, part)
            return _Half(None, XactStatus.COMMITTED, "xmin committed (hint bit)")
        if mask & C.HEAP_XMIN_INVALID:
            self._check("xmin", xmin, "HEAP_XMIN_INVALID", bad_fates=_NOT_ABORTED)
            return _Half(Verdict.DEAD, XactStatus.INVALID, "xmin invalid (hint bit)")
        if mask & C.HEAP_MOVED:
            flag = "HEAP_MOVED_OFF" if mask & C.HEAP_MOVED_OFF else "HEAP_MOVED_IN"
            part = (
                f"xmin {xmin} not hinted and {flag} set: moved by a pre-9.0 VACUUM FULL, "
                "whose xid (t_xvac) decides"
            )
            return _Half(Verdict.UNKNOWN, XactStatus.UNKNOWN, part)
        looked = self.xact.xid_status(xmin)
        part = f"xmin {looked.describe()}"
        match looked.status:
            case XactStatus.COMMITTED | XactStatus.FROZEN:
                verdict: Verdict | None = None
            case XactStatus.IN_PROGRESS:
                verdict = Verdict.IN_PROGRESS
            case XactStatus.UNKNOWN:
                verdict = Verdict.UNKNOWN
            case XactStatus.SUB_COMMITTED:
                # TransactionIdDidCommit: a sub-committed xid older than TransactionXmin (or
                # without pg_subtrans, which a restart empties) is taken as not committed
                part += ": its parent is not known, taken as not committed"
                verdict = Verdict.DEAD
            case _:  # ABORTED, INVALID (TransactionLogFetch: InvalidTransactionId aborted)
                verdict = Verdict.DEAD
        return _Half(verdict, looked.status, part)

    def _check(
        self, which: str, xid: int, hint: str, *, bad_fates: tuple[XactStatus, ...]
    ) -> XidStatus:
        """Look ``xid`` up and record a diagnostic when pg_xact contradicts ``hint``."""
        looked = self.xact.xid_status(xid)
        if _fate(looked) in bad_fates:
            self.diagnostics.append(
                Diagnostic(
                    Severity.ERROR,
                    HINT_CONTRADICTS_XACT,
                    f"{which} {xid}: {hint} is set but pg_xact says {looked.describe()}",
                )
            )
        return looked

    # --- xmax -----------------------------------------------------------------------------
    def deleter(self) -> _Half:
        """The xmax half, as it decides once the insert is known to be committed."""
        mask, xmax = self.t_infomask, self.t_xmax
        is_multi = bool(mask & C.HEAP_XMAX_IS_MULTI)
        lock_only = is_locked_only(mask)
        if mask & C.HEAP_XMAX_INVALID:
            if not is_multi and xmax != C.InvalidTransactionId:
                # a locker that ended gets HEAP_XMAX_INVALID whether it committed or not
                bad = (XactStatus.IN_PROGRESS,) if lock_only else _NOT_ABORTED
                self._check("xmax", xmax, "HEAP_XMAX_INVALID", bad_fates=bad)
            return _Half(Verdict.LIVE, XactStatus.INVALID, "xmax invalid (hint bit)")
        if xmax == C.InvalidTransactionId and not is_multi:
            return _Half(Verdict.LIVE, XactStatus.INVALID, "xmax invalid (0)")
        if is_multi:
            return self._multi(lock_only)
        if lock_only:
            looked = self.xact.xid_status(xmax)
            what = "HEAP_XMAX_LOCK_ONLY" if mask & C.HEAP_XMAX_LOCK_ONLY else "HEAP_XMAX_EXCL_LOCK"
            part = f"xmax {looked.describe()} only locks ({what})"
            return _Half(Verdict.LOCKED, looked.status, part)
        if mask & C.HEAP_XMAX_COMMITTED:
            looked = self._check("xmax", xmax, "HEAP_XMAX_COMMITTED", bad_fates=_NOT_COMMITTED)
            if looked.source is XidSource.PREPARED:
                part = f"xmax committed (hint bit) but {looked.describe()}"
                return _Half(Verdict.IN_PROGRESS, XactStatus.IN_PROGRESS, part)
            if looked.source is XidSource.FUTURE:
                part = f"xmax committed (hint bit) but {looked.describe()}"
                return _Half(Verdict.UNKNOWN, XactStatus.UNKNOWN, part)
            return _Half(Verdict.DEAD, XactStatus.COMMITTED, "xmax committed (hint bit)")
        looked = self.xact.xid_status(xmax)
        return _by_status(looked, f"xmax {looked.describe()}")

    def _multi(self, lock_only: bool) -> _Half:
        multi = self.t_xmax
        if lock_only and is_locked_upgraded(self.t_infomask):
            part = f"xmax multixact {multi} only locks (HEAP_LOCKED_UPGRADED: before 9.3)"
            return _Half(Verdict.LOCKED, XactStatus.UNKNOWN, part)
        found = self.xact.multixact_members(multi)
        if found.members is None:
            part = f"xmax multixact {multi} unknown ({found.detail})"
            if lock_only:  # a lock never deletes: the members do not matter
                return _Half(Verdict.LOCKED, XactStatus.UNKNOWN, part + ", only locks")
            return _Half(Verdict.UNKNOWN, XactStatus.UNKNOWN, part)
        statuses = [(m, self.xact.xid_status(m.xid)) for m in found.members]
        listed = "; ".join(f"{m.mode} {m.xid} {s.describe()}" for m, s in statuses)
        if lock_only:
            part = f"xmax multixact {multi} only locks ({listed or 'no members'})"
            return _Half(Verdict.LOCKED, _lockers_status([s.status for _, s in statuses]), part)
        updater = next(((m, s) for m, s in statuses if m.is_update), None)
        if updater is None:
            # HeapTupleGetUpdateXid found none: TransactionIdDidCommit(Invalid) is false
            part = f"xmax multixact {multi} has no updater ({listed or 'no members'})"
            return _Half(Verdict.LIVE, XactStatus.INVALID, part)
        member, looked = updater
        part = f"xmax multixact {multi} updater {member.xid} {looked.describe()} ({listed})"
        return _by_status(looked, part, member.xid)


_NOT_COMMITTED: Final = (XactStatus.ABORTED, XactStatus.IN_PROGRESS)
_NOT_ABORTED: Final = (XactStatus.COMMITTED, XactStatus.IN_PROGRESS)


def _by_status(looked: XidStatus, part: str, updater: int | None = None) -> _Half:
    """What a deleting (or updating) transaction's status means for the tuple."""
    match looked.status:
        case XactStatus.COMMITTED | XactStatus.FROZEN:
            verdict = Verdict.DEAD
        case XactStatus.IN_PROGRESS:
            verdict = Verdict.IN_PROGRESS
        case XactStatus.UNKNOWN:
            verdict = Verdict.UNKNOWN
        case XactStatus.SUB_COMMITTED:
            part += ": its parent is not known, taken as not committed"
            verdict = Verdict.LIVE
        case _:  # ABORTED, INVALID: the delete never happened
            verdict = Verdict.LIVE
    return _Half(verdict, looked.status, part, updater)


def _lockers_status(statuses: list[XactStatus]) -> XactStatus:
    """One status for the lockers of a lock-only multixact: in progress while any is (the
    lock is held), else unknown if any is, else committed if any committed, else aborted."""
    for status in (XactStatus.IN_PROGRESS, XactStatus.UNKNOWN, XactStatus.COMMITTED):
        if status in statuses:
            return status
    return XactStatus.ABORTED if statuses else XactStatus.INVALID


def tuple_visibility(
    t_xmin: int, t_xmax: int, t_infomask: int, t_infomask2: int, xact: XactSource
) -> Visibility:
    """The verdict on one heap tuple (HeapTupleSatisfiesMVCC, snapshot after every
    transaction ended). The xmax status and reason are given even when the insert decides
    (an aborted insert is dead whatever xmax says). ``t_infomask2`` is accepted for the
    header's sake; no rule reads it (HEAP_KEYS_UPDATED and the HOT bits do not change what a
    scan returns)."""
    del t_infomask2
    judge = _Judge(t_xmin & 0xFFFFFFFF, t_xmax & 0xFFFFFFFF, t_infomask & 0xFFFF, xact, [])
    insert = judge.inserter()
    delete = judge.deleter()
    verdict = insert.verdict or delete.verdict or Verdict.UNKNOWN
    visible: bool | None
    if verdict is Verdict.UNKNOWN:
        visible = None
    elif verdict is Verdict.IN_PROGRESS:
        visible = insert.verdict is None  # a delete in progress: still visible
    else:
        visible = verdict in (Verdict.LIVE, Verdict.LOCKED)
    return Visibility(
        verdict,
        visible,
        insert.status,
        delete.status,
        f"{insert.part}, {delete.part}",
        tuple(judge.diagnostics),
        delete.updater_xid,
    )
