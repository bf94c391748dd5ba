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
