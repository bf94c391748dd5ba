"""The fixtures added later (PostgreSQL 12 to 18): pglz-compressed btree keys, a deleted
internal btree page, a heap of 160 blocks and a STORAGE PLAIN column, plus the catalog
fields added to every manifest.

The golden suites (test_btree_golden, test_golden_heap, test_values_golden, test_pagefill)
iterate every fixture, so they already compare these relations with pageinspect; the tests
here make sure the relations are there, hold what they were built for, and that we read that
as the server did. Expected values come from the server's output stored with the fixtures.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from goldens import FixtureRelation, load_manifest, relations, version_dirs
from test_btree_golden import BTREE
from test_golden_heap import HEAP
from test_values_golden import WITH_ROWS, WITH_SIZES, decoded
from textual.pilot import Pilot
from tui_support import SIZE, fixture, screen_text, settle

from pageinspect_py.analysis.pagefill import Fill, page_fill, totals
from pageinspect_py.catalog.index import index_from_manifest
from pageinspect_py.catalog.schema import description_from_json
from pageinspect_py.catalog.types import BUILTIN_TYPES
from pageinspect_py.decode.btree import BtreeDecodeOptions, BtreePage
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.tuple import AttributeStatus
from pageinspect_py.decode.varlena import VarlenaForm, parse_varlena
from pageinspect_py.sources.file import FileSource
from pageinspect_py.tui.app import PgPageApp
from pageinspect_py.tui.pagemap import PageMap
from pageinspect_py.tui.relation_screen import RelationScreen
from pageinspect_py.tui.state import OpenSpec

MAJORS = list(range(12, 19))
ADDED = {
    "heap_many_blocks": "heap",
    "heap_storage_plain": "heap",
    "heap_storage_plain_toast": "heap",
    "bt_compressed_keys": "btree",
    "bt_deleted_internal": "btree",
}


def rel_of(name: str, major: int) -> FixtureRelation:
    for rel in relations():
        if rel.name == name and rel.major == major:
            return rel
    raise LookupError(f"no fixture pg{major}/{name}")


def btree_pages(rel: FixtureRelation) -> list[Any]:
    index = index_from_manifest(rel.meta, default_collation_is_c=True)
    options = BtreeDecodeOptions(index=index, major=rel.major)
    with FileSource(rel.file("main")) as src:
        return [decode_page(raw, btree=options) for raw in src.pages("main")]


def oracle_blocks(rel: FixtureRelation) -> dict[int, dict[str, Any]]:
    return {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}


def tid_block(ctid: str) -> int:
    return int(ctid.strip("()").split(",")[0])


# -- presence ----------------------------------------------------------------------------------


def test_added_relations_exist_in_every_version_and_in_the_golden_suites() -> None:
    for major in MAJORS:
        for name, kind in ADDED.items():
            rel = rel_of(name, major)
            assert rel.meta["kind"] == kind
            assert rel.file("main").exists(), rel
    golden_heap = {str(r) for r in HEAP}
    golden_btree = {str(r) for r in BTREE}
    with_rows = {str(r) for r in WITH_ROWS}
    with_sizes = {str(r) for r in WITH_SIZES}
    for major in MAJORS:
        for name, kind in ADDED.items():
            assert f"pg{major}/{name}" in (golden_heap if kind == "heap" else golden_btree)
        assert f"pg{major}/heap_many_blocks" in with_rows
        assert f"pg{major}/heap_storage_plain" in with_sizes
        assert f"pg{major}/heap_storage_plain_toast" in with_rows


# -- manifest fields ---------------------------------------------------------------------------


@pytest.mark.parametrize("major", MAJORS)
def test_manifest_database_locale_and_encoding(major: int) -> None:
    manifest = rel_of("heap_types", major).manifest
    assert manifest["encoding"] == "UTF8"
    assert isinstance(manifest["datcollate"], str) and manifest["datcollate"]
    assert isinstance(manifest["datctype"], str) and manifest["datctype"]
    # pg_database.datlocprovider arrives in 15; the script records 'c' (libc) before
    assert manifest["datlocprovider"] in ("c", "i", "b")
    if major < 15:
        assert manifest["datlocprovider"] == "c"


def test_every_attribute_has_typstorage_and_attgenerated_every_relation_reloptions() -> None:
    checked = 0
    for version_dir in version_dirs():
        for name, meta in load_manifest(version_dir)["relations"].items():
            assert "reloptions" in meta, f"{version_dir.name}/{name}"
            for att in meta["attributes"]:
                if att["attisdropped"]:
                    continue
                assert att["typstorage"] in ("p", "e", "m", "x"), (name, att["attname"])
                assert att["attgenerated"] in ("", "s", "v"), (name, att["attname"])
                # our table of built-in types says what the server's pg_type says
                builtin = BUILTIN_TYPES.get(att["typname"])
                if builtin is not None:
                    assert builtin.typstorage == att["typstorage"], att["typname"]
                    checked += 1
    assert checked > 1000


@pytest.mark.parametrize("major", MAJORS)
def test_reloptions_and_storage_of_the_plain_table(major: int) -> None:
    rel = rel_of("heap_storage_plain", major)
    assert rel.meta["reloptions"] == ["fillfactor=70", "toast_tuple_target=256"]
    assert rel_of("heap_many_blocks", major).meta["reloptions"] == ["fillfactor=100"]
    assert rel_of("heap_types", major).meta["reloptions"] is None
    p = next(a for a in rel.meta["attributes"] if a["attname"] == "p")
    assert (p["attstorage"], p["typstorage"]) == ("p", "x")
    desc = description_from_json(rel.meta)
    assert {a.attname: a.attstorage for a in desc.live_attributes()}["p"] == "p"


# -- bt_compressed_keys ------------------------------------------------------------------------


@pytest.mark.parametrize("major", MAJORS)
def test_compressed_inline_keys_are_decompressed(major: int) -> None:
    """Index tuples of 64 bytes hold 1203-byte keys: pglz-compressed in line. bt_page_items'
    itemlen is the server's; the key length is octet_length(k) measured at build time."""
    rel = rel_of("bt_compressed_keys", major)
    checks = rel.manifest["checks"]
    key_length = checks["bt_compressed_keys.long_key_octet_length"]
    assert key_length["min"] == key_length["max"] > 1100
    oracle = oracle_blocks(rel)
    compressed = 0
    leaf_keys: dict[int, list[bytes]] = {}
    for page in btree_pages(rel):
        if not isinstance(page, BtreePage):
            continue
        items = {row["itemoffset"]: row for row in oracle[page.blkno]["bt_page_items"]}
        for item in page.items:
            assert item.keys is not None, f"{rel} block {page.blkno} item {item.offnum}"
            if not item.keys or item.keys[0].is_null or not item.keys[0].raw:
                continue  # minus infinity, truncated pivots
            key = item.keys[0]
            form = parse_varlena(key.raw).form
            if form is VarlenaForm.COMPRESSED:
                compressed += 1
                assert items[item.offnum]["itemlen"] * 10 < key_length["min"]
                assert key.text is not None
                assert len(key.text.encode()) == key_length["min"]
                assert key.text[:5].isdigit() and "compressible key" in key.text
            if page.opaque is not None and page.opaque.is_leaf and not item.is_pivot:
                assert isinstance(key.value, bytes)
                leaf_keys.setdefault(page.blkno, []).append(key.value)
    assert compressed == checks["bt_compressed_keys.compressed_items"] > 100
    # the leaf level in right-link order is in key order (C collation: bytewise)
    pages = {p.blkno: p for p in btree_pages(rel) if isinstance(p, BtreePage)}
    leftmost = next(
        b
        for b, p in pages.items()
        if p.opaque is not None and p.opaque.is_leaf and p.opaque.is_leftmost
    )
    ordered: list[bytes] = []
    block = leftmost
    while True:
        ordered.extend(leaf_keys.get(block, []))
        opaque = pages[block].opaque
        assert opaque is not None
        if opaque.is_rightmost:
            break
        block = opaque.btpo_next
    assert ordered == sorted(ordered)
    assert len(ordered) == sum(len(v) for v in leaf_keys.values())


