"""Semantics of GiST pages on synthetic pages built with the layouts' own ``build()``: what each
field and diagnostic means and when it fires, typed by a tuple descriptor or not, what the
pageinspect projections answer, and what pgstattuple and the cross-page findings count.
Expected meanings come from the C sources (gist.h, gist_private.h, itup.h, gistfuncs.c,
pgstattuple.c), not from our decoder."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import pytest

from pageinspect_py import constants as C
from pageinspect_py.analysis.giststats import (
    gist_index_findings,
    gist_index_statistics,
    pgstattuple,
)
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.gist import (
    GistColumn,
    GistDecodeOptions,
    GistPage,
    gist_flag_names,
    gist_page_items,
    gist_page_items_bytea,
    gist_page_opaque_info,
    key_description,
    quote_identifier,
)
from pageinspect_py.decode.gist.model import GistKey
from pageinspect_py.decode.output import TypeInfo
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.layouts.gist import GISTDeletedPageContents, GISTPageOpaqueData
from pageinspect_py.layouts.page import ItemIdData, PageHeaderData

BLCKSZ = 8192
SPECIAL = BLCKSZ - 16
INVALID = C.InvalidBlockNumber

BOX = GistColumn(1, "b", "box", 32, "d", TypeInfo("box", 32, "d", False, typoid=603))
OPTIONS = GistDecodeOptions((BOX,))


def header(lower: int, upper: int, special: int = SPECIAL, prune_xid: int = 0) -> bytes:
    return bytes(
        PageHeaderData.build(
            {
                "pd_lsn": {"xlogid": 0, "xrecoff": 0x100},
                "pd_checksum": 0,
                "pd_flags": 0,
                "pd_lower": lower,
                "pd_upper": upper,
                "pd_special": special,
                "pd_pagesize_version": BLCKSZ | 4,
                "pd_prune_xid": prune_xid,
            }
        )
    )


def opaque(
    flags: int, rightlink: int = INVALID, nsn: int = 0, page_id: int = C.GIST_PAGE_ID
) -> bytes:
    return bytes(
        GISTPageOpaqueData.build(
            {
                "nsn": {"xlogid": nsn >> 32, "xrecoff": nsn & 0xFFFFFFFF},
                "rightlink": rightlink,
                "flags": flags,
                "gist_page_id": page_id,
            }
        )
    )


def box(hx: float, hy: float, lx: float, ly: float) -> bytes:
    """A BOX datum: high point, then low point (geo_decls.h)."""
    return struct.pack("<4d", hx, hy, lx, ly)


@dataclass
class Tup:
    """An index tuple: t_tid, then a key (or NULL: the null bitmap with bit 0 clear)."""

    tid: tuple[int, int]
    key: bytes | None = field(default_factory=lambda: box(1, 2, 1, 2))
    flags: int = C.LP_NORMAL
    t_info: int | None = None
    lp_len: int | None = None

    def encode(self) -> bytes:
        block, offset = self.tid
        head = struct.pack("<HHH", block >> 16, block & 0xFFFF, offset)
        if self.key is None:
            body = bytes(4) + bytes(4)  # bitmap (attribute 1 null), padding to 16
            info = C.INDEX_NULL_MASK
        else:
            body = self.key
            info = 0
        size = 8 + len(body)
        info |= size if self.t_info is None else 0
        return head + struct.pack("<H", info if self.t_info is None else self.t_info) + body


def page(
    tuples: list[Tup],
    flags: int = C.F_LEAF,
    *,
    rightlink: int = INVALID,
    nsn: int = 0,
    special: int = SPECIAL,
) -> bytes:
    lps: list[bytes] = []
    body = b""
    upper = special
    for t in tuples:
        data = t.encode()
        upper -= C.maxalign(len(data))
        lps.append(
            bytes(
                ItemIdData.build(
                    {
                        "lp_off": upper,
                        "lp_flags": t.flags,
                        "lp_len": len(data) if t.lp_len is None else t.lp_len,
                    }
                )
            )
        )
        body = data.ljust(C.maxalign(len(data)), b"\x00") + body
    lower = 24 + 4 * len(lps)
    raw = header(lower, upper, special) + b"".join(lps)
    raw = raw.ljust(upper, b"\x00") + body
    raw = raw.ljust(special, b"\x00")
    return raw + opaque(flags, rightlink, nsn).ljust(BLCKSZ - special, b"\x00")


def deleted_page(xid: int | None, lower: int | None = None, prune_xid: int = 0) -> bytes:
    """13+: GISTDeletedPageContents after the header; ``xid`` None: 12 (pd_prune_xid)."""
    contents = b"" if xid is None else bytes(GISTDeletedPageContents.build({"deleteXid": xid}))
    if lower is None:
        lower = 24 + len(contents)
    raw = header(lower, SPECIAL, prune_xid=prune_xid) + contents
    return raw.ljust(SPECIAL, b"\x00") + opaque(C.F_LEAF | C.F_DELETED)


def decode(raw: bytes, blkno: int = 1, options: GistDecodeOptions | None = OPTIONS) -> GistPage:
    p = decode_page(raw, blkno, gist=options)
    assert isinstance(p, GistPage), p.kind
    cursor = 0
    for region in p.regions:
        assert region.span.start == cursor
        cursor = region.span.stop
    assert cursor == len(raw)
    return p


def codes(p: Page) -> list[str]:
    return [d.code for d in p.diagnostics]


# ----------------------------------------------------------------------------------------------
# pages


def test_a_leaf_page_typed_by_the_tuple_descriptor() -> None:
    p = decode(
        page(
            [Tup((0, 1), box(3.5, 3, 1, 0)), Tup((7, 2), None), Tup((70000, 3), flags=C.LP_DEAD)],
            C.F_LEAF | C.F_HAS_GARBAGE,
        )
    )
    assert p.kind is PageKind.GIST and p.diagnostics == ()
    assert p.page_type == "leaf" and p.typed and p.dead_items == 1 and p.live_items == 2
    first, null, dead = p.items
    assert first.heap_tid is not None and str(first.heap_tid) == "(0,1)"
    assert first.keys[0].text == "(3.5,3),(1,0)" and first.downlink is None
    assert null.keys[0].is_null and null.tuple is not None and null.tuple.att_isnull(1)
    assert null.tuple.data_offset == 16 and null.tuple.size == 16
    assert str(dead.heap_tid) == "(70000,3)" and dead.dead  # bi_hi carries the high half
    kinds = [r.kind for r in p.regions if r.item == 2]
    assert kinds == [
        RegionKind.LINE_POINTER,
        RegionKind.TUPLE_HEADER,
        RegionKind.NULL_BITMAP,
        RegionKind.HEADER_PADDING,
    ]
    assert [r.label for r in p.regions if r.item == 1 and r.kind is RegionKind.TUPLE_DATA] == ["b"]
    info = gist_page_opaque_info(p)
    assert info is not None and info.flags == ("leaf", "has_garbage")
    assert (info.lsn, info.nsn, info.rightlink) == ("0/100", "0/0", INVALID)
    rows = gist_page_items(p)
    assert rows is not None
    assert [r.keys for r in rows] == [
        '(b)=("(3.5,3),(1,0)")',
        "(b)=(null)",
        '(b)=("(1,2),(1,2)")',
    ]
    assert [r.dead for r in rows] == [False, False, True]
    raw = gist_page_items_bytea(p)
    assert raw is not None and raw[1].key_data == "\\x" + Tup((7, 2), None).encode().hex()
    assert raw[0].itemlen == 40 and raw[1].itemlen == 16


def test_untyped_keys_are_bytes_and_gist_page_items_does_not_apply() -> None:
    raw = page([Tup((0, 1))])
    p = decode(raw, options=None)
    assert not p.typed and p.items[0].keys == () and p.diagnostics == ()
    assert gist_page_items(p) is None
    assert gist_page_items_bytea(p) is not None
    (data,) = [r for r in p.regions if r.kind is RegionKind.TUPLE_DATA]
    assert data.label == "untyped keys" and data.span.length == 32


def test_an_internal_page_holds_downlinks() -> None:
    p = decode(page([Tup((2, C.TUPLE_IS_VALID)), Tup((5, C.TUPLE_IS_VALID))], 0), blkno=0)
    assert p.page_type == "internal" and p.is_root and p.downlinks == (2, 5)
    assert p.diagnostics == ()
    assert all(i.heap_tid is None for i in p.items)


def test_downlink_offsets_and_targets() -> None:
    invalid = decode(page([Tup((2, C.TUPLE_IS_INVALID))], 0))
    assert codes(invalid) == ["gist-invalid-tuple"]
    assert invalid.items[0].tuple is not None and invalid.items[0].tuple.is_invalid
    odd = decode(page([Tup((2, 7))], 0))
    assert codes(odd) == ["gist-downlink"]
    itself = decode(page([Tup((1, C.TUPLE_IS_VALID))], 0), blkno=1)
    assert codes(itself) == ["gist-downlink"]


def test_leaf_heap_tids_need_an_offset_number() -> None:
    for offset in (0, C.TUPLE_IS_VALID):
        assert codes(decode(page([Tup((3, offset))]))) == ["gist-heap-tid"]
    assert decode(page([Tup((3, 400))])).diagnostics[0].severity == "warning"


def test_a_deleted_page_of_13_and_later() -> None:
    xid = (1 << 32) | 758
    p = decode(deleted_page(xid))
    assert p.page_type == "deleted" and p.items == () and p.line_pointers == ()
    assert p.diagnostics == ()
    assert p.deleted is not None and p.deleted.full
    assert (p.deleted.deleteXid, p.deleted.epoch, p.deleted.xid) == (xid, 1, 758)
    (meta,) = p.regions_of(RegionKind.METADATA)
    assert (meta.span.start, meta.span.stop, meta.label) == (24, 32, "GISTDeletedPageContents")
    assert p.deleted.fields()[0].name == "deleteXid"
    assert gist_page_items(p) == () and gist_page_items_bytea(p) == ()
    info = gist_page_opaque_info(p)
    assert info is not None and info.flags == ("leaf", "deleted")


def test_a_deleted_page_of_12_keeps_the_xid_in_pd_prune_xid() -> None:
    p = decode(deleted_page(None, prune_xid=1234))
    assert p.diagnostics == () and p.deleted is not None
    assert (p.deleted.full, p.deleted.deleteXid, p.deleted.epoch) == (False, 1234, None)
    assert (p.deleted.span.start, p.deleted.span.stop) == (20, 24)
    assert p.regions_of(RegionKind.METADATA) == ()


def test_a_deleted_page_with_another_pd_lower() -> None:
    p = decode(deleted_page(None, lower=40))
    assert "gist-deleted-lower" in codes(p)
    assert p.bytes_in(RegionKind.UNKNOWN) == 16


def test_a_special_space_of_another_size() -> None:
    raw = bytearray(page([Tup((0, 1))]))
    raw[16:18] = struct.pack("<H", SPECIAL - 8)  # pd_special 8 bytes early
    p = decode(bytes(raw))
    assert "gist-special-size" in codes(p)
    assert p.opaque is not None and p.opaque.offset == BLCKSZ - 16
    assert gist_page_opaque_info(p) is None and gist_page_items_bytea(p) is None


def test_item_length_disagreeing_with_t_info() -> None:
    p = decode(page([Tup((0, 1), t_info=48)]))
    assert codes(p) == ["gist-itemlen"]
    short = decode(page([Tup((0, 1), lp_len=4)]))
    assert "gist-item-short" in codes(short)


def test_unknown_flag_bits_are_named_in_hex() -> None:
    assert gist_flag_names(C.F_LEAF | 0x40) == ("leaf", "40")
    assert gist_flag_names(0) == ()
    p = decode(page([Tup((0, 1))], C.F_LEAF | 0x40))
    assert codes(p) == ["gist-flags"]
    info = gist_page_opaque_info(p)
    assert info is not None and info.flags == ("leaf", "40")


def test_an_unused_line_pointer_makes_pageinspect_raise() -> None:
    raw = bytearray(page([Tup((0, 1)), Tup((0, 2))]))
    raw[28:32] = bytes(4)  # lp 2: LP_UNUSED, no storage
    p = decode(bytes(raw))
    assert "gist-lp-unused" in codes(p)
    assert gist_page_items_bytea(p) is None and gist_page_items(p) is None


# ----------------------------------------------------------------------------------------------
# the key description


def test_quote_identifier_follows_ruleutils() -> None:
    assert quote_identifier("b") == "b"
    assert quote_identifier("user") == '"user"'
    assert quote_identifier("Mixed") == '"Mixed"'
    assert quote_identifier("1a") == '"1a"'
    assert quote_identifier('a"b') == '"a""b"'


def _key(text: str | None, attnum: int = 1) -> GistKey:
    return GistKey(attnum, "k", "text", text is None, None, b"", text)


def test_key_values_are_quoted_like_record_out() -> None:
    cols = [GistColumn(1, "a", "text", -1, "i", None), GistColumn(2, "c", "text", -1, "i", None)]
    assert key_description(cols, [_key("empty"), _key(None, 2)], 2) == "(a, c)=(empty, null)"
    assert key_description(cols, [_key(""), _key('x "y"', 2)], 2) == '(a, c)=("", "x ""y""")'
    assert key_description(cols, [_key("a\\b"), _key("z", 2)], 1) == '(a, c)=("a\\\\b") INCLUDE (z)'
    assert key_description(cols, [_key("x")], 2) is None  # a column without its value


