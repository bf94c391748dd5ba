"""A GiST index across its pages: ``pgstattuple()`` of the index computed offline, the tree
walked from the root, and what the pages say about each other.

``pgstattuple`` (``contrib/pgstattuple/pgstattuple.c``: pgstat_index, pgstat_gist_page,
pgstat_index_page) starts at block 1 (``GIST_ROOT_BLKNO + 1``: the root is never counted),
raises on a page gistcheckpage rejects (an all-zero page, a special space that is not 16
bytes), and for every page with F_LEAF (deleted leaves too) adds PageGetFreeSpace and every
line pointer up to PageGetMaxOffsetNumber: LP_DEAD ones as dead tuples, the rest as live,
each by lp_len. A deleted page of 13+ has pd_lower just past GISTDeletedPageContents, so its
8 bytes count as two "line pointers" (the server reads them so too). ``table_len`` is
``nblocks * BLCKSZ``; the percentages are printed with ``%.2f`` and read back as float8.

Our own view (:class:`GistIndexStatistics`): pages per level from the root (block 0,
``GIST_ROOT_BLKNO``), leaf fill, dead items, deleted pages. Findings
(:func:`gist_index_findings`): downlinks inside the index, every page that is not deleted
reached from the root exactly once, levels consistent, no downlink to a deleted page,
right links inside the index, NSNs no later than the page LSN, leaf heap TIDs valid.

:func:`gist_options` builds the decoder's options from an IndexDescription (the index's
tuple descriptor, with the built-in range types' subtypes so range keys print).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.analysis.findings import IndexFinding, Severity
from pageinspect_py.catalog.attributes import (
    TYPTYPE_BASE,
    TYPTYPE_RANGE,
    TypeCatalog,
    TypeEntry,
)
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.gist import GistColumn, GistDecodeOptions, GistPage
from pageinspect_py.decode.output import TypeInfo
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.page.items import item_id_count, item_id_words, split_item_id
from pageinspect_py.page.raw import PageSource

# ----------------------------------------------------------------------------------------------
# the options

#: pg_range.dat / pg_type.dat: the built-in range types and their subtypes (fixed OIDs)
_BUILTIN_RANGES: tuple[tuple[int, str, int], ...] = (
    (3904, "int4range", 23),
    (3926, "int8range", 20),
    (3906, "numrange", 1700),
    (3908, "tsrange", 1114),
    (3910, "tstzrange", 1184),
    (3912, "daterange", 1082),
)
_BUILTIN_SUBTYPES: tuple[TypeEntry, ...] = (
    TypeEntry(23, "int4", TYPTYPE_BASE, 4, "i", True),
    TypeEntry(20, "int8", TYPTYPE_BASE, 8, "d", True),
    TypeEntry(1700, "numeric", TYPTYPE_BASE, -1, "i", False),
    TypeEntry(1114, "timestamp", TYPTYPE_BASE, 8, "d", True),
    TypeEntry(1184, "timestamptz", TYPTYPE_BASE, 8, "d", True),
    TypeEntry(1082, "date", TYPTYPE_BASE, 4, "i", True),
)


def builtin_range_catalog() -> TypeCatalog:
    """The type catalog of the built-in range types (int4range ... daterange)."""
    entries = {e.oid: e for e in _BUILTIN_SUBTYPES}
    for oid, name, sub in _BUILTIN_RANGES:
        entries[oid] = TypeEntry(
            oid,
            name,
            TYPTYPE_RANGE,
            -1,
            "d" if sub in (20, 1114, 1184) else "i",
            False,
            rngsubtype=sub,
        )
    return TypeCatalog(entries)


def gist_options(index: IndexDescription, catalog: TypeCatalog | None = None) -> GistDecodeOptions:
    """The decode options of a GiST index described by ``index`` (its pg_attribute rows:
    the stored types). ``catalog`` types user-defined keys (enums, ranges, composites); the
    built-in range types are known without it."""
    types = catalog if catalog is not None else builtin_range_catalog()
    columns = []
    for column in index.columns:
        a = column.attribute
        columns.append(
            GistColumn(
                attnum=a.attnum,
                name=a.attname,
                typname=a.typname,
                attlen=a.attlen,
                attalign=a.attalign,
                info=TypeInfo.of(a, types),
                key=column.key,
                opclass=column.opclass,
            )
        )
    return GistDecodeOptions(tuple(columns))


def scan_gist_index(source: PageSource, options: GistDecodeOptions | None = None) -> list[Page]:
    """Every main-fork page of a GiST index decoded (keys typed when ``options`` say how)."""
    return [decode_page(raw, gist=options) for raw in source.pages("main")]


# ----------------------------------------------------------------------------------------------
# pgstattuple


@dataclass(frozen=True, slots=True)
class PgStatTuple:
    """``pgstattuple(index)``: its columns."""

    table_len: int
    tuple_count: int
    tuple_len: int
    tuple_percent: float
    dead_tuple_count: int
    dead_tuple_len: int
    dead_tuple_percent: float
    free_space: int
    free_percent: float


def _percent(part: int, whole: int) -> float:
    """``%.2f`` of 100 * part / whole, read back as float8 (build_pgstattuple_type)."""
    return float(f"{100.0 * part / whole:.2f}") if whole else 0.0


def _free_space(lower: int, upper: int) -> int:
    """PageGetFreeSpace: the hole minus one line pointer, at least 0."""
    space = upper - lower
    return space - C.SizeOfItemIdData if space >= C.SizeOfItemIdData else 0


#: the first major whose pgstat_index_page counts PageGetExactFreeSpace (the whole hole)
#: instead of PageGetFreeSpace (the hole minus one line pointer): the fixtures of 18 say so
EXACT_FREE_SPACE_MAJOR = 18


def pgstattuple(
    pages: Sequence[Page], block_size: int = C.BLCKSZ, *, major: int | None = None
) -> PgStatTuple | None:
    """``pgstattuple(index)`` of a GiST index from its pages (every block, in order); None
    where the server raises (gistcheckpage: an all-zero page, a bad special space).
    ``major`` chooses the free-space rule (18+: exact); None: the rule of 12 to 17."""
    exact = major is not None and major >= EXACT_FREE_SPACE_MAJOR
    live = live_len = dead = dead_len = free = 0
    for page in pages[C.GIST_ROOT_BLKNO + 1 :]:
        if page.kind is PageKind.NEW:
            return None  # "index ... contains unexpected zero page"
        if page.size - page.header.pd_special != C.SizeOfGISTPageOpaqueData:
            return None  # "index ... contains corrupted page"
        flags = int.from_bytes(page.data[page.size - 4 : page.size - 2], "little")
        if not flags & C.F_LEAF:
            continue
        h = page.header
        free += max(0, h.pd_upper - h.pd_lower) if exact else _free_space(h.pd_lower, h.pd_upper)
        count, _ = item_id_count(h.pd_lower, page.size)
        for word in item_id_words(page.data, count):
            _off, lp_flags, lp_len = split_item_id(word)
            if lp_flags == C.LP_DEAD:
                dead += 1
                dead_len += lp_len
            else:
                live += 1
                live_len += lp_len
    table_len = len(pages) * block_size
    return PgStatTuple(
        table_len=table_len,
        tuple_count=live,
        tuple_len=live_len,
        tuple_percent=_percent(live_len, table_len),
        dead_tuple_count=dead,
        dead_tuple_len=dead_len,
        dead_tuple_percent=_percent(dead_len, table_len),
        free_space=free,
        free_percent=_percent(free, table_len),
    )


# ----------------------------------------------------------------------------------------------
# our statistics


@dataclass(frozen=True, slots=True)
class GistIndexStatistics:
    """pgstattuple() and what the tree adds up to."""

    #: None where the server raises
    pgstattuple: PgStatTuple | None
    nblocks: int
    #: pages per level, counted from the root (level 0) down the downlinks
    pages_per_level: tuple[int, ...]
    leaf_pages: int
    internal_pages: int
    deleted_pages: int
    new_pages: int
    leaf_items: int
    dead_items: int  #: LP_DEAD items on leaves
    #: bytes of leaf tuples (lp_len) over the space leaves have for them (pd_special - 24)
    leaf_fill: float
    #: blocks reached from the root by no downlink (deleted and new pages excluded)
    unreachable: tuple[int, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def height(self) -> int:
        return len(self.pages_per_level)


def _gist_pages(pages: Sequence[Page]) -> dict[int, GistPage]:
    return {p.blkno: p for p in pages if isinstance(p, GistPage)}


def _walk(pages: Sequence[Page]) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Breadth-first from the root: ``{block: level}`` of the first visit and
    ``{block: [parents]}`` of every downlink to it."""
    by_block = _gist_pages(pages)
    levels: dict[int, int] = {}
    parents: dict[int, list[int]] = {}
    root = by_block.get(C.GIST_ROOT_BLKNO)
    if root is None:
        return levels, parents
    levels[root.blkno] = 0
    queue = [root.blkno]
    while queue:
        blkno = queue.pop(0)
        page = by_block.get(blkno)
        if page is None or page.is_leaf or page.is_deleted:
            continue
        for child in page.downlinks:
            parents.setdefault(child, []).append(blkno)
            if child not in levels and child in by_block:
                levels[child] = levels[blkno] + 1
                queue.append(child)
    return levels, parents


