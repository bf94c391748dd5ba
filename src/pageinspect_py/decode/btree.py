"""B-tree pages: the metapage, the special space, and what every item on a page is.

Every item of a btree page is classified (:class:`BtItemKind`): the high key (item 1 of a
non-rightmost page), the "minus infinity" downlink (first data item of an internal page, every
key truncated), pivot tuples with their downlink, the number of key attributes kept by suffix
truncation and, when kept, the heap TID; plain leaf tuples; posting list tuples (13+) with all
their TIDs. ``LP_DEAD`` is kept per item (``dead``). The regions of each item tile it: header
(``IndexTupleData``), null bitmap, key data, posting list or pivot heap TID, padding.

What pageinspect shows is computed here too, with PostgreSQL 14+ semantics on any page:
:meth:`BtreePage.stats` is ``bt_page_stats()``, :meth:`BtreePage.pageinspect_items` is
``bt_page_items()`` (``dead``/``htid``/``tids`` as in 13+, ``data`` without the posting list or
pivot heap TID), :meth:`BtreeMetaPage.pageinspect_meta` is ``bt_metap()``.

Sources: ``access/nbtree.h`` (BTreeTupleIsPivot, BTreeTupleIsPosting, BTreeTupleGetHeapTID,
BTreeTupleGetNAtts, P_FIRSTDATAKEY ...), ``access/itup.h`` (IndexInfoFindDataOffset),
``contrib/pageinspect/btreefuncs.c`` (GetBTPageStatistics, bt_page_print_tuples, bt_metap).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import Any

from pageinspect_py import constants as C
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.btree_keys import (
    AttributeSplitter,
    KeyValue,
    ValueDecoder,
    builtin_value,
    decode_keys,
    split_attributes,
)
from pageinspect_py.decode.common import Field, Region, RegionKind, Span
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import (
    DiagnosticLog,
    ItemId,
    Page,
    PageHeader,
    PageKind,
    check_header,
    check_line_pointer,
    compute_checksum,
    parse_header,
    tile,
)
from pageinspect_py.errors import CorruptPageError
from pageinspect_py.layouts._util import struct_format
from pageinspect_py.layouts.btree import (
    BT_DELETED_DOCS,
    BT_DELETED_OFFSETS,
    BT_OPAQUE_DOCS,
    BT_OPAQUE_OFFSETS,
    INDEX_TUPLE_DOCS,
    INDEX_TUPLE_OFFSETS,
    BTDeletedPageData,
    BTPageOpaqueData,
    IndexTupleData,
    bt_meta_page_data,
    meta_flavour,
)
from pageinspect_py.layouts.heap import ItemPointerData
from pageinspect_py.layouts.page import LP_FLAGS_SHIFT, LP_LEN_SHIFT, LP_OFF_MASK
from pageinspect_py.page.raw import RawPage

# unpackers of fixed-size structures, derived from the layouts (struct_format): the per-item
# path must be fast, a btree page holds hundreds of items (DESIGN "Speed")
_INDEX_TUPLE = struct.Struct(struct_format(IndexTupleData))  # bi_hi, bi_lo, posid, t_info
_OPAQUE = BTPageOpaqueData.compile()
_DELETED = BTDeletedPageData.compile()
#: ItemPointerData as a struct format, from the layout's own field sizes: bi_hi, bi_lo, posid
_TID_SIZE = ItemPointerData.sizeof()
_TID = struct.Struct(struct_format(ItemPointerData))  # bi_hi, bi_lo, posid
_INDEX_TUPLE_SIZE = IndexTupleData.sizeof()
_OPAQUE_SIZE = BTPageOpaqueData.sizeof()
_LP_FLAGS_MASK = 0x3
_LP_LEN_MASK = 0x7FFF
#: MAXALIGN(sizeof(IndexTupleData) + sizeof(IndexAttributeBitMapData))
_DATA_OFFSET_NULLS = C.maxalign(_INDEX_TUPLE_SIZE + C.SizeOfIndexAttributeBitMapData)
_DATA_OFFSET = C.maxalign(_INDEX_TUPLE_SIZE)


def _flag_names(flags: int) -> tuple[str, ...]:
    return tuple(name for bit, name in C.BTP_FLAG_NAMES if flags & bit)


_KNOWN_BTP_FLAGS = 0
for _bit, _name in C.BTP_FLAG_NAMES:
    _KNOWN_BTP_FLAGS |= _bit


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


def parse_opaque(data: bytes, offset: int) -> BTPageOpaque:
    raw = _OPAQUE.parse(data[offset : offset + _OPAQUE_SIZE])
    return BTPageOpaque(
        offset, raw.btpo_prev, raw.btpo_next, raw.btpo_level, raw.btpo_flags, raw.btpo_cycleid
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
class BtMetap:
    """``bt_metap()`` as pageinspect 1.9+ (PostgreSQL 14+) returns it."""

    magic: int
    version: int
    root: int
    level: int
    fastroot: int
    fastlevel: int
    last_cleanup_num_delpages: int
    last_cleanup_num_tuples: float
    allequalimage: bool


@dataclass(frozen=True, slots=True)
class BtreeMetaPage(Page):
    meta: BtreeMeta | None = None
    opaque: BTPageOpaque | None = None

    def pageinspect_meta(self) -> BtMetap | None:
        """bt_metap(): extended fields only from version 3 on, else 0 / -1 / false."""
        m = self.meta
        if m is None:
            return None
        extended = m.btm_version >= C.BTREE_NOVAC_VERSION
        return BtMetap(
            magic=m.btm_magic,
            version=m.btm_version,
            root=m.btm_root,
            level=m.btm_level,
            fastroot=m.btm_fastroot,
            fastlevel=m.btm_fastlevel,
            last_cleanup_num_delpages=(m.btm_last_cleanup_num_delpages or 0) if extended else 0,
            last_cleanup_num_tuples=(
                m.btm_last_cleanup_num_heap_tuples
                if extended and m.btm_last_cleanup_num_heap_tuples is not None
                else -1.0
            ),
            allequalimage=bool(m.btm_allequalimage) if extended else False,
        )


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
        return _DATA_OFFSET_NULLS if self.has_nulls else _DATA_OFFSET

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
class BtPageStats:
    """``bt_page_stats()`` as pageinspect 1.9+ (PostgreSQL 14+) computes it."""

    blkno: int
    type: str
    live_items: int
    dead_items: int
    avg_item_size: int
    page_size: int
    free_size: int
    btpo_prev: int
    btpo_next: int
    btpo_level: int
    btpo_flags: int


@dataclass(frozen=True, slots=True)
class BtPageItem:
    """One row of ``bt_page_items()`` (13+ columns)."""

    itemoffset: int
    ctid: str
    itemlen: int
    nulls: bool
    vars: bool
    data: str
    dead: bool | None
    htid: str | None
    tids: tuple[str, ...] | None


def hex_spaced(data: bytes) -> str:
    """pageinspect's ``data`` text: ``"01 00 00 00"``."""
    return data.hex(" ")


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
        """GetBTPageStatistics (14+): deleted pages count no items."""
        o = self.opaque or BTPageOpaque(0, 0, 0, 0, 0, 0)
        live = dead = item_size = 0
        if not o.is_deleted:
            for item in self.items:
                item_size += self._tuple_size(item)
                if item.dead:
                    dead += 1
                else:
                    live += 1
        count = live + dead
        space = self.header.pd_upper - self.header.pd_lower
        return BtPageStats(
            blkno=self.blkno,
            type=self.page_type,
            live_items=live,
            dead_items=dead,
            avg_item_size=item_size // count if count else 0,
            page_size=self.header.pagesize,
            free_size=space - C.SizeOfItemIdData if space >= C.SizeOfItemIdData else 0,
            btpo_prev=o.btpo_prev,
            btpo_next=o.btpo_next,
            btpo_level=o.btpo_level,
            btpo_flags=o.btpo_flags,
        )

    def _tuple_size(self, item: BtreeItem) -> int:
        """IndexTupleSize of PageGetItem(): t_info of whatever the pointer points at."""
        if item.header is not None:
            return item.header.size
        off = item.lp.lp_off
        if off + _INDEX_TUPLE_SIZE <= len(self.data):
            return int.from_bytes(self.data[off + 6 : off + 8], "little") & C.INDEX_SIZE_MASK
        return 0

    def pageinspect_items(self) -> tuple[BtPageItem, ...]:
        """bt_page_items() (14+): none on a deleted page; items without a decodable tuple
        are left out (pageinspect would read whatever bytes the pointer names)."""
        if self.opaque is None or self.opaque.is_deleted:
            return ()
        return tuple(
            row for row in (self.pageinspect_item(i) for i in self.items) if row is not None
        )

    def pageinspect_item(self, item: BtreeItem) -> BtPageItem | None:
        """bt_page_print_tuples for one item."""
        h = item.header
        if h is None or self.opaque is None:
            return None
        leaf = self.opaque.is_leaf
        ispivot = not leaf or (not self.opaque.is_rightmost and item.offnum == C.P_HIKEY)
        htid = item.heap_tid
        if ispivot and not h.is_pivot:
            htid = None
        return BtPageItem(
            itemoffset=item.offnum,
            ctid=str(h.t_tid),
            itemlen=h.size,
            nulls=h.has_nulls,
            vars=h.has_varwidths,
            data=hex_spaced(self.key_bytes(item)),
            dead=None if ispivot else item.dead,
            htid=str(htid) if htid is not None else None,
            tids=tuple(str(t) for t in item.posting) if h.is_posting else None,
        )


