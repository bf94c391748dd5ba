"""Datum bytes to text, exactly as PostgreSQL's output functions print them.

The server settings assumed are the defaults of a fresh cluster: ``DateStyle = ISO``,
``IntervalStyle = postgres``, ``TimeZone = UTC`` (timestamptz is shown in UTC, as ``+00``),
``extra_float_digits = 1`` (floats in the shortest text that reads back to the same value,
PostgreSQL 12+), ``bytea_output = hex``, ``lc_monetary = C`` (``$``, ``,`` and ``.``) and a
UTF-8 database encoding.

:func:`datum_text` is the entry point: it takes the bytes an attribute occupies in a tuple
(varlena header included), detoasts and decompresses them when needed, and calls the output
function of the type. Each output function receives the plain bytes (for a varlena: the bytes
after the header, uncompressed) and raises :class:`~pageinspect_py.errors.DatumError` for
bytes its C counterpart would reject; :func:`has_output` says whether a type is known at all.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from construct import ConstructError

from pageinspect_py.catalog.attributes import ALIGNMENT, Attribute
from pageinspect_py.constants import typealign
from pageinspect_py.decode.varlena import ToastFetcher, parse_varlena, plain_payload
from pageinspect_py.errors import DatumError
from pageinspect_py.layouts import datums as L


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """What an output function needs to know about a type (pg_type's typname, typlen, ...)."""

    typname: str
    typlen: int
    typalign: str
    typbyval: bool
    elem: TypeInfo | None = None  #: element type of an array

    @classmethod
    def of(cls, att: Attribute) -> TypeInfo:
        elem = None
        if att.typelem and att.elemtypname and att.elemlen is not None:
            elem = TypeInfo(att.elemtypname, att.elemlen, att.elemalign or "i", bool(att.elembyval))
        return cls(att.typname, att.attlen, att.attalign, att.attbyval, elem)

    @property
    def is_array(self) -> bool:
        return self.elem is not None and self.typlen == -1


OutputFunction = Callable[[bytes, TypeInfo], str]


def has_output(info: TypeInfo) -> bool:
    """True when :func:`datum_text` knows how to print values of this type."""
    if info.is_array:
        assert info.elem is not None
        return has_output(info.elem) or info.typname in _OUTPUT
    return info.typname in _OUTPUT


def datum_text(info: TypeInfo, stored: bytes, toast: ToastFetcher | None = None) -> str:
    """The text PostgreSQL prints for the datum stored as ``stored`` (header included).

    Raises DatumError (only) when the bytes cannot be printed."""
    try:
        return _datum_text(info, stored, toast)
    except DatumError:
        raise
    except (
        ValueError,
        ArithmeticError,
        LookupError,
        struct.error,
        ConstructError,
        RecursionError,
    ) as exc:
        raise DatumError(f"{info.typname}: {type(exc).__name__}: {exc}") from exc


def _datum_text(info: TypeInfo, stored: bytes, toast: ToastFetcher | None) -> str:
    if info.typlen == -1:
        payload = plain_payload(parse_varlena(stored), toast)
    elif info.typlen == -2:
        if not stored.endswith(b"\x00"):
            raise DatumError("C string without its terminating NUL")
        payload = stored[:-1]
    else:
        if len(stored) != info.typlen:
            raise DatumError(f"{info.typname} needs {info.typlen} bytes, got {len(stored)}")
        payload = stored
    return payload_text(info, payload)


def payload_text(info: TypeInfo, payload: bytes) -> str:
    """Output function of ``info`` applied to plain (uncompressed, header-less) bytes."""
    if info.is_array and info.typname not in _OUTPUT:
        return array_text(info, payload)
    fn = _OUTPUT.get(info.typname)
    if fn is None:
        raise DatumError(f"no output function for type {info.typname}")
    return fn(payload, info)


# ----------------------------------------------------------------------------------------------
# small helpers


def _fixed(payload: bytes, size: int, typname: str) -> bytes:
    if len(payload) != size:
        raise DatumError(f"{typname} needs {size} bytes, got {len(payload)}")
    return payload


def _utf8(raw: bytes, what: str = "text") -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatumError(f"{what} is not valid UTF-8 at byte {exc.start}") from exc


def _int(fmt: str, size: int) -> OutputFunction:
    def out(payload: bytes, info: TypeInfo) -> str:
        return str(struct.unpack("<" + fmt, _fixed(payload, size, info.typname))[0])

    return out


# ----------------------------------------------------------------------------------------------
# floating point: shortest round-trip text (src/common/d2s.c, f2s.c, to_chars)


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


def float8_text(value: float) -> str:
    """float8out with extra_float_digits > 0: double_to_shortest_decimal (Ryu d2s)."""
    special = _special_float(value)
    if special is not None:
        return special
    bits = struct.unpack("<Q", struct.pack("<d", abs(value)))[0]
    digits, exponent = _ryu_digits(bits, 52, 1023)
    return _format_shortest(digits, exponent, value < 0, 15)


def float4_text(raw: bytes) -> str:
    """float4out with extra_float_digits > 0: float_to_shortest_decimal (Ryu f2s)."""
    (value,) = struct.unpack("<f", raw)
    special = _special_float(value)
    if special is not None:
        return special
    digits, exponent = _ryu_digits(int.from_bytes(raw, "little") & 0x7FFFFFFF, 23, 127)
    return _format_shortest(digits, exponent, value < 0, 6)


def _out_float4(payload: bytes, info: TypeInfo) -> str:
    return float4_text(_fixed(payload, 4, info.typname))


def _out_float8(payload: bytes, info: TypeInfo) -> str:
    return float8_text(struct.unpack("<d", _fixed(payload, 8, info.typname))[0])


# ----------------------------------------------------------------------------------------------
# numeric (adt/numeric.c: numeric_out, get_str_from_var)


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


def _out_numeric(payload: bytes, info: TypeInfo) -> str:
    return numeric_text(payload)


# ----------------------------------------------------------------------------------------------
# character types


def _out_text(payload: bytes, info: TypeInfo) -> str:
    return _utf8(payload, info.typname)


def _out_name(payload: bytes, info: TypeInfo) -> str:
    raw = _fixed(payload, 64, "name") if info.typlen == 64 else payload
    return _utf8(raw.split(b"\x00", 1)[0], "name")


def _out_char(payload: bytes, info: TypeInfo) -> str:
    """charout (15+): a high-bit byte as \\ooo, NUL as the empty string."""
    ch = _fixed(payload, 1, '"char"')[0]
    if ch & 0x80:
        return f"\\{ch >> 6:o}{(ch >> 3) & 7:o}{ch & 7:o}"
    return "" if ch == 0 else chr(ch)


def _out_bytea(payload: bytes, info: TypeInfo) -> str:
    return "\\x" + payload.hex()


def _out_bool(payload: bytes, info: TypeInfo) -> str:
    return "t" if _fixed(payload, 1, "bool")[0] else "f"


def _out_bit(payload: bytes, info: TypeInfo) -> str:
    if len(payload) < 4:
        raise DatumError("bit string shorter than its length word")
    bit_len = struct.unpack_from("<i", payload)[0]
    data = payload[4:]
    if bit_len < 0 or (bit_len + 7) // 8 > len(data):
        raise DatumError(f"bit string of {bit_len} bits in {len(data)} bytes")
    return "".join("1" if data[i // 8] >> (7 - i % 8) & 1 else "0" for i in range(bit_len))


# ----------------------------------------------------------------------------------------------
# date and time (adt/datetime.c, timestamp.c, date.c)

POSTGRES_EPOCH_JDATE = 2451545  #: date2j(2000, 1, 1)
USECS_PER_SEC = 1_000_000
USECS_PER_MINUTE = 60 * USECS_PER_SEC
USECS_PER_HOUR = 60 * USECS_PER_MINUTE
USECS_PER_DAY = 24 * USECS_PER_HOUR
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _trunc_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def j2date(jd: int) -> tuple[int, int, int]:
    """j2date(): Julian day number to (year, month, day); year <= 0 means BC."""
    julian = jd + 32044
    quad = julian // 146097
    extra = (julian - quad * 146097) * 4 + 3
    julian += 60 + quad * 3 + extra // 146097
    quad = julian // 1461
    julian -= quad * 1461
    y = julian * 4 // 1461
    julian = ((julian + 305) % 365 if y != 0 else (julian + 306) % 366) + 123
    y += quad * 4
    year = y - 4800
    quad = julian * 2141 // 65536
    day = julian - 7834 * quad // 256
    month = (quad + 10) % 12 + 1
    return year, month, day


def _date_part(year: int, month: int, day: int) -> str:
    return f"{year if year > 0 else -(year - 1):04d}-{month:02d}-{day:02d}"


def append_seconds(sec: int, fsec: int) -> str:
    """AppendSeconds() with precision 6 and zero fill: trailing fraction zeros dropped."""
    text = f"{abs(sec):02d}"
    if fsec:
        text += "." + f"{abs(fsec):06d}".rstrip("0")
    return text


def encode_timezone(tz: int) -> str:
    """EncodeTimezone(): ``tz`` in seconds west of UTC as +hh[:mm[:ss]]."""
    sec = abs(tz)
    minutes, sec = divmod(sec, 60)
    hours, minutes = divmod(minutes, 60)
    text = ("+" if tz <= 0 else "-") + f"{hours:02d}"
    if sec:
        return text + f":{minutes:02d}:{sec:02d}"
    if minutes:
        return text + f":{minutes:02d}"
    return text


def _time_of_day(usecs: int) -> str:
    hour, rest = divmod(usecs, USECS_PER_HOUR)
    minute, rest = divmod(rest, USECS_PER_MINUTE)
    sec, fsec = divmod(rest, USECS_PER_SEC)
    return f"{hour:02d}:{minute:02d}:" + append_seconds(sec, fsec)


def date_text(days: int) -> str:
    if days == INT32_MIN:
        return "-infinity"
    if days == INT32_MAX:
        return "infinity"
    jd = days + POSTGRES_EPOCH_JDATE
    if jd < 0:
        raise DatumError(f"date {days} is out of range")
    year, month, day = j2date(jd)
    return _date_part(year, month, day) + (" BC" if year <= 0 else "")


def timestamp_text(usecs: int, with_tz: bool) -> str:
    if usecs == INT64_MIN:
        return "-infinity"
    if usecs == INT64_MAX:
        return "infinity"
    date, time = divmod(usecs, USECS_PER_DAY)  # floor: time is never negative
    jd = date + POSTGRES_EPOCH_JDATE
    if jd < 0 or jd > INT32_MAX:
        raise DatumError(f"timestamp {usecs} is out of range")
    year, month, day = j2date(jd)
    text = _date_part(year, month, day) + " " + _time_of_day(time)
    if with_tz:
        text += encode_timezone(0)
    return text + (" BC" if year <= 0 else "")


def _out_date(payload: bytes, info: TypeInfo) -> str:
    return date_text(struct.unpack("<i", _fixed(payload, 4, "date"))[0])


def _out_time(payload: bytes, info: TypeInfo) -> str:
    usecs = struct.unpack("<q", _fixed(payload, 8, "time"))[0]
    if not 0 <= usecs <= USECS_PER_DAY:
        raise DatumError(f"time {usecs} is out of range")
    return _time_of_day(usecs)


def _out_timetz(payload: bytes, info: TypeInfo) -> str:
    raw = L.TimeTzADT.parse(_fixed(payload, L.TimeTzADT.sizeof(), "timetz"))
    if not 0 <= raw.time <= USECS_PER_DAY:
        raise DatumError(f"timetz time {raw.time} is out of range")
    return _time_of_day(raw.time) + encode_timezone(raw.zone)


def _out_timestamp(payload: bytes, info: TypeInfo) -> str:
    usecs = struct.unpack("<q", _fixed(payload, 8, info.typname))[0]
    return timestamp_text(usecs, info.typname == "timestamptz")


def interval_text(time: int, day: int, month: int) -> str:
    """interval_out with IntervalStyle postgres (EncodeInterval, AddPostgresIntPart)."""
    if time == INT64_MIN and day == INT32_MIN and month == INT32_MIN:
        return "-infinity"
    if time == INT64_MAX and day == INT32_MAX and month == INT32_MAX:
        return "infinity"
    year, mon = _trunc_div(month, 12), month - _trunc_div(month, 12) * 12
    hour = _trunc_div(time, USECS_PER_HOUR)
    time -= hour * USECS_PER_HOUR
    minute = _trunc_div(time, USECS_PER_MINUTE)
    time -= minute * USECS_PER_MINUTE
    sec = _trunc_div(time, USECS_PER_SEC)
    fsec = time - sec * USECS_PER_SEC
    parts: list[str] = []
    is_before = False
    for value, unit in ((year, "year"), (mon, "mon"), (day, "day")):
        if value == 0:
            continue
        plus = "+" if is_before and value > 0 else ""
        parts.append(f"{plus}{value} {unit}{'' if value == 1 else 's'}")
        is_before = value < 0
    is_zero = not parts
    text = " ".join(parts)
    if is_zero or hour or minute or sec or fsec:
        minus = hour < 0 or minute < 0 or sec < 0 or fsec < 0
        sign = "-" if minus else ("+" if is_before else "")
        text += ("" if is_zero else " ") + f"{sign}{abs(hour):02d}:{abs(minute):02d}:"
        text += append_seconds(sec, fsec)
    return text


def _out_interval(payload: bytes, info: TypeInfo) -> str:
    raw = L.Interval.parse(_fixed(payload, L.Interval.sizeof(), "interval"))
    return interval_text(raw.time, raw.day, raw.month)


# ----------------------------------------------------------------------------------------------
# numbers with a format of their own


def _out_money(payload: bytes, info: TypeInfo) -> str:
    """cash_out in the C locale: ``-$1,234.56``."""
    value = struct.unpack("<q", _fixed(payload, 8, "money"))[0]
    units, cents = divmod(abs(value), 100)
    return f"{'-' if value < 0 else ''}${units:,}.{cents:02d}"


def _out_tid(payload: bytes, info: TypeInfo) -> str:
    hi, lo, pos = struct.unpack("<HHH", _fixed(payload, 6, "tid"))
    return f"({hi << 16 | lo},{pos})"


# ----------------------------------------------------------------------------------------------
# network and identifiers (adt/network.c, port/inet_net_ntop.c, uuid.c, mac.c, mac8.c)


def _ipv6_text(addr: bytes) -> str:
    words = [addr[i] << 8 | addr[i + 1] for i in range(0, 16, 2)]
    best_base, best_len, cur_base, cur_len = -1, 0, -1, 0
    for i, word in enumerate(words):
        if word == 0:
            if cur_base == -1:
                cur_base, cur_len = i, 1
            else:
                cur_len += 1
        elif cur_base != -1:
            if best_base == -1 or cur_len > best_len:
                best_base, best_len = cur_base, cur_len
            cur_base = -1
    if cur_base != -1 and (best_base == -1 or cur_len > best_len):
        best_base, best_len = cur_base, cur_len
    if best_base != -1 and best_len < 2:
        best_base = -1
    out = ""
    for i, word in enumerate(words):
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                out += ":"
            continue
        if i != 0:
            out += ":"
        if (
            i == 6
            and best_base == 0
            and (
                best_len == 6
                or (best_len == 7 and words[7] != 1)
                or (best_len == 5 and words[5] == 0xFFFF)
            )
        ):
            out += ".".join(str(b) for b in addr[12:16])
            break
        out += f"{word:x}"
    if best_base != -1 and best_base + best_len == 8:
        out += ":"
    return out


def _out_inet(payload: bytes, info: TypeInfo) -> str:
    if len(payload) < 2:
        raise DatumError("inet shorter than its header")
    family, bits = payload[0], payload[1]
    size = 16 if family == L.PGSQL_AF_INET6 else 4
    if family not in (L.PGSQL_AF_INET, L.PGSQL_AF_INET6) or len(payload) != 2 + size:
        raise DatumError(f"inet with family {family} and {len(payload) - 2} address bytes")
    raw = L.inet_struct.parse(payload)
    maxbits = size * 8
    if bits > maxbits:
        raise DatumError(f"inet netmask of {bits} bits")
    if family == L.PGSQL_AF_INET:
        text = ".".join(str(b) for b in raw.ipaddr)
    else:
        text = _ipv6_text(raw.ipaddr)
    if bits != maxbits or info.typname == "cidr":
        text += f"/{bits}"
    return text


def _out_uuid(payload: bytes, info: TypeInfo) -> str:
    h = _fixed(payload, 16, "uuid").hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _out_macaddr(payload: bytes, info: TypeInfo) -> str:
    size = 6 if info.typname == "macaddr" else 8
    return ":".join(f"{b:02x}" for b in _fixed(payload, size, info.typname))


# ----------------------------------------------------------------------------------------------
# geometry (adt/geo_ops.c): pair_encode / path_encode with float8out for every number


def _points(payload: bytes, at: int, count: int) -> list[tuple[float, float]]:
    if count < 0 or at + 16 * count > len(payload):
        raise DatumError(f"{count} points do not fit in {len(payload)} bytes")
    return [struct.unpack_from("<dd", payload, at + 16 * i) for i in range(count)]


def _pair(point: tuple[float, float]) -> str:
    return f"({float8_text(point[0])},{float8_text(point[1])})"


def _out_point(payload: bytes, info: TypeInfo) -> str:
    raw = L.Point.parse(_fixed(payload, 16, "point"))
    return _pair((raw.x, raw.y))


def _out_lseg(payload: bytes, info: TypeInfo) -> str:
    return "[" + ",".join(map(_pair, _points(_fixed(payload, 32, "lseg"), 0, 2))) + "]"


def _out_box(payload: bytes, info: TypeInfo) -> str:
    return ",".join(map(_pair, _points(_fixed(payload, 32, "box"), 0, 2)))


def _out_line(payload: bytes, info: TypeInfo) -> str:
    a, b, c = struct.unpack("<ddd", _fixed(payload, 24, "line"))
    return "{" + ",".join(map(float8_text, (a, b, c))) + "}"


def _out_circle(payload: bytes, info: TypeInfo) -> str:
    x, y, r = struct.unpack("<ddd", _fixed(payload, 24, "circle"))
    return f"<{_pair((x, y))},{float8_text(r)}>"


def _out_path(payload: bytes, info: TypeInfo) -> str:
    if len(payload) < 12:
        raise DatumError("path shorter than its header")
    npts, closed = struct.unpack_from("<ii", payload)
    text = ",".join(map(_pair, _points(payload, 12, npts)))
    return f"({text})" if closed else f"[{text}]"


def _out_polygon(payload: bytes, info: TypeInfo) -> str:
    if len(payload) < 36:
        raise DatumError("polygon shorter than its header")
    npts = struct.unpack_from("<i", payload)[0]
    return "(" + ",".join(map(_pair, _points(payload, 36, npts))) + ")"


# ----------------------------------------------------------------------------------------------
# json, jsonb (adt/json.c escape_json, adt/jsonb.c JsonbToCString, jsonb_util.c)


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


def _jsonb_scalar(entry: int, data: bytes, start: int, length: int, depth: int) -> str:
    kind = entry & L.JENTRY_TYPEMASK
    if kind == L.JENTRY_ISSTRING:
        return escape_json(_utf8(data[start : start + length], "jsonb string"))
    if kind == L.JENTRY_ISNUMERIC:
        aligned = typealign(start, 4)
        num = parse_varlena(data[aligned : start + length])
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


def _jsonb_container(buf: bytes, depth: int) -> tuple[str, bool]:
    """(text, is raw scalar) of the JsonbContainer at the start of ``buf``."""
    if depth > JSONB_MAX_DEPTH:
        raise DatumError(f"jsonb nested deeper than {JSONB_MAX_DEPTH} levels")
    if len(buf) < 4:
        raise DatumError("jsonb container shorter than its header")
    header = L.JsonbContainer.parse(buf[:4]).header
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


def _out_jsonb(payload: bytes, info: TypeInfo) -> str:
    return _jsonb_container(payload, 0)[0]


# ----------------------------------------------------------------------------------------------
# tsvector (tsearch/to_tsany.c, tsvector.c tsvectorout)

_WEIGHTS = {3: "A", 2: "B", 1: "C", 0: ""}


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
        lexeme = _utf8(strings[entry.pos : entry.pos + entry.len], "tsvector lexeme")
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


# ----------------------------------------------------------------------------------------------
# arrays (utils/array.h, adt/arrayfuncs.c array_out)

_ARRAY_DELIMITER = {"box": ";"}
_ARRAY_SPACE = " \t\n\r\v\f"


def _array_quote(text: str, delimiter: str) -> str:
    need = text == "" or text.lower() == "null"
    if not need:
        need = any(ch in '"\\{}' or ch == delimiter or ch in _ARRAY_SPACE for ch in text)
    if not need:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def array_elements(info: TypeInfo, payload: bytes) -> tuple[list[int], list[int], list[str | None]]:
    """(dims, lower bounds, element texts or None for NULL) of an array datum's payload."""
    elem = info.elem
    if elem is None:
        raise DatumError(f"{info.typname} has no element type")
    if len(payload) < L.ArrayType.sizeof():
        raise DatumError("array shorter than its header")
    head = L.ArrayType.parse(payload[: L.ArrayType.sizeof()])
    ndim = head.ndim
    if ndim == 0:
        return [], [], []
    if not 0 < ndim <= L.MAXDIM:
        raise DatumError(f"array with {ndim} dimensions")
    at = L.ArrayType.sizeof()
    if at + 8 * ndim > len(payload):
        raise DatumError("array dimensions are truncated")
    dims = list(struct.unpack_from(f"<{ndim}i", payload, at))
    lbounds = list(struct.unpack_from(f"<{ndim}i", payload, at + 4 * ndim))
    nitems = math.prod(dims)
    if any(d < 0 for d in dims) or nitems > len(payload) * 8:
        raise DatumError(f"array dimensions {dims} do not fit in {len(payload)} bytes")
    # offsets below are from the start of the ArrayType (varlena header included)
    bitmap_at = L.ARRAY_HEADER_SIZE + 8 * ndim
    if head.dataoffset:
        bitmap = payload[bitmap_at - 4 : bitmap_at - 4 + (nitems + 7) // 8]
        data_at = head.dataoffset
    else:
        bitmap = b""
        data_at = typealign(bitmap_at, 8)  # ARR_OVERHEAD_NONULLS: MAXALIGN
    buf = b"\x00\x00\x00\x00" + payload  # so that offsets equal the in-memory ones
    pos = data_at
    texts: list[str | None] = []
    for i in range(nitems):
        if bitmap and not bitmap[i // 8] >> (i % 8) & 1:
            texts.append(None)
            continue
        pos = typealign(pos, ALIGNMENT[elem.typalign])
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
        texts.append(datum_text(elem, buf[pos:end]))
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


# ----------------------------------------------------------------------------------------------
# attmissingval


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


_OUTPUT: dict[str, OutputFunction] = {
    "bool": _out_bool,
    "char": _out_char,
    "name": _out_name,
    "int2": _int("h", 2),
    "int4": _int("i", 4),
    "int8": _int("q", 8),
    "oid": _int("I", 4),
    "xid": _int("I", 4),
    "cid": _int("I", 4),
    "xid8": _int("Q", 8),
    "float4": _out_float4,
    "float8": _out_float8,
    "numeric": _out_numeric,
    "money": _out_money,
    "text": _out_text,
    "varchar": _out_text,
    "bpchar": _out_text,
    "json": _out_text,
    "xml": _out_text,
    "unknown": _out_text,
    "cstring": _out_text,
    "bytea": _out_bytea,
    "bit": _out_bit,
    "varbit": _out_bit,
    "date": _out_date,
    "time": _out_time,
    "timetz": _out_timetz,
    "timestamp": _out_timestamp,
    "timestamptz": _out_timestamp,
    "interval": _out_interval,
    "uuid": _out_uuid,
    "inet": _out_inet,
    "cidr": _out_inet,
    "macaddr": _out_macaddr,
    "macaddr8": _out_macaddr,
    "tid": _out_tid,
    "point": _out_point,
    "lseg": _out_lseg,
    "box": _out_box,
    "line": _out_line,
    "circle": _out_circle,
    "path": _out_path,
    "polygon": _out_polygon,
    "jsonb": _out_jsonb,
    "tsvector": _out_tsvector,
    "int2vector": _out_vector,
    "oidvector": _out_vector,
}
