"""User-defined types print as PostgreSQL prints them: enum_out, record_out, range_out,
multirange_out, and arrays of them, through the type catalog a TypeInfo carries.

Synthetic datums are built here the way the server serializes them (heap_form_tuple for a
composite, range_serialize, write_multirange_data); the fixture test decodes ``sales.typed`` of
every data-directory fixture and compares with the server's own COPY output.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from functools import cache
from pathlib import Path

import psycopg
import pytest
from datadir_support import MAJORS, golden
from psycopg.rows import TupleRow

from pageinspect_py.app.datadir import Cluster, find_relation, open_cluster
from pageinspect_py.catalog.attributes import (
    Attribute,
    RelationDescription,
    TypAlign,
    TypeCatalog,
    TypeEntry,
)
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.output import TypeInfo, datum_text, has_output, payload_text
from pageinspect_py.decode.output.usertypes import (
    RANGE_EMPTY,
    RANGE_LB_INC,
    RANGE_LB_INF,
    RANGE_UB_INC,
    RANGE_UB_INF,
    range_deparse,
)
from pageinspect_py.decode.tuple import decode_tuple_values
from pageinspect_py.errors import DatumError

# ----------------------------------------------------------------------------------------------
# a small catalog: built-in types, an enum, a composite, ranges, a multirange, domains, arrays

INT4 = TypeEntry(23, "int4", "b", 4, "i", True)
TEXT = TypeEntry(25, "text", "b", -1, "i", False)
FLOAT8 = TypeEntry(701, "float8", "b", 8, "d", True)
INT8 = TypeEntry(20, "int8", "b", 8, "d", True)
MOOD = TypeEntry(9001, "mood", "e", 4, "i", True, labels={9101: "sad", 9103: "meh", 9102: "happy"})
MOOD_ARRAY = TypeEntry(9002, "_mood", "b", -1, "i", False, typelem=9001)
POSINT = TypeEntry(9003, "posint", "d", 4, "i", True, typbasetype=23)
MOOD_DOMAIN = TypeEntry(9004, "mood_d", "d", 4, "i", True, typbasetype=9001)


def _att(attnum: int, name: str, t: TypeEntry, dropped: bool = False) -> Attribute:
    return Attribute(
        attnum, name, t.oid, t.typname, t.typlen, t.typalign, t.typbyval, attisdropped=dropped
    )


PAIR = TypeEntry(
    9010,
    "pair",
    "c",
    -1,
    "d",
    False,
    typrelid=9011,
    attributes=(_att(1, "a", INT4), _att(2, "gone", INT8, dropped=True), _att(3, "b", TEXT)),
)
PAIR_ARRAY = TypeEntry(9012, "_pair", "b", -1, "d", False, typelem=9010)
NEST = TypeEntry(
    9013,
    "nest",
    "c",
    -1,
    "d",
    False,
    typrelid=9014,
    attributes=(_att(1, "p", PAIR), _att(2, "m", MOOD)),
)
FLOATRANGE = TypeEntry(9020, "floatrange", "r", -1, "d", False, rngsubtype=701)
FLOATRANGE_ARRAY = TypeEntry(9021, "_floatrange", "b", -1, "d", False, typelem=9020)
TEXTRANGE = TypeEntry(9022, "textrange", "r", -1, "i", False, rngsubtype=25)
INT4RANGE = TypeEntry(3904, "int4range", "r", -1, "i", False, rngsubtype=23)
INT4MULTIRANGE = TypeEntry(4451, "int4multirange", "m", -1, "i", False, rngtypid=3904)
TEXTMULTIRANGE = TypeEntry(9023, "textmultirange", "m", -1, "i", False, rngtypid=9022)
FLOATMULTIRANGE = TypeEntry(9024, "floatmultirange", "m", -1, "d", False, rngtypid=9020)

CATALOG = TypeCatalog(
    {
        t.oid: t
        for t in (
            INT4,
            TEXT,
            FLOAT8,
            INT8,
            MOOD,
            MOOD_ARRAY,
            POSINT,
            MOOD_DOMAIN,
            PAIR,
            PAIR_ARRAY,
            NEST,
            FLOATRANGE,
            FLOATRANGE_ARRAY,
            TEXTRANGE,
            INT4RANGE,
            INT4MULTIRANGE,
            TEXTMULTIRANGE,
            FLOATMULTIRANGE,
        )
    }
)


def info(t: TypeEntry, catalog: TypeCatalog | None = CATALOG) -> TypeInfo:
    return (
        TypeInfo.of_type(t.oid, catalog)
        if catalog is not None
        else TypeInfo(t.typname, t.typlen, t.typalign, t.typbyval, typoid=t.oid)
    )


# ----------------------------------------------------------------------------------------------
# datums, serialized as the server does (4-byte varlena header; offsets from its start)

ALIGN = {"c": 1, "s": 2, "i": 4, "d": 8}


def _pad(buf: bytearray, align: TypAlign) -> None:
    while len(buf) % ALIGN[align]:
        buf.append(0)


def varlena(payload: bytes) -> bytes:
    return struct.pack("<I", (len(payload) + 4) << 2) + payload


def short(payload: bytes) -> bytes:
    return bytes([((len(payload) + 1) << 1) | 1]) + payload


def text_datum(s: str) -> bytes:
    return short(s.encode())


def _put(buf: bytearray, t: TypeEntry, value: bytes) -> None:
    """datum_write: align (a short varlena is not aligned), then the bytes."""
    if not (t.typlen == -1 and value[0] & 1):
        _pad(buf, t.typalign)
    buf += value


def composite(t: TypeEntry, values: list[bytes | None], natts: int | None = None) -> bytes:
    """heap_form_tuple as a datum: DatumTupleFields header, null bitmap, aligned data."""
    natts = len(values) if natts is None else natts
    hasnull = any(v is None for v in values[:natts])
    hoff = 23 + ((natts + 7) // 8 if hasnull else 0)
    hoff = (hoff + 7) & ~7
    data = bytearray()
    bits = 0
    for i, (att, value) in enumerate(zip(t.attributes, values[:natts], strict=False)):
        if value is None:
            continue
        bits |= 1 << i
        entry = CATALOG.resolve(att.atttypid)
        assert entry is not None
        _put(data, entry, value)
    header = bytearray(hoff)
    struct.pack_into("<iiI", header, 0, 0, -1, t.oid)
    struct.pack_into("<HHHHH", header, 12, 0xFFFF, 0xFFFF, 0, natts, 0x0001 if hasnull else 0)
    header[22] = hoff
    if hasnull:
        header[23 : 23 + (natts + 7) // 8] = bits.to_bytes((natts + 7) // 8, "little")
    whole = bytes(header) + bytes(data)
    struct.pack_into("<I", header, 0, len(whole) << 2)
    return bytes(header) + bytes(data)


def range_datum(t: TypeEntry, flags: int, lower: bytes | None, upper: bytes | None) -> bytes:
    """range_serialize: header, rangetypid, the bounds present, the flags byte."""
    sub = CATALOG.resolve(t.rngsubtype)
    assert sub is not None
    buf = bytearray(struct.pack("<II", 0, t.oid))
    for bound in (lower, upper):
        if bound is not None:
            _put(buf, sub, bound)
    buf.append(flags)
    struct.pack_into("<I", buf, 0, len(buf) << 2)
    return bytes(buf)


def multirange_datum(t: TypeEntry, ranges: list[bytes]) -> bytes:
    """write_multirange_data: items (lengths, an offset every 4th), flags, aligned bounds."""
    rng = CATALOG.resolve(t.rngtypid)
    assert rng is not None
    sub = CATALOG.resolve(rng.rngsubtype)
    assert sub is not None
    n = len(ranges)
    head = bytearray(struct.pack("<III", 0, t.oid, n))
    head += bytes(4 * max(n - 1, 0))
    flags_at = len(head)
    head += bytes(n)
    _pad(head, sub.typalign)
    begin = len(head)
    body = bytearray()
    prev = 0
    for i, r in enumerate(ranges):
        if i > 0:
            item = len(body)
            if i % 4:
                item -= prev
            else:
                item |= 0x80000000
            struct.pack_into("<I", head, 12 + 4 * (i - 1), item)
            prev = len(body)
        head[flags_at + i] = r[-1]
        chunk = r[8:-1]
        body += chunk
        _pad(body, sub.typalign)
    whole = head + body
    assert begin == flags_at + n + (-(flags_at + n) % ALIGN[sub.typalign])
    struct.pack_into("<I", whole, 0, len(whole) << 2)
    return bytes(whole)


def array_datum(elem: TypeEntry, items: list[bytes | None], lbound: int = 1) -> bytes:
    """construct_md_array of one dimension."""
    n = len(items)
    hasnull = any(v is None for v in items)
    head = 16 + 8 + ((n + 7) // 8 if hasnull else 0)
    dataoffset = (head + 7) & ~7 if hasnull else 0
    data = bytearray()
    bits = 0
    for i, v in enumerate(items):
        if v is None:
            continue
        bits |= 1 << i
        _pad(data, elem.typalign)
        data += v
    out = bytearray(struct.pack("<IiiIii", 0, 1, dataoffset, elem.oid, n, lbound))
    if hasnull:
        out += bits.to_bytes((n + 7) // 8, "little")
    while len(out) % 8:
        out.append(0)
    out += data
    struct.pack_into("<I", out, 0, len(out) << 2)
    return bytes(out)


def i4(v: int) -> bytes:
    return struct.pack("<i", v)


def i8(v: int) -> bytes:
    return struct.pack("<q", v)


def f8(v: float) -> bytes:
    return struct.pack("<d", v)


def text(t: TypeEntry, stored: bytes, catalog: TypeCatalog | None = CATALOG) -> str:
    return datum_text(info(t, catalog), stored)


# ----------------------------------------------------------------------------------------------
# enums


def test_enum_labels_by_pg_enum_oid_not_by_order() -> None:
    assert text(MOOD, i4(9101)) == "sad"
    assert text(MOOD, i4(9103)) == "meh"  # the label of the value's OID, whatever its sort order
    assert text(MOOD_DOMAIN, i4(9102)) == "happy"  # a domain over the enum
    with pytest.raises(DatumError, match="invalid internal value for enum: 7"):
        text(MOOD, i4(7))


def test_without_a_catalog_user_types_have_no_output() -> None:
    for t in (MOOD, PAIR, FLOATRANGE, INT4MULTIRANGE):
        assert not has_output(info(t, None)), t.typname
    # a catalog that does not know the type: the datum's bytes are shown instead
    assert not has_output(info(MOOD, None))
    assert has_output(info(MOOD))


def test_arrays_of_enums_and_domains() -> None:
    mood_array = TypeInfo.of_type(MOOD_ARRAY.oid, CATALOG)
    stored = array_datum(MOOD, [i4(9101), None, i4(9102)])
    assert datum_text(mood_array, stored) == "{sad,NULL,happy}"
    posint_array = TypeInfo("_posint", -1, "i", False, TypeInfo.of_type(POSINT.oid, CATALOG))
    assert datum_text(posint_array, array_datum(INT4, [i4(1), i4(2)], lbound=0)) == "[0:1]={1,2}"


# ----------------------------------------------------------------------------------------------
# composites


def test_record_out_quotes_as_the_server_does() -> None:
    cases: list[tuple[list[bytes | None], str]] = [
        ([i4(1), i8(0), text_datum('b"x,')], '(1,"b""x,")'),
        ([None, i8(0), text_datum("")], '(,"")'),
        ([i4(-5), None, None], "(-5,)"),
        ([i4(2), i8(0), text_datum("a b")], '(2,"a b")'),
        ([i4(2), i8(0), text_datum("back\\slash")], '(2,"back\\\\slash")'),
        ([i4(2), i8(0), text_datum("(x)")], '(2,"(x)")'),
        ([i4(2), i8(0), text_datum("plain{}")], "(2,plain{})"),
        ([i4(2), i8(0), text_datum("tab\there")], '(2,"tab\there")'),
    ]
    for values, expected in cases:
        assert text(PAIR, composite(PAIR, values)) == expected, expected


def test_record_out_short_datum_and_fewer_natts() -> None:
    stored = composite(PAIR, [i4(3), i8(0), text_datum("z")])
    # on disk a small composite has a 1-byte header: the payload is the same
    payload = stored[4:]
    assert payload_text(info(PAIR), payload) == "(3,z)"
    # attributes past the datum's natts are NULL (ALTER TYPE ... ADD ATTRIBUTE)
    assert text(PAIR, composite(PAIR, [i4(4)], natts=1)) == "(4,)"


def test_nested_composites_and_arrays_of_composites() -> None:
    inner = composite(PAIR, [i4(1), i8(0), text_datum("a")])
    nested = composite(NEST, [inner, i4(9103)])
    assert text(NEST, nested) == '("(1,a)",meh)'
    pair_array = TypeInfo.of_type(PAIR_ARRAY.oid, CATALOG)
    second = composite(PAIR, [i4(2), i8(0), None])
    assert datum_text(pair_array, array_datum(PAIR, [inner, second])) == '{"(1,a)","(2,)"}'


def test_damaged_composites_raise_datum_error() -> None:
    good = composite(PAIR, [i4(1), i8(0), text_datum("abc")])
    for bad in (good[:10], good[:-3], good[:22] + bytes([4]) + good[23:]):
        with pytest.raises(DatumError):
            text(PAIR, struct.pack("<I", len(bad) << 2) + bad[4:])


# ----------------------------------------------------------------------------------------------
# ranges


def test_range_out_bounds_flags_and_empty() -> None:
    r = FLOATRANGE
    assert text(r, range_datum(r, RANGE_LB_INC, f8(1.5), f8(2.5))) == "[1.5,2.5)"
    assert text(r, range_datum(r, RANGE_EMPTY, None, None)) == "empty"
    assert text(r, range_datum(r, RANGE_LB_INF | RANGE_UB_INF, None, None)) == "(,)"
    assert text(r, range_datum(r, RANGE_LB_INF, None, f8(6.0))) == "(,6)"
    assert text(r, range_datum(r, RANGE_UB_INF | RANGE_LB_INC, f8(-0.1), None)) == "[-0.1,)"
    both = RANGE_LB_INC | RANGE_UB_INC
    assert text(r, range_datum(r, both, f8(1e300), f8(float("inf")))) == "[1e+300,Infinity]"
    assert text(INT4RANGE, range_datum(INT4RANGE, RANGE_LB_INC, i4(1), i4(10))) == "[1,10)"


def test_range_bounds_of_a_varlena_subtype_are_escaped() -> None:
    r = TEXTRANGE
    stored = range_datum(r, RANGE_LB_INC, text_datum("a b"), text_datum('q"\\'))
    assert text(r, stored) == '["a b","q""\\\\")'
    assert text(r, range_datum(r, RANGE_LB_INC, text_datum(""), text_datum("z"))) == '["",z)'
    assert text(r, range_datum(r, 0, text_datum("[x]"), text_datum("y,z"))) == '("[x]","y,z")'


def test_range_deparse() -> None:
    assert range_deparse(RANGE_EMPTY | RANGE_LB_INC, "1", "2") == "empty"
    assert range_deparse(RANGE_LB_INC | RANGE_UB_INC, "1", "2") == "[1,2]"
    assert range_deparse(0, None, None) == "(,)"


def test_arrays_of_ranges() -> None:
    arr = TypeInfo.of_type(FLOATRANGE_ARRAY.oid, CATALOG)
    items: list[bytes | None] = [
        range_datum(FLOATRANGE, RANGE_LB_INC | RANGE_UB_INC, f8(1), f8(2)),
        range_datum(FLOATRANGE, RANGE_EMPTY, None, None),
        None,
    ]
    assert datum_text(arr, array_datum(FLOATRANGE, items)) == '{"[1,2]",empty,NULL}'


def test_damaged_ranges_raise_datum_error() -> None:
    good = range_datum(FLOATRANGE, RANGE_LB_INC, f8(1.5), f8(2.5))
    for payload in (good[4:8], good[4:-9] + good[-1:], b""):
        with pytest.raises(DatumError):
            payload_text(info(FLOATRANGE), payload)
    wrong = bytearray(good)
    struct.pack_into("<I", wrong, 4, INT4.oid)  # names a type that is not a range: the
    assert text(FLOATRANGE, bytes(wrong)) == "[1.5,2.5)"  # column's own type decides


# ----------------------------------------------------------------------------------------------
# multiranges


def _i4range(lo: int | None, hi: int | None, flags: int = RANGE_LB_INC) -> bytes:
    if lo is None:
        flags = (flags & ~RANGE_LB_INC) | RANGE_LB_INF
    if hi is None:
        flags |= RANGE_UB_INF
    return range_datum(
        INT4RANGE, flags, None if lo is None else i4(lo), None if hi is None else i4(hi)
    )


def test_multirange_out() -> None:
    m = INT4MULTIRANGE
    assert text(m, multirange_datum(m, [])) == "{}"
    two = [_i4range(1, 3), _i4range(5, 8)]
    assert text(m, multirange_datum(m, two)) == "{[1,3),[5,8)}"
    assert text(m, multirange_datum(m, [_i4range(None, 0), _i4range(9, None)])) == "{(,0),[9,)}"


def test_multirange_items_past_the_offset_stride() -> None:
    """Every 4th item is an offset, the others lengths: ten ranges cross it twice."""
    m = INT4MULTIRANGE
    ranges = [_i4range(10 * i, 10 * i + 5) for i in range(10)]
    expected = "{" + ",".join(f"[{10 * i},{10 * i + 5})" for i in range(10)) + "}"
    assert text(m, multirange_datum(m, ranges)) == expected
    tm = TEXTMULTIRANGE
    words = [
        range_datum(TEXTRANGE, RANGE_LB_INC, text_datum(w), text_datum(w + "zz"))
        for w in ("a", "bb b", "ccc", "d", "eeeee", "f")
    ]
    assert text(tm, multirange_datum(tm, words)) == (
        '{[a,azz),["bb b","bb bzz"),[ccc,ccczz),[d,dzz),[eeeee,eeeeezz),[f,fzz)}'
    )
    fm = FLOATMULTIRANGE
    floats = [range_datum(FLOATRANGE, RANGE_LB_INC, f8(i / 2), f8(i)) for i in range(1, 7)]
    assert text(fm, multirange_datum(fm, floats)) == ("{[0.5,1),[1,2),[1.5,3),[2,4),[2.5,5),[3,6)}")


def test_damaged_multiranges_raise_datum_error() -> None:
    m = INT4MULTIRANGE
    good = multirange_datum(m, [_i4range(1, 3), _i4range(5, 8)])
    for payload in (good[4:10], good[4:-3]):
        with pytest.raises(DatumError):
            payload_text(info(m), payload)
    huge = bytearray(good)
    struct.pack_into("<I", huge, 8, 10_000)
    with pytest.raises(DatumError):
        text(m, bytes(huge))


# ----------------------------------------------------------------------------------------------
# the catalog read from a data directory, and the server's own COPY output


@pytest.fixture(scope="module")
def clusters(datadir_copies: Callable[[int], Path]) -> Callable[[int], Cluster]:
    @cache
    def get(major: int) -> Cluster:
        return open_cluster(datadir_copies(major))

    return get


@pytest.mark.skipif(not MAJORS, reason="no fixtures/datadir")
@pytest.mark.parametrize("major", MAJORS, ids=[f"pg{m}/sales.typed" for m in MAJORS])
def test_typed_table_values_equal_copy(major: int, clusters: Callable[[int], Cluster]) -> None:
    g = golden(major)
    rel = find_relation(clusters(major), g["database"], "sales.typed")
    desc = rel.description
    assert desc is not None and desc.types is not None
    assert rel.path is not None
    lines = []
    with rel.catalog.datadir.open_relation(rel.path) as source:
        for raw in source.pages("main"):
            page = decode_page(raw)
            assert isinstance(page, HeapPage)
            for item in page.items:
                if item.tuple is None or item.tuple.t_data is None:
                    continue
                values = decode_tuple_values(item.tuple, item.lp.lp, desc)
                assert not [a.error for a in values.attributes if a.error]
                lines.append("\t".join("\\N" if v is None else v for v in values.values()))
    assert "".join(line + "\n" for line in lines) == g["copy"]["sales.typed"]


@pytest.mark.skipif(not MAJORS, reason="no fixtures/datadir")
def test_type_catalog_of_the_typed_table(clusters: Callable[[int], Cluster]) -> None:
    major = MAJORS[-1]
    rel = find_relation(clusters(major), golden(major)["database"], "sales.typed")
    assert rel.description is not None
    types = rel.description.types
    assert types is not None
    by_name = {t.typname: t for t in types.entries.values()}
    mood = by_name["mood"]
    assert sorted(mood.labels.values()) == ["happy", "meh", "ok", "sad"]
    pair = by_name["pair"]
    assert [a.attname for a in pair.attributes if not a.attisdropped] == ["a", "b"]
    assert by_name["floatrange"].rngsubtype == 701
    assert (
        by_name["posint"].typtype == "d" and types.resolve(by_name["posint"].oid) == by_name["int4"]
    )
    if major >= 14:
        assert by_name["int4multirange"].rngtypid == by_name["int4range"].oid


def test_descriptions_without_types_still_compare_equal() -> None:
    """The type catalog rides along; it is not part of a description's identity."""
    a = RelationDescription("t", (_att(1, "a", INT4),))
    b = RelationDescription("t", (_att(1, "a", INT4),), types=CATALOG)
    assert a == b