# ----------------------------------------------------------------------------------------------
# decoding


@dataclass(frozen=True, slots=True)
class BtreeDecodeOptions:
    """What a caller may know beyond the bytes."""

    index: IndexDescription | None = None
    major: int | None = None  #: server major, for the metapage's layout
    splitter: AttributeSplitter = split_attributes
    values: ValueDecoder = builtin_value


def btree_contents(
    data: bytes,
    header: PageHeader,
    kind: PageKind,
    log: DiagnosticLog,
    options: BtreeDecodeOptions | None = None,
) -> tuple[type[Page], tuple[ItemId, ...], list[Region], dict[str, Any]]:
    """Decode a btree page after its header: the model class, line pointers, region claims
    and the model's own fields. Never raises on bad bytes."""
    options = options or BtreeDecodeOptions()
    check_header(header, len(data), log)
    if kind is PageKind.BTREE_META:
        return _meta_contents(data, header, log, options)
    return _page_contents(data, header, log, options)


def decode_btree_page(
    page: RawPage | bytes,
    blkno: int = 0,
    *,
    fork: str = "main",
    origin: str = "<bytes>",
    checksum_verifiable: bool = True,
    options: BtreeDecodeOptions | None = None,
    strict: bool = False,
) -> Page:
    """Decode a page known to belong to a btree index (a relation-wide caller knows).

    Pages that do not look like btree pages are still decoded as one (block 0 as the
    metapage), with diagnostics; all-zero pages become plain new pages.
    """
    from pageinspect_py.decode.dispatch import decode_page, detect_kind

    if isinstance(page, RawPage):
        data, blkno, fork, origin = page.data, page.blkno, page.fork, page.origin
        checksum_verifiable = page.checksum_verifiable
    else:
        data = bytes(page)
    header = parse_header(data)
    kind = detect_kind(data, header, fork)
    if kind is PageKind.NEW or fork != "main":
        return decode_page(
            data,
            blkno,
            fork=fork,
            origin=origin,
            checksum_verifiable=checksum_verifiable,
            strict=strict,
        )
    log = DiagnosticLog()
    if kind not in (PageKind.BTREE, PageKind.BTREE_META):
        claimed = PageKind.BTREE_META if blkno == C.BTREE_METAPAGE else PageKind.BTREE
        log.error(
            "not-btree",
            f"block {blkno} of a btree index does not look like a btree "
            f"page ({kind}); decoded as a {claimed} page",
        )
        kind = claimed
    checksum = compute_checksum(data, header, blkno, checksum_verifiable, False, log)
    cls, lps, claims, extra = btree_contents(data, header, kind, log, options)
    regions = tile(claims, len(data), log)
    result = cls(
        blkno=blkno,
        fork=fork,
        origin=origin,
        kind=kind,
        header=header,
        line_pointers=lps,
        regions=regions,
        diagnostics=tuple(log.items),
        checksum=checksum,
        data=data,
        **extra,
    )
    if strict and result.has_errors:
        first = next(d for d in result.diagnostics if d.severity == "error")
        raise CorruptPageError(f"{origin} block {blkno}: {first.describe()}")
    return result


