"""Decoding a hash index page after its header: the metapage, bitmap pages, bucket, overflow
and unused pages, with the regions that tile each. Never raises on bad bytes; problems become
diagnostics.

``decode_page`` (``decode/dispatch.py``) is the frame around this (checksum, tiling, strict
mode): it calls :func:`hash_contents` for hash pages and, given :class:`HashDecodeOptions`,
decodes every page of the index as one (:func:`claim_hash_kind`). The options carry what one
page cannot say about itself: the index's metapage (bucket masks, spares, the bitmap pages)
and the bitmap pages' bits; :func:`hash_options` reads them from block 0 and the blocks it
names.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Region, RegionKind, Span
from pageinspect_py.decode.hash import buckets as B
from pageinspect_py.decode.hash.model import (
    KNOWN_LH_FLAGS,
    HashBitmap,
    HashBitmapInfo,
    HashBitmapPage,
    HashIndexTuple,
    HashItem,
    HashMeta,
    HashMetaPage,
    HashPage,
    HashPageOpaque,
    HashPageType,
    page_type_of,
)
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.indexpage import Contents
from pageinspect_py.decode.page import (
    DiagnosticLog,
    ItemId,
    PageHeader,
    PageKind,
    check_header,
    check_line_pointer,
    free_space_after,
    line_pointer_claims,
    parse_line_pointers,
)
from pageinspect_py.layouts._util import compiled, struct_format
from pageinspect_py.layouts.hash import (
    HASH_META_ELEMENT_SIZE,
    HASH_OPAQUE_OFFSETS,
    HASH_TUPLE_MIN_SIZE,
    HASH_TUPLE_OFFSETS,
    HashIndexTupleData,
    HashPageOpaqueData,
    hash_meta_offsets,
    hash_meta_page_data,
)

OPAQUE_SIZE = HashPageOpaqueData.sizeof()
#: bi_hi, bi_lo, ip_posid, t_info, hashkey: the struct format derived from the layout
_TUPLE = struct.Struct(struct_format(HashIndexTupleData))
_HEADER = struct.Struct(_TUPLE.format[:-1])  # without the hash code
_UINT32 = struct.Struct("<I")
_FLAG_SPAN = HASH_OPAQUE_OFFSETS["hasho_flag"]
_BUCKET_SPAN = HASH_OPAQUE_OFFSETS["hasho_bucket"]
_PREV_SPAN = HASH_OPAQUE_OFFSETS["hasho_prevblkno"]
_HASHKEY_AT, _HASHKEY_SIZE = HASH_TUPLE_OFFSETS["hashkey"]
_T_INFO_AT, _T_INFO_SIZE = HASH_TUPLE_OFFSETS["t_info"]
#: LH_BUCKET_* bits only a primary bucket page carries
_BUCKET_ONLY = (
    C.LH_BUCKET_BEING_POPULATED | C.LH_BUCKET_BEING_SPLIT | C.LH_BUCKET_NEEDS_SPLIT_CLEANUP
)


@dataclass(frozen=True, slots=True)
class HashDecodeOptions:
    """What a caller may know beyond one page's bytes: that the relation is a hash index
    (passing options at all says so), its metapage and its bitmap pages (by block number).
    With the metapage, bucket pages are checked against the masks and overflow pages get
    their bitmap bit (``hash_bitmap_info``)."""

    meta: HashMeta | None = None
    bitmaps: Mapping[int, HashBitmap] = field(default_factory=dict)


def claim_hash_kind(kind: PageKind, blkno: int, log: DiagnosticLog) -> PageKind:
    """The kind to decode a main-fork page of a hash index as: a page that does not look
    like a hash page is still decoded as one, with an error; an all-zero page stays new (a
    hash index has them: the blocks of a splitpoint's buckets not yet split into)."""
    if kind in (PageKind.NEW, PageKind.HASH):
        return kind
    log.error(
        "not-hash",
        f"block {blkno} of a hash index does not look like a hash page ({kind}); decoded as one",
    )
    return PageKind.HASH


# ----------------------------------------------------------------------------------------------
# structures read once per page


def parse_opaque(data: bytes, offset: int) -> HashPageOpaque:
    raw = compiled(HashPageOpaqueData).parse(data[offset : offset + OPAQUE_SIZE])
    return HashPageOpaque(
        offset,
        raw.hasho_prevblkno,
        raw.hasho_nextblkno,
        raw.hasho_bucket,
        raw.hasho_flag,
        raw.hasho_page_id,
    )


def parse_meta(data: bytes, block_size: int | None = None) -> HashMeta | None:
    """HashMetaPageData at PageGetContents() of ``data``; None when the page is too short.
    The block size (the size of hashm_mapp) is the page's own unless given."""
    size = block_size or len(data)
    layout = hash_meta_page_data(size if size in C.VALID_BLOCK_SIZES else C.BLCKSZ)
    start = C.SizeOfPageHeaderData
    end = start + layout.sizeof()
    if end > len(data):
        return None
    raw = compiled(layout).parse(data[start:end])
    return HashMeta(
        hashm_magic=raw.hashm_magic,
        hashm_version=raw.hashm_version,
        hashm_ntuples=raw.hashm_ntuples,
        hashm_ffactor=raw.hashm_ffactor,
        hashm_bsize=raw.hashm_bsize,
        hashm_bmsize=raw.hashm_bmsize,
        hashm_bmshift=raw.hashm_bmshift,
        hashm_maxbucket=raw.hashm_maxbucket,
        hashm_highmask=raw.hashm_highmask,
        hashm_lowmask=raw.hashm_lowmask,
        hashm_ovflpoint=raw.hashm_ovflpoint,
        hashm_firstfree=raw.hashm_firstfree,
        hashm_nmaps=raw.hashm_nmaps,
        hashm_procid=raw.hashm_procid,
        hashm_spares=tuple(raw.hashm_spares),
        hashm_mapp=tuple(raw.hashm_mapp),
        span=Span(start, end),
        block_size=size if size in C.VALID_BLOCK_SIZES else C.BLCKSZ,
    )


def parse_bitmap(data: bytes, bmsize: int) -> HashBitmap:
    """The ``bmsize`` bytes of uint32 words at HashPageGetBitmap(); cut to the page."""
    start = C.SizeOfPageHeaderData
    stop = min(start + (bmsize // 4) * 4, max(start, len(data) - OPAQUE_SIZE))
    count = max(0, (stop - start) // 4)
    words = struct.unpack_from(f"<{count}I", data, start) if count else ()
    return HashBitmap(tuple(words), Span(start, start + count * 4))


def hash_options(
    read: Callable[[int], bytes | None], *, block_size: int | None = None
) -> HashDecodeOptions:
    """The options of a hash index whose blocks ``read(blkno)`` returns (None past the end):
    the metapage of block 0 and the bitmap pages it lists. A metapage that cannot be read
    (or is not one) gives empty options: the pages are still decoded as hash pages."""
    first = read(C.HASH_METAPAGE)
    if first is None or len(first) < C.SizeOfPageHeaderData + OPAQUE_SIZE:
        return HashDecodeOptions()
    opaque = parse_opaque(first, len(first) - OPAQUE_SIZE)
    meta = parse_meta(first, block_size)
    if meta is None or opaque.page_type is not HashPageType.METAPAGE:
        return HashDecodeOptions()
    if meta.hashm_magic != C.HASH_MAGIC:
        return HashDecodeOptions()
    bitmaps: dict[int, HashBitmap] = {}
    for blkno in meta.bitmap_blocks:
        page = read(blkno)
        if page is None or len(page) < C.SizeOfPageHeaderData + OPAQUE_SIZE:
            continue
        if parse_opaque(page, len(page) - OPAQUE_SIZE).page_type is HashPageType.BITMAP:
            bitmaps[blkno] = parse_bitmap(page, meta.hashm_bmsize)
    return HashDecodeOptions(meta, bitmaps)


def bitmap_info(
    meta: HashMeta, ovflblkno: int, bitmaps: Mapping[int, HashBitmap] | None = None
) -> HashBitmapInfo | None:
    """``hash_bitmap_info(index, ovflblkno)``: the bitmap page and bit of an overflow page
    and whether the bit is set (None when that bitmap page is not in ``bitmaps``). None
    where the server says "invalid overflow block number": block 0, a bitmap page, a bucket
    page, a block past the overflow pages, a bit past hashm_nmaps bitmap pages."""
    if ovflblkno == C.HASH_METAPAGE or ovflblkno in meta.bitmap_blocks:
        return None
    bitno = meta.ovflblkno_to_bitno(ovflblkno)
    if bitno is None:
        return None
    page = bitno >> meta.hashm_bmshift if meta.hashm_bmshift < 32 else 0
    bit = bitno & B.bmpg_mask(meta.hashm_bmsize)
    if page >= meta.hashm_nmaps or page >= len(meta.hashm_mapp):
        return None
    blkno = meta.hashm_mapp[page]
    bitmap = (bitmaps or {}).get(blkno)
    return HashBitmapInfo(blkno, bit, bitmap.isset(bit) if bitmap is not None else None)


# ----------------------------------------------------------------------------------------------
# the page


def hash_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    log: DiagnosticLog,
    options: HashDecodeOptions | None = None,
) -> Contents:
    """Decode a hash page after its header: the model class, line pointers, region claims
    and the model's own fields. Never raises on bad bytes."""
    options = options or HashDecodeOptions()
    check_header(header, len(data), log)
    opaque, special = _special(data, header, log)
    claims = [Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData))]
    if special is not None:
        claims.append(special)
    flags = opaque.hasho_flag if opaque is not None else C.LH_BUCKET_PAGE
    if opaque is not None:
        _check_flags(opaque, log)
    if flags & C.LH_META_PAGE:
        return _meta_contents(data, header, blkno, opaque, claims, log)
    if flags & C.LH_BITMAP_PAGE:
        return _bitmap_contents(data, header, blkno, opaque, claims, log, options)
    return _item_contents(data, header, blkno, opaque, claims, log, options)


def _special(
    data: bytes, header: PageHeader, log: DiagnosticLog
) -> tuple[HashPageOpaque | None, Region | None]:
    """HashPageOpaqueData: at pd_special when the special space is its 16 bytes; otherwise
    read from the page's last 16 bytes (hasho_page_id, which made it a hash page, is the
    page's last two bytes), with an error."""
    size = len(data)
    if size < C.SizeOfPageHeaderData + OPAQUE_SIZE:
        log.error("hash-special-size", f"a {size}-byte page has no room for HashPageOpaqueData")
        return None, None
    offset = size - OPAQUE_SIZE
    special = size - header.pd_special
    if special != C.SizeOfHashPageOpaqueData:
        log.error(
            "hash-special-size",
            f"special space is {special} bytes (pd_special {header.pd_special}), "
            f"MAXALIGN(sizeof(HashPageOpaqueData)) is {C.SizeOfHashPageOpaqueData}; read "
            f"from the page's last {OPAQUE_SIZE} bytes",
            Span(offset, size),
        )
    start = header.pd_special if header.pd_upper <= header.pd_special <= offset else offset
    region = Region(RegionKind.SPECIAL, Span(start, size), label="HashPageOpaqueData")
    return parse_opaque(data, offset), region


def _field_span(opaque: HashPageOpaque, where: tuple[int, int]) -> Span:
    return Span(opaque.offset + where[0], opaque.offset + where[0] + where[1])


def _check_flags(opaque: HashPageOpaque, log: DiagnosticLog) -> None:
    flag_span = _field_span(opaque, _FLAG_SPAN)
    kind = opaque.page_type
    if kind is HashPageType.INVALID:
        log.error(
            "hash-page-type",
            f"hasho_flag 0x{opaque.hasho_flag:04x} has more than one LH_PAGE_TYPE bit "
            f"({'|'.join(opaque.flag_names)}): no single page type",
            flag_span,
        )
    if opaque.hasho_flag & ~KNOWN_LH_FLAGS:
        log.warning("hash-flags", f"unknown hasho_flag bits 0x{opaque.hasho_flag:04x}", flag_span)
    if opaque.hasho_flag & _BUCKET_ONLY and kind is not HashPageType.BUCKET:
        log.warning(
            "hash-flags",
            f"split flags on a {kind} page (only primary bucket pages carry them): "
            f"{'|'.join(opaque.flag_names)}",
            flag_span,
        )
    if opaque.has_dead_tuples and kind not in (HashPageType.BUCKET, HashPageType.OVERFLOW):
        log.warning("hash-flags", f"LH_PAGE_HAS_DEAD_TUPLES on a {kind} page", flag_span)


def _meta_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    opaque: HashPageOpaque | None,
    claims: list[Region],
    log: DiagnosticLog,
) -> Contents:
    size = len(data)
    meta = parse_meta(data) if size >= C.SizeOfPageHeaderData + OPAQUE_SIZE else None
    end = C.SizeOfPageHeaderData
    if meta is None or meta.span.stop > size - OPAQUE_SIZE:
        log.error("hash-meta-size", "the page has no room for HashMetaPageData")
        meta = None
    else:
        end = meta.span.stop
        claims.append(Region(RegionKind.METADATA, meta.span, label="HashMetaPageData"))
        _check_meta(meta, header, size, log)
    if blkno != C.HASH_METAPAGE:
        log.error("hash-meta-block", f"a hash metapage at block {blkno}, not block 0")
    if opaque is not None:
        _check_no_chain(opaque, "metapage", log)
    free = free_space_after(header, end, size)
    if free is not None:
        claims.append(free)
    return HashMetaPage, (), claims, {"meta": meta, "opaque": opaque}


