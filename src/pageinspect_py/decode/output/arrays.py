"""Arrays (utils/array.h, adt/arrayfuncs.c array_out), int2vector and oidvector (int.c,
oid.c), and the one-element array literal of ``pg_attribute.attmissingval``."""

from __future__ import annotations

import struct
from typing import Final

from pageinspect_py import constants as C
from pageinspect_py.constants import MAX_ALLOC_SIZE, maxalign
from pageinspect_py.decode.align import att_align_nominal
from pageinspect_py.decode.output.base import TypeInfo
from pageinspect_py.decode.output.registry import ANYARRAY, datum_text, register
from pageinspect_py.decode.varlena import parse_varlena
from pageinspect_py.errors import DatumError
from pageinspect_py.layouts import datums as L
from pageinspect_py.layouts._util import struct_format

_ARRAY_DELIMITER = {"box": ";"}
#: ArrayType's header fields, unpacked by the format derived from the layout (per datum, so
#: not through construct's parser)
_ARRAY_HEAD: Final = struct.Struct(struct_format(L.ArrayType))
_ARRAY_SPACE = " \t\n\r\v\f"


def _array_quote(text: str, delimiter: str) -> str:
    need = text == "" or text.lower() == "null"
    if not need:
        need = any(ch in '"\\{}' or ch == delimiter or ch in _ARRAY_SPACE for ch in text)
    if not need:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


MAX_ARRAY_SIZE: Final = C.MAX_ARRAY_SIZE
INT32_MAX: Final = 2**31 - 1


def array_nitems(dims: list[int]) -> int:
    """ArrayGetNItems(): the number of elements ``dims`` describe, as the server counts them
    (a zero dimension means no elements; a negative one, a product past int32 or past
    MaxArraySize is an error)."""
    ret = 1
    for d in dims:
        ret *= d
        if d < 0 or ret > INT32_MAX:
            break
    else:
        if ret <= MAX_ARRAY_SIZE:
            return ret
    raise DatumError(
        f"array dimensions {dims}: array size exceeds the maximum allowed ({MAX_ARRAY_SIZE})"
    )