# ----------------------------------------------------------------------------------------------
# across pages


def _index(pages: list[bytes]) -> list[Page]:
    return [decode_page(raw, blkno, gist=OPTIONS) for blkno, raw in enumerate(pages)]


def test_pgstattuple_counts_leaves_after_the_root() -> None:
    root = page([Tup((1, C.TUPLE_IS_VALID)), Tup((2, C.TUPLE_IS_VALID))], 0)
    leaf = page([Tup((0, 1)), Tup((0, 2), flags=C.LP_DEAD)])
    pages = _index([root, leaf, deleted_page(5)])
    stats = pgstattuple(pages)
    assert stats is not None
    # the deleted leaf's 8 bytes of GISTDeletedPageContents read as two "line pointers"
    assert (stats.tuple_count, stats.dead_tuple_count) == (1 + 2, 1)
    assert (stats.tuple_len, stats.dead_tuple_len) == (40, 40)
    hole = (SPECIAL - 80) - 32
    assert stats.free_space == (hole - 4) + (SPECIAL - 32 - 4)
    assert stats.table_len == 3 * BLCKSZ
    assert stats.tuple_percent == round(100 * 40 / (3 * BLCKSZ), 2)
    exact = pgstattuple(pages, major=18)
    assert exact is not None and exact.free_space == hole + SPECIAL - 32
    assert pgstattuple([*pages, decode_page(bytes(BLCKSZ), 3)]) is None  # a zero page


