"""B-tree structures: ``BTMetaPageData``, ``BTPageOpaqueData``, ``BTDeletedPageData`` and
``IndexTupleData`` with the two t_tid encodings nbtree adds (pivot tuples, posting lists).

Sources: ``src/include/access/nbtree.h`` (BTMetaPageData, BTPageOpaqueData, BTDeletedPageData,
BT_OFFSET_MASK, BT_STATUS_OFFSET_MASK, BT_PIVOT_HEAP_TID_ATTR, BT_IS_POSTING, INDEX_ALT_TID_MASK),
``src/include/access/itup.h`` (IndexTupleData, IndexAttributeBitMapData, INDEX_*_MASK) and
``src/include/storage/itemptr.h`` (ItemPointerData), PostgreSQL 12 to 18.

What changed between versions, and how the factories below choose:

* ``BTMetaPageData`` (one page per index, block 0, at ``PageGetContents()`` = offset 24):
  btree version 2 (before PostgreSQL 11) has the six root fields only; version 3 and 4 add the
  cleanup fields (``btm_oldest_btpo_xact`` up to 13, renamed ``btm_last_cleanup_num_delpages``
  in 14 with a new meaning, and ``btm_last_cleanup_num_heap_tuples``); PostgreSQL 13 adds
  ``btm_allequalimage``, which grows ``sizeof(BTMetaPageData)`` from 40 to 48 bytes
  (``pd_lower`` 64 -> 72). :func:`bt_meta_page_data` picks the fields.
* ``BTPageOpaqueData`` (the 16-byte special space): up to 13 its third word is a union
  ``btpo`` of ``level`` and, on deleted pages, ``xact``; from 14 it is ``btpo_level`` only and
  a deleted page keeps a 64-bit ``safexid`` in ``BTDeletedPageData`` (flag
  ``BTP_HAS_FULLXID``). :func:`bt_page_opaque_data` picks the names; the union is one
  ``Int32ul`` (construct's ``Union`` has no ``sizeof()``) and ``decode/`` reads it as a level
  or an xact from ``btpo_flags``.
"""

from __future__ import annotations

import operator
from functools import cache, reduce
from typing import Any

from construct import (
    Array,
    BitsInteger,
    BitStruct,
    Bytes,
    ByteSwapped,
    Flag,
    Float64l,
    If,
    Int16ul,
    Int32ul,
    Int64ul,
    Padding,
    Pointer,
    Struct,
    this,
)

from pageinspect_py.constants import (
    BT_IS_POSTING,
    BT_OFFSET_MASK,
    BT_PIVOT_HEAP_TID_ATTR,
    BTP_FLAG_NAMES,
    BTREE_NOVAC_VERSION,
    INDEX_ALT_TID_MASK,
    INDEX_NULL_MASK,
    INDEX_SIZE_MASK,
    SizeOfIndexAttributeBitMapData,
    maxalign,
)
from pageinspect_py.layouts._util import field_docs, field_offsets
from pageinspect_py.layouts.heap import ItemPointerData

# ----------------------------------------------------------------------------------------------
# BTMetaPageData

_META_ROOT_FIELDS = (
    "btm_magic" / Int32ul * "should contain BTREE_MAGIC",
    "btm_version" / Int32ul * "nbtree version (always <= BTREE_VERSION)",
    "btm_root" / Int32ul * "current root location",
    "btm_level" / Int32ul * "tree level of the root page",
    "btm_fastroot" / Int32ul * 'current "fast" root location',
    "btm_fastlevel" / Int32ul * 'tree level of the "fast" root page',
)
#: btree version 2: the six fields every version has (24 bytes)
BTMetaPageDataV2 = Struct(*_META_ROOT_FIELDS)


