"""The ``--sql`` writer (app/migration.py) on its own: its quoting rules against the server's
``quote_ident``/string-literal parser, and its refusals. The whole script is run against real
tables in ``test_advice_live.py``."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import TupleRow

from pageinspect_py.app.migration import MAX_IDENTIFIER, Quoter, _truncate, literal, migration_sql
from pageinspect_py.sources.live_definitions import MigrationFacts
from pageinspect_py.sources.queries.definitions import ColumnDefinition, TableDefinition

Conn = psycopg.Connection[TupleRow]

NAMES = [
    "a",
    "abc_1",
    "_x",
    "1a",
    "A",
    "mixedCase",
    "has space",
    'quote"inside',
    "select",  # reserved
    "user",  # reserved
    "between",  # column name keyword: quote_ident quotes it
    "int",  # type-function-name keyword
    "name",  # unreserved: left bare
    "é",  # not ASCII: quoted
    "",
    "a$b",
    "ß_lower",
]


def _keywords(conn: Conn) -> frozenset[str]:
    rows = conn.execute("SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'").fetchall()
    return frozenset(r[0] for r in rows)


def test_identifiers_are_quoted_as_the_server_quotes_them(pg_conn: Conn) -> None:
    q = Quoter(_keywords(pg_conn))
    for name in NAMES:
        row = pg_conn.execute("SELECT quote_ident(%s)", (name,)).fetchone()
        assert row is not None
        assert q.ident(name) == row[0], name
    assert q.qualified("My Schema", "t") == '"My Schema".t'


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(st.characters(codec="utf-8", blacklist_characters="\x00")))
def test_literals_read_back_as_the_text(pg_conn: Conn, text: str) -> None:
    """Whatever the text (quotes, backslashes), the server parses the literal back to it."""
    row = pg_conn.execute(f"SELECT {literal(text)}::text").fetchone()
    assert row is not None
    assert row[0] == text


def test_truncated_names_fit_namedatalen_and_keep_utf8_whole() -> None:
    suffix = "__pgpage_new"
    for name in ("t", "x" * 63, "é" * 40, "a" + "é" * 30):
        out = _truncate(name, suffix)
        assert out.endswith(suffix)
        assert len(out.encode()) <= MAX_IDENTIFIER
        assert name.startswith(out[: -len(suffix)])
        out.encode().decode()  # no half of a character left behind
    assert _truncate("short", suffix) == "short__pgpage_new"


def _column(attnum: int, name: str) -> ColumnDefinition:
    return ColumnDefinition(
        attnum=attnum,
        attname=name,
        type="integer",
        collation=None,
        attnotnull=False,
        notnull_name=None,
        default=None,
        attgenerated="",
        generation=None,
        attidentity="",
        seq_schema=None,
        seq_name=None,
        seq_options=None,
        storage_changed=None,
        typstorage="p",
        compression=None,
        stattarget=None,
        options=None,
        acl=None,
        comment=None,
    )


def _facts(columns: list[str]) -> MigrationFacts:
    table = TableDefinition(
        owner="postgres",
        tablespace=None,
        amname=None,
        relpersistence="p",
        relreplident="d",
        relrowsecurity=False,
        relforcerowsecurity=False,
        acl=None,
        comment=None,
        reltype=0,
        rowtype_users=[],
        parent=None,
        partition_bound=None,
        inherits=[],
        children=[],
        publications=[],
    )
    return MigrationFacts(
        nspname="public",
        relname="t",
        reloptions=[],
        toast_reloptions=[],
        table=table,
        columns=[_column(i + 1, c) for i, c in enumerate(columns)],
        constraints=[],
        incoming=[],
        indexes=[],
        triggers=[],
        policies=[],
        grants=[],
        column_grants=[],
        views=[],
        statistics=[],
        rules=[],
        publications=[],
        keywords=frozenset({"select"}),
    )


def test_the_order_must_name_every_column_once() -> None:
    facts = _facts(["a", "b", "select"])
    for order in (["a", "b"], ["a", "b", "select", "a"], ["a", "b", "c"]):
        with pytest.raises(ValueError, match="every live column once"):
            migration_sql(facts, order)
    script = migration_sql(facts, ["select", "b", "a"]).sql
    create = script[script.index("CREATE TABLE") :]
    assert create.index('"select" integer') < create.index("b integer") < create.index("a integer")
    assert 'INSERT INTO public.t__pgpage_new ("select", b, a)' in script
    assert script.rstrip().endswith("ANALYZE public.t;")
