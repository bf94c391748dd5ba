"""The heap tuple header (``HeapTupleHeaderData``, htup_details.h): reader and validity rules."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.layouts._util import struct_format
from pageinspect_py.layouts.heap import HeapTupleHeaderData

#: HeapTupleHeaderData's fixed part as a struct unpacker derived from the layout (t_ctid
#: flattened to bi_hi, bi_lo, ip_posid): 30x faster than construct per tuple
TUPLE_HEADER_STRUCT = struct.Struct(struct_format(HeapTupleHeaderData))

#: MinHeapTupleSize: the smallest lp_len heap_page_items() decodes
MIN_HEAP_TUPLE_SIZE = C.maxalign(C.SizeofHeapTupleHeader)


def null_bitmap_length(natts: int) -> int:
    """BITMAPLEN(natts)."""
    return (natts + 7) // 8


def decodes_as_tuple(lp_off: int, lp_len: int) -> bool:
    """heap_page_items()' rule: an item is read as a tuple when it is at least a header long
    and MAXALIGNed (otherwise it is an undecodable item)."""
    return lp_len >= MIN_HEAP_TUPLE_SIZE and lp_off == C.maxalign(lp_off)


def t_hoff_ok(t_hoff: int, lp_len: int) -> bool:
    """t_hoff is a MAXALIGNed offset between the fixed header and the tuple's end."""
    return C.SizeofHeapTupleHeader <= t_hoff <= lp_len and t_hoff == C.maxalign(t_hoff)


def expected_t_hoff(natts: int, t_infomask: int) -> int:
    """Where a tuple's data begins: MAXALIGN(header + null bitmap if HEAP_HASNULL)."""
    bitmap = null_bitmap_length(natts) if t_infomask & C.HEAP_HASNULL else 0
    return C.maxalign(C.SizeofHeapTupleHeader + bitmap)


def xmin_invalid(t_infomask: int) -> bool:
    """HeapTupleHeaderXminInvalid: aborted (HEAP_XMIN_INVALID without HEAP_XMIN_COMMITTED)."""
    return t_infomask & (C.HEAP_XMIN_COMMITTED | C.HEAP_XMIN_INVALID) == C.HEAP_XMIN_INVALID


def hot_updated(t_infomask: int, t_infomask2: int) -> bool:
    """HeapTupleHeaderIsHotUpdated: HEAP_HOT_UPDATED, xmax not invalid, xmin not aborted."""
    return (
        bool(t_infomask2 & C.HEAP_HOT_UPDATED)
        and not t_infomask & C.HEAP_XMAX_INVALID
        and not xmin_invalid(t_infomask)
    )


def tuple_header_problems(
    lp_len: int, t_xmin: int, t_xmax: int, t_infomask2: int, t_infomask: int, t_hoff: int
) -> tuple[str, ...]:
    """Diagnostic codes for a tuple header.

    (HEAP_XMAX_LOCK_ONLY with HEAP_KEYS_UPDATED is no problem: ``SELECT ... FOR UPDATE`` writes
    both, a lock in exclusive mode.)

    Layout: ``t-hoff`` (not a MAXALIGNed offset inside the tuple), ``bitmap-past-hoff``,
    ``t-hoff-unexpected`` (not where the null bitmap puts the data: verify_heapam's "tuple
    data should begin at byte ..."), ``natts``. Flag combinations no server writes, as
    verify_heapam reads them: ``multixact-committed``, ``xmax-committed-and-invalid``,
    ``xmin-invalid-committed`` (xmin 0 marked committed), ``hot-updated-xmax-0``,
    ``heap-only-not-updated``.
    """
    codes: tuple[str, ...] = ()
    natts = t_infomask2 & C.HEAP_NATTS_MASK
    if not t_hoff_ok(t_hoff, lp_len):
        codes += ("t-hoff",)
    elif (
        t_infomask & C.HEAP_HASNULL and C.SizeofHeapTupleHeader + null_bitmap_length(natts) > t_hoff
    ):
        codes += ("bitmap-past-hoff",)
    elif not t_infomask & C.HEAP_HASOID_OLD and t_hoff != expected_t_hoff(natts, t_infomask):
        codes += ("t-hoff-unexpected",)
    if natts > C.MaxHeapAttributeNumber:
        codes += ("natts",)
    if t_infomask & C.HEAP_XMAX_COMMITTED and t_infomask & C.HEAP_XMAX_IS_MULTI:
        codes += ("multixact-committed",)
    if t_infomask & C.HEAP_XMAX_COMMITTED and t_infomask & C.HEAP_XMAX_INVALID:
        codes += ("xmax-committed-and-invalid",)
    if t_xmin == C.InvalidTransactionId and (
        t_infomask & (C.HEAP_XMIN_COMMITTED | C.HEAP_XMIN_INVALID) == C.HEAP_XMIN_COMMITTED
    ):
        codes += ("xmin-invalid-committed",)
    if (
        t_xmax == C.InvalidTransactionId
        and not t_infomask & C.HEAP_XMAX_IS_MULTI
        and hot_updated(t_infomask, t_infomask2)
    ):
        codes += ("hot-updated-xmax-0",)
    if t_infomask2 & C.HEAP_ONLY_TUPLE and not t_infomask & C.HEAP_UPDATED:
        codes += ("heap-only-not-updated",)
    return codes


