"""Character types (adt/varlena.c textout, varchar.c, name.c, char.c): the bytes as text
in the database encoding (UTF-8)."""

from __future__ import annotations

from pageinspect_py.decode.output.base import TypeInfo, fixed, utf8
from pageinspect_py.decode.output.registry import register


@register("text", "varchar", "bpchar", "json", "xml", "unknown", "cstring")
def _out_text(payload: bytes, info: TypeInfo) -> str:
    return utf8(payload, info.typname)


@register("name")
def _out_name(payload: bytes, info: TypeInfo) -> str:
    raw = fixed(payload, 64, "name") if info.typlen == 64 else payload
    return utf8(raw.split(b"\x00", 1)[0], "name")


@register("char")
def _out_char(payload: bytes, info: TypeInfo) -> str:
    """charout (15+): a high-bit byte as \\ooo, NUL as the empty string."""
    ch = fixed(payload, 1, '"char"')[0]
    if ch & 0x80:
        return f"\\{ch >> 6:o}{(ch >> 3) & 7:o}{ch & 7:o}"
    return "" if ch == 0 else chr(ch)
