"""Round trips of the BRIN layouts (parse/build/sizeof, interpreted and compiled) and pinned
vectors: sizes and offsets from brin_page.h / brin_tuple.h / brin_bloom.c /
brin_minmax_multi.c, values from pageinspect's output on the same fixture bytes
(brin_metapage_info, brin_revmap_data, brin_page_items), never from our own decoder."""

from __future__ import annotations

import gzip
import struct
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py import constants as C
from pageinspect_py.layouts._util import compiled, field_offsets, struct_format
from pageinspect_py.layouts.brin import (
    BRIN_PAGE_FLAGS_WORD,
    BRIN_PAGE_TYPE_WORD,
    BloomFilterHeader,
    BrinMetaPageData,
    BrinSpecialSpace,
    BrinTupleData,
    SerializedRangesHeader,
    SizeOfBrinSpecialSpace,
    SizeOfBrinTuple,
    revmap_contents,
    revmap_page_maxitems,
)

BRIN = list(relations("brin"))

CASES: list[tuple[str, Any, dict[str, Any], int]] = [
    ("special", BrinSpecialSpace, {"vector": [0, 0, C.BRIN_EVACUATE_PAGE, 0xF093]}, 8),
    (
        "meta",
        BrinMetaPageData,
        {
            "brinMagic": C.BRIN_META_MAGIC,
            "brinVersion": 1,
            "pagesPerRange": 128,
            "lastRevmapPage": 3,
        },
        16,
    ),
    ("tuple", BrinTupleData, {"bt_blkno": 70000, "bt_info": 0x88}, 5),
    ("bloom", BloomFilterHeader, {"flags": 0, "nhashes": 7, "nbits": 960, "nbits_set": 520}, 12),
    (
        "ranges",
        SerializedRangesHeader,
        {"typid": 20, "nranges": 4, "nvalues": 12, "maxvalues": 32},
        16,
    ),
]


@pytest.mark.parametrize(("name", "layout", "value", "size"), CASES, ids=[c[0] for c in CASES])
def test_round_trip(name: str, layout: Any, value: dict[str, Any], size: int) -> None:
    assert layout.sizeof() == size
    raw = layout.build(value)
    assert len(raw) == size
    for parser in (layout, compiled(layout)):
        parsed = parser.parse(raw)
        for key, expected in value.items():
            got = parsed[key]
            assert (list(got) if isinstance(expected, list) else got) == expected, key
    assert compiled(layout).build(value) == raw


def test_sizes_from_the_headers() -> None:
    # MAXALIGN(1) / sizeof(uint16) half-words; the type last, the flags before it
    assert SizeOfBrinSpecialSpace == C.MAXIMUM_ALIGNOF == 8
    assert (BRIN_PAGE_TYPE_WORD, BRIN_PAGE_FLAGS_WORD) == (3, 2)
    # SizeOfBrinTuple = offsetof(BrinTuple, bt_info) + sizeof(uint8)
    assert SizeOfBrinTuple == 5
    assert field_offsets(BrinTupleData) == {"bt_blkno": (0, 4), "bt_info": (4, 1)}
    # REVMAP_PAGE_MAXITEMS = (BLCKSZ - 24 - 8) / sizeof(ItemPointerData)
    assert revmap_page_maxitems(8192) == 1360
    assert revmap_page_maxitems(32768) == (32768 - 32) // 6
    assert revmap_contents(8192).sizeof() == 8192 - 32
    # 1 kB: 992 bytes hold 165 TIDs and 2 bytes more
    assert revmap_contents(1024).sizeof() == 1024 - 32
    # BloomFilter: vl_len_ int32, flags uint16, nhashes uint8, (pad), nbits, nbits_set, data
    assert field_offsets(BloomFilterHeader)["nbits"] == (4, 4)
    assert struct.calcsize(struct_format(BloomFilterHeader)) == BloomFilterHeader.sizeof() == 12
    assert struct_format(SerializedRangesHeader) == "<Llll"  # typid an Oid, the counts int
    # bt_info masks partition the byte
    masks = C.BRIN_OFFSET_MASK | C.BRIN_EMPTY_RANGE_MASK | C.BRIN_PLACEHOLDER_MASK
    assert masks | C.BRIN_NULLS_MASK == 0xFF


def _file_blocks(rel: FixtureRelation) -> list[bytes]:
    data = gzip.decompress(rel.file().read_bytes())
    return [data[i : i + 8192] for i in range(0, len(data), 8192)]


@pytest.mark.parametrize("rel", [r for r in BRIN if r.major in (12, 16, 18)], ids=str)
def test_pinned_to_pageinspect(rel: FixtureRelation) -> None:
    """The layouts read the fixture bytes as pageinspect did."""
    blocks = _file_blocks(rel)
    oracle = {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}
    special = BrinSpecialSpace.parse(blocks[0][-8:])
    assert special.vector[BRIN_PAGE_TYPE_WORD] == C.BRIN_PAGETYPE_META
    meta = BrinMetaPageData.parse(blocks[0][24:40])
    want = oracle[0]["brin_metapage_info"]
    assert f"0x{meta.brinMagic:08X}" == want["magic"] == "0xA8109CFA"
    assert meta.brinVersion == want["version"]
    assert meta.pagesPerRange == want["pagesperrange"]
    assert meta.lastRevmapPage == want["lastrevmappage"]
    tids = revmap_contents().parse(blocks[1][24:8184]).rm_tids
    assert [f"({t.ip_blkid.bi_hi << 16 | t.ip_blkid.bi_lo},{t.ip_posid})" for t in tids] == oracle[
        1
    ]["brin_revmap_data"]
    # the first tuple of block 2: its bt_blkno is brin_page_items' blknum
    (lp,) = struct.unpack_from("<I", blocks[2], 24)
    off = lp & 0x7FFF
    tup = BrinTupleData.parse(blocks[2][off : off + SizeOfBrinTuple])
    first = oracle[2]["brin_page_items"][0]
    assert first["itemoffset"] == 1 and tup.bt_blkno == first["blknum"]
    assert bool(tup.bt_info & C.BRIN_PLACEHOLDER_MASK) == first["placeholder"]
