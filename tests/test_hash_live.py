"""A hash index past the single-phase splitpoints (more than 512 buckets: splitpoint groups of
four phases), read from its file after a CHECKPOINT and compared page by page with the same
server's pageinspect on the same bytes, hash_bitmap_info for every block and
pgstathashindex; its pages decode without a diagnostic and the cross-page checks find
nothing."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pgcluster
import psycopg
import pytest
from psycopg.rows import TupleRow

from pageinspect_py.analysis.hashstats import hash_index_findings, pgstathashindex
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.hash import (
    HashMetaPage,
    bitmap_info,
    hash_metapage_info,
    hash_options,
    hash_page_items,
    hash_page_stats,
    hash_page_type,
)

BLCKSZ = 8192


def _one(conn: psycopg.Connection[TupleRow], statement: str, params: tuple[Any, ...]) -> Any:
    try:
        row = conn.execute(statement.encode(), params).fetchone()
    except psycopg.Error:  # pageinspect raised: the page is not of the function's type
        return None
    return None if row is None else row[0]


def test_multi_phase_index_equals_pageinspect(
    pg_cluster: pgcluster.Cluster, pg_conn: psycopg.Connection[TupleRow]
) -> None:
    conn = pg_conn
    conn.autocommit = True
    have = {r[0] for r in conn.execute("SELECT extname FROM pg_extension").fetchall()}
    if "pgstattuple" not in have:
        pytest.skip("pgstattuple is not installed on this server")
    conn.execute("DROP TABLE IF EXISTS hl_t")
    conn.execute("CREATE TABLE hl_t (n int4)")
    conn.execute("INSERT INTO hl_t SELECT i FROM generate_series(1, 160000) i")
    conn.execute("CREATE INDEX hl_i ON hl_t USING hash (n)")
    conn.execute("INSERT INTO hl_t SELECT i % 50 FROM generate_series(1, 40000) i")  # chains
    conn.execute("DELETE FROM hl_t WHERE n < 50 AND n % 2 = 0")
    conn.execute("VACUUM hl_t")
    conn.execute("CHECKPOINT")
    path = pg_cluster.datadir / Path(str(_one(conn, "SELECT pg_relation_filepath('hl_i')", ())))
    data = path.read_bytes()
    raw = [data[i : i + BLCKSZ] for i in range(0, len(data), BLCKSZ)]
    options = hash_options(lambda b: raw[b] if b < len(raw) else None)
    assert options.meta is not None
    assert options.meta.hashm_ovflpoint > 10  # past HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE
    assert options.meta.hashm_maxbucket > 512
    pages = [decode_page(page, blkno, hash=options) for blkno, page in enumerate(raw)]
    assert isinstance(pages[0], HashMetaPage)
    for blkno, page in enumerate(pages):
        where = f"block {blkno}"
        assert page.diagnostics == (), (where, page.diagnostics)
        page_bytes = raw[blkno]
        assert hash_page_type(page) == _one(conn, "SELECT hash_page_type(%s)", (page_bytes,))
        stats = _one(conn, "SELECT row_to_json(x)::text FROM hash_page_stats(%s) x", (page_bytes,))
        got = hash_page_stats(page)
        assert (None if got is None else asdict(got)) == (
            None if stats is None else json.loads(stats)
        ), where
        items = _one(
            conn,
            "SELECT coalesce(json_agg(x ORDER BY itemoffset), '[]')::text "
            "FROM hash_page_items(%s) x",
            (page_bytes,),
        )
        rows = hash_page_items(page)
        assert (None if rows is None else [asdict(r) for r in rows]) == (
            None if items is None else json.loads(items)
        ), where
        info = _one(
            conn, "SELECT row_to_json(x)::text FROM hash_metapage_info(%s) x", (page_bytes,)
        )
        meta = hash_metapage_info(page)
        if info is None:
            assert meta is None
        else:
            want = json.loads(info)
            want["procid"] = int(want["procid"])
            assert meta is not None
            got_meta = asdict(meta)
            got_meta["spares"], got_meta["mapp"] = list(meta.spares), list(meta.mapp)
            assert got_meta == want
        bit = _one(
            conn, "SELECT row_to_json(x)::text FROM hash_bitmap_info('hl_i', %s) x", (blkno,)
        )
        ours = bitmap_info(options.meta, blkno, options.bitmaps)
        assert (None if ours is None else asdict(ours)) == (
            None if bit is None else json.loads(bit)
        ), where
    stats_row = _one(conn, "SELECT row_to_json(x)::text FROM pgstathashindex('hl_i') x", ())
    ours_stats = pgstathashindex(pages)
    assert ours_stats is not None
    assert asdict(ours_stats) == json.loads(stats_row)
    assert hash_index_findings(pages) == []