# ----------------------------------------------------------------------------------------------
# live: the type catalog read by SQL, against the server's own text output

LIVE_SETUP = (
    "DROP SCHEMA IF EXISTS ut CASCADE",
    "CREATE SCHEMA ut",
    "CREATE TYPE ut.mood AS ENUM ('sad', 'ok', 'happy')",
    "ALTER TYPE ut.mood ADD VALUE 'meh' BEFORE 'ok'",
    "CREATE DOMAIN ut.posint AS int4 CHECK (VALUE > 0)",
    "CREATE DOMAIN ut.dmood AS ut.mood",
    "CREATE TYPE ut.pair AS (a int4, gone int8, b text)",
    "ALTER TYPE ut.pair DROP ATTRIBUTE gone",
    "CREATE TYPE ut.nest AS (p ut.pair, m ut.mood, r int4range)",
    'CREATE TYPE ut.textrange AS RANGE (subtype = text, collation = "C")',
    "CREATE TABLE ut.t (id int4, m ut.mood, dm ut.dmood, p ut.posint, c ut.pair, n ut.nest,"
    " tr ut.textrange, ma ut.mood[], na ut.nest[], tra ut.textrange[], pa ut.posint[])",
)
LIVE_ROWS = (
    "INSERT INTO ut.t VALUES (1, 'meh', 'happy', 5, ROW(1, 'b\"x,'), ROW(ROW(2, 'a b'), 'ok',"
    " '[1,4)'), '[\"a b\",\"q\\\"\")', '{sad,meh}', ARRAY[ROW(ROW(3, ''), 'sad', 'empty')"
    "::ut.nest], '{\"[a,b)\",empty}', '{1,2}')",
    "INSERT INTO ut.t VALUES (2, NULL, NULL, NULL, ROW(NULL, NULL), NULL, '(,)', '{}', NULL,"
    " NULL, NULL)",
    "INSERT INTO ut.t VALUES (3, 'sad', 'sad', 1, ROW(7, repeat('long text ', 800)), NULL,"
    " '[x,y]', NULL, NULL, NULL, NULL)",
)


