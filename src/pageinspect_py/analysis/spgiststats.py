"""An SP-GiST index across its pages: the walk from the roots down to every leaf (what
``spgWalk`` in spgscan.c does: downlinks of inner tuples, REDIRECT tuples followed, leaf
chains through ``nextOffset``; every tuple of a root leaf page), statistics (pages by type,
tuples by state, leaf chains, free space and fill, depth, allTheSame inner tuples) and what the
pages say about each other (findings).

The walk also rebuilds each live leaf's value: for text_ops the path's prefixes and node
labels (a label > 0 is one byte: spg_text_inner_consistent) plus the leaf's suffix
(spg_text_leaf_consistent); for the point opclasses the leaf datum itself.

Roots: block 1 (SPGIST_ROOT_BLKNO) for non-null keys, block 2 (SPGIST_NULL_BLKNO) for NULL
keys; an inner root's tuple is at offset 1 (FirstOffsetNumber), as spgscan starts there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.analysis.findings import IndexFinding, Severity
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.catalog.types import BUILTIN_TYPES
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.output.base import TypeInfo
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.decode.spgist import (
    SpGistDeadTuple,
    SpGistDecodeOptions,
    SpGistInnerTuple,
    SpGistLeafTuple,
    SpGistPage,
    SpGistPageType,
    SpGistTuple,
    config_of,
    text_label_bytes,
)
from pageinspect_py.page.raw import PageSource

#: off.h: FirstOffsetNumber, where an inner root's tuple is
FIRST_OFFSET_NUMBER = 1
#: the walk's way of recording a finding: (code, block, message, offset)
_Find = Callable[..., None]


#: the cross-page findings of this access method (analysis/findings.py)
SpGistFinding = IndexFinding


@dataclass(frozen=True, slots=True)
class SpGistLeafValue:
    """A live leaf tuple reached from a root: its heap TID and value (text output; None for a
    NULL key, or when the opclass is not known)."""

    heap_tid: ItemPointer
    value: str | None
    isnull: bool
    block: int
    offset: int
    depth: int  #: inner tuples above it (0: on a root leaf page)


@dataclass(frozen=True, slots=True)
class SpGistWalk:
    """What the walk from the roots found."""

    leaves: tuple[SpGistLeafValue, ...]
    findings: tuple[SpGistFinding, ...]
    #: the length of every leaf chain reached (root leaf pages count each tuple as one chain)
    chain_lengths: tuple[int, ...]
    depth: int  #: the most inner tuples on a path down to a leaf
    inner_reached: int


@dataclass(frozen=True, slots=True)
class SpGistIndexStatistics:
    nblocks: int
    new_pages: int
    #: pages by type: meta, inner, leaf, deleted; nulls_inner / nulls_leaf for the nulls tree
    pages: dict[str, int]
    #: tuples by (page type, tupstate name): ("leaf", "LIVE"), ("inner", "REDIRECT") ...
    tuples: dict[str, int]
    all_the_same: int  #: allTheSame inner tuples
    free_bytes: int  #: pd_upper - pd_lower over inner and leaf pages
    usable_bytes: int  #: what those pages could hold (page size - header - special space)
    chain_lengths: dict[int, int]  #: leaf chain length -> number of chains
    depth: int
    live_leaves: int  #: live leaf tuples reached from the roots
    null_leaves: int  #: of which NULL keys (nulls tree)
    findings: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def fill(self) -> float:
        """Share of the inner and leaf pages' space in use."""
        if not self.usable_bytes:
            return 0.0
        return 1.0 - self.free_bytes / self.usable_bytes

    @property
    def longest_chain(self) -> int:
        return max(self.chain_lengths, default=0)


def _type_info(typname: str | None) -> TypeInfo | None:
    """A built-in type as the output functions see it (pg_type's facts from catalog.types)."""
    if typname is None or typname not in BUILTIN_TYPES:
        return None
    t = BUILTIN_TYPES[typname]
    return TypeInfo(t.typname, t.typlen, t.typalign, t.typbyval, typoid=t.oid)


def spgist_decode_options(opclass: str | None, major: int | None = None) -> SpGistDecodeOptions:
    """Decode options for an index whose key column has ``opclass`` (pg_opclass.opcname): the
    spgConfig types of the in-core opclasses (decode/spgist/opclass.py); any other opclass, or
    None, decodes datums as bytes."""
    config = config_of(opclass)
    if config is None:
        return SpGistDecodeOptions(opclass, major)
    return SpGistDecodeOptions(
        opclass,
        major,
        _type_info(config.prefixType),
        _type_info(config.labelType),
        _type_info(config.leafType),
    )


