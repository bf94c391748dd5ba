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

import struct
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
    DATA_OFFSET,
    DATA_OFFSET_NULLS,
    INDEX_TUPLE,
    INDEX_TUPLE_SIZE,
    OPAQUE,
    OPAQUE_SIZE,
    TID,
    TID_SIZE,
)
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.layouts.btree import KNOWN_BTP_FLAGS
from pageinspect_py.page import arrays
from pageinspect_py.page.checksum import Verdict, page_checksum, verdict
from pageinspect_py.page.header import header_problems, read_header
from pageinspect_py.page.items import item_id_count
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


class _Irregular(Exception):
    """The page has something only the full decoder reports faithfully."""


def fast_page(raw: RawPage, checksum: int | None = None) -> FastPage | None:
    """The bulk path for one live (neither deleted nor half-dead) btree page whose every
    pointer, tuple and posting list is well formed and whose checksum holds; None for
    anything else, which the caller decodes in full. ``checksum`` is the page's
    pg_checksum_page when the caller computed it already (the kernel's array form, for a run
    of pages at once)."""
    chunk = Chunk(raw.blkno, raw.data, "main", len(raw.data))
    pointers = _item_pointers(chunk)[0]
    return _attempt(raw.data, raw.blkno, raw.checksum_verifiable, checksum, pointers)


def _attempt(
    data: bytes,
    blkno: int,
    verifiable: bool,
    checksum: int | None,
    pointers: Sequence[tuple[int, int, int]] | None,
) -> FastPage | None:
    if pointers is None:
        return None
    try:
        return _fast(data, blkno, verifiable, checksum, pointers)
    except (_Irregular, struct.error, IndexError):
        return None


