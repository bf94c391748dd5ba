"""Relation-wide checking on the page kernel.

:func:`check_blocks` reads a block range in bounded chunks, lets the kernel
(:func:`pageinspect_py.page.arrays.classify`) settle every regular page as a whole array, and
decodes in full only the pages it calls irregular -- so findings, kinds and checksum verdicts
are exactly those of decoding every page (a test proves it), at array speed.
:func:`check_fork` runs ranges of a fork on worker processes, each with its own copy of the
source, and merges their tallies in block order: the result does not depend on the number of
workers.

Given a data directory's transaction status (``xacts``), the heap tuples' hint bits are checked
against pg_xact as well (:func:`contradicting_hints`, the rule of
:func:`pageinspect_py.analysis.visibility.tuple_visibility`'s ``hint-contradicts-xact``
diagnostics, over arrays): only hinted xids are looked up, a chunk at a time, two bits each.
Workers rebuild the reader from its :class:`~pageinspect_py.sources.datadir.slru.XactsSpec`.

Given the cluster's and the relation's id bounds (``bounds``, pg_control's next and oldest xid
and multixact, pg_class's relfrozenxid and relminmxid), every heap tuple's xmin and xmax are
checked as amcheck's ``verify_heapam`` checks them
(:func:`pageinspect_py.page.xidbounds.xid_bound_masks` over arrays, then
:func:`~pageinspect_py.page.xidbounds.tuple_xid_problems` for the flagged tuples only): each id
out of bounds is an error finding with amcheck's message.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Diagnostic, Severity, Span
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.page import ChecksumStatus, Page, PageKind
from pageinspect_py.layouts.heap import HEAP_TUPLE_HEADER_OFFSETS
from pageinspect_py.page import arrays
from pageinspect_py.page.raw import Fork, PageSource, RawPage
from pageinspect_py.page.xidbounds import (
    XMIN_OUT_OF_BOUNDS,
    XidBounds,
    tuple_xid_problems,
    xid_bound_masks,
)
from pageinspect_py.scan import parallel
from pageinspect_py.scan.parallel import Progress, map_ranges
from pageinspect_py.sources.datadir.slru import (
    TRANSACTION_STATUS_ABORTED,
    TRANSACTION_STATUS_COMMITTED,
    TRANSACTION_STATUS_IN_PROGRESS,
    DataDirectoryXacts,
    XactsSpec,
    share,
)

#: pages read and classified at once: bounds memory (a chunk is 8 MiB at 8 kB)
CHUNK_PAGES = 1024
#: blocks per task handed to a worker, and the fork size below which workers do not pay
TASK_BLOCKS = parallel.TASK_BLOCKS
PARALLEL_MIN_BLOCKS = parallel.PARALLEL_MIN_BLOCKS

_KIND_NAMES = {
    arrays.Kind.NEW: str(PageKind.NEW),
    arrays.Kind.HEAP: str(PageKind.HEAP),
    arrays.Kind.BTREE: str(PageKind.BTREE),
}
_CHECKSUM_NAMES = {code: str(ChecksumStatus[code.name]) for code in arrays.Checksum}


@dataclass(frozen=True, slots=True)
class Finding:
    """One diagnostic of one page, where it was found."""

    fork: str
    block: int
    origin: str
    severity: str
    code: str
    span: tuple[int, int] | None
    message: str
    text: str  #: the diagnostic as one sentence (``Diagnostic.describe()``)
    lp: int | None = None  #: the line pointer of the tuple it is about (tuple checks)
    #: the message as amcheck's verify_heapam words it (checks amcheck makes too)
    amcheck: str | None = None


@dataclass(slots=True)
class Tally:
    """Counts and findings of a block range; tallies of adjacent ranges merge in order."""

    blocks: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    checksums: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    warnings: int = 0
    irregular: int = 0  #: pages the kernel handed to the full decoder
    findings: list[Finding] = field(default_factory=list)
    #: tuples whose hint bits were checked against pg_xact (None: no transaction status given)
    hinted_tuples: int | None = None
    hint_findings: int = 0  #: of them, hint bits pg_xact contradicts
    #: why some hinted xids could not be looked up (missing pg_xact segments), once each
    xact_problems: list[str] = field(default_factory=list)
    #: tuples whose xmin/xmax were checked against the id bounds (None: no bounds given)
    bounded_tuples: int | None = None
    bound_findings: int = 0  #: of them, ids out of bounds (one finding per id)

    def add_page(self, page: Page) -> None:
        self.blocks += 1
        self.kinds[str(page.kind)] += 1
        self.checksums[str(page.checksum.status)] += 1
        for d in page.diagnostics:
            if d.severity is Severity.ERROR:
                self.errors += 1
            elif d.severity is Severity.WARNING:
                self.warnings += 1
            self.findings.append(
                Finding(
                    page.fork,
                    page.blkno,
                    page.origin,
                    str(d.severity),
                    d.code,
                    None if d.span is None else (d.span.start, d.span.stop),
                    d.message,
                    d.describe(),
                )
            )

    def merge(self, other: Tally) -> None:
        self.blocks += other.blocks
        self.kinds.update(other.kinds)
        self.checksums.update(other.checksums)
        self.errors += other.errors
        self.warnings += other.warnings
        self.irregular += other.irregular
        self.findings.extend(other.findings)
        if other.hinted_tuples is not None:
            self.hinted_tuples = (self.hinted_tuples or 0) + other.hinted_tuples
        self.hint_findings += other.hint_findings
        self.xact_problems = list(dict.fromkeys([*self.xact_problems, *other.xact_problems]))
        if other.bounded_tuples is not None:
            self.bounded_tuples = (self.bounded_tuples or 0) + other.bounded_tuples
        self.bound_findings += other.bound_findings

    def add_hint_findings(self, found: list[Finding]) -> None:
        self.hint_findings += len(found)
        self.errors += len(found)
        self.findings.extend(found)

    def add_bound_findings(self, checked: int, found: list[Finding]) -> None:
        self.bounded_tuples = (self.bounded_tuples or 0) + checked
        self.bound_findings += len(found)
        self.errors += len(found)
        self.findings.extend(found)


HINT_CONTRADICTS_XACT: Final = "hint-contradicts-xact"
_T_INFOMASK: Final = HEAP_TUPLE_HEADER_OFFSETS["t_infomask"]
_XMIN_BITS: Final = C.HEAP_XMIN_COMMITTED | C.HEAP_XMIN_INVALID
_HINTS: Final = _XMIN_BITS | C.HEAP_XMAX_COMMITTED | C.HEAP_XMAX_INVALID
_XMIN_HINT_NAMES: Final = {
    C.HEAP_XMIN_FROZEN: "HEAP_XMIN_FROZEN",
    C.HEAP_XMIN_COMMITTED: "HEAP_XMIN_COMMITTED",
    C.HEAP_XMIN_INVALID: "HEAP_XMIN_INVALID",
}


@dataclass(frozen=True, slots=True)
class Contradiction:
    """One hint bit pg_xact contradicts: tuple ``index`` (of the arrays given), which xid."""

    index: int
    which: str  #: ``xmin`` or ``xmax``
    xid: int
    hint: str  #: ``HEAP_XMIN_COMMITTED``, ``HEAP_XMIN_FROZEN``, ``HEAP_XMAX_INVALID``, ...


def contradicting_hints(
    t_xmin: arrays.I64, t_xmax: arrays.I64, t_infomask: arrays.I64, xacts: DataDirectoryXacts
) -> list[Contradiction]:
    """The hint bits of many tuples that pg_xact contradicts, in tuple order (xmin before
    xmax): the rule tuple_visibility's ``hint-contradicts-xact`` diagnostics follow.

    xmin: HEAP_XMIN_COMMITTED (or FROZEN) while pg_xact says aborted or in progress,
    HEAP_XMIN_INVALID while it says committed or in progress. xmax (not a multixact):
    HEAP_XMAX_INVALID while a deleter committed or any xmax is in progress, HEAP_XMAX_COMMITTED
    on a deleter (not a locker) pg_xact calls aborted or in progress. Only hinted xids that
    pg_xact covers are looked up (see ``DataDirectoryXacts.pg_xact_fates``)."""
    im = t_infomask & 0xFFFF
    xmin_bits = im & _XMIN_BITS
    multi = im & C.HEAP_XMAX_IS_MULTI != 0
    lock_only = (im & C.HEAP_XMAX_LOCK_ONLY != 0) | (
        im & (C.HEAP_XMAX_IS_MULTI | C.HEAP_LOCK_MASK) == C.HEAP_XMAX_EXCL_LOCK
    )
    xmax_invalid = im & C.HEAP_XMAX_INVALID != 0
    by_xmin = np.flatnonzero(xmin_bits != 0)
    invalid_hint = np.flatnonzero(xmax_invalid & ~multi & (t_xmax != 0))
    committed_hint = np.flatnonzero(
        ~xmax_invalid & ~multi & ~lock_only & (im & C.HEAP_XMAX_COMMITTED != 0)
    )
    fates = xacts.pg_xact_fates(
        np.concatenate([t_xmin[by_xmin], t_xmax[invalid_hint], t_xmax[committed_hint]])
    )
    n1, n2 = len(by_xmin), len(by_xmin) + len(invalid_hint)
    xmin_fate, invalid_fate, committed_fate = fates[:n1], fates[n1:n2], fates[n2:]
    in_progress = TRANSACTION_STATUS_IN_PROGRESS
    committed, aborted = TRANSACTION_STATUS_COMMITTED, TRANSACTION_STATUS_ABORTED
    said_invalid = xmin_bits[by_xmin] == C.HEAP_XMIN_INVALID
    bad_xmin = (xmin_fate == in_progress) | np.where(
        said_invalid, xmin_fate == committed, xmin_fate == aborted
    )
    bad_invalid = (invalid_fate == in_progress) | (
        ~lock_only[invalid_hint] & (invalid_fate == committed)
    )
    bad_committed = (committed_fate == in_progress) | (committed_fate == aborted)
    found = [
        Contradiction(i, "xmin", int(t_xmin[i]) & 0xFFFFFFFF, _XMIN_HINT_NAMES[int(xmin_bits[i])])
        for i in by_xmin[bad_xmin].tolist()
    ]
    found += [
        Contradiction(i, "xmax", int(t_xmax[i]) & 0xFFFFFFFF, "HEAP_XMAX_INVALID")
        for i in invalid_hint[bad_invalid].tolist()
    ]
    found += [
        Contradiction(i, "xmax", int(t_xmax[i]) & 0xFFFFFFFF, "HEAP_XMAX_COMMITTED")
        for i in committed_hint[bad_committed].tolist()
    ]
    found.sort(key=lambda c: (c.index, c.which != "xmin"))
    return found


def _hint_findings(
    xacts: DataDirectoryXacts,
    fork: Fork,
    blocks: arrays.I64,
    origins: dict[int, str],
    lps: arrays.I64,
    lp_offs: arrays.I64,
    t_xmin: arrays.I64,
    t_xmax: arrays.I64,
    t_infomask: arrays.I64,
) -> list[Finding]:
    """:func:`contradicting_hints` as findings: fork, block, lp, the t_infomask bytes."""
    out = []
    at, size = _T_INFOMASK
    for c in contradicting_hints(t_xmin, t_xmax, t_infomask, xacts):
        block, lp, start = int(blocks[c.index]), int(lps[c.index]), int(lp_offs[c.index]) + at
        looked = xacts.xid_status(c.xid)
        message = (
            f"lp {lp}: {c.which} {c.xid}: {c.hint} is set but pg_xact says {looked.describe()}"
        )
        span = Span(start, start + size)
        text = Diagnostic(Severity.ERROR, HINT_CONTRADICTS_XACT, message, span).describe()
        out.append(
            Finding(
                fork,
                block,
                origins[block],
                str(Severity.ERROR),
                HINT_CONTRADICTS_XACT,
                (span.start, span.stop),
                message,
                text,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class _Tuples:
    """The LP_NORMAL tuples of the regular heap pages ``heap`` (rows of a chunk's pages):
    where each starts (flat byte offset ``at``), its pointer and its t_infomask."""

    sub: arrays.U8  #: the heap pages
    items: arrays.FlatItems
    normal: arrays.I64  #: positions in ``items`` of the LP_NORMAL pointers
    at: arrays.I64
    infomask: npt.NDArray[Any]


def _normal_tuples(pages: arrays.U8, heap: arrays.I64) -> _Tuples:
    sub = pages if len(heap) == len(pages) else pages[heap]
    lower = arrays.headers(sub)["pd_lower"].astype(np.int64)
    items = arrays.FlatItems(sub, (lower - C.SizeOfPageHeaderData) // C.SizeOfItemIdData)
    normal = np.flatnonzero((items.lp_flags == C.LP_NORMAL) & (items.lp_len != 0))
    # only the fields the rules read, each gathered by its layout offset and size
    at = items.row[normal] * sub.shape[1] + items.lp_off[normal]
    return _Tuples(sub, items, normal, at, _gather(sub, at, "t_infomask"))


def _xids(words: npt.NDArray[Any]) -> tuple[arrays.I64, arrays.I64]:
    """t_xmin and t_xmax from the 8-byte words that hold both."""
    return (words & np.uint64(0xFFFFFFFF)).astype(np.int64), (words >> np.uint64(32)).astype(
        np.int64
    )


def _regular_hints(
    xacts: DataDirectoryXacts,
    source: PageSource,
    fork: Fork,
    tuples: _Tuples,
    blknos: arrays.I64,
    heap: arrays.I64,
) -> tuple[int, list[Finding]]:
    """Hinted tuples and hint findings of the regular heap pages ``heap`` (rows of ``pages``)."""
    items, infomask = tuples.items, tuples.infomask
    hinted = np.flatnonzero(infomask & _HINTS)
    if not len(hinted):
        return 0, []
    at, chosen = tuples.at[hinted], tuples.normal[hinted]
    t_xmin, t_xmax = _xids(_gather(tuples.sub, at, "t_xmin", "t_xmax"))  # one 8-byte word
    found = _hint_findings(
        xacts,
        fork,
        blknos[heap[items.row[chosen]]],
        _Origins(source, fork),
        items.index[chosen] + 1,
        items.lp_off[chosen],
        t_xmin,
        t_xmax,
        infomask[hinted].astype(np.int64),
    )
    return len(hinted), found


_T_XMIN: Final = HEAP_TUPLE_HEADER_OFFSETS["t_xmin"]
_T_XMAX: Final = HEAP_TUPLE_HEADER_OFFSETS["t_xmax"]


def _bound_findings(
    bounds: XidBounds,
    fork: Fork,
    blocks: arrays.I64,
    origins: dict[int, str],
    lps: arrays.I64,
    lp_offs: arrays.I64,
    t_xmin: arrays.I64,
    t_xmax: arrays.I64,
    t_infomask: arrays.I64,
) -> list[Finding]:
    """:func:`tuple_xid_problems` of each tuple given, as findings: fork, block, lp, the
    bytes of the t_xmin or t_xmax out of bounds, amcheck's message."""
    out = []
    for i in range(len(lps)):
        problems = tuple_xid_problems(int(t_xmin[i]), int(t_xmax[i]), int(t_infomask[i]), bounds)
        block, lp, base = int(blocks[i]), int(lps[i]), int(lp_offs[i])
        for code, amcheck in problems:
            at, size = _T_XMIN if code == XMIN_OUT_OF_BOUNDS else _T_XMAX
            span = Span(base + at, base + at + size)
            message = f"lp {lp}: {amcheck}"
            text = Diagnostic(Severity.ERROR, code, message, span).describe()
            out.append(
                Finding(
                    fork,
                    block,
                    origins[block],
                    str(Severity.ERROR),
                    code,
                    (span.start, span.stop),
                    message,
                    text,
                    lp,
                    amcheck,
                )
            )
    return out


def _regular_bounds(
    bounds: XidBounds,
    source: PageSource,
    fork: Fork,
    tuples: _Tuples,
    blknos: arrays.I64,
    heap: arrays.I64,
) -> tuple[int, list[Finding]]:
    """Tuples checked against ``bounds`` and the ids out of them, of regular heap pages:
    the masks over every tuple, the messages for the flagged ones only."""
    if not len(tuples.at):
        return 0, []
    t_xmin, t_xmax = _xids(_gather(tuples.sub, tuples.at, "t_xmin", "t_xmax"))
    infomask = tuples.infomask.astype(np.int64)
    flagged = np.flatnonzero(xid_bound_masks(t_xmin, t_xmax, infomask, bounds))
    if not len(flagged):
        return len(tuples.at), []
    items, chosen = tuples.items, tuples.normal[flagged]
    found = _bound_findings(
        bounds,
        fork,
        blknos[heap[items.row[chosen]]],
        _Origins(source, fork),
        items.index[chosen] + 1,
        items.lp_off[chosen],
        t_xmin[flagged],
        t_xmax[flagged],
        infomask[flagged],
    )
    return len(tuples.at), found


def _page_tuples(page: Page, *, hinted: bool) -> tuple[arrays.I64, ...] | None:
    """(blocks, lps, lp_offs, t_xmin, t_xmax, t_infomask) of the LP_NORMAL tuples of a page
    the full decoder read (only those with hint bits set when ``hinted``), as the columns
    the array rules take; None when there is none."""
    if not isinstance(page, HeapPage):
        return None
    headers = [
        (item.lp.lp, item.lp.lp_off, item.tuple.header)
        for item in page.items
        if item.tuple is not None
        and item.lp.lp_flags == C.LP_NORMAL
        and (not hinted or item.tuple.header.t_infomask & _HINTS)
    ]
    if not headers:
        return None
    rows = [(page.blkno, lp, off, h.t_xmin, h.t_xmax, h.t_infomask) for lp, off, h in headers]
    return tuple(np.array(column, dtype=np.int64) for column in zip(*rows, strict=True))


def _page_bounds(bounds: XidBounds, fork: Fork, page: Page) -> tuple[int, list[Finding]]:
    """Tuples checked against ``bounds`` and the ids out of them, of a page the full
    decoder read (the scalar rule, tuple by tuple)."""
    columns = _page_tuples(page, hinted=False)
    if columns is None:
        return 0, []
    blocks, *rest = columns
    found = _bound_findings(bounds, fork, blocks, {page.blkno: page.origin}, *rest)
    return len(blocks), found


#: bytes gathered at once: word type, log2(size)
_WORDS: Final = {2: ("<u2", 1), 4: ("<u4", 2), 8: ("<u8", 3)}


def _gather(pages: arrays.U8, at: arrays.I64, name: str, last: str = "") -> npt.NDArray[Any]:
    """Header field ``name`` (through field ``last``, adjacent, as one little-endian word) of
    the tuples starting at flat byte offsets ``at``: MAXALIGNed tuples, so each field (or
    run of fields) lies on a multiple of its size."""
    offset, size = HEAP_TUPLE_HEADER_OFFSETS[name]
    if last:
        end, length = HEAP_TUPLE_HEADER_OFFSETS[last]
        size = end + length - offset
    assert offset % size == 0
    word, shift = _WORDS[size]
    index = at >> shift
    index += offset >> shift
    out: npt.NDArray[Any] = pages.reshape(-1).view(word)[index]
    return out


def _page_hints(xacts: DataDirectoryXacts, fork: Fork, page: Page) -> tuple[int, list[Finding]]:
    """Hinted tuples and hint findings of a page the full decoder read."""
    columns = _page_tuples(page, hinted=True)
    if columns is None:
        return 0, []
    blocks, *rest = columns
    found = _hint_findings(xacts, fork, blocks, {page.blkno: page.origin}, *rest)
    return len(blocks), found


class _Origins(dict[int, str]):
    """Where each block was read, asked of the source only for blocks with findings."""

    def __init__(self, source: PageSource, fork: Fork) -> None:
        super().__init__()
        self.source, self.fork = source, fork

    def __missing__(self, block: int) -> str:
        origin = self[block] = self.source.origin(block, self.fork)
        return origin


def check_blocks(
    source: PageSource,
    fork: Fork,
    start: int = 0,
    stop: int | None = None,
    progress: Progress | None = None,
    *,
    xacts: DataDirectoryXacts | None = None,
    bounds: XidBounds | None = None,
) -> Tally:
    """Check blocks ``start .. stop - 1`` of ``fork``: the kernel for regular pages, the full
    decoder for the rest; findings in block order. With ``xacts``, heap tuples' hint bits
    of the main fork are checked against pg_xact too; with ``bounds``, their xmin and xmax
    against the cluster's and the relation's id bounds."""
    tally = Tally()
    verifiable = source.checksum_verifiable
    hints = xacts if fork == "main" else None
    if hints is not None:
        tally.hinted_tuples = 0
    if fork != "main":
        bounds = None
    if bounds is not None:
        tally.bounded_tuples = 0
    for chunk in source.chunks(fork, start, stop, pages=CHUNK_PAGES):
        before = len(tally.findings)
        pages = arrays.pages_array(chunk)
        blknos = np.arange(chunk.first, chunk.first + chunk.count, dtype=np.int64)
        kinds, status = arrays.classify(pages, blknos, fork=fork, verifiable=verifiable)
        regular = kinds != arrays.Kind.IRREGULAR
        settled = int(regular.sum())
        if settled:
            tally.blocks += settled
            for code, n in zip(*np.unique(kinds[regular], return_counts=True), strict=True):
                tally.kinds[_KIND_NAMES[arrays.Kind(code)]] += int(n)
            for code, n in zip(*np.unique(status[regular], return_counts=True), strict=True):
                tally.checksums[_CHECKSUM_NAMES[arrays.Checksum(code)]] += int(n)
        for index in np.flatnonzero(~regular):
            blkno = chunk.first + int(index)
            raw = RawPage(
                blkno, chunk.page(int(index)), fork, source.origin(blkno, fork), verifiable
            )
            page = decode_page(raw)
            tally.add_page(page)
            tally.irregular += 1
            if hints is not None:
                hinted, found = _page_hints(hints, fork, page)
                tally.hinted_tuples = (tally.hinted_tuples or 0) + hinted
                tally.add_hint_findings(found)
            if bounds is not None:
                tally.add_bound_findings(*_page_bounds(bounds, fork, page))
        heap = np.flatnonzero(kinds == arrays.Kind.HEAP)
        if (hints is not None or bounds is not None) and len(heap):
            tuples = _normal_tuples(pages, heap)
            if hints is not None:
                hinted, found = _regular_hints(hints, source, fork, tuples, blknos, heap)
                tally.hinted_tuples = (tally.hinted_tuples or 0) + hinted
                tally.add_hint_findings(found)
            if bounds is not None:
                tally.add_bound_findings(
                    *_regular_bounds(bounds, source, fork, tuples, blknos, heap)
                )
            # block order: a stable sort keeps each page's own findings first
            tally.findings[before:] = sorted(tally.findings[before:], key=lambda f: f.block)
        if progress is not None:
            progress(chunk.count)
    if hints is not None:
        tally.xact_problems = list(hints.problems)
    return tally


def _check_range(
    source: PageSource,
    fork: Fork,
    start: int,
    stop: int,
    xacts: XactsSpec | None = None,
    bounds: XidBounds | None = None,
) -> Tally:
    """One worker task; the transaction status reader is this process's for the spec."""
    return check_blocks(
        source,
        fork,
        start,
        stop,
        xacts=None if xacts is None else xacts.open(),
        bounds=bounds,
    )


def check_fork(
    source: PageSource,
    fork: Fork,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    xacts: DataDirectoryXacts | None = None,
    bounds: XidBounds | None = None,
) -> Tally:
    """Check every block of ``fork`` on up to ``jobs`` processes; the same tally whatever
    ``jobs`` is (ranges merge in block order). With ``xacts`` (a data directory's transaction
    status) hint bits are checked against pg_xact; workers rebuild the reader from its spec.
    With ``bounds`` tuples' xmin and xmax are checked against them (a plain value, handed to
    workers as it is)."""
    if jobs <= 1 or not source.reopenable:
        return check_blocks(source, fork, 0, None, progress, xacts=xacts, bounds=bounds)
    tally = Tally()
    parts = map_ranges(
        source,
        fork,
        partial(_check_range, xacts=None if xacts is None else share(xacts), bounds=bounds),
        jobs=jobs,
        progress=progress,
        task_blocks=TASK_BLOCKS,
        min_blocks=PARALLEL_MIN_BLOCKS,
    )
    for part in parts:
        tally.merge(part)
    return tally
