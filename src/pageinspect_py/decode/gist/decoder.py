"""Decoding a GiST page after its header: internal, leaf and deleted pages, with the regions
that tile each. Never raises on bad bytes; problems become diagnostics.

``decode_page`` (``decode/dispatch.py``) is the frame around this (checksum, tiling, strict
mode) and calls :func:`gist_contents` for pages whose special space carries GIST_PAGE_ID.
:class:`GistDecodeOptions` carries what one page cannot say about itself: the index's tuple
descriptor (``analysis.giststats.gist_options(index)`` builds it from an IndexDescription);
without it the keys are shown as bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Region, RegionKind, Span
from pageinspect_py.decode.gist.keys import decode_keys
from pageinspect_py.decode.gist.model import (
    KNOWN_GIST_FLAGS,
    GistColumn,
    GistDeletedPage,
    GistIndexTuple,
    GistItem,
    GistKey,
    GistPage,
    GistPageOpaque,
)
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.indexpage import Contents
from pageinspect_py.decode.page import (
    DiagnosticLog,
    ItemId,
    PageHeader,
    check_header,
    check_line_pointer,
    free_space_after,
    line_pointer_claims,
    parse_line_pointers,
)
from pageinspect_py.layouts._util import compiled, struct_format
from pageinspect_py.layouts.gist import (
    GIST_OPAQUE_OFFSETS,
    GIST_TUPLE_OFFSETS,
    GISTDeletedPageContents,
    GistIndexTupleData,
    GISTPageOpaqueData,
)
from pageinspect_py.layouts.page import PAGE_HEADER_OFFSETS

OPAQUE_SIZE = GISTPageOpaqueData.sizeof()
DELETED_SIZE = GISTDeletedPageContents.sizeof()
#: bi_hi, bi_lo, ip_posid, t_info: the struct format derived from the layout
_TUPLE = struct.Struct(struct_format(GistIndexTupleData))
_DELETED = struct.Struct(struct_format(GISTDeletedPageContents))
_FLAGS_AT, _FLAGS_SIZE = GIST_OPAQUE_OFFSETS["flags"]
_RIGHT_AT, _RIGHT_SIZE = GIST_OPAQUE_OFFSETS["rightlink"]
_T_TID_AT, _T_TID_SIZE = GIST_TUPLE_OFFSETS["t_tid"]
_T_INFO_AT, _T_INFO_SIZE = GIST_TUPLE_OFFSETS["t_info"]
_PRUNE_AT, _PRUNE_SIZE = PAGE_HEADER_OFFSETS["pd_prune_xid"]
_LOWER_AT, _LOWER_SIZE = PAGE_HEADER_OFFSETS["pd_lower"]
#: where the data starts after a null bitmap (IndexInfoFindDataOffset)
_DATA_AFTER_BITMAP = C.maxalign(C.SizeOfIndexTupleData + C.SizeOfIndexAttributeBitMapData)


@dataclass(frozen=True, slots=True)
class GistDecodeOptions:
    """What is known about the GiST index beyond its page: its tuple descriptor (every
    attribute in attnum order, INCLUDE columns last). Empty: keys are shown as bytes."""

    columns: tuple[GistColumn, ...] = ()

    @property
    def typed(self) -> bool:
        return bool(self.columns)

    @property
    def key_columns(self) -> tuple[GistColumn, ...]:
        return tuple(c for c in self.columns if c.key)

    @property
    def nkeyatts(self) -> int:
        return len(self.key_columns)

    def columns_of(self, leaf: bool) -> tuple[GistColumn, ...]:
        """The attributes a tuple of a leaf (all) or internal page (key columns) stores."""
        return self.columns if leaf else self.key_columns


def parse_opaque(data: bytes, offset: int) -> GistPageOpaque:
    raw = compiled(GISTPageOpaqueData).parse(data[offset : offset + OPAQUE_SIZE])
    return GistPageOpaque(
        offset,
        (raw.nsn.xlogid << 32) | raw.nsn.xrecoff,
        raw.rightlink,
        raw.flags,
        raw.gist_page_id,
    )


def gist_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    log: DiagnosticLog,
    options: GistDecodeOptions | None = None,
) -> Contents:
    """Decode a GiST page after its header: the model class, line pointers, region claims
    and the model's own fields. Never raises on bad bytes."""
    options = options or GistDecodeOptions()
    check_header(header, len(data), log)
    size = len(data)
    claims = [Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData))]
    opaque = _special(data, header, log, claims)
    fields: dict[str, object] = {
        "opaque": opaque,
        "typed": options.typed,
        "columns": options.columns,
    }
    if opaque is not None:
        _check_flags(opaque, log)
    if opaque is not None and opaque.is_deleted:
        fields["deleted"] = _deleted(data, header, log, claims)
        return GistPage, (), claims, fields
    leaf = opaque.is_leaf if opaque is not None else True
    lps = parse_line_pointers(data, header, log)
    claims.extend(line_pointer_claims(header, lps, size))
    items: list[GistItem] = []
    for lp in lps:
        item, regions = _decode_item(data, lp, len(lps), leaf, blkno, log, options)
        claims.extend(regions)
        items.append(item)
    if opaque is not None:
        _check_page(opaque, tuple(items), blkno, log)
    fields["items"] = tuple(items)
    return GistPage, lps, claims, fields


