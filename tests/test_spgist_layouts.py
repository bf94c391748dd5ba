"""Round trips of the SP-GiST layouts (parse/build/sizeof, interpreted and compiled) and pinned
vectors: sizes from spgist_private.h's definitions (SGITHDRSZ, SGNTHDRSZ, SGLTHDRSZ, SGDTSIZE,
the metapage's pd_lower), bitfields pinned on known words."""

from __future__ import annotations

from typing import Any

import pytest

from pageinspect_py import constants as C
from pageinspect_py.layouts._util import compiled
from pageinspect_py.layouts.spgist import (
    INNER_MASKS,
    LEAF_MASKS,
    SGDTSIZE,
    SGITHDRSZ,
    SGLTHDRSZ,
    SGLTHDRSZ_NULLS,
    SGNTHDRSZ,
    SizeOfSpGistMetaPageData,
    SizeOfSpGistPageOpaqueData,
    SpGistInnerTupleBits,
    SpGistLeafTupleBits,
    SpGistMetaPageData,
    SpGistPageOpaqueData,
    leaf_offsets,
    spgist_dead_tuple_data,
    spgist_leaf_tuple_data,
)


def test_sizes_are_the_headers() -> None:
    assert SizeOfSpGistPageOpaqueData == 8  # four uint16
    assert SizeOfSpGistMetaPageData == 4 + C.SPGIST_CACHED_PAGES * 8
    # SpGistInitMetapage: pd_lower just past SpGistMetaPageData (92 on every fixture)
    assert C.SizeOfPageHeaderData + SizeOfSpGistMetaPageData == 92
    assert SGITHDRSZ == 8 and SGNTHDRSZ == 8
    assert spgist_leaf_tuple_data().sizeof() == 12 and SGLTHDRSZ == 16
    assert SGLTHDRSZ_NULLS == 16  # MAXALIGN(12 + sizeof(IndexAttributeBitMapData))
    assert spgist_dead_tuple_data().sizeof() == 16 == SGDTSIZE


def test_the_field_is_named_as_each_major_names_it() -> None:
    assert "nextOffset" in leaf_offsets(12) and "nextOffset" in leaf_offsets(13)
    assert "t_info" in leaf_offsets(14) and "t_info" in leaf_offsets(18)
    assert leaf_offsets(12)["nextOffset"] == leaf_offsets(14)["t_info"] == (4, 2)
    assert leaf_offsets(12)["heapPtr"] == (6, 6)


def test_bitfields_pinned() -> None:
    # a quad tree inner tuple: LIVE, not allTheSame, 4 nodes, prefixSize 16 (a point)
    word = (16 << 16) | (4 << 3)
    parsed = SpGistInnerTupleBits.parse(word.to_bytes(4, "little"))
    assert (parsed.tupstate, parsed.allTheSame, parsed.nNodes, parsed.prefixSize) == (0, 0, 4, 16)
    decoded = {k: (word >> s) & m for k, (s, m) in INNER_MASKS.items()}
    assert decoded == {"tupstate": 0, "allTheSame": 0, "nNodes": 4, "prefixSize": 16}
    word = (1 << 2) | (C.SGITMAXNNODES << 3) | 3
    assert SpGistInnerTupleBits.parse(word.to_bytes(4, "little")).nNodes == C.SGITMAXNNODES
    assert INNER_MASKS["allTheSame"] == (2, 1)
    # a placeholder: tupstate 3, size SGDTSIZE
    word = (SGDTSIZE << 2) | C.SPGIST_PLACEHOLDER
    parsed = SpGistLeafTupleBits.parse(word.to_bytes(4, "little"))
    assert (parsed.tupstate, parsed.size) == (3, 16)
    assert LEAF_MASKS == {"tupstate": (0, 3), "size": (2, (1 << 30) - 1)}


CASES: list[tuple[str, Any, dict[str, Any]]] = [
    (
        "opaque",
        SpGistPageOpaqueData,
        {
            "flags": C.SPGIST_LEAF | C.SPGIST_NULLS,
            "nRedirection": 1,
            "nPlaceholder": 7,
            "spgist_page_id": C.SPGIST_PAGE_ID,
        },
    ),
    (
        "meta",
        SpGistMetaPageData,
        {
            "magicNumber": C.SPGIST_MAGIC_NUMBER,
            "lastUsedPages": {
                "cachedPage": [{"blkno": b, "freeSpace": 100 * b} for b in range(3, 11)]
            },
        },
    ),
    (
        "leaf14",
        spgist_leaf_tuple_data(14),
        {
            "bits": (32 << 2),
            "t_info": 5 | C.SGLT_HASNULLMASK,
            "heapPtr": {"ip_blkid": {"bi_hi": 0, "bi_lo": 7}, "ip_posid": 3},
        },
    ),
    (
        "dead12",
        spgist_dead_tuple_data(12),
        {
            "bits": (16 << 2) | 1,
            "nextOffset": 0,
            "pointer": {"ip_blkid": {"bi_hi": 0, "bi_lo": 9}, "ip_posid": 2},
            "xid": 771,
        },
    ),
]


@pytest.mark.parametrize(("name", "layout", "value"), CASES, ids=[c[0] for c in CASES])
def test_round_trip(name: str, layout: Any, value: dict[str, Any]) -> None:
    raw = layout.build(value)
    assert len(raw) == layout.sizeof()
    for parser in (layout, compiled(layout)):
        parsed = parser.parse(raw)
        assert layout.build(parsed) == raw
