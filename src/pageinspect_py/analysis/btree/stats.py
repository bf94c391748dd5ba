"""``pgstatindex()`` from page summaries alone, computed as ``pgstatindex.c`` does (12-17
count leaf free space with ``PageGetFreeSpace``, 18 with ``PageGetExactFreeSpace``), plus the
posting-list share and deduplication savings, dead items, free space and padding per level, and
the key width distribution."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.decode.btree import BtreeMeta
from pageinspect_py.scan.btree import LevelStats, PageSummary, ScanTotals

#: (PageGetFreeSpace, 4 bytes less per page, before); measured on the fixtures of 12-18
PGSTATINDEX_EXACT_FREE_SPACE_FROM = 18
#: the newest major whose behaviour is assumed when none is given
NEWEST_MAJOR = 18


@dataclass(frozen=True, slots=True)
class PgStatIndex:
    """``pgstatindex()``'s columns."""

    version: int
    tree_level: int
    index_size: int
    root_block_no: int
    internal_pages: int
    leaf_pages: int
    empty_pages: int
    deleted_pages: int
    avg_leaf_density: float
    leaf_fragmentation: float


@dataclass(frozen=True, slots=True)
class KeyWidths:
    """Distribution of leaf key widths (bytes of key data per non-pivot tuple)."""

    counts: tuple[tuple[int, int], ...]  #: (width, tuples) in width order

    @property
    def tuples(self) -> int:
        return sum(n for _, n in self.counts)

    def percentile(self, p: float) -> int | None:
        total = self.tuples
        if not total:
            return None
        rank = max(1, math.ceil(p / 100 * total))
        seen = 0
        for width, n in self.counts:
            seen += n
            if seen >= rank:
                return width
        return self.counts[-1][0]

    @property
    def mean(self) -> float | None:
        total = self.tuples
        return sum(w * n for w, n in self.counts) / total if total else None


@dataclass(frozen=True, slots=True)
class BtreeStatistics:
    pgstatindex: PgStatIndex
    #: which pgstatindex behaviour the figures follow (free space counting changed in 18)
    pgstatindex_major: int
    levels: tuple[LevelStats, ...]
    new_pages: int
    deleted_pages_leaf: int
    deleted_pages_internal: int
    key_widths: KeyWidths

    def _total(self, name: str) -> int:
        return sum(getattr(level, name) for level in self.levels)

    @property
    def leaf(self) -> LevelStats | None:
        return next((lv for lv in self.levels if lv.level == 0), None)

    @property
    def posting_tuple_share(self) -> float | None:
        """Posting list tuples among the leaf level's non-pivot tuples."""
        leaf = self.leaf
        if leaf is None or not leaf.leaf_tuples + leaf.posting_tuples:
            return None
        return leaf.posting_tuples / (leaf.leaf_tuples + leaf.posting_tuples)

    @property
    def posting_tid_share(self) -> float | None:
        """Heap TIDs kept in posting lists among all heap TIDs of the leaf level."""
        leaf = self.leaf
        if leaf is None or not leaf.heap_tids:
            return None
        return leaf.posting_tids / leaf.heap_tids

    @property
    def dedup_saved_bytes(self) -> int:
        return self._total("dedup_saved_bytes")

    @property
    def dead_items(self) -> int:
        return self._total("dead_items")

    @property
    def free_bytes(self) -> int:
        return self._total("free_bytes")

    @property
    def padding_bytes(self) -> int:
        return self._total("padding_bytes")


def index_statistics(
    summaries: Mapping[int, PageSummary],
    nblocks: int,
    meta: BtreeMeta | None,
    totals: ScanTotals,
    major: int | None = None,
) -> BtreeStatistics:
    """pgstatindex() as the given server major computes it, plus our own figures."""
    major = major or NEWEST_MAJOR
    exact = major >= PGSTATINDEX_EXACT_FREE_SPACE_FROM
    internal = leaf = empty = deleted = fragments = 0
    max_avail = free_space = 0
    for blkno in range(1, nblocks):
        s = summaries.get(blkno)
        if s is None:
            continue
        flags = s.btpo_flags  # 0 for an all-zero page, as pgstatindex reads it
        if flags & C.BTP_DELETED:
            deleted += 1
        elif flags & C.BTP_HALF_DEAD:
            empty += 1
        elif flags & C.BTP_LEAF:
            leaf += 1
            max_avail += s.pd_special - C.SizeOfPageHeaderData
            space = s.pd_upper - s.pd_lower
            free_space += (
                space
                if exact
                else (space - C.SizeOfItemIdData if space >= C.SizeOfItemIdData else 0)
            )
            if s.btpo_next != C.P_NONE and s.btpo_next < blkno:
                fragments += 1
        else:
            internal += 1  # new (all-zero) pages land here too, as in pgstatindex
    page_size = next((s.size for s in summaries.values() if s.size), C.BLCKSZ)
    pgstat = PgStatIndex(
        version=meta.btm_version if meta else 0,
        tree_level=meta.btm_level if meta else 0,
        index_size=(1 + leaf + internal + deleted + empty) * page_size,
        root_block_no=meta.btm_root if meta else 0,
        internal_pages=internal,
        leaf_pages=leaf,
        empty_pages=empty,
        deleted_pages=deleted,
        avg_leaf_density=(
            round2(100.0 - free_space / max_avail * 100.0) if max_avail > 0 else math.nan
        ),
        leaf_fragmentation=(round2(fragments / leaf * 100.0) if leaf > 0 else math.nan),
    )
    acc = totals
    return BtreeStatistics(
        pgstatindex=pgstat,
        pgstatindex_major=major,
        levels=tuple(acc.levels[k] for k in sorted(acc.levels, reverse=True)),
        new_pages=acc.new_pages,
        deleted_pages_leaf=acc.deleted_leaf,
        deleted_pages_internal=acc.deleted_internal,
        key_widths=KeyWidths(tuple(sorted(acc.widths.items()))),
    )

    # -- checks ------------------------------------------------------------------------------


def round2(value: float) -> float:
    """psprintf("%.2f") read back as a number."""
    return float(f"{value:.2f}")
