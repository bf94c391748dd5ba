"""Hash index page models: the special space, the metapage, the overflow-page bitmap, index
tuples (IndexTupleData + the 4-byte hash code) and the three page models.

Every hash page ends with ``HashPageOpaqueData``; what lies between the header and it depends
on ``hasho_flag & LH_PAGE_TYPE``: ``HashMetaPageData`` (the metapage, block 0), the bitmap of
overflow pages in use (bitmap pages), or line pointers to index tuples sorted by hash code
(bucket pages, the overflow pages chained after them, and unused pages: freed overflow pages
and the last page of a splitpoint's allocation, which have no items).

Sources: ``access/hash.h`` (HashPageOpaqueData, HashMetaPageData, LH_*, BMPG_*, ISSET),
``access/hash/hashutil.c`` (_hash_get_indextuple_hashkey, _hash_hashkey2bucket).
"""

from __future__ import annotations

import enum
import math
import struct
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Field, Span
from pageinspect_py.decode.hash import buckets as B
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import ItemId, Page
from pageinspect_py.layouts.hash import (
    HASH_META_DOCS,
    HASH_META_ELEMENT_SIZE,
    HASH_OPAQUE_DOCS,
    HASH_OPAQUE_OFFSETS,
    HASH_TUPLE_DOCS,
    HASH_TUPLE_OFFSETS,
    hash_meta_offsets,
)

#: every hasho_flag bit PostgreSQL defines
KNOWN_LH_FLAGS = 0
for _bit, _name in C.LH_FLAG_NAMES:
    KNOWN_LH_FLAGS |= _bit


class HashPageType(enum.StrEnum):
    """``hasho_flag & LH_PAGE_TYPE``, named as ``hash_page_type()`` names it."""

    METAPAGE = "metapage"
    BUCKET = "bucket"
    OVERFLOW = "overflow"
    BITMAP = "bitmap"
    UNUSED = "unused"
    #: more than one LH_PAGE_TYPE bit: no single page type (pageinspect: "invalid hash page
    #: type")
    INVALID = "invalid"


_TYPES = {
    C.LH_UNUSED_PAGE: HashPageType.UNUSED,
    C.LH_OVERFLOW_PAGE: HashPageType.OVERFLOW,
    C.LH_BUCKET_PAGE: HashPageType.BUCKET,
    C.LH_BITMAP_PAGE: HashPageType.BITMAP,
    C.LH_META_PAGE: HashPageType.METAPAGE,
}


def page_type_of(hasho_flag: int) -> HashPageType:
    return _TYPES.get(hasho_flag & C.LH_PAGE_TYPE, HashPageType.INVALID)


def lh_flag_names(flags: int) -> tuple[str, ...]:
    return tuple(name for bit, name in C.LH_FLAG_NAMES if flags & bit)


# ----------------------------------------------------------------------------------------------
# special space


@dataclass(frozen=True, slots=True)
class HashPageOpaque:
    """HashPageOpaqueData: chain links, bucket number, flags and the page id."""

    offset: int  #: page offset of the special space
    hasho_prevblkno: int
    hasho_nextblkno: int
    hasho_bucket: int
    hasho_flag: int
    hasho_page_id: int

    @property
    def page_type(self) -> HashPageType:
        return page_type_of(self.hasho_flag)

    @property
    def flag_names(self) -> tuple[str, ...]:
        return lh_flag_names(self.hasho_flag)

    def has(self, bit: int) -> bool:
        return bool(self.hasho_flag & bit)

    @property
    def has_dead_tuples(self) -> bool:
        """H_HAS_DEAD_TUPLES: LH_PAGE_HAS_DEAD_TUPLES."""
        return self.has(C.LH_PAGE_HAS_DEAD_TUPLES)

    @property
    def being_split(self) -> bool:
        return self.has(C.LH_BUCKET_BEING_SPLIT)

    @property
    def being_populated(self) -> bool:
        return self.has(C.LH_BUCKET_BEING_POPULATED)

    @property
    def needs_split_cleanup(self) -> bool:
        return self.has(C.LH_BUCKET_NEEDS_SPLIT_CLEANUP)

    @property
    def span(self) -> Span:
        return Span(self.offset, self.offset + C.SizeOfHashPageOpaqueData)

    def fields(self) -> tuple[Field, ...]:
        return tuple(
            Field(
                name,
                getattr(self, name),
                Span(off, off + size).shifted(self.offset),
                HASH_OPAQUE_DOCS[name],
            )
            for name, (off, size) in HASH_OPAQUE_OFFSETS.items()
        )


