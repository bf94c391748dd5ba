"""Semantics of hash pages on synthetic pages built with the layouts' own ``build()``: what
each diagnostic means and when it fires, with and without the index's metapage, and the linear
hashing arithmetic pinned to the values access/hash.h and hashutil.c define. Expected meanings
come from the C sources (hash.h, hashutil.c, hashovfl.c, hashfuncs.c), not from our decoder."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from pageinspect_py import constants as C
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.hash import (
    HashBitmapPage,
    HashDecodeOptions,
    HashMetaPage,
    HashPage,
    HashPageType,
    bitmap_info,
    hash_metapage_info,
    hash_options,
    hash_page_items,
    hash_page_stats,
    hash_page_type,
    parse_bitmap,
    parse_meta,
)
from pageinspect_py.decode.hash import buckets as B
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.errors import CorruptPageError
from pageinspect_py.layouts.hash import (
    HashIndexTupleData,
    HashPageOpaqueData,
    hash_bitmap,
    hash_meta_page_data,
)
from pageinspect_py.layouts.page import ItemIdData, PageHeaderData
from pageinspect_py.render.hash import hash_page_json, hash_page_rows

BLCKSZ = 8192
SPECIAL = BLCKSZ - 16
INVALID = C.InvalidBlockNumber

# the metapage of an index of 11 buckets (splitpoint 4 allocated, buckets 8..15), one bitmap
# page at block 9 and overflow pages 10..13: spares[3] = spares[4] = 5
SPARES = [0, 0, 0, 5, 5] + [0] * (C.HASH_MAX_SPLITPOINTS - 5)
META: dict[str, Any] = {
    "hashm_magic": C.HASH_MAGIC,
    "hashm_version": C.HASH_VERSION,
    "hashm_ntuples": 100.0,
    "hashm_ffactor": 307,
    "hashm_bsize": BLCKSZ - 40,
    "hashm_bmsize": 4096,
    "hashm_bmshift": 15,
    "hashm_maxbucket": 10,
    "hashm_highmask": 15,
    "hashm_lowmask": 7,
    "hashm_ovflpoint": 4,
    "hashm_firstfree": 3,
    "hashm_nmaps": 1,
    "hashm_procid": 450,
    "hashm_spares": SPARES,
    "hashm_mapp": [9] + [0] * 1023,
}


def header(lower: int, upper: int, special: int = SPECIAL) -> bytes:
    return bytes(
        PageHeaderData.build(
            {
                "pd_lsn": {"xlogid": 0, "xrecoff": 0},
                "pd_checksum": 0,
                "pd_flags": 0,
                "pd_lower": lower,
                "pd_upper": upper,
                "pd_special": special,
                "pd_pagesize_version": BLCKSZ | 4,
                "pd_prune_xid": 0,
            }
        )
    )


def opaque(
    flag: int, bucket: int = C.InvalidBucket, prev: int = INVALID, nxt: int = INVALID
) -> bytes:
    return bytes(
        HashPageOpaqueData.build(
            {
                "hasho_prevblkno": prev,
                "hasho_nextblkno": nxt,
                "hasho_bucket": bucket,
                "hasho_flag": flag,
                "hasho_page_id": C.HASHO_PAGE_ID,
            }
        )
    )


@dataclass
class Tup:
    hashkey: int
    tid: tuple[int, int] = (0, 1)
    flags: int = C.LP_NORMAL
    t_info: int | None = None  # default: size 16
    lp_len: int | None = None

    def encode(self) -> bytes:
        body = HashIndexTupleData.build(
            {
                "t_tid": {
                    "ip_blkid": {"bi_hi": self.tid[0] >> 16, "bi_lo": self.tid[0] & 0xFFFF},
                    "ip_posid": self.tid[1],
                },
                "t_info": 16 if self.t_info is None else self.t_info,
                "hashkey": self.hashkey,
            }
        )
        return bytes(body) + bytes(4)  # MAXALIGN(12) = 16


@dataclass
class ItemPage:
    """A bucket, overflow or unused page: tuples placed downwards from pd_special, line
    pointers in offset order."""

    tuples: list[Tup] = field(default_factory=list)
    flag: int = C.LH_BUCKET_PAGE
    bucket: int = 0
    prev: int = INVALID
    nxt: int = INVALID

    def build(self) -> bytes:
        page = bytearray(BLCKSZ)
        upper = SPECIAL
        for i, t in enumerate(self.tuples):
            data = t.encode()
            upper -= len(data)
            page[upper : upper + len(data)] = data
            lp = ItemIdData.build(
                {"lp_off": upper, "lp_flags": t.flags, "lp_len": t.lp_len or len(data)}
            )
            page[24 + 4 * i : 28 + 4 * i] = lp
        lower = 24 + 4 * len(self.tuples)
        page[:24] = header(lower, upper)
        page[SPECIAL:] = opaque(self.flag, self.bucket, self.prev, self.nxt)
        return bytes(page)


def meta_page(**changes: Any) -> bytes:
    layout = hash_meta_page_data(BLCKSZ)
    value = {**META, **changes}
    page = bytearray(BLCKSZ)
    page[:24] = header(24 + layout.sizeof(), SPECIAL)
    page[24 : 24 + layout.sizeof()] = layout.build(value)
    page[SPECIAL:] = opaque(C.LH_META_PAGE)
    return bytes(page)


def bitmap_page(clear: tuple[int, ...] = (3,), bmsize: int = 4096) -> bytes:
    words = [0xFFFFFFFF] * (bmsize // 4)
    for bit in clear:
        words[bit // 32] &= ~(1 << (bit % 32)) & 0xFFFFFFFF
    page = bytearray(BLCKSZ)
    page[:24] = header(24 + bmsize, SPECIAL)
    page[24 : 24 + bmsize] = hash_bitmap(bmsize).build({"bitmap": words})
    page[SPECIAL:] = opaque(C.LH_BITMAP_PAGE)
    return bytes(page)


def options(clear: tuple[int, ...] = (3,), **changes: Any) -> HashDecodeOptions:
    pages = {0: meta_page(**changes), 9: bitmap_page(clear)}
    return hash_options(pages.get)


def codes(page: Page) -> dict[str, str]:
    return {d.code: str(d.severity) for d in page.diagnostics}


def key_in(bucket: int) -> int:
    """A hash code that _hash_hashkey2bucket puts in ``bucket`` under META's masks."""
    for k in range(1 << 20):
        if B.hashkey_to_bucket(k, 10, 15, 7) == bucket:
            return k
    raise AssertionError(bucket)


