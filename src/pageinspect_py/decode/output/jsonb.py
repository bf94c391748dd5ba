"""jsonb (adt/jsonb.c JsonbToCString, jsonb_util.c) with strings escaped as adt/json.c
escape_json does."""

from __future__ import annotations

import struct

from pageinspect_py.constants import typealign
from pageinspect_py.decode.output.base import TypeInfo, utf8
from pageinspect_py.decode.output.numeric import numeric_text
from pageinspect_py.decode.output.registry import register
from pageinspect_py.decode.varlena import parse_varlena, plain_payload
from pageinspect_py.errors import DatumError
from pageinspect_py.layouts import datums as L


def escape_json(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


#: deeper jsonb documents are shown raw (each level takes two Python stack frames)
JSONB_MAX_DEPTH = 400

_JSON_ESCAPES = {
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    '"': '\\"',
    "\\": "\\\\",
}


def _jsonb_scalar(entry: int, data: memoryview, start: int, length: int, depth: int) -> str:
    kind = entry & L.JENTRY_TYPEMASK
    if kind == L.JENTRY_ISSTRING:
        return escape_json(utf8(bytes(data[start : start + length]), "jsonb string"))
    if kind == L.JENTRY_ISNUMERIC:
        aligned = typealign(start, 4)
        num = parse_varlena(bytes(data[aligned : start + length]))
        return numeric_text(plain_payload(num))
    if kind == L.JENTRY_ISBOOL_TRUE:
        return "true"
    if kind == L.JENTRY_ISBOOL_FALSE:
        return "false"
    if kind == L.JENTRY_ISNULL:
        return "null"
    if kind == L.JENTRY_ISCONTAINER:
        aligned = typealign(start, 4)
        return _jsonb_container(data[aligned : start + length], depth + 1)[0]
    raise DatumError(f"jsonb entry of unknown type 0x{kind:08x}")


def _jsonb_container(buf: memoryview, depth: int) -> tuple[str, bool]:
    """(text, is raw scalar) of the JsonbContainer at the start of ``buf`` (a view: nested
    containers are read in place, not copied level by level)."""
    if depth > JSONB_MAX_DEPTH:
        raise DatumError(f"jsonb nested deeper than {JSONB_MAX_DEPTH} levels")
    if len(buf) < 4:
        raise DatumError("jsonb container shorter than its header")
    header = L.JsonbContainer.parse(bytes(buf[:4])).header
    count = header & L.JB_CMASK
    is_object = bool(header & L.JB_FOBJECT)
    nentries = count * 2 if is_object else count
    base = 4 + 4 * nentries
    if base > len(buf):
        raise DatumError(f"jsonb container of {count} entries does not fit in {len(buf)} bytes")
    entries = [e for (e,) in struct.iter_unpack("<I", buf[4:base])]
    data = buf[base:]
    spans: list[tuple[int, int]] = []
    offset = 0
    for entry in entries:
        # JBE_ADVANCE_OFFSET: an entry holds either its end offset or its length
        end = (
            entry & L.JENTRY_OFFLENMASK
            if entry & L.JENTRY_HAS_OFF
            else offset + (entry & L.JENTRY_OFFLENMASK)
        )
        if end < offset or end > len(data):
            raise DatumError("jsonb entry points outside its container")
        spans.append((offset, end - offset))
        offset = end
    texts = [_jsonb_scalar(e, data, s, n, depth) for e, (s, n) in zip(entries, spans, strict=True)]
    if is_object:
        pairs = [f"{texts[i]}: {texts[count + i]}" for i in range(count)]
        return "{" + ", ".join(pairs) + "}", False
    if header & L.JB_FSCALAR:
        if count != 1:
            raise DatumError("jsonb raw scalar container without exactly one element")
        return texts[0], True
    return "[" + ", ".join(texts) + "]", False


@register("jsonb")
def _out_jsonb(payload: bytes, info: TypeInfo) -> str:
    return _jsonb_container(memoryview(payload), 0)[0]