def spgist_index_options(
    index: IndexDescription | None, major: int | None = None
) -> SpGistDecodeOptions:
    """Decode options of the index ``index`` describes (its first key column's opclass)."""
    if index is None or not index.columns:
        return SpGistDecodeOptions(major=major)
    return spgist_decode_options(index.columns[0].opclass, major)


def scan_spgist_index(source: PageSource, options: SpGistDecodeOptions | None) -> list[Page]:
    """Every main-fork page of an SP-GiST index decoded with ``options``."""
    return [decode_page(raw, spgist=options) for raw in source.pages("main")]


# ----------------------------------------------------------------------------------------------
# the walk


class _Index:
    def __init__(self, pages: Sequence[Page]) -> None:
        self.pages: dict[int, SpGistPage] = {p.blkno: p for p in pages if isinstance(p, SpGistPage)}
        self._tuples: dict[int, dict[int, SpGistTuple]] = {}
        self.nblocks = max((p.blkno for p in pages), default=-1) + 1

    def tuples(self, blkno: int) -> dict[int, SpGistTuple]:
        got = self._tuples.get(blkno)
        if got is None:
            page = self.pages.get(blkno)
            got = {t.offnum: t for t in page.tuples()} if page is not None else {}
            self._tuples[blkno] = got
        return got


def _leaf_value(tup: SpGistLeafTuple, path: bytes | None, opclass: str | None) -> str | None:
    if tup.isnull or tup.datum is None:
        return None
    config = config_of(opclass)
    if config is None:
        return None
    if config.reconstructs:
        suffix = tup.datum.value if isinstance(tup.datum.value, bytes) else b""
        return ((path or b"") + suffix).decode("utf-8", "replace")
    return tup.datum.text


