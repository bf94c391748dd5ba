"""Values of random data, decoded from a live server's pages, against the server's own text.

Hypothesis generates values per type; the server stores them (rejecting what it would not
accept); we read the table's pages with get_raw_page (LiveSource), decode them with the
description ``pgpage schema`` would write, and compare each value with the text output the
server sends for ``SELECT ctid, v`` (the type's output function, in text format).
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pgcluster
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql
from psycopg.rows import TupleRow

from pageinspect_py.catalog.schema import description_from_columns, description_json
from pageinspect_py.catalog.types import BUILTIN_TYPES
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.toast import ToastRelation
from pageinspect_py.decode.tuple import TupleValues, decode_page_values
from pageinspect_py.sources.live import LiveSource
from pageinspect_py.sources.live_catalog import describe_relation
from pageinspect_py.sources.live_toast import open_live_toast

Conn = psycopg.Connection[TupleRow]
_names = itertools.count()

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def text_rows(conn: Conn, query: sql.Composed | sql.SQL) -> list[tuple[str | None, ...]]:
    """Rows as the output functions printed them (text format, no Python conversion)."""
    with conn.cursor() as cur:
        cur.execute(query, binary=False)
        res = cur.pgresult
        assert res is not None
        return [
            tuple(
                None if (v := res.get_value(r, c)) is None else v.decode()
                for c in range(res.nfields)
            )
            for r in range(res.ntuples)
        ]


def decode_live(conn: Conn, table: str) -> dict[str, TupleValues]:
    """ctid -> decoded values of every tuple of ``table``, read through LiveSource."""
    source = LiveSource(conn, table)
    desc = describe_relation(conn, table)
    found = open_live_toast(source)
    toast = (
        None
        if found is None
        else ToastRelation(found.source, toastrelid=found.toastrelid, locate=found.locate)
    )
    out = {}
    for raw in source.pages("main"):
        page = decode_page(raw)
        assert isinstance(page, HeapPage)
        for tv in decode_page_values(page, desc, toast=toast):
            out[f"({raw.blkno},{tv.lp})"] = tv
    return out


def roundtrip(conn: Conn, typ: str, values: list[Any], expr: str = "%s") -> int:
    """Store ``values`` in a fresh table column of type ``typ`` (each through ``expr``), then
    check our text for every stored row against the server's. Returns rows compared."""
    table = f"rt_{next(_names)}"
    ident = sql.Identifier(table)
    conn.execute(sql.SQL("CREATE TABLE {} (id int4, v " + typ + ")").format(ident))
    try:
        insert = sql.SQL("INSERT INTO {} VALUES (%s, " + expr + ")").format(ident)
        for i, value in enumerate(values):
            params = value if isinstance(value, tuple) else (value,)
            try:
                conn.execute(insert, (i, *params))
            except psycopg.DataError:
                continue  # a value the server rejects (out of range, bad input)
            except psycopg.errors.NumericValueOutOfRange:
                continue
        expected = text_rows(conn, sql.SQL("SELECT ctid, id, v FROM {}").format(ident))
        ours = decode_live(conn, table)
        for ctid, id_text, value_text in expected:
            assert ctid is not None
            tv = ours[ctid]
            assert tv.values() == [id_text, value_text], f"{typ} {ctid}"
        return len(expected)
    finally:
        conn.execute(sql.SQL("DROP TABLE {}").format(ident))


# ---- strategies ------------------------------------------------------------------------------

texts = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40
)
finite = st.floats(allow_nan=False, allow_infinity=False)


def _timestamp(draw: Callable[[Any], Any]) -> str:
    bc = draw(st.booleans())
    year = draw(st.integers(1, 4713 if bc else 294276))
    text = (
        f"{year:04d}-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d} "
        f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}:"
        f"{draw(st.integers(0, 59)):02d}.{draw(st.integers(0, 999999)):06d}"
    )
    return text + (" BC" if bc else "")


timestamps = st.composite(_timestamp)()
zones = st.integers(-15 * 3600 - 3599, 15 * 3600 + 3599).map(
    lambda s: (
        f"{'-' if s < 0 else '+'}{abs(s) // 3600:02d}:{abs(s) // 60 % 60:02d}:{abs(s) % 60:02d}"
    )
)
times = st.integers(0, 86_400_000_000).map(
    lambda us: (
        f"{us // 3_600_000_000:02d}:{us // 60_000_000 % 60:02d}:"
        f"{us // 1_000_000 % 60:02d}.{us % 1_000_000:06d}"
    )
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | finite | texts,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=20,
)


