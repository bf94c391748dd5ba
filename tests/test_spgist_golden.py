"""Every page of every SP-GiST fixture (PostgreSQL 12 to 18) decoded with the index's opclass:
no diagnostic, regions that tile the page the way the page header says (no byte unaccounted
for), and the oracle the table gives: the multiset of (heap TID, value) of the live leaf tuples
reached from the roots equals ``table_rows`` (points as their text, text rebuilt from the
prefixes and node labels down the path plus the leaf's suffix), NULL rows in the nulls tree;
the opaque counts equal the page's PLACEHOLDER and REDIRECT tuples."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py import constants as C
from pageinspect_py.analysis.spgiststats import (
    scan_spgist_index,
    spgist_index_findings,
    spgist_index_options,
    spgist_index_statistics,
    walk_spgist,
)
from pageinspect_py.catalog.index import index_from_manifest
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.decode.spgist import SpGistPage, SpGistPageType
from pageinspect_py.page.checksum import as_int16
from pageinspect_py.render.spgist import spgist_page_json, spgist_page_rows
from pageinspect_py.sources.file import FileSource

SPGIST = list(relations("spgist"))
MAJORS = list(range(12, 19))
_CACHE: dict[str, list[Page]] = {}


def _pages(rel: FixtureRelation, typed: bool = True) -> list[Page]:
    key = f"{rel}:{typed}"
    if key not in _CACHE:
        options = spgist_index_options(index_from_manifest(rel.meta) if typed else None, rel.major)
        with FileSource(rel.file("main")) as source:
            _CACHE[key] = scan_spgist_index(source, options)
    return _CACHE[key]


def _oracle(rel: FixtureRelation) -> dict[int, dict[str, Any]]:
    return {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}


def _column(rel: FixtureRelation) -> str:
    return str(rel.meta["attributes"][0]["attname"])


def test_every_major_has_the_three_fixtures() -> None:
    names = Counter(rel.name for rel in SPGIST)
    assert names == {"spgist_quad": 7, "spgist_kd": 7, "spgist_text": 7, "spgist_same": 7}
    assert sorted({rel.major for rel in SPGIST}) == MAJORS


@pytest.mark.parametrize("rel", SPGIST, ids=str)
def test_pages_decode_cleanly_and_tile(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    pages = _pages(rel)
    assert len(pages) == rel.meta["blocks"]["main"]
    for page in pages:
        want = oracle[page.blkno]
        where = f"{rel} block {page.blkno}"
        assert page.diagnostics == (), (where, page.diagnostics)
        assert as_int16(page.checksum.computed or 0) == want["page_checksum"] or want["new_page"]
        assert page.kind is (PageKind.NEW if want["new_page"] else PageKind.SPGIST), where
        cursor = 0
        for region in page.regions:
            assert region.span.start == cursor, where
            cursor = region.span.stop
        assert cursor == page.size
        if page.kind is PageKind.NEW:
            continue
        assert isinstance(page, SpGistPage), where
        header = want["page_header"]
        assert page.bytes_in(RegionKind.UNUSED) == 0, where
        assert page.bytes_in(RegionKind.UNKNOWN) == 0, where
        assert page.bytes_in(RegionKind.FREE_SPACE) == header["upper"] - header["lower"], where
        assert page.bytes_in(RegionKind.SPECIAL) == header["pagesize"] - header["special"] == 8
        assert page.opaque is not None and page.opaque.spgist_page_id == C.SPGIST_PAGE_ID
        if page.blkno == 0:
            assert page.page_type is SpGistPageType.META and page.meta is not None
            assert page.meta.magicNumber == C.SPGIST_MAGIC_NUMBER
            assert page.bytes_in(RegionKind.METADATA) == header["lower"] - 24
            continue
        # every item is decoded: one tuple per line pointer
        assert len(page.tuples()) == len(page.line_pointers) == (header["lower"] - 24) // 4
        assert page.bytes_in(RegionKind.ITEM) == 0, where
        # the opaque counts equal the page's placeholder and redirect tuples
        states = Counter(t.tupstate for t in page.dead_tuples)
        assert page.opaque.nPlaceholder == states[C.SPGIST_PLACEHOLDER], where
        assert page.opaque.nRedirection == states[C.SPGIST_REDIRECT], where
        for t in page.tuples():
            assert t.size == t.lp.lp_len
        assert page.stores_nulls == (page.blkno == C.SPGIST_NULL_BLKNO), where


@pytest.mark.parametrize("rel", SPGIST, ids=str)
def test_live_leaves_equal_the_table(rel: FixtureRelation) -> None:
    pages = _pages(rel)
    walk = walk_spgist(pages)
    assert walk.findings == ()
    column = _column(rel)
    want = Counter((row["ctid"], row[column]) for row in rel.oracle["table_rows"])
    got = Counter((str(v.heap_tid), None if v.isnull else v.value) for v in walk.leaves)
    assert got == want
    # NULL rows are in the nulls tree (block 2), the others are not
    for value in walk.leaves:
        page = pages[value.block]
        assert isinstance(page, SpGistPage)
        assert page.stores_nulls == value.isnull
    nulls = sum(1 for row in rel.oracle["table_rows"] if row[column] is None)
    assert sum(1 for v in walk.leaves if v.isnull) == nulls
    if rel.name in ("spgist_quad", "spgist_kd"):  # built with NULL rows
        assert nulls > 0


@pytest.mark.parametrize("rel", SPGIST, ids=str)
def test_statistics_and_findings(rel: FixtureRelation) -> None:
    pages = _pages(rel)
    assert spgist_index_findings(pages) == []
    stats = spgist_index_statistics(pages)
    assert stats.findings == 0
    assert stats.nblocks == len(pages) == rel.meta["blocks"]["main"]
    assert stats.pages["meta"] == 1 and stats.pages["nulls_leaf"] == 1
    assert stats.pages["inner"] >= 1 and stats.pages["leaf"] >= 1
    assert stats.live_leaves == len(rel.oracle["table_rows"])
    assert stats.tuples["leaf LIVE"] == stats.live_leaves
    assert stats.depth >= 2 and stats.longest_chain >= 2
    assert 0 < stats.fill < 1
    if rel.name == "spgist_text":  # a quarter deleted and VACUUMed
        assert stats.tuples.get("leaf PLACEHOLDER", 0) > 0
        assert stats.tuples.get("leaf DEAD", 0) > 0


@pytest.mark.parametrize("rel", [r for r in SPGIST if r.major in (12, 14, 18)], ids=str)
def test_untyped_decoding_tiles_the_same(rel: FixtureRelation) -> None:
    """Without the opclass, datums are bytes (datum and its padding one run): the same
    tuples, headers and frame."""
    frame = {RegionKind.TUPLE_HEADER, RegionKind.LINE_POINTER, RegionKind.FREE_SPACE}
    for typed, alone in zip(_pages(rel), _pages(rel, typed=False), strict=True):
        assert alone.diagnostics == ()
        assert alone.bytes_in(RegionKind.UNUSED) == 0
        assert [r for r in alone.regions if r.kind in frame] == [
            r for r in typed.regions if r.kind in frame
        ]
        if isinstance(alone, SpGistPage) and isinstance(typed, SpGistPage):
            assert len(alone.tuples()) == len(typed.tuples())
            assert all((t.datum is None or t.datum.typname is None) for t in alone.leaf_tuples)


@pytest.mark.parametrize("rel", SPGIST, ids=str)
def test_json_and_text(rel: FixtureRelation) -> None:
    for page in _pages(rel):
        out = spgist_page_json(page)
        if page.kind is PageKind.NEW:
            assert out is None and list(spgist_page_rows(page)) == []
            continue
        assert out is not None
        assert "spgist_page_opaque" in out and "spgist" in out
        assert isinstance(page, SpGistPage)
        if page.page_type is SpGistPageType.META:
            assert out["spgist_metapage"]["magicNumber"] == C.SPGIST_MAGIC_NUMBER
            continue
        n = (
            len(out["spgist_inner_tuples"])
            + len(out["spgist_leaf_tuples"])
            + len(out["spgist_dead_tuples"])
        )
        assert n == len(page.line_pointers)
        rows = list(spgist_page_rows(page))
        assert rows and all(0 <= r[2].start <= r[2].stop <= page.size for r in rows if r[2])