def _special(
    data: bytes, header: PageHeader, log: DiagnosticLog, claims: list[Region]
) -> GistPageOpaque | None:
    """GISTPageOpaqueData: at pd_special when the special space is its 16 bytes; otherwise
    read from the page's last 16 bytes (gist_page_id, which made it a GiST page, is the
    page's last two bytes), with an error."""
    size = len(data)
    if size < C.SizeOfPageHeaderData + OPAQUE_SIZE:
        log.error("gist-special-size", f"a {size}-byte page has no room for GISTPageOpaqueData")
        return None
    offset = size - OPAQUE_SIZE
    special = size - header.pd_special
    if special != C.SizeOfGISTPageOpaqueData:
        log.error(
            "gist-special-size",
            f"special space is {special} bytes (pd_special {header.pd_special}), "
            f"MAXALIGN(sizeof(GISTPageOpaqueData)) is {C.SizeOfGISTPageOpaqueData}; read "
            f"from the page's last {OPAQUE_SIZE} bytes",
            Span(offset, size),
        )
    start = header.pd_special if header.pd_upper <= header.pd_special <= offset else offset
    claims.append(Region(RegionKind.SPECIAL, Span(start, size), label="GISTPageOpaqueData"))
    return parse_opaque(data, offset)


def _check_flags(opaque: GistPageOpaque, log: DiagnosticLog) -> None:
    span = Span(opaque.offset + _FLAGS_AT, opaque.offset + _FLAGS_AT + _FLAGS_SIZE)
    if opaque.flags & ~KNOWN_GIST_FLAGS:
        log.warning("gist-flags", f"unknown flags bits 0x{opaque.flags:04x}", span)
    if opaque.gist_page_id != C.GIST_PAGE_ID:
        log.error(
            "gist-page-id",
            f"gist_page_id 0x{opaque.gist_page_id:04x}, not GIST_PAGE_ID 0x{C.GIST_PAGE_ID:04x}",
            Span(opaque.offset + OPAQUE_SIZE - 2, opaque.offset + OPAQUE_SIZE),
        )
    if opaque.has_garbage and not opaque.is_leaf:
        log.warning("gist-flags", "F_HAS_GARBAGE on an internal page (only leaves)", span)


