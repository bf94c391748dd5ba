"""What fills each page of a relation, fast enough to map every block of a large relation.

A :class:`PageFill` sums a page's bytes into a few :class:`Fill` categories (headers, tuple
data, padding, dead items, unused bytes, free space, special space) and counts its line
pointers by state. Two paths compute it:

* :func:`fill_from_page` from a decoded :class:`~pageinspect_py.decode.page.Page`: the
  reference, derived from the regions that tile the page;
* :func:`page_fill` straight from the bytes with ``struct``: the bulk path for page maps and
  relation totals. Its offsets come from the layouts (``PAGE_HEADER_OFFSETS``,
  ``HEAP_TUPLE_HEADER_OFFSETS``, the ``ItemIdWord`` masks); it follows the same tiling rules
  as ``decode/page.py`` and hands every page it is not sure about (corrupt pointers,
  overlaps, map and meta pages, unknown kinds) to the full decoder, so the two paths agree on
  every page. A test proves it on every fixture page.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Region, RegionKind, Severity, Span
from pageinspect_py.decode.page import (
    ChecksumStatus,
    DiagnosticLog,
    Page,
    PageHeader,
    PageKind,
    compute_checksum,
    is_item_padding,
)
from pageinspect_py.decode.tuple import PageValues
from pageinspect_py.errors import CorruptPageError
from pageinspect_py.page import arrays
from pageinspect_py.page.header import read_header
from pageinspect_py.page.heaptuple import (
    TUPLE_HEADER_STRUCT,
    ChainItem,
    chain_material,
    chain_problems,
    decodes_as_tuple,
    null_bitmap_length,
    tuple_header_problems,
)
from pageinspect_py.page.items import item_id_count, item_id_problems, item_id_words, split_item_id
from pageinspect_py.page.raw import Chunk


class Fill(enum.StrEnum):
    """What a byte of a page is used for, coarser than :class:`RegionKind`."""

    HEADERS = "headers"  #: page header, line pointers, tuple headers, null bitmaps, OIDs
    DATA = "data"  #: tuple data, index tuples, map contents, the btree metapage
    PADDING = "padding"  #: alignment padding after items, padding before t_hoff
    DEAD = "dead"  #: bytes still held by items whose line pointer is LP_DEAD
    UNUSED = "unused"  #: bytes in the item area that no line pointer claims
    FREE = "free"  #: the hole between pd_lower and pd_upper
    SPECIAL = "special"  #: special space (index opaque data)
    NEW = "new"  #: an all-zero page, never initialised
    UNKNOWN = "unknown"  #: bytes whose meaning is not understood


FILLS: tuple[Fill, ...] = tuple(Fill)
_INDEX = {fill: index for index, fill in enumerate(FILLS)}

#: RegionKind -> Fill for bytes that do not belong to an item
_REGION_FILL: dict[RegionKind, Fill] = {
    RegionKind.PAGE_HEADER: Fill.HEADERS,
    RegionKind.LINE_POINTER: Fill.HEADERS,
    RegionKind.TUPLE_HEADER: Fill.HEADERS,
    RegionKind.NULL_BITMAP: Fill.HEADERS,
    RegionKind.OID: Fill.HEADERS,
    RegionKind.HEADER_PADDING: Fill.PADDING,
    RegionKind.ALIGNMENT_PADDING: Fill.PADDING,
    RegionKind.TUPLE_DATA: Fill.DATA,
    RegionKind.ITEM: Fill.DATA,
    RegionKind.FSM_NODES: Fill.DATA,
    RegionKind.METADATA: Fill.DATA,
    RegionKind.POSTING_LIST: Fill.DATA,
    RegionKind.HEAP_TID: Fill.DATA,
    RegionKind.VM_BITS: Fill.DATA,
    RegionKind.FREE_SPACE: Fill.FREE,
    RegionKind.UNUSED: Fill.UNUSED,
    RegionKind.SPECIAL: Fill.SPECIAL,
    RegionKind.ZERO: Fill.NEW,
    RegionKind.UNKNOWN: Fill.UNKNOWN,
}
#: heap pages split their tuples into headers, padding and data; other pages (index tuples)
#: count each item as data
_HEAP_KINDS = (PageKind.HEAP, PageKind.SEQUENCE)


@dataclass(frozen=True, slots=True)
class PageFill:
    """Bytes per :class:`Fill` category and line pointers per state, for one block."""

    blkno: int
    kind: PageKind
    size: int
    bytes: tuple[int, ...]  #: one count per :data:`FILLS` entry, summing to ``size``
    lp_normal: int = 0
    lp_redirect: int = 0
    lp_dead: int = 0
    lp_unused: int = 0
    errors: int = 0  #: error diagnostics (checksum mismatch included)
    checksum: ChecksumStatus = ChecksumStatus.NOT_APPLICABLE

    def get(self, fill: Fill) -> int:
        return self.bytes[_INDEX[fill]]

    @property
    def line_pointers(self) -> int:
        return self.lp_normal + self.lp_redirect + self.lp_dead + self.lp_unused

    @property
    def used(self) -> int:
        """Bytes not free: everything but the free-space hole and all-zero pages."""
        return self.size - self.get(Fill.FREE) - self.get(Fill.NEW)

    @property
    def used_fraction(self) -> float:
        return self.used / self.size if self.size else 0.0

    def dominant(self) -> Fill:
        """The category holding the most bytes among those that are not free space."""
        candidates = [f for f in FILLS if f is not Fill.FREE]
        best = max(candidates, key=self.get)
        return best if self.get(best) else Fill.FREE

    def as_dict(self) -> dict[str, int]:
        return {fill.value: count for fill, count in zip(FILLS, self.bytes, strict=True)}


@dataclass(slots=True)
class FillTotals:
    """Sums of many :class:`PageFill` records: a relation's totals."""

    pages: int = 0
    size: int = 0
    bytes: list[int] | None = None
    lp_normal: int = 0
    lp_redirect: int = 0
    lp_dead: int = 0
    lp_unused: int = 0
    pages_with_errors: int = 0
    new_pages: int = 0
    checksum_mismatches: int = 0

    def add(self, fill: PageFill, *, sign: int = 1) -> None:
        if self.bytes is None:
            self.bytes = [0] * len(FILLS)
        self.pages += sign
        self.size += sign * fill.size
        for index, count in enumerate(fill.bytes):
            self.bytes[index] += sign * count
        self.lp_normal += sign * fill.lp_normal
        self.lp_redirect += sign * fill.lp_redirect
        self.lp_dead += sign * fill.lp_dead
        self.lp_unused += sign * fill.lp_unused
        self.pages_with_errors += sign * (fill.errors > 0)
        self.new_pages += sign * (fill.kind is PageKind.NEW)
        self.checksum_mismatches += sign * (fill.checksum is ChecksumStatus.MISMATCH)

    def remove(self, fill: PageFill) -> None:
        """Take back a record :meth:`add` counted (a block measured again)."""
        self.add(fill, sign=-1)

    def get(self, fill: Fill) -> int:
        return self.bytes[_INDEX[fill]] if self.bytes is not None else 0


