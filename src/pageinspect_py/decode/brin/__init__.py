"""BRIN index pages.

:func:`brin_contents` is what ``decode_page`` (``decode/dispatch.py``) calls for a page of
kind ``brin`` after the page header: it returns the model class, the line pointers, the regions
claimed and the model's fields (see :data:`~pageinspect_py.decode.indexpage.Contents`).
``BrinDecodeOptions`` carries what is known about the index beyond the page (its key types);
pass it as ``decode_page(..., brin=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pageinspect_py.decode.indexpage import Contents, opaque_index_contents
from pageinspect_py.decode.page import DiagnosticLog, PageHeader


@dataclass(frozen=True, slots=True)
class BrinDecodeOptions:
    """What is known about the BRIN index beyond its page."""


def brin_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    log: DiagnosticLog,
    options: BrinDecodeOptions | None = None,
) -> Contents:
    """The page after its header: line pointers and opaque items for now."""
    return opaque_index_contents(data, header, "brin", log)


__all__ = ["BrinDecodeOptions", "brin_contents"]
