"""The page kernel over many pages at once: numpy arrays of headers, line pointers, tuple
headers and checksums, with dtypes and offsets derived from the construct layouts.

Input is a 2-D ``uint8`` array, one row per page (``pages_array(chunk)``). Everything is a
pure function of those bytes. :func:`classify` is the bulk path's verdict: for each page its
kind and checksum status when the page is *regular* (every rule of :mod:`.header`,
:mod:`.items` and :mod:`.heaptuple` holds, so the per-page decoder would report nothing), or
``IRREGULAR`` when it must go to the per-page decoder. Regularity is conservative: a page the
kernel is unsure of is irregular; a test proves that every page it calls regular decodes with
no diagnostic, the same kind and the same checksum status.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from pageinspect_py import constants as C
from pageinspect_py.layouts.btree import (
    INDEX_DATA_OFFSET,
    INDEX_DATA_OFFSET_NULLS,
    KNOWN_BTP_FLAGS,
    BTPageOpaqueData,
    IndexTupleData,
)
from pageinspect_py.layouts.heap import (
    HEAP_TUPLE_HEADER_OFFSETS,
    HeapTupleHeaderData,
    ItemPointerData,
)
from pageinspect_py.layouts.page import (
    LP_FLAGS_MASK,
    LP_FLAGS_SHIFT,
    LP_LEN_MASK,
    LP_LEN_SHIFT,
    LP_OFF_MASK,
    PAGE_HEADER_OFFSETS,
    PageHeaderData,
)
from pageinspect_py.page.checksum import (
    CHECKSUM_BASE_OFFSETS,
    FNV_PRIME,
    N_SUMS,
    Verdict,
    verdict,
)
from pageinspect_py.page.heaptuple import MIN_HEAP_TUPLE_SIZE
from pageinspect_py.page.raw import Chunk

U8 = npt.NDArray[np.uint8]
U16 = npt.NDArray[np.uint16]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_NUMPY_OF_SIZE = {1: "u1", 2: "<u2", 4: "<u4", 8: "<u8"}


def layout_dtype(struct: Any) -> np.dtype[Any]:
    """A numpy structured dtype for a construct Struct of fixed-size little-endian integer
    fields (nested Structs become nested dtypes): the layout's offsets, never typed again."""
    names, formats, offsets = [], [], []
    position = 0
    for sub in struct.subcons:
        inner = sub
        while not hasattr(inner, "subcons") and hasattr(inner, "subcon"):
            inner = inner.subcon
        size = sub.sizeof()
        if sub.name is not None:
            names.append(sub.name)
            formats.append(
                layout_dtype(inner) if hasattr(inner, "subcons") else _NUMPY_OF_SIZE[size]
            )
            offsets.append(position)
        position += size
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": position})


HEADER_DTYPE: Final = layout_dtype(PageHeaderData)
_HEADER_SIZE: Final = HEADER_DTYPE.itemsize
_CHECKSUM_AT: Final = PAGE_HEADER_OFFSETS["pd_checksum"][0]
_T_INFOMASK2_AT: Final = HEAP_TUPLE_HEADER_OFFSETS["t_infomask2"][0]


def _leaf_offsets(struct: Any, at: int = 0) -> dict[str, tuple[int, int]]:
    """``{leaf field: (offset, size)}`` of a layout, nested structs flattened."""
    out: dict[str, tuple[int, int]] = {}
    for sub in struct.subcons:
        inner = sub
        while not hasattr(inner, "subcons") and hasattr(inner, "subcon"):
            inner = inner.subcon
        if hasattr(inner, "subcons"):
            out.update(_leaf_offsets(inner, at))
        elif sub.name is not None:
            out[sub.name] = (at, sub.sizeof())
        at += sub.sizeof()
    return out


#: every fixed field of HeapTupleHeaderData (t_ctid's bi_hi, bi_lo, ip_posid included)
HEAP_TUPLE_HEADER_FIELDS: Final = _leaf_offsets(HeapTupleHeaderData)
_T_INFOMASK_AT: Final = HEAP_TUPLE_HEADER_OFFSETS["t_infomask"][0]
_T_HOFF_AT: Final = HEAP_TUPLE_HEADER_OFFSETS["t_hoff"][0]
_MAXALIGN_MASK: Final = C.MAXIMUM_ALIGNOF - 1


class Kind(enum.IntEnum):
    """What :func:`classify` says of a page (names as ``decode.page.PageKind`` values)."""

    IRREGULAR = 0  #: hand it to the per-page decoder
    NEW = 1  #: all zeroes
    HEAP = 2  #: a heap page on which every rule holds
    BTREE = 3  #: a live btree page (not the metapage) on which every rule holds


