"""Every page of every hash index fixture (PostgreSQL 12 to 18) against pageinspect on the same
bytes: hash_page_type, hash_page_stats, hash_page_items and hash_metapage_info field by field,
hash_bitmap_info for every block, pgstathashindex for the index; where pageinspect raised an
error, we must answer None. Pages decode without a single diagnostic, with the metapage or
without, and their regions tile the page the way the page header says."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py import constants as C
from pageinspect_py.analysis.hashstats import (
    hash_index_findings,
    hash_index_statistics,
    pgstathashindex,
    scan_hash_index,
)
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.hash import (
    HashBitmapPage,
    HashMetaPage,
    HashPage,
    bitmap_info,
    hash_metapage_info,
    hash_options,
    hash_page_items,
    hash_page_stats,
    hash_page_type,
)
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.page.checksum import as_int16
from pageinspect_py.render.hash import hash_page_json, hash_page_rows
from pageinspect_py.sources.file import FileSource

HASH = list(relations("hash"))
MAJORS = list(range(12, 19))


def _error(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"error"}


def _pages(rel: FixtureRelation, with_meta: bool = True) -> list[Page]:
    with FileSource(rel.file("main")) as source:
        if with_meta:
            return scan_hash_index(source)
        return [decode_page(raw) for raw in source.pages("main")]


def _oracle(rel: FixtureRelation) -> dict[int, dict[str, Any]]:
    return {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}


def test_every_major_has_a_hash_fixture() -> None:
    assert sorted(r.major for r in HASH) == MAJORS
    for rel in HASH:
        assert rel.meta["kind"] == "hash" and rel.meta["amname"] == "hash"
        assert "USING hash" in rel.meta["indexdef"]


@pytest.mark.parametrize("rel", HASH, ids=str)
def test_pages_equal_pageinspect(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    pages = _pages(rel)
    assert len(pages) == len(oracle) == rel.meta["blocks"]["main"]
    seen: set[str] = set()
    for page in pages:
        want = oracle[page.blkno]
        where = f"{rel} block {page.blkno}"
        assert page.diagnostics == (), (where, page.diagnostics)
        assert as_int16(page.checksum.computed or 0) == want["page_checksum"] or want["new_page"]
        if want["new_page"]:
            assert page.kind is PageKind.NEW, where
        else:
            assert page.kind is PageKind.HASH, where
        assert hash_page_type(page) == want["hash_page_type"], where
        seen.add(want["hash_page_type"])
        stats = hash_page_stats(page)
        if _error(want["hash_page_stats"]):
            assert stats is None, where
        else:
            assert stats is not None and asdict(stats) == want["hash_page_stats"], where
        items = hash_page_items(page)
        if _error(want["hash_page_items"]):
            assert items is None, where
        else:
            assert items is not None, where
            assert [asdict(row) for row in items] == want["hash_page_items"], where
        info = hash_metapage_info(page)
        if _error(want["hash_metapage_info"]):
            assert info is None, where
        else:
            assert info is not None, where
            expected = dict(want["hash_metapage_info"])
            expected["procid"] = int(expected["procid"])  # an oid: a JSON string
            got = asdict(info)
            got["spares"], got["mapp"] = list(info.spares), list(info.mapp)
            assert got == expected, where
    assert seen == {"metapage", "bucket", "overflow", "bitmap", "unused"}


@pytest.mark.parametrize("rel", HASH, ids=str)
def test_bitmap_info_equals_pageinspect_for_every_block(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    pages = _pages(rel)
    with FileSource(rel.file("main")) as source:
        n = source.nblocks("main")
        options = hash_options(lambda b: source.read_page(b).data if b < n else None)
    assert options.meta is not None
    answered = 0
    for blkno, want in oracle.items():
        got = bitmap_info(options.meta, blkno, options.bitmaps)
        if _error(want["hash_bitmap_info"]):
            assert got is None, blkno
            continue
        assert got is not None and asdict(got) == want["hash_bitmap_info"], blkno
        answered += 1
        # the page model carries the same answer when it is an overflow (or freed) page
        page = pages[blkno]
        if isinstance(page, HashPage):
            assert page.bitmap_info == got
    assert answered >= 4


@pytest.mark.parametrize("rel", HASH, ids=str)
def test_pgstathashindex_equals_the_server(rel: FixtureRelation) -> None:
    pages = _pages(rel)
    stats = pgstathashindex(pages)
    assert stats is not None
    assert asdict(stats) == rel.oracle["pgstathashindex"]  # free_percent to the last bit
    summary = hash_index_statistics(pages)
    assert summary.problems == ()
    assert summary.new_pages == sum(1 for b in _oracle(rel).values() if b["new_page"])
    # the three keys with hundreds of duplicates chain overflow pages
    assert summary.longest_chain >= 2
    assert hash_index_findings(pages) == []


@pytest.mark.parametrize("rel", HASH, ids=str)
def test_without_the_metapage_the_same_answers(rel: FixtureRelation) -> None:
    """Page by page (no options) the pageinspect projections are the same; only what needs
    the metapage (bucket of each hash code, hash_bitmap_info) is missing."""
    oracle = _oracle(rel)
    for page, alone in zip(_pages(rel), _pages(rel, with_meta=False), strict=True):
        assert alone.diagnostics == ()
        assert type(alone) is type(page)
        assert alone.regions == page.regions
        assert hash_page_type(alone) == oracle[page.blkno]["hash_page_type"]
        assert hash_page_items(alone) == hash_page_items(page)
        assert hash_page_stats(alone) == hash_page_stats(page)
        if isinstance(alone, HashPage):
            assert alone.bitmap_info is None
            assert all(item.bucket is None for item in alone.items)


@pytest.mark.parametrize("rel", HASH, ids=str)
def test_regions_and_models_agree_with_the_header(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    pages = _pages(rel)
    meta_page = pages[0]
    assert isinstance(meta_page, HashMetaPage) and meta_page.meta is not None
    meta = meta_page.meta
    for page in pages:
        header = oracle[page.blkno]["page_header"]
        cursor = 0
        for region in page.regions:
            assert region.span.start == cursor
            cursor = region.span.stop
        assert cursor == page.size
        if page.kind is PageKind.NEW:
            continue
        assert page.bytes_in(RegionKind.FREE_SPACE) == header["upper"] - header["lower"]
        assert page.bytes_in(RegionKind.SPECIAL) == header["pagesize"] - header["special"] == 16
        assert page.bytes_in(RegionKind.UNUSED) == 0
        if isinstance(page, HashMetaPage):
            assert page.bytes_in(RegionKind.METADATA) == header["lower"] - 24
        elif isinstance(page, HashBitmapPage):
            assert page.bitmap is not None
            assert page.bitmap.span.length == meta.hashm_bmsize == header["lower"] - 24
            assert page.bitmap_index == 0 and page.bits_in_use() == meta.overflow_pages
            # the bits of the overflow pages allocated: clear exactly for the freed ones
            free = [
                b
                for b, other in enumerate(pages)
                if bitmap_info(meta, b) is not None
                and isinstance(other, HashPage)
                and other.page_type == "unused"
            ]
            clear = page.bitmap.clear_bits(meta.overflow_pages)
            assert [meta.bitno_to_blkno(bit) for bit in clear] == free
            assert meta.hashm_firstfree == (clear[0] if clear else meta.overflow_pages)
        elif isinstance(page, HashPage):
            dead = [i for i in page.items if i.dead]
            assert page.opaque is not None
            assert page.opaque.has_dead_tuples == bool(dead)
            assert len(page.items) == (header["lower"] - 24) // 4
            for item in page.items:
                assert item.tuple is not None and item.tuple.size == item.lp.lp_len == 16
                assert item.bucket == page.opaque.hasho_bucket  # _hash_hashkey2bucket
            if page.page_type == "bucket":
                assert meta.bucket_blkno(page.opaque.hasho_bucket) == page.blkno


@pytest.mark.parametrize("rel", HASH, ids=str)
def test_json_and_text(rel: FixtureRelation) -> None:
    oracle = _oracle(rel)
    for page in _pages(rel):
        out = hash_page_json(page)
        want = oracle[page.blkno]
        if page.kind is PageKind.NEW:
            assert out is None and list(hash_page_rows(page)) == []
            continue
        assert out is not None
        assert out["hash_page_type"] == want["hash_page_type"]
        for key in ("hash_page_stats", "hash_page_items", "hash_bitmap_info"):
            if _error(want[key]):
                assert key not in out, key
            else:
                assert out[key] == want[key], key
        if not _error(want["hash_metapage_info"]):
            expected = dict(
                want["hash_metapage_info"], procid=int(want["hash_metapage_info"]["procid"])
            )
            assert out["hash_metapage_info"] == expected
        rows = list(hash_page_rows(page))
        assert rows and all(0 <= r[2].start <= r[2].stop <= page.size for r in rows if r[2])


def test_hash_page_counts_cover_the_fixture() -> None:
    """What the fixture was built for (the manifest's checks say the same)."""
    for rel in HASH:
        checks = rel.manifest["checks"]
        types = checks[f"{rel.name}.page_types"]
        assert types["overflow"] >= 2 and types["bitmap"] == 1 and types["unused"] >= 1
        assert types["new"] >= 1
        assert checks[f"{rel.name}.lp_dead_items"] > 0
        assert checks[f"{rel.name}.hash_bitmap_info_bits"]["clear"] >= 1
        pages = _pages(rel)
        dead = sum(1 for p in pages if isinstance(p, HashPage) for i in p.items if i.dead)
        assert dead == checks[f"{rel.name}.lp_dead_items"]
        assert C.HASH_METAPAGE == 0 and isinstance(pages[0], HashMetaPage)


_HASH_FIXTURES = sorted(
    Path(__file__).resolve().parent.parent.glob("fixtures/pg*/hash_dups/pageinspect.json")
)


@pytest.mark.parametrize("major", [int(p.parent.parent.name[2:]) for p in _HASH_FIXTURES])
def test_pgpage_stats_of_a_hash_index_is_pgstathashindex(major: int) -> None:
    """pgpage stats on a hash index prints the server's pgstathashindex() row."""
    folder = Path(__file__).resolve().parent.parent / "fixtures" / f"pg{major}" / "hash_dups"
    (index,) = [p for p in folder.glob("*.gz") if "_" not in p.name]
    out = subprocess.run(
        [sys.executable, "-m", "pageinspect_py.cli", "stats", str(index), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    expected = json.loads((folder / "pageinspect.json").read_text())["pgstathashindex"]
    assert json.loads(out.stdout)["pgstathashindex"] == expected
