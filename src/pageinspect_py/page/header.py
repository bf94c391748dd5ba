"""The page header (``PageHeaderData``, bufpage.h): reader and validity rules.

The rules return diagnostic codes; ``decode/page.py`` gives each code its sentence and span,
the bulk scan treats any code as "decode this page in full".
"""

from __future__ import annotations

import struct
from typing import NamedTuple, Protocol

from pageinspect_py import constants as C
from pageinspect_py.layouts._util import struct_format
from pageinspect_py.layouts.page import PageHeaderData

#: PageHeaderData as a struct unpacker derived from the layout (pd_lsn's two halves first)
HEADER_STRUCT = struct.Struct(struct_format(PageHeaderData))


class HeaderWords(NamedTuple):
    """The header's fields as integers (``pd_lsn`` joined from its two 32-bit halves)."""

    pd_lsn: int
    pd_checksum: int
    pd_flags: int
    pd_lower: int
    pd_upper: int
    pd_special: int
    pd_pagesize_version: int
    pd_prune_xid: int


class HeaderFields(Protocol):
    """What the header rules read: any object with these fields (HeaderWords, the decoder's
    PageHeader)."""

    @property
    def pd_flags(self) -> int: ...
    @property
    def pd_lower(self) -> int: ...
    @property
    def pd_upper(self) -> int: ...
    @property
    def pd_special(self) -> int: ...
    @property
    def pd_pagesize_version(self) -> int: ...


def read_header(data: bytes) -> HeaderWords:
    """The header of a page at least ``SizeOfPageHeaderData`` long (the caller checks)."""
    hi, lo, *rest = HEADER_STRUCT.unpack_from(data)
    return HeaderWords((hi << 32) | lo, *rest)


def pagesize(pd_pagesize_version: int) -> int:
    """PageGetPageSize: the high byte."""
    return pd_pagesize_version & 0xFF00


def layout_version(pd_pagesize_version: int) -> int:
    """PageGetPageLayoutVersion: the low byte."""
    return pd_pagesize_version & 0x00FF


def header_is_sane(pd_flags: int, pd_lower: int, pd_upper: int, pd_special: int, size: int) -> bool:
    """The checks of PageIsVerified/PageHeaderIsValid (bufpage.c), without the checksum."""
    return (
        pd_flags & ~C.PD_VALID_FLAG_BITS == 0
        and C.SizeOfPageHeaderData <= pd_lower <= pd_upper <= pd_special <= size
        and pd_special == C.maxalign(pd_special)
    )


def header_problems(h: HeaderFields, size: int) -> tuple[str, ...]:
    """Diagnostic codes for a header on a page of ``size`` bytes (empty when it is sound):
    ``pagesize-mismatch``, ``layout-version``, ``pd-flags``, ``pd-lower-upper``,
    ``pd-special`` and ``pd-special-align`` (the last only when pd_special is in range)."""
    codes: list[str] = []
    if pagesize(h.pd_pagesize_version) != size:
        codes.append("pagesize-mismatch")
    if layout_version(h.pd_pagesize_version) != C.PG_PAGE_LAYOUT_VERSION:
        codes.append("layout-version")
    if h.pd_flags & ~C.PD_VALID_FLAG_BITS:
        codes.append("pd-flags")
    if not C.SizeOfPageHeaderData <= h.pd_lower <= h.pd_upper:
        codes.append("pd-lower-upper")
    if not h.pd_upper <= h.pd_special <= size:
        codes.append("pd-special")
    elif h.pd_special != C.maxalign(h.pd_special):
        codes.append("pd-special-align")
    return tuple(codes)
