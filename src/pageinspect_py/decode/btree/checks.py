"""What one btree page can say about itself: the rules on its special space, metapage and
items, each reported to the page's :class:`DiagnosticLog` with a code and a span.

The rules of the whole tree (links, levels, downlinks, key order across pages) are in
``analysis/btree/checks.py``.
"""

from __future__ import annotations

from pageinspect_py import constants as C
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.btree.model import (
    BtItemKind,
    BTPageOpaque,
    BtreeItem,
    BtreeMeta,
)
from pageinspect_py.decode.btree.structs import INDEX_TUPLE_SIZE, OPAQUE_SIZE
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.page import DiagnosticLog


def check_opaque(opaque: BTPageOpaque, log: DiagnosticLog) -> None:
    span = Span(opaque.offset, opaque.offset + OPAQUE_SIZE)
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


def check_meta(meta: BtreeMeta, opaque: BTPageOpaque | None, log: DiagnosticLog) -> None:
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


def check_items(
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
                Span(h.offset, h.offset + INDEX_TUPLE_SIZE),
            )
        if item.kind in (BtItemKind.PIVOT, BtItemKind.HIGH_KEY) and h.is_posting:
            log.error(
                "bt-pivot-posting",
                f"{name}: a posting list tuple as a {item.kind}",
                Span(h.offset, h.offset + INDEX_TUPLE_SIZE),
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
