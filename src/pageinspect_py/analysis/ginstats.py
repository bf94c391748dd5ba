"""A GIN index across its pages: ``pgstatginindex()`` computed offline, our own figures (pages
by type, entries, posting trees, TIDs, compression), the keys -> TIDs map the whole index holds
(entry tree + posting trees + pending list), and what the pages say about each other.

Source: ``contrib/pgstattuple/pgstatindex.c`` (pgstatginindex: only the metapage's
ginVersion, nPendingPages and nPendingHeapTuples); ``access/gin/README`` (the two-level tree
structure, the pending list).

Findings (cross-page):

* the entry tree from block 1 and every posting tree from its root: each level's pages are
  all internal or all leaves (the same depth everywhere), its pages linked left to right by
  ``rightlink`` exactly in downlink order, the last one rightmost;
* keys in order within each entry page (where the key type makes them comparable);
* TIDs strictly increasing along each posting tree's leaves, each leaf within its parent's
  bounds (the PostingItem keys before and at its downlink);
* the pending list from the metapage's head to its tail by rightlink: its page count,
  heap-tuple count and the tail's free space equal to what the metapage says.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.analysis.findings import IndexFinding, Severity
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.gin import (
    EntryKind,
    GinDataPage,
    GinDecodeOptions,
    GinEntryPage,
    GinMetaPage,
    GinPage,
    GinPageType,
    compare_keys,
    tid_key,
)
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import Page
from pageinspect_py.page.raw import PageSource


@dataclass(frozen=True, slots=True)
class PgStatGinIndex:
    """``pgstatginindex()``: its columns."""

    version: int
    pending_pages: int
    pending_tuples: int


#: the cross-page findings of this access method (analysis/findings.py)
GinFinding = IndexFinding


@dataclass(frozen=True, slots=True)
class GinIndexStatistics:
    """pgstatginindex() and what else the pages add up to."""

    pgstatginindex: PgStatGinIndex | None  #: None when block 0 is no GIN metapage
    nblocks: int
    pages_by_type: dict[str, int]
    deleted_pages: int
    entries: int  #: entry tuples on entry-tree leaves
    entries_by_category: dict[str, int]
    posting_trees: int
    inline_tids: int  #: TIDs in posting lists inside entry tuples
    tree_tids: int  #: TIDs on the posting-tree leaves reachable from their roots
    compressed_bytes: int  #: bytes of compressed segments (headers included), everywhere
    compressed_tids: int  #: TIDs in those segments
    pending_pages: int  #: pages on the pending list chain
    pending_tuples: int  #: index tuples on them
    pending_heap_tuples: int  #: distinct heap TIDs on them
    problems: tuple[str, ...] = ()

    @property
    def tids(self) -> int:
        return self.inline_tids + self.tree_tids

    @property
    def bytes_per_tid(self) -> float | None:
        """The compressed posting lists' size per TID (6 bytes uncompressed)."""
        return self.compressed_bytes / self.compressed_tids if self.compressed_tids else None


def scan_gin_index(source: PageSource, options: GinDecodeOptions | None = None) -> list[Page]:
    """Every main-fork page of a GIN index decoded (keys typed by ``options``)."""
    opts = options or GinDecodeOptions()
    return [decode_page(raw, gin=opts) for raw in source.pages("main")]


def _by_block(pages: Sequence[Page]) -> dict[int, Page]:
    return {p.blkno: p for p in pages}


def _meta(pages: Sequence[Page]) -> GinMetaPage | None:
    first = pages[0] if pages else None
    if isinstance(first, GinMetaPage) and first.meta is not None:
        return first
    return None


def pgstatginindex(pages: Sequence[Page]) -> PgStatGinIndex | None:
    """``pgstatginindex(index)`` from block 0 (None where it is no GIN metapage)."""
    meta = _meta(pages)
    if meta is None or meta.meta is None:
        return None
    m = meta.meta
    return PgStatGinIndex(m.ginVersion, m.nPendingPages, m.nPendingHeapTuples)


# ----------------------------------------------------------------------------------------------
# walking the trees


@dataclass(slots=True)
class _Walk:
    levels: list[list[int]] = field(default_factory=list)
    findings: list[GinFinding] = field(default_factory=list)
    leaves: list[int] = field(default_factory=list)