def test_findings_of_a_broken_tree() -> None:
    root = page(
        [
            Tup((1, C.TUPLE_IS_VALID)),
            Tup((1, C.TUPLE_IS_VALID)),
            Tup((9, C.TUPLE_IS_VALID)),
            Tup((2, C.TUPLE_IS_VALID)),
        ],
        0,
    )
    pages = _index([root, page([Tup((0, 1))]), deleted_page(5), page([Tup((0, 2))], rightlink=40)])
    found = {(f.code, f.block) for f in gist_index_findings(pages)}
    assert ("gist-downlink-shared", 1) in found
    assert ("gist-downlink-range", 0) in found
    assert ("gist-downlink-deleted", 0) in found
    assert ("gist-unreachable", 3) in found
    assert ("gist-rightlink", 3) in found
    stats = gist_index_statistics(pages)
    assert stats.unreachable == (3,) and stats.deleted_pages == 1
    assert stats.pages_per_level == (1, 2)


def test_findings_of_mixed_levels() -> None:
    root = page([Tup((1, C.TUPLE_IS_VALID)), Tup((2, C.TUPLE_IS_VALID))], 0)
    inner = page([Tup((3, C.TUPLE_IS_VALID))], 0)
    pages = _index([root, inner, page([Tup((0, 1))]), page([Tup((0, 2))], nsn=1 << 40)])
    found = {(f.code, f.block) for f in gist_index_findings(pages)}
    assert ("gist-level", 0) in found
    assert ("gist-leaf-depth", None) in found
    assert ("gist-nsn", 3) in found


