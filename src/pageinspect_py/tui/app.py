"""``pgpage tui``: the Textual application.

Screens: Relation (page map) -> Page (fields + hex) -> B-tree, TOAST, Layout. Sources are
opened in a worker; errors become messages in the app, never a crash.
"""

from __future__ import annotations

import sys
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from pageinspect_py.errors import PageInspectError
from pageinspect_py.render.tree import FieldNode, PageDetail
from pageinspect_py.tui.base import BaseScreen
from pageinspect_py.tui.btree_screen import BtreeScreen
from pageinspect_py.tui.commands import PgPageCommands
from pageinspect_py.tui.dialogs import HelpScreen, MessageDialog, RelatedDialog
from pageinspect_py.tui.layout_screen import LayoutScreen
from pageinspect_py.tui.messages import (
    OpenBlock,
    OpenBtree,
    OpenLayout,
    OpenRelated,
    OpenToast,
)
from pageinspect_py.tui.page_screen import PageScreen
from pageinspect_py.tui.pagemap import PageMap
from pageinspect_py.tui.relation_screen import RelationScreen
from pageinspect_py.tui.state import OpenSpec, PageStore, Session, open_session
from pageinspect_py.tui.targets import Target
from pageinspect_py.tui.toast_screen import ToastScreen, toast_page_store, toast_target

DEFAULT_THEME = "textual-dark"
#: seconds between GIL hand-overs while the app runs (Python's default is 0.005)
SWITCH_INTERVAL = 0.0005