def array_elements(info: TypeInfo, payload: bytes) -> tuple[list[int], list[int], list[str | None]]:
    """(dims, lower bounds, element texts or None for NULL) of an array datum's payload.

    An array without elements (no dimensions, or a dimension of 0) has no dims. The element
    count is checked against what the datum can hold before any element is read: each non-NULL
    element takes at least one byte (``typlen`` bytes for a fixed-width type) and each element
    one bit of the null bitmap when there is one.
    """
    elem = info.elem
    if elem is None:
        raise DatumError(f"{info.typname} has no element type")
    if len(payload) < _ARRAY_HEAD.size:
        raise DatumError("array shorter than its header")
    ndim, dataoffset, _ = _ARRAY_HEAD.unpack_from(payload)
    if ndim == 0:
        return [], [], []
    if not 0 < ndim <= L.MAXDIM:
        raise DatumError(f"array with {ndim} dimensions")
    at = _ARRAY_HEAD.size
    if at + 8 * ndim > len(payload):
        raise DatumError("array dimensions are truncated")
    dims = list(struct.unpack_from(f"<{ndim}i", payload, at))
    lbounds = list(struct.unpack_from(f"<{ndim}i", payload, at + 4 * ndim))
    nitems = array_nitems(dims)
    if nitems == 0:
        return [], [], []  # array_out prints "{}", whatever the bounds
    if any(lb + d - 1 > INT32_MAX for lb, d in zip(lbounds, dims, strict=True)):
        raise DatumError(f"array bounds {lbounds} with dimensions {dims} overflow int32")
    buf = b"\x00\x00\x00\x00" + payload  # so that offsets equal the in-memory ones
    # offsets below are from the start of the ArrayType (varlena header included)
    bitmap_at = L.ARRAY_HEADER_SIZE + 8 * ndim
    if dataoffset:
        bitmap_end = bitmap_at + (nitems + 7) // 8
        if bitmap_end > len(buf):
            raise DatumError(
                f"array of {nitems} elements: its null bitmap needs {bitmap_end - bitmap_at} "
                f"bytes, the datum has {max(len(buf) - bitmap_at, 0)} after its dimensions"
            )
        bitmap = buf[bitmap_at:bitmap_end]
        present = (int.from_bytes(bitmap, "little") & ((1 << nitems) - 1)).bit_count()
        data_at = dataoffset
    else:
        bitmap = b""
        present = nitems
        data_at = maxalign(bitmap_at)  # ARR_OVERHEAD_NONULLS
    least = present * (elem.typlen if elem.typlen > 0 else 1)
    if data_at + least > len(buf):
        raise DatumError(
            f"array dimensions {dims} ({nitems} elements, {present} not NULL) need at least "
            f"{least} data bytes, the datum has {max(len(buf) - data_at, 0)}"
        )
    pos = data_at
    texts: list[str | None] = []
    length = 0  # of the element texts so far: array_out's result cannot pass MaxAllocSize
    for i in range(nitems):
        if bitmap and not bitmap[i // 8] >> (i % 8) & 1:
            texts.append(None)
            continue
        pos = att_align_nominal(pos, elem.typalign)
        if elem.typlen > 0:
            end = pos + elem.typlen
        elif elem.typlen == -1:
            v = parse_varlena(buf, pos)
            end = pos + v.size
        else:
            nul = buf.find(b"\x00", pos)
            if nul < 0:
                raise DatumError("array C string without NUL")
            end = nul + 1
        if end > len(buf):
            raise DatumError(f"array element {i} runs past the end of the array")
        text = datum_text(elem, buf[pos:end])
        length += len(text)
        if length > MAX_ALLOC_SIZE:
            raise DatumError(f"array text would pass MaxAllocSize ({MAX_ALLOC_SIZE} bytes)")
        texts.append(text)
        pos = end
    return dims, lbounds, texts


def array_text(info: TypeInfo, payload: bytes) -> str:
    dims, lbounds, texts = array_elements(info, payload)
    if not dims:
        return "{}"
    assert info.elem is not None
    delimiter = _ARRAY_DELIMITER.get(info.elem.typname, ",")
    quoted = ["NULL" if t is None else _array_quote(t, delimiter) for t in texts]

    def nest(level: int, start: int) -> tuple[str, int]:
        if level == len(dims) - 1:
            items = quoted[start : start + dims[level]]
            return "{" + delimiter.join(items) + "}", start + dims[level]
        parts = []
        for _ in range(dims[level]):
            part, start = nest(level + 1, start)
            parts.append(part)
        return "{" + delimiter.join(parts) + "}", start

    body, _ = nest(0, 0)
    if any(lb != 1 for lb in lbounds):
        bounds = "".join(f"[{lb}:{lb + d - 1}]" for lb, d in zip(lbounds, dims, strict=True))
        return f"{bounds}={body}"
    return body


@register(ANYARRAY)
def _out_array(payload: bytes, info: TypeInfo) -> str:
    """array_out: any array type without an output function of its own."""
    return array_text(info, payload)


@register("int2vector", "oidvector")
def _out_vector(payload: bytes, info: TypeInfo) -> str:
    """int2vectorout / oidvectorout: the elements separated by spaces."""
    element = TypeInfo(
        "int2" if info.typname == "int2vector" else "oid",
        2 if info.typname == "int2vector" else 4,
        "s" if info.typname == "int2vector" else "i",
        True,
    )
    _, _, texts = array_elements(TypeInfo(info.typname, -1, "i", False, element), payload)
    return " ".join(t or "" for t in texts)


def missing_value_text(literal: str) -> str:
    """The value inside ``pg_attribute.attmissingval``'s text: a one-element array literal
    as array_out printed it (``{42}``, ``{"a b"}``)."""
    inner = literal.strip()
    if inner.startswith("{") and inner.endswith("}"):
        inner = inner[1:-1]
    if len(inner) >= 2 and inner.startswith('"') and inner.endswith('"'):
        out, escaped = [], False
        for ch in inner[1:-1]:
            if escaped or ch != "\\":
                out.append(ch)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return inner