def totals(fills: Iterable[PageFill]) -> FillTotals:
    out = FillTotals()
    for fill in fills:
        out.add(fill)
    return out


# ----------------------------------------------------------------------------------------------
# the reference: from a decoded page's regions


def region_fills(page: Page) -> Iterator[tuple[Region, Fill]]:
    """Every region of a decoded page with the :class:`Fill` its bytes count as: the one fill
    rule, which :func:`fill_from_page` sums and the TUI colours the hex view with.

    On heap pages a tuple splits into headers, padding and data; on other pages (index
    tuples) everything inside an item's ``lp_off .. lp_off + lp_len`` counts as data (its
    internal padding included), so the bulk path need not decode index tuples. Bytes held by
    an ``LP_DEAD`` item are dead; MAXALIGN padding after a heap tuple stays padding.
    """
    flags = {lp.lp: lp.lp_flags for lp in page.line_pointers}
    spans = {lp.lp: lp.item_span for lp in page.line_pointers}
    heap = page.kind in _HEAP_KINDS
    for region in page.regions:
        fill = _REGION_FILL.get(region.kind, Fill.DATA)
        item = region.item
        if item is not None and region.kind is not RegionKind.LINE_POINTER:
            inside = item in spans and spans[item].contains(region.span)
            if region.kind is not RegionKind.ALIGNMENT_PADDING or (not heap and inside):
                if flags.get(item) == C.LP_DEAD:
                    fill = Fill.DEAD
                elif not heap:
                    fill = Fill.DATA
        yield region, fill


