"""Generic page structures: ``PageHeaderData`` and ``ItemIdData``.

Sources: ``src/include/storage/bufpage.h`` (PageHeaderData, PageXLogRecPtr) and
``src/include/storage/itemid.h`` (ItemIdData). Identical in PostgreSQL 12 to 18.
"""

from __future__ import annotations

from construct import BitsInteger, BitStruct, ByteSwapped, Int16ul, Int32ul, Struct

from pageinspect_py.layouts._util import field_docs, field_offsets

#: bufpage.h: "for historical reasons, the 64-bit LSN value is stored as two 32-bit values."
PageXLogRecPtr = Struct(
    "xlogid" / Int32ul * "high bits",
    "xrecoff" / Int32ul * "low bits",
)

#: bufpage.h: PageHeaderData, 24 bytes (SizeOfPageHeaderData)
PageHeaderData = Struct(
    "pd_lsn"
    / PageXLogRecPtr
    * "LSN: next byte after last byte of WAL record for last change to this page",
    "pd_checksum" / Int16ul * "checksum",
    "pd_flags" / Int16ul * "flag bits, see below",
    "pd_lower" / Int16ul * "offset to start of free space",
    "pd_upper" / Int16ul * "offset to end of free space",
    "pd_special" / Int16ul * "offset to start of special space",
    "pd_pagesize_version" / Int16ul * "page size (high byte) and layout version (low byte)",
    "pd_prune_xid" / Int32ul * "oldest prunable XID, or zero if none",
)
PAGE_HEADER_OFFSETS = field_offsets(PageHeaderData)
PAGE_HEADER_DOCS = field_docs(PageHeaderData)

#: itemid.h: ``unsigned lp_off:15, lp_flags:2, lp_len:15`` in one little-endian uint32.
#: C lists bitfields from the least significant bit; BitStruct reads from the most
#: significant, so after ByteSwapped the fields appear in reverse order.
ItemIdData = ByteSwapped(
    BitStruct(
        "lp_len" / BitsInteger(15) * "byte length of tuple",
        "lp_flags" / BitsInteger(2) * "state of line pointer, see below",
        "lp_off" / BitsInteger(15) * "offset to tuple (from start of page)",
    )
)
ITEMID_DOCS = field_docs(ItemIdData.subcon.subcon)

#: The same line pointer as one integer, for fast paths (BitStruct does not compile).
#: The masks and shifts are derived from the bitfield definition above.
ItemIdWord = Int32ul
_BITS = {sub.name: sub.sizeof() for sub in ItemIdData.subcon.subcon.subcons}
LP_OFF_MASK = (1 << _BITS["lp_off"]) - 1  #: bits 0-14
LP_FLAGS_SHIFT = _BITS["lp_off"]  #: bits 15-16
LP_FLAGS_MASK = (1 << _BITS["lp_flags"]) - 1
LP_LEN_SHIFT = _BITS["lp_off"] + _BITS["lp_flags"]  #: bits 17-31
LP_LEN_MASK = (1 << _BITS["lp_len"]) - 1