def walk_spgist(pages: Sequence[Page]) -> SpGistWalk:
    """Walk from both roots down to every leaf (see the module docstring)."""
    index = _Index(pages)
    findings: list[SpGistFinding] = []
    leaves: list[SpGistLeafValue] = []
    chains: list[int] = []
    seen_leaf: dict[tuple[int, int], int] = {}
    seen_inner: set[tuple[int, int]] = set()
    depth_max = 0
    opclass = next((p.opclass for p in index.pages.values() if p.opclass), None)
    config = config_of(opclass)

    def find(code: str, block: int | None, msg: str, off: int | None = None) -> None:
        findings.append(SpGistFinding(Severity.ERROR, code, block, msg, off))

    # (block, offset, path bytes, depth, nulls tree, what pointed here)
    stack: list[tuple[int, int, bytes, int, bool, str]] = []
    for root, nulls in ((C.SPGIST_ROOT_BLKNO, False), (C.SPGIST_NULL_BLKNO, True)):
        if root in index.pages:
            stack.append((root, FIRST_OFFSET_NUMBER, b"", 0, nulls, "the root"))
        elif root < index.nblocks:
            find("spgist-root", root, "the root block is not a decoded SP-GiST page")
    while stack:
        blkno, offnum, path, depth, nulls, origin = stack.pop()
        page = index.pages.get(blkno)
        if page is None:
            find("spgist-downlink", blkno, f"{origin} points at block {blkno}, not an SP-GiST page")
            continue
        if page.page_type in (SpGistPageType.META, SpGistPageType.DELETED):
            find("spgist-downlink", blkno, f"{origin} points at a {page.page_type} page", offnum)
            continue
        if page.stores_nulls != nulls:
            find(
                "spgist-tree",
                blkno,
                f"{origin} crosses between the nulls tree and the other tree",
                offnum,
            )
        tuples = index.tuples(blkno)
        if page.page_type is SpGistPageType.LEAF:
            if blkno in (C.SPGIST_ROOT_BLKNO, C.SPGIST_NULL_BLKNO) and origin == "the root":
                # when the root is a leaf page, all its tuples are examined (not chained)
                for tup in tuples.values():
                    if isinstance(tup, SpGistLeafTuple):
                        _reach(tup, blkno, path, depth, opclass, seen_leaf, leaves, find)
                        chains.append(1)
                        depth_max = max(depth_max, depth)
                continue
            length = 0
            visited: set[int] = set()
            current = offnum
            while current:
                if current in visited:
                    find(
                        "spgist-chain-cycle", blkno, f"the leaf chain from {offnum} loops", current
                    )
                    break
                visited.add(current)
                chained = tuples.get(current)
                if chained is None:
                    find(
                        "spgist-chain",
                        blkno,
                        f"{origin if current == offnum else 'a nextOffset'} names offset "
                        f"{current}, not a tuple of this page",
                        current,
                    )
                    break
                if isinstance(chained, SpGistDeadTuple):
                    if current != offnum:
                        find(
                            "spgist-chain",
                            blkno,
                            f"a {chained.state} tuple inside a leaf chain (only its head may be)",
                            current,
                        )
                    elif chained.is_redirect:
                        _follow(chained, path, depth, nulls, stack, index, find, blkno)
                    elif chained.tupstate == C.SPGIST_PLACEHOLDER:
                        find("spgist-chain", blkno, f"{origin} points at a PLACEHOLDER", current)
                    break
                if isinstance(chained, SpGistInnerTuple):
                    find("spgist-chain", blkno, "an inner tuple on a leaf page", current)
                    break
                _reach(chained, blkno, path, depth, opclass, seen_leaf, leaves, find)
                length += 1
                current = chained.nextOffset
            if length:
                chains.append(length)
                depth_max = max(depth_max, depth)
            continue
        # an inner page
        target = tuples.get(offnum)
        if target is None:
            find("spgist-downlink", blkno, f"{origin} names offset {offnum}: no tuple", offnum)
            continue
        if isinstance(target, SpGistDeadTuple):
            if target.is_redirect:
                _follow(target, path, depth, nulls, stack, index, find, blkno)
            else:
                find("spgist-downlink", blkno, f"{origin} points at a {target.state} tuple", offnum)
            continue
        if isinstance(target, SpGistLeafTuple):
            find("spgist-downlink", blkno, f"{origin} points at a leaf tuple on an inner page")
            continue
        if (blkno, offnum) in seen_inner:
            find("spgist-inner-twice", blkno, "an inner tuple reached twice", offnum)
            continue
        seen_inner.add((blkno, offnum))
        prefix = b""
        if config is not None and config.reconstructs and target.prefix is not None:
            value = target.prefix.value
            prefix = value if isinstance(value, bytes) else b""
        for node in target.nodes:
            if not node.has_downlink:
                continue
            label = node.label.value if node.label is not None else None
            add = text_label_bytes(label if isinstance(label, int) else None)
            stack.append(
                (
                    node.t_tid.block,
                    node.t_tid.offset,
                    path + prefix + add if config is not None and config.reconstructs else b"",
                    depth + 1,
                    nulls,
                    f"node {node.index} of ({blkno},{offnum})",
                )
            )
    # every live leaf reachable exactly once
    for blkno, page in index.pages.items():
        for leaf in page.leaf_tuples:
            count = seen_leaf.get((blkno, leaf.offnum), 0)
            if count == 0:
                find("spgist-unreachable", blkno, "a live leaf tuple no root reaches", leaf.offnum)
    leaves.sort(key=lambda v: (v.block, v.offset))
    return SpGistWalk(tuple(leaves), tuple(findings), tuple(chains), depth_max, len(seen_inner))


def _reach(
    tup: SpGistLeafTuple,
    blkno: int,
    path: bytes,
    depth: int,
    opclass: str | None,
    seen: dict[tuple[int, int], int],
    leaves: list[SpGistLeafValue],
    find: _Find,
) -> None:
    key = (blkno, tup.offnum)
    seen[key] = seen.get(key, 0) + 1
    if seen[key] > 1:
        find("spgist-leaf-twice", blkno, "a leaf tuple reached more than once", tup.offnum)
        return
    leaves.append(
        SpGistLeafValue(
            tup.heapPtr, _leaf_value(tup, path, opclass), tup.isnull, blkno, tup.offnum, depth
        )
    )


def _follow(
    tup: SpGistDeadTuple,
    path: bytes,
    depth: int,
    nulls: bool,
    stack: list[tuple[int, int, bytes, int, bool, str]],
    index: _Index,
    find: _Find,
    blkno: int,
) -> None:
    """A REDIRECT: the walk goes on at its pointer (a real tuple of a real page)."""
    target = tup.pointer
    if target.block >= index.nblocks or target.block not in index.pages:
        find("spgist-redirect", blkno, f"REDIRECT to {target}: no such page", tup.offnum)
        return
    if target.offset not in index.tuples(target.block):
        find("spgist-redirect", blkno, f"REDIRECT to {target}: no such tuple", tup.offnum)
        return
    stack.append(
        (target.block, target.offset, path, depth, nulls, f"the REDIRECT at ({blkno},{tup.offnum})")
    )


