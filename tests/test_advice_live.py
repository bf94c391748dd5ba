"""Layout advice against real servers: predictions checked against what PostgreSQL stores.

* random schemas and rows (hypothesis): the predicted ``lp_len`` of every row equals the
  ``lp_len`` the server wrote (``heap_page_items``), in the table's own order and after the
  rows are copied into a table with the columns in another order, whose page count must also
  be the predicted one;
* ``--verify`` measures what it predicts; known cases where sorting by alignment loses are
  won, on real pages; bad input gives one clear message; the ``--sql`` migration runs and
  keeps everything; the offline path agrees with the live one on a copied relation file.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import string
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pgcluster
import psycopg
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from pageinspect_py.advice.advise import advise, alignment_sort
from pageinspect_py.advice.model import fill_pages, rebuilt_row, tuple_size
from pageinspect_py.app import advice as live
from pageinspect_py.cli import main
from pageinspect_py.sources.connection import connect
from pageinspect_py.sources.live_advice import Target, resolve_targets

DATABASE = "pgpage_advice"
NOSELECT_ROLE = "pgpage_advice_nosel"
Conn = psycopg.Connection[TupleRow]


@pytest.fixture(scope="module")
def advice_dsn(pg_cluster: pgcluster.Cluster) -> str:
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(NOSELECT_ROLE)))
    dsn = make_conninfo(pg_cluster.dsn, dbname=DATABASE)
    with psycopg.connect(dsn, autocommit=True) as conn:
        available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions")}
        for name in ("pageinspect", "pgstattuple"):
            if name in available:
                conn.execute(sql.SQL("CREATE EXTENSION {}").format(sql.Identifier(name)))
    return dsn


@pytest.fixture
def conn(advice_dsn: str) -> Iterator[Conn]:
    with psycopg.connect(advice_dsn, autocommit=True) as c:
        yield c


def stored_lp_lens(conn: Conn, table: str) -> list[int]:
    """lp_len of every normal tuple, block by block, as heap_page_items reports it."""
    row = conn.execute("SELECT pg_relation_size(%s::regclass) / 8192", (table,)).fetchone()
    assert row is not None
    out: list[int] = []
    for blkno in range(int(row[0])):
        out.extend(
            r[0]
            for r in conn.execute(
                "SELECT lp_len FROM heap_page_items(get_raw_page(%s, %s)) WHERE lp_flags = 1 "
                "ORDER BY lp",
                (table, blkno),
            )
        )
    return out


def pages_of(conn: Conn, table: str) -> int:
    row = conn.execute("SELECT pg_relation_size(%s::regclass) / 8192", (table,)).fetchone()
    assert row is not None
    return int(row[0])


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["layout-advice", *args])
    return result.exit_code, result.stdout, result.stderr


# ----------------------------------------------------------------------------------------------
# Random schemas and rows

_B64 = string.ascii_letters + string.digits + "+/"


def _text(rng: random.Random, kind: str) -> str:
    if kind == "short":
        return "".join(rng.choice(_B64) for _ in range(rng.randint(0, 126)))
    if kind == "medium":  # a 4-byte header, aligned, not toasted
        return "".join(rng.choice(_B64) for _ in range(rng.randint(127, 150)))
    if kind == "compressible":  # compressed in line by the toaster
        return "ab" * rng.randint(1300, 2000)
    return "".join(rng.choice(_B64) for _ in range(rng.randint(2600, 4000)))  # out of line


def _array(rng: random.Random, n: int) -> str:
    return "{" + ",".join(str(rng.randint(-(10**9), 10**9)) for _ in range(n)) + "}"


#: (SQL type, value maker); varlenas that may be long are marked by taking a "kind"
TYPES: dict[str, Any] = {
    "boolean": lambda r: r.choice(["t", "f"]),
    "smallint": lambda r: str(r.randint(-32768, 32767)),
    "integer": lambda r: str(r.randint(-(2**31), 2**31 - 1)),
    "bigint": lambda r: str(r.randint(-(2**63), 2**63 - 1)),
    "real": lambda r: repr(r.uniform(-1e6, 1e6)),
    "double precision": lambda r: repr(r.uniform(-1e12, 1e12)),
    "numeric": lambda r: str(r.randint(0, 10 ** r.randint(1, 60))) + "." + str(r.randint(0, 999)),
    '"char"': lambda r: r.choice(string.ascii_letters),
    "character(5)": lambda r: "".join(
        r.choice(string.ascii_letters) for _ in range(r.randint(0, 5))
    ),
    "name": lambda r: "".join(r.choice(string.ascii_lowercase) for _ in range(r.randint(1, 30))),
    "date": lambda r: f"20{r.randint(0, 99):02d}-0{r.randint(1, 9)}-1{r.randint(0, 9)}",
    "time": lambda r: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:01.5",
    "time with time zone": lambda r: f"{r.randint(0, 23):02d}:15:00+0{r.randint(0, 9)}",
    "timestamp": lambda r: f"2024-01-0{r.randint(1, 9)} 12:00:0{r.randint(0, 9)}",
    "timestamp with time zone": lambda r: f"2024-02-0{r.randint(1, 9)} 01:02:03+02",
    "interval": lambda r: f"{r.randint(0, 999)} days {r.randint(0, 23)} hours",
    "uuid": lambda r: str(uuid.UUID(int=r.getrandbits(128))),
    "macaddr": lambda r: ":".join(f"{r.randint(0, 255):02x}" for _ in range(6)),
    "macaddr8": lambda r: ":".join(f"{r.randint(0, 255):02x}" for _ in range(8)),
    "inet": lambda r: r.choice(
        [f"10.{r.randint(0, 255)}.0.{r.randint(0, 255)}/24", f"2001:db8::{r.randint(0, 65535):x}"]
    ),
    "point": lambda r: f"({r.uniform(-9, 9)},{r.uniform(-9, 9)})",
    "box": lambda r: f"(1,2),({r.randint(3, 9)},{r.randint(3, 9)})",
    "money": lambda r: f"{r.randint(0, 99999)}.{r.randint(10, 99)}",
    "tid": lambda r: f"({r.randint(0, 999)},{r.randint(1, 200)})",
    "integer[]": lambda r: _array(r, r.randint(0, 40)),
    "bigint[]": lambda r: _array(r, r.randint(0, 25)),
    "text[]": lambda r: (
        "{" + ",".join('"' + _text(r, "short")[:20] + '"' for _ in range(r.randint(0, 8))) + "}"
    ),
    "jsonb": lambda r: json.dumps({"k": list(range(r.randint(0, 40)))}),
    "text": None,  # by kind
    "character varying(5000)": None,
    "bytea": None,
}
#: types to draw from: the varlenas that may hold long values weigh five times as much, so
#: that rows the toaster changes (several long values, TOAST pointers) are common
LONG_TYPES = ("text", "character varying(5000)", "bytea")
WEIGHTED_TYPES = sorted(TYPES) + sorted(LONG_TYPES) * 4
#: storage settings a varlena column may get
STORAGES = ["", "PLAIN", "EXTERNAL", "MAIN"]


@st.composite
def schemas(draw: st.DrawFn) -> dict[str, Any]:
    ncols = draw(st.integers(1, 9))
    columns = []
    for i in range(ncols):
        typ = draw(st.sampled_from(WEIGHTED_TYPES))
        storage = ""
        if typ in LONG_TYPES:
            storage = draw(st.sampled_from(STORAGES))
        columns.append(
            {"name": f"c{i}", "type": typ, "null": draw(st.floats(0, 0.6)), "storage": storage}
        )
    return {
        "columns": columns,
        "dropped": draw(st.booleans()),
        "rows": draw(st.integers(1, 14)),
        "seed": draw(st.integers(0, 2**32)),
        "long_rows": draw(st.floats(0, 0.5)),
        "perm_seed": draw(st.integers(0, 2**32)),
    }


def _value(rng: random.Random, column: dict[str, Any], long_ok: bool) -> str | None:
    if rng.random() < column["null"]:
        return None
    maker = TYPES[column["type"]]
    if maker is not None:
        return str(maker(rng))
    kinds = ["short", "short", "medium"]
    if long_ok and column["storage"] != "PLAIN":
        kinds += ["compressible", "incompressible"]
    text = _text(rng, rng.choice(kinds))
    if column["type"] == "bytea":
        return "\\x" + text.encode().hex()
    return text


_COUNTER = itertools.count()


# Derandomized by default: a fixed, reproducible set of examples, so that CI does not depend
# on luck. PGPAGE_RANDOM_EXAMPLES=N runs N random examples instead: how the cases pinned by
# test_toaster_decides_on_sizes_before_compression and
# test_rows_copied_into_another_order_are_toasted_again were found.
@settings(
    max_examples=int(os.environ.get("PGPAGE_RANDOM_EXAMPLES", "100")),
    deadline=None,
    derandomize="PGPAGE_RANDOM_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(schema=schemas())
def test_predicted_lp_len_is_what_postgres_stores(
    conn: Conn, advice_dsn: str, schema: dict[str, Any]
) -> None:
    n = next(_COUNTER)
    table, moved = f"rand_{n}", f"rand_{n}_moved"
    columns = schema["columns"]
    defs: list[sql.Composable] = [
        sql.SQL("{} {}").format(sql.Identifier(c["name"]), sql.SQL(c["type"])) for c in columns
    ]
    if schema["dropped"]:
        defs.insert(len(defs) // 2, sql.SQL("gone bigint"))
    conn.execute(
        sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), sql.SQL(", ").join(defs))
    )
    for c in columns:
        if c["storage"]:
            conn.execute(
                sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET STORAGE {}").format(
                    sql.Identifier(table), sql.Identifier(c["name"]), sql.SQL(c["storage"])
                )
            )
    if schema["dropped"]:
        conn.execute(sql.SQL("ALTER TABLE {} DROP COLUMN gone").format(sql.Identifier(table)))
    rng = random.Random(schema["seed"])
    # any column of a row may hold a long value: the toaster's choices, ties included,
    # depend on the column order, and the prediction for the copy replays them in its order
    insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(c["name"]) for c in columns),
        sql.SQL(", ").join(sql.SQL("%s::{}").format(sql.SQL(c["type"])) for c in columns),
    )
    for _ in range(schema["rows"]):
        conn.execute(insert, [_value(rng, c, rng.random() < schema["long_rows"]) for c in columns])

    lt = live.open_table(
        connect(advice_dsn),
        Target(
            int(conn.execute("SELECT %s::regclass::oid", (table,)).fetchone()[0]),  # type: ignore[index]
            table,
        ),
    )
    try:
        sample = live.take_sample(lt, 10_000, 0)
    finally:
        lt.conn.close()
    assert sample.method == "all rows"
    live_columns = sample.columns
    # the table as stored: the dropped column is in every tuple as a NULL
    natts_stored = len(lt.table.columns)
    order = range(len(live_columns))
    predicted = [
        tuple_size(live_columns, row, order, natts_stored, force_bitmap=schema["dropped"]).lp_len
        for row in sample.rows
    ]
    assert predicted == stored_lp_lens(conn, table)

    # the same rows copied into a table with the columns in another order
    perm = list(order)
    random.Random(schema["perm_seed"]).shuffle(perm)
    moved_defs = [
        sql.SQL("{} {}").format(sql.Identifier(columns[j]["name"]), sql.SQL(columns[j]["type"]))
        for j in perm
    ]
    conn.execute(
        sql.SQL("CREATE TABLE {} ({})").format(
            sql.Identifier(moved), sql.SQL(", ").join(moved_defs)
        )
    )
    for c in columns:
        if c["storage"]:
            conn.execute(
                sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET STORAGE {}").format(
                    sql.Identifier(moved), sql.Identifier(c["name"]), sql.SQL(c["storage"])
                )
            )
    names = sql.SQL(", ").join(sql.Identifier(columns[j]["name"]) for j in perm)
    conn.execute(
        sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ORDER BY ctid").format(
            sql.Identifier(moved), names, names, sql.Identifier(table)
        )
    )
    # INSERT ... SELECT packs what fits a 1-byte header and re-toasts rows in the new order
    # (the "rebuilt" form the advice scores)
    geometry = lt.table.geometry
    rebuilt = [rebuilt_row(live_columns, row, perm, geometry) for row in sample.rows]
    sizes = [tuple_size(live_columns, row, perm, len(live_columns)) for row in rebuilt]
    assert sorted(s.lp_len for s in sizes) == sorted(stored_lp_lens(conn, moved))
    fill = fill_pages([s.footprint for s in sizes], geometry)
    assert fill.pages == pages_of(conn, moved)


# ----------------------------------------------------------------------------------------------
# --verify, pages of real tables, known cases


def _mixed_table(conn: Conn, name: str, rows: int) -> None:
    conn.execute(
        sql.SQL(
            "CREATE TABLE {} (id int4 NOT NULL, flag bool, created timestamptz NOT NULL, "
            "note text, mac macaddr, qty int2, at timetz, body text, price numeric, tags int8[])"
        ).format(sql.Identifier(name))
    )
    conn.execute(
        sql.SQL(
            "INSERT INTO {} SELECT g, CASE WHEN g % 3 > 0 THEN g % 2 = 0 END, "
            "'2024-01-01'::timestamptz + g * interval '1 minute', "
            "CASE WHEN g % 4 > 0 THEN repeat('n', g % 40) END, "
            "CASE WHEN g % 2 = 0 THEN '08:00:2b:01:02:03'::macaddr END, "
            "CASE WHEN g % 5 > 0 THEN (g % 300)::int2 END, "
            "CASE WHEN g % 3 = 0 THEN '12:00+02'::timetz END, "
            "CASE WHEN g % 7 = 0 THEN repeat(md5(g::text), 5 + g % 4) END, "
            "(g * 1.37)::numeric, CASE WHEN g % 6 = 0 THEN ARRAY[g, g + 1]::int8[] END "
            "FROM generate_series(1, {}) g"
        ).format(sql.Identifier(name), sql.Literal(rows))
    )


def test_toaster_decides_on_sizes_before_compression(conn: Conn, advice_dsn: str) -> None:
    """A MAIN value compressed only after an EXTENDED one went out of line (found by a
    random run of the property test above): heap_toast_insert_or_update measures the row
    before compression (3,716 + 184 bytes: too long), tries the incompressible array in
    round 1, moves it out of line in round 2, and compresses the bytea only in round 3.
    Replayed on stored sizes (the bytea compressed to a few dozen bytes) the row looked
    short enough to stay inline."""
    conn.execute("CREATE TABLE toast_main_late (a int4, arr int4[], b bytea)")
    conn.execute("ALTER TABLE toast_main_late ALTER COLUMN b SET STORAGE MAIN")
    rng = random.Random(641)
    incompressible = [rng.randrange(-(2**31), 2**31) for _ in range(40)]  # 24 + 160 bytes
    conn.execute(
        "INSERT INTO toast_main_late VALUES (1, %s, %s), (2, %s, NULL)",
        (incompressible, b"pgpage " * 530, incompressible),
    )
    lt = live.open_table(
        connect(advice_dsn),
        Target(
            int(conn.execute("SELECT 'toast_main_late'::regclass::oid").fetchone()[0]),  # type: ignore[index]
            "toast_main_late",
        ),
    )
    try:
        sample = live.take_sample(lt, 10_000, 0)
    finally:
        lt.conn.close()
    stored = conn.execute(
        "SELECT pg_column_compression(b) IS NOT NULL, pg_column_size(arr) FROM toast_main_late"
        " ORDER BY a"
        if lt.catalog.variants.column_compression
        else "SELECT true, pg_column_size(arr) FROM toast_main_late ORDER BY a"
    ).fetchall()
    # the precondition: the bytea compressed, the array out of line (pg_column_size of a
    # TOAST pointer is the out-of-line size without header: 180, inline it would be 184)
    assert stored[0] == (True, 180)
    order = range(len(sample.columns))
    predicted = [
        tuple_size(sample.columns, row, order, len(lt.table.columns)).lp_len for row in sample.rows
    ]
    assert predicted == stored_lp_lens(conn, "toast_main_late")


def test_rows_copied_into_another_order_are_toasted_again(conn: Conn, advice_dsn: str) -> None:
    """INSERT ... SELECT hands every row with a TOAST pointer to the toaster again, which
    fetches the out-of-line values back (toast_tuple_init) and decides anew in the new order
    (found by a random run of the property test above). Here the small values went out of
    line only to make room for a MAIN value that was compressed in round 3; the copy gets
    that value already compressed, so the row fits and they come back inline, with 1-byte
    headers. A big incompressible value goes out of line again."""
    conn.execute("CREATE TABLE retoast (a bytea, b int4[], c text, d bytea, n int4)")
    conn.execute("ALTER TABLE retoast ALTER COLUMN c SET STORAGE MAIN")
    rng = random.Random(72533)
    small = bytes(rng.randrange(256) for _ in range(37))
    numbers = [rng.randrange(-(2**31), 2**31) for _ in range(10)]  # 24 + 40 bytes
    big = bytes(rng.randrange(256) for _ in range(3000))
    conn.execute(
        "INSERT INTO retoast VALUES (%s, %s, %s, NULL, 1), (%s, %s, %s, %s, 2)",
        (small, numbers, "ab" * 1500, small, numbers, "ab" * 1500, big),
    )
    conn.execute("CREATE TABLE retoast_moved (n int4, c text, d bytea, b int4[], a bytea)")
    conn.execute("ALTER TABLE retoast_moved ALTER COLUMN c SET STORAGE MAIN")
    conn.execute(
        "INSERT INTO retoast_moved (n, c, d, b, a) SELECT n, c, d, b, a FROM retoast ORDER BY n"
    )
    # the precondition: out of line (pg_column_size reports the out-of-line size, no
    # header) in the table, in line with a 1-byte header in the copy; d out of line in both
    for table, extra in (("retoast", 0), ("retoast_moved", 1)):
        row = conn.execute(
            f"SELECT pg_column_size(a) - octet_length(a), pg_column_size(d) - octet_length(d) "
            f"FROM {table} WHERE n = 2"
        ).fetchone()
        assert row == (extra, 0)
    lt = live.open_table(
        connect(advice_dsn),
        Target(
            int(conn.execute("SELECT 'retoast'::regclass::oid").fetchone()[0]),  # type: ignore[index]
            "retoast",
        ),
    )
    try:
        sample = live.take_sample(lt, 10_000, 0)
    finally:
        lt.conn.close()
    columns = sample.columns
    names = [c.name for c in columns]
    perm = [names.index(n) for n in ("n", "c", "d", "b", "a")]
    geometry = lt.table.geometry
    predicted = [
        tuple_size(columns, rebuilt_row(columns, row, perm, geometry), perm, len(columns)).lp_len
        for row in sample.rows
    ]
    assert predicted == stored_lp_lens(conn, "retoast_moved")
    # the advice reports the same figures for that order
    code, out, err = run_cli(
        "--dsn", advice_dsn, "retoast", "--keep-first", "n", "--verify", "--format", "json"
    )
    assert code == 0, err
    for measured in json.loads(out)["verify"]["layouts"]:
        assert measured["tuples_matching_prediction"] == measured["rows"] == 2


def test_verify_says_why_it_did_not_read_the_pages(pg_cluster: pgcluster.Cluster) -> None:
    """Without pageinspect in the database the scratch tables are still measured (pages,
    WAL), and the report says why the tuple lengths were not read (issue 15, item 13)."""
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS advice_noext")
        admin.execute("CREATE DATABASE advice_noext")
    dsn = make_conninfo(pg_cluster.dsn, dbname="advice_noext")
    with psycopg.connect(dsn, autocommit=True) as c:
        _mixed_table(c, "plain", 500)
    code, out, err = run_cli("--dsn", dsn, "plain", "--verify")
    assert code == 0, err
    line = next(x for x in out.splitlines() if "verified in" in x)
    assert line.endswith(
        "tuple lengths not read: pageinspect is not installed in this database "
        "(CREATE EXTENSION pageinspect)"
    )
    code, out, err = run_cli("--dsn", dsn, "plain", "--verify", "--format", "json")
    verify = json.loads(out)["verify"]
    assert verify["tuple_lengths_from"] is None
    assert verify["tuple_lengths_not_read"].startswith("pageinspect is not installed")
    assert all(m["pages"] > 0 for m in verify["layouts"])


def test_verify_measures_what_it_predicts(conn: Conn, advice_dsn: str) -> None:
    _mixed_table(conn, "verified", 4000)
    code, out, err = run_cli("--dsn", advice_dsn, "verified", "--verify", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    verify = result["verify"]
    assert verify["tuple_lengths_from"].startswith("get_raw_page")
    for measured in verify["layouts"]:
        assert measured["rows"] == 4000
        assert measured["pages"] == measured["predicted_pages"]
        assert measured["tuples_matching_prediction"] == 4000
        assert measured["avg_tuple_bytes"] == measured["predicted_avg_tuple_bytes"]
        assert measured["wal_bytes_per_row"] > 0
    current, recommended = verify["layouts"]
    assert recommended["pages"] <= current["pages"]
    assert result["recommended"]["avg_row_bytes"] < result["current"]["avg_row_bytes"]
    # nothing is left behind
    row = conn.execute(
        "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgpage_verify%'"
    ).fetchone()
    assert row is not None and row[0] == 0


KNOWN_CASES = {
    # odd fixed-width types: timetz (12/d) and macaddr (6/i) leave holes sorting cannot fill
    "odd_fixed": (
        "a timetz NOT NULL, b timetz NOT NULL, c macaddr NOT NULL, d macaddr NOT NULL, "
        "e int4 NOT NULL, f int4 NOT NULL, g int2 NOT NULL, h int2 NOT NULL",
        "SELECT '12:00+01', '13:00+02', '08:00:2b:01:02:03', '08:00:2b:01:02:04', g, -g, "
        "g % 1000, -(g % 1000) FROM generate_series(1, 10000) g",
    ),
    # long varlenas (4-byte headers, aligned) sorted last behind 1-byte columns pay padding
    "long_varlena": (
        "flag bool NOT NULL, id int8 NOT NULL, body text NOT NULL",
        "SELECT g % 2 = 0, g, repeat('y', 127 + g % 8) FROM generate_series(1, 10000) g",
    ),
    # NULL-heavy: which values are there decides the padding, not the declared types
    "null_heavy": (
        "t timetz, n int4 NOT NULL, m int4, w macaddr, s int2 NOT NULL, x int8",
        "SELECT CASE WHEN g % 10 < 7 THEN NULL ELSE '12:00+01'::timetz END, g, "
        "CASE WHEN g % 2 = 0 THEN g END, "
        "CASE WHEN g % 2 = 1 THEN '08:00:2b:01:02:03'::macaddr END, (g % 100)::int2, "
        "CASE WHEN g % 10 = 0 THEN g END FROM generate_series(1, 10000) g",
    ),
}


def _build(conn: Conn, source: str, name: str, order: list[str], types: dict[str, str]) -> int:
    conn.execute(
        sql.SQL("CREATE TABLE {} ({})").format(
            sql.Identifier(name),
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(types[c])) for c in order
            ),
        )
    )
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in order)
    conn.execute(
        sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ORDER BY ctid").format(
            sql.Identifier(name), cols, cols, sql.Identifier(source)
        )
    )
    return pages_of(conn, name)


@pytest.mark.parametrize("case", sorted(KNOWN_CASES))
def test_cases_where_sorting_by_alignment_loses_are_won(
    conn: Conn, advice_dsn: str, case: str
) -> None:
    columns, rows = KNOWN_CASES[case]
    table = f"known_{case}"
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), sql.SQL(columns)))
    conn.execute(sql.SQL("INSERT INTO {} ").format(sql.Identifier(table)) + sql.SQL(rows))
    session = connect(advice_dsn)
    try:
        lt = live.open_table(session, resolve_targets(session, table)[0])
        advice = advise(lt.table, live.take_sample(lt, 100_000, 0))
    finally:
        session.close()
    tetris = [advice.columns[j].name for j in alignment_sort(advice.columns)]
    sorted_layout = next(a for a in advice.alternatives if a.name == "alignment sort")
    assert list(sorted_layout.order) == tetris
    assert advice.recommended.pages < sorted_layout.pages
    # and on real pages
    types = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0",
            (table,),
        )
    }
    ours = _build(conn, table, f"{table}_ours", list(advice.recommended.order), types)
    theirs = _build(conn, table, f"{table}_sorted", tetris, types)
    assert ours == advice.recommended.sample_pages
    assert theirs == sorted_layout.sample_pages
    assert ours < theirs


# ----------------------------------------------------------------------------------------------
# Bad input: one clear line each


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("pgpage: ")
    return lines[0]


def test_unknown_table(advice_dsn: str) -> None:
    code, out, err = run_cli("--dsn", advice_dsn, "no_such_table")
    assert code == 2 and not out
    assert "does not exist" in _one_line(err)


def test_view(conn: Conn, advice_dsn: str) -> None:
    conn.execute("CREATE TABLE for_view (a int)")
    conn.execute("CREATE VIEW a_view AS SELECT a FROM for_view")
    code, out, err = run_cli("--dsn", advice_dsn, "a_view")
    assert code == 2 and not out
    assert "is a view" in _one_line(err)


def test_empty_table(conn: Conn, advice_dsn: str) -> None:
    conn.execute("CREATE TABLE empty_t (a int, b text)")
    code, out, err = run_cli("--dsn", advice_dsn, "empty_t")
    assert code == 2 and not out
    assert "has no rows" in _one_line(err)


def test_partitioned_parent_is_advised_per_partition(conn: Conn, advice_dsn: str) -> None:
    conn.execute(
        "CREATE TABLE parted (id int4 NOT NULL, at timetz, v int2, k text) PARTITION BY RANGE (id)"
    )
    conn.execute("CREATE TABLE parted_a PARTITION OF parted FOR VALUES FROM (0) TO (1000)")
    conn.execute("CREATE TABLE parted_b PARTITION OF parted FOR VALUES FROM (1000) TO (2000)")
    conn.execute("CREATE TABLE parted_empty PARTITION OF parted FOR VALUES FROM (2000) TO (3000)")
    conn.execute(
        "INSERT INTO parted SELECT g, '12:00+01', g % 7, 'k' || g FROM generate_series(0, 1999) g"
    )
    code, out, err = run_cli("--dsn", advice_dsn, "parted", "--format", "json")
    assert code == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["table"] for r in results] == ["public.parted_a", "public.parted_b"]
    assert all(r["partition_of"] == "public.parted" for r in results)
    assert "advising each of its 3 partitions" in err
    assert "skipping public.parted_empty" in err


def test_no_privilege_to_sample(conn: Conn, advice_dsn: str) -> None:
    conn.execute("CREATE TABLE secret (id int4, at timetz, v int2)")
    conn.execute("INSERT INTO secret SELECT g, '12:00+01', g FROM generate_series(1, 100) g")
    dsn = make_conninfo(advice_dsn, user=NOSELECT_ROLE)
    code, out, err = run_cli("--dsn", dsn, "secret")
    assert code == 2 and not out
    line = _one_line(err)
    assert "permission denied" in line and "GRANT SELECT" in line


def test_pg_stats_estimate_when_only_some_columns_are_readable(conn: Conn, advice_dsn: str) -> None:
    conn.execute("CREATE TABLE half_secret (id int4, at timetz, v int2, note text)")
    conn.execute(
        "INSERT INTO half_secret SELECT g, CASE WHEN g % 2 = 0 THEN '12:00+01'::timetz "
        "END, "
        "g, 'n' || g FROM generate_series(1, 500) g"
    )
    conn.execute("ANALYZE half_secret")
    conn.execute(
        sql.SQL("GRANT SELECT (id, at, v) ON half_secret TO {}").format(
            sql.Identifier(NOSELECT_ROLE)
        )
    )
    dsn = make_conninfo(advice_dsn, user=NOSELECT_ROLE)
    code, out, err = run_cli("--dsn", dsn, "half_secret", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["sample"]["quality"] == "estimate"
    assert any("pg_stats" in note for note in result["notes"])
    assert any("note" in note and "no statistics" in note for note in result["notes"])


def test_unknown_keep_first_column(conn: Conn, advice_dsn: str) -> None:
    conn.execute("CREATE TABLE pins (a int4, b int8)")
    conn.execute("INSERT INTO pins VALUES (1, 2)")
    code, out, err = run_cli("--dsn", advice_dsn, "pins", "--keep-first", "nope")
    assert code == 2 and not out
    assert "has no column 'nope'" in _one_line(err)


def test_keep_first_pins_columns(conn: Conn, advice_dsn: str) -> None:
    conn.execute("CREATE TABLE pinned (a bool NOT NULL, b int8 NOT NULL, c int2, d timetz)")
    conn.execute("INSERT INTO pinned SELECT true, g, 1, '12:00+01' FROM generate_series(1, 50) g")
    code, out, err = run_cli(
        "--dsn", advice_dsn, "pinned", "--keep-first", "c,a", "--format", "json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["recommended"]["order"][:2] == ["c", "a"]
    assert result["pinned"] == ["c", "a"]


# ----------------------------------------------------------------------------------------------
# --sql


MIGRATION_SETUP = """
CREATE ROLE pgpage_reader;
CREATE ROLE "Odd Role";
CREATE SCHEMA "Mig";
CREATE TABLE "Mig".parent_t (pid int8 PRIMARY KEY, note text);
INSERT INTO "Mig".parent_t SELECT g, 'p' || g FROM generate_series(1, 50) g;
CREATE TABLE "Mig"."Orders" (
  id int GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5) PRIMARY KEY,
  "select" bool DEFAULT true,
  serial_col serial,
  pid int8 REFERENCES "Mig".parent_t (pid) ON DELETE CASCADE,
  created timestamptz NOT NULL DEFAULT now(),
  "Name" text COLLATE "C" CHECK (length("Name") < 100),
  mac macaddr,
  qty int2,
  total numeric(12,2),
  doubled int GENERATED ALWAYS AS (qty * 2) STORED,
  payload text,
  at timetz,
  UNIQUE ("Name", pid)
) WITH (fillfactor = 90, toast_tuple_target = 256);
ALTER TABLE "Mig"."Orders" ALTER COLUMN payload SET STORAGE EXTERNAL;
ALTER TABLE "Mig"."Orders" ALTER COLUMN qty SET STATISTICS 500;
ALTER TABLE "Mig"."Orders" ALTER COLUMN total SET (n_distinct = 100);
CREATE INDEX orders_created_idx ON "Mig"."Orders" (created DESC);
CREATE INDEX orders_partial_idx ON "Mig"."Orders" (qty) WHERE qty > 0;
COMMENT ON INDEX "Mig".orders_created_idx IS 'recent';
ALTER TABLE "Mig"."Orders" CLUSTER ON orders_created_idx;
COMMENT ON TABLE "Mig"."Orders" IS 'it''s the orders';
COMMENT ON COLUMN "Mig"."Orders"."Name" IS 'customer';
CREATE TABLE "Mig".child_t (cid int, order_id int REFERENCES "Mig"."Orders" (id));
CREATE FUNCTION "Mig".trg_f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER orders_trg BEFORE INSERT ON "Mig"."Orders"
  FOR EACH ROW EXECUTE FUNCTION "Mig".trg_f();
