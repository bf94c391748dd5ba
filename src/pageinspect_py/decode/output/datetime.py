"""Date and time (adt/datetime.c, timestamp.c, date.c) with DateStyle ISO, IntervalStyle
postgres and the session's TimeZone (UTC unless :func:`.settings.session` says otherwise)."""

from __future__ import annotations

import struct

from pageinspect_py.decode.output.base import TypeInfo, fixed
from pageinspect_py.decode.output.registry import register
from pageinspect_py.decode.output.settings import current, utc_offset_seconds
from pageinspect_py.errors import DatumError
from pageinspect_py.layouts import datums as L

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
    """timestamp_out / timestamptz_out with DateStyle ISO; timestamptz in the session's
    TimeZone (:mod:`.settings`)."""
    if usecs == INT64_MIN:
        return "-infinity"
    if usecs == INT64_MAX:
        return "infinity"
    offset = 0
    if with_tz:
        settings = current()
        if not settings.is_utc:
            offset = utc_offset_seconds(usecs, settings.timezone)
    date, time = divmod(usecs + offset * USECS_PER_SEC, USECS_PER_DAY)  # floor: time >= 0
    jd = date + POSTGRES_EPOCH_JDATE
    if jd < 0 or jd > INT32_MAX:
        raise DatumError(f"timestamp {usecs} is out of range")
    year, month, day = j2date(jd)
    text = _date_part(year, month, day) + " " + _time_of_day(time)
    if with_tz:
        text += encode_timezone(-offset)
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


@register("interval")
def _out_interval(payload: bytes, info: TypeInfo) -> str:
    raw = L.Interval.parse(fixed(payload, L.Interval.sizeof(), "interval"))
    return interval_text(raw.time, raw.day, raw.month)