# -- the arithmetic, pinned ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("buckets", "phase"),
    [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (512, 9), (513, 10), (640, 10), (641, 11),
     (768, 11), (1024, 13), (1025, 14), (1280, 14), (1281, 15), (2049, 18)],
)  # fmt: skip
def test_spareindex_as_hashutil_defines_it(buckets: int, phase: int) -> None:
    """Ten single-phase splitpoint groups (doubling), then groups of four phases each
    adding a quarter of the group (hash/README, "splitpoint phases")."""
    assert B.spareindex(buckets) == phase


@pytest.mark.parametrize(
    ("phase", "total"),
    [(0, 1), (1, 2), (4, 16), (9, 512), (10, 640), (11, 768), (13, 1024), (14, 1280), (17, 2048)],
)
def test_total_buckets_as_hashutil_defines_it(phase: int, total: int) -> None:
    assert B.total_buckets(phase) == total


def test_bucket_blocks_and_overflow_bits_of_a_small_index() -> None:
    meta = parse_meta(meta_page())
    assert meta is not None
    # BUCKET_TO_BLKNO: buckets 0..7 at blocks 1..8, then the 5 spares before splitpoint 4
    assert [meta.bucket_blkno(b) for b in (0, 1, 7, 8, 10, 15)] == [1, 2, 8, 14, 16, 21]
    # overflow (and bitmap) pages: blocks 9..13 are bits 0..4
    assert [meta.ovflblkno_to_bitno(b) for b in (8, 9, 10, 13, 14)] == [None, 0, 1, 4, None]
    assert [meta.bitno_to_blkno(b) for b in range(5)] == [9, 10, 11, 12, 13]
    assert meta.bucket_of(0xFE534F97) == 7  # & highmask 15 = 7 <= maxbucket
    assert meta.bucket_of(0x0000000D) == 5  # 13 > maxbucket 10: & lowmask 7 = 5
    assert meta.overflow_pages == 5 and meta.bitmap_blocks == (9,)


