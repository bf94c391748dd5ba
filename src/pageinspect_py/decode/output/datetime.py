"""Date and time (adt/datetime.c, timestamp.c, date.c) in the session's DateStyle (ISO, SQL,
Postgres, German; DMY, MDY or YMD order), IntervalStyle (postgres, postgres_verbose,
sql_standard, iso_8601) and TimeZone, the defaults ISO, postgres and UTC unless
:func:`.settings.session` says otherwise. time and timetz print the same in every style
(EncodeTimeOnly's style only matters for XSD, which no DateStyle selects)."""

from __future__ import annotations

import struct

from pageinspect_py.decode.output.base import TypeInfo, fixed
from pageinspect_py.decode.output.registry import register
from pageinspect_py.decode.output.settings import OutputSettings, current, local_time
from pageinspect_py.errors import DatumError
from pageinspect_py.layouts import datums as L

POSTGRES_EPOCH_JDATE = 2451545  #: date2j(2000, 1, 1)
USECS_PER_SEC = 1_000_000
USECS_PER_MINUTE = 60 * USECS_PER_SEC
USECS_PER_HOUR = 60 * USECS_PER_MINUTE
USECS_PER_DAY = 24 * USECS_PER_HOUR
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAXTZLEN = 10  #: the longest zone abbreviation EncodeDateTime prints
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


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


def _year(year: int) -> str:
    """The year as EncodeDateOnly/EncodeDateTime print it: at least 4 digits, BC unsigned."""
    return f"{year if year > 0 else -(year - 1):04d}"


def encode_date(year: int, month: int, day: int, settings: OutputSettings) -> str:
    """EncodeDateOnly()'s date fields (no " BC") in ``settings``' DateStyle."""
    style, order = settings.date_style, settings.date_order
    if style == "ISO":
        return f"{_year(year)}-{month:02d}-{day:02d}"
    if style == "German":
        return f"{day:02d}.{month:02d}.{_year(year)}"
    sep = "/" if style == "SQL" else "-"
    first, second = (day, month) if order == "DMY" else (month, day)
    return f"{first:02d}{sep}{second:02d}{sep}{_year(year)}"


def append_seconds(sec: int, fsec: int, fillzeros: bool = True) -> str:
    """AppendSeconds() with precision 6: |sec| (two digits with ``fillzeros``), then any
    fraction with its trailing zeros dropped."""
    text = f"{abs(sec):02d}" if fillzeros else str(abs(sec))
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
    return encode_date(year, month, day, current()) + (" BC" if year <= 0 else "")


def timestamp_text(usecs: int, with_tz: bool) -> str:
    """timestamp_out / timestamptz_out (EncodeDateTime) in the session's DateStyle;
    timestamptz in its TimeZone (:mod:`.settings`), with the numeric offset (ISO) or the
    zone's abbreviation at that instant (SQL, German, Postgres: ``CEST``, ``LMT``, ``UTC``)."""
    if usecs == INT64_MIN:
        return "-infinity"
    if usecs == INT64_MAX:
        return "infinity"
    settings = current()
    offset, abbrev = local_time(usecs, settings.timezone) if with_tz else (0, "")
    date, time = divmod(usecs + offset * USECS_PER_SEC, USECS_PER_DAY)  # floor: time >= 0
    jd = date + POSTGRES_EPOCH_JDATE
    if jd < 0 or jd > INT32_MAX:
        raise DatumError(f"timestamp {usecs} is out of range")
    year, month, day = j2date(jd)
    clock = _time_of_day(time)
    style = settings.date_style
    if style == "ISO":
        text = f"{encode_date(year, month, day, settings)} {clock}"
        if with_tz:
            text += encode_timezone(-offset)
    elif style == "Postgres":
        dow = DAYS[(jd + 1) % 7]  # j2day()
        mon = MONTHS[month - 1]
        dm = f"{day:02d} {mon}" if settings.date_order == "DMY" else f"{mon} {day:02d}"
        text = f"{dow} {dm} {clock} {_year(year)}"
    else:  # SQL, German
        text = f"{encode_date(year, month, day, settings)} {clock}"
    if with_tz and style != "ISO":
        text += " " + abbrev[:MAXTZLEN]
    return text + (" BC" if year <= 0 else "")


@register("date")
def _out_date(payload: bytes, info: TypeInfo) -> str:
    return date_text(struct.unpack("<i", fixed(payload, 4, "date"))[0])


@register("time")
def _out_time(payload: bytes, info: TypeInfo) -> str:
    usecs = struct.unpack("<q", fixed(payload, 8, "time"))[0]
    if not 0 <= usecs <= USECS_PER_DAY:
        raise DatumError(f"time {usecs} is out of range")
    return _time_of_day(usecs)


@register("timetz")
def _out_timetz(payload: bytes, info: TypeInfo) -> str:
    raw = L.TimeTzADT.parse(fixed(payload, L.TimeTzADT.sizeof(), "timetz"))
    if not 0 <= raw.time <= USECS_PER_DAY:
        raise DatumError(f"timetz time {raw.time} is out of range")
    return _time_of_day(raw.time) + encode_timezone(raw.zone)


@register("timestamp", "timestamptz")
def _out_timestamp(payload: bytes, info: TypeInfo) -> str:
    usecs = struct.unpack("<q", fixed(payload, 8, info.typname))[0]
    return timestamp_text(usecs, info.typname == "timestamptz")


