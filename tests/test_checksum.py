"""The page checksum against the vectors of pageinspect's own regression test
(contrib/pageinspect/sql/checksum.sql, expected/checksum.out, 8 kB little-endian)."""

from __future__ import annotations

from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pageinspect_py.page.checksum import as_int16, checksum_block, page_checksum

# blkno -> page_checksum() of pages filled with a repeated pattern, from checksum.out
EXPECTED = {
    0: {"01": 1175, "04": 28338, "ff": 3612, "abcd": -30781, "e6d6": -16269, "4a5e": -27377},
    50: {"01": 1225, "04": 28352, "ff": 3598, "abcd": -30795, "e6d6": -16251, "4a5e": -27391},
    100: {"01": 1139, "04": 28438, "ff": 3648, "abcd": -30881, "e6d6": -16305, "4a5e": -27349},
}


@pytest.mark.parametrize("blkno", sorted(EXPECTED))
@pytest.mark.parametrize("pattern", ["01", "04", "ff", "abcd", "e6d6", "4a5e"])
def test_regression_vectors(blkno: int, pattern: str) -> None:
    page = bytes.fromhex(pattern) * (8192 // (len(pattern) // 2))
    assert as_int16(page_checksum(page, blkno)) == EXPECTED[blkno][pattern]


def test_stored_checksum_is_ignored() -> None:
    page = bytearray(bytes.fromhex("abcd") * 4096)
    before = page_checksum(bytes(page), 7)
    page[8:10] = b"\x12\x34"
    assert page_checksum(bytes(page), 7) == before


def test_range() -> None:
    for blkno in range(0, 2000, 37):
        assert 1 <= page_checksum(bytes(8192), blkno) <= 65535


def reference_checksum_block(data: bytes) -> int:
    """checksum_impl.h's pg_checksum_block transcribed lane by lane, for comparison."""
    import struct

    from pageinspect_py.page.checksum import CHECKSUM_BASE_OFFSETS, FNV_PRIME

    words = struct.unpack(f"<{len(data) // 4}I", data)
    sums = list(CHECKSUM_BASE_OFFSETS)

    def comp(lane: int, value: int) -> None:
        tmp = sums[lane] ^ value
        sums[lane] = ((tmp * FNV_PRIME) & 0xFFFFFFFF) ^ (tmp >> 17)

    for row in range(0, len(words), 32):
        for lane in range(32):
            comp(lane, words[row + lane])
    for _ in range(2):
        for lane in range(32):
            comp(lane, 0)
    result = 0
    for value in sums:
        result ^= value
    return result


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64), st.sampled_from([0x00, 0xFF, None]))
def test_lane_packed_block_equals_reference(seed: int, fill: int | None) -> None:
    data = Random(seed).randbytes(8192) if fill is None else bytes([fill]) * 8192
    assert checksum_block(data) == reference_checksum_block(data)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([1024, 2048, 4096, 16384, 32768]), st.integers(0, 2**64))
def test_other_block_sizes(size: int, seed: int) -> None:
    data = Random(seed).randbytes(size)
    assert checksum_block(data) == reference_checksum_block(data)
