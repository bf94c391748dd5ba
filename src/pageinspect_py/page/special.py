"""Rules read from a page's special space (the access method's opaque data at its end)."""

from __future__ import annotations

from pageinspect_py import constants as C

#: page ids some access methods keep in the last two bytes of the special space
SPECIAL_PAGE_IDS: dict[int, str] = {
    C.HASHO_PAGE_ID: "hash",
    C.GIST_PAGE_ID: "gist",
    C.SPGIST_PAGE_ID: "spgist",
}
_BRIN_PAGE_TYPES = (C.BRIN_PAGETYPE_META, C.BRIN_PAGETYPE_REVMAP, C.BRIN_PAGETYPE_REGULAR)


def tail_u16(data: bytes, from_end: int) -> int:
    """The little-endian uint16 that ends ``from_end - 2`` bytes before the page's end."""
    at = len(data) - from_end
    return int.from_bytes(data[at : at + 2], "little")


#: commands/sequence.c: PageInit(page, BLCKSZ, sizeof(sequence_magic)) MAXALIGNs the 4 bytes
SEQUENCE_SPECIAL_SIZE = C.maxalign(4)


def is_sequence_page(data: bytes, pd_special: int) -> bool:
    """A sequence's page: ``sequence_magic`` (0x1717) at the start of a MAXALIGN(4)-byte
    special space, padding after it zero, one line pointer (the sequence's one tuple)."""
    if len(data) - pd_special != SEQUENCE_SPECIAL_SIZE:
        return False
    magic = int.from_bytes(data[pd_special : pd_special + 4], "little")
    lower = int.from_bytes(data[12:14], "little")
    return (
        magic == C.SEQUENCE_MAGIC
        and not any(data[pd_special + 4 :])
        and lower == C.SizeOfPageHeaderData + C.SizeOfItemIdData
    )


def kind_without_page_id(data: bytes, special_size: int) -> str | None:
    """GIN and BRIN keep no page id: an 8-byte special space whose last uint16 is a BRIN page
    type is BRIN's, one whose last uint16 fits GIN's flag bits is GIN's."""
    if special_size != C.SizeOfGinPageOpaqueData:
        return None
    tail = tail_u16(data, 2)
    if tail in _BRIN_PAGE_TYPES:
        return "brin"
    if tail <= 0xFF:
        return "gin"
    return None
