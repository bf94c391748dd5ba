"""GIN page models: the special space, the metapage, entry tuples (keys with their posting
lists, posting-tree roots or downlinks), pending-list tuples, posting-tree pages (PostingItems,
compressed segments, the pre-9.4 TID array) and the page models.

Every GIN page ends with ``GinPageOpaqueData``; its ``flags`` say what lies between the header
and it: ``GinMetaPageData`` (GIN_META), line pointers to entry tuples (entry tree: no
GIN_DATA), line pointers to pending tuples (GIN_LIST), or the posting-tree data (GIN_DATA).

Sources: ``access/ginblock.h``, ``access/gin_private.h``, ``access/gin/ginpostinglist.c``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Field, Span
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import ItemId, Page
from pageinspect_py.layouts.gin import (
    GIN_META_DOCS,
    GIN_META_OFFSETS,
    GIN_OPAQUE_DOCS,
    GIN_OPAQUE_OFFSETS,
    GIN_TUPLE_DOCS,
    GIN_TUPLE_OFFSETS,
    POSTING_ITEM_DOCS,
    POSTING_ITEM_OFFSETS,
    POSTING_LIST_DOCS,
    POSTING_LIST_HEADER_SIZE,
    POSTING_LIST_OFFSETS,
)

#: every flag bit PostgreSQL defines
KNOWN_GIN_FLAGS = 0
for _bit, _name in C.GIN_FLAG_NAMES:
    KNOWN_GIN_FLAGS |= _bit


def gin_flag_names(flags: int) -> tuple[str, ...]:
    """The flags as gin_page_opaque_info() prints them (unknown bits as to_hex32 text)."""
    names = [name for bit, name in C.GIN_FLAG_NAMES if flags & bit]
    rest = flags & ~KNOWN_GIN_FLAGS
    if rest:
        names.append(f"{rest:x}")
    return tuple(names)


def tid_key(tid: ItemPointer) -> int:
    """ginpostinglist.c itemptr_to_uint64: block << MaxHeapTuplesPerPageBits | offset (the
    order of TIDs, and what the varbyte deltas are taken of)."""
    return (tid.block << C.MaxHeapTuplesPerPageBits) | tid.offset


class GinPageType(enum.StrEnum):
    """What a GIN page is, by its flags."""

    META = "meta"
    ENTRY_INTERNAL = "entry internal"
    ENTRY_LEAF = "entry leaf"
    DATA_INTERNAL = "posting-tree internal"
    DATA_LEAF = "posting-tree leaf"
    LIST = "pending list"


def page_type_of(flags: int) -> GinPageType:
    if flags & C.GIN_META:
        return GinPageType.META
    if flags & C.GIN_LIST:
        return GinPageType.LIST
    leaf = bool(flags & C.GIN_LEAF)
    if flags & C.GIN_DATA:
        return GinPageType.DATA_LEAF if leaf else GinPageType.DATA_INTERNAL
    return GinPageType.ENTRY_LEAF if leaf else GinPageType.ENTRY_INTERNAL


# ----------------------------------------------------------------------------------------------
# special space


@dataclass(frozen=True, slots=True)
class GinPageOpaque:
    """GinPageOpaqueData: right sibling, maxoff, flags."""

    offset: int  #: page offset of the special space
    rightlink: int
    maxoff: int
    flags: int

    @property
    def page_type(self) -> GinPageType:
        return page_type_of(self.flags)

    @property
    def flag_names(self) -> tuple[str, ...]:
        return gin_flag_names(self.flags)

    def has(self, bit: int) -> bool:
        return bool(self.flags & bit)

    @property
    def is_data(self) -> bool:
        return self.has(C.GIN_DATA)

    @property
    def is_leaf(self) -> bool:
        return self.has(C.GIN_LEAF)

    @property
    def is_deleted(self) -> bool:
        return self.has(C.GIN_DELETED)

    @property
    def is_compressed(self) -> bool:
        return self.has(C.GIN_COMPRESSED)

    @property
    def rightmost(self) -> bool:
        """GinPageRightMost: rightlink is InvalidBlockNumber."""
        return self.rightlink == C.InvalidBlockNumber

    @property
    def span(self) -> Span:
        return Span(self.offset, self.offset + C.SizeOfGinPageOpaqueData)

    def fields(self) -> tuple[Field, ...]:
        return tuple(
            Field(
                name,
                getattr(self, name),
                Span(off, off + size).shifted(self.offset),
                GIN_OPAQUE_DOCS[name],
            )
            for name, (off, size) in GIN_OPAQUE_OFFSETS.items()
        )


# ----------------------------------------------------------------------------------------------
# the metapage

_PADDING_DOC = "alignment padding: the int64 fields are 8-aligned"


@dataclass(frozen=True, slots=True)
class GinMeta:
    """GinMetaPageData of block 0."""

    head: int
    tail: int
    tailFreeSize: int
    nPendingPages: int
    nPendingHeapTuples: int
    nTotalPages: int
    nEntryPages: int
    nDataPages: int
    nEntries: int
    ginVersion: int
    span: Span

    @property
    def has_pending(self) -> bool:
        return self.head != C.InvalidBlockNumber

    def fields(self) -> tuple[Field, ...]:
        """Every field with its bytes, and the struct's alignment holes as ``padding``."""
        start = self.span.start
        out: list[Field] = []
        cursor = start
        for name, (off, size) in GIN_META_OFFSETS.items():
            if start + off > cursor:
                out.append(Field("padding", 0, Span(cursor, start + off), _PADDING_DOC))
            out.append(
                Field(
                    name,
                    getattr(self, name),
                    Span(start + off, start + off + size),
                    GIN_META_DOCS[name],
                )
            )
            cursor = start + off + size
        if cursor < self.span.stop:
            out.append(Field("padding", 0, Span(cursor, self.span.stop), _PADDING_DOC))
        return tuple(out)


