"""``pgstattuple()`` of a heap from its pages, on the kernel.

pgstattuple (contrib/pgstattuple/pgstattuple.c) scans every LP_NORMAL tuple with SnapshotAny
and counts it live when HeapTupleSatisfiesDirty says it is visible, dead otherwise; it adds
PageGetHeapFreeSpace() of every block. From a relation file alone, a tuple's transactions are
known only from its hint bits: :func:`dirty_visibility` follows HeapTupleSatisfiesDirty as far
as they go and says ``unknown`` where it would have to ask pg_xact or pg_multixact. Unknown
tuples are counted as live (a copied relation's unhinted tuples are most often committed
inserts) and the result says how many there were, so the figures are exact when that count is
0. A relation of a data directory has its pg_xact and pg_multixact (``xacts``): there the
unknown tuples are settled by :func:`dirty_visibility_xact` (as arrays: each xid's status
asked once), and only those whose status cannot be read stay unknown.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cache, partial
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pageinspect_py import constants as C
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.page import PageKind
from pageinspect_py.page import arrays
from pageinspect_py.page.raw import Chunk, Fork, PageSource, RawPage
from pageinspect_py.scan.parallel import Progress, map_ranges
from pageinspect_py.sources.datadir.slru import XactsSpec, XactStatus, share

if TYPE_CHECKING:
    from pageinspect_py.analysis.visibility import XactSource
    from pageinspect_py.sources.datadir.slru import DataDirectoryXacts


class Visibility(enum.IntEnum):
    LIVE = 0
    DEAD = 1
    UNKNOWN = 2  #: needs pg_xact / pg_multixact


def xmax_is_locked_only(t_infomask: int) -> bool:
    """HEAP_XMAX_IS_LOCKED_ONLY (htup_details.h)."""
    return bool(t_infomask & C.HEAP_XMAX_LOCK_ONLY) or (
        t_infomask & (C.HEAP_XMAX_IS_MULTI | C.HEAP_LOCK_MASK) == C.HEAP_XMAX_EXCL_LOCK
    )


def dirty_visibility(t_infomask: int) -> Visibility:
    """HeapTupleSatisfiesDirty from the hint bits alone."""
    if not t_infomask & C.HEAP_XMIN_COMMITTED:
        if t_infomask & C.HEAP_XMIN_INVALID:
            return Visibility.DEAD  # aborted insert
        return Visibility.UNKNOWN  # committed, aborted or in progress: pg_xact says
    if t_infomask & C.HEAP_XMAX_INVALID or xmax_is_locked_only(t_infomask):
        return Visibility.LIVE
    if t_infomask & C.HEAP_XMAX_COMMITTED:
        return Visibility.DEAD  # deleted or updated by a committed transaction
    return Visibility.UNKNOWN  # a deleter whose fate is in pg_xact (or a multixact)


def _fate(xacts: XactSource, xid: int) -> Visibility | None:
    """TransactionIdIsInProgress / DidCommit as a restarted server answers them: LIVE while
    in progress (SnapshotDirty sees it), None once committed, DEAD when it did not commit
    (aborted, never ended, sub-committed without its parent, invalid), UNKNOWN unreadable."""
    match xacts.xid_status(xid).status:
        case XactStatus.IN_PROGRESS:
            return Visibility.LIVE
        case XactStatus.COMMITTED | XactStatus.FROZEN:
            return None
        case XactStatus.UNKNOWN:
            return Visibility.UNKNOWN
        case _:
            return Visibility.DEAD


def dirty_visibility_xact(
    t_xmin: int, t_xmax: int, t_infomask: int, xacts: XactSource
) -> Visibility:
    """HeapTupleSatisfiesDirty (heapam_visibility.c) with pg_xact and pg_multixact where the
    hint bits do not settle it; UNKNOWN only where a status cannot be read."""
    found = dirty_visibility(t_infomask)
    if found is not Visibility.UNKNOWN:
        return found
    if not t_infomask & C.HEAP_XMIN_COMMITTED:
        if t_infomask & C.HEAP_MOVED:
            return Visibility.UNKNOWN  # moved by a pre-9.0 VACUUM FULL: t_xvac decides
        inserted = _fate(xacts, t_xmin)
        if inserted is not None:  # in progress: visible to a dirty read, whatever xmax says
            return inserted
        # committed: HeapTupleSatisfiesDirty goes on to xmax
        if t_infomask & C.HEAP_XMAX_INVALID or xmax_is_locked_only(t_infomask):
            return Visibility.LIVE
        if t_infomask & C.HEAP_XMAX_COMMITTED:
            return Visibility.DEAD
    updater = t_xmax
    if t_infomask & C.HEAP_XMAX_IS_MULTI:
        members = xacts.multixact_members(t_xmax)
        if members.members is None:
            return Visibility.UNKNOWN
        member = members.updater
        if member is None:  # HeapTupleGetUpdateXid: none, so not committed
            return Visibility.LIVE
        updater = member.xid
    deleted = _fate(xacts, updater)
    if deleted is None:
        return Visibility.DEAD  # deleted or updated by a committed transaction
    return Visibility.UNKNOWN if deleted is Visibility.UNKNOWN else Visibility.LIVE


#: :func:`_xid_fates`: the transaction committed (``_fate`` says None)
_COMMITTED = 3


def _xid_fates(xids: arrays.I64, xacts: XactSource) -> npt.NDArray[np.uint8]:
    """:func:`_fate` of many xids (a Visibility, or _COMMITTED), asked once per distinct xid."""
    distinct, inverse = np.unique(xids, return_inverse=True)
    fates = [_fate(xacts, xid) for xid in distinct.tolist()]
    codes = np.array([_COMMITTED if f is None else f for f in fates], dtype=np.uint8)
    out: npt.NDArray[np.uint8] = codes[inverse.reshape(-1)]
    return out


def _settle(
    xmin: arrays.I64, xmax: arrays.I64, infomask: arrays.I64, xacts: XactSource
) -> npt.NDArray[np.uint8]:
    """dirty_visibility_xact of many tuples that dirty_visibility leaves UNKNOWN, as arrays:
    each xid's status asked once; multixacts (rare) one distinct header at a time."""
    im = infomask
    out = np.full(len(im), Visibility.UNKNOWN, dtype=np.uint8)
    pending = np.ones(len(im), dtype=np.bool_)
    unhinted = im & C.HEAP_XMIN_COMMITTED == 0  # (HEAP_XMIN_INVALID would have said DEAD)
    pending[unhinted & (im & C.HEAP_MOVED != 0)] = False  # t_xvac decides: unknown
    ask = np.flatnonzero(unhinted & pending)
    fates = _xid_fates(xmin[ask], xacts)
    decided = fates != _COMMITTED  # in progress: LIVE, did not commit: DEAD, or UNKNOWN
    out[ask[decided]] = fates[decided]
    pending[ask[decided]] = False
    # the insert committed (pg_xact says): xmax's hint bits, as dirty_visibility reads them
    after = ask[~decided]
    lock_only = (im[after] & C.HEAP_XMAX_LOCK_ONLY != 0) | (
        im[after] & (C.HEAP_XMAX_IS_MULTI | C.HEAP_LOCK_MASK) == C.HEAP_XMAX_EXCL_LOCK
    )
    live = (im[after] & C.HEAP_XMAX_INVALID != 0) | lock_only
    dead = ~live & (im[after] & C.HEAP_XMAX_COMMITTED != 0)
    out[after[live]], out[after[dead]] = Visibility.LIVE, Visibility.DEAD
    pending[after[live | dead]] = False
    multi = np.flatnonzero(pending & (im & C.HEAP_XMAX_IS_MULTI != 0))
    if len(multi):
        out[multi] = _settle_each(xmin[multi], xmax[multi], im[multi], xacts)
    plain = np.flatnonzero(pending & (im & C.HEAP_XMAX_IS_MULTI == 0))
    fates = _xid_fates(xmax[plain], xacts)
    out[plain] = np.where(
        fates == _COMMITTED,
        Visibility.DEAD,  # deleted or updated by a committed transaction
        np.where(fates == Visibility.UNKNOWN, Visibility.UNKNOWN, Visibility.LIVE),
    )
    return out