def _meta_field(meta: HashMeta, name: str, index: int | None = None) -> Span:
    off, length = hash_meta_offsets(meta.block_size)[name]
    start = meta.span.start + off
    if index is not None:
        start += index * HASH_META_ELEMENT_SIZE
        length = HASH_META_ELEMENT_SIZE
    return Span(start, start + length)


def _check_meta(meta: HashMeta, header: PageHeader, size: int, log: DiagnosticLog) -> None:
    """What _hash_checkpage and _hash_init_metabuffer promise of a metapage."""
    if meta.hashm_magic != C.HASH_MAGIC:
        log.error(
            "hash-meta-magic",
            f"hashm_magic 0x{meta.hashm_magic:08x}, not HASH_MAGIC 0x{C.HASH_MAGIC:08x}",
            _meta_field(meta, "hashm_magic"),
        )
    if meta.hashm_version != C.HASH_VERSION:
        log.error(
            "hash-meta-version",
            f"hashm_version {meta.hashm_version}, not HASH_VERSION {C.HASH_VERSION} "
            "(hash indexes made before PostgreSQL 10 must be reindexed)",
            _meta_field(meta, "hashm_version"),
        )
    expected_lower = meta.span.stop
    if header.pd_lower != expected_lower:
        log.warning(
            "hash-meta-lower",
            f"pd_lower {header.pd_lower}: _hash_init_metabuffer sets it just past "
            f"HashMetaPageData ({expected_lower})",
            Span(12, 14),
        )
    bsize = size - C.maxalign(C.SizeOfPageHeaderData) - C.SizeOfHashPageOpaqueData
    if meta.hashm_bsize != bsize:
        log.error(
            "hash-meta-bsize",
            f"hashm_bsize {meta.hashm_bsize}, HashGetMaxBitmapSize of a {size}-byte page "
            f"is {bsize}",
            _meta_field(meta, "hashm_bsize"),
        )
    bm = meta.hashm_bmsize
    if bm == 0 or bm & (bm - 1) or bm > max(meta.hashm_bsize, 1):
        log.error(
            "hash-meta-bmsize",
            f"hashm_bmsize {bm} is not a power of 2 no larger than hashm_bsize {meta.hashm_bsize}",
            _meta_field(meta, "hashm_bmsize"),
        )
    elif meta.hashm_bmshift != bm.bit_length() - 1 + C.BYTE_TO_BIT:
        log.error(
            "hash-meta-bmshift",
            f"hashm_bmshift {meta.hashm_bmshift} is not log2(hashm_bmsize * 8) "
            f"({bm.bit_length() - 1 + C.BYTE_TO_BIT})",
            _meta_field(meta, "hashm_bmshift"),
        )
    high, low, maxb = meta.hashm_highmask, meta.hashm_lowmask, meta.hashm_maxbucket
    if high & (high + 1) or low != high >> 1 or not low <= maxb <= high:
        log.error(
            "hash-meta-masks",
            f"hashm_maxbucket {maxb}, hashm_highmask 0x{high:x}, hashm_lowmask 0x{low:x}: "
            "the masks must be 2^n - 1 and its half, with lowmask <= maxbucket <= highmask",
            Span(
                _meta_field(meta, "hashm_maxbucket").start, _meta_field(meta, "hashm_lowmask").stop
            ),
        )
    if meta.hashm_ovflpoint >= len(meta.hashm_spares):
        log.error(
            "hash-meta-ovflpoint",
            f"hashm_ovflpoint {meta.hashm_ovflpoint} is past hashm_spares "
            f"(HASH_MAX_SPLITPOINTS {len(meta.hashm_spares)})",
            _meta_field(meta, "hashm_ovflpoint"),
        )
    else:
        used = meta.hashm_spares[: meta.hashm_ovflpoint + 1]
        for i in range(1, len(used)):
            if used[i] < used[i - 1]:
                log.error(
                    "hash-meta-spares",
                    f"hashm_spares[{i}] {used[i]} is below hashm_spares[{i - 1}] "
                    f"{used[i - 1]}: spares count pages allocated at or before a splitpoint",
                    _meta_field(meta, "hashm_spares", i),
                )
                break
        if any(meta.hashm_spares[meta.hashm_ovflpoint + 1 :]):
            log.warning(
                "hash-meta-spares",
                "hashm_spares past hashm_ovflpoint are not zero",
                _meta_field(meta, "hashm_spares"),
            )
    if meta.hashm_nmaps > len(meta.hashm_mapp):
        log.error(
            "hash-meta-nmaps",
            f"hashm_nmaps {meta.hashm_nmaps} is past hashm_mapp (HASH_MAX_BITMAPS "
            f"{len(meta.hashm_mapp)})",
            _meta_field(meta, "hashm_nmaps"),
        )
    else:
        for i, blkno in enumerate(meta.bitmap_blocks):
            if blkno in (C.HASH_METAPAGE, C.InvalidBlockNumber):
                log.error(
                    "hash-meta-mapp",
                    f"hashm_mapp[{i}] is {blkno}, not a bitmap page",
                    _meta_field(meta, "hashm_mapp", i),
                )


