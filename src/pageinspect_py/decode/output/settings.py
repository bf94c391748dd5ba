"""The session settings output functions depend on, as PostgreSQL's GUCs: ``TimeZone``
(timestamptz), ``DateStyle`` (date, timestamp, timestamptz), ``IntervalStyle`` (interval) and
``extra_float_digits`` (float4, float8 and the geometric types). Defaults are a fresh
cluster's with TimeZone UTC; a caller that knows the session's settings (export reads them
from the data directory's postgresql.conf) runs the output functions inside :func:`session`.

Each setting's text is read here, once, the way the server's GUC check hooks read it
(``check_datestyle`` in commands/variable.c, the IntervalStyle enum, extra_float_digits'
range -15..3, ``check_timezone``): :func:`parse_datestyle`, :func:`parse_intervalstyle`,
:func:`parse_extra_float_digits`, :func:`zone`. What the server rejects is a SchemaError."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pageinspect_py.errors import SchemaError

UTC_NAMES = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Zulu", "UCT", "Universal"})

#: DateStyle's output styles and field orders, as check_datestyle() spells them
DATE_STYLES = ("ISO", "SQL", "Postgres", "German")
DATE_ORDERS = ("MDY", "DMY", "YMD")
#: IntervalStyle's values (guc_tables.c intervalstyle_options)
INTERVAL_STYLES = ("postgres", "postgres_verbose", "sql_standard", "iso_8601")
#: extra_float_digits' range (guc_tables.c)
EXTRA_FLOAT_DIGITS = range(-15, 4)
#: DateStyle's boot value, what a setting naming only a style or only an order completes
DEFAULT_DATESTYLE = "ISO, MDY"


@dataclass(frozen=True, slots=True)
class OutputSettings:
    """``datestyle`` is check_datestyle()'s canonical form (``"SQL, DMY"``; any form the
    server accepts is turned into it); ``intervalstyle`` one of :data:`INTERVAL_STYLES`."""

    timezone: str = "UTC"
    datestyle: str = DEFAULT_DATESTYLE
    intervalstyle: str = "postgres"
    extra_float_digits: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "datestyle", parse_datestyle(self.datestyle))
        object.__setattr__(self, "intervalstyle", parse_intervalstyle(self.intervalstyle))
        if self.extra_float_digits not in EXTRA_FLOAT_DIGITS:
            raise SchemaError(
                f"extra_float_digits {self.extra_float_digits} is outside the valid range "
                'for parameter "extra_float_digits" (-15 .. 3)'
            )

    @property
    def is_utc(self) -> bool:
        return self.timezone in UTC_NAMES

    @property
    def date_style(self) -> str:
        """The output style: one of :data:`DATE_STYLES`."""
        return _split_datestyle(self.datestyle)[0]

    @property
    def date_order(self) -> str:
        """The field order: one of :data:`DATE_ORDERS`."""
        return _split_datestyle(self.datestyle)[1]


@cache
def _split_datestyle(canonical: str) -> tuple[str, str]:
    style, order = canonical.split(", ")
    return style, order


@cache
def parse_datestyle(text: str, base: str = DEFAULT_DATESTYLE) -> str:
    """check_datestyle(): DateStyle ``text`` (``"iso, dmy"``, ``"German"``, ``"euro"``,
    ``"DEFAULT, SQL"``...) in its canonical form ``"Style, ORDER"``. A style or an order that
    ``text`` leaves out is ``base``'s (the canonical setting it is applied over, which
    ``DEFAULT`` also names); German sets DMY unless an order is given. SchemaError for what
    the server rejects."""
    style, order = _split_datestyle(base)
    if style not in DATE_STYLES or order not in DATE_ORDERS:
        raise ValueError(f"DateStyle base {base!r} is not canonical")
    have_style = have_order = conflict = False
    if not text.strip():  # SplitIdentifierString: an empty list, nothing changes
        return f"{style}, {order}"
    tokens = [t.strip() for t in text.split(",")]
    if any(not t for t in tokens):
        raise SchemaError(f'invalid value for parameter "DateStyle": {text!r} (list syntax)')
    for raw in tokens:
        low = (raw[1:-1] if len(raw) > 1 and raw[0] == raw[-1] == '"' else raw).lower()
        new_style = new_order = None
        if low in ("iso", "sql", "german") or low.startswith("postgres"):
            new_style = {"iso": "ISO", "sql": "SQL", "german": "German"}.get(low, "Postgres")
        elif low == "ymd":
            new_order = "YMD"
        elif low == "dmy" or low.startswith("euro"):
            new_order = "DMY"
        elif low in ("mdy", "us") or low.startswith("noneuro"):
            new_order = "MDY"
        elif low == "default":
            base_style, base_order = _split_datestyle(base)
            style = style if have_style else base_style
            order = order if have_order else base_order
            continue
        else:
            raise SchemaError(
                f'invalid value for parameter "DateStyle": {text!r} '
                f'(unrecognized key word: "{raw}")'
            )
        if new_style is not None:
            conflict |= have_style and style != new_style
            style, have_style = new_style, True
            if new_style == "German" and not have_order:
                order = "DMY"
        if new_order is not None:
            conflict |= have_order and order != new_order
            order, have_order = new_order, True
    if conflict:
        raise SchemaError(
            f'invalid value for parameter "DateStyle": {text!r} '
            '(conflicting "DateStyle" specifications)'
        )
    return f"{style}, {order}"


def parse_intervalstyle(text: str) -> str:
    """IntervalStyle ``text`` (an enum: any case, no abbreviations)."""
    low = text.strip().lower()
    if low not in INTERVAL_STYLES:
        raise SchemaError(
            f'invalid value for parameter "IntervalStyle": {text!r} '
            f"(available values: {', '.join(INTERVAL_STYLES)})"
        )
    return low


def parse_extra_float_digits(text: str) -> int:
    """extra_float_digits ``text`` as parse_int() reads an integer GUC (decimal, 0x hex, or a
    number rounded to the nearest integer) within -15..3."""
    value: float
    try:
        value = int(text.strip(), 0)
    except ValueError:
        try:
            value = float(text.strip())
        except ValueError:
            raise SchemaError(
                f'invalid value for parameter "extra_float_digits": {text!r}'
            ) from None
        if not math.isfinite(value):
            raise SchemaError(
                f'invalid value for parameter "extra_float_digits": {text!r}'
            ) from None
        value = round(value)  # rint(): halves to even, as the server rounds
    if value not in EXTRA_FLOAT_DIGITS:
        raise SchemaError(
            f"extra_float_digits {text!r} is outside the valid range for parameter "
            '"extra_float_digits" (-15 .. 3)'
        )
    return int(value)


#: a fresh cluster's (TimeZone UTC)
DEFAULT_SETTINGS = OutputSettings()
_CURRENT: ContextVar[OutputSettings] = ContextVar("output_settings", default=DEFAULT_SETTINGS)


def current() -> OutputSettings:
    return _CURRENT.get()


@contextlib.contextmanager
def session(settings: OutputSettings) -> Iterator[None]:
    """Output functions called inside see ``settings`` (TimeZone checked first)."""
    zone(settings.timezone)
    token = _CURRENT.set(settings)
    try:
        yield
    finally:
        _CURRENT.reset(token)


@cache
def _zone_names() -> dict[str, str]:
    """Lower-cased IANA zone name -> its spelling (the server looks names up ignoring case)."""
    return {name.lower(): name for name in available_timezones()}


_NUMERIC = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


@cache
def zone(name: str) -> dt.tzinfo | None:
    """The zone TimeZone ``name`` means (None for UTC): an IANA name in any case, or a number
    of hours east of UTC (check_timezone: ``pg_tzset_offset``, whose abbreviation is the
    offset, ``+05:30``). SchemaError when it is neither."""
    if name in UTC_NAMES:
        return None
    text = name.strip()
    if _NUMERIC.fullmatch(text):
        return _offset_zone(float(text))
    spelled = _zone_names().get(text.lower(), text)
    try:
        return ZoneInfo(spelled)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise SchemaError(
            f"TimeZone {name!r} is not a time zone known here (an IANA zone name or a number "
            "of hours)"
        ) from exc


def _offset_zone(hours: float) -> dt.timezone:
    """pg_tzset_offset(-hours * 3600): a fixed zone named ``<+hh[:mm[:ss]]>``."""
    if not math.isfinite(hours):
        raise SchemaError(f"TimeZone {hours}: UTC timezone offset is out of range")
    gmtoffset = -math.trunc(-hours * 3600)  # C: (long) (-hours * SECS_PER_HOUR), negated back
    absolute = abs(gmtoffset)
    if absolute // 3600 > 167:  # tzparse(): hours up to HOURSPERDAY * DAYSPERWEEK - 1
        raise SchemaError(f"TimeZone {hours:g}: UTC timezone offset is out of range")
    text = f"{absolute // 3600:02d}"
    if absolute % 3600:
        text += f":{absolute % 3600 // 60:02d}"
        if absolute % 60:
            text += f":{absolute % 60:02d}"
    return dt.timezone(dt.timedelta(seconds=gmtoffset), ("-" if gmtoffset < 0 else "+") + text)


_MIN = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_MAX = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: the Gregorian calendar (and so every POSIX TZ rule) repeats every 400 years
_CYCLE_USECS = 146097 * 86_400_000_000
_UTC_ABBREVS = {"GMT": "GMT", "Etc/GMT": "GMT"}


def local_time(usecs: int, name: str) -> tuple[int, str]:
    """Seconds east of UTC and the zone abbreviation (the tz database's, ``CEST``, ``LMT``,
    ``+0545``) in zone ``name`` at ``usecs`` after 2000-01-01 00:00 UTC, as pg_localtime()
    finds them: before year 1 the zone's first offset; after 9999 the rule of the same instant
    400 years earlier, as many times as it takes (what localtime.c's ``goahead`` does)."""
    tz = zone(name)
    if tz is None:
        return 0, _UTC_ABBREVS.get(name, "UTC")
    max_usecs = int((_MAX - _EPOCH) / dt.timedelta(microseconds=1))
    if usecs > max_usecs:
        usecs -= -(-(usecs - max_usecs) // _CYCLE_USECS) * _CYCLE_USECS
    try:
        moment = _EPOCH + dt.timedelta(microseconds=usecs)
    except OverflowError:
        moment = _MIN
    moment = max(moment, _MIN).astimezone(tz)
    offset = moment.utcoffset()
    return (int(offset.total_seconds()) if offset is not None else 0), moment.tzname() or ""


def utc_offset_seconds(usecs: int, name: str) -> int:
    """Seconds east of UTC in zone ``name`` at ``usecs`` after 2000-01-01 00:00 UTC."""
    return local_time(usecs, name)[0]