def ip_text(draw: Callable[[Any], Any], network: bool) -> str:
    v6 = draw(st.booleans())
    addr = draw(st.ip_addresses(v=6 if v6 else 4))
    bits = draw(st.integers(0, 128 if v6 else 32))
    if network:
        return str(ipaddress.ip_network(f"{addr}/{bits}", strict=False))
    return f"{addr}/{bits}"


def point_text(p: tuple[float, float]) -> str:
    return f"({p[0]!r},{p[1]!r})"


points = st.tuples(st.floats(allow_nan=False, width=64), st.floats(allow_nan=False, width=64))

#: type -> (strategy of one value, SQL expression for the parameter)
CASES: dict[str, tuple[st.SearchStrategy[Any], str]] = {
    "int2": (st.integers(-(2**15), 2**15 - 1), "%s"),
    "int4": (st.integers(-(2**31), 2**31 - 1), "%s"),
    "int8": (st.integers(-(2**63), 2**63 - 1), "%s"),
    "oid": (st.integers(0, 2**32 - 1), "%s::int8::oid"),
    "float4": (st.floats(width=32).map(repr), "%s::float4"),
    "float8": (st.floats().map(repr), "%s::float8"),
    "numeric": (
        st.decimals(allow_nan=True, allow_infinity=False).map(str)
        | st.sampled_from(["Infinity", "-Infinity", "0.000", "-0.5"]),
        "%s::numeric",
    ),
    "numeric(12,4)": (
        st.decimals(
            min_value=Decimal("-99999999"), max_value=Decimal("99999999"), allow_nan=False, places=6
        ).map(str),
        "%s::numeric",
    ),
    "bool": (st.booleans(), "%s"),
    '"char"': (st.characters(min_codepoint=1, max_codepoint=127), '%s::"char"'),
    "char(5)": (texts.map(lambda t: t[:5]), "%s"),
    "varchar": (texts, "%s"),
    "text": (texts | st.text(max_size=3000, alphabet="ab "), "%s"),
    "name": (texts, "%s"),
    "bytea": (st.binary(max_size=300), "%s"),
    "date": (
        st.integers(-2451545, 2147483494 - 2451545) | st.sampled_from([10**9, -(10**9)]),
        "'2000-01-01'::date + %s::int4",
    ),
    "time": (times, "%s::time"),
    "timetz": (st.tuples(times, zones).map(lambda t: t[0] + t[1]), "%s::timetz"),
    "timestamp": (timestamps | st.sampled_from(["infinity", "-infinity"]), "%s::timestamp"),
    "timestamptz": (
        st.tuples(timestamps, zones).map(
            lambda t: t[0].replace(" BC", "") + t[1] + (" BC" if t[0].endswith("BC") else "")
        ),
        "%s::timestamptz",
    ),
    "interval": (
        st.tuples(
            st.integers(-(2**31), 2**31 - 1),
            st.integers(-(2**31), 2**31 - 1),
            st.integers(-(2**62), 2**62),
        ).map(lambda t: f"{t[0]} months {t[1]} days {t[2]} microseconds"),
        "%s::interval",
    ),
    "uuid": (st.uuids(), "%s"),
    "inet": (st.composite(lambda draw: ip_text(draw, False))(), "%s::inet"),
    "cidr": (st.composite(lambda draw: ip_text(draw, True))(), "%s::cidr"),
    "macaddr": (st.binary(min_size=6, max_size=6).map(lambda b: b.hex(":")), "%s::macaddr"),
    "macaddr8": (st.binary(min_size=8, max_size=8).map(lambda b: b.hex(":")), "%s::macaddr8"),
    "money": (st.integers(-(2**63), 2**63 - 1), "(%s::numeric / 100)::money"),
    "point": (points.map(point_text), "%s::point"),
    "box": (
        st.tuples(points, points).map(lambda t: point_text(t[0]) + "," + point_text(t[1])),
        "%s::box",
    ),
    "lseg": (
        st.tuples(points, points).map(
            lambda t: "[" + point_text(t[0]) + "," + point_text(t[1]) + "]"
        ),
        "%s::lseg",
    ),
    "circle": (
        st.tuples(points, st.floats(0, 1e10)).map(lambda t: f"<{point_text(t[0])},{t[1]!r}>"),
        "%s::circle",
    ),
    "path": (
        st.tuples(st.lists(points, min_size=1, max_size=5), st.booleans()).map(
            lambda t: (
                ("(" if t[1] else "[") + ",".join(map(point_text, t[0])) + (")" if t[1] else "]")
            )
        ),
        "%s::path",
    ),
    "polygon": (
        st.lists(points, min_size=1, max_size=5).map(
            lambda ps: "(" + ",".join(map(point_text, ps)) + ")"
        ),
        "%s::polygon",
    ),
    "json": (json_values.map(lambda v: json.dumps(v, indent=1)), "%s::json"),
    "jsonb": (json_values.map(json.dumps), "%s::jsonb"),
    "int4[]": (st.lists(st.none() | st.integers(-(2**31), 2**31 - 1), max_size=8), "%s::int4[]"),
    "int8[]": (
        st.tuples(st.integers(-5, 5), st.lists(st.integers(-9, 9), min_size=1, max_size=4)).map(
            lambda t: f"[{t[0]}:{t[0] + len(t[1]) - 1}]={{{','.join(map(str, t[1]))}}}"
        ),
        "%s::int8[]",
    ),
    "text[]": (st.lists(st.none() | texts, max_size=6), "%s::text[]"),
    "text[][]": (
        st.integers(1, 3).flatmap(
            lambda n: st.lists(
                st.lists(st.none() | texts, min_size=n, max_size=n), min_size=1, max_size=3
            )
        ),
        "%s::text[]",
    ),
    "float8[]": (st.lists(st.floats(), max_size=6), "%s::float8[]"),
    "numeric[]": (
        st.lists(st.decimals(allow_nan=True, allow_infinity=False, places=3).map(str), max_size=6),
        "%s::numeric[]",
    ),
    "date[]": (st.lists(st.none() | st.dates(), max_size=5), "%s::date[]"),
    "bit(12)": (st.text(alphabet="01", min_size=12, max_size=12), "%s::bit(12)"),
    "varbit": (st.text(alphabet="01", max_size=70), "%s::varbit"),
    "tsvector": (
        st.tuples(
            st.lists(st.text(alphabet="abcdé'\\ ", min_size=1, max_size=8), max_size=8),
            st.sampled_from(["A", "B", "C", "D"]),
        ).map(lambda t: (" ".join(t[0]), t[1])),
        "setweight(to_tsvector('simple', %s), %s)",
    ),
}


