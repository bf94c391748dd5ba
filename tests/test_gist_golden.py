"""Every page of every GiST fixture (PostgreSQL 12 to 18) against what the server said: on 14+
gist_page_opaque_info, gist_page_items_bytea and gist_page_items field by field on the same
bytes; on every major pgstattuple() of the index, and the table's rows: every live row's ctid
is the heap TID of a leaf item that is not LP_DEAD, and that item's key is the row's value
(point_ops stores a degenerate box). Pages decode without a single diagnostic, typed by the
index's tuple descriptor or untyped, and their regions tile the page as the header says."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py import constants as C
from pageinspect_py.analysis.giststats import (
    gist_index_findings,
    gist_index_statistics,
    gist_options,
    pgstattuple,
    scan_gist_index,
)
from pageinspect_py.catalog.index import index_from_manifest
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.gist import (
    GistDecodeOptions,
    GistPage,
    gist_page_items,
    gist_page_items_bytea,
    gist_page_opaque_info,
)
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.page.checksum import as_int16
from pageinspect_py.render.gist import gist_page_json, gist_page_rows
from pageinspect_py.sources.file import FileSource

GIST = list(relations("gist"))
MAJORS = list(range(12, 19))
NAMES = {"gist_point", "gist_box", "gist_range"}
#: the first major with pageinspect's GiST functions
FUNCTIONS_MAJOR = 14


def _error(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"error"}


def _options(rel: FixtureRelation) -> GistDecodeOptions:
    return gist_options(index_from_manifest(rel.meta))


_SCANNED: dict[tuple[str, bool], list[Page]] = {}


def _pages(rel: FixtureRelation, typed: bool = True) -> list[Page]:
    """Every page of the fixture, decoded once per test run (the models are immutable)."""
    key = (str(rel), typed)
    if key not in _SCANNED:
        with FileSource(rel.file("main")) as source:
            _SCANNED[key] = scan_gist_index(source, _options(rel) if typed else None)
    return _SCANNED[key]


def _oracle(rel: FixtureRelation) -> dict[int, dict[str, Any]]:
    return {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}


def test_every_major_has_the_gist_fixtures() -> None:
    for major in MAJORS:
        assert {r.name for r in GIST if r.major == major} == NAMES, major
    for rel in GIST:
        assert rel.meta["amname"] == "gist" and "USING gist" in rel.meta["indexdef"]


@pytest.mark.parametrize("rel", [r for r in GIST if r.major >= FUNCTIONS_MAJOR], ids=str)
def test_pages_equal_pageinspect(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    pages = _pages(rel)
    assert len(pages) == len(oracle) == rel.meta["blocks"]["main"]
    items = 0
    for page in pages:
        want = oracle[page.blkno]
        where = f"{rel} block {page.blkno}"
        assert page.diagnostics == (), (where, page.diagnostics)
        assert as_int16(page.checksum.computed or 0) == want["page_checksum"] or want["new_page"]
        assert page.kind is PageKind.GIST and isinstance(page, GistPage), where
        info = gist_page_opaque_info(page)
        if _error(want["gist_page_opaque_info"]):
            assert info is None, where
        else:
            assert info is not None, where
            assert {**asdict(info), "flags": list(info.flags)} == want["gist_page_opaque_info"]
        rows = gist_page_items_bytea(page)
        assert rows is not None, where
        assert [asdict(r) for r in rows] == want["gist_page_items_bytea"], where
        typed = gist_page_items(page)
        assert typed is not None, where
        assert [asdict(r) for r in typed] == want["gist_page_items"], where
        items += len(typed)
    assert items > 1000


@pytest.mark.parametrize("rel", GIST, ids=str)
def test_pgstattuple_equals_the_server(rel: FixtureRelation) -> None:
    pages = _pages(rel)
    stats = pgstattuple(pages, major=rel.major)
    assert stats is not None
    assert asdict(stats) == rel.oracle["pgstattuple"]  # the percentages to the last bit
    summary = gist_index_statistics(pages, major=rel.major)
    assert summary.pgstattuple == stats
    assert summary.problems == () and summary.unreachable == ()
    assert summary.pages_per_level[0] == 1 and summary.height == 2
    assert sum(summary.pages_per_level) + summary.deleted_pages == len(pages)
    # relpages is an estimate (0 before the first VACUUM/ANALYZE on 18): at least the block
    # after the last live row
    last = max(int(row["ctid"][1:].split(",")[0]) for row in rel.oracle["table_rows"])
    heap_blocks = max(int(rel.meta["table"]["relpages"]), last + 1)
    assert gist_index_findings(pages, heap_blocks=heap_blocks) == []


@pytest.mark.parametrize("rel", GIST, ids=str)
def test_leaves_hold_the_table_rows(rel: FixtureRelation) -> None:
    """The oracle of 12 and 13 (no per-page functions there), checked on every major: each
    live row's ctid is a leaf item's heap TID (not LP_DEAD), whose key is the row's value."""
    pages = _pages(rel)
    column = _options(rel).columns[0].name
    keys: dict[str, str | None] = {}
    for page in pages:
        if not isinstance(page, GistPage) or not page.is_leaf or page.is_deleted:
            continue
        for item in page.items:
            if item.dead or item.heap_tid is None:
                continue
            (key,) = item.keys
            keys[str(item.heap_tid)] = None if key.is_null else key.text
    rows = rel.oracle["table_rows"]
    assert rows and all(row["ctid"] in keys for row in rows)
    for row in rows:
        got = keys[row["ctid"]]
        if rel.name == "gist_point" and got is not None:
            corner, other = got[: got.index(")") + 1], got[got.index(")") + 2 :]
            assert corner == other, got  # a degenerate box
            got = corner
        assert got == row[column], row


