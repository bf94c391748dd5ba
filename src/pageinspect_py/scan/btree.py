"""The bulk scan of a btree index: what the whole-index work needs from each page.

Each page becomes a small :class:`PageSummary` (links, level, high key and separators) and adds
its figures to its level's :class:`LevelStats` (:class:`ScanTotals`), so memory stays small
whatever the index size. Two ways to get there, with the same result (a test proves it on every
fixture page and on damaged ones):

* :func:`fast_page`, the bulk path: struct over the bytes, no page model, for a live (neither
  deleted nor half-dead) btree page whose every pointer, tuple and posting list is well formed
  and whose checksum holds -- anything else is irregular (None);
* :func:`summarize`, from a page the full decoder produced (``decode_page(..., btree=...)``).

:func:`index_pages` reads a source's main fork and picks the path per page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pageinspect_py import constants as C
from pageinspect_py.decode.btree import (
    BtItemKind,
    BtreeDecodeOptions,
    BtreeItem,
    BtreeMetaPage,
    BtreePage,
)
from pageinspect_py.decode.btree.keys import KeyValue
from pageinspect_py.decode.btree.structs import (
    DATA_OFFSET_NULLS,
    INDEX_TUPLE_SIZE,
    OPAQUE_SIZE,
    TID,
    TID_SIZE,
)
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.page import arrays
from pageinspect_py.page.raw import Chunk, PageSource, RawPage


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


@dataclass
class ScanTotals:
    """Figures of the pages scanned so far, per level, plus those no level owns."""

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


def summarize(page: Page, acc: ScanTotals) -> PageSummary:
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


# ----------------------------------------------------------------------------------------------
# the bulk path: healthy btree pages summarised straight from the bytes

_IGNORE = C.BTP_DELETED | C.BTP_HALF_DEAD | C.BTP_META
#: header padding after the null bitmap, up to the MAXALIGNed data offset
_BITMAP_PADDING = DATA_OFFSET_NULLS - INDEX_TUPLE_SIZE - C.SizeOfIndexAttributeBitMapData
#: pages read and checksummed at once by the bulk path (8 MiB at 8 kB)
CHUNK_PAGES = 1024


@dataclass(frozen=True, slots=True)
class FastPage:
    """What the bulk path found on one page: its summary, its level's figures and its leaf
    key widths -- exactly what :func:`_summarize` takes from the decoded page."""

    summary: PageSummary
    stats: LevelStats
    widths: tuple[int, ...]

    def merge_into(self, acc: ScanTotals) -> PageSummary:
        level = acc.level(self.stats.level)
        for name in LevelStats.__dataclass_fields__:
            if name != "level":
                setattr(level, name, getattr(level, name) + getattr(self.stats, name))
        acc.widths.update(self.widths)
        return self.summary


def fast_page(raw: RawPage) -> FastPage | None:
    """The bulk path for one page (see :func:`fast_pages`)."""
    chunk = Chunk(raw.blkno, raw.data, "main", len(raw.data))
    return fast_pages(chunk, raw.checksum_verifiable)[0]


def fast_pages(chunk: Chunk, verifiable: bool) -> list[FastPage | None]:
    """The bulk path over a run of pages: for each live (neither deleted nor half-dead)
    btree page the kernel calls regular (``page.arrays.btree_pages``: every pointer, tuple
    and posting list well formed, the checksum no mismatch) and whose items tile pd_upper ..
    pd_special exactly, its summary, level figures and key widths; None for anything else
    (the metapage included), which the caller decodes in full. The figures are array sums;
    only the few items a summary names (high key, first and last data item, an internal
    page's downlinks) are read one by one."""
    pages = arrays.pages_array(chunk)
    n, size = pages.shape
    blknos = np.arange(chunk.first, chunk.first + n, dtype=np.int64)
    found = arrays.classify_pages(pages, blknos, fork="main", verifiable=verifiable).btree
    out: list[FastPage | None] = [None] * n
    if found is None:
        return out
    # the arrays classify read: one pass over the items serves the verdict and the figures
    chosen, lower, upper, opaque, it = (
        found.rows,
        found.lower,
        found.upper,
        found.opaque,
        found.items,
    )
    regular = found.regular & (blknos[chosen] != C.BTREE_METAPAGE)
    special = size - OPAQUE_SIZE
    # the items must tile pd_upper .. pd_special exactly (no gap): else the decoder's
    # regions (padding or unused bytes between items) are the figures to take
    order = np.lexsort((it.off, it.row))
    row_o, begin, end = it.row[order], it.off[order], (it.off + it.length)[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = row_o[1:] == row_o[:-1]
    previous_end = np.empty(len(order), dtype=np.int64)
    previous_end[1:] = end[:-1]
    previous_end[~same] = upper[row_o[~same]]
    regular[row_o[begin != previous_end]] = False
    last = np.ones(len(order), dtype=bool)
    last[:-1] = ~same[1:]
    regular[row_o[last & (end != special)]] = False
    empty = it.counts == 0
    regular[empty & (upper != special)] = False
    figures = _figures(it, len(chosen))
    stop = it.off + it.length
    key_len = np.maximum(0, it.key_end - it.data_at)
    widths_of = it.leaf_item | (it.posting & ~it.high_key)
    width_rows, width_values = it.row[widths_of], key_len[widths_of]
    width_bounds = np.searchsorted(width_rows, np.arange(len(chosen) + 1))
    first_item = np.searchsorted(it.row, np.arange(len(chosen) + 1))
    leaf = opaque.leaf
    for j in np.flatnonzero(regular).tolist():
        index = int(chosen[j])
        data = chunk.page(index)
        level = int(opaque.btpo_level[j])
        stats = LevelStats(level, pages=1, page_bytes=special - C.SizeOfPageHeaderData)
        stats.free_bytes = int(upper[j] - lower[j])
        for name, column in figures.items():
            setattr(stats, name, int(column[j]))
        lo, hi = int(first_item[j]), int(first_item[j + 1])
        is_leaf = bool(leaf[j])
        nitems = hi - lo
        high = first = last_ref = None
        links: list[tuple[KeyRef, int]] = []
        named: Sequence[int] = range(lo, hi)  # an internal page: every downlink
        if is_leaf and nitems:  # a leaf: the high key, the first and the last data item
            named = sorted({lo, min(lo + int(it.high_key[lo]), hi - 1), hi - 1})
        for k in named:
            is_high = bool(it.high_key[k])
            ref = _key_ref_at(data, it, k, is_leaf, int(key_len[k]), int(stop[k]))
            if is_high:
                high = ref
                continue
            if first is None:
                first = ref
            last_ref = ref
            if not is_leaf:
                links.append((ref, int(it.block[k])))
        flags = int(opaque.btpo_flags[j])
        summary = PageSummary(
            blkno=chunk.first + index,
            kind=PageKind.BTREE,
            page_type="l" if is_leaf else ("r" if flags & C.BTP_ROOT else "i"),
            btpo_prev=int(opaque.btpo_prev[j]),
            btpo_next=int(opaque.btpo_next[j]),
            level=level,
            btpo_flags=flags,
            pd_lower=int(lower[j]),
            pd_upper=int(upper[j]),
            pd_special=special,
            size=size,
            nitems=nitems,
            high_key=high,
            first_data=first,
            last_data=last_ref,
            downlinks=tuple(links),
        )
        widths = tuple(width_values[width_bounds[j] : width_bounds[j + 1]].tolist())
        out[index] = FastPage(summary, stats, widths)
    return out


def _figures(it: arrays.BtreeItems, pages: int) -> dict[str, arrays.I64]:
    """The LevelStats counters of each page, summed over its items (bincount per row)."""
    row = it.row
    stop = it.off + it.length
    posting = it.posting & ~it.high_key & ~it.bad
    tids = np.where(posting, it.natts, 0)

    def per_page(values: arrays.I64 | arrays.Bools) -> arrays.I64:
        counted: arrays.I64 = np.bincount(row, weights=values, minlength=pages).astype(np.int64)
        return counted

    padding = (
        np.where(it.nulls, _BITMAP_PADDING, 0)
        + np.where(posting, stop - (it.posting_at + tids * TID_SIZE), 0)
        + np.where(it.pivot_tid, (stop - TID_SIZE) - it.key_end, 0)
    )
    saved = np.where(
        posting, tids * (it.block + C.SizeOfItemIdData) - (it.length + C.SizeOfItemIdData), 0
    )
    heap_tids = np.where(it.leaf_item, 1, 0) + tids
    return {
        "items": per_page(np.ones(len(row), dtype=np.int64)),
        "tuple_bytes": per_page(it.length),
        "dead_items": per_page(it.dead),
        "live_items": per_page(~it.dead),
        "padding_bytes": per_page(padding),
        "posting_tuples": per_page(posting),
        "posting_tids": per_page(tids),
        "heap_tids": per_page(heap_tids),
        "dedup_saved_bytes": per_page(saved),
        "leaf_tuples": per_page(it.leaf_item),
        "key_bytes": per_page(np.maximum(0, it.key_end - it.data_at)),
        "high_keys": per_page(it.high_key),
        "pivots": per_page(it.pivot | it.minus_infinity),
    }


def _key_ref_at(
    data: bytes, it: arrays.BtreeItems, k: int, leaf: bool, key_len: int, stop: int
) -> KeyRef:
    """The KeyRef of item ``k`` (flat index into ``it``) of the page ``data``."""
    data_at = int(it.data_at[k])
    natts: int | None = None
    heap_tid: ItemPointer | None = None
    last_tid: ItemPointer | None = None
    if it.posting[k]:
        at = int(it.posting_at[k])
        heap_tid = _tid_at(data, at)
        last_tid = _tid_at(data, at + (int(it.natts[k]) - 1) * TID_SIZE)
    elif it.alt[k]:
        natts = int(it.natts[k])
        if it.pivot_tid[k]:
            heap_tid = _tid_at(data, stop - TID_SIZE)
    elif it.leaf_item[k] or (it.high_key[k] and leaf):
        # a plain tuple's t_tid is its heap TID (a leaf's plain high key too)
        heap_tid = ItemPointer(int(it.block[k]), int(it.posid[k]))
    return KeyRef(
        int(it.number[k]), data[data_at : data_at + key_len], natts, heap_tid, None, last_tid
    )


def _tid_at(data: bytes, offset: int) -> ItemPointer:
    hi, lo, posid = TID.unpack_from(data, offset)
    return ItemPointer((hi << 16) | lo, posid)


def index_pages(
    source: PageSource, options: BtreeDecodeOptions, *, fast: bool = True
) -> Iterator[tuple[int, Page | FastPage]]:
    """Every block of the main fork once, in block order: the bulk path's result for the
    pages it takes (only without typed keys: they need the decoder), else the decoded page.
    The bulk path reads runs of :data:`CHUNK_PAGES` blocks and checksums each run at once."""
    if not (fast and options.index is None):
        for raw in source.pages("main"):
            yield raw.blkno, decode_page(raw, btree=options)
        return
    verifiable = source.checksum_verifiable
    for chunk in source.chunks("main", pages=CHUNK_PAGES):
        quick = fast_pages(chunk, verifiable)
        for index in range(chunk.count):
            blkno = chunk.first + index
            found = quick[index]
            if found is not None:
                yield blkno, found
            else:
                raw = RawPage(blkno, chunk.page(index), "main", source.origin(blkno), verifiable)
                yield blkno, decode_page(raw, btree=options)