Checksum = Verdict  #: checksum verdict codes (page/checksum.py)


def pages_array(chunk: Chunk) -> U8:
    """A chunk's bytes as ``(pages, block_size)`` uint8, without copying."""
    return np.frombuffer(chunk.data, dtype=np.uint8).reshape(chunk.count, chunk.block_size)


def headers(pages: U8) -> npt.NDArray[np.void]:
    """Every page's PageHeaderData as one structured array (fields named as in bufpage.h)."""
    head = np.ascontiguousarray(pages[:, :_HEADER_SIZE])
    return head.view(HEADER_DTYPE).reshape(len(pages))


# ----------------------------------------------------------------------------------------------
# checksums: pg_checksum_page, 32 lanes x N pages


_BASE: Final = np.array(CHECKSUM_BASE_OFFSETS, dtype=np.uint32)
_PRIME: Final = np.uint32(FNV_PRIME)


def checksums(pages: U8, blknos: I64) -> U16:
    """pg_checksum_page of every page with its absolute block number (pages whose size is a
    multiple of 128 bytes, as PostgreSQL's are)."""
    n, size = pages.shape
    # each step reads one 128-byte row of every page in place (a strided view, no copy);
    # only the row holding pd_checksum is copied, to take pd_checksum as zero
    words = pages.view("<u4").reshape(n, size // (4 * N_SUMS), N_SUMS)
    at_row, at_word = divmod(_CHECKSUM_AT // 4, N_SUMS)
    sums = np.broadcast_to(_BASE, (n, N_SUMS)).copy()
    tmp = np.empty_like(sums)
    for i in range(words.shape[1]):
        row = words[:, i, :]
        if i == at_row:
            row = row.copy()
            row[:, at_word] &= np.uint32(0xFFFF0000)
        np.bitwise_xor(sums, row, out=tmp)
        np.multiply(tmp, _PRIME, out=sums)
        tmp >>= 17
        sums ^= tmp
    for _ in range(2):  # two rounds of zeroes for additional mixing
        np.multiply(sums, _PRIME, out=tmp)
        sums >>= 17
        sums ^= tmp
    result = np.bitwise_xor.reduce(sums, axis=1)
    result ^= (blknos & 0xFFFFFFFF).astype(np.uint32)
    out: U16 = ((result % np.uint32(65535)) + 1).astype(np.uint16)
    return out


# ----------------------------------------------------------------------------------------------
# line pointers and heap tuple headers


class FlatItems:
    """Every line pointer of many pages as 1-D arrays (one entry per pointer, page by page)."""

    __slots__ = ("first", "index", "lp_flags", "lp_len", "lp_off", "row")

    def __init__(self, pages: U8, counts: I64) -> None:
        n, size = pages.shape
        self.row: I64 = np.repeat(np.arange(n, dtype=np.int64), counts)
        #: flat position of each page's first pointer
        self.first: I64 = np.cumsum(counts) - counts
        #: 0-based pointer number within its page (offset number - 1)
        self.index: I64 = np.arange(len(self.row), dtype=np.int64) - self.first[self.row]
        at = self.row * (size // C.SizeOfItemIdData) + (
            C.SizeOfPageHeaderData // C.SizeOfItemIdData
        )
        words = pages.view("<u4").reshape(-1)[at + self.index].astype(np.int64)
        self.lp_off: I64 = words & LP_OFF_MASK
        self.lp_flags: I64 = (words >> LP_FLAGS_SHIFT) & LP_FLAGS_MASK
        self.lp_len: I64 = (words >> LP_LEN_SHIFT) & LP_LEN_MASK


class TupleHeaders:
    """The fixed header fields of the tuples at ``(row, lp_off)`` (lp_off MAXALIGNed): three
    8-byte gathers, then each field by its layout offset within its word."""

    __slots__ = (
        "ctid_block",
        "ctid_offset",
        "natts",
        "t_hoff",
        "t_infomask",
        "t_infomask2",
        "t_xmax",
        "t_xmin",
    )

    def __init__(self, pages: U8, row: I64, lp_off: I64) -> None:
        size = pages.shape[1]
        base = (row * size + lp_off) // 8
        words = pages.view("<u8").reshape(-1)
        gathered = [words[base + k].astype(np.uint64) for k in range(3)]

        def field(name: str) -> I64:
            at, length = HEAP_TUPLE_HEADER_FIELDS[name]
            word = gathered[at // 8] >> np.uint64(8 * (at % 8))
            value: I64 = (word & np.uint64((1 << (8 * length)) - 1)).astype(np.int64)
            return value

        self.t_xmin = field("t_xmin")
        self.t_xmax = field("t_xmax")
        self.ctid_block = (field("bi_hi") << 16) | field("bi_lo")
        self.ctid_offset = field("ip_posid")
        self.t_infomask2 = field("t_infomask2")
        self.t_infomask = field("t_infomask")
        self.t_hoff = field("t_hoff")
        self.natts: I64 = self.t_infomask2 & C.HEAP_NATTS_MASK


@dataclass(frozen=True, slots=True)
class BtreeRows:
    """The pages :func:`classify_pages` tested as btree pages, and what it read of them:
    ``rows`` index the chunk; ``regular``, ``opaque`` and ``items`` are over those rows."""

    rows: I64
    lower: I64
    upper: I64
    regular: Bools
    opaque: BtreeOpaque
    items: BtreeItems


@dataclass(frozen=True, slots=True)
class Classified:
    kind: npt.NDArray[np.uint8]  #: :class:`Kind` per page
    status: npt.NDArray[np.uint8]  #: :class:`Checksum` per page
    btree: BtreeRows | None = None  #: the btree pages' arrays, when any page had a btree frame


def classify(
    pages: U8, blknos: I64, *, fork: str, verifiable: bool
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """``(kind, checksum)`` per page (see :func:`classify_pages`)."""
    found = classify_pages(pages, blknos, fork=fork, verifiable=verifiable)
    return found.kind, found.status


def classify_pages(pages: U8, blknos: I64, *, fork: str, verifiable: bool) -> Classified:
    """Kind and checksum per page, as :class:`Kind` and :class:`Checksum` codes, and the
    arrays of the pages read as btree pages (the bulk btree scan sums them).

    A page is ``HEAP`` only when ``decode_page`` would find it a heap page with no diagnostic:
    a sane header (PageHeaderIsValid, page size, layout version, no special space), a whole
    number of line pointers, every pointer valid (unused ones zero, redirects to a pointer on
    the page that is not itself a redirect, storage MAXALIGNed between pd_upper and
    pd_special), every stored item a tuple (``lp_len`` at least a header, ``t_hoff`` and the
    null bitmap consistent, natts within the limit), no two items overlapping, and a checksum
    that is not a mismatch. Only the main and init forks hold heap pages.
    """
    n, size = pages.shape
    kind = np.zeros(n, dtype=np.uint8)
    status = np.zeros(n, dtype=np.uint8)
    if n == 0:
        return Classified(kind, status)
    head = headers(pages)
    upper = head["pd_upper"].astype(np.int64)
    lower = head["pd_lower"].astype(np.int64)
    special = head["pd_special"].astype(np.int64)
    zero = upper == 0
    if zero.any():
        zero[zero] = ~pages[zero].any(axis=1)
    kind[zero] = Kind.NEW
    if size % 128 == 0:
        # a copy from shared buffers cannot be verified: its verdict needs no checksum
        stored = head["pd_checksum"]
        computed = checksums(pages, blknos) if verifiable else stored
        status[:] = verdict(stored, computed, verifiable)
        status[zero] = Checksum.NOT_APPLICABLE
    if fork not in ("main", "init"):
        return Classified(kind, status)
    flags = head["pd_flags"].astype(np.int64)
    version = head["pd_pagesize_version"].astype(np.int64)
    partial = (lower - C.SizeOfPageHeaderData) % C.SizeOfItemIdData
    sound = (
        ~zero
        & (upper != 0)
        & (flags & ~C.PD_VALID_FLAG_BITS == 0)
        & (lower >= C.SizeOfPageHeaderData)
        & (lower <= upper)
        & (upper <= special)
        & (version == (size | C.PG_PAGE_LAYOUT_VERSION))
        & (partial == 0)
        # a mismatch (or a size the checksum does not apply to) is reported per page
        & (status != Checksum.MISMATCH)
        & (status != Checksum.NOT_APPLICABLE)
    )
    heap = sound & (special == size)
    candidates = np.flatnonzero(heap)
    if len(candidates) == n:  # the usual case: no copy of the pages
        heap = _items_regular(pages, lower, upper, blknos)
    elif len(candidates):
        heap[candidates] = _items_regular(
            pages[candidates], lower[candidates], upper[candidates], blknos[candidates]
        )
    kind[heap] = Kind.HEAP
    btree = np.flatnonzero(sound & (special == size - _BT_OPAQUE_SIZE))
    if not len(btree):
        return Classified(kind, status)
    sub = pages if len(btree) == n else pages[btree]
    rows = BtreeRows(
        btree, lower[btree], upper[btree], *btree_pages(sub, lower[btree], upper[btree])
    )
    kind[btree[rows.regular]] = Kind.BTREE
    return Classified(kind, status, rows)


def _items_regular(pages: U8, lower: I64, upper: I64, blknos: I64) -> Bools:
    """For heap pages with a sound header: do all line pointers, tuple headers and HOT chains
    hold (page/items.py, page/heaptuple.py)?"""
    n, size = pages.shape
    counts = (lower - C.SizeOfPageHeaderData) // C.SizeOfItemIdData
    items = FlatItems(pages, counts)
    row, off, flags, length = items.row, items.lp_off, items.lp_flags, items.lp_len
    redirect = flags == C.LP_REDIRECT
    normal = flags == C.LP_NORMAL
    stored = (normal | (flags == C.LP_DEAD)) & (length != 0)
    bad = (flags == C.LP_UNUSED) & ((off != 0) | (length != 0))
    bad |= normal & (length == 0)
    # redirects: no length, a target on the page
    bad |= redirect & ((length != 0) | (off < 1) | (off > counts[row]))
    # storage: MAXALIGNed, inside [pd_upper, pd_special), long enough to be a tuple
    bad |= stored & (
        (off < upper[row])
        | (off + length > size)
        | (off & _MAXALIGN_MASK != 0)
        | (length < MIN_HEAP_TUPLE_SIZE)
    )
    ok: Bools = np.ones(n, dtype=bool)
    ok[row[bad]] = False
    # from here on, only pages whose every pointer is sound
    live = ok[row]
    tuples = np.flatnonzero(stored & live)
    t_row, t_off, t_len = row[tuples], off[tuples], length[tuples]
    head = TupleHeaders(pages, t_row, t_off)
    im, im2 = head.t_infomask, head.t_infomask2
    bitmap = np.where(im & C.HEAP_HASNULL != 0, (head.natts + 7) // 8, 0)
    expected = (C.SizeofHeapTupleHeader + bitmap + _MAXALIGN_MASK) & ~_MAXALIGN_MASK
    xmin_invalid = im & (C.HEAP_XMIN_COMMITTED | C.HEAP_XMIN_INVALID) == C.HEAP_XMIN_INVALID
    hot_updated = (im2 & C.HEAP_HOT_UPDATED != 0) & (im & C.HEAP_XMAX_INVALID == 0) & ~xmin_invalid
    multi = im & C.HEAP_XMAX_IS_MULTI != 0
    tuple_bad = (
        (head.t_hoff < C.SizeofHeapTupleHeader)
        | (head.t_hoff > t_len)
        | (head.t_hoff & _MAXALIGN_MASK != 0)
        | (C.SizeofHeapTupleHeader + bitmap > head.t_hoff)
        | ((im & C.HEAP_HASOID_OLD == 0) & (head.t_hoff != expected))
        | (head.natts > C.MaxHeapAttributeNumber)
        | ((im & C.HEAP_XMAX_COMMITTED != 0) & multi)
        | ((im & C.HEAP_XMAX_COMMITTED != 0) & (im & C.HEAP_XMAX_INVALID != 0))
        | (
            (head.t_xmin == C.InvalidTransactionId)
            & (im & (C.HEAP_XMIN_COMMITTED | C.HEAP_XMIN_INVALID) == C.HEAP_XMIN_COMMITTED)
        )
        | ((head.t_xmax == C.InvalidTransactionId) & ~multi & hot_updated)
        | ((im2 & C.HEAP_ONLY_TUPLE != 0) & (im & C.HEAP_UPDATED == 0))
    )
    ok[t_row[tuple_bad]] = False
    # no two items overlap: sorted by start within each page, each ends before the next
    order = np.argsort((t_row << 16) | t_off)
    page_of, begin = t_row[order], t_off[order]
    end = begin + t_len[order]
    overlap = (page_of[1:] == page_of[:-1]) & (begin[1:] < end[:-1])
    ok[page_of[1:][overlap]] = False
    _chains_regular(items, counts, blknos, stored & live, tuples, head, ok)
    return ok


def _chains_regular(
    items: FlatItems,
    counts: I64,
    blknos: I64,
    is_tuple: Bools,
    tuples: I64,
    head: TupleHeaders,
    ok: Bools,
) -> None:
    """page/heaptuple.chain_problems over every page at once: clear ``ok`` for a page with
    any HOT chain problem (redirect targets, intersecting chains, HOT flags that disagree
    along an update, a committed heap-only tuple nothing reaches)."""
    total = len(items.row)
    row, flags, off = items.row, items.lp_flags, items.lp_off
    live = ok[row]
    # header fields per pointer (zero where there is no tuple)
    xmin = np.zeros(total, dtype=np.int64)
    xmax = np.zeros(total, dtype=np.int64)
    im = np.zeros(total, dtype=np.int64)
    im2 = np.zeros(total, dtype=np.int64)
    xmin[tuples], xmax[tuples] = head.t_xmin, head.t_xmax
    im[tuples], im2[tuples] = head.t_infomask, head.t_infomask2
    number = items.index + 1
    # successors: a redirect's target; a tuple's t_ctid when it stays on the page
    redirect = (flags == C.LP_REDIRECT) & live
    target = np.zeros(total, dtype=np.int64)
    target[redirect] = off[redirect]
    ctid_ok = (
        (head.ctid_block == blknos[row[tuples]])
        & (head.ctid_offset != number[tuples])
        & (head.ctid_offset >= 1)
        & (head.ctid_offset <= counts[row[tuples]])
        & (flags[tuples] == C.LP_NORMAL)
    )
    target[tuples[ctid_ok]] = head.ctid_offset[ctid_ok]
    has = np.flatnonzero(target != 0)
    nxt = items.first[row[has]] + target[has] - 1
    next_flags = flags[nxt]
    from_redirect = flags[has] == C.LP_REDIRECT
    # a redirect's target must be a normal heap-only tuple
    bad_redirect = from_redirect & (
        (next_flags != C.LP_NORMAL) | (im2[nxt] & C.HEAP_ONLY_TUPLE == 0)
    )
    ok[row[has[bad_redirect]]] = False
    next_valid = (next_flags == C.LP_NORMAL) & is_tuple[nxt]
    pair = next_valid & ~from_redirect
    via_multi = pair & (im[has] & C.HEAP_XMAX_IS_MULTI != 0)
    update = pair & ~via_multi & (xmax[has] != 0) & (xmax[has] == xmin[nxt])
    counted = (from_redirect & next_valid) | update
    predecessors = np.bincount(nxt[counted], minlength=total)
    ok[row[np.flatnonzero(predecessors > 1)]] = False
    heap_only_next = im2[nxt] & C.HEAP_ONLY_TUPLE != 0
    hot = im2[has] & C.HEAP_HOT_UPDATED != 0
    ok[row[has[update & (hot != heap_only_next)]]] = False
    reached = np.zeros(total, dtype=bool)
    reached[nxt[counted | via_multi]] = True
    # the root rule follows an update whatever block its t_ctid names (page/heaptuple.py)
    loose = (
        (head.ctid_offset >= 1)
        & (head.ctid_offset <= counts[row[tuples]])
        & (flags[tuples] == C.LP_NORMAL)
    )
    src = tuples[loose]
    dst = items.first[row[src]] + head.ctid_offset[loose] - 1
    follows = (flags[dst] == C.LP_NORMAL) & (
        (im[src] & C.HEAP_XMAX_IS_MULTI != 0) | ((xmax[src] != 0) & (xmax[src] == xmin[dst]))
    )
    reached[dst[follows]] = True
    root = (
        is_tuple
        & (flags == C.LP_NORMAL)
        & ~reached
        & (im2 & C.HEAP_ONLY_TUPLE != 0)
        & (im & C.HEAP_XMIN_COMMITTED != 0)
    )
    ok[row[root]] = False


# ----------------------------------------------------------------------------------------------
# btree pages (decode/btree/decoder.py and checks.py, the rules of one page without options)

_BT_OPAQUE_SIZE: Final = BTPageOpaqueData.sizeof()
_BT_OPAQUE_FIELDS: Final = _leaf_offsets(BTPageOpaqueData)
_INDEX_TUPLE_FIELDS: Final = _leaf_offsets(IndexTupleData)
_INDEX_TUPLE_SIZE: Final = IndexTupleData.sizeof()
_TID_FIELDS: Final = _leaf_offsets(ItemPointerData)
_TID_SIZE: Final = ItemPointerData.sizeof()
_NOT_LIVE: Final = C.BTP_META | C.BTP_DELETED | C.BTP_HALF_DEAD


def _field_at(pages: U8, at: I64, field: tuple[int, int]) -> I64:
    """The little-endian unsigned field (offset, size) of the structs at flat byte offsets
    ``at``, read a byte at a time (index tuples' TIDs are 2-byte aligned at best)."""
    flat = pages.reshape(-1)
    offset, size = field
    value = np.zeros(len(at), dtype=np.int64)
    for k in range(size):
        value |= flat[at + offset + k].astype(np.int64) << (8 * k)
    return value


class BtreeOpaque:
    """BTPageOpaqueData of many pages (fields named as nbtree.h, by the layout's offsets)."""

    __slots__ = ("btpo_cycleid", "btpo_flags", "btpo_level", "btpo_next", "btpo_prev")

    def __init__(self, pages: U8) -> None:
        n, size = pages.shape
        base = np.arange(n, dtype=np.int64) * size + (size - _BT_OPAQUE_SIZE)
        for name, at in _BT_OPAQUE_FIELDS.items():
            setattr(self, name, _field_at(pages, base, at))
        self.btpo_prev: I64
        self.btpo_next: I64
        self.btpo_level: I64
        self.btpo_flags: I64
        self.btpo_cycleid: I64

    @property
    def leaf(self) -> Bools:
        out: Bools = self.btpo_flags & C.BTP_LEAF != 0
        return out

    @property
    def rightmost(self) -> Bools:
        out: Bools = self.btpo_next == C.P_NONE
        return out

    def live_and_sound(self) -> Bools:
        """The opaque data of a live page (not the metapage, deleted or half-dead) that the
        btree decoder has nothing to say about."""
        flags = self.btpo_flags
        out: Bools = (
            (flags & ~KNOWN_BTP_FLAGS == 0)
            & (flags & _NOT_LIVE == 0)
            & (self.btpo_cycleid <= C.MAX_BT_CYCLE_ID)
            & (self.leaf == (self.btpo_level == 0))
            & ~((self.btpo_prev == self.btpo_next) & ~self.rightmost)
        )
        return out


class BtreeItems:
    """Every line pointer and index tuple header of many btree pages as flat arrays, with
    each item's kind as ``decode/btree/decoder._classify`` gives it and where its parts lie:
    key data from ``data_at`` to ``key_end``, a posting list at ``posting_at`` (``natts``
    TIDs), a pivot's heap TID at ``key_end + 2``. ``bad`` marks the items a rule of the btree
    decoder would report (or that the kernel leaves to it)."""

    def __init__(self, pages: U8, lower: I64, upper: I64, opaque: BtreeOpaque, ok: Bools) -> None:
        size = pages.shape[1]
        special = size - _BT_OPAQUE_SIZE
        counts = np.where(ok, (lower - C.SizeOfPageHeaderData) // C.SizeOfItemIdData, 0)
        self.counts: I64 = counts
        items = FlatItems(pages, counts)
        self.row: I64 = items.row
        self.number: I64 = items.index + 1
        off, length = items.lp_off, items.lp_len
        self.off, self.length = off, length
        self.dead: Bools = items.lp_flags == C.LP_DEAD
        row = items.row
        bad = ~((items.lp_flags == C.LP_NORMAL) | self.dead)
        bad |= (length < _INDEX_TUPLE_SIZE) | (off < upper[row]) | (off + length > special)
        bad |= off & _MAXALIGN_MASK != 0
        # header fields only where a whole IndexTupleData lies inside the page
        at = row * size + np.where(bad, 0, off)
        self.at: I64 = at
        t_info = _field_at(pages, at, _INDEX_TUPLE_FIELDS["t_info"])
        posid = _field_at(pages, at, _INDEX_TUPLE_FIELDS["ip_posid"])
        block = (_field_at(pages, at, _INDEX_TUPLE_FIELDS["bi_hi"]) << 16) | _field_at(
            pages, at, _INDEX_TUPLE_FIELDS["bi_lo"]
        )
        self.t_info, self.posid, self.block = t_info, posid, block
        self.nulls: Bools = t_info & C.INDEX_NULL_MASK != 0
        data_off = np.where(self.nulls, INDEX_DATA_OFFSET_NULLS, INDEX_DATA_OFFSET)
        alt = t_info & C.INDEX_ALT_TID_MASK != 0
        posting = alt & (posid & C.BT_IS_POSTING != 0)
        natts = posid & C.BT_OFFSET_MASK
        self.alt, self.posting, self.natts = alt, posting, natts
        high_key = (self.number == C.P_HIKEY) & ~opaque.rightmost[row]
        internal = ~opaque.leaf[row]
        first_data = np.where(opaque.rightmost, C.P_HIKEY, C.P_FIRSTKEY)[row]
        self.high_key: Bools = high_key
        self.minus_infinity: Bools = internal & ~high_key & (self.number == first_data)
        self.pivot: Bools = internal & ~high_key & ~self.minus_infinity
        self.leaf_item: Bools = ~internal & ~high_key & ~posting
        self.pivot_tid: Bools = alt & ~posting & (posid & C.BT_PIVOT_HEAP_TID_ATTR != 0)
        stop = off + length
        self.data_at: I64 = off + data_off
        self.posting_at: I64 = off + block
        tid_room = C.maxalign(_TID_SIZE)
        self.key_end: I64 = np.where(
            posting, self.posting_at, np.where(self.pivot_tid, stop - tid_room, stop)
        )
        bad |= (t_info & C.INDEX_SIZE_MASK != length) | (length < data_off)
        bad |= self.dead & (high_key | internal)  # LP_DEAD on a pivot tuple
        bad |= self.leaf_item & alt  # a pivot among the data items
        bad |= posting & (high_key | internal)
        bad |= self.minus_infinity & alt & (natts != 0)
        bad |= self.pivot & alt & ~posting & (natts == 0)
        bad |= self.pivot_tid & (length - tid_room < data_off)
        bad |= self.leaf_item & (posid == 0)  # heap TID offset 0
        # posting lists: a MAXALIGNed offset between the key data and the end, room for
        # the TIDs, at least two of them, each with an offset, in strictly increasing order
        bad |= posting & (
            (block < data_off)
            | (block > length)
            | (block & _MAXALIGN_MASK != 0)
            | (natts * _TID_SIZE > length - block)
            | (natts < 2)
        )
        lists = np.flatnonzero(posting & ~bad)
        if len(lists):
            count = natts[lists]
            first = np.cumsum(count) - count
            which = np.repeat(np.arange(len(lists)), count)
            tid_at = np.repeat(at[lists] + block[lists], count) + _TID_SIZE * (
                np.arange(len(which)) - first[which]
            )
            tid_off = _field_at(pages, tid_at, _TID_FIELDS["ip_posid"])
            tid_block = (_field_at(pages, tid_at, _TID_FIELDS["bi_hi"]) << 16) | _field_at(
                pages, tid_at, _TID_FIELDS["bi_lo"]
            )
            key = (tid_block << 16) | tid_off
            wrong = tid_off == 0
            wrong[1:] |= (which[1:] == which[:-1]) & (key[1:] <= key[:-1])
            bad[lists[which[wrong]]] = True
        self.bad: Bools = bad


def btree_pages(pages: U8, lower: I64, upper: I64) -> tuple[Bools, BtreeOpaque, BtreeItems]:
    """For pages with a sound header and a 16-byte special space: ``(regular, opaque,
    items)``, ``regular`` true for a live btree page (neither the metapage nor deleted nor
    half-dead) whose opaque data, line pointers and index tuples break no rule of the btree
    decoder -- so that decoding it would report nothing. Conservative: anything unusual
    (LP_UNUSED or LP_REDIRECT pointers, a posting list on an internal page) goes to the
    decoder."""
    opaque = BtreeOpaque(pages)
    ok = opaque.live_and_sound()
    items = BtreeItems(pages, lower, upper, opaque, ok)
    ok[items.row[items.bad]] = False
    # no two items overlap
    order = np.argsort((items.row << 16) | items.off)
    page_of, begin = items.row[order], items.off[order]
    end = begin + items.length[order]
    overlap = (page_of[1:] == page_of[:-1]) & (begin[1:] < end[:-1])
    ok[page_of[1:][overlap]] = False
    return ok, opaque, items


# ----------------------------------------------------------------------------------------------
# fill: what each byte of a regular page is used for


class FillColumn(enum.IntEnum):
    """Columns of :func:`fills` (named as ``analysis.pagefill.Fill`` values)."""

    HEADERS = 0
    DATA = 1
    PADDING = 2
    DEAD = 3
    UNUSED = 4
    FREE = 5
    SPECIAL = 6
    NEW = 7
    UNKNOWN = 8


def fills(pages: U8, kinds: npt.NDArray[np.uint8]) -> tuple[I64, I64, Bools]:
    """``(bytes per FillColumn, line pointers per LP_* state, computed)`` for each page.

    Computed for the pages :func:`classify` calls NEW or HEAP, except heap pages with an
    old-style OID (``computed`` is false for those and for irregular pages: ask the per-page
    path). The tiling rules are the decoder's: the header, the line pointer array, the free
    space between pd_lower and pd_upper, each tuple split into header (and null bitmap), the
    padding before ``t_hoff`` and data; a gap shorter than MAXALIGN after an item (line
    pointers count as items) that ends aligned is padding, any other gap is unused; all bytes
    of an LP_DEAD item with storage are dead.
    """
    n, size = pages.shape
    out = np.zeros((n, len(FillColumn)), dtype=np.int64)
    states = np.zeros((n, 4), dtype=np.int64)
    computed = (kinds == Kind.NEW) | (kinds == Kind.HEAP)
    out[kinds == Kind.NEW, FillColumn.NEW] = size
    heap = np.flatnonzero(kinds == Kind.HEAP)
    if not len(heap):
        return out, states, computed
    sub = pages if len(heap) == n else pages[heap]
    head = headers(sub)
    lower = head["pd_lower"].astype(np.int64)
    upper = head["pd_upper"].astype(np.int64)
    counts = (lower - C.SizeOfPageHeaderData) // C.SizeOfItemIdData
    items = FlatItems(sub, counts)
    for state in range(4):
        states[heap, state] = np.bincount(items.row[items.lp_flags == state], minlength=len(heap))
    stored = np.flatnonzero(
        ((items.lp_flags == C.LP_NORMAL) | (items.lp_flags == C.LP_DEAD)) & (items.lp_len != 0)
    )
    rows, begin, item_len = items.row[stored], items.lp_off[stored], items.lp_len[stored]
    dead = items.lp_flags[stored] == C.LP_DEAD
    tuples = TupleHeaders(sub, rows, begin)
    t_hoff, infomask = tuples.t_hoff, tuples.t_infomask
    bitmap = np.where(infomask & C.HEAP_HASNULL != 0, (tuples.natts + 7) // 8, 0)
    with_oid = np.zeros(len(heap), dtype=bool)
    with_oid[rows[infomask & C.HEAP_HASOID_OLD != 0]] = True
    local = np.zeros((len(heap), len(FillColumn)), dtype=np.int64)
    local[:, FillColumn.HEADERS] = C.SizeOfPageHeaderData + counts * C.SizeOfItemIdData
    local[:, FillColumn.FREE] = np.maximum(upper - lower, 0)
    live = ~dead
    np.add.at(local[:, FillColumn.HEADERS], rows[live], C.SizeofHeapTupleHeader + bitmap[live])
    np.add.at(
        local[:, FillColumn.PADDING],
        rows[live],
        t_hoff[live] - C.SizeofHeapTupleHeader - bitmap[live],
    )
    np.add.at(local[:, FillColumn.DATA], rows[live], item_len[live] - t_hoff[live])
    np.add.at(local[:, FillColumn.DEAD], rows[dead], item_len[dead])
    # gaps: after the frame (free space, else the line pointers, else the header) up to the
    # first item, between items, and after the last item up to the page's end
    frame_end = np.maximum(upper, lower)
    frame_is_item = (upper == lower) & (counts > 0)
    order = np.argsort((rows << 16) | begin)
    page_of, first, last = rows[order], begin[order], (begin + item_len)[order]
    next_start = np.full(len(order), size, dtype=np.int64)
    same = page_of[1:] == page_of[:-1]
    next_start[:-1][same] = first[1:][same]
    gap_prev_item = np.ones(len(order), dtype=bool)
    heads = np.ones(len(order), dtype=bool)
    heads[1:] = ~same
    pages_with_items = page_of[heads]
    first_start = np.full(len(heap), size, dtype=np.int64)
    first_start[pages_with_items] = first[heads]
    gap_rows = np.concatenate([np.arange(len(heap)), page_of])
    gap_from = np.concatenate([frame_end, last])
    gap_to = np.concatenate([first_start, next_start])
    after_item = np.concatenate([frame_is_item, gap_prev_item])
    gap = gap_to - gap_from
    padding = after_item & (gap < C.MAXIMUM_ALIGNOF) & (gap_to & _MAXALIGN_MASK == 0)
    np.add.at(local[:, FillColumn.PADDING], gap_rows[padding], gap[padding])
    np.add.at(local[:, FillColumn.UNUSED], gap_rows[~padding], gap[~padding])
    out[heap] = local
    computed[heap[with_oid]] = False
    return out, states, computed
