"""Synthetic heap pages built with the layouts' own ``build()``, for semantics tests.

Only the byte layout comes from here; the expected meanings in the tests come from the C
headers' definitions (e.g. a redirect keeps its target in lp_off).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pageinspect_py.layouts.heap import HeapTupleHeaderData
from pageinspect_py.layouts.page import ItemIdData, PageHeaderData

BLCKSZ = 8192


def maxalign(n: int) -> int:
    return (n + 7) & ~7


@dataclass
class Tuple:
    data: bytes = b""
    xmin: int = 100
    xmax: int = 0
    field3: int = 0
    ctid: tuple[int, int] = (0, 1)
    infomask: int = 0x0800  # HEAP_XMAX_INVALID
    infomask2: int = 1
    bits: bytes | None = None  # null bitmap; sets HEAP_HASNULL
    hoff: int | None = None

    def encode(self) -> bytes:
        infomask = self.infomask | (0x0001 if self.bits is not None else 0)
        header_len = 23 + (len(self.bits) if self.bits is not None else 0)
        hoff = self.hoff if self.hoff is not None else maxalign(header_len)
        head = HeapTupleHeaderData.build(
            {
                "t_xmin": self.xmin,
                "t_xmax": self.xmax,
                "t_field3": self.field3,
                "t_ctid": {
                    "ip_blkid": {"bi_hi": self.ctid[0] >> 16, "bi_lo": self.ctid[0] & 0xFFFF},
                    "ip_posid": self.ctid[1],
                },
                "t_infomask2": self.infomask2,
                "t_infomask": infomask,
                "t_hoff": hoff,
            }
        )
        head += self.bits or b""
        head += bytes(max(0, hoff - len(head)))
        return bytes(head) + self.data


@dataclass
class Item:
    """A line pointer: a tuple (LP_NORMAL), or explicit flags/off/len for the other states."""

    tuple: Tuple | None = None
    flags: int = 1
    off: int = 0
    length: int = 0


@dataclass
class PageSpec:
    items: list[Item] = field(default_factory=list)
    lsn: int = 0x1_0000_0028
    flags: int = 0
    prune_xid: int = 0
    special: bytes = b""
    size: int = BLCKSZ

    def build(self) -> bytes:
        page = bytearray(self.size)
        special_at = self.size - len(self.special)
        page[special_at:] = self.special
        upper = special_at
        pointers = []
        for item in self.items:
            if item.tuple is not None:
                raw = item.tuple.encode()
                upper = (upper - len(raw)) & ~7
                page[upper : upper + len(raw)] = raw
                pointers.append((upper, item.flags, len(raw)))
            else:
                pointers.append((item.off, item.flags, item.length))
        lower = 24 + 4 * len(pointers)
        header = PageHeaderData.build(
            {
                "pd_lsn": {"xlogid": self.lsn >> 32, "xrecoff": self.lsn & 0xFFFFFFFF},
                "pd_checksum": 0,
                "pd_flags": self.flags,
                "pd_lower": lower,
                "pd_upper": upper,
                "pd_special": special_at,
                "pd_pagesize_version": self.size | 4,
                "pd_prune_xid": self.prune_xid,
            }
        )
        page[:24] = header
        for index, (off, flags, length) in enumerate(pointers):
            at = 24 + 4 * index
            page[at : at + 4] = ItemIdData.build(
                {"lp_off": off, "lp_flags": flags, "lp_len": length}
            )
        return bytes(page)