@cache
def bt_meta_page_data(
    btm_version: int, *, allequalimage: bool = True, delpages: bool = True
) -> Any:
    """``BTMetaPageData`` as a server of the given kind lays it out.

    ``btm_version`` < 3 (BTREE_NOVAC_VERSION): the six root fields only ("remaining fields
    only valid when btm_version >= BTREE_NOVAC_VERSION"). Otherwise the cleanup fields follow:
    ``delpages`` names the first one as 14+ does (``btm_last_cleanup_num_delpages``, "number of
    deleted, non-recyclable pages during last cleanup") or as 12-13 did
    (``btm_oldest_btpo_xact``, "oldest btpo_xact among all deleted pages"); ``allequalimage``
    adds 13's ``btm_allequalimage`` and the padding to ``sizeof`` 48.
    """
    if btm_version < BTREE_NOVAC_VERSION:
        return BTMetaPageDataV2
    first = (
        "btm_last_cleanup_num_delpages"
        / Int32ul
        * "number of deleted, non-recyclable pages during last cleanup"
        if delpages
        else "btm_oldest_btpo_xact" / Int32ul * "oldest btpo_xact among all deleted pages"
    )
    fields = [
        *_META_ROOT_FIELDS,
        first,
        Padding(4),  # float8 alignment
        "btm_last_cleanup_num_heap_tuples"
        / Float64l
        * "number of heap tuples during last cleanup (deprecated in 14)",
    ]
    if allequalimage:
        fields += ["btm_allequalimage" / Flag * 'are all columns "equalimage"?', Padding(7)]
    return Struct(*fields)


def meta_flavour(major: int | None, pd_lower: int | None = None) -> dict[str, bool]:
    """Keyword arguments of :func:`bt_meta_page_data` for a server major.

    Without a major, ``btm_allequalimage`` is assumed present when ``pd_lower`` reaches past it
    (13+ metapages have ``pd_lower`` 72, 12 ones 64) and the 14+ names are used.
    """
    if major is not None:
        return {"allequalimage": major >= 13, "delpages": major >= 14}
    full = bt_meta_page_data(BTREE_NOVAC_VERSION).sizeof()
    return {"allequalimage": pd_lower is None or pd_lower >= 24 + full, "delpages": True}


# ----------------------------------------------------------------------------------------------
# BTPageOpaqueData

_OPAQUE_LINKS = (
    "btpo_prev" / Int32ul * "left sibling, or P_NONE if leftmost",
    "btpo_next" / Int32ul * "right sibling, or P_NONE if rightmost",
)
_OPAQUE_TAIL = (
    "btpo_flags" / Int16ul * "flag bits, see below",
    "btpo_cycleid" / Int16ul * "vacuum cycle ID of latest split",
)
#: 14+: ``uint32 btpo_level``
BTPageOpaqueData = Struct(
    *_OPAQUE_LINKS,
    "btpo_level" / Int32ul * "tree level --- zero for leaf pages",
    *_OPAQUE_TAIL,
)
#: 12-13: ``union { uint32 level; TransactionId xact; } btpo``
BTPageOpaqueData12 = Struct(
    *_OPAQUE_LINKS,
    "btpo"
    / Int32ul
    * "union: level (tree level --- zero for leaf pages), or xact (next transaction ID, if "
    "deleted)",
    *_OPAQUE_TAIL,
)
BT_OPAQUE_OFFSETS = field_offsets(BTPageOpaqueData)
BT_OPAQUE_DOCS = field_docs(BTPageOpaqueData)
#: every btpo_flags bit nbtree.h defines (others are unknown)
KNOWN_BTP_FLAGS = reduce(operator.or_, (bit for bit, _ in BTP_FLAG_NAMES), 0)


def bt_page_opaque_data(major: int | None) -> Any:
    """The special space as a server of ``major`` names it (None: the newest names)."""
    return BTPageOpaqueData12 if major is not None and major < 14 else BTPageOpaqueData


# ----------------------------------------------------------------------------------------------
# BTDeletedPageData (14+)