def _special(
    data: bytes, header: PageHeader, log: DiagnosticLog
) -> tuple[BTPageOpaque | None, Region | None]:
    """The opaque data: at pd_special when the special space is 16 bytes; otherwise read
    from the page's last 16 bytes, with an error."""
    size = len(data)
    if size < C.SizeOfPageHeaderData + _OPAQUE_SIZE:
        log.error("bt-special-size", f"a {size}-byte page has no room for BTPageOpaqueData")
        return None, None
    special = size - header.pd_special
    offset = size - _OPAQUE_SIZE
    if special != _OPAQUE_SIZE:
        log.error(
            "bt-special-size",
            f"special space is {special} bytes (pd_special {header.pd_special}), "
            f"BTPageOpaqueData needs {_OPAQUE_SIZE}; read from the page's last "
            f"{_OPAQUE_SIZE} bytes",
            Span(offset, size),
        )
    opaque = parse_opaque(data, offset)
    if opaque.btpo_flags & ~_KNOWN_BTP_FLAGS:
        log.warning(
            "btpo-flags",
            f"unknown btpo_flags bits 0x{opaque.btpo_flags:04x}",
            Span(offset + 12, offset + 14),
        )
    if opaque.btpo_cycleid > C.MAX_BT_CYCLE_ID:
        log.error(
            "btpo-cycleid",
            f"btpo_cycleid {opaque.btpo_cycleid} is above MAX_BT_CYCLE_ID {C.MAX_BT_CYCLE_ID}",
            Span(offset + 14, offset + 16),
        )
    region_start = header.pd_special if special == _OPAQUE_SIZE else offset
    return opaque, Region(RegionKind.SPECIAL, Span(region_start, size), label="BTPageOpaqueData")