def _check_no_chain(opaque: HashPageOpaque, what: str, log: DiagnosticLog) -> None:
    """The metapage and bitmap pages are in no bucket chain."""
    links = (opaque.hasho_prevblkno, opaque.hasho_nextblkno, opaque.hasho_bucket)
    if links != (C.InvalidBlockNumber, C.InvalidBlockNumber, C.InvalidBucket):
        log.warning(
            "hash-links",
            f"a {what} has hasho_prevblkno {opaque.hasho_prevblkno}, hasho_nextblkno "
            f"{opaque.hasho_nextblkno}, hasho_bucket {opaque.hasho_bucket}: expected "
            "InvalidBlockNumber and InvalidBucket",
            Span(opaque.offset, opaque.offset + _BUCKET_SPAN[0] + _BUCKET_SPAN[1]),
        )


def _bitmap_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    opaque: HashPageOpaque | None,
    claims: list[Region],
    log: DiagnosticLog,
    options: HashDecodeOptions,
) -> Contents:
    """A bitmap page: hashm_bmsize bytes of bits, pd_lower just past them."""
    size = len(data)
    start = C.SizeOfPageHeaderData
    meta = options.meta
    room = size - OPAQUE_SIZE - start
    stored = header.pd_lower - start
    if meta is not None:
        bmsize = meta.hashm_bmsize
        if stored != bmsize:
            log.error(
                "hash-bitmap-size",
                f"pd_lower {header.pd_lower} says the bitmap is {stored} bytes, "
                f"hashm_bmsize is {bmsize}",
                Span(12, 14),
            )
    else:
        bmsize = stored
        if bmsize <= 0 or bmsize & (bmsize - 1):
            log.warning(
                "hash-bitmap-size",
                f"pd_lower {header.pd_lower} says the bitmap is {stored} bytes, not a "
                "power of 2 (hashm_bmsize)",
                Span(12, 14),
            )
    if bmsize > room:
        log.error(
            "hash-bitmap-size",
            f"a bitmap of {bmsize} bytes does not fit between the header and the special "
            f"space ({room} bytes)",
            Span(12, 14),
        )
    bitmap = parse_bitmap(data, max(0, min(bmsize, room)))
    if bitmap.span.length:
        claims.append(Region(RegionKind.METADATA, bitmap.span, label="bitmap"))
    free = free_space_after(header, bitmap.span.stop, size)
    if free is not None:
        claims.append(free)
    if opaque is not None:
        _check_no_chain(opaque, "bitmap page", log)
    index = None
    if meta is not None:
        blocks = meta.bitmap_blocks
        if blkno in blocks:
            index = blocks.index(blkno)
        else:
            log.error(
                "hash-bitmap-block",
                f"block {blkno} is a bitmap page the metapage does not list in hashm_mapp "
                f"({list(blocks)})",
            )
    return (
        HashBitmapPage,
        (),
        claims,
        {"bitmap": bitmap, "opaque": opaque, "bitmap_index": index, "index_meta": meta},
    )


