"""Semantics of BRIN pages on synthetic pages built with the layouts' own ``build()``: the null
bitmap's two bits per column, placeholder and empty-range tuples, unused line pointers, the
evacuate flag, alignment of the stored values (1-byte and 4-byte varlena headers), an unknown
opclass, and what each diagnostic means. Expected meanings come from the C sources
(brin_page.h, brin_tuple.h, brin_tuple.c, brinfuncs.c), not from our decoder."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.catalog.attributes import Attribute
from pageinspect_py.catalog.index import IndexColumn, IndexDescription
from pageinspect_py.decode.brin import (
    BrinDecodeOptions,
    BrinMeta,
    BrinMetaPage,
    BrinPage,
    BrinRegularPage,
    BrinRevmapPage,
    OpclassFamily,
    brin_contents,
    brin_metapage_info,
    brin_page_items,
    brin_page_items_rows,
    brin_page_type,
    brin_revmap_data,
    opclass_family,
    parse_meta,
)
from pageinspect_py.decode.common import RegionKind, Span
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import DiagnosticLog, Page, parse_header
from pageinspect_py.layouts.brin import (
    BrinMetaPageData,
    BrinSpecialSpace,
    BrinTupleData,
    revmap_page_maxitems,
)
from pageinspect_py.layouts.page import ItemIdData, PageHeaderData
from pageinspect_py.render.brin import brin_page_json, brin_page_rows

BLCKSZ = 8192
SPECIAL = BLCKSZ - 8


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


def special(page_type: int, flags: int = 0) -> bytes:
    return bytes(BrinSpecialSpace.build({"vector": [0, 0, flags, page_type]}))


def meta_page(ppr: int = 4, last: int = 1, magic: int = C.BRIN_META_MAGIC) -> bytes:
    page = bytearray(BLCKSZ)
    page[:24] = header(40, SPECIAL)
    page[24:40] = BrinMetaPageData.build(
        {"brinMagic": magic, "brinVersion": 1, "pagesPerRange": ppr, "lastRevmapPage": last}
    )
    page[SPECIAL:] = special(C.BRIN_PAGETYPE_META)
    return bytes(page)


def revmap_page(tids: dict[int, tuple[int, int]]) -> bytes:
    page = bytearray(BLCKSZ)
    page[:24] = header(24, SPECIAL)
    for slot, (block, offset) in tids.items():
        struct.pack_into("<HHH", page, 24 + 6 * slot, block >> 16, block & 0xFFFF, offset)
    page[SPECIAL:] = special(C.BRIN_PAGETYPE_REVMAP)
    return bytes(page)


def attribute(attnum: int, name: str, typname: str) -> Attribute:
    shapes = {
        "int8": (20, 8, "d", True),
        "text": (25, -1, "i", False),
        "inet": (869, -1, "i", False),
        "box": (603, 32, "d", False),
        "timestamp": (1114, 8, "d", True),
    }
    oid, length, align, byval = shapes[typname]
    return Attribute(attnum, name, oid, typname, length, align, byval)  # type: ignore[arg-type]


def index(*columns: tuple[str, str, str | None]) -> IndexDescription:
    return IndexDescription(
        "idx",
        tuple(
            IndexColumn(attribute(i + 1, name, typname), opclass=opclass)
            for i, (name, typname, opclass) in enumerate(columns)
        ),
    )


MINMAX3 = index(
    ("id", "int8", "int8_minmax_ops"),
    ("t", "text", "text_minmax_ops"),
    ("ts", "timestamp", "timestamp_minmax_ops"),
)


def short_text(s: str) -> bytes:
    raw = s.encode()
    return bytes([(len(raw) + 1) << 1 | 1]) + raw


def long_text(s: str) -> bytes:
    raw = s.encode()
    return struct.pack("<I", (len(raw) + 4) << 2) + raw


@dataclass
class Tup:
    """A BRIN tuple: header, null bitmap (when ``bitmap`` is given), data at MAXALIGN."""

    blkno: int
    data: bytes = b""
    bitmap: bytes | None = None
    flags: int = 0  # BRIN_PLACEHOLDER_MASK, BRIN_EMPTY_RANGE_MASK
    hoff: int | None = None

    def encode(self) -> bytes:
        head = 5 + (len(self.bitmap) if self.bitmap is not None else 0)
        hoff = C.maxalign(head) if self.hoff is None else self.hoff
        info = hoff | self.flags | (C.BRIN_NULLS_MASK if self.bitmap is not None else 0)
        out = bytearray(BrinTupleData.build({"bt_blkno": self.blkno, "bt_info": info}))
        out += self.bitmap or b""
        out += bytes(max(0, hoff - len(out)))
        out += self.data
        return bytes(out) + bytes(C.maxalign(len(out)) - len(out))


@dataclass
class Regular:
    tuples: list[Tup | None] = field(default_factory=list)  # None: an LP_UNUSED pointer
    flags: int = 0

    def build(self) -> bytes:
        page = bytearray(BLCKSZ)
        upper = SPECIAL
        lps = []
        for t in self.tuples:
            if t is None:
                lps.append({"lp_off": 0, "lp_flags": C.LP_UNUSED, "lp_len": 0})
                continue
            body = t.encode()
            upper -= len(body)
            page[upper : upper + len(body)] = body
            lps.append({"lp_off": upper, "lp_flags": C.LP_NORMAL, "lp_len": len(body)})
        lower = 24 + 4 * len(lps)
        page[:24] = header(lower, upper)
        for i, lp in enumerate(lps):
            page[24 + 4 * i : 28 + 4 * i] = ItemIdData.build(lp)
        page[SPECIAL:] = special(C.BRIN_PAGETYPE_REGULAR, self.flags)
        return bytes(page)


def decode(data: bytes, blkno: int = 2, **options: object) -> Page:
    page = decode_page(data, blkno, brin=BrinDecodeOptions(**options))  # type: ignore[arg-type]
    cursor = 0
    for region in page.regions:
        assert region.span.start == cursor
        cursor = region.span.stop
    assert cursor == len(data)
    return page


def codes(page: Page) -> list[str]:
    return [d.code for d in page.diagnostics]


META = BrinMeta(C.BRIN_META_MAGIC, 1, 4, 1, Span(24, 40))
I8 = struct.Struct("<q")


# ----------------------------------------------------------------------------------------------


def test_opclass_families() -> None:
    assert opclass_family("int8_minmax_ops") is OpclassFamily.MINMAX
    assert opclass_family("int8_minmax_multi_ops") is OpclassFamily.MINMAX_MULTI
    assert opclass_family("inet_inclusion_ops") is OpclassFamily.INCLUSION
    assert opclass_family("text_bloom_ops") is OpclassFamily.BLOOM
    assert opclass_family("my_ext_ops") is OpclassFamily.UNKNOWN
    assert opclass_family(None) is OpclassFamily.UNKNOWN


def test_metapage() -> None:
    page = decode(meta_page(ppr=128, last=3), 0)
    assert isinstance(page, BrinMetaPage) and page.meta is not None
    assert page.diagnostics == ()
    assert list(page.meta.revmap_blocks) == [1, 2, 3]
    info = brin_metapage_info(page)
    assert info is not None and info.magic == "0xA8109CFA" and info.pagesperrange == 128
    assert brin_revmap_data(page) is None and brin_page_items(page) is None
    # pageinspect prints whatever magic is there; we say it is wrong
    bad = decode(meta_page(magic=0x12345678), 0)
    assert "brin-meta-magic" in codes(bad)
    info = brin_metapage_info(bad)
    assert info is not None and info.magic == "0x12345678"
    assert "brin-meta-block" in codes(decode(meta_page(), 5))


def test_revmap_slots_and_their_ranges() -> None:
    maxitems = revmap_page_maxitems()
    meta = BrinMeta(C.BRIN_META_MAGIC, 1, 4, 2, Span(24, 40))
    page = decode(revmap_page({0: (3, 1), 5: (3, 2)}), 2, meta=meta)
    assert isinstance(page, BrinRevmapPage)
    assert page.diagnostics == ()
    assert page.revmap_index == 1
    tids = brin_revmap_data(page)
    assert tids is not None and len(tids) == maxitems == 1360
    assert tids[0] == "(3,1)" and tids[5] == "(3,2)" and tids[1] == "(0,0)"
    first, second = page.summarized()
    # range = (revmap page index * REVMAP_PAGE_MAXITEMS + slot) * pagesPerRange
    assert first.range_index == maxitems and first.first_block == maxitems * 4
    assert second.first_block == (maxitems + 5) * 4
    # the runs of (0,0) are regions of their own; the TIDs cover everything but the frame
    labels = [r.label for r in page.regions if r.kind is RegionKind.METADATA]
    assert labels[:3] == [
        "rm_tids[0] (3,1)",
        "rm_tids[1..4] (0,0): not summarized",
        "rm_tids[5] (3,2)",
    ]
    assert page.bytes_in(RegionKind.METADATA) == 6 * maxitems


def test_revmap_tid_problems() -> None:
    page = decode(revmap_page({0: (3, 0), 1: (1, 1)}), 1, meta=META)
    assert codes(page).count("brin-revmap-tid") == 2
    assert "brin-revmap-block" in codes(decode(revmap_page({}), 0))
    assert "brin-revmap-block" in codes(decode(revmap_page({}), 4, meta=META))


def test_minmax_values_and_text() -> None:
    data = I8.pack(1) + I8.pack(157) + short_text("a") + short_text("b")
    data += bytes(C.maxalign(len(data)) - len(data)) + I8.pack(10) + I8.pack(20)
    page = decode(Regular([Tup(0, data)]).build(), index=MINMAX3)
    assert isinstance(page, BrinRegularPage) and page.diagnostics == ()
    items = brin_page_items(page)
    assert items is not None
    assert [r.value for r in items] == [
        "{1 .. 157}",
        "{a .. b}",
        "{2000-01-01 00:00:00.00001 .. 2000-01-01 00:00:00.00002}",
    ]
    t = page.items[0].tuple
    assert t is not None and t.columns is not None
    # the 1-byte varlenas are unaligned; the timestamp after them aligns to 8
    pads = [r for r in page.regions if r.kind is RegionKind.ALIGNMENT_PADDING and r.item == 1]
    assert [r.span.length for r in pads] == [4]
    assert [v.name for c in t.columns for v in c.values] == ["min", "max"] * 3


def test_null_bitmap_two_bits_per_column() -> None:
    """Column 2 (text) has nulls, column 3 is all-NULL: allnulls bits 0..2 then hasnulls
    bits 3..5; the all-NULL column stores nothing, and pageinspect shows its hasnulls false
    (brin_deform_tuple leaves it as initialised) even when the bit is set."""
    bitmap = bytes([0b0010_0100 | 0b0001_0000])  # allnulls[2], hasnulls[1], hasnulls[2]
    data = I8.pack(5) + I8.pack(6) + long_text("x") + long_text("y")
    page = decode(Regular([Tup(0, data, bitmap)]).build(), index=MINMAX3)
    assert page.diagnostics == ()
    items = brin_page_items(page)
    assert items is not None
    assert [(r.allnulls, r.hasnulls, r.value) for r in items] == [
        (False, False, "{5 .. 6}"),
        (False, True, "{x .. y}"),
        (True, False, None),
    ]
    assert isinstance(page, BrinRegularPage)
    t = page.items[0].tuple
    assert t is not None and t.columns is not None and t.columns[2].hasnulls  # the raw bit
    assert t.bitmap_span == Span(t.offset + 5, t.offset + 6)
    kinds = [r.kind for r in page.regions if r.item == 1 and r.kind is not RegionKind.LINE_POINTER]
    assert kinds[:3] == [
        RegionKind.TUPLE_HEADER,
        RegionKind.NULL_BITMAP,
        RegionKind.HEADER_PADDING,
    ]


def test_placeholder_empty_range_and_unused() -> None:
    allnull = bytes([0b0000_0111])
    page_bytes = Regular(
        [
            Tup(0, bitmap=allnull, flags=C.BRIN_PLACEHOLDER_MASK),
            None,
            Tup(4, bitmap=allnull, flags=C.BRIN_EMPTY_RANGE_MASK),
        ]
    ).build()
    page = decode(page_bytes, index=MINMAX3, major=16, meta=META)
    assert page.diagnostics == ()
    rows = brin_page_items_rows(page)
    assert rows is not None and len(rows) == 3 + 1 + 3
    assert rows[0] == {
        "itemoffset": 1,
        "blknum": 0,
        "attnum": 1,
        "allnulls": True,
        "hasnulls": False,
        "placeholder": True,
        "empty": False,
        "value": None,
    }
    assert rows[3] == dict.fromkeys(rows[0], None) | {"itemoffset": 2}
    assert rows[4]["empty"] is True and rows[4]["blknum"] == 4
    # before 16: no "empty" column, but the bit is the backpatched fix's (12.15 on), no
    # problem (brin_empty's fixtures of 12-15 carry it)
    old = decode(page_bytes, index=MINMAX3, major=15)
    old_rows = brin_page_items_rows(old)
    assert old_rows is not None and "empty" not in old_rows[0]
    assert codes(old) == []


def test_evacuate_flag() -> None:
    page = decode(Regular([], flags=C.BRIN_EVACUATE_PAGE).build(), index=MINMAX3)
    assert isinstance(page, BrinRegularPage) and page.special is not None
    assert page.special.evacuate and page.special.flag_names == ("BRIN_EVACUATE_PAGE",)
    out = brin_page_json(page)
    assert out is not None and out["brin"]["special"]["evacuate"] is True
    # an empty regular page: the server reads line pointer 1 anyway (zero: unused)
    rows = brin_page_items_rows(page)
    assert rows is not None and len(rows) == 1 and rows[0]["itemoffset"] == 1
    assert rows[0]["blknum"] is None
    assert any("BRIN_EVACUATE_PAGE" in text for _, text, _ in brin_page_rows(page))
    assert "brin-flags" in codes(decode(meta_page()[:SPECIAL] + special(0xF091, 1), 0))


def test_inclusion_values() -> None:
    box = struct.pack("<4d", 43, 10, 0, 0)
    # a 1-byte header (7 bytes in all), PGSQL_AF_INET, /15, 10.0.0.0
    inet = bytes([7 << 1 | 1, 2, 15, 10, 0, 0, 0])
    idx = index(
        ("b", "box", "box_inclusion_ops"),
        ("addr", "inet", "inet_inclusion_ops"),
    )
    # box 32 bytes at 0, bools at 32 and 33, inet (unaligned) at 34, bools at 41, 42
    data = box + b"\x00\x00" + inet + b"\x01\x00"
    page = decode(Regular([Tup(0, data)]).build(), index=idx)
    assert page.diagnostics == (), page.diagnostics
    items = brin_page_items(page)
    assert items is not None
    assert [r.value for r in items] == ["{(43,10),(0,0) .. f .. f}", "{10.0.0.0/15 .. t .. f}"]


def test_unknown_opclass_leaves_the_rest_untyped() -> None:
    idx = index(("id", "int8", "int8_minmax_ops"), ("x", "int8", "my_ops"), ("y", "int8", None))
    data = I8.pack(1) + I8.pack(2) + I8.pack(3) + I8.pack(4)
    page = decode(Regular([Tup(0, data)]).build(), index=idx)
    assert codes(page) == ["brin-opclass"]
    items = brin_page_items(page)
    assert items is not None
    assert [r.value for r in items] == ["{1 .. 2}", None, None]
    labels = [r.label for r in page.regions if r.item == 1 and r.kind is RegionKind.TUPLE_DATA]
    assert labels == ["attnum 1 min", "attnum 1 max", "untyped values from attnum 2"]


def test_tuple_problems() -> None:
    data = I8.pack(1) + I8.pack(2) + short_text("a") + short_text("b") + I8.pack(1) + I8.pack(2)
    # bt_blkno 3 is no range start with pagesPerRange 4; hoff 16 where brin_form_tuple puts 8
    page = decode(Regular([Tup(3, data, hoff=16)]).build(), index=MINMAX3, meta=META)
    assert "brin-tuple-blkno" in codes(page) and "brin-tuple-hoff" in codes(page)
    # values cut short: the tuple ends inside the third column
    page = decode(Regular([Tup(0, data[:-12])]).build(), index=MINMAX3)
    assert "brin-tuple-values" in codes(page)
    items = brin_page_items(page)
    assert items is not None and items[2].value is None and items[0].value == "{1 .. 2}"


def test_without_the_index() -> None:
    data = I8.pack(1) + I8.pack(2)
    page = decode(Regular([Tup(0, data)]).build())
    assert isinstance(page, BrinRegularPage) and not page.typed
    assert page.diagnostics == ()
    assert brin_page_items(page) is None
    assert brin_page_type(page) == "regular"
    t = page.items[0].tuple
    assert t is not None and t.columns is None and t.bt_blkno == 0
    labels = [r.label for r in page.regions if r.kind is RegionKind.TUPLE_DATA]
    assert labels == ["values (untyped: the index's columns are not known)"]


def test_unknown_page_type() -> None:
    data = bytearray(meta_page())
    data[SPECIAL:] = special(0x1234)
    # only a BRIN page type makes a page BRIN: this one is not decoded as one
    assert brin_page_type(decode_page(bytes(data), 3)) is None
    # called on it anyway (an index known to be BRIN), the decoder says what it is
    log = DiagnosticLog()
    cls, lps, claims, extra = brin_contents(bytes(data), parse_header(bytes(data)), 3, log)
    assert cls is BrinPage and lps == () and extra["special"].type_name == "unknown (1234)"
    assert [d.code for d in log.items] == ["brin-page-type"]
    assert sum(r.span.length for r in claims) == BLCKSZ


def test_parse_meta_of_a_short_page() -> None:
    assert parse_meta(bytes(30)) is None
