"""What pageinspect shows of a GiST page, computed from our models: ``gist_page_opaque_info()``,
``gist_page_items_bytea()`` and ``gist_page_items()`` with the columns of pageinspect 1.9 to
1.13 (PostgreSQL 14 to 18: every major returns ``dead``; values are determined by the bytes,
so the same rows are produced for pages of 12 and 13, which have no such functions).

Each function returns None where pageinspect raises on the same page: a special space that is
not MAXALIGN(sizeof(GISTPageOpaqueData)), a gist_page_id that is not GIST_PAGE_ID, a line
pointer that is LP_UNUSED ("invalid ItemId"). A deleted page has no items (pageinspect only
says "page is deleted"). ``gist_page_items`` needs the index's tuple descriptor: None when
the page was decoded without it, or when a key's type has no output function here.

Source: ``contrib/pageinspect/gistfuncs.c`` (gist_page_opaque_info, gist_page_items_bytea,
gist_page_items).
"""

from __future__ import annotations

from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.decode.gist.decoder import GistDecodeOptions
from pageinspect_py.decode.gist.keys import key_description
from pageinspect_py.decode.gist.model import GistPage, lsn_text
from pageinspect_py.decode.page import Page


@dataclass(frozen=True, slots=True)
class GistPageOpaqueInfo:
    """``gist_page_opaque_info()``."""

    lsn: str
    nsn: str
    rightlink: int
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GistPageItemBytea:
    """One row of ``gist_page_items_bytea()``: the whole tuple as ``key_data``."""

    itemoffset: int
    ctid: str
    itemlen: int
    dead: bool
    key_data: str  #: bytea text: ``\\x...``


@dataclass(frozen=True, slots=True)
class GistPageItem:
    """One row of ``gist_page_items()``: the keys as the index's output functions print
    them."""

    itemoffset: int
    ctid: str
    itemlen: int
    dead: bool
    keys: str


def _verified(page: Page) -> GistPage | None:
    """The page when pageinspect accepts it (special size and page id), else None."""
    if not isinstance(page, GistPage) or page.opaque is None:
        return None
    if page.size - page.header.pd_special != C.SizeOfGISTPageOpaqueData:
        return None  # "input page is not a valid GiST page": special size
    if page.opaque.gist_page_id != C.GIST_PAGE_ID:
        return None  # "input page is not a valid GiST page": page id
    return page


def gist_page_opaque_info(page: Page) -> GistPageOpaqueInfo | None:
    """``gist_page_opaque_info()``: the page LSN, the NSN, the right link and the flags."""
    p = _verified(page)
    if p is None or p.opaque is None:
        return None
    return GistPageOpaqueInfo(
        lsn_text(p.header.pd_lsn), p.opaque.nsn_text, p.opaque.rightlink, p.opaque.flag_names
    )


def _rows_ok(p: GistPage) -> bool:
    """pageinspect reads every line pointer up to PageGetMaxOffsetNumber and raises on an
    LP_UNUSED one; a tuple outside the page would be read from beyond it."""
    for item in p.items:
        if item.lp.lp_flags == C.LP_UNUSED:
            return False
        t = item.tuple
        if t is None or t.offset + t.size > p.size:
            return False
    return True


def gist_page_items_bytea(page: Page) -> tuple[GistPageItemBytea, ...] | None:
    """``gist_page_items_bytea()``: every item's t_tid, IndexTupleSize, LP_DEAD and its
    IndexTupleSize bytes (header included)."""
    p = _verified(page)
    if p is None:
        return None
    if p.is_deleted:
        return ()
    if not _rows_ok(p):
        return None
    out = []
    for item in p.items:
        t = item.tuple
        assert t is not None
        raw = p.data[t.offset : t.offset + t.size]
        out.append(
            GistPageItemBytea(item.offnum, str(t.t_tid), t.size, item.dead, "\\x" + raw.hex())
        )
    return tuple(out)


def gist_page_items(
    page: Page, options: GistDecodeOptions | None = None
) -> tuple[GistPageItem, ...] | None:
    """``gist_page_items(page, index)`` of a page decoded with the index's tuple descriptor
    (``GistDecodeOptions`` with columns; the keys are the page's own, ``options`` only says
    the page must have been typed). None for a page decoded without it."""
    p = _verified(page)
    if p is None:
        return None
    if p.is_deleted:
        return ()
    if (options is not None and not options.typed) or not p.typed or not _rows_ok(p):
        return None
    columns = p.columns_of_page()
    out = []
    for item in p.items:
        t = item.tuple
        assert t is not None
        keys = key_description(columns, t.keys, p.nkeyatts)
        if keys is None:
            return None
        out.append(GistPageItem(item.offnum, str(t.t_tid), t.size, item.dead, keys))
    return tuple(out)