class PgPageApp(App[None]):
    """Browse a relation's pages, walk btree levels, see where the bytes go."""

    TITLE = "pgpage"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False, id="app.quit"),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            priority=True,
            show=False,
            id="app.command_palette",
        ),
        Binding("f1,question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+c", "help_quit", "Quit hint", show=False, system=True, id="app.help_quit"),
    ]

    COMMANDS = App.COMMANDS | {PgPageCommands}

    CSS = """
    Screen { background: $background; }
    Footer { background: $panel; }
    """

    def __init__(
        self,
        spec: OpenSpec | None = None,
        *,
        session: Session | None = None,
        keymap: dict[str, str] | None = None,
        theme: str = DEFAULT_THEME,
    ) -> None:
        super().__init__()
        self.spec = spec or (session.spec if session is not None else OpenSpec())
        self.session = session
        self._keymap_wanted = keymap or {}
        self._theme_wanted = theme
        self.relation_screen = RelationScreen()
        self._switch_interval = sys.getswitchinterval()
        self._toast_store: PageStore | None = None

    @property
    def session_title(self) -> str:
        """The relation's name (or its file) for the title bars."""
        return self.session.short_title if self.session is not None else self.spec.title

    def on_mount(self) -> None:
        # workers decode pages in Python threads: a short switch interval keeps the UI
        # thread from queueing behind them for the default 5 ms at every await
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.theme = self._theme_wanted
        if self._keymap_wanted:
            self.set_keymap(self._keymap_wanted)
        self.push_screen(self.relation_screen)
        if self.session is not None:
            self.call_after_refresh(self._opened, self.session)
        else:
            self._open()

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def _open(self) -> None:
        try:
            session = open_session(self.spec)
        except PageInspectError as exc:
            self.call_from_thread(self.relation_screen.show_error, "cannot open", str(exc))
            return
        except Exception as exc:  # an unexpected failure still must not kill the app
            self.call_from_thread(
                self.relation_screen.show_error, "cannot open", f"{type(exc).__name__}: {exc}"
            )
            return
        self.call_from_thread(self._opened, session)

    def _opened(self, session: Session) -> None:
        self.session = session
        self.call_later(self.relation_screen.attach, session.main, session.warnings, session.title)

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        if self.session is not None:
            self.session.close()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed unexpectedly (a bug, not bad bytes) is reported, not fatal."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{event.worker.name}: {type(error).__name__}: {error}",
                title="Internal error",
                severity="error",
                timeout=10,
            )

    # -- what the screens ask for (tui/messages.py) -----------------------------------------

    def on_open_block(self, message: OpenBlock) -> None:
        message.stop()
        if message.relation == "toast":
            store = self.toast_store()
            if store is not None:
                self.push_screen(
                    PageScreen(store, message.blkno, message.target, title=self.session_title)
                )
            return
        self.open_page(message.blkno, message.target)

    def on_open_btree(self, message: OpenBtree) -> None:
        message.stop()
        self._btree(message.start)

    def on_open_toast(self, message: OpenToast) -> None:
        message.stop()
        self._toast(message.detail, message.node)

    def on_open_layout(self, message: OpenLayout) -> None:
        message.stop()
        self.action_layout()

    def on_open_related(self, message: OpenRelated) -> None:
        message.stop()
        if self.session is None:
            return
        related = self.session.related
        if not related:
            self.show_message(
                "No related relations known",
                "Its indexes, TOAST table or table are found through a data directory's "
                "catalogs: pgpage tui PGDATA --db NAME RELATION.",
                error=False,
            )
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                self.call_later(self.switch_relation, related[index].spec)

        self.push_screen(RelatedDialog([r.label for r in related]), chosen)

    async def switch_relation(self, spec: OpenSpec) -> None:
        """Close the session and open ``spec`` in its place, on a fresh Relation screen."""
        while len(self.screen_stack) > 1:  # down to the default screen
            await self.pop_screen()
        if self.session is not None:
            self.session.close()
            self.session = None
        self._toast_store = None
        self.spec = spec
        self.relation_screen = RelationScreen()
        await self.push_screen(self.relation_screen)
        self._open()

    # -- navigation -------------------------------------------------------------------------

    def open_page(self, blkno: int, target: Target | None = None) -> None:
        if self.session is None:
            return
        while isinstance(self.screen, PageScreen):
            self.pop_screen()
        self.push_screen(PageScreen(self.session.main, blkno, target, title=self.session_title))

    def goto_block(self, blkno: int) -> None:
        if isinstance(self.screen, PageScreen | RelationScreen):
            self.screen.jump(Target(block=blkno))
        else:
            self.open_page(blkno)

    def action_goto_block(self) -> None:
        screen = self.screen
        if isinstance(screen, PageScreen | RelationScreen):
            screen.action_jump()
        else:
            self.relation_screen.action_jump()

    def action_step_block(self, by: int) -> None:
        if isinstance(self.screen, PageScreen):
            self.screen.action_step(by)
        elif self.session is not None:
            page_map = self.relation_screen.query_one(PageMap)
            page_map.move_to(page_map.cursor + by)

    def action_open_current(self) -> None:
        block = self.relation_screen.current_block()
        if block is not None:
            self.open_page(block)

    def action_page_map(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_map_mode(self) -> None:
        self.action_page_map()
        if self.session is not None:
            self.relation_screen.query_one(PageMap).action_cycle_mode()

    def action_toggle_hex(self) -> None:
        if isinstance(self.screen, PageScreen):
            self.screen.action_toggle_hex()
        else:
            self.notify(
                "the hex view is on the page screen: Enter opens a block", severity="warning"
            )

    def action_find(self) -> None:
        if isinstance(self.screen, BaseScreen):
            self.screen.action_find()

    # -- the B-tree, TOAST and Layout screens -------------------------------------------------

    def action_btree(self) -> None:
        self._btree("root")

    def action_btree_meta(self) -> None:
        self._btree("meta")

    def action_btree_leftmost(self) -> None:
        self._btree("leftmost")

    def action_btree_here(self) -> None:
        screen = self.screen
        if isinstance(screen, PageScreen):
            self._btree(screen.blkno)
        else:
            block = self.relation_screen.current_block()
            self._btree(block if block is not None else "root")

    def _btree(self, start: str | int) -> None:
        """Open (or move) the B-tree screen: ``root``, ``meta``, ``leftmost`` or a block."""
        if self.session is None:
            return
        screen = self.screen
        if isinstance(screen, BtreeScreen):
            screen.navigate(start)
            return
        self.push_screen(BtreeScreen(self.session.main, start, title=self.session_title))

    def action_layout(self) -> None:
        session = self.session
        if session is None:
            return
        if session.description is None:
            self.show_message(
                "Layout view",
                "the layout needs the relation's columns: give "
                "--schema FILE or --columns (offline), or open the table live",
                error=False,
            )
            return
        spec = session.spec
        live = (spec.dsn, spec.relation or "") if spec.dsn is not None else None
        self.push_screen(
            LayoutScreen(session.main, session.description, title=self.session_title, live=live)
        )

    def action_toast_here(self) -> None:
        screen = self.screen
        if isinstance(screen, PageScreen):
            screen.action_toast()
        else:
            self._toast(None, None)

    def _toast(self, detail: PageDetail | None, node: FieldNode | None) -> None:
        session = self.session
        if session is None:
            return
        if detail is None:
            self.show_message(
                "TOAST view",
                "Open a heap page first (Enter on a block), select a "
                "tuple with an out-of-line value, then press t.",
                error=False,
            )
            return
        lp = attnum = None
        while node is not None and node.parent is not None:
            if attnum is None and "/att/" in node.key:
                attnum = int(node.key.rsplit("/", 1)[1])
            if node.item is not None and lp is None:
                lp = node.item
            node = node.parent
        found = toast_target(detail.values, detail.blkno, lp, attnum)
        if isinstance(found, str):
            self.show_message("TOAST view", found, error=False)
            return
        if session.toast is None:
            self.show_message(
                "TOAST view",
                "no TOAST relation: give --toast FILE (the TOAST "
                "table's file) offline; live, the relation has no TOAST table",
            )
            return
        self.push_screen(ToastScreen(session.toast, found, title=self.session_title))

    def toast_store(self) -> PageStore | None:
        """Pages of the TOAST relation (for the chunk pages), opened on first use."""
        if self.session is None or self.session.toast is None:
            return None
        if self._toast_store is None:
            self._toast_store = toast_page_store(self.session.toast)
        return self._toast_store

    # -- help and messages ------------------------------------------------------------------

    def show_message(self, title: str, message: str, *, error: bool = True) -> None:
        self.push_screen(MessageDialog(title, message, error=error))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        focused: Widget | None = self.screen.focused
        groups: dict[str, tuple[list[str], str, str]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.system and binding.id is None:
                continue
            description = binding.description or binding.action
            group = binding.id or f"{binding.action}:{description}"
            keys, _, _ = groups.setdefault(group, ([], description, binding.id or ""))
            display = self.get_key_display(binding)
            if display not in keys:
                keys.append(display)
        rows = [
            (", ".join(keys), description, binding_id)
            for keys, description, binding_id in groups.values()
        ]
        rows.sort(key=lambda row: (row[2].split(".")[0] if row[2] else "~", row[2]))
        self.push_screen(HelpScreen(focused, rows))