def _settle_each(
    xmin: arrays.I64, xmax: arrays.I64, infomask: arrays.I64, xacts: XactSource
) -> npt.NDArray[np.uint8]:
    """dirty_visibility_xact of many tuples, once per distinct header triple."""
    triples = np.stack([xmin, xmax, infomask], axis=1)
    distinct, inverse = np.unique(triples, axis=0, return_inverse=True)
    settled = np.array(
        [dirty_visibility_xact(a, b, c, xacts) for a, b, c in distinct.tolist()], dtype=np.uint8
    )
    out: npt.NDArray[np.uint8] = settled[inverse.reshape(-1)]
    return out


@cache
def _visibility_table() -> npt.NDArray[np.uint8]:
    """dirty_visibility of every t_infomask value: the kernel looks tuples up in it."""
    return np.array([dirty_visibility(mask) for mask in range(1 << 16)], dtype=np.uint8)


def heap_free_space(
    pd_lower: Any, pd_upper: Any, nline: Any, has_free_lines: Any, unused: Any, block_size: int
) -> Any:
    """PageGetHeapFreeSpace (bufpage.c) of one page (ints) or many (arrays): the room for one
    more tuple and its line pointer; 0 when the page already has MaxHeapTuplesPerPage line
    pointers and none of them is unused (the PD_HAS_FREE_LINES hint says where to look)."""
    space = np.asarray(pd_upper) - np.asarray(pd_lower) - C.SizeOfItemIdData
    full = (np.asarray(nline) >= C.max_heap_tuples_per_page(block_size)) & ~(
        np.asarray(has_free_lines) & (np.asarray(unused) > 0)
    )
    return np.where((space < 0) | full, 0, space)


