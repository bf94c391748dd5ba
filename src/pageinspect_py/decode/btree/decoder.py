"""Decoding a btree page after its header: the metapage, the special space, every item and
the regions tiling each item (header ``IndexTupleData``, null bitmap, key data, posting list
or pivot heap TID, padding). Never raises on bad bytes; problems become diagnostics.

``decode_page`` (``decode/dispatch.py``) is the one frame around this (checksum, tiling,
strict mode): it calls :func:`btree_contents` for btree pages, and, given
:class:`BtreeDecodeOptions`, decodes every page of the index as one (:func:`claim_btree_kind`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pageinspect_py import constants as C
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.btree.checks import check_items, check_meta, check_opaque
from pageinspect_py.decode.btree.keys import (
    AttributeSplitter,
    KeyValue,
    ValueDecoder,
    builtin_value,
    decode_keys,
    split_attributes,
)
from pageinspect_py.decode.btree.model import (
    BtDeleted,
    BtItemKind,
    BTPageOpaque,
    BtreeItem,
    BtreeMeta,
    BtreeMetaPage,
    BtreePage,
    IndexTupleHeader,
)
from pageinspect_py.decode.btree.structs import (
    INDEX_TUPLE,
    INDEX_TUPLE_SIZE,
    OPAQUE_SIZE,
    TID,
    TID_SIZE,
)
from pageinspect_py.decode.common import Field, Region, RegionKind, Span
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.indexpage import Contents
from pageinspect_py.decode.page import (
    DiagnosticLog,
    ItemId,
    Page,
    PageHeader,
    PageKind,
    check_header,
    check_line_pointer,
    free_space_after,
    line_pointer_claims,
    parse_line_pointers,
)
from pageinspect_py.layouts._util import field_offsets
from pageinspect_py.layouts.btree import (
    KNOWN_BTP_FLAGS,
    BTDeletedPageData,
    BTPageOpaqueData,
    bt_meta_page_data,
    meta_flavour,
)

# compiled construct parsers of the structures read once per page (their fields become the
# models' Field records); the per-item structures are read with decode/btree/structs.py
_OPAQUE = BTPageOpaqueData.compile()
_DELETED = BTDeletedPageData.compile()


@dataclass(frozen=True, slots=True)
class BtreeDecodeOptions:
    """What a caller may know beyond the bytes: that the relation is a btree index (passing
    options at all says so), its key columns (typed keys) and the server major (the
    metapage's layout)."""

    index: IndexDescription | None = None
    major: int | None = None  #: server major, for the metapage's layout
    splitter: AttributeSplitter = split_attributes
    values: ValueDecoder = builtin_value


def claim_btree_kind(kind: PageKind, blkno: int, log: DiagnosticLog) -> PageKind:
    """The kind to decode a main-fork page of a btree index as: a page that does not look
    like a btree page is still decoded as one (block 0 as the metapage), with an error; an
    all-zero page stays a new page."""
    if kind in (PageKind.NEW, PageKind.BTREE, PageKind.BTREE_META):
        return kind
    claimed = PageKind.BTREE_META if blkno == C.BTREE_METAPAGE else PageKind.BTREE
    log.error(
        "not-btree",
        f"block {blkno} of a btree index does not look like a btree "
        f"page ({kind}); decoded as a {claimed} page",
    )
    return claimed


def parse_opaque(data: bytes, offset: int) -> BTPageOpaque:
    raw = _OPAQUE.parse(data[offset : offset + OPAQUE_SIZE])
    return BTPageOpaque(
        offset, raw.btpo_prev, raw.btpo_next, raw.btpo_level, raw.btpo_flags, raw.btpo_cycleid
    )


def btree_contents(
    data: bytes,
    header: PageHeader,
    kind: PageKind,
    log: DiagnosticLog,
    options: BtreeDecodeOptions | None = None,
) -> Contents:
    """Decode a btree page after its header: the model class, line pointers, region claims
    and the model's own fields. Never raises on bad bytes."""
    options = options or BtreeDecodeOptions()
    check_header(header, len(data), log)
    if kind is PageKind.BTREE_META:
        return _meta_contents(data, header, log, options)
    return _page_contents(data, header, log, options)


def _special(
    data: bytes, header: PageHeader, log: DiagnosticLog
) -> tuple[BTPageOpaque | None, Region | None]:
    """The opaque data: at pd_special when the special space is 16 bytes; otherwise read
    from the page's last 16 bytes, with an error."""
    size = len(data)
    if size < C.SizeOfPageHeaderData + OPAQUE_SIZE:
        log.error("bt-special-size", f"a {size}-byte page has no room for BTPageOpaqueData")
        return None, None
    special = size - header.pd_special
    offset = size - OPAQUE_SIZE
    if special != OPAQUE_SIZE:
        log.error(
            "bt-special-size",
            f"special space is {special} bytes (pd_special {header.pd_special}), "
            f"BTPageOpaqueData needs {OPAQUE_SIZE}; read from the page's last "
            f"{OPAQUE_SIZE} bytes",
            Span(offset, size),
        )
    opaque = parse_opaque(data, offset)
    if opaque.btpo_flags & ~KNOWN_BTP_FLAGS:
        log.warning(
            "btpo-flags",
            f"unknown btpo_flags bits 0x{opaque.btpo_flags:04x}",
            Span(offset + 12, offset + 14),
        )
    if opaque.btpo_cycleid > C.MAX_BT_CYCLE_ID:
        log.error(
            "btpo-cycleid",
            f"btpo_cycleid {opaque.btpo_cycleid} is above MAX_BT_CYCLE_ID {C.MAX_BT_CYCLE_ID}",
            Span(offset + 14, offset + 16),
        )
    region_start = header.pd_special if special == OPAQUE_SIZE else offset
    return opaque, Region(RegionKind.SPECIAL, Span(region_start, size), label="BTPageOpaqueData")


def _meta_contents(
    data: bytes, header: PageHeader, log: DiagnosticLog, options: BtreeDecodeOptions
) -> tuple[type[Page], tuple[ItemId, ...], list[Region], dict[str, Any]]:
    size = len(data)
    opaque, special = _special(data, header, log)
    claims = [Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData))]
    if special is not None:
        claims.append(special)
    start = C.SizeOfPageHeaderData
    version = int.from_bytes(data[start + 4 : start + 8], "little") if size >= start + 8 else 0
    layout = bt_meta_page_data(version, **meta_flavour(options.major, header.pd_lower))
    end = start + layout.sizeof()
    meta: BtreeMeta | None = None
    if end > size - OPAQUE_SIZE:
        log.error("bt-meta-size", "the page has no room for BTMetaPageData")
    else:
        raw = layout.parse(data[start:end])
        offsets = field_offsets(layout)
        docs = {sub.name: sub.docs or "" for sub in layout.subcons if sub.name}
        fields = tuple(
            Field(name, _number(raw[name]), Span(start + o, start + o + n), docs[name])
            for name, (o, n) in offsets.items()
        )
        delpages = raw.get("btm_last_cleanup_num_delpages", raw.get("btm_oldest_btpo_xact"))
        meta = BtreeMeta(
            btm_magic=raw.btm_magic,
            btm_version=raw.btm_version,
            btm_root=raw.btm_root,
            btm_level=raw.btm_level,
            btm_fastroot=raw.btm_fastroot,
            btm_fastlevel=raw.btm_fastlevel,
            btm_last_cleanup_num_delpages=delpages,
            btm_last_cleanup_num_heap_tuples=raw.get("btm_last_cleanup_num_heap_tuples"),
            btm_allequalimage=raw.get("btm_allequalimage"),
            span=Span(start, end),
            field_list=fields,
        )
        claims.append(Region(RegionKind.METADATA, Span(start, end), label="BTMetaPageData"))
        check_meta(meta, opaque, log)
    if (free := free_space_after(header, end, size)) is not None:
        claims.append(free)
    return BtreeMetaPage, (), claims, {"meta": meta, "opaque": opaque}