def gist_index_statistics(
    pages: Sequence[Page], *, major: int | None = None
) -> GistIndexStatistics:
    """pgstattuple() (of ``major``, see :func:`pgstattuple`) and the tree's shape over
    ``pages`` (every block of the index)."""
    by_block = _gist_pages(pages)
    levels, _ = _walk(pages)
    depth = max(levels.values(), default=-1) + 1
    per_level = [0] * depth
    for level in levels.values():
        per_level[level] += 1
    leaves = [p for p in by_block.values() if p.is_leaf and not p.is_deleted]
    internal = [p for p in by_block.values() if not p.is_leaf and not p.is_deleted]
    deleted = [p for p in by_block.values() if p.is_deleted]
    new = sum(1 for p in pages if p.kind is PageKind.NEW)
    used = sum(lp.lp_len for p in leaves for lp in p.line_pointers)
    room = sum(p.header.pd_special - C.SizeOfPageHeaderData for p in leaves)
    problems = []
    if C.GIST_ROOT_BLKNO not in by_block:
        problems.append("block 0 (the root) is not a GiST page")
    unreachable = tuple(
        b for b, p in sorted(by_block.items()) if b not in levels and not p.is_deleted
    )
    return GistIndexStatistics(
        pgstattuple=pgstattuple(pages, major=major),
        nblocks=len(pages),
        pages_per_level=tuple(per_level),
        leaf_pages=len(leaves),
        internal_pages=len(internal),
        deleted_pages=len(deleted),
        new_pages=new,
        leaf_items=sum(len(p.items) for p in leaves),
        dead_items=sum(p.dead_items for p in leaves),
        leaf_fill=used / room if room > 0 else 0.0,
        unreachable=unreachable,
        problems=tuple(problems),
    )