@pytest.mark.parametrize("typ", sorted(CASES))
def test_random_values_match_server_output(pg_conn: Conn, typ: str) -> None:
    strategy, expr = CASES[typ]

    @SETTINGS
    @given(values=st.lists(strategy, min_size=1, max_size=12))
    def check(values: list[Any]) -> None:
        roundtrip(pg_conn, typ, values, expr)

    check()


def test_toasted_values_live(pg_conn: Conn) -> None:
    """External and compressed values through the live TOAST table (located by its index)."""
    pg_conn.execute("CREATE TABLE rt_toast (id int4, t text, e text, b bytea)")
    try:
        pg_conn.execute("ALTER TABLE rt_toast ALTER COLUMN e SET STORAGE EXTERNAL")
        pg_conn.execute(
            "INSERT INTO rt_toast SELECT i, repeat(md5(i::text), 200 * i), "
            "repeat('e', 3000 * i), "
            "decode(repeat(md5(i::text), 300), 'hex') FROM generate_series(1, 5) i"
        )
        expected = text_rows(pg_conn, sql.SQL("SELECT ctid, id, t, e, b FROM rt_toast"))
        ours = decode_live(pg_conn, "rt_toast")
        forms: set[str] = set()
        for ctid, *row in expected:
            assert ctid is not None
            tv = ours[ctid]
            assert tv.values() == row
            forms.update(str(a.form) for a in tv.attributes if a.form is not None)
        assert {"toast_pointer", "4b_compressed"} <= forms
    finally:
        pg_conn.execute("DROP TABLE rt_toast")


def test_dropped_and_added_columns_live(pg_conn: Conn) -> None:
    pg_conn.execute("CREATE TABLE rt_alter (a int2, b text, c int8, d numeric)")
    try:
        pg_conn.execute("INSERT INTO rt_alter VALUES (1, 'b', 3, 4.5), (2, NULL, NULL, 1)")
        pg_conn.execute("ALTER TABLE rt_alter DROP COLUMN b, DROP COLUMN d")
        pg_conn.execute("ALTER TABLE rt_alter ADD COLUMN e text DEFAULT 'with \"quotes\" {}'")
        pg_conn.execute(
            "ALTER TABLE rt_alter ADD COLUMN f timestamptz DEFAULT '2020-01-01 10:00+02'"
        )
        pg_conn.execute("ALTER TABLE rt_alter ADD COLUMN g int4")
        pg_conn.execute("INSERT INTO rt_alter (a, c, g) VALUES (3, 30, 7)")
        expected = text_rows(pg_conn, sql.SQL("SELECT ctid, a, c, e, f, g FROM rt_alter"))
        ours = decode_live(pg_conn, "rt_alter")
        for ctid, *row in expected:
            assert ctid is not None
            assert ours[ctid].values() == row
    finally:
        pg_conn.execute("DROP TABLE rt_alter")


