"""BRIN index page models: the special space, the metapage, the range map (revmap) and the
BRIN tuples of regular pages, with the three page models.

Every BRIN page ends with ``BrinSpecialSpace`` whose last half-word is the page type
(BRIN_PAGETYPE_META / REVMAP / REGULAR) and the one before it the flags
(BRIN_EVACUATE_PAGE). Block 0 is the metapage; blocks 1 .. lastRevmapPage hold the range map
(one TID per range, to the range's summary tuple); the other blocks are regular pages of
BRIN tuples (one per summarized range: bt_blkno, bt_info, a 2-bits-a-column null bitmap and
each column's opclass values).

Sources: ``access/brin_page.h``, ``access/brin_tuple.h``, ``access/brin/brin_tuple.c``
(brin_form_tuple, brin_deform_tuple), ``access/brin/brin_revmap.c``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.decode.brin.opclass import OpclassFamily
from pageinspect_py.decode.common import Field, Span
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import ItemId, Page
from pageinspect_py.layouts.brin import (
    BRIN_META_DOCS,
    BRIN_META_OFFSETS,
    BRIN_PAGE_FLAGS_WORD,
    BRIN_PAGE_TYPE_WORD,
    BRIN_SPECIAL_DOCS,
    BRIN_TUPLE_DOCS,
    BRIN_TUPLE_OFFSETS,
    RM_TIDS_DOC,
    SizeOfBrinSpecialSpace,
    SizeOfBrinTuple,
)

#: BrinPageType values, named as brin_page_type() names them
PAGE_TYPE_NAMES = {
    C.BRIN_PAGETYPE_META: "meta",
    C.BRIN_PAGETYPE_REVMAP: "revmap",
    C.BRIN_PAGETYPE_REGULAR: "regular",
}
_HALF = 2  # sizeof(uint16)


def page_type_name(page_type: int) -> str:
    """brin_page_type(): meta, revmap, regular, or ``unknown (%02x)``."""
    return PAGE_TYPE_NAMES.get(page_type, f"unknown ({page_type:02x})")


# ----------------------------------------------------------------------------------------------
# special space


@dataclass(frozen=True, slots=True)
class BrinSpecial:
    """BrinSpecialSpace: the page's last MAXALIGN(1) bytes as uint16 vector[]."""

    offset: int  #: page offset of the special space (the page's last 8 bytes)
    vector: tuple[int, ...]

    @property
    def page_type(self) -> int:
        """BrinPageType: vector[MAXALIGN(1) / sizeof(uint16) - 1]."""
        return self.vector[BRIN_PAGE_TYPE_WORD]

    @property
    def flags(self) -> int:
        """BrinPageFlags: vector[MAXALIGN(1) / sizeof(uint16) - 2]."""
        return self.vector[BRIN_PAGE_FLAGS_WORD]

    @property
    def type_name(self) -> str:
        return page_type_name(self.page_type)

    @property
    def evacuate(self) -> bool:
        """BRIN_EVACUATE_PAGE: a regular page being emptied so it can become a revmap page
        (brin_page_cleanup / brin_evacuate_page): no new tuples go there."""
        return bool(self.flags & C.BRIN_EVACUATE_PAGE)

    @property
    def flag_names(self) -> tuple[str, ...]:
        return ("BRIN_EVACUATE_PAGE",) if self.evacuate else ()

    @property
    def span(self) -> Span:
        return Span(self.offset, self.offset + SizeOfBrinSpecialSpace)

    def fields(self) -> tuple[Field, ...]:
        out = []
        for i, value in enumerate(self.vector):
            at = self.offset + i * _HALF
            span = Span(at, at + _HALF)
            if i == BRIN_PAGE_TYPE_WORD:
                out.append(Field("BrinPageType", value, span, BRIN_SPECIAL_DOCS["type"]))
            elif i == BRIN_PAGE_FLAGS_WORD:
                out.append(Field("BrinPageFlags", value, span, BRIN_SPECIAL_DOCS["flags"]))
            else:
                out.append(Field(f"vector[{i}]", value, span, BRIN_SPECIAL_DOCS["unused"]))
        return tuple(out)


# ----------------------------------------------------------------------------------------------
# the metapage