# ----------------------------------------------------------------------------------------------
# the metapage


@dataclass(frozen=True, slots=True)
class HashMeta:
    """HashMetaPageData of block 0, with the bucket and overflow arithmetic it drives."""

    hashm_magic: int
    hashm_version: int
    hashm_ntuples: float
    hashm_ffactor: int
    hashm_bsize: int
    hashm_bmsize: int
    hashm_bmshift: int
    hashm_maxbucket: int
    hashm_highmask: int
    hashm_lowmask: int
    hashm_ovflpoint: int
    hashm_firstfree: int
    hashm_nmaps: int
    hashm_procid: int
    hashm_spares: tuple[int, ...]
    hashm_mapp: tuple[int, ...]
    span: Span  #: where the struct lies (offset 24, sizeof(HashMetaPageData) bytes)
    block_size: int = C.BLCKSZ

    # -- the arithmetic -------------------------------------------------------------------

    def bucket_of(self, hashkey: int) -> int:
        """_hash_hashkey2bucket under this metapage's masks."""
        return B.hashkey_to_bucket(
            hashkey, self.hashm_maxbucket, self.hashm_highmask, self.hashm_lowmask
        )

    def bucket_blkno(self, bucket: int) -> int | None:
        """BUCKET_TO_BLKNO: the block of the bucket's primary page."""
        return B.bucket_to_blkno(bucket, self.hashm_spares)

    def ovflblkno_to_bitno(self, blkno: int) -> int | None:
        """_hash_ovflblkno_to_bitno; None for blocks that are not overflow pages."""
        return B.ovflblkno_to_bitno(blkno, self.hashm_ovflpoint, self.hashm_spares)

    def bitno_to_blkno(self, bitno: int) -> int:
        return B.bitno_to_blkno(bitno, self.hashm_ovflpoint, self.hashm_spares)

    @property
    def bitmap_bits(self) -> int:
        """BMPGSZ_BIT: overflow pages one bitmap page covers."""
        return self.hashm_bmsize << C.BYTE_TO_BIT

    @property
    def bitmap_blocks(self) -> tuple[int, ...]:
        """hashm_mapp[0 .. hashm_nmaps - 1]: the bitmap pages in use."""
        return self.hashm_mapp[: min(self.hashm_nmaps, len(self.hashm_mapp))]

    @property
    def overflow_pages(self) -> int:
        """hashm_spares[hashm_ovflpoint]: overflow and bitmap pages allocated so far (bits
        0 .. this - 1 of the bitmaps are meaningful)."""
        if self.hashm_ovflpoint < len(self.hashm_spares):
            return self.hashm_spares[self.hashm_ovflpoint]
        return 0

    # -- fields ---------------------------------------------------------------------------

    def fields(self) -> tuple[Field, ...]:
        """Every field with its bytes; the arrays element by element, except that a run of
        zero elements past the ones in use is one field (``hashm_mapp[5..1023]``)."""
        out: list[Field] = []
        offsets = hash_meta_offsets(self.block_size)
        start = self.span.start
        for name, (off, size) in offsets.items():
            at = start + off
            if name == "hashm_spares":
                out.extend(self._array(name, self.hashm_spares, at, self.hashm_ovflpoint + 1))
            elif name == "hashm_mapp":
                out.extend(self._array(name, self.hashm_mapp, at, self.hashm_nmaps))
            else:
                value = getattr(self, name)
                if isinstance(value, float):
                    # a count kept as a double, whole in practice; a damaged one (NaN, an
                    # infinity) is shown as the double's 64 bits
                    value = (
                        int(value)
                        if math.isfinite(value)
                        else int.from_bytes(struct.pack("<d", value), "little")
                    )
                out.append(Field(name, value, Span(at, at + size), HASH_META_DOCS[name]))
        return tuple(out)

    @staticmethod
    def _array(name: str, values: tuple[int, ...], at: int, used: int) -> list[Field]:
        doc = HASH_META_DOCS[name]
        width = HASH_META_ELEMENT_SIZE
        last = max((i for i, v in enumerate(values) if v), default=-1)
        shown = min(max(used, last + 1, 0), len(values))
        out = [
            Field(f"{name}[{i}]", v, Span(at + i * width, at + (i + 1) * width), doc)
            for i, v in enumerate(values[:shown])
        ]
        if shown < len(values):
            out.append(
                Field(
                    f"{name}[{shown}..{len(values) - 1}]",
                    0,
                    Span(at + shown * width, at + len(values) * width),
                    doc + " (not in use: all zero)",
                )
            )
        return out