def test_builtin_type_table_matches_pg_type(pg_conn: Conn) -> None:
    rows = pg_conn.execute(
        "SELECT t.typname::text, t.oid::int8, t.typlen::int, t.typalign::text, t.typbyval, "
        "t.typstorage::text, t.typarray::int8, t.typcollation::int8, t.typelem::int8 "
        "FROM pg_type t "
        "WHERE t.typname = ANY(%s)",
        (list(BUILTIN_TYPES),),
    ).fetchall()
    server = {r[0]: tuple(r[1:]) for r in rows}
    for name, ours in BUILTIN_TYPES.items():
        if name not in server:  # xid8 arrives in 13
            continue
        assert (
            ours.oid,
            ours.typlen,
            ours.typalign,
            ours.typbyval,
            ours.typstorage,
            ours.array_oid,
            ours.typcollation,
            ours.typelem,
        ) == server[name], name


COLUMNS = (
    'id int8, "Mixed Name" text, price numeric(10,2), n integer, s smallint, '
    'f real, d double precision, b boolean, c char(5), ch "char", v varchar(20), '
    "cv character varying(3), ts timestamp with time zone, t time(3), "
    "tz time with time zone, iv interval, a int4[], tx text[][], u uuid, j jsonb, "
    "bit3 bit(3), vb bit varying(9), nm name, ip inet, pt point, fl float(10)"
)


def test_hand_typed_columns_match_the_catalog(pg_conn: Conn) -> None:
    """--columns resolves types like CREATE TABLE does: compare with pg_attribute."""
    pg_conn.execute(f"CREATE TABLE rt_cols ({COLUMNS})")
    try:
        server = description_json(describe_relation(pg_conn, "rt_cols"))["attributes"]
        ours = description_json(description_from_columns(COLUMNS))["attributes"]
        keys = (
            "attnum",
            "attname",
            "atttypid",
            "typname",
            "attlen",
            "attalign",
            "attbyval",
            "attstorage",
            "atttypmod",
            "typelem",
            "elemtypname",
            "elemtyplen",
            "elemtypalign",
            "elemtypbyval",
            "attcollation",
        )
        for mine, theirs in zip(ours, server, strict=True):
            assert {k: mine[k] for k in keys} == {k: theirs[k] for k in keys}
    finally:
        pg_conn.execute("DROP TABLE rt_cols")


def test_pgpage_schema_command(pg_cluster: pgcluster.Cluster, pg_conn: Conn) -> None:
    """``pgpage schema`` writes the catalog's view; ``dump --schema`` reads it back."""
    pg_conn.execute("CREATE TABLE rt_schema (a int4, b text, c float8)")
    try:
        pg_conn.execute("INSERT INTO rt_schema VALUES (1, 'x', 0.1), (NULL, 'y', NULL)")
        pg_conn.execute("ALTER TABLE rt_schema DROP COLUMN b")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pageinspect_py.cli",
                "schema",
                "--dsn",
                pg_cluster.dsn,
                "rt_schema",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        schema = json.loads(proc.stdout)
        catalog = pg_conn.execute(
            "SELECT attnum, attname::text, attlen, attalign::text, attisdropped "
            "FROM pg_attribute WHERE attrelid = 'rt_schema'::regclass AND attnum > 0 "
            "ORDER BY attnum"
        ).fetchall()
        assert [
            (a["attnum"], a["attname"], a["attlen"], a["attalign"], a["attisdropped"])
            for a in schema["attributes"]
        ] == [tuple(r) for r in catalog]
        toast_row = pg_conn.execute(
            "SELECT reltoastrelid::int8 FROM pg_class WHERE oid = 'rt_schema'::regclass"
        ).fetchone()
        assert toast_row is not None
        assert schema["reltoastrelid"] == toast_row[0]
        assert ours_from_schema(pg_conn, schema) == text_rows(
            pg_conn, sql.SQL("SELECT ctid, a, c FROM rt_schema ORDER BY ctid")
        )
    finally:
        pg_conn.execute("DROP TABLE rt_schema")


