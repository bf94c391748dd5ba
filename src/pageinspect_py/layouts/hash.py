"""Hash index structures: ``HashPageOpaqueData``, ``HashMetaPageData``, the overflow-page
bitmap and the hash index tuple (``IndexTupleData`` followed by the 4-byte hash code).

Source: ``src/include/access/hash.h`` (HashPageOpaqueData, HashMetaPageData, LH_* flags,
HASH_MAX_SPLITPOINTS, HASH_MAX_BITMAPS, HashPageGetBitmap, HashGetMaxBitmapSize) and
``src/backend/access/hash/hashutil.c`` (_hash_get_indextuple_hashkey). The layout is the same
in PostgreSQL 12 to 18 (HASH_VERSION 4 since 10, multi-phase splitpoints since 10); what
varies is the block size: ``hashm_mapp`` has ``HASH_MAX_BITMAPS = Min(BLCKSZ / 8, 1024)``
entries, so :func:`hash_meta_page_data` takes the block size.

Where things are on a page:

* every hash page ends with the 16-byte ``HashPageOpaqueData`` (``pd_special = BLCKSZ - 16``);
* the metapage (block 0) holds ``HashMetaPageData`` at ``PageGetContents()`` (offset 24), with
  ``pd_lower`` set just past it;
* a bitmap page holds ``hashm_bmsize`` bytes of ``uint32`` words at ``PageGetContents()``,
  ``pd_lower`` just past them; bit N (``BITS_PER_MAP`` bits a word, lowest bit first) is 1
  when overflow page number N is in use;
* bucket and overflow pages hold line pointers to index tuples sorted by hash code: 8 bytes
  of ``IndexTupleData`` (itup.h), the ``uint32`` hash code, MAXALIGN padding (16 bytes).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from construct import Array, Float64l, Int16ul, Int32ul, Padding, Struct

from pageinspect_py.constants import (
    HASH_MAX_SPLITPOINTS,
    hash_max_bitmaps,
    maxalign,
)
from pageinspect_py.layouts._util import field_docs, field_offsets
from pageinspect_py.layouts.heap import ItemPointerData

# ----------------------------------------------------------------------------------------------
# HashPageOpaqueData

#: hash.h: the special space of every hash page (16 bytes, already MAXALIGNed)
HashPageOpaqueData = Struct(
    "hasho_prevblkno"
    / Int32ul
    * "in an overflow page, the block number of the previous page in the bucket chain; in a "
    "bucket page, the hashm_maxbucket value as of the last time the bucket was split, or else "
    "as of the time the bucket was created",
    "hasho_nextblkno"
    / Int32ul
    * "the block number of the next page in the bucket chain, or InvalidBlockNumber if there "
    "are no more such pages",
    "hasho_bucket" / Int32ul * "bucket number this pg belongs to",
    "hasho_flag" / Int16ul * "page type code + flag bits, see above",
    "hasho_page_id" / Int16ul * "for identification of hash indexes",
)
HASH_OPAQUE_OFFSETS = field_offsets(HashPageOpaqueData)
HASH_OPAQUE_DOCS = field_docs(HashPageOpaqueData)

# ----------------------------------------------------------------------------------------------
# HashMetaPageData

_META_SCALARS = (
    "hashm_magic" / Int32ul * "magic no. for hash tables",
    "hashm_version" / Int32ul * "version ID",
    "hashm_ntuples" / Float64l * "number of tuples stored in the table",
    "hashm_ffactor" / Int16ul * "target fill factor (tuples/bucket)",
    "hashm_bsize" / Int16ul * "index page size (bytes)",
    "hashm_bmsize" / Int16ul * "bitmap array size (bytes) - must be a power of 2",
    "hashm_bmshift" / Int16ul * "log2(bitmap array size in BITS)",
    "hashm_maxbucket" / Int32ul * "ID of maximum bucket in use",
    "hashm_highmask" / Int32ul * "mask to modulo into entire table",
    "hashm_lowmask" / Int32ul * "mask to modulo into lower half of table",
    "hashm_ovflpoint" / Int32ul * "splitpoint from which ovflpage being allocated",
    "hashm_firstfree" / Int32ul * "lowest-number free ovflpage (bit#)",
    "hashm_nmaps" / Int32ul * "number of bitmap pages",
    "hashm_procid" / Int32ul * "hash function id from pg_proc (RegProcedure)",
)


@cache
def hash_meta_page_data(block_size: int = 8192) -> Any:
    """``HashMetaPageData`` of a server built with ``block_size``: the scalar fields, then
    ``hashm_spares[HASH_MAX_SPLITPOINTS]`` and ``hashm_mapp[HASH_MAX_BITMAPS]``, padded to
    the struct's alignment (the ``double`` makes it 8): 4544 bytes at 8 kB."""
    nmaps = hash_max_bitmaps(block_size)
    fields = [
        *_META_SCALARS,
        "hashm_spares"
        / Array(HASH_MAX_SPLITPOINTS, Int32ul)
        * "spare pages before each splitpoint",
        "hashm_mapp" / Array(nmaps, Int32ul) * "blknos of ovfl bitmaps",
    ]
    raw = Struct(*fields).sizeof()
    if maxalign(raw) > raw:
        fields.append(Padding(maxalign(raw) - raw))
    return Struct(*fields)


def hash_meta_offsets(block_size: int = 8192) -> dict[str, tuple[int, int]]:
    """``{field: (offset, size)}`` within HashMetaPageData (arrays as one field)."""
    return field_offsets(hash_meta_page_data(block_size))


HASH_META_DOCS = field_docs(hash_meta_page_data())
#: the size of one hashm_spares / hashm_mapp element
HASH_META_ELEMENT_SIZE = Int32ul.sizeof()

# ----------------------------------------------------------------------------------------------
# the overflow-page bitmap


@cache
def hash_bitmap(bmsize: int) -> Any:
    """``HashPageGetBitmap(page)``: ``bmsize`` bytes (``hashm_bmsize``) of ``uint32`` words."""
    return Struct(
        "bitmap"
        / Array(bmsize // Int32ul.sizeof(), Int32ul)
        * "one bit per overflow page (BITS_PER_MAP bits a word, lowest bit first): 1 in use, "
        "0 free",
    )


# ----------------------------------------------------------------------------------------------
# index tuples

#: a hash index tuple: IndexTupleData (itup.h), then the hash code as the one key attribute
#: (a hash index never stores NULLs, so the data starts right after the 8 bytes)
HashIndexTupleData = Struct(
    "t_tid" / ItemPointerData * "reference TID to heap tuple",
    "t_info"
    / Int16ul
    * "various info about tuple: 15th (high) bit has nulls, 14th bit has var-width "
    "attributes, 13th bit AM-defined meaning (hash: INDEX_MOVED_BY_SPLIT_MASK, the tuple was "
    "moved to this bucket by a split), 12-0 bit size of tuple",
    "hashkey"
    / Int32ul
    * "the hash code of the indexed value: _hash_get_indextuple_hashkey(), the one column a "
    "hash index stores",
)
HASH_TUPLE_OFFSETS = field_offsets(HashIndexTupleData)
HASH_TUPLE_DOCS = field_docs(HashIndexTupleData)
#: sizeof(IndexTupleData) + sizeof(uint32): the shortest tuple a hash code fits in
HASH_TUPLE_MIN_SIZE = HashIndexTupleData.sizeof()