# -- bt_deleted_internal -----------------------------------------------------------------------


@pytest.mark.parametrize("major", MAJORS)
def test_deleted_internal_page(major: int) -> None:
    """The level-1 page whose rows were all deleted (the root's downlink before VACUUM, as
    bt_page_items reported it) is deleted, and so are its leaves; we see a deleted page
    without BTP_LEAF, and 14+'s bt_page_stats calls it 'D'."""
    rel = rel_of("bt_deleted_internal", major)
    checks = rel.manifest["checks"]
    assert rel.manifest["skipped"] == [
        s for s in rel.manifest["skipped"] if not s["object"].startswith("bt_deleted_internal")
    ]
    assert checks["bt_deleted_internal.levels"] == 3
    target = checks["bt_deleted_internal.target_internal_block"]
    leaves = checks["bt_deleted_internal.target_leaves"]
    assert len(leaves) >= 2
    oracle = oracle_blocks(rel)
    pages = {p.blkno: p for p in btree_pages(rel)}
    stats = oracle[target]["bt_page_stats"]
    page = pages[target]
    assert isinstance(page, BtreePage) and page.opaque is not None
    assert page.opaque.is_deleted and not page.opaque.is_leaf
    assert page.stats().type == stats["type"]
    if major >= 14:
        assert stats["type"] == "D"
        assert stats["btpo_level"] == 1 == page.opaque.btpo_level
        assert page.deleted is not None  # BTDeletedPageData: full safexid
        assert checks["bt_deleted_internal.bt_page_stats_type_D"] == [target]
    else:
        assert stats["type"] == "d"  # 12-13 do not tell deleted leaf and internal pages apart
    for leaf in leaves:
        assert oracle[leaf]["bt_page_stats"]["type"] == "d"
        leaf_page = pages[leaf]
        assert isinstance(leaf_page, BtreePage) and leaf_page.opaque is not None
        assert leaf_page.opaque.is_deleted and leaf_page.opaque.is_leaf
    # the root no longer points at the deleted page; our downlinks are the server's
    root = rel.oracle["bt_metap"]["root"]
    root_page = pages[root]
    assert isinstance(root_page, BtreePage)
    server_downlinks = [tid_block(r["ctid"]) for r in oracle[root]["bt_page_items"]]
    assert [i.downlink for i in root_page.items] == server_downlinks
    assert target not in server_downlinks
    deleted_internal = [
        b
        for b, p in pages.items()
        if isinstance(p, BtreePage)
        and p.opaque is not None
        and p.opaque.is_deleted
        and not p.opaque.is_leaf
    ]
    assert deleted_internal == [target]
    assert checks["bt_deleted_internal.deleted_internal_pages"] == 1