@pytest.mark.parametrize("rel", GIST, ids=str)
def test_untyped_pages_tile_the_same(rel: FixtureRelation) -> None:
    """Without the index description the regions are the same run of bytes (keys are one
    'untyped keys' region per tuple), nothing is diagnosed and only gist_page_items is
    missing."""
    for page, alone in zip(_pages(rel), _pages(rel, typed=False), strict=True):
        assert alone.diagnostics == ()
        assert isinstance(alone, GistPage) and isinstance(page, GistPage)
        assert alone.typed is False and page.typed is True
        assert gist_page_items(alone) is None or alone.is_deleted
        assert gist_page_items_bytea(alone) == gist_page_items_bytea(page)
        assert gist_page_opaque_info(alone) == gist_page_opaque_info(page)
        assert [(r.span.start, r.span.stop) for r in alone.regions if r.item is None] == [
            (r.span.start, r.span.stop) for r in page.regions if r.item is None
        ]


@pytest.mark.parametrize("rel", GIST, ids=str)
def test_regions_and_models_agree_with_the_header(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    for page in _pages(rel):
        header = oracle[page.blkno]["page_header"]
        cursor = 0
        for region in page.regions:
            assert region.span.start == cursor
            cursor = region.span.stop
        assert cursor == page.size
        assert isinstance(page, GistPage) and page.opaque is not None
        assert page.bytes_in(RegionKind.FREE_SPACE) == header["upper"] - header["lower"]
        assert page.bytes_in(RegionKind.SPECIAL) == header["pagesize"] - header["special"] == 16
        assert page.bytes_in(RegionKind.UNUSED) == 0
        assert page.bytes_in(RegionKind.UNKNOWN) == 0
        if page.is_deleted:
            assert page.deleted is not None and page.items == ()
            assert page.deleted.full == (rel.major >= 13)
            assert page.bytes_in(RegionKind.METADATA) == header["lower"] - 24
            continue
        assert len(page.items) == (header["lower"] - 24) // 4
        for item in page.items:
            assert item.tuple is not None and item.tuple.size == item.lp.lp_len
            assert all(k.problem is None for k in item.keys), item
            if page.is_leaf:
                assert item.heap_tid is not None and item.heap_tid.offset >= 1
            else:
                assert item.tuple.t_tid.offset == C.TUPLE_IS_VALID
        if page.dead_items:
            assert page.opaque.has_garbage


def test_the_fixtures_hold_what_they_were_built_for() -> None:
    """gist_point: deleted pages (14+), LP_DEAD items with F_HAS_GARBAGE, F_TUPLES_DELETED;
    gist_box: NULL keys; gist_range: empty, unbounded and NULL ranges."""
    for rel in GIST:
        pages = [p for p in _pages(rel) if isinstance(p, GistPage)]
        texts = [k.display() for p in pages for i in p.items for k in i.keys]
        if rel.name == "gist_point":
            assert any(p.opaque and p.opaque.tuples_deleted for p in pages)
            if rel.major >= FUNCTIONS_MAJOR:
                assert sum(p.is_deleted for p in pages) >= 4
                assert any(p.dead_items for p in pages)
                assert any(p.opaque and p.opaque.has_garbage for p in pages)
        elif rel.name == "gist_box":
            assert "NULL" in texts
        else:
            assert {"NULL", "empty"} <= set(texts)
            assert any(t.endswith(",)") for t in texts)  # upper-unbounded int4range(i, NULL)


@pytest.mark.parametrize("rel", GIST, ids=str)
def test_json_and_text(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    for page in _pages(rel):
        out = gist_page_json(page)
        assert out is not None
        want = oracle[page.blkno]
        for key in ("gist_page_opaque_info", "gist_page_items_bytea", "gist_page_items"):
            assert key in out
            if key in want:
                assert out[key] == want[key], key
        own = out["gist"]
        assert own["page_type"] in ("leaf", "internal", "deleted") and own["typed"] is True
        assert len(own["items"]) == len(out["gist_page_items"])
        rows = list(gist_page_rows(page))
        assert rows and all(0 <= r[2].start <= r[2].stop <= page.size for r in rows if r[2])
