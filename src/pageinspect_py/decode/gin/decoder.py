"""Decoding a GIN page after its header: the metapage, entry-tree pages, pending-list pages
and posting-tree pages, with the regions that tile each. Never raises on bad bytes; problems
become diagnostics.

``decode_page`` (``decode/dispatch.py``) is the frame around this (checksum, tiling, strict
mode): it calls :func:`gin_contents` for GIN pages. :class:`GinDecodeOptions` carries what one
page cannot say about itself: the index's description (key types, opclasses, columns);
:func:`gin_options` builds it from an :class:`~pageinspect_py.catalog.index.IndexDescription`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.btree.keys import ValueDecoder, builtin_value
from pageinspect_py.decode.common import Region, RegionKind, Span
from pageinspect_py.decode.gin.keys import KeyColumn, key_columns, read_key
from pageinspect_py.decode.gin.model import (
    KNOWN_GIN_FLAGS,
    EntryKind,
    GinDataPage,
    GinEntry,
    GinEntryPage,
    GinMeta,
    GinMetaPage,
    GinPage,
    GinPageOpaque,
    GinPageType,
    GinPostingItem,
    GinPostingSegment,
)
from pageinspect_py.decode.gin.postinglist import (
    TID_SIZE,
    check_increasing,
    decode_segments,
    decode_tid_array,
    read_tid,
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
from pageinspect_py.layouts.gin import (
    GIN_DATA_OFFSET,
    GIN_META_OFFSETS,
    GIN_META_SIZE,
    GIN_OPAQUE_OFFSETS,
    ITEM_POINTER_SIZE,
    POSTING_ITEM_SIZE,
    RIGHT_BOUND_OFFSET,
    GinIndexTupleData,
    GinMetaPageData,
    GinPageOpaqueData,
    PostingItem,
)

OPAQUE_SIZE = GinPageOpaqueData.sizeof()
_INVALID_OFFSET = 0  #: storage/off.h InvalidOffsetNumber: the offset of a GinSetDownlink t_tid
_TUPLE = struct.Struct(struct_format(GinIndexTupleData))
_POSTING_ITEM = struct.Struct(struct_format(PostingItem))
_FLAGS_AT, _FLAGS_SIZE = GIN_OPAQUE_OFFSETS["flags"]
_MAXOFF_AT, _MAXOFF_SIZE = GIN_OPAQUE_OFFSETS["maxoff"]


@dataclass(frozen=True, slots=True)
class GinDecodeOptions:
    """What is known about the GIN index beyond its page: its description (key types,
    opclasses, how many columns) and the decoder of key values."""

    index: IndexDescription | None = None
    values: ValueDecoder = builtin_value
    columns: tuple[KeyColumn, ...] = field(default=(), compare=False)

    def key_columns(self) -> tuple[KeyColumn, ...]:
        return self.columns or key_columns(self.index)


def gin_options(
    index: IndexDescription | None, values: ValueDecoder = builtin_value
) -> GinDecodeOptions:
    """The options of a GIN index described by ``index`` (None: keys untyped)."""
    return GinDecodeOptions(index, values, key_columns(index))


# ----------------------------------------------------------------------------------------------
# structures read once per page


def parse_opaque(data: bytes, offset: int) -> GinPageOpaque:
    raw = compiled(GinPageOpaqueData).parse(data[offset : offset + OPAQUE_SIZE])
    return GinPageOpaque(offset, raw.rightlink, raw.maxoff, raw.flags)


def parse_meta(data: bytes) -> GinMeta | None:
    """GinMetaPageData at PageGetContents(); None when the page is too short."""
    start = C.SizeOfPageHeaderData
    end = start + GIN_META_SIZE
    if end > len(data):
        return None
    raw = compiled(GinMetaPageData).parse(data[start:end])
    return GinMeta(
        head=raw.head,
        tail=raw.tail,
        tailFreeSize=raw.tailFreeSize,
        nPendingPages=raw.nPendingPages,
        nPendingHeapTuples=raw.nPendingHeapTuples,
        nTotalPages=raw.nTotalPages,
        nEntryPages=raw.nEntryPages,
        nDataPages=raw.nDataPages,
        nEntries=raw.nEntries,
        ginVersion=raw.ginVersion,
        span=Span(start, end),
    )


# ----------------------------------------------------------------------------------------------
# the page


def gin_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    log: DiagnosticLog,
    options: GinDecodeOptions | None = None,
) -> Contents:
    """Decode a GIN page after its header: the model class, line pointers, region claims and
    the model's own fields. Never raises on bad bytes."""
    options = options or GinDecodeOptions()
    check_header(header, len(data), log)
    opaque, special = _special(data, header, log)
    claims = [Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData))]
    if special is not None:
        claims.append(special)
    if opaque is None:
        end = len(data) if special is None else special.span.start
        claims.append(Region(RegionKind.UNKNOWN, Span(C.SizeOfPageHeaderData, end)))
        return GinPage, (), claims, {"opaque": None}
    _check_flags(opaque, blkno, log)
    kind = opaque.page_type
    if kind is GinPageType.META:
        return _meta_contents(data, header, blkno, opaque, claims, log)
    if kind in (GinPageType.DATA_LEAF, GinPageType.DATA_INTERNAL):
        return _data_contents(data, header, opaque, claims, log)
    return _entry_contents(data, header, opaque, claims, log, options)