# ----------------------------------------------------------------------------------------------
# posting lists


@dataclass(frozen=True, slots=True)
class GinPostingSegment:
    """One GinPostingList: the first TID unpacked, ``nbytes`` of varbyte deltas, SHORTALIGN
    padding; ``tids`` is every TID it holds, the first included."""

    offset: int
    first: ItemPointer
    nbytes: int
    tids: tuple[ItemPointer, ...]
    #: bytes of the segment on the page (SizeOfGinPostingList, cut to where it had to stop)
    size: int

    @property
    def span(self) -> Span:
        return Span(self.offset, self.offset + self.size)

    @property
    def header_span(self) -> Span:
        return Span(self.offset, self.offset + POSTING_LIST_HEADER_SIZE)

    @property
    def bytes_span(self) -> Span:
        start = self.offset + POSTING_LIST_HEADER_SIZE
        return Span(start, min(start + self.nbytes, self.offset + self.size))

    def fields(self) -> tuple[Field, ...]:
        out = []
        for name, (off, size) in POSTING_LIST_OFFSETS.items():
            value = tid_key(self.first) if name == "first" else self.nbytes
            at = self.offset + off
            out.append(Field(name, value, Span(at, at + size), POSTING_LIST_DOCS[name]))
        out.append(Field("bytes", len(self.tids) - 1, self.bytes_span, POSTING_LIST_DOCS["bytes"]))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class GinPostingItem:
    """PostingItem of an internal posting-tree page: the child and its right bound (the key
    (0,0) of the last item of the rightmost page is "infinity")."""

    offset: int
    child_blkno: int
    key: ItemPointer

    @property
    def span(self) -> Span:
        return Span(self.offset, self.offset + sum(s for _, s in POSTING_ITEM_OFFSETS.values()))

    @property
    def infinite(self) -> bool:
        return self.key.block == 0 and self.key.offset == 0

    def fields(self) -> tuple[Field, ...]:
        out = []
        for name, (off, size) in POSTING_ITEM_OFFSETS.items():
            value = self.child_blkno if name == "child_blkno" else tid_key(self.key)
            at = self.offset + off
            out.append(Field(name, value, Span(at, at + size), POSTING_ITEM_DOCS[name]))
        return tuple(out)