def test_hash_bitmap_info_says_none_where_pageinspect_raises() -> None:
    opts = options(clear=(3,))
    assert opts.meta is not None
    for blkno in (0, 9, 1, 8, 14, 16, 30):  # metapage, bitmap page, buckets, past the end
        assert bitmap_info(opts.meta, blkno, opts.bitmaps) is None, blkno
    info = bitmap_info(opts.meta, 12, opts.bitmaps)
    assert info is not None and (info.bitmapblkno, info.bitmapbit, info.bitstatus) == (9, 3, False)
    info = bitmap_info(opts.meta, 13, {})
    assert info is not None and info.bitstatus is None  # that bitmap page was not read


def test_split_from() -> None:
    """Bucket 10 (0b1010) came from 2, which came from 0; 6 came from 2 too; 5 did not."""
    assert B.old_bucket(10) == 2 and B.old_bucket(2) == 0 and B.old_bucket(0) == 0
    assert B.split_from(10, 2) and B.split_from(6, 2) and B.split_from(10, 0)
    assert not B.split_from(5, 2) and not B.split_from(2, 10)


# -- bucket and overflow pages ---------------------------------------------------------------


def test_a_sound_bucket_page() -> None:
    k = key_in(3)
    tuples = [Tup(k, (1, 1)), Tup(k, (1, 2), flags=C.LP_DEAD), Tup(k + 16, (2, 1))]
    flag = C.LH_BUCKET_PAGE | C.LH_PAGE_HAS_DEAD_TUPLES
    raw = ItemPage(tuples, flag=flag, bucket=3, prev=10).build()
    for opts in (None, options()):
        page = decode_page(raw, 4, hash=opts)
        assert isinstance(page, HashPage) and page.kind is PageKind.HASH
        assert page.diagnostics == (), page.diagnostics
        assert page.page_type is HashPageType.BUCKET
        assert [i.hashkey for i in page.items] == [k, k, k + 16]
        assert [i.dead for i in page.items] == [False, True, False]
        assert [i.bucket for i in page.items] == ([None] * 3 if opts is None else [3, 3, 3])
    stats = hash_page_stats(page)
    assert stats is not None
    assert (stats.live_items, stats.dead_items) == (2, 1)
    assert stats.free_size == (SPECIAL - 48) - (24 + 12) - 4  # PageGetFreeSpace
    assert hash_page_type(page) == "bucket"
    items = hash_page_items(page)
    assert items is not None and [(r.itemoffset, r.ctid, r.data) for r in items][1] == (
        2,
        "(1,2)",
        k,
    )
    kinds = [r.kind for r in page.regions if r.item == 1]
    assert [str(k) for k in kinds] == [
        "line_pointer",
        "tuple_header",
        "tuple_data",
        "alignment_padding",
    ]
    out = hash_page_json(page)
    assert out is not None and out["hash_page_stats"]["dead_items"] == 1
    assert "hash_bitmap_info" not in out  # a bucket page has no bit
    assert any("LP_DEAD" in text for _, text, _ in hash_page_rows(page))


def test_tuples_out_of_hash_code_order() -> None:
    page = decode_page(ItemPage([Tup(500), Tup(400)]).build(), 1)
    assert codes(page) == {"hash-order": "error"}
    with pytest.raises(CorruptPageError):
        decode_page(ItemPage([Tup(500), Tup(400)]).build(), 1, strict=True)


