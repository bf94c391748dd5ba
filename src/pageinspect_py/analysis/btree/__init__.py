"""A whole btree index, in modules that are each one thing:

* :mod:`.index` -- :class:`BtreeIndex`, the tree API, and :func:`scan_index` / :func:`build_index`
  over the bulk scan (``scan/btree.py``: page summaries and per-level figures);
* :mod:`.search` -- ``_bt_search``: the path from the root to a key, the equal keys' heap TIDs;
* :mod:`.stats` -- ``pgstatindex()`` from the pages, and our own figures;
* :mod:`.checks` -- amcheck-style structural checks across pages;
* :mod:`.findings` -- :class:`Finding`.
"""

from __future__ import annotations

from pageinspect_py.analysis.btree.findings import Finding
from pageinspect_py.analysis.btree.index import BtreeIndex, PageLoader, build_index, scan_index
from pageinspect_py.analysis.btree.search import (
    KeysNotComparable,
    Match,
    PathStep,
    descend,
    equal_items,
    search_key,
)
from pageinspect_py.analysis.btree.stats import (
    NEWEST_MAJOR,
    PGSTATINDEX_EXACT_FREE_SPACE_FROM,
    BtreeStatistics,
    KeyWidths,
    PgStatIndex,
    index_statistics,
    round2,
)
from pageinspect_py.scan.btree import KeyRef, LevelStats, PageSummary

__all__ = [
    "NEWEST_MAJOR",
    "PGSTATINDEX_EXACT_FREE_SPACE_FROM",
    "BtreeIndex",
    "BtreeStatistics",
    "Finding",
    "KeyRef",
    "KeyWidths",
    "KeysNotComparable",
    "LevelStats",
    "Match",
    "PageLoader",
    "PageSummary",
    "PathStep",
    "PgStatIndex",
    "build_index",
    "descend",
    "equal_items",
    "index_statistics",
    "round2",
    "scan_index",
    "search_key",
]
