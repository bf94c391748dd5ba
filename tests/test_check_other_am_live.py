"""Indexes of access methods whose pages are not decoded yet (hash, GIN, GiST, SP-GiST, BRIN):
``pgpage check`` must leave them alone -- header and checksum checked, no false corruption --
and say how many pages it did not decode (issue 15, item 1)."""

from __future__ import annotations

from pathlib import Path

import pgcluster
import psycopg
import pytest
from psycopg.rows import TupleRow

from pageinspect_py.app.check import NOT_DECODED, check_relation
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import PageKind
from pageinspect_py.sources.file import FileSource

INDEXES = {
    "am_hash": ("hash (n)", "hash"),
    "am_gin": ("gin (tags)", "gin"),
    "am_gist": ("gist (p)", "gist"),
    "am_spgist": ("spgist (p)", "spgist"),
    "am_brin": ("brin (n) WITH (pages_per_range = 2)", "brin"),
}


def _build(conn: psycopg.Connection[TupleRow]) -> None:
    conn.execute("DROP TABLE IF EXISTS am_t")
    conn.execute("CREATE TABLE am_t (n int, tags int[], p point)")
    conn.execute(
        "INSERT INTO am_t SELECT i, ARRAY[i % 50, i % 7], point(i % 300, i / 300)"
        " FROM generate_series(1, 30000) i"
    )
    for name, (definition, _) in INDEXES.items():
        conn.execute(f"CREATE INDEX {name} ON am_t USING {definition}")
    conn.execute("DELETE FROM am_t WHERE n % 3 = 0")
    conn.execute("VACUUM am_t")  # hash: overflow pages freed into the bitmap
    conn.execute("CHECKPOINT")


@pytest.mark.parametrize("name", INDEXES)
def test_pages_not_decoded_are_not_corrupt(
    name: str, pg_cluster: pgcluster.Cluster, pg_conn: psycopg.Connection[TupleRow]
) -> None:
    pg_conn.autocommit = True
    if (
        name == "am_hash"
        or not pg_conn.execute("SELECT 1 FROM pg_class WHERE relname = 'am_hash'").fetchone()
    ):
        _build(pg_conn)
    row = pg_conn.execute("SELECT pg_relation_filepath(%s)", (name,)).fetchone()
    assert row is not None
    kind = INDEXES[name][1]
    with FileSource(pg_cluster.datadir / Path(str(row[0]))) as source:
        report = check_relation(source)
        assert report.findings == (), [f.text for f in report.findings[:5]]
        assert not report.problems
        main = report.forks[0]
        if PageKind(kind) not in NOT_DECODED:  # decoded since issue 13: checked like any page
            assert main.not_decoded == {} and main.kinds[kind] > 0
            assert len(report.checks) == 1 and report.checks[0] == (f"{kind} structure", 0)
        else:
            assert main.not_decoded.get(kind, 0) + main.kinds.get("new", 0) == main.blocks
            assert main.not_decoded[kind] > 0
        for raw in source.pages("main"):  # dump-level: no diagnostics on any page either
            assert decode_page(raw).diagnostics == ()
