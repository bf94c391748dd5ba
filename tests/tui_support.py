"""Helpers for the TUI tests: fixture relations, a settled pilot, the screen as text."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

from goldens import FixtureRelation, relations
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

#: the PostgreSQL major whose fixtures the TUI tests browse
MAJOR = 17
SIZE = (80, 24)


def fixture(name: str, major: int = MAJOR) -> FixtureRelation:
    for rel in relations():
        if rel.name == name and rel.major == major:
            return rel
    raise LookupError(f"no fixture pg{major}/{name}")


def manifest_path(major: int = MAJOR) -> Path:
    return fixture("heap_types", major).version_dir / "manifest.json"


async def settle(pilot: Pilot[Any], rounds: int = 8) -> None:
    """Wait until every worker (and the workers they start) has finished."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


_SVG_TEXT = re.compile(
    r'<text [^>]*?x="(?P<x>[\d.]+)"[^>]*?textLength="(?P<len>[\d.]+)"'
    r'[^>]*?clip-path="url\(#[^)]*?-line-(?P<line>\d+)\)"[^>]*>(?P<text>[^<]*)</text>'
)


def screen_text(app: App[Any]) -> str:
    """What the terminal shows, as plain text: read back from the app's public SVG
    screenshot (``App.export_screenshot``), each run of text put at its column."""
    width, height = app.size
    rows = [[" "] * width for _ in range(height)]
    for match in _SVG_TEXT.finditer(app.export_screenshot()):
        text = html.unescape(match["text"]).replace("\xa0", " ")
        if not text:
            continue
        char_width = float(match["len"]) / len(text)
        column = round(float(match["x"]) / char_width)
        line = int(match["line"])
        if 0 <= line < height:
            for offset, char in enumerate(text):
                if 0 <= column + offset < width:
                    rows[line][column + offset] = char
    return "\n".join("".join(row).rstrip() for row in rows) + "\n"


def widget_text(widget: Any, width: int = 200) -> str:
    """The text of a Static's content (a string, Text or any Rich renderable)."""
    content = widget.content
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text(styles=False)
