"""Heap pages: tuple headers, infomask flags, null bitmaps and tuple data.

The rules for when a tuple header is decoded follow ``heap_page_items()``
(contrib/pageinspect/heapfuncs.c), so our output and pageinspect's agree field by field;
everything that rule hides is reported as a diagnostic instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Field, Region, RegionKind, Span
from pageinspect_py.decode.page import (
    DiagnosticLog,
    ItemId,
    Page,
    PageHeader,
    check_line_pointer,
)
from pageinspect_py.layouts.heap import (
    HEAP_TUPLE_HEADER_DOCS,
    HEAP_TUPLE_HEADER_OFFSETS,
)
from pageinspect_py.page.heaptuple import (
    MIN_HEAP_TUPLE_SIZE,
    TUPLE_HEADER_STRUCT,
    ChainItem,
    chain_problems,
    decodes_as_tuple,
    expected_t_hoff,
    null_bitmap_length,
    tuple_header_problems,
)

#: bits_to_text() of one byte: '0'/'1' per bit, lowest bit first (pageinspect's t_bits)
_BITS_TEXT = tuple(
    "".join("1" if byte >> bit & 1 else "0" for bit in range(8)) for byte in range(256)
)


@dataclass(frozen=True, slots=True)
class ItemPointer:
    """ItemPointerData: (block, offset). The block is stored as bi_hi << 16 | bi_lo."""

    block: int
    offset: int

    def __str__(self) -> str:
        return f"({self.block},{self.offset})"


@lru_cache(maxsize=4096)  # a pure function of two words that repeat across tuples
def infomask_flags(t_infomask: int, t_infomask2: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(raw_flags, combined_flags)`` exactly as heap_tuple_infomask_flags() names them."""
    raw = [name for bit, name in C.INFOMASK_FLAGS if t_infomask & bit]
    raw += [name for bit, name in C.INFOMASK2_FLAGS if t_infomask2 & bit]
    combined = [name for mask, name in C.INFOMASK_COMBINED_FLAGS if t_infomask & mask == mask]
    return tuple(raw), tuple(combined)


@dataclass(frozen=True, slots=True)
class HeapTupleHeader:
    """HeapTupleHeaderData (htup_details.h) of one tuple, at page offset ``offset``."""

    offset: int
    t_xmin: int
    t_xmax: int
    t_field3: int
    t_ctid: ItemPointer
    t_infomask2: int
    t_infomask: int
    t_hoff: int

    @property
    def natts(self) -> int:
        """HeapTupleHeaderGetNatts: attributes stored in this tuple."""
        return self.t_infomask2 & C.HEAP_NATTS_MASK

    @property
    def span(self) -> Span:
        return Span(self.offset, self.offset + C.SizeofHeapTupleHeader)

    @property
    def raw_flags(self) -> tuple[str, ...]:
        return infomask_flags(self.t_infomask, self.t_infomask2)[0]

    @property
    def combined_flags(self) -> tuple[str, ...]:
        return infomask_flags(self.t_infomask, self.t_infomask2)[1]

    def has(self, bit: int) -> bool:
        return self.t_infomask & bit == bit

    def fields(self) -> tuple[Field, ...]:
        out = []
        for name, (offset, size) in HEAP_TUPLE_HEADER_OFFSETS.items():
            value = getattr(self, name)
            if isinstance(value, ItemPointer):
                value = (value.block << 16) | value.offset
            out.append(
                Field(
                    name,
                    value,
                    Span(offset, offset + size).shifted(self.offset),
                    HEAP_TUPLE_HEADER_DOCS[name],
                )
            )
        return tuple(out)


@dataclass(frozen=True, slots=True)
class HeapTuple:
    """A decoded heap tuple: header, null bitmap, optional old-style OID and data bytes."""

    header: HeapTupleHeader
    span: Span  #: lp_off .. lp_off + lp_len
    t_bits: str | None  #: pageinspect's text: one '0'/'1' per bit, lowest bit first
    t_oid: int | None
    data_span: Span | None  #: t_hoff .. lp_len, None when t_hoff is out of bounds
    t_data: bytes | None = field(repr=False)

    def is_null(self, attnum: int) -> bool:
        """att_isnull for 1-based ``attnum``: True when the bitmap marks it NULL.

        Attributes beyond natts are not stored in this tuple (missing, see attmissingval).
        """
        if attnum > self.header.natts:
            return True
        if self.t_bits is None:
            return False
        return self.t_bits[attnum - 1] == "0"


@dataclass(frozen=True, slots=True)
class HeapItem:
    """One line pointer of a heap page and, when it has a decodable tuple, that tuple."""

    lp: ItemId
    tuple: HeapTuple | None


@dataclass(frozen=True, slots=True)
class HeapPage(Page):
    items: tuple[HeapItem, ...] = ()

    def tuples(self) -> tuple[HeapTuple, ...]:
        return tuple(i.tuple for i in self.items if i.tuple is not None)