def _item_pointers(chunk: Chunk) -> list[list[tuple[int, int, int]] | None]:
    """Per page of the chunk, its line pointers as ``(lp_off, lp_flags, lp_len)`` (the
    kernel's array split, ``page.arrays.FlatItems``) when every one of them is a pointer a
    healthy btree page has -- ``LP_NORMAL`` or ``LP_DEAD`` with at least an IndexTupleData of
    storage, MAXALIGNed, inside the page, for which ``page.items.item_id_problems`` finds
    nothing -- else None (the page goes to the full decoder, which reports the rest)."""
    pages = arrays.pages_array(chunk)
    n, size = pages.shape
    lower = arrays.headers(pages)["pd_lower"].astype(np.int64)
    capacity = (size - C.SizeOfPageHeaderData) // C.SizeOfItemIdData
    counts = np.clip((lower - C.SizeOfPageHeaderData) // C.SizeOfItemIdData, 0, capacity)
    items = arrays.FlatItems(pages, counts)
    off, flags, length = items.lp_off, items.lp_flags, items.lp_len
    sound = (
        ((flags == C.LP_NORMAL) | (flags == C.LP_DEAD))
        & (length >= INDEX_TUPLE_SIZE)
        & (off >= C.SizeOfPageHeaderData)
        & (off + length <= size)
        & (off % C.MAXIMUM_ALIGNOF == 0)
    )
    regular = np.ones(n, dtype=bool)
    regular[items.row[~sound]] = False
    triples = list(zip(off.tolist(), flags.tolist(), length.tolist(), strict=True))
    starts = items.first.tolist()
    return [
        triples[start : start + count] if ok else None
        for start, count, ok in zip(starts, counts.tolist(), regular.tolist(), strict=True)
    ]


def _fast(
    data: bytes,
    blkno: int,
    verifiable: bool,
    checksum: int | None,
    pointers: Sequence[tuple[int, int, int]],
) -> FastPage:
    size = len(data)
    words = read_header(data)
    lower, upper, special = words.pd_lower, words.pd_upper, words.pd_special
    nitems, partial = item_id_count(lower, size)
    if (
        header_problems(words, size)
        or special != size - OPAQUE_SIZE
        or partial
        or nitems != len(pointers)
    ):
        raise _Irregular
    prev, nxt, level, flags, cycleid = OPAQUE.unpack_from(data, special)
    leaf = bool(flags & C.BTP_LEAF)
    if (
        flags & ~KNOWN_BTP_FLAGS
        or flags & _IGNORE
        or cycleid > C.MAX_BT_CYCLE_ID
        or (prev == nxt != C.P_NONE)
        or leaf != (level == 0)
    ):
        raise _Irregular
    if verifiable and words.pd_checksum and size % 128 == 0:
        # a mismatch is the decoder's to report (page/checksum.verdict, one rule for both)
        computed = checksum if checksum is not None else page_checksum(data, blkno)
        if verdict(words.pd_checksum, computed, verifiable) is Verdict.MISMATCH:
            raise _Irregular
    rightmost = nxt == C.P_NONE
    first_data = C.P_HIKEY if rightmost else C.P_FIRSTKEY
    stats = LevelStats(
        level, pages=1, page_bytes=special - C.SizeOfPageHeaderData, free_bytes=upper - lower
    )
    widths: list[int] = []
    extents: list[tuple[int, int]] = []
    high = first = last = None
    links: list[tuple[KeyRef, int]] = []
    for offnum, (off, lp_flags, length) in enumerate(pointers, 1):
        dead = lp_flags == C.LP_DEAD
        extents.append((off, off + length))
        bi_hi, bi_lo, posid, t_info = INDEX_TUPLE.unpack_from(data, off)
        if t_info & C.INDEX_SIZE_MASK != length:
            raise _Irregular
        stop = off + length
        data_at = off + DATA_OFFSET
        if t_info & C.INDEX_NULL_MASK:
            data_at = off + DATA_OFFSET_NULLS
            if data_at > stop:
                raise _Irregular
            stats.padding_bytes += _BITMAP_PADDING
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
            raise _Irregular
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
                raise _Irregular
            count = posid & C.BT_OFFSET_MASK
            at = off + block
            if block & 7 or not data_at <= at <= stop or count < 2 or at + count * TID_SIZE > stop:
                raise _Irregular
            tids = list(TID.iter_unpack(data[at : at + count * TID_SIZE]))
            previous = (-1, -1)
            for t_hi, t_lo, t_off in tids:
                current = ((t_hi << 16) | t_lo, t_off)
                if t_off == 0 or current <= previous:
                    raise _Irregular
                previous = current
            key_end = at
            stats.padding_bytes += stop - (at + count * TID_SIZE)
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
                raise _Irregular
            natts = posid & C.BT_OFFSET_MASK
            if (kind is BtItemKind.MINUS_INFINITY and natts) or (
                kind is BtItemKind.PIVOT and natts == 0
            ):
                raise _Irregular
            if posid & C.BT_PIVOT_HEAP_TID_ATTR:
                tid_at = stop - TID_SIZE
                key_end = stop - C.maxalign(TID_SIZE)
                if key_end < data_at:
                    raise _Irregular
                stats.padding_bytes += tid_at - key_end
                t_hi, t_lo, t_off = TID.unpack_from(data, tid_at)
                heap_tid = ItemPointer((t_hi << 16) | t_lo, t_off)
        elif kind is BtItemKind.LEAF or (kind is BtItemKind.HIGH_KEY and leaf):
            if kind is BtItemKind.LEAF and posid == 0:
                raise _Irregular
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
            raise _Irregular
        cursor = stop
    if cursor != special:
        raise _Irregular
    summary = PageSummary(
        blkno=blkno,
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
        pointers = _item_pointers(chunk)
        sums: list[int | None] = [None] * chunk.count
        if verifiable and chunk.block_size % 128 == 0:
            first = chunk.first
            blknos = np.arange(first, first + chunk.count, dtype=np.int64)
            sums = arrays.checksums(arrays.pages_array(chunk), blknos).tolist()
        for index in range(chunk.count):
            blkno = chunk.first + index
            data = chunk.page(index)
            quick = None
            if blkno != C.BTREE_METAPAGE:
                quick = _attempt(data, blkno, verifiable, sums[index], pointers[index])
            if quick is not None:
                yield blkno, quick
            else:
                raw = RawPage(blkno, data, "main", source.origin(blkno), verifiable)
                yield blkno, decode_page(raw, btree=options)
