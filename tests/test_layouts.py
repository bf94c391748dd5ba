"""Round trips of every layout (parse, build, sizeof; interpreted and compiled) and pinned
vectors for the bitfields, whose C order is easy to get wrong."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from construct import Container
from hypothesis import given
from hypothesis import strategies as st

from pageinspect_py.layouts.heap import (
    HEAP_TUPLE_HEADER_OFFSETS,
    HeapTupleHeaderData,
    HeapTupleHeaderWithBits,
    ItemPointerData,
)
from pageinspect_py.layouts.page import (
    LP_FLAGS_MASK,
    LP_FLAGS_SHIFT,
    LP_LEN_SHIFT,
    LP_OFF_MASK,
    PAGE_HEADER_OFFSETS,
    ItemIdData,
    PageHeaderData,
)

HEADER = {
    "pd_lsn": {"xlogid": 1, "xrecoff": 0x0157A8B8},
    "pd_checksum": 3798,
    "pd_flags": 5,
    "pd_lower": 212,
    "pd_upper": 7744,
    "pd_special": 8192,
    "pd_pagesize_version": 8196,
    "pd_prune_xid": 744,
}
TUPLE: dict[str, Any] = {
    "t_xmin": 740,
    "t_xmax": 0,
    "t_field3": 3,
    "t_ctid": {"ip_blkid": {"bi_hi": 1, "bi_lo": 2}, "ip_posid": 7},
    "t_infomask2": 4,
    "t_infomask": 2306,
    "t_hoff": 24,
}

CASES: list[tuple[str, Any, dict[str, Any], int]] = [
    ("PageHeaderData", PageHeaderData, HEADER, 24),
    ("ItemIdData", ItemIdData, {"lp_len": 80, "lp_flags": 1, "lp_off": 8112}, 4),
    ("ItemPointerData", ItemPointerData, dict(TUPLE["t_ctid"]), 6),
    ("HeapTupleHeaderData", HeapTupleHeaderData, TUPLE, 23),
]


def _plain(value: Any) -> Any:
    if isinstance(value, Container):
        return {k: _plain(v) for k, v in value.items() if not k.startswith("_")}
    return value


@pytest.mark.parametrize(("name", "layout", "value", "size"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("compiled", [False, True], ids=["interpreted", "compiled"])
def test_round_trip(
    name: str, layout: Any, value: dict[str, Any], size: int, compiled: bool
) -> None:
    codec = layout.compile() if compiled else layout
    raw = codec.build(value)
    assert len(raw) == size == layout.sizeof()
    assert _plain(codec.parse(raw)) == value
    assert codec.build(codec.parse(raw)) == raw


def test_line_pointer_known_vector() -> None:
    # itemid.h: lp_off is the low 15 bits, lp_flags the next 2, lp_len the top 15.
    word = 8112 | (1 << 15) | (80 << 17)
    raw = struct.pack("<I", word)
    parsed = ItemIdData.parse(raw)
    assert (parsed.lp_off, parsed.lp_flags, parsed.lp_len) == (8112, 1, 80)
    assert ItemIdData.build({"lp_off": 8112, "lp_flags": 1, "lp_len": 80}) == raw
    # the bulk path's masks read the same word the same way
    assert word & LP_OFF_MASK == 8112
    assert (word >> LP_FLAGS_SHIFT) & 3 == 1
    assert word >> LP_LEN_SHIFT == 80


def test_block_id_halves() -> None:
    # block.h: BlockIdData is bi_hi then bi_lo, each little-endian uint16
    raw = ItemPointerData.build({"ip_blkid": {"bi_hi": 1, "bi_lo": 2}, "ip_posid": 7})
    assert raw == bytes([1, 0, 2, 0, 7, 0])


def test_offsets_match_c_struct() -> None:
    # offsetof() values from bufpage.h / htup_details.h
    assert PAGE_HEADER_OFFSETS["pd_lower"] == (12, 2)
    assert PAGE_HEADER_OFFSETS["pd_prune_xid"] == (20, 4)
    assert HEAP_TUPLE_HEADER_OFFSETS["t_ctid"] == (12, 6)
    assert HEAP_TUPLE_HEADER_OFFSETS["t_hoff"] == (22, 1)


@pytest.mark.parametrize("compiled", [False, True], ids=["interpreted", "compiled"])
@pytest.mark.parametrize(("natts", "bits"), [(3, b"\x05"), (9, b"\xff\x01"), (72, bytes(9))])
def test_null_bitmap_sized_from_natts(compiled: bool, natts: int, bits: bytes) -> None:
    codec = HeapTupleHeaderWithBits.compile() if compiled else HeapTupleHeaderWithBits
    value = dict(TUPLE, t_infomask=0x0001, t_infomask2=natts, t_bits=bits)
    raw = codec.build(value)
    assert len(raw) == 23 + (natts + 7) // 8
    assert codec.parse(raw).t_bits == bits
    without = dict(TUPLE, t_infomask=0, t_infomask2=natts, t_bits=None)
    assert len(codec.build(without)) == 23


@given(st.integers(0, 2**32 - 1))
def test_line_pointer_word_path_agrees_with_bitstruct(word: int) -> None:
    raw = struct.pack("<I", word)
    parsed = ItemIdData.parse(raw)
    assert parsed.lp_off == word & LP_OFF_MASK
    assert parsed.lp_flags == (word >> LP_FLAGS_SHIFT) & LP_FLAGS_MASK
    assert parsed.lp_len == word >> LP_LEN_SHIFT
    from pageinspect_py.page.items import split_item_id

    assert split_item_id(word) == (parsed.lp_off, parsed.lp_flags, parsed.lp_len)


@given(st.binary(min_size=23, max_size=23))
def test_tuple_header_struct_path_agrees_with_construct(raw: bytes) -> None:
    from pageinspect_py.page.heaptuple import TUPLE_HEADER_STRUCT

    parsed = HeapTupleHeaderData.parse(raw)
    flat = TUPLE_HEADER_STRUCT.unpack(raw)
    ctid = parsed.t_ctid
    assert flat == (
        parsed.t_xmin,
        parsed.t_xmax,
        parsed.t_field3,
        ctid.ip_blkid.bi_hi,
        ctid.ip_blkid.bi_lo,
        ctid.ip_posid,
        parsed.t_infomask2,
        parsed.t_infomask,
        parsed.t_hoff,
    )
