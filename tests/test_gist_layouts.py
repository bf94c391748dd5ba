"""Round trips of the GiST layouts (parse/build/sizeof, interpreted and compiled) and pinned
vectors: sizes and offsets from access/gist.h's definitions, values from pageinspect's output
on the same fixture bytes (gist_page_opaque_info, gist_page_items_bytea), never from our own
decoder."""

from __future__ import annotations

import gzip
import struct
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py import constants as C
from pageinspect_py.layouts._util import field_offsets, struct_format
from pageinspect_py.layouts.gist import (
    GIST_OPAQUE_OFFSETS,
    GISTDeletedPageContents,
    GistIndexTupleData,
    GISTPageOpaqueData,
)

BLCKSZ = 8192

CASES: list[tuple[str, Any, dict[str, Any], int]] = [
    (
        "opaque",
        GISTPageOpaqueData,
        {
            "nsn": {"xlogid": 0, "xrecoff": 1},
            "rightlink": 30,
            "flags": C.F_LEAF | C.F_HAS_GARBAGE,
            "gist_page_id": C.GIST_PAGE_ID,
        },
        16,
    ),
    ("deleted", GISTDeletedPageContents, {"deleteXid": (3 << 32) | 758}, 8),
    (
        "index tuple",
        GistIndexTupleData,
        {"t_tid": {"ip_blkid": {"bi_hi": 1, "bi_lo": 2}, "ip_posid": 0xFFFF}, "t_info": 40},
        8,
    ),
]


@pytest.mark.parametrize(("name", "layout", "value", "size"), CASES, ids=[c[0] for c in CASES])
def test_round_trip(name: str, layout: Any, value: dict[str, Any], size: int) -> None:
    assert layout.sizeof() == size
    raw = layout.build(value)
    assert len(raw) == size
    for parser in (layout, layout.compile()):
        parsed = parser.parse(raw)
        assert layout.build(parsed) == raw


def test_sizes_and_offsets_from_gist_h() -> None:
    # GISTPageOpaqueData: PageXLogRecPtr nsn; BlockNumber rightlink; uint16 flags; uint16 id
    assert GISTPageOpaqueData.sizeof() == C.SizeOfGISTPageOpaqueData == C.maxalign(16)
    assert GIST_OPAQUE_OFFSETS == {
        "nsn": (0, 8),
        "rightlink": (8, 4),
        "flags": (12, 2),
        "gist_page_id": (14, 2),
    }
    assert field_offsets(GISTDeletedPageContents) == {"deleteXid": (0, 8)}
    assert struct_format(GISTPageOpaqueData) == "<LLLHH"
    assert struct_format(GistIndexTupleData) == "<HHHH"
    assert (C.F_LEAF, C.F_DELETED, C.F_TUPLES_DELETED, C.F_FOLLOW_RIGHT, C.F_HAS_GARBAGE) == (
        1,
        2,
        4,
        8,
        16,
    )
    assert (C.GIST_PAGE_ID, C.TUPLE_IS_VALID, C.TUPLE_IS_INVALID) == (0xFF81, 0xFFFF, 0xFFFE)


def _blocks(rel: FixtureRelation) -> list[bytes]:
    data = gzip.decompress(rel.file().read_bytes())
    return [data[i : i + BLCKSZ] for i in range(0, len(data), BLCKSZ)]


def _rel(major: int, name: str) -> FixtureRelation:
    (rel,) = [r for r in relations("gist") if r.major == major and r.name == name]
    return rel


def test_opaque_pinned_to_gist_page_opaque_info() -> None:
    """Every block of the 17 and 14 fixtures: nsn, rightlink and flags as the server read
    them (the flags as its names)."""
    names = dict(C.GIST_FLAG_NAMES)
    for rel in (_rel(17, "gist_box"), _rel(14, "gist_point")):
        oracle = {b["block"]: b for b in rel.oracle["blocks"]}
        for blkno, page in enumerate(_blocks(rel)):
            raw = GISTPageOpaqueData.parse(page[-16:])
            want = oracle[blkno]["gist_page_opaque_info"]
            assert f"{raw.nsn.xlogid:X}/{raw.nsn.xrecoff:X}" == want["nsn"]
            assert raw.rightlink == want["rightlink"]
            assert [n for bit, n in names.items() if raw.flags & bit] == want["flags"]
            assert raw.gist_page_id == C.GIST_PAGE_ID


def test_deleted_contents_pinned() -> None:
    """A deleted page of 14: pd_lower 32, the FullTransactionId at offset 24 (epoch 0)."""
    rel = _rel(14, "gist_point")
    oracle = {b["block"]: b for b in rel.oracle["blocks"]}
    deleted = [
        (blkno, page)
        for blkno, page in enumerate(_blocks(rel))
        if "deleted" in oracle[blkno]["gist_page_opaque_info"]["flags"]
    ]
    assert deleted
    for blkno, page in deleted:
        assert oracle[blkno]["page_header"]["lower"] == 24 + GISTDeletedPageContents.sizeof()
        xid = GISTDeletedPageContents.parse(page[24:32]).deleteXid
        assert xid >> 32 == 0 and 0 < xid < 2**32


def test_index_tuple_pinned_to_gist_page_items_bytea() -> None:
    """t_tid and IndexTupleSize of the server's rows, parsed from their own bytes."""
    rel = _rel(17, "gist_range")
    for block in rel.oracle["blocks"]:
        keys = {row["itemoffset"]: row["keys"] for row in block["gist_page_items"]}
        for row in block["gist_page_items_bytea"]:
            raw = bytes.fromhex(row["key_data"][2:])
            t = GistIndexTupleData.parse(raw)
            block_no = (t.t_tid.ip_blkid.bi_hi << 16) | t.t_tid.ip_blkid.bi_lo
            assert f"({block_no},{t.t_tid.ip_posid})" == row["ctid"]
            assert t.t_info & C.INDEX_SIZE_MASK == row["itemlen"] == len(raw)
            (info,) = struct.unpack_from("<H", raw, 6)
            assert bool(info & C.INDEX_NULL_MASK) == (keys[row["itemoffset"]] == "(r)=(null)")
