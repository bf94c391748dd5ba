"""One way to open a session and one way to turn a psycopg error into a one-line message."""

from __future__ import annotations

import re
from typing import Any

import psycopg

from pageinspect_py.errors import ConnectionFailedError

#: Prefixes psycopg puts before libpq's own message.
_PSYCOPG_PREFIX = re.compile(r"^(?:connection failed|connection is bad): ")


def one_line(text: str) -> str:
    """The first line of ``text`` with runs of blanks collapsed (libpq writes ``FATAL:  x``)."""
    lines = text.strip().splitlines()
    return re.sub(r"\s+", " ", lines[0]).strip() if lines else ""


def server_message(exc: BaseException) -> str:
    """The server's primary message, else libpq's first line (connection errors have no diag)."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if primary:
        return one_line(primary)
    return one_line(_PSYCOPG_PREFIX.sub("", str(exc))) or type(exc).__name__


def connect(dsn: str | None) -> psycopg.Connection[Any]:
    """An autocommit session. ``dsn`` None or ``""`` leaves everything to libpq's environment
    (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSERVICE, ...) and defaults."""
    try:
        return psycopg.connect(dsn or "", autocommit=True, fallback_application_name="pgpage")
    except psycopg.Error as exc:
        raise ConnectionFailedError(f"cannot connect to PostgreSQL: {server_message(exc)}") from exc
