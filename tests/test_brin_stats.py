"""BRIN index statistics and cross-page findings on the fixtures of 12-18 (the oracle: the
revmap the server wrote and brin_page_items' rows), and the findings on damaged copies: a
revmap TID moved to another tuple, a duplicated one, an orphan tuple, min above max, a
bloom filter whose nbits_set lies, a lastRevmapPage past the revmap."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.analysis.brinstats import (
    brin_index_findings,
    brin_index_options,
    brin_index_statistics,
    brin_statistics_of,
    scan_brin_index,
)
from pageinspect_py.catalog.index import index_from_manifest
from pageinspect_py.decode.brin import BrinDecodeOptions, BrinRegularPage, brin_options
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import Page
from pageinspect_py.sources.file import FileSource

BRIN = list(relations("brin"))


def _blocks(rel: FixtureRelation) -> list[bytes]:
    with FileSource(rel.file("main")) as source:
        return [raw.data for raw in source.pages("main")]


def _decode(rel: FixtureRelation, blocks: list[bytes]) -> list[Page]:
    options = brin_options(
        lambda b: blocks[b] if b < len(blocks) else None,
        index=index_from_manifest(rel.meta),
        major=rel.major,
    )
    return [decode_page(data, blkno, brin=options) for blkno, data in enumerate(blocks)]


def _heap_blocks(rel: FixtureRelation) -> int:
    return 1 + max(int(r["ctid"].strip("()").split(",")[0]) for r in rel.oracle["table_rows"])


def _items(rel: FixtureRelation) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for block in rel.oracle["blocks"]:
        rows = block.get("brin_page_items")
        if block["fork"] == "main" and isinstance(rows, list):
            out.extend(rows)
    return out


@pytest.mark.parametrize("rel", BRIN, ids=str)
def test_statistics_agree_with_the_server(rel: FixtureRelation) -> None:
    blocks = _blocks(rel)
    pages = _decode(rel, blocks)
    stats = brin_index_statistics(pages, _heap_blocks(rel))
    items = _items(rel)
    tuples = {(r["blknum"]) for r in items if r["blknum"] is not None}
    revmap = [
        t for b in rel.oracle["blocks"] if isinstance(b.get("brin_revmap_data"), list)
        for t in b["brin_revmap_data"] if t != "(0,0)"
    ]  # fmt: skip
    assert stats.problems == ()
    assert stats.ranges_summarized == len(revmap) == len(tuples) == stats.tuples
    assert stats.placeholders == sum(1 for r in items if r["placeholder"]) == 0
    # a summarized range none of the table's rows lies in is empty (the bit is written on
    # every major; pageinspect's ``empty`` column says so from 16)
    per_range = int(rel.meta["reloptions"][0].split("=")[1])
    row_blocks = {int(r["ctid"].strip("()").split(",")[0]) for r in rel.oracle["table_rows"]}
    empty = {b for b in tuples if not any(b <= row < b + per_range for row in row_blocks)}
    assert stats.empty_ranges == len(empty)
    assert (rel.name == "brin_empty") == bool(empty)
    if rel.major >= 16:
        assert empty == {r["blknum"] for r in items if r.get("empty")}
    assert stats.pages_by_type["meta"] == 1
    assert stats.pages_by_type["revmap"] == stats.last_revmap_page == 1
    assert stats.pages_by_type["regular"] == len(blocks) - 2
    assert stats.pages_per_range == int(rel.meta["reloptions"][0].split("=")[1])
    assert sum(stats.tuples_per_page.values()) == stats.tuples
    for block in rel.oracle["blocks"]:
        if block["fork"] == "main" and block["block"] in stats.free_bytes:
            h = block["page_header"]
            assert stats.free_bytes[block["block"]] == h["upper"] - h["lower"]
    assert stats.unsummarized_holes == 0
    assert stats.evacuating_pages == ()
    if rel.name == "brin_minmax":
        # rows added after the build fill ranges nobody summarized
        assert stats.ranges_not_summarized is not None and stats.ranges_not_summarized > 0
    if rel.name == "brin_bloom":
        assert len(stats.bloom) == 2 * stats.tuples
        for b in stats.bloom:
            assert b.nbits_set == b.bits_counted and 0 < b.fill < 1
        fill = stats.bloom_fill_by_column()
        assert set(fill) == {1, 2}
        texts = [r["value"] for r in items if r["attnum"] == 1]
        assert all(f"nbits_set: {b.nbits_set}}}" in t for b, t in zip(
            [b for b in stats.bloom if b.attnum == 1], texts, strict=True
        ))  # fmt: skip
    else:
        assert stats.bloom == ()
    if rel.name == "brin_multi":
        assert len(stats.multi) == 2 * stats.tuples
        assert all(0 < m.used <= m.maxvalues for m in stats.multi)
        assert set(stats.multi_values_by_column()) == {1, 2}
    else:
        assert stats.multi == ()
    assert brin_index_findings(pages) == []


@pytest.mark.parametrize("rel", [r for r in BRIN if r.major in (12, 17)], ids=str)
def test_scan_from_a_source(rel: FixtureRelation) -> None:
    with FileSource(rel.file("main")) as source:
        options = brin_index_options(source, index_from_manifest(rel.meta), rel.major)
        assert isinstance(options, BrinDecodeOptions) and options.meta is not None
        pages = scan_brin_index(source, index_from_manifest(rel.meta), rel.major)
        stats, findings = brin_statistics_of(source, index_from_manifest(rel.meta), rel.major)
    assert all(p.diagnostics == () for p in pages)
    assert findings == [] and stats.tuples > 0


def _minmax(major: int = 17) -> FixtureRelation:
    return next(r for r in BRIN if r.name == "brin_minmax" and r.major == major)


def _codes(pages: list[Page]) -> list[str]:
    return [f.code for f in brin_index_findings(pages)]


_TID = struct.Struct("<HHH")


def _set_tid(page: bytearray, slot: int, block: int, offset: int) -> None:
    _TID.pack_into(page, 24 + 6 * slot, block >> 16, block & 0xFFFF, offset)


def test_a_moved_and_a_duplicated_tid() -> None:
    rel = _minmax()
    blocks = _blocks(rel)
    revmap = bytearray(blocks[1])
    _set_tid(revmap, 0, 2, 2)  # range 0 now points at range 1's tuple
    pages = _decode(rel, [blocks[0], bytes(revmap), *blocks[2:]])
    codes = _codes(pages)
    assert "brin-revmap-duplicate" in codes
    assert "brin-revmap-target" in codes  # (2,2) is the tuple of heap block 1, not 0
    assert "brin-orphan-tuple" in codes  # (2,1) lost its slot


def test_a_tid_past_the_index_and_past_the_line_pointers() -> None:
    rel = _minmax()
    blocks = _blocks(rel)
    revmap = bytearray(blocks[1])
    _set_tid(revmap, 0, 40, 1)
    _set_tid(revmap, 1, 2, 500)
    pages = _decode(rel, [blocks[0], bytes(revmap), *blocks[2:]])
    messages = [f.message for f in brin_index_findings(pages) if f.code == "brin-revmap-target"]
    assert any("past the index's blocks" in m for m in messages)
    assert any("line pointers" in m for m in messages)


def test_min_above_max() -> None:
    rel = _minmax()
    blocks = _blocks(rel)
    pages = _decode(rel, blocks)
    page = pages[2]
    assert isinstance(page, BrinRegularPage)
    t = page.items[0].tuple
    assert t is not None and t.columns is not None
    low = t.columns[0].values[0]
    assert low.span is not None
    damaged = bytearray(blocks[2])
    damaged[low.span.start : low.span.stop] = struct.pack("<q", 10**9)
    pages = _decode(rel, [*blocks[:2], bytes(damaged)])
    assert "brin-minmax-order" in _codes(pages)


def test_a_lying_bloom_filter() -> None:
    rel = next(r for r in BRIN if r.name == "brin_bloom" and r.major == 17)
    blocks = _blocks(rel)
    page = _decode(rel, blocks)[2]
    assert isinstance(page, BrinRegularPage)
    t = page.items[0].tuple
    assert t is not None and t.columns is not None
    value = t.columns[0].values[0]
    assert value.span is not None
    damaged = bytearray(blocks[2])
    # nbits_set: the 4-byte header, flags, nhashes, a pad byte, nbits, then nbits_set
    at = value.span.start + 4 + 8
    struct.pack_into("<I", damaged, at, struct.unpack_from("<I", damaged, at)[0] + 1)
    pages = _decode(rel, [*blocks[:2], bytes(damaged), *blocks[3:]])
    assert "brin-bloom-bits" in _codes(pages)


def test_last_revmap_page_past_the_revmap() -> None:
    rel = _minmax()
    blocks = _blocks(rel)
    meta = bytearray(blocks[0])
    struct.pack_into("<I", meta, 24 + 12, 2)  # lastRevmapPage 2: block 2 is a regular page
    pages = _decode(rel, [bytes(meta), *blocks[1:]])
    assert "brin-revmap-missing" in _codes(pages)
    # the decoder, given that metapage, says the same of block 2 itself
    assert any(d.code == "brin-regular-block" for d in pages[2].diagnostics)


def test_no_metapage() -> None:
    rel = _minmax()
    blocks = _blocks(rel)
    pages = _decode(rel, blocks[1:])
    assert _codes(pages) == ["brin-no-metapage"]
    assert brin_index_statistics(pages).problems