# ----------------------------------------------------------------------------------------------
# keys and entry tuples


class KeyKind(enum.StrEnum):
    """How a key's bytes are read."""

    TYPED = "typed"  #: the storage type's output function (tsvector_ops: text, array_ops ...)
    JSONB = "jsonb_ops"  #: text whose first byte is a JGINFLAG
    JSONB_HASH = "jsonb_path_ops"  #: a 32-bit hash of a path and value
    UNTYPED = "untyped"  #: the key type is not known: bytes


@dataclass(frozen=True, slots=True)
class GinKey:
    """An entry's key: its column, category and datum."""

    category: int  #: GinNullCategory
    attnum: int | None = None  #: the column (stored only in multi-column indexes)
    span: Span | None = None  #: the key datum's bytes (None for a NULL key)
    raw: bytes = b""  #: the datum as stored (varlena header included)
    kind: KeyKind = KeyKind.UNTYPED
    text: str | None = None  #: the output function's text (jsonb_ops: after the flag byte)
    #: jsonb_ops: the JGINFLAG byte; jsonb_path_ops: None
    jsonb_flag: int | None = None
    #: an order value (bytes for text keys compared bytewise, int ...), None: not comparable
    order: object | None = None
    problem: str | None = None

    @property
    def category_name(self) -> str:
        return C.GIN_CAT_NAMES.get(self.category, f"category {self.category}")

    @property
    def jsonb_flag_name(self) -> str | None:
        if self.jsonb_flag is None:
            return None
        base = C.JGINFLAG_NAMES.get(
            self.jsonb_flag & ~C.JGINFLAG_HASHED, f"0x{self.jsonb_flag:02x}"
        )
        return base + "|JGINFLAG_HASHED" if self.jsonb_flag & C.JGINFLAG_HASHED else base

    @property
    def hashed(self) -> bool:
        return self.jsonb_flag is not None and bool(self.jsonb_flag & C.JGINFLAG_HASHED)

    def display(self) -> str:
        """The key as one line of text."""
        if self.category != C.GIN_CAT_NORM_KEY:
            return self.category_name
        if self.kind is KeyKind.JSONB_HASH and self.order is not None:
            return f"hash 0x{int(self.order) & 0xFFFFFFFF:08x}"  # type: ignore[call-overload]
        if self.kind is KeyKind.JSONB and self.jsonb_flag is not None:
            return f"{self.jsonb_flag_name} {self.text!r}"
        if self.text is not None:
            return self.text
        return "\\x" + self.raw.hex()

    @property
    def map_key(self) -> tuple[int | None, int, str]:
        """(attnum, category, text) for comparing what an index holds with what it should:
        the text is the output text, or the JGINFLAG name and text, or the hash."""
        if self.category != C.GIN_CAT_NORM_KEY:
            return (self.attnum, self.category, "")
        return (self.attnum, self.category, self.display())


class EntryKind(enum.StrEnum):
    DOWNLINK = "downlink"  #: internal entry page: the child's block
    POSTING_LIST = "posting list"  #: leaf entry page: the TIDs inline
    POSTING_TREE = "posting tree"  #: leaf entry page: the root of a posting tree
    PENDING = "pending"  #: pending-list page: the heap TID


