"""Property tests: random and mutated BRIN pages (real fixture pages of every opclass with
bytes changed, biased towards the header, the line pointers, the tuples' headers, null
bitmaps and values, the metapage's fields, the revmap's TIDs and the special space) decode
without raising, with the index's columns and metapage or without; their regions tile the
page and every diagnostic lies inside it; the pageinspect projections, the JSON and text
output and the whole-index statistics and findings never raise either."""

from __future__ import annotations

import functools
import gzip
import struct

from goldens import FixtureRelation, relations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pageinspect_py import constants as C
from pageinspect_py.analysis.brinstats import brin_index_findings, brin_index_statistics
from pageinspect_py.catalog.index import index_from_manifest
from pageinspect_py.decode.brin import (
    BrinDecodeOptions,
    brin_metapage_info,
    brin_options,
    brin_page_items_rows,
    brin_page_type,
    brin_revmap_data,
)
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import Page
from pageinspect_py.errors import CorruptPageError
from pageinspect_py.render.brin import brin_page_json, brin_page_rows

BLCKSZ = 8192


def _block(blocks: list[bytes], blkno: int) -> bytes | None:
    return blocks[blkno] if blkno < len(blocks) else None


@functools.cache
def seeds() -> list[tuple[FixtureRelation, list[bytes], BrinDecodeOptions]]:
    """The 17 fixtures of the four opclass families and the 12 minmax one."""
    out = []
    for rel in relations("brin"):
        if rel.major == 17 or (rel.major == 12 and rel.name == "brin_minmax"):
            data = gzip.decompress(rel.file().read_bytes())
            blocks = [data[i : i + BLCKSZ] for i in range(0, len(data), BLCKSZ)]
            options = brin_options(
                functools.partial(_block, blocks),
                index=index_from_manifest(rel.meta),
                major=rel.major,
            )
            out.append((rel, blocks, options))
    return out


def check(data: bytes, blkno: int, options: BrinDecodeOptions | None) -> Page | None:
    try:
        page = decode_page(data, blkno, brin=options)
    except CorruptPageError:
        assert len(data) < 24
        return None
    cursor = 0
    for region in page.regions:
        assert region.span.start == cursor, region
        assert region.span.stop > region.span.start
        cursor = region.span.stop
    assert cursor == len(data)
    for d in page.diagnostics:
        if d.span is not None:
            assert 0 <= d.span.start <= d.span.stop <= len(data), d
    brin_page_type(page)
    brin_metapage_info(page)
    brin_revmap_data(page)
    brin_page_items_rows(page)
    brin_page_json(page)
    for _, _, span in brin_page_rows(page):
        assert span is None or 0 <= span.start <= span.stop <= len(data)
    return page


def hot_offset(page: bytes, choice: int, jitter: int) -> int:
    lower = max(24, min(int(struct.unpack_from("<H", page, 12)[0]), BLCKSZ))
    if choice == 0:
        return jitter % 24
    if choice == 1:
        return 24 + jitter % max(1, min(lower, 400) - 24)
    if choice == 2 and lower > 24:
        nitems = (lower - 24) // 4
        word = int(struct.unpack_from("<I", page, 24 + 4 * (jitter % max(1, nitems)))[0])
        return min((word & 0x7FFF) + jitter % 24, BLCKSZ - 1)
    if choice == 3:
        return 24 + jitter % 40  # BrinMetaPageData, the first TIDs
    if choice == 4:
        return BLCKSZ - 8 + jitter % 8
    return jitter % BLCKSZ


mutation = st.tuples(st.integers(0, 5), st.integers(0, 2**20), st.integers(0, 255))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.lists(mutation, min_size=1, max_size=8),
    st.booleans(),
)
def test_mutated_brin_pages(
    which: int, block: int, mutations: list[tuple[int, int, int]], typed: bool
) -> None:
    _, blocks, options = seeds()[which % len(seeds())]
    blkno = block % len(blocks)
    data = bytearray(blocks[blkno])
    for choice, jitter, value in mutations:
        data[hot_offset(bytes(data), choice, jitter)] = value
    check(bytes(data), blkno, options if typed else None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.lists(mutation, min_size=1, max_size=10))
def test_mutated_whole_index(which: int, mutations: list[tuple[int, int, int]]) -> None:
    """A damaged metapage, revmap or regular page: options still come out of it, every page
    decodes, the statistics and findings are computed."""
    rel, blocks, _ = seeds()[which % len(seeds())]
    pages = [bytearray(b) for b in blocks]
    for choice, jitter, value in mutations:
        target = pages[jitter % len(pages)]
        target[hot_offset(bytes(target), choice, jitter >> 3)] = value
    raw = [bytes(p) for p in pages]
    options = brin_options(
        lambda b: raw[b] if b < len(raw) else None,
        index=index_from_manifest(rel.meta),
        major=rel.major,
    )
    decoded = [p for p in (check(d, b, options) for b, d in enumerate(raw)) if p is not None]
    brin_index_statistics(decoded, 100)
    for finding in brin_index_findings(decoded):
        finding.describe()


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=24, max_size=BLCKSZ), st.integers(0, 2), st.integers(0, 40))
def test_random_bytes_with_a_brin_special_space(data: bytes, kind: int, blkno: int) -> None:
    """Any bytes whose special space is a BRIN one (pd_special at size - 8 half the time)."""
    page = bytearray(data)
    if len(page) >= 32:
        page[-2:] = (C.BRIN_PAGETYPE_META + kind).to_bytes(2, "little")
        if blkno % 2 and len(page) >= 24 + 8 + 4 * 8 + 40:
            size = len(page)
            struct.pack_into("<HHH", page, 12, 24 + 4 * (blkno % 8), size - 8 - blkno, size - 8)
    check(bytes(page), blkno, None)
    check(bytes(page), blkno, seeds()[blkno % len(seeds())][2])


def test_every_byte_of_a_tuple_flipped() -> None:
    """Each byte of the first tuple of each seed's first regular page, three bits each."""
    for _, blocks, options in seeds():
        page = blocks[2]
        (word,) = struct.unpack_from("<I", page, 24)
        start, length = word & 0x7FFF, word >> 17
        for offset in range(start, start + min(length, 200)):
            for bit in (1, 16, 128):
                data = bytearray(page)
                data[offset] ^= bit
                check(bytes(data), 2, options)