def interval_text(time: int, day: int, month: int) -> str:
    """interval_out (interval2itm, EncodeInterval) in the session's IntervalStyle."""
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
    fields = (year, mon, day, hour, minute, sec, fsec)
    return _INTERVAL_STYLES[current().intervalstyle](*fields)


def _interval_postgres(
    year: int, mon: int, day: int, hour: int, minute: int, sec: int, fsec: int
) -> str:
    """INTSTYLE_POSTGRES (AddPostgresIntPart): ``1 year 2 mons -3 days +04:05:06``."""
    parts: list[str] = []
    is_before = False
    for value, unit in ((year, "year"), (mon, "mon"), (day, "day")):
        if value == 0:
            continue
        plus = "+" if is_before and value > 0 else ""
        parts.append(f"{plus}{value} {unit}{'' if value == 1 else 's'}")
        is_before = value < 0  # each field sets it for the next one only
    is_zero = not parts
    text = " ".join(parts)
    if is_zero or hour or minute or sec or fsec:
        minus = hour < 0 or minute < 0 or sec < 0 or fsec < 0
        sign = "-" if minus else ("+" if is_before else "")
        text += ("" if is_zero else " ") + f"{sign}{abs(hour):02d}:{abs(minute):02d}:"
        text += append_seconds(sec, fsec)
    return text


def _interval_verbose(
    year: int, mon: int, day: int, hour: int, minute: int, sec: int, fsec: int
) -> str:
    """INTSTYLE_POSTGRES_VERBOSE (AddVerboseIntPart): ``@ 1 year 2 mons -3 days ago``; the
    first field's sign says "ago", later fields are shown relative to it."""
    text = "@"
    is_zero, is_before = True, False
    for field, unit in (
        (year, "year"),
        (mon, "mon"),
        (day, "day"),
        (hour, "hour"),
        (minute, "min"),
    ):
        if field == 0:
            continue
        if is_zero:
            is_before = field < 0
            value = abs(field)
        else:
            value = -field if is_before else field
        text += f" {value} {unit}{'' if value == 1 else 's'}"
        is_zero = False
    if sec or fsec:
        text += " "
        if sec < 0 or (sec == 0 and fsec < 0):
            if is_zero:
                is_before = True
            elif not is_before:
                text += "-"
        elif is_before:
            text += "-"
        text += append_seconds(sec, fsec, fillzeros=False)
        text += " sec" + ("s" if abs(sec) != 1 or fsec != 0 else "")
        is_zero = False
    if is_zero:
        text += " 0"
    if is_before:
        text += " ago"
    return text


def _interval_sql_standard(
    year: int, mon: int, day: int, hour: int, minute: int, sec: int, fsec: int
) -> str:
    """INTSTYLE_SQL_STANDARD: ``1-2``, ``3 4:05:06``, ``-4:05:06``; values that mix signs or
    year-month with day-time fields get every part signed: ``+1-2 -3 +4:05:06``."""
    values = (year, mon, day, hour, minute, sec, fsec)
    has_negative = any(v < 0 for v in values)
    has_positive = any(v > 0 for v in values)
    has_year_month = year != 0 or mon != 0
    has_day_time = any(v != 0 for v in values[2:])
    standard = not (has_negative and has_positive) and not (has_year_month and has_day_time)
    text = ""
    if has_negative and standard:
        text = "-"
        year, mon, day, hour, minute, sec, fsec = (-v for v in values)
    if not has_negative and not has_positive:
        return "0"
    if not standard:
        year_sign = "-" if year < 0 or mon < 0 else "+"
        day_sign = "-" if day < 0 else "+"
        sec_sign = "-" if hour < 0 or minute < 0 or sec < 0 or fsec < 0 else "+"
        return (
            f"{year_sign}{abs(year)}-{abs(mon)} {day_sign}{abs(day)} "
            f"{sec_sign}{abs(hour)}:{abs(minute):02d}:" + append_seconds(sec, fsec)
        )
    if has_year_month:
        return f"{text}{year}-{mon}"
    clock = f"{hour}:{minute:02d}:" + append_seconds(sec, fsec)
    return f"{text}{day} {clock}" if day != 0 else text + clock


def _interval_iso_8601(
    year: int, mon: int, day: int, hour: int, minute: int, sec: int, fsec: int
) -> str:
    """INTSTYLE_ISO_8601 (AddISO8601IntPart): ``P1Y2M-3DT4H5M6.5S``, ``PT0S`` for zero."""
    if not any((year, mon, day, hour, minute, sec, fsec)):
        return "PT0S"
    text = "P" + "".join(f"{v}{u}" for v, u in ((year, "Y"), (mon, "M"), (day, "D")) if v)
    if hour or minute or sec or fsec:
        text += "T" + "".join(f"{v}{u}" for v, u in ((hour, "H"), (minute, "M")) if v)
    if sec or fsec:
        text += ("-" if sec < 0 or fsec < 0 else "") + append_seconds(sec, fsec, False) + "S"
    return text


_INTERVAL_STYLES = {
    "postgres": _interval_postgres,
    "postgres_verbose": _interval_verbose,
    "sql_standard": _interval_sql_standard,
    "iso_8601": _interval_iso_8601,
}


@register("interval")
def _out_interval(payload: bytes, info: TypeInfo) -> str:
    raw = L.Interval.parse(fixed(payload, L.Interval.sizeof(), "interval"))
    return interval_text(raw.time, raw.day, raw.month)
