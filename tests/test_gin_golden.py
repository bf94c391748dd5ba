"""Every page of every GIN fixture (PostgreSQL 12 to 18) against pageinspect on the same bytes:
gin_page_opaque_info, gin_metapage_info and gin_leafpage_items field by field (None where the
server raised); pages decode without a single diagnostic and their regions tile the page with
no byte unaccounted for. The keys -> TIDs map decoded from the whole index (entry tree,
posting trees, pending list) equals the one computed from the table's live rows, and
pgstatginindex equals the server's."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py import constants as C
from pageinspect_py.analysis.ginstats import (
    KeyId,
    gin_index_findings,
    gin_index_statistics,
    gin_key_map,
    pgstatginindex,
    scan_gin_index,
)
from pageinspect_py.catalog.index import index_from_manifest
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.gin import (
    GinDataPage,
    GinEntryPage,
    GinKey,
    GinMetaPage,
    KeyKind,
    gin_leafpage_items,
    gin_metapage_info,
    gin_options,
    gin_page_opaque_info,
)
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.page.checksum import as_int16
from pageinspect_py.render.gin import gin_page_json, gin_page_rows
from pageinspect_py.sources.file import FileSource

GIN = list(relations("gin"))
MAJORS = list(range(12, 19))
NAMES = {"gin_tsvector", "gin_array", "gin_jsonb", "gin_jsonb_path", "gin_deleted", "gin_multi"}


def _error(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"error"}


_CACHE: dict[tuple[str, bool], list[Page]] = {}


def _pages(rel: FixtureRelation, typed: bool = True) -> list[Page]:
    """The index's pages decoded (with its description unless ``typed`` is False), once."""
    key = (str(rel), typed)
    if key not in _CACHE:
        options = gin_options(index_from_manifest(rel.meta) if typed else None)
        with FileSource(rel.file("main")) as source:
            _CACHE[key] = scan_gin_index(source, options)
    return _CACHE[key]


def _oracle(rel: FixtureRelation) -> dict[int, dict[str, Any]]:
    return {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}


def test_every_major_has_the_gin_fixtures() -> None:
    for major in MAJORS:
        assert {r.name for r in GIN if r.major == major} == NAMES
    for rel in GIN:
        assert rel.meta["amname"] == "gin" and "USING gin" in rel.meta["indexdef"]