#: 14+: the contents of a deleted page (``BTP_HAS_FULLXID``), at ``PageGetContents()``
BTDeletedPageData = Struct(
    "safexid" / Int64ul * "FullTransactionId: see BTPageIsRecyclable(); epoch in the high 32 bits",
)
BT_DELETED_OFFSETS = field_offsets(BTDeletedPageData)
BT_DELETED_DOCS = field_docs(BTDeletedPageData)

# ----------------------------------------------------------------------------------------------
# IndexTupleData

#: itup.h: the fixed 8 bytes of every index tuple
IndexTupleData = Struct(
    "t_tid"
    / ItemPointerData
    * "reference TID to heap tuple (nbtree: downlink and natts of a pivot, or posting "
    "list offset and TID count)",
    "t_info"
    / Int16ul
    * "various info about tuple: 15th (high) bit has nulls, 14th bit has var-width "
    "attributes, 13th bit AM-defined meaning, 12-0 bit size of tuple",
)
INDEX_TUPLE_OFFSETS = field_offsets(IndexTupleData)
INDEX_TUPLE_DOCS = field_docs(IndexTupleData)
#: IndexInfoFindDataOffset: MAXALIGN(sizeof(IndexTupleData) [+ sizeof(IndexAttributeBitMapData)])
INDEX_DATA_OFFSET = maxalign(IndexTupleData.sizeof())
INDEX_DATA_OFFSET_NULLS = maxalign(IndexTupleData.sizeof() + SizeOfIndexAttributeBitMapData)

#: ``t_info`` split into its bits (little-endian uint16, fields from the high bit down).
IndexTupleInfo = ByteSwapped(
    BitStruct(
        "INDEX_NULL_MASK" / Flag * "has nulls",
        "INDEX_VAR_MASK" / Flag * "has var-width attributes",
        "INDEX_ALT_TID_MASK"
        / Flag
        * "INDEX_AM_RESERVED_BIT; nbtree: t_tid holds pivot or posting list data",
        "size" / BitsInteger(13) * "INDEX_SIZE_MASK: size of tuple",
    )
)

#: itup.h: one bit per attribute (INDEX_MAX_KEYS bits), present with INDEX_NULL_MASK;
#: bit i (lowest bit first) is 1 when attribute i+1 is NOT null.
IndexAttributeBitMapData = Bytes(SizeOfIndexAttributeBitMapData)

#: The header, the null bitmap when present, and nbtree's alternative t_tid payloads:
#: a posting list (``BT_IS_POSTING``: block = byte offset of the TID array, offset low 12
#: bits = number of TIDs) or a pivot heap TID (``BT_PIVOT_HEAP_TID_ATTR``: the last 6 bytes
#: of the tuple). Parse a tuple's own bytes (``lp_off`` .. ``lp_off + lp_len``).
_ALT = (this.t_info & INDEX_ALT_TID_MASK) != 0
BTreeTupleData = Struct(
    *IndexTupleData.subcons,
    "t_bits"
    / If(this.t_info & INDEX_NULL_MASK, IndexAttributeBitMapData)
    * "IndexAttributeBitMapData: bitmap of NULLs",
    "posting"
    / If(
        _ALT & ((this.t_tid.ip_posid & BT_IS_POSTING) != 0),
        Pointer(
            (this.t_tid.ip_blkid.bi_hi << 16) | this.t_tid.ip_blkid.bi_lo,
            Array(this.t_tid.ip_posid & BT_OFFSET_MASK, ItemPointerData),
        ),
    )
    * "posting list: heap TIDs in ascending order (13+)",
    "pivot_heap_tid"
    / If(
        _ALT
        & (
            (this.t_tid.ip_posid & (BT_IS_POSTING | BT_PIVOT_HEAP_TID_ATTR))
            == BT_PIVOT_HEAP_TID_ATTR
        ),
        Pointer((this.t_info & INDEX_SIZE_MASK) - ItemPointerData.sizeof(), ItemPointerData),
    )
    * "heap TID kept by suffix truncation, in the tuple's last 6 bytes",
)
