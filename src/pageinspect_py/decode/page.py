"""Page header, line pointers, page kinds, checksums and the region tiling every page shares.

``decode_page()`` is the entry point: it takes a page's bytes (or a :class:`RawPage`) and returns
a model whose regions tile the page. After the 24-byte header, decoding never raises on bad
data; problems become :class:`Diagnostic` records (``strict=True`` raises instead).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.decode.common import (
    Diagnostic,
    Field,
    Region,
    RegionKind,
    Severity,
    Span,
)
from pageinspect_py.errors import CorruptPageError
from pageinspect_py.layouts.page import ITEMID_DOCS, PAGE_HEADER_DOCS, PAGE_HEADER_OFFSETS
from pageinspect_py.page.checksum import page_checksum, verdict
from pageinspect_py.page.header import header_is_sane as rules_header_is_sane
from pageinspect_py.page.header import (
    header_problems,
    layout_version,
    pagesize,
    read_header,
)
from pageinspect_py.page.items import (
    item_id_count,
    item_id_problems,
    item_id_span,
    item_id_words,
    split_item_id,
)


class PageKind(enum.StrEnum):
    HEAP = "heap"
    BTREE_META = "btree_meta"
    BTREE = "btree"
    FSM = "fsm"
    VM = "vm"
    NEW = "new"  #: all-zero page (extended but never initialised)
    HASH = "hash"
    GIST = "gist"
    SPGIST = "spgist"
    GIN = "gin"
    BRIN = "brin"
    SEQUENCE = "sequence"
    UNKNOWN = "unknown"  #: another access method, or garbage


class ChecksumStatus(enum.StrEnum):
    OK = "ok"  #: pd_checksum equals the computed checksum
    MISMATCH = "mismatch"  #: pd_checksum differs: the page is damaged (or moved)
    NOT_SET = "not_set"  #: pd_checksum is 0: data checksums are off in that cluster
    NOT_VERIFIABLE = "not_verifiable"  #: a get_raw_page copy; its pd_checksum may be stale
    NOT_APPLICABLE = "not_applicable"  #: new (all-zero) page, or not a whole page


@dataclass(frozen=True, slots=True)
class ChecksumCheck:
    stored: int  #: pd_checksum as stored (unsigned)
    computed: int | None  #: pg_checksum_page(page, absolute blkno), None for new pages
    status: ChecksumStatus


@dataclass(frozen=True, slots=True)
class PageHeader:
    """PageHeaderData (bufpage.h), with derived values named as ``page_header()`` names them."""

    pd_lsn: int
    pd_checksum: int
    pd_flags: int
    pd_lower: int
    pd_upper: int
    pd_special: int
    pd_pagesize_version: int
    pd_prune_xid: int

    @property
    def pagesize(self) -> int:
        return pagesize(self.pd_pagesize_version)

    @property
    def version(self) -> int:
        return layout_version(self.pd_pagesize_version)

    @property
    def lsn(self) -> str:
        """The LSN as ``pg_lsn`` prints it: ``%X/%X``."""
        return f"{self.pd_lsn >> 32:X}/{self.pd_lsn & 0xFFFFFFFF:X}"

    @property
    def flag_names(self) -> tuple[str, ...]:
        return tuple(name for bit, name in C.PD_FLAG_NAMES.items() if self.pd_flags & bit)

    def fields(self) -> tuple[Field, ...]:
        out = []
        for name, (offset, size) in PAGE_HEADER_OFFSETS.items():
            out.append(
                Field(
                    name, getattr(self, name), Span(offset, offset + size), PAGE_HEADER_DOCS[name]
                )
            )
        return tuple(out)


@dataclass(frozen=True, slots=True)
class ItemId:
    """One line pointer (ItemIdData, itemid.h). ``lp`` is its 1-based offset number."""

    lp: int
    lp_off: int
    lp_flags: int
    lp_len: int
    span: Span

    @property
    def flags_name(self) -> str:
        return C.LP_FLAG_NAMES[self.lp_flags]

    @property
    def has_storage(self) -> bool:
        """ItemIdHasStorage: the pointer claims bytes on the page."""
        return self.lp_len != 0

    @property
    def redirect_target(self) -> int | None:
        """For LP_REDIRECT, the offset number the pointer redirects to (kept in lp_off)."""
        return self.lp_off if self.lp_flags == C.LP_REDIRECT else None

    @property
    def item_span(self) -> Span:
        return Span(self.lp_off, self.lp_off + self.lp_len)

    def fields(self) -> tuple[Field, ...]:
        # the three bitfields share one 4-byte word: each field's span is that word
        return tuple(
            Field(name, getattr(self, name), self.span, ITEMID_DOCS[name])
            for name in ("lp_off", "lp_flags", "lp_len")
        )


@dataclass(frozen=True, slots=True)
class Page:
    """What every decoded page has. Subclasses add what their kind means."""

    blkno: int
    fork: str
    origin: str
    kind: PageKind
    header: PageHeader
    line_pointers: tuple[ItemId, ...]
    regions: tuple[Region, ...]
    diagnostics: tuple[Diagnostic, ...]
    checksum: ChecksumCheck
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)

    def item(self, lp: int) -> ItemId:
        """The line pointer with offset number ``lp`` (1-based, as PostgreSQL counts)."""
        if not 1 <= lp <= len(self.line_pointers):
            raise IndexError(
                f"line pointer {lp} is not on this page (1..{len(self.line_pointers)})"
            )
        return self.line_pointers[lp - 1]

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    def regions_of(self, kind: RegionKind) -> tuple[Region, ...]:
        return tuple(r for r in self.regions if r.kind is kind)

    def bytes_in(self, kind: RegionKind) -> int:
        return sum(r.span.length for r in self.regions if r.kind is kind)


# ----------------------------------------------------------------------------------------------
# decoding helpers shared by the page kinds


class DiagnosticLog:
    """Collects diagnostics while a page is decoded."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, code: str, message: str, span: Span | None = None) -> None:
        self.items.append(Diagnostic(Severity.ERROR, code, message, span))

    def warning(self, code: str, message: str, span: Span | None = None) -> None:
        self.items.append(Diagnostic(Severity.WARNING, code, message, span))