@pytest.mark.parametrize("flags", [C.F_FOLLOW_RIGHT | C.F_LEAF])
def test_an_incomplete_split_is_reported(flags: int) -> None:
    root = page([Tup((1, C.TUPLE_IS_VALID))], 0)
    pages = _index([root, page([Tup((0, 1))], flags, rightlink=2), page([Tup((0, 2))])])
    found = {(f.code, f.block) for f in gist_index_findings(pages)}
    assert ("gist-follow-right", 1) in found and ("gist-unreachable", 2) in found


def test_heap_tids_twice_or_past_the_table() -> None:
    root = page([Tup((1, C.TUPLE_IS_VALID)), Tup((2, C.TUPLE_IS_VALID))], 0)
    pages = _index([root, page([Tup((0, 1)), Tup((9, 1))]), page([Tup((0, 1))])])
    found = {(f.code, f.block) for f in gist_index_findings(pages, heap_blocks=5)}
    assert found == {("gist-heap-tid-twice", 2), ("gist-heap-tid-range", 1)}
    assert {f.code for f in gist_index_findings(pages)} == {"gist-heap-tid-twice"}


def _varlena(payload: bytes) -> bytes:
    """A datum with a 4-byte varlena header (VARSIZE << 2)."""
    return struct.pack("<I", (len(payload) + 4) << 2) + payload