def _special(
    data: bytes, header: PageHeader, log: DiagnosticLog
) -> tuple[GinPageOpaque | None, Region | None]:
    """GinPageOpaqueData at pd_special when the special space is its 8 bytes; otherwise read
    from the page's last 8 bytes, with an error."""
    size = len(data)
    if size < C.SizeOfPageHeaderData + OPAQUE_SIZE:
        log.error("gin-special-size", f"a {size}-byte page has no room for GinPageOpaqueData")
        return None, None
    offset = size - OPAQUE_SIZE
    special = size - header.pd_special
    if special != C.SizeOfGinPageOpaqueData:
        log.error(
            "gin-special-size",
            f"special space is {special} bytes (pd_special {header.pd_special}), "
            f"MAXALIGN(sizeof(GinPageOpaqueData)) is {C.SizeOfGinPageOpaqueData}; read from "
            f"the page's last {OPAQUE_SIZE} bytes",
            Span(offset, size),
        )
    start = (
        header.pd_special
        if C.SizeOfPageHeaderData <= header.pd_upper <= header.pd_special <= offset
        else offset
    )
    region = Region(RegionKind.SPECIAL, Span(start, size), label="GinPageOpaqueData")
    return parse_opaque(data, offset), region


def _flag_span(opaque: GinPageOpaque) -> Span:
    return Span(opaque.offset + _FLAGS_AT, opaque.offset + _FLAGS_AT + _FLAGS_SIZE)


def _check_flags(opaque: GinPageOpaque, blkno: int, log: DiagnosticLog) -> None:
    flags = opaque.flags
    span = _flag_span(opaque)
    if flags & ~KNOWN_GIN_FLAGS:
        log.warning("gin-flags", f"unknown flag bits 0x{flags & ~KNOWN_GIN_FLAGS:04x}", span)
    if flags & C.GIN_META and flags != C.GIN_META:
        log.error("gin-flags", f"GIN_META with other flags: {'|'.join(opaque.flag_names)}", span)
    if flags & C.GIN_LIST and flags & (C.GIN_DATA | C.GIN_LEAF | C.GIN_COMPRESSED):
        log.error("gin-flags", f"a pending-list page with {'|'.join(opaque.flag_names)}", span)
    if flags & C.GIN_LIST_FULLROW and not flags & C.GIN_LIST:
        log.warning("gin-flags", "GIN_LIST_FULLROW on a page that is not GIN_LIST", span)
    if flags & C.GIN_COMPRESSED and flags & (C.GIN_DATA | C.GIN_LEAF) != C.GIN_DATA | C.GIN_LEAF:
        log.warning("gin-flags", "GIN_COMPRESSED on a page that is not a posting-tree leaf", span)
    if flags & C.GIN_META and blkno != C.GIN_METAPAGE_BLKNO:
        log.error("gin-meta-block", f"a GIN metapage at block {blkno}, not block 0")
    if blkno == C.GIN_METAPAGE_BLKNO and not flags & C.GIN_META:
        log.error("gin-meta-block", "block 0 of a GIN index is not its metapage (GIN_META)", span)