def parse_header(data: bytes) -> PageHeader:
    """PageHeaderData from the first 24 bytes; raises CorruptPageError when they are missing."""
    if len(data) < C.SizeOfPageHeaderData:
        raise CorruptPageError(
            f"page too small: {len(data)} bytes, a page header needs {C.SizeOfPageHeaderData}"
        )
    return PageHeader(*read_header(data))


def header_is_sane(header: PageHeader, size: int) -> bool:
    """The checks of PageIsVerified/PageHeaderIsValid (bufpage.c), without the checksum."""
    return rules_header_is_sane(
        header.pd_flags, header.pd_lower, header.pd_upper, header.pd_special, size
    )


def check_header(header: PageHeader, size: int, log: DiagnosticLog) -> None:
    """The header rules of page/header.py, each code as a diagnostic with its span."""
    for code in header_problems(header, size):
        message, span = _HEADER_MESSAGES[code](header, size)
        log.error(code, message, span)


_WHOLE_HEADER = Span(0, C.SizeOfPageHeaderData)
_HEADER_MESSAGES: dict[str, Callable[[PageHeader, int], tuple[str, Span]]] = {
    "pagesize-mismatch": lambda h, size: (
        f"pd_pagesize_version says {h.pagesize} bytes, the page has {size}",
        _field_span("pd_pagesize_version"),
    ),
    "layout-version": lambda h, size: (
        f"page layout version {h.version}, expected {C.PG_PAGE_LAYOUT_VERSION}",
        _field_span("pd_pagesize_version"),
    ),
    "pd-flags": lambda h, size: (
        f"unknown pd_flags bits 0x{h.pd_flags:04x}",
        _field_span("pd_flags"),
    ),
    "pd-lower-upper": lambda h, size: (
        f"pd_lower {h.pd_lower} / pd_upper {h.pd_upper} are not 24 <= pd_lower <= pd_upper",
        _WHOLE_HEADER,
    ),
    "pd-special": lambda h, size: (
        f"pd_special {h.pd_special} is not between pd_upper {h.pd_upper} and the page size {size}",
        _WHOLE_HEADER,
    ),
    "pd-special-align": lambda h, size: (
        f"pd_special {h.pd_special} is not MAXALIGNed",
        _field_span("pd_special"),
    ),
}


