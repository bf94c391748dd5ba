"""A BRIN index across its pages: what its ranges add up to (summarized, not summarized,
placeholders, empty ranges; pages by type, tuples per regular page, free space; bloom
filter fill and minmax-multi values per range) and what the pages say about each other.

Cross-page findings (each page's own diagnostics are the decoder's):

* block 0 is a metapage and blocks 1 .. lastRevmapPage are exactly the revmap pages;
* every revmap TID points at a line pointer of a regular page that holds a BRIN tuple whose
  bt_blkno is the first heap block of the slot's range;
* no two revmap slots point at one tuple;
* tuples no revmap slot points at (orphans: left by a crash between the tuple's insertion
  and the revmap update, or by an update that moved a tuple) are reported;
* the values are sane: min <= max of minmax columns whose type orders without a collation
  (integers, dates and times, floats, numeric), a bloom filter's nbits_set is the bits set in
  its bitmap.

Sources: ``access/brin/brin_revmap.c`` (revmap_get_blkno, brinGetTupleForHeapBlock:
``HEAPBLK_TO_REVMAP_BLK``, ``HEAPBLK_TO_REVMAP_INDEX``), ``brin_pageops.c``.
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pageinspect_py.analysis.findings import IndexFinding, Severity
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.brin import (
    BrinColumn,
    BrinDecodeOptions,
    BrinMeta,
    BrinMetaPage,
    BrinPage,
    BrinRegularPage,
    BrinRevmapPage,
    OpclassFamily,
    brin_options,
)
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.output.brin import parse_bloom, parse_ranges
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.decode.varlena import parse_varlena, plain_payload
from pageinspect_py.errors import PageInspectError
from pageinspect_py.page.raw import PageSource

#: the cross-page findings of this access method (analysis/findings.py)
BrinFinding = IndexFinding


@dataclass(frozen=True, slots=True)
class BloomFill:
    """One bloom filter: its range, column and how full it is."""

    first_block: int
    attnum: int
    nhashes: int
    nbits: int
    nbits_set: int  #: what the filter's header says
    bits_counted: int  #: the bits actually set in its bitmap

    @property
    def fill(self) -> float:
        """bits set / nbits."""
        return self.bits_counted / self.nbits if self.nbits else 0.0


@dataclass(frozen=True, slots=True)
class MultiRanges:
    """One minmax-multi summary: its range, column, ranges and single values."""

    first_block: int
    attnum: int
    nranges: int
    nvalues: int
    maxvalues: int

    @property
    def used(self) -> int:
        """2 * nranges + nvalues: the boundary and point values stored (<= maxvalues)."""
        return 2 * self.nranges + self.nvalues


@dataclass(frozen=True, slots=True)
class BrinIndexStatistics:
    """What the pages of a BRIN index add up to."""

    nblocks: int
    pages_by_type: dict[str, int]  #: meta, revmap, regular, new, and unknown types
    pages_per_range: int | None  #: None when block 0 is no readable metapage
    last_revmap_page: int | None
    ranges_summarized: int  #: revmap slots with a TID
    #: ranges of a heap of ``heap_blocks`` blocks without a summary (None: size not given)
    ranges_not_summarized: int | None
    #: slots without a TID before the last one with one (ranges skipped by summarization)
    unsummarized_holes: int
    placeholders: int
    empty_ranges: int
    tuples: int
    tuples_per_page: dict[int, int]  #: regular page -> BRIN tuples on it
    free_bytes: dict[int, int]  #: regular page -> pd_upper - pd_lower
    evacuating_pages: tuple[int, ...]  #: regular pages with BRIN_EVACUATE_PAGE
    bloom: tuple[BloomFill, ...] = ()
    multi: tuple[MultiRanges, ...] = ()
    problems: tuple[str, ...] = field(default=())

    @property
    def free_total(self) -> int:
        return sum(self.free_bytes.values())

    def bloom_fill_by_column(self) -> dict[int, float]:
        """The mean fill (bits set / nbits) of each bloom column's filters."""
        out: dict[int, list[float]] = {}
        for b in self.bloom:
            out.setdefault(b.attnum, []).append(b.fill)
        return {k: sum(v) / len(v) for k, v in out.items()}

    def multi_values_by_column(self) -> dict[int, float]:
        """The mean number of values (2 * nranges + nvalues) per range of each minmax-multi
        column."""
        out: dict[int, list[int]] = {}
        for m in self.multi:
            out.setdefault(m.attnum, []).append(m.used)
        return {k: sum(v) / len(v) for k, v in out.items()}


