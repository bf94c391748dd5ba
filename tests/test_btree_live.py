"""Btree indexes on a live throwaway server: pages read with get_raw_page and decoded by us,
compared with the same server's pgstatindex(), bt_page_stats() and bt_page_items(), typed keys
compared with the table rows their heap TIDs point at, and amcheck's verdict beside ours."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pgcluster
import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql
from psycopg.rows import TupleRow

from pageinspect_py.analysis.btree import BtreeIndex, scan_index
from pageinspect_py.cli import EXIT_OK, main
from pageinspect_py.decode.btree import BtItemKind, BtreePage
from pageinspect_py.sources.live import LiveSource, open_live
from pageinspect_py.sources.live_index import describe_index

#: (index, table, columns of the table, CREATE INDEX tail, rows)
SETUP = [
    (
        "lbt_int",
        "lbt_int_t",
        "id int4, pad text",
        "UNIQUE INDEX lbt_int ON lbt_int_t (id)",
        "SELECT i * 3, repeat('x', i % 50) FROM generate_series(1, 3000) i",
    ),
    (
        "lbt_text",
        "lbt_text_t",
        "k text",
        "INDEX lbt_text ON lbt_text_t (k)",
        "SELECT md5(i::text) || repeat('y', i % 40) FROM generate_series(1, 3000) i",
    ),
    (
        "lbt_multi",
        "lbt_multi_t",
        "a int4, b varchar(20), c int8",
        "INDEX lbt_multi ON lbt_multi_t (a DESC, b NULLS FIRST, c)",
        "SELECT CASE WHEN i % 11 = 0 THEN NULL ELSE i % 30 END, "
        "CASE WHEN i % 7 = 0 THEN NULL ELSE 'k' || (i % 13) END, i FROM generate_series(1, 2500) i",
    ),
    (
        "lbt_incl",
        "lbt_incl_t",
        "id int4, note text, n numeric",
        "UNIQUE INDEX lbt_incl ON lbt_incl_t (id) INCLUDE (note, n)",
        "SELECT i, 'note ' || i, i / 7.0 FROM generate_series(1, 2000) i",
    ),
    (
        "lbt_dedup",
        "lbt_dedup_t",
        "v int4",
        "INDEX lbt_dedup ON lbt_dedup_t (v)",
        "SELECT i % 9 FROM generate_series(1, 6000) i",
    ),
    (
        "lbt_types",
        "lbt_types_t",
        "d date, ts timestamptz, f float8, u uuid, b bool, nm numeric, by bytea, ch char(6)",
        "INDEX lbt_types ON lbt_types_t (d, ts, f, u, b, nm, by, ch)",
        "SELECT date '2000-01-01' + (i % 400), timestamptz '2020-02-29 12:00+00' + i * "
        "interval '37 minutes', i / 3.0, md5(i::text)::uuid, i % 2 = 0, "
        "CASE WHEN i % 97 = 0 THEN 'NaN'::numeric ELSE i * 1.25 END, "
        "decode(md5(i::text), 'hex'), 'c' || (i % 50) FROM generate_series(1, 1500) i",
    ),
]


@pytest.fixture(scope="session")
def live_indexes(pg_cluster: pgcluster.Cluster) -> list[str]:
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as conn:
        for _, table, columns, index, rows in SETUP:
            conn.execute(
                sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(table), sql.SQL(columns))
            )
            conn.execute(sql.SQL("INSERT INTO {} {}").format(sql.Identifier(table), sql.SQL(rows)))
            conn.execute(sql.SQL("CREATE " + index))
        # posting lists grow through inserts after the build (deduplication on 13+)
        conn.execute("INSERT INTO lbt_dedup_t SELECT i % 9 FROM generate_series(1, 6000) i")
        # LP_DEAD: deleted rows, then an index scan that finds them dead
        conn.execute("DELETE FROM lbt_int_t WHERE id BETWEEN 900 AND 4200")
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_bitmapscan = off")
        conn.execute("SET enable_indexonlyscan = off")
        conn.execute("SELECT count(*) FROM lbt_int_t WHERE id BETWEEN 600 AND 4500").fetchall()
        conn.execute("SELECT count(*) FROM lbt_int_t WHERE id BETWEEN 600 AND 4500").fetchall()
    return [name for name, *_ in SETUP]


@pytest.fixture
def conn(pg_cluster: pgcluster.Cluster) -> Iterator[psycopg.Connection[TupleRow]]:
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as c:
        yield c


def scan(pg_cluster: pgcluster.Cluster, name: str) -> tuple[BtreeIndex, LiveSource]:
    source = open_live(pg_cluster.dsn, name)
    index = describe_index(source.connection, source.relation.oid)
    return scan_index(source, index=index, major=pg_cluster.major), source


def one_json(conn: psycopg.Connection[TupleRow], query: str, *args: Any) -> Any:
    row = conn.execute(query, args).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize("name", [s[0] for s in SETUP])
def test_statistics_match_pgstatindex(
    pg_cluster: pgcluster.Cluster,
    live_indexes: list[str],
    conn: psycopg.Connection[TupleRow],
    name: str,
) -> None:
    tree, source = scan(pg_cluster, name)
    with source:
        got = asdict(tree.statistics(pg_cluster.major).pgstatindex)
    expected = one_json(conn, "SELECT row_to_json(x) FROM pgstatindex(%s) x", name)
    for key, value in expected.items():
        if isinstance(value, str):
            assert math.isnan(got[key]), key
        else:
            assert got[key] == value, key


@pytest.mark.parametrize("name", [s[0] for s in SETUP])
def test_pages_match_bt_page_stats_and_items(
    pg_cluster: pgcluster.Cluster,
    live_indexes: list[str],
    conn: psycopg.Connection[TupleRow],
    name: str,
) -> None:
    tree, source = scan(pg_cluster, name)
    with source:
        for blkno in range(1, tree.nblocks):
            page = tree.page(blkno)
            assert isinstance(page, BtreePage)
            stats = one_json(
                conn, "SELECT row_to_json(x) FROM bt_page_stats(%s, %s) x", name, blkno
            )
            stats["btpo_level"] = stats.pop("btpo", stats.get("btpo_level"))
            if "btpo_level" not in stats or stats["btpo_level"] is None:
                continue
            mine = asdict(page.stats())
            for key in (
                "type",
                "live_items",
                "dead_items",
                "avg_item_size",
                "free_size",
                "btpo_next",
                "btpo_level",
                "btpo_flags",
            ):
                if key in stats and not (stats["type"] == "d" and pg_cluster.major < 14):
                    assert mine[key] == stats[key], (blkno, key)
            if pg_cluster.major < 13:
                continue
            rows = one_json(
                conn,
                "SELECT coalesce(json_agg(x ORDER BY itemoffset), '[]') "
                "FROM bt_page_items(%s, %s) x",
                name,
                blkno,
            )
            got = [asdict(r) for r in page.pageinspect_items()]
            assert len(got) == len(rows), blkno
            for exp, row in zip(rows, got, strict=True):
                row["tids"] = list(row["tids"]) if row["tids"] is not None else None
                assert {k: row[k] for k in exp} == exp, (blkno, exp["itemoffset"])


def table_texts(
    conn: psycopg.Connection[TupleRow], table: str, columns: list[str]
) -> dict[str, list[str | None]]:
    """Every row's column values as the output functions print them (text result format,
    not ``::text``, which prints booleans as true/false), by ctid."""
    query = sql.SQL("SELECT ctid, {} FROM {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Identifier(table)
    )
    out: dict[str, list[str | None]] = {}
    with conn.cursor() as cur:
        cur.execute(query, binary=False)
        res = cur.pgresult
        assert res is not None
        for r in range(res.ntuples):
            values = [res.get_value(r, c) for c in range(res.nfields)]
            texts = [None if v is None else v.decode() for v in values]
            out[str(texts[0])] = texts[1:]
    return out


@pytest.mark.parametrize("name", [s[0] for s in SETUP])
def test_typed_keys_equal_the_table_rows(
    pg_cluster: pgcluster.Cluster,
    live_indexes: list[str],
    conn: psycopg.Connection[TupleRow],
    name: str,
) -> None:
    tree, source = scan(pg_cluster, name)
    table = next(t for n, t, *_ in SETUP if n == name)
    assert tree.index is not None
    columns = [c.name for c in tree.index.columns]
    rows = table_texts(conn, table, columns)
    compared = 0
    with source:
        for blkno, summary in tree.summaries.items():
            if summary.page_type != "l":
                continue
            page = tree.btree_page(blkno)
            assert page is not None
            for item in page.items:
                if item.kind not in (BtItemKind.LEAF, BtItemKind.POSTING) or item.dead:
                    continue
                assert item.keys is not None
                texts = [None if k.is_null else k.text for k in item.keys]
                for tid in item.heap_tids:
                    row = rows.get(str(tid))
                    if row is None:
                        continue  # deleted since (not yet vacuumed)
                    assert texts == row[: len(texts)], (blkno, item.offnum, str(tid))
                    compared += 1
    assert compared > 100


@pytest.mark.parametrize("name", [s[0] for s in SETUP])
def test_checks_agree_with_amcheck(
    pg_cluster: pgcluster.Cluster,
    live_indexes: list[str],
    conn: psycopg.Connection[TupleRow],
    name: str,
) -> None:
    installed = one_json(conn, "SELECT count(*) FROM pg_extension WHERE extname = 'amcheck'")
    if installed:
        conn.execute("SELECT bt_index_check(%s::regclass, true)", (name,))
    tree, source = scan(pg_cluster, name)
    with source:
        assert tree.check() == ()


def test_lp_dead_items_are_counted(
    pg_cluster: pgcluster.Cluster, live_indexes: list[str], conn: psycopg.Connection[TupleRow]
) -> None:
    tree, source = scan(pg_cluster, "lbt_int")
    with source:
        stats = tree.statistics(pg_cluster.major)
    expected = one_json(
        conn,
        "SELECT sum(dead_items) FROM generate_series(1, "
        "pg_relation_size('lbt_int') / 8192 - 1) b, "
        "bt_page_stats('lbt_int', b::int) s",
    )
    assert stats.dead_items == expected > 0


def test_dedup_statistics(
    pg_cluster: pgcluster.Cluster, live_indexes: list[str], conn: psycopg.Connection[TupleRow]
) -> None:
    tree, source = scan(pg_cluster, "lbt_dedup")
    with source:
        stats = tree.statistics(pg_cluster.major)
    heap_rows = one_json(conn, "SELECT count(*) FROM lbt_dedup_t")
    leaf = stats.leaf
    assert leaf is not None
    assert leaf.heap_tids == heap_rows
    if pg_cluster.major >= 13:
        assert stats.posting_tid_share is not None and stats.posting_tid_share > 0.5
        assert stats.dedup_saved_bytes > 0
    else:
        assert leaf.posting_tuples == 0


def test_cli_live(
    pg_cluster: pgcluster.Cluster, live_indexes: list[str], conn: psycopg.Connection[TupleRow]
) -> None:
    result = CliRunner().invoke(
        main, ["btree", "--dsn", pg_cluster.dsn, "lbt_multi", "--format", "json"]
    )
    assert result.exit_code == EXIT_OK, result.stderr
    report = json.loads(result.stdout)
    expected = one_json(conn, "SELECT row_to_json(x) FROM pgstatindex('lbt_multi') x")
    assert report["pgstatindex"]["leaf_pages"] == expected["leaf_pages"]
    assert report["pgstatindex_as_of_major"] == pg_cluster.major
    result = CliRunner().invoke(
        main,
        ["btree", "--dsn", pg_cluster.dsn, "lbt_multi", "--format", "json", "--find", "NULL,NULL"],
    )
    assert result.exit_code == EXIT_OK, result.stderr
    found = json.loads(result.stdout)
    assert found["path"][0]["blkno"] == expected["root_block_no"]
    server = one_json(
        conn,
        "SELECT coalesce(array_agg(ctid::text ORDER BY ctid), '{}') FROM lbt_multi_t "
        "WHERE a IS NULL AND b IS NULL",
    )
    assert server and sorted(found["heap_tids"]) == sorted(server)
    result = CliRunner().invoke(main, ["btree", "--dsn", pg_cluster.dsn, "lbt_int_t"])
    assert result.exit_code != EXIT_OK
    assert "not a btree index" in result.stderr


@pytest.mark.parametrize(
    ("name", "table", "columns", "where"),
    [
        ("lbt_types", "lbt_types_t", "d, ts, f, u, b, nm, by, ch", "ctid = '(3,5)'"),
        ("lbt_types", "lbt_types_t", "d, ts, f, u, b, nm, by, ch", "nm = 'NaN'"),
        ("lbt_dedup", "lbt_dedup_t", "v", "v = 4"),
        ("lbt_text", "lbt_text_t", "k", "ctid = '(2,7)'"),
        ("lbt_incl", "lbt_incl_t", "id", "id = 1234"),
    ],
)
def test_find_live_returns_the_servers_tids(
    pg_cluster: pgcluster.Cluster,
    live_indexes: list[str],
    conn: psycopg.Connection[TupleRow],
    name: str,
    table: str,
    columns: str,
    where: str,
) -> None:
    """--find with values as the server prints them (dates, time stamps, floats, uuids,
    booleans, numerics, bytea, char(n), text) gives the heap TIDs of every row holding them,
    reading far fewer blocks than the index has."""
    key = one_json(conn, f"SELECT concat_ws(',', {columns}) FROM {table} WHERE {where} LIMIT 1")
    server = one_json(
        conn,
        f"SELECT array_agg(ctid::text ORDER BY ctid) FROM {table} "
        f"WHERE ROW({columns}) IS NOT DISTINCT FROM (SELECT ROW({columns}) FROM {table} "
        f"WHERE {where} LIMIT 1)",
    )
    result = CliRunner().invoke(
        main, ["btree", "--dsn", pg_cluster.dsn, name, "--format", "json", "--find", key]
    )
    assert result.exit_code == EXIT_OK, result.stderr
    found = json.loads(result.stdout)
    assert sorted(found["heap_tids"]) == sorted(server), key
    relpages = one_json(conn, "SELECT pg_relation_size(%s::regclass) / 8192", name)
    level = one_json(conn, "SELECT tree_level FROM pgstatindex(%s)", name)
    assert found["tree_level"] == level
    assert len(found["blocks_read"]) < relpages
