"""``pgpage check``: every page of every fork, checksums and structure, as one report.

The work runs on the kernel (:mod:`pageinspect_py.scan.check`): regular pages are settled as
arrays, the rest decoded in full, so the findings are those of decoding every page. A relation
of a data directory is checked with the directory's transaction status too (``xacts``): every
hint bit pg_xact contradicts is a ``hint-contradicts-xact`` finding (a copy taken while the
server ran, or a damaged page), and with the id bounds (``bounds``: pg_control's next and
oldest xid and multixact, pg_class's relfrozenxid and relminmxid) every xmin and xmax out of
them is an ``xmin-out-of-bounds``, ``xmax-out-of-bounds`` or ``multixact-out-of-bounds``
finding, with amcheck's (verify_heapam's) message.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pageinspect_py.analysis.findings import IndexFinding
from pageinspect_py.app.indexes import (
    INDEX_CHECK_MAX_BLOCKS,
    INDEX_CHECKS,
    IndexCheck,
    access_method_of,
)
from pageinspect_py.decode.page import ChecksumStatus, Page, PageKind
from pageinspect_py.page.raw import FORKS, Fork, PageSource
from pageinspect_py.scan.check import Finding, Tally, check_fork
from pageinspect_py.scan.parallel import Progress

if TYPE_CHECKING:
    from pageinspect_py.page.xidbounds import XidBounds
    from pageinspect_py.sources.datadir.slru import DataDirectoryXacts

#: the name :attr:`CheckReport.checks` gives the hint bit check
HINT_CHECK = "hint bits against pg_xact"
#: ... and the xid bounds check (amcheck verify_heapam's)
XID_BOUNDS_CHECK = "xids and multixacts against the cluster's bounds"

#: page kinds whose contents are not decoded (yet): their pages are checked as far as the
#: header, line pointers and checksum go, and the report says how many there were
NOT_DECODED: tuple[PageKind, ...] = (PageKind.UNKNOWN,)


@dataclass(frozen=True, slots=True)
class ForkSummary:
    fork: Fork
    blocks: int
    kinds: dict[str, int]  #: pages per kind, in PageKind order
    checksums: dict[str, int]  #: pages per checksum verdict, in ChecksumStatus order
    errors: int
    warnings: int
    #: heap tuples whose xmin/xmax were checked against the id bounds (None: not checked)
    xid_bounds_checked: int | None = None

    @property
    def not_decoded(self) -> dict[str, int]:
        """Pages of kinds whose contents are not decoded, per kind."""
        return {kind: n for kind, n in self.kinds.items() if PageKind(kind) in NOT_DECODED}

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "blocks": self.blocks,
            "kinds": self.kinds,
            "checksums": self.checksums,
            "errors": self.errors,
            "warnings": self.warnings,
            "not_decoded": self.not_decoded,
        }
        if self.xid_bounds_checked is not None:
            out["xid_bounds_checked"] = self.xid_bounds_checked
        return out


@dataclass(frozen=True, slots=True)
class CheckReport:
    relation: str
    forks: tuple[ForkSummary, ...]
    findings: tuple[Finding, ...]
    source_problems: tuple[str, ...]
    #: which checks ran beyond the pages' own (e.g. "btree structure"), and how many findings
    checks: tuple[tuple[str, int], ...] = ()
    #: why some hint bits could not be checked (pg_xact segments missing), once each; None
    #: when no transaction status was given (not a relation of a data directory)
    xact_problems: tuple[str, ...] | None = None
    #: checks that did not run, and why (an index too large for its cross-page check)
    unchecked: tuple[tuple[str, str], ...] = ()

    @property
    def problems(self) -> bool:
        """Anything wrong: a file problem or an error finding (warnings alone are not)."""
        return bool(self.source_problems) or any(f.severity == "error" for f in self.findings)

    def as_json(self) -> dict[str, Any]:
        out = self._json()
        if self.xact_problems is not None:
            out["xact_problems"] = list(self.xact_problems)
        return out

    def _json(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "forks": {summary.fork: summary.as_json() for summary in self.forks},
            "findings": [_finding_json(f) for f in self.findings],
            "source_problems": list(self.source_problems),
            "checks": dict(self.checks),
            "unchecked": dict(self.unchecked),
            "problems": self.problems,
        }


def _finding_json(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "fork": f.fork,
        "block": f.block,
        "origin": f.origin,
        "severity": f.severity,
        "code": f.code,
        "span": None if f.span is None else list(f.span),
        "message": f.message,
        "text": f.text,
    }
    if f.lp is not None:
        out["lp"] = f.lp
    if f.amcheck is not None:
        out["amcheck"] = f.amcheck
    return out


def blocks_to_check(source: PageSource) -> int:
    """Blocks :func:`check_relation` reads (for a progress bar)."""
    return sum(source.nblocks(fork) for fork in FORKS)


def _ordered(counts: Counter[str], order: tuple[str, ...]) -> dict[str, int]:
    return {name: counts[name] for name in order if counts[name]}


def check_relation(
    source: PageSource,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    xacts: DataDirectoryXacts | None = None,
    bounds: XidBounds | None = None,
) -> CheckReport:
    """Check every page of every fork of ``source`` on up to ``jobs`` processes; with
    ``xacts`` (the transaction status of the data directory ``source`` is a relation of)
    the heap tuples' hint bits against pg_xact too, with ``bounds`` (its pg_control's and
    the relation's pg_class row's) their xmin and xmax against them."""
    summaries: list[ForkSummary] = []
    findings: list[Finding] = []
    hint_findings = 0
    bound_findings = 0
    xact_problems: dict[str, None] = {}
    amname = access_method_of(source)
    index_check = INDEX_CHECKS.get(amname or "")
    index_pages: list[Page] | None = None
    unchecked: list[tuple[str, str]] = []
    for fork in FORKS:
        if source.nblocks(fork) == 0:
            continue
        if fork == "main" and index_check is not None and amname is not None:
            if source.nblocks(fork) <= INDEX_CHECK_MAX_BLOCKS:
                # one pass: the pages decoded as the method's check wants them are the
                # pages checked one by one too (the kernel leaves such pages to the decoder)
                tally, index_pages = _index_pass(index_check, amname, source, progress)
            else:
                unchecked.append(
                    (
                        index_check.name,
                        f"the index has {source.nblocks(fork)} blocks, more than the "
                        f"{INDEX_CHECK_MAX_BLOCKS} the cross-page check holds in memory; "
                        "every page was checked on its own",
                    )
                )
                tally = check_fork(source, fork, jobs=jobs, progress=progress)
        else:
            tally = check_fork(
                source, fork, jobs=jobs, progress=progress, xacts=xacts, bounds=bounds
            )
        hint_findings += tally.hint_findings
        bound_findings += tally.bound_findings
        xact_problems.update(dict.fromkeys(tally.xact_problems))
        summaries.append(
            ForkSummary(
                fork,
                tally.blocks,
                _ordered(tally.kinds, tuple(PageKind)),
                _ordered(tally.checksums, tuple(ChecksumStatus)),
                tally.errors,
                tally.warnings,
                tally.bounded_tuples if tally.kinds.get(PageKind.HEAP) else None,
            )
        )
        findings.extend(tally.findings)
    checks: list[tuple[str, int]] = []
    # the hint bit check applies to relations with heap pages (not to indexes)
    hints = xacts is not None and any(s.kinds.get(PageKind.HEAP) for s in summaries)
    if hints:
        checks.append((HINT_CHECK, hint_findings))
    if bounds is not None and any(s.kinds.get(PageKind.HEAP) for s in summaries):
        checks.append((XID_BOUNDS_CHECK, bound_findings))
    structural: list[Finding] | None = None
    if amname == "btree":
        structural = btree_findings(source)
        checks.append(("btree structure", len(structural)))
    elif index_check is not None and index_pages is not None:
        structural = [_index_finding(source, f) for f in index_check.findings(index_pages)]
        checks.append((index_check.name, len(structural)))
    if structural is not None:
        findings.extend(structural)
        findings.sort(key=lambda f: (FORKS.index(f.fork), f.block))
    return CheckReport(
        source.name,
        tuple(summaries),
        tuple(findings),
        tuple(str(problem) for problem in source.problems if not problem.harmless),
        tuple(checks),
        tuple(xact_problems) if hints else None,
        tuple(unchecked),
    )


def _index_pass(
    check: IndexCheck, amname: str, source: PageSource, progress: Progress | None
) -> tuple[Tally, list[Page]]:
    """The main fork of an index whose method has a cross-page check: each page decoded
    once, tallied as the kernel pass tallies the pages it decodes, and kept for the check."""
    tally = Tally()
    pages = []
    for page in check.pages(amname, source):
        tally.add_page(page)
        if page.kind is not PageKind.NEW:
            tally.irregular += 1
        pages.append(page)
        if progress is not None:
            progress(1)
    return tally, pages


def _index_finding(source: PageSource, f: IndexFinding) -> Finding:
    """A cross-page finding of an access method's index check (severity, code, block,
    message, ``describe()``) as one of check's findings."""
    block = f.block if f.block is not None else 0
    return Finding(
        "main",
        block,
        source.origin(block, "main") if f.block is not None else source.name,
        str(f.severity),
        f.code,
        None,
        f.message,
        f.describe(),
    )


def btree_findings(source: PageSource) -> list[Finding]:
    """What bt_index_check-style structural checks find across a btree's pages (levels,
    sibling links, downlinks, key order against high keys; the pages' own diagnostics are
    the kernel pass's): the checks ``pgpage btree`` runs, keys compared bytewise."""
    from pageinspect_py.analysis.btree import scan_index
    from pageinspect_py.analysis.btree.checks import tree_findings

    tree = scan_index(source)
    out = []
    for f in tree_findings(tree):
        block = f.block if f.block is not None else 0
        where = f" item {f.item}" if f.item is not None else ""
        out.append(
            Finding(
                "main",
                block,
                source.origin(block, "main") if f.block is not None else source.name,
                str(f.severity),
                f.code,
                None,
                f.message,
                f"{f.severity}: {f.code}{where}: {f.message}",
            )
        )
    return out