def _meta_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    opaque: GinPageOpaque,
    claims: list[Region],
    log: DiagnosticLog,
) -> Contents:
    size = len(data)
    meta = parse_meta(data)
    end = C.SizeOfPageHeaderData
    if meta is None or meta.span.stop > opaque.offset:
        log.error("gin-meta-size", "the page has no room for GinMetaPageData")
        meta = None
    else:
        end = meta.span.stop
        # one region for the struct, its two 4-byte holes included (GinMeta.fields() names
        # them as padding), so the field tree nests inside it
        claims.append(Region(RegionKind.METADATA, meta.span, label="GinMetaPageData"))
        _check_meta(meta, header, log)
    if header.pd_lower != end and meta is not None:
        log.warning(
            "gin-meta-lower",
            f"pd_lower {header.pd_lower}: GinInitMetabuffer sets it just past GinMetaPageData "
            f"({end})",
            Span(12, 14),
        )
    if (free := free_space_after(header, end, size)) is not None:
        claims.append(free)
    if header.pd_lower > end and header.pd_lower <= header.pd_upper:
        claims.append(Region(RegionKind.UNKNOWN, Span(end, header.pd_lower)))
    return GinMetaPage, (), claims, {"opaque": opaque, "meta": meta}


def _meta_field(meta: GinMeta, name: str) -> Span:
    off, size = GIN_META_OFFSETS[name]
    return Span(meta.span.start + off, meta.span.start + off + size)


def _check_meta(meta: GinMeta, header: PageHeader, log: DiagnosticLog) -> None:
    if meta.ginVersion != C.GIN_CURRENT_VERSION:
        log.warning(
            "gin-meta-version",
            f"ginVersion {meta.ginVersion}, not GIN_CURRENT_VERSION {C.GIN_CURRENT_VERSION} "
            "(an index from before 9.4: uncompressed posting lists)",
            _meta_field(meta, "ginVersion"),
        )
    invalid = C.InvalidBlockNumber
    if (meta.head == invalid) != (meta.tail == invalid):
        log.error(
            "gin-meta-pending",
            f"pending list head {meta.head} and tail {meta.tail}: both or neither must be "
            "InvalidBlockNumber",
            _meta_field(meta, "head"),
        )
    if meta.head == invalid and (meta.nPendingPages or meta.nPendingHeapTuples):
        log.error(
            "gin-meta-pending",
            f"no pending list but nPendingPages {meta.nPendingPages}, nPendingHeapTuples "
            f"{meta.nPendingHeapTuples}",
            _meta_field(meta, "nPendingPages"),
        )
    if meta.nPendingHeapTuples < 0 or meta.nEntries < 0:
        log.error("gin-meta-counts", "a negative count in GinMetaPageData", meta.span)


# ----------------------------------------------------------------------------------------------
# posting-tree pages


def _data_contents(
    data: bytes,
    header: PageHeader,
    opaque: GinPageOpaque,
    claims: list[Region],
    log: DiagnosticLog,
) -> Contents:
    size = len(data)
    limit = opaque.offset
    fields: dict[str, object] = {"opaque": opaque}
    if limit < GIN_DATA_OFFSET:
        log.error("gin-data-size", "the page has no room for the right bound")
        claims.append(Region(RegionKind.UNKNOWN, Span(C.SizeOfPageHeaderData, limit)))
        return GinDataPage, (), claims, fields
    bound_stop = RIGHT_BOUND_OFFSET + ITEM_POINTER_SIZE
    fields["right_bound"] = read_tid(data, RIGHT_BOUND_OFFSET)
    claims.append(
        Region(RegionKind.METADATA, Span(RIGHT_BOUND_OFFSET, bound_stop), label="right bound")
    )
    claims.append(
        Region(RegionKind.ALIGNMENT_PADDING, Span(bound_stop, GIN_DATA_OFFSET), label="padding")
    )
    start = GIN_DATA_OFFSET
    if not opaque.is_leaf:
        end = _posting_items(data, header, opaque, claims, log, fields)
    elif opaque.is_compressed:
        end = _leaf_segments(data, header, opaque, claims, log, fields)
    else:
        end = _leaf_array(data, opaque, claims, log, fields)
    lower = max(end, min(header.pd_lower, limit))
    if end < lower:
        claims.append(Region(RegionKind.UNKNOWN, Span(end, lower), label="past the data"))
    if (free := free_space_after(header, max(start, lower), size, past_lower=False)) is not None:
        claims.append(free)
    return GinDataPage, (), claims, fields