@dataclass(slots=True)
class HeapStats:
    """pgstattuple's counters (and ours) over a block range; ranges merge by adding."""

    blocks: int = 0
    block_size: int = C.BLCKSZ
    tuple_count: int = 0
    tuple_len: int = 0
    dead_tuple_count: int = 0
    dead_tuple_len: int = 0
    free_space: int = 0
    unknown_tuples: int = 0  #: their status needs pg_xact (counted live without it)
    lp_states: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    not_heap_pages: int = 0  #: pages that are not heap pages (counted for free space only)
    #: pg_xact and pg_multixact were read for the unknown tuples (a data directory)
    with_xacts: bool = False
    unresolved: int = 0  #: of the unknown tuples, those whose status could not be read either
    #: why (a missing pg_xact segment...), once each
    xact_problems: list[str] = field(default_factory=list)

    def merge(self, other: HeapStats) -> None:
        self.blocks += other.blocks
        self.tuple_count += other.tuple_count
        self.tuple_len += other.tuple_len
        self.dead_tuple_count += other.dead_tuple_count
        self.dead_tuple_len += other.dead_tuple_len
        self.free_space += other.free_space
        self.unknown_tuples += other.unknown_tuples
        self.lp_states = [a + b for a, b in zip(self.lp_states, other.lp_states, strict=True)]
        self.not_heap_pages += other.not_heap_pages
        self.with_xacts |= other.with_xacts
        self.unresolved += other.unresolved
        self.xact_problems = list(dict.fromkeys([*self.xact_problems, *other.xact_problems]))

    @property
    def table_len(self) -> int:
        return self.blocks * self.block_size

    def _percent(self, value: int) -> float:
        # build_pgstattuple_type prints each percentage with "%.2f"
        return float(f"{100.0 * value / self.table_len:.2f}") if self.table_len else 0.0

    def pgstattuple(self) -> dict[str, Any]:
        """The row pgstattuple() returns, its columns named and valued as it names them."""
        return {
            "table_len": self.table_len,
            "tuple_count": self.tuple_count,
            "tuple_len": self.tuple_len,
            "tuple_percent": self._percent(self.tuple_len),
            "dead_tuple_count": self.dead_tuple_count,
            "dead_tuple_len": self.dead_tuple_len,
            "dead_tuple_percent": self._percent(self.dead_tuple_len),
            "free_space": self.free_space,
            "free_percent": self._percent(self.free_space),
        }


def _count(stats: HeapStats, visibility: int, length: int) -> None:
    if visibility == Visibility.DEAD:
        stats.dead_tuple_count += 1
        stats.dead_tuple_len += length
    else:
        stats.tuple_count += 1
        stats.tuple_len += length


def _page_stats(raw: RawPage, stats: HeapStats, xacts: XactSource | None = None) -> None:
    """One page the kernel did not settle, from its decoded model."""
    page = decode_page(raw)
    header = page.header
    lps = page.line_pointers
    unused = sum(1 for lp in lps if lp.lp_flags == C.LP_UNUSED)
    for lp in lps:
        stats.lp_states[lp.lp_flags] += 1
    if page.kind is PageKind.NEW:
        return
    stats.free_space += int(
        heap_free_space(
            header.pd_lower,
            header.pd_upper,
            len(lps),
            bool(header.pd_flags & C.PD_HAS_FREE_LINES),
            unused,
            len(raw.data),
        )
    )
    if not isinstance(page, HeapPage):
        stats.not_heap_pages += 1
        return
    for item in page.items:
        if item.lp.lp_flags == C.LP_NORMAL and item.tuple is not None:
            h = item.tuple.header
            visibility = dirty_visibility(h.t_infomask)
            if visibility is Visibility.UNKNOWN:
                stats.unknown_tuples += 1
                if xacts is not None:
                    visibility = dirty_visibility_xact(h.t_xmin, h.t_xmax, h.t_infomask, xacts)
                stats.unresolved += visibility is Visibility.UNKNOWN and xacts is not None
            _count(stats, visibility, item.lp.lp_len)