CREATE TRIGGER orders_trg2 AFTER UPDATE ON "Mig"."Orders"
  FOR EACH ROW EXECUTE FUNCTION "Mig".trg_f();
ALTER TABLE "Mig"."Orders" DISABLE TRIGGER orders_trg2;
ALTER TABLE "Mig"."Orders" ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON "Mig"."Orders" FOR SELECT TO pgpage_reader USING (qty > 0);
GRANT SELECT, INSERT ON "Mig"."Orders" TO pgpage_reader;
GRANT SELECT ("Name") ON "Mig"."Orders" TO "Odd Role";
CREATE VIEW "Mig".orders_v AS SELECT id, "Name" FROM "Mig"."Orders";
CREATE VIEW "Mig".orders_vv AS SELECT * FROM "Mig".orders_v;
GRANT SELECT ON "Mig".orders_vv TO pgpage_reader;
CREATE STATISTICS "Mig".orders_st ON qty, total FROM "Mig"."Orders";
INSERT INTO "Mig"."Orders" ("select", pid, "Name", mac, qty, total, payload, at)
  SELECT g % 2 = 0, g % 50 + 1, 'n' || g, '08:00:2b:01:02:03', g, g * 1.5,
         repeat('z', g * 3), '12:00+01'
  FROM generate_series(1, 300) g;