def _posting_items(
    data: bytes,
    header: PageHeader,
    opaque: GinPageOpaque,
    claims: list[Region],
    log: DiagnosticLog,
    fields: dict[str, object],
) -> int:
    start = GIN_DATA_OFFSET
    room = (opaque.offset - start) // POSTING_ITEM_SIZE
    count = opaque.maxoff
    if count > room:
        log.error(
            "gin-maxoff",
            f"maxoff {count} PostingItems do not fit on the page (room for {room})",
            Span(opaque.offset + _MAXOFF_AT, opaque.offset + _MAXOFF_AT + _MAXOFF_SIZE),
        )
        count = room
    end = start + count * POSTING_ITEM_SIZE
    if header.pd_lower != end:
        log.warning(
            "gin-data-lower",
            f"pd_lower {header.pd_lower}, but {opaque.maxoff} PostingItems end at {end}",
            Span(12, 14),
        )
    if count == 0:
        log.error("gin-empty-internal", "an internal posting-tree page without PostingItems")
    items = []
    for i in range(count):
        at = start + i * POSTING_ITEM_SIZE
        c_hi, c_lo, k_hi, k_lo, posid = _POSTING_ITEM.unpack_from(data, at)
        item = GinPostingItem(at, (c_hi << 16) | c_lo, ItemPointer((k_hi << 16) | k_lo, posid))
        items.append(item)
        claims.append(Region(RegionKind.ITEM, item.span, i + 1, "PostingItem"))
    for i, item in enumerate(items):
        if item.child_blkno in (C.InvalidBlockNumber, C.GIN_METAPAGE_BLKNO):
            log.error(
                "gin-downlink", f"PostingItem {i + 1} points to block {item.child_blkno}", item.span
            )
    keys = [it.key for it in items if not it.infinite]
    check_increasing(tuple(keys), log, "PostingItem keys", Span(start, end))
    for it in items[:-1]:
        if it.infinite:
            log.error("gin-posting-item", "a PostingItem key of (0,0) before the last one", it.span)
    fields["posting_items"] = tuple(items)
    return end


def _leaf_segments(
    data: bytes,
    header: PageHeader,
    opaque: GinPageOpaque,
    claims: list[Region],
    log: DiagnosticLog,
    fields: dict[str, object],
) -> int:
    start = GIN_DATA_OFFSET
    stop = header.pd_lower
    if not start <= stop <= opaque.offset:
        log.error(
            "gin-data-lower",
            f"pd_lower {stop}: the posting list (GinDataLeafPageGetPostingListSize) must lie "
            f"between {start} and the special space",
            Span(12, 14),
        )
        stop = max(start, min(stop, opaque.offset))
    if opaque.maxoff:
        log.warning("gin-maxoff", f"maxoff {opaque.maxoff} on a compressed leaf (kept 0 there)")
    segments = decode_segments(data, start, stop, log, "posting list")
    _claim_segments(segments, claims, None)
    fields["segments"] = segments
    return segments[-1].span.stop if segments else start


def _claim_segments(
    segments: tuple[GinPostingSegment, ...], claims: list[Region], item: int | None
) -> None:
    for n, seg in enumerate(segments, 1):
        claims.append(
            Region(RegionKind.POSTING_LIST, seg.header_span, item, f"segment {n} first, nbytes")
        )
        b = seg.bytes_span
        if b.length:
            claims.append(
                Region(RegionKind.POSTING_LIST, b, item, f"segment {n}: {len(seg.tids) - 1} deltas")
            )
        if seg.span.stop > b.stop:
            claims.append(
                Region(
                    RegionKind.ALIGNMENT_PADDING, Span(b.stop, seg.span.stop), item, "SHORTALIGN"
                )
            )


