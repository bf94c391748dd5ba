"""``pgpage tui --dsn``: the TUI on a live relation of a throwaway server, and a connection that
the server really drops (pg_terminate_backend) while the app runs.

Expected values come from the same server (SQL, pageinspect).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pgcluster
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from textual.pilot import Pilot
from tui_support import SIZE, screen_text, settle

from pageinspect_py.decode.btree import BtreePage
from pageinspect_py.tui.app import PgPageApp
from pageinspect_py.tui.btree_screen import BtreeScreen
from pageinspect_py.tui.layout_screen import LayoutScreen
from pageinspect_py.tui.page_screen import PageScreen
from pageinspect_py.tui.pagemap import PageMap
from pageinspect_py.tui.relation_screen import RelationScreen
from pageinspect_py.tui.state import OpenSpec
from pageinspect_py.tui.toast_screen import ToastScreen

DATABASE = "pgpage_tui_live"
SETUP = """
CREATE TABLE tui_t (id int4 NOT NULL, label text, big text);
ALTER TABLE tui_t ALTER big SET STORAGE EXTERNAL;
INSERT INTO tui_t SELECT g, 'row ' || g, NULL FROM generate_series(1, 3000) g;
UPDATE tui_t SET big = (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 200) i)
 WHERE id = 1;
