"""The Textual TUI (``pgpage tui``). Only this package imports textual.

:func:`run_tui` runs the app; :func:`parse_keymap` reads ``ID=KEYS`` rebindings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pageinspect_py.tui.state import OpenSpec


def parse_keymap(items: Iterable[str]) -> dict[str, str]:
    """``["nav.find=ctrl+f", ...]`` -> ``{"nav.find": "ctrl+f"}``; blanks are skipped."""
    keymap: dict[str, str] = {}
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        binding_id, sep, keys = item.partition("=")
        if not sep or not binding_id.strip() or not keys.strip():
            raise ValueError(f"--keymap {item!r}: expected ID=KEYS, e.g. nav.find=ctrl+f")
        keymap[binding_id.strip()] = keys.strip()
    return keymap


def run_tui(
    spec: OpenSpec, *, keymap: dict[str, str] | None = None, theme: str | None = None
) -> int:
    """Run the app until the user quits; returns the exit code (0)."""
    from pageinspect_py.tui.app import DEFAULT_THEME, PgPageApp

    app = PgPageApp(spec, keymap=keymap, theme=theme or DEFAULT_THEME)
    app.run()
    return 0