def _leaf_array(
    data: bytes,
    opaque: GinPageOpaque,
    claims: list[Region],
    log: DiagnosticLog,
    fields: dict[str, object],
) -> int:
    """The pre-9.4 leaf: maxoff ItemPointerData at GinDataPageGetData()."""
    start = GIN_DATA_OFFSET
    room = (opaque.offset - start) // TID_SIZE
    count = opaque.maxoff
    if count > room:
        log.error("gin-maxoff", f"maxoff {count} TIDs do not fit on the page (room for {room})")
        count = room
    tids = decode_tid_array(data, start, count)
    end = start + count * TID_SIZE
    if count:
        claims.append(Region(RegionKind.POSTING_LIST, Span(start, end), label="ItemPointerData[]"))
    check_increasing(tids, log, "uncompressed leaf", Span(start, end))
    fields["uncompressed"] = tids
    return end


# ----------------------------------------------------------------------------------------------
# entry-tree and pending-list pages


def _entry_contents(
    data: bytes,
    header: PageHeader,
    opaque: GinPageOpaque,
    claims: list[Region],
    log: DiagnosticLog,
    options: GinDecodeOptions,
) -> Contents:
    size = len(data)
    lps = parse_line_pointers(data, header, log)
    claims.extend(line_pointer_claims(header, lps, size))
    kind = opaque.page_type
    columns = options.key_columns()
    entries: list[GinEntry] = []
    for lp in lps:
        entry, regions = _decode_entry(data, lp, len(lps), kind, columns, options.values, log)
        claims.extend(regions)
        if entry is not None:
            entries.append(entry)
    if kind is GinPageType.ENTRY_INTERNAL and not lps:
        log.error("gin-empty-internal", "an internal entry page without tuples")
    return GinEntryPage, lps, claims, {"opaque": opaque, "entries": tuple(entries)}