def _number(value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else 0
    return int(value)  # type: ignore[call-overload,no-any-return]


def _page_contents(
    data: bytes, header: PageHeader, log: DiagnosticLog, options: BtreeDecodeOptions
) -> tuple[type[Page], tuple[ItemId, ...], list[Region], dict[str, Any]]:
    size = len(data)
    opaque, special = _special(data, header, log)
    claims = [Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData))]
    if special is not None:
        claims.append(special)
    extra: dict[str, Any] = {"opaque": opaque, "index": options.index}
    if opaque is not None:
        check_opaque(opaque, log)
    if opaque is not None and opaque.is_deleted and opaque.has_fullxid:
        return _deleted_contents(data, header, log, claims, extra)
    lps = parse_line_pointers(data, header, log)
    claims.extend(line_pointer_claims(header, lps, size))
    items = []
    for lp in lps:
        item, item_claims = _decode_item(data, lp, len(lps), opaque, log, options)
        items.append(item)
        claims.extend(item_claims)
    extra["items"] = tuple(items)
    check_items(tuple(items), opaque, options.index, log)
    return BtreePage, lps, claims, extra


def _deleted_contents(
    data: bytes, header: PageHeader, log: DiagnosticLog, claims: list[Region], extra: dict[str, Any]
) -> tuple[type[Page], tuple[ItemId, ...], list[Region], dict[str, Any]]:
    """A 14+ deleted page: BTDeletedPageData instead of line pointers."""
    start = C.SizeOfPageHeaderData
    end = start + BTDeletedPageData.sizeof()
    raw = _DELETED.parse(data[start:end])
    extra["deleted"] = BtDeleted(raw.safexid, Span(start, end))
    claims.append(Region(RegionKind.METADATA, Span(start, end), label="BTDeletedPageData"))
    if header.pd_lower != end:
        log.warning(
            "bt-deleted-lower",
            f"a deleted page with BTP_HAS_FULLXID should have "
            f"pd_lower {end}, not {header.pd_lower}",
            Span(12, 14),
        )
    if (free := free_space_after(header, end, len(data))) is not None:
        claims.append(free)
    return BtreePage, (), claims, extra


