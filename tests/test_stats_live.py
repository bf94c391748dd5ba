"""``pgpage stats`` against the server's own pgstattuple()/pgstatindex() on the same relation.

The table gets inserts, HOT and non-HOT updates, deletes left unvacuumed, an aborted insert, a
row lock and a VACUUM of part of the churn; a scan sets hint bits and a CHECKPOINT puts the
bytes in the files, which are then read offline.
"""

from __future__ import annotations

from pathlib import Path

import pgcluster
import psycopg
import pytest
from psycopg.rows import TupleRow

from pageinspect_py.app.stats import relation_stats
from pageinspect_py.sources.file import FileSource

COLUMNS = (
    "table_len",
    "tuple_count",
    "tuple_len",
    "tuple_percent",
    "dead_tuple_count",
    "dead_tuple_len",
    "dead_tuple_percent",
    "free_space",
    "free_percent",
)


def _build(conn: psycopg.Connection[TupleRow]) -> None:
    conn.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
    conn.execute("DROP TABLE IF EXISTS stats_t")
    conn.execute(
        "CREATE TABLE stats_t (id int PRIMARY KEY, a text, b int8) WITH (fillfactor = 70, "
        "autovacuum_enabled = off)"
    )
    conn.execute(
        "INSERT INTO stats_t SELECT i, CASE WHEN i % 5 = 0 THEN NULL ELSE repeat('x', i % 120)"
        " END, i FROM generate_series(1, 6000) i"
    )
    conn.execute("UPDATE stats_t SET b = b + 1 WHERE id % 7 = 0")  # HOT
    conn.execute("UPDATE stats_t SET id = id + 100000 WHERE id % 29 = 0")  # not HOT
    conn.execute("DELETE FROM stats_t WHERE id % 11 = 0")
    conn.execute("VACUUM stats_t")
    conn.execute("DELETE FROM stats_t WHERE id % 17 = 0")  # dead, not vacuumed
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO stats_t SELECT i, 'aborted', i FROM generate_series(200001, 200300) i"
    )
    conn.execute("ROLLBACK")
    conn.execute("BEGIN")
    conn.execute("SELECT * FROM stats_t WHERE id % 23 = 0 FOR UPDATE")
    conn.execute("COMMIT")
    conn.execute("SELECT count(*) FROM stats_t")  # hint bits
    conn.execute("CHECKPOINT")


def _file(conn: psycopg.Connection[TupleRow], cluster: pgcluster.Cluster, rel: str) -> Path:
    row = conn.execute("SELECT pg_relation_filepath(%s)", (rel,)).fetchone()
    assert row is not None
    return cluster.datadir / str(row[0])


def test_pgstattuple_equals_the_server(
    pg_cluster: pgcluster.Cluster, pg_conn: psycopg.Connection[TupleRow]
) -> None:
    pg_conn.autocommit = True
    _build(pg_conn)
    server = pg_conn.execute(f"SELECT {', '.join(COLUMNS)} FROM pgstattuple('stats_t')").fetchone()
    assert server is not None
    with FileSource(_file(pg_conn, pg_cluster, "stats_t")) as source:
        report = relation_stats(source)
    assert report.function == "pgstattuple"
    assert report.ours["tuples_status_from_pg_xact"] == 0, report.notes
    assert report.figures == dict(
        zip(COLUMNS, (float(v) if isinstance(v, float) else v for v in server), strict=True)
    )
    assert report.figures["dead_tuple_count"] > 0


def test_pgstatindex_equals_the_server(
    pg_cluster: pgcluster.Cluster, pg_conn: psycopg.Connection[TupleRow]
) -> None:
    pg_conn.autocommit = True
    _build(pg_conn)
    cur = pg_conn.execute("SELECT * FROM pgstatindex('stats_t_pkey')")
    names = [d.name for d in cur.description or ()]
    row = cur.fetchone()
    assert row is not None
    major = pg_cluster.major
    with FileSource(_file(pg_conn, pg_cluster, "stats_t_pkey")) as source:
        report = relation_stats(source, major=major)
    assert report.function == "pgstatindex"
    for name, value in zip(names, row, strict=True):
        assert report.figures[name] == pytest.approx(float(value)), name
