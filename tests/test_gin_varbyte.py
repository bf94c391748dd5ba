"""The array path of GIN's varbyte posting lists (decode/gin/postinglist._deltas) against the
one-integer-at-a-time path (decode_varbyte, ginpostinglist.c's rules): the same TIDs and the
same diagnostics on random bytes, encoded lists and the edge cases of the 7-byte rule."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pageinspect_py.decode.gin import postinglist as P
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import DiagnosticLog


def _both(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_log, slow_log = DiagnosticLog(), DiagnosticLog()
    fast = P.decode_segment(data, 0, len(data), fast_log, "seg")
    with monkeypatch.context() as m:
        m.setattr(P, "_deltas", lambda *_: None)
        slow = P.decode_segment(data, 0, len(data), slow_log, "seg")
    assert fast == slow
    assert fast_log.items == slow_log.items


def _segment(first: tuple[int, int], body: bytes) -> bytes:
    head = struct.pack("<HHHH", first[0] >> 16, first[0] & 0xFFFF, first[1], len(body))
    return head + body + b"\x00" * (len(body) & 1)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=64), st.integers(0, 2**32 - 1), st.integers(0, 2047))
def test_random_bodies_decode_alike(body: bytes, block: int, offset: int) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _both(_segment((block, offset), body), monkeypatch)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 2**43 - 1), min_size=1, max_size=50))
def test_encoded_lists_take_the_array_path(deltas: list[int]) -> None:
    packed, values = 1 << 11 | 1, []
    for d in deltas:
        packed += d
        values.append(packed)
    if packed >= 1 << 43:
        return
    tids = [ItemPointer(1, 1)] + [ItemPointer(v >> 11, v & 0x7FF) for v in values]
    data = P.encode_segment(tids)
    seg = P.decode_segment(data, 0, len(data), DiagnosticLog(), "seg")
    assert seg is not None and list(seg.tids) == tids
    with pytest.MonkeyPatch.context() as monkeypatch:
        _both(data, monkeypatch)


@pytest.mark.parametrize(
    "body",
    [
        bytes([0x81] * 6 + [0xFF]),  # a 7-byte integer: the last byte's high bit is data
        bytes([0x81] * 6 + [0xFF, 0x05]),
        bytes([0x85, 0x80]),  # cut at the end
        bytes([0x00]),  # a delta of 0
        bytes([0x05, 0x80, 0x80, 0x01]),
    ],
)
def test_edges_decode_alike(body: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    _both(_segment((3, 4), body), monkeypatch)