def _item_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    opaque: HashPageOpaque | None,
    claims: list[Region],
    log: DiagnosticLog,
    options: HashDecodeOptions,
) -> Contents:
    """Bucket, overflow and unused pages: line pointers to index tuples."""
    size = len(data)
    meta = options.meta
    lps = parse_line_pointers(data, header, log)
    claims.extend(line_pointer_claims(header, lps, size))
    kind = opaque.page_type if opaque is not None else HashPageType.INVALID
    items: list[HashItem] = []
    previous: int | None = None
    for lp in lps:
        item, regions = _decode_item(data, lp, len(lps), log, meta)
        claims.extend(regions)
        items.append(item)
        key = item.hashkey
        if key is not None:
            if previous is not None and key < previous:
                log.error(
                    "hash-order",
                    f"lp {lp.lp}: hash code {key} is below the one before it ({previous}): "
                    "a hash page keeps its tuples in hash code order (_hash_binsearch)",
                    lp.span,
                )
            previous = key
    if opaque is not None:
        _check_page(opaque, kind, tuple(items), blkno, log, meta)
    info = None
    if meta is not None and kind in (HashPageType.OVERFLOW, HashPageType.UNUSED):
        info = bitmap_info(meta, blkno, options.bitmaps)
        _check_overflow_bit(info, kind, blkno, log)
    return (
        HashPage,
        lps,
        claims,
        {"opaque": opaque, "items": tuple(items), "index_meta": meta, "bitmap_info": info},
    )