def _meta_contents(
    data: bytes, header: PageHeader, log: DiagnosticLog, options: BtreeDecodeOptions
) -> tuple[type[Page], tuple[ItemId, ...], list[Region], dict[str, Any]]:
    size = len(data)
    opaque, special = _special(data, header, log)
    claims = [Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData))]
    if special is not None:
        claims.append(special)
    start = C.SizeOfPageHeaderData
    version = int.from_bytes(data[start + 4 : start + 8], "little") if size >= start + 8 else 0
    layout = bt_meta_page_data(version, **meta_flavour(options.major, header.pd_lower))
    end = start + layout.sizeof()
    meta: BtreeMeta | None = None
    if end > size - _OPAQUE_SIZE:
        log.error("bt-meta-size", "the page has no room for BTMetaPageData")
    else:
        raw = layout.parse(data[start:end])
        offsets = field_offsets_of(layout)
        docs = {sub.name: sub.docs or "" for sub in layout.subcons if sub.name}
        fields = tuple(
            Field(name, _number(raw[name]), Span(start + o, start + o + n), docs[name])
            for name, (o, n) in offsets.items()
        )
        delpages = raw.get("btm_last_cleanup_num_delpages", raw.get("btm_oldest_btpo_xact"))
        meta = BtreeMeta(
            btm_magic=raw.btm_magic,
            btm_version=raw.btm_version,
            btm_root=raw.btm_root,
            btm_level=raw.btm_level,
            btm_fastroot=raw.btm_fastroot,
            btm_fastlevel=raw.btm_fastlevel,
            btm_last_cleanup_num_delpages=delpages,
            btm_last_cleanup_num_heap_tuples=raw.get("btm_last_cleanup_num_heap_tuples"),
            btm_allequalimage=raw.get("btm_allequalimage"),
            span=Span(start, end),
            field_list=fields,
        )
        claims.append(Region(RegionKind.METADATA, Span(start, end), label="BTMetaPageData"))
        _check_meta(meta, opaque, header, log)
    lower = max(header.pd_lower, end)
    if lower < header.pd_upper <= size:
        claims.append(Region(RegionKind.FREE_SPACE, Span(lower, header.pd_upper)))
    return BtreeMetaPage, (), claims, {"meta": meta, "opaque": opaque}


def field_offsets_of(layout: Any) -> dict[str, tuple[int, int]]:
    from pageinspect_py.layouts._util import field_offsets

    return field_offsets(layout)