# ----------------------------------------------------------------------------------------------
# the bitmap


@dataclass(frozen=True, slots=True)
class HashBitmap:
    """The bitmap of a bitmap page: bit N is 1 when overflow page number N (of the range this
    page covers) is in use, 0 when it is free."""

    words: tuple[int, ...]
    span: Span

    @property
    def nbits(self) -> int:
        return len(self.words) * C.BITS_PER_MAP

    def isset(self, bit: int) -> bool:
        """ISSET(freep, bit)."""
        return B.isset(self.words, bit)

    @property
    def set_bits(self) -> int:
        return sum(w.bit_count() for w in self.words)

    def clear_bits(self, limit: int | None = None) -> tuple[int, ...]:
        """Bit numbers that are 0 (free overflow pages), below ``limit`` when given."""
        stop = self.nbits if limit is None else min(limit, self.nbits)
        out: list[int] = []
        for index, word in enumerate(self.words):
            base = index * C.BITS_PER_MAP
            if base >= stop:
                break
            if word != B.UINT32:
                out.extend(
                    base + bit
                    for bit in range(C.BITS_PER_MAP)
                    if not word >> bit & 1 and base + bit < stop
                )
        return tuple(out)

    def first_clear(self) -> int | None:
        """The lowest free bit (what hashm_firstfree tracks for the first bitmap page)."""
        for index, word in enumerate(self.words):
            if word != B.UINT32:
                inverted = ~word & B.UINT32
                return index * C.BITS_PER_MAP + (inverted & -inverted).bit_length() - 1
        return None


@dataclass(frozen=True, slots=True)
class HashBitmapInfo:
    """``hash_bitmap_info(index, blkno)`` of an overflow page: the bitmap page and bit that
    say whether it is in use (``bitstatus`` None when that bitmap page is not known)."""

    bitmapblkno: int
    bitmapbit: int
    bitstatus: bool | None


# ----------------------------------------------------------------------------------------------
# index tuples


