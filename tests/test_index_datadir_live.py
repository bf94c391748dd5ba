"""GIN, GiST, SP-GiST and BRIN indexes read from a data directory (no server in the loop):
the key columns and their opclasses come from the catalogs' own files (pg_index, pg_attribute,
pg_opclass), so ``pgpage dump PGDATA --db postgres INDEX`` types keys and values exactly as the
server's pageinspect prints them for the same pages, and ``pgpage check`` and ``pgpage stats``
run each method's own checks and figures on them."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pgcluster
import psycopg
import pytest
from psycopg.rows import TupleRow

Conn = psycopg.Connection[TupleRow]

#: index name -> (definition, a block with items, the pageinspect call on that block)
INDEXES = {
    "ix_gin": ("gin (tags jsonb_path_ops)", 1, None),
    "ix_gist": ("gist (b)", 1, "gist_page_items"),
    "ix_spgist": ("spgist (t)", 1, None),
    "ix_brin": (
        "brin (n int8_minmax_ops, addr inet_inclusion_ops) WITH (pages_per_range = 2)",
        2,
        "brin_page_items",
    ),
}


def pgpage(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pageinspect_py.cli", *args], capture_output=True, check=False
    )


@pytest.fixture(scope="module")
def built(pg_cluster: pgcluster.Cluster) -> pgcluster.Cluster:
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as conn:
        x = conn.execute
        x("DROP TABLE IF EXISTS ix_t")
        x("CREATE TABLE ix_t (n int8, tags jsonb, b box, t text, addr inet)")
        x(
            "INSERT INTO ix_t SELECT i, jsonb_build_object('k', i % 7), "
            "box(point(i % 50, i / 50), point(i % 50 + 1, i / 50 + 2)), "
            "'item/' || (i % 30) || '/' || i, ('10.0.' || (i % 250) || '.1')::inet "
            "FROM generate_series(1, 4000) i"
        )
        for name, (definition, _, _) in INDEXES.items():
            x(f"CREATE INDEX {name} ON ix_t USING {definition}")
        x("CHECKPOINT")
    return pg_cluster


def _server_rows(conn: Conn, function: str, name: str, block: int) -> list[dict[str, Any]]:
    row = conn.execute(
        f"SELECT coalesce(json_agg(x), '[]')::text FROM {function}("
        "get_raw_page(%s, %s), %s::regclass) x",
        (name, block, name),
    ).fetchone()
    assert row is not None
    rows: list[dict[str, Any]] = json.loads(row[0])
    return rows


@pytest.mark.parametrize("name", INDEXES)
def test_datadir_index_is_typed_checked_and_measured(
    name: str, built: pgcluster.Cluster, pg_conn: Conn
) -> None:
    definition, block, function = INDEXES[name]
    datadir = str(built.datadir)
    dumped = pgpage(
        "dump", datadir, "--db", "postgres", name, "--block", str(block), "--format", "json"
    )
    assert dumped.returncode == 0, dumped.stderr.decode()
    page = json.loads(dumped.stdout)
    assert page["diagnostics"] == []
    version = int(pg_conn.execute("SHOW server_version_num").fetchone()[0])  # type: ignore[index]
    if function is not None and (function != "gist_page_items" or version >= 140000):
        rows = _server_rows(pg_conn, function, name, block)
        assert rows and page[function] == rows
    if name == "ix_gin":  # jsonb_path_ops keys are hashes of paths and values: told so
        entries = page["gin"]["entries"]
        assert entries and all("hash" in json.dumps(e["key"]) for e in entries)
    if name == "ix_spgist":
        prefixes = [t.get("prefix") for t in page.get("spgist_inner_tuples") or []]
        leaves = [t.get("datum") for t in page.get("spgist_leaf_tuples") or []]
        assert any(isinstance(p, str) for p in prefixes + leaves)
    checked = pgpage("check", datadir, "--db", "postgres", name, "-q")
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()
    amname = definition.split()[0]
    assert f"{amname} structure: checked, 0 findings" in checked.stdout.decode()
    stats = pgpage("stats", datadir, "--db", "postgres", name, "--format", "json", "-q")
    assert stats.returncode == 0, stats.stderr.decode()
    figures = json.loads(stats.stdout)
    functions = {"gin": "pgstatginindex", "gist": "pgstattuple"}
    if amname in functions:
        function = functions[amname]
        server = pg_conn.execute(
            f"SELECT row_to_json(x)::text FROM {function}(%s::regclass) x", (name,)
        ).fetchone()
        assert server is not None and figures[function] == json.loads(str(server[0]))
    else:
        assert f"{amname}_index_statistics" in figures
