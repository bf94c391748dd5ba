"""GiST index structures: ``GISTPageOpaqueData`` (the special space of every GiST page),
``GISTDeletedPageContents`` (what a deleted page holds after its header, 13+) and the index
tuple header GiST uses unchanged (``IndexTupleData``, itup.h).

Sources: ``src/include/access/gist.h`` (GISTPageOpaqueData, F_* flags, GIST_PAGE_ID,
GISTDeletedPageContents, GistPageGetDeleteXid, GistPageSetDeleted),
``src/include/access/gist_private.h`` (GIST_ROOT_BLKNO, TUPLE_IS_VALID, TUPLE_IS_INVALID,
GistTupleIsInvalid) and ``src/include/access/itup.h`` (IndexTupleData,
IndexAttributeBitMapData, INDEX_*_MASK).

Where things are on a page:

* every GiST page ends with the 16-byte ``GISTPageOpaqueData`` (``pd_special = BLCKSZ - 16``):
  the NSN (an LSN, two ``uint32`` halves like ``pd_lsn``), the right link, the flags and
  ``gist_page_id = 0xFF81``;
* internal and leaf pages hold line pointers to index tuples: ``IndexTupleData`` (8 bytes),
  the null bitmap when ``INDEX_NULL_MASK`` is set (``IndexAttributeBitMapData``, 4 bytes,
  then padding to MAXALIGN), then the attributes laid out by the index's tuple descriptor
  (the opclass's storage type: ``point_ops`` stores a ``box``). On an internal page ``t_tid``
  is the downlink: block = the child page, offset = ``TUPLE_IS_VALID`` (0xffff); on a leaf it
  is the heap TID;
* a deleted page (``F_DELETED``) holds, from PostgreSQL 13, ``GISTDeletedPageContents`` at
  ``PageGetContents()`` (offset 24) with ``pd_lower`` just past it; in 12 it holds nothing
  and the deleting transaction's XID is ``pd_prune_xid``.
"""

from __future__ import annotations

from construct import Int16ul, Int32ul, Int64ul, Struct

from pageinspect_py.layouts._util import field_docs, field_offsets
from pageinspect_py.layouts.btree import IndexTupleData
from pageinspect_py.layouts.page import PageXLogRecPtr

# ----------------------------------------------------------------------------------------------
# GISTPageOpaqueData

#: gist.h: the special space of every GiST page (16 bytes, already MAXALIGNed)
GISTPageOpaqueData = Struct(
    "nsn"
    / PageXLogRecPtr
    * "this value must change on page split (the LSN of the split, compared with the LSN a "
    "scan saw on the parent to detect a concurrent split)",
    "rightlink" / Int32ul * "next page if any",
    "flags" / Int16ul * "see bit definitions above",
    "gist_page_id" / Int16ul * "for identification of GiST indexes",
)
GIST_OPAQUE_OFFSETS = field_offsets(GISTPageOpaqueData)
GIST_OPAQUE_DOCS = field_docs(GISTPageOpaqueData)

# ----------------------------------------------------------------------------------------------
# GISTDeletedPageContents

#: gist.h (13+): the contents of a deleted page, at PageGetContents()
GISTDeletedPageContents = Struct(
    "deleteXid"
    / Int64ul
    * "last xid which could see the page in a scan (FullTransactionId: epoch << 32 | xid)",
)
GIST_DELETED_OFFSETS = field_offsets(GISTDeletedPageContents)
GIST_DELETED_DOCS = field_docs(GISTDeletedPageContents)

# ----------------------------------------------------------------------------------------------
# index tuples

#: itup.h: the 8 bytes every GiST index tuple starts with (t_tid: downlink or heap TID)
GistIndexTupleData = IndexTupleData
GIST_TUPLE_OFFSETS = field_offsets(GistIndexTupleData)
GIST_TUPLE_DOCS = {
    **field_docs(GistIndexTupleData),
    "t_tid": "on an internal page the downlink (block = child page, offset = TUPLE_IS_VALID "
    "0xffff, or TUPLE_IS_INVALID 0xfffe for a pre-9.1 invalid tuple); on a leaf the heap TID",
}
