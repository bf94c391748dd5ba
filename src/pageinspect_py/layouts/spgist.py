"""SP-GiST index structures: ``SpGistPageOpaqueData``, ``SpGistMetaPageData`` (with its
``SpGistLUPCache`` of last-used pages), inner tuples (``SpGistInnerTupleData``, then the
prefix datum, then ``SpGistNodeTupleData`` nodes), leaf tuples (``SpGistLeafTupleData``) and
dead tuples (``SpGistDeadTupleData``: REDIRECT, DEAD, PLACEHOLDER).

Source: ``src/include/access/spgist_private.h`` (every struct, SPGIST_* flags and tupstate
values, SGITHDRSZ, SGNTHDRSZ, SGLTHDRSZ, SGDTSIZE, SGLT_GET_NEXTOFFSET /
SGLT_GET_HASNULLMASK) and ``src/backend/access/spgist/spgutils.c`` (SpGistInitMetapage,
SpGistGetInnerTypeSize, spgFormLeafTuple, spgFormNodeTuple, spgFormInnerTuple,
spgFormDeadTuple).

Versions: the bytes are the same in PostgreSQL 12 to 18; what changed in 14 (INCLUDE columns)
is the meaning of the uint16 after a leaf (and dead) tuple's first word: 12/13 call it
``nextOffset`` (the whole uint16), 14+ ``t_info`` (nextOffset in the low 14 bits,
``0x8000`` = a nulls bitmap follows). :func:`spgist_leaf_tuple_data` and
:func:`spgist_dead_tuple_data` take the major and name the field as that version's header
does. Leaf datums of pass-by-value types were stored as a whole ``Datum`` before 14 and with
their own length (``heap_fill_tuple``) from 14; inner-tuple prefixes and node labels of
pass-by-value types are a whole ``Datum`` (8 bytes) in every version.

Where things are on a page (8 kB, MAXALIGN 8):

* every SP-GiST page ends with the 8-byte ``SpGistPageOpaqueData`` (``pd_special = BLCKSZ - 8``);
* the metapage (block 0, flag SPGIST_META) holds ``SpGistMetaPageData`` (68 bytes) at
  ``PageGetContents()`` (24), ``pd_lower`` just past it (92);
* other pages hold line pointers to inner tuples (inner pages) or leaf tuples (pages with
  SPGIST_LEAF); either may be a dead tuple instead (``tupstate`` != SPGIST_LIVE).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from construct import (
    Array,
    BitsInteger,
    BitStruct,
    ByteSwapped,
    Int16ul,
    Int32sl,
    Int32ul,
    Struct,
)

from pageinspect_py import constants as C
from pageinspect_py.layouts._util import field_docs, field_offsets
from pageinspect_py.layouts.btree import IndexTupleData
from pageinspect_py.layouts.heap import ItemPointerData

# ----------------------------------------------------------------------------------------------
# special space

#: spgist_private.h: contents of page special space on SPGiST index pages
SpGistPageOpaqueData = Struct(
    "flags" / Int16ul * "see bit definitions below (SPGIST_META, DELETED, LEAF, NULLS)",
    "nRedirection" / Int16ul * "number of redirection tuples on page",
    "nPlaceholder" / Int16ul * "number of placeholder tuples on page",
    "spgist_page_id" / Int16ul * "for identification of SP-GiST indexes",
)
SPGIST_OPAQUE_OFFSETS = field_offsets(SpGistPageOpaqueData)
SPGIST_OPAQUE_DOCS = field_docs(SpGistPageOpaqueData)
SizeOfSpGistPageOpaqueData = C.maxalign(SpGistPageOpaqueData.sizeof())

# ----------------------------------------------------------------------------------------------
# the metapage

#: spgist_private.h: one cached page of a backend's last-used-page cache
SpGistLastUsedPage = Struct(
    "blkno" / Int32ul * "block number, or InvalidBlockNumber",
    "freeSpace" / Int32sl * "page's free space (could be obsolete!)",
)
SPGIST_LUP_OFFSETS = field_offsets(SpGistLastUsedPage)
SPGIST_LUP_DOCS = field_docs(SpGistLastUsedPage)

#: spgist_private.h: the metapage, at PageGetContents(); SpGistLUPCache inlined as its one
#: array (indexes in cachedPage[] match the flag assignments of SpGistGetBuffer: 0-2 inner
#: pages by triple parity, 3 leaf, + 4 for the nulls tree)
SpGistMetaPageData = Struct(
    "magicNumber" / Int32ul * "for identity cross-check (SPGIST_MAGIC_NUMBER)",
    "lastUsedPages"
    / Struct(
        "cachedPage"
        / Array(C.SPGIST_CACHED_PAGES, SpGistLastUsedPage)
        * "SpGistLUPCache: shared storage of last-used info"
    )
    * "shared storage of last-used info",
)
SPGIST_META_OFFSETS = field_offsets(SpGistMetaPageData)
SPGIST_META_DOCS = field_docs(SpGistMetaPageData)
SizeOfSpGistLastUsedPage = SpGistLastUsedPage.sizeof()
#: SpGistInitMetapage sets pd_lower to PageGetContents() + this
SizeOfSpGistMetaPageData = SpGistMetaPageData.sizeof()

# ----------------------------------------------------------------------------------------------
# bitfields (C lists them from the least significant bit; BitStruct from the most, so after
# ByteSwapped they appear in reverse order)

#: ``unsigned int tupstate:2, allTheSame:1, nNodes:13, prefixSize:16``
SpGistInnerTupleBits = ByteSwapped(
    BitStruct(
        "prefixSize" / BitsInteger(16) * "size of prefix, or 0 if none",
        "nNodes" / BitsInteger(13) * "number of nodes within inner tuple",
        "allTheSame" / BitsInteger(1) * "all nodes in tuple are equivalent",
        "tupstate" / BitsInteger(2) * "LIVE/REDIRECT/DEAD/PLACEHOLDER",
    )
)
#: ``unsigned int tupstate:2, size:30`` of leaf and dead tuples
SpGistLeafTupleBits = ByteSwapped(
    BitStruct(
        "size" / BitsInteger(30) * "large enough for any palloc'able value",
        "tupstate" / BitsInteger(2) * "LIVE/REDIRECT/DEAD/PLACEHOLDER",
    )
)
INNER_BITS_DOCS = field_docs(SpGistInnerTupleBits.subcon.subcon)
LEAF_BITS_DOCS = field_docs(SpGistLeafTupleBits.subcon.subcon)


def bitfield_masks(bits: Any) -> dict[str, tuple[int, int]]:
    """``{field: (shift, mask)}`` of a ``ByteSwapped(BitStruct(...))`` word, derived from the
    definition (the last field listed is the lowest bits)."""
    out: dict[str, tuple[int, int]] = {}
    shift = 0
    for sub in reversed(bits.subcon.subcon.subcons):
        width = sub.sizeof()
        out[sub.name] = (shift, (1 << width) - 1)
        shift += width
    return out


INNER_MASKS = bitfield_masks(SpGistInnerTupleBits)
LEAF_MASKS = bitfield_masks(SpGistLeafTupleBits)

# ----------------------------------------------------------------------------------------------
# inner tuples and their nodes

#: spgist_private.h: header/optional prefix/array of nodes; size and prefixSize are
#: multiples of MAXALIGN
SpGistInnerTupleData = Struct(
    "bits" / Int32ul * "tupstate:2, allTheSame:1, nNodes:13, prefixSize:16",
    "size" / Int16ul * "total size of inner tuple",
)
SPGIST_INNER_OFFSETS = field_offsets(SpGistInnerTupleData)
SPGIST_INNER_DOCS = field_docs(SpGistInnerTupleData)
#: SGITHDRSZ: "On most machines there will be a couple of wasted bytes here"
SGITHDRSZ = C.maxalign(SpGistInnerTupleData.sizeof())

#: SpGistNodeTupleData is IndexTupleData: t_tid is the downlink (block, offset of the child
#: inner tuple or leaf chain head), t_info has INDEX_NULL_MASK when the label is null and
#: the node's size; the label datum follows at SGNTHDRSZ
SpGistNodeTupleData = IndexTupleData
SPGIST_NODE_OFFSETS = field_offsets(SpGistNodeTupleData)
SPGIST_NODE_DOCS = {
    "t_tid": "downlink: the child inner tuple or leaf chain head, or invalid if none yet",
    "t_info": "INDEX_NULL_MASK when the label is null; 12-0 bit size of node tuple",
}
SGNTHDRSZ = C.maxalign(SpGistNodeTupleData.sizeof())

# ----------------------------------------------------------------------------------------------
# leaf and dead tuples


def _second_word(major: int | None, leaf: bool) -> Any:
    if major is not None and major < C.SPGIST_LEAF_T_INFO_MAJOR:
        doc = "next tuple in chain, or InvalidOffsetNumber" if leaf else "not used in dead tuples"
        return "nextOffset" / Int16ul * doc
    doc = (
        "nextOffset, which links to the next tuple in chain, plus two flag bits"
        if leaf
        else "not used in dead tuples"
    )
    return "t_info" / Int16ul * doc


@cache
def spgist_leaf_tuple_data(major: int | None = None) -> Any:
    """``SpGistLeafTupleData`` of a major (12/13: ``nextOffset``; 14+ and unknown: ``t_info``);
    a nulls bitmap (14+, when SGLT_GET_HASNULLMASK) then the leaf datum follow at SGLTHDRSZ."""
    return Struct(
        "bits" / Int32ul * "tupstate:2, size:30",
        _second_word(major, True),
        "heapPtr" / ItemPointerData * "TID of represented heap tuple",
    )


@cache
def spgist_dead_tuple_data(major: int | None = None) -> Any:
    """``SpGistDeadTupleData``: pointer and xid are only valid when tupstate = REDIRECT."""
    return Struct(
        "bits" / Int32ul * "tupstate:2, size:30",
        _second_word(major, False),
        "pointer" / ItemPointerData * "redirection inside index",
        "xid" / Int32ul * "ID of xact that inserted this tuple",
    )


SizeOfSpGistLeafTupleData = spgist_leaf_tuple_data().sizeof()
#: SGLTHDRSZ(false): the leaf datum's offset without a nulls bitmap
SGLTHDRSZ = C.maxalign(SizeOfSpGistLeafTupleData)
#: SGLTHDRSZ(true): after the nulls bitmap (14+)
SGLTHDRSZ_NULLS = C.maxalign(SizeOfSpGistLeafTupleData + C.SizeOfIndexAttributeBitMapData)
#: SGDTSIZE: the size of every dead tuple (and the least any leaf tuple takes)
SGDTSIZE = C.maxalign(spgist_dead_tuple_data().sizeof())


def leaf_offsets(major: int | None = None) -> dict[str, tuple[int, int]]:
    return field_offsets(spgist_leaf_tuple_data(major))


def dead_offsets(major: int | None = None) -> dict[str, tuple[int, int]]:
    return field_offsets(spgist_dead_tuple_data(major))


SPGIST_LEAF_DOCS = field_docs(spgist_leaf_tuple_data())
SPGIST_LEAF_DOCS_OLD = field_docs(spgist_leaf_tuple_data(12))
SPGIST_DEAD_DOCS = field_docs(spgist_dead_tuple_data())
SPGIST_DEAD_DOCS_OLD = field_docs(spgist_dead_tuple_data(12))
#: sizeof(Datum): how pass-by-value prefixes and labels are stored (64-bit builds)
SIZEOF_DATUM = 8