# -- heap_many_blocks ---------------------------------------------------------------------------


@pytest.mark.parametrize("major", MAJORS)
def test_many_blocks_oracle_samples_first_and_last_block(major: int) -> None:
    rel = rel_of("heap_many_blocks", major)
    nblocks = rel.meta["blocks"]["main"]
    assert 150 <= nblocks <= 300
    assert set(rel.meta["files"]) == {"main", "fsm", "vm"}
    sampled = rel.oracle["heap_page_items_blocks"]
    assert sampled == [0, nblocks - 1]
    with_items = [b["block"] for b in rel.oracle["blocks"] if "heap_page_items" in b]
    assert with_items == sampled
    assert {tid_block(r["ctid"]) for r in rel.oracle["rows"]} == set(sampled)
    assert len(rel.oracle["pg_freespace"]) == len(rel.oracle["pg_visibility"]) == nblocks


@pytest.mark.parametrize("major", MAJORS)
def test_pagefill_over_many_blocks(major: int) -> None:
    """Every block's free space is page_header's upper - lower; blocks differ in fill."""
    rel = rel_of("heap_many_blocks", major)
    oracle = oracle_blocks(rel)
    with FileSource(rel.file()) as src:
        # the fork matters: an emptied heap page (no line pointers, old tuple bytes left
        # behind) has the header of a map page, and without a fork would be taken for one
        fills = [page_fill(raw.data, raw.blkno, fork=raw.fork) for raw in src.pages()]
    assert len(fills) == rel.meta["blocks"]["main"]
    free = []
    for fill in fills:
        header = oracle[fill.blkno]["page_header"]
        assert fill.get(Fill.FREE) == header["upper"] - header["lower"], fill.blkno
        assert not fill.errors
        free.append(fill.get(Fill.FREE))
    total = totals(fills)
    assert total.pages == len(fills)
    assert total.get(Fill.FREE) == sum(free)
    assert len(set(free)) >= 8  # the page map has something to show
    for blkno in rel.oracle["heap_page_items_blocks"]:
        items = oracle[blkno]["heap_page_items"]
        states = [0, 0, 0, 0]
        for item in items:
            states[item["lp_flags"]] += 1
        fill = fills[blkno]
        assert (fill.lp_unused, fill.lp_normal, fill.lp_redirect, fill.lp_dead) == tuple(states)


