"""What pageinspect shows of a BRIN index page, computed from our models: ``brin_page_type()``,
``brin_metapage_info()``, ``brin_revmap_data()`` and ``brin_page_items(page, index)``, with
the columns of pageinspect 1.7 to 1.13 (PostgreSQL 12 to 18; ``brin_page_items`` gained the
``empty`` column in 16).

Each function returns None where pageinspect raises on the same page: verify_brin_page's
"page is not a BRIN page of type ..." (a function asked about a page of another type), and
``brin_page_items`` of a page whose index columns are not known (the server needs the index).

Source: ``contrib/pageinspect/brinfuncs.c``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pageinspect_py import constants as C
from pageinspect_py.decode.brin.model import (
    BrinMetaPage,
    BrinPage,
    BrinRegularPage,
    BrinRevmapPage,
    page_type_name,
)
from pageinspect_py.decode.page import Page, PageKind


@dataclass(frozen=True, slots=True)
class BrinMetapageInfo:
    """``brin_metapage_info()``: the magic as text (``0x%08X``)."""

    magic: str
    version: int
    pagesperrange: int
    lastrevmappage: int


@dataclass(frozen=True, slots=True)
class BrinPageItem:
    """One row of ``brin_page_items()``: one column of one tuple (or one row with only
    ``itemoffset`` for an unused line pointer)."""

    itemoffset: int
    blknum: int | None
    attnum: int | None
    allnulls: bool | None
    hasnulls: bool | None
    placeholder: bool | None
    empty: bool | None  #: 16+ only
    value: str | None

    def as_row(self, major: int | None = None) -> dict[str, Any]:
        """The row with the columns the server's major returns (``empty`` from 16; every
        column when the major is not known)."""
        row: dict[str, Any] = {
            "itemoffset": self.itemoffset,
            "blknum": self.blknum,
            "attnum": self.attnum,
            "allnulls": self.allnulls,
            "hasnulls": self.hasnulls,
            "placeholder": self.placeholder,
        }
        if major is None or major >= C.BRIN_EMPTY_RANGE_MAJOR:
            row["empty"] = self.empty
        row["value"] = self.value
        return row


def brin_page_type(page: Page) -> str | None:
    """``brin_page_type()``: meta, revmap, regular or ``unknown (%02x)``. An all-zero page
    reads as type 0; a page that is not a BRIN page gives None."""
    if page.kind is PageKind.NEW:
        return page_type_name(0)
    if isinstance(page, BrinPage) and page.special is not None:
        return page.special.type_name
    return None


def brin_metapage_info(page: Page) -> BrinMetapageInfo | None:
    if not isinstance(page, BrinMetaPage) or page.meta is None:
        return None
    m = page.meta
    return BrinMetapageInfo(
        f"0x{m.brinMagic:08X}", _int32(m.brinVersion), _int32(m.pagesPerRange), m.lastRevmapPage
    )


def _int32(value: int) -> int:
    """Int32GetDatum of a uint32 field: values past 2^31 come out negative."""
    return value - (1 << 32) if value >= 1 << 31 else value


def brin_revmap_data(page: Page) -> tuple[str, ...] | None:
    """``brin_revmap_data()``: every one of the REVMAP_PAGE_MAXITEMS TIDs, in order."""
    if not isinstance(page, BrinRevmapPage):
        return None
    return tuple(str(e.tid) for e in page.entries)


def brin_page_items(page: Page) -> tuple[BrinPageItem, ...] | None:
    """``brin_page_items(page, index)`` of a regular page decoded with the index's columns:
    one row per column of each tuple (brin_deform_tuple: an allnulls column reports
    hasnulls false and no value), one row of NULLs for each unused line pointer. Tuples
    that could not be read (outside the page, too short) are left out."""
    if not isinstance(page, BrinRegularPage) or not page.typed:
        return None
    rows: list[BrinPageItem] = []
    if not page.items:
        # the server reads line pointer 1 even on an empty page: the free space there is
        # zero, an unused pointer
        return (BrinPageItem(1, None, None, None, None, None, None, None),)
    for item in page.items:
        if item.lp.lp_flags == C.LP_UNUSED:
            rows.append(BrinPageItem(item.offnum, None, None, None, None, None, None, None))
            continue
        t = item.tuple
        if t is None or t.columns is None:
            continue
        for column in t.columns:
            rows.append(
                BrinPageItem(
                    item.offnum,
                    t.bt_blkno,
                    column.attnum,
                    column.allnulls,
                    column.hasnulls and not column.allnulls,
                    t.placeholder,
                    t.empty_range,
                    column.value_text,
                )
            )
    return tuple(rows)


def brin_page_items_rows(page: Page, major: int | None = None) -> list[dict[str, Any]] | None:
    """:func:`brin_page_items` as the server's rows (keys by the major: the page's own when
    not given)."""
    items = brin_page_items(page)
    if items is None:
        return None
    if major is None and isinstance(page, BrinPage):
        major = page.major
    return [row.as_row(major) for row in items]