@dataclass(frozen=True, slots=True)
class BrinMeta:
    """BrinMetaPageData of block 0."""

    brinMagic: int  # the C field names
    brinVersion: int
    pagesPerRange: int
    lastRevmapPage: int
    span: Span  #: where the struct lies (offset 24, 16 bytes)

    @property
    def revmap_blocks(self) -> range:
        """The blocks of the range map: 1 .. lastRevmapPage."""
        return range(C.BRIN_METAPAGE_BLKNO + 1, self.lastRevmapPage + 1)

    def fields(self) -> tuple[Field, ...]:
        return tuple(
            Field(
                name,
                getattr(self, name),
                Span(off, off + size).shifted(self.span.start),
                BRIN_META_DOCS[name],
            )
            for name, (off, size) in BRIN_META_OFFSETS.items()
        )


# ----------------------------------------------------------------------------------------------
# the range map


@dataclass(frozen=True, slots=True)
class RevmapEntry:
    """One slot of a revmap page: the TID of the summary tuple of one range."""

    slot: int  #: index in rm_tids[] (0-based)
    tid: ItemPointer
    span: Span
    #: the range's number across the whole map: revmap page index * REVMAP_PAGE_MAXITEMS +
    #: slot (the revmap page index counts from block 1); None when the page's place in the
    #: map is not known
    range_index: int | None = None
    #: the range's first heap block (range_index * pagesPerRange), when the metapage is known
    first_block: int | None = None

    @property
    def summarized(self) -> bool:
        """A valid TID: the range has a summary tuple (an invalid one is (0,0))."""
        return self.tid.block != 0 or self.tid.offset != 0

    def fields(self) -> tuple[Field, ...]:
        return (
            Field(
                f"rm_tids[{self.slot}]",
                (self.tid.block << 16) | self.tid.offset,
                self.span,
                RM_TIDS_DOC,
            ),
        )


# ----------------------------------------------------------------------------------------------
# BRIN tuples


@dataclass(frozen=True, slots=True)
class BrinValue:
    """One stored value of a column (an opclass's ``bv_values[i]``)."""

    name: str  #: its role: min, max, union, unmergeable, contains_empty, bloom, ranges
    typname: str
    span: Span | None  #: its bytes on the page (None when they could not be found)
    raw: bytes
    text: str | None = None  #: as the type's output function prints it
    problem: str | None = None

    def display(self) -> str:
        return self.text if self.text is not None else "\\x" + self.raw.hex()


@dataclass(frozen=True, slots=True)
class BrinColumn:
    """One indexed column of a BRIN tuple: its two null bits and its opclass's values."""

    attnum: int
    attname: str
    opclass: str | None
    family: OpclassFamily
    #: the column's allnulls bit: no non-null value in the range, so no values stored
    allnulls: bool
    #: the column's hasnulls bit: some rows of the range are NULL there
    hasnulls: bool
    values: tuple[BrinValue, ...] = ()
    #: why the values could not be read (an unknown opclass, bytes past the tuple)
    problem: str | None = None

    @property
    def value_text(self) -> str | None:
        """brin_page_items()'s ``value``: ``{v1 .. v2 ..}`` of the values' texts; None for an
        allnulls column or when a value could not be printed."""
        if self.allnulls or not self.values or self.problem is not None:
            return None
        texts = [v.text for v in self.values]
        if any(t is None for t in texts):
            return None
        return "{" + " .. ".join(t for t in texts if t is not None) + "}"