def test_tui_page_map_rows_of_many_blocks() -> None:
    """At 80x24 the map of 160 blocks has several rows; j/k move the highlight by a row."""
    rel = fixture("heap_many_blocks")
    oracle = oracle_blocks(rel)
    nblocks = rel.meta["blocks"]["main"]

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        screen = app.screen
        assert isinstance(screen, RelationScreen)
        page_map = screen.query_one(PageMap)
        assert page_map.nblocks == nblocks
        assert screen.store is not None and screen.store.scanned() == nblocks
        per_row = page_map.per_row
        assert nblocks > 2 * per_row  # several rows
        text = screen_text(app)
        assert f"{per_row:>4} " in text and f"{2 * per_row:>4} " in text  # row labels
        expected = [0]
        for _ in range(3):
            await pilot.press("j")
            await settle(pilot)
            step = expected[-1] + per_row
            expected.append(step if step < nblocks else expected[-1])
            assert page_map.cursor == expected[-1]
            header = oracle[page_map.cursor]["page_header"]
            assert f"block {page_map.cursor}:" in screen_text(app)
            assert f"free {header['upper'] - header['lower']}" in screen_text(app)
        assert page_map.cursor == 2 * per_row  # the third j stays on the last row
        await pilot.press("l")
        await settle(pilot)
        assert page_map.cursor == 2 * per_row + 1
        await pilot.press("k")
        await settle(pilot)
        assert page_map.cursor == per_row + 1

    app = PgPageApp(OpenSpec(path=str(rel.file())))

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await scenario(pilot, app)

    asyncio.run(main())


# -- heap_storage_plain -------------------------------------------------------------------------


@pytest.mark.parametrize("major", MAJORS)
def test_plain_column_holds_both_header_forms(major: int) -> None:
    """pg_column_size(p) - octet_length(p), measured by the server on the stored values, is
    the header width: 4 for values COPY stored (aligned), 1 for values INSERT packed."""
    rel = rel_of("heap_storage_plain", major)
    ours = decoded(rel)
    counts = {"1": 0, "4": 0}
    for row in rel.oracle["toast_columns"]:
        ctid = next(r["ctid"] for r in rel.oracle["rows"] if r["id"] == str(row["id"]))
        p = ours[ctid].attribute("p")
        server = row["p"]
        if server["octet_length"] is None:
            assert p.status.is_null
            continue
        assert p.status is AttributeStatus.PRESENT
        header = server["pg_column_size"] - server["octet_length"]
        assert p.form is (VarlenaForm.SHORT if header == 1 else VarlenaForm.PLAIN), ctid
        assert p.length == server["pg_column_size"]
        if p.form is VarlenaForm.PLAIN:
            assert p.span is not None and p.span.start % 4 == 0  # typalign i
        counts[str(header)] += 1
        t = ours[ctid].attribute("t")
        if row["t"]["octet_length"] is not None and major >= 14:
            method = row["t"]["pg_column_compression"]
            compressed = t.form is VarlenaForm.COMPRESSED or (
                t.varlena is not None
                and t.varlena.pointer is not None
                and t.varlena.pointer.is_compressed
            )
            assert compressed == (method == "pglz"), ctid
    assert counts == rel.manifest["checks"]["heap_storage_plain.p_header_bytes"]
    assert counts["1"] and counts["4"]
