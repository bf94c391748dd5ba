"""Decoding a BRIN index page after its header: the metapage, revmap pages and regular pages
of BRIN tuples, with the regions that tile each. Never raises on bad bytes; problems become
diagnostics.

``decode_page`` (``decode/dispatch.py``) is the frame around this (checksum, tiling, strict
mode) and calls :func:`brin_contents` for every page detected as BRIN. The options carry what
one page cannot say about itself: the index's columns and their opclasses (to split and
print a tuple's values), the metapage (pagesPerRange: which heap blocks each revmap slot
stands for, and what a tuple's bt_blkno must be a multiple of) and the server's major
(BRIN_EMPTY_RANGE_MASK exists from 16). :func:`brin_options` reads the metapage from block 0.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pageinspect_py import constants as C
from pageinspect_py.catalog.index import IndexColumn, IndexDescription
from pageinspect_py.decode.align import attribute_bounds, null_bitmap_bytes
from pageinspect_py.decode.brin.model import (
    PAGE_TYPE_NAMES,
    BrinColumn,
    BrinItem,
    BrinMeta,
    BrinMetaPage,
    BrinPage,
    BrinRegularPage,
    BrinRevmapPage,
    BrinSpecial,
    BrinTuple,
    BrinValue,
    RevmapEntry,
)
from pageinspect_py.decode.brin.opclass import opclass_family, stored_values
from pageinspect_py.decode.common import Region, RegionKind, Span
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.indexpage import Contents
from pageinspect_py.decode.output import datum_text
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
from pageinspect_py.errors import DatumError, PageInspectError
from pageinspect_py.layouts._util import struct_format
from pageinspect_py.layouts.brin import (
    BRIN_SPECIAL_WORDS,
    BrinMetaPageData,
    BrinTupleData,
    SizeOfBrinMetaPageData,
    SizeOfBrinSpecialSpace,
    SizeOfBrinTuple,
    SizeOfItemPointerData,
    revmap_page_maxitems,
)
from pageinspect_py.layouts.heap import ItemPointerData

_SPECIAL = struct.Struct(f"<{BRIN_SPECIAL_WORDS}H")  # BrinSpecialSpace.vector
_META = struct.Struct(struct_format(BrinMetaPageData))
_TUPLE = struct.Struct(struct_format(BrinTupleData))
_TID = struct.Struct(struct_format(ItemPointerData))
_LOWER = Span(12, 14)  # pd_lower


@dataclass(frozen=True, slots=True)
class BrinDecodeOptions:
    """What is known about the BRIN index beyond its page: its columns with their opclasses
    (``IndexDescription``, e.g. ``index_from_manifest``), the server's major, and the
    metapage (:func:`brin_options` reads it)."""

    index: IndexDescription | None = None
    major: int | None = None
    meta: BrinMeta | None = None


def brin_options(
    read: Callable[[int], bytes | None] | None = None,
    *,
    index: IndexDescription | None = None,
    major: int | None = None,
) -> BrinDecodeOptions:
    """The options of a BRIN index: its columns and major as given, and the metapage of
    block 0 when ``read(blkno)`` returns it (None past the end). A block 0 that is not a
    BRIN metapage with the right magic leaves ``meta`` None."""
    meta = None
    if read is not None:
        first = read(C.BRIN_METAPAGE_BLKNO)
        if first is not None and len(first) >= C.SizeOfPageHeaderData + SizeOfBrinSpecialSpace:
            special = parse_special(first, len(first) - SizeOfBrinSpecialSpace)
            candidate = parse_meta(first)
            if (
                special.page_type == C.BRIN_PAGETYPE_META
                and candidate is not None
                and candidate.brinMagic == C.BRIN_META_MAGIC
            ):
                meta = candidate
    return BrinDecodeOptions(index=index, major=major, meta=meta)


# ----------------------------------------------------------------------------------------------
# structures


def parse_special(data: bytes, offset: int) -> BrinSpecial:
    return BrinSpecial(offset, tuple(_SPECIAL.unpack_from(data, offset)))


def parse_meta(data: bytes) -> BrinMeta | None:
    """BrinMetaPageData at PageGetContents(); None when the page is too short."""
    start = C.maxalign(C.SizeOfPageHeaderData)
    end = start + SizeOfBrinMetaPageData
    if end > len(data):
        return None
    magic, version, ppr, last = _META.unpack_from(data, start)
    return BrinMeta(magic, version, ppr, last, Span(start, end))


def special_of_bytes(data: bytes) -> int | None:
    """BrinPageType of raw page bytes (their last half-word)."""
    if len(data) < SizeOfBrinSpecialSpace:
        return None
    return parse_special(data, len(data) - SizeOfBrinSpecialSpace).page_type


# ----------------------------------------------------------------------------------------------
# the page


def brin_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    log: DiagnosticLog,
    options: BrinDecodeOptions | None = None,
) -> Contents:
    """Decode a BRIN page after its header: the model class, line pointers, region claims
    and the model's own fields. Never raises on bad bytes."""
    options = options or BrinDecodeOptions()
    check_header(header, len(data), log)
    size = len(data)
    claims = [Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData))]
    base: dict[str, Any] = {"major": options.major}
    if size < C.SizeOfPageHeaderData + SizeOfBrinSpecialSpace:
        log.error("brin-special-size", f"a {size}-byte page has no room for BrinSpecialSpace")
        return BrinPage, (), claims, {**base, "special": None}
    special = _special(data, header, claims, log)
    extra = {**base, "special": special}
    kind = special.page_type
    if kind == C.BRIN_PAGETYPE_META:
        return _meta_contents(data, header, blkno, claims, log, extra)
    if kind == C.BRIN_PAGETYPE_REVMAP:
        return _revmap_contents(data, header, blkno, claims, log, extra, options)
    if kind == C.BRIN_PAGETYPE_REGULAR:
        return _regular_contents(data, header, blkno, claims, log, extra, options)
    log.error(
        "brin-page-type",
        f"BrinPageType 0x{kind:04x} is none of BRIN_PAGETYPE_META/REVMAP/REGULAR "
        f"({', '.join(f'0x{k:04x}' for k in PAGE_TYPE_NAMES)})",
        Span(size - 2, size),
    )
    end = special.offset
    claims.append(Region(RegionKind.UNKNOWN, Span(C.SizeOfPageHeaderData, end), label="?"))
    return BrinPage, (), claims, extra