def chunk_stats(chunk: Chunk, source: PageSource, xacts: XactSource | None = None) -> HeapStats:
    """pgstattuple's counters over one chunk: regular heap pages as arrays, the rest decoded;
    with ``xacts`` (a data directory's pg_xact and pg_multixact) the tuples hint bits leave
    unknown are settled from them."""
    stats = HeapStats(blocks=chunk.count, block_size=chunk.block_size)
    stats.with_xacts = xacts is not None
    pages = arrays.pages_array(chunk)
    blknos = np.arange(chunk.first, chunk.first + chunk.count, dtype=np.int64)
    kinds, _ = arrays.classify(pages, blknos, fork=chunk.fork, verifiable=False)
    heap = np.flatnonzero(kinds == arrays.Kind.HEAP)
    if len(heap):
        sub = pages[heap] if len(heap) != chunk.count else pages
        head = arrays.headers(sub)
        lower = head["pd_lower"].astype(np.int64)
        upper = head["pd_upper"].astype(np.int64)
        counts = (lower - C.SizeOfPageHeaderData) // C.SizeOfItemIdData
        items = arrays.FlatItems(sub, counts)
        states = [
            np.bincount(items.row[items.lp_flags == s], minlength=len(heap)) for s in range(4)
        ]
        for state in range(4):
            stats.lp_states[state] += int(states[state].sum())
        normal = np.flatnonzero(items.lp_flags == C.LP_NORMAL)
        tuples = arrays.TupleHeaders(sub, items.row[normal], items.lp_off[normal])
        visibility = _visibility_table()[tuples.t_infomask]
        unknown = np.flatnonzero(visibility == Visibility.UNKNOWN)
        stats.unknown_tuples += len(unknown)
        if xacts is not None and len(unknown):
            visibility[unknown] = _settle(
                tuples.t_xmin[unknown], tuples.t_xmax[unknown], tuples.t_infomask[unknown], xacts
            )
            stats.unresolved += int((visibility[unknown] == Visibility.UNKNOWN).sum())
        length = items.lp_len[normal]
        dead = visibility == Visibility.DEAD
        stats.dead_tuple_count += int(dead.sum())
        stats.dead_tuple_len += int(length[dead].sum())
        stats.tuple_count += int((~dead).sum())
        stats.tuple_len += int(length[~dead].sum())
        free = heap_free_space(
            lower,
            upper,
            counts,
            head["pd_flags"] & C.PD_HAS_FREE_LINES != 0,
            states[C.LP_UNUSED],
            chunk.block_size,
        )
        stats.free_space += int(free.sum())
    new = kinds == arrays.Kind.NEW
    for index in np.flatnonzero((kinds != arrays.Kind.HEAP) & ~new):
        blkno = chunk.first + int(index)
        raw = RawPage(blkno, chunk.page(int(index)), chunk.fork, source.origin(blkno), True)
        _page_stats(raw, stats, xacts)
    return stats


def _stats_range(
    source: PageSource, fork: Fork, start: int, stop: int, xacts: XactsSpec | None = None
) -> HeapStats:
    """One worker task; the transaction status reader is this process's for the spec."""
    reader = None if xacts is None else xacts.open()
    stats = HeapStats(block_size=source.block_size, with_xacts=reader is not None)
    for chunk in source.chunks(fork, start, stop):
        stats.merge(chunk_stats(chunk, source, reader))
    if reader is not None:
        stats.xact_problems = list(reader.problems)
    return stats


def heap_stats(
    source: PageSource,
    fork: Fork = "main",
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    xacts: DataDirectoryXacts | None = None,
) -> HeapStats:
    """pgstattuple's counters over every block of ``fork``, on up to ``jobs`` processes; with
    ``xacts`` (the data directory's transaction status) exact, not estimated, where pg_xact
    can be read. Workers rebuild the reader from its spec."""
    stats = HeapStats(block_size=source.block_size, with_xacts=xacts is not None)
    work = partial(_stats_range, xacts=None if xacts is None else share(xacts))
    for part in map_ranges(source, fork, work, jobs=jobs, progress=progress):
        stats.merge(part)
    return stats
