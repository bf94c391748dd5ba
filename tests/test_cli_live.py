"""`pgpage dump --dsn` and `--live` against a throwaway server: output and one-line errors."""

from __future__ import annotations

import json

import pgcluster
import psycopg
import pytest
from click.testing import CliRunner
from psycopg.rows import TupleRow

from pageinspect_py.cli import EXIT_OK, EXIT_USAGE, main


@pytest.fixture
def table(pg_conn: psycopg.Connection[TupleRow]) -> str:
    pg_conn.execute("DROP TABLE IF EXISTS cli_live")
    pg_conn.execute("CREATE TABLE cli_live (id int, t text)")
    pg_conn.execute("INSERT INTO cli_live SELECT i, md5(i::text) FROM generate_series(1, 400) i")
    pg_conn.execute("VACUUM cli_live")
    return "public.cli_live"


def test_dump_live_json(pg_cluster: pgcluster.Cluster, table: str) -> None:
    result = CliRunner().invoke(main, ["dump", "--dsn", pg_cluster.dsn, table, "--format", "json"])
    assert result.exit_code == EXIT_OK, result.stderr
    blocks = [json.loads(line) for line in result.stdout.splitlines()]
    assert [b["block"] for b in blocks] == list(range(len(blocks)))
    assert len(blocks) >= 3
    assert all(b["checksum_status"] == "not_verifiable" for b in blocks)
    assert sum(len(b["heap_page_items"]) for b in blocks) == 400


def test_dump_live_from_environment(
    pg_cluster: pgcluster.Cluster, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGHOST", str(pg_cluster.socket_dir))
    monkeypatch.setenv("PGPORT", str(pg_cluster.port))
    monkeypatch.setenv("PGUSER", "postgres")
    monkeypatch.setenv("PGDATABASE", "postgres")
    result = CliRunner().invoke(main, ["dump", "--live", table, "--fork", "vm"])
    assert result.exit_code == EXIT_OK, result.stderr
    assert "all-visible" in result.stdout


@pytest.mark.parametrize(
    ("relation", "message"),
    [("no_such_table", "does not exist"), ("pg_stat_activity", "no storage")],
)
def test_dump_live_errors(pg_cluster: pgcluster.Cluster, relation: str, message: str) -> None:
    result = CliRunner().invoke(main, ["dump", "--dsn", pg_cluster.dsn, relation])
    assert result.exit_code == EXIT_USAGE
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_dump_live_block_out_of_range(pg_cluster: pgcluster.Cluster, table: str) -> None:
    result = CliRunner().invoke(main, ["dump", "--dsn", pg_cluster.dsn, table, "--block", "999"])
    assert result.exit_code == EXIT_USAGE
    assert "out of range" in result.stderr


@pytest.fixture
def toasted(pg_conn: psycopg.Connection[TupleRow]) -> str:
    pg_conn.execute("DROP TABLE IF EXISTS cli_live_toast")
    pg_conn.execute("CREATE TABLE cli_live_toast (id int PRIMARY KEY, t text)")
    pg_conn.execute("ALTER TABLE cli_live_toast ALTER COLUMN t SET STORAGE EXTERNAL")
    pg_conn.execute(
        "INSERT INTO cli_live_toast SELECT i, CASE WHEN i % 3 = 0 THEN repeat(md5(i::text), 200) "
        "ELSE 'short ' || i END FROM generate_series(1, 60) i"
    )
    pg_conn.execute("VACUUM cli_live_toast")
    return "public.cli_live_toast"


def test_dump_live_values_include_toasted_ones(
    pg_cluster: pgcluster.Cluster, pg_conn: psycopg.Connection[TupleRow], toasted: str
) -> None:
    """The live branch reads the description from the catalog and the TOAST table from the
    server: every row comes back as the server returns it, out-of-line values in full."""
    result = CliRunner().invoke(
        main, ["dump", "--dsn", pg_cluster.dsn, toasted, "--format", "json"]
    )
    assert result.exit_code == EXIT_OK, result.stderr
    rows = {
        tuple(item["values"])
        for line in result.stdout.splitlines()
        for item in json.loads(line)["heap_page_items"]
        if item.get("values") is not None
    }
    expected = {(str(i), t) for i, t in pg_conn.execute(f"SELECT id, t FROM {toasted}")}
    assert rows == expected
    assert any(len(t) == 6400 for _, t in rows)


def test_dump_live_no_values(pg_cluster: pgcluster.Cluster, toasted: str) -> None:
    result = CliRunner().invoke(
        main, ["dump", "--dsn", pg_cluster.dsn, toasted, "--format", "json", "--no-values"]
    )
    assert result.exit_code == EXIT_OK, result.stderr
    items = [i for line in result.stdout.splitlines() for i in json.loads(line)["heap_page_items"]]
    assert items
    assert all("values" not in item for item in items)


def test_dump_live_index_keys_from_the_catalog(
    pg_cluster: pgcluster.Cluster, pg_conn: psycopg.Connection[TupleRow], toasted: str
) -> None:
    result = CliRunner().invoke(
        main, ["dump", "--dsn", pg_cluster.dsn, "public.cli_live_toast_pkey", "--format", "json"]
    )
    assert result.exit_code == EXIT_OK, result.stderr
    keys = [
        key["value"]
        for line in result.stdout.splitlines()
        for item in (json.loads(line).get("btree") or {}).get("items", [])
        if item["kind"] != "high_key"
        for key in item["keys"]
    ]
    assert sorted(keys, key=int) == [
        str(i) for (i,) in pg_conn.execute("SELECT id FROM " + toasted + " ORDER BY id")
    ]
