"""Alignment and length rules of tuple data (``access/tupmacs.h``, ``varatt.h``).

Shared by the attribute decoder and the layout advisor, so that what we predict and what we
decode follow the same rules.
"""

from __future__ import annotations

from pageinspect_py.catalog.attributes import ALIGNMENT
from pageinspect_py.constants import SizeofHeapTupleHeader, typealign
from pageinspect_py.layouts.varlena import VARATT_SHORT_MAX, VARHDRSZ, VARHDRSZ_SHORT


def att_align_nominal(offset: int, attalign: str) -> int:
    """att_align_nominal: align for the type's declared typalign."""
    return typealign(offset, ALIGNMENT[attalign])


def att_align_pointer(offset: int, attalign: str, attlen: int, first_byte: int) -> int:
    """att_align_pointer: a varlena whose first byte is non-zero is a 1-byte-header (or
    external) datum and is never aligned; a zero byte is padding before an aligned datum."""
    if attlen == -1 and first_byte != 0:
        return offset
    return att_align_nominal(offset, attalign)


def att_align_datum(offset: int, attalign: str, attlen: int, is_short: bool) -> int:
    """att_align_datum: where a datum being stored starts. A varlena already in short form
    (1-byte header, or a TOAST pointer) is not aligned; anything else aligns to attalign."""
    if attlen == -1 and is_short:
        return offset
    return att_align_nominal(offset, attalign)


def varatt_can_make_short(varsize_4b: int) -> bool:
    """VARATT_CAN_MAKE_SHORT for an uncompressed datum whose 4-byte-header size (header
    included) is ``varsize_4b``: heap_fill_tuple stores it with a 1-byte header, unaligned,
    when the column's attstorage is not plain. True up to 126 data bytes."""
    return varsize_4b - VARHDRSZ + VARHDRSZ_SHORT <= VARATT_SHORT_MAX


def varatt_converted_short_size(varsize_4b: int) -> int:
    """VARATT_CONVERTED_SHORT_SIZE: its size once given a 1-byte header."""
    return varsize_4b - VARHDRSZ + VARHDRSZ_SHORT


def null_bitmap_bytes(natts: int) -> int:
    """BITMAPLEN."""
    return (natts + 7) // 8


def heap_t_hoff(natts: int, has_nulls: bool, maxalign: int = 8) -> int:
    """t_hoff of a new tuple: 23 header bytes, the null bitmap if any, MAXALIGNed."""
    size = SizeofHeapTupleHeader + (null_bitmap_bytes(natts) if has_nulls else 0)
    return typealign(size, maxalign)


def att_addlength_pointer(offset: int, attlen: int, data: bytes) -> int:
    """att_addlength_pointer: the offset just past the attribute stored at ``data[offset]``.

    Fixed-width types take ``attlen`` bytes, varlenas VARSIZE_ANY (1-byte, 4-byte, compressed
    or TOAST-pointer header), C strings (attlen -2) run to their NUL. Raises DatumError when the
    length cannot be read from ``data``.
    """
    if attlen > 0:
        return offset + attlen
    if attlen == -1:
        from pageinspect_py.decode.varlena import varsize_any

        return offset + varsize_any(data, offset)
    if attlen == -2:
        end = data.find(b"\x00", offset)
        if end < 0:
            from pageinspect_py.errors import DatumError

            raise DatumError(f"C string at byte {offset} has no terminating NUL")
        return end + 1
    from pageinspect_py.errors import DatumError

    raise DatumError(f"attlen {attlen} is not a valid length")


def attribute_bounds(offset: int, attlen: int, attalign: str, data: bytes) -> tuple[int, int]:
    """heap_deform_tuple's step: where the attribute after ``offset`` starts (aligned as
    att_align_pointer/att_align_nominal say) and ends (att_addlength_pointer), in ``data``
    (a tuple's data, a composite datum's). Raises DatumError when its bytes are not all
    there."""
    from pageinspect_py.errors import DatumError

    if attlen == -1:
        if offset >= len(data):
            raise DatumError(f"no bytes left at data offset {offset}")
        start = att_align_pointer(offset, attalign, -1, data[offset])
    else:
        start = att_align_nominal(offset, attalign)
    end = att_addlength_pointer(start, attlen, data)
    if end > len(data):
        raise DatumError(f"needs bytes {start}..{end} of the data, which has {len(data)}")
    return start, end
