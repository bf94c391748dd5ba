"""The TUI on a data directory: the relation is found by name, and ``o`` switches to its
indexes, its TOAST table or, from an index, its table, without restarting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from datadir_support import MAJORS, golden
from textual.pilot import Pilot
from tui_support import SIZE, screen_text, settle

from pageinspect_py.tui.app import PgPageApp
from pageinspect_py.tui.dialogs import MessageDialog, RelatedDialog
from pageinspect_py.tui.state import OpenSpec

pytestmark = pytest.mark.skipif(not MAJORS, reason="no fixtures/datadir")


def _run(app: PgPageApp, scenario: Callable[[Pilot[Any]], Any]) -> None:
    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())


def test_switch_from_a_table_to_its_index_and_back(datadir_copies: Callable[[int], Path]) -> None:
    major = MAJORS[-1]
    root = datadir_copies(major)
    g = golden(major)
    app = PgPageApp(OpenSpec(pgdata=str(root), database="shop", relation="sales.orders"))

    async def scenario(pilot: Pilot[Any]) -> None:
        session = app.session
        assert session is not None and not session.warnings
        assert session.description is not None and session.description.relname == "orders"
        labels = [r.label for r in session.related]
        assert labels[0] == "index: sales.orders_pkey (index (btree))"
        assert any(label.startswith("TOAST table: pg_toast.") for label in labels)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, RelatedDialog)
        await pilot.press("enter")  # the first: the primary key
        await settle(pilot)
        assert app.session is not None and app.session.index is not None
        assert app.session.index.relname == "orders_pkey"
        pkey = next(r for r in g["relations"] if r["relname"] == "orders_pkey")
        assert app.session.main.source.name.endswith(pkey["path"])
        assert "orders_pkey" in screen_text(app)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("enter")  # its table
        await settle(pilot)
        assert app.session is not None and app.session.description is not None
        assert app.session.description.relname == "orders"

    _run(app, scenario)


def test_files_without_a_data_directory_say_how(datadir_copies: Callable[[int], Path]) -> None:
    major = MAJORS[-1]
    root = datadir_copies(major)
    g = golden(major)
    path = root / next(r["path"] for r in g["relations"] if r["relname"] == "orders")
    app = PgPageApp(OpenSpec(path=str(path)))

    async def scenario(pilot: Pilot[Any]) -> None:
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, MessageDialog)
        assert "data directory" in app.screen.message

    _run(app, scenario)
