"""User-defined types: enums (adt/enum.c enum_out), composites (adt/rowtypes.c record_out),
ranges (adt/rangetypes.c range_out) and multiranges (adt/multirangetypes.c multirange_out,
PostgreSQL 14+). Arrays of them go through array_out with these as element functions.

Each function finds what it needs in the type catalog the :class:`TypeInfo` carries
(:class:`~pageinspect_py.catalog.attributes.TypeCatalog`): an enum's labels by the value's
``pg_enum`` OID, a composite's attributes, a range's subtype, a multirange's range type.
Without a catalog, or for a type it does not know, they raise DatumError and the value is
shown as its bytes.

Layouts (detoasted, offsets from the start of the 4-byte varlena header, which is how the
server aligns them in memory):

- composite: a HeapTupleHeaderData (``datum_len_``, ``datum_typmod``, ``datum_typeid`` in place
  of xmin/xmax/cid, then t_ctid, t_infomask2, t_infomask, t_hoff, the null bitmap) and the
  attributes from ``t_hoff`` on, aligned as in a heap tuple (htup_details.h);
- range: ``vl_len_``, ``rangetypid``, the lower bound then the upper bound (present when the
  flags say so, each aligned for the subtype), and the flags byte last (rangetypes.h);
- multirange: ``vl_len_``, ``multirangetypid``, ``rangeCount``, ``rangeCount - 1`` items
  (lengths, an offset every MULTIRANGE_ITEM_OFFSET_STRIDE-th), one flags byte per range, then
  each range's bounds from an address aligned for the subtype (multirangetypes.c).
"""

from __future__ import annotations

import struct
from typing import Final

from pageinspect_py import constants as C
from pageinspect_py.decode.align import (
    att_addlength_pointer,
    att_align_nominal,
    att_align_pointer,
    attribute_bounds,
)
from pageinspect_py.decode.output.base import TypeInfo, fixed
from pageinspect_py.decode.output.registry import datum_text, register
from pageinspect_py.errors import DatumError

# range flags (utils/rangetypes.h)
RANGE_EMPTY: Final = 0x01  #: range is empty
RANGE_LB_INC: Final = 0x02  #: lower bound is inclusive
RANGE_UB_INC: Final = 0x04  #: upper bound is inclusive
RANGE_LB_INF: Final = 0x08  #: lower bound is -infinity
RANGE_UB_INF: Final = 0x10  #: upper bound is +infinity
RANGE_LB_NULL: Final = 0x20  #: lower bound is null (NOT USED)
RANGE_UB_NULL: Final = 0x40  #: upper bound is null (NOT USED)
RANGE_EMPTY_LITERAL: Final = "empty"

# multiranges (adt/multirangetypes.c)
MULTIRANGE_ITEM_OFF_BIT: Final = 0x80000000
MULTIRANGE_ITEM_OFFLEN_MASK: Final = 0x7FFFFFFF
MULTIRANGE_ITEM_OFFSET_STRIDE: Final = 4
#: sizeof(MultirangeType): vl_len_, multirangetypid, rangeCount
SIZEOF_MULTIRANGE_TYPE: Final = 12
#: sizeof(RangeType): vl_len_, rangetypid
SIZEOF_RANGE_TYPE: Final = 8

# a composite datum's HeapTupleHeaderData (htup_details.h DatumTupleFields)
_DATUM_TYPEID_AT: Final = 8
_T_INFOMASK2_AT: Final = 18
_T_INFOMASK_AT: Final = 20
_T_HOFF_AT: Final = 22

#: isspace() in the C locale
_C_SPACE: Final = frozenset(" \t\n\r\v\f")
_RECORD_SPECIAL: Final = frozenset('"\\(),') | _C_SPACE
_RANGE_SPECIAL: Final = frozenset('"\\()[],') | _C_SPACE
_VARHDRSZ: Final = b"\x00\x00\x00\x00"


def _entry_kind(info: TypeInfo, typoid: int, kind: str, what: str) -> TypeInfo:
    """The type a composite or range datum is decoded as: the one it names (``typoid``, as
    the server's output function takes it) when the catalog knows it as ``kind``, else the
    column's (``info``), which must be of ``kind``."""
    catalog = info.catalog
    if catalog is None:
        raise DatumError(f"{info.typname}: {what} values need the type catalog")
    named = catalog.resolve(typoid) if typoid and typoid != info.typoid else None
    if named is not None and named.typtype == kind:
        return TypeInfo.of_type(typoid, catalog)
    entry = catalog.resolve(info.typoid)
    if entry is None:
        raise DatumError(f"{info.typname}: type {info.typoid} is not in the type catalog")
    if entry.typtype != kind:
        raise DatumError(
            f"{info.typname}: type {info.typoid} is not {what} (typtype {entry.typtype!r})"
        )
    return info


