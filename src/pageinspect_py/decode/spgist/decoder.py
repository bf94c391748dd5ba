"""Decoding an SP-GiST page after its header: the metapage, inner pages (inner tuples: header,
prefix datum, node tuples with their labels and downlinks), leaf pages (leaf tuples: header,
nulls bitmap, leaf datum, INCLUDE columns) and dead tuples on either, with regions that tile
the page. Never raises on bad bytes; problems become diagnostics.

Datums are typed by the opclass's spgConfig types (:mod:`.opclass`) when the options name the
opclass (:func:`spgist_options` from an ``IndexDescription``); otherwise they are bytes.

Version: the leaf tuple's second field is read with 14+'s masks (``SGLT_GET_NEXTOFFSET``,
``SGLT_GET_HASNULLMASK``) whatever the major, which gives 12/13's ``nextOffset`` unchanged (an
offset never reaches 0x3FFF on pages up to 32 kB); given ``major`` < 14, a flag bit set in it
is an error (12/13 have no nulls bitmap), and fields are named ``nextOffset``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Region, RegionKind, Span
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.indexpage import Contents
from pageinspect_py.decode.output.base import TypeInfo
from pageinspect_py.decode.output.registry import datum_text
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
from pageinspect_py.decode.spgist.model import (
    LAST_USED_SIZE,
    SpGistDatum,
    SpGistDeadTuple,
    SpGistInnerTuple,
    SpGistLastUsed,
    SpGistLeafTuple,
    SpGistMeta,
    SpGistNode,
    SpGistPage,
    SpGistPageOpaque,
    tupstate_name,
)
from pageinspect_py.decode.spgist.opclass import SpGistConfig, config_of
from pageinspect_py.decode.varlena import varsize_any
from pageinspect_py.errors import DatumError
from pageinspect_py.layouts._util import struct_format
from pageinspect_py.layouts.spgist import (
    INNER_MASKS,
    LEAF_MASKS,
    SGDTSIZE,
    SGITHDRSZ,
    SGLTHDRSZ,
    SGLTHDRSZ_NULLS,
    SGNTHDRSZ,
    SIZEOF_DATUM,
    SPGIST_META_OFFSETS,
    SizeOfSpGistLeafTupleData,
    SizeOfSpGistMetaPageData,
    SizeOfSpGistPageOpaqueData,
    SpGistInnerTupleData,
    SpGistNodeTupleData,
    SpGistPageOpaqueData,
    spgist_dead_tuple_data,
    spgist_leaf_tuple_data,
)

_OPAQUE = struct.Struct(struct_format(SpGistPageOpaqueData))
_INNER = struct.Struct(struct_format(SpGistInnerTupleData))
_NODE = struct.Struct(struct_format(SpGistNodeTupleData))
_LEAF = struct.Struct(struct_format(spgist_leaf_tuple_data()))
_DEAD = struct.Struct(struct_format(spgist_dead_tuple_data()))
_LUP = struct.Struct("<Ii")
_U32 = struct.Struct("<I")
_INNER_HDR = _INNER.size  # 6: tupstate..prefixSize word and size


@dataclass(frozen=True, slots=True)
class SpGistDecodeOptions:
    """What is known about the SP-GiST index beyond its page: the key column's opclass, the
    types of its spgConfig (prefixType, labelType, leafType; None: untyped bytes) and the
    server major (the leaf tuple's ``nextOffset`` / ``t_info``). Build it with
    ``analysis.spgiststats.spgist_index_options(index, major)`` (or
    ``spgist_decode_options(opclass, major)``), which fills the types from the opclass."""

    opclass: str | None = None
    major: int | None = None
    prefix_type: TypeInfo | None = None
    label_type: TypeInfo | None = None
    leaf_type: TypeInfo | None = None

    @property
    def config(self) -> SpGistConfig | None:
        return config_of(self.opclass)


# ----------------------------------------------------------------------------------------------
# structures read once per page


def parse_opaque(data: bytes, offset: int) -> SpGistPageOpaque:
    flags, nredir, nplace, page_id = _OPAQUE.unpack_from(data, offset)
    return SpGistPageOpaque(offset, flags, nredir, nplace, page_id)


def parse_meta(data: bytes) -> SpGistMeta | None:
    """SpGistMetaPageData at PageGetContents(); None when the page is too short."""
    start = C.SizeOfPageHeaderData
    end = start + SizeOfSpGistMetaPageData
    if end > len(data):
        return None
    (magic,) = _U32.unpack_from(data, start)
    base = start + SPGIST_META_OFFSETS["lastUsedPages"][0]
    pages = []
    for i in range(C.SPGIST_CACHED_PAGES):
        at = base + i * LAST_USED_SIZE
        blkno, free = _LUP.unpack_from(data, at)
        pages.append(SpGistLastUsed(i, blkno, free, Span(at, at + LAST_USED_SIZE)))
    return SpGistMeta(magic, tuple(pages), Span(start, end))


def page_opaque(data: bytes) -> SpGistPageOpaque | None:
    """The opaque data from the page's last 8 bytes (where SpGistInitPage puts it)."""
    if len(data) < C.SizeOfPageHeaderData + SizeOfSpGistPageOpaqueData:
        return None
    return parse_opaque(data, len(data) - SizeOfSpGistPageOpaqueData)


# ----------------------------------------------------------------------------------------------
# the page


def spgist_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    log: DiagnosticLog,
    options: SpGistDecodeOptions | None = None,
) -> Contents:
    """Decode an SP-GiST page after its header: the model class, line pointers, region claims
    and the model's own fields. Never raises on bad bytes."""
    options = options or SpGistDecodeOptions()
    check_header(header, len(data), log)
    size = len(data)
    claims = [Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData))]
    opaque = None
    if size < C.SizeOfPageHeaderData + SizeOfSpGistPageOpaqueData:
        log.error("spgist-special-size", f"a {size}-byte page has no room for SpGistPageOpaqueData")
    else:
        offset = size - SizeOfSpGistPageOpaqueData
        if header.pd_special != offset:
            log.error(
                "spgist-special-size",
                f"special space is {size - header.pd_special} bytes (pd_special "
                f"{header.pd_special}), MAXALIGN(sizeof(SpGistPageOpaqueData)) is "
                f"{SizeOfSpGistPageOpaqueData}; read from the page's last bytes",
                Span(offset, size),
            )
        opaque = parse_opaque(data, offset)
        start = header.pd_special if header.pd_upper <= header.pd_special <= offset else offset
        claims.append(Region(RegionKind.SPECIAL, Span(start, size), label="SpGistPageOpaqueData"))
        _check_flags(opaque, blkno, log)
    extra: dict[str, object] = {
        "opaque": opaque,
        "opclass": options.opclass if options.config else None,
    }
    if opaque is not None and opaque.is_meta:
        return _meta_contents(data, header, blkno, claims, log, extra)
    return _tuple_contents(data, header, blkno, opaque, claims, log, options, extra)