def test_keys_of_types_without_an_output_function_are_bytes() -> None:
    col = GistColumn(1, "t", "ltree_gist", -1, "i", TypeInfo("ltree_gist", -1, "i", False))
    datum = _varlena(b"\x01\x00\x00\x00abcd")
    p = decode(page([Tup((0, 1), datum)]), options=GistDecodeOptions((col,)))
    (key,) = p.items[0].keys
    assert key.text is None and key.raw == datum and key.display() == "\\x" + datum.hex()
    assert key.problem is not None and "shown as bytes" in key.problem
    assert p.diagnostics == () and gist_page_items(p) is None


def test_gtsvector_keys_count_words_or_bits() -> None:
    """gtsvectorout: ARRKEY counts word hashes, SIGNKEY counts bits, ALLISTRUE has none."""
    col = GistColumn(1, "tsv", "gtsvector", -1, "i", TypeInfo("gtsvector", -1, "i", False))
    options = GistDecodeOptions((col,))
    words = _varlena(struct.pack("<i3i", 0x01, 7, 8, 9))
    sign = _varlena(struct.pack("<i", 0x02) + b"\xff\x01" + bytes(6))
    alltrue = _varlena(struct.pack("<i", 0x02 | 0x04))
    p = decode(page([Tup((0, 1), words), Tup((0, 2), sign), Tup((0, 3), alltrue)]), options=options)
    assert [i.keys[0].text for i in p.items] == [
        "3 unique words",
        "9 true bits, 55 false bits",
        "0 true bits, 0 false bits",
    ]
    rows = gist_page_items(p)
    assert rows is not None and rows[0].keys == '(tsv)=("3 unique words")'


def test_include_columns_are_stored_on_leaves_only() -> None:
    """Leaf tuples carry the INCLUDE attributes, internal tuples only the keys (gistFormTuple
    with the non-leaf tuple descriptor); gist_page_items prints them after ') INCLUDE ('."""
    ident = GistColumn(2, "id", "int4", 4, "i", TypeInfo("int4", 4, "i", True), key=False)
    options = GistDecodeOptions((BOX, ident))
    leaf = decode(page([Tup((0, 1), box(1, 2, 1, 2) + struct.pack("<i", 5))]), options=options)
    assert leaf.diagnostics == () and [k.text for k in leaf.items[0].keys] == ["(1,2),(1,2)", "5"]
    rows = gist_page_items(leaf)
    assert rows is not None and rows[0].keys == '(b, id)=("(1,2),(1,2)") INCLUDE (5)'
    inner = decode(page([Tup((2, C.TUPLE_IS_VALID))], 0), options=options)
    assert inner.diagnostics == () and [k.name for k in inner.items[0].keys] == ["b"]
    rows = gist_page_items(inner)
    assert rows is not None and rows[0].keys == '(b)=("(1,2),(1,2)")'
