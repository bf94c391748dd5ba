"""SP-GiST index pages.

:func:`spgist_contents` is what ``decode_page`` (``decode/dispatch.py``) calls for a page of
kind ``spgist`` after the page header: it returns the model class, the line pointers, the regions
claimed and the model's fields (see :data:`~pageinspect_py.decode.indexpage.Contents`).
``SpGistDecodeOptions`` carries what is known about the index beyond the page (its key types);
pass it as ``decode_page(..., spgist=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pageinspect_py.decode.indexpage import Contents, opaque_index_contents
from pageinspect_py.decode.page import DiagnosticLog, PageHeader


@dataclass(frozen=True, slots=True)
class SpGistDecodeOptions:
    """What is known about the SP-GiST index beyond its page."""


def spgist_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    log: DiagnosticLog,
    options: SpGistDecodeOptions | None = None,
) -> Contents:
    """The page after its header: line pointers and opaque items for now."""
    return opaque_index_contents(data, header, "spgist", log)


__all__ = ["SpGistDecodeOptions", "spgist_contents"]