def _decode_item(
    data: bytes, lp: ItemId, nitems: int, log: DiagnosticLog, meta: HashMeta | None
) -> tuple[HashItem, list[Region]]:
    size = len(data)
    name = f"lp {lp.lp}"
    inside = check_line_pointer(lp, size, nitems, log)
    if lp.lp_flags == C.LP_REDIRECT:
        log.error("hash-redirect", f"{name} is LP_REDIRECT, which hash indexes never use", lp.span)
        return HashItem(lp), []
    if lp.lp_flags == C.LP_UNUSED:
        log.warning(
            "hash-lp-unused",
            f"{name} is LP_UNUSED: hash pages remove deleted items with their pointers",
            lp.span,
        )
    if not inside or not lp.has_storage:
        return HashItem(lp), []
    start = lp.lp_off
    if lp.lp_len < HASH_TUPLE_MIN_SIZE:
        log.error(
            "hash-item-short",
            f"{name}: lp_len {lp.lp_len} is shorter than IndexTupleData and a hash code "
            f"({HASH_TUPLE_MIN_SIZE})",
            lp.span,
        )
        return HashItem(lp), [Region(RegionKind.ITEM, lp.item_span, lp.lp, "undecodable item")]
    bi_hi, bi_lo, posid, t_info = _HEADER.unpack_from(data, start)
    stop = lp.item_span.stop
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
            "hash-itemlen",
            f"{name}: IndexTupleSize {size_of} differs from lp_len {lp.lp_len}",
            Span(start + _T_INFO_AT, start + _T_INFO_AT + _T_INFO_SIZE),
        )
    cursor = start + C.SizeOfIndexTupleData
    if t_info & C.INDEX_NULL_MASK:
        log.error(
            "hash-item-nulls",
            f"{name}: INDEX_NULL_MASK is set, but a hash index never stores NULLs",
            Span(start + _T_INFO_AT, start + _T_INFO_AT + _T_INFO_SIZE),
        )
        bitmap_end = cursor + C.SizeOfIndexAttributeBitMapData
        data_at = start + C.maxalign(C.SizeOfIndexTupleData + C.SizeOfIndexAttributeBitMapData)
        if data_at <= stop:
            regions.append(Region(RegionKind.NULL_BITMAP, Span(cursor, bitmap_end), lp.lp))
            regions.append(Region(RegionKind.HEADER_PADDING, Span(bitmap_end, data_at), lp.lp))
            cursor = data_at
    elif t_info & C.INDEX_VAR_MASK:
        log.warning(
            "hash-item-varwidth",
            f"{name}: INDEX_VAR_MASK is set, but a hash code has a fixed width",
            Span(start + _T_INFO_AT, start + _T_INFO_AT + _T_INFO_SIZE),
        )
    hashkey = None
    if cursor + _HASHKEY_SIZE <= stop:
        (hashkey,) = _UINT32.unpack_from(data, cursor)
        regions.append(
            Region(RegionKind.TUPLE_DATA, Span(cursor, cursor + _HASHKEY_SIZE), lp.lp, "hashkey")
        )
        cursor += _HASHKEY_SIZE
    else:
        log.error("hash-item-short", f"{name}: the tuple is too short for its hash code", lp.span)
    if cursor < stop:
        regions.append(Region(RegionKind.ALIGNMENT_PADDING, Span(cursor, stop), lp.lp))
    tup = HashIndexTuple(start, ItemPointer((bi_hi << 16) | bi_lo, posid), t_info, hashkey)
    bucket = meta.bucket_of(hashkey) if meta is not None and hashkey is not None else None
    return HashItem(lp, tup, bucket), regions