# ----------------------------------------------------------------------------------------------
# decoding a whole index


def brin_index_options(
    source: PageSource, index: IndexDescription | None = None, major: int | None = None
) -> BrinDecodeOptions | None:
    """The decode options of a BRIN index read from ``source`` (its metapage, with the
    columns and major given); None when block 0 is not a BRIN metapage."""
    n = source.nblocks("main")
    options = brin_options(
        lambda b: source.read_page(b, "main").data if b < n else None, index=index, major=major
    )
    return options if options.meta is not None else None


def scan_brin_index(
    source: PageSource, index: IndexDescription | None = None, major: int | None = None
) -> list[Page]:
    """Every main-fork page of a BRIN index decoded with its metapage (and columns when
    given: the values are then typed)."""
    options = brin_index_options(source, index, major) or BrinDecodeOptions(index, major)
    return [decode_page(raw, brin=options) for raw in source.pages("main")]


def _meta(pages: Sequence[Page]) -> BrinMeta | None:
    first = pages[0] if pages else None
    return first.meta if isinstance(first, BrinMetaPage) else None


# ----------------------------------------------------------------------------------------------
# statistics


def brin_index_statistics(
    pages: Sequence[Page], heap_blocks: int | None = None
) -> BrinIndexStatistics:
    """The statistics of ``pages`` (every block of the index, in block order);
    ``heap_blocks``, the indexed table's size, says how many ranges there are."""
    problems: list[str] = []
    meta = _meta(pages)
    if meta is None:
        problems.append("block 0 is not a BRIN metapage")
    kinds: Counter[str] = Counter()
    summarized = holes = placeholders = empty = tuples = 0
    per_page: dict[int, int] = {}
    free: dict[int, int] = {}
    evacuating: list[int] = []
    bloom: list[BloomFill] = []
    multi: list[MultiRanges] = []
    for page in pages:
        if page.kind is PageKind.NEW:
            kinds["new"] += 1
            continue
        if not isinstance(page, BrinPage):
            kinds[str(page.kind)] += 1
            problems.append(f"block {page.blkno}: not a BRIN page ({page.kind})")
            continue
        kinds[page.type_name] += 1
        if isinstance(page, BrinRevmapPage):
            used = [e.slot for e in page.entries if e.summarized]
            summarized += len(used)
            if used:
                holes += max(used) + 1 - len(used)
        elif isinstance(page, BrinRegularPage):
            on_page = page.tuples()
            per_page[page.blkno] = len(on_page)
            free[page.blkno] = max(0, page.header.pd_upper - page.header.pd_lower)
            if page.special is not None and page.special.evacuate:
                evacuating.append(page.blkno)
            for t in on_page:
                tuples += 1
                placeholders += t.placeholder
                empty += t.empty_range
                for column in t.columns or ():
                    _summary(t.bt_blkno, column, bloom, multi)
    not_summarized = None
    if heap_blocks is not None and meta is not None and meta.pagesPerRange:
        ranges = math.ceil(heap_blocks / meta.pagesPerRange)
        not_summarized = max(0, ranges - summarized)
    return BrinIndexStatistics(
        nblocks=len(pages),
        pages_by_type=dict(kinds),
        pages_per_range=meta.pagesPerRange if meta is not None else None,
        last_revmap_page=meta.lastRevmapPage if meta is not None else None,
        ranges_summarized=summarized,
        ranges_not_summarized=not_summarized,
        unsummarized_holes=holes,
        placeholders=placeholders,
        empty_ranges=empty,
        tuples=tuples,
        tuples_per_page=per_page,
        free_bytes=free,
        evacuating_pages=tuple(evacuating),
        bloom=tuple(bloom),
        multi=tuple(multi),
        problems=tuple(problems),
    )