def _special(
    data: bytes, header: PageHeader, claims: list[Region], log: DiagnosticLog
) -> BrinSpecial:
    """BrinSpecialSpace: the page's last 8 bytes, which pd_special should point at."""
    size = len(data)
    offset = size - SizeOfBrinSpecialSpace
    if header.pd_special != offset:
        log.error(
            "brin-special-size",
            f"pd_special {header.pd_special}: a BRIN page's special space is its last "
            f"{SizeOfBrinSpecialSpace} bytes (pd_special {offset}); read from there",
            Span(16, 18),
        )
    special = parse_special(data, offset)
    claims.append(Region(RegionKind.SPECIAL, special.span, label="BrinSpecialSpace"))
    flags_span = Span(special.span.stop - 4, special.span.stop - 2)
    if special.flags & ~C.BRIN_EVACUATE_PAGE:
        log.warning("brin-flags", f"unknown BrinPageFlags bits 0x{special.flags:04x}", flags_span)
    if any(special.vector[: BRIN_SPECIAL_WORDS - 2]):
        log.warning(
            "brin-special-unused",
            "the unused half-words of BrinSpecialSpace are not zero",
            Span(offset, offset + 4),
        )
    if special.evacuate and special.page_type != C.BRIN_PAGETYPE_REGULAR:
        log.warning(
            "brin-flags",
            f"BRIN_EVACUATE_PAGE on a {special.type_name} page (only regular pages are "
            "evacuated, to become revmap pages)",
            flags_span,
        )
    return special


