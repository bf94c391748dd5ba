"""Semantics on pages changed from real fixture bytes (pg14 and pg12): each page diagnostic and
each cross-page finding appears when its rule is broken, and only then."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py import constants as C
from pageinspect_py.analysis.spgiststats import (
    spgist_index_findings,
    spgist_index_options,
    walk_spgist,
)
from pageinspect_py.catalog.index import index_from_manifest
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import Page
from pageinspect_py.decode.spgist import (
    SpGistDecodeOptions,
    SpGistPage,
)
from pageinspect_py.sources.file import FileSource


def _rel(name: str, major: int) -> FixtureRelation:
    (rel,) = [r for r in relations("spgist") if r.name == name and r.major == major]
    return rel


def _raw(rel: FixtureRelation) -> list[bytes]:
    with FileSource(rel.file("main")) as source:
        return [raw.data for raw in source.pages("main")]


def _decode(data: bytes, blkno: int, options: SpGistDecodeOptions) -> SpGistPage:
    page = decode_page(data, blkno, checksum_verifiable=False, spgist=options)
    assert isinstance(page, SpGistPage)
    return page


def _codes(page: Page) -> set[str]:
    return {d.code for d in page.diagnostics}


@pytest.fixture(scope="module")
def text14() -> tuple[list[bytes], SpGistDecodeOptions]:
    rel = _rel("spgist_text", 14)
    return _raw(rel), spgist_index_options(index_from_manifest(rel.meta), 14)


def _leaf_block(blocks: list[bytes], options: SpGistDecodeOptions) -> tuple[int, SpGistPage]:
    for blkno, data in enumerate(blocks):
        if blkno > 2:
            page = _decode(data, blkno, options)
            if page.leaf_tuples and page.dead_tuples and len(page.leaf_tuples) > 3:
                return blkno, page
    raise AssertionError("no leaf page with dead tuples")


def _patch(data: bytes, at: int, fmt: str, *values: int) -> bytes:
    buf = bytearray(data)
    struct.pack_into(fmt, buf, at, *values)
    return bytes(buf)


def test_clean_pages_have_no_diagnostics(text14: tuple[list[bytes], SpGistDecodeOptions]) -> None:
    blocks, options = text14
    for blkno, data in enumerate(blocks):
        assert _decode(data, blkno, options).diagnostics == ()


def test_opaque_counts(text14: tuple[list[bytes], SpGistDecodeOptions]) -> None:
    blocks, options = text14
    blkno, page = _leaf_block(blocks, options)
    assert page.opaque is not None
    at = page.opaque.offset
    wrong = _patch(blocks[blkno], at + 4, "<H", page.opaque.nPlaceholder + 1)
    assert "spgist-nplaceholder" in _codes(_decode(wrong, blkno, options))
    wrong = _patch(blocks[blkno], at + 2, "<H", 3)
    assert "spgist-nredirection" in _codes(_decode(wrong, blkno, options))


def test_metapage_rules(text14: tuple[list[bytes], SpGistDecodeOptions]) -> None:
    blocks, options = text14
    wrong = _patch(blocks[0], C.SizeOfPageHeaderData, "<I", 0xDEADBEEF)
    assert "spgist-meta-magic" in _codes(_decode(wrong, 0, options))
    # a metapage elsewhere than block 0
    assert "spgist-meta-block" in _codes(_decode(blocks[0], 5, options))


def test_tuple_size_and_datum(text14: tuple[list[bytes], SpGistDecodeOptions]) -> None:
    blocks, options = text14
    blkno, page = _leaf_block(blocks, options)
    leaf = page.leaf_tuples[0]
    word = (leaf.size + 8) << 2
    wrong = _patch(blocks[blkno], leaf.offset, "<I", word)
    assert "spgist-size" in _codes(_decode(wrong, blkno, options))
    # a 4-byte varlena header claiming more than the tuple holds
    assert leaf.datum is not None
    wrong = _patch(blocks[blkno], leaf.datum.span.start, "<I", 4000 << 2)
    assert "spgist-datum" in _codes(_decode(wrong, blkno, options))


def test_dead_tuple_rules(text14: tuple[list[bytes], SpGistDecodeOptions]) -> None:
    blocks, options = text14
    blkno, page = _leaf_block(blocks, options)
    dead = page.dead_tuples[0]
    # a REDIRECT with an invalid pointer (and the count no longer matching)
    wrong = _patch(blocks[blkno], dead.offset, "<I", (16 << 2) | C.SPGIST_REDIRECT)
    codes = _codes(_decode(wrong, blkno, options))
    assert {"spgist-redirect", "spgist-nredirection"} <= codes


def test_old_major_rejects_flag_bits() -> None:
    rel = _rel("spgist_text", 12)
    blocks = _raw(rel)
    old = spgist_index_options(index_from_manifest(rel.meta), 12)
    new = spgist_index_options(index_from_manifest(rel.meta), 14)
    blkno, page = _leaf_block(blocks, old)
    leaf = page.leaf_tuples[0]
    wrong = _patch(blocks[blkno], leaf.offset + 4, "<H", leaf.t_info | 0x4000)
    assert "spgist-next-offset" in _codes(_decode(wrong, blkno, old))
    assert "spgist-t-info" in _codes(_decode(wrong, blkno, new))


def _findings(blocks: list[bytes], options: SpGistDecodeOptions) -> set[str]:
    pages = [_decode(d, b, options) for b, d in enumerate(blocks)]
    return {f.code for f in spgist_index_findings(pages)}


def _mutate_first(
    blocks: list[bytes],
    options: SpGistDecodeOptions,
    change: Callable[[SpGistPage, bytes], bytes | None],
) -> list[bytes]:
    out = list(blocks)
    for blkno, data in enumerate(blocks):
        page = _decode(data, blkno, options)
        changed = change(page, data)
        if changed is not None:
            out[blkno] = changed
            return out
    raise AssertionError("nothing to change")


def test_cross_page_findings(text14: tuple[list[bytes], SpGistDecodeOptions]) -> None:
    blocks, options = text14
    assert _findings(blocks, options) == set()

    def bad_downlink(page: SpGistPage, data: bytes) -> bytes | None:
        for t in page.inner_tuples:
            for n in t.nodes:
                if n.has_downlink:
                    return _patch(data, n.offset, "<HHH", 0, 60000, 1)
        return None

    assert "spgist-downlink" in _findings(_mutate_first(blocks, options, bad_downlink), options)

    def cycle(page: SpGistPage, data: bytes) -> bytes | None:
        for t in page.leaf_tuples:
            if t.nextOffset:
                return _patch(data, t.offset + 4, "<H", t.offnum)
        return None

    codes = _findings(_mutate_first(blocks, options, cycle), options)
    assert {"spgist-chain-cycle", "spgist-unreachable"} <= codes

    def bad_cache(page: SpGistPage, data: bytes) -> bytes | None:
        if page.meta is None:
            return None
        return _patch(data, page.meta.cachedPage[3].span.start, "<I", 5000)

    assert "spgist-meta-cache" in _findings(_mutate_first(blocks, options, bad_cache), options)


def test_walk_of_the_quad_tree_reaches_every_row() -> None:
    rel = _rel("spgist_quad", 14)
    options = spgist_index_options(index_from_manifest(rel.meta), 14)
    pages = [_decode(d, b, options) for b, d in enumerate(_raw(rel))]
    walk = walk_spgist(pages)
    assert len(walk.leaves) == len(rel.oracle["table_rows"])
    root = pages[C.SPGIST_ROOT_BLKNO]
    assert root.inner_tuples and root.inner_tuples[0].prefix is not None
    assert root.inner_tuples[0].prefix.typname == "point"
    assert all(n.label is None for n in root.inner_tuples[0].nodes)  # labelType VOIDOID