def attribute_padding(page: Page, values: PageValues | None) -> Iterator[Span]:
    """The alignment padding between the attributes of the page's tuples not ``LP_DEAD``:
    bytes the regions count as tuple data and the fill as padding, when a relation description
    says where each attribute lies (``values``). This is what a better column order removes."""
    if values is None:
        return
    dead = {lp.lp for lp in page.line_pointers if lp.lp_flags == C.LP_DEAD}
    for tv in values:
        if tv.lp in dead:
            continue
        for att in tv.attributes:
            if att.padding is not None and att.padding.length > 0:
                yield att.padding


def byte_fills(page: Page, values: PageValues | None = None) -> bytes:
    """Per byte of the page: the index into :data:`FILLS` of what it is used for (from
    :func:`region_fills` and :func:`attribute_padding`; bytes no region covers, if any, count
    as ``unknown``)."""
    out = bytearray([_INDEX[Fill.UNKNOWN]]) * page.size
    for region, fill in region_fills(page):
        start, stop = max(region.span.start, 0), min(region.span.stop, page.size)
        if start < stop:
            out[start:stop] = bytes([_INDEX[fill]]) * (stop - start)
    for span in attribute_padding(page, values):
        start, stop = max(span.start, 0), min(span.stop, page.size)
        if start < stop:
            out[start:stop] = bytes([_INDEX[Fill.PADDING]]) * (stop - start)
    return bytes(out)


def fill_from_page(page: Page, values: PageValues | None = None) -> PageFill:
    """Sum a decoded page's regions into fill categories (the rule: :func:`region_fills`);
    with ``values`` (the page's attributes under a relation description) the padding between
    attributes moves from data to padding (:func:`attribute_padding`)."""
    counts = [0] * len(FILLS)
    for region, fill in region_fills(page):
        counts[_INDEX[fill]] += region.span.length
    for span in attribute_padding(page, values):
        counts[_INDEX[Fill.DATA]] -= span.length
        counts[_INDEX[Fill.PADDING]] += span.length
    states = [0, 0, 0, 0]
    for lp in page.line_pointers:
        states[lp.lp_flags] += 1
    errors = sum(1 for d in page.diagnostics if d.severity is Severity.ERROR)
    return PageFill(
        page.blkno,
        page.kind,
        page.size,
        tuple(counts),
        lp_normal=states[C.LP_NORMAL],
        lp_redirect=states[C.LP_REDIRECT],
        lp_dead=states[C.LP_DEAD],
        lp_unused=states[C.LP_UNUSED],
        errors=errors,
        checksum=page.checksum.status,
    )


# ----------------------------------------------------------------------------------------------
# the bulk path: struct over the bytes, the same rules, the decoder for anything unusual


#: line pointer codes that change nothing the fill counts (a warning, no storage)
_HARMLESS_LP_CODES = ("lp-unused-nonzero",)

#: page kinds the bulk path decodes itself; everything else goes to decode_page() (index
#: pages are decoded in full: each access method's decoder checks its tuples, and deleted
#: pages hold other structs where line pointers would be)
_FAST_KINDS = frozenset({PageKind.HEAP, PageKind.SEQUENCE})


class _Unsure(Exception):
    """The bulk path met something only the full decoder reports faithfully."""