def _number(value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else 0
    return int(value)  # type: ignore[call-overload,no-any-return]


def _check_meta(
    meta: BtreeMeta, opaque: BTPageOpaque | None, header: PageHeader, log: DiagnosticLog
) -> None:
    at = meta.span.start
    if meta.btm_magic != C.BTREE_MAGIC:
        log.error(
            "btm-magic",
            f"btm_magic 0x{meta.btm_magic:06x} is not BTREE_MAGIC 0x{C.BTREE_MAGIC:06x}",
            Span(at, at + 4),
        )
    if not C.BTREE_MIN_VERSION <= meta.btm_version <= C.BTREE_VERSION:
        log.error(
            "btm-version",
            f"btm_version {meta.btm_version} is not between "
            f"{C.BTREE_MIN_VERSION} and {C.BTREE_VERSION}",
            Span(at + 4, at + 8),
        )
    if opaque is not None and not opaque.has(C.BTP_META):
        log.error(
            "btp-meta",
            "the metapage's btpo_flags lack BTP_META",
            Span(opaque.offset + 12, opaque.offset + 14),
        )
    if meta.btm_fastlevel > meta.btm_level:
        log.error(
            "btm-fastlevel",
            f"btm_fastlevel {meta.btm_fastlevel} is above btm_level {meta.btm_level}",
            meta.span,
        )


def _line_pointers(data: bytes, header: PageHeader, log: DiagnosticLog) -> tuple[ItemId, ...]:
    """The line pointer array (the same as decode.page.parse_line_pointers, through the
    ItemIdWord masks: BitStruct does not compile and a btree page has hundreds of items)."""
    lower = min(header.pd_lower, len(data))
    if lower <= C.SizeOfPageHeaderData:
        return ()
    rest = (lower - C.SizeOfPageHeaderData) % C.SizeOfItemIdData
    if rest:
        log.warning(
            "pd-lower-partial",
            f"pd_lower {header.pd_lower} leaves a partial line pointer",
            Span(lower - rest, lower),
        )
    count = (lower - C.SizeOfPageHeaderData) // C.SizeOfItemIdData
    words = struct.unpack_from(f"<{count}I", data, C.SizeOfPageHeaderData)
    out = []
    for index, word in enumerate(words):
        start = C.SizeOfPageHeaderData + index * C.SizeOfItemIdData
        out.append(
            ItemId(
                index + 1,
                word & LP_OFF_MASK,
                (word >> LP_FLAGS_SHIFT) & _LP_FLAGS_MASK,
                (word >> LP_LEN_SHIFT) & _LP_LEN_MASK,
                Span(start, start + C.SizeOfItemIdData),
            )
        )
    return tuple(out)


def _page_contents(
    data: bytes, header: PageHeader, log: DiagnosticLog, options: BtreeDecodeOptions
) -> tuple[type[Page], tuple[ItemId, ...], list[Region], dict[str, Any]]:
    size = len(data)
    opaque, special = _special(data, header, log)
    claims = [Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData))]
    if special is not None:
        claims.append(special)
    extra: dict[str, Any] = {"opaque": opaque, "index": options.index}
    if opaque is not None:
        _check_opaque(opaque, log)
    if opaque is not None and opaque.is_deleted and opaque.has_fullxid:
        return _deleted_contents(data, header, log, claims, extra)
    lps = _line_pointers(data, header, log)
    claims.extend(Region(RegionKind.LINE_POINTER, lp.span, lp.lp) for lp in lps)
    lower = C.SizeOfPageHeaderData + len(lps) * C.SizeOfItemIdData
    if lower <= header.pd_upper <= size:
        claims.append(Region(RegionKind.FREE_SPACE, Span(lower, header.pd_upper)))
    items = []
    for lp in lps:
        item, item_claims = _decode_item(data, lp, len(lps), opaque, log, options)
        items.append(item)
        claims.extend(item_claims)
    extra["items"] = tuple(items)
    _check_items(tuple(items), opaque, options.index, log)
    return BtreePage, lps, claims, extra


def _deleted_contents(
    data: bytes, header: PageHeader, log: DiagnosticLog, claims: list[Region], extra: dict[str, Any]
) -> tuple[type[Page], tuple[ItemId, ...], list[Region], dict[str, Any]]:
    """A 14+ deleted page: BTDeletedPageData instead of line pointers."""
    start = C.SizeOfPageHeaderData
    end = start + BTDeletedPageData.sizeof()
    raw = _DELETED.parse(data[start:end])
    extra["deleted"] = BtDeleted(raw.safexid, Span(start, end))
    claims.append(Region(RegionKind.METADATA, Span(start, end), label="BTDeletedPageData"))
    if header.pd_lower != end:
        log.warning(
            "bt-deleted-lower",
            f"a deleted page with BTP_HAS_FULLXID should have "
            f"pd_lower {end}, not {header.pd_lower}",
            Span(12, 14),
        )
    lower = max(header.pd_lower, end)
    if lower < header.pd_upper <= len(data):
        claims.append(Region(RegionKind.FREE_SPACE, Span(lower, header.pd_upper)))
    return BtreePage, (), claims, extra


def _check_opaque(opaque: BTPageOpaque, log: DiagnosticLog) -> None:
    span = Span(opaque.offset, opaque.offset + _OPAQUE_SIZE)
    if opaque.has(C.BTP_META):
        log.error("btp-meta", "BTP_META set on a page that is not the metapage", span)
    level = opaque.level
    if level is not None and not opaque.is_deleted:
        if opaque.is_leaf and level != 0:
            log.error("bt-leaf-level", f"leaf page (BTP_LEAF) at level {level}", span)
        if not opaque.is_leaf and level == 0:
            log.error("bt-internal-level", "internal page (no BTP_LEAF) at level 0", span)
    if opaque.btpo_prev == opaque.btpo_next != C.P_NONE:
        log.error("bt-sibling-self", f"btpo_prev and btpo_next are both {opaque.btpo_next}", span)


