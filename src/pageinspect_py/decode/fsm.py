"""Free space map pages (``storage/freespace/fsmpage.c``, ``freespace.c``, ``fsm_internals.h``).

An FSM page holds a binary max-tree of one-byte free-space categories after the page header:
``FSMPageData = { int fp_next_slot; uint8 fp_nodes[]; }``. The first ``NonLeafNodesPerPage``
nodes are inner nodes, the rest leaves. On the bottom level each leaf is one heap block's
category (free bytes / (BLCKSZ / 256)).

The tree's shape follows from the page size. A page too small to hold ``fp_next_slot`` and one
leaf (fewer than 55 bytes; a real one is a block, 1 to 32 kB) has no tree: it decodes to its
bytes, with no level, logical page or leaves, and a diagnostic when a log is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Region, RegionKind, Span

if TYPE_CHECKING:
    from pageinspect_py.decode.page import DiagnosticLog

_FP_NEXT_SLOT = Span(C.SizeOfPageHeaderData, C.FSM_NODES_OFFSET)


@dataclass(frozen=True, slots=True)
class FsmGeometry:
    """The FSM tree shape for one block size."""

    block_size: int

    @property
    def nodes_per_page(self) -> int:
        return self.block_size - C.FSM_NODES_OFFSET

    @property
    def non_leaf_nodes_per_page(self) -> int:
        return self.block_size // 2 - 1

    @property
    def slots_per_page(self) -> int:
        """LeafNodesPerPage / SlotsPerFSMPage."""
        return self.nodes_per_page - self.non_leaf_nodes_per_page

    @property
    def has_tree(self) -> bool:
        """The page holds at least one leaf, so that FSM blocks map to tree positions."""
        return self.slots_per_page >= 1

    @property
    def tree_depth(self) -> int:
        """FSM_TREE_DEPTH: enough levels to address 2^32 heap blocks."""
        return 3 if self.slots_per_page >= 1626 else 4

    @property
    def category_step(self) -> int:
        """FSM_CAT_STEP: bytes of free space per category."""
        return self.block_size // 256

    def logical_to_physical(self, level: int, logpageno: int) -> int:
        """fsm_logical_to_physical: the FSM fork block of page ``logpageno`` at ``level``."""
        leafno = logpageno * self.slots_per_page**level
        pages = 0
        for _ in range(self.tree_depth):
            pages += leafno + 1
            leafno //= self.slots_per_page
        return pages - level - 1

    def physical_to_logical(self, blkno: int) -> tuple[int, int] | None:
        """``(level, logpageno)`` of FSM fork block ``blkno`` (level 0 holds heap blocks);
        None when the geometry has no tree or the block no place in it."""
        if not self.has_tree or blkno < 0:
            return None
        for level in range(self.tree_depth):
            low, high = 0, blkno + 1
            while low < high:  # logical_to_physical is increasing in logpageno
                mid = (low + high) // 2
                if self.logical_to_physical(level, mid) < blkno:
                    low = mid + 1
                else:
                    high = mid
            if self.logical_to_physical(level, low) == blkno:
                return level, low
        return None


@dataclass(frozen=True, slots=True)
class FsmLeaf:
    slot: int
    category: int
    heap_block: int | None  #: the heap block this leaf describes (bottom level only)
    free_bytes_at_least: int  #: category x FSM_CAT_STEP


@dataclass(frozen=True, slots=True)
class FsmContents:
    fp_next_slot: int | None  #: None when the page ends before it
    fp_nodes: bytes = field(repr=False)
    geometry: FsmGeometry
    level: int | None  #: None: the page has no tree (too small), or the block no place in it
    logpageno: int | None

    def contents_text(self) -> str:
        """Exactly what ``fsm_page_contents()`` prints."""
        lines = [f"{i}: {value}" for i, value in enumerate(self.fp_nodes) if value]
        lines.append(f"fp_next_slot: {self.fp_next_slot}")
        return "\n".join(lines) + "\n"

    def leaves(self) -> tuple[FsmLeaf, ...]:
        if self.level is None or self.logpageno is None:
            return ()
        first = self.geometry.non_leaf_nodes_per_page
        out = []
        for slot, category in enumerate(self.fp_nodes[first:]):
            heap_block = (
                self.logpageno * self.geometry.slots_per_page + slot if self.level == 0 else None
            )
            out.append(FsmLeaf(slot, category, heap_block, category * self.geometry.category_step))
        return tuple(out)

    def inconsistent_nodes(self) -> tuple[int, ...]:
        """Inner nodes that are not the max of their children (fsmpage.c repairs these)."""
        nodes = self.fp_nodes
        bad = []
        for i in range(min(self.geometry.non_leaf_nodes_per_page, len(nodes))):
            children = [nodes[c] for c in (2 * i + 1, 2 * i + 2) if c < len(nodes)]
            if children and nodes[i] != max(children):
                bad.append(i)
        return tuple(bad)


def decode_fsm_contents(data: bytes, blkno: int, log: DiagnosticLog | None = None) -> FsmContents:
    """The FSMPageData of ``data``, FSM fork block ``blkno``. Never raises: a page too small
    for a tree, or a block with no place in it, has no level and no leaves (an error in
    ``log``)."""
    geometry = FsmGeometry(len(data))
    next_slot = None
    if len(data) >= _FP_NEXT_SLOT.stop:
        next_slot = int.from_bytes(
            data[_FP_NEXT_SLOT.start : _FP_NEXT_SLOT.stop], "little", signed=True
        )
    place = geometry.physical_to_logical(blkno)
    if log is not None and place is None:
        if not geometry.has_tree:
            log.error(
                "fsm-page-too-small",
                f"FSM page of {len(data)} bytes has no room for a leaf node after its "
                f"{C.FSM_NODES_OFFSET}-byte header and {geometry.non_leaf_nodes_per_page} inner "
                "nodes",
                Span(0, len(data)),
            )
        else:
            log.error(
                "fsm-block-outside-tree",
                f"FSM block {blkno} has no place in the tree of {len(data)}-byte pages",
                Span(0, len(data)),
            )
    level, logpageno = place if place is not None else (None, None)
    return FsmContents(next_slot, data[C.FSM_NODES_OFFSET :], geometry, level, logpageno)


def fsm_regions(size: int) -> list[Region]:
    """fp_next_slot and fp_nodes, cut to the page (a short page holds part of them)."""
    regions = []
    if size > _FP_NEXT_SLOT.start:
        next_slot = Span(_FP_NEXT_SLOT.start, min(size, _FP_NEXT_SLOT.stop))
        regions.append(Region(RegionKind.FSM_NODES, next_slot, label="fp_next_slot"))
    if size > C.FSM_NODES_OFFSET:
        nodes = Span(C.FSM_NODES_OFFSET, size)
        regions.append(Region(RegionKind.FSM_NODES, nodes, label="fp_nodes"))
    return regions