# ----------------------------------------------------------------------------------------------
# across pages


#: the cross-page findings of this access method (analysis/findings.py)
GistFinding = IndexFinding


@dataclass
class _Findings:
    out: list[GistFinding] = field(default_factory=list)

    def error(self, code: str, block: int | None, message: str) -> None:
        self.out.append(GistFinding(Severity.ERROR, code, block, message))

    def warning(self, code: str, block: int | None, message: str) -> None:
        self.out.append(GistFinding(Severity.WARNING, code, block, message))


def gist_index_findings(
    pages: Sequence[Page], *, heap_blocks: int | None = None
) -> list[GistFinding]:
    """The tree from the root (each page's own diagnostics are the decoder's):

    * every downlink names a block inside the index that is a GiST page, not deleted;
    * every page that is not deleted (or new) is reached from the root exactly once;
    * an internal page's children are all leaves or all internal pages, and every leaf is at
      the same depth;
    * right links stay inside the index; an NSN is no later than its page's LSN;
    * leaf heap TIDs have valid offsets (the decoder reports each bad one), lie inside the
      table when its size is known (``heap_blocks``), and no heap TID is on two live leaf
      items (an index holds each heap tuple once; a TID is reused only after VACUUM removed
      its old entries).
    """
    f = _Findings()
    by_block = _gist_pages(pages)
    n = len(pages)
    root = by_block.get(C.GIST_ROOT_BLKNO)
    if root is None:
        f.error("gist-no-root", C.GIST_ROOT_BLKNO, "block 0 (GIST_ROOT_BLKNO) is no GiST page")
        return f.out
    if root.is_deleted:
        f.error("gist-root-deleted", root.blkno, "the root page is deleted")
    levels, parents = _walk(pages)
    for child, from_blocks in sorted(parents.items()):
        if child >= n:
            for parent in from_blocks:
                f.error(
                    "gist-downlink-range",
                    parent,
                    f"downlink to block {child}, past the index's {n} blocks",
                )
            continue
        target = by_block.get(child)
        if target is None:
            f.error(
                "gist-downlink-target",
                from_blocks[0],
                f"downlink to block {child}, which is not a GiST page ({pages[child].kind})",
            )
            continue
        if target.is_deleted:
            f.error(
                "gist-downlink-deleted",
                from_blocks[0],
                f"downlink to block {child}, a deleted page",
            )
        if len(from_blocks) > 1:
            f.error(
                "gist-downlink-shared",
                child,
                f"reached by {len(from_blocks)} downlinks (from blocks "
                f"{', '.join(map(str, from_blocks))})",
            )
        if child == C.GIST_ROOT_BLKNO:
            f.error("gist-downlink-root", from_blocks[0], "a downlink to the root")
    for blkno, page in sorted(by_block.items()):
        if page.is_deleted:
            continue
        if blkno not in levels:
            f.error("gist-unreachable", blkno, "a page no downlink from the root reaches")
    f.out.extend(_level_findings(by_block, levels))
    f.out.extend(_link_findings(by_block, n))
    f.out.extend(_heap_tid_findings(by_block, heap_blocks))
    return f.out


