"""The command palette (ctrl+p): ``page: go to block``, ``btree: go to root``, ``view: toggle hex``
and the rest, each calling an app action."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider


class PaletteApp(Protocol):
    """The app actions the palette offers (the app class itself is not imported here)."""

    def action_goto_block(self) -> None: ...
    def action_step_block(self, by: int) -> None: ...
    def action_open_current(self) -> None: ...
    def action_btree(self) -> None: ...
    def action_btree_meta(self) -> None: ...
    def action_btree_leftmost(self) -> None: ...
    def action_toggle_hex(self) -> None: ...
    def action_page_map(self) -> None: ...
    def action_map_mode(self) -> None: ...
    def action_layout(self) -> None: ...
    def action_toast_here(self) -> None: ...
    def action_find(self) -> None: ...
    def action_help(self) -> None: ...
    def goto_block(self, blkno: int) -> None: ...


_BLOCK_NUMBER = re.compile(r"(?:block|blk|page)?\s*(\d+)\s*$", re.IGNORECASE)


def palette_commands(app: PaletteApp) -> list[tuple[str, str, Callable[[], object]]]:
    """(name, help, callback) of every command, in the order the palette lists them."""
    return [
        (
            "page: go to block",
            "Jump to a block: asks for its number (or type it: 'go to block 42')",
            app.action_goto_block,
        ),
        ("page: next block", "Show the next block", partial(app.action_step_block, 1)),
        ("page: previous block", "Show the previous block", partial(app.action_step_block, -1)),
        (
            "page: open highlighted block",
            "Open the block highlighted in the page map",
            app.action_open_current,
        ),
        ("btree: go to root", "B-tree view at the root page (from the metapage)", app.action_btree),
        ("btree: go to metapage", "B-tree view at the metapage (block 0)", app.action_btree_meta),
        (
            "btree: leftmost page of level",
            "B-tree view at the leftmost page of the current level",
            app.action_btree_leftmost,
        ),
        ("view: toggle hex", "Show or hide the hex view of the page screen", app.action_toggle_hex),
        ("view: page map", "Back to the relation's page map", app.action_page_map),
        (
            "view: cycle map mode",
            "Page map glyphs: used, free, dead line pointers, padding",
            app.action_map_mode,
        ),
        (
            "view: layout advice",
            "Current and recommended column order with their padding",
            app.action_layout,
        ),
        (
            "toast: open value",
            "TOAST view of the external value under the cursor",
            app.action_toast_here,
        ),
        ("find: search", "Find a field, value, flag or bytes (/)", app.action_find),
        ("help: keys", "Help for the focused pane and its keys (F1 or ?)", app.action_help),
    ]


class PgPageCommands(Provider):
    """pgpage's commands for the command palette."""

    @property
    def pgapp(self) -> PaletteApp:
        return cast(PaletteApp, self.app)

    async def discover(self) -> Hits:
        for name, help_text, callback in palette_commands(self.pgapp):
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        app = self.pgapp
        matcher = self.matcher(query)
        number = _BLOCK_NUMBER.search(query)
        if number is not None and (
            "go" in query.lower() or "block" in query.lower() or query.strip().isdigit()
        ):
            blkno = int(number.group(1))
            name = f"page: go to block {blkno}"
            yield Hit(
                1.0, name, partial(app.goto_block, blkno), text=name, help=f"Show block {blkno}"
            )
        for name, help_text, callback in palette_commands(app):
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, text=name, help=help_text)