def _decode_item(
    data: bytes,
    lp: ItemId,
    nitems: int,
    opaque: BTPageOpaque | None,
    log: DiagnosticLog,
    options: BtreeDecodeOptions,
) -> tuple[BtreeItem, list[Region]]:
    size = len(data)
    name = f"lp {lp.lp}"
    if not check_line_pointer(lp, size, nitems, log):
        kind = BtItemKind.NO_STORAGE
        if lp.has_storage and lp.lp_flags != C.LP_REDIRECT:
            kind = BtItemKind.UNDECODABLE
        elif lp.lp_flags == C.LP_REDIRECT:
            log.error("bt-redirect", f"{name} is LP_REDIRECT, which btree never uses", lp.span)
            kind = BtItemKind.UNDECODABLE
        return BtreeItem(lp, kind), []
    start = lp.lp_off
    if lp.lp_len < _INDEX_TUPLE_SIZE:
        log.error(
            "bt-item-short",
            f"{name}: lp_len {lp.lp_len} is shorter than IndexTupleData ({_INDEX_TUPLE_SIZE})",
            lp.span,
        )
        return (
            BtreeItem(lp, BtItemKind.UNDECODABLE),
            [Region(RegionKind.ITEM, lp.item_span, lp.lp, "undecodable item")],
        )
    bi_hi, bi_lo, ip_posid, t_info = _INDEX_TUPLE.unpack_from(data, start)
    header = IndexTupleHeader(start, ItemPointer((bi_hi << 16) | bi_lo, ip_posid), t_info)
    tuple_span = lp.item_span
    length = lp.lp_len
    if header.size != lp.lp_len:
        log.error(
            "bt-itemlen",
            f"{name}: IndexTupleSize {header.size} differs from lp_len {lp.lp_len}",
            Span(start + 6, start + 8),
        )
        length = min(header.size, lp.lp_len)
        tuple_span = Span(start, start + max(length, _INDEX_TUPLE_SIZE))
    stop = start + max(length, _INDEX_TUPLE_SIZE)
    regions = [
        Region(
            RegionKind.TUPLE_HEADER, Span(start, start + _INDEX_TUPLE_SIZE), lp.lp, "IndexTupleData"
        )
    ]
    if stop < lp.item_span.stop:
        regions.append(
            Region(RegionKind.ITEM, Span(stop, lp.item_span.stop), lp.lp, "past IndexTupleSize")
        )
    kind = _classify(lp, header, opaque)
    data_at = start + header.data_offset
    cursor = start + _INDEX_TUPLE_SIZE
    t_bits = None
    if header.has_nulls:
        bitmap_end = cursor + C.SizeOfIndexAttributeBitMapData
        if data_at > stop:
            log.error(
                "bt-bitmap-short", f"{name}: the tuple is too short for its null bitmap", lp.span
            )
        else:
            bits = data[cursor:bitmap_end]
            t_bits = "".join("1" if byte >> bit & 1 else "0" for byte in bits for bit in range(8))
            regions.append(Region(RegionKind.NULL_BITMAP, Span(cursor, bitmap_end), lp.lp))
            regions.append(Region(RegionKind.HEADER_PADDING, Span(bitmap_end, data_at), lp.lp))
            cursor = data_at
    data_at = min(max(data_at, cursor), stop)
    key_end = stop
    posting: tuple[ItemPointer, ...] = ()
    posting_span = heap_tid_span = None
    heap_tid: ItemPointer | None = None
    natts: int | None = None
    if header.is_posting:
        posting, posting_span, key_end = _posting(data, lp, header, data_at, stop, log, regions)
        heap_tid = posting[0] if posting else None
    elif header.alt_tid:
        natts = header.t_tid.offset & C.BT_OFFSET_MASK
        if header.t_tid.offset & C.BT_PIVOT_HEAP_TID_ATTR:
            tid_at = stop - _TID_SIZE
            if tid_at - (C.maxalign(_TID_SIZE) - _TID_SIZE) < data_at:
                log.error(
                    "bt-pivot-tid",
                    f"{name}: the tuple is too short for the heap TID "
                    "BT_PIVOT_HEAP_TID_ATTR says it keeps",
                    lp.span,
                )
            else:
                heap_tid = _tid_at(data, tid_at)
                heap_tid_span = Span(tid_at, stop)
                key_end = stop - C.maxalign(_TID_SIZE)
                regions.append(Region(RegionKind.ALIGNMENT_PADDING, Span(key_end, tid_at), lp.lp))
                regions.append(Region(RegionKind.HEAP_TID, heap_tid_span, lp.lp))
    elif kind is BtItemKind.LEAF or (
        kind is BtItemKind.HIGH_KEY and opaque is not None and opaque.is_leaf
    ):
        heap_tid = header.t_tid  # BTreeTupleGetHeapTID of a plain tuple
    key_span = Span(data_at, max(data_at, key_end))
    keys = None
    if options.index is not None:
        keys = _typed_keys(data, key_span, header, t_bits, natts, kind, options, regions, lp)
    elif key_span.length:
        regions.append(Region(RegionKind.TUPLE_DATA, key_span, lp.lp, "key"))
    downlink = None
    top_parent = None
    if opaque is not None and kind in (BtItemKind.PIVOT, BtItemKind.MINUS_INFINITY):
        downlink = header.t_tid.block
    if kind is BtItemKind.HIGH_KEY and opaque is not None and opaque.is_leaf and opaque.ignore:
        top_parent = header.t_tid.block
    return BtreeItem(
        lp=lp,
        kind=kind,
        header=header,
        span=tuple_span,
        t_bits=t_bits,
        key_span=key_span,
        natts=natts,
        downlink=downlink,
        heap_tid=heap_tid,
        heap_tid_span=heap_tid_span,
        posting=posting,
        posting_span=posting_span,
        top_parent=top_parent,
        keys=keys,
    ), regions