@dataclass(frozen=True, slots=True)
class BrinTuple:
    """A BRIN tuple at page offset ``offset``."""

    offset: int
    size: int  #: lp_len (brin_form_tuple MAXALIGNs it)
    bt_blkno: int
    bt_info: int
    #: the null bitmap's bytes, when BRIN_NULLS_MASK is set (2 bits a column: every column's
    #: allnulls bit, then every column's hasnulls bit; 1 = null)
    null_bitmap: bytes | None = None
    #: the columns, when the index's columns are known (None: only the header is read)
    columns: tuple[BrinColumn, ...] | None = None

    @property
    def data_offset(self) -> int:
        """BrinTupleDataOffset: bt_info & BRIN_OFFSET_MASK."""
        return self.bt_info & C.BRIN_OFFSET_MASK

    @property
    def has_nulls(self) -> bool:
        return bool(self.bt_info & C.BRIN_NULLS_MASK)

    @property
    def placeholder(self) -> bool:
        """BRIN_PLACEHOLDER_MASK: inserted by summarization before it has values."""
        return bool(self.bt_info & C.BRIN_PLACEHOLDER_MASK)

    @property
    def empty_range(self) -> bool:
        """BRIN_EMPTY_RANGE_MASK (16+): the range holds no tuples at all."""
        return bool(self.bt_info & C.BRIN_EMPTY_RANGE_MASK)

    @property
    def info_names(self) -> tuple[str, ...]:
        return tuple(name for bit, name in C.BRIN_INFO_FLAG_NAMES if self.bt_info & bit)

    @property
    def span(self) -> Span:
        return Span(self.offset, self.offset + self.size)

    @property
    def bitmap_span(self) -> Span | None:
        if self.null_bitmap is None:
            return None
        start = self.offset + SizeOfBrinTuple
        return Span(start, start + len(self.null_bitmap))

    def fields(self) -> tuple[Field, ...]:
        out = [
            Field(
                name,
                getattr(self, name),
                Span(off, off + size).shifted(self.offset),
                BRIN_TUPLE_DOCS[name],
            )
            for name, (off, size) in BRIN_TUPLE_OFFSETS.items()
        ]
        span = self.bitmap_span
        if span is not None and self.null_bitmap is not None:
            out.append(
                Field(
                    "null bitmap",
                    int.from_bytes(self.null_bitmap, "little"),
                    span,
                    "2 bits per column: the allnulls bits of every column, then the hasnulls "
                    "bits (1 = null, the reverse of a heap tuple's bitmap)",
                )
            )
        return tuple(out)


@dataclass(frozen=True, slots=True)
class BrinItem:
    """One line pointer of a regular page and its tuple."""

    lp: ItemId
    tuple: BrinTuple | None = None

    @property
    def offnum(self) -> int:
        return self.lp.lp


# ----------------------------------------------------------------------------------------------
# page models


@dataclass(frozen=True, slots=True)
class BrinPage(Page):
    """A BRIN page whose type the decoder did not know (BrinPageType not META, REVMAP or
    REGULAR): the header and the special space only."""

    special: BrinSpecial | None = None
    #: the PostgreSQL major the index came from, when the caller said (pageinspect's
    #: brin_page_items has an ``empty`` column from 16)
    major: int | None = None

    @property
    def opaque(self) -> BrinSpecial | None:
        """The special space under the name the field tree (render/tree.py) shows any index
        page's special-space fields by."""
        return self.special

    @property
    def page_type(self) -> int | None:
        return self.special.page_type if self.special is not None else None

    @property
    def type_name(self) -> str:
        return self.special.type_name if self.special is not None else "unknown"


@dataclass(frozen=True, slots=True)
class BrinMetaPage(BrinPage):
    """Block 0: BrinMetaPageData."""

    meta: BrinMeta | None = None


@dataclass(frozen=True, slots=True)
class BrinRevmapPage(BrinPage):
    """A page of the range map: REVMAP_PAGE_MAXITEMS TIDs."""

    entries: tuple[RevmapEntry, ...] = ()
    #: which revmap page this is (block - 1), for the ranges its slots stand for
    revmap_index: int | None = None
    index_meta: BrinMeta | None = field(default=None, repr=False)

    def summarized(self) -> tuple[RevmapEntry, ...]:
        return tuple(e for e in self.entries if e.summarized)


@dataclass(frozen=True, slots=True)
class BrinRegularPage(BrinPage):
    """A regular page: line pointers to BRIN tuples."""

    items: tuple[BrinItem, ...] = ()
    #: whether the tuples' columns were read (the index's columns were known)
    typed: bool = False
    index_meta: BrinMeta | None = field(default=None, repr=False)

    def brin_item(self, offnum: int) -> BrinItem:
        if not 1 <= offnum <= len(self.items):
            raise IndexError(f"item {offnum} is not on this page (1..{len(self.items)})")
        return self.items[offnum - 1]

    def tuples(self) -> tuple[BrinTuple, ...]:
        return tuple(i.tuple for i in self.items if i.tuple is not None)
