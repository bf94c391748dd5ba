"""Heap tuple structures: ``HeapTupleHeaderData``, ``ItemPointerData`` and the null bitmap.

Sources: ``src/include/access/htup_details.h`` (HeapTupleHeaderData, HeapTupleFields) and
``src/include/storage/itemptr.h``, ``storage/block.h`` (ItemPointerData, BlockIdData).
Identical in PostgreSQL 12 to 18.
"""

from __future__ import annotations

from construct import Bytes, If, Int8ul, Int16ul, Int32ul, Struct, this

from pageinspect_py.constants import HEAP_HASNULL, HEAP_NATTS_MASK
from pageinspect_py.layouts._util import field_docs, field_offsets

#: block.h: the block number as two 16-bit halves, so the struct needs only 2-byte alignment.
BlockIdData = Struct(
    "bi_hi" / Int16ul * "high 16 bits of the block number",
    "bi_lo" / Int16ul * "low 16 bits of the block number",
)

#: itemptr.h: a tuple identifier (block, offset), 6 bytes.
ItemPointerData = Struct(
    "ip_blkid" / BlockIdData * "block number",
    "ip_posid" / Int16ul * "offset number (line pointer, 1-based)",
)

#: htup_details.h: the fixed 23 bytes of every heap tuple header (HeapTupleFields variant).
HeapTupleHeaderData = Struct(
    "t_xmin" / Int32ul * "inserting xact ID",
    "t_xmax" / Int32ul * "deleting or locking xact ID",
    "t_field3"
    / Int32ul
    * "t_cid: inserting or deleting command ID, or both; t_xvac: old-style VACUUM FULL xact ID",
    "t_ctid"
    / ItemPointerData
    * "current TID of this or newer tuple (or a speculative insertion token)",
    "t_infomask2" / Int16ul * "number of attributes + various flags",
    "t_infomask" / Int16ul * "various flag bits, see below",
    "t_hoff" / Int8ul * "sizeof header incl. bitmap, padding",
)
HEAP_TUPLE_HEADER_OFFSETS = field_offsets(HeapTupleHeaderData)
HEAP_TUPLE_HEADER_DOCS = field_docs(HeapTupleHeaderData)

#: The header followed by its null bitmap: one bit per attribute (natts from t_infomask2),
#: present only when HEAP_HASNULL is set; bit i (lowest bit first) is 1 when attribute i+1
#: is NOT null.
HeapTupleHeaderWithBits = Struct(
    *HeapTupleHeaderData.subcons,
    "t_bits"
    / If(
        this.t_infomask & HEAP_HASNULL,
        Bytes(((this.t_infomask2 & HEAP_NATTS_MASK) + 7) // 8),
    )
    * "bitmap of NULLs",
)