def _classify(lp: ItemId, header: IndexTupleHeader, opaque: BTPageOpaque | None) -> BtItemKind:
    if opaque is None:
        return BtItemKind.POSTING if header.is_posting else BtItemKind.LEAF
    if lp.lp == C.P_HIKEY and not opaque.is_rightmost:
        return BtItemKind.HIGH_KEY
    if not opaque.is_leaf:
        return BtItemKind.MINUS_INFINITY if lp.lp == opaque.first_data_key else BtItemKind.PIVOT
    return BtItemKind.POSTING if header.is_posting else BtItemKind.LEAF


def _tid_at(data: bytes, offset: int) -> ItemPointer:
    hi, lo, posid = _TID.unpack_from(data, offset)
    return ItemPointer((hi << 16) | lo, posid)


def _posting(
    data: bytes,
    lp: ItemId,
    header: IndexTupleHeader,
    data_at: int,
    stop: int,
    log: DiagnosticLog,
    regions: list[Region],
) -> tuple[tuple[ItemPointer, ...], Span | None, int]:
    """BTreeTupleGetPosting / GetNPosting: the TID array at the offset t_tid's block names."""
    name = f"lp {lp.lp}"
    start = lp.lp_off
    offset = header.t_tid.block
    count = header.t_tid.offset & C.BT_OFFSET_MASK
    at = start + offset
    if not data_at <= at <= stop or offset != C.maxalign(offset):
        log.error(
            "bt-posting-offset",
            f"{name}: posting list offset {offset} is not a "
            f"MAXALIGNed offset between the key data ({data_at - start}) and the tuple "
            f"end ({stop - start})",
            Span(start, start + 4),
        )
        return (), None, stop
    fits = (stop - at) // _TID_SIZE
    if count > fits:
        log.error(
            "bt-posting-truncated",
            f"{name}: posting list of {count} TIDs at offset "
            f"{offset} needs {count * _TID_SIZE} bytes, the tuple has {stop - at} "
            f"({fits} TIDs)",
            Span(at, stop),
        )
        count = fits
    tids = tuple(
        ItemPointer((hi << 16) | lo, posid)
        for hi, lo, posid in _TID.iter_unpack(data[at : at + count * _TID_SIZE])
    )
    span = Span(at, at + count * _TID_SIZE)
    regions.append(Region(RegionKind.POSTING_LIST, span, lp.lp))
    if span.stop < stop:
        regions.append(Region(RegionKind.ALIGNMENT_PADDING, Span(span.stop, stop), lp.lp))
    return tids, span, at


