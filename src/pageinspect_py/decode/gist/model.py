"""GiST index page models: the special space, the deleted-page contents, index tuples with
their typed keys, and the page.

A GiST page is an internal page (its tuples are downlinks: ``t_tid`` names the child block,
the keys are the union of the child's keys), a leaf page (``F_LEAF``: ``t_tid`` is the heap
TID) or a deleted page (``F_DELETED``: no items; from 13 the deleting transaction's full XID
after the header). There is no metapage: the root is block 0 (``GIST_ROOT_BLKNO``).

Sources: ``access/gist.h`` (GISTPageOpaqueData, F_*, GISTDeletedPageContents),
``access/gist_private.h`` (TUPLE_IS_VALID, GistTupleIsInvalid), ``access/itup.h``.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Field, Span
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.output import TypeInfo
from pageinspect_py.decode.page import ItemId, Page
from pageinspect_py.layouts.gist import (
    GIST_DELETED_DOCS,
    GIST_DELETED_OFFSETS,
    GIST_OPAQUE_DOCS,
    GIST_OPAQUE_OFFSETS,
    GIST_TUPLE_DOCS,
    GIST_TUPLE_OFFSETS,
)

#: every GISTPageOpaqueData.flags bit PostgreSQL defines
KNOWN_GIST_FLAGS = 0
for _bit, _name in C.GIST_FLAG_NAMES:
    KNOWN_GIST_FLAGS |= _bit


def lsn_text(lsn: int) -> str:
    """An LSN as ``pg_lsn`` prints it: ``%X/%X``."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def gist_flag_names(flags: int) -> tuple[str, ...]:
    """The flags as ``gist_page_opaque_info()`` names them; bits it does not know as one hex
    word (``to_hex32``)."""
    names = [name for bit, name in C.GIST_FLAG_NAMES if flags & bit]
    unknown = flags & ~KNOWN_GIST_FLAGS
    if unknown:
        names.append(f"{unknown:x}")
    return tuple(names)


# ----------------------------------------------------------------------------------------------
# the index's tuple descriptor


@dataclass(frozen=True, slots=True)
class GistColumn:
    """One attribute of the index's tuple descriptor (pg_attribute of the index)."""

    attnum: int
    name: str
    typname: str  #: the stored type: the opclass's storage type
    attlen: int
    attalign: str
    #: what the output function needs; None: no output function is tried (bytes shown)
    info: TypeInfo | None
    key: bool = True  #: False for an INCLUDE column (stored on leaves only)
    opclass: str | None = None  #: pg_opclass.opcname of a key column, when known


# ----------------------------------------------------------------------------------------------
# special space


@dataclass(frozen=True, slots=True)
class GistPageOpaque:
    """GISTPageOpaqueData: the NSN, the right link, the flags and the page id."""

    offset: int  #: page offset of the special space
    nsn: int  #: PageXLogRecPtr as one 64-bit LSN (xlogid << 32 | xrecoff)
    rightlink: int
    flags: int
    gist_page_id: int

    @property
    def nsn_text(self) -> str:
        return lsn_text(self.nsn)

    @property
    def flag_names(self) -> tuple[str, ...]:
        return gist_flag_names(self.flags)

    def has(self, bit: int) -> bool:
        return bool(self.flags & bit)

    @property
    def is_leaf(self) -> bool:
        """GistPageIsLeaf."""
        return self.has(C.F_LEAF)

    @property
    def is_deleted(self) -> bool:
        """GistPageIsDeleted."""
        return self.has(C.F_DELETED)

    @property
    def tuples_deleted(self) -> bool:
        return self.has(C.F_TUPLES_DELETED)

    @property
    def follow_right(self) -> bool:
        """GistFollowRight: the right sibling made by a split has no downlink yet."""
        return self.has(C.F_FOLLOW_RIGHT)

    @property
    def has_garbage(self) -> bool:
        """GistPageHasGarbage: LP_DEAD items are waiting to be removed."""
        return self.has(C.F_HAS_GARBAGE)

    @property
    def has_rightlink(self) -> bool:
        return self.rightlink != C.InvalidBlockNumber

    @property
    def span(self) -> Span:
        return Span(self.offset, self.offset + C.SizeOfGISTPageOpaqueData)

    def fields(self) -> tuple[Field, ...]:
        return tuple(
            Field(
                name,
                getattr(self, name),
                Span(off, off + size).shifted(self.offset),
                GIST_OPAQUE_DOCS[name],
            )
            for name, (off, size) in GIST_OPAQUE_OFFSETS.items()
        )