def _heap_tid_findings(
    by_block: dict[int, GistPage], heap_blocks: int | None
) -> Iterable[GistFinding]:
    seen: dict[tuple[int, int], int] = {}
    for blkno, page in sorted(by_block.items()):
        if not page.is_leaf or page.is_deleted:
            continue
        for item in page.items:
            tid = item.heap_tid
            if tid is None or item.dead:
                continue
            if heap_blocks is not None and tid.block >= heap_blocks:
                yield GistFinding(
                    Severity.ERROR,
                    "gist-heap-tid-range",
                    blkno,
                    f"item {item.offnum}: heap TID {tid} is past the table's {heap_blocks} blocks",
                )
            key = (tid.block, tid.offset)
            if key in seen:
                yield GistFinding(
                    Severity.WARNING,
                    "gist-heap-tid-twice",
                    blkno,
                    f"item {item.offnum}: heap TID {tid} is also on leaf block {seen[key]}",
                )
            else:
                seen[key] = blkno


def _level_findings(by_block: dict[int, GistPage], levels: dict[int, int]) -> Iterable[GistFinding]:
    leaf_levels = {levels[b] for b, p in by_block.items() if b in levels and p.is_leaf}
    if len(leaf_levels) > 1:
        yield GistFinding(
            Severity.ERROR,
            "gist-leaf-depth",
            None,
            f"leaves at different depths from the root: {sorted(leaf_levels)}",
        )
    for blkno, page in sorted(by_block.items()):
        if page.is_leaf or page.is_deleted or blkno not in levels:
            continue
        children = [by_block[c] for c in page.downlinks if c in by_block]
        kinds = {c.is_leaf for c in children if not c.is_deleted}
        if len(kinds) > 1:
            yield GistFinding(
                Severity.ERROR,
                "gist-level",
                blkno,
                "an internal page whose children are leaves and internal pages both",
            )
        if not page.items:
            yield GistFinding(
                Severity.WARNING, "gist-empty-internal", blkno, "an internal page with no items"
            )


def _link_findings(by_block: dict[int, GistPage], n: int) -> Iterable[GistFinding]:
    for blkno, page in sorted(by_block.items()):
        o = page.opaque
        if o is None:
            continue
        if o.has_rightlink and o.rightlink >= n:
            yield GistFinding(
                Severity.ERROR,
                "gist-rightlink",
                blkno,
                f"rightlink {o.rightlink} is past the index's {n} blocks",
            )
        elif o.has_rightlink and o.rightlink in by_block:
            right = by_block[o.rightlink]
            if right.is_leaf != page.is_leaf and not right.is_deleted and not page.is_deleted:
                yield GistFinding(
                    Severity.WARNING,
                    "gist-rightlink-level",
                    blkno,
                    f"rightlink {o.rightlink} is a {right.page_type} page, this a "
                    f"{page.page_type} page (a split links pages of one level)",
                )
        if o.nsn > page.header.pd_lsn:
            yield GistFinding(
                Severity.WARNING,
                "gist-nsn",
                blkno,
                f"NSN {o.nsn_text} is later than the page LSN {page.header.lsn}",
            )
        if o.follow_right:
            yield GistFinding(
                Severity.WARNING,
                "gist-follow-right",
                blkno,
                "F_FOLLOW_RIGHT: an incomplete split (the right page has no downlink yet)",
            )


def gist_statistics_of(
    source: PageSource, options: GistDecodeOptions | None = None, *, major: int | None = None
) -> tuple[GistIndexStatistics, list[GistFinding]]:
    """Read, decode and sum a GiST index: its statistics and cross-page findings."""
    pages = scan_gist_index(source, options)
    return gist_index_statistics(pages, major=major), gist_index_findings(pages)


def gist_index_options(source: PageSource) -> GistDecodeOptions | None:
    """Untyped options when block 0 of ``source`` is a GiST page, else None (GiST has no
    metapage: the types come from the catalog, :func:`gist_options`)."""
    if not source.nblocks("main"):
        return None
    page = decode_page(source.read_page(0, "main"))
    return GistDecodeOptions() if isinstance(page, GistPage) else None
