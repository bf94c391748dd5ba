"""Relation-wide checking on the page kernel.

:func:`check_blocks` reads a block range in bounded chunks, lets the kernel
(:func:`pageinspect_py.page.arrays.classify`) settle every regular page as a whole array, and
decodes in full only the pages it calls irregular -- so findings, kinds and checksum verdicts
are exactly those of decoding every page (a test proves it), at array speed.
:func:`check_fork` runs ranges of a fork on worker processes, each with its own copy of the
source, and merges their tallies in block order: the result does not depend on the number of
workers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from pageinspect_py.decode.common import Severity
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import ChecksumStatus, Page, PageKind
from pageinspect_py.page import arrays
from pageinspect_py.page.raw import Fork, PageSource, RawPage
from pageinspect_py.scan import parallel
from pageinspect_py.scan.parallel import Progress, map_ranges

#: pages read and classified at once: bounds memory (a chunk is 8 MiB at 8 kB)
CHUNK_PAGES = 1024
#: blocks per task handed to a worker, and the fork size below which workers do not pay
TASK_BLOCKS = parallel.TASK_BLOCKS
PARALLEL_MIN_BLOCKS = parallel.PARALLEL_MIN_BLOCKS

_KIND_NAMES = {arrays.Kind.NEW: str(PageKind.NEW), arrays.Kind.HEAP: str(PageKind.HEAP)}
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


def check_blocks(
    source: PageSource,
    fork: Fork,
    start: int = 0,
    stop: int | None = None,
    progress: Progress | None = None,
) -> Tally:
    """Check blocks ``start .. stop - 1`` of ``fork``: the kernel for regular pages, the full
    decoder for the rest; findings in block order."""
    tally = Tally()
    verifiable = source.checksum_verifiable
    for chunk in source.chunks(fork, start, stop, pages=CHUNK_PAGES):
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
            tally.add_page(decode_page(raw))
            tally.irregular += 1
        if progress is not None:
            progress(chunk.count)
    return tally


def _check_range(source: PageSource, fork: Fork, start: int, stop: int) -> Tally:
    return check_blocks(source, fork, start, stop)


def check_fork(
    source: PageSource, fork: Fork, *, jobs: int = 1, progress: Progress | None = None
) -> Tally:
    """Check every block of ``fork`` on up to ``jobs`` processes; the same tally whatever
    ``jobs`` is (ranges merge in block order)."""
    if jobs <= 1 or not source.reopenable:
        return check_blocks(source, fork, 0, None, progress)
    tally = Tally()
    parts = map_ranges(
        source,
        fork,
        _check_range,
        jobs=jobs,
        progress=progress,
        task_blocks=TASK_BLOCKS,
        min_blocks=PARALLEL_MIN_BLOCKS,
    )
    for part in parts:
        tally.merge(part)
    return tally
