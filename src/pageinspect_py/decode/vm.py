"""Visibility map pages (``access/heap/visibilitymap.c``, ``access/visibilitymapdefs.h``).

After the page header, two bits per heap block: bit 0 all-visible, bit 1 all-frozen,
four heap blocks per byte, lowest bits first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Region, RegionKind, Span

_MAP_START = C.maxalign(C.SizeOfPageHeaderData)
_HEAPBLOCKS_PER_BYTE = 8 // C.BITS_PER_HEAPBLOCK


@dataclass(frozen=True, slots=True)
class VmEntry:
    blkno: int  #: heap block, named as pg_visibility_map() names it
    all_visible: bool
    all_frozen: bool


@dataclass(frozen=True, slots=True)
class VmContents:
    vm_blkno: int
    map: bytes = field(repr=False)

    @property
    def heapblocks_per_page(self) -> int:
        return len(self.map) * _HEAPBLOCKS_PER_BYTE

    @property
    def first_heap_block(self) -> int:
        return self.vm_blkno * self.heapblocks_per_page

    def entry(self, heap_block: int) -> VmEntry:
        index = heap_block - self.first_heap_block
        if not 0 <= index < self.heapblocks_per_page:
            raise IndexError(f"heap block {heap_block} is not mapped by VM block {self.vm_blkno}")
        bits = self.map[index // _HEAPBLOCKS_PER_BYTE] >> (index % _HEAPBLOCKS_PER_BYTE * 2)
        return VmEntry(
            heap_block,
            bool(bits & C.VISIBILITYMAP_ALL_VISIBLE),
            bool(bits & C.VISIBILITYMAP_ALL_FROZEN),
        )

    def entries(self, heap_blocks: int | None = None) -> tuple[VmEntry, ...]:
        """Entries for the heap blocks this page maps: up to ``heap_blocks`` (the heap's size)
        when known, else up to the last block with a bit set."""
        if heap_blocks is None:
            nonzero = self.map.rstrip(b"\0")
            count = len(nonzero) * _HEAPBLOCKS_PER_BYTE
        else:
            count = max(0, min(self.heapblocks_per_page, heap_blocks - self.first_heap_block))
        return tuple(self.entry(self.first_heap_block + i) for i in range(count))


def decode_vm_contents(data: bytes, blkno: int) -> VmContents:
    return VmContents(blkno, data[_MAP_START:])


def vm_regions(size: int) -> list[Region]:
    return [Region(RegionKind.VM_BITS, Span(_MAP_START, size), label="visibility map bits")]
