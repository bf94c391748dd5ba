"""Property tests: random and mutated hash pages (real fixture pages with bytes changed, biased
towards the header, the line pointers, the index tuples, the metapage's fields and the special
space) decode without raising, with the index's metapage or without, their regions tile the
page and every diagnostic lies inside it; the pageinspect projections, the JSON and text
output and the whole-index statistics and findings never raise either. The linear hashing
arithmetic keeps its invariants for any metapage."""

from __future__ import annotations

import functools
import gzip
import struct

from goldens import relations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pageinspect_py import constants as C
from pageinspect_py.analysis.hashstats import hash_index_findings, hash_index_statistics
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.hash import (
    HashDecodeOptions,
    bitmap_info,
    hash_metapage_info,
    hash_options,
    hash_page_items,
    hash_page_stats,
    hash_page_type,
)
from pageinspect_py.decode.hash import buckets as B
from pageinspect_py.decode.page import Page
from pageinspect_py.errors import CorruptPageError
from pageinspect_py.render.hash import hash_page_json, hash_page_rows

BLCKSZ = 8192


@functools.cache
def seed_index() -> list[bytes]:
    """The pages of the 17 and 12 hash fixtures."""
    out: list[bytes] = []
    for rel in relations("hash"):
        if rel.major in (12, 17):
            data = gzip.decompress(rel.file().read_bytes())
            out.extend(data[i : i + BLCKSZ] for i in range(0, len(data), BLCKSZ))
    return out


@functools.cache
def seed_options() -> HashDecodeOptions:
    pages = seed_index()[:22]
    return hash_options(lambda b: pages[b] if b < len(pages) else None)


def check(page_bytes: bytes, blkno: int, options: HashDecodeOptions | None) -> Page | None:
    try:
        page = decode_page(page_bytes, blkno, hash=options)
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
    hash_page_type(page)
    hash_page_stats(page)
    hash_page_items(page)
    hash_metapage_info(page)
    hash_page_json(page)
    for _, _, span in hash_page_rows(page):
        assert span is None or 0 <= span.start <= span.stop <= len(page_bytes)
    return page


def hot_offset(page: bytes, choice: int, jitter: int) -> int:
    """An offset where it matters: the header, the line pointers, an item's t_tid/t_info or
    hash code, the metapage's scalar fields, the special space, anywhere."""
    lower = max(24, min(int(struct.unpack_from("<H", page, 12)[0]), BLCKSZ))
    if choice == 0:
        return jitter % 24
    if choice == 1:
        return 24 + jitter % max(1, min(lower, 400) - 24)
    if choice == 2 and lower > 24:
        nitems = (lower - 24) // 4
        word = int(struct.unpack_from("<I", page, 24 + 4 * (jitter % max(1, nitems)))[0])
        return min((word & 0x7FFF) + jitter % 12, BLCKSZ - 1)
    if choice == 3:
        return 24 + jitter % 56  # HashMetaPageData's scalars, or the first bitmap words
    if choice == 4:
        return BLCKSZ - 16 + jitter % 16
    return jitter % BLCKSZ


mutation = st.tuples(st.integers(0, 5), st.integers(0, 2**20), st.integers(0, 255))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 10_000),
    st.lists(mutation, min_size=1, max_size=8),
    st.booleans(),
)
def test_mutated_hash_pages(index: int, mutations: list[tuple[int, int, int]], meta: bool) -> None:
    pages = seed_index()
    blkno = index % len(pages)
    data = bytearray(pages[blkno])
    for choice, jitter, value in mutations:
        data[hot_offset(bytes(data), choice, jitter)] = value
    check(bytes(data), blkno % 22, seed_options() if meta else None)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=12), st.integers(0, 21))
def test_mutated_metapage_as_options(mutations: list[tuple[int, int, int]], blkno: int) -> None:
    """A damaged metapage (or bitmap page) still gives options that decode every page, and
    hash_bitmap_info of any block answers or says None."""
    pages = list(seed_index()[:22])
    target = 0 if blkno % 2 else 9
    data = bytearray(pages[target])
    for choice, jitter, value in mutations:
        data[hot_offset(bytes(data), 3 if choice < 3 else choice, jitter)] = value
    pages[target] = bytes(data)
    options = hash_options(lambda b: pages[b] if b < len(pages) else None)
    check(pages[blkno], blkno, options)
    if options.meta is not None:
        for b in range(64):
            bitmap_info(options.meta, b, options.bitmaps)
    decoded = [decode_page(p, b, hash=options) for b, p in enumerate(pages)]
    hash_index_statistics(decoded)
    hash_index_findings(decoded)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=24, max_size=BLCKSZ), st.integers(0, 40))