def _typed_keys(
    data: bytes,
    key_span: Span,
    header: IndexTupleHeader,
    t_bits: str | None,
    natts: int | None,
    kind: BtItemKind,
    options: BtreeDecodeOptions,
    regions: list[Region],
    lp: ItemId,
) -> tuple[KeyValue, ...]:
    index = options.index
    assert index is not None
    columns = index.columns
    if natts is not None:  # a pivot stores only key attributes, maybe fewer
        columns = columns[: min(natts, index.nkeyatts)]
    elif kind is BtItemKind.POSTING:
        columns = index.key_columns()
    isnull = [t_bits is not None and t_bits[i] == "0" for i in range(len(columns))]
    keys = decode_keys(
        data,
        key_span.start,
        key_span.stop,
        columns,
        isnull,
        splitter=options.splitter,
        values=options.values,
    )
    cursor = key_span.start
    for key in keys:
        if key.span is None:
            continue
        if key.span.start > cursor:
            regions.append(
                Region(RegionKind.ALIGNMENT_PADDING, Span(cursor, key.span.start), lp.lp)
            )
        regions.append(Region(RegionKind.TUPLE_DATA, key.span, lp.lp, key.name))
        cursor = key.span.stop
    if any(k.problem for k in keys):
        if cursor < key_span.stop:
            regions.append(
                Region(RegionKind.TUPLE_DATA, Span(cursor, key_span.stop), lp.lp, "key (undecoded)")
            )
    elif cursor < key_span.stop:
        regions.append(Region(RegionKind.ALIGNMENT_PADDING, Span(cursor, key_span.stop), lp.lp))
    return keys


def _check_items(
    items: tuple[BtreeItem, ...],
    opaque: BTPageOpaque | None,
    index: IndexDescription | None,
    log: DiagnosticLog,
) -> None:
    """What one page can say about its items without the rest of the tree."""
    if opaque is None:
        return
    nkeyatts = index.nkeyatts if index is not None else None
    for item in items:
        h = item.header
        if h is None:
            continue
        name = f"lp {item.offnum}"
        span = item.lp.span
        if item.kind.is_pivot and item.dead:
            log.error("bt-dead-pivot", f"{name}: LP_DEAD set on a pivot tuple ({item.kind})", span)
        if item.kind is BtItemKind.LEAF and h.alt_tid:
            log.error(
                "bt-leaf-pivot",
                f"{name}: a pivot tuple among the data items of a leaf page",
                Span(h.offset, h.offset + _INDEX_TUPLE_SIZE),
            )
        if item.kind in (BtItemKind.PIVOT, BtItemKind.HIGH_KEY) and h.is_posting:
            log.error(
                "bt-pivot-posting",
                f"{name}: a posting list tuple as a {item.kind}",
                Span(h.offset, h.offset + _INDEX_TUPLE_SIZE),
            )
        if item.kind is BtItemKind.MINUS_INFINITY and h.alt_tid and item.natts:
            log.error(
                "bt-minus-infinity",
                f"{name}: the first data item of an internal page "
                f"keeps {item.natts} key attributes (expected 0)",
                Span(h.offset, h.offset + 6),
            )
        if (
            item.kind is BtItemKind.PIVOT
            and item.natts is not None
            and h.alt_tid
            and (item.natts == 0 or (nkeyatts is not None and item.natts > nkeyatts))
        ):
            log.error(
                "bt-pivot-natts",
                f"{name}: pivot keeps {item.natts} key attributes "
                f"(index has {nkeyatts if nkeyatts is not None else '?'})",
                Span(h.offset + 4, h.offset + 6),
            )
        if item.kind is BtItemKind.POSTING:
            _check_posting(item, name, log)
        elif (
            item.kind is BtItemKind.LEAF and item.heap_tid is not None and item.heap_tid.offset == 0
        ):
            log.error(
                "bt-heap-tid",
                f"{name}: heap TID {item.heap_tid} has offset 0",
                Span(h.offset, h.offset + 6),
            )


def _check_posting(item: BtreeItem, name: str, log: DiagnosticLog) -> None:
    span = item.posting_span
    if len(item.posting) < 2 and item.posting_span is not None:
        log.error(
            "bt-posting-short",
            f"{name}: posting list with {len(item.posting)} TID(s); "
            "deduplication forms lists of 2 or more",
            span,
        )
    previous = None
    for index, tid in enumerate(item.posting):
        key = (tid.block, tid.offset)
        if tid.offset == 0:
            log.error(
                "bt-posting-tid", f"{name}: posting list TID {index + 1} {tid} has offset 0", span
            )
        if previous is not None and key <= previous:
            what = "duplicate" if key == previous else "out-of-order"
            log.error(
                f"bt-posting-{'duplicate' if key == previous else 'order'}",
                f"{name}: posting list TID {index + 1} {tid} is a {what} entry after "
                f"({previous[0]},{previous[1]})",
                span,
            )
        previous = key
