"""The btree structures as ``struct`` unpackers and sizes, derived from the layouts once
(``layouts/btree.py``, ``layouts/heap.py``): the decoder's per-item path and the bulk scan
both read with these (DESIGN "Speed": a btree page holds hundreds of items)."""

from __future__ import annotations

import struct

from pageinspect_py import constants as C
from pageinspect_py.layouts._util import struct_format
from pageinspect_py.layouts.btree import (
    INDEX_DATA_OFFSET,
    INDEX_DATA_OFFSET_NULLS,
    BTPageOpaqueData,
    IndexTupleData,
)
from pageinspect_py.layouts.heap import ItemPointerData

#: IndexTupleData: bi_hi, bi_lo, ip_posid, t_info
INDEX_TUPLE = struct.Struct(struct_format(IndexTupleData))
INDEX_TUPLE_SIZE = INDEX_TUPLE.size
#: ItemPointerData: bi_hi, bi_lo, ip_posid
TID = struct.Struct(struct_format(ItemPointerData))
TID_SIZE = TID.size
#: BTPageOpaqueData: btpo_prev, btpo_next, btpo_level, btpo_flags, btpo_cycleid
OPAQUE = struct.Struct(struct_format(BTPageOpaqueData))
OPAQUE_SIZE = OPAQUE.size
#: IndexInfoFindDataOffset (layouts/btree.py)
DATA_OFFSET = INDEX_DATA_OFFSET
DATA_OFFSET_NULLS = INDEX_DATA_OFFSET_NULLS

assert C.SizeOfBTPageOpaqueData == OPAQUE_SIZE
