"""Modal dialogs: jump (``:``), find (``/``), help (``F1``/``?``), messages and the related
relations (``o``). Escape closes."""

from __future__ import annotations

from textwrap import dedent
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Markdown, OptionList, Static

_DIALOG_CSS = """
    {name} {{
        align: center middle;
        background: $background 60%;
    }}
    {name} > Vertical {{
        width: 70;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $panel;
        padding: 0 1;
    }}
    {name} .hint {{ color: $text-muted; }}
    {name} .error {{ color: $error; text-style: bold; }}
"""


class PromptDialog(ModalScreen[str | None]):
    """One line of input. Enter submits, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]
    DEFAULT_CSS = _DIALOG_CSS.format(name="PromptDialog")

    def __init__(self, title: str, hint: str, value: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title_text = title
        self.hint = hint
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(value=self.value, id="prompt-input")
            yield Static(self.hint, classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class JumpDialog(PromptDialog):
    DEFAULT_CSS = _DIALOG_CSS.format(name="JumpDialog")

    def __init__(self, hint: str, value: str = "") -> None:
        super().__init__("Jump to", hint, value, id="jump-dialog")


class FindDialog(PromptDialog):
    DEFAULT_CSS = _DIALOG_CSS.format(name="FindDialog")

    def __init__(self, hint: str, value: str = "") -> None:
        super().__init__("Find", hint, value, id="find-dialog")


class MessageDialog(ModalScreen[None]):
    """A message the user must see (an error); Escape or Enter closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close", id="dialog.close"),
    ]
    DEFAULT_CSS = _DIALOG_CSS.format(name="MessageDialog")

    def __init__(self, title: str, message: str, *, error: bool = True) -> None:
        super().__init__(id="message-dialog")
        self.title_text = title
        self.message = message
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="error" if self.error else "")
            yield Static(self.message, id="message-text")
            yield Static("Escape or Enter closes this message.", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)


class RelatedDialog(ModalScreen[int | None]):
    """Choose a relation to switch to (the table's indexes and TOAST table, an index's
    table); dismissed with the chosen index in ``labels``, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="dialog.close"),
    ]
    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="RelatedDialog")
        + """
    RelatedDialog OptionList { height: auto; max-height: 16; }
    """
    )

    def __init__(self, labels: list[str]) -> None:
        super().__init__(id="related-dialog")
        self.labels = labels

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Open a related relation")
            yield OptionList(*self.labels, id="related-list")
            yield Static("Enter opens it, Escape closes.", classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_index)

    def action_close(self) -> None:
        self.dismiss(None)


class LinksDialog(ModalScreen[int | None]):
    """Choose a block the page links to (siblings, downlinks, posting trees, overflow pages,
    summary pages); dismissed with the chosen index in ``labels``, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="dialog.close"),
    ]
    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="LinksDialog")
        + """
    LinksDialog OptionList { height: auto; max-height: 16; }
    """
    )

    def __init__(self, title: str, labels: list[str]) -> None:
        super().__init__(id="links-dialog")
        self.title_text = title
        self.labels = labels

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield OptionList(*self.labels, id="links-list")
            yield Static("Enter follows the link, Escape closes.", classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_index)

    def action_close(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Help for the focused pane and every key that works there, with binding ids."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,q", "close", "Close help", id="help.close"),
        Binding("up,k", "scroll(-1)", "Scroll up", show=False, id="help.up"),
        Binding("down,j", "scroll(1)", "Scroll down", show=False, id="help.down"),
    ]
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
    }
    HelpScreen > Vertical {
        width: 76;
        max-width: 100%;
        height: 100%;
        border: round $primary;
        background: $panel;
    }
    HelpScreen VerticalScroll { height: 1fr; }
    HelpScreen Markdown { margin: 0 1; padding: 0; background: $panel; }
    HelpScreen #help-keys { margin: 0 1; }
    HelpScreen .hint { color: $text-muted; margin: 0 1; }
    """

    def __init__(self, pane: Widget | None, rows: list[tuple[str, str, str]]) -> None:
        super().__init__(id="help-screen")
        self.pane = pane
        self.rows = rows

    def compose(self) -> ComposeResult:
        help_text = ""
        for node in self.pane.ancestors_with_self if self.pane is not None else ():
            if isinstance(node, Widget) and node.HELP:
                help_text = node.HELP
                break
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
        table.add_column("key", no_wrap=True)
        table.add_column("does")
        table.add_column("id (for --keymap)", no_wrap=True, style="dim")
        for key, description, binding_id in self.rows:
            table.add_row(key, description, binding_id)
        with Vertical():
            with VerticalScroll(id="help-scroll"):
                yield Markdown(dedent(help_text or "## Keys").rstrip(), id="help-text")
                yield Static(table, id="help-keys")
            yield Static(
                Text("Escape, F1 or ? closes help; ctrl+p lists commands."), classes="hint"
            )

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, by: int) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_relative(y=by, animate=False)