def test_random_bytes_with_a_hash_page_id(data: bytes, blkno: int) -> None:
    """Any bytes ending in HASHO_PAGE_ID (and, half the time, a plausible header) decode."""
    page = bytearray(data)
    page[-2:] = C.HASHO_PAGE_ID.to_bytes(2, "little")
    if blkno % 2 and len(page) >= 64 + 16 * 40:
        size = len(page)
        struct.pack_into(
            "<HHHH", page, 12, 24 + 4 * (blkno % 8), size - 16 - 16 * blkno, size - 16, 0
        )
    check(bytes(page), blkno, None)
    check(bytes(page), blkno, seed_options())


def test_every_seed_page_with_every_byte_of_its_special_space_flipped() -> None:
    """One page of each type (metapage, bucket pages with and without LP_DEAD items, the
    bitmap, overflow, freed and unused pages), each bit of hasho_flag and a few of the rest."""
    pages = seed_index()
    for blkno in (0, 1, 8, 9, 12, 13, 21):
        page = pages[blkno]
        for offset in range(BLCKSZ - 16, BLCKSZ):
            bits = range(8) if offset in (BLCKSZ - 4, BLCKSZ - 3) else (0, 4, 7)
            for bit in (1 << b for b in bits):
                data = bytearray(page)
                data[offset] ^= bit
                check(bytes(data), blkno, seed_options())


def test_whole_index_with_damaged_pages() -> None:
    pages = [bytearray(p) for p in seed_index()[:22]]
    pages[7][-12:-8] = (3).to_bytes(4, "little")  # bucket 6's chain into bucket 2's page
    pages[10][-16:-12] = (2).to_bytes(4, "little")  # a wrong hasho_prevblkno
    pages[13][-4:-2] = (C.LH_BUCKET_PAGE | C.LH_OVERFLOW_PAGE).to_bytes(2, "little")
    raw = [bytes(p) for p in pages]
    options = hash_options(lambda b: raw[b] if b < len(raw) else None)
    decoded = [decode_page(p, b, hash=options) for b, p in enumerate(raw)]
    findings = hash_index_findings(decoded)
    codes = {f.code for f in findings}
    assert {"hash-chain-link", "hash-orphan-overflow"} <= codes, findings
    stats = hash_index_statistics(decoded)
    assert any("unexpected page type" in p for p in stats.problems)
    assert any(d.code == "hash-page-type" for d in decoded[13].diagnostics)


# -- the arithmetic --------------------------------------------------------------------------


@given(st.integers(1, 0x7FFFFFFF))  # _hash_expandtable stops at hashm_maxbucket 0x7FFFFFFE
def test_spareindex_and_total_buckets_agree(num_buckets: int) -> None:
    """_hash_spareindex(n) is the first phase after which n buckets exist."""
    phase = B.spareindex(num_buckets)
    assert 0 <= phase < C.HASH_MAX_SPLITPOINTS
    assert B.total_buckets(phase) >= num_buckets
    if phase:
        assert B.total_buckets(phase - 1) < num_buckets


@given(st.integers(0, C.HASH_MAX_SPLITPOINTS - 1))
def test_total_buckets_is_a_fixed_point(phase: int) -> None:
    assert B.spareindex(B.total_buckets(phase)) == phase


@given(
    st.lists(st.integers(0, 50), min_size=2, max_size=20),
    st.integers(0, 2**32 - 1),
)
def test_overflow_bits_and_blocks_are_inverse(increments: list[int], hashkey: int) -> None:
    """Spares count overflow pages cumulatively (none before splitpoint 1: _hash_init's
    hashm_ovflpoint is at least 1); every allocated bit maps to a block that maps back to it,
    and no bucket's primary block is an overflow block."""
    spares: list[int] = [0]
    total = 0
    for step in increments:
        total += step
        spares.append(total)
    ovflpoint = len(spares) - 1
    spares += [0] * (C.HASH_MAX_SPLITPOINTS - len(spares))
    for bit in range(spares[ovflpoint]):
        blkno = B.bitno_to_blkno(bit, ovflpoint, spares)
        assert B.ovflblkno_to_bitno(blkno, ovflpoint, spares) == bit
    maxbucket = B.total_buckets(ovflpoint) - 1
    for bucket in range(min(maxbucket + 1, 300)):
        primary = B.bucket_to_blkno(bucket, spares)
        assert primary is not None
        assert B.ovflblkno_to_bitno(primary, ovflpoint, spares) is None
    highmask = (1 << (maxbucket.bit_length())) - 1
    bucket = B.hashkey_to_bucket(hashkey, maxbucket, highmask, highmask >> 1)
    assert 0 <= bucket <= maxbucket


@given(st.integers(0, 2**31), st.integers(0, 2**31))
def test_split_from_follows_the_top_bit(bucket: int, ancestor: int) -> None:
    assert B.split_from(bucket, bucket)
    assert B.split_from(bucket, 0)
    if B.split_from(bucket, ancestor):
        assert bucket & ancestor == ancestor and ancestor <= bucket
