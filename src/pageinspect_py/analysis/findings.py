"""What the pages of an index say about each other: one finding type for every access
method's cross-page checks (hash, GIN, GiST, SP-GiST, BRIN), with decode's severities."""

from __future__ import annotations

from dataclasses import dataclass

from pageinspect_py.decode.common import Severity

__all__ = ["IndexFinding", "Severity"]


@dataclass(frozen=True, slots=True)
class IndexFinding:
    """Something the pages of an index say about each other: where (block, and line
    pointer when one item is meant) and what."""

    severity: Severity
    code: str
    block: int | None
    message: str
    offset: int | None = None  #: the line pointer, when the finding is about one item

    def describe(self) -> str:
        where = ""
        if self.block is not None:
            where = f"block {self.block}"
            if self.offset is not None:
                where += f" lp {self.offset}"
            where += ": "
        return f"{self.severity}: {self.code}: {where}{self.message}"