# ----------------------------------------------------------------------------------------------
# deleted pages


@dataclass(frozen=True, slots=True)
class GistDeletedPage:
    """What says when a deleted page may be recycled: GISTDeletedPageContents.deleteXid
    (13+, a FullTransactionId after the header) or, in 12, ``pd_prune_xid`` (32 bits)."""

    #: the full transaction id (13+) or the 32-bit xid (12)
    deleteXid: int
    #: where it is stored: GISTDeletedPageContents at offset 24, or pd_prune_xid (20..24)
    span: Span
    full: bool  #: True for a FullTransactionId (13+)

    @property
    def epoch(self) -> int | None:
        return self.deleteXid >> 32 if self.full else None

    @property
    def xid(self) -> int:
        return self.deleteXid & 0xFFFFFFFF

    @property
    def text(self) -> str:
        """As PostgreSQL prints a full xid (``xid8``: the 64-bit number) or an xid."""
        return str(self.deleteXid)

    def fields(self) -> tuple[Field, ...]:
        if not self.full:
            return (
                Field(
                    "pd_prune_xid",
                    self.deleteXid,
                    self.span,
                    "12: GistPageGetDeleteXid, the last xid which could see the page in a scan",
                ),
            )
        return tuple(
            Field(
                name,
                self.deleteXid,
                Span(off, off + size).shifted(self.span.start),
                GIST_DELETED_DOCS[name],
            )
            for name, (off, size) in GIST_DELETED_OFFSETS.items()
        )


# ----------------------------------------------------------------------------------------------
# index tuples


@dataclass(frozen=True, slots=True)
class GistKey:
    """One attribute of an index tuple, typed by the index's tuple descriptor."""

    attnum: int
    name: str
    typname: str | None  #: the stored type (the opclass's storage type); None: untyped
    is_null: bool
    span: Span | None  #: bytes on the page (None for NULL, or when they could not be found)
    raw: bytes
    text: str | None = None  #: as the type's output function prints it, when understood
    problem: str | None = None  #: why the bytes could not be decoded

    def display(self) -> str:
        if self.is_null:
            return "NULL"
        if self.text is not None:
            return self.text
        return "\\x" + self.raw.hex()


@dataclass(frozen=True, slots=True)
class GistIndexTuple:
    """IndexTupleData, the null bitmap and the keys, at page offset ``offset``."""

    offset: int
    t_tid: ItemPointer
    t_info: int
    #: the null bitmap's bytes (IndexAttributeBitMapData) when INDEX_NULL_MASK is set
    null_bitmap: bytes | None
    #: the keys, decoded by the index's tuple descriptor (empty when it is not known)
    keys: tuple[GistKey, ...]
    #: the data bytes (after the header and bitmap), shown when the keys are untyped
    data: Span

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
    def is_invalid(self) -> bool:
        """GistTupleIsInvalid: an inner tuple left by pre-9.1 crash recovery."""
        return self.t_tid.offset == C.TUPLE_IS_INVALID

    @property
    def data_offset(self) -> int:
        """IndexInfoFindDataOffset: 8, or 16 after a null bitmap."""
        if self.has_nulls:
            return C.maxalign(C.SizeOfIndexTupleData + C.SizeOfIndexAttributeBitMapData)
        return C.SizeOfIndexTupleData

    def att_isnull(self, attnum: int) -> bool:
        """Attribute ``attnum`` (1-based) is NULL: its bit is 0 (bit set = not null)."""
        if self.null_bitmap is None:
            return False
        index = attnum - 1
        byte = index >> 3
        if byte >= len(self.null_bitmap):
            return False
        return not self.null_bitmap[byte] >> (index & 7) & 1

    @property
    def info_names(self) -> tuple[str, ...]:
        names = []
        if self.has_nulls:
            names.append("INDEX_NULL_MASK")
        if self.has_varwidths:
            names.append("INDEX_VAR_MASK")
        if self.t_info & C.INDEX_AM_RESERVED_BIT:
            names.append("INDEX_AM_RESERVED_BIT")
        return tuple(names)

    def fields(self) -> tuple[Field, ...]:
        out = []
        for name, (off, size) in GIST_TUPLE_OFFSETS.items():
            at = self.offset + off
            value = (
                (self.t_tid.block << 16) | self.t_tid.offset
                if name == "t_tid"
                else getattr(self, name)
            )
            out.append(Field(name, value, Span(at, at + size), GIST_TUPLE_DOCS[name]))
        if self.null_bitmap is not None:
            at = self.offset + C.SizeOfIndexTupleData
            out.append(
                Field(
                    "t_bits",
                    int.from_bytes(self.null_bitmap, "little"),
                    Span(at, at + len(self.null_bitmap)),
                    "IndexAttributeBitMapData: bit i (lowest first) is 1 when attribute i+1 "
                    "is not null",
                )
            )
        return tuple(out)


