"""PostgreSQL's data page checksum (``src/include/storage/checksum_impl.h``).

An FNV-1a variant computed over 32 interleaved lanes of little-endian 32-bit words, with the
``pd_checksum`` field taken as zero, mixed with the *absolute* block number of the page in its
relation fork (``segment * blocks-per-segment + block``), reduced to 1..65535.
The result depends on byte order and block size; pages here are little-endian.
"""

from __future__ import annotations

import struct
from typing import Final

from pageinspect_py.layouts.page import PAGE_HEADER_OFFSETS

N_SUMS: Final = 32  #: lanes computed in parallel; part of the algorithm
FNV_PRIME: Final = 16777619
#: initial state of each lane (checksumBaseOffsets)
CHECKSUM_BASE_OFFSETS: Final = (
    0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A,
    0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
    0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA,
    0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
    0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE,
    0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
    0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E,
    0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756,
)  # fmt: skip
_MASK32: Final = 0xFFFFFFFF
_CHECKSUM_AT, _CHECKSUM_SIZE = PAGE_HEADER_OFFSETS["pd_checksum"]


def checksum_block(data: bytes) -> int:
    """pg_checksum_block: the 32-bit hash of a whole page (length a multiple of 128)."""
    if len(data) % (4 * N_SUMS):
        raise ValueError(f"page length {len(data)} is not a multiple of {4 * N_SUMS}")
    words = struct.unpack(f"<{len(data) // 4}I", data)
    sums = list(CHECKSUM_BASE_OFFSETS)
    for row in range(0, len(words), N_SUMS):
        for lane in range(N_SUMS):
            tmp = sums[lane] ^ words[row + lane]
            sums[lane] = ((tmp * FNV_PRIME) & _MASK32) ^ (tmp >> 17)
    # two rounds of zeroes for additional mixing
    for _ in range(2):
        for lane in range(N_SUMS):
            tmp = sums[lane]
            sums[lane] = ((tmp * FNV_PRIME) & _MASK32) ^ (tmp >> 17)
    result = 0
    for value in sums:
        result ^= value
    return result


def page_checksum(page: bytes, blkno: int) -> int:
    """pg_checksum_page: the value PostgreSQL stores in ``pd_checksum`` (unsigned 16-bit).

    ``blkno`` is the absolute block number within the relation fork.
    """
    zeroed = b"".join(
        (page[:_CHECKSUM_AT], bytes(_CHECKSUM_SIZE), page[_CHECKSUM_AT + _CHECKSUM_SIZE :])
    )
    checksum = checksum_block(zeroed) ^ (blkno & _MASK32)
    return (checksum % 65535) + 1


def as_int16(value: int) -> int:
    """An unsigned 16-bit value as the signed ``smallint`` pageinspect shows."""
    return value - 0x10000 if value >= 0x8000 else value
