"""Every page of every heap fixture, PostgreSQL 12 to 18, compared field by field with what
pageinspect said about the same bytes (page_header, page_checksum, heap_page_items,
heap_tuple_infomask_flags, fsm_page_contents, pg_visibility_map)."""

from __future__ import annotations

from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import ChecksumStatus, PageKind
from pageinspect_py.render.json import page_json
from pageinspect_py.sources.file import FileSource

HEAP = list(relations("heap"))
XID_COLUMNS = ("t_xmin", "t_xmax", "prune_xid")


def lsn_value(text: str) -> int:
    high, low = text.split("/")
    return int(high, 16) << 32 | int(low, 16)


def normalise(row: dict[str, Any]) -> dict[str, Any]:
    """pageinspect's JSON to our conventions: xids as integers, bytea as bare hex."""
    out = dict(row)
    for key in XID_COLUMNS:
        if isinstance(out.get(key), str):
            out[key] = int(out[key])
    if isinstance(out.get("t_data"), str):
        out["t_data"] = out["t_data"].removeprefix("\\x")
    if isinstance(out.get("lsn"), str):
        out["lsn"] = lsn_value(out["lsn"])
    return out


def decoded_blocks(rel: FixtureRelation) -> dict[tuple[str, int], dict[str, Any]]:
    out: dict[tuple[str, int], dict[str, Any]] = {}
    with FileSource(rel.file("main")) as src:
        heap_blocks = src.nblocks("main")
        for fork in src.forks():
            for raw in src.pages(fork):
                page = decode_page(raw)
                out[(fork, raw.blkno)] = page_json(page, heap_blocks=heap_blocks)
    return out


@pytest.mark.parametrize("rel", HEAP, ids=str)
def test_every_page_matches_pageinspect(rel: FixtureRelation) -> None:
    ours = decoded_blocks(rel)
    oracle = rel.oracle
    assert len(ours) == len(oracle["blocks"]), "every block of every fork is decoded"
    compared_items = 0
    for block in oracle["blocks"]:
        key = (block["fork"], block["block"])
        mine = ours[key]
        where = f"{rel} {key}"
        if block.get("new_page"):
            assert mine["kind"] == PageKind.NEW, where
            continue
        expected_header = normalise(block["page_header"])
        got_header = normalise(
            {k: v for k, v in mine["page_header"].items() if k in expected_header}
        )
        assert got_header == expected_header, where
        assert mine["page_checksum"] == block["page_checksum"], where
        if "heap_page_items" in block:
            assert mine["kind"] == PageKind.HEAP, where
            expected_items = [normalise(r) for r in block["heap_page_items"]]
            got_items = mine["heap_page_items"]
            assert len(got_items) == len(expected_items), where
            for exp, got in zip(expected_items, got_items, strict=True):
                flags = exp.pop("heap_tuple_infomask_flags", None)
                assert {k: got[k] for k in exp} == exp, f"{where} lp {exp['lp']}"
                if flags is not None:
                    assert got["heap_tuple_infomask_flags"] == flags, f"{where} lp {exp['lp']}"
                compared_items += 1
        if "fsm_page_contents" in block:
            assert mine["kind"] == PageKind.FSM, where
            assert mine["fsm_page_contents"] == block["fsm_page_contents"], where
    if any("heap_page_items" in b for b in oracle["blocks"]):
        assert compared_items > 0


@pytest.mark.parametrize("rel", HEAP, ids=str)
def test_visibility_map_matches_pg_visibility_map(rel: FixtureRelation) -> None:
    expected = rel.oracle.get("pg_visibility_map")
    if expected is None or "error" in expected:
        pytest.skip(f"{rel}: the server had no pg_visibility")  # pragma: no cover
    ours = decoded_blocks(rel)
    entries = [
        e
        for (fork, _), page in sorted(ours.items())
        if fork == "vm"
        for e in page["pg_visibility_map"]
    ]
    if not entries:  # no VM fork: every heap block is neither visible nor frozen
        assert all(not e["all_visible"] and not e["all_frozen"] for e in expected)
        return
    assert entries == expected


@pytest.mark.parametrize("rel", HEAP, ids=str)
def test_checksums_verified_and_absolute_block_numbers(rel: FixtureRelation) -> None:
    checksums_on = rel.manifest["data_checksums"]
    with FileSource(rel.file("main")) as src:
        for fork in src.forks():
            for raw in src.pages(fork):
                page = decode_page(raw)
                if page.kind is PageKind.NEW:
                    continue
                expected = ChecksumStatus.OK if checksums_on else ChecksumStatus.NOT_SET
                assert page.checksum.status is expected, f"{rel} {fork} {raw.blkno}"
    oracle = {(b["fork"], b["block"]): b for b in rel.oracle["blocks"]}
    with FileSource(rel.file("main")) as src:
        for raw in src.pages("main"):
            block = oracle[("main", raw.blkno)]
            if block.get("new_page"):
                continue
            # the same bytes as block 131072 + n, i.e. the first block of segment 1 onwards
            moved = decode_page(raw.data, 131072 + raw.blkno)
            assert moved.checksum.computed is not None
            signed = (
                moved.checksum.computed - 0x10000
                if moved.checksum.computed >= 0x8000
                else moved.checksum.computed
            )
            assert signed == block["page_checksum_seg1"]


@pytest.mark.parametrize("rel", HEAP, ids=str)
def test_regions_tile_every_page(rel: FixtureRelation) -> None:
    with FileSource(rel.file("main")) as src:
        for fork in src.forks():
            for raw in src.pages(fork):
                page = decode_page(raw)
                cursor = 0
                for region in page.regions:
                    assert region.span.start == cursor
                    cursor = region.span.stop
                assert cursor == page.size
                assert not page.has_errors, [d.describe() for d in page.diagnostics]


def test_fixture_coverage() -> None:
    """The fixture set exercises what the golden tests are meant to cover."""
    majors = sorted({rel.major for rel in HEAP})
    assert majors == [12, 13, 14, 15, 16, 17, 18]
    for major in majors:
        flags: set[int] = set()
        hoffs: set[int] = set()
        for rel in HEAP:
            if rel.major != major:
                continue
            for block in rel.oracle["blocks"]:
                for item in block.get("heap_page_items", []):
                    flags.add(item["lp_flags"])
                    if item["t_hoff"] is not None:
                        hoffs.add(item["t_hoff"])
        assert flags == {0, 1, 2, 3}, major
        assert {24, 32, 40} <= hoffs, major


@pytest.mark.parametrize("rel", HEAP, ids=str)
def test_fsm_leaves_match_pg_freespace(rel: FixtureRelation) -> None:
    """The FSM leaf of each heap block (logical-to-physical FSM addressing, category x 32)
    says what pg_freespace() says."""
    expected = {row["blkno"]: row["avail"] for row in rel.oracle["pg_freespace"]}
    ours: dict[int, int] = {}
    for (fork, _), page in decoded_blocks(rel).items():
        # an all-zero FSM page (kind "new") says nothing is free, as PostgreSQL reads it
        if fork == "fsm" and "fsm" in page and page["fsm"]["level"] == 0:
            for leaf in page["fsm"]["leaves"]:
                ours[leaf["heap_block"]] = leaf["free_bytes_at_least"]
    assert {blk: ours.get(blk, 0) for blk in expected} == expected
    assert all(blk in expected for blk in ours), "no leaf beyond the heap's blocks"
