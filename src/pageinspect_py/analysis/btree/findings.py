"""Findings: a structural problem of a btree index, where it is and what it means; every page
diagnostic becomes one too."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pageinspect_py.decode.common import Diagnostic, Severity
from pageinspect_py.decode.page import Page


@dataclass(frozen=True, slots=True)
class Finding:
    """A structural problem, where it is and what it means."""

    severity: Severity
    code: str
    block: int | None
    item: int | None
    message: str

    def describe(self) -> str:
        where = []
        if self.block is not None:
            where.append(f"block {self.block}")
        if self.item is not None:
            where.append(f"item {self.item}")
        place = " ".join(where)
        return f"{self.severity}: {self.code}{' at ' + place if place else ''}: {self.message}"


def _item_of(page: Page, diagnostic: Diagnostic) -> int | None:
    """The line pointer a diagnostic's bytes belong to, if any."""
    if diagnostic.span is None:
        return None
    at = diagnostic.span.start
    for lp in page.line_pointers:
        if lp.span.start <= at < lp.span.stop:
            return lp.lp
        if lp.lp_len and lp.lp_off <= at < lp.lp_off + lp.lp_len:
            return lp.lp
    return None


def page_findings(page: Page) -> Iterator[Finding]:
    for d in page.diagnostics:
        yield Finding(d.severity, d.code, page.blkno, _item_of(page, d), d.message)


def error(code: str, block: int | None, item: int | None, message: str) -> Finding:
    return Finding(Severity.ERROR, code, block, item, message)


def warning(code: str, block: int | None, item: int | None, message: str) -> Finding:
    return Finding(Severity.WARNING, code, block, item, message)
