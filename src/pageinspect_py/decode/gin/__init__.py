"""GIN index pages.

:func:`gin_contents` is what ``decode_page`` (``decode/dispatch.py``) calls for a page of
kind ``gin`` after the page header: it returns the model class, the line pointers, the regions
claimed and the model's fields (see :data:`~pageinspect_py.decode.indexpage.Contents`).
``GinDecodeOptions`` carries what is known about the index beyond the page (its key types);
pass it as ``decode_page(..., gin=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pageinspect_py.decode.indexpage import Contents, opaque_index_contents
from pageinspect_py.decode.page import DiagnosticLog, PageHeader


@dataclass(frozen=True, slots=True)
class GinDecodeOptions:
    """What is known about the GIN index beyond its page."""


def gin_contents(
    data: bytes,
    header: PageHeader,
    blkno: int,
    log: DiagnosticLog,
    options: GinDecodeOptions | None = None,
) -> Contents:
    """The page after its header: line pointers and opaque items for now."""
    return opaque_index_contents(data, header, "gin", log)


__all__ = ["GinDecodeOptions", "gin_contents"]
