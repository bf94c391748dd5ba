"""A whole btree index read page by page: the tree API over the page summaries the bulk scan
(``scan/btree.py``) keeps, with pages decoded again on demand for navigation.

* :func:`scan_index` reads every block once; :func:`build_index` builds the index from pages
  (or bulk-path results) already read.
* :attr:`BtreeIndex.meta`, :meth:`~BtreeIndex.root`, :meth:`~BtreeIndex.fast_root`,
  :meth:`~BtreeIndex.levels` (pages per level in sibling order), :meth:`~BtreeIndex.children`,
  :meth:`~BtreeIndex.left`/:meth:`~BtreeIndex.right`, :meth:`~BtreeIndex.path_to` (typed keys,
  ``analysis/btree/search.py``).
* :meth:`BtreeIndex.statistics` (``analysis/btree/stats.py``) and :meth:`BtreeIndex.check`
  (``analysis/btree/checks.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from pageinspect_py import constants as C
from pageinspect_py.analysis.btree.checks import check_page_order, tree_findings
from pageinspect_py.analysis.btree.findings import Finding, page_findings
from pageinspect_py.analysis.btree.search import PathStep, descend, search_key
from pageinspect_py.analysis.btree.stats import BtreeStatistics, index_statistics
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.btree import BtreeDecodeOptions, BtreeMeta, BtreeMetaPage, BtreePage
from pageinspect_py.decode.btree.keys import KeyValue
from pageinspect_py.decode.common import Severity
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import Page
from pageinspect_py.page.raw import PageSource
from pageinspect_py.scan.btree import FastPage, PageSummary, ScanTotals, index_pages, summarize

PageLoader = Callable[[int], Page]


class BtreeIndex:
    """A btree index read page by page. Build it with :func:`scan_index`."""

    def __init__(
        self,
        name: str,
        nblocks: int,
        summaries: dict[int, PageSummary],
        meta: BtreeMeta | None,
        acc: ScanTotals,
        findings: list[Finding],
        loader: PageLoader,
        index: IndexDescription | None,
    ) -> None:
        self.name = name
        self.nblocks = nblocks
        self.summaries = summaries
        self.meta = meta
        self.index = index
        self._acc = acc
        self._page_findings = findings
        self._loader = lru_cache(maxsize=64)(loader)

    # -- pages -------------------------------------------------------------------------------

    def page(self, blkno: int) -> Page:
        """Block ``blkno`` decoded (typed keys when the index is described)."""
        return self._loader(blkno)

    def btree_page(self, blkno: int) -> BtreePage | None:
        page = self.page(blkno) if 0 <= blkno < self.nblocks else None
        return page if isinstance(page, BtreePage) else None

    def summary(self, blkno: int) -> PageSummary | None:
        return self.summaries.get(blkno)

    @property
    def heapkeyspace(self) -> bool:
        """Version 4: heap TIDs are part of the key space (12+ indexes)."""
        return self.meta is None or self.meta.btm_version >= C.BTREE_VERSION

    # -- tree --------------------------------------------------------------------------------

    def root(self) -> int | None:
        return self.meta.btm_root if self.meta is not None else None

    def fast_root(self) -> int | None:
        return self.meta.btm_fastroot if self.meta is not None else None

    def left(self, blkno: int) -> int | None:
        s = self.summaries.get(blkno)
        return s.btpo_prev if s is not None and s.btpo_prev != C.P_NONE else None

    def right(self, blkno: int) -> int | None:
        s = self.summaries.get(blkno)
        return s.btpo_next if s is not None and s.btpo_next != C.P_NONE else None

    def children(self, blkno: int) -> tuple[int, ...]:
        s = self.summaries.get(blkno)
        return tuple(child for _, child in s.downlinks) if s is not None else ()

    def leftmost(self, level: int) -> int | None:
        found = [
            s.blkno
            for s in self.summaries.values()
            if s.in_chain and s.level == level and s.btpo_prev == C.P_NONE
        ]
        return found[0] if found else None

    def levels(self) -> dict[int, tuple[int, ...]]:
        """Pages of each level in sibling order (from the leftmost page along btpo_next),
        followed by any page of that level the chain does not reach."""
        out: dict[int, tuple[int, ...]] = {}
        by_level: dict[int, list[int]] = {}
        for s in self.summaries.values():
            if s.in_chain and s.level is not None:
                by_level.setdefault(s.level, []).append(s.blkno)
        for level in sorted(by_level, reverse=True):
            chain = self._chain(level)
            rest = [b for b in sorted(by_level[level]) if b not in set(chain)]
            out[level] = tuple(chain) + tuple(rest)
        return out

    def _chain(self, level: int) -> list[int]:
        start = self.leftmost(level)
        chain: list[int] = []
        seen: set[int] = set()
        current = start
        while current is not None and current not in seen:
            s = self.summaries.get(current)
            if s is None or not s.in_chain or s.level != level:
                break
            seen.add(current)
            chain.append(current)
            current = s.btpo_next if s.btpo_next != C.P_NONE else None
        return chain

    def pages_per_level(self) -> dict[int, int]:
        return {level: len(pages) for level, pages in self.levels().items()}

    # -- search ------------------------------------------------------------------------------

    def search_key(self, values: Sequence[object]) -> tuple[KeyValue, ...]:
        """Key values as the decoder represents them (text as UTF-8 bytes, None as NULL)."""
        if self.index is None:
            raise ValueError("path_to needs the index's key columns (a description)")
        return search_key(self.index, values)

    def path_to(
        self, values: Sequence[object], *, start: int | None = None
    ) -> tuple[PathStep, ...]:
        """The pages _bt_search visits for ``values`` (key columns in order; None is NULL),
        from the root (or ``start``) to the leaf where the first equal key is or would be."""
        search = self.search_key(values)
        assert self.index is not None
        return descend(
            self.btree_page,
            start if start is not None else self.root(),
            search,
            self.index,
            heapkeyspace=self.heapkeyspace,
        )

    # -- statistics --------------------------------------------------------------------------

    def statistics(self, major: int | None = None) -> BtreeStatistics:
        """pgstatindex() as the given server major computes it, plus our own figures."""
        return index_statistics(self.summaries, self.nblocks, self.meta, self._acc, major)

    # -- checks ------------------------------------------------------------------------------

    def check(self) -> tuple[Finding, ...]:
        """Every page diagnostic and every structural problem found, in block order."""
        findings = list(self._page_findings)
        findings += tree_findings(self)
        order = {Severity.ERROR: 0, Severity.WARNING: 1}
        findings.sort(
            key=lambda f: (
                f.block if f.block is not None else -1,
                f.item or 0,
                order.get(f.severity, 2),
            )
        )
        return tuple(findings)


def scan_index(
    source: PageSource,
    *,
    index: IndexDescription | None = None,
    major: int | None = None,
    name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    fast: bool = True,
) -> BtreeIndex:
    """Read every block of a btree index's main fork once.

    Without key columns (``index`` None) healthy pages go through the bulk path
    (``scan.btree.fast_page``: struct over the bytes, no page model); any page it is not
    sure about is decoded in full, so the result is the same either way (a test proves it on
    every fixture page). Typed keys need the full decoder on every page.
    """
    options = BtreeDecodeOptions(index=index, major=major)

    def load(blkno: int) -> Page:
        return decode_page(source.read_page(blkno, "main"), btree=options)

    return build_index(
        index_pages(source, options, fast=fast),
        nblocks=source.nblocks("main"),
        loader=load,
        index=index,
        name=name or source.name,
        progress=progress,
    )


def build_index(
    pages: Iterable[tuple[int, Page | FastPage]],
    *,
    nblocks: int,
    loader: PageLoader,
    index: IndexDescription | None = None,
    name: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> BtreeIndex:
    acc = ScanTotals()
    summaries: dict[int, PageSummary] = {}
    findings: list[Finding] = []
    meta: BtreeMeta | None = None
    for count, (blkno, page) in enumerate(pages, 1):
        if isinstance(page, FastPage):
            summaries[blkno] = page.merge_into(acc)
            if progress is not None:
                progress(count, nblocks)
            continue
        if isinstance(page, BtreeMetaPage) and blkno == C.BTREE_METAPAGE:
            meta = page.meta
        summaries[blkno] = summarize(page, acc)
        findings.extend(page_findings(page))
        if isinstance(page, BtreePage) and page.opaque is not None and not page.opaque.ignore:
            findings.extend(check_page_order(page, index))
        if blkno == C.BTREE_METAPAGE and not isinstance(page, BtreeMetaPage):
            findings.append(
                Finding(
                    Severity.ERROR,
                    "bt-no-metapage",
                    blkno,
                    None,
                    f"block 0 is a {page.kind} page, not the btree metapage",
                )
            )
        if progress is not None:
            progress(count, nblocks)
    return BtreeIndex(name, nblocks, summaries, meta, acc, findings, loader, index)
