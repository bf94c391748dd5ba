"""render/tree.py, the presentation tree of a page, on the fixtures of every version.

The top-level nodes tile the page in byte order, every node lies inside its parent, and
the spans the renderers share (``t_bits_span``) are where pageinspect says the bytes are.
Expected values come from the fixtures' pageinspect output and the page size, never from our
own decoder.
"""

from __future__ import annotations

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.render.tree import FieldNode, PageDetail, build_detail, t_bits_span
from pageinspect_py.sources.file import FileSource

RELATIONS = [r for r in relations() if r.meta.get("files")]
HEAP = [r for r in RELATIONS if r.meta.get("kind") == "heap"]


def assert_tiles(detail: PageDetail, where: str) -> None:
    """The top-level nodes cover the page in byte order, each node inside its parent."""
    cursor = 0
    for node in detail.root.children:
        assert node.span is not None, f"{where}: {node.label} has no span"
        assert node.span.start == cursor, f"{where}: {node.label} at {node.span}"
        cursor = node.span.stop
    assert cursor == detail.page.size, where
    _inside(detail.root)


def _inside(node: FieldNode) -> None:
    for child in node.children:
        if node.span is not None and child.span is not None:
            assert node.span.start <= child.span.start <= child.span.stop <= node.span.stop, (
                f"{child.path()} {child.span} outside {node.path()} {node.span}"
            )
        _inside(child)


@pytest.mark.parametrize("rel", [r for r in RELATIONS if r.major == 17], ids=str)
def test_top_level_nodes_tile_the_page(rel: FixtureRelation) -> None:
    """Here on 17's fixtures; test_fill_bytes.py checks every version's pages the same way
    while it walks them."""
    for fork in sorted(rel.meta["files"]):
        source = FileSource(rel.file(fork))
        for raw in source.pages(source.given_fork):
            assert_tiles(build_detail(decode_page(raw)), f"{rel} {fork} block {raw.blkno}")


@pytest.mark.parametrize("rel", HEAP, ids=str)
def test_null_bitmap_lies_where_pageinspect_says(rel: FixtureRelation) -> None:
    source = FileSource(rel.file("main"))
    oracle = {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}
    checked = 0
    for raw in source.pages("main"):
        page = decode_page(raw)
        listed = oracle.get(raw.blkno, {}).get("heap_page_items")
        if not isinstance(page, HeapPage) or not isinstance(listed, list):
            continue  # a new page, or a block whose items the fixture did not record
        expected = {i["lp"]: i for i in listed}
        for item in page.items:
            if item.tuple is None:
                continue
            want = expected[item.lp.lp]
            span = t_bits_span(item.tuple)
            if want["t_bits"] is None:
                assert span is None
                continue
            assert span is not None
            # the fixed header is 23 bytes; the bitmap one bit per attribute, then t_hoff
            assert span.start == want["lp_off"] + 23
            assert span.length == (len(want["t_bits"]) + 7) // 8
            assert span.stop <= want["lp_off"] + want["t_hoff"]
            checked += 1
    if rel.name in ("heap_types", "heap_altered"):
        assert checked, "no tuple with NULLs in this fixture"
