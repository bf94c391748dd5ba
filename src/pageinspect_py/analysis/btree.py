"""A whole btree index: the tree, ``pgstatindex()`` from the pages alone, and structural checks.

:func:`scan_index` reads every block once and keeps a small :class:`PageSummary` per page
(links, level, high key and separators, per-page figures), so memory stays small whatever the
index size; pages are decoded again on demand for navigation (:meth:`BtreeIndex.page`).

* Tree API: :attr:`BtreeIndex.meta`, :meth:`~BtreeIndex.root`, :meth:`~BtreeIndex.fast_root`,
  :meth:`~BtreeIndex.levels` (pages per level in sibling order), :meth:`~BtreeIndex.children`,
  :meth:`~BtreeIndex.left`/:meth:`~BtreeIndex.right`, :meth:`~BtreeIndex.path_to` (typed keys).
* :meth:`BtreeIndex.statistics`: the figures ``pgstatindex()`` returns, computed as
  ``pgstatindex.c`` does (12-17 count leaf free space with ``PageGetFreeSpace``, 18 with
  ``PageGetExactFreeSpace``), plus posting-list share and deduplication savings, dead items,
  free space and padding per level, and the key width distribution.
* :meth:`BtreeIndex.check`: in the spirit of amcheck's ``bt_index_check`` (and some of
  ``bt_index_parent_check``), offline: sibling links agree both ways, levels are consistent,
  downlinks point one level down, separators equal the child high keys, items are in key order
  and inside their page's bounds (typed keys), posting lists are sorted and unique. Every page
  diagnostic becomes a finding too.
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pageinspect_py import constants as C
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.btree import (
    BtItemKind,
    BtreeDecodeOptions,
    BtreeItem,
    BtreeMeta,
    BtreeMetaPage,
    BtreePage,
    decode_btree_page,
)
from pageinspect_py.decode.btree_keys import KeyValue, compare_keys
from pageinspect_py.decode.common import Diagnostic, RegionKind, Severity
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import DiagnosticLog, Page, PageHeader, PageKind, compute_checksum
from pageinspect_py.layouts._util import struct_format
from pageinspect_py.layouts.btree import BTPageOpaqueData, IndexTupleData
from pageinspect_py.layouts.heap import ItemPointerData
from pageinspect_py.layouts.page import LP_FLAGS_SHIFT, LP_LEN_SHIFT, LP_OFF_MASK, PageHeaderData
from pageinspect_py.page.raw import PageSource, RawPage

#: pgstatindex counts leaf free space with PageGetExactFreeSpace from this major on
#: (PageGetFreeSpace, 4 bytes less per page, before); measured on the fixtures of 12-18
PGSTATINDEX_EXACT_FREE_SPACE_FROM = 18
#: the newest major whose behaviour is assumed when none is given
NEWEST_MAJOR = 18


# ----------------------------------------------------------------------------------------------
# findings


@dataclass(frozen=True, slots=True)
class Finding:
    """A structural problem, where it is and what it means."""

    severity: Severity
    code: str
    block: int | None
    item: int | None
    message: str

    def describe(self) -> str:
        where = []
        if self.block is not None:
            where.append(f"block {self.block}")
        if self.item is not None:
            where.append(f"item {self.item}")
        place = " ".join(where)
        return f"{self.severity}: {self.code}{' at ' + place if place else ''}: {self.message}"


# ----------------------------------------------------------------------------------------------
# per-page summaries


@dataclass(frozen=True, slots=True)
class KeyRef:
    """A pivot's or data item's key as needed across pages."""

    offnum: int
    raw: bytes  #: key data (pageinspect's data) -- compared for equality of pivots
    natts: int | None
    heap_tid: ItemPointer | None
    keys: tuple[KeyValue, ...] | None
    last_tid: ItemPointer | None = None  #: a posting list's last TID

    @property
    def identity(self) -> tuple[bytes, int | None, ItemPointer | None]:
        return self.raw, self.natts, self.heap_tid


@dataclass
class LevelStats:
    """What the pages of one level hold (deleted and new pages excluded)."""

    level: int
    pages: int = 0
    half_dead_pages: int = 0
    items: int = 0  #: line pointers (high keys included)
    live_items: int = 0
    dead_items: int = 0  #: LP_DEAD
    high_keys: int = 0
    pivots: int = 0  #: downlinks (minus-infinity items included)
    leaf_tuples: int = 0  #: plain non-pivot tuples
    posting_tuples: int = 0
    posting_tids: int = 0  #: heap TIDs inside posting lists
    heap_tids: int = 0  #: heap TIDs pointed at: plain tuples plus posting TIDs
    dedup_saved_bytes: int = 0  #: bytes the posting lists save over plain tuples
    free_bytes: int = 0  #: pd_upper - pd_lower (PageGetExactFreeSpace)
    padding_bytes: int = 0  #: alignment padding inside and between items
    key_bytes: int = 0  #: key data (pageinspect's data), padding inside it included
    tuple_bytes: int = 0  #: IndexTupleSize of every item
    page_bytes: int = 0

    @property
    def fill(self) -> float:
        usable = self.page_bytes
        return 0.0 if not usable else 1.0 - self.free_bytes / usable


@dataclass(frozen=True, slots=True)
class PageSummary:
    """The little the whole-index work needs from one page."""

    blkno: int
    kind: PageKind
    page_type: str  #: bt_page_stats' type; "n" new page, "m" metapage, "?" not btree
    btpo_prev: int = 0
    btpo_next: int = 0
    level: int | None = None
    btpo_flags: int = 0
    pd_lower: int = 0
    pd_upper: int = 0
    pd_special: int = 0
    size: int = 0
    nitems: int = 0
    high_key: KeyRef | None = None
    first_data: KeyRef | None = None
    last_data: KeyRef | None = None
    #: internal pages: (separator key, child block) per downlink, in key order
    downlinks: tuple[tuple[KeyRef, int], ...] = ()

    def has(self, bit: int) -> bool:
        return bool(self.btpo_flags & bit)

    @property
    def is_btree(self) -> bool:
        return self.kind is PageKind.BTREE

    @property
    def deleted(self) -> bool:
        return self.is_btree and self.has(C.BTP_DELETED)

    @property
    def half_dead(self) -> bool:
        return self.is_btree and self.has(C.BTP_HALF_DEAD) and not self.deleted

    @property
    def live(self) -> bool:
        """A page of the tree: btree, neither deleted nor half-dead."""
        return self.is_btree and not self.has(C.BTP_DELETED | C.BTP_HALF_DEAD)

    @property
    def in_chain(self) -> bool:
        """Linked into its level's sibling chain: live or half-dead."""
        return self.is_btree and not self.deleted


