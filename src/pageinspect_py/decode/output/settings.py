"""The session settings output functions depend on, as PostgreSQL's GUCs: ``TimeZone``
(timestamptz). Defaults are a fresh cluster's with TimeZone UTC; a caller that knows the
session's settings (export reads them from the data directory's postgresql.conf) runs the
output functions inside :func:`session`."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pageinspect_py.errors import SchemaError

UTC_NAMES = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Zulu", "UCT", "Universal"})


@dataclass(frozen=True, slots=True)
class OutputSettings:
    timezone: str = "UTC"

    @property
    def is_utc(self) -> bool:
        return self.timezone in UTC_NAMES


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
def zone(name: str) -> ZoneInfo | None:
    """The IANA zone ``name`` (None for UTC); SchemaError when it is not one."""
    if name in UTC_NAMES:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise SchemaError(f"TimeZone {name!r} is not a time zone known here") from exc


_MIN = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_MAX = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def utc_offset_seconds(usecs: int, name: str) -> int:
    """Seconds east of UTC in zone ``name`` at ``usecs`` after 2000-01-01 00:00 UTC (the
    nearest instant Python can hold for dates past years 1..9999)."""
    tz = zone(name)
    if tz is None:
        return 0
    try:
        moment = _EPOCH + dt.timedelta(microseconds=usecs)
    except OverflowError:
        moment = _MIN if usecs < 0 else _MAX
    moment = min(max(moment, _MIN), _MAX)
    offset = moment.astimezone(tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0