def page_fill(
    data: bytes, blkno: int, *, fork: str | None = None, checksum_verifiable: bool = True
) -> PageFill:
    """The fill of one page from its bytes; the same result as ``fill_from_page(decode_page())``.

    Never raises on bad bytes: a page too short for a header is all ``unknown``, with an error.
    """
    from pageinspect_py.decode.dispatch import decode_page, detect_kind

    def full() -> PageFill:
        try:
            return fill_from_page(
                decode_page(data, blkno, fork=fork, checksum_verifiable=checksum_verifiable)
            )
        except CorruptPageError:
            counts = [0] * len(FILLS)
            counts[_INDEX[Fill.UNKNOWN]] = len(data)
            return PageFill(blkno, PageKind.UNKNOWN, len(data), tuple(counts), errors=1)

    if len(data) < C.SizeOfPageHeaderData:
        return full()
    header = PageHeader(*read_header(data))
    kind = detect_kind(data, header, fork)
    if kind is PageKind.NEW:
        counts = [0] * len(FILLS)
        counts[_INDEX[Fill.NEW]] = len(data)
        return PageFill(blkno, kind, len(data), tuple(counts))
    if kind not in _FAST_KINDS or header.version != C.PG_PAGE_LAYOUT_VERSION:
        return full()
    log = DiagnosticLog()
    checksum = compute_checksum(data, header, blkno, checksum_verifiable, False, log)
    try:
        result = _fast(data, header, kind, blkno)
    except _Unsure:
        return full()
    return PageFill(
        result.blkno,
        result.kind,
        result.size,
        result.bytes,
        lp_normal=result.lp_normal,
        lp_redirect=result.lp_redirect,
        lp_dead=result.lp_dead,
        lp_unused=result.lp_unused,
        errors=len(log.items),
        checksum=checksum.status,
    )


def _fast(data: bytes, header: PageHeader, kind: PageKind, blkno: int) -> PageFill:
    size = len(data)
    nitems, partial = item_id_count(header.pd_lower, size)
    if partial or header.pd_lower < C.SizeOfPageHeaderData:
        raise _Unsure
    lower = header.pd_lower
    words = item_id_words(data, nitems)
    # claims: (start, stop, fill, belongs to an item)
    claims: list[tuple[int, int, Fill, bool]] = [(0, C.SizeOfPageHeaderData, Fill.HEADERS, False)]
    if nitems:
        # line pointer regions carry their item number, which matters for the gap rule
        claims.append((C.SizeOfPageHeaderData, lower, Fill.HEADERS, True))
    if header.pd_upper > lower:
        claims.append((lower, header.pd_upper, Fill.FREE, False))
    if header.pd_special < size:
        claims.append((header.pd_special, size, Fill.SPECIAL, False))
    states = [0, 0, 0, 0]
    heap = kind in _HEAP_KINDS
    chain: list[ChainItem] = []
    for word in words:
        lp_off, lp_flags, lp_len = split_item_id(word)
        states[lp_flags] += 1
        codes, inside = item_id_problems(lp_off, lp_flags, lp_len, size, nitems)
        if any(code not in _HARMLESS_LP_CODES for code in codes):
            raise _Unsure
        if not inside or not heap:
            chain.append(ChainItem(lp_flags, lp_off, lp_flags == C.LP_REDIRECT))
        if not inside:
            continue
        dead = lp_flags == C.LP_DEAD
        stop = lp_off + lp_len
        if not heap:
            claims.append((lp_off, stop, Fill.DEAD if dead else Fill.DATA, True))
            continue
        if not decodes_as_tuple(lp_off, lp_len):
            raise _Unsure
        xmin, xmax, _, bi_hi, bi_lo, posid, infomask2, infomask, t_hoff = (
            TUPLE_HEADER_STRUCT.unpack_from(data, lp_off)
        )
        if tuple_header_problems(lp_len, xmin, xmax, infomask2, infomask, t_hoff) or (
            infomask & C.HEAP_HASOID_OLD
        ):
            raise _Unsure
        chain.append(
            ChainItem(
                lp_flags, lp_off, True, xmin, xmax, infomask2, infomask, bi_hi << 16 | bi_lo, posid
            )
        )
        natts = infomask2 & C.HEAP_NATTS_MASK
        hoff = lp_off + t_hoff
        bitmap = null_bitmap_length(natts) if infomask & C.HEAP_HASNULL else 0
        head = C.SizeofHeapTupleHeader + bitmap
        claims.append((lp_off, lp_off + head, Fill.DEAD if dead else Fill.HEADERS, True))
        if lp_off + head < hoff:
            claims.append((lp_off + head, hoff, Fill.DEAD if dead else Fill.PADDING, True))
        if hoff < stop:
            claims.append((hoff, stop, Fill.DEAD if dead else Fill.DATA, True))
    if (
        heap
        and any(chain_material(item, n, blkno) for n, item in enumerate(chain, start=1))
        and chain_problems(chain, blkno)
    ):
        raise _Unsure
    counts = [0] * len(FILLS)
    claims.sort(key=lambda c: (c[0], -c[1]))
    cursor = 0
    previous_is_item = False
    for start, stop, fill, is_item in claims:
        if start < cursor:
            raise _Unsure  # overlap: the decoder reports and clips it
        if start > cursor:
            gap = start - cursor
            padding = is_item_padding(previous_is_item, gap, start)
            counts[_INDEX[Fill.PADDING if padding else Fill.UNUSED]] += gap
        counts[_INDEX[fill]] += stop - start
        cursor = stop
        previous_is_item = is_item
    if cursor < size:
        gap = size - cursor
        padding = is_item_padding(previous_is_item, gap, size)
        counts[_INDEX[Fill.PADDING if padding else Fill.UNUSED]] += gap
    return PageFill(
        blkno,
        kind,
        size,
        tuple(counts),
        lp_normal=states[C.LP_NORMAL],
        lp_redirect=states[C.LP_REDIRECT],
        lp_dead=states[C.LP_DEAD],
        lp_unused=states[C.LP_UNUSED],
    )