def _meta_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    claims: list[Region],
    log: DiagnosticLog,
    extra: dict[str, Any],
) -> Contents:
    size = len(data)
    meta = parse_meta(data)
    end = C.SizeOfPageHeaderData
    if meta is None or meta.span.stop > size - SizeOfBrinSpecialSpace:
        log.error("brin-meta-size", "the page has no room for BrinMetaPageData")
        meta = None
    else:
        end = meta.span.stop
        claims.append(Region(RegionKind.METADATA, meta.span, label="BrinMetaPageData"))
        _check_meta(meta, header, log)
    if blkno != C.BRIN_METAPAGE_BLKNO:
        log.error("brin-meta-block", f"a BRIN metapage at block {blkno}, not block 0")
    if (free := free_space_after(header, end, size)) is not None:
        claims.append(free)
    return BrinMetaPage, (), claims, {**extra, "meta": meta}


def _meta_field(meta: BrinMeta, name: str) -> Span:
    return next(f.span for f in meta.fields() if f.name == name)


def _check_meta(meta: BrinMeta, header: PageHeader, log: DiagnosticLog) -> None:
    """What brin_metapage_init promises."""
    if meta.brinMagic != C.BRIN_META_MAGIC:
        log.error(
            "brin-meta-magic",
            f"brinMagic 0x{meta.brinMagic:08X}, not BRIN_META_MAGIC 0x{C.BRIN_META_MAGIC:08X}",
            _meta_field(meta, "brinMagic"),
        )
    if meta.brinVersion != C.BRIN_CURRENT_VERSION:
        log.error(
            "brin-meta-version",
            f"brinVersion {meta.brinVersion}, not BRIN_CURRENT_VERSION {C.BRIN_CURRENT_VERSION}",
            _meta_field(meta, "brinVersion"),
        )
    if meta.pagesPerRange == 0:
        log.error("brin-meta-ppr", "pagesPerRange is 0", _meta_field(meta, "pagesPerRange"))
    if meta.lastRevmapPage == 0:
        log.error(
            "brin-meta-lastrevmap",
            "lastRevmapPage is 0: a BRIN index has at least one revmap page (block 1)",
            _meta_field(meta, "lastRevmapPage"),
        )
    if header.pd_lower != meta.span.stop:
        log.warning(
            "brin-meta-lower",
            f"pd_lower {header.pd_lower}: brin_metapage_init sets it just past "
            f"BrinMetaPageData ({meta.span.stop})",
            _LOWER,
        )


