"""GIN posting lists: the varbyte-compressed ``GinPostingList`` segments (9.4+) and the plain
``ItemPointerData`` arrays of older indexes.

Source: ``src/backend/access/gin/ginpostinglist.c``. A TID is packed into a uint64 as
``block << MaxHeapTuplesPerPageBits | offset``; a segment stores its first TID unpacked and
then the difference of each packed TID from the one before, 7 bits a byte, lowest first, the
high bit set while more bytes follow (the 7th byte, if reached, uses all 8 bits).
"""

from __future__ import annotations

import itertools
import struct

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.gin.model import GinPostingSegment, tid_key
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import DiagnosticLog
from pageinspect_py.layouts._util import struct_format
from pageinspect_py.layouts.gin import POSTING_LIST_HEADER_SIZE, GinPostingListHeader
from pageinspect_py.layouts.heap import ItemPointerData

_HEADER = struct.Struct(struct_format(GinPostingListHeader))
_TID = struct.Struct(struct_format(ItemPointerData))
TID_SIZE = _TID.size
_OFFSET_MASK = (1 << C.MaxHeapTuplesPerPageBits) - 1
#: the most bytes one varbyte integer takes
MAX_VARBYTE = 7


def uint64_to_tid(value: int) -> ItemPointer:
    """ginpostinglist.c uint64_to_itemptr."""
    return ItemPointer((value >> C.MaxHeapTuplesPerPageBits) & 0xFFFFFFFF, value & _OFFSET_MASK)


def decode_varbyte(data: bytes, pos: int, stop: int) -> tuple[int, int] | None:
    """decode_varbyte: ``(value, next position)``, None when the integer runs past ``stop``."""
    value = 0
    for index in range(MAX_VARBYTE):
        if pos >= stop:
            return None
        c = data[pos]
        pos += 1
        if index == MAX_VARBYTE - 1:
            return value | c << 42, pos
        value |= (c & 0x7F) << (7 * index)
        if not c & 0x80:
            return value, pos
    return value, pos  # pragma: no cover - the loop always returns


def encode_varbyte(value: int) -> bytes:
    """encode_varbyte: the inverse of :func:`decode_varbyte` (for tests and synthetic pages)."""
    out = bytearray()
    for _ in range(MAX_VARBYTE - 1):
        if value < 0x80:
            break
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value & 0xFF)
    return bytes(out)


def encode_segment(tids: list[ItemPointer]) -> bytes:
    """A GinPostingList holding ``tids`` (strictly increasing), SHORTALIGNed."""
    first = tids[0]
    body = bytearray()
    previous = tid_key(first)
    for tid in tids[1:]:
        packed = tid_key(tid)
        body += encode_varbyte(packed - previous)
        previous = packed
    head = _HEADER.pack(first.block >> 16, first.block & 0xFFFF, first.offset, len(body))
    return head + bytes(body) + b"\x00" * (len(body) & 1)


def read_tid(data: bytes, offset: int) -> ItemPointer:
    hi, lo, posid = _TID.unpack_from(data, offset)
    return ItemPointer((hi << 16) | lo, posid)


def decode_segment(
    data: bytes, offset: int, stop: int, log: DiagnosticLog, where: str
) -> GinPostingSegment | None:
    """The GinPostingList at ``offset``, which must end by ``stop``; None when not even its
    header fits. A segment whose bytes run past ``stop`` is cut there, with an error; TIDs
    that do not increase are reported."""
    if offset + POSTING_LIST_HEADER_SIZE > stop:
        log.error(
            "gin-segment-short",
            f"{where}: {stop - offset} bytes left, a GinPostingList header needs "
            f"{POSTING_LIST_HEADER_SIZE}",
            Span(offset, max(offset, stop)),
        )
        return None
    hi, lo, posid, nbytes = _HEADER.unpack_from(data, offset)
    first = ItemPointer((hi << 16) | lo, posid)
    start = offset + POSTING_LIST_HEADER_SIZE
    size = POSTING_LIST_HEADER_SIZE + nbytes + (nbytes & 1)  # SizeOfGinPostingList
    end = start + nbytes
    if offset + size > stop:
        log.error(
            "gin-segment-overrun",
            f"{where}: a GinPostingList of nbytes {nbytes} runs past {stop}",
            Span(offset, start),
        )
        end = min(end, stop)
        size = stop - offset
    if not first.offset:
        log.error(
            "gin-tid-invalid", f"{where}: first TID {first} has offset 0", Span(offset, start)
        )
    tids = [first]
    value = tid_key(first)
    pos = start
    while pos < end:
        got = decode_varbyte(data, pos, end)
        if got is None:
            log.error(
                "gin-varbyte-truncated",
                f"{where}: a varbyte integer runs past the segment's nbytes",
                Span(pos, end),
            )
            break
        delta, after = got
        if delta == 0:
            log.error(
                "gin-tid-order",
                f"{where}: a delta of 0 repeats TID {tids[-1]}: TIDs must strictly increase",
                Span(pos, after),
            )
        value += delta
        tids.append(uint64_to_tid(value))
        pos = after
    return GinPostingSegment(offset, first, nbytes, tuple(tids), size)


def decode_segments(
    data: bytes, start: int, stop: int, log: DiagnosticLog, where: str, limit: int | None = None
) -> tuple[GinPostingSegment, ...]:
    """Consecutive segments from ``start`` to ``stop`` (or until ``limit`` TIDs are read),
    with the TIDs strictly increasing from one segment to the next."""
    out: list[GinPostingSegment] = []
    pos = start
    count = 0
    while pos < stop and (limit is None or count < limit):
        seg = decode_segment(data, pos, stop, log, f"{where} segment {len(out) + 1}")
        if seg is None:
            break
        if out and tid_key(seg.first) <= tid_key(out[-1].tids[-1]):
            log.error(
                "gin-tid-order",
                f"{where}: segment {len(out) + 1} starts at {seg.first}, not after the last TID "
                f"of the segment before ({out[-1].tids[-1]})",
                seg.header_span,
            )
        out.append(seg)
        count += len(seg.tids)
        pos += max(seg.size, 1)
    return tuple(out)


def decode_tid_array(data: bytes, start: int, count: int) -> tuple[ItemPointer, ...]:
    """``count`` plain ItemPointerData from ``start`` (the pre-9.4 formats)."""
    return tuple(read_tid(data, start + i * TID_SIZE) for i in range(count))


def check_increasing(
    tids: tuple[ItemPointer, ...], log: DiagnosticLog, where: str, span: Span | None
) -> None:
    for a, b in itertools.pairwise(tids):
        if tid_key(b) <= tid_key(a):
            log.error("gin-tid-order", f"{where}: TID {b} follows {a}: not increasing", span)
            return
