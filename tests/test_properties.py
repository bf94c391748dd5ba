"""Property tests: random and mutated pages never raise outside the documented errors, and the
regions always tile the page."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pagebuilder import Item, PageSpec, Tuple

import pageinspect_py.constants as C
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.errors import CorruptPageError
from pageinspect_py.render.json import page_json
from pageinspect_py.render.text import render_page

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def seed_pages() -> list[bytes]:
    """Real pages from the shipped fixtures (heap tables), plus a synthetic one."""
    pages = [
        PageSpec(
            items=[
                Item(Tuple(b"abcdefgh", bits=b"\x01", infomask2=3)),
                Item(flags=C.LP_REDIRECT, off=1),
            ]
        ).build()
    ]
    for path in sorted(FIXTURES.glob("pg1[78]/heap_*/*[0-9].gz"))[:6]:
        data = gzip.decompress(path.read_bytes())
        pages.extend(data[i : i + 8192] for i in range(0, min(len(data), 3 * 8192), 8192))
    return pages


SEEDS = seed_pages()


def check(data: bytes, blkno: int = 0) -> None:
    try:
        page = decode_page(data, blkno)
    except CorruptPageError:
        assert len(data) < 24
        return
    cursor = 0
    for region in page.regions:
        assert region.span.start == cursor, region
        assert region.span.stop > region.span.start
        cursor = region.span.stop
    assert cursor == len(data)
    for d in page.diagnostics:
        if d.span is not None:
            assert 0 <= d.span.start <= d.span.stop <= len(data)
    json.dumps(page_json(page))
    render_page(page)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=8192))
def test_random_bytes(data: bytes) -> None:
    check(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=24, max_size=200), st.integers(0, 2**32 - 1))
def test_random_page_with_plausible_header(head: bytes, blkno: int) -> None:
    page = bytearray(8192)
    page[: len(head)] = head
    page[18:20] = (8192 | 4).to_bytes(2, "little")  # a valid pagesize/version
    check(bytes(page), blkno)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(range(len(SEEDS))),
    st.lists(st.tuples(st.integers(0, 8191), st.integers(0, 255)), min_size=1, max_size=12),
)
def test_mutated_real_pages(index: int, mutations: list[tuple[int, int]]) -> None:
    page = bytearray(SEEDS[index])
    for offset, value in mutations:
        if offset < len(page):
            page[offset] = value
    check(bytes(page))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(range(len(SEEDS))), st.integers(0, 8191))
def test_truncated_real_pages(index: int, length: int) -> None:
    check(SEEDS[index][:length])