# ----------------------------------------------------------------------------------------------
# findings and statistics


def spgist_index_findings(
    pages: Sequence[Page], walk: SpGistWalk | None = None
) -> list[SpGistFinding]:
    """Cross-page findings: the walk's (downlinks, chains, redirects, reachability), the
    metapage's cache against the pages it names, and every REDIRECT's target."""
    walk = walk or walk_spgist(pages)
    index = _Index(pages)
    out = list(walk.findings)
    meta_page = index.pages.get(C.SPGIST_METAPAGE_BLKNO)
    new_blocks = {p.blkno for p in pages if p.kind is PageKind.NEW}
    if meta_page is None or meta_page.meta is None:
        out.append(SpGistFinding(Severity.ERROR, "spgist-meta", 0, "block 0 is not a metapage"))
    else:
        for cached in meta_page.meta.cachedPage:
            if not cached.in_use:
                continue
            page = index.pages.get(cached.blkno)
            where = f"cachedPage[{cached.index}] ({cached.role}) names block {cached.blkno}"
            if cached.blkno >= index.nblocks:
                out.append(
                    SpGistFinding(Severity.ERROR, "spgist-meta-cache", 0, where + ": past the end")
                )
            elif page is None and cached.blkno not in new_blocks:
                out.append(
                    SpGistFinding(
                        Severity.WARNING, "spgist-meta-cache", 0, where + ": not an SP-GiST page"
                    )
                )
            # else: the cache may be stale, and SpGistGetBuffer (spgutils.c) allows for it: a
            # new, deleted or empty page named there is initialised for the use wanted, one of
            # another type is forgotten -- a healthy index shows both after VACUUM
    for blkno, page in index.pages.items():
        for dead in page.dead_tuples:
            if not dead.is_redirect:
                continue
            target = dead.pointer
            tuples = index.tuples(target.block) if target.block in index.pages else {}
            if target.offset not in tuples:
                out.append(
                    SpGistFinding(
                        Severity.ERROR,
                        "spgist-redirect",
                        blkno,
                        f"REDIRECT to {target}: not a tuple of the index",
                        dead.offnum,
                    )
                )
    # the walk reports each problem once; drop repeats of the same redirect check
    unique: list[SpGistFinding] = []
    for f in out:
        if f not in unique:
            unique.append(f)
    return unique


def spgist_index_statistics(pages: Sequence[Page]) -> SpGistIndexStatistics:
    """Pages by type, tuples by state, leaf chains, free space, depth, allTheSame."""
    walk = walk_spgist(pages)
    counts: Counter[str] = Counter()
    tuples: Counter[str] = Counter()
    same = free = usable = new = 0
    for page in pages:
        if page.kind is PageKind.NEW:
            new += 1
            continue
        if not isinstance(page, SpGistPage):
            counts["other"] += 1
            continue
        kind = str(page.page_type)
        if page.stores_nulls and kind in ("inner", "leaf"):
            kind = f"nulls_{kind}"
        counts[kind] += 1
        if page.page_type in (SpGistPageType.INNER, SpGistPageType.LEAF):
            free += max(0, page.header.pd_upper - page.header.pd_lower)
            usable += page.size - C.SizeOfPageHeaderData - (page.size - page.header.pd_special)
        where = "leaf" if page.page_type is SpGistPageType.LEAF else "inner"
        for tup in page.tuples():
            tuples[f"{where} {tup.state}"] += 1
        same += sum(1 for t in page.inner_tuples if t.allTheSame)
    findings = spgist_index_findings(pages, walk)
    return SpGistIndexStatistics(
        nblocks=len(pages),
        new_pages=new,
        pages=dict(counts),
        tuples=dict(tuples),
        all_the_same=same,
        free_bytes=free,
        usable_bytes=usable,
        chain_lengths=dict(sorted(Counter(walk.chain_lengths).items())),
        depth=walk.depth,
        live_leaves=len(walk.leaves),
        null_leaves=sum(1 for v in walk.leaves if v.isnull),
        findings=len(findings),
    )