@dataclass(frozen=True, slots=True)
class GistItem:
    """One line pointer of a GiST page and its tuple."""

    lp: ItemId
    tuple: GistIndexTuple | None = None
    leaf: bool = True  #: the page is a leaf: t_tid is a heap TID, else a downlink

    @property
    def offnum(self) -> int:
        return self.lp.lp

    @property
    def dead(self) -> bool:
        """ItemIdIsDead: LP_DEAD, set by gistkillitems when a scan found the heap tuple dead
        to everyone (the page then has F_HAS_GARBAGE)."""
        return self.lp.lp_flags == C.LP_DEAD

    @property
    def downlink(self) -> int | None:
        """The child block of an internal page's tuple."""
        if self.leaf or self.tuple is None:
            return None
        return self.tuple.t_tid.block

    @property
    def heap_tid(self) -> ItemPointer | None:
        if not self.leaf or self.tuple is None:
            return None
        return self.tuple.t_tid

    @property
    def keys(self) -> builtins.tuple[GistKey, ...]:
        return self.tuple.keys if self.tuple is not None else ()


# ----------------------------------------------------------------------------------------------
# the page


@dataclass(frozen=True, slots=True)
class GistPage(Page):
    """A GiST page: internal, leaf or deleted."""

    opaque: GistPageOpaque | None = None
    items: tuple[GistItem, ...] = ()
    #: the deleting transaction of a deleted page (F_DELETED)
    deleted: GistDeletedPage | None = None
    #: whether the keys were typed by the index's tuple descriptor (GistDecodeOptions)
    typed: bool = False
    #: the index's tuple descriptor the page was decoded with (empty: untyped)
    columns: tuple[GistColumn, ...] = field(default=(), repr=False)

    @property
    def nkeyatts(self) -> int:
        return sum(1 for c in self.columns if c.key)

    def columns_of_page(self) -> tuple[GistColumn, ...]:
        """The attributes this page's tuples store: all on a leaf, key columns otherwise."""
        return self.columns if self.is_leaf else tuple(c for c in self.columns if c.key)

    @property
    def is_leaf(self) -> bool:
        return self.opaque is not None and self.opaque.is_leaf

    @property
    def is_deleted(self) -> bool:
        return self.opaque is not None and self.opaque.is_deleted

    @property
    def is_root(self) -> bool:
        return self.blkno == C.GIST_ROOT_BLKNO

    @property
    def page_type(self) -> str:
        """``deleted``, ``leaf`` or ``internal``."""
        if self.is_deleted:
            return "deleted"
        return "leaf" if self.is_leaf else "internal"

    def gist_item(self, offnum: int) -> GistItem:
        """The item at offset number ``offnum`` (1-based)."""
        if not 1 <= offnum <= len(self.items):
            raise IndexError(f"item {offnum} is not on this page (1..{len(self.items)})")
        return self.items[offnum - 1]

    def gist_items(self) -> tuple[GistItem, ...]:
        return self.items

    @property
    def live_items(self) -> int:
        return sum(1 for item in self.items if not item.dead)

    @property
    def dead_items(self) -> int:
        return sum(1 for item in self.items if item.dead)

    @property
    def downlinks(self) -> tuple[int, ...]:
        """The child blocks an internal page points to, in item order."""
        return tuple(b for b in (item.downlink for item in self.items) if b is not None)
