"""Exact numbers: integers (adt/int.c, int8.c; oid.c, xid.c for the unsigned identifiers),
numeric (adt/numeric.c numeric_out, get_str_from_var) and money (adt/cash.c cash_out in the C
locale)."""

from __future__ import annotations

import struct

from pageinspect_py.decode.output.base import OutputFunction, TypeInfo, fixed
from pageinspect_py.decode.output.registry import register
from pageinspect_py.errors import DatumError
from pageinspect_py.layouts import datums as L


def _int(fmt: str, size: int) -> OutputFunction:
    """int2out, int4out, int8out, oidout, xidout, cidout, xid8out: the integer stored in
    ``size`` little-endian bytes (``fmt`` a struct code: signed or unsigned)."""

    def out(payload: bytes, info: TypeInfo) -> str:
        return str(struct.unpack("<" + fmt, fixed(payload, size, info.typname))[0])

    return out


register("int2")(_int("h", 2))
register("int4")(_int("i", 4))
register("int8")(_int("q", 8))
register("oid", "xid", "cid")(_int("I", 4))
register("xid8")(_int("Q", 8))


def numeric_text(payload: bytes) -> str:
    if len(payload) < 2:
        raise DatumError("numeric shorter than its header")
    header = L.NumericShort.parse(payload[:2]).n_header
    if header & L.NUMERIC_SIGN_MASK == L.NUMERIC_SPECIAL:
        special = header & L.NUMERIC_EXT_SIGN_MASK
        if special == L.NUMERIC_PINF:
            return "Infinity"
        if special == L.NUMERIC_NINF:
            return "-Infinity"
        return "NaN"
    if header & L.NUMERIC_SIGN_MASK == L.NUMERIC_SHORT:
        negative = bool(header & L.NUMERIC_SHORT_SIGN_MASK)
        dscale = (header & L.NUMERIC_SHORT_DSCALE_MASK) >> L.NUMERIC_SHORT_DSCALE_SHIFT
        weight = header & L.NUMERIC_SHORT_WEIGHT_MASK
        if header & L.NUMERIC_SHORT_WEIGHT_SIGN_MASK:
            weight -= L.NUMERIC_SHORT_WEIGHT_MASK + 1
        digits_at = 2
    else:
        if len(payload) < 4:
            raise DatumError("numeric shorter than its long header")
        long = L.NumericLong.parse(payload[:4])
        negative = long.n_sign_dscale & L.NUMERIC_SIGN_MASK == L.NUMERIC_NEG
        dscale = long.n_sign_dscale & L.NUMERIC_DSCALE_MASK
        weight = long.n_weight
        digits_at = 4
    body = payload[digits_at:]
    if len(body) % 2:
        raise DatumError("numeric digits end in half a digit")
    digits = [d for (d,) in struct.iter_unpack("<h", body)]
    if any(not 0 <= d < L.NBASE for d in digits):
        raise DatumError("numeric digit outside 0..9999")

    def digit(i: int) -> int:
        return digits[i] if 0 <= i < len(digits) else 0

    if weight < 0:
        integer = "0"
    else:
        integer = str(digit(0)) + "".join(f"{digit(i):04d}" for i in range(1, weight + 1))
    text = ("-" if negative else "") + integer
    if dscale > 0:
        count = (dscale + L.DEC_DIGITS - 1) // L.DEC_DIGITS
        fraction = "".join(f"{digit(weight + 1 + i):04d}" for i in range(count))
        text += "." + fraction[:dscale]
    return text


@register("numeric")
def _out_numeric(payload: bytes, info: TypeInfo) -> str:
    return numeric_text(payload)


@register("money")
def _out_money(payload: bytes, info: TypeInfo) -> str:
    """cash_out in the C locale: ``-$1,234.56``."""
    value = struct.unpack("<q", fixed(payload, 8, "money"))[0]
    units, cents = divmod(abs(value), 100)
    return f"{'-' if value < 0 else ''}${units:,}.{cents:02d}"