# ----------------------------------------------------------------------------------------------
# statistics


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


# ----------------------------------------------------------------------------------------------
# the scan


PageLoader = Callable[[int], Page]


@dataclass
class _Accumulator:
    levels: dict[int, LevelStats] = field(default_factory=dict)
    widths: Counter[int] = field(default_factory=Counter)
    new_pages: int = 0
    deleted_leaf: int = 0
    deleted_internal: int = 0

    def level(self, level: int) -> LevelStats:
        if level not in self.levels:
            self.levels[level] = LevelStats(level)
        return self.levels[level]


def _key_ref(page: BtreePage, item: BtreeItem) -> KeyRef:
    return KeyRef(
        item.offnum,
        page.key_bytes(item),
        item.natts,
        item.heap_tid,
        item.keys,
        item.posting[-1] if item.posting else None,
    )


def _summary(page: Page, page_type: str, **more: Any) -> PageSummary:
    h = page.header
    return PageSummary(
        blkno=page.blkno,
        kind=page.kind,
        page_type=page_type,
        pd_lower=h.pd_lower,
        pd_upper=h.pd_upper,
        pd_special=h.pd_special,
        size=page.size,
        **more,
    )


def _summarize(page: Page, acc: _Accumulator) -> PageSummary:
    h = page.header
    if page.kind is PageKind.NEW:
        acc.new_pages += 1
        return _summary(page, "n")
    if isinstance(page, BtreeMetaPage):
        return _summary(page, "m")
    if not isinstance(page, BtreePage) or page.opaque is None:
        return _summary(page, "?")
    o = page.opaque
    links_of = {
        "btpo_prev": o.btpo_prev,
        "btpo_next": o.btpo_next,
        "btpo_flags": o.btpo_flags,
        "nitems": len(page.items),
    }
    if o.is_deleted:
        if o.is_leaf or not o.has_fullxid:
            acc.deleted_leaf += 1
        else:
            acc.deleted_internal += 1
        return _summary(page, page.page_type, level=o.level, **links_of)
    stats = acc.level(o.btpo_level)
    stats.pages += 1
    stats.half_dead_pages += o.is_half_dead
    stats.page_bytes += h.pd_special - C.SizeOfPageHeaderData
    stats.free_bytes += max(0, h.pd_upper - h.pd_lower)
    for region in page.regions:
        if region.kind in (RegionKind.ALIGNMENT_PADDING, RegionKind.HEADER_PADDING):
            stats.padding_bytes += region.span.length
        elif region.kind is RegionKind.TUPLE_DATA and region.item is not None:
            stats.key_bytes += region.span.length
    high = None
    data_refs: list[KeyRef] = []
    links: list[tuple[KeyRef, int]] = []
    for item in page.items:
        stats.items += 1
        if item.dead:
            stats.dead_items += 1
        elif item.header is not None:
            stats.live_items += 1
        if item.header is not None:
            stats.tuple_bytes += item.header.size
        if item.kind is BtItemKind.HIGH_KEY:
            stats.high_keys += 1
            high = _key_ref(page, item)
            continue
        if item.kind in (BtItemKind.PIVOT, BtItemKind.MINUS_INFINITY):
            stats.pivots += 1
            ref = _key_ref(page, item)
            data_refs.append(ref)
            if item.downlink is not None:
                links.append((ref, item.downlink))
        elif item.kind is BtItemKind.LEAF:
            stats.leaf_tuples += 1
            stats.heap_tids += 1
            acc.widths[item.key_span.length if item.key_span else 0] += 1
            data_refs.append(_key_ref(page, item))
        elif item.kind is BtItemKind.POSTING:
            n = len(item.posting)
            stats.posting_tuples += 1
            stats.posting_tids += n
            stats.heap_tids += n
            if item.header is not None and item.posting_span is not None:
                plain = item.posting_span.start - item.header.offset  # MAXALIGNed key part
                stats.dedup_saved_bytes += n * (plain + C.SizeOfItemIdData) - (
                    item.header.size + C.SizeOfItemIdData
                )
            acc.widths[item.key_span.length if item.key_span else 0] += 1
            data_refs.append(_key_ref(page, item))
    return _summary(
        page,
        page.page_type,
        level=o.btpo_level,
        high_key=high,
        first_data=data_refs[0] if data_refs else None,
        last_data=data_refs[-1] if data_refs else None,
        downlinks=tuple(links),
        **links_of,
    )


def _item_of(page: Page, diagnostic: Diagnostic) -> int | None:
    """The line pointer a diagnostic's bytes belong to, if any."""
    if diagnostic.span is None:
        return None
    at = diagnostic.span.start
    for lp in page.line_pointers:
        if lp.span.start <= at < lp.span.stop:
            return lp.lp
        if lp.lp_len and lp.lp_off <= at < lp.lp_off + lp.lp_len:
            return lp.lp
    return None


def _page_findings(page: Page) -> Iterator[Finding]:
    for d in page.diagnostics:
        yield Finding(d.severity, d.code, page.blkno, _item_of(page, d), d.message)