def test_live_type_catalog_decodes_as_the_server_prints(
    pg_conn: psycopg.Connection[TupleRow],
) -> None:
    from pageinspect_py.decode.toast import ToastRelation
    from pageinspect_py.sources.live import LiveSource
    from pageinspect_py.sources.live_catalog import describe_relation
    from pageinspect_py.sources.live_toast import open_live_toast

    for statement in LIVE_SETUP:
        pg_conn.execute(statement)
    for statement in LIVE_ROWS:
        pg_conn.execute(statement)
    version = pg_conn.execute("SHOW server_version_num").fetchone()
    assert version is not None
    if int(version[0]) >= 140000:
        pg_conn.execute("ALTER TABLE ut.t ADD COLUMN mr int4multirange")
        pg_conn.execute("UPDATE ut.t SET mr = '{[1,3),[5,8),[10,12),[20,21),[30,40)}' WHERE id = 1")
    try:
        with pg_conn.cursor() as cur:
            cur.execute("SELECT ctid::text, * FROM ut.t", binary=False)
            res = cur.pgresult
            assert res is not None
            expected = {}
            for r in range(res.ntuples):
                texts = [
                    None if (v := res.get_value(r, c)) is None else v.decode()
                    for c in range(res.nfields)
                ]
                assert texts[0] is not None
                expected[texts[0]] = texts[1:]
        desc = describe_relation(pg_conn, "ut.t")
        assert desc.types is not None
        source = LiveSource(pg_conn, "ut.t")
        found = open_live_toast(source)
        toast = (
            None
            if found is None
            else ToastRelation(found.source, toastrelid=found.toastrelid, locate=found.locate)
        )
        got = {}
        for raw in source.pages("main"):
            page = decode_page(raw)
            assert isinstance(page, HeapPage)
            for item in page.items:
                if item.tuple is None or item.tuple.t_data is None:
                    continue
                values = decode_tuple_values(item.tuple, item.lp.lp, desc, toast=toast)
                assert not [a.error for a in values.attributes if a.error]
                got[f"({raw.blkno},{item.lp.lp})"] = values.values()
        for ctid, row in expected.items():
            assert got[ctid] == row, ctid
    finally:
        pg_conn.execute("DROP SCHEMA ut CASCADE")