def _decode_item(
    data: bytes,
    lp: ItemId,
    nitems: int,
    opaque: BTPageOpaque | None,
    log: DiagnosticLog,
    options: BtreeDecodeOptions,
) -> tuple[BtreeItem, list[Region]]:
    size = len(data)
    name = f"lp {lp.lp}"
    if not check_line_pointer(lp, size, nitems, log):
        kind = BtItemKind.NO_STORAGE
        if lp.has_storage and lp.lp_flags != C.LP_REDIRECT:
            kind = BtItemKind.UNDECODABLE
        elif lp.lp_flags == C.LP_REDIRECT:
            log.error("bt-redirect", f"{name} is LP_REDIRECT, which btree never uses", lp.span)
            kind = BtItemKind.UNDECODABLE
        return BtreeItem(lp, kind), []
    start = lp.lp_off
    if lp.lp_len < INDEX_TUPLE_SIZE:
        log.error(
            "bt-item-short",
            f"{name}: lp_len {lp.lp_len} is shorter than IndexTupleData ({INDEX_TUPLE_SIZE})",
            lp.span,
        )
        return (
            BtreeItem(lp, BtItemKind.UNDECODABLE),
            [Region(RegionKind.ITEM, lp.item_span, lp.lp, "undecodable item")],
        )
    bi_hi, bi_lo, ip_posid, t_info = INDEX_TUPLE.unpack_from(data, start)
    header = IndexTupleHeader(start, ItemPointer((bi_hi << 16) | bi_lo, ip_posid), t_info)
    tuple_span = lp.item_span
    length = lp.lp_len
    if header.size != lp.lp_len:
        log.error(
            "bt-itemlen",
            f"{name}: IndexTupleSize {header.size} differs from lp_len {lp.lp_len}",
            Span(start + 6, start + 8),
        )
        length = min(header.size, lp.lp_len)
        tuple_span = Span(start, start + max(length, INDEX_TUPLE_SIZE))
    stop = start + max(length, INDEX_TUPLE_SIZE)
    regions = [
        Region(
            RegionKind.TUPLE_HEADER, Span(start, start + INDEX_TUPLE_SIZE), lp.lp, "IndexTupleData"
        )
    ]
    if stop < lp.item_span.stop:
        regions.append(
            Region(RegionKind.ITEM, Span(stop, lp.item_span.stop), lp.lp, "past IndexTupleSize")
        )
    kind = _classify(lp, header, opaque)
    data_at = start + header.data_offset
    cursor = start + INDEX_TUPLE_SIZE
    t_bits = None
    if header.has_nulls:
        bitmap_end = cursor + C.SizeOfIndexAttributeBitMapData
        if data_at > stop:
            log.error(
                "bt-bitmap-short", f"{name}: the tuple is too short for its null bitmap", lp.span
            )
        else:
            bits = data[cursor:bitmap_end]
            t_bits = "".join("1" if byte >> bit & 1 else "0" for byte in bits for bit in range(8))
            regions.append(Region(RegionKind.NULL_BITMAP, Span(cursor, bitmap_end), lp.lp))
            regions.append(Region(RegionKind.HEADER_PADDING, Span(bitmap_end, data_at), lp.lp))
            cursor = data_at
    data_at = min(max(data_at, cursor), stop)
    key_end = stop
    posting: tuple[ItemPointer, ...] = ()
    posting_span = heap_tid_span = None
    heap_tid: ItemPointer | None = None
    natts: int | None = None
    if header.is_posting:
        posting, posting_span, key_end = _posting(data, lp, header, data_at, stop, log, regions)
        heap_tid = posting[0] if posting else None
    elif header.alt_tid:
        natts = header.t_tid.offset & C.BT_OFFSET_MASK
        if header.t_tid.offset & C.BT_PIVOT_HEAP_TID_ATTR:
            tid_at = stop - TID_SIZE
            if tid_at - (C.maxalign(TID_SIZE) - TID_SIZE) < data_at:
                log.error(
                    "bt-pivot-tid",
                    f"{name}: the tuple is too short for the heap TID "
                    "BT_PIVOT_HEAP_TID_ATTR says it keeps",
                    lp.span,
                )
            else:
                heap_tid = _tid_at(data, tid_at)
                heap_tid_span = Span(tid_at, stop)
                key_end = stop - C.maxalign(TID_SIZE)
                regions.append(Region(RegionKind.ALIGNMENT_PADDING, Span(key_end, tid_at), lp.lp))
                regions.append(Region(RegionKind.HEAP_TID, heap_tid_span, lp.lp))
    elif kind is BtItemKind.LEAF or (
        kind is BtItemKind.HIGH_KEY and opaque is not None and opaque.is_leaf
    ):
        heap_tid = header.t_tid  # BTreeTupleGetHeapTID of a plain tuple
    key_span = Span(data_at, max(data_at, key_end))
    keys = None
    if options.index is not None:
        keys = _typed_keys(data, key_span, header, t_bits, natts, kind, options, regions, lp)
    elif key_span.length:
        regions.append(Region(RegionKind.TUPLE_DATA, key_span, lp.lp, "key"))
    downlink = None
    top_parent = None
    if opaque is not None and kind in (BtItemKind.PIVOT, BtItemKind.MINUS_INFINITY):
        downlink = header.t_tid.block
    if kind is BtItemKind.HIGH_KEY and opaque is not None and opaque.is_leaf and opaque.ignore:
        top_parent = header.t_tid.block
    return BtreeItem(
        lp=lp,
        kind=kind,
        header=header,
        span=tuple_span,
        t_bits=t_bits,
        key_span=key_span,
        natts=natts,
        downlink=downlink,
        heap_tid=heap_tid,
        heap_tid_span=heap_tid_span,
        posting=posting,
        posting_span=posting_span,
        top_parent=top_parent,
        keys=keys,
    ), regions