def ours_from_schema(conn: Conn, schema: dict[str, Any]) -> list[tuple[str | None, ...]]:
    from pageinspect_py.catalog.schema import description_from_json

    desc = description_from_json(schema)
    source = LiveSource(conn, "rt_schema")
    out = []
    for raw in source.pages("main"):
        page = decode_page(raw)
        assert isinstance(page, HeapPage)
        for tv in decode_page_values(page, desc):
            out.append((f"({raw.blkno},{tv.lp})", *tv.values()))
    return out


def test_user_types_decode_and_without_their_catalog_are_raw_bytes(pg_conn: Conn) -> None:
    """Enum, range and composite columns print as the server prints them when the description
    carries the type catalog (the live catalog reader attaches it); without it (a schema file
    that does not describe the types) they show their stored bytes, length and varlena form,
    and the columns around them still decode."""
    from dataclasses import replace

    pg_conn.execute("CREATE TYPE rt_mood AS ENUM ('sad', 'ok')")
    pg_conn.execute("CREATE TYPE rt_pair AS (a int4, b text)")
    pg_conn.execute("CREATE TABLE rt_unknown (a int2, m rt_mood, r int4range, p rt_pair, z text)")
    try:
        pg_conn.execute("INSERT INTO rt_unknown VALUES (1, 'ok', '[1,5)', ROW(7, 'x'), 'end')")
        row = pg_conn.execute(
            "SELECT pg_column_size(m), pg_column_size(r), pg_column_size(p),"
            " m::text, r::text, p::text FROM rt_unknown"
        ).fetchone()
        assert row is not None
        sizes, texts = row[:3], row[3:]
        (tv,) = decode_live(pg_conn, "rt_unknown").values()
        assert tv.values() == ["1", *texts, "end"]
        source = LiveSource(pg_conn, "rt_unknown")
        bare = replace(describe_relation(pg_conn, "rt_unknown"), types=None)
        (raw,) = list(source.pages("main"))
        page = decode_page(raw)
        assert isinstance(page, HeapPage)
        (tv,) = list(decode_page_values(page, bare))
        values = tv.values()
        assert values[0] == "1" and values[-1] == "end"
        for name, size in zip(("m", "r", "p"), sizes, strict=True):
            a = tv.attribute(name)
            assert not a.decoded and a.error is not None and "no output function" in a.error
            assert a.text == "\\x" + a.raw.hex()
            assert a.length == size
        assert tv.attribute("r").form is not None
    finally:
        pg_conn.execute("DROP TABLE rt_unknown")
        pg_conn.execute("DROP TYPE rt_mood, rt_pair")


def test_domains_decode_as_their_base_type(pg_conn: Conn) -> None:
    """A domain stores its base type's datums: the catalog reader follows the domain (and a
    domain over a domain) down to the base type, and the values print as the server's."""
    pg_conn.execute("CREATE DOMAIN rt_posint AS int4 CHECK (VALUE > 0)")
    pg_conn.execute("CREATE DOMAIN rt_small AS rt_posint CHECK (VALUE < 1000)")
    pg_conn.execute('CREATE DOMAIN rt_code AS varchar(12) COLLATE "C"')
    pg_conn.execute("CREATE DOMAIN rt_tags AS text[]")
    pg_conn.execute("CREATE DOMAIN rt_money AS numeric(12, 2)")
    pg_conn.execute(
        "CREATE TABLE rt_domain (a rt_posint, b rt_small, c rt_code, d rt_tags, e rt_money)"
    )
    try:
        pg_conn.execute(
            "INSERT INTO rt_domain VALUES (7, 999, 'AB-12', '{x,\"y z\"}', 12.5), "
            "(2147483647, 1, '', '{}', -0.01), (NULL, NULL, NULL, NULL, NULL)"
        )
        expected = text_rows(pg_conn, sql.SQL("SELECT ctid, a, b, c, d, e FROM rt_domain"))
        ours = decode_live(pg_conn, "rt_domain")
        for ctid, *row in expected:
            assert ctid is not None
            assert ours[ctid].values() == row
        desc = describe_relation(pg_conn, "rt_domain")
        assert [a.typname for a in desc.attributes] == [
            "int4",
            "int4",
            "varchar",
            "_text",
            "numeric",
        ]
    finally:
        pg_conn.execute("DROP TABLE rt_domain")
        pg_conn.execute("DROP DOMAIN rt_small, rt_posint, rt_code, rt_tags, rt_money")
