"""SP-GiST page models: the special space, the metapage, inner tuples with their prefix and
nodes, leaf tuples, dead tuples (REDIRECT, DEAD, PLACEHOLDER) and the page.

Every SP-GiST page ends with ``SpGistPageOpaqueData``; the metapage (flag SPGIST_META, block
0) holds ``SpGistMetaPageData``; an inner page (no SPGIST_LEAF) holds inner tuples, a leaf page
(SPGIST_LEAF) leaf tuples; on either, a tuple whose ``tupstate`` is not SPGIST_LIVE is a dead
tuple. Pages with SPGIST_NULLS make the tree of NULL keys (root block 2); the other tree's
root is block 1.

Source: ``access/spgist_private.h``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Field, Span
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import ItemId, Page
from pageinspect_py.layouts.spgist import (
    INNER_BITS_DOCS,
    LEAF_BITS_DOCS,
    SGITHDRSZ,
    SPGIST_DEAD_DOCS,
    SPGIST_DEAD_DOCS_OLD,
    SPGIST_INNER_OFFSETS,
    SPGIST_LEAF_DOCS,
    SPGIST_LEAF_DOCS_OLD,
    SPGIST_LUP_DOCS,
    SPGIST_LUP_OFFSETS,
    SPGIST_META_DOCS,
    SPGIST_META_OFFSETS,
    SPGIST_NODE_DOCS,
    SPGIST_NODE_OFFSETS,
    SPGIST_OPAQUE_DOCS,
    SPGIST_OPAQUE_OFFSETS,
    SizeOfSpGistLastUsedPage,
    SizeOfSpGistPageOpaqueData,
    dead_offsets,
    leaf_offsets,
)


class SpGistPageType(enum.StrEnum):
    """What a page is by its flags."""

    META = "meta"
    INNER = "inner"
    LEAF = "leaf"
    DELETED = "deleted"


def tupstate_name(tupstate: int) -> str:
    """SPGIST_LIVE / SPGIST_REDIRECT / SPGIST_DEAD / SPGIST_PLACEHOLDER, without the prefix."""
    return C.SPGIST_TUPSTATE_NAMES[tupstate & 3]


def flag_names(flags: int) -> tuple[str, ...]:
    return tuple(name for bit, name in C.SPGIST_FLAG_NAMES if flags & bit)


def _tid_value(tid: ItemPointer) -> int:
    return (tid.block << 16) | tid.offset


def tid_text(tid: ItemPointer) -> str:
    """A TID as a ctid is written: ``(block,offset)``."""
    return f"({tid.block},{tid.offset})"


# ----------------------------------------------------------------------------------------------
# special space


@dataclass(frozen=True, slots=True)
class SpGistPageOpaque:
    """SpGistPageOpaqueData."""

    offset: int
    flags: int
    nRedirection: int
    nPlaceholder: int
    spgist_page_id: int

    @property
    def flag_names(self) -> tuple[str, ...]:
        return flag_names(self.flags)

    @property
    def is_meta(self) -> bool:
        return bool(self.flags & C.SPGIST_META)

    @property
    def is_leaf(self) -> bool:
        return bool(self.flags & C.SPGIST_LEAF)

    @property
    def is_deleted(self) -> bool:
        return bool(self.flags & C.SPGIST_DELETED)

    @property
    def stores_nulls(self) -> bool:
        return bool(self.flags & C.SPGIST_NULLS)

    @property
    def span(self) -> Span:
        return Span(self.offset, self.offset + SizeOfSpGistPageOpaqueData)

    def fields(self) -> tuple[Field, ...]:
        return tuple(
            Field(name, getattr(self, name), Span(off, off + size).shifted(self.offset), doc)
            for name, (off, size) in SPGIST_OPAQUE_OFFSETS.items()
            for doc in (SPGIST_OPAQUE_DOCS[name],)
        )


# ----------------------------------------------------------------------------------------------
# the metapage


def cached_page_role(index: int) -> str:
    """What cachedPage[index] caches (SpGistGetBuffer's flags): ``inner parity 0..2`` or
    ``leaf``, of the nulls tree when GBUF_NULLS is set."""
    role = "leaf" if index & C.GBUF_PARITY_MASK == C.GBUF_LEAF else f"inner parity {index & 3}"
    return f"nulls {role}" if index & C.GBUF_NULLS else role


@dataclass(frozen=True, slots=True)
class SpGistLastUsed:
    """SpGistLastUsedPage: cachedPage[index]."""

    index: int
    blkno: int
    freeSpace: int
    span: Span

    @property
    def role(self) -> str:
        return cached_page_role(self.index)

    @property
    def in_use(self) -> bool:
        return self.blkno != C.InvalidBlockNumber

    @property
    def wants_leaf(self) -> bool:
        return self.index & C.GBUF_PARITY_MASK == C.GBUF_LEAF

    @property
    def wants_nulls(self) -> bool:
        return bool(self.index & C.GBUF_NULLS)


@dataclass(frozen=True, slots=True)
class SpGistMeta:
    """SpGistMetaPageData."""

    magicNumber: int
    cachedPage: tuple[SpGistLastUsed, ...]
    span: Span

    def fields(self) -> tuple[Field, ...]:
        off, size = SPGIST_META_OFFSETS["magicNumber"]
        start = self.span.start
        out = [
            Field(
                "magicNumber",
                self.magicNumber,
                Span(start + off, start + off + size),
                SPGIST_META_DOCS["magicNumber"],
            )
        ]
        for page in self.cachedPage:
            for name, (f_off, f_size) in SPGIST_LUP_OFFSETS.items():
                at = page.span.start + f_off
                out.append(
                    Field(
                        f"lastUsedPages.cachedPage[{page.index}].{name}",
                        getattr(page, name),
                        Span(at, at + f_size),
                        f"{SPGIST_LUP_DOCS[name]} ({page.role})",
                    )
                )
        return tuple(out)


#: the size of one cachedPage[] entry
LAST_USED_SIZE = SizeOfSpGistLastUsedPage

# ----------------------------------------------------------------------------------------------
# datums


@dataclass(frozen=True, slots=True)
class SpGistDatum:
    """A prefix, node label or leaf datum: its bytes and, when its type is known, the text its
    output function prints (``typname`` None: untyped bytes)."""

    span: Span  #: the datum's bytes (without the MAXALIGN padding after it)
    raw: bytes
    typname: str | None = None
    text: str | None = None
    #: int2 labels: the label's value; text: the string's bytes (for reconstruction)
    value: int | bytes | None = None

    @property
    def shown(self) -> str:
        if self.text is not None:
            return self.text
        return "\\x" + self.raw.hex()


# ----------------------------------------------------------------------------------------------
# tuples


@dataclass(frozen=True, slots=True)
class SpGistNode:
    """SpGistNodeTupleData (IndexTupleData) inside an inner tuple and its label."""

    index: int  #: the node's number in its inner tuple (0-based)
    offset: int  #: page offset of the node tuple
    t_tid: ItemPointer  #: the downlink
    t_info: int
    label: SpGistDatum | None  #: None when the label is null (INDEX_NULL_MASK)

    @property
    def size(self) -> int:
        return self.t_info & C.INDEX_SIZE_MASK

    @property
    def label_isnull(self) -> bool:
        return bool(self.t_info & C.INDEX_NULL_MASK)

    @property
    def has_downlink(self) -> bool:
        """ItemPointerIsValid: a child exists (block valid, offset not 0)."""
        return self.t_tid.block != C.InvalidBlockNumber and self.t_tid.offset != 0

    @property
    def span(self) -> Span:
        return Span(self.offset, self.offset + self.size)

    def fields(self) -> tuple[Field, ...]:
        out = []
        for name, (off, size) in SPGIST_NODE_OFFSETS.items():
            value = _tid_value(self.t_tid) if name == "t_tid" else self.t_info
            at = self.offset + off
            out.append(Field(name, value, Span(at, at + size), SPGIST_NODE_DOCS[name]))
        return tuple(out)


def _bits_fields(
    offset: int, word: int, masks: dict[str, tuple[int, int]], docs: dict[str, str]
) -> list[Field]:
    span = Span(offset, offset + 4)
    return [Field(name, (word >> s) & m, span, docs[name]) for name, (s, m) in masks.items()]


@dataclass(frozen=True, slots=True)
class SpGistInnerTuple:
    """SpGistInnerTupleData, its prefix and nodes."""

    lp: ItemId
    offset: int
    tupstate: int
    allTheSame: bool
    nNodes: int
    prefixSize: int
    size: int
    prefix: SpGistDatum | None
    nodes: tuple[SpGistNode, ...]
    bits: int = 0

    @property
    def offnum(self) -> int:
        return self.lp.lp

    @property
    def state(self) -> str:
        return tupstate_name(self.tupstate)

    @property
    def nodes_offset(self) -> int:
        """SGITNODEPTR: after the header and prefixSize bytes of prefix."""
        return self.offset + SGITHDRSZ + self.prefixSize

    def fields(self) -> tuple[Field, ...]:
        from pageinspect_py.layouts.spgist import INNER_MASKS

        out = _bits_fields(self.offset, self.bits, INNER_MASKS, INNER_BITS_DOCS)
        off, size = SPGIST_INNER_OFFSETS["size"]
        out.append(
            Field(
                "size",
                self.size,
                Span(self.offset + off, self.offset + off + size),
                "total size of inner tuple",
            )
        )
        return tuple(out)


@dataclass(frozen=True, slots=True)
class SpGistLeafTuple:
    """SpGistLeafTupleData and its leaf datum."""

    lp: ItemId
    offset: int
    tupstate: int
    size: int
    t_info: int  #: 12/13: the whole uint16 is nextOffset
    nextOffset: int
    hasNullMask: bool
    heapPtr: ItemPointer
    datum: SpGistDatum | None  #: None for a NULL key (a tuple of the nulls tree)
    isnull: bool
    #: bytes after the key datum (INCLUDE columns, 14+), not decoded
    included: Span | None = None
    major: int | None = None
    bits: int = 0

    @property
    def offnum(self) -> int:
        return self.lp.lp

    @property
    def state(self) -> str:
        return tupstate_name(self.tupstate)

    def fields(self) -> tuple[Field, ...]:
        from pageinspect_py.layouts.spgist import LEAF_MASKS

        out = _bits_fields(self.offset, self.bits, LEAF_MASKS, LEAF_BITS_DOCS)
        old = self.major is not None and self.major < C.SPGIST_LEAF_T_INFO_MAJOR
        docs = SPGIST_LEAF_DOCS_OLD if old else SPGIST_LEAF_DOCS
        for name, (off, size) in leaf_offsets(self.major).items():
            if name == "bits":
                continue
            value = _tid_value(self.heapPtr) if name == "heapPtr" else self.t_info
            at = self.offset + off
            out.append(Field(name, value, Span(at, at + size), docs[name]))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class SpGistDeadTuple:
    """SpGistDeadTupleData: a REDIRECT (pointer, xid), DEAD or PLACEHOLDER tuple."""

    lp: ItemId
    offset: int
    tupstate: int
    size: int
    t_info: int
    pointer: ItemPointer
    xid: int
    leaf_page: bool
    major: int | None = None
    bits: int = 0

    @property
    def offnum(self) -> int:
        return self.lp.lp

    @property
    def state(self) -> str:
        return tupstate_name(self.tupstate)

    @property
    def is_redirect(self) -> bool:
        return self.tupstate == C.SPGIST_REDIRECT

    def fields(self) -> tuple[Field, ...]:
        from pageinspect_py.layouts.spgist import LEAF_MASKS

        out = _bits_fields(self.offset, self.bits, LEAF_MASKS, LEAF_BITS_DOCS)
        old = self.major is not None and self.major < C.SPGIST_LEAF_T_INFO_MAJOR
        docs = SPGIST_DEAD_DOCS_OLD if old else SPGIST_DEAD_DOCS
        for name, (off, size) in dead_offsets(self.major).items():
            if name == "bits":
                continue
            if name == "pointer":
                value = _tid_value(self.pointer)
            elif name == "xid":
                value = self.xid
            else:
                value = self.t_info
            at = self.offset + off
            out.append(Field(name, value, Span(at, at + size), docs[name]))
        return tuple(out)


SpGistTuple = SpGistInnerTuple | SpGistLeafTuple | SpGistDeadTuple

# ----------------------------------------------------------------------------------------------
# the page


@dataclass(frozen=True, slots=True)
class SpGistPage(Page):
    """Any SP-GiST page: the metapage, an inner or a leaf page (of either tree)."""

    opaque: SpGistPageOpaque | None = None
    meta: SpGistMeta | None = None
    inner_tuples: tuple[SpGistInnerTuple, ...] = ()
    leaf_tuples: tuple[SpGistLeafTuple, ...] = ()
    dead_tuples: tuple[SpGistDeadTuple, ...] = ()
    #: the opclass whose types the datums were decoded with (None: untyped)
    opclass: str | None = None

    @property
    def page_type(self) -> SpGistPageType:
        flags = self.opaque.flags if self.opaque is not None else C.SPGIST_LEAF
        if flags & C.SPGIST_META:
            return SpGistPageType.META
        if flags & C.SPGIST_DELETED:
            return SpGistPageType.DELETED
        if flags & C.SPGIST_LEAF:
            return SpGistPageType.LEAF
        return SpGistPageType.INNER

    @property
    def stores_nulls(self) -> bool:
        return self.opaque is not None and self.opaque.stores_nulls

    def tuple_at(self, offnum: int) -> SpGistTuple | None:
        """The tuple of line pointer ``offnum`` (None when there is none)."""
        return self._by_offset().get(offnum)

    def _by_offset(self) -> dict[int, SpGistTuple]:
        out: dict[int, SpGistTuple] = {}
        for group in (self.inner_tuples, self.leaf_tuples, self.dead_tuples):
            for t in group:
                out[t.offnum] = t
        return out

    def tuples(self) -> tuple[SpGistTuple, ...]:
        """Every tuple in line pointer order."""
        by = self._by_offset()
        return tuple(by[k] for k in sorted(by))
