"""Property tests: mutated btree pages (real fixture pages with random bytes changed, biased
towards the header, line pointers, index tuple headers and the special space) decode without
raising, with typed keys or without, and their regions still tile the page; whole indexes with
a damaged page still scan, report and render."""

from __future__ import annotations

import contextlib
import functools
import gzip
import json
import struct
from pathlib import Path

from goldens import relations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pageinspect_py.analysis.btree import build_index
from pageinspect_py.catalog.index import IndexDescription, index_from_manifest
from pageinspect_py.decode.btree import (
    BtreeDecodeOptions,
    BtreeMetaPage,
    BtreePage,
)
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import Page
from pageinspect_py.render.btree import btree_page_json, index_report_json, index_report_text
from pageinspect_py.render.json import page_json
from pageinspect_py.render.text import render_page

BLCKSZ = 8192
SEEDS = ("bt_dedup", "bt_multi", "bt_include", "bt_deleted", "bt_three_levels", "bt_lp_dead")


@functools.cache
def seed_pages() -> list[tuple[bytes, int, IndexDescription, int]]:
    out = []
    for rel in relations("btree"):
        if rel.name not in SEEDS or rel.major not in (12, 13, 14, 17, 18):
            continue
        index = index_from_manifest(rel.meta, default_collation_is_c=True)
        data = gzip.decompress(rel.file().read_bytes())
        for blkno in range(len(data) // BLCKSZ):
            out.append((data[blkno * BLCKSZ : (blkno + 1) * BLCKSZ], blkno, index, rel.major))
    return out


def hot_offset(page: bytes, choice: int, jitter: int) -> int:
    """An offset in one of the places that matter: header, line pointers, the start of an
    item (t_tid/t_info), the special space, anywhere."""
    lower = max(24, min(int(struct.unpack_from("<H", page, 12)[0]), BLCKSZ))
    if choice == 0:
        return jitter % 24
    if choice == 1:
        return 24 + jitter % max(1, lower - 24)
    if choice == 2 and lower > 24:
        nitems = (lower - 24) // 4
        word = int(struct.unpack_from("<I", page, 24 + 4 * (jitter % max(1, nitems)))[0])
        return min((word & 0x7FFF) + jitter % 8, BLCKSZ - 1)
    if choice == 3:
        return BLCKSZ - 16 + jitter % 16
    return jitter % BLCKSZ


mutations = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, BLCKSZ * 4), st.integers(0, 255)),
    min_size=1,
    max_size=8,
)


def mutate(page: bytes, changes: list[tuple[int, int, int]]) -> bytes:
    data = bytearray(page)
    for choice, jitter, value in changes:
        data[hot_offset(bytes(data), choice, jitter)] = value
    return bytes(data)


def check_page(page: Page) -> None:
    cursor = 0
    for region in page.regions:
        assert region.span.start == cursor
        assert region.span.stop <= page.size
        cursor = region.span.stop
    assert cursor == page.size
    for d in page.diagnostics:
        if d.span is not None:
            assert 0 <= d.span.start <= d.span.stop <= page.size
    if isinstance(page, BtreePage):
        page.stats()
        page.pageinspect_items()
        for item in page.items:
            for span in (item.span, item.key_span, item.posting_span, item.heap_tid_span):
                if span is not None:
                    assert 0 <= span.start <= span.stop <= page.size
    if isinstance(page, BtreeMetaPage):
        page.pageinspect_meta()
    json.dumps(page_json(page))
    json.dumps(btree_page_json(page))
    render_page(page)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), mutations, st.booleans())
def test_mutated_btree_pages_decode(
    index: int, changes: list[tuple[int, int, int]], typed: bool
) -> None:
    pages = seed_pages()
    page, blkno, description, major = pages[index % len(pages)]
    data = mutate(page, changes)
    check_page(decode_page(data, blkno))
    options = BtreeDecodeOptions(index=description if typed else None, major=major)
    check_page(decode_page(data, blkno, btree=options))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.sampled_from((12, 14, 18)), st.integers(0, 64), mutations)
def test_indexes_with_a_damaged_page_scan_and_report(
    name: str, major: int, victim: int, changes: list[tuple[int, int, int]]
) -> None:
    rel = next(r for r in relations("btree") if r.name == name and r.major == major)
    description = index_from_manifest(rel.meta, default_collation_is_c=True)
    data = gzip.decompress(rel.file().read_bytes())
    blocks = [data[b * BLCKSZ : (b + 1) * BLCKSZ] for b in range(len(data) // BLCKSZ)]
    target = victim % len(blocks)
    blocks[target] = mutate(blocks[target], changes)
    options = BtreeDecodeOptions(index=description, major=major)

    def load(blkno: int) -> Page:
        return decode_page(blocks[blkno], blkno, btree=options)

    tree = build_index(
        ((b, load(b)) for b in range(len(blocks))),
        nblocks=len(blocks),
        loader=load,
        index=description,
        name=str(Path(rel.name)),
    )
    stats = tree.statistics(major)
    findings = tree.check()
    json.dumps(index_report_json(tree, stats, findings), allow_nan=True)
    index_report_text(tree, stats, findings)
    tree.levels()
    for blkno in range(len(blocks)):
        tree.children(blkno)
    with contextlib.suppress(ValueError):  # keys that cannot be compared are refused
        tree.path_to([None])
