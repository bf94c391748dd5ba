"""The numpy page kernel (page/arrays.py) against the per-page decoder and pageinspect.

* its dtypes come from the construct layouts (offsets equal, nothing typed twice);
* headers, line pointers and checksums equal the per-page path on every fixture page;
* ``classify`` is sound: every page it calls regular decodes with no diagnostic, the same kind
  and the same checksum status -- on every fixture page of every version and on mutated and
  random pages -- and on the fixtures it is complete: every clean heap page is regular.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from goldens import FixtureRelation, relations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import DiagnosticLog, parse_header, parse_line_pointers
from pageinspect_py.layouts.page import PAGE_HEADER_OFFSETS
from pageinspect_py.page import arrays as A
from pageinspect_py.page.checksum import page_checksum
from pageinspect_py.page.raw import Chunk
from pageinspect_py.sources.file import FileSource

RELATIONS = [r for r in relations() if r.meta.get("files")]


def _chunks(rel: FixtureRelation) -> list[Chunk]:
    out: list[Chunk] = []
    for fork in sorted(rel.meta["files"]):
        with FileSource(rel.file(fork)) as source:
            out.extend(source.chunks(source.given_fork, pages=7))  # odd runs: chunk edges
    return out


def _verdict(data: bytes, blkno: int, fork: str, verifiable: bool = True) -> tuple[int, int]:
    pages = np.frombuffer(data, dtype=np.uint8).reshape(1, len(data))
    kind, status = A.classify(
        pages, np.array([blkno], dtype=np.int64), fork=fork, verifiable=verifiable
    )
    return int(kind[0]), int(status[0])


def _assert_sound(data: bytes, blkno: int, fork: str, verifiable: bool = True) -> bool:
    """A regular verdict must mean: the decoder finds nothing and agrees on kind and checksum."""
    kind, status = _verdict(data, blkno, fork, verifiable)
    if kind == A.Kind.IRREGULAR:
        return False
    page = decode_page(data, blkno, fork=fork, checksum_verifiable=verifiable)
    assert page.diagnostics == (), (blkno, fork, page.diagnostics)
    assert str(page.kind) == A.Kind(kind).name.lower()
    assert str(page.checksum.status) == A.Checksum(status).name.lower()
    return True


def test_header_dtype_is_the_layout() -> None:
    fields = A.HEADER_DTYPE.fields
    assert fields is not None
    for name, (offset, size) in PAGE_HEADER_OFFSETS.items():
        dtype, at = fields[name][:2]
        assert (at, dtype.itemsize) == (offset, size), name
    assert A.HEADER_DTYPE.itemsize == 24
    lsn = A.HEADER_DTYPE["pd_lsn"].fields
    assert lsn is not None and list(lsn) == ["xlogid", "xrecoff"]


@pytest.mark.parametrize("rel", RELATIONS, ids=str)
def test_kernel_equals_per_page_path(rel: FixtureRelation) -> None:
    for chunk in _chunks(rel):
        pages = A.pages_array(chunk)
        blknos = np.arange(chunk.first, chunk.first + chunk.count, dtype=np.int64)
        heads = A.headers(pages)
        sums = A.checksums(pages, blknos)
        far = A.checksums(pages, blknos + 131072)
        counts = np.array(
            [max(0, (min(int(h["pd_lower"]), pages.shape[1]) - 24) // 4) for h in heads],
            dtype=np.int64,
        )
        items = A.FlatItems(pages, counts)
        for i in range(chunk.count):
            data = chunk.page(i)
            header = parse_header(data)
            assert heads[i]["pd_lower"] == header.pd_lower
            assert heads[i]["pd_upper"] == header.pd_upper
            assert heads[i]["pd_special"] == header.pd_special
            assert heads[i]["pd_flags"] == header.pd_flags
            assert heads[i]["pd_prune_xid"] == header.pd_prune_xid
            lsn = heads[i]["pd_lsn"]
            assert (int(lsn["xlogid"]) << 32 | int(lsn["xrecoff"])) == header.pd_lsn
            assert sums[i] == page_checksum(data, int(blknos[i]))
            assert far[i] == page_checksum(data, int(blknos[i]) + 131072)
            lps = parse_line_pointers(data, header, DiagnosticLog())
            mine = np.flatnonzero(items.row == i)
            assert len(mine) == len(lps)
            for j, lp in zip(mine, lps, strict=True):
                assert items.index[j] == lp.lp - 1
                assert (items.lp_off[j], items.lp_flags[j], items.lp_len[j]) == (
                    lp.lp_off,
                    lp.lp_flags,
                    lp.lp_len,
                )


@pytest.mark.parametrize("rel", RELATIONS, ids=str)
def test_classify_is_sound_and_complete_on_fixtures(rel: FixtureRelation) -> None:
    for chunk in _chunks(rel):
        pages = A.pages_array(chunk)
        blknos = np.arange(chunk.first, chunk.first + chunk.count, dtype=np.int64)
        kinds, _ = A.classify(pages, blknos, fork=chunk.fork, verifiable=True)
        for i in range(chunk.count):
            data, blkno = chunk.page(i), int(blknos[i])
            regular = _assert_sound(data, blkno, chunk.fork)
            assert regular == (kinds[i] != A.Kind.IRREGULAR)
            page = decode_page(data, blkno, fork=chunk.fork)
            clean = str(page.kind) in ("heap", "new", "btree") and not page.diagnostics
            if str(page.kind) == "btree" and page.opaque is not None and page.opaque.ignore:  # type: ignore[attr-defined]
                clean = False  # deleted and half-dead pages are left to the decoder
            if chunk.fork == "main" and clean:
                assert regular, f"{rel} block {blkno}: a clean {page.kind} page went irregular"


def _main_fork_pages() -> list[tuple[bytes, int]]:
    """Every main-fork page of every fixture relation (heaps, TOAST tables, indexes)."""
    out: list[tuple[bytes, int]] = []
    for rel in RELATIONS:
        with FileSource(rel.file("main")) as source:
            out.extend((raw.data, raw.blkno) for raw in source.pages("main"))
    return out


_PAGES = _main_fork_pages()
_HOT = (
    list(range(24))  # header
    + list(range(24, 24 + 4 * 12))  # first line pointers
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.integers(min_value=0, max_value=len(_PAGES) - 1),
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=8191), st.integers(0, 255)),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
    st.booleans(),
)
def test_classify_is_sound_on_mutated_pages(
    index: int, edits: list[tuple[int, int]], near_structure: bool, verifiable: bool
) -> None:
    data, blkno = _PAGES[index]
    page = bytearray(data)
    rng = random.Random(index * 7919 + len(edits))
    for position, value in edits:
        where = position
        if near_structure:
            # header, line pointers, or a tuple header (where the rules look)
            choice = rng.random()
            if choice < 0.3:
                where = rng.choice(_HOT)
            elif choice < 0.8:
                lp_off = int.from_bytes(page[24:28], "little") & 0x7FFF
                where = lp_off + rng.randrange(24)
        page[where % len(page)] = value
    _assert_sound(bytes(page), blkno, rng.choice(["main", "init", "fsm"]), verifiable)


def _near_valid_heap_page(rng: random.Random, blkno: int = 0) -> bytes:
    """A heap page whose every field is drawn near the values real pages hold: line pointers
    of all four states, aligned or not, overlapping or not; tuple headers with plausible
    t_hoff, natts and null flags."""
    size = 8192
    page = bytearray(size)
    count = rng.randrange(0, 40)
    lower = 24 + 4 * count + rng.choice([0, 0, 0, 0, 2])
    upper = rng.choice([lower, lower + rng.randrange(0, 2000), size - rng.randrange(0, 300)])
    upper = min(max(upper, 0), size)
    special = rng.choice([size, size, size, size - 16, upper])
    page[12:14] = lower.to_bytes(2, "little")
    page[14:16] = upper.to_bytes(2, "little")
    page[16:18] = special.to_bytes(2, "little")
    page[18:20] = (size | rng.choice([4, 4, 4, 3])).to_bytes(2, "little")
    page[10:12] = rng.choice([0, 0, 1, 4, 8]).to_bytes(2, "little")
    cursor = size
    for index in range(count):
        flags = rng.choice([0, 1, 1, 1, 2, 3])
        length = rng.choice([0, rng.randrange(1, 24), rng.randrange(24, 200)])
        cursor -= (length + 7) & ~7 if rng.random() < 0.9 else rng.randrange(0, 64)
        off = max(cursor, 0) + (0 if rng.random() < 0.95 else rng.randrange(1, 8))
        if flags == 2:
            off, length = rng.randrange(0, count + 2), rng.choice([0, 0, 0, 4])
        if flags == 0 and rng.random() < 0.9:
            off = length = 0
        word = (off & 0x7FFF) | (flags << 15) | ((length & 0x7FFF) << 17)
        page[24 + 4 * index : 28 + 4 * index] = word.to_bytes(4, "little")
        if flags in (1, 3) and off >= 0 and off + 23 <= size:
            natts = rng.choice([1, 3, 8, 9, 17, 1700])
            hot = rng.choice([0, 0, 0x4000, 0x8000, 0xC000, 0x2000])  # HOT/heap-only/keys
            infomask = rng.choice(
                [0, 1, 8, 0x0901, 0x0100, 0x2900, 0x2100, 0x1000, 0x1400, 0x0C00, 0x0080]
            )
            page[off : off + 4] = rng.choice([0, 100, 200, 300]).to_bytes(4, "little")
            page[off + 4 : off + 8] = rng.choice([0, 200, 300]).to_bytes(4, "little")
            ctid_block = blkno if rng.random() < 0.8 else rng.randrange(0, 3)
            page[off + 12 : off + 14] = (ctid_block >> 16).to_bytes(2, "little")
            page[off + 14 : off + 16] = (ctid_block & 0xFFFF).to_bytes(2, "little")
            page[off + 16 : off + 18] = rng.randrange(0, count + 2).to_bytes(2, "little")
            page[off + 18 : off + 20] = (natts | hot).to_bytes(2, "little")
            page[off + 20 : off + 22] = infomask.to_bytes(2, "little")
            page[off + 22] = rng.choice([24, 24, 24, 32, 40, 23, 25, 250])
    return bytes(page)


@settings(max_examples=800, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(0, 2**32 - 1), st.booleans())
def test_classify_is_sound_on_near_valid_pages(
    rng: random.Random, blkno: int, verifiable: bool
) -> None:
    _assert_sound(_near_valid_heap_page(rng, blkno), blkno, "main", verifiable)


def _near_valid_btree_page(rng: random.Random) -> bytes:
    """A btree page whose fields are drawn near real values: leaf or internal, rightmost or
    not, items plain, pivot (with and without a heap TID), posting, with nulls, LP_DEAD;
    with probability ``noise`` each decision goes wrong (levels, flags, sizes disagreeing
    with lp_len, unsorted or short posting lists, overlaps, misalignment)."""
    noise = rng.choice([0.0, 0.0, 0.01, 0.05, 0.2])

    def odd() -> bool:
        return rng.random() < noise

    size = 8192
    page = bytearray(size)
    special = size - 16
    count = rng.randrange(0, 40)
    lower = 24 + 4 * count
    leaf = rng.random() < 0.6
    flags = (1 if leaf else 0) | rng.choice([0, 0x40, 0x02, 0x80])
    if odd():
        flags |= rng.choice([0x04, 0x10, 0x08, 0x1000])
    level = 0 if leaf else rng.choice([1, 2])
    if odd():
        level = rng.choice([0, 1])
    nxt = rng.choice([0, 5, 7])
    prev = rng.choice([0, 3, nxt]) if odd() else rng.choice([0, 3])
    cycle = rng.choice([0xFF80, 0x10000 - 1]) if odd() else rng.choice([0, 5])
    page[special : special + 16] = (
        prev.to_bytes(4, "little")
        + nxt.to_bytes(4, "little")
        + level.to_bytes(4, "little")
        + flags.to_bytes(2, "little")
        + cycle.to_bytes(2, "little")
    )
    cursor = special
    tid_block = 0
    for index in range(count):
        number = index + 1
        high = number == 1 and nxt != 0
        first = number == (1 if nxt == 0 else 2)
        if high or not leaf:
            kind = rng.choice(["pivot", "pivot-tid"])
        else:
            kind = rng.choice(["plain", "plain", "posting", "nulls"])
        if odd():
            kind = rng.choice(["plain", "pivot", "pivot-tid", "posting", "nulls"])
        tids = rng.randrange(2, 8) if kind == "posting" else 0
        if odd():
            tids = rng.randrange(0, 3)
        length = {"plain": 16, "pivot": 16, "pivot-tid": 24, "nulls": 24}.get(kind, 16 + 6 * tids)
        length = (length + 7) & ~7
        if odd():
            length = max(1, length + rng.randrange(-8, 8))
        cursor -= (length + 7) & ~7
        if odd():
            cursor += rng.randrange(-24, 24)
        off = min(max(cursor, 0), size - 1)
        lp_flags = 3 if rng.random() < 0.1 and leaf and not high else 1
        if odd():
            lp_flags = rng.choice([0, 2, 3])
        word = (off & 0x7FFF) | (lp_flags << 15) | ((length & 0x7FFF) << 17)
        page[24 + 4 * index : 28 + 4 * index] = word.to_bytes(4, "little")
        if off + 8 > size:
            continue
        t_info = (length + (8 if odd() else 0)) & 0x1FFF
        block, posid = rng.randrange(0, 70000), rng.randrange(1, 300)
        if kind == "nulls":
            t_info |= 0x8000
        if kind in ("pivot", "pivot-tid"):
            t_info |= 0x2000
            natts = 0 if first and not high else rng.choice([1, 2])
            posid = (natts if not odd() else rng.choice([0, 1])) | (
                0x1000 if kind == "pivot-tid" else 0
            )
        if kind == "posting":
            t_info |= 0x2000
            block = 16 if not odd() else rng.choice([8, 12, 20, 64])
            posid = 0x2000 | tids
            for k in range(tids):
                at = off + block + 6 * k
                if at + 6 <= size:
                    tid_block += 1 if not odd() else -2
                    value = max(tid_block, 0)
                    page[at : at + 4] = (value >> 16).to_bytes(2, "little") + (
                        value & 0xFFFF
                    ).to_bytes(2, "little")
                    page[at + 4 : at + 6] = (0 if odd() else 1 + k).to_bytes(2, "little")
        if kind == "plain" and odd():
            posid = 0
        page[off : off + 8] = (
            (block >> 16).to_bytes(2, "little")
            + (block & 0xFFFF).to_bytes(2, "little")
            + posid.to_bytes(2, "little")
            + t_info.to_bytes(2, "little")
        )
    upper = min(max(cursor, lower), special)
    if odd():
        upper = rng.randrange(24, size)
    page[12:14] = lower.to_bytes(2, "little")
    page[14:16] = upper.to_bytes(2, "little")
    page[16:18] = special.to_bytes(2, "little")
    page[18:20] = (size | 4).to_bytes(2, "little")
    return bytes(page)


@settings(max_examples=600, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(0, 2**32 - 1), st.booleans())
def test_classify_is_sound_on_near_valid_btree_pages(
    rng: random.Random, blkno: int, verifiable: bool
) -> None:
    _assert_sound(_near_valid_btree_page(rng), blkno, "main", verifiable)


def test_near_valid_btree_pages_reach_both_verdicts() -> None:
    rng = random.Random(2)
    verdicts = {_verdict(_near_valid_btree_page(rng), 0, "main")[0] for _ in range(800)}
    assert {A.Kind.IRREGULAR, A.Kind.BTREE} <= verdicts


def test_near_valid_pages_reach_both_verdicts() -> None:
    """The generator is worth its name: some pages are regular, some are not."""
    rng = random.Random(1)
    verdicts = {_verdict(_near_valid_heap_page(rng), 0, "main")[0] for _ in range(500)}
    assert {A.Kind.IRREGULAR, A.Kind.HEAP} <= verdicts


def test_checksum_vectors_equal_pageinspect_on_many_blocks() -> None:
    """The same page at many absolute block numbers (segment arithmetic) in one call."""
    data, _ = _PAGES[0]
    pages = np.frombuffer(data * 16, dtype=np.uint8).reshape(16, 8192)
    blknos = np.array([0, 1, 2, 65535, 65536, 131071, 131072, 2**31, 2**32 - 1] + [7] * 7)
    got = A.checksums(pages, blknos.astype(np.int64))
    assert [int(x) for x in got] == [page_checksum(data, int(b)) for b in blknos]


def _fill_reference(data: bytes, blkno: int, fork: str, verifiable: bool = True) -> object:
    from pageinspect_py.analysis.pagefill import fill_from_page

    return fill_from_page(decode_page(data, blkno, fork=fork, checksum_verifiable=verifiable))


def _chunk_of(pages: list[bytes], first: int, fork: str) -> Chunk:
    return Chunk(first, b"".join(pages), fork, len(pages[0]))  # type: ignore[arg-type]


@pytest.mark.parametrize("rel", RELATIONS, ids=str)
def test_chunk_fills_equal_the_decoders_fill(rel: FixtureRelation) -> None:
    from pageinspect_py.analysis.pagefill import chunk_fills

    for chunk in _chunks(rel):
        got = chunk_fills(chunk)
        want = [
            _fill_reference(chunk.page(i), chunk.first + i, chunk.fork) for i in range(chunk.count)
        ]
        assert got == want


@settings(max_examples=400, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(0, 2**20), st.booleans())
def test_chunk_fills_on_near_valid_pages(rng: random.Random, blkno: int, verifiable: bool) -> None:
    from pageinspect_py.analysis.pagefill import chunk_fills

    pages = [_near_valid_heap_page(rng, blkno + i) for i in range(3)]
    got = chunk_fills(_chunk_of(pages, blkno, "main"), checksum_verifiable=verifiable)
    want = [_fill_reference(p, blkno + i, "main", verifiable) for i, p in enumerate(pages)]
    assert got == want
