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
    """tsvectorout. Each lexeme's string (and positions) has bytes of its own: entries whose
    data overlap are refused, so the text stays in proportion to the datum (shared bytes could
    print a 2 kB string once per 4-byte entry)."""
    if len(payload) < 4:
        raise DatumError("tsvector shorter than its size")
    size = L.TSVectorData.parse(payload[:4]).size
    strings_at = 4 + 4 * size
    if size < 0 or strings_at > len(payload):
        raise DatumError(f"tsvector of {size} lexemes does not fit in {len(payload)} bytes")
    strings = payload[strings_at:]
    lexemes: list[tuple[int, int, int, int]] = []  # string start, string end, data end, npos
    for i in range(size):
        entry = L.WordEntry.parse(payload[4 + 4 * i : 8 + 4 * i])
        end = entry.pos + entry.len
        if end > len(strings):
            raise DatumError(f"tsvector lexeme {i} lies outside the string area")
        stop, npos = end, 0
        if entry.haspos:
            at = typealign(end, 2)  # SHORTALIGN from STRPTR
            if at + 2 > len(strings):
                raise DatumError(f"tsvector positions of lexeme {i} are truncated")
            npos = L.WordEntryPosVector.parse(strings[at : at + 2]).npos
            if at + 2 + 2 * npos > len(strings):
                raise DatumError(f"tsvector positions of lexeme {i} are truncated")
            stop = at + 2 + 2 * npos
        lexemes.append((entry.pos, end, stop, npos))
    _check_disjoint(lexemes)
    words: list[str] = []
    for pos, end, stop, npos in lexemes:
        lexeme = utf8(strings[pos:end], "tsvector lexeme")
        text = "'" + lexeme.replace("'", "''").replace("\\", "\\\\") + "'"
        if npos:
            positions = struct.unpack_from(f"<{npos}H", strings, stop - 2 * npos)
            text += ":" + ",".join(
                f"{p & L.WEP_POS_MASK}{_WEIGHTS[p >> L.WEP_WEIGHT_SHIFT]}" for p in positions
            )
        words.append(text)
    return " ".join(words)


def _check_disjoint(lexemes: list[tuple[int, int, int, int]]) -> None:
    """No two lexemes share string or position bytes (an empty lexeme takes none)."""
    extents = sorted((pos, stop, i) for i, (pos, _, stop, _) in enumerate(lexemes) if stop > pos)
    reach, owner = 0, -1
    for start, stop, i in extents:
        if start < reach:
            raise DatumError(f"tsvector lexemes {min(i, owner)} and {max(i, owner)} share bytes")
        reach, owner = stop, i