@pytest.mark.parametrize("rel", GIN, ids=str)
def test_pages_equal_pageinspect(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    pages = _pages(rel)
    assert len(pages) == len(oracle) == rel.meta["blocks"]["main"]
    for page in pages:
        want = oracle[page.blkno]
        where = f"{rel} block {page.blkno}"
        assert page.diagnostics == (), (where, page.diagnostics)
        assert as_int16(page.checksum.computed or 0) == want["page_checksum"] or want["new_page"]
        assert page.kind is (PageKind.NEW if want["new_page"] else PageKind.GIN), where
        info = gin_page_opaque_info(page)
        if _error(want["gin_page_opaque_info"]) or want["gin_page_opaque_info"] is None:
            assert info is None, where
        else:
            assert info is not None, where
            assert dict(asdict(info), flags=list(info.flags)) == want["gin_page_opaque_info"]
        meta = gin_metapage_info(page)
        if _error(want["gin_metapage_info"]) or want["gin_metapage_info"] is None:
            assert meta is None, where
        else:
            assert meta is not None and asdict(meta) == want["gin_metapage_info"], where
        items = gin_leafpage_items(page)
        if _error(want["gin_leafpage_items"]) or want["gin_leafpage_items"] is None:
            assert items is None, where
        else:
            assert items is not None, where
            got = [dict(asdict(row), tids=list(row.tids)) for row in items]
            assert got == want["gin_leafpage_items"], where


@pytest.mark.parametrize("rel", GIN, ids=str)
def test_regions_tile_and_agree_with_the_header(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    for page in _pages(rel):
        header = oracle[page.blkno]["page_header"]
        cursor = 0
        for region in page.regions:
            assert region.span.start == cursor
            cursor = region.span.stop
        assert cursor == page.size
        assert page.bytes_in(RegionKind.UNUSED) == 0
        assert page.bytes_in(RegionKind.UNKNOWN) == 0
        assert page.bytes_in(RegionKind.SPECIAL) == header["pagesize"] - header["special"] == 8
        assert page.bytes_in(RegionKind.FREE_SPACE) == header["upper"] - header["lower"]
        if isinstance(page, GinMetaPage):
            assert page.meta is not None
            # the struct, its two 4-byte holes included (named as padding fields)
            assert page.bytes_in(RegionKind.METADATA) == header["lower"] - 24
            holes = [f for f in page.meta.fields() if f.name == "padding"]
            assert sum(f.span.length for f in holes) == 8
        elif isinstance(page, GinEntryPage):
            assert len(page.entries) == len(page.line_pointers) == (header["lower"] - 24) // 4
        elif isinstance(page, GinDataPage) and page.opaque is not None and page.opaque.is_leaf:
            assert (
                page.bytes_in(RegionKind.POSTING_LIST) + page.bytes_in(RegionKind.ALIGNMENT_PADDING)
                == header["lower"] - 24 - 6
            )


@pytest.mark.parametrize("rel", GIN, ids=str)
def test_untyped_decoding_gives_the_same_pages(rel: FixtureRelation) -> None:
    """Without the index description the keys are bytes, but the structure (posting lists,
    trees, pageinspect's projections) is the same, and still no diagnostics."""
    for typed, bare in zip(_pages(rel), _pages(rel, typed=False), strict=True):
        assert bare.diagnostics == ()
        assert type(bare) is type(typed)
        assert gin_leafpage_items(bare) == gin_leafpage_items(typed)
        if isinstance(bare, GinEntryPage) and isinstance(typed, GinEntryPage):
            for a, b in zip(bare.entries, typed.entries, strict=True):
                assert a.tids == b.tids and a.kind is b.kind
                assert a.key.kind is KeyKind.UNTYPED and a.key.category == b.key.category


@pytest.mark.parametrize("rel", GIN, ids=str)
def test_pgstatginindex_and_findings(rel: FixtureRelation) -> None:
    pages = _pages(rel)
    stats = pgstatginindex(pages)
    assert stats is not None and asdict(stats) == rel.oracle["pgstatginindex"]
    summary = gin_index_statistics(pages)
    assert summary.problems == ()
    assert [f.describe() for f in gin_index_findings(pages)] == []
    meta = pages[0]
    assert isinstance(meta, GinMetaPage) and meta.meta is not None
    assert summary.pending_pages == meta.meta.nPendingPages
    assert summary.pending_heap_tuples == meta.meta.nPendingHeapTuples
    assert summary.bytes_per_tid is not None and summary.bytes_per_tid < 6
    if rel.name == "gin_tsvector":
        assert summary.pages_by_type["posting-tree internal"] >= 1
        assert summary.pages_by_type["entry internal"] >= 1 and summary.posting_trees >= 1
        assert summary.pending_heap_tuples == 300
    if rel.name == "gin_array":
        assert set(summary.entries_by_category) == set(C.GIN_CAT_NAMES.values())
    if rel.name == "gin_deleted":
        deleted = [p for p in pages if isinstance(p, GinDataPage) and p.deleted]
        assert summary.deleted_pages == len(deleted) >= 1
        assert all(p.delete_xid == p.header.pd_prune_xid != 0 for p in deleted)


# ----------------------------------------------------------------------------------------------
# keys -> TIDs from the table's rows

_LEXEME = re.compile(r"'((?:[^']|'')*)'(?::[0-9A-D,]+)?")


def _tsvector_keys(text: str) -> list[str]:
    return [m.group(1).replace("''", "'") for m in _LEXEME.finditer(text)]


def _jsonb_keys(value: Any, in_array: bool = False) -> list[tuple[int, str]]:
    """gin_extract_jsonb: object keys, scalar values, string array elements as keys."""
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out.append((C.JGINFLAG_KEY, k))
            out.extend(_jsonb_keys(v))
        return out
    if isinstance(value, list):
        return [key for item in value for key in _jsonb_keys(item, in_array=True)]
    if value is None:
        return [(C.JGINFLAG_NULL, "")]
    if isinstance(value, bool):
        return [(C.JGINFLAG_BOOL, "t" if value else "f")]
    if isinstance(value, int | float):
        return [(C.JGINFLAG_NUM, str(value))]
    return [(C.JGINFLAG_KEY if in_array else C.JGINFLAG_STR, str(value))]


def _expected_map(rel: FixtureRelation) -> dict[KeyId, set[str]]:
    column = next(a["attname"] for a in rel.meta["table"]["attributes"] if a["attname"] != "id")
    out: dict[KeyId, set[str]] = {}

    def add(key: GinKey, ctid: str) -> None:
        out.setdefault(key.map_key, set()).add(ctid)

    norm = C.GIN_CAT_NORM_KEY
    for row in rel.oracle["table_rows"]:
        text, ctid = row[column], row["ctid"]
        if text is None:
            add(GinKey(C.GIN_CAT_NULL_ITEM), ctid)
            continue
        if rel.name == "gin_tsvector":
            keys = [GinKey(norm, kind=KeyKind.TYPED, text=k) for k in _tsvector_keys(text)]
        elif rel.name == "gin_array":
            keys = [
                GinKey(C.GIN_CAT_NULL_KEY) if e == "NULL" else GinKey(norm, text=e)
                for e in text.strip("{}").split(",")
                if e
            ]
        else:
            keys = [
                GinKey(norm, kind=KeyKind.JSONB, text=t, jsonb_flag=f)
                for f, t in _jsonb_keys(json.loads(text))
            ]
        if not keys:
            add(GinKey(C.GIN_CAT_EMPTY_ITEM), ctid)
        for key in keys:
            add(key, ctid)
    return out


@pytest.mark.parametrize(
    "rel", [r for r in GIN if r.name in ("gin_tsvector", "gin_array", "gin_jsonb")], ids=str
)
def test_key_map_equals_the_table(rel: FixtureRelation) -> None:
    got = gin_key_map(_pages(rel))
    want = _expected_map(rel)
    assert got.keys() == want.keys()
    for key, tids in want.items():
        assert got[key] == tids, key


@pytest.mark.parametrize("rel", [r for r in GIN if r.name == "gin_jsonb_path"], ids=str)
def test_jsonb_path_ops_holds_every_row(rel: FixtureRelation) -> None:
    """jsonb_path_ops keys are hashes: the TIDs under them are every row's."""
    got = gin_key_map(_pages(rel))
    assert all(text.startswith("hash 0x") for _, _, text in got)
    assert set().union(*got.values()) == {row["ctid"] for row in rel.oracle["table_rows"]}


@pytest.mark.parametrize("rel", [r for r in GIN if r.name == "gin_deleted"], ids=str)
def test_deleted_fixture_holds_the_surviving_tids(rel: FixtureRelation) -> None:
    """One key, ARRAY[1]: its TIDs are those of the leaves still linked into the tree, the
    same as gin_leafpage_items lists on them (the deleted leaf is empty)."""
    pages = _pages(rel)
    (tids,) = gin_key_map(pages).values()
    listed = {
        tid
        for page in pages
        if not (isinstance(page, GinDataPage) and page.deleted)
        for row in gin_leafpage_items(page) or ()
        for tid in row.tids
    }
    assert tids == listed and len(tids) == 40000 - 20001


@pytest.mark.parametrize("rel", GIN, ids=str)
def test_json_and_text(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    for page in _pages(rel):
        out = gin_page_json(page)
        want = oracle[page.blkno]
        assert out is not None
        for key in ("gin_page_opaque_info", "gin_metapage_info", "gin_leafpage_items"):
            if _error(want[key]) or want[key] is None:
                assert key not in out, key
            else:
                assert out[key] == want[key], key
        json.dumps(out)
        assert "gin" in out
        rows = list(gin_page_rows(page))
        assert rows and all(0 <= r[2].start <= r[2].stop <= page.size for r in rows if r[2])