def _field_span(name: str) -> Span:
    offset, size = PAGE_HEADER_OFFSETS[name]
    return Span(offset, offset + size)


def parse_line_pointers(data: bytes, header: PageHeader, log: DiagnosticLog) -> tuple[ItemId, ...]:
    """The line pointer array between the header and pd_lower, bounded by the page."""
    count, partial = item_id_count(header.pd_lower, len(data))
    if partial:
        lower = min(header.pd_lower, len(data))
        log.warning(
            "pd-lower-partial",
            f"pd_lower {header.pd_lower} leaves a partial line pointer",
            Span(lower - partial, lower),
        )
    items = []
    for index, word in enumerate(item_id_words(data, count)):
        lp_off, lp_flags, lp_len = split_item_id(word)
        items.append(ItemId(index + 1, lp_off, lp_flags, lp_len, Span(*item_id_span(index))))
    return tuple(items)


def check_line_pointer(item: ItemId, size: int, nitems: int, log: DiagnosticLog) -> bool:
    """Report what is wrong with one pointer (the rules of page/items.py); True when its
    storage lies inside the page."""
    codes, inside = item_id_problems(item.lp_off, item.lp_flags, item.lp_len, size, nitems)
    for code in codes:
        severity, message = _LP_MESSAGES[code]
        text = message(f"lp {item.lp}", item, size, nitems)
        if severity is Severity.WARNING:
            log.warning(code, text, item.span)
        else:
            log.error(code, text, item.span)
    return inside


_LP_MESSAGES: dict[str, tuple[Severity, Callable[[str, ItemId, int, int], str]]] = {
    "lp-unused-nonzero": (
        Severity.WARNING,
        lambda name, lp, size, n: (
            f"{name} is LP_UNUSED but has lp_off {lp.lp_off}, lp_len {lp.lp_len}"
        ),
    ),
    "lp-redirect-len": (
        Severity.ERROR,
        lambda name, lp, size, n: f"{name} is LP_REDIRECT with lp_len {lp.lp_len}",
    ),
    "lp-redirect-target": (
        Severity.ERROR,
        lambda name, lp, size, n: (
            f"{name} redirects to {lp.lp_off}, not a line pointer on this page (1..{n})"
        ),
    ),
    "lp-normal-empty": (
        Severity.ERROR,
        lambda name, lp, size, n: f"{name} is LP_NORMAL with lp_len 0",
    ),
    "lp-out-of-bounds": (
        Severity.ERROR,
        lambda name, lp, size, n: (
            f"{name} points at {lp.lp_off}..{lp.lp_off + lp.lp_len}, outside the page (24..{size})"
        ),
    ),
    "lp-misaligned": (
        Severity.ERROR,
        lambda name, lp, size, n: f"{name} lp_off {lp.lp_off} is not MAXALIGNed",
    ),
}


def compute_checksum(
    data: bytes, header: PageHeader, blkno: int, verifiable: bool, is_new: bool, log: DiagnosticLog
) -> ChecksumCheck:
    if is_new or len(data) % 128:
        return ChecksumCheck(header.pd_checksum, None, ChecksumStatus.NOT_APPLICABLE)
    computed = page_checksum(data, blkno)
    status = ChecksumStatus[verdict(header.pd_checksum, computed, verifiable).name]
    if status is ChecksumStatus.MISMATCH:
        log.error(
            "checksum-mismatch",
            f"pd_checksum {header.pd_checksum} but the page checksums to {computed} "
            f"for block {blkno}",
            _field_span("pd_checksum"),
        )
    return ChecksumCheck(header.pd_checksum, computed, status)


