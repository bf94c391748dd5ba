"""float4 and float8 (adt/float.c float4out/float8out_internal), as the session's
``extra_float_digits`` asks: above 0 the shortest text that reads back to the same value, as
PostgreSQL's Ryu prints it (common/d2s.c, f2s.c, to_chars); 0 or below ``%.*g`` with
``DBL_DIG``/``FLT_DIG`` + extra_float_digits significant digits (pg_strfromd in
port/snprintf.c: at least 1, NaN, [-]Infinity and -0 spelled out, the rest the C library's
``%g``, which Python's ``%g`` formats identically: correctly rounded, trailing zeros dropped,
a two-digit exponent at least)."""

from __future__ import annotations

import math
import struct
from fractions import Fraction

from pageinspect_py.decode.output.base import TypeInfo, fixed
from pageinspect_py.decode.output.registry import register
from pageinspect_py.decode.output.settings import current

DBL_DIG = 15
FLT_DIG = 6


def _format_shortest(digits: str, exponent: int, negative: bool, sci_from: int) -> str:
    """to_chars(): ``digits`` x 10^``exponent`` in fixed notation when the display exponent is
    in ``[-4, sci_from)``, else as ``d.ddde+XX``."""
    olength = len(digits)
    exp = exponent + olength - 1
    sign = "-" if negative else ""
    if -4 <= exp < sci_from:
        if exponent >= 0:
            return sign + digits + "0" * exponent
        nexp = exponent + olength
        if nexp > 0:
            return f"{sign}{digits[:nexp]}.{digits[nexp:]}"
        return f"{sign}0.{'0' * -nexp}{digits}"
    digits = digits.rstrip("0") or "0"
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _special_float(value: float) -> str | None:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    return None


def _ryu_digits(bits: int, mantissa_bits: int, bias: int) -> tuple[str, int]:
    """Digits and decimal exponent PostgreSQL's Ryu (d2s.c / f2s.c) prints for a positive
    finite binary float given by its IEEE ``bits`` (sign cleared).

    PostgreSQL builds Ryu without STRICTLY_SHORTEST: the interval of values that read back to
    the same float excludes both bounds. The result has the fewest digits of any decimal
    strictly inside it, rounded to nearest (ties to even) and moved off the lower bound.
    Integers below 2^(mantissa_bits + 1) take the small-integer fast path: exact digits.
    """
    mantissa = bits & ((1 << mantissa_bits) - 1)
    ieee_exp = bits >> mantissa_bits
    e2_int = ieee_exp - bias - mantissa_bits
    if -mantissa_bits <= e2_int <= 0 and ieee_exp != 0 and mantissa & ((1 << -e2_int) - 1) == 0:
        value = ((1 << mantissa_bits) | mantissa) >> -e2_int
        digits = str(value)
        stripped = digits.rstrip("0")
        return stripped, len(digits) - len(stripped)
    if ieee_exp == 0:
        m2, e2 = mantissa, 1 - bias - mantissa_bits - 2
    else:
        m2, e2 = (1 << mantissa_bits) | mantissa, ieee_exp - bias - mantissa_bits - 2
    mm_shift = 1 if (mantissa != 0 or ieee_exp <= 1) else 0
    scale = Fraction(2) ** e2
    exact = 4 * m2 * scale
    lower = (4 * m2 - 1 - mm_shift) * scale
    upper = (4 * m2 + 2) * scale
    e10 = math.floor(math.log10(upper.numerator) - math.log10(upper.denominator)) + 1
    while True:
        grid = Fraction(10) ** e10
        k = math.floor(lower / grid) + 1
        if k * grid < upper:
            break
        e10 -= 1
    vr = math.floor(exact / grid)
    vm = math.floor(lower / grid)
    rest = exact / grid - vr
    round_up = rest > Fraction(1, 2) or (rest == Fraction(1, 2) and vr % 2 == 1)
    output = vr + (1 if vr == vm or round_up else 0)
    digits = str(output)
    stripped = digits.rstrip("0")
    return stripped, e10 + len(digits) - len(stripped)


def strfromd(value: float, precision: int) -> str:
    """pg_strfromd(): ``value`` with ``precision`` significant digits (clamped to 1..32)."""
    if math.isnan(value):
        return "NaN"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if math.isinf(value):
        return sign + "Infinity"
    return sign + format(abs(value), f".{min(max(precision, 1), 32)}g")


def float8_text(value: float) -> str:
    """float8out_internal() with the session's extra_float_digits: above 0
    double_to_shortest_decimal (Ryu d2s), else pg_strfromd at DBL_DIG + extra_float_digits."""
    extra = current().extra_float_digits
    if extra <= 0:
        return strfromd(value, DBL_DIG + extra)
    special = _special_float(value)
    if special is not None:
        return special
    bits = struct.unpack("<Q", struct.pack("<d", abs(value)))[0]
    digits, exponent = _ryu_digits(bits, 52, 1023)
    return _format_shortest(digits, exponent, value < 0, 15)


def float4_text(raw: bytes) -> str:
    """float4out() of the IEEE single ``raw`` with the session's extra_float_digits: above 0
    float_to_shortest_decimal (Ryu f2s), else pg_strfromd at FLT_DIG + extra_float_digits."""
    (value,) = struct.unpack("<f", raw)
    extra = current().extra_float_digits
    if extra <= 0:
        return strfromd(value, FLT_DIG + extra)
    special = _special_float(value)
    if special is not None:
        return special
    digits, exponent = _ryu_digits(int.from_bytes(raw, "little") & 0x7FFFFFFF, 23, 127)
    return _format_shortest(digits, exponent, value < 0, 6)


@register("float4")
def _out_float4(payload: bytes, info: TypeInfo) -> str:
    return float4_text(fixed(payload, 4, info.typname))


@register("float8")
def _out_float8(payload: bytes, info: TypeInfo) -> str:
    return float8_text(struct.unpack("<d", fixed(payload, 8, info.typname))[0])