def _quote(text: str, special: frozenset[str]) -> str:
    """record_out's and range_bound_escape's quoting: double quotes around an empty value or
    one holding a special character; inside them ``"`` and ``\\`` are doubled."""
    if text and not any(ch in special for ch in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '""') + '"'


# ----------------------------------------------------------------------------------------------
# enums


@register("anyenum")
def enum_out(payload: bytes, info: TypeInfo) -> str:
    """enum_out: the label of the pg_enum row whose OID is the stored value."""
    (value,) = struct.unpack("<I", fixed(payload, 4, info.typname))
    catalog = info.catalog
    entry = catalog.resolve(info.typoid) if catalog is not None else None
    if entry is None or entry.typtype != "e":
        raise DatumError(f"{info.typname}: enum values need the type catalog (pg_enum)")
    label = entry.labels.get(value)
    if label is None:
        raise DatumError(f"invalid internal value for enum: {value}")
    return label


# ----------------------------------------------------------------------------------------------
# composites


def record_fields(payload: bytes, info: TypeInfo) -> list[tuple[str, str | None]]:
    """(attribute name, text or None for NULL) of a composite datum's non-dropped attributes,
    as heap_deform_tuple reads them (attributes past the datum's natts are NULL)."""
    buf = _VARHDRSZ + payload
    if len(buf) < C.SizeofHeapTupleHeader:
        raise DatumError(f"{info.typname}: composite datum shorter than its tuple header")
    (typeid,) = struct.unpack_from("<I", buf, _DATUM_TYPEID_AT)
    (infomask2, infomask) = struct.unpack_from("<HH", buf, _T_INFOMASK2_AT)
    hoff = buf[_T_HOFF_AT]
    own = _entry_kind(info, typeid, "c", "composite")
    assert own.catalog is not None
    entry = own.catalog.resolve(own.typoid)
    assert entry is not None
    natts = infomask2 & C.HEAP_NATTS_MASK
    if natts > len(entry.attributes):
        raise DatumError(
            f"{info.typname}: the datum has {natts} attributes, the type {len(entry.attributes)}"
        )
    bitmap = b""
    if infomask & C.HEAP_HASNULL:
        bitmap = buf[C.SizeofHeapTupleHeader : C.SizeofHeapTupleHeader + (natts + 7) // 8]
        if len(bitmap) * 8 < natts or C.SizeofHeapTupleHeader + len(bitmap) > hoff:
            raise DatumError(f"{info.typname}: the null bitmap runs past t_hoff {hoff}")
    if not C.SizeofHeapTupleHeader <= hoff <= len(buf):
        raise DatumError(f"{info.typname}: t_hoff {hoff} is outside the datum ({len(buf)} bytes)")
    data = buf[hoff:]
    out: list[tuple[str, str | None]] = []
    offset = 0
    for att in entry.attributes:
        i = att.attnum - 1
        if att.attnum > natts or (bitmap and not bitmap[i // 8] >> (i % 8) & 1):
            if not att.attisdropped:
                out.append((att.attname, None))
            continue
        try:
            start, end = attribute_bounds(offset, att.attlen, att.attalign, data)
        except DatumError as exc:
            raise DatumError(f"{info.typname}: attribute {att.attnum}: {exc}") from exc
        if not att.attisdropped:
            text = datum_text(TypeInfo.of(att, own.catalog), data[start:end])
            out.append((att.attname, text))
        offset = end
    return out


@register("record")
def record_out(payload: bytes, info: TypeInfo) -> str:
    """record_out: ``(a,b,...)``, NULL as nothing, values quoted when empty or holding
    ``"\\(),`` or white space, ``"`` and ``\\`` doubled inside quotes."""
    parts = [
        "" if text is None else _quote(text, _RECORD_SPECIAL)
        for _, text in record_fields(payload, info)
    ]
    return "(" + ",".join(parts) + ")"


# ----------------------------------------------------------------------------------------------
# ranges


def _has_lbound(flags: int) -> bool:
    return not flags & (RANGE_EMPTY | RANGE_LB_NULL | RANGE_LB_INF)


def _has_ubound(flags: int) -> bool:
    return not flags & (RANGE_EMPTY | RANGE_UB_NULL | RANGE_UB_INF)


def _bound(buf: bytes, pos: int, sub: TypeInfo, align: bool, limit: int) -> tuple[str, int]:
    """The text of the bound stored at ``buf[pos]`` (aligned first when ``align``) and the
    offset after it; nothing past ``limit`` belongs to it."""
    if align:
        if pos >= limit:
            raise DatumError(f"range bound at byte {pos} is past the datum")
        pos = att_align_pointer(pos, sub.typalign, sub.typlen, buf[pos])
    end = att_addlength_pointer(pos, sub.typlen, buf)
    if end > limit:
        raise DatumError(f"range bound at bytes {pos}..{end} runs past the datum ({limit})")
    return datum_text(sub, buf[pos:end]), end


def _subtype(info: TypeInfo, rangetypid: int) -> tuple[TypeInfo, TypeInfo]:
    """(the range type, its subtype) for a range datum naming ``rangetypid``."""
    own = _entry_kind(info, rangetypid, "r", "range")
    assert own.catalog is not None
    entry = own.catalog.resolve(own.typoid)
    assert entry is not None
    if not entry.rngsubtype:
        raise DatumError(f"{info.typname}: range type {entry.oid} has no subtype in pg_range")
    return own, TypeInfo.of_type(entry.rngsubtype, own.catalog)


def range_deparse(flags: int, lower: str | None, upper: str | None) -> str:
    """range_deparse: ``empty``, or brackets by inclusivity around the escaped bounds (an
    infinite bound is left empty)."""
    if flags & RANGE_EMPTY:
        return RANGE_EMPTY_LITERAL
    return "".join(
        (
            "[" if flags & RANGE_LB_INC else "(",
            _quote(lower, _RANGE_SPECIAL) if lower is not None else "",
            ",",
            _quote(upper, _RANGE_SPECIAL) if upper is not None else "",
            "]" if flags & RANGE_UB_INC else ")",
        )
    )


@register("anyrange")
def range_out(payload: bytes, info: TypeInfo) -> str:
    """range_out: ``[lower,upper)`` with the subtype's output, or ``empty``."""
    buf = _VARHDRSZ + payload
    if len(buf) < SIZEOF_RANGE_TYPE + 1:
        raise DatumError(f"{info.typname}: range datum of {len(buf)} bytes is too short")
    (rangetypid,) = struct.unpack_from("<I", buf, 4)
    flags = buf[-1]
    _, sub = _subtype(info, rangetypid)
    limit = len(buf) - 1
    lower = upper = None
    pos = SIZEOF_RANGE_TYPE
    if _has_lbound(flags):
        lower, pos = _bound(buf, pos, sub, True, limit)
    if _has_ubound(flags):
        upper, pos = _bound(buf, pos, sub, True, limit)
    return range_deparse(flags, lower, upper)


# ----------------------------------------------------------------------------------------------
# multiranges


@register("anymultirange")
def multirange_out(payload: bytes, info: TypeInfo) -> str:
    """multirange_out: ``{range,range,...}``, each range as range_out prints it."""
    buf = _VARHDRSZ + payload
    if len(buf) < SIZEOF_MULTIRANGE_TYPE:
        raise DatumError(f"{info.typname}: multirange datum of {len(buf)} bytes is too short")
    (_, count) = struct.unpack_from("<II", buf, 4)
    if count == 0:
        return "{}"
    catalog = info.catalog
    entry = catalog.resolve(info.typoid) if catalog is not None else None
    if catalog is None or entry is None or entry.typtype != "m":
        raise DatumError(f"{info.typname}: multirange values need the type catalog (pg_range)")
    if not entry.rngtypid:
        raise DatumError(f"{info.typname}: multirange type {entry.oid} has no range in pg_range")
    rng = TypeInfo.of_type(entry.rngtypid, catalog)
    _, sub = _subtype(rng, 0)
    flags_at = SIZEOF_MULTIRANGE_TYPE + (count - 1) * 4
    begin = att_align_nominal(flags_at + count, sub.typalign)
    if begin > len(buf):
        raise DatumError(f"{info.typname}: {count} ranges do not fit in {len(buf)} bytes")
    items = struct.unpack_from(f"<{count - 1}I", buf, SIZEOF_MULTIRANGE_TYPE)
    parts = []
    for i in range(count):
        # multirange_get_bounds_offset: lengths summed back to the nearest offset
        offset, j = 0, i
        while j > 0:
            offset += items[j - 1] & MULTIRANGE_ITEM_OFFLEN_MASK
            if items[j - 1] & MULTIRANGE_ITEM_OFF_BIT:
                break
            j -= 1
        flags = buf[flags_at + i]
        pos = begin + offset
        lower = upper = None
        if _has_lbound(flags):  # "att_align_pointer cannot be necessary here"
            lower, pos = _bound(buf, pos, sub, False, len(buf))
        if _has_ubound(flags):
            upper, pos = _bound(buf, pos, sub, True, len(buf))
        parts.append(range_deparse(flags, lower, upper))
    return "{" + ",".join(parts) + "}"


__all__ = [
    "enum_out",
    "multirange_out",
    "range_deparse",
    "range_out",
    "record_fields",
    "record_out",
]
