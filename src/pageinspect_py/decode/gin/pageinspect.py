"""What pageinspect shows of a GIN index page, computed from our models:
``gin_page_opaque_info()``, ``gin_metapage_info()`` and ``gin_leafpage_items()``, with the
columns of pageinspect 1.7 to 1.13 (PostgreSQL 12 to 18: the same columns; block numbers and
counts as ``int8``).

Each function returns None where pageinspect raises on the same page: a special space that is
not MAXALIGN(sizeof(GinPageOpaqueData)) (every function), flags that are not exactly GIN_META
(``gin_metapage_info``: "input page is not a GIN metapage") or not exactly
GIN_DATA | GIN_LEAF | GIN_COMPRESSED (``gin_leafpage_items``: "input page is not a compressed
GIN data leaf page"). New pages never reach these (they are no GIN pages here; the server
returns NULL for them, 14+).

Source: ``contrib/pageinspect/ginfuncs.c``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.decode.gin.model import GinDataPage, GinMetaPage, GinPage
from pageinspect_py.decode.page import Page


@dataclass(frozen=True, slots=True)
class GinPageOpaqueInfo:
    """``gin_page_opaque_info()``."""

    rightlink: int
    maxoff: int
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GinMetapageInfo:
    """``gin_metapage_info()``."""

    pending_head: int
    pending_tail: int
    tail_free_size: int
    n_pending_pages: int
    n_pending_tuples: int
    n_total_pages: int
    n_entry_pages: int
    n_data_pages: int
    n_entries: int
    version: int


@dataclass(frozen=True, slots=True)
class GinLeafPageItem:
    """One row of ``gin_leafpage_items()``: a compressed segment."""

    first_tid: str
    nbytes: int
    tids: tuple[str, ...]


def _verified(page: Page) -> GinPage | None:
    if not isinstance(page, GinPage) or page.opaque is None:
        return None
    if page.size - page.header.pd_special != C.SizeOfGinPageOpaqueData:
        return None  # "input page is not a valid GIN ... page"
    return page


def gin_page_opaque_info(page: Page) -> GinPageOpaqueInfo | None:
    """``gin_page_opaque_info()``: rightlink, maxoff, the flags by name."""
    gin = _verified(page)
    if gin is None or gin.opaque is None:
        return None
    o = gin.opaque
    return GinPageOpaqueInfo(o.rightlink, o.maxoff, o.flag_names)


def gin_metapage_info(page: Page) -> GinMetapageInfo | None:
    """``gin_metapage_info()`` of the metapage (flags exactly GIN_META)."""
    gin = _verified(page)
    if gin is None or gin.opaque is None or gin.opaque.flags != C.GIN_META:
        return None
    if not isinstance(gin, GinMetaPage) or gin.meta is None:
        return None
    m = gin.meta
    return GinMetapageInfo(
        pending_head=m.head,
        pending_tail=m.tail,
        tail_free_size=m.tailFreeSize,
        n_pending_pages=m.nPendingPages,
        n_pending_tuples=m.nPendingHeapTuples,
        n_total_pages=m.nTotalPages,
        n_entry_pages=m.nEntryPages,
        n_data_pages=m.nDataPages,
        n_entries=m.nEntries,
        version=m.ginVersion,
    )


_COMPRESSED_LEAF = C.GIN_DATA | C.GIN_LEAF | C.GIN_COMPRESSED


def gin_leafpage_items(page: Page) -> tuple[GinLeafPageItem, ...] | None:
    """``gin_leafpage_items()`` of a compressed posting-tree leaf: every segment's first TID,
    nbytes and every TID it holds."""
    gin = _verified(page)
    if gin is None or gin.opaque is None or gin.opaque.flags != _COMPRESSED_LEAF:
        return None
    if not isinstance(gin, GinDataPage):
        return None
    return tuple(
        GinLeafPageItem(str(s.first), s.nbytes, tuple(str(t) for t in s.tids)) for s in gin.segments
    )