def _deleted(
    data: bytes, header: PageHeader, log: DiagnosticLog, claims: list[Region]
) -> GistDeletedPage:
    """A deleted page: GISTDeletedPageContents (13+: pd_lower just past it), or nothing after
    the header (12: the xid in pd_prune_xid)."""
    size = len(data)
    start = C.maxalign(C.SizeOfPageHeaderData)
    stop = start + DELETED_SIZE
    lower = header.pd_lower
    if lower == stop and stop <= size:
        (xid,) = _DELETED.unpack_from(data, start)
        claims.append(
            Region(RegionKind.METADATA, Span(start, stop), label="GISTDeletedPageContents")
        )
        deleted = GistDeletedPage(xid, Span(start, stop), True)
    else:
        if lower != C.SizeOfPageHeaderData:
            log.error(
                "gist-deleted-lower",
                f"pd_lower {lower} on a deleted page: GistPageSetDeleted sets it just past "
                f"GISTDeletedPageContents ({stop}, 13+), 12 leaves it at "
                f"{C.SizeOfPageHeaderData}",
                Span(_LOWER_AT, _LOWER_AT + _LOWER_SIZE),
            )
        deleted = GistDeletedPage(
            header.pd_prune_xid, Span(_PRUNE_AT, _PRUNE_AT + _PRUNE_SIZE), False
        )
        stop = max(C.SizeOfPageHeaderData, min(lower, header.pd_upper, size))
        if stop > C.SizeOfPageHeaderData:
            claims.append(
                Region(
                    RegionKind.UNKNOWN,
                    Span(C.SizeOfPageHeaderData, stop),
                    label="not GISTDeletedPageContents",
                )
            )
    if (free := free_space_after(header, stop, size, past_lower=False)) is not None:
        claims.append(free)
    if header.pd_upper < header.pd_special:
        log.warning(
            "gist-deleted-items",
            f"a deleted page with tuple space (pd_upper {header.pd_upper} below pd_special "
            f"{header.pd_special}): gistdeletepage deletes only empty pages",
            Span(_LOWER_AT, _LOWER_AT + 4),
        )
    return deleted


def _decode_item(
    data: bytes,
    lp: ItemId,
    nitems: int,
    leaf: bool,
    blkno: int,
    log: DiagnosticLog,
    options: GistDecodeOptions,
) -> tuple[GistItem, list[Region]]:
    name = f"lp {lp.lp}"
    inside = check_line_pointer(lp, len(data), nitems, log)
    if lp.lp_flags == C.LP_REDIRECT:
        log.error("gist-redirect", f"{name} is LP_REDIRECT, which GiST never uses", lp.span)
        return GistItem(lp, None, leaf), []
    if lp.lp_flags == C.LP_UNUSED:
        log.warning(
            "gist-lp-unused",
            f"{name} is LP_UNUSED: GiST removes deleted items with their pointers "
            "(pageinspect raises 'invalid ItemId')",
            lp.span,
        )
    if not inside or not lp.has_storage:
        return GistItem(lp, None, leaf), []
    start, stop = lp.lp_off, lp.item_span.stop
    if lp.lp_len < C.SizeOfIndexTupleData:
        log.error(
            "gist-item-short",
            f"{name}: lp_len {lp.lp_len} is shorter than IndexTupleData ({C.SizeOfIndexTupleData})",
            lp.span,
        )
        return GistItem(lp, None, leaf), [
            Region(RegionKind.ITEM, lp.item_span, lp.lp, "undecodable item")
        ]
    bi_hi, bi_lo, posid, t_info = _TUPLE.unpack_from(data, start)
    tid = ItemPointer((bi_hi << 16) | bi_lo, posid)
    info_span = Span(start + _T_INFO_AT, start + _T_INFO_AT + _T_INFO_SIZE)
    tid_span = Span(start + _T_TID_AT, start + _T_TID_AT + _T_TID_SIZE)
    regions = [
        Region(
            RegionKind.TUPLE_HEADER,
            Span(start, start + C.SizeOfIndexTupleData),
            lp.lp,
            "IndexTupleData",
        )
    ]
    size_of = t_info & C.INDEX_SIZE_MASK
    if size_of != lp.lp_len:
        log.error(
            "gist-itemlen",
            f"{name}: IndexTupleSize {size_of} differs from lp_len {lp.lp_len}",
            info_span,
        )
    _check_tid(tid, leaf, blkno, name, tid_span, log)
    cursor = start + C.SizeOfIndexTupleData
    bitmap: bytes | None = None
    if t_info & C.INDEX_NULL_MASK:
        bitmap_end = cursor + C.SizeOfIndexAttributeBitMapData
        data_at = start + _DATA_AFTER_BITMAP
        if data_at <= stop:
            bitmap = data[cursor:bitmap_end]
            regions.append(Region(RegionKind.NULL_BITMAP, Span(cursor, bitmap_end), lp.lp))
            regions.append(Region(RegionKind.HEADER_PADDING, Span(bitmap_end, data_at), lp.lp))
            cursor = data_at
        else:
            log.error(
                "gist-item-short",
                f"{name}: INDEX_NULL_MASK is set but the tuple has no room for the null bitmap",
                info_span,
            )
    columns = options.columns_of(leaf)
    keys: tuple[GistKey, ...] = ()
    data_span = Span(cursor, stop)
    if columns and data_span.length >= 0:
        isnull = [_isnull(bitmap, c.attnum) for c in columns]
        keys = decode_keys(data, cursor, stop, columns, isnull)
        for key in keys:
            if key.problem is not None and key.span is None:
                log.error("gist-key", f"{name}: {key.problem}", lp.span)
        cursor = _claim_keys(keys, cursor, stop, lp.lp, regions)
        if cursor < stop:
            regions.append(Region(RegionKind.ALIGNMENT_PADDING, Span(cursor, stop), lp.lp))
    elif cursor < stop:
        regions.append(Region(RegionKind.TUPLE_DATA, Span(cursor, stop), lp.lp, "untyped keys"))
    tup = GistIndexTuple(start, tid, t_info, bitmap, keys, data_span)
    return GistItem(lp, tup, leaf), regions


