"""Round trips of the btree layouts (parse/build/sizeof, interpreted and compiled) and pinned
vectors: the values come from the C headers (nbtree.h, itup.h) and from pageinspect's output
for the same fixture bytes, never from our own decoder."""

from __future__ import annotations

import gzip
import struct
from typing import Any

import pytest
from goldens import relations

from pageinspect_py.layouts._util import field_offsets, struct_format
from pageinspect_py.layouts.btree import (
    BTDeletedPageData,
    BTMetaPageDataV2,
    BTPageOpaqueData,
    BTPageOpaqueData12,
    BTreeTupleData,
    IndexTupleData,
    IndexTupleInfo,
    bt_meta_page_data,
    bt_page_opaque_data,
    meta_flavour,
)

META_V4 = {
    "btm_magic": 0x053162,
    "btm_version": 4,
    "btm_root": 3,
    "btm_level": 1,
    "btm_fastroot": 3,
    "btm_fastlevel": 1,
    "btm_last_cleanup_num_delpages": 5,
    "btm_last_cleanup_num_heap_tuples": -1.0,
    "btm_allequalimage": True,
}
TID = {"ip_blkid": {"bi_hi": 1, "bi_lo": 2}, "ip_posid": 3}

CASES: list[tuple[str, Any, dict[str, Any], int]] = [
    ("meta v4 (13+)", bt_meta_page_data(4), META_V4, 48),
    (
        "meta v4 (12)",
        bt_meta_page_data(4, allequalimage=False, delpages=False),
        {
            k.replace("btm_last_cleanup_num_delpages", "btm_oldest_btpo_xact"): v
            for k, v in META_V4.items()
            if k != "btm_allequalimage"
        },
        40,
    ),
    (
        "meta v3 (13)",
        bt_meta_page_data(3, delpages=False),
        {
            k.replace("btm_last_cleanup_num_delpages", "btm_oldest_btpo_xact"): v
            for k, v in META_V4.items()
        }
        | {"btm_version": 3},
        48,
    ),
    (
        "meta v2",
        BTMetaPageDataV2,
        {
            "btm_magic": 0x053162,
            "btm_version": 2,
            "btm_root": 1,
            "btm_level": 0,
            "btm_fastroot": 1,
            "btm_fastlevel": 0,
        },
        24,
    ),
    (
        "opaque 14+",
        BTPageOpaqueData,
        {
            "btpo_prev": 7,
            "btpo_next": 0,
            "btpo_level": 2,
            "btpo_flags": 0x0101,
            "btpo_cycleid": 0xFF7F,
        },
        16,
    ),
    (
        "opaque 12",
        BTPageOpaqueData12,
        {"btpo_prev": 7, "btpo_next": 0, "btpo": 628, "btpo_flags": 0x0004, "btpo_cycleid": 0},
        16,
    ),
    ("deleted", BTDeletedPageData, {"safexid": (3 << 32) | 1234}, 8),
    ("index tuple", IndexTupleData, {"t_tid": TID, "t_info": 0x4018}, 8),
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
        if not isinstance(expected, dict):
            assert parsed[key] == expected, key
    if name == "index tuple":
        assert (
            parsed.t_tid.ip_blkid.bi_hi,
            parsed.t_tid.ip_blkid.bi_lo,
            parsed.t_tid.ip_posid,
        ) == (1, 2, 3)
    assert codec.build(parsed) == data
    assert struct.calcsize(struct_format(layout)) == size


def test_meta_offsets_follow_c_alignment() -> None:
    """float8 btm_last_cleanup_num_heap_tuples is 8-aligned at 32; the bool at 40 (13+)."""
    offsets = field_offsets(bt_meta_page_data(4))
    assert offsets["btm_last_cleanup_num_delpages"] == (24, 4)
    assert offsets["btm_last_cleanup_num_heap_tuples"] == (32, 8)
    assert offsets["btm_allequalimage"] == (40, 1)


def test_factories_choose_by_version() -> None:
    assert bt_page_opaque_data(12) is BTPageOpaqueData12
    assert bt_page_opaque_data(13) is BTPageOpaqueData12
    assert bt_page_opaque_data(14) is BTPageOpaqueData
    assert bt_page_opaque_data(None) is BTPageOpaqueData
    assert meta_flavour(12) == {"allequalimage": False, "delpages": False}
    assert meta_flavour(13) == {"allequalimage": True, "delpages": False}
    assert meta_flavour(18) == {"allequalimage": True, "delpages": True}
    # unknown major: 12's metapage ends at pd_lower 64, 13+ at 72
    assert meta_flavour(None, 64)["allequalimage"] is False
    assert meta_flavour(None, 72)["allequalimage"] is True


def test_t_info_bits_pinned() -> None:
    """itup.h: bit 15 has nulls, bit 14 var-width, bit 13 AM-reserved, bits 0-12 size. A
    BitStruct in C field order would read these wrong without any error."""
    info = IndexTupleInfo.parse(struct.pack("<H", 0x4018))
    assert (info.INDEX_NULL_MASK, info.INDEX_VAR_MASK, info.INDEX_ALT_TID_MASK, info.size) == (
        False,
        True,
        False,
        24,
    )
    info = IndexTupleInfo.parse(struct.pack("<H", 0xA000 | 1352))
    assert (info.INDEX_NULL_MASK, info.INDEX_VAR_MASK, info.INDEX_ALT_TID_MASK, info.size) == (
        True,
        False,
        True,
        1352,
    )
    assert IndexTupleInfo.build(info) == struct.pack("<H", 0xA000 | 1352)


def _tuple(tid: tuple[int, int], t_info: int, rest: bytes) -> bytes:
    return struct.pack("<HHHH", tid[0] >> 16, tid[0] & 0xFFFF, tid[1], t_info) + rest


@pytest.mark.parametrize("compiled", [False, True], ids=["interpreted", "compiled"])
def test_posting_and_pivot_encodings(compiled: bool) -> None:
    """nbtree.h: a posting tuple's t_tid block is the byte offset of its TID array and its
    offset is BT_IS_POSTING | count; a pivot's offset is natts, BT_PIVOT_HEAP_TID_ATTR when
    its heap TID is kept in the last 6 bytes."""
    codec = BTreeTupleData.compile() if compiled else BTreeTupleData
    heap = ((5, 1), (5, 2), (70000, 9))  # 70000: a block number using bi_hi
    tids = b"".join(struct.pack("<HHH", blk >> 16, blk & 0xFFFF, off) for blk, off in heap)
    posting = _tuple((16, 0x2000 | 3), 0x2000 | 40, bytes(8) + tids + bytes(6))
    parsed = codec.parse(posting)
    got = [((t.ip_blkid.bi_hi << 16) | t.ip_blkid.bi_lo, t.ip_posid) for t in parsed.posting]
    assert got == list(heap)
    assert parsed.pivot_heap_tid is None
    pivot = _tuple(
        (7, 0x1000 | 1),
        0x2000 | 24,
        struct.pack("<i", 300) + bytes(4) + bytes(2) + struct.pack("<HHH", 1, 2, 3),
    )
    parsed = codec.parse(pivot)
    assert parsed.posting is None
    assert (
        (parsed.pivot_heap_tid.ip_blkid.bi_hi << 16) | parsed.pivot_heap_tid.ip_blkid.bi_lo,
        parsed.pivot_heap_tid.ip_posid,
    ) == ((1 << 16) | 2, 3)
    plain = _tuple((4, 12), 16, struct.pack("<i", 300) + bytes(4))
    parsed = codec.parse(plain)
    assert parsed.posting is None
    assert parsed.pivot_heap_tid is None
    assert parsed.t_bits is None
    nulls = _tuple((4, 12), 0x8000 | 16, bytes([0b110, 0, 0, 0]) + bytes(4))
    assert codec.parse(nulls).t_bits == bytes([0b110, 0, 0, 0])


def test_real_posting_tuple_vector() -> None:
    """A posting tuple of the 17 bt_dedup fixture, against pageinspect's row for it."""
    rel = next(r for r in relations("btree") if r.major == 17 and r.name == "bt_dedup")
    data = gzip.decompress(rel.file().read_bytes())
    for block in rel.oracle["blocks"]:
        for row in block.get("bt_page_items") or []:
            if not row.get("tids"):
                continue
            page = data[block["block"] * 8192 : (block["block"] + 1) * 8192]
            lp = struct.unpack_from("<I", page, 24 + 4 * (row["itemoffset"] - 1))[0]
            off, length = lp & 0x7FFF, lp >> 17
            parsed = BTreeTupleData.parse(page[off : off + length])
            assert parsed.t_info & 0x1FFF == row["itemlen"]
            got = [
                f"({(t.ip_blkid.bi_hi << 16) | t.ip_blkid.bi_lo},{t.ip_posid})"
                for t in parsed.posting
            ]
            assert got == row["tids"]
            return
    pytest.fail("no posting tuple in the 17 bt_dedup fixture")