def _check_flags(opaque: SpGistPageOpaque, blkno: int, log: DiagnosticLog) -> None:
    span = Span(opaque.offset, opaque.offset + 2)
    known = 0
    for bit, _name in C.SPGIST_FLAG_NAMES:
        known |= bit
    if opaque.flags & ~known:
        log.warning("spgist-flags", f"unknown flags bits 0x{opaque.flags:04x}", span)
    if opaque.is_meta and blkno != C.SPGIST_METAPAGE_BLKNO:
        log.error("spgist-meta-block", f"a metapage at block {blkno}, not block 0", span)
    if not opaque.is_meta and blkno == C.SPGIST_METAPAGE_BLKNO:
        log.error("spgist-meta-block", "block 0 is not flagged SPGIST_META", span)
    if opaque.is_deleted:
        log.warning("spgist-deleted", "SPGIST_DELETED is never set by PostgreSQL", span)
    if blkno == C.SPGIST_ROOT_BLKNO and opaque.stores_nulls:
        log.error("spgist-root", "block 1 (the root of non-null keys) has SPGIST_NULLS", span)
    if blkno == C.SPGIST_NULL_BLKNO and not opaque.stores_nulls and not opaque.is_meta:
        log.error("spgist-root", "block 2 (the root of NULL keys) lacks SPGIST_NULLS", span)


