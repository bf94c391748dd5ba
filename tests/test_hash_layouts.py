"""Round trips of the hash layouts (parse/build/sizeof, interpreted and compiled) and pinned
vectors: sizes and offsets from access/hash.h's definitions, values from pageinspect's output
on the same fixture bytes (hash_metapage_info, hash_page_stats, hash_page_items, page_header),
never from our own decoder."""

from __future__ import annotations

import gzip
import struct
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py import constants as C
from pageinspect_py.layouts._util import field_offsets, struct_format
from pageinspect_py.layouts.hash import (
    HASH_TUPLE_MIN_SIZE,
    HashIndexTupleData,
    HashPageOpaqueData,
    hash_bitmap,
    hash_meta_offsets,
    hash_meta_page_data,
)

BLCKSZ = 8192
HASH = list(relations("hash"))


def _meta_value(block_size: int) -> dict[str, Any]:
    nmaps = C.hash_max_bitmaps(block_size)
    return {
        "hashm_magic": C.HASH_MAGIC,
        "hashm_version": C.HASH_VERSION,
        "hashm_ntuples": 3190.0,
        "hashm_ffactor": 307,
        "hashm_bsize": block_size - 40,
        "hashm_bmsize": 4096,
        "hashm_bmshift": 15,
        "hashm_maxbucket": 10,
        "hashm_highmask": 15,
        "hashm_lowmask": 7,
        "hashm_ovflpoint": 4,
        "hashm_firstfree": 3,
        "hashm_nmaps": 1,
        "hashm_procid": 450,
        "hashm_spares": [0, 0, 0, 5, 5] + [0] * (C.HASH_MAX_SPLITPOINTS - 5),
        "hashm_mapp": [9] + [0] * (nmaps - 1),
    }


CASES: list[tuple[str, Any, dict[str, Any], int]] = [
    (
        "opaque",
        HashPageOpaqueData,
        {
            "hasho_prevblkno": 7,
            "hasho_nextblkno": 13,
            "hasho_bucket": 7,
            "hasho_flag": C.LH_BUCKET_PAGE | C.LH_PAGE_HAS_DEAD_TUPLES,
            "hasho_page_id": C.HASHO_PAGE_ID,
        },
        16,
    ),
    # sizeof(HashMetaPageData): 52 bytes of scalars, 98 spares, Min(BLCKSZ / 8, 1024) mapp
    # entries, padded to the double's alignment
    ("meta 8k", hash_meta_page_data(8192), _meta_value(8192), 4544),
    ("meta 1k", hash_meta_page_data(1024), _meta_value(1024), 960),
    ("meta 32k", hash_meta_page_data(32768), _meta_value(32768), 4544),
    (
        "index tuple",
        HashIndexTupleData,
        {
            "t_tid": {"ip_blkid": {"bi_hi": 1, "bi_lo": 2}, "ip_posid": 3},
            "t_info": 16,
            "hashkey": 0xFE534F97,
        },
        12,
    ),
]


