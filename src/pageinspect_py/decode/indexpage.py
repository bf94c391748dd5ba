"""The page of an index access method as line pointers and opaque items: what an access
method's decoder falls back to for the parts it does not (yet) read, and the whole page of
one that has no decoder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Region, RegionKind, Span
from pageinspect_py.decode.page import (
    DiagnosticLog,
    ItemId,
    Page,
    PageHeader,
    check_header,
    check_line_pointer,
    frame_claims,
    parse_line_pointers,
)
from pageinspect_py.page.special import holds_line_pointers

#: what an access method's ``*_contents`` returns to ``decode_page``: the model class, the
#: line pointers, the regions claimed (``decode_page`` tiles them) and the model's own fields
Contents = tuple[type[Page], tuple[ItemId, ...], list[Region], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class IndexPage(Page):
    """A page of an index access method whose items are not decoded here (yet)."""


def opaque_index_contents(
    data: bytes, header: PageHeader, kind: str, log: DiagnosticLog
) -> Contents:
    """The header checked, then line pointers and their items as opaque byte runs plus the
    special space; a page whose contents are one struct (the SP-GiST metapage), and GIN and
    BRIN pages, are left "not decoded" after the header (never reported as corrupt)."""
    check_header(header, len(data), log)
    size = len(data)
    if not holds_line_pointers(data, kind):
        special = header.pd_special if header.pd_special <= size else size
        claims = [
            Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData)),
            Region(RegionKind.UNKNOWN, Span(C.SizeOfPageHeaderData, special), label="not decoded"),
            Region(RegionKind.SPECIAL, Span(special, size)),
        ]
        return IndexPage, (), claims, {}
    lps = parse_line_pointers(data, header, log)
    claims = frame_claims(header, lps, size)
    for lp in lps:
        if check_line_pointer(lp, size, len(lps), log):
            claims.append(Region(RegionKind.ITEM, lp.item_span, lp.lp))
    return IndexPage, lps, claims, {}