def _classify(lp: ItemId, header: IndexTupleHeader, opaque: BTPageOpaque | None) -> BtItemKind:
    if opaque is None:
        return BtItemKind.POSTING if header.is_posting else BtItemKind.LEAF
    if lp.lp == C.P_HIKEY and not opaque.is_rightmost:
        return BtItemKind.HIGH_KEY
    if not opaque.is_leaf:
        return BtItemKind.MINUS_INFINITY if lp.lp == opaque.first_data_key else BtItemKind.PIVOT
    return BtItemKind.POSTING if header.is_posting else BtItemKind.LEAF


def _tid_at(data: bytes, offset: int) -> ItemPointer:
    hi, lo, posid = TID.unpack_from(data, offset)
    return ItemPointer((hi << 16) | lo, posid)


def _posting(
    data: bytes,
    lp: ItemId,
    header: IndexTupleHeader,
    data_at: int,
    stop: int,
    log: DiagnosticLog,
    regions: list[Region],
) -> tuple[tuple[ItemPointer, ...], Span | None, int]:
    """BTreeTupleGetPosting / GetNPosting: the TID array at the offset t_tid's block names."""
    name = f"lp {lp.lp}"
    start = lp.lp_off
    offset = header.t_tid.block
    count = header.t_tid.offset & C.BT_OFFSET_MASK
    at = start + offset
    if not data_at <= at <= stop or offset != C.maxalign(offset):
        log.error(
            "bt-posting-offset",
            f"{name}: posting list offset {offset} is not a "
            f"MAXALIGNed offset between the key data ({data_at - start}) and the tuple "
            f"end ({stop - start})",
            Span(start, start + 4),
        )
        return (), None, stop
    fits = (stop - at) // TID_SIZE
    if count > fits:
        log.error(
            "bt-posting-truncated",
            f"{name}: posting list of {count} TIDs at offset "
            f"{offset} needs {count * TID_SIZE} bytes, the tuple has {stop - at} "
            f"({fits} TIDs)",
            Span(at, stop),
        )
        count = fits
    tids = tuple(
        ItemPointer((hi << 16) | lo, posid)
        for hi, lo, posid in TID.iter_unpack(data[at : at + count * TID_SIZE])
    )
    span = Span(at, at + count * TID_SIZE)
    regions.append(Region(RegionKind.POSTING_LIST, span, lp.lp))
    if span.stop < stop:
        regions.append(Region(RegionKind.ALIGNMENT_PADDING, Span(span.stop, stop), lp.lp))
    return tids, span, at