def _revmap_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    claims: list[Region],
    log: DiagnosticLog,
    extra: dict[str, Any],
    options: BrinDecodeOptions,
) -> Contents:
    size = len(data)
    block_size = size if size in C.VALID_BLOCK_SIZES else C.BLCKSZ
    maxitems = revmap_page_maxitems(block_size)
    start = C.maxalign(C.SizeOfPageHeaderData)
    room = max(0, (size - SizeOfBrinSpecialSpace - start) // SizeOfItemPointerData)
    count = min(maxitems, room)
    meta = options.meta
    if blkno == C.BRIN_METAPAGE_BLKNO:
        log.error("brin-revmap-block", "a revmap page at block 0 (the metapage's block)")
        index = None
    else:
        index = blkno - 1
    if meta is not None and blkno > meta.lastRevmapPage:
        log.warning(
            "brin-revmap-block",
            f"a revmap page at block {blkno}, past the metapage's lastRevmapPage "
            f"{meta.lastRevmapPage}",
        )
    ppr = meta.pagesPerRange if meta is not None else None
    entries: list[RevmapEntry] = []
    run_start: int | None = None
    for slot in range(count):
        at = start + slot * SizeOfItemPointerData
        bi_hi, bi_lo, posid = _TID.unpack_from(data, at)
        tid = ItemPointer((bi_hi << 16) | bi_lo, posid)
        span = Span(at, at + SizeOfItemPointerData)
        range_index = index * maxitems + slot if index is not None else None
        first = range_index * ppr if range_index is not None and ppr is not None else None
        entry = RevmapEntry(slot, tid, span, range_index, first)
        entries.append(entry)
        if entry.summarized:
            if run_start is not None:
                claims.append(_unused_slots(run_start, slot, start))
                run_start = None
            claims.append(
                Region(RegionKind.METADATA, span, label=f"rm_tids[{slot}] {tid}")
            )  # fmt: skip
            _check_tid(entry, blkno, meta, log)
        elif run_start is None:
            run_start = slot
    if run_start is not None:
        claims.append(_unused_slots(run_start, count, start))
    end = start + count * SizeOfItemPointerData
    if end < size - SizeOfBrinSpecialSpace:
        claims.append(
            Region(
                RegionKind.ALIGNMENT_PADDING,
                Span(end, size - SizeOfBrinSpecialSpace),
                label="REVMAP_CONTENT_SIZE past the last whole TID",
            )
        )
    if header.pd_lower != C.SizeOfPageHeaderData:
        log.warning(
            "brin-revmap-lower",
            f"pd_lower {header.pd_lower}: a revmap page keeps it at {C.SizeOfPageHeaderData} "
            "(the TIDs are not line pointers)",
            _LOWER,
        )
    return (
        BrinRevmapPage,
        (),
        claims,
        {**extra, "entries": tuple(entries), "revmap_index": index, "index_meta": meta},
    )


def _unused_slots(first: int, stop: int, start: int) -> Region:
    span = Span(start + first * SizeOfItemPointerData, start + stop * SizeOfItemPointerData)
    label = f"rm_tids[{first}]" if stop - first == 1 else f"rm_tids[{first}..{stop - 1}]"
    return Region(RegionKind.METADATA, span, label=f"{label} (0,0): not summarized")


def _check_tid(entry: RevmapEntry, blkno: int, meta: BrinMeta | None, log: DiagnosticLog) -> None:
    tid = entry.tid
    if tid.offset == 0:
        log.error(
            "brin-revmap-tid",
            f"rm_tids[{entry.slot}] {tid}: offset number 0 is no line pointer",
            entry.span,
        )
    elif meta is not None and tid.block <= meta.lastRevmapPage:
        log.error(
            "brin-revmap-tid",
            f"rm_tids[{entry.slot}] {tid} points into the metapage or the range map "
            f"(blocks 0..{meta.lastRevmapPage}), not at a regular page",
            entry.span,
        )
    elif tid.block in (C.BRIN_METAPAGE_BLKNO, blkno):
        log.error(
            "brin-revmap-tid",
            f"rm_tids[{entry.slot}] {tid} points at the metapage or this revmap page",
            entry.span,
        )


def _regular_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    claims: list[Region],
    log: DiagnosticLog,
    extra: dict[str, Any],
    options: BrinDecodeOptions,
) -> Contents:
    size = len(data)
    lps = parse_line_pointers(data, header, log)
    claims.extend(line_pointer_claims(header, lps, size))
    if blkno <= C.BRIN_METAPAGE_BLKNO:
        log.error("brin-regular-block", f"a regular BRIN page at block {blkno}")
    elif options.meta is not None and blkno <= options.meta.lastRevmapPage:
        log.error(
            "brin-regular-block",
            f"a regular page at block {blkno}, inside the range map (blocks 1.."
            f"{options.meta.lastRevmapPage})",
        )
    items: list[BrinItem] = []
    columns = options.index.columns if options.index is not None else None
    for lp in lps:
        item, regions = _decode_item(data, lp, len(lps), log, columns, options)
        claims.extend(regions)
        items.append(item)
    return (
        BrinRegularPage,
        lps,
        claims,
        {
            **extra,
            "items": tuple(items),
            "typed": columns is not None,
            "index_meta": options.meta,
        },
    )


