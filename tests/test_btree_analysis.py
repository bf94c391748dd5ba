"""Whole-index work on the fixtures: pgstatindex() from the pages, the tree API against what
pageinspect reported (links, levels, downlinks), typed paths to keys, and the structural
checks, which find nothing on healthy indexes and report damaged copies without crashing."""

from __future__ import annotations

import gzip
import itertools
import math
import re
import struct
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.analysis.btree import BtreeIndex, Finding, scan_index
from pageinspect_py.catalog.index import IndexDescription, index_from_manifest
from pageinspect_py.sources.file import FileSource

BTREE = list(relations("btree"))
BLCKSZ = 8192


def describe(rel: FixtureRelation) -> IndexDescription:
    # the fixture clusters are initialised with --locale=C
    return index_from_manifest(rel.meta, default_collation_is_c=True)


def scan(rel: FixtureRelation, path: Path | None = None) -> BtreeIndex:
    with FileSource(path or rel.file("main")) as src:
        tree = scan_index(src, index=describe(rel), major=rel.major)
        tree.statistics(rel.major)  # everything below reads from summaries only
        return tree


def fixture(major: int, name: str) -> FixtureRelation:
    return next(r for r in BTREE if r.major == major and r.name == name)


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_statistics_match_pgstatindex(rel: FixtureRelation) -> None:
    tree = scan(rel)
    got = asdict(tree.statistics(rel.major).pgstatindex)
    expected = rel.oracle["pgstatindex"]
    for key, value in expected.items():
        mine = got[key]
        if isinstance(value, str):  # "NaN" in JSON
            assert math.isnan(mine), key
        else:
            assert mine == value, f"{rel} {key}"


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_extra_statistics_add_up(rel: FixtureRelation) -> None:
    """Our own figures agree with pageinspect's per-page counts on the same bytes."""
    stats = scan(rel).statistics(rel.major)
    live = dead = posting = tids = 0
    for block in rel.oracle["blocks"]:
        page = block.get("bt_page_stats")
        if not page or page.get("type") in ("d", "D"):
            continue
        live += page["live_items"]
        dead += page["dead_items"]
        for item in block.get("bt_page_items") or []:
            if item.get("tids"):
                posting += 1
                tids += len(item["tids"])
    assert sum(level.live_items for level in stats.levels) == live
    assert stats.dead_items == dead
    assert sum(level.posting_tuples for level in stats.levels) == posting
    assert sum(level.posting_tids for level in stats.levels) == tids
    if posting:
        assert stats.dedup_saved_bytes > 0
        assert stats.posting_tid_share is not None and 0 < stats.posting_tid_share <= 1
    assert stats.key_widths.tuples == sum(
        level.leaf_tuples + level.posting_tuples for level in stats.levels
    )


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_tree_api_matches_pageinspect(rel: FixtureRelation) -> None:
    tree = scan(rel)
    meta = rel.oracle["bt_metap"]
    assert tree.root() == meta["root"]
    assert tree.fast_root() == meta["fastroot"]
    by_level: dict[int, set[int]] = {}
    for block in rel.oracle["blocks"]:
        stats = block.get("bt_page_stats")
        if not stats or stats["type"] in ("d", "D"):
            continue
        blkno = block["block"]
        level = stats.get("btpo_level", stats.get("btpo"))
        by_level.setdefault(level, set()).add(blkno)
        assert tree.left(blkno) == (stats["btpo_prev"] or None)
        assert tree.right(blkno) == (stats["btpo_next"] or None)
        if stats["type"] in ("i", "r"):
            items = block["bt_page_items"]
            first = 0 if stats["btpo_next"] == 0 else 1  # skip the high key
            downlinks = [
                int(re.match(r"\((\d+),", row["ctid"]).group(1))  # type: ignore[union-attr]
                for row in items[first:]
            ]
            assert tree.children(blkno) == tuple(downlinks)
    levels = tree.levels()
    assert {k: set(v) for k, v in levels.items()} == by_level
    assert max(levels) == meta["level"]
    for level, pages in levels.items():  # sibling order: each page's right link is the next
        for left, right in itertools.pairwise(pages):
            assert tree.right(left) == right, level


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_healthy_indexes_have_no_findings(rel: FixtureRelation) -> None:
    assert scan(rel).check() == ()


def leaf_rows(rel: FixtureRelation) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for block in rel.oracle["blocks"]:
        stats = block.get("bt_page_stats")
        if stats and stats["type"] == "l":
            first = 0 if stats["btpo_next"] == 0 else 1
            out += [(block["block"], row) for row in block["bt_page_items"][first:]]
    return out


@pytest.mark.parametrize("major", range(12, 19))
def test_path_to_every_key_of_a_unique_index(major: int) -> None:
    """For each leaf tuple pageinspect listed, the path for its key (int4 from its data
    bytes) ends on that tuple's block and item."""
    rel = fixture(major, "bt_int_unique")
    tree = scan(rel)
    rows = leaf_rows(rel)
    assert rows
    for blkno, row in rows[::7]:
        key = struct.unpack("<i", bytes.fromhex(row["data"].replace(" ", ""))[:4])[0]
        path = tree.path_to([key])
        assert path[0].blkno == tree.root()
        last = path[-1]
        assert (last.blkno, last.offnum, last.found) == (blkno, row["itemoffset"], True), key
        assert [step.level for step in path] == list(range(len(path) - 1, -1, -1))