# ----------------------------------------------------------------------------------------------
# the index


@dataclass(frozen=True, slots=True)
class PathStep:
    """One page visited on the way from the root to a key."""

    blkno: int
    level: int
    offnum: int | None  #: the item followed (internal) or where the key is/would be (leaf)
    found: bool = False  #: leaf: an item with an equal key is at ``offnum``
    moved_right: bool = False  #: reached by following btpo_next (key above the high key)


class BtreeIndex:
    """A btree index read page by page. Build it with :func:`scan_index`."""

    def __init__(
        self,
        name: str,
        nblocks: int,
        summaries: dict[int, PageSummary],
        meta: BtreeMeta | None,
        acc: _Accumulator,
        findings: list[Finding],
        loader: PageLoader,
        index: IndexDescription | None,
    ) -> None:
        self.name = name
        self.nblocks = nblocks
        self.summaries = summaries
        self.meta = meta
        self.index = index
        self._acc = acc
        self._page_findings = findings
        self._loader = lru_cache(maxsize=64)(loader)

    # -- pages -------------------------------------------------------------------------------

    def page(self, blkno: int) -> Page:
        """Block ``blkno`` decoded (typed keys when the index is described)."""
        return self._loader(blkno)

    def btree_page(self, blkno: int) -> BtreePage | None:
        page = self.page(blkno) if 0 <= blkno < self.nblocks else None
        return page if isinstance(page, BtreePage) else None

    def summary(self, blkno: int) -> PageSummary | None:
        return self.summaries.get(blkno)

    @property
    def heapkeyspace(self) -> bool:
        """Version 4: heap TIDs are part of the key space (12+ indexes)."""
        return self.meta is None or self.meta.btm_version >= C.BTREE_VERSION

    # -- tree --------------------------------------------------------------------------------

    def root(self) -> int | None:
        return self.meta.btm_root if self.meta is not None else None

    def fast_root(self) -> int | None:
        return self.meta.btm_fastroot if self.meta is not None else None

    def left(self, blkno: int) -> int | None:
        s = self.summaries.get(blkno)
        return s.btpo_prev if s is not None and s.btpo_prev != C.P_NONE else None

    def right(self, blkno: int) -> int | None:
        s = self.summaries.get(blkno)
        return s.btpo_next if s is not None and s.btpo_next != C.P_NONE else None

    def children(self, blkno: int) -> tuple[int, ...]:
        s = self.summaries.get(blkno)
        return tuple(child for _, child in s.downlinks) if s is not None else ()

    def leftmost(self, level: int) -> int | None:
        found = [
            s.blkno
            for s in self.summaries.values()
            if s.in_chain and s.level == level and s.btpo_prev == C.P_NONE
        ]
        return found[0] if found else None

    def levels(self) -> dict[int, tuple[int, ...]]:
        """Pages of each level in sibling order (from the leftmost page along btpo_next),
        followed by any page of that level the chain does not reach."""
        out: dict[int, tuple[int, ...]] = {}
        by_level: dict[int, list[int]] = {}
        for s in self.summaries.values():
            if s.in_chain and s.level is not None:
                by_level.setdefault(s.level, []).append(s.blkno)
        for level in sorted(by_level, reverse=True):
            chain = self._chain(level)
            rest = [b for b in sorted(by_level[level]) if b not in set(chain)]
            out[level] = tuple(chain) + tuple(rest)
        return out

    def _chain(self, level: int) -> list[int]:
        start = self.leftmost(level)
        chain: list[int] = []
        seen: set[int] = set()
        current = start
        while current is not None and current not in seen:
            s = self.summaries.get(current)
            if s is None or not s.in_chain or s.level != level:
                break
            seen.add(current)
            chain.append(current)
            current = s.btpo_next if s.btpo_next != C.P_NONE else None
        return chain

    def pages_per_level(self) -> dict[int, int]:
        return {level: len(pages) for level, pages in self.levels().items()}

    # -- search ------------------------------------------------------------------------------

    def search_key(self, values: Sequence[object]) -> tuple[KeyValue, ...]:
        """Key values as the decoder represents them (text as UTF-8 bytes, None as NULL)."""
        if self.index is None:
            raise ValueError("path_to needs the index's key columns (a description)")
        keys = []
        for column, value in zip(self.index.key_columns(), values, strict=False):
            a = column.attribute
            if isinstance(value, str) and a.typname in (
                "text",
                "varchar",
                "bpchar",
                "name",
                "bytea",
            ):
                stored: object = value.encode()
                if a.typname == "bpchar":
                    stored = value.encode().rstrip(b" ")
            else:
                stored = value
            keys.append(
                KeyValue(
                    a.attnum,
                    a.attname,
                    value is None,
                    None,
                    b"",
                    stored,
                    None if value is None else str(value),
                )
            )
        return tuple(keys)

    def _compare(self, search: Sequence[KeyValue], item: BtreeItem) -> int | None:
        """_bt_compare(search, tuple) for a search key without heap TID."""
        if item.kind is BtItemKind.MINUS_INFINITY:
            return 1
        if item.keys is None or self.index is None:
            return None
        stored = item.keys[: self.index.nkeyatts]
        result = compare_keys(self.index, search, stored)
        if result is None or result != 0:
            return result
        ntupatts = len(stored)
        if len(search) > ntupatts:
            return 1  # the tuple's missing attributes are minus infinity
        if (
            self.heapkeyspace
            and item.is_pivot
            and item.heap_tid is None
            and len(search) == ntupatts
        ):
            return 1  # a truncated heap TID is minus infinity too
        return 0

    def path_to(
        self, values: Sequence[object], *, start: int | None = None
    ) -> tuple[PathStep, ...]:
        """The pages _bt_search visits for ``values`` (key columns in order; None is NULL),
        from the root (or ``start``) to the leaf where the first equal key is or would be."""
        search = self.search_key(values)
        blkno = start if start is not None else self.root()
        path: list[PathStep] = []
        seen: set[int] = set()
        moved = False
        while blkno is not None and blkno not in seen:
            seen.add(blkno)
            page = self.btree_page(blkno)
            if page is None or page.opaque is None:
                break
            o = page.opaque
            high = page.high_key
            if high is not None and not o.is_rightmost:
                cmp = self._compare(search, high)
                if cmp is not None and cmp > 0:  # _bt_moveright: key > high key
                    path.append(PathStep(blkno, o.btpo_level, None, moved_right=moved))
                    blkno, moved = o.btpo_next, True
                    continue
            data = page.data_items()
            if o.is_leaf:
                offnum, found = None, False
                for item in data:
                    cmp = self._compare(search, item)
                    if cmp is None:
                        raise ValueError(
                            f"block {blkno} item {item.offnum}: keys cannot be "
                            "compared (type or collation not understood)"
                        )
                    if cmp <= 0:
                        offnum, found = item.offnum, cmp == 0
                        break
                if offnum is None:
                    offnum = (data[-1].offnum + 1) if data else o.first_data_key
                path.append(PathStep(blkno, 0, offnum, found, moved))
                break
            chosen = None
            for item in data:
                cmp = self._compare(search, item)
                if cmp is None:
                    raise ValueError(
                        f"block {blkno} item {item.offnum}: keys cannot be "
                        "compared (type or collation not understood)"
                    )
                if cmp > 0:
                    chosen = item
                else:
                    break
            if chosen is None or chosen.downlink is None:
                path.append(PathStep(blkno, o.btpo_level, None, moved_right=moved))
                break
            path.append(PathStep(blkno, o.btpo_level, chosen.offnum, moved_right=moved))
            blkno, moved = chosen.downlink, False
        return tuple(path)

    # -- statistics --------------------------------------------------------------------------

    def statistics(self, major: int | None = None) -> BtreeStatistics:
        """pgstatindex() as the given server major computes it, plus our own figures."""
        major = major or NEWEST_MAJOR
        exact = major >= PGSTATINDEX_EXACT_FREE_SPACE_FROM
        internal = leaf = empty = deleted = fragments = 0
        max_avail = free_space = 0
        for blkno in range(1, self.nblocks):
            s = self.summaries.get(blkno)
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
        page_size = next((s.size for s in self.summaries.values() if s.size), C.BLCKSZ)
        meta = self.meta
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
        acc = self._acc
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

    def check(self) -> tuple[Finding, ...]:
        """Every page diagnostic and every structural problem found, in block order."""
        findings = list(self._page_findings)
        findings += _check_meta(self)
        findings += _check_levels(self)
        findings += _check_downlinks(self)
        findings += _check_bounds(self)
        order = {Severity.ERROR: 0, Severity.WARNING: 1}
        findings.sort(
            key=lambda f: (
                f.block if f.block is not None else -1,
                f.item or 0,
                order.get(f.severity, 2),
            )
        )
        return tuple(findings)