def _children(page: Page) -> list[int]:
    if isinstance(page, GinEntryPage) and page.page_type is GinPageType.ENTRY_INTERNAL:
        return [e.bi_block for e in page.entries if e.kind is EntryKind.DOWNLINK]
    if isinstance(page, GinDataPage) and page.page_type is GinPageType.DATA_INTERNAL:
        return [item.child_blkno for item in page.posting_items]
    return []


def _walk(root: int, by_block: dict[int, Page], data: bool, what: str) -> _Walk:
    """Level by level from ``root``: levels consistent, rightlinks chaining each level."""
    walk = _Walk()
    level = [root]
    seen: set[int] = set()
    internal_type = GinPageType.DATA_INTERNAL if data else GinPageType.ENTRY_INTERNAL
    leaf_type = GinPageType.DATA_LEAF if data else GinPageType.ENTRY_LEAF
    while level:
        walk.levels.append(level)
        pages = []
        for blkno in level:
            page = by_block.get(blkno)
            if (
                blkno in seen
                or not isinstance(page, GinPage)
                or page.page_type
                not in (
                    internal_type,
                    leaf_type,
                )
            ):
                kind = "seen before" if blkno in seen else getattr(page, "page_type", "missing")
                walk.findings.append(
                    GinFinding(
                        Severity.ERROR,
                        "gin-tree-link",
                        blkno,
                        f"{what}: a downlink to block {blkno}, which is {kind}, not a "
                        f"{'posting' if data else 'entry'}-tree page",
                    )
                )
                continue
            if page.deleted:
                walk.findings.append(
                    GinFinding(
                        Severity.ERROR,
                        "gin-tree-deleted",
                        blkno,
                        f"{what}: a downlink to a deleted page",
                    )
                )
            seen.add(blkno)
            pages.append(page)
        types = {p.page_type for p in pages}
        if len(types) > 1:
            walk.findings.append(
                GinFinding(
                    Severity.ERROR,
                    "gin-tree-levels",
                    level[0],
                    f"{what}: level {len(walk.levels) - 1} mixes internal and leaf pages "
                    f"(blocks {level})",
                )
            )
        for a, b in zip(pages, [*pages[1:], None], strict=True):
            assert a.opaque is not None
            want = b.blkno if b is not None else C.InvalidBlockNumber
            if a.opaque.rightlink != want:
                walk.findings.append(
                    GinFinding(
                        Severity.ERROR,
                        "gin-rightlink",
                        a.blkno,
                        f"{what}: rightlink {a.opaque.rightlink}, but the next page of its "
                        f"level is {'none (InvalidBlockNumber)' if b is None else b.blkno}",
                    )
                )
        nxt: list[int] = []
        for p in pages:
            if p.page_type is leaf_type:
                walk.leaves.append(p.blkno)
            else:
                nxt.extend(_children(p))
        level = nxt
    return walk


def _posting_tree_tids(
    root: int, by_block: dict[int, Page], findings: list[GinFinding] | None
) -> list[ItemPointer]:
    """Every TID of the posting tree at ``root``, leaf by leaf, with the bound checks."""
    walk = _walk(root, by_block, True, f"posting tree {root}")
    if findings is not None:
        findings.extend(walk.findings)
    bounds: dict[int, tuple[int | None, int | None]] = {}
    for level in walk.levels:
        for blkno in level:
            page = by_block.get(blkno)
            if not isinstance(page, GinDataPage) or page.page_type is not GinPageType.DATA_INTERNAL:
                continue
            low = bounds.get(blkno, (None, None))[0]
            for item in page.posting_items:
                high = None if item.infinite else tid_key(item.key)
                bounds[item.child_blkno] = (low, high)
                low = high
    out: list[ItemPointer] = []
    previous: int | None = None
    for blkno in walk.leaves:
        page = by_block[blkno]
        assert isinstance(page, GinDataPage)
        tids = page.tids
        low, high = bounds.get(blkno, (None, None))
        for tid in tids:
            key = tid_key(tid)
            if findings is not None and (
                (low is not None and key <= low) or (high is not None and key > high)
            ):
                findings.append(
                    GinFinding(
                        Severity.ERROR,
                        "gin-tid-bounds",
                        blkno,
                        f"posting tree {root}: TID {tid} lies outside its parent's bounds",
                    )
                )
                break
        if tids and previous is not None and tid_key(tids[0]) <= previous and findings is not None:
            findings.append(
                GinFinding(
                    Severity.ERROR,
                    "gin-tid-order",
                    blkno,
                    f"posting tree {root}: the leaf starts at {tids[0]}, not after the leaf before",
                )
            )
        if tids:
            previous = tid_key(tids[-1])
        out.extend(tids)
    return out