def decode_heap_items(
    data: bytes,
    header: PageHeader,
    line_pointers: tuple[ItemId, ...],
    log: DiagnosticLog,
    *,
    blkno: int = 0,
) -> tuple[tuple[HeapItem, ...], list[Region]]:
    """Tuples behind each line pointer, and the regions they claim; then the page's HOT
    chains (``blkno`` is the page's own block: a t_ctid pointing into it continues a chain)."""
    items: list[HeapItem] = []
    claims: list[Region] = []
    size = len(data)
    for lp in line_pointers:
        inside = check_line_pointer(lp, size, len(line_pointers), log)
        tup = None
        if inside:
            if decodes_as_tuple(lp.lp_off, lp.lp_len):
                tup = _decode_tuple(data, lp, log)
                claims.extend(_tuple_regions(tup, lp))
            else:
                if lp.lp_len < MIN_HEAP_TUPLE_SIZE:
                    log.error(
                        "tuple-too-short",
                        f"lp {lp.lp} has lp_len {lp.lp_len}, less than a tuple header "
                        f"({MIN_HEAP_TUPLE_SIZE})",
                        lp.span,
                    )
                claims.append(Region(RegionKind.ITEM, lp.item_span, lp.lp, "undecodable item"))
        items.append(HeapItem(lp, tup))
    _check_chains(items, blkno, log)
    return tuple(items), claims


def _decode_tuple(data: bytes, lp: ItemId, log: DiagnosticLog) -> HeapTuple:
    start, stop = lp.lp_off, lp.lp_off + lp.lp_len
    fields = TUPLE_HEADER_STRUCT.unpack_from(data, start)
    xmin, xmax, field3, bi_hi, bi_lo, posid, infomask2, infomask, hoff = fields
    header = HeapTupleHeader(
        offset=start,
        t_xmin=xmin,
        t_xmax=xmax,
        t_field3=field3,
        t_ctid=ItemPointer((bi_hi << 16) | bi_lo, posid),
        t_infomask2=infomask2,
        t_infomask=infomask,
        t_hoff=hoff,
    )
    t_bits = t_oid = None
    codes = tuple_header_problems(lp.lp_len, xmin, xmax, infomask2, infomask, hoff)
    if "t-hoff" not in codes:
        if header.t_infomask & C.HEAP_HASNULL:
            nbytes = null_bitmap_length(header.natts)
            bits = data[start + C.SizeofHeapTupleHeader : start + C.SizeofHeapTupleHeader + nbytes]
            t_bits = "".join(_BITS_TEXT[byte] for byte in bits)
        if header.t_infomask & C.HEAP_HASOID_OLD:
            oid_at = start + header.t_hoff - 4
            t_oid = int.from_bytes(data[oid_at : oid_at + 4], "little")
    for code in codes:
        log.error(code, _TUPLE_MESSAGES[code](lp, header), _tuple_code_span(code, lp, header))
    data_span = Span(start + header.t_hoff, stop) if header.t_hoff <= lp.lp_len else None
    t_data = data[data_span.start : data_span.stop] if data_span is not None else None
    return HeapTuple(header, Span(start, stop), t_bits, t_oid, data_span, t_data)


_TUPLE_MESSAGES: dict[str, Callable[[ItemId, HeapTupleHeader], str]] = {
    "t-hoff": lambda lp, h: (
        f"lp {lp.lp}: t_hoff {h.t_hoff} is not a MAXALIGNed offset between "
        f"{C.SizeofHeapTupleHeader} and lp_len {lp.lp_len}"
    ),
    "bitmap-past-hoff": lambda lp, h: (
        f"lp {lp.lp}: a null bitmap for {h.natts} attributes needs "
        f"{null_bitmap_length(h.natts)} bytes, more than t_hoff {h.t_hoff} leaves"
    ),
    "natts": lambda lp, h: (
        f"lp {lp.lp}: {h.natts} attributes, more than the maximum {C.MaxHeapAttributeNumber}"
    ),
    "t-hoff-unexpected": lambda lp, h: (
        f"lp {lp.lp}: tuple data should begin at byte {expected_t_hoff(h.natts, h.t_infomask)}, "
        f"but actually begins at byte {h.t_hoff} ({h.natts} attribute"
        f"{'' if h.natts == 1 else 's'}, {'has' if h.has(C.HEAP_HASNULL) else 'no'} nulls)"
    ),
    "multixact-committed": lambda lp, h: (
        f"lp {lp.lp}: multixact should not be marked committed (xmax {h.t_xmax} has "
        "HEAP_XMAX_IS_MULTI and HEAP_XMAX_COMMITTED)"
    ),
    "xmax-committed-and-invalid": lambda lp, h: (
        f"lp {lp.lp}: xmax {h.t_xmax} is marked both committed and invalid "
        "(HEAP_XMAX_COMMITTED with HEAP_XMAX_INVALID)"
    ),
    "xmin-invalid-committed": lambda lp, h: (
        f"lp {lp.lp}: xmin 0 (InvalidTransactionId) is marked committed"
    ),
    "hot-updated-xmax-0": lambda lp, h: f"lp {lp.lp}: tuple has been HOT updated, but xmax is 0",
    "heap-only-not-updated": lambda lp, h: (
        f"lp {lp.lp}: tuple is heap only, but not the result of an update"
    ),
}


