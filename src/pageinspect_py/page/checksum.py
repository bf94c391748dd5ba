"""PostgreSQL's data page checksum (``src/include/storage/checksum_impl.h``).

An FNV-1a variant computed over 32 interleaved lanes of little-endian 32-bit words, with the
``pd_checksum`` field taken as zero, mixed with the *absolute* block number of the page in its
relation fork (``segment * blocks-per-segment + block``), reduced to 1..65535.
The result depends on byte order and block size; pages here are little-endian.
"""

from __future__ import annotations

import enum
import struct
from typing import Any, Final

import numpy as np

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


#: 32 lanes side by side in one integer: each lane's 32-bit value in the low half of a
#: 64-bit slot. A lane times FNV_PRIME stays under 2^57, so products never carry into the
#: next slot, and one big-integer operation advances all 32 lanes at once.
_SLOT = 8
_LANE_MASK: Final = int.from_bytes(b"\xff\xff\xff\xff\0\0\0\0" * N_SUMS, "little")
_BASE_LANES: Final = int.from_bytes(
    b"".join(value.to_bytes(_SLOT, "little") for value in CHECKSUM_BASE_OFFSETS), "little"
)


def _mix(lanes: int) -> int:
    """CHECKSUM_COMP on every lane at once (the value already xor-ed in)."""
    return ((lanes * FNV_PRIME) & _LANE_MASK) ^ ((lanes >> 17) & _LANE_MASK)


def checksum_block(data: bytes) -> int:
    """pg_checksum_block: the 32-bit hash of a whole page (length a multiple of 128)."""
    row_bytes = 4 * N_SUMS
    if len(data) % row_bytes:
        raise ValueError(f"page length {len(data)} is not a multiple of {row_bytes}")
    # spread each little-endian 32-bit word into a 64-bit slot
    spread = bytearray(2 * len(data))
    for byte in range(4):
        spread[byte::_SLOT] = data[byte::4]
    lanes = _BASE_LANES
    step = _SLOT * N_SUMS
    for offset in range(0, len(spread), step):
        lanes = _mix(lanes ^ int.from_bytes(spread[offset : offset + step], "little"))
    # two rounds of zeroes for additional mixing
    lanes = _mix(_mix(lanes))
    values = struct.unpack(f"<{2 * N_SUMS}I", lanes.to_bytes(_SLOT * N_SUMS, "little"))
    result = 0
    for value in values[0::2]:  # the low halves; the high halves are zero
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


class Verdict(enum.IntEnum):
    """What a page's ``pd_checksum`` says (names as ``decode.page.ChecksumStatus`` values)."""

    NOT_APPLICABLE = 0  #: a new page, or not a whole page
    OK = 1
    MISMATCH = 2
    NOT_SET = 3  #: pd_checksum 0: the cluster has no data checksums
    NOT_VERIFIABLE = 4  #: a get_raw_page copy: pd_checksum may be 0 or stale


def verdict(stored: Any, computed: Any, verifiable: bool) -> Any:
    """The checksum verdict of one page (ints: a :class:`Verdict`) or of many (arrays of its
    codes): not verifiable, not set (pd_checksum 0), ok, or a mismatch."""
    if isinstance(stored, int) and isinstance(computed, int):  # one page: no numpy scalars
        if not verifiable:
            return Verdict.NOT_VERIFIABLE
        if stored == 0:
            return Verdict.NOT_SET
        return Verdict.OK if stored == computed else Verdict.MISMATCH
    stored, computed = np.asarray(stored), np.asarray(computed)
    if not verifiable:
        codes = np.full(stored.shape, Verdict.NOT_VERIFIABLE, dtype=np.uint8)
    else:
        codes = np.where(
            stored == 0, Verdict.NOT_SET, np.where(stored == computed, Verdict.OK, Verdict.MISMATCH)
        ).astype(np.uint8)
    return Verdict(int(codes)) if codes.ndim == 0 else codes
