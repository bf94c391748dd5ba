"""``pgpage export --dsn``: a live relation's rows through get_raw_page, the verdicts from the
server's own transaction status, compared with the server's COPY and its visible ctids."""

from __future__ import annotations

import json
import subprocess
import sys

import pgcluster
import psycopg
from psycopg.rows import TupleRow

Conn = psycopg.Connection[TupleRow]


def pgpage(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pageinspect_py.cli", *args], capture_output=True, check=False
    )


def test_live_export_equals_copy_and_sees_every_version(
    pg_cluster: pgcluster.Cluster, pg_conn: Conn
) -> None:
    x = pg_conn.execute
    x("CREATE TABLE ex_live (id int4, t text, big text, m int4[])")
    try:
        x(
            "INSERT INTO ex_live SELECT g, E'row\\t' || g, CASE WHEN g = 3 THEN"
            " (SELECT string_agg(md5(s::text), '') FROM generate_series(1, 300) s) END,"
            " ARRAY[g, NULL] FROM generate_series(1, 40) g"
        )
        x("DELETE FROM ex_live WHERE id = 5")
        x("UPDATE ex_live SET t = 'updated' WHERE id = 6")
        with pg_conn.transaction(force_rollback=True):
            x("INSERT INTO ex_live VALUES (99, 'aborted', NULL, NULL)")
        with psycopg.connect(pg_cluster.dsn) as other:  # a delete still in progress
            other.execute("DELETE FROM ex_live WHERE id = 7")
            copy = bytearray()
            with pg_conn.cursor().copy("COPY ex_live TO STDOUT") as cp:
                for chunk in cp:
                    copy += chunk
            visible = {r[0] for r in x("SELECT ctid::text FROM ex_live")}
            out = pgpage("export", "--dsn", pg_cluster.dsn, "ex_live", "-q")
            assert out.returncode == 0, out.stderr.decode()
            assert out.stdout == bytes(copy)
            every = pgpage(
                "export",
                "--dsn",
                pg_cluster.dsn,
                "ex_live",
                "--all-versions",
                "--format",
                "jsonl",
                "-q",
            )
            assert every.returncode == 0, every.stderr.decode()
            rows = [json.loads(line) for line in every.stdout.splitlines()]
            other.rollback()
        assert {r["ctid"] for r in rows if r["visible"]} == visible
        assert len(rows) > len(visible)  # the deleted, updated and aborted versions too
        assert {r["visibility"] for r in rows} >= {"live", "dead", "in progress"}
    finally:
        x("DROP TABLE ex_live")


def test_live_export_errors(pg_cluster: pgcluster.Cluster, pg_conn: Conn) -> None:
    for args, message in (
        (("export", "--dsn", pg_cluster.dsn, "no_such_table"), "no_such_table"),
        (("export", "--dsn", pg_cluster.dsn, "x", "y"), "RELATION and --db are for a data"),
    ):
        out = pgpage(*args)
        assert out.returncode == 2
        err = out.stderr.decode()
        assert message in err and err.count("\n") == 1 and "Traceback" not in err, err
