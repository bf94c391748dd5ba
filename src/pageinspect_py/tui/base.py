"""What every screen shares: jump, find, back, help, and safe calls from worker threads."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

from pageinspect_py.errors import PageInspectError
from pageinspect_py.tui.dialogs import FindDialog, JumpDialog
from pageinspect_py.tui.targets import Target, parse_target

if TYPE_CHECKING:
    from pageinspect_py.render.tree import PageDetail
    from pageinspect_py.tui.state import PageStore

JUMP_HINT = "42 = block 42 · 0x1f0 or +496 = byte offset · 42:0x1f0 = both · (42,7) = TID · lp 7"
FIND_HINT = (
    "text finds field names, values and flags (in the hex view: bytes); "
    "x:de ad be ef or 0xdeadbeef finds bytes · n finds the next match"
)


class BaseScreen(Screen[None]):
    """A screen with the common navigation keys.

    Screens do not import the app: what they want opened they post as a message
    (``tui/messages.py``) and the app handles it; what they show of the session (its title)
    they are given when made.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("colon", "jump", "Jump", id="nav.jump"),
        Binding("slash", "find", "Find", id="nav.find"),
        Binding("n", "find_next", "Next match", show=False, id="nav.find_next"),
        Binding("escape,backspace", "back", "Back", id="nav.back"),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="nav.focus_next"),
        Binding(
            "shift+tab", "app.focus_previous", "Previous pane", show=False, id="nav.focus_previous"
        ),
    ]

    #: the short name shown in titles and help
    SCREEN_NAME = "screen"

    def __init__(self, *, title: str = "", name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.last_find = ""
        #: the relation's name (or its file) for the title bar
        self.session_title = title

    # -- worker helpers ---------------------------------------------------------------------

    def from_thread(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback`` on the UI thread; quietly nothing if the app is gone."""
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(callback, *args)

    def deliver_detail(
        self,
        store: PageStore,
        blkno: int,
        show: Callable[[PageDetail], None],
        failed: Callable[[int, str], None],
    ) -> None:
        """From a worker thread: decode ``blkno`` and hand the page (or one line saying why
        not) to the UI thread. A decoder bug becomes a message; it never kills the app."""
        try:
            detail = store.detail(blkno)
        except PageInspectError as exc:
            self.from_thread(failed, blkno, str(exc))
            return
        except Exception as exc:
            self.from_thread(failed, blkno, f"cannot decode: {type(exc).__name__}: {exc}")
            return
        self.from_thread(show, detail)

    # -- jump -------------------------------------------------------------------------------

    def action_jump(self, initial: str = "") -> None:
        def done(text: str | None) -> None:
            if text is None or not text.strip():
                return
            try:
                target = parse_target(text)
            except ValueError as exc:
                self.notify(str(exc), title="Jump", severity="error")
                return
            # after the dialog is gone, so that widgets update on an active screen
            self.call_after_refresh(self.jump, target)

        self.app.push_screen(JumpDialog(JUMP_HINT, initial), done)

    def jump(self, target: Target) -> None:
        """Go where ``target`` says; screens override."""
        self.notify(f"nothing to jump to here ({target.describe()})", severity="warning")

    # -- find -------------------------------------------------------------------------------

    def action_find(self) -> None:
        def done(text: str | None) -> None:
            if text:
                self.last_find = text
                self.call_after_refresh(self.find, text, again=False)

        self.app.push_screen(FindDialog(FIND_HINT, self.last_find), done)

    def action_find_next(self) -> None:
        if self.last_find:
            self.find(self.last_find, again=True)
        else:
            self.action_find()

    def find(self, text: str, *, again: bool) -> None:
        self.notify("nothing to search here", severity="warning")

    # -- back -------------------------------------------------------------------------------

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.notify("this is the first screen; ctrl+q quits", timeout=3)
