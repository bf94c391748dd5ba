"""Building blocks of every decoded model: byte spans, fields, regions and diagnostics."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A half-open byte range ``[start, stop)`` within a page."""

    start: int
    stop: int

    @property
    def length(self) -> int:
        return self.stop - self.start

    def shifted(self, by: int) -> Span:
        return Span(self.start + by, self.stop + by)

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.stop <= self.stop

    def hex(self) -> str:
        """Inclusive hexadecimal range as tools print it: ``0x0018-0x001b``."""
        if self.stop <= self.start:
            return f"0x{self.start:04x} (empty)"
        return f"0x{self.start:04x}-0x{self.stop - 1:04x}"

    def __str__(self) -> str:
        return self.hex()


class Severity(enum.StrEnum):
    WARNING = "warning"  #: suspicious but decodable (stale hint, odd padding)
    ERROR = "error"  #: the page is damaged here (checksum mismatch, pointer out of bounds)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem found while decoding, where it lies and what it means."""

    severity: Severity
    code: str  #: stable machine-readable name, e.g. ``lp-out-of-bounds``
    message: str
    span: Span | None = None

    def describe(self) -> str:
        where = f" at {self.span.hex()}" if self.span is not None else ""
        return f"{self.severity}: {self.code}{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Field:
    """One named on-page field: its value, bytes and the C comment that documents it."""

    name: str
    value: int
    span: Span
    doc: str = ""


class RegionKind(enum.StrEnum):
    """What a run of bytes on a page is used for. Regions tile the page exactly."""

    PAGE_HEADER = "page_header"
    LINE_POINTER = "line_pointer"
    FREE_SPACE = "free_space"
    TUPLE_HEADER = "tuple_header"
    NULL_BITMAP = "null_bitmap"
    HEADER_PADDING = "header_padding"  #: between the null bitmap and t_hoff
    OID = "oid"  #: pre-12 WITH OIDS field at t_hoff - 4
    TUPLE_DATA = "tuple_data"
    ITEM = "item"  #: an item whose inside is not decoded here (index tuples, corrupt tuples)
    ALIGNMENT_PADDING = "alignment_padding"  #: MAXALIGN gap after a tuple
    UNUSED = "unused"  #: bytes in the tuple area that no line pointer claims
    SPECIAL = "special"
    METADATA = "metadata"  #: page contents that are one struct (BTMetaPageData, BTDeletedPageData)
    POSTING_LIST = "posting_list"  #: btree posting list: an array of heap TIDs (13+)
    HEAP_TID = "heap_tid"  #: heap TID kept at the end of a btree pivot tuple
    FSM_NODES = "fsm_nodes"
    VM_BITS = "vm_bits"
    ZERO = "zero"  #: an all-zero (new) page
    UNKNOWN = "unknown"  #: contents not understood


@dataclass(frozen=True, slots=True)
class Region:
    kind: RegionKind
    span: Span
    item: int | None = None  #: line pointer number the region belongs to
    label: str = ""