#: the header field each code is about (its span is that field's); others: the line pointer
_CODE_FIELD = {
    "t-hoff": "t_hoff",
    "t-hoff-unexpected": "t_hoff",
    "multixact-committed": "t_infomask",
    "xmax-committed-and-invalid": "t_infomask",
    "xmin-invalid-committed": "t_xmin",
    "hot-updated-xmax-0": "t_xmax",
    "heap-only-not-updated": "t_infomask2",
}


def _tuple_code_span(code: str, lp: ItemId, header: HeapTupleHeader) -> Span:
    if code in _CODE_FIELD:
        at, size = HEAP_TUPLE_HEADER_OFFSETS[_CODE_FIELD[code]]
        return Span(header.offset + at, header.offset + at + size)
    if code == "natts":
        return header.span
    return lp.span


def _tuple_regions(tup: HeapTuple, lp: ItemId) -> list[Region]:
    start = tup.span.start
    hdr_end = start + C.SizeofHeapTupleHeader
    regions = [Region(RegionKind.TUPLE_HEADER, Span(start, hdr_end), lp.lp)]
    if tup.data_span is None or tup.header.t_hoff < C.SizeofHeapTupleHeader:
        regions.append(
            Region(
                RegionKind.ITEM, Span(hdr_end, tup.span.stop), lp.lp, "tuple with invalid t_hoff"
            )
        )
        return regions
    hoff = start + tup.header.t_hoff
    cursor = hdr_end
    if tup.header.t_infomask & C.HEAP_HASNULL:
        bitmap_end = min(hdr_end + (tup.header.natts + 7) // 8, hoff)
        regions.append(Region(RegionKind.NULL_BITMAP, Span(hdr_end, bitmap_end), lp.lp))
        cursor = bitmap_end
    oid_start = hoff - 4 if tup.t_oid is not None and hoff - 4 >= cursor else hoff
    if cursor < oid_start:
        regions.append(Region(RegionKind.HEADER_PADDING, Span(cursor, oid_start), lp.lp))
    if oid_start < hoff:
        regions.append(Region(RegionKind.OID, Span(oid_start, hoff), lp.lp))
    if hoff < tup.span.stop:
        regions.append(Region(RegionKind.TUPLE_DATA, Span(hoff, tup.span.stop), lp.lp))
    return regions


def chain_item(item: HeapItem) -> ChainItem:
    """What the HOT chain rules need of one item."""
    lp, tup = item.lp, item.tuple
    if tup is None:
        return ChainItem(lp.lp_flags, lp.lp_off, lp.lp_flags == C.LP_REDIRECT)
    h = tup.header
    return ChainItem(
        lp.lp_flags,
        lp.lp_off,
        True,
        h.t_xmin,
        h.t_xmax,
        h.t_infomask2,
        h.t_infomask,
        h.t_ctid.block,
        h.t_ctid.offset,
    )


_CHAIN_MESSAGES: dict[str, Callable[[int, int], str]] = {
    "redirect-to-unused": lambda lp, to: (
        f"lp {lp}: redirected line pointer points to an unused item at offset {to}"
    ),
    "redirect-to-dead": lambda lp, to: (
        f"lp {lp}: redirected line pointer points to a dead item at offset {to}"
    ),
    "redirect-chain": lambda lp, to: f"lp {lp} redirects to lp {to}, itself a redirect",
    "redirect-to-non-heap-only": lambda lp, to: (
        f"lp {lp}: redirected line pointer points to a non-heap-only tuple at offset {to}"
    ),
    "chain-intersect": lambda lp, to: (
        f"lp {lp} points to offset {to}, but another line pointer also points there "
        "(HOT chains intersect)"
    ),
    "update-produced-heap-only": lambda lp, to: (
        f"lp {lp}: non-heap-only update produced a heap-only tuple at offset {to}"
    ),
    "hot-update-produced-non-heap-only": lambda lp, to: (
        f"lp {lp}: heap-only update produced a non-heap only tuple at offset {to}"
    ),
    "heap-only-root": lambda lp, to: (
        f"lp {lp}: tuple is root of chain but is marked as heap-only tuple "
        "(no redirect or update on the page reaches it)"
    ),
}


def _check_chains(items: list[HeapItem], blkno: int, log: DiagnosticLog) -> None:
    """Redirects and update chains on the page (page/heaptuple.py's chain rules)."""
    chain = [chain_item(item) for item in items]
    for number, code, other in chain_problems(chain, blkno):
        log.error(code, _CHAIN_MESSAGES[code](number, other), items[number - 1].lp.span)
