"""Searching a btree as ``_bt_search`` does: from a page (the root) down to the leaf where the
first key equal to the search key is, or would be, reading one page per level (plus any page
``_bt_moveright`` steps to), and the heap TIDs of the equal keys found there.

Pages come from a loader (``blkno -> page``), so a caller decides what is read: the whole-index
API (:meth:`BtreeIndex.path_to`) hands its cached decoder, ``pgpage btree --find`` a loader
that reads only the pages asked for.

Sources: ``access/nbtree/nbtsearch.c`` (_bt_search, _bt_moveright, _bt_binsrch, _bt_compare).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pageinspect_py import constants as C
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.btree import BtItemKind, BtreeItem, BtreePage
from pageinspect_py.decode.btree.keys import KeyValue, compare_keys, parse_search_value
from pageinspect_py.decode.heap import ItemPointer

BtreePageLoader = Callable[[int], BtreePage | None]


@dataclass(frozen=True, slots=True)
class PathStep:
    """One page visited on the way from the root to a key."""

    blkno: int
    level: int
    offnum: int | None  #: the item followed (internal) or where the key is/would be (leaf)
    found: bool = False  #: leaf: an item with an equal key is at ``offnum``
    moved_right: bool = False  #: reached by following btpo_next (key above the high key)


@dataclass(frozen=True, slots=True)
class Match:
    """A leaf item whose key equals the search key, and the heap TIDs it points at."""

    blkno: int
    offnum: int
    heap_tids: tuple[ItemPointer, ...]


class KeysNotComparable(ValueError):
    """A page's keys cannot be compared with the search key (type or collation)."""


def search_key(index: IndexDescription, values: Sequence[object]) -> tuple[KeyValue, ...]:
    """Key values as the decoder represents them for comparison, one per key column in order
    (fewer is a prefix): None is NULL, a ``str`` is read as SQL would take it for the column's
    type (:func:`parse_search_value`; raises ValueError), other values are order values
    already (ints, floats, bools, bytes; a ``Decimal`` for numeric)."""
    keys = []
    for column, value in zip(index.key_columns(), values, strict=False):
        a = column.attribute
        stored: object = value
        if isinstance(value, str):
            stored = parse_search_value(a, value)
        elif a.typname == "numeric" and isinstance(value, int | float | Decimal):
            stored = (0, Decimal(value))
        text = None if value is None else str(value)
        keys.append(KeyValue(a.attnum, a.attname, value is None, None, b"", stored, text))
    return tuple(keys)


def compare(
    index: IndexDescription, heapkeyspace: bool, search: Sequence[KeyValue], item: BtreeItem
) -> int | None:
    """_bt_compare(search, tuple) for a search key without heap TID; None when the keys
    cannot be compared."""
    if item.kind is BtItemKind.MINUS_INFINITY:
        return 1
    if item.keys is None:
        return None
    stored = item.keys[: index.nkeyatts]
    result = compare_keys(index, search, stored)
    if result is None or result != 0:
        return result
    ntupatts = len(stored)
    if len(search) > ntupatts:
        return 1  # the tuple's missing attributes are minus infinity
    if heapkeyspace and item.is_pivot and item.heap_tid is None and len(search) == ntupatts:
        return 1  # a truncated heap TID is minus infinity too
    return 0


def _compared(
    index: IndexDescription,
    heapkeyspace: bool,
    search: Sequence[KeyValue],
    page: BtreePage,
    item: BtreeItem,
) -> int:
    cmp = compare(index, heapkeyspace, search, item)
    if cmp is None:
        raise KeysNotComparable(
            f"block {page.blkno} item {item.offnum}: keys cannot be "
            "compared (type or collation not understood)"
        )
    return cmp


def descend(
    load: BtreePageLoader,
    start: int | None,
    search: Sequence[KeyValue],
    index: IndexDescription,
    *,
    heapkeyspace: bool = True,
) -> tuple[PathStep, ...]:
    """The pages _bt_search visits for ``search``, from ``start`` (the root) to the leaf
    where the first equal key is or would be. Each page is loaded once."""
    blkno = start
    path: list[PathStep] = []
    seen: set[int] = set()
    moved = False
    while blkno is not None and blkno not in seen:
        seen.add(blkno)
        page = load(blkno)
        if page is None or page.opaque is None:
            break
        o = page.opaque
        high = page.high_key
        if (
            high is not None
            and not o.is_rightmost
            and _compared(index, heapkeyspace, search, page, high) > 0
        ):  # _bt_moveright: the key is above the high key
            path.append(PathStep(blkno, o.btpo_level, None, moved_right=moved))
            blkno, moved = o.btpo_next, True
            continue
        data = page.data_items()
        if o.is_leaf:
            offnum, found = None, False
            for item in data:
                cmp = _compared(index, heapkeyspace, search, page, item)
                if cmp <= 0:
                    offnum, found = item.offnum, cmp == 0
                    break
            if offnum is None:
                offnum = (data[-1].offnum + 1) if data else o.first_data_key
            path.append(PathStep(blkno, 0, offnum, found, moved))
            break
        chosen = None
        for item in data:
            if _compared(index, heapkeyspace, search, page, item) > 0:
                chosen = item
            else:
                break
        if chosen is None or chosen.downlink is None:
            path.append(PathStep(blkno, o.btpo_level, None, moved_right=moved))
            break
        path.append(PathStep(blkno, o.btpo_level, chosen.offnum, moved_right=moved))
        blkno, moved = chosen.downlink, False
    return tuple(path)


def equal_items(
    page: BtreePage,
    offnum: int,
    search: Sequence[KeyValue],
    index: IndexDescription,
    *,
    heapkeyspace: bool = True,
) -> tuple[tuple[Match, ...], int | None]:
    """The items from ``offnum`` on whose key equals ``search`` (``LP_DEAD`` ones included,
    as a scan reads them before it checks the heap), and the right sibling to read next when
    equal keys may continue there (the page's last item is equal and its high key is not
    above the search key), else None."""
    matches: list[Match] = []
    items = [i for i in page.data_items() if i.offnum >= offnum]
    for item in items:
        if _compared(index, heapkeyspace, search, page, item) != 0:
            return tuple(matches), None
        matches.append(Match(page.blkno, item.offnum, item.heap_tids))
    o = page.opaque
    if o is None or o.is_rightmost or not (matches or not items):
        return tuple(matches), None
    high = page.high_key
    if high is not None and high.keys is not None:
        common = min(len(search), len(high.keys), index.nkeyatts)
        bound = compare_keys(index, search[:common], high.keys[:common])
        if bound is not None and bound < 0:
            return tuple(matches), None  # every key to the right is above the search key
    return tuple(matches), o.btpo_next if o.btpo_next != C.P_NONE else None