def _check_page(
    opaque: HashPageOpaque,
    kind: HashPageType,
    items: tuple[HashItem, ...],
    blkno: int,
    log: DiagnosticLog,
    meta: HashMeta | None,
) -> None:
    flag_span = _field_span(opaque, _FLAG_SPAN)
    bucket_span = _field_span(opaque, _BUCKET_SPAN)
    dead = sum(1 for item in items if item.dead)
    if dead and not opaque.has_dead_tuples and kind in (HashPageType.BUCKET, HashPageType.OVERFLOW):
        log.warning(
            "hash-dead-flag",
            f"{dead} LP_DEAD item{'s' if dead != 1 else ''} but no LH_PAGE_HAS_DEAD_TUPLES "
            "(_hash_kill_items sets both)",
            flag_span,
        )
    if kind is HashPageType.UNUSED and items:
        log.warning(
            "hash-unused-items",
            f"an unused page (hasho_flag 0x{opaque.hasho_flag:04x}) with {len(items)} line "
            "pointers: freed overflow pages are reinitialised empty",
            flag_span,
        )
    if kind in (HashPageType.BUCKET, HashPageType.OVERFLOW):
        if opaque.hasho_bucket == C.InvalidBucket:
            log.error("hash-bucket", f"a {kind} page with hasho_bucket InvalidBucket", bucket_span)
        if kind is HashPageType.OVERFLOW and opaque.hasho_prevblkno == C.InvalidBlockNumber:
            log.error(
                "hash-links",
                "an overflow page whose hasho_prevblkno is InvalidBlockNumber: every "
                "overflow page follows another page of its bucket",
                _field_span(opaque, _PREV_SPAN),
            )
    if meta is None or kind not in (HashPageType.BUCKET, HashPageType.OVERFLOW):
        return
    bucket = opaque.hasho_bucket
    if bucket > meta.hashm_maxbucket:
        log.error(
            "hash-bucket-range",
            f"hasho_bucket {bucket} is past hashm_maxbucket {meta.hashm_maxbucket}",
            bucket_span,
        )
        return
    if kind is HashPageType.BUCKET:
        where = meta.bucket_blkno(bucket)
        if where != blkno:
            log.error(
                "hash-bucket-block",
                f"bucket {bucket}'s primary page is block {where} (BUCKET_TO_BLKNO), not "
                f"block {blkno}",
                bucket_span,
            )
        if opaque.hasho_prevblkno != C.InvalidBlockNumber and not (
            bucket <= opaque.hasho_prevblkno <= meta.hashm_maxbucket
        ):
            log.warning(
                "hash-bucket-prevblkno",
                f"hasho_prevblkno {opaque.hasho_prevblkno} of a bucket page is the "
                f"hashm_maxbucket of its last split: between the bucket ({bucket}) and "
                f"hashm_maxbucket ({meta.hashm_maxbucket})",
                _field_span(opaque, _PREV_SPAN),
            )
    elif meta.ovflblkno_to_bitno(blkno) is None:
        log.error(
            "hash-overflow-block",
            f"block {blkno} is not in an overflow page range of the metapage's hashm_spares",
            flag_span,
        )
    cleanup = kind is HashPageType.OVERFLOW or opaque.needs_split_cleanup or opaque.being_split
    for item in items:
        if item.bucket is None or item.bucket == bucket:
            continue
        text = (
            f"lp {item.offnum}: hash code {item.hashkey} belongs to bucket {item.bucket} "
            f"under the metapage's masks, the page to bucket {bucket}"
        )
        if B.split_from(item.bucket, bucket) and cleanup:
            log.warning(
                "hash-split-leftover",
                text + ": left behind by a split, removed by the split cleanup",
                item.lp.span,
            )
        else:
            log.error("hash-bucket-mismatch", text, item.lp.span)


def _check_overflow_bit(
    info: HashBitmapInfo | None, kind: HashPageType, blkno: int, log: DiagnosticLog
) -> None:
    """An overflow page's bit is set (in use); a freed one (reinitialised as unused by
    _hash_freeovflpage) has its bit cleared."""
    if info is None or info.bitstatus is None:
        return
    where = f"bit {info.bitmapbit} of bitmap page {info.bitmapblkno}"
    if kind is HashPageType.OVERFLOW and not info.bitstatus:
        log.error("hash-bitmap-bit", f"overflow page {blkno} is in use but {where} says it is free")
    elif kind is HashPageType.UNUSED and info.bitstatus:
        log.warning(
            "hash-bitmap-bit",
            f"block {blkno} is an unused (freed) overflow page but {where} says it is in use",
        )


def page_type_of_bytes(data: bytes) -> HashPageType:
    """The page type of a hash page from its last 16 bytes."""
    if len(data) < OPAQUE_SIZE:
        return HashPageType.INVALID
    flag = int.from_bytes(
        data[len(data) - OPAQUE_SIZE + _FLAG_SPAN[0] : len(data) - OPAQUE_SIZE + sum(_FLAG_SPAN)],
        "little",
    )
    return page_type_of(flag)