@pytest.mark.parametrize("major", [12, 15, 18])
def test_path_to_text_keys_and_missing_keys(major: int) -> None:
    rel = fixture(major, "bt_three_levels")
    tree = scan(rel)
    assert len(tree.path_to(["zzzz"])) == 3
    for blkno, row in leaf_rows(rel)[::50]:
        item = tree.btree_page(blkno).bt_item(row["itemoffset"])  # type: ignore[union-attr]
        assert item.keys is not None
        value = item.keys[0].raw[1:].decode() if item.keys[0].raw[0] & 1 else None
        if value is None:
            continue
        last = tree.path_to([value])[-1]
        assert last.found
        assert last.offnum is not None
        found = tree.btree_page(last.blkno).bt_item(last.offnum)  # type: ignore[union-attr]
        assert found.keys is not None and found.keys[0].raw == item.keys[0].raw


# ----------------------------------------------------------------------------------------------
# damaged copies


def pages_of(rel: FixtureRelation) -> list[bytearray]:
    data = gzip.decompress(rel.file("main").read_bytes())
    return [bytearray(data[i : i + BLCKSZ]) for i in range(0, len(data), BLCKSZ)]


def write(tmp_path: Path, pages: list[bytearray]) -> Path:
    path = tmp_path / "16384"
    path.write_bytes(b"".join(pages))
    return path


def special(page: bytearray) -> int:
    return len(page) - 16


def lp_word(page: bytearray, offnum: int) -> int:
    return int(struct.unpack_from("<I", page, 24 + 4 * (offnum - 1))[0])


def leaf_blocks(pages: list[bytearray]) -> list[int]:
    return [
        b
        for b, p in enumerate(pages)
        if b
        and any(p)
        and struct.unpack_from("<H", p, special(p) + 12)[0] & 0x1
        and not struct.unpack_from("<H", p, special(p) + 12)[0] & 0x4
    ]


def codes(findings: tuple[Finding, ...]) -> set[tuple[str, int | None, int | None]]:
    return {(f.code, f.block, f.item) for f in findings}


def test_broken_sibling_link(tmp_path: Path) -> None:
    rel = fixture(17, "bt_int_unique")
    pages = pages_of(rel)
    leaves = leaf_blocks(pages)
    victim = next(b for b in leaves if struct.unpack_from("<I", pages[b], special(pages[b]))[0])
    struct.pack_into("<I", pages[victim], special(pages[victim]), victim)  # btpo_prev -> self
    findings = scan(rel, write(tmp_path, pages)).check()
    assert ("bt-sibling-link", victim, None) in codes(findings)
    # seen from both sides: the left page's right link and the victim's own left link
    messages = [f.message for f in findings if f.code == "bt-sibling-link"]
    assert any("btpo_next is" in m and f"whose btpo_prev is {victim}" in m for m in messages)
    assert any(
        m.startswith(f"left link/right link pair not in agreement: btpo_prev is {victim}")
        for m in messages
    )


def test_out_of_order_item(tmp_path: Path) -> None:
    rel = fixture(17, "bt_int_unique")
    pages = pages_of(rel)
    blkno = leaf_blocks(pages)[0]
    page = pages[blkno]
    a, b = lp_word(page, 5), lp_word(page, 6)
    struct.pack_into("<II", page, 24 + 4 * 4, b, a)  # swap items 5 and 6
    findings = scan(rel, write(tmp_path, pages)).check()
    assert ("bt-order", blkno, 6) in codes(findings)


def test_truncated_posting_list(tmp_path: Path) -> None:
    rel = fixture(17, "bt_dedup")
    pages = pages_of(rel)
    for blkno in leaf_blocks(pages):
        page = pages[blkno]
        nitems = (struct.unpack_from("<H", page, 12)[0] - 24) // 4
        for offnum in range(1, nitems + 1):
            word = lp_word(page, offnum)
            off, length = word & 0x7FFF, word >> 17
            t_info = struct.unpack_from("<H", page, off + 6)[0]
            posid = struct.unpack_from("<H", page, off + 4)[0]
            if t_info & 0x2000 and posid & 0x2000 and length > 64:
                cut = length - 48  # the tuple loses its last 48 bytes (8 TIDs)
                struct.pack_into("<H", page, off + 6, (t_info & ~0x1FFF) | cut)
                struct.pack_into("<I", page, 24 + 4 * (offnum - 1), (word & 0x1FFFF) | (cut << 17))
                findings = scan(rel, write(tmp_path, pages)).check()
                assert ("bt-posting-truncated", blkno, offnum) in codes(findings)
                return
    pytest.fail("no posting tuple to truncate")


@pytest.mark.parametrize("major", [13, 14, 18])
def test_wrong_special_size(tmp_path: Path, major: int) -> None:
    rel = fixture(major, "bt_int_unique")
    pages = pages_of(rel)
    blkno = leaf_blocks(pages)[0]
    struct.pack_into("<H", pages[blkno], 16, 8160)  # pd_special: 32 bytes of special space
    tree = scan(rel, write(tmp_path, pages))
    findings = tree.check()
    found = codes(findings)
    assert ("bt-special-size", blkno, None) in found
    assert any(f.code == "not-btree" and f.block == blkno for f in findings)
    # the opaque data at the page end is still read: the tree around it stays intact
    assert tree.summary(blkno) is not None and tree.summary(blkno).level == 0  # type: ignore[union-attr]


def test_damage_in_the_internal_level(tmp_path: Path) -> None:
    """A downlink to the wrong block, and a child high key that differs from its separator."""
    rel = fixture(16, "bt_three_levels")
    pages = pages_of(rel)
    root = rel.oracle["bt_metap"]["root"]
    page = pages[root]
    word = lp_word(page, 2)  # the root is rightmost: item 2 is its second downlink
    off = word & 0x7FFF
    struct.pack_into("<HH", page, off, 0, root)  # downlink -> the root itself
    findings = scan(rel, write(tmp_path, pages)).check()
    found = {(f.code, f.block) for f in findings}
    assert ("bt-downlink-level", root) in found
    assert any(f.code == "bt-no-downlink" for f in findings)
