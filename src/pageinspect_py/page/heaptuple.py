"""The heap tuple header (``HeapTupleHeaderData``, htup_details.h): reader and validity rules."""

from __future__ import annotations

import struct

from pageinspect_py import constants as C
from pageinspect_py.layouts._util import struct_format
from pageinspect_py.layouts.heap import HeapTupleHeaderData

#: HeapTupleHeaderData's fixed part as a struct unpacker derived from the layout (t_ctid
#: flattened to bi_hi, bi_lo, ip_posid): 30x faster than construct per tuple
TUPLE_HEADER_STRUCT = struct.Struct(struct_format(HeapTupleHeaderData))

#: MinHeapTupleSize: the smallest lp_len heap_page_items() decodes
MIN_HEAP_TUPLE_SIZE = C.maxalign(C.SizeofHeapTupleHeader)


def null_bitmap_length(natts: int) -> int:
    """BITMAPLEN(natts)."""
    return (natts + 7) // 8


def decodes_as_tuple(lp_off: int, lp_len: int) -> bool:
    """heap_page_items()' rule: an item is read as a tuple when it is at least a header long
    and MAXALIGNed (otherwise it is an undecodable item)."""
    return lp_len >= MIN_HEAP_TUPLE_SIZE and lp_off == C.maxalign(lp_off)


def t_hoff_ok(t_hoff: int, lp_len: int) -> bool:
    """t_hoff is a MAXALIGNed offset between the fixed header and the tuple's end."""
    return C.SizeofHeapTupleHeader <= t_hoff <= lp_len and t_hoff == C.maxalign(t_hoff)


def tuple_header_problems(
    lp_len: int, t_hoff: int, t_infomask: int, t_infomask2: int
) -> tuple[str, ...]:
    """Diagnostic codes for a tuple header: ``t-hoff``, ``bitmap-past-hoff``, ``natts``."""
    codes: tuple[str, ...] = ()
    natts = t_infomask2 & C.HEAP_NATTS_MASK
    if not t_hoff_ok(t_hoff, lp_len):
        codes += ("t-hoff",)
    elif (
        t_infomask & C.HEAP_HASNULL and C.SizeofHeapTupleHeader + null_bitmap_length(natts) > t_hoff
    ):
        codes += ("bitmap-past-hoff",)
    if natts > C.MaxHeapAttributeNumber:
        codes += ("natts",)
    return codes