def _entry_leaves(
    by_block: dict[int, Page], findings: list[GinFinding] | None
) -> Iterator[GinEntryPage]:
    if C.GIN_ROOT_BLKNO not in by_block:
        return
    walk = _walk(C.GIN_ROOT_BLKNO, by_block, False, "entry tree")
    if findings is not None:
        findings.extend(walk.findings)
    for blkno in walk.leaves:
        page = by_block[blkno]
        assert isinstance(page, GinEntryPage)
        yield page


def _pending_chain(
    pages: Sequence[Page], by_block: dict[int, Page], findings: list[GinFinding] | None
) -> list[GinEntryPage]:
    meta = _meta(pages)
    out: list[GinEntryPage] = []
    if meta is None or meta.meta is None or not meta.meta.has_pending:
        return out
    m = meta.meta
    blkno = m.head
    seen: set[int] = set()
    while blkno != C.InvalidBlockNumber:
        page = by_block.get(blkno)
        if (
            blkno in seen
            or not isinstance(page, GinEntryPage)
            or page.page_type is not GinPageType.LIST
        ):
            if findings is not None:
                findings.append(
                    GinFinding(
                        Severity.ERROR,
                        "gin-pending-chain",
                        blkno,
                        "the pending list loops"
                        if blkno in seen
                        else "the pending list reaches a page that is not GIN_LIST",
                    )
                )
            break
        seen.add(blkno)
        out.append(page)
        assert page.opaque is not None
        blkno = page.opaque.rightlink
    if findings is not None:
        _pending_findings(m, out, findings)
    return out


def _pending_findings(m: object, chain: list[GinEntryPage], findings: list[GinFinding]) -> None:
    from pageinspect_py.decode.gin import GinMeta

    assert isinstance(m, GinMeta)
    if chain and chain[-1].blkno != m.tail:
        findings.append(
            GinFinding(
                Severity.ERROR,
                "gin-pending-tail",
                chain[-1].blkno,
                f"the pending list ends here, the metapage's tail is {m.tail}",
            )
        )
    if len(chain) != m.nPendingPages:
        findings.append(
            GinFinding(
                Severity.ERROR,
                "gin-pending-pages",
                0,
                f"nPendingPages {m.nPendingPages}, the chain has {len(chain)} pages",
            )
        )
    heap = sum(p.opaque.maxoff for p in chain if p.opaque is not None)
    if heap != m.nPendingHeapTuples:
        findings.append(
            GinFinding(
                Severity.ERROR,
                "gin-pending-tuples",
                0,
                f"nPendingHeapTuples {m.nPendingHeapTuples}, the chain's pages count {heap} "
                "heap tuples (maxoff)",
            )
        )
    if chain:
        tail = chain[-1]
        free = max(0, tail.header.pd_upper - tail.header.pd_lower)
        if tail.blkno == m.tail and free != m.tailFreeSize:
            findings.append(
                GinFinding(
                    Severity.WARNING,
                    "gin-pending-free",
                    tail.blkno,
                    f"tailFreeSize {m.tailFreeSize}, the tail page has {free} bytes free",
                )
            )


# ----------------------------------------------------------------------------------------------
# what the index holds


KeyId = tuple[int | None, int, str]


def gin_key_map(pages: Sequence[Page]) -> dict[KeyId, set[str]]:
    """Every key the index holds and the heap TIDs under it (``(attnum, category, text)`` ->
    TIDs as text): entry-tree leaves with their posting lists and posting trees, plus the
    pending list. Keys whose posting lists are empty (VACUUM left them) are left out."""
    by_block = _by_block(pages)
    out: dict[KeyId, set[str]] = {}
    for page in _entry_leaves(by_block, None):
        for entry in page.entries:
            if entry.kind is EntryKind.POSTING_TREE:
                tids = _posting_tree_tids(entry.bi_block, by_block, None)
            else:
                tids = list(entry.tids)
            if tids:
                out.setdefault(entry.key.map_key, set()).update(str(t) for t in tids)
    for page in _pending_chain(pages, by_block, None):
        for entry in page.entries:
            out.setdefault(entry.key.map_key, set()).add(str(entry.tids[0]))
    return out