#: kernel fill columns -> their place in PageFill.bytes, by name (the kernel cannot import
#: this layer); kernel kind and checksum codes -> ours
_COLUMN_AT = [_INDEX[Fill[column.name]] for column in arrays.FillColumn]
_KIND_OF = {int(arrays.Kind.NEW): PageKind.NEW, int(arrays.Kind.HEAP): PageKind.HEAP}
_CHECKSUM_OF = [ChecksumStatus[code.name] for code in sorted(arrays.Checksum)]


def chunk_fills(chunk: Chunk, *, checksum_verifiable: bool = True) -> list[PageFill]:
    """The fill of every page of a chunk: regular heap and new pages from the numpy kernel
    in one pass, the others through :func:`page_fill`; the same records either way."""
    pages = arrays.pages_array(chunk)
    blknos = np.arange(chunk.first, chunk.first + chunk.count, dtype=np.int64)
    kinds, status = arrays.classify(pages, blknos, fork=chunk.fork, verifiable=checksum_verifiable)
    counts, states, computed = arrays.fills(pages, kinds)
    # in PageFill.bytes order, as Python ints (no numpy scalar per value)
    ordered = np.zeros((chunk.count, len(FILLS)), dtype=np.int64)
    ordered[:, _COLUMN_AT] = counts
    rows, lps = ordered.tolist(), states.tolist()
    out: list[PageFill] = []
    for index, (kind, verdict, done) in enumerate(
        zip(kinds.tolist(), status.tolist(), computed.tolist(), strict=True)
    ):
        blkno = chunk.first + index
        if not done:
            out.append(
                page_fill(
                    chunk.page(index),
                    blkno,
                    fork=chunk.fork,
                    checksum_verifiable=checksum_verifiable,
                )
            )
            continue
        unused, normal, redirect, dead = lps[index]
        out.append(
            PageFill(
                blkno,
                _KIND_OF[kind],
                chunk.block_size,
                tuple(rows[index]),
                lp_normal=normal,
                lp_redirect=redirect,
                lp_dead=dead,
                lp_unused=unused,
                checksum=_CHECKSUM_OF[verdict],
            )
        )
    return out
