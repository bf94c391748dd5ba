"""GiST index pages.

:func:`gist_contents` is what ``decode_page`` (``decode/dispatch.py``) calls for a page of
kind ``gist`` after the page header: it returns the model class, the line pointers, the regions
claimed and the model's fields (see :data:`~pageinspect_py.decode.indexpage.Contents`).
``GistDecodeOptions`` carries what is known about the index beyond the page (its key types);
pass it as ``decode_page(..., gist=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pageinspect_py.decode.indexpage import Contents, opaque_index_contents
from pageinspect_py.decode.page import DiagnosticLog, PageHeader


@dataclass(frozen=True, slots=True)
class GistDecodeOptions:
    """What is known about the GiST index beyond its page."""


def gist_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    log: DiagnosticLog,
    options: GistDecodeOptions | None = None,
) -> Contents:
    """The page after its header: line pointers and opaque items for now."""
    return opaque_index_contents(data, header, "gist", log)


__all__ = ["GistDecodeOptions", "gist_contents"]