def gin_index_statistics(pages: Sequence[Page]) -> GinIndexStatistics:
    """pgstatginindex() and our own figures over ``pages`` (every block, in block order)."""
    problems: list[str] = []
    if _meta(pages) is None:
        problems.append("block 0 is not a GIN metapage")
    by_block = _by_block(pages)
    types: dict[str, int] = {}
    deleted = 0
    compressed_bytes = compressed_tids = 0
    for page in pages:
        if not isinstance(page, GinPage) or page.page_type is None:
            types[str(page.kind)] = types.get(str(page.kind), 0) + 1
            continue
        name = str(page.page_type)
        types[name] = types.get(name, 0) + 1
        deleted += page.deleted
        if isinstance(page, GinDataPage) and not page.deleted:
            compressed_bytes += sum(s.size for s in page.segments)
            compressed_tids += sum(len(s.tids) for s in page.segments)
    entries = trees = inline = in_trees = 0
    categories: dict[str, int] = {}
    for page in _entry_leaves(by_block, None):
        for entry in page.entries:
            entries += 1
            cat = entry.key.category_name
            categories[cat] = categories.get(cat, 0) + 1
            if entry.kind is EntryKind.POSTING_TREE:
                trees += 1
                in_trees += len(_posting_tree_tids(entry.bi_block, by_block, None))
            else:
                inline += len(entry.tids)
                compressed_bytes += sum(s.size for s in entry.segments)
                compressed_tids += sum(len(s.tids) for s in entry.segments)
    chain = _pending_chain(pages, by_block, None)
    pending_tuples = sum(len(p.entries) for p in chain)
    heap = {str(e.tids[0]) for p in chain for e in p.entries}
    return GinIndexStatistics(
        pgstatginindex(pages),
        len(pages),
        dict(sorted(types.items())),
        deleted,
        entries,
        dict(sorted(categories.items())),
        trees,
        inline,
        in_trees,
        compressed_bytes,
        compressed_tids,
        len(chain),
        pending_tuples,
        len(heap),
        tuple(problems),
    )


def gin_index_findings(pages: Sequence[Page]) -> list[GinFinding]:
    """The cross-page findings listed in the module's docstring."""
    out: list[GinFinding] = []
    if _meta(pages) is None:
        out.append(GinFinding(Severity.ERROR, "gin-no-metapage", 0, "block 0 is no GIN metapage"))
    by_block = _by_block(pages)
    for page in _entry_leaves(by_block, out):
        for entry in page.entries:
            if entry.kind is EntryKind.POSTING_TREE:
                _posting_tree_tids(entry.bi_block, by_block, out)
    for any_page in pages:
        if isinstance(any_page, GinEntryPage) and any_page.page_type in (
            GinPageType.ENTRY_LEAF,
            GinPageType.ENTRY_INTERNAL,
        ):
            out.extend(_key_order(any_page))
    _pending_chain(pages, by_block, out)
    return out


def _key_order(page: GinEntryPage) -> Iterator[GinFinding]:
    entries = page.entries
    internal = page.page_type is GinPageType.ENTRY_INTERNAL
    if internal and page.opaque is not None and page.opaque.rightmost:
        # entryLocateEntry: the last key of the rightmost internal page is "right
        # infinity"; whatever it holds is never compared
        entries = entries[:-1]
    for a, b in itertools.pairwise(entries):
        order = compare_keys(a.key, b.key)
        if order is not None and order >= 0:
            yield GinFinding(
                Severity.ERROR,
                "gin-key-order",
                page.blkno,
                f"lp {b.offnum}: key {b.key.display()} does not sort after lp {a.offnum}'s "
                f"{a.key.display()}",
            )
            return


def gin_statistics_of(
    source: PageSource, options: GinDecodeOptions | None = None
) -> tuple[GinIndexStatistics, list[GinFinding]]:
    """Read, decode and sum a GIN index: its statistics and cross-page findings."""
    pages = scan_gin_index(source, options)
    return gin_index_statistics(pages), gin_index_findings(pages)