def _decode_item(
    data: bytes,
    lp: ItemId,
    nitems: int,
    log: DiagnosticLog,
    columns: Sequence[IndexColumn] | None,
    options: BrinDecodeOptions,
) -> tuple[BrinItem, list[Region]]:
    name = f"lp {lp.lp}"
    inside = check_line_pointer(lp, len(data), nitems, log)
    if lp.lp_flags in (C.LP_REDIRECT, C.LP_DEAD):
        log.error(
            "brin-lp-flags",
            f"{name} is {lp.flags_name}: BRIN pages only have LP_NORMAL and LP_UNUSED items",
            lp.span,
        )
    if lp.lp_flags == C.LP_UNUSED or not inside or not lp.has_storage:
        return BrinItem(lp), []
    start, stop = lp.lp_off, lp.lp_off + lp.lp_len
    if lp.lp_len < SizeOfBrinTuple:
        log.error(
            "brin-item-short",
            f"{name}: lp_len {lp.lp_len} is shorter than a BRIN tuple header ({SizeOfBrinTuple})",
            lp.span,
        )
        return BrinItem(lp), [Region(RegionKind.ITEM, lp.item_span, lp.lp, "undecodable item")]
    bt_blkno, bt_info = _TUPLE.unpack_from(data, start)
    regions = [
        Region(RegionKind.TUPLE_HEADER, Span(start, start + SizeOfBrinTuple), lp.lp, "BrinTuple")
    ]
    info_span = Span(start + SizeOfBrinTuple - 1, start + SizeOfBrinTuple)
    meta = options.meta
    if meta is not None and meta.pagesPerRange and bt_blkno % meta.pagesPerRange:
        log.error(
            "brin-tuple-blkno",
            f"{name}: bt_blkno {bt_blkno} is not the first block of a range (a multiple of "
            f"pagesPerRange {meta.pagesPerRange})",
            Span(start, start + 4),
        )
    # BRIN_EMPTY_RANGE_MASK: written by every major since the minor releases of May 2023
    # (the empty-range fix was backpatched to 11: a 12.15+ server sets it, as the fixtures
    # show); only pageinspect's ``empty`` column is 16+
    hoff = bt_info & C.BRIN_OFFSET_MASK
    has_nulls = bool(bt_info & C.BRIN_NULLS_MASK)
    cursor = start + SizeOfBrinTuple
    bitmap: bytes | None = None
    natts = len(columns) if columns is not None else None
    if has_nulls:
        width = null_bitmap_bytes(2 * natts) if natts is not None else hoff - SizeOfBrinTuple
        width = max(0, min(width, stop - cursor))
        bitmap = data[cursor : cursor + width]
        if width:
            regions.append(
                Region(RegionKind.NULL_BITMAP, Span(cursor, cursor + width), lp.lp, "null bitmap")
            )
        cursor += width
    expected = C.maxalign(cursor - start)
    if natts is not None and hoff != expected:
        log.error(
            "brin-tuple-hoff",
            f"{name}: data offset (bt_info & BRIN_OFFSET_MASK) {hoff}, brin_form_tuple puts "
            f"the data at {expected}",
            info_span,
        )
    data_at = start + hoff
    if data_at < cursor or data_at > stop:
        log.error(
            "brin-tuple-hoff",
            f"{name}: data offset {hoff} is not between the header ({cursor - start}) and "
            f"the tuple's end ({lp.lp_len})",
            info_span,
        )
        if cursor < stop:
            regions.append(Region(RegionKind.ITEM, Span(cursor, stop), lp.lp, "undecodable"))
        tup = BrinTuple(start, lp.lp_len, bt_blkno, bt_info, bitmap, None)
        return BrinItem(lp, tup), regions
    if data_at > cursor:
        regions.append(Region(RegionKind.HEADER_PADDING, Span(cursor, data_at), lp.lp))
    decoded: tuple[BrinColumn, ...] | None = None
    if columns is None:
        if data_at < stop:
            regions.append(
                Region(
                    RegionKind.TUPLE_DATA,
                    Span(data_at, stop),
                    lp.lp,
                    "values (untyped: the index's columns are not known)",
                )
            )
    else:
        decoded, value_regions = _decode_columns(
            data, data_at, stop, lp, columns, bitmap if has_nulls else None, log
        )
        regions.extend(value_regions)
    return BrinItem(lp, BrinTuple(start, lp.lp_len, bt_blkno, bt_info, bitmap, decoded)), regions