@pytest.mark.parametrize(("name", "layout", "value", "size"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("compiled", [False, True], ids=["interpreted", "compiled"])
def test_round_trip(
    name: str, layout: Any, value: dict[str, Any], size: int, compiled: bool
) -> None:
    codec = layout.compile() if compiled else layout
    data = codec.build(value)
    assert len(data) == size == layout.sizeof()
    parsed = codec.parse(data)
    for key, expected in value.items():
        if isinstance(expected, list):
            assert list(parsed[key]) == expected, key
        elif not isinstance(expected, dict):
            assert parsed[key] == expected, key
    assert codec.build(parsed) == data
    if name in ("opaque", "index tuple"):
        assert struct.calcsize(struct_format(layout)) == size


@pytest.mark.parametrize("compiled", [False, True], ids=["interpreted", "compiled"])
def test_bitmap_round_trip(compiled: bool) -> None:
    layout = hash_bitmap(4096)
    codec = layout.compile() if compiled else layout
    words = [0xFFFFFFFF] * 1024
    words[0] = 0xFFFFFFF7  # bit 3 clear
    data = codec.build({"bitmap": words})
    assert len(data) == 4096 == layout.sizeof()
    assert data[:4] == b"\xf7\xff\xff\xff"  # little-endian words, lowest bit first
    assert list(codec.parse(data).bitmap) == words


def test_offsets_follow_c_alignment() -> None:
    """hash.h: the double hashm_ntuples at 8, four uint16s, then uint32s; the arrays after
    hashm_procid."""
    offsets = hash_meta_offsets(8192)
    assert offsets["hashm_ntuples"] == (8, 8)
    assert offsets["hashm_ffactor"] == (16, 2)
    assert offsets["hashm_bmshift"] == (22, 2)
    assert offsets["hashm_maxbucket"] == (24, 4)
    assert offsets["hashm_procid"] == (48, 4)
    assert offsets["hashm_spares"] == (52, 4 * C.HASH_MAX_SPLITPOINTS)
    assert offsets["hashm_mapp"] == (52 + 4 * 98, 4 * 1024)
    assert field_offsets(HashPageOpaqueData) == {
        "hasho_prevblkno": (0, 4),
        "hasho_nextblkno": (4, 4),
        "hasho_bucket": (8, 4),
        "hasho_flag": (12, 2),
        "hasho_page_id": (14, 2),
    }
    assert field_offsets(HashIndexTupleData)["hashkey"] == (8, 4)
    assert HASH_TUPLE_MIN_SIZE == 12
    assert struct_format(HashIndexTupleData) == "<HHHHL"  # construct's Int32ul: "<L"


def test_constants_as_hash_h_defines_them() -> None:
    assert C.HASH_MAX_SPLITPOINTS == 98  # (32 - 10) * 4 + 10
    assert C.hash_max_bitmaps(8192) == 1024
    assert C.hash_max_bitmaps(4096) == 512
    assert C.hash_max_bitmaps(1024) == 128
    assert C.LH_PAGE_TYPE == 0x0F
    assert 16 - field_offsets(HashPageOpaqueData)["hasho_flag"][0] == C.HASHO_FLAG_FROM_END
    assert C.SizeOfHashPageOpaqueData == HashPageOpaqueData.sizeof()
    assert C.INDEX_MOVED_BY_SPLIT_MASK == C.INDEX_AM_RESERVED_BIT


def _blocks(rel: FixtureRelation) -> tuple[list[bytes], dict[int, dict[str, Any]]]:
    data = gzip.decompress(rel.file().read_bytes())
    pages = [data[i : i + BLCKSZ] for i in range(0, len(data), BLCKSZ)]
    return pages, {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}


@pytest.mark.parametrize("rel", HASH, ids=str)
def test_pinned_against_pageinspect(rel: FixtureRelation) -> None:
    """The layouts parse the fixture bytes into what pageinspect says about them."""
    pages, oracle = _blocks(rel)
    layout = hash_meta_page_data(BLCKSZ)
    meta = layout.parse(pages[0][24 : 24 + layout.sizeof()])
    info = oracle[0]["hash_metapage_info"]
    for column, value in info.items():
        parsed = meta[f"hashm_{column}"]
        if column in ("spares", "mapp"):
            assert list(parsed) == value, column
        elif column == "procid":  # oid: row_to_json prints it as a string
            assert parsed == int(value)
        else:
            assert parsed == value, column
    # _hash_init_metabuffer sets pd_lower just past HashMetaPageData
    assert oracle[0]["page_header"]["lower"] == 24 + layout.sizeof()
    checked = 0
    for blkno, page in enumerate(pages):
        stats = oracle[blkno]["hash_page_stats"]
        if "error" in stats:
            continue
        opaque = HashPageOpaqueData.parse(page[-16:])
        for name in ("hasho_prevblkno", "hasho_nextblkno", "hasho_bucket", "hasho_flag"):
            assert opaque[name] == stats[name], (blkno, name)
        assert opaque.hasho_page_id == stats["hasho_page_id"] == C.HASHO_PAGE_ID
        for row in oracle[blkno]["hash_page_items"]:
            (word,) = struct.unpack_from("<I", page, 24 + 4 * (row["itemoffset"] - 1))
            item = HashIndexTupleData.parse(page[word & 0x7FFF :])
            tid = item.t_tid
            assert (
                f"({tid.ip_blkid.bi_hi << 16 | tid.ip_blkid.bi_lo},{tid.ip_posid})" == (row["ctid"])
            )
            assert item.hashkey == row["data"]
            checked += 1
    assert checked > 1000