@dataclass(frozen=True, slots=True)
class ChainItem:
    """What the HOT chain rules need of one line pointer (offset number = index + 1)."""

    lp_flags: int
    lp_off: int  #: for a redirect, the offset number it redirects to
    #: a redirect in range, or a stored tuple that is MAXALIGNed, in the page and at least a
    #: header long (verify_heapam's lp_valid before it reads the target)
    valid: bool
    t_xmin: int = 0
    t_xmax: int = 0
    t_infomask2: int = 0
    t_infomask: int = 0
    ctid_block: int = 0
    ctid_offset: int = 0


def chain_material(item: ChainItem, number: int, blkno: int) -> bool:
    """Whether a line pointer can be part of a chain problem: a redirect, a heap-only tuple,
    or a tuple whose t_ctid names another item of this block. :func:`chain_problems` finds
    nothing on a page with none of these (a bulk path may skip it there)."""
    return (
        item.lp_flags == C.LP_REDIRECT
        or bool(item.t_infomask2 & C.HEAP_ONLY_TUPLE)
        or (item.ctid_block == blkno and item.ctid_offset not in (number, 0))
    )


def chain_problems(items: Sequence[ChainItem], blkno: int) -> list[tuple[int, str, int]]:
    """HOT chain rules as verify_heapam (15+) checks them on one page, without transaction
    status: ``(offset number, code, the other offset number)`` for each problem.

    Codes: ``redirect-to-unused``, ``redirect-to-dead``, ``redirect-chain`` (to another
    redirect), ``redirect-to-non-heap-only``, ``chain-intersect`` (two predecessors),
    ``update-produced-heap-only`` (not HOT-updated, yet its successor is heap-only),
    ``hot-update-produced-non-heap-only``, ``heap-only-root`` (a heap-only tuple whose xmin
    is marked committed that no redirect or update on the page reaches). Updates whose xmax
    is a multixact are not followed (their updater is in pg_multixact), but still count as
    reaching their successor; for the root rule an update reaches its successor whatever
    block its t_ctid names (a page image read at another block number is no corruption).
    """
    n = len(items)
    problems: list[tuple[int, str, int]] = []
    successor = [0] * (n + 1)
    valid = [False] * (n + 1)
    for number, item in enumerate(items, start=1):
        if item.lp_flags == C.LP_REDIRECT:
            target = item.lp_off
            if not 1 <= target <= n:
                continue  # lp-redirect-target, reported with the pointer itself
            flags = items[target - 1].lp_flags
            if flags == C.LP_UNUSED:
                problems.append((number, "redirect-to-unused", target))
            elif flags == C.LP_DEAD:
                problems.append((number, "redirect-to-dead", target))
            elif flags == C.LP_REDIRECT:
                problems.append((number, "redirect-chain", target))
            else:
                valid[number], successor[number] = True, target
        elif item.lp_flags == C.LP_NORMAL and item.valid:
            valid[number] = True
            if (
                item.ctid_block == blkno
                and item.ctid_offset != number
                and 1 <= item.ctid_offset <= n
            ):
                successor[number] = item.ctid_offset
    predecessor = [0] * (n + 1)
    reached = [False] * (n + 1)
    for number in range(1, n + 1):
        target = successor[number]
        if not target or not valid[target]:
            continue
        current, following = items[number - 1], items[target - 1]
        if current.lp_flags == C.LP_REDIRECT:
            reached[target] = True
            if not following.t_infomask2 & C.HEAP_ONLY_TUPLE:
                problems.append((number, "redirect-to-non-heap-only", target))
            if predecessor[target]:
                problems.append((number, "chain-intersect", target))
                continue
            predecessor[target] = number
            continue
        if following.lp_flags == C.LP_REDIRECT:
            continue
        if current.t_infomask & C.HEAP_XMAX_IS_MULTI:
            reached[target] = True  # its updater is in pg_multixact: not followed here
            continue
        if current.t_xmax == C.InvalidTransactionId or current.t_xmax != following.t_xmin:
            continue
        reached[target] = True
        if predecessor[target]:
            problems.append((number, "chain-intersect", target))
            continue
        predecessor[target] = number
        heap_only = bool(following.t_infomask2 & C.HEAP_ONLY_TUPLE)
        if not current.t_infomask2 & C.HEAP_HOT_UPDATED and heap_only:
            problems.append((number, "update-produced-heap-only", target))
        if current.t_infomask2 & C.HEAP_HOT_UPDATED and not heap_only:
            problems.append((number, "hot-update-produced-non-heap-only", target))
    # a page read at another block number than its own (a page image, a copied page) keeps
    # t_ctid blocks that are not ``blkno``: for the root rule, an update reaches its new
    # version whatever block its t_ctid names
    for item in items:
        target = item.ctid_offset
        if (
            item.lp_flags == C.LP_NORMAL
            and item.valid
            and 1 <= target <= n
            and items[target - 1].lp_flags == C.LP_NORMAL
            and (
                item.t_infomask & C.HEAP_XMAX_IS_MULTI
                or (item.t_xmax != 0 and item.t_xmax == items[target - 1].t_xmin)
            )
        ):
            reached[target] = True
    for number, item in enumerate(items, start=1):
        if (
            valid[number]
            and item.lp_flags == C.LP_NORMAL
            and not reached[number]
            and item.t_infomask2 & C.HEAP_ONLY_TUPLE
            and item.t_infomask & C.HEAP_XMIN_COMMITTED
        ):
            problems.append((number, "heap-only-root", 0))
    return problems
