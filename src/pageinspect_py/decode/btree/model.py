"""B-tree page models: the special space, the metapage, index tuples and what each item is.

Every item of a btree page is classified (:class:`BtItemKind`): the high key (item 1 of a
non-rightmost page), the "minus infinity" downlink (first data item of an internal page, every
key truncated), pivot tuples with their downlink, the number of key attributes kept by suffix
truncation and, when kept, the heap TID; plain leaf tuples; posting list tuples (13+) with all
their TIDs. ``LP_DEAD`` is kept per item (``dead``).

Sources: ``access/nbtree.h`` (BTreeTupleIsPivot, BTreeTupleIsPosting, BTreeTupleGetHeapTID,
BTreeTupleGetNAtts, P_FIRSTDATAKEY ...), ``access/itup.h`` (IndexInfoFindDataOffset).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.btree.keys import KeyValue
from pageinspect_py.decode.btree.pageinspect import (
    BtMetap,
    BtPageItem,
    BtPageStats,
    bt_metap,
    bt_page_item,
    bt_page_items,
    bt_page_stats,
)
from pageinspect_py.decode.btree.structs import DATA_OFFSET, DATA_OFFSET_NULLS
from pageinspect_py.decode.common import Field, Span
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import ItemId, Page
from pageinspect_py.layouts.btree import (
    BT_DELETED_DOCS,
    BT_DELETED_OFFSETS,
    BT_OPAQUE_DOCS,
    BT_OPAQUE_OFFSETS,
    INDEX_TUPLE_DOCS,
    INDEX_TUPLE_OFFSETS,
)


def _flag_names(flags: int) -> tuple[str, ...]:
    return tuple(name for bit, name in C.BTP_FLAG_NAMES if flags & bit)


# ----------------------------------------------------------------------------------------------
# special space and metapage


@dataclass(frozen=True, slots=True)
class BTPageOpaque:
    """BTPageOpaqueData: sibling links, level, flags and vacuum cycle id of one page."""

    offset: int  #: page offset of the special space
    btpo_prev: int
    btpo_next: int
    #: the third word: ``btpo_level`` (14+), before 14 a union with ``btpo.xact`` on deleted
    #: pages; see :attr:`level` and :attr:`xact`
    btpo_level: int
    btpo_flags: int
    btpo_cycleid: int

    @property
    def flag_names(self) -> tuple[str, ...]:
        return _flag_names(self.btpo_flags)

    def has(self, bit: int) -> bool:
        return bool(self.btpo_flags & bit)

    @property
    def is_leaf(self) -> bool:
        return self.has(C.BTP_LEAF)

    @property
    def is_root(self) -> bool:
        return self.has(C.BTP_ROOT)

    @property
    def is_deleted(self) -> bool:
        return self.has(C.BTP_DELETED)

    @property
    def is_half_dead(self) -> bool:
        return self.has(C.BTP_HALF_DEAD)

    @property
    def ignore(self) -> bool:
        """P_IGNORE: deleted or half-dead, not part of the tree for searches."""
        return self.has(C.BTP_DELETED | C.BTP_HALF_DEAD)

    @property
    def has_fullxid(self) -> bool:
        return self.has(C.BTP_HAS_FULLXID)

    @property
    def is_leftmost(self) -> bool:
        return self.btpo_prev == C.P_NONE

    @property
    def is_rightmost(self) -> bool:
        return self.btpo_next == C.P_NONE

    @property
    def xact(self) -> int | None:
        """``btpo.xact`` of a deleted page in the pre-14 format (no BTP_HAS_FULLXID)."""
        return self.btpo_level if self.is_deleted and not self.has_fullxid else None

    @property
    def level(self) -> int | None:
        """The tree level, None when the word holds a pre-14 deleted page's xact."""
        return None if self.xact is not None else self.btpo_level

    @property
    def first_data_key(self) -> int:
        """P_FIRSTDATAKEY: offset number of the first data item."""
        return C.P_HIKEY if self.is_rightmost else C.P_FIRSTKEY

    def fields(self) -> tuple[Field, ...]:
        return tuple(
            Field(
                name,
                getattr(self, name),
                Span(off, off + size).shifted(self.offset),
                BT_OPAQUE_DOCS[name],
            )
            for name, (off, size) in BT_OPAQUE_OFFSETS.items()
        )