def test_broken_tuples() -> None:
    page = decode_page(ItemPage([Tup(1, t_info=24)]).build(), 1)
    assert codes(page) == {"hash-itemlen": "error"}
    page = decode_page(ItemPage([Tup(1, t_info=16 | C.INDEX_NULL_MASK)]).build(), 1)
    assert "hash-item-nulls" in codes(page)
    page = decode_page(ItemPage([Tup(1, t_info=16 | C.INDEX_VAR_MASK)]).build(), 1)
    assert codes(page) == {"hash-item-varwidth": "warning"}
    page = decode_page(ItemPage([Tup(1, lp_len=8)]).build(), 1)
    assert codes(page)["hash-item-short"] == "error"
    assert isinstance(page, HashPage) and page.items[0].tuple is None
    raw = bytearray(ItemPage([Tup(1), Tup(2)]).build())
    raw[28:32] = ItemIdData.build({"lp_off": 1, "lp_flags": C.LP_REDIRECT, "lp_len": 0})
    assert codes(decode_page(bytes(raw), 1))["hash-redirect"] == "error"


def test_moved_by_split_is_told() -> None:
    page = decode_page(ItemPage([Tup(1, t_info=16 | C.INDEX_MOVED_BY_SPLIT_MASK)]).build(), 1)
    assert page.diagnostics == ()
    assert isinstance(page, HashPage)
    t = page.items[0].tuple
    assert t is not None and t.moved_by_split and t.info_names == ("INDEX_MOVED_BY_SPLIT_MASK",)


def test_no_single_page_type() -> None:
    raw = ItemPage([Tup(1)], flag=C.LH_BUCKET_PAGE | C.LH_OVERFLOW_PAGE).build()
    page = decode_page(raw, 1)
    assert codes(page) == {"hash-page-type": "error"}
    assert isinstance(page, HashPage) and page.page_type is HashPageType.INVALID
    assert len(page.items) == 1  # still read
    # pageinspect: "invalid hash page type"
    assert hash_page_type(page) is None and hash_page_stats(page) is None


def test_flags_out_of_place() -> None:
    raw = ItemPage([Tup(1)], flag=C.LH_OVERFLOW_PAGE | C.LH_BUCKET_BEING_SPLIT, prev=3).build()
    assert codes(decode_page(raw, 10)) == {"hash-flags": "warning"}
    raw = ItemPage([Tup(1)], flag=C.LH_BUCKET_PAGE | 0x100).build()
    assert codes(decode_page(raw, 1)) == {"hash-flags": "warning"}
    raw = ItemPage([Tup(1, flags=C.LP_DEAD)], flag=C.LH_BUCKET_PAGE).build()
    assert codes(decode_page(raw, 1)) == {"hash-dead-flag": "warning"}
    raw = ItemPage([Tup(1)], flag=C.LH_OVERFLOW_PAGE, bucket=0, prev=INVALID).build()
    assert codes(decode_page(raw, 10)) == {"hash-links": "error"}
    raw = ItemPage([Tup(1)], flag=C.LH_UNUSED_PAGE).build()
    assert codes(decode_page(raw, 12)) == {"hash-unused-items": "warning"}


