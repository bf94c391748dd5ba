"""Property tests: random and mutated GiST pages (real fixture pages with bytes changed, biased
towards the header, the line pointers, the index tuples' t_tid/t_info and keys, the deleted
pages' contents and the special space) decode without raising, typed or untyped, their
regions tile the page and every diagnostic lies inside it; the pageinspect projections, the
JSON and text output and the whole-index statistics and findings never raise either."""

from __future__ import annotations

import functools
import gzip
import struct

from goldens import relations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pageinspect_py import constants as C
from pageinspect_py.analysis.giststats import (
    gist_index_findings,
    gist_index_statistics,
    gist_options,
)
from pageinspect_py.catalog.index import index_from_manifest
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.gist import (
    GistDecodeOptions,
    gist_page_items,
    gist_page_items_bytea,
    gist_page_opaque_info,
)
from pageinspect_py.decode.page import Page
from pageinspect_py.errors import CorruptPageError
from pageinspect_py.render.gist import gist_page_json, gist_page_rows

BLCKSZ = 8192


@functools.cache
def seeds() -> tuple[tuple[bytes, GistDecodeOptions], ...]:
    """The pages of the 17 and 12 GiST fixtures, each with its index's options."""
    out: list[tuple[bytes, GistDecodeOptions]] = []
    for rel in relations("gist"):
        if rel.major in (12, 17):
            options = gist_options(index_from_manifest(rel.meta))
            data = gzip.decompress(rel.file().read_bytes())
            out.extend((data[i : i + BLCKSZ], options) for i in range(0, len(data), BLCKSZ))
    return tuple(out)


def check(page_bytes: bytes, blkno: int, options: GistDecodeOptions | None) -> Page | None:
    try:
        page = decode_page(page_bytes, blkno, gist=options)
    except CorruptPageError:
        assert len(page_bytes) < 24
        return None
    cursor = 0
    for region in page.regions:
        assert region.span.start == cursor, region
        assert region.span.stop > region.span.start
        cursor = region.span.stop
    assert cursor == len(page_bytes)
    for d in page.diagnostics:
        if d.span is not None:
            assert 0 <= d.span.start <= d.span.stop <= len(page_bytes), d
    gist_page_opaque_info(page)
    gist_page_items_bytea(page)
    gist_page_items(page)
    gist_page_json(page)
    for _, _, span in gist_page_rows(page):
        assert span is None or 0 <= span.start <= span.stop <= len(page_bytes)
    return page


def hot_offset(page: bytes, choice: int, jitter: int) -> int:
    """An offset where it matters: the header, the line pointers, an item's t_tid/t_info and
    first key bytes, a deleted page's contents, the special space, anywhere."""
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
        return 24 + jitter % 8  # GISTDeletedPageContents, or the first line pointers
    if choice == 4:
        return BLCKSZ - 16 + jitter % 16
    return jitter % BLCKSZ


mutation = st.tuples(st.integers(0, 5), st.integers(0, 2**20), st.integers(0, 255))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.lists(mutation, min_size=1, max_size=8), st.booleans())
def test_mutated_gist_pages(index: int, mutations: list[tuple[int, int, int]], typed: bool) -> None:
    pages = seeds()
    raw, options = pages[index % len(pages)]
    data = bytearray(raw)
    for choice, jitter, value in mutations:
        data[hot_offset(bytes(data), choice, jitter)] = value
    check(bytes(data), index % 90, options if typed else None)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=24, max_size=BLCKSZ), st.integers(0, 40))
def test_random_bytes_with_a_gist_page_id(data: bytes, blkno: int) -> None:
    """Any bytes ending in GIST_PAGE_ID (and, half the time, a plausible header) decode."""
    page = bytearray(data)
    page[-2:] = C.GIST_PAGE_ID.to_bytes(2, "little")
    if blkno % 2 and len(page) >= 64 + 16 * 40:
        size = len(page)
        struct.pack_into(
            "<HHHH", page, 12, 24 + 4 * (blkno % 8), size - 16 - 16 * blkno, size - 16, 0
        )
    check(bytes(page), blkno, None)
    check(bytes(page), blkno, seeds()[0][1])


def test_every_seed_flag_bit_flipped() -> None:
    """Each bit of the flags word of a root, a leaf and a deleted-looking page."""
    pages = seeds()
    for index in (0, 1, 2):
        raw, options = pages[index]
        for bit in range(16):
            data = bytearray(raw)
            data[BLCKSZ - 4 + bit // 8] ^= 1 << (bit % 8)
            check(bytes(data), index, options)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 30), mutation), min_size=1, max_size=6))
def test_whole_index_with_damaged_pages(damage: list[tuple[int, tuple[int, int, int]]]) -> None:
    """Statistics and findings of a damaged index answer (pgstattuple may say None)."""
    pages = [bytearray(raw) for raw, _ in seeds()[:31]]
    options = seeds()[0][1]
    for blkno, (choice, jitter, value) in damage:
        target = pages[blkno % len(pages)]
        target[hot_offset(bytes(target), choice, jitter)] = value
    decoded = [decode_page(bytes(p), b, gist=options) for b, p in enumerate(pages)]
    gist_index_statistics(decoded)
    gist_index_statistics(decoded, major=18)
    for finding in gist_index_findings(decoded):
        assert finding.describe()