@dataclass(frozen=True, slots=True)
class BtreeMeta:
    """BTMetaPageData of block 0, with the fields its version and server have."""

    btm_magic: int
    btm_version: int
    btm_root: int
    btm_level: int
    btm_fastroot: int
    btm_fastlevel: int
    #: ``btm_last_cleanup_num_delpages`` (14+), ``btm_oldest_btpo_xact`` in 12-13 (same bytes);
    #: None for version 2 metapages
    btm_last_cleanup_num_delpages: int | None
    btm_last_cleanup_num_heap_tuples: float | None
    #: None when the layout has no such byte (12, or a metapage whose pd_lower stops before it)
    btm_allequalimage: bool | None
    span: Span
    field_list: tuple[Field, ...] = field(repr=False, default=())

    @property
    def btm_oldest_btpo_xact(self) -> int | None:
        """The 12-13 name of the first cleanup field."""
        return self.btm_last_cleanup_num_delpages

    def fields(self) -> tuple[Field, ...]:
        return self.field_list


@dataclass(frozen=True, slots=True)
class BtreeMetaPage(Page):
    meta: BtreeMeta | None = None
    opaque: BTPageOpaque | None = None

    def pageinspect_meta(self) -> BtMetap | None:
        """bt_metap(): extended fields only from version 3 on, else 0 / -1 / false."""
        return bt_metap(self.meta)


# ----------------------------------------------------------------------------------------------
# items


class BtItemKind(enum.StrEnum):
    HIGH_KEY = "high_key"  #: item 1 of a non-rightmost page: upper bound of the page
    MINUS_INFINITY = "minus_infinity"  #: first data item of an internal page, no keys
    PIVOT = "pivot"  #: internal page item: separator key and downlink
    LEAF = "leaf"  #: non-pivot tuple pointing at one heap tuple
    POSTING = "posting"  #: non-pivot tuple with a posting list of heap TIDs (13+)
    NO_STORAGE = "no_storage"  #: a line pointer without bytes
    UNDECODABLE = "undecodable"  #: bytes out of bounds or too short for an index tuple

    @property
    def is_pivot(self) -> bool:
        return self in (BtItemKind.HIGH_KEY, BtItemKind.MINUS_INFINITY, BtItemKind.PIVOT)


@dataclass(frozen=True, slots=True)
class IndexTupleHeader:
    """IndexTupleData (itup.h) at page offset ``offset``."""

    offset: int
    t_tid: ItemPointer
    t_info: int

    @property
    def size(self) -> int:
        """IndexTupleSize: t_info & INDEX_SIZE_MASK."""
        return self.t_info & C.INDEX_SIZE_MASK

    @property
    def has_nulls(self) -> bool:
        return bool(self.t_info & C.INDEX_NULL_MASK)

    @property
    def has_varwidths(self) -> bool:
        return bool(self.t_info & C.INDEX_VAR_MASK)

    @property
    def alt_tid(self) -> bool:
        """INDEX_ALT_TID_MASK: t_tid holds pivot or posting list data, not a heap TID."""
        return bool(self.t_info & C.INDEX_ALT_TID_MASK)

    @property
    def is_posting(self) -> bool:
        """BTreeTupleIsPosting."""
        return self.alt_tid and bool(self.t_tid.offset & C.BT_IS_POSTING)

    @property
    def is_pivot(self) -> bool:
        """BTreeTupleIsPivot (reliable on version 4 indexes only)."""
        return self.alt_tid and not self.t_tid.offset & C.BT_IS_POSTING

    @property
    def data_offset(self) -> int:
        """IndexInfoFindDataOffset: 8, or 16 after a null bitmap."""
        return DATA_OFFSET_NULLS if self.has_nulls else DATA_OFFSET

    @property
    def info_names(self) -> tuple[str, ...]:
        names = []
        if self.has_nulls:
            names.append("INDEX_NULL_MASK")
        if self.has_varwidths:
            names.append("INDEX_VAR_MASK")
        if self.alt_tid:
            names.append("INDEX_ALT_TID_MASK")
        return tuple(names)

    def fields(self) -> tuple[Field, ...]:
        out = []
        for name, (off, size) in INDEX_TUPLE_OFFSETS.items():
            value = getattr(self, name)
            if isinstance(value, ItemPointer):
                value = (value.block << 16) | value.offset
            out.append(
                Field(
                    name, value, Span(off, off + size).shifted(self.offset), INDEX_TUPLE_DOCS[name]
                )
            )
        return tuple(out)


