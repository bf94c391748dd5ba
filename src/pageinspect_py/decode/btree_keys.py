"""Typed btree keys: split an index tuple's data into attributes and compare keys.

Two small interfaces keep this replaceable by the general attribute decoder
(``decode/tuple.py`` and ``decode/values.py``, written in parallel):

* :class:`AttributeSplitter` walks the data area (alignment, attlen, varlena headers, the
  null bitmap) and returns one byte span per stored attribute;
* :class:`ValueDecoder` turns one attribute's bytes into a Python value and its text form.

The built-in :func:`split_attributes` and :func:`builtin_value` follow ``index_getattr``
(``access/itup.h``, ``att_align_pointer``/``att_addlength_pointer`` in ``tupmacs.h``) and cover
the common fixed-width types and uncompressed varlenas; anything else decodes to raw bytes
with ``value = None``, which leaves that column out of order checks.
"""

from __future__ import annotations

import math
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pageinspect_py.catalog.attributes import Attribute
from pageinspect_py.catalog.index import IndexColumn, IndexDescription
from pageinspect_py.decode.align import att_align_pointer
from pageinspect_py.decode.common import Span

#: varatt.h: a 1-byte header of 0x01 is followed by a vartag (VARATT_IS_1B_E)
_VARTAG_SIZES = {1: 8 + 8, 2: 8, 3: 8, 18: 16}  # INDIRECT, EXPANDED_RO/RW, ONDISK


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One stored attribute of an index tuple."""

    attnum: int
    name: str
    is_null: bool
    span: Span | None  #: bytes on the page (None for NULL, or when they could not be found)
    raw: bytes
    value: object | None = None  #: Python value when the type is understood
    text: str | None = None  #: as the type's output function prints it, when understood
    problem: str | None = None  #: why the bytes could not be decoded

    def display(self) -> str:
        if self.is_null:
            return "NULL"
        if self.text is not None:
            return self.text
        return "\\x" + self.raw.hex()


class AttributeSplitter(Protocol):
    def __call__(
        self,
        data: bytes,
        start: int,
        stop: int,
        attributes: Sequence[Attribute],
        isnull: Sequence[bool],
    ) -> list[tuple[Span | None, str | None]]:
        """Spans of the stored attributes (None for NULLs) and per-attribute problems."""


class ValueDecoder(Protocol):
    def __call__(self, attribute: Attribute, raw: bytes) -> tuple[object | None, str | None]:
        """``(value, text)`` of one non-NULL attribute; ``(None, None)`` when not understood."""


def varlena_size(data: bytes, offset: int) -> int | None:
    """VARSIZE_ANY: the total size of the varlena at ``offset`` (header included)."""
    if offset >= len(data):
        return None
    first = data[offset]
    if first == 0x01:  # VARATT_IS_1B_E: external pointer
        if offset + 1 >= len(data):
            return None
        tag = data[offset + 1]
        return 2 + _VARTAG_SIZES[tag] if tag in _VARTAG_SIZES else None
    if first & 0x01:  # VARATT_IS_1B
        return (first >> 1) & 0x7F
    if offset + 4 > len(data):
        return None
    return (int.from_bytes(data[offset : offset + 4], "little") >> 2) & 0x3FFFFFFF


def split_attributes(
    data: bytes, start: int, stop: int, attributes: Sequence[Attribute], isnull: Sequence[bool]
) -> list[tuple[Span | None, str | None]]:
    """index_getattr for every attribute in turn: alignment from ``typalign`` (varlenas with
    a 1-byte header are unaligned), width from ``attlen``, the varlena header or the NUL of a
    C string. Offsets are page offsets; ``start`` is the data area (MAXALIGNed, so alignment
    relative to the tuple equals alignment relative to the page)."""
    out: list[tuple[Span | None, str | None]] = []
    offset = start
    broken: str | None = None
    for attribute, null in zip(attributes, isnull, strict=False):
        if null:
            out.append((None, None))
            continue
        if broken is not None:
            out.append((None, broken))
            continue
        first = data[offset] if offset < stop else 0
        offset = att_align_pointer(offset, attribute.attalign, attribute.attlen, first)
        if attribute.attlen > 0:
            length: int | None = attribute.attlen
        elif attribute.attlen == -1:
            length = varlena_size(data, offset)
            if length is not None and length < 1:
                length = None
        else:  # -2: C string
            end = data.find(b"\x00", offset, stop)
            length = end - offset + 1 if end >= 0 else None
        if length is None or offset + length > stop:
            broken = (
                f"attribute {attribute.attname} at offset {offset} runs past the key "
                f"data (ends at {stop})"
            )
            out.append((None, broken))
            continue
        out.append((Span(offset, offset + length), None))
        offset += length
    return out


def _varlena_payload(raw: bytes) -> bytes | None:
    """The bytes after an uncompressed varlena header; None for compressed or external."""
    if not raw:
        return None
    first = raw[0]
    if first == 0x01:
        return None
    if first & 0x01:
        return raw[1:]
    if first & 0x03 == 0x02:  # VARATT_IS_4B_C: compressed in line
        return None
    return raw[4:]


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


_INTS = {"int2": "<h", "int4": "<i", "int8": "<q", "oid": "<I", "xid": "<I", "cid": "<I"}
_TEXTS = {"text", "varchar", "bpchar"}


def builtin_value(attribute: Attribute, raw: bytes) -> tuple[object | None, str | None]:
    """A few common types, enough to order and show keys until decode/values.py lands."""
    name = attribute.typname
    try:
        if name in _INTS and len(raw) == struct.calcsize(_INTS[name]):
            number = struct.unpack(_INTS[name], raw)[0]
            return number, str(number)
        if name == "bool" and len(raw) == 1:
            return bool(raw[0]), "t" if raw[0] else "f"
        if name in ("float4", "float8") and len(raw) in (4, 8):
            number = struct.unpack("<f" if len(raw) == 4 else "<d", raw)[0]
            return number, _float_text(number)
        if name == "char" and len(raw) == 1:
            return raw, raw.decode("latin-1")
        if name == "name" and len(raw) == attribute.attlen:
            text = raw.split(b"\x00", 1)[0].decode("utf-8")
            return text.encode(), text
        if name == "uuid" and len(raw) == 16:
            return raw, str(uuid.UUID(bytes=raw))
        if name in _TEXTS or name == "bytea":
            payload = _varlena_payload(raw)
            if payload is None:
                return None, None
            if name == "bytea":
                return payload, "\\x" + payload.hex()
            text = payload.decode("utf-8")
            # bpchar compares without trailing blanks (bpcharcmp)
            key = payload.rstrip(b" ") if name == "bpchar" else payload
            return key, text
    except (UnicodeDecodeError, struct.error, ValueError):
        return None, None
    return None, None


def decode_keys(
    data: bytes,
    start: int,
    stop: int,
    columns: Sequence[IndexColumn],
    isnull: Sequence[bool],
    *,
    splitter: AttributeSplitter = split_attributes,
    values: ValueDecoder = builtin_value,
) -> tuple[KeyValue, ...]:
    """The stored attributes of one tuple as :class:`KeyValue` records."""
    attributes = [c.attribute for c in columns]
    spans = splitter(data, start, stop, attributes, isnull)
    out = []
    for column, null, (span, problem) in zip(columns, isnull, spans, strict=False):
        attribute = column.attribute
        if null:
            out.append(KeyValue(attribute.attnum, attribute.attname, True, None, b""))
            continue
        if span is None:
            out.append(
                KeyValue(
                    attribute.attnum,
                    attribute.attname,
                    False,
                    None,
                    b"",
                    problem=problem or "not found",
                )
            )
            continue
        raw = data[span.start : span.stop]
        value, text = values(attribute, raw)
        out.append(KeyValue(attribute.attnum, attribute.attname, False, span, raw, value, text))
    return tuple(out)


def _compare_values(a: object, b: object) -> int:
    # float8 btree order: NaN sorts after everything, -0 == 0 (float8_cmp_internal)
    if isinstance(a, float) and isinstance(b, float) and (math.isnan(a) or math.isnan(b)):
        return int(math.isnan(a)) - int(math.isnan(b))
    try:
        return int(a > b) - int(a < b)  # type: ignore[operator]
    except TypeError:
        return 0


def comparable(index: IndexDescription, column: IndexColumn, key: KeyValue) -> bool:
    """Whether ``key`` can take part in order checks (NULL, or a value with a known order)."""
    if key.is_null:
        return True
    if key.value is None:
        return False
    if column.attribute.typname in _TEXTS or column.attribute.typname == "name":
        return index.bytewise_collation(column)
    return True


def compare_keys(
    index: IndexDescription, a: Sequence[KeyValue], b: Sequence[KeyValue]
) -> int | None:
    """_bt_compare over the key columns both tuples store, in index order: -1, 0 or 1.

    NULLs sort by NULLS FIRST/LAST, DESC inverts non-NULL comparisons. None when some
    column's values cannot be compared (unknown type, non-C collation). Columns a truncated
    pivot does not store are not compared here; see :func:`compare_pivot`.
    """
    keys = index.key_columns()
    for column, x, y in zip(keys, a, b, strict=False):
        if not (comparable(index, column, x) and comparable(index, column, y)):
            return None
        if x.is_null or y.is_null:
            if x.is_null and y.is_null:
                continue
            if x.is_null:
                return -1 if column.nulls_first else 1
            return 1 if column.nulls_first else -1
        result = _compare_values(x.value, y.value)
        if result:
            return -result if column.desc else result
    return 0