def test_the_metapage_checks_buckets() -> None:
    opts = options()
    k7, k2, k5 = key_in(7), key_in(2), key_in(5)
    # a tuple of bucket 5 on bucket 7's page: no split links them
    raw = ItemPage(sorted([Tup(k7), Tup(k5)], key=lambda t: t.hashkey), bucket=7, prev=10).build()
    assert codes(decode_page(raw, 8, hash=opts)) == {"hash-bucket-mismatch": "error"}
    assert decode_page(raw, 8).diagnostics == ()  # without the metapage nothing to say
    # bucket 10 was split from bucket 2: its tuples left in bucket 2 await the split cleanup
    k10 = key_in(10)
    left = sorted([Tup(k2), Tup(k10)], key=lambda t: t.hashkey)
    flag = C.LH_BUCKET_PAGE | C.LH_BUCKET_NEEDS_SPLIT_CLEANUP
    raw = ItemPage(left, flag=flag, bucket=2, prev=10).build()
    assert codes(decode_page(raw, 3, hash=opts)) == {"hash-split-leftover": "warning"}
    raw = ItemPage(left, bucket=2, prev=10).build()  # no cleanup pending: an error
    assert codes(decode_page(raw, 3, hash=opts)) == {"hash-bucket-mismatch": "error"}
    raw = ItemPage(left, flag=C.LH_OVERFLOW_PAGE, bucket=2, prev=3).build()  # overflow: a warning
    assert codes(decode_page(raw, 11, hash=opts)) == {"hash-split-leftover": "warning"}
    # the primary page of bucket 7 is block 8
    raw = ItemPage([Tup(k7)], bucket=7, prev=10).build()
    assert codes(decode_page(raw, 5, hash=opts)) == {"hash-bucket-block": "error"}
    raw = ItemPage([Tup(k7)], bucket=12, prev=12).build()
    assert codes(decode_page(raw, 18, hash=opts)) == {"hash-bucket-range": "error"}
    raw = ItemPage([Tup(k7)], bucket=7, prev=3).build()  # maxbucket at the last split < bucket
    assert codes(decode_page(raw, 8, hash=opts)) == {"hash-bucket-prevblkno": "warning"}


def test_the_metapage_and_the_bitmap_check_overflow_pages() -> None:
    opts = options(clear=(3,))
    k7 = key_in(7)
    overflow = ItemPage([Tup(k7)], flag=C.LH_OVERFLOW_PAGE, bucket=7, prev=8)
    page = decode_page(overflow.build(), 13, hash=opts)  # bit 4: set
    assert page.diagnostics == ()
    assert isinstance(page, HashPage) and page.bitmap_info is not None
    out = hash_page_json(page)
    assert out is not None and out["hash_bitmap_info"] == {
        "bitmapblkno": 9,
        "bitmapbit": 4,
        "bitstatus": True,
    }
    assert codes(decode_page(overflow.build(), 12, hash=opts)) == {"hash-bitmap-bit": "error"}
    assert codes(decode_page(overflow.build(), 14, hash=opts)) == {"hash-overflow-block": "error"}
    freed = ItemPage([], flag=C.LH_UNUSED_PAGE).build()
    assert decode_page(freed, 12, hash=opts).diagnostics == ()  # bit 3 clear: free
    assert codes(decode_page(freed, 11, hash=opts)) == {"hash-bitmap-bit": "warning"}


# -- metapage and bitmap pages ---------------------------------------------------------------


def test_a_sound_metapage() -> None:
    page = decode_page(meta_page(), 0)
    assert isinstance(page, HashMetaPage) and page.meta is not None
    assert page.diagnostics == ()
    assert hash_page_type(page) == "metapage"
    info = hash_metapage_info(page)
    assert info is not None and info.maxbucket == 10 and info.spares[:5] == (0, 0, 0, 5, 5)
    assert page.bytes_in(RegionKind.METADATA) == 4544  # sizeof(HashMetaPageData)
    names = [f.name for f in page.meta.fields()]
    assert names[-2:] == ["hashm_mapp[0]", "hashm_mapp[1..1023]"]
    assert "hashm_spares[5..97]" in names
    out = hash_page_json(page)
    assert out is not None and out["hash_metapage_info"]["procid"] == 450
    assert hash_page_stats(page) is None and hash_page_items(page) is None


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"hashm_magic": 1}, "hash-meta-magic"),
        ({"hashm_version": 2}, "hash-meta-version"),
        ({"hashm_bsize": 4096}, "hash-meta-bsize"),
        ({"hashm_bmsize": 3000}, "hash-meta-bmsize"),
        ({"hashm_bmshift": 14}, "hash-meta-bmshift"),
        ({"hashm_lowmask": 3}, "hash-meta-masks"),
        ({"hashm_maxbucket": 20}, "hash-meta-masks"),
        ({"hashm_ovflpoint": 98}, "hash-meta-ovflpoint"),
        ({"hashm_spares": [0, 0, 0, 5, 4] + [0] * 93}, "hash-meta-spares"),
        ({"hashm_nmaps": 1025}, "hash-meta-nmaps"),
        ({"hashm_mapp": [0] * 1024}, "hash-meta-mapp"),
    ],
)
def test_metapage_diagnostics(changes: dict[str, Any], code: str) -> None:
    page = decode_page(meta_page(**changes), 0)
    assert codes(page) == {code: "error"}, page.diagnostics
    if code in ("hash-meta-magic", "hash-meta-version"):  # verify_hash_page raises
        assert hash_page_type(page) is None and hash_metapage_info(page) is None
    else:
        assert hash_metapage_info(page) is not None