def _payload(raw: bytes) -> bytes | None:
    try:
        return plain_payload(parse_varlena(raw))
    except (PageInspectError, ValueError, IndexError, struct.error):
        return None


def _summary(
    first: int, column: BrinColumn, bloom: list[BloomFill], multi: list[MultiRanges]
) -> None:
    if column.allnulls or len(column.values) != 1:
        return
    payload = _payload(column.values[0].raw)
    if payload is None:
        return
    try:
        if column.family is OpclassFamily.BLOOM:
            f = parse_bloom(payload)
            bloom.append(
                BloomFill(first, column.attnum, f.nhashes, f.nbits, f.nbits_set, f.bits_counted)
            )
        elif column.family is OpclassFamily.MINMAX_MULTI:
            r = parse_ranges(payload)  # the header only
            multi.append(MultiRanges(first, column.attnum, r.nranges, r.nvalues, r.maxvalues))
    except PageInspectError:
        return


# ----------------------------------------------------------------------------------------------
# across pages

#: minmax column types whose order needs no collation: (typname, struct format of the datum)
_ORDERED = {
    "int2": "<h",
    "int4": "<i",
    "int8": "<q",
    "oid": "<I",
    "date": "<i",
    "time": "<q",
    "timestamp": "<q",
    "timestamptz": "<q",
    "float4": "<f",
    "float8": "<d",
}


def brin_index_findings(pages: Sequence[Page]) -> list[BrinFinding]:
    """The pages against each other (see the module's docstring)."""
    out: list[BrinFinding] = []
    meta = _meta(pages)
    if meta is None:
        return [BrinFinding(Severity.ERROR, "brin-no-metapage", 0, "block 0 is no metapage")]
    by_block = {page.blkno: page for page in pages}
    revmaps = [p for p in pages if isinstance(p, BrinRevmapPage)]
    if meta.lastRevmapPage >= len(pages):
        out.append(
            BrinFinding(
                Severity.ERROR,
                "brin-revmap-missing",
                0,
                f"lastRevmapPage {meta.lastRevmapPage} is past the index's {len(pages)} blocks",
            )
        )
    for blkno in range(1, min(meta.lastRevmapPage + 1, len(pages))):
        page = by_block.get(blkno)
        if not isinstance(page, BrinRevmapPage):
            what = "missing" if page is None else f"a {_type_of(page)} page"
            out.append(
                BrinFinding(
                    Severity.ERROR,
                    "brin-revmap-missing",
                    blkno,
                    f"lastRevmapPage {meta.lastRevmapPage} makes it a revmap page, but it is "
                    f"{what}",
                )
            )
    for page in revmaps:
        if page.blkno > meta.lastRevmapPage:
            out.append(
                BrinFinding(
                    Severity.WARNING,
                    "brin-revmap-extra",
                    page.blkno,
                    f"a revmap page past lastRevmapPage {meta.lastRevmapPage}",
                )
            )
    referenced: dict[tuple[int, int], int] = {}
    for page in revmaps:
        for e in page.summarized():
            where = (e.tid.block, e.tid.offset)
            first = e.first_block
            label = f"rm_tids[{e.slot}] {e.tid}" + (
                f" (range from heap block {first})" if first is not None else ""
            )
            if where in referenced:
                out.append(
                    BrinFinding(
                        Severity.ERROR,
                        "brin-revmap-duplicate",
                        page.blkno,
                        f"{label} points at the tuple revmap slot of range "
                        f"{referenced[where]} points at too",
                    )
                )
                continue
            referenced[where] = first if first is not None else -1
            problem = _target_problem(by_block.get(e.tid.block), e.tid.offset, first)
            if problem is not None:
                out.append(
                    BrinFinding(Severity.ERROR, "brin-revmap-target", page.blkno, label + problem)
                )
    for page in pages:
        if not isinstance(page, BrinRegularPage):
            continue
        for item in page.items:
            t = item.tuple
            if t is None:
                continue
            if (page.blkno, item.offnum) not in referenced:
                out.append(
                    BrinFinding(
                        Severity.WARNING,
                        "brin-orphan-tuple",
                        page.blkno,
                        f"lp {item.offnum} (bt_blkno {t.bt_blkno}) is a BRIN tuple no revmap "
                        "slot points at",
                    )
                )
            for column in t.columns or ():
                out.extend(_value_findings(page.blkno, item.offnum, column))
    return out


