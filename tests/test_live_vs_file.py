"""Two sources, one result: a page read live through get_raw_page and the same page read from
the relation's file decode identically (all but where the bytes came from and whether the
checksum can be trusted), and both agree with pageinspect on the spot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pgcluster
import psycopg
from psycopg.rows import TupleRow

from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import ChecksumStatus
from pageinspect_py.render.json import page_json
from pageinspect_py.sources.file import FileSource
from pageinspect_py.sources.live import open_live

SOURCE_KEYS = {"origin", "checksum_status"}


def build_table(conn: psycopg.Connection[TupleRow]) -> Path:
    conn.execute("DROP TABLE IF EXISTS live_vs_file")
    conn.execute(
        "CREATE TABLE live_vs_file (id int PRIMARY KEY, a text, b int8, c bool, d numeric)"
        " WITH (fillfactor = 60)"
    )
    conn.execute(
        "INSERT INTO live_vs_file SELECT i, CASE WHEN i % 4 = 0 THEN NULL ELSE repeat('v', i % 90)"
        " END, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1000 END, i % 2 = 0, i / 7.0"
        " FROM generate_series(1, 1500) i"
    )
    conn.execute("UPDATE live_vs_file SET c = NOT c WHERE id % 10 = 0")  # HOT updates
    conn.execute("DELETE FROM live_vs_file WHERE id % 13 = 0")
    conn.execute("SELECT count(*) FROM live_vs_file")  # sets hint bits, prunes
    conn.execute("VACUUM live_vs_file")
    conn.execute("CHECKPOINT")  # shared buffers and the file now hold the same bytes
    row = conn.execute("SELECT pg_relation_filepath('live_vs_file')").fetchone()
    assert row is not None
    return Path(str(row[0]))


def without_source(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in SOURCE_KEYS}


def test_live_page_decodes_like_its_file(
    pg_cluster: pgcluster.Cluster, pg_conn: psycopg.Connection[TupleRow]
) -> None:
    relpath = build_table(pg_conn)
    with (
        open_live(pg_cluster.dsn, "live_vs_file") as live,
        FileSource(pg_cluster.datadir / relpath) as files,
    ):
        for fork in ("main", "fsm", "vm"):
            assert live.nblocks(fork) == files.nblocks(fork) > 0
            heap_blocks = files.nblocks("main")
            for blkno in range(files.nblocks(fork)):
                live_raw, file_raw = live.read_page(blkno, fork), files.read_page(blkno, fork)
                assert live_raw.data == file_raw.data
                from_live, from_file = decode_page(live_raw), decode_page(file_raw)
                assert from_live.checksum.status is ChecksumStatus.NOT_VERIFIABLE
                assert from_file.checksum.status is ChecksumStatus.NOT_SET
                assert (from_live.header, from_live.line_pointers, from_live.regions) == (
                    from_file.header,
                    from_file.line_pointers,
                    from_file.regions,
                )
                live_json = page_json(from_live, heap_blocks=heap_blocks)
                file_json = page_json(from_file, heap_blocks=heap_blocks)
                assert without_source(live_json) == without_source(file_json)
                json.dumps(live_json)
            # the bulk path: runs of blocks from the server are the file's runs, byte for byte
            live_chunks = [(c.first, c.data) for c in live.chunks(fork, pages=2)]
            assert live_chunks == [(c.first, c.data) for c in files.chunks(fork, pages=2)]


def test_live_pages_match_pageinspect_on_the_spot(
    pg_cluster: pgcluster.Cluster, pg_conn: psycopg.Connection[TupleRow]
) -> None:
    build_table(pg_conn)
    with open_live(pg_cluster.dsn, "live_vs_file") as live:
        for blkno in range(live.nblocks()):
            raw = live.read_page(blkno)
            ours = page_json(decode_page(raw))["heap_page_items"]
            rows = pg_conn.execute(
                "SELECT lp, lp_off, lp_flags, lp_len, t_xmin::text::bigint, t_xmax::text::bigint,"
                " t_field3, t_ctid::text, t_infomask2, t_infomask, t_hoff, t_bits, t_oid::text,"
                " encode(t_data, 'hex')"
                " FROM heap_page_items(get_raw_page('live_vs_file', %s))",
                [blkno],
            ).fetchall()
            assert len(rows) == len(ours)
            keys = (
                "lp",
                "lp_off",
                "lp_flags",
                "lp_len",
                "t_xmin",
                "t_xmax",
                "t_field3",
                "t_ctid",
                "t_infomask2",
                "t_infomask",
                "t_hoff",
                "t_bits",
                "t_oid",
                "t_data",
            )
            for row, item in zip(rows, ours, strict=True):
                expected = dict(zip(keys, row, strict=True))
                if expected["t_oid"] is not None:  # pragma: no cover - no OIDs since 12
                    expected["t_oid"] = int(expected["t_oid"])
                assert {k: item[k] for k in keys} == expected
            header = pg_conn.execute(
                "SELECT lower, upper, special, flags, page_checksum(get_raw_page('live_vs_file',"
                " %s), %s) FROM page_header(get_raw_page('live_vs_file', %s))",
                [blkno, blkno, blkno],
            ).fetchone()
            assert header is not None
            mine = page_json(decode_page(raw))
            got = (
                mine["page_header"]["lower"],
                mine["page_header"]["upper"],
                mine["page_header"]["special"],
                mine["page_header"]["flags"],
                mine["page_checksum"],
            )
            assert got == tuple(header)
