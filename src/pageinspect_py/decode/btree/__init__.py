"""B-tree index pages, in modules that are each one thing:

* :mod:`.model` -- the page models (special space, metapage, index tuples, items);
* :mod:`.decoder` -- bytes to models after the page header (:func:`btree_contents`);
* :mod:`.checks` -- what one page can say about itself (diagnostic codes);
* :mod:`.pageinspect` -- ``bt_metap``, ``bt_page_stats``, ``bt_page_items`` from the models;
* :mod:`.keys` -- typed keys: splitting a tuple's data into attributes, comparing keys.

The frame (checksum, tiling, strict mode) is ``decode_page`` (``decode/dispatch.py``): pass
``btree=BtreeDecodeOptions(...)`` to decode a page known to belong to a btree index.
"""

from __future__ import annotations

from pageinspect_py.decode.btree.decoder import (
    BtreeDecodeOptions,
    btree_contents,
    claim_btree_kind,
    parse_opaque,
)
from pageinspect_py.decode.btree.model import (
    BtDeleted,
    BtItemKind,
    BTPageOpaque,
    BtreeItem,
    BtreeMeta,
    BtreeMetaPage,
    BtreePage,
    IndexTupleHeader,
)
from pageinspect_py.decode.btree.pageinspect import (
    BtMetap,
    BtPageItem,
    BtPageStats,
    bt_metap,
    bt_page_item,
    bt_page_items,
    bt_page_stats,
    hex_spaced,
)

__all__ = [
    "BTPageOpaque",
    "BtDeleted",
    "BtItemKind",
    "BtMetap",
    "BtPageItem",
    "BtPageStats",
    "BtreeDecodeOptions",
    "BtreeItem",
    "BtreeMeta",
    "BtreeMetaPage",
    "BtreePage",
    "IndexTupleHeader",
    "bt_metap",
    "bt_page_item",
    "bt_page_items",
    "bt_page_stats",
    "btree_contents",
    "claim_btree_kind",
    "hex_spaced",
    "parse_opaque",
]
