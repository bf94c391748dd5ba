"""Structural checks of a whole btree index, in the spirit of amcheck's ``bt_index_check``
(and some of ``bt_index_parent_check``), offline: sibling links agree both ways, levels are
consistent, downlinks point one level down, separators equal the child high keys, items are in
key order and inside their page's bounds (typed keys). What one page says about itself is in
``decode/btree/checks.py``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pageinspect_py import constants as C
from pageinspect_py.analysis.btree.findings import Finding
from pageinspect_py.analysis.btree.findings import error as _err
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.btree import BtItemKind, BtreeItem, BtreePage
from pageinspect_py.decode.btree.keys import compare_keys
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.scan.btree import PageSummary

if TYPE_CHECKING:
    from pageinspect_py.analysis.btree.index import BtreeIndex


def tree_findings(idx: BtreeIndex) -> Iterator[Finding]:
    """Every structural problem across pages."""
    yield from _check_meta(idx)
    yield from _check_levels(idx)
    yield from _check_downlinks(idx)
    yield from _check_bounds(idx)


def _check_meta(idx: BtreeIndex) -> Iterator[Finding]:
    meta = idx.meta
    if meta is None:
        return
    for what, blkno, level in (
        ("btm_root", meta.btm_root, meta.btm_level),
        ("btm_fastroot", meta.btm_fastroot, meta.btm_fastlevel),
    ):
        if blkno == C.P_NONE:
            continue  # an empty index: no root yet
        s = idx.summaries.get(blkno)
        if s is None or not s.is_btree:
            yield _err(
                "bt-meta-root",
                0,
                None,
                f"{what} {blkno} is not a btree page of the index ({idx.nblocks} blocks)",
            )
            continue
        if not s.live:
            yield _err(
                "bt-meta-root",
                0,
                None,
                f"{what} {blkno} is a {s.page_type!r} page (deleted or half-dead)",
            )
        elif s.level != level:
            yield _err(
                "bt-meta-level",
                0,
                None,
                f"{what} {blkno} is at level {s.level}, the metapage says {level}",
            )
    root = idx.summaries.get(meta.btm_root)
    if root is not None and root.is_btree and root.live:
        if not root.has(C.BTP_ROOT):
            yield _err("bt-root-flag", root.blkno, None, "the metapage's root page lacks BTP_ROOT")
        if root.btpo_prev != C.P_NONE or root.btpo_next != C.P_NONE:
            yield _err(
                "bt-root-siblings",
                root.blkno,
                None,
                f"the root page has siblings ({root.btpo_prev}, {root.btpo_next})",
            )
    for s in idx.summaries.values():
        if s.live and s.has(C.BTP_ROOT) and s.blkno != meta.btm_root:
            yield _err(
                "bt-root-flag",
                s.blkno,
                None,
                f"BTP_ROOT is set but the metapage's root is {meta.btm_root}",
            )
    top = max(
        (s.level for s in idx.summaries.values() if s.live and s.level is not None), default=None
    )
    if top is not None and meta.btm_root != C.P_NONE and top > meta.btm_level:
        yield _err(
            "bt-meta-level",
            0,
            None,
            f"pages reach level {top}, above the root's level {meta.btm_level}",
        )


def _check_levels(idx: BtreeIndex) -> Iterator[Finding]:
    """Sibling links agree both ways, each level is one chain from its leftmost page."""
    summaries = idx.summaries
    by_level: dict[int, list[PageSummary]] = {}
    for s in summaries.values():
        if s.in_chain and s.level is not None:
            by_level.setdefault(s.level, []).append(s)
            if (s.level == 0) != s.has(C.BTP_LEAF):
                yield _err(
                    "bt-leaf-level",
                    s.blkno,
                    None,
                    f"level {s.level} with{'out' if not s.has(C.BTP_LEAF) else ''} BTP_LEAF",
                )
    for level, pages in sorted(by_level.items()):
        leftmost = [s for s in pages if s.btpo_prev == C.P_NONE]
        if len(leftmost) != 1:
            names = ", ".join(str(s.blkno) for s in leftmost) or "none"
            yield _err(
                "bt-leftmost",
                leftmost[1].blkno if len(leftmost) > 1 else None,
                None,
                f"level {level} has {len(leftmost)} leftmost pages ({names})",
            )
        reached: set[int] = set()
        for start in leftmost:
            current = start
            while True:
                if current.blkno in reached:
                    yield _err(
                        "bt-sibling-cycle",
                        current.blkno,
                        None,
                        f"the right links of level {level} loop back to {current.blkno}",
                    )
                    break
                reached.add(current.blkno)
                nxt = current.btpo_next
                if nxt == C.P_NONE:
                    break
                target = summaries.get(nxt)
                if target is None or not target.is_btree:
                    yield _err(
                        "bt-right-link",
                        current.blkno,
                        None,
                        f"btpo_next {nxt} is not a btree page of the index ({idx.nblocks} blocks)",
                    )
                    break
                if target.deleted:
                    yield _err(
                        "bt-right-link", current.blkno, None, f"btpo_next {nxt} is a deleted page"
                    )
                    break
                if target.btpo_prev != current.blkno:
                    yield _err(
                        "bt-sibling-link",
                        nxt,
                        None,
                        f"left link/right link pair not in agreement: block "
                        f"{current.blkno}'s btpo_next is {nxt}, whose btpo_prev is "
                        f"{target.btpo_prev}",
                    )
                if target.level != level:
                    yield _err(
                        "bt-sibling-level",
                        nxt,
                        None,
                        f"right sibling of block {current.blkno} (level {level}) is "
                        f"at level {target.level}",
                    )
                    break
                current = target
        for s in pages:
            if s.blkno not in reached:
                yield _err(
                    "bt-unreachable",
                    s.blkno,
                    None,
                    f"level {level} page not reached from the leftmost page along btpo_next",
                )
            if s.btpo_prev != C.P_NONE:
                left = summaries.get(s.btpo_prev)
                if left is None or not left.is_btree:
                    yield _err(
                        "bt-left-link",
                        s.blkno,
                        None,
                        f"btpo_prev {s.btpo_prev} is not a btree page of the index",
                    )
                elif left.in_chain and left.btpo_next != s.blkno and left.level == level:
                    yield _err(
                        "bt-sibling-link",
                        s.blkno,
                        None,
                        f"left link/right link pair not in agreement: btpo_prev is "
                        f"{s.btpo_prev}, whose btpo_next is {left.btpo_next}",
                    )


def _child_run(idx: BtreeIndex, child: PageSummary) -> PageSummary:
    """The page whose high key bounds ``child`` in its parent: child itself, or the right
    half of an incomplete split (BTP_INCOMPLETE_SPLIT: the right sibling's downlink is
    missing) or the half-dead page after it."""
    current = child
    seen = {child.blkno}
    while current.has(C.BTP_INCOMPLETE_SPLIT) and current.btpo_next != C.P_NONE:
        nxt = idx.summaries.get(current.btpo_next)
        if nxt is None or nxt.blkno in seen:
            break
        seen.add(nxt.blkno)
        current = nxt
    return current


def _check_downlinks(idx: BtreeIndex) -> Iterator[Finding]:
    """Downlinks point one level down, children are consecutive siblings, separators equal
    the child high keys, and every page but the root has a parent."""
    summaries = idx.summaries
    parent_of: dict[int, int] = {}
    for s in summaries.values():
        if not s.live or s.has(C.BTP_LEAF) or s.level is None:
            continue
        children = s.downlinks
        for position, (ref, child_no) in enumerate(children):
            child = summaries.get(child_no)
            if child is None or not child.is_btree:
                yield _err(
                    "bt-downlink",
                    s.blkno,
                    ref.offnum,
                    f"downlink to block {child_no}, not a btree page of the index "
                    f"({idx.nblocks} blocks)",
                )
                continue
            if child_no in parent_of:
                yield _err(
                    "bt-downlink-twice",
                    s.blkno,
                    ref.offnum,
                    f"block {child_no} already has a downlink in block {parent_of[child_no]}",
                )
            parent_of[child_no] = s.blkno
            if child.deleted or child.half_dead:
                yield _err(
                    "bt-downlink-dead",
                    s.blkno,
                    ref.offnum,
                    f"downlink to block {child_no}, a "
                    f"{'deleted' if child.deleted else 'half-dead'} page",
                )
                continue
            if child.level != s.level - 1:
                yield _err(
                    "bt-downlink-level",
                    s.blkno,
                    ref.offnum,
                    f"downlink from level {s.level} to block {child_no} at level "
                    f"{child.level} (expected {s.level - 1})",
                )
                continue
            bound = _child_run(idx, child)
            if position + 1 < len(children):
                separator, right_no = children[position + 1]
                if bound.btpo_next != right_no and not _skippable(idx, bound, right_no):
                    yield _err(
                        "bt-downlink-order",
                        s.blkno,
                        separator.offnum,
                        f"downlink to block {right_no} follows block {child_no}, "
                        f"whose right sibling is {bound.btpo_next}",
                    )
                if bound.high_key is None:
                    yield _err(
                        "bt-child-highkey",
                        bound.blkno,
                        None,
                        f"has no high key, yet block {s.blkno} item "
                        f"{separator.offnum} separates it from block {right_no}",
                    )
                elif bound.high_key.identity != separator.identity:
                    yield _err(
                        "bt-child-highkey",
                        bound.blkno,
                        C.P_HIKEY,
                        f"high key differs from the separator key of block {s.blkno} "
                        f"item {separator.offnum}",
                    )
            elif s.high_key is None:
                if bound.btpo_next != C.P_NONE and not _skippable(idx, bound, C.P_NONE):
                    yield _err(
                        "bt-downlink-order",
                        s.blkno,
                        ref.offnum,
                        f"the rightmost page of level {s.level} ends with block "
                        f"{child_no}, whose right sibling is {bound.btpo_next}",
                    )
            elif bound.high_key is None or bound.high_key.identity != s.high_key.identity:
                yield _err(
                    "bt-child-highkey",
                    bound.blkno,
                    C.P_HIKEY,
                    f"high key differs from the high key of its parent, block {s.blkno}",
                )
    meta_root = idx.root()
    for s in summaries.values():
        if (
            s.live
            and s.level is not None
            and s.blkno != meta_root
            and s.blkno not in parent_of
            and not s.has(C.BTP_ROOT)
        ):
            left = summaries.get(s.btpo_prev)
            if left is not None and left.has(C.BTP_INCOMPLETE_SPLIT):
                continue
            if meta_root is not None and s.level >= (idx.meta.btm_level if idx.meta else 0):
                continue
            yield _err(
                "bt-no-downlink",
                s.blkno,
                None,
                f"no page of level {s.level + 1} has a downlink to this level {s.level} page",
            )


def _skippable(idx: BtreeIndex, start: PageSummary, target: int) -> bool:
    """Pages between ``start`` and ``target`` are all half-dead (their downlinks are gone)."""
    current = start.btpo_next
    seen: set[int] = set()
    while current not in (target, C.P_NONE) and current not in seen:
        seen.add(current)
        s = idx.summaries.get(current)
        if s is None or not s.half_dead:
            return False
        current = s.btpo_next
    return current == target


def _check_bounds(idx: BtreeIndex) -> Iterator[Finding]:
    """Typed keys: the left sibling's high key bounds a page's first item from below."""
    index = idx.index
    if index is None:
        return
    for s in idx.summaries.values():
        if not s.live or s.first_data is None or s.btpo_prev == C.P_NONE:
            continue
        left = idx.summaries.get(s.btpo_prev)
        if left is None or left.high_key is None or left.high_key.keys is None:
            continue
        first = s.first_data
        if first.keys is None or (not s.has(C.BTP_LEAF) and first.offnum == _first_key(s)):
            continue  # the minus-infinity item has no key
        cmp = compare_keys(
            index, first.keys[: index.nkeyatts], left.high_key.keys[: index.nkeyatts]
        )
        if cmp is not None and cmp < 0:
            yield _err(
                "bt-lower-bound",
                s.blkno,
                first.offnum,
                f"first data item sorts before the high key of the left sibling, "
                f"block {left.blkno}",
            )


def _first_key(s: PageSummary) -> int:
    return C.P_HIKEY if s.btpo_next == C.P_NONE else C.P_FIRSTKEY


def _tid_key(tid: ItemPointer | None) -> tuple[int, int]:
    return (tid.block, tid.offset) if tid is not None else (-1, -1)


def check_page_order(page: BtreePage, index: IndexDescription | None) -> Iterator[Finding]:
    """Items in key order and below the high key (typed keys), heap TIDs ascending among
    equal keys on leaf pages of version 4 indexes."""
    if index is None or page.opaque is None:
        return
    leaf = page.opaque.is_leaf
    nkey = index.nkeyatts
    previous: BtreeItem | None = None
    high = page.high_key
    for item in page.data_items():
        if item.keys is None or item.kind in (
            BtItemKind.MINUS_INFINITY,
            BtItemKind.NO_STORAGE,
            BtItemKind.UNDECODABLE,
        ):
            previous = item if item.kind is not BtItemKind.MINUS_INFINITY else None
            continue
        keys = item.keys[:nkey]
        if previous is not None and previous.keys is not None:
            before = previous.keys[:nkey]
            common = min(len(before), len(keys))
            cmp = compare_keys(index, before[:common], keys[:common])
            if cmp is not None and cmp > 0:
                yield _err(
                    "bt-order", page.blkno, item.offnum, f"item sorts before item {previous.offnum}"
                )
            elif (
                cmp == 0
                and leaf
                and len(before) == len(keys) == nkey
                and previous.heap_tids
                and item.heap_tids
                and _tid_key(previous.heap_tids[-1]) >= _tid_key(item.heap_tids[0])
            ):
                yield _err(
                    "bt-order-tid",
                    page.blkno,
                    item.offnum,
                    f"equal key but heap TID {item.heap_tids[0]} is not above item "
                    f"{previous.offnum}'s {previous.heap_tids[-1]}",
                )
        if high is not None and high.keys is not None:
            bound = high.keys[:nkey]
            common = min(len(bound), len(keys))
            cmp = compare_keys(index, keys[:common], bound[:common])
            if cmp is not None and cmp > 0:
                yield _err(
                    "bt-high-key", page.blkno, item.offnum, "item sorts after the page's high key"
                )
        previous = item