INSERT INTO "Mig".child_t SELECT g, 100 + 5 * g FROM generate_series(0, 20) g
"""

SNAPSHOT = {
    "columns": """SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                         a.attidentity, a.attgenerated, a.attstorage, a.attoptions,
                         a.attcollation, col_description(a.attrelid, a.attnum),
                         pg_get_expr(d.adbin, d.adrelid)
                  FROM pg_attribute a LEFT JOIN pg_attrdef d
                    ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                  WHERE a.attrelid = '"Mig"."Orders"'::regclass AND a.attnum > 0
                    AND NOT a.attisdropped ORDER BY 1""",
    "constraints": """SELECT conname, pg_get_constraintdef(oid), convalidated
                      FROM pg_constraint
                      WHERE conrelid = '"Mig"."Orders"'::regclass
                         OR confrelid = '"Mig"."Orders"'::regclass ORDER BY 1""",
    "indexes": """SELECT pg_get_indexdef(indexrelid), indisclustered FROM pg_index
                  WHERE indrelid = '"Mig"."Orders"'::regclass ORDER BY 1""",
    "triggers": """SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger
                   WHERE tgrelid = '"Mig"."Orders"'::regclass AND NOT tgisinternal ORDER BY 1""",
    "policies": """SELECT polname, pg_get_expr(polqual, polrelid) FROM pg_policy
                   WHERE polrelid = '"Mig"."Orders"'::regclass""",
    "table": """SELECT relacl::text, relrowsecurity, reloptions, obj_description(oid, 'pg_class'),
                       pg_get_userbyid(relowner) FROM pg_class
                WHERE oid = '"Mig"."Orders"'::regclass""",
    "column_acl": """SELECT attname, attacl::text FROM pg_attribute
                     WHERE attrelid = '"Mig"."Orders"'::regclass AND attacl IS NOT NULL""",
    "views": """SELECT relname, relacl::text, pg_get_viewdef(oid) FROM pg_class
                WHERE relname LIKE 'orders_v%' ORDER BY 1""",
    "sequences": """SELECT pg_get_serial_sequence('"Mig"."Orders"', 'id'),
                           pg_get_serial_sequence('"Mig"."Orders"', 'serial_col')""",
    "statistics": """SELECT stxname FROM pg_statistic_ext
                     WHERE stxrelid = '"Mig"."Orders"'::regclass""",
    "data": """SELECT md5(string_agg(x::text, ',' ORDER BY x.id)) FROM (
                 SELECT id, "select", serial_col, pid, created, "Name", mac, qty, total,
                        doubled, payload, at FROM "Mig"."Orders") x""",
}


def test_sql_migration_keeps_everything(conn: Conn, advice_dsn: str) -> None:
    for statement in MIGRATION_SETUP.split(";\n"):
        conn.execute(statement)
    before = {k: conn.execute(q).fetchall() for k, q in SNAPSHOT.items()}
    code, out, err = run_cli("--dsn", advice_dsn, '"Mig"."Orders"', "--sql")
    assert code == 0, err
    assert "-- NOTE: SELECT * and INSERT or COPY without a column list" in out
    assert "dependent views are dropped and created again" in out
    recommended = json.loads(run_cli("--dsn", advice_dsn, '"Mig"."Orders"', "--format", "json")[1])[
        "recommended"
    ]["order"]
    conn.execute(out)  # the whole file: the report is SQL comments, then one transaction
    after = {k: conn.execute(q).fetchall() for k, q in SNAPSHOT.items()}
    for key in SNAPSHOT:
        assert after[key] == before[key], key
    order = [
        r[0]
        for r in conn.execute(
            'SELECT attname FROM pg_attribute WHERE attrelid = \'"Mig"."Orders"\'::regclass '
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        )
    ]
    assert order == recommended
    # identity and serial sequences continue where they were
    conn.execute('INSERT INTO "Mig"."Orders" (qty) VALUES (1)')
    row = conn.execute(
        'SELECT id, serial_col FROM "Mig"."Orders" ORDER BY id DESC LIMIT 1'
    ).fetchone()
    assert row == (100 + 5 * 300, 301)
    # the foreign key that points at the table works again
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute('INSERT INTO "Mig".child_t VALUES (1, 7)')


# ----------------------------------------------------------------------------------------------
# Offline: a copied relation file gives the same advice as the live table


def test_offline_file_agrees_with_live(
    conn: Conn, advice_dsn: str, pg_cluster: pgcluster.Cluster, tmp_path: Path
) -> None:
    _mixed_table(conn, "copied", 3000)
    conn.execute("CHECKPOINT")
    row = conn.execute("SELECT pg_relation_filepath('copied')").fetchone()
    assert row is not None
    copy = tmp_path / "copied"
    shutil.copyfile(pg_cluster.datadir / row[0], copy)
    attributes = [
        dict(
            zip(
                (
                    "attnum",
                    "attname",
                    "atttypid",
                    "typname",
                    "attlen",
                    "attalign",
                    "attbyval",
                    "attstorage",
                    "atttypmod",
                    "attisdropped",
                    "atthasmissing",
                    "attnotnull",
                ),
                r,
                strict=True,
            )
        )
        for r in conn.execute(
            "SELECT a.attnum, a.attname::text, a.atttypid::int8, t.typname::text, a.attlen, "
            "a.attalign::text, a.attbyval, a.attstorage::text, a.atttypmod, a.attisdropped, "
            "a.atthasmissing, a.attnotnull FROM pg_attribute a JOIN pg_type t "
            "ON t.oid = a.atttypid WHERE a.attrelid = 'copied'::regclass AND a.attnum > 0 "
            "ORDER BY a.attnum"
        )
    ]
    schema = tmp_path / "copied.schema.json"
    schema.write_text(json.dumps({"relname": "copied", "attributes": attributes}))
    code, out, err = run_cli(str(copy), "--schema", str(schema), "--format", "json")
    assert code == 0, err
    offline = json.loads(out)
    code, out, err = run_cli("--dsn", advice_dsn, "copied", "--format", "json")
    assert code == 0, err
    online = json.loads(out)
    for key in ("avg_tuple_bytes", "avg_row_bytes", "avg_padding_bytes", "sample_pages"):
        assert offline["current"][key] == online["current"][key], key
        assert offline["recommended"][key] == online["recommended"][key], key
    assert offline["measured"]["pages"] == pages_of(conn, "copied")
