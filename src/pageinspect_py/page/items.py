"""Line pointers (``ItemIdData``, itemid.h): reader and validity rules.

The one line-pointer word decoder: every path that splits an ``ItemIdData`` word uses
:func:`split_item_id` (or, over arrays, the same masks from ``layouts/page.py``).
"""

from __future__ import annotations

import struct
from functools import cache

from pageinspect_py import constants as C
from pageinspect_py.layouts.page import (
    LP_FLAGS_MASK,
    LP_FLAGS_SHIFT,
    LP_LEN_MASK,
    LP_LEN_SHIFT,
    LP_OFF_MASK,
)


def split_item_id(word: int) -> tuple[int, int, int]:
    """``(lp_off, lp_flags, lp_len)`` of one little-endian ItemIdData word."""
    return (
        word & LP_OFF_MASK,
        (word >> LP_FLAGS_SHIFT) & LP_FLAGS_MASK,
        (word >> LP_LEN_SHIFT) & LP_LEN_MASK,
    )


def item_id_count(pd_lower: int, size: int) -> tuple[int, int]:
    """``(line pointers, bytes of a partial one)`` between the header and pd_lower, bounded by
    the page (PageGetMaxOffsetNumber; a new page's pd_lower of 0 gives 0, not a negative)."""
    lower = min(pd_lower, size)
    if lower <= C.SizeOfPageHeaderData:
        return 0, 0
    return divmod(lower - C.SizeOfPageHeaderData, C.SizeOfItemIdData)


@cache
def _words(count: int) -> struct.Struct:
    return struct.Struct(f"<{count}I")


def item_id_words(data: bytes, count: int, at: int = C.SizeOfPageHeaderData) -> tuple[int, ...]:
    """The first ``count`` line pointer words of a page (the caller bounds ``count``)."""
    words: tuple[int, ...] = _words(count).unpack_from(data, at)
    return words


def item_id_span(index: int) -> tuple[int, int]:
    """Byte range of the line pointer with 0-based ``index``."""
    start = C.SizeOfPageHeaderData + index * C.SizeOfItemIdData
    return start, start + C.SizeOfItemIdData


def item_id_problems(
    lp_off: int, lp_flags: int, lp_len: int, size: int, nitems: int
) -> tuple[tuple[str, ...], bool]:
    """``(codes, storage inside the page)`` for one line pointer.

    Codes: ``lp-unused-nonzero`` (a warning), ``lp-redirect-len``, ``lp-redirect-target``,
    ``lp-normal-empty``, ``lp-out-of-bounds``, ``lp-misaligned``. The flag is true when the
    pointer claims bytes and they lie inside the page (a misaligned item still counts).
    """
    if lp_flags == C.LP_UNUSED:
        return (("lp-unused-nonzero",) if lp_len or lp_off else ()), False
    if lp_flags == C.LP_REDIRECT:
        codes: tuple[str, ...] = ()
        if lp_len:
            codes += ("lp-redirect-len",)
        if not 1 <= lp_off <= nitems:
            codes += ("lp-redirect-target",)
        return codes, False
    if lp_len == 0:
        return (("lp-normal-empty",) if lp_flags == C.LP_NORMAL else ()), False
    if lp_off < C.SizeOfPageHeaderData or lp_off + lp_len > size:
        return ("lp-out-of-bounds",), False
    if lp_off != C.maxalign(lp_off):
        return ("lp-misaligned",), True
    return (), True