@dataclass(frozen=True, slots=True)
class HashIndexTuple:
    """IndexTupleData (itup.h) and the hash code it stores, at page offset ``offset``."""

    offset: int
    t_tid: ItemPointer
    t_info: int
    #: the uint32 at IndexInfoFindDataOffset(t_info): _hash_get_indextuple_hashkey; None when
    #: the tuple is too short to hold it
    hashkey: int | None

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
    def moved_by_split(self) -> bool:
        """INDEX_MOVED_BY_SPLIT_MASK: copied into this bucket by a split of its old bucket."""
        return bool(self.t_info & C.INDEX_MOVED_BY_SPLIT_MASK)

    @property
    def data_offset(self) -> int:
        """IndexInfoFindDataOffset: 8, or 16 after a null bitmap."""
        if self.has_nulls:
            return C.maxalign(C.SizeOfIndexTupleData + C.SizeOfIndexAttributeBitMapData)
        return C.SizeOfIndexTupleData

    @property
    def info_names(self) -> tuple[str, ...]:
        names = []
        if self.has_nulls:
            names.append("INDEX_NULL_MASK")
        if self.has_varwidths:
            names.append("INDEX_VAR_MASK")
        if self.moved_by_split:
            names.append("INDEX_MOVED_BY_SPLIT_MASK")
        return tuple(names)

    def fields(self) -> tuple[Field, ...]:
        out = []
        for name, (off, size) in HASH_TUPLE_OFFSETS.items():
            at = self.offset + off
            if name == "hashkey":
                if self.hashkey is None:
                    continue
                at = self.offset + self.data_offset
                value = self.hashkey
            elif name == "t_tid":
                value = (self.t_tid.block << 16) | self.t_tid.offset
            else:
                value = getattr(self, name)
            out.append(Field(name, value, Span(at, at + size), HASH_TUPLE_DOCS[name]))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class HashItem:
    """One line pointer of a bucket or overflow page and its tuple."""

    lp: ItemId
    tuple: HashIndexTuple | None = None
    #: the bucket the hash code maps to under the index's metapage, when it is known
    bucket: int | None = None

    @property
    def offnum(self) -> int:
        return self.lp.lp

    @property
    def dead(self) -> bool:
        """ItemIdIsDead: LP_DEAD, set by _hash_kill_items when a scan found the heap tuple
        dead to everyone."""
        return self.lp.lp_flags == C.LP_DEAD

    @property
    def hashkey(self) -> int | None:
        return self.tuple.hashkey if self.tuple is not None else None

    @property
    def heap_tid(self) -> ItemPointer | None:
        return self.tuple.t_tid if self.tuple is not None else None


# ----------------------------------------------------------------------------------------------
# page models


@dataclass(frozen=True, slots=True)
class HashMetaPage(Page):
    """Block 0: HashMetaPageData."""

    meta: HashMeta | None = None
    opaque: HashPageOpaque | None = None

    @property
    def page_type(self) -> HashPageType:
        return self.opaque.page_type if self.opaque is not None else HashPageType.INVALID


@dataclass(frozen=True, slots=True)
class HashBitmapPage(Page):
    """A bitmap page: which overflow pages are in use."""

    bitmap: HashBitmap | None = None
    opaque: HashPageOpaque | None = None
    #: which bitmap page this is (its index in hashm_mapp), when the metapage is known
    bitmap_index: int | None = None
    index_meta: HashMeta | None = field(default=None, repr=False)

    @property
    def page_type(self) -> HashPageType:
        return self.opaque.page_type if self.opaque is not None else HashPageType.INVALID

    @property
    def first_bit(self) -> int | None:
        """The overflow page number of this page's bit 0, when the metapage is known."""
        if self.bitmap_index is None or self.index_meta is None:
            return None
        return self.bitmap_index * self.index_meta.bitmap_bits

    def bits_in_use(self) -> int | None:
        """How many of this page's bits stand for overflow pages allocated so far (the rest
        are set when the page is initialised and mean nothing), when the metapage is known."""
        first = self.first_bit
        if first is None or self.index_meta is None or self.bitmap is None:
            return None
        return max(0, min(self.index_meta.overflow_pages - first, self.bitmap.nbits))


@dataclass(frozen=True, slots=True)
class HashPage(Page):
    """A bucket page, an overflow page or an unused page: line pointers to index tuples."""

    opaque: HashPageOpaque | None = None
    items: tuple[HashItem, ...] = ()
    #: the index's metapage, when the caller knew it (HashDecodeOptions)
    index_meta: HashMeta | None = field(default=None, repr=False)
    #: hash_bitmap_info() of an overflow (or unused) page in an overflow range, when the
    #: metapage is known
    bitmap_info: HashBitmapInfo | None = None

    @property
    def page_type(self) -> HashPageType:
        return self.opaque.page_type if self.opaque is not None else HashPageType.INVALID

    def hash_item(self, offnum: int) -> HashItem:
        """The item at offset number ``offnum`` (1-based)."""
        if not 1 <= offnum <= len(self.items):
            raise IndexError(f"item {offnum} is not on this page (1..{len(self.items)})")
        return self.items[offnum - 1]

    def hash_items(self) -> tuple[HashItem, ...]:
        return self.items

    @property
    def live_items(self) -> int:
        return sum(1 for item in self.items if not item.dead)

    @property
    def dead_items(self) -> int:
        return sum(1 for item in self.items if item.dead)
