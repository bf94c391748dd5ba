"""Output functions of the BRIN summary types (PostgreSQL 14+): ``pg_brin_bloom_summary``
(brin_bloom_summary_out) and ``pg_brin_minmax_multi_summary`` (brin_minmax_multi_summary_out).

Both receive the payload after the varlena header (the registry detoasts and decompresses);
the structures are ``BloomFilter`` and ``SerializedRanges`` of ``layouts/brin.py``.

* bloom: ``{mode: hashed  nhashes: N  nbits: N  nbits_set: N}`` (two spaces between items);
* minmax-multi: ``{nranges: N  nvalues: N  maxvalues: N ranges: {...} values: {...}}``, the
  ranges as a text array of ``"min ... max"`` and the single values as a text array, each
  element printed by the output function of ``typid`` (array_out's quoting). That type is
  the indexed column's: the summary's TypeInfo carries it as ``elem``
  (``decode/brin/opclass.py``), as the server looks it up in pg_type.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pageinspect_py.decode.align import att_addlength_pointer
from pageinspect_py.decode.output.arrays import _array_quote
from pageinspect_py.decode.output.base import TypeInfo
from pageinspect_py.decode.output.registry import datum_text, register
from pageinspect_py.errors import DatumError
from pageinspect_py.layouts._util import struct_format
from pageinspect_py.layouts.brin import BloomFilterHeader, SerializedRangesHeader

#: pg_type.dat OIDs of the two summary types
PG_BRIN_BLOOM_SUMMARY_OID = 4600
PG_BRIN_MINMAX_MULTI_SUMMARY_OID = 4601

_BLOOM = struct.Struct(struct_format(BloomFilterHeader))
_RANGES = struct.Struct(struct_format(SerializedRangesHeader))


@dataclass(frozen=True, slots=True)
class BloomSummary:
    """A BloomFilter read from its payload."""

    flags: int
    nhashes: int
    nbits: int
    nbits_set: int
    bitmap: bytes  #: the filter's data[] (nbits / 8 bytes when intact)

    @property
    def bits_counted(self) -> int:
        """The bits actually set in the bitmap (what nbits_set should say)."""
        return int.from_bytes(self.bitmap, "little").bit_count()


def parse_bloom(payload: bytes) -> BloomSummary:
    """BloomFilter after its varlena header; DatumError when the header is cut short."""
    if len(payload) < _BLOOM.size:
        raise DatumError(f"a bloom summary needs {_BLOOM.size} header bytes, got {len(payload)}")
    flags, nhashes, nbits, nbits_set = _BLOOM.unpack_from(payload)
    return BloomSummary(flags, nhashes, nbits, nbits_set, payload[_BLOOM.size :])


@register("pg_brin_bloom_summary", PG_BRIN_BLOOM_SUMMARY_OID)
def brin_bloom_summary_out(payload: bytes, info: TypeInfo) -> str:
    f = parse_bloom(payload)
    return f"{{mode: hashed  nhashes: {f.nhashes}  nbits: {f.nbits}  nbits_set: {f.nbits_set}}}"


@dataclass(frozen=True, slots=True)
class RangesSummary:
    """SerializedRanges read from its payload: the boundary values of ``nranges`` ranges
    (2 each) then ``nvalues`` single values, as stored bytes of type ``typid``."""

    typid: int
    nranges: int
    nvalues: int
    maxvalues: int
    values: tuple[bytes, ...]  #: 2 * nranges + nvalues stored datums
    #: (offset, length) of each value within the payload
    offsets: tuple[tuple[int, int], ...] = ()

    def texts(self, element: TypeInfo) -> list[str]:
        """Each value as the output function of ``element`` (the type ``typid`` names)
        prints it."""
        return [datum_text(element, raw) for raw in self.values]


def parse_ranges(payload: bytes, element: TypeInfo | None = None) -> RangesSummary:
    """SerializedRanges after its varlena header (brin_range_deserialize); DatumError when
    the counts are impossible or the values run past the payload. The values are split by
    ``element``'s typlen (the type of ``typid``; without it only the header is read)."""
    if len(payload) < _RANGES.size:
        raise DatumError(
            f"a minmax-multi summary needs {_RANGES.size} header bytes, got {len(payload)}"
        )
    typid, nranges, nvalues, maxvalues = _RANGES.unpack_from(payload)
    count = 2 * nranges + nvalues
    if nranges < 0 or nvalues < 0 or count > max(maxvalues, 0):
        raise DatumError(
            f"nranges {nranges}, nvalues {nvalues}: 2 * nranges + nvalues must be between 0 "
            f"and maxvalues {maxvalues}"
        )
    if element is None:
        return RangesSummary(typid, nranges, nvalues, maxvalues, ())
    if element.typoid and element.typoid != typid:
        raise DatumError(
            f"the summary holds values of type {typid}, the column is {element.typname} "
            f"({element.typoid})"
        )
    offset = _RANGES.size
    values: list[bytes] = []
    offsets: list[tuple[int, int]] = []
    for _ in range(count):
        end = att_addlength_pointer(offset, element.typlen, payload)
        if end > len(payload):
            raise DatumError(f"value at byte {offset} runs past the summary ({len(payload)})")
        values.append(payload[offset:end])
        offsets.append((offset, end - offset))
        offset = end
    return RangesSummary(typid, nranges, nvalues, maxvalues, tuple(values), tuple(offsets))


def _text_array(items: list[str]) -> str:
    return "{" + ",".join(_array_quote(item, ",") for item in items) + "}"


@register("pg_brin_minmax_multi_summary", PG_BRIN_MINMAX_MULTI_SUMMARY_OID)
def brin_minmax_multi_summary_out(payload: bytes, info: TypeInfo) -> str:
    """``info.elem`` is the type of the values (the indexed column's: what the server finds
    by ``getTypeOutputInfo(ranges->typid)``)."""
    if info.elem is None:
        raise DatumError("a minmax-multi summary is printed with the type of its values")
    ranges = parse_ranges(payload, info.elem)
    texts = ranges.texts(info.elem)
    out = f"{{nranges: {ranges.nranges}  nvalues: {ranges.nvalues}  maxvalues: {ranges.maxvalues}"
    bounds = texts[: 2 * ranges.nranges]
    if ranges.nranges:
        pairs = [f"{bounds[i]} ... {bounds[i + 1]}" for i in range(0, len(bounds), 2)]
        out += f" ranges: {_text_array(pairs)}"
    if ranges.nvalues:
        out += f" values: {_text_array(texts[2 * ranges.nranges :])}"
    return out + "}"
