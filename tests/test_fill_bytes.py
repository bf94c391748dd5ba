"""The fill rule is written once: the bytes the TUI colours add up to the totals it prints.

``analysis.pagefill.region_fills`` says what each region of a decoded page is used for;
``fill_from_page`` sums it and the TUI's hex view colours with it. A copy of the rule in the TUI
once drifted (padding inside index items coloured as padding while the totals beside it
counted it as data, on 45 of 580 btree pages): this test walks every fixture page of every
version the way the TUI does (``PageStore.detail``) and checks, byte by byte, that the colours
sum to the figures shown, and that those equal the bulk path's (an independent implementation
over the raw bytes).
"""

from __future__ import annotations

from collections import Counter

import pytest
from goldens import FixtureRelation, relations
from test_tree import assert_tiles

from pageinspect_py.analysis.pagefill import FILLS, Fill, fill_from_page, page_fill
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.page import PageKind
from pageinspect_py.sources.file import FileSource
from pageinspect_py.tui.state import OpenSpec, PageStore, open_session

RELATIONS = [r for r in relations() if r.meta.get("files")]
_HEAP_KINDS = (PageKind.HEAP, PageKind.SEQUENCE)


def _summed(byte_fill: bytes) -> tuple[int, ...]:
    counts = Counter(byte_fill)
    return tuple(counts.get(index, 0) for index in range(len(FILLS)))


@pytest.mark.parametrize("rel", RELATIONS, ids=str)
def test_per_byte_fills_sum_to_fill_from_page(rel: FixtureRelation) -> None:
    for fork in sorted(rel.meta["files"]):
        source = FileSource(rel.file(fork))
        store = PageStore(source, source.given_fork, cache_pages=1)
        for blkno in range(store.nblocks()):
            detail = store.detail(blkno)
            page = detail.page
            where = f"{rel} {fork} block {blkno}"
            assert len(detail.byte_fill) == page.size, where
            assert_tiles(detail, where)  # the tree the colours belong to covers the page
            assert _summed(detail.byte_fill) == fill_from_page(page).bytes, where
            assert detail.fill == fill_from_page(page), where
            raw = store.read(blkno)
            bulk = page_fill(raw.data, raw.blkno, fork=raw.fork)
            assert _summed(detail.byte_fill) == bulk.bytes, where


def test_padding_inside_index_items_is_coloured_as_data() -> None:
    """The drifted case itself: on btree pages with padding inside an item (between the key
    and a posting list or a pivot's heap TID), those bytes are data in the colours too."""
    checked = 0
    for rel in RELATIONS:
        if not rel.name.startswith("bt_"):
            continue
        source = FileSource(rel.file("main"))
        store = PageStore(source, "main", cache_pages=1)
        for blkno in range(store.nblocks()):
            detail = store.detail(blkno)
            page = detail.page
            if page.kind in _HEAP_KINDS:
                continue
            spans = {lp.lp: lp.item_span for lp in page.line_pointers}
            for region in page.regions:
                span = spans.get(region.item) if region.item is not None else None
                if (
                    region.kind is RegionKind.ALIGNMENT_PADDING
                    and span is not None
                    and span.contains(region.span)
                    and region.span.length
                ):
                    colours = {
                        FILLS[b] for b in detail.byte_fill[region.span.start : region.span.stop]
                    }
                    assert colours <= {Fill.DATA, Fill.DEAD}, f"{rel} block {blkno} {region}"
                    checked += 1
    assert checked > 0, "no fixture page has padding inside an index item"


@pytest.mark.parametrize("rel", [r for r in RELATIONS if r.meta.get("kind") == "btree"], ids=str)
def test_typed_btree_pages_colour_and_count_as_the_map(rel: FixtureRelation) -> None:
    """With the index's key columns (--schema) the Page screen decodes typed keys, which
    splits items into keys, padding and heap TIDs; the colours and totals stay those of the
    page map (the bulk path, which does not decode keys)."""
    session = open_session(
        OpenSpec(path=str(rel.file()), schema=str(rel.version_dir / "manifest.json"))
    )
    try:
        store = session.main
        assert store.index is not None, session.warnings
        for blkno in range(store.nblocks()):
            detail = store.detail(blkno)
            raw = store.read(blkno)
            bulk = page_fill(raw.data, raw.blkno, fork=raw.fork)
            assert _summed(detail.byte_fill) == bulk.bytes, f"{rel} block {blkno}"
            assert detail.fill == bulk, f"{rel} block {blkno}"
    finally:
        session.close()