def tile(claims: Iterable[Region], size: int, log: DiagnosticLog) -> tuple[Region, ...]:
    """Sort claimed regions and fill every gap, so the result covers ``[0, size)`` exactly.

    Gaps of fewer than 8 bytes right after an item are MAXALIGN padding; other gaps are bytes
    no pointer accounts for. Overlapping claims are clipped and reported.
    """
    out: list[Region] = []
    cursor = 0
    for region in sorted(claims, key=lambda r: (r.span.start, -r.span.stop)):
        start, stop = region.span.start, min(region.span.stop, size)
        if stop <= start:
            continue
        if start < cursor:
            if stop <= cursor:
                log.error(
                    "overlap", f"{_describe(region)} lies inside bytes already claimed", region.span
                )
                continue
            log.error(
                "overlap", f"{_describe(region)} overlaps the region before it", Span(start, cursor)
            )
            start = cursor
        if start > cursor:
            out.append(_gap(out[-1] if out else None, Span(cursor, start)))
        if (start, stop) == (region.span.start, region.span.stop):
            out.append(region)  # unclipped: the claim itself (regions are immutable)
        else:
            out.append(Region(region.kind, Span(start, stop), region.item, region.label))
        cursor = stop
    if cursor < size:
        out.append(_gap(out[-1] if out else None, Span(cursor, size)))
    return tuple(out)


def _describe(region: Region) -> str:
    owner = f" of lp {region.item}" if region.item is not None else ""
    return f"{region.kind}{owner} {region.span.hex()}"


def is_item_padding(after_item: bool, length: int, stop: int) -> bool:
    """A gap of ``length`` bytes ending at ``stop`` is the MAXALIGN padding of the item
    before it: it follows an item, is shorter than MAXIMUM_ALIGNOF and ends aligned."""
    return after_item and length < C.MAXIMUM_ALIGNOF and stop == C.maxalign(stop)


def _gap(previous: Region | None, span: Span) -> Region:
    item = previous.item if previous is not None else None
    if item is not None and is_item_padding(True, span.length, span.stop):
        return Region(RegionKind.ALIGNMENT_PADDING, span, item)
    return Region(RegionKind.UNUSED, span)


def line_pointer_claims(
    header: PageHeader, line_pointers: Sequence[ItemId], size: int, *, free_space: bool = True
) -> list[Region]:
    """The line pointers and the free space after them (PageGetExactFreeSpace's bytes, when
    pd_upper lies in the page)."""
    claims = [Region(RegionKind.LINE_POINTER, lp.span, lp.lp) for lp in line_pointers]
    lower = C.SizeOfPageHeaderData + len(line_pointers) * C.SizeOfItemIdData
    if free_space and lower <= header.pd_upper <= size:
        claims.append(Region(RegionKind.FREE_SPACE, Span(lower, header.pd_upper)))
    return claims


def free_space_after(
    header: PageHeader, end: int, size: int, *, past_lower: bool = True
) -> Region | None:
    """The free space of a page whose contents end at ``end`` (a metapage's struct, a deleted
    page's contents, a data area): from pd_lower (or ``end``, if later; ``end`` itself when
    not ``past_lower``) to pd_upper, when that is a non-empty range inside the page; None
    otherwise."""
    lower = max(header.pd_lower, end) if past_lower else end
    if lower < header.pd_upper <= size:
        return Region(RegionKind.FREE_SPACE, Span(lower, header.pd_upper))
    return None


def frame_claims(
    header: PageHeader, line_pointers: Sequence[ItemId], size: int, *, free_space: bool = True
) -> list[Region]:
    """Header, line pointers, free space and special space: the page's frame."""
    claims = [Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData))]
    claims.extend(line_pointer_claims(header, line_pointers, size, free_space=free_space))
    if header.pd_upper <= header.pd_special < size:
        claims.append(Region(RegionKind.SPECIAL, Span(header.pd_special, size)))
    return claims