def _meta_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    claims: list[Region],
    log: DiagnosticLog,
    extra: dict[str, object],
) -> Contents:
    size = len(data)
    meta = parse_meta(data)
    end = C.SizeOfPageHeaderData
    if meta is None or meta.span.stop > size - SizeOfSpGistPageOpaqueData:
        log.error("spgist-meta-size", "the page has no room for SpGistMetaPageData")
        meta = None
    else:
        end = meta.span.stop
        claims.append(Region(RegionKind.METADATA, meta.span, label="SpGistMetaPageData"))
        if meta.magicNumber != C.SPGIST_MAGIC_NUMBER:
            log.error(
                "spgist-meta-magic",
                f"magicNumber 0x{meta.magicNumber:08x}, not SPGIST_MAGIC_NUMBER "
                f"0x{C.SPGIST_MAGIC_NUMBER:08x}",
                Span(meta.span.start, meta.span.start + 4),
            )
        if header.pd_lower != end:
            log.warning(
                "spgist-meta-lower",
                f"pd_lower {header.pd_lower}: SpGistInitMetapage sets it just past "
                f"SpGistMetaPageData ({end})",
                Span(12, 14),
            )
        for page in meta.cachedPage:
            if page.in_use and page.blkno <= C.SPGIST_METAPAGE_BLKNO:
                log.error(
                    "spgist-meta-cache",
                    f"cachedPage[{page.index}] names block {page.blkno}, the metapage",
                    page.span,
                )
    if (free := free_space_after(header, end, size)) is not None:
        claims.append(free)
    extra = dict(extra, meta=meta)
    return SpGistPage, (), claims, extra


def _tuple_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    opaque: SpGistPageOpaque | None,
    claims: list[Region],
    log: DiagnosticLog,
    options: SpGistDecodeOptions,
    extra: dict[str, object],
) -> Contents:
    size = len(data)
    lps = parse_line_pointers(data, header, log)
    claims.extend(line_pointer_claims(header, lps, size))
    leaf_page = opaque is None or opaque.is_leaf
    nulls = opaque is not None and opaque.stores_nulls
    inner: list[SpGistInnerTuple] = []
    leaves: list[SpGistLeafTuple] = []
    dead: list[SpGistDeadTuple] = []
    reader = _Reader(data, log, options, nulls)
    for lp in lps:
        inside = check_line_pointer(lp, size, len(lps), log)
        name = f"lp {lp.lp}"
        if lp.lp_flags != C.LP_NORMAL:
            log.error(
                "spgist-lp-flags",
                f"{name} is {lp.flags_name}: SP-GiST keeps every line pointer LP_NORMAL "
                "(dead tuples are tuples with a tupstate)",
                lp.span,
            )
        if not inside or not lp.has_storage:
            continue
        if lp.lp_len < 4:
            log.error("spgist-item-short", f"{name}: lp_len {lp.lp_len} has no tupstate", lp.span)
            claims.append(Region(RegionKind.ITEM, lp.item_span, lp.lp, "undecodable item"))
            continue
        (word,) = _U32.unpack_from(data, lp.lp_off)
        state = word & 3
        if state != C.SPGIST_LIVE:
            tup_d, regions = reader.dead(lp, leaf_page)
            claims.extend(regions)
            if tup_d is not None:
                dead.append(tup_d)
        elif leaf_page:
            tup_l, regions = reader.leaf(lp, blkno)
            claims.extend(regions)
            if tup_l is not None:
                leaves.append(tup_l)
        else:
            tup_i, regions = reader.inner(lp)
            claims.extend(regions)
            if tup_i is not None:
                inner.append(tup_i)
    if opaque is not None:
        _check_counts(opaque, dead, log)
        if opaque.is_deleted and lps:
            log.warning("spgist-deleted", "a deleted page with line pointers", opaque.span)
    extra = dict(
        extra, inner_tuples=tuple(inner), leaf_tuples=tuple(leaves), dead_tuples=tuple(dead)
    )
    return SpGistPage, lps, claims, extra