def _isnull(bitmap: bytes | None, attnum: int) -> bool:
    if bitmap is None:
        return False
    index = attnum - 1
    return not bitmap[index >> 3] >> (index & 7) & 1


def _claim_keys(
    keys: tuple[GistKey, ...], cursor: int, stop: int, lp: int, regions: list[Region]
) -> int:
    """Regions of the keys in order, with the alignment gaps between them; the offset after
    the last key found."""
    for key in keys:
        if key.span is None:
            continue
        if key.span.start > cursor:
            regions.append(Region(RegionKind.ALIGNMENT_PADDING, Span(cursor, key.span.start), lp))
        regions.append(Region(RegionKind.TUPLE_DATA, key.span, lp, key.name))
        cursor = key.span.stop
    return min(cursor, stop)


def _check_tid(
    tid: ItemPointer, leaf: bool, blkno: int, name: str, span: Span, log: DiagnosticLog
) -> None:
    if leaf:
        if tid.offset in (0, C.TUPLE_IS_VALID, C.TUPLE_IS_INVALID):
            log.error(
                "gist-heap-tid",
                f"{name}: heap TID {tid} of a leaf tuple has no valid offset number",
                span,
            )
        elif tid.offset > C.max_heap_tuples_per_page():
            log.warning(
                "gist-heap-tid",
                f"{name}: heap TID {tid} is past MaxHeapTuplesPerPage "
                f"({C.max_heap_tuples_per_page()}) of an 8 kB heap page",
                span,
            )
        return
    if tid.offset == C.TUPLE_IS_INVALID:
        log.warning(
            "gist-invalid-tuple",
            f"{name}: an invalid tuple (t_tid offset TUPLE_IS_INVALID) left by crash recovery "
            "before 9.1: the index needs REINDEX",
            span,
        )
    elif tid.offset != C.TUPLE_IS_VALID:
        log.warning(
            "gist-downlink",
            f"{name}: downlink {tid} of an internal tuple: its offset is not TUPLE_IS_VALID "
            f"(0x{C.TUPLE_IS_VALID:04x})",
            span,
        )
    if tid.block in (blkno, C.InvalidBlockNumber):
        log.error("gist-downlink", f"{name}: downlink to block {tid.block}", span)


def _check_page(
    opaque: GistPageOpaque, items: tuple[GistItem, ...], blkno: int, log: DiagnosticLog
) -> None:
    flag_span = Span(opaque.offset + _FLAGS_AT, opaque.offset + _FLAGS_AT + _FLAGS_SIZE)
    dead = sum(1 for item in items if item.dead)
    if dead and not opaque.is_leaf:
        log.warning(
            "gist-dead-internal",
            f"{dead} LP_DEAD item{'s' if dead != 1 else ''} on an internal page "
            "(gistkillitems marks leaf items only)",
            flag_span,
        )
    if opaque.rightlink == blkno:
        log.error(
            "gist-rightlink",
            f"rightlink {opaque.rightlink} points to the page itself",
            Span(opaque.offset + _RIGHT_AT, opaque.offset + _RIGHT_AT + _RIGHT_SIZE),
        )