def _type_of(page: Page) -> str:
    return page.type_name if isinstance(page, BrinPage) else str(page.kind)


def _target_problem(page: Page | None, offnum: int, first: int | None) -> str | None:
    if page is None:
        return " points past the index's blocks"
    if not isinstance(page, BrinRegularPage):
        return f" points at a {_type_of(page)} page"
    if not 1 <= offnum <= len(page.items):
        return f" points past the page's {len(page.items)} line pointers"
    item = page.items[offnum - 1]
    if item.tuple is None:
        return f" points at an {item.lp.flags_name} line pointer with no BRIN tuple"
    if first is not None and item.tuple.bt_blkno != first:
        return f" points at the tuple of heap block {item.tuple.bt_blkno}"
    return None


def _value_findings(blkno: int, offnum: int, column: BrinColumn) -> list[BrinFinding]:
    out: list[BrinFinding] = []
    if column.allnulls or column.problem is not None:
        return out
    where = f"lp {offnum} column {column.attnum} ({column.attname})"
    if column.family is OpclassFamily.MINMAX and len(column.values) == 2:
        low, high = column.values
        fmt = _ORDERED.get(low.typname)
        if fmt is not None and len(low.raw) == len(high.raw) == struct.calcsize(fmt):
            (a,) = struct.unpack(fmt, low.raw)
            (b,) = struct.unpack(fmt, high.raw)
            if a > b:
                out.append(
                    BrinFinding(
                        Severity.ERROR,
                        "brin-minmax-order",
                        blkno,
                        f"{where}: min {low.display()} is above max {high.display()}",
                    )
                )
    elif column.family is OpclassFamily.BLOOM and len(column.values) == 1:
        payload = _payload(column.values[0].raw)
        try:
            f = parse_bloom(payload) if payload is not None else None
        except PageInspectError:
            f = None
        if f is not None and (f.nbits_set != f.bits_counted or f.nbits != 8 * len(f.bitmap)):
            out.append(
                BrinFinding(
                    Severity.ERROR,
                    "brin-bloom-bits",
                    blkno,
                    f"{where}: nbits {f.nbits}, nbits_set {f.nbits_set}, but the bitmap has "
                    f"{8 * len(f.bitmap)} bits of which {f.bits_counted} are set",
                )
            )
    return out


def brin_statistics_of(
    source: PageSource,
    index: IndexDescription | None = None,
    major: int | None = None,
    heap_blocks: int | None = None,
) -> tuple[BrinIndexStatistics, list[BrinFinding]]:
    """Statistics and findings of the BRIN index ``source`` holds."""
    pages = scan_brin_index(source, index, major)
    return brin_index_statistics(pages, heap_blocks), brin_index_findings(pages)


__all__ = [
    "BloomFill",
    "BrinFinding",
    "BrinIndexStatistics",
    "MultiRanges",
    "Severity",
    "brin_index_findings",
    "brin_index_options",
    "brin_index_statistics",
    "brin_statistics_of",
    "scan_brin_index",
]
