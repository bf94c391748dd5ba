"""How every query runs: rows mapped onto dataclasses by column name (``class_row``)."""

from __future__ import annotations

from typing import Any, LiteralString, TypeVar

from psycopg import Connection, sql
from psycopg.abc import Params
from psycopg.rows import class_row

T = TypeVar("T")
#: A statement: a literal string, or one composed with psycopg.sql for identifiers.
Query = LiteralString | sql.Composed


def one(
    conn: Connection[Any], query: Query, params: Params, row: type[T], *, binary: bool = False
) -> T:
    """Run ``query`` and map its single row onto ``row`` (a dataclass) by column name.

    ``binary`` asks for results in binary format (a ``bytea`` arrives as its bytes, not as
    twice as many hex digits to parse)."""
    result = optional(conn, query, params, row, binary=binary)
    if result is None:  # every query routed here returns exactly one row
        raise LookupError(f"query returned no row for {row.__name__}")
    return result


def optional(
    conn: Connection[Any], query: Query, params: Params, row: type[T], *, binary: bool = False
) -> T | None:
    """Run ``query`` and map its row, if any, onto ``row`` (a dataclass) by column name."""
    with conn.cursor(row_factory=class_row(row), binary=binary) as cur:
        cur.execute(query, params)
        return cur.fetchone()


def many(
    conn: Connection[Any], query: Query, params: Params, row: type[T], *, binary: bool = False
) -> list[T]:
    """Run ``query`` and map every row onto ``row`` (a dataclass) by column name."""
    with conn.cursor(row_factory=class_row(row), binary=binary) as cur:
        cur.execute(query, params)
        return cur.fetchall()