CREATE INDEX tui_t_id ON tui_t (id);
VACUUM tui_t
"""

Scenario = Callable[[Pilot[Any], PgPageApp], Awaitable[None]]


@dataclass(frozen=True)
class LiveTable:
    dsn: str


@pytest.fixture(scope="module")
def live_table(pg_cluster: pgcluster.Cluster) -> LiveTable:
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    dsn = make_conninfo(pg_cluster.dsn, dbname=DATABASE)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pageinspect")
        for statement in SETUP.split(";\n"):
            if statement.strip():
                conn.execute(statement)
    return LiveTable(dsn)


def drive(app: PgPageApp, scenario: Scenario) -> None:
    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await scenario(pilot, app)

    asyncio.run(main())


async def press(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def test_live_heap_values_and_toast(live_table: LiveTable) -> None:
    with psycopg.connect(live_table.dsn, autocommit=True) as conn:
        nblocks = conn.execute(
            "SELECT pg_relation_size('tui_t') / current_setting('block_size')::int"
        ).fetchone()
        found = conn.execute("SELECT ctid::text, big FROM tui_t WHERE id = 1").fetchone()
    assert found is not None
    ctid, big = found
    block, lp = (int(x) for x in ctid.strip("()").split(","))

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        screen = app.screen
        assert isinstance(screen, RelationScreen)
        assert nblocks is not None and screen.query_one(PageMap).nblocks == nblocks[0]
        await press(pilot, "colon")
        await pilot.press(*f"({block},{lp})")
        await press(pilot, "enter")
        page = app.screen
        assert isinstance(page, PageScreen) and page.detail is not None
        assert page.detail.extras.get("values") is not None  # described from the catalog
        await press(pilot, "t")
        toast = app.screen
        assert isinstance(toast, ToastScreen)
        assert toast.result is not None and toast.result.plain is not None
        assert toast.result.plain.decode() == big

    drive(PgPageApp(OpenSpec(dsn=live_table.dsn, relation="tui_t")), scenario)


def test_live_btree_root(live_table: LiveTable) -> None:
    with psycopg.connect(live_table.dsn, autocommit=True) as conn:
        row = conn.execute("SELECT root FROM bt_metap('tui_t_id')").fetchone()
    assert row is not None

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "b")
        screen = app.screen
        assert isinstance(screen, BtreeScreen)
        assert screen.blkno == row[0]
        assert isinstance(screen.page, BtreePage)
        # typed keys from the catalog (issue 15, item 4): the root's pivots read as integers
        pivots = [i for i in screen.page.items if i.keys]
        assert pivots, "no typed key on the root page"
        assert all(k.display().lstrip("-").isdigit() for i in pivots for k in i.keys or ())

    drive(PgPageApp(OpenSpec(dsn=live_table.dsn, relation="tui_t_id")), scenario)


def test_server_dropping_the_connection_is_a_message(live_table: LiveTable) -> None:
    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "enter")
        assert isinstance(app.screen, PageScreen)
        with psycopg.connect(live_table.dsn, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert killed is not None and killed[0] >= 1
        await press(pilot, "colon")
        await pilot.press(*"5")
        await press(pilot, "enter")
        text = screen_text(app)
        assert "cannot be shown" in text
        await press(pilot, "escape", "r")  # reading again fails again, in the app
        assert isinstance(app.screen, RelationScreen)
        assert app.is_running

    drive(PgPageApp(OpenSpec(dsn=live_table.dsn, relation="tui_t")), scenario)


def test_live_btree_figures_equal_pgpage_btree_and_the_server(live_table: LiveTable) -> None:
    """Per-level padding and pgstatindex() in the TUI equal `pgpage btree --dsn` and the
    server's own pgstatindex() (this server's major, not 18's formula)."""
    import json

    from click.testing import CliRunner

    from pageinspect_py.cli import main
    from pageinspect_py.tui.state import btree_report, open_session

    with psycopg.connect(live_table.dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        server = conn.execute(
            "SELECT avg_leaf_density::float8, leaf_pages FROM pgstatindex('tui_t_id')"
        ).fetchone()
    assert server is not None
    session = open_session(OpenSpec(dsn=live_table.dsn, relation="tui_t_id"))
    try:
        assert session.index is not None  # key columns from the catalog
        report = btree_report(session.main)
    finally:
        session.close()
    result = CliRunner().invoke(
        main, ["btree", "--dsn", live_table.dsn, "tui_t_id", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)
    ours = report.statistics
    assert ours.pgstatindex.avg_leaf_density == cli["pgstatindex"]["avg_leaf_density"]
    assert ours.pgstatindex.avg_leaf_density == pytest.approx(server[0], abs=0.005)
    assert ours.pgstatindex.leaf_pages == server[1]
    levels = {lv["level"]: lv["padding_bytes"] for lv in cli["levels"]}
    assert {lv.level: lv.padding_bytes for lv in ours.levels} == levels
    assert levels[0] > 0  # int4 keys: 4 bytes of padding before the next MAXALIGN


def test_live_layout_predicts_the_pages_layout_advice_predicts(live_table: LiveTable) -> None:
    """The Layout screen on a live table computes what `pgpage layout-advice --dsn` does."""
    import json

    from click.testing import CliRunner

    from pageinspect_py.cli import main

    result = CliRunner().invoke(
        main,
        ["layout-advice", "--dsn", live_table.dsn, "tui_t", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout.splitlines()[0])

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "L")
        screen = app.screen
        assert isinstance(screen, LayoutScreen) and screen.advice is not None
        assert screen.advice.current.pages == cli["current"]["pages"]
        assert screen.advice.recommended.pages == cli["recommended"]["pages"]
        assert screen.advice.sample.size == cli["sample"]["rows"]

    drive(PgPageApp(OpenSpec(dsn=live_table.dsn, relation="tui_t")), scenario)


def test_live_related_relations_switch(live_table: LiveTable) -> None:
    """o on a live table lists its indexes and TOAST table from the server's catalog (what
    pg_index and reltoastrelid say) and switches to the one chosen."""
    from pageinspect_py.tui.dialogs import RelatedDialog

    with psycopg.connect(live_table.dsn, autocommit=True) as conn:
        indexes = [
            r[0]
            for r in conn.execute(
                "SELECT indexrelid::regclass::text FROM pg_index"
                " WHERE indrelid = 'tui_t'::regclass ORDER BY indexrelid"
            )
        ]
        toast = conn.execute(
            "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = 'tui_t'::regclass"
        ).fetchone()
    assert indexes and toast is not None

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        assert app.session is not None
        labels = [r.label for r in app.session.related]
        assert [label.split(": ", 1)[1].split(" (")[0] for label in labels[: len(indexes)]] == [
            f"public.{name}" for name in indexes
        ]
        assert any(label.startswith(f"TOAST table: {toast[0]} ") for label in labels)
        await press(pilot, "o")
        assert isinstance(app.screen, RelatedDialog)
        await press(pilot, "enter")
        assert app.session is not None and app.session.spec.relation == f"public.{indexes[0]}"
        assert app.session.index is not None  # a btree: typed keys from the catalog

    drive(PgPageApp(OpenSpec(dsn=live_table.dsn, relation="tui_t")), scenario)