def test_metapage_elsewhere_and_pd_lower() -> None:
    assert codes(decode_page(meta_page(), 3)) == {"hash-meta-block": "error"}
    raw = bytearray(meta_page())
    raw[12:14] = (4000).to_bytes(2, "little")
    assert codes(decode_page(bytes(raw), 0)) == {"hash-meta-lower": "warning"}


def test_bitmap_pages() -> None:
    page = decode_page(bitmap_page(clear=(3, 40)), 9)
    assert isinstance(page, HashBitmapPage) and page.bitmap is not None
    assert page.diagnostics == ()
    assert page.bitmap.clear_bits() == (3, 40) and page.bitmap.first_clear() == 3
    assert page.bitmap.set_bits == 32768 - 2
    assert hash_page_type(page) == "bitmap" and hash_page_stats(page) is None
    page = decode_page(bitmap_page(), 9, hash=options())
    assert isinstance(page, HashBitmapPage)
    assert page.diagnostics == () and page.bitmap_index == 0 and page.bits_in_use() == 5
    # the metapage says 4096 bytes, pd_lower says 2048
    assert codes(decode_page(bitmap_page(bmsize=2048), 9, hash=options())) == {
        "hash-bitmap-size": "error"
    }
    assert codes(decode_page(bitmap_page(), 15, hash=options())) == {"hash-bitmap-block": "error"}
    raw = bytearray(bitmap_page())
    raw[12:14] = (24 + 3000).to_bytes(2, "little")
    assert codes(decode_page(bytes(raw), 9)) == {"hash-bitmap-size": "warning"}
    assert parse_bitmap(bitmap_page(), 4096).nbits == 32768
    out = hash_page_json(decode_page(bitmap_page(), 9, hash=options()))
    assert out is not None and out["hash"]["bitmap"]["clear_bits"] == [3]


# -- the frame ---------------------------------------------------------------------------------


def test_a_hash_index_claims_its_pages() -> None:
    heapish = bytearray(ItemPage([Tup(1)]).build())
    heapish[-2:] = b"\x00\x00"  # no page id: not recognisable as a hash page
    assert decode_page(bytes(heapish), 1).kind is not PageKind.HASH
    page = decode_page(bytes(heapish), 1, hash=HashDecodeOptions())
    assert page.kind is PageKind.HASH and "not-hash" in codes(page)
    new = decode_page(bytes(BLCKSZ), 17, hash=options())
    assert new.kind is PageKind.NEW and new.diagnostics == ()
    assert hash_page_type(new) == "unused"  # pageinspect: new pages are unused
    assert hash_page_json(new) is None


def test_special_space_of_the_wrong_size() -> None:
    raw = bytearray(ItemPage([Tup(1)]).build())
    raw[16:18] = (SPECIAL - 8).to_bytes(2, "little")  # pd_special 8 bytes early
    page = decode_page(bytes(raw), 1)
    assert "hash-special-size" in codes(page)
    assert hash_page_type(page) is None  # "index table contains corrupted page"


def test_options_from_a_page_that_is_no_metapage() -> None:
    assert hash_options({0: bitmap_page()}.get) == HashDecodeOptions()
    assert hash_options(lambda blkno: None) == HashDecodeOptions()
    opts = options()
    assert opts.meta is not None and list(opts.bitmaps) == [9]
    assert replace(opts, bitmaps={}).bitmaps == {}
    assert struct.unpack_from("<I", meta_page(), 24)[0] == C.HASH_MAGIC
