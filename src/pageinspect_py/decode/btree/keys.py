"""Typed btree keys: split an index tuple's data into attributes and compare keys.

Two small interfaces keep the pieces replaceable:

* :class:`AttributeSplitter` walks the data area (alignment, attlen, varlena headers, the
  null bitmap) and returns one byte span per stored attribute. :func:`split_attributes`
  follows ``index_getattr`` (``access/itup.h``; ``att_align_pointer`` and
  ``att_addlength_pointer`` in ``tupmacs.h``): offsets are relative to the MAXALIGNed data
  area, like a heap tuple's but without ``t_hoff``, missing values or dropped columns.
* :class:`ValueDecoder` turns one attribute's bytes into an order value and its text.
  :func:`builtin_value` takes the text from the attribute decoder's output functions
  (``decode/values.py``, every built-in type it knows) and the order value from
  :func:`order_value` (integers, dates and times, floats, numeric, bool, text-like types,
  bytea, uuid); a type without a known order decodes with ``value = None``, which leaves
  that column out of order checks.
"""

from __future__ import annotations

import datetime
import math
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from pageinspect_py.catalog.attributes import Attribute
from pageinspect_py.catalog.index import IndexColumn, IndexDescription
from pageinspect_py.decode.align import att_align_pointer
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.output import TypeInfo, datum_text, payload_text
from pageinspect_py.decode.varlena import parse_varlena, plain_payload
from pageinspect_py.errors import DatumError, PageInspectError

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


_INTS = {
    "int2": "<h",
    "int4": "<i",
    "int8": "<q",
    "oid": "<I",
    "xid": "<I",
    "cid": "<I",
    "date": "<i",
    "time": "<q",
    "timestamp": "<q",
    "timestamptz": "<q",
}
_TEXTS = {"text", "varchar", "bpchar"}
_BYTES = {"bytea", "uuid", "char"}


def _payload(attribute: Attribute, raw: bytes) -> bytes:
    """The plain bytes of a datum: after a varlena header (decompressed), before a C
    string's NUL, the whole of a fixed-width value."""
    if attribute.attlen == -1:
        return plain_payload(parse_varlena(raw))
    if attribute.attlen == -2:
        return raw[:-1]
    return raw


def order_value(attribute: Attribute, raw: bytes) -> object | None:
    """A Python value whose order is the btree opclass order of the type (default opclass),
    or None when not known. Text-like types order bytewise here; callers only compare them
    under a C collation."""
    name = attribute.typname
    payload = _payload(attribute, raw)
    if name in _INTS:
        number: int = struct.unpack(_INTS[name], payload)[0]
        return number
    if name == "bool":
        return bool(payload[0])
    if name in ("float4", "float8"):
        real: float = struct.unpack("<f" if len(payload) == 4 else "<d", payload)[0]
        return real
    if name == "name":
        return payload.split(b"\x00", 1)[0]
    if name == "bpchar":
        return payload.rstrip(b" ")  # bpcharcmp ignores trailing blanks
    if name in _TEXTS or name in _BYTES:
        return payload
    if name == "numeric":
        text = payload_text(TypeInfo.of(attribute), payload)
        # numeric NaN sorts above every number (and +Infinity, 14+)
        return (1, Decimal(0)) if text == "NaN" else (0, Decimal(text))
    return None


_INT_BOUNDS = {
    "int2": (-(2**15), 2**15 - 1),
    "int4": (-(2**31), 2**31 - 1),
    "int8": (-(2**63), 2**63 - 1),
    "oid": (0, 2**32 - 1),
    "xid": (0, 2**32 - 1),
    "cid": (0, 2**32 - 1),
}
_BOOL_WORDS = {
    **dict.fromkeys(("t", "true", "y", "yes", "on", "1"), True),
    **dict.fromkeys(("f", "false", "n", "no", "off", "0"), False),
}
_EPOCH_2000 = datetime.datetime(2000, 1, 1)


def has_known_order(attribute: Attribute) -> bool:
    """Whether keys of this type can be ordered here (:func:`order_value` knows the type)."""
    name = attribute.typname
    return name in _INTS or name in _TEXTS or name in _BYTES or name in _ORDERED_OTHERS


_ORDERED_OTHERS = {"bool", "float4", "float8", "name", "numeric"}


def parse_search_value(attribute: Attribute, text: str) -> object:
    """The order value (as :func:`order_value` gives it for stored keys) of a value written
    as SQL would take it (``42``, ``t``, ``2024-01-31``, ``k4``); raises ValueError with a
    sentence naming the type when the text is not such a value."""
    name = attribute.typname
    try:
        return _parse_search_value(name, text)
    except _Reason as exc:
        raise ValueError(f"{text!r} is not a valid {name} value ({exc})") from None
    except (ValueError, ArithmeticError):
        raise ValueError(f"{text!r} is not a valid {name} value") from None


class _Reason(ValueError):
    """Why a search value was refused, in words for the message."""


def _parse_search_value(name: str, text: str) -> object:
    if name in _INT_BOUNDS:
        number = int(text.strip())
        low, high = _INT_BOUNDS[name]
        if not low <= number <= high:
            raise _Reason(f"out of range for {name}")
        return number
    if name == "date":
        return (datetime.date.fromisoformat(text.strip()) - _EPOCH_2000.date()).days
    if name in ("timestamp", "timestamptz"):
        moment = datetime.datetime.fromisoformat(text.strip())
        if moment.tzinfo is not None:
            moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
        elif name == "timestamptz":
            raise _Reason("give the time zone, e.g. 2024-01-31 12:00+00")
        return (moment - _EPOCH_2000) // datetime.timedelta(microseconds=1)
    if name == "time":
        t = datetime.time.fromisoformat(text.strip())
        return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
    if name == "bool":
        word = text.strip().lower()
        if word not in _BOOL_WORDS:
            raise _Reason("use true or false")
        return _BOOL_WORDS[word]
    if name in ("float4", "float8"):
        return float(text)
    if name == "numeric":
        if text.strip().lower() == "nan":
            return (1, Decimal(0))
        value = Decimal(text.strip())
        if not value.is_finite():
            raise _Reason("not a finite number")
        return (0, value)
    if name == "bpchar":
        return text.encode().rstrip(b" ")
    if name in _TEXTS or name == "name":
        return text.encode()
    if name == "bytea":
        return bytes.fromhex(text[2:]) if text.startswith("\\x") else text.encode()
    if name == "uuid":
        return uuid.UUID(text.strip()).bytes
    if name == "char":
        return text.encode()[:1]
    raise _Reason("keys of this type cannot be searched: their btree order is not known here")


def builtin_value(attribute: Attribute, raw: bytes) -> tuple[object | None, str | None]:
    """``(order value, text)``: the text from the type's output function (decode/values.py),
    the order value for the types whose btree order is known (see :func:`order_value`)."""
    try:
        text: str | None = datum_text(TypeInfo.of(attribute), raw)
    except DatumError:
        text = None
    try:
        value = order_value(attribute, raw)
    except (PageInspectError, struct.error, IndexError, ValueError, ArithmeticError):
        value = None
    return value, text


def order_only_value(attribute: Attribute, raw: bytes) -> tuple[object | None, str | None]:
    """``(order value, None)``: for whole-index checks, which compare keys but print none."""
    try:
        return order_value(attribute, raw), None
    except (PageInspectError, struct.error, IndexError, ValueError, ArithmeticError):
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
