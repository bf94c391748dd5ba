"""How key screens look at 80x24, pinned as SVG snapshots (pytest-textual-snapshot).

Deterministic: shipped pg17 fixtures, a fixed theme and size, no clocks, every worker
finished before the screenshot. Regenerate after an intended change with
``pytest tests/test_tui_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from tui_support import SIZE, fixture, manifest_path, settle

from pageinspect_py.tui.app import PgPageApp
from pageinspect_py.tui.state import OpenSpec

THEME = "textual-dark"
SnapCompare = Callable[..., bool]


def make_app(name: str, *, schema: bool = False, toast: str | None = None) -> PgPageApp:
    spec = OpenSpec(
        path=str(fixture(name).file()),
        schema=str(manifest_path()) if schema else None,
        toast=str(fixture(toast).file()) if toast else None,
    )
    return PgPageApp(spec, theme=THEME)


def steps(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Settle, then press each key (a string of several characters is typed), settling."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            if len(key) > 1 and key.startswith("type:"):
                await pilot.press(*key.removeprefix("type:"))
            else:
                await pilot.press(key)
            await settle(pilot)
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)

    return run_before


def test_relation_screen(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        make_app("heap_big"), terminal_size=SIZE, run_before=steps("right", "right", "right")
    )


def test_relation_screen_no_color(
    snap_compare: SnapCompare, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(make_app("heap_new_pages"), terminal_size=SIZE, run_before=steps())


def test_page_screen_tuple_selected(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        make_app("heap_hot"),
        terminal_size=SIZE,
        run_before=steps("enter", "colon", "type:lp 2", "enter", "right", "down"),
    )


def test_page_screen_tuple_tab_with_values(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        make_app("heap_types", schema=True),
        terminal_size=SIZE,
        run_before=steps("enter", "colon", "type:lp 1", "enter", "3"),
    )


def test_btree_root_with_levels(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        make_app("bt_three_levels", schema=True), terminal_size=SIZE, run_before=steps("b", "s")
    )


def test_btree_leaf_with_posting_lists(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        make_app("bt_dedup", schema=True),
        terminal_size=SIZE,
        run_before=steps("b", "enter", "down"),
    )


def test_toast_screen(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        make_app("toast_values", schema=True, toast="toast_values_toast"),
        terminal_size=SIZE,
        run_before=steps("enter", "colon", "type:lp 5", "enter", "t"),
    )


def test_help_screen(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app("heap_hot"), terminal_size=SIZE, run_before=steps("enter", "f1"))
