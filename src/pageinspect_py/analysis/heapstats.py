"""``pgstattuple()`` of a heap from its pages, on the kernel.

pgstattuple (contrib/pgstattuple/pgstattuple.c) scans every LP_NORMAL tuple with SnapshotAny
and counts it live when HeapTupleSatisfiesDirty says it is visible, dead otherwise; it adds
PageGetHeapFreeSpace() of every block. Offline, a tuple's transactions are known only from its
hint bits: :func:`dirty_visibility` follows HeapTupleSatisfiesDirty as far as they go and says
``unknown`` where it would have to ask pg_xact or pg_multixact. Unknown tuples are counted as
live (a copied relation's unhinted tuples are most often committed inserts) and the result
says how many there were, so the figures are exact when that count is 0.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from pageinspect_py import constants as C
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.page import PageKind
from pageinspect_py.page import arrays
from pageinspect_py.page.raw import Chunk, Fork, PageSource, RawPage
from pageinspect_py.scan.parallel import Progress, map_ranges


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
    unknown_tuples: int = 0  #: counted live, their status needs pg_xact
    lp_states: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    not_heap_pages: int = 0  #: pages that are not heap pages (counted for free space only)

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
        stats.unknown_tuples += visibility == Visibility.UNKNOWN


def _page_stats(raw: RawPage, stats: HeapStats) -> None:
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
            _count(stats, dirty_visibility(item.tuple.header.t_infomask), item.lp.lp_len)


def chunk_stats(chunk: Chunk, source: PageSource) -> HeapStats:
    """pgstattuple's counters over one chunk: regular heap pages as arrays, the rest decoded."""
    stats = HeapStats(blocks=chunk.count, block_size=chunk.block_size)
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
        length = items.lp_len[normal]
        dead = visibility == Visibility.DEAD
        stats.dead_tuple_count += int(dead.sum())
        stats.dead_tuple_len += int(length[dead].sum())
        stats.tuple_count += int((~dead).sum())
        stats.tuple_len += int(length[~dead].sum())
        stats.unknown_tuples += int((visibility == Visibility.UNKNOWN).sum())
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
        _page_stats(raw, stats)
    return stats


def _stats_range(source: PageSource, fork: Fork, start: int, stop: int) -> HeapStats:
    stats = HeapStats(block_size=source.block_size)
    for chunk in source.chunks(fork, start, stop):
        stats.merge(chunk_stats(chunk, source))
    return stats


def heap_stats(
    source: PageSource, fork: Fork = "main", *, jobs: int = 1, progress: Progress | None = None
) -> HeapStats:
    """pgstattuple's counters over every block of ``fork``, on up to ``jobs`` processes."""
    stats = HeapStats(block_size=source.block_size)
    for part in map_ranges(source, fork, _stats_range, jobs=jobs, progress=progress):
        stats.merge(part)
    return stats