@dataclass(frozen=True, slots=True)
class GinEntry:
    """An index tuple of an entry-tree or pending-list page."""

    lp: ItemId
    offset: int
    bi_block: int  #: t_tid's block (bi_hi << 16 | bi_lo)
    ip_posid: int  #: t_tid's offset
    t_info: int
    kind: EntryKind
    key: GinKey
    #: POSTING_LIST: the compressed segments (GinItupIsCompressed) ...
    segments: tuple[GinPostingSegment, ...] = ()
    #: ... or the uncompressed pre-9.4 ItemPointerData array
    uncompressed: tuple[ItemPointer, ...] | None = None

    @property
    def offnum(self) -> int:
        return self.lp.lp

    @property
    def size(self) -> int:
        return self.t_info & C.INDEX_SIZE_MASK

    @property
    def has_nulls(self) -> bool:
        return bool(self.t_info & C.INDEX_NULL_MASK)

    @property
    def compressed(self) -> bool:
        """GinItupIsCompressed."""
        return bool(self.bi_block & C.GIN_ITUP_COMPRESSED)

    @property
    def posting_offset(self) -> int:
        """GinGetPostingOffset: where the posting list starts within the tuple."""
        return self.bi_block & ~C.GIN_ITUP_COMPRESSED & 0xFFFFFFFF

    @property
    def nposting(self) -> int:
        """GinGetNPosting."""
        return self.ip_posid

    @property
    def posting_tree(self) -> int | None:
        """GinGetPostingTree: the posting tree's root, for GinIsPostingTree tuples."""
        return self.bi_block if self.kind is EntryKind.POSTING_TREE else None

    @property
    def downlink(self) -> int | None:
        """GinGetDownlink of an internal entry tuple."""
        return self.bi_block if self.kind is EntryKind.DOWNLINK else None

    @property
    def heap_tid(self) -> ItemPointer | None:
        """The heap TID of a pending-list tuple."""
        if self.kind is not EntryKind.PENDING:
            return None
        return ItemPointer(self.bi_block, self.ip_posid)

    @property
    def tids(self) -> tuple[ItemPointer, ...]:
        """Every TID of the inline posting list (or the pending tuple's heap TID)."""
        if self.kind is EntryKind.PENDING:
            return (ItemPointer(self.bi_block, self.ip_posid),)
        if self.uncompressed is not None:
            return self.uncompressed
        return tuple(t for s in self.segments for t in s.tids)

    @property
    def span(self) -> Span:
        return Span(self.offset, self.offset + self.lp.lp_len)

    def fields(self) -> tuple[Field, ...]:
        out = []
        for name, (off, size) in GIN_TUPLE_OFFSETS.items():
            value = (self.bi_block << 16) | self.ip_posid if name == "t_tid" else self.t_info
            at = self.offset + off
            out.append(Field(name, value, Span(at, at + size), GIN_TUPLE_DOCS[name]))
        if self.key.span is not None:
            out.append(Field("key", len(self.key.raw), self.key.span, GIN_TUPLE_DOCS["key"]))
        return tuple(out)


# ----------------------------------------------------------------------------------------------
# page models


@dataclass(frozen=True, slots=True)
class GinPage(Page):
    """Any GIN page: its special space (None when the page has no room for it)."""

    opaque: GinPageOpaque | None = None

    @property
    def page_type(self) -> GinPageType | None:
        return self.opaque.page_type if self.opaque is not None else None

    @property
    def deleted(self) -> bool:
        return self.opaque is not None and self.opaque.is_deleted

    @property
    def delete_xid(self) -> int | None:
        """GinPageGetDeleteXid: kept in pd_prune_xid (11+) on GIN_DELETED pages."""
        return self.header.pd_prune_xid if self.deleted else None


@dataclass(frozen=True, slots=True)
class GinMetaPage(GinPage):
    """Block 0: GinMetaPageData."""

    meta: GinMeta | None = None


@dataclass(frozen=True, slots=True)
class GinEntryPage(GinPage):
    """An entry-tree page (internal or leaf) or a pending-list page: index tuples."""

    entries: tuple[GinEntry, ...] = ()

    def entry(self, offnum: int) -> GinEntry:
        for e in self.entries:
            if e.offnum == offnum:
                return e
        raise IndexError(f"no entry at offset {offnum}")


@dataclass(frozen=True, slots=True)
class GinDataPage(GinPage):
    """A posting-tree page: the right bound, then PostingItems (internal) or the posting list
    (leaf: compressed segments, or the pre-9.4 array of TIDs)."""

    right_bound: ItemPointer | None = None
    posting_items: tuple[GinPostingItem, ...] = ()
    segments: tuple[GinPostingSegment, ...] = ()
    uncompressed: tuple[ItemPointer, ...] | None = None

    @property
    def tids(self) -> tuple[ItemPointer, ...]:
        if self.uncompressed is not None:
            return self.uncompressed
        return tuple(t for s in self.segments for t in s.tids)