def round2(value: float) -> float:
    """psprintf("%.2f") read back as a number."""
    return float(f"{value:.2f}")


# ----------------------------------------------------------------------------------------------
# scanning


def scan_index(
    source: PageSource,
    *,
    index: IndexDescription | None = None,
    major: int | None = None,
    name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    fast: bool = True,
) -> BtreeIndex:
    """Read every block of a btree index's main fork once.

    Without key columns (``index`` None) healthy pages go through the bulk path
    (:func:`fast_page`: struct over the bytes, no page model); any page it is not sure about
    is decoded in full, so the result is the same either way (a test proves it on every
    fixture page). Typed keys need the full decoder on every page.
    """
    options = BtreeDecodeOptions(index=index, major=major)

    def load(blkno: int) -> Page:
        return decode_btree_page(source.read_page(blkno, "main"), options=options)

    def pages() -> Iterator[tuple[int, Page | FastPage]]:
        for raw in source.pages("main"):
            quick = fast_page(raw) if fast and index is None and raw.blkno else None
            yield raw.blkno, quick if quick is not None else decode_btree_page(raw, options=options)

    nblocks = source.nblocks("main")
    return build_index(
        pages(),
        nblocks=nblocks,
        loader=load,
        index=index,
        name=name or source.name,
        progress=progress,
    )


