"""Every page of every BRIN index fixture (PostgreSQL 12 to 18: minmax and inclusion; bloom and
minmax-multi from 14) against pageinspect on the same bytes: brin_page_type,
brin_metapage_info, brin_revmap_data (every TID) and brin_page_items (every row, the value
texts of every opclass included); where pageinspect raised an error, we must answer None.
Pages decode without a single diagnostic, with the index's columns or without, and their
regions tile the page the way the page header says. The indexed table's rows are a second
oracle: each summarized range's min and max are those of the rows in its heap blocks."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import asdict
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.catalog.index import index_from_manifest
from pageinspect_py.decode.brin import (
    BrinDecodeOptions,
    BrinMetaPage,
    BrinRegularPage,
    BrinRevmapPage,
    brin_metapage_info,
    brin_options,
    brin_page_items,
    brin_page_items_rows,
    brin_page_type,
    brin_revmap_data,
)
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.layouts.brin import revmap_page_maxitems
from pageinspect_py.page.checksum import as_int16
from pageinspect_py.render.brin import brin_page_json, brin_page_rows
from pageinspect_py.sources.file import FileSource

BRIN = list(relations("brin"))


def _error(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"error"}


def _options(rel: FixtureRelation, source: FileSource) -> BrinDecodeOptions:
    n = source.nblocks("main")
    return brin_options(
        lambda b: source.read_page(b).data if b < n else None,
        index=index_from_manifest(rel.meta),
        major=rel.major,
    )


def _pages(rel: FixtureRelation, typed: bool = True) -> list[Page]:
    with FileSource(rel.file("main")) as source:
        options = _options(rel, source) if typed else None
        return [decode_page(raw, brin=options) for raw in source.pages("main")]


def _oracle(rel: FixtureRelation) -> dict[int, dict[str, Any]]:
    return {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}


def test_every_major_has_the_brin_fixtures() -> None:
    names: dict[int, set[str]] = defaultdict(set)
    for rel in BRIN:
        assert rel.meta["amname"] == "brin" and "USING brin" in rel.meta["indexdef"]
        names[rel.major].add(rel.name)
    assert sorted(names) == list(range(12, 19))
    for major, found in names.items():
        want = {"brin_minmax", "brin_inclusion", "brin_empty"}
        if major >= 14:
            want |= {"brin_bloom", "brin_multi"}
        assert found == want, major


@pytest.mark.parametrize("rel", BRIN, ids=str)
def test_pages_equal_pageinspect(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    pages = _pages(rel)
    assert len(pages) == len(oracle) == rel.meta["blocks"]["main"]
    seen = set()
    rows = 0
    for page in pages:
        want = oracle[page.blkno]
        where = f"{rel} block {page.blkno}"
        assert page.diagnostics == (), (where, page.diagnostics)
        assert as_int16(page.checksum.computed or 0) == want["page_checksum"]
        assert page.kind is PageKind.BRIN, where
        assert brin_page_type(page) == want["brin_page_type"], where
        seen.add(want["brin_page_type"])
        info = brin_metapage_info(page)
        if _error(want["brin_metapage_info"]):
            assert info is None, where
        else:
            assert info is not None and asdict(info) == want["brin_metapage_info"], where
        tids = brin_revmap_data(page)
        if _error(want["brin_revmap_data"]):
            assert tids is None, where
        else:
            assert tids is not None and list(tids) == want["brin_revmap_data"], where
            assert len(tids) == revmap_page_maxitems(page.size)
        items = brin_page_items_rows(page)
        if _error(want["brin_page_items"]):
            assert items is None, where
        else:
            assert items is not None and items == want["brin_page_items"], where
            rows += len(items)
            # the "empty" column exists from 16
            assert ("empty" in items[0]) == (rel.major >= 16)
    assert seen == {"meta", "revmap", "regular"}
    assert rows > 0


@pytest.mark.parametrize("rel", BRIN, ids=str)
def test_without_the_index_the_same_structure(rel: FixtureRelation) -> None:
    """Page by page without options: the same page types, metapage and revmap; the tuples'
    headers are read but not their values (brin_page_items needs the index, as the server's
    does)."""
    oracle = _oracle(rel)
    for page, alone in zip(_pages(rel), _pages(rel, typed=False), strict=True):
        assert alone.diagnostics == ()
        assert type(alone) is type(page)
        assert brin_page_type(alone) == oracle[page.blkno]["brin_page_type"]
        assert brin_metapage_info(alone) == brin_metapage_info(page)
        assert brin_revmap_data(alone) == brin_revmap_data(page)
        assert brin_page_items(alone) is None
        if isinstance(alone, BrinRegularPage) and isinstance(page, BrinRegularPage):
            assert [t.bt_blkno for t in alone.tuples()] == [t.bt_blkno for t in page.tuples()]
            assert all(t.columns is None for t in alone.tuples())
        if isinstance(alone, BrinRevmapPage):
            assert all(e.first_block is None for e in alone.entries)


@pytest.mark.parametrize("rel", BRIN, ids=str)
def test_regions_tile_the_page(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    for typed in (True, False):
        for page in _pages(rel, typed):
            header = oracle[page.blkno]["page_header"]
            cursor = 0
            for region in page.regions:
                assert region.span.start == cursor
                cursor = region.span.stop
            assert cursor == page.size
            assert page.bytes_in(RegionKind.UNUSED) == 0
            assert page.bytes_in(RegionKind.UNKNOWN) == 0
            assert page.bytes_in(RegionKind.SPECIAL) == header["pagesize"] - header["special"] == 8
            if isinstance(page, BrinRevmapPage):
                # the TIDs lie in what the header calls free space (pd_lower stays 24)
                assert page.bytes_in(RegionKind.METADATA) == header["upper"] - header["lower"]
            else:
                assert page.bytes_in(RegionKind.FREE_SPACE) == header["upper"] - header["lower"]
            if isinstance(page, BrinMetaPage):
                assert page.bytes_in(RegionKind.METADATA) == header["lower"] - 24 == 16
            if isinstance(page, BrinRegularPage):
                for item in page.items:
                    t = item.tuple
                    assert t is not None
                    inside = [r for r in page.regions if r.item == item.offnum]
                    assert sum(r.span.length for r in inside) == item.lp.lp_len + 4
                    if typed:
                        assert t.columns is not None
                        assert all(c.problem is None for c in t.columns)


def _revmap_ranges(pages: list[Page]) -> dict[int, tuple[int, int]]:
    """{first heap block of a summarized range: the (block, offset) of its tuple}."""
    out = {}
    for page in pages:
        if isinstance(page, BrinRevmapPage):
            for e in page.summarized():
                assert e.first_block is not None
                out[e.first_block] = (e.tid.block, e.tid.offset)
    return out


@pytest.mark.parametrize("rel", BRIN, ids=str)
def test_revmap_points_at_each_ranges_tuple(rel: FixtureRelation) -> None:
    pages = _pages(rel)
    meta = pages[0]
    assert isinstance(meta, BrinMetaPage) and meta.meta is not None
    ranges = _revmap_ranges(pages)
    tuples = {
        (p.blkno, i.offnum): i.tuple.bt_blkno
        for p in pages
        if isinstance(p, BrinRegularPage)
        for i in p.items
        if i.tuple is not None
    }
    assert sorted(ranges.values()) == sorted(tuples)  # every tuple is referenced, once
    for first, tid in ranges.items():
        assert tuples[tid] == first
        assert first % meta.meta.pagesPerRange == 0


def _int_or_time(typname: str, text: str) -> Any:
    if typname == "int8":
        return int(text)
    if typname == "timestamp":
        return datetime.datetime.fromisoformat(text)
    return text.encode()  # text: the fixtures' strings order bytewise under any collation


_MINMAX_CHECKED = {"int8", "timestamp", "text"}


@pytest.mark.parametrize("rel", [r for r in BRIN if r.name == "brin_minmax"], ids=str)
def test_minmax_equals_the_tables_rows(rel: FixtureRelation) -> None:
    """The indexed table's rows are the oracle of each summarized range: its min and max are
    the extremes of the column over the rows whose ctid block is in the range; allnulls when
    every such row is NULL, hasnulls when some are."""
    pages = _pages(rel)
    meta = pages[0]
    assert isinstance(meta, BrinMetaPage) and meta.meta is not None
    ppr = meta.meta.pagesPerRange
    rows = rel.oracle["table_rows"]
    by_range: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        block = int(row["ctid"].strip("()").split(",")[0])
        by_range[block - block % ppr].append(row)
    checked = 0
    summarized_blocks = set()
    for page in pages:
        if not isinstance(page, BrinRegularPage):
            continue
        for t in page.tuples():
            assert t.columns is not None
            summarized_blocks.add(t.bt_blkno)
            members = by_range[t.bt_blkno]
            for column in t.columns:
                typname = next(
                    a["typname"] for a in rel.meta["attributes"] if a["attname"] == column.attname
                )
                assert typname in _MINMAX_CHECKED
                values = [r[column.attname] for r in members if r[column.attname] is not None]
                nulls = len(members) - len(values)
                assert column.allnulls == (not values), (t.bt_blkno, column.attname)
                # the raw hasnulls bit is set too in an all-NULL range; brin_deform_tuple
                # only reads it for a column with values
                assert (column.hasnulls and not column.allnulls) == (bool(values) and nulls > 0)
                if not values:
                    continue
                low, high = (v.text for v in column.values)
                assert low is not None and high is not None
                key = [_int_or_time(typname, v) for v in values]
                assert _int_or_time(typname, low) == min(key)
                assert _int_or_time(typname, high) == max(key)
                checked += 1
    assert checked > 50
    # the ranges the table grew into after the index was built are not summarized
    assert set(by_range) - summarized_blocks


@pytest.mark.parametrize("rel", BRIN, ids=str)
def test_json_and_text(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    for page in _pages(rel):
        out = brin_page_json(page)
        want = oracle[page.blkno]
        assert out is not None
        assert out["brin_page_type"] == want["brin_page_type"]
        for key in ("brin_metapage_info", "brin_revmap_data", "brin_page_items"):
            if _error(want[key]):
                assert key not in out, key
            else:
                assert out[key] == want[key], key
        assert out["brin"]["special"]["type_name"] == want["brin_page_type"]
        rows = list(brin_page_rows(page))
        assert rows and all(0 <= r[2].start <= r[2].stop <= page.size for r in rows if r[2])
