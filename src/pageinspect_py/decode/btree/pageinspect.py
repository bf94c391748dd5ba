"""What pageinspect shows of a btree page, computed from our models with PostgreSQL 14+
semantics on any page: ``bt_metap()``, ``bt_page_stats()`` and ``bt_page_items()``
(``dead``/``htid``/``tids`` as in 13+, ``data`` without the posting list or pivot heap TID).

Source: ``contrib/pageinspect/btreefuncs.c`` (GetBTPageStatistics, bt_page_print_tuples,
bt_metap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pageinspect_py import constants as C
from pageinspect_py.decode.btree.structs import INDEX_TUPLE, INDEX_TUPLE_SIZE

if TYPE_CHECKING:
    from pageinspect_py.decode.btree.model import BtreeItem, BtreeMeta, BtreePage


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


def bt_metap(m: BtreeMeta | None) -> BtMetap | None:
    """bt_metap(): extended fields only from version 3 on, else 0 / -1 / false."""
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


def bt_page_stats(page: BtreePage) -> BtPageStats:
    """GetBTPageStatistics (14+): deleted pages count no items."""
    o = page.opaque
    live = dead = item_size = 0
    if o is not None and not o.is_deleted:
        for item in page.items:
            item_size += _tuple_size(page, item)
            if item.dead:
                dead += 1
            else:
                live += 1
    count = live + dead
    space = page.header.pd_upper - page.header.pd_lower
    return BtPageStats(
        blkno=page.blkno,
        type=page.page_type,
        live_items=live,
        dead_items=dead,
        avg_item_size=item_size // count if count else 0,
        page_size=page.header.pagesize,
        free_size=space - C.SizeOfItemIdData if space >= C.SizeOfItemIdData else 0,
        btpo_prev=o.btpo_prev if o is not None else 0,
        btpo_next=o.btpo_next if o is not None else 0,
        btpo_level=o.btpo_level if o is not None else 0,
        btpo_flags=o.btpo_flags if o is not None else 0,
    )


def _tuple_size(page: BtreePage, item: BtreeItem) -> int:
    """IndexTupleSize of PageGetItem(): t_info of whatever the pointer points at."""
    if item.header is not None:
        return item.header.size
    off = item.lp.lp_off
    if off + INDEX_TUPLE_SIZE <= len(page.data):
        t_info: int = INDEX_TUPLE.unpack_from(page.data, off)[3]
        return t_info & C.INDEX_SIZE_MASK
    return 0


def bt_page_items(page: BtreePage) -> tuple[BtPageItem, ...]:
    """bt_page_items() as the server that wrote the page shows it: none on a 14+ deleted
    page (BTDeletedPageData, no line pointers); a deleted page in the pre-14 format keeps its
    high key, which pageinspect 12-13 lists. Items without a decodable tuple are left out
    (pageinspect would read whatever bytes the pointer names)."""
    o = page.opaque
    if o is None or (o.is_deleted and o.has_fullxid):
        return ()
    return tuple(row for row in (bt_page_item(page, i) for i in page.items) if row is not None)


def bt_page_item(page: BtreePage, item: BtreeItem) -> BtPageItem | None:
    """bt_page_print_tuples for one item."""
    h = item.header
    if h is None or page.opaque is None:
        return None
    leaf = page.opaque.is_leaf
    ispivot = not leaf or (not page.opaque.is_rightmost and item.offnum == C.P_HIKEY)
    htid = item.heap_tid
    if ispivot and not h.is_pivot:
        htid = None
    return BtPageItem(
        itemoffset=item.offnum,
        ctid=str(h.t_tid),
        itemlen=h.size,
        nulls=h.has_nulls,
        vars=h.has_varwidths,
        data=hex_spaced(page.key_bytes(item)),
        dead=None if ispivot else item.dead,
        htid=str(htid) if htid is not None else None,
        tids=tuple(str(t) for t in item.posting) if h.is_posting else None,
    )