def _decode_entry(
    data: bytes,
    lp: ItemId,
    nitems: int,
    kind: GinPageType | None,
    columns: tuple[KeyColumn, ...],
    values: ValueDecoder,
    log: DiagnosticLog,
) -> tuple[GinEntry | None, list[Region]]:
    name = f"lp {lp.lp}"
    inside = check_line_pointer(lp, len(data), nitems, log)
    if lp.lp_flags == C.LP_REDIRECT:
        log.error("gin-redirect", f"{name} is LP_REDIRECT, which GIN never uses", lp.span)
        return None, []
    if not inside or not lp.has_storage:
        if lp.lp_flags == C.LP_UNUSED:
            log.warning("gin-lp-unused", f"{name} is LP_UNUSED", lp.span)
        return None, []
    start = lp.lp_off
    stop = lp.item_span.stop
    item = lp.lp
    if lp.lp_len < C.SizeOfIndexTupleData:
        log.error(
            "gin-item-short", f"{name}: lp_len {lp.lp_len} is shorter than IndexTupleData", lp.span
        )
        return None, [Region(RegionKind.ITEM, lp.item_span, item, "undecodable item")]
    bi_hi, bi_lo, posid, t_info = _TUPLE.unpack_from(data, start)
    bi_block = (bi_hi << 16) | bi_lo
    regions = [
        Region(
            RegionKind.TUPLE_HEADER,
            Span(start, start + C.SizeOfIndexTupleData),
            item,
            "IndexTupleData",
        )
    ]
    t_info_span = Span(start + 6, start + 8)
    if t_info & C.INDEX_SIZE_MASK != lp.lp_len:
        log.error(
            "gin-itemlen",
            f"{name}: IndexTupleSize {t_info & C.INDEX_SIZE_MASK} differs from lp_len {lp.lp_len}",
            t_info_span,
        )
    has_nulls = bool(t_info & C.INDEX_NULL_MASK)
    cursor = start + C.SizeOfIndexTupleData
    null_bits = 0xFF
    if has_nulls:
        data_at = start + C.maxalign(C.SizeOfIndexTupleData + C.SizeOfIndexAttributeBitMapData)
        if data_at > stop:
            log.error("gin-item-short", f"{name}: no room for the null bitmap", lp.span)
            regions.append(Region(RegionKind.ITEM, Span(cursor, stop), item, "undecodable"))
            return None, regions
        natts = max(1, len(columns) and (2 if len(columns) > 1 else 1))
        bitmap_end = cursor + (natts + 7) // 8
        null_bits = data[cursor]
        regions.append(Region(RegionKind.NULL_BITMAP, Span(cursor, bitmap_end), item))
        regions.append(Region(RegionKind.HEADER_PADDING, Span(bitmap_end, data_at), item))
        cursor = data_at
    if kind is GinPageType.LIST:
        ekind = EntryKind.PENDING
    elif kind is GinPageType.ENTRY_INTERNAL:
        ekind = EntryKind.DOWNLINK
    elif posid == C.GIN_TREE_POSTING:
        ekind = EntryKind.POSTING_TREE
    else:
        ekind = EntryKind.POSTING_LIST
    key_stop = stop
    posting_at = None
    if ekind is EntryKind.POSTING_LIST:
        offset = bi_block & ~C.GIN_ITUP_COMPRESSED & 0xFFFFFFFF
        if cursor - start <= offset <= lp.lp_len:
            posting_at = start + offset
            key_stop = posting_at
        else:
            log.error(
                "gin-posting-offset",
                f"{name}: posting list offset {offset} lies outside the tuple "
                f"({cursor - start}..{lp.lp_len})",
                Span(start, start + 4),
            )
    key, key_end, spans = read_key(data, cursor, key_stop, columns, has_nulls, null_bits, values)
    if key.problem is not None:
        log.error("gin-key", f"{name}: {key.problem}", lp.item_span)
    for label, span in spans:
        kind_of = RegionKind.ALIGNMENT_PADDING if label == "padding" else RegionKind.TUPLE_DATA
        regions.append(Region(kind_of, span, item, label))
    if key.category not in C.GIN_CAT_NAMES:
        log.error(
            "gin-category",
            f"{name}: GinNullCategory {key.category} is not one GIN stores",
            lp.item_span,
        )
    if key.category != C.GIN_CAT_NORM_KEY and not has_nulls:
        log.error(
            "gin-category", f"{name}: a non-normal category without INDEX_NULL_MASK", t_info_span
        )
    segments: tuple[GinPostingSegment, ...] = ()
    uncompressed: tuple[ItemPointer, ...] | None = None
    end = key_end
    if posting_at is not None:
        if key_end < posting_at:
            regions.append(
                Region(RegionKind.ALIGNMENT_PADDING, Span(key_end, posting_at), item, "SHORTALIGN")
            )
        where = f"{name} posting list"
        if bi_block & C.GIN_ITUP_COMPRESSED:
            segments = decode_segments(data, posting_at, stop, log, where, posid)
            _claim_segments(segments, regions, item)
            end = segments[-1].span.stop if segments else posting_at
            count = sum(len(s.tids) for s in segments)
        else:
            room = (stop - posting_at) // TID_SIZE
            count = min(posid, room)
            uncompressed = decode_tid_array(data, posting_at, count)
            end = posting_at + count * TID_SIZE
            if count:
                regions.append(
                    Region(
                        RegionKind.POSTING_LIST, Span(posting_at, end), item, "ItemPointerData[]"
                    )
                )
            check_increasing(uncompressed, log, where, Span(posting_at, end))
        if count != posid:
            log.error(
                "gin-nposting",
                f"{name}: GinGetNPosting says {posid} TIDs, the posting list holds {count}",
                Span(start, start + 6),
            )
    if end < stop:
        regions.append(Region(RegionKind.ALIGNMENT_PADDING, Span(end, stop), item, "padding"))
    if ekind is EntryKind.DOWNLINK and posid != _INVALID_OFFSET:
        log.warning(
            "gin-downlink",
            f"{name}: a downlink whose t_tid offset is {posid}, not 0",
            Span(start, start + 6),
        )
    if ekind in (EntryKind.DOWNLINK, EntryKind.POSTING_TREE) and bi_block in (
        C.GIN_METAPAGE_BLKNO,
        C.InvalidBlockNumber,
    ):
        log.error("gin-downlink", f"{name}: {ekind} to block {bi_block}", Span(start, start + 4))
    if ekind is EntryKind.PENDING and (bi_block == C.InvalidBlockNumber or posid == 0):
        log.error(
            "gin-heap-tid",
            f"{name}: heap TID ({bi_block},{posid}) is not valid",
            Span(start, start + 6),
        )
    entry = GinEntry(lp, start, bi_block, posid, t_info, ekind, key, segments, uncompressed)
    return entry, regions