def _check_counts(
    opaque: SpGistPageOpaque, dead: list[SpGistDeadTuple], log: DiagnosticLog
) -> None:
    redirects = sum(1 for t in dead if t.tupstate == C.SPGIST_REDIRECT)
    placeholders = sum(1 for t in dead if t.tupstate == C.SPGIST_PLACEHOLDER)
    if opaque.nRedirection != redirects:
        log.error(
            "spgist-nredirection",
            f"nRedirection {opaque.nRedirection}, but the page holds {redirects} REDIRECT tuples",
            Span(opaque.offset + 2, opaque.offset + 4),
        )
    if opaque.nPlaceholder != placeholders:
        log.error(
            "spgist-nplaceholder",
            f"nPlaceholder {opaque.nPlaceholder}, but the page holds {placeholders} "
            "PLACEHOLDER tuples",
            Span(opaque.offset + 4, opaque.offset + 6),
        )


class _Reader:
    """Tuple decoding for one page: the bytes, the log and the datum types."""

    def __init__(
        self, data: bytes, log: DiagnosticLog, options: SpGistDecodeOptions, nulls: bool
    ) -> None:
        self.data = data
        self.log = log
        self.major = options.major
        config = options.config
        self.config = config
        self.prefix_type = options.prefix_type if config else None
        self.label_type = options.label_type if config else None
        self.leaf_type = options.leaf_type if config else None
        self.nulls = nulls

    # -- datums ---------------------------------------------------------------------------

    def _datum(
        self, start: int, room: int, info: TypeInfo | None, as_datum: bool
    ) -> tuple[SpGistDatum, int]:
        """The datum at ``start`` with ``room`` bytes for it: (datum, its length). Pass-by-value
        types take a whole Datum when ``as_datum`` (prefixes, labels; leaves before 14)."""
        data = self.data
        if info is None:
            raw = data[start : start + room]
            return SpGistDatum(Span(start, start + len(raw)), raw), len(raw)
        if info.typbyval:
            length = SIZEOF_DATUM if as_datum else info.typlen
            value_len = info.typlen
        elif info.typlen > 0:
            length = value_len = info.typlen
        else:
            try:
                length = value_len = varsize_any(data, start)
            except DatumError:
                length = value_len = 0
        if length <= 0 or length > room:
            self.log.error(
                "spgist-datum",
                f"a {info.typname} datum at {start} needs {length} bytes, {room} are left",
                Span(start, start + max(0, room)),
            )
            raw = data[start : start + max(0, room)]
            return SpGistDatum(Span(start, start + len(raw)), raw, info.typname), len(raw)
        raw = data[start : start + length]
        stored = raw[:value_len]
        try:
            text: str | None = datum_text(info, stored)
        except DatumError as exc:
            text = None
            self.log.error(
                "spgist-datum", f"{info.typname} at {start}: {exc}", Span(start, start + length)
            )
        value: int | bytes | None = None
        if info.typname == "int2":
            value = int.from_bytes(stored, "little", signed=True)
        elif info.typlen == -1 and info.typname == "text":
            first = stored[0] if stored else 0
            value = stored[1:] if first & 1 else stored[4:]
        return SpGistDatum(Span(start, start + length), raw, info.typname, text, value), length

    @staticmethod
    def _pad(regions: list[Region], lp: int, start: int, stop: int) -> None:
        if start < stop:
            regions.append(Region(RegionKind.ALIGNMENT_PADDING, Span(start, stop), lp))

    # -- dead tuples ----------------------------------------------------------------------

    def dead(self, lp: ItemId, leaf_page: bool) -> tuple[SpGistDeadTuple | None, list[Region]]:
        start, stop = lp.lp_off, lp.item_span.stop
        name = f"lp {lp.lp}"
        if lp.lp_len < _DEAD.size:
            self.log.error(
                "spgist-dead-size",
                f"{name}: a {lp.lp_len}-byte dead tuple, SGDTSIZE is {SGDTSIZE}",
                lp.span,
            )
            return None, [Region(RegionKind.ITEM, lp.item_span, lp.lp, "undecodable item")]
        word, t_info, bi_hi, bi_lo, posid, xid = _DEAD.unpack_from(self.data, start)
        shift, mask = LEAF_MASKS["size"]
        size = (word >> shift) & mask
        state = word & 3
        if size != lp.lp_len:
            self.log.error(
                "spgist-size", f"{name}: size {size} differs from lp_len {lp.lp_len}", lp.span
            )
        if lp.lp_len != SGDTSIZE:
            self.log.warning(
                "spgist-dead-size",
                f"{name}: a {tupstate_name(state)} tuple of {lp.lp_len} bytes, SGDTSIZE is "
                f"{SGDTSIZE}",
                lp.span,
            )
        pointer = ItemPointer((bi_hi << 16) | bi_lo, posid)
        if state == C.SPGIST_REDIRECT:
            if pointer.block == C.InvalidBlockNumber or pointer.offset == 0:
                self.log.error(
                    "spgist-redirect", f"{name}: a REDIRECT with an invalid pointer", lp.span
                )
        elif pointer.block != C.InvalidBlockNumber or xid != 0:
            self.log.warning(
                "spgist-dead-pointer",
                f"{name}: a {tupstate_name(state)} tuple with pointer {pointer} xid {xid} "
                "(spgFormDeadTuple sets them invalid)",
                lp.span,
            )
        regions = [
            Region(
                RegionKind.TUPLE_HEADER,
                Span(start, start + _DEAD.size),
                lp.lp,
                "SpGistDeadTupleData",
            )
        ]
        self._pad(regions, lp.lp, start + _DEAD.size, stop)
        tup = SpGistDeadTuple(
            lp, start, state, size, t_info, pointer, xid, leaf_page, self.major, word
        )
        return tup, regions

    # -- leaf tuples ----------------------------------------------------------------------

    def leaf(self, lp: ItemId, blkno: int) -> tuple[SpGistLeafTuple | None, list[Region]]:
        data, log = self.data, self.log
        start, stop = lp.lp_off, lp.item_span.stop
        name = f"lp {lp.lp}"
        if lp.lp_len < SGLTHDRSZ:
            log.error(
                "spgist-leaf-size",
                f"{name}: lp_len {lp.lp_len} is shorter than SGLTHDRSZ ({SGLTHDRSZ})",
                lp.span,
            )
            return None, [Region(RegionKind.ITEM, lp.item_span, lp.lp, "undecodable item")]
        word, t_info, bi_hi, bi_lo, posid = _LEAF.unpack_from(data, start)
        shift, mask = LEAF_MASKS["size"]
        size = (word >> shift) & mask
        if size != lp.lp_len:
            log.error(
                "spgist-size", f"{name}: size {size} differs from lp_len {lp.lp_len}", lp.span
            )
        next_offset = t_info & C.SGLT_NEXTOFFSET_MASK
        has_nulls = bool(t_info & C.SGLT_HASNULLMASK)
        t_info_at = Span(start + 4, start + 6)
        if self.major is not None and self.major < C.SPGIST_LEAF_T_INFO_MAJOR:
            if t_info & C.SGLT_FLAG_MASK:
                log.error(
                    "spgist-next-offset",
                    f"{name}: nextOffset 0x{t_info:04x} is past any offset number",
                    t_info_at,
                )
            has_nulls = False
            next_offset = t_info
        elif t_info & C.SGLT_FLAG_MASK & ~C.SGLT_HASNULLMASK:
            log.warning(
                "spgist-t-info", f"{name}: t_info 0x{t_info:04x} has the unused bit", t_info_at
            )
        if blkno in (C.SPGIST_ROOT_BLKNO, C.SPGIST_NULL_BLKNO) and next_offset:
            log.warning(
                "spgist-root-chain",
                f"{name}: nextOffset {next_offset} on a root leaf page (root tuples are not "
                "chained)",
                t_info_at,
            )
        regions = [
            Region(
                RegionKind.TUPLE_HEADER,
                Span(start, start + SizeOfSpGistLeafTupleData),
                lp.lp,
                "SpGistLeafTupleData",
            )
        ]
        data_at = start + (SGLTHDRSZ_NULLS if has_nulls else SGLTHDRSZ)
        isnull = self.nulls
        if has_nulls:
            bitmap_at = start + SizeOfSpGistLeafTupleData
            bitmap_end = bitmap_at + C.SizeOfIndexAttributeBitMapData
            regions.append(Region(RegionKind.NULL_BITMAP, Span(bitmap_at, bitmap_end), lp.lp))
            self._pad(regions, lp.lp, bitmap_end, data_at)
            # bit 0 (the key column) is 1 when it is NOT null
            isnull = not data[bitmap_at] & 1
            if isnull != self.nulls:
                log.error(
                    "spgist-leaf-null",
                    f"{name}: the nulls bitmap says the key is "
                    f"{'NULL' if isnull else 'not NULL'} on a page "
                    f"{'of' if self.nulls else 'outside'} the nulls tree",
                    Span(bitmap_at, bitmap_end),
                )
        elif data_at > start + SizeOfSpGistLeafTupleData:
            regions.append(
                Region(
                    RegionKind.HEADER_PADDING,
                    Span(start + SizeOfSpGistLeafTupleData, data_at),
                    lp.lp,
                )
            )
        datum = None
        included = None
        cursor = data_at
        end = min(stop, start + size) if size >= SGLTHDRSZ else stop
        if not isnull:
            as_datum = self.major is not None and self.major < C.SPGIST_LEAF_T_INFO_MAJOR
            room = end - data_at
            if self.leaf_type is None:
                datum, length = self._datum(data_at, room, None, False)
            else:
                datum, length = self._datum(data_at, room, self.leaf_type, as_datum)
            if length:
                regions.append(Region(RegionKind.TUPLE_DATA, datum.span, lp.lp, "leaf datum"))
            cursor = data_at + length
        if cursor < end:
            after = C.maxalign(cursor - start) + start
            if after < end and self.leaf_type is not None:
                # more than MAXALIGN padding: INCLUDE columns (14+), not decoded here
                self._pad(regions, lp.lp, cursor, after)
                included = Span(after, end)
                regions.append(Region(RegionKind.TUPLE_DATA, included, lp.lp, "INCLUDE columns"))
                cursor = end
        self._pad(regions, lp.lp, cursor, stop)
        tup = SpGistLeafTuple(
            lp,
            start,
            word & 3,
            size,
            t_info,
            next_offset,
            has_nulls,
            ItemPointer((bi_hi << 16) | bi_lo, posid),
            datum,
            isnull,
            included,
            self.major,
            word,
        )
        return tup, regions

    # -- inner tuples ---------------------------------------------------------------------

    def inner(self, lp: ItemId) -> tuple[SpGistInnerTuple | None, list[Region]]:
        data, log = self.data, self.log
        start, stop = lp.lp_off, lp.item_span.stop
        name = f"lp {lp.lp}"
        if lp.lp_len < SGITHDRSZ:
            log.error(
                "spgist-inner-size",
                f"{name}: lp_len {lp.lp_len} is shorter than SGITHDRSZ ({SGITHDRSZ})",
                lp.span,
            )
            return None, [Region(RegionKind.ITEM, lp.item_span, lp.lp, "undecodable item")]
        word, size = _INNER.unpack_from(data, start)
        bits = {k: (word >> s) & m for k, (s, m) in INNER_MASKS.items()}
        prefix_size, nnodes = bits["prefixSize"], bits["nNodes"]
        if size != lp.lp_len:
            log.error(
                "spgist-size", f"{name}: size {size} differs from lp_len {lp.lp_len}", lp.span
            )
        regions = [
            Region(
                RegionKind.TUPLE_HEADER,
                Span(start, start + _INNER_HDR),
                lp.lp,
                "SpGistInnerTupleData",
            ),
        ]
        if SGITHDRSZ > _INNER_HDR:
            regions.append(
                Region(
                    RegionKind.HEADER_PADDING, Span(start + _INNER_HDR, start + SGITHDRSZ), lp.lp
                )
            )
        cursor = start + SGITHDRSZ
        prefix = None
        if prefix_size:
            if prefix_size % C.MAXIMUM_ALIGNOF or cursor + prefix_size > stop:
                log.error(
                    "spgist-prefix-size",
                    f"{name}: prefixSize {prefix_size} is not a multiple of MAXALIGN or "
                    "passes the tuple's end",
                    Span(start, start + 4),
                )
                prefix_size = max(0, min(prefix_size, stop - cursor))
            prefix, length = self._datum(cursor, prefix_size, self.prefix_type, True)
            if length:
                regions.append(Region(RegionKind.TUPLE_DATA, prefix.span, lp.lp, "prefix"))
            self._pad(regions, lp.lp, cursor + length, cursor + prefix_size)
            cursor += prefix_size
        nodes: list[SpGistNode] = []
        for i in range(nnodes):
            if cursor + SGNTHDRSZ > stop:
                log.error(
                    "spgist-nodes",
                    f"{name}: node {i} of {nnodes} passes the tuple's end",
                    Span(start, stop),
                )
                break
            bi_hi, bi_lo, posid, t_info = _NODE.unpack_from(data, cursor)
            node_size = t_info & C.INDEX_SIZE_MASK
            if node_size < SGNTHDRSZ or cursor + node_size > stop:
                log.error(
                    "spgist-node-size",
                    f"{name}: node {i} has size {node_size}",
                    Span(cursor, cursor + SGNTHDRSZ),
                )
                break
            regions.append(
                Region(
                    RegionKind.TUPLE_HEADER,
                    Span(cursor, cursor + _NODE.size),
                    lp.lp,
                    f"SpGistNodeTupleData {i}",
                )
            )
            self._pad(regions, lp.lp, cursor + _NODE.size, cursor + SGNTHDRSZ)
            label = None
            label_at = cursor + SGNTHDRSZ
            room = cursor + node_size - label_at
            if not t_info & C.INDEX_NULL_MASK:
                if self.config is not None and self.label_type is None:
                    log.error(
                        "spgist-label",
                        f"{name}: node {i} has a label, but {self.config.opclass} labels are void",
                        Span(cursor, cursor + SGNTHDRSZ),
                    )
                label, length = self._datum(label_at, room, self.label_type, True)
                if length:
                    regions.append(Region(RegionKind.TUPLE_DATA, label.span, lp.lp, f"label {i}"))
                self._pad(regions, lp.lp, label_at + length, cursor + node_size)
            else:
                if self.label_type is not None:
                    log.error(
                        "spgist-label",
                        f"{name}: node {i} has a null label, {self.label_type.typname} expected",
                        Span(cursor, cursor + SGNTHDRSZ),
                    )
                self._pad(regions, lp.lp, label_at, cursor + node_size)
            nodes.append(
                SpGistNode(i, cursor, ItemPointer((bi_hi << 16) | bi_lo, posid), t_info, label)
            )
            cursor += node_size
        if nnodes == 0:
            log.error(
                "spgist-nodes", f"{name}: an inner tuple with no nodes", Span(start, start + 4)
            )
        self._pad(regions, lp.lp, cursor, stop)
        tup = SpGistInnerTuple(
            lp,
            start,
            bits["tupstate"],
            bool(bits["allTheSame"]),
            nnodes,
            bits["prefixSize"],
            size,
            prefix,
            tuple(nodes),
            word,
        )
        return tup, regions
