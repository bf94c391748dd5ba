"""tsvector (tsearch/to_tsany.c, adt/tsvector.c tsvectorout)."""

from __future__ import annotations

import struct

from pageinspect_py.constants import typealign
from pageinspect_py.decode.output.base import TypeInfo, utf8
from pageinspect_py.decode.output.registry import register
from pageinspect_py.errors import DatumError
from pageinspect_py.layouts import datums as L

_WEIGHTS = {3: "A", 2: "B", 1: "C", 0: ""}


@register("tsvector")
def _out_tsvector(payload: bytes, info: TypeInfo) -> str:
    if len(payload) < 4:
        raise DatumError("tsvector shorter than its size")
    size = L.TSVectorData.parse(payload[:4]).size
    strings_at = 4 + 4 * size
    if size < 0 or strings_at > len(payload):
        raise DatumError(f"tsvector of {size} lexemes does not fit in {len(payload)} bytes")
    strings = payload[strings_at:]
    words: list[str] = []
    for i in range(size):
        entry = L.WordEntry.parse(payload[4 + 4 * i : 8 + 4 * i])
        if entry.pos + entry.len > len(strings):
            raise DatumError(f"tsvector lexeme {i} lies outside the string area")
        lexeme = utf8(strings[entry.pos : entry.pos + entry.len], "tsvector lexeme")
        text = "'" + lexeme.replace("'", "''").replace("\\", "\\\\") + "'"
        if entry.haspos:
            at = typealign(entry.pos + entry.len, 2)  # SHORTALIGN from STRPTR
            if at + 2 > len(strings):
                raise DatumError(f"tsvector positions of lexeme {i} are truncated")
            npos = L.WordEntryPosVector.parse(strings[at : at + 2]).npos
            if at + 2 + 2 * npos > len(strings):
                raise DatumError(f"tsvector positions of lexeme {i} are truncated")
            positions = struct.unpack_from(f"<{npos}H", strings, at + 2)
            if npos:
                text += ":" + ",".join(
                    f"{p & L.WEP_POS_MASK}{_WEIGHTS[p >> L.WEP_WEIGHT_SHIFT]}" for p in positions
                )
        words.append(text)
    return " ".join(words)