def _bit(bitmap: bytes | None, n: int) -> bool:
    """The bit brin_form_tuple sets for a NULL (the reverse of att_isnull)."""
    if bitmap is None or n // 8 >= len(bitmap):
        return False
    return bool(bitmap[n // 8] >> (n % 8) & 1)


def _decode_columns(
    data: bytes,
    data_at: int,
    stop: int,
    lp: ItemId,
    columns: Sequence[IndexColumn],
    bitmap: bytes | None,
    log: DiagnosticLog,
) -> tuple[tuple[BrinColumn, ...], list[Region]]:
    """brin_deconstruct_tuple: each column's null bits, then the values of the columns that
    are not allnulls, laid out by heap_fill_tuple (aligned, varlena headers) from data_at."""
    natts = len(columns)
    area = data[data_at:stop]
    regions: list[Region] = []
    out: list[BrinColumn] = []
    offset = 0  # within area
    broken: str | None = None
    for position, column in enumerate(columns):
        attnum = position + 1
        attribute = column.attribute
        allnulls = _bit(bitmap, position)
        hasnulls = _bit(bitmap, natts + position)
        family = opclass_family(column.opclass)
        base = (attnum, attribute.attname, column.opclass, family, allnulls, hasnulls)
        if allnulls:
            out.append(BrinColumn(*base))
            continue
        if broken is not None:
            out.append(BrinColumn(*base, problem=broken))
            continue
        stored = stored_values(column)
        if stored is None:
            broken = (
                f"column {attnum} ({attribute.attname}) has opclass {column.opclass or '?'} "
                "whose stored values are not known: its values and the ones after are untyped"
            )
            log.warning("brin-opclass", f"lp {lp.lp}: {broken}", lp.span)
            if offset < len(area):
                regions.append(
                    Region(
                        RegionKind.TUPLE_DATA,
                        Span(data_at + offset, stop),
                        lp.lp,
                        f"untyped values from attnum {attnum}",
                    )
                )
                offset = len(area)
            out.append(BrinColumn(*base, problem=broken))
            continue
        values: list[BrinValue] = []
        problem = None
        for value in stored:
            info = value.info
            try:
                begin, end = attribute_bounds(offset, info.typlen, info.typalign, area)
            except (DatumError, PageInspectError) as exc:
                problem = f"{value.name} of column {attnum}: {exc}"
                broken = f"after column {attnum}, whose values run past the tuple"
                log.error("brin-tuple-values", f"lp {lp.lp}: {problem}", lp.span)
                if offset < len(area):
                    regions.append(
                        Region(
                            RegionKind.ITEM,
                            Span(data_at + offset, stop),
                            lp.lp,
                            "undecodable values",
                        )
                    )
                    offset = len(area)
                break
            if begin > offset:
                regions.append(
                    Region(
                        RegionKind.ALIGNMENT_PADDING,
                        Span(data_at + offset, data_at + begin),
                        lp.lp,
                        f"align {info.typalign}",
                    )
                )
            raw = area[begin:end]
            span = Span(data_at + begin, data_at + end)
            regions.append(
                Region(RegionKind.TUPLE_DATA, span, lp.lp, f"attnum {attnum} {value.name}")
            )
            try:
                text: str | None = datum_text(info, raw)
                why = None
            except DatumError as exc:
                text, why = None, str(exc)
                log.error(
                    "brin-value",
                    f"lp {lp.lp}: {value.name} of column {attnum} ({info.typname}): {exc}",
                    span,
                )
            values.append(BrinValue(value.name, info.typname, span, raw, text, why))
            offset = end
        out.append(BrinColumn(*base, values=tuple(values), problem=problem))
    if offset < len(area):
        rest = Span(data_at + offset, stop)
        if stop - (data_at + offset) < C.MAXIMUM_ALIGNOF and C.maxalign(rest.start) == stop:
            regions.append(Region(RegionKind.ALIGNMENT_PADDING, rest, lp.lp))
        else:
            log.warning(
                "brin-tuple-trailing",
                f"lp {lp.lp}: {rest.length} bytes after the last value (lp_len {lp.lp_len})",
                rest,
            )
            regions.append(Region(RegionKind.UNKNOWN, rest, lp.lp, "past the values"))
    return tuple(out), regions