@dataclass(frozen=True, slots=True)
class BtreeItem:
    """One line pointer of a btree page and what its tuple is."""

    lp: ItemId
    kind: BtItemKind
    header: IndexTupleHeader | None = None
    #: the tuple's bytes as decoded: lp_off .. lp_off + min(lp_len, IndexTupleSize)
    span: Span | None = None
    #: null bitmap, one '0'/'1' per index attribute (1 = not null), lowest bit first
    t_bits: str | None = None
    #: key data as pageinspect's ``data`` shows it: after the header and bitmap, without the
    #: posting list or pivot heap TID (trailing alignment padding included)
    key_span: Span | None = None
    #: key attributes stored: a pivot's count (t_tid offset & BT_OFFSET_MASK); None for
    #: non-pivot tuples, which store every index attribute
    natts: int | None = None
    downlink: int | None = None  #: child block of a pivot or minus-infinity item
    #: pageinspect's ``htid``: the heap TID of a leaf tuple, the first of a posting list, the
    #: one a pivot kept; None when truncated
    heap_tid: ItemPointer | None = None
    heap_tid_span: Span | None = None  #: where a pivot keeps its heap TID
    posting: tuple[ItemPointer, ...] = ()  #: every heap TID of a posting tuple
    posting_span: Span | None = None
    #: a half-dead or deleted leaf page's high key links to the top parent being deleted
    top_parent: int | None = None
    keys: tuple[KeyValue, ...] | None = None  #: typed keys, when the index is described

    @property
    def offnum(self) -> int:
        return self.lp.lp

    @property
    def dead(self) -> bool:
        return self.lp.lp_flags == C.LP_DEAD

    @property
    def is_pivot(self) -> bool:
        return self.kind.is_pivot

    @property
    def heap_tids(self) -> tuple[ItemPointer, ...]:
        """Every heap TID this tuple points at (leaf and posting tuples)."""
        if self.kind is BtItemKind.POSTING:
            return self.posting
        if self.kind is BtItemKind.LEAF and self.heap_tid is not None:
            return (self.heap_tid,)
        return ()


@dataclass(frozen=True, slots=True)
class BtDeleted:
    """BTDeletedPageData of a 14+ deleted page."""

    safexid: int
    span: Span

    @property
    def epoch(self) -> int:
        return self.safexid >> 32

    @property
    def xid(self) -> int:
        return self.safexid & 0xFFFFFFFF

    def fields(self) -> tuple[Field, ...]:
        return tuple(
            Field(
                name,
                getattr(self, name),
                Span(off, off + size).shifted(self.span.start),
                BT_DELETED_DOCS[name],
            )
            for name, (off, size) in BT_DELETED_OFFSETS.items()
        )


@dataclass(frozen=True, slots=True)
class BtreePage(Page):
    opaque: BTPageOpaque | None = None
    items: tuple[BtreeItem, ...] = ()
    deleted: BtDeleted | None = None  #: 14+ deleted page contents
    index: IndexDescription | None = field(default=None, repr=False)

    # -- accessors -------------------------------------------------------------------------

    def bt_item(self, offnum: int) -> BtreeItem:
        """The item at offset number ``offnum`` (1-based)."""
        if not 1 <= offnum <= len(self.items):
            raise IndexError(f"item {offnum} is not on this page (1..{len(self.items)})")
        return self.items[offnum - 1]

    def key_bytes(self, item: BtreeItem) -> bytes:
        """The item's key data (pageinspect's ``data``) as bytes."""
        if item.key_span is None:
            return b""
        return self.data[item.key_span.start : item.key_span.stop]

    @property
    def is_leaf(self) -> bool:
        return self.opaque is not None and self.opaque.is_leaf

    @property
    def high_key(self) -> BtreeItem | None:
        if self.opaque is None or self.opaque.is_rightmost or not self.items:
            return None
        first = self.items[0]
        return first if first.kind is BtItemKind.HIGH_KEY else None

    def data_items(self) -> tuple[BtreeItem, ...]:
        """Items from P_FIRSTDATAKEY on (everything but the high key)."""
        if self.opaque is None:
            return self.items
        return self.items[self.opaque.first_data_key - 1 :]

    def downlinks(self) -> tuple[int, ...]:
        """Child blocks of an internal page, in key order."""
        return tuple(i.downlink for i in self.data_items() if i.downlink is not None)

    @property
    def page_type(self) -> str:
        """bt_page_stats' ``type`` (14+): l leaf, i internal, r root, e half-dead (empty),
        d deleted leaf (or pre-14 deleted page), D deleted internal page."""
        o = self.opaque
        if o is None:
            return "?"
        if o.is_deleted:
            return "d" if o.is_leaf or not o.has_fullxid else "D"
        if o.is_half_dead:
            return "e"
        if o.is_leaf:
            return "l"
        if o.is_root:
            return "r"
        return "i"

    # -- pageinspect -----------------------------------------------------------------------

    def stats(self) -> BtPageStats:
        """bt_page_stats() (14+): deleted pages count no items."""
        return bt_page_stats(self)

    def pageinspect_items(self) -> tuple[BtPageItem, ...]:
        """bt_page_items() (14+): none on a deleted page; items without a decodable tuple
        are left out (pageinspect would read whatever bytes the pointer names)."""
        return bt_page_items(self)

    def pageinspect_item(self, item: BtreeItem) -> BtPageItem | None:
        """bt_page_print_tuples for one item."""
        return bt_page_item(self, item)
