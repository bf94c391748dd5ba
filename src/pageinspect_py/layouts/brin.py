"""BRIN index structures: ``BrinSpecialSpace``, ``BrinMetaPageData``, ``RevmapContents``, the
on-disk ``BrinTuple`` header, and the two summaries the 14+ opclasses store as varlenas
(``BloomFilter``, ``SerializedRanges``).

Sources: ``src/include/access/brin_page.h`` (BrinSpecialSpace, BrinPageType, BrinPageFlags,
BRIN_PAGETYPE_*, BRIN_EVACUATE_PAGE, BrinMetaPageData, RevmapContents, REVMAP_CONTENT_SIZE,
REVMAP_PAGE_MAXITEMS), ``src/include/access/brin_tuple.h`` (BrinTuple, SizeOfBrinTuple, the
bt_info masks), ``src/backend/access/brin/brin_bloom.c`` (BloomFilter) and
``brin_minmax_multi.c`` (SerializedRanges). The page layout is the same in PostgreSQL 12 to
18; 16 gave bt_info's bit 5 a meaning (BRIN_EMPTY_RANGE_MASK), 14 added the bloom and
minmax-multi opclasses.

Where things are on a page:

* every BRIN page ends with the 8-byte ``BrinSpecialSpace`` (``vector[MAXALIGN(1) /
  sizeof(uint16)]``): ``vector[3]``, the page's last half-word, is the page type and
  ``vector[2]`` the flags (``BRIN_EVACUATE_PAGE``);
* the metapage (block 0) holds ``BrinMetaPageData`` at ``PageGetContents()`` (offset 24),
  ``pd_lower`` just past it;
* a revmap page (blocks 1 .. lastRevmapPage) holds ``REVMAP_PAGE_MAXITEMS`` ItemPointerData
  at offset 24 (``pd_lower`` stays 24: the array lies in what the header calls free space);
  slot ``i`` of revmap page ``n`` (counting from block 1) is the range starting at heap
  block ``(n * REVMAP_PAGE_MAXITEMS + i) * pagesPerRange``;
* a regular page holds line pointers to BRIN tuples: ``bt_blkno``, ``bt_info``, when
  BRIN_NULLS_MASK is set a bitmap of 2 bits per column (allnulls bits, then hasnulls bits; 1 =
  null), then at ``bt_info & BRIN_OFFSET_MASK`` (MAXALIGNed) the opclasses' stored values laid
  out like heap attributes (heap_fill_tuple).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from construct import Array, Int8ul, Int16ul, Int32sl, Int32ul, Padding, Struct

from pageinspect_py.constants import MAXIMUM_ALIGNOF, SizeOfPageHeaderData, maxalign
from pageinspect_py.layouts._util import field_docs, field_offsets
from pageinspect_py.layouts.heap import ItemPointerData

# ----------------------------------------------------------------------------------------------
# BrinSpecialSpace

#: brin_page.h: "We define it in this odd way so that it always occupies the last
#: MAXALIGN-sized element of each page": uint16 vector[MAXALIGN(1) / sizeof(uint16)]
BRIN_SPECIAL_WORDS: int = MAXIMUM_ALIGNOF // Int16ul.sizeof()
BrinSpecialSpace = Struct(
    "vector"
    / Array(BRIN_SPECIAL_WORDS, Int16ul)
    * "the page type is the last half-word (BrinPageType: vector[MAXALIGN(1) / "
    "sizeof(uint16) - 1]), the flags the one before it (BrinPageFlags); the rest is unused",
)
SizeOfBrinSpecialSpace: int = BrinSpecialSpace.sizeof()
#: index in vector[] of BrinPageType and BrinPageFlags
BRIN_PAGE_TYPE_WORD: int = BRIN_SPECIAL_WORDS - 1
BRIN_PAGE_FLAGS_WORD: int = BRIN_SPECIAL_WORDS - 2
BRIN_SPECIAL_DOCS = {
    "type": 'BrinPageType: special space on all BRIN pages stores a "type" identifier '
    "(BRIN_PAGETYPE_META 0xF091, BRIN_PAGETYPE_REVMAP 0xF092, BRIN_PAGETYPE_REGULAR 0xF093)",
    "flags": "BrinPageFlags: flags for BrinSpecialSpace (BRIN_EVACUATE_PAGE)",
    "unused": "vector[] half-words before the flags: not used",
}

# ----------------------------------------------------------------------------------------------
# BrinMetaPageData

BrinMetaPageData = Struct(
    "brinMagic" / Int32ul * "BRIN_META_MAGIC 0xA8109CFA",
    "brinVersion" / Int32ul * "BRIN_CURRENT_VERSION 1",
    "pagesPerRange" / Int32ul * "heap blocks summarized by one index tuple (pages_per_range)",
    "lastRevmapPage" / Int32ul * "the last block of the range map (revmap pages are 1 .. it)",
)
BRIN_META_OFFSETS = field_offsets(BrinMetaPageData)
BRIN_META_DOCS = field_docs(BrinMetaPageData)
SizeOfBrinMetaPageData: int = BrinMetaPageData.sizeof()

# ----------------------------------------------------------------------------------------------
# RevmapContents

SizeOfItemPointerData: int = ItemPointerData.sizeof()


def revmap_content_size(block_size: int = 8192) -> int:
    """REVMAP_CONTENT_SIZE: ``BLCKSZ - MAXALIGN(SizeOfPageHeaderData) -
    offsetof(RevmapContents, rm_tids) - MAXALIGN(sizeof(BrinSpecialSpace))``."""
    return block_size - maxalign(SizeOfPageHeaderData) - maxalign(SizeOfBrinSpecialSpace)


def revmap_page_maxitems(block_size: int = 8192) -> int:
    """REVMAP_PAGE_MAXITEMS: the TIDs one revmap page holds (1360 at 8 kB)."""
    return revmap_content_size(block_size) // SizeOfItemPointerData


@cache
def revmap_contents(block_size: int = 8192) -> Any:
    """RevmapContents of a server built with ``block_size``: ``rm_tids[REVMAP_PAGE_MAXITEMS]``
    and the bytes of REVMAP_CONTENT_SIZE the array leaves over (none at 8 kB)."""
    items = revmap_page_maxitems(block_size)
    fields: list[Any] = [
        "rm_tids"
        / Array(items, ItemPointerData)
        * "This array will fill all available space on the page: the TID of each range's "
        "index tuple, (0,0) for a range not summarized",
    ]
    rest = revmap_content_size(block_size) - items * SizeOfItemPointerData
    if rest:
        fields.append(Padding(rest))
    return Struct(*fields)


RM_TIDS_DOC = field_docs(revmap_contents())["rm_tids"]

# ----------------------------------------------------------------------------------------------
# BrinTuple

BrinTupleData = Struct(
    "bt_blkno" / Int32ul * "heap block number that the tuple is for",
    "bt_info"
    / Int8ul
    * "7th (high) bit: has nulls, 6th bit: is placeholder tuple, 5th bit: range is empty "
    "(16+), 4-0 bit: offset of data",
)
BRIN_TUPLE_OFFSETS = field_offsets(BrinTupleData)
BRIN_TUPLE_DOCS = field_docs(BrinTupleData)
#: SizeOfBrinTuple: offsetof(BrinTuple, bt_info) + sizeof(uint8)
SizeOfBrinTuple: int = BrinTupleData.sizeof()

# ----------------------------------------------------------------------------------------------
# the opclasses' summaries (payloads after the varlena header)

#: brin_bloom.c BloomFilter after vl_len_: the bitmap follows at offsetof(BloomFilter, data)
BloomFilterHeader = Struct(
    "flags" / Int16ul * "space for various flags (unused for now)",
    "nhashes" / Int8ul * "number of hash functions",
    Padding(1),
    "nbits" / Int32ul * "number of bits in the bitmap (size)",
    "nbits_set" / Int32ul * "number of bits set to 1",
)
BLOOM_HEADER_OFFSETS = field_offsets(BloomFilterHeader)
BLOOM_HEADER_DOCS = field_docs(BloomFilterHeader)

#: brin_minmax_multi.c SerializedRanges after vl_len_: 2 * nranges boundary values then
#: nvalues single values, packed without alignment (byval types in typlen bytes, varlenas
#: with their headers)
SerializedRangesHeader = Struct(
    "typid" / Int32ul * "type of values stored in the data array",
    "nranges" / Int32sl * "number of ranges in the array (stored)",
    "nvalues" / Int32sl * "number of values in the data array (all)",
    "maxvalues" / Int32sl * "maximum number of values (reloption)",
)
RANGES_HEADER_OFFSETS = field_offsets(SerializedRangesHeader)
RANGES_HEADER_DOCS = field_docs(SerializedRangesHeader)