def build_index(
    pages: Iterable[tuple[int, Page | FastPage]],
    *,
    nblocks: int,
    loader: PageLoader,
    index: IndexDescription | None = None,
    name: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> BtreeIndex:
    acc = _Accumulator()
    summaries: dict[int, PageSummary] = {}
    findings: list[Finding] = []
    meta: BtreeMeta | None = None
    for count, (blkno, page) in enumerate(pages, 1):
        if isinstance(page, FastPage):
            summaries[blkno] = page.merge_into(acc)
            if progress is not None:
                progress(count, nblocks)
            continue
        if isinstance(page, BtreeMetaPage) and blkno == C.BTREE_METAPAGE:
            meta = page.meta
        summaries[blkno] = _summarize(page, acc)
        findings.extend(_page_findings(page))
        if isinstance(page, BtreePage) and page.opaque is not None and not page.opaque.ignore:
            findings.extend(_check_page_order(page, index))
        if blkno == C.BTREE_METAPAGE and not isinstance(page, BtreeMetaPage):
            findings.append(
                Finding(
                    Severity.ERROR,
                    "bt-no-metapage",
                    blkno,
                    None,
                    f"block 0 is a {page.kind} page, not the btree metapage",
                )
            )
        if progress is not None:
            progress(count, nblocks)
    return BtreeIndex(name, nblocks, summaries, meta, acc, findings, loader, index)


# ----------------------------------------------------------------------------------------------
# the bulk path: healthy btree pages summarised straight from the bytes

_PAGE_HEADER = struct.Struct(struct_format(PageHeaderData))
_OPAQUE = struct.Struct(struct_format(BTPageOpaqueData))
_ITUP = struct.Struct(struct_format(IndexTupleData))
_TID = struct.Struct(struct_format(ItemPointerData))
_OPAQUE_SIZE = _OPAQUE.size
_ITUP_SIZE = _ITUP.size
_TID_SIZE = _TID.size
_KNOWN_FLAGS = 0x1FF  # BTP_LEAF .. BTP_HAS_FULLXID
_IGNORE = C.BTP_DELETED | C.BTP_HALF_DEAD | C.BTP_META


@dataclass(frozen=True, slots=True)
class FastPage:
    """What the bulk path found on one page: its summary, its level's figures and its leaf
    key widths -- exactly what :func:`_summarize` takes from the decoded page."""

    summary: PageSummary
    stats: LevelStats
    widths: tuple[int, ...]

    def merge_into(self, acc: _Accumulator) -> PageSummary:
        level = acc.level(self.stats.level)
        for name in LevelStats.__dataclass_fields__:
            if name != "level":
                setattr(level, name, getattr(level, name) + getattr(self.stats, name))
        acc.widths.update(self.widths)
        return self.summary


class _Unsure(Exception):
    """The page has something only the full decoder reports faithfully."""


def fast_page(raw: RawPage) -> FastPage | None:
    """The bulk path for one live (neither deleted nor half-dead) btree page whose every
    pointer, tuple and posting list is well formed and whose checksum holds; None for
    anything else, which the caller decodes in full."""
    try:
        return _fast(raw)
    except (_Unsure, struct.error, IndexError):
        return None


def _fast(raw: RawPage) -> FastPage:
    data = raw.data
    size = len(data)
    hi, lo, _checksum, pd_flags, lower, upper, special, pagesize_version, prune = (
        _PAGE_HEADER.unpack_from(data, 0)
    )
    if (
        pagesize_version != (size | C.PG_PAGE_LAYOUT_VERSION)
        or pd_flags & ~C.PD_VALID_FLAG_BITS
        or not C.SizeOfPageHeaderData <= lower <= upper <= special
        or special != size - _OPAQUE_SIZE
        or (lower - C.SizeOfPageHeaderData) % C.SizeOfItemIdData
    ):
        raise _Unsure
    prev, nxt, level, flags, cycleid = _OPAQUE.unpack_from(data, special)
    leaf = bool(flags & C.BTP_LEAF)
    if (
        flags & ~_KNOWN_FLAGS
        or flags & _IGNORE
        or cycleid > C.MAX_BT_CYCLE_ID
        or (prev == nxt != C.P_NONE)
        or leaf != (level == 0)
    ):
        raise _Unsure
    header = PageHeader(
        (hi << 32) | lo, _checksum, pd_flags, lower, upper, special, pagesize_version, prune
    )
    log = DiagnosticLog()
    compute_checksum(data, header, raw.blkno, raw.checksum_verifiable, False, log)
    if log.items:
        raise _Unsure
    nitems = (lower - C.SizeOfPageHeaderData) // C.SizeOfItemIdData
    words = struct.unpack_from(f"<{nitems}I", data, C.SizeOfPageHeaderData)
    rightmost = nxt == C.P_NONE
    first_data = C.P_HIKEY if rightmost else C.P_FIRSTKEY
    stats = LevelStats(
        level, pages=1, page_bytes=special - C.SizeOfPageHeaderData, free_bytes=upper - lower
    )
    widths: list[int] = []
    extents: list[tuple[int, int]] = []
    high = first = last = None
    links: list[tuple[KeyRef, int]] = []
    for index, word in enumerate(words):
        offnum = index + 1
        off = word & LP_OFF_MASK
        lp_flags = (word >> LP_FLAGS_SHIFT) & 0x3
        length = (word >> LP_LEN_SHIFT) & 0x7FFF
        dead = lp_flags == C.LP_DEAD
        if (
            not (lp_flags == C.LP_NORMAL or dead)
            or length < _ITUP_SIZE
            or off < C.SizeOfPageHeaderData
            or off + length > size
            or off & 7
        ):
            raise _Unsure
        extents.append((off, off + length))
        bi_hi, bi_lo, posid, t_info = _ITUP.unpack_from(data, off)
        if t_info & C.INDEX_SIZE_MASK != length:
            raise _Unsure
        stop = off + length
        data_at = off + _ITUP_SIZE
        if t_info & C.INDEX_NULL_MASK:
            data_at = off + C.maxalign(_ITUP_SIZE + C.SizeOfIndexAttributeBitMapData)
            if data_at > stop:
                raise _Unsure
            stats.padding_bytes += data_at - off - _ITUP_SIZE - C.SizeOfIndexAttributeBitMapData
        block = (bi_hi << 16) | bi_lo
        alt = bool(t_info & C.INDEX_ALT_TID_MASK)
        posting = alt and bool(posid & C.BT_IS_POSTING)
        if offnum == C.P_HIKEY and not rightmost:
            kind = BtItemKind.HIGH_KEY
        elif not leaf:
            kind = BtItemKind.MINUS_INFINITY if offnum == first_data else BtItemKind.PIVOT
        else:
            kind = BtItemKind.POSTING if posting else BtItemKind.LEAF
        if dead and kind.is_pivot:
            raise _Unsure
        key_end = stop
        natts: int | None = None
        heap_tid: ItemPointer | None = None
        last_tid: ItemPointer | None = None
        stats.items += 1
        stats.tuple_bytes += length
        if dead:
            stats.dead_items += 1
        else:
            stats.live_items += 1
        if posting:
            if kind is not BtItemKind.POSTING:
                raise _Unsure
            count = posid & C.BT_OFFSET_MASK
            at = off + block
            if block & 7 or not data_at <= at <= stop or count < 2 or at + count * _TID_SIZE > stop:
                raise _Unsure
            tids = list(_TID.iter_unpack(data[at : at + count * _TID_SIZE]))
            previous = (-1, -1)
            for t_hi, t_lo, t_off in tids:
                current = ((t_hi << 16) | t_lo, t_off)
                if t_off == 0 or current <= previous:
                    raise _Unsure
                previous = current
            key_end = at
            stats.padding_bytes += stop - (at + count * _TID_SIZE)
            stats.posting_tuples += 1
            stats.posting_tids += count
            stats.heap_tids += count
            stats.dedup_saved_bytes += count * (block + C.SizeOfItemIdData) - (
                length + C.SizeOfItemIdData
            )
            head = tids[0]
            heap_tid = ItemPointer((head[0] << 16) | head[1], head[2])
            tail = tids[-1]
            last_tid = ItemPointer((tail[0] << 16) | tail[1], tail[2])
        elif alt:
            if kind is BtItemKind.LEAF:
                raise _Unsure
            natts = posid & C.BT_OFFSET_MASK
            if (kind is BtItemKind.MINUS_INFINITY and natts) or (
                kind is BtItemKind.PIVOT and natts == 0
            ):
                raise _Unsure
            if posid & C.BT_PIVOT_HEAP_TID_ATTR:
                tid_at = stop - _TID_SIZE
                key_end = stop - C.maxalign(_TID_SIZE)
                if key_end < data_at:
                    raise _Unsure
                stats.padding_bytes += tid_at - key_end
                t_hi, t_lo, t_off = _TID.unpack_from(data, tid_at)
                heap_tid = ItemPointer((t_hi << 16) | t_lo, t_off)
        elif kind is BtItemKind.LEAF or (kind is BtItemKind.HIGH_KEY and leaf):
            if kind is BtItemKind.LEAF and posid == 0:
                raise _Unsure
            heap_tid = ItemPointer(block, posid)
        if kind is BtItemKind.LEAF:
            stats.leaf_tuples += 1
            stats.heap_tids += 1
        key_len = max(0, key_end - data_at)
        stats.key_bytes += key_len
        if kind in (BtItemKind.LEAF, BtItemKind.POSTING):
            widths.append(key_len)
        needs_ref = kind is BtItemKind.HIGH_KEY or not leaf or offnum in (first_data, nitems)
        if not needs_ref:
            continue
        ref = KeyRef(offnum, data[data_at : data_at + key_len], natts, heap_tid, None, last_tid)
        if kind is BtItemKind.HIGH_KEY:
            stats.high_keys += 1
            high = ref
            continue
        if first is None:
            first = ref
        last = ref
        if not leaf:
            stats.pivots += 1
            links.append((ref, block))
    # the items must tile pd_upper .. pd_special exactly (no gap, no overlap)
    extents.sort()
    cursor = upper
    for start, stop in extents:
        if start != cursor:
            raise _Unsure
        cursor = stop
    if cursor != special:
        raise _Unsure
    summary = PageSummary(
        blkno=raw.blkno,
        kind=PageKind.BTREE,
        page_type="l" if leaf else ("r" if flags & C.BTP_ROOT else "i"),
        btpo_prev=prev,
        btpo_next=nxt,
        level=level,
        btpo_flags=flags,
        pd_lower=lower,
        pd_upper=upper,
        pd_special=special,
        size=size,
        nitems=nitems,
        high_key=high,
        first_data=first,
        last_data=last,
        downlinks=tuple(links),
    )
    return FastPage(summary, stats, tuple(widths))


# ----------------------------------------------------------------------------------------------
# checks


def _err(code: str, block: int | None, item: int | None, message: str) -> Finding:
    return Finding(Severity.ERROR, code, block, item, message)


def _warn(code: str, block: int | None, item: int | None, message: str) -> Finding:
    return Finding(Severity.WARNING, code, block, item, message)


def _check_meta(idx: BtreeIndex) -> Iterator[Finding]:
    meta = idx.meta
    if meta is None:
        return
    for what, blkno, level in (
        ("btm_root", meta.btm_root, meta.btm_level),
        ("btm_fastroot", meta.btm_fastroot, meta.btm_fastlevel),
    ):
        if blkno == C.P_NONE:
            continue  # an empty index: no root yet
        s = idx.summaries.get(blkno)
        if s is None or not s.is_btree:
            yield _err(
                "bt-meta-root",
                0,
                None,
                f"{what} {blkno} is not a btree page of the index ({idx.nblocks} blocks)",
            )
            continue
        if not s.live:
            yield _err(
                "bt-meta-root",
                0,
                None,
                f"{what} {blkno} is a {s.page_type!r} page (deleted or half-dead)",
            )
        elif s.level != level:
            yield _err(
                "bt-meta-level",
                0,
                None,
                f"{what} {blkno} is at level {s.level}, the metapage says {level}",
            )
    root = idx.summaries.get(meta.btm_root)
    if root is not None and root.is_btree and root.live:
        if not root.has(C.BTP_ROOT):
            yield _err("bt-root-flag", root.blkno, None, "the metapage's root page lacks BTP_ROOT")
        if root.btpo_prev != C.P_NONE or root.btpo_next != C.P_NONE:
            yield _err(
                "bt-root-siblings",
                root.blkno,
                None,
                f"the root page has siblings ({root.btpo_prev}, {root.btpo_next})",
            )
    for s in idx.summaries.values():
        if s.live and s.has(C.BTP_ROOT) and s.blkno != meta.btm_root:
            yield _err(
                "bt-root-flag",
                s.blkno,
                None,
                f"BTP_ROOT is set but the metapage's root is {meta.btm_root}",
            )
    top = max(
        (s.level for s in idx.summaries.values() if s.live and s.level is not None), default=None
    )
    if top is not None and meta.btm_root != C.P_NONE and top > meta.btm_level:
        yield _err(
            "bt-meta-level",
            0,
            None,
            f"pages reach level {top}, above the root's level {meta.btm_level}",
        )


def _check_levels(idx: BtreeIndex) -> Iterator[Finding]:
    """Sibling links agree both ways, each level is one chain from its leftmost page."""
    summaries = idx.summaries
    by_level: dict[int, list[PageSummary]] = {}
    for s in summaries.values():
        if s.in_chain and s.level is not None:
            by_level.setdefault(s.level, []).append(s)
            if (s.level == 0) != s.has(C.BTP_LEAF):
                yield _err(
                    "bt-leaf-level",
                    s.blkno,
                    None,
                    f"level {s.level} with{'out' if not s.has(C.BTP_LEAF) else ''} BTP_LEAF",
                )
    for level, pages in sorted(by_level.items()):
        leftmost = [s for s in pages if s.btpo_prev == C.P_NONE]
        if len(leftmost) != 1:
            names = ", ".join(str(s.blkno) for s in leftmost) or "none"
            yield _err(
                "bt-leftmost",
                leftmost[1].blkno if len(leftmost) > 1 else None,
                None,
                f"level {level} has {len(leftmost)} leftmost pages ({names})",
            )
        reached: set[int] = set()
        for start in leftmost:
            current = start
            while True:
                if current.blkno in reached:
                    yield _err(
                        "bt-sibling-cycle",
                        current.blkno,
                        None,
                        f"the right links of level {level} loop back to {current.blkno}",
                    )
                    break
                reached.add(current.blkno)
                nxt = current.btpo_next
                if nxt == C.P_NONE:
                    break
                target = summaries.get(nxt)
                if target is None or not target.is_btree:
                    yield _err(
                        "bt-right-link",
                        current.blkno,
                        None,
                        f"btpo_next {nxt} is not a btree page of the index ({idx.nblocks} blocks)",
                    )
                    break
                if target.deleted:
                    yield _err(
                        "bt-right-link", current.blkno, None, f"btpo_next {nxt} is a deleted page"
                    )
                    break
                if target.btpo_prev != current.blkno:
                    yield _err(
                        "bt-sibling-link",
                        nxt,
                        None,
                        f"left link/right link pair not in agreement: block "
                        f"{current.blkno}'s btpo_next is {nxt}, whose btpo_prev is "
                        f"{target.btpo_prev}",
                    )
                if target.level != level:
                    yield _err(
                        "bt-sibling-level",
                        nxt,
                        None,
                        f"right sibling of block {current.blkno} (level {level}) is "
                        f"at level {target.level}",
                    )
                    break
                current = target
        for s in pages:
            if s.blkno not in reached:
                yield _err(
                    "bt-unreachable",
                    s.blkno,
                    None,
                    f"level {level} page not reached from the leftmost page along btpo_next",
                )
            if s.btpo_prev != C.P_NONE:
                left = summaries.get(s.btpo_prev)
                if left is None or not left.is_btree:
                    yield _err(
                        "bt-left-link",
                        s.blkno,
                        None,
                        f"btpo_prev {s.btpo_prev} is not a btree page of the index",
                    )
                elif left.in_chain and left.btpo_next != s.blkno and left.level == level:
                    yield _err(
                        "bt-sibling-link",
                        s.blkno,
                        None,
                        f"left link/right link pair not in agreement: btpo_prev is "
                        f"{s.btpo_prev}, whose btpo_next is {left.btpo_next}",
                    )


def _child_run(idx: BtreeIndex, child: PageSummary) -> PageSummary:
    """The page whose high key bounds ``child`` in its parent: child itself, or the right
    half of an incomplete split (BTP_INCOMPLETE_SPLIT: the right sibling's downlink is
    missing) or the half-dead page after it."""
    current = child
    seen = {child.blkno}
    while current.has(C.BTP_INCOMPLETE_SPLIT) and current.btpo_next != C.P_NONE:
        nxt = idx.summaries.get(current.btpo_next)
        if nxt is None or nxt.blkno in seen:
            break
        seen.add(nxt.blkno)
        current = nxt
    return current


def _check_downlinks(idx: BtreeIndex) -> Iterator[Finding]:
    """Downlinks point one level down, children are consecutive siblings, separators equal
    the child high keys, and every page but the root has a parent."""
    summaries = idx.summaries
    parent_of: dict[int, int] = {}
    for s in summaries.values():
        if not s.live or s.has(C.BTP_LEAF) or s.level is None:
            continue
        children = s.downlinks
        for position, (ref, child_no) in enumerate(children):
            child = summaries.get(child_no)
            if child is None or not child.is_btree:
                yield _err(
                    "bt-downlink",
                    s.blkno,
                    ref.offnum,
                    f"downlink to block {child_no}, not a btree page of the index "
                    f"({idx.nblocks} blocks)",
                )
                continue
            if child_no in parent_of:
                yield _err(
                    "bt-downlink-twice",
                    s.blkno,
                    ref.offnum,
                    f"block {child_no} already has a downlink in block {parent_of[child_no]}",
                )
            parent_of[child_no] = s.blkno
            if child.deleted or child.half_dead:
                yield _err(
                    "bt-downlink-dead",
                    s.blkno,
                    ref.offnum,
                    f"downlink to block {child_no}, a "
                    f"{'deleted' if child.deleted else 'half-dead'} page",
                )
                continue
            if child.level != s.level - 1:
                yield _err(
                    "bt-downlink-level",
                    s.blkno,
                    ref.offnum,
                    f"downlink from level {s.level} to block {child_no} at level "
                    f"{child.level} (expected {s.level - 1})",
                )
                continue
            bound = _child_run(idx, child)
            if position + 1 < len(children):
                separator, right_no = children[position + 1]
                if bound.btpo_next != right_no and not _skippable(idx, bound, right_no):
                    yield _err(
                        "bt-downlink-order",
                        s.blkno,
                        separator.offnum,
                        f"downlink to block {right_no} follows block {child_no}, "
                        f"whose right sibling is {bound.btpo_next}",
                    )
                if bound.high_key is None:
                    yield _err(
                        "bt-child-highkey",
                        bound.blkno,
                        None,
                        f"has no high key, yet block {s.blkno} item "
                        f"{separator.offnum} separates it from block {right_no}",
                    )
                elif bound.high_key.identity != separator.identity:
                    yield _err(
                        "bt-child-highkey",
                        bound.blkno,
                        C.P_HIKEY,
                        f"high key differs from the separator key of block {s.blkno} "
                        f"item {separator.offnum}",
                    )
            elif s.high_key is None:
                if bound.btpo_next != C.P_NONE and not _skippable(idx, bound, C.P_NONE):
                    yield _err(
                        "bt-downlink-order",
                        s.blkno,
                        ref.offnum,
                        f"the rightmost page of level {s.level} ends with block "
                        f"{child_no}, whose right sibling is {bound.btpo_next}",
                    )
            elif bound.high_key is None or bound.high_key.identity != s.high_key.identity:
                yield _err(
                    "bt-child-highkey",
                    bound.blkno,
                    C.P_HIKEY,
                    f"high key differs from the high key of its parent, block {s.blkno}",
                )
    meta_root = idx.root()
    for s in summaries.values():
        if (
            s.live
            and s.level is not None
            and s.blkno != meta_root
            and s.blkno not in parent_of
            and not s.has(C.BTP_ROOT)
        ):
            left = summaries.get(s.btpo_prev)
            if left is not None and left.has(C.BTP_INCOMPLETE_SPLIT):
                continue
            if meta_root is not None and s.level >= (idx.meta.btm_level if idx.meta else 0):
                continue
            yield _err(
                "bt-no-downlink",
                s.blkno,
                None,
                f"no page of level {s.level + 1} has a downlink to this level {s.level} page",
            )


def _skippable(idx: BtreeIndex, start: PageSummary, target: int) -> bool:
    """Pages between ``start`` and ``target`` are all half-dead (their downlinks are gone)."""
    current = start.btpo_next
    seen: set[int] = set()
    while current not in (target, C.P_NONE) and current not in seen:
        seen.add(current)
        s = idx.summaries.get(current)
        if s is None or not s.half_dead:
            return False
        current = s.btpo_next
    return current == target


def _check_bounds(idx: BtreeIndex) -> Iterator[Finding]:
    """Typed keys: the left sibling's high key bounds a page's first item from below."""
    index = idx.index
    if index is None:
        return
    for s in idx.summaries.values():
        if not s.live or s.first_data is None or s.btpo_prev == C.P_NONE:
            continue
        left = idx.summaries.get(s.btpo_prev)
        if left is None or left.high_key is None or left.high_key.keys is None:
            continue
        first = s.first_data
        if first.keys is None or (not s.has(C.BTP_LEAF) and first.offnum == _first_key(s)):
            continue  # the minus-infinity item has no key
        cmp = compare_keys(
            index, first.keys[: index.nkeyatts], left.high_key.keys[: index.nkeyatts]
        )
        if cmp is not None and cmp < 0:
            yield _err(
                "bt-lower-bound",
                s.blkno,
                first.offnum,
                f"first data item sorts before the high key of the left sibling, "
                f"block {left.blkno}",
            )


def _first_key(s: PageSummary) -> int:
    return C.P_HIKEY if s.btpo_next == C.P_NONE else C.P_FIRSTKEY


def _tid_key(tid: ItemPointer | None) -> tuple[int, int]:
    return (tid.block, tid.offset) if tid is not None else (-1, -1)


def _check_page_order(page: BtreePage, index: IndexDescription | None) -> Iterator[Finding]:
    """Items in key order and below the high key (typed keys), heap TIDs ascending among
    equal keys on leaf pages of version 4 indexes."""
    if index is None or page.opaque is None:
        return
    leaf = page.opaque.is_leaf
    nkey = index.nkeyatts
    previous: BtreeItem | None = None
    high = page.high_key
    for item in page.data_items():
        if item.keys is None or item.kind in (
            BtItemKind.MINUS_INFINITY,
            BtItemKind.NO_STORAGE,
            BtItemKind.UNDECODABLE,
        ):
            previous = item if item.kind is not BtItemKind.MINUS_INFINITY else None
            continue
        keys = item.keys[:nkey]
        if previous is not None and previous.keys is not None:
            before = previous.keys[:nkey]
            common = min(len(before), len(keys))
            cmp = compare_keys(index, before[:common], keys[:common])
            if cmp is not None and cmp > 0:
                yield _err(
                    "bt-order", page.blkno, item.offnum, f"item sorts before item {previous.offnum}"
                )
            elif (
                cmp == 0
                and leaf
                and len(before) == len(keys) == nkey
                and previous.heap_tids
                and item.heap_tids
                and _tid_key(previous.heap_tids[-1]) >= _tid_key(item.heap_tids[0])
            ):
                yield _err(
                    "bt-order-tid",
                    page.blkno,
                    item.offnum,
                    f"equal key but heap TID {item.heap_tids[0]} is not above item "
                    f"{previous.offnum}'s {previous.heap_tids[-1]}",
                )
        if high is not None and high.keys is not None:
            bound = high.keys[:nkey]
            common = min(len(bound), len(keys))
            cmp = compare_keys(index, keys[:common], bound[:common])
            if cmp is not None and cmp > 0:
                yield _err(
                    "bt-high-key", page.blkno, item.offnum, "item sorts after the page's high key"
                )
        previous = item
