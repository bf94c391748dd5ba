"""GIN index structures: ``GinPageOpaqueData``, ``GinMetaPageData``, ``PostingItem``, the
header of a compressed ``GinPostingList`` segment and the entry tuple header.

Sources: ``src/include/access/ginblock.h`` (the page layouts, 12+), ``access/gin_private.h``
(GinNullCategory, the entry tuple macros), ``src/backend/access/gin/ginpostinglist.c``
(varbyte TID compression). The layout is the same in PostgreSQL 12 to 18 (ginVersion 2 since
9.4: compressed posting lists; deleted pages keep their XID in pd_prune_xid since 11).

Where things are on a page:

* every GIN page ends with the 8-byte ``GinPageOpaqueData`` (``pd_special = BLCKSZ - 8``);
* the metapage (block 0) holds ``GinMetaPageData`` at ``PageGetContents()`` (offset 24),
  ``pd_lower`` just past it;
* entry-tree pages (no ``GIN_DATA``) and pending-list pages (``GIN_LIST``) hold line pointers
  to index tuples;
* posting-tree pages (``GIN_DATA``) hold the right bound (an ``ItemPointerData``) at
  ``PageGetContents()``, then, at ``GinDataPageGetData()`` = 24 + MAXALIGN(6) = 32,
  ``maxoff`` ``PostingItem``s (internal pages) or the compressed posting list segments up
  to ``pd_lower`` (leaves; before 9.4 an array of ``maxoff`` ``ItemPointerData``).
"""

from __future__ import annotations

from construct import Int16ul, Int32sl, Int32ul, Int64sl, Padding, Struct

from pageinspect_py.constants import SizeOfPageHeaderData, maxalign
from pageinspect_py.layouts._util import field_docs, field_offsets
from pageinspect_py.layouts.heap import BlockIdData, ItemPointerData

# ----------------------------------------------------------------------------------------------
# GinPageOpaqueData

#: ginblock.h: the special space of every GIN page (8 bytes)
GinPageOpaqueData = Struct(
    "rightlink" / Int32ul * "next page if any",
    "maxoff"
    / Int16ul
    * "number of PostingItems on GIN_DATA & ~GIN_LEAF page. On GIN_LIST page, number of heap "
    "tuples.",
    "flags" / Int16ul * "see bit definitions below",
)
GIN_OPAQUE_OFFSETS = field_offsets(GinPageOpaqueData)
GIN_OPAQUE_DOCS = field_docs(GinPageOpaqueData)

# ----------------------------------------------------------------------------------------------
# GinMetaPageData

#: ginblock.h: the metapage contents; the int64s are 8-aligned, so 4 bytes of padding lie
#: before nEntries and after ginVersion (sizeof 56)
GinMetaPageData = Struct(
    "head"
    / Int32ul
    * "Pointers to head and tail of pending list, which consists of GIN_LIST pages. These "
    "store fast-inserted entries that haven't yet been moved into the regular GIN structure.",
    "tail" / Int32ul * "tail of the pending list",
    "tailFreeSize" / Int32ul * "Free space in bytes in the pending list's tail page.",
    "nPendingPages" / Int32ul * "We store both number of pages and number of heap tuples that "
    "are in the pending list.",
    "nPendingHeapTuples" / Int64sl * "heap tuples in the pending list",
    "nTotalPages" / Int32ul * "Statistics for planner use (accurate as of last VACUUM)",
    "nEntryPages" / Int32ul * "entry-tree pages (as of the last VACUUM)",
    "nDataPages" / Int32ul * "posting-tree pages (as of the last VACUUM)",
    Padding(4),
    "nEntries" / Int64sl * "entries (keys) in the entry tree (as of the last VACUUM)",
    "ginVersion"
    / Int32sl
    * "GIN version number (ideally this should have been at the front, but too late now. "
    "Don't move it!)",
    Padding(4),
)
GIN_META_OFFSETS = field_offsets(GinMetaPageData)
GIN_META_DOCS = field_docs(GinMetaPageData)
GIN_META_SIZE: int = GinMetaPageData.sizeof()

# ----------------------------------------------------------------------------------------------
# posting-tree pages

#: ginblock.h: a downlink of an internal posting-tree page (10 bytes, 2-aligned)
PostingItem = Struct(
    "child_blkno"
    / BlockIdData
    * "We use BlockIdData not BlockNumber to avoid padding space wastage.",
    "key" / ItemPointerData * "the highest TID of the child (its right bound)",
)
POSTING_ITEM_OFFSETS = field_offsets(PostingItem)
POSTING_ITEM_DOCS = field_docs(PostingItem)
POSTING_ITEM_SIZE: int = PostingItem.sizeof()

#: GinDataPageGetRightBound: the ItemPointerData at PageGetContents()
RIGHT_BOUND_OFFSET = SizeOfPageHeaderData
ITEM_POINTER_SIZE: int = ItemPointerData.sizeof()
#: GinDataPageGetData: PageGetContents() + MAXALIGN(sizeof(ItemPointerData))
GIN_DATA_OFFSET = SizeOfPageHeaderData + maxalign(ITEM_POINTER_SIZE)

#: ginblock.h: the fixed head of a compressed posting list segment; ``nbytes`` bytes of
#: varbyte-encoded deltas follow, SHORTALIGNed (SizeOfGinPostingList)
GinPostingListHeader = Struct(
    "first" / ItemPointerData * "first item in this posting list (unpacked)",
    "nbytes" / Int16ul * "number of bytes that follow",
)
POSTING_LIST_OFFSETS = field_offsets(GinPostingListHeader)
POSTING_LIST_DOCS = {
    **field_docs(GinPostingListHeader),
    "bytes": "varbyte encoded items",
}
POSTING_LIST_HEADER_SIZE: int = GinPostingListHeader.sizeof()

# ----------------------------------------------------------------------------------------------
# entry tuples

#: itup.h IndexTupleData as GIN uses it: t_tid holds a downlink (internal entry pages), the
#: posting list's offset and item count or a posting-tree root (leaf entry pages), or a heap
#: TID (pending-list pages)
GinIndexTupleData = Struct(
    "t_tid"
    / ItemPointerData
    * "leaf entry: block = posting list offset | GIN_ITUP_COMPRESSED, offset = number of "
    "items (GIN_TREE_POSTING: block = posting tree root); internal entry: block = downlink; "
    "pending list: the heap TID",
    "t_info"
    / Int16ul
    * "various info about tuple: 15th (high) bit has nulls, 14th bit has var-width "
    "attributes, 12-0 bit size of tuple",
)
GIN_TUPLE_OFFSETS = field_offsets(GinIndexTupleData)
GIN_TUPLE_DOCS = {
    **field_docs(GinIndexTupleData),
    "attnum": "the index column (int2) the key belongs to, stored when the index has more "
    "than one column",
    "key": "the key datum, in the opclass's storage type",
    "category": "GinNullCategory: stored after the (NULL) key when the key is not normal",
}