def _typed_keys(
    data: bytes,
    key_span: Span,
    header: IndexTupleHeader,
    t_bits: str | None,
    natts: int | None,
    kind: BtItemKind,
    options: BtreeDecodeOptions,
    regions: list[Region],
    lp: ItemId,
) -> tuple[KeyValue, ...]:
    index = options.index
    assert index is not None
    columns = index.columns
    if natts is not None:  # a pivot stores only key attributes, maybe fewer
        columns = columns[: min(natts, index.nkeyatts)]
    elif kind is BtItemKind.POSTING:
        columns = index.key_columns()
    isnull = [t_bits is not None and t_bits[i] == "0" for i in range(len(columns))]
    keys = decode_keys(
        data,
        key_span.start,
        key_span.stop,
        columns,
        isnull,
        splitter=options.splitter,
        values=options.values,
    )
    cursor = key_span.start
    for key in keys:
        if key.span is None:
            continue
        if key.span.start > cursor:
            regions.append(
                Region(RegionKind.ALIGNMENT_PADDING, Span(cursor, key.span.start), lp.lp)
            )
        regions.append(Region(RegionKind.TUPLE_DATA, key.span, lp.lp, key.name))
        cursor = key.span.stop
    if any(k.problem for k in keys):
        if cursor < key_span.stop:
            regions.append(
                Region(RegionKind.TUPLE_DATA, Span(cursor, key_span.stop), lp.lp, "key (undecoded)")
            )
    elif cursor < key_span.stop:
        regions.append(Region(RegionKind.ALIGNMENT_PADDING, Span(cursor, key_span.stop), lp.lp))
    return keys
