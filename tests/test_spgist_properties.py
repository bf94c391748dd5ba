"""Property tests: mutated SP-GiST pages (real fixture pages with bytes changed, biased towards
the header, line pointers, tuple headers, datums and the special space) and random bytes decode
without raising, typed or untyped, under an old or a new major; their regions tile the page and
every diagnostic lies inside it; the JSON and text output, the walk, the statistics and the
findings never raise either."""

from __future__ import annotations

import functools

from goldens import relations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pageinspect_py.analysis.spgiststats import (
    spgist_decode_options,
    spgist_index_options,
    spgist_index_statistics,
)
from pageinspect_py.catalog.index import index_from_manifest
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import Page
from pageinspect_py.decode.spgist import SpGistDecodeOptions
from pageinspect_py.errors import CorruptPageError
from pageinspect_py.render.spgist import spgist_page_json, spgist_page_rows
from pageinspect_py.sources.file import FileSource


@functools.cache
def seeds() -> tuple[tuple[bytes, SpGistDecodeOptions, int], ...]:
    out: list[tuple[bytes, SpGistDecodeOptions, int]] = []
    for rel in relations("spgist"):
        if rel.major not in (12, 17):
            continue
        options = spgist_index_options(index_from_manifest(rel.meta), rel.major)
        with FileSource(rel.file("main")) as source:
            for raw in source.pages("main"):
                if raw.blkno < 8:
                    out.append((raw.data, options, raw.blkno))
    return tuple(out)


def check(data: bytes, blkno: int, options: SpGistDecodeOptions | None) -> Page | None:
    try:
        page = decode_page(data, blkno, checksum_verifiable=False, spgist=options)
    except CorruptPageError:
        assert len(data) < 24
        return None
    cursor = 0
    for region in page.regions:
        assert region.span.start == cursor
        cursor = region.span.stop
    assert cursor == len(data)
    for d in page.diagnostics:
        if d.span is not None:
            assert 0 <= d.span.start <= d.span.stop <= len(data)
    spgist_page_json(page)
    for _indent, _text, span in spgist_page_rows(page):
        if span is not None:
            assert 0 <= span.start <= span.stop <= len(data)
    return page


_HOT = st.one_of(
    st.integers(0, 24),  # header
    st.integers(24, 200),  # line pointers, metapage
    st.integers(7000, 8191),  # tuples and special space
    st.integers(0, 8191),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 10_000),
    st.lists(st.tuples(_HOT, st.integers(0, 255)), min_size=1, max_size=12),
    st.sampled_from([None, 12, 14]),
    st.booleans(),
)
def test_mutated_pages_never_raise(
    which: int, changes: list[tuple[int, int]], major: int | None, typed: bool
) -> None:
    data, options, blkno = seeds()[which % len(seeds())]
    buf = bytearray(data)
    for at, value in changes:
        buf[at] = value
    used = spgist_decode_options(options.opclass if typed else None, major)
    check(bytes(buf), blkno, used)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=0, max_size=512), st.integers(0, 3))
def test_random_bytes_never_raise(tail: bytes, blkno: int) -> None:
    data, options, _ = seeds()[1]
    check(data[: 8192 - len(tail)] + tail, blkno, options)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 7), _HOT, st.integers(0, 255)), max_size=20))
def test_index_statistics_never_raise(changes: list[tuple[int, int, int]]) -> None:
    group = [s for s in seeds() if s[1].opclass == "text_ops"][:8]
    blocks = [bytearray(d) for d, _o, _b in group]
    for which, at, value in changes:
        blocks[which % len(blocks)][at] = value
    pages = [check(bytes(b), i, group[0][1]) for i, b in enumerate(blocks)]
    stats = spgist_index_statistics([p for p in pages if p is not None])
    assert stats.nblocks <= len(blocks)
