"""An annotated hex view of one page: bytes coloured by what they hold, a cursor, a selection.

Rows are drawn on demand (Textual's line API), so a 32 kB page costs what is on screen. The
width adapts: 4, 8, 16 or 32 bytes per row, whatever fits. Colour is a hint only: the status
line names the field under the cursor, and the selected range is shown reversed, which
survives NO_COLOR.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from pageinspect_py.analysis.pagefill import FILLS
from pageinspect_py.decode.common import Span
from pageinspect_py.render.tree import PageDetail

_PRINTABLE = {b: chr(b) for b in range(0x20, 0x7F)}


def bytes_per_row(width: int) -> int:
    """How many bytes fit a row of ``width`` cells: ``oooo `` + ``xx `` per byte + ASCII."""
    for n in (32, 16, 8, 4):
        if 6 + 4 * n <= width:
            return n
    return 4


class HexView(ScrollView, can_focus=True):
    """The page's bytes; the cursor names the field it is in, the selection is the field's span."""

    HELP = """\
## Hex view

Every byte of the page, 8 or 16 per row, with the offset on the left and the ASCII on the
right. Colours follow what the bytes are used for (headers, data, padding, dead, unused,
free, special); the line below names the field under the cursor and its byte range.

The bytes of the field selected in the tree are shown **reversed**. Moving the cursor
selects the field it is in.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(-1)", "Byte left", show=False, id="hex.left"),
        Binding("right,l", "move(1)", "Byte right", show=False, id="hex.right"),
        Binding("up,k", "move_rows(-1)", "Row up", show=False, id="hex.up"),
        Binding("down,j", "move_rows(1)", "Row down", show=False, id="hex.down"),
        Binding("pageup", "move_page(-1)", "Page up", show=False, id="hex.page_up"),
        Binding("pagedown", "move_page(1)", "Page down", show=False, id="hex.page_down"),
        Binding("home,g", "move_to(0)", "First byte", show=False, id="hex.top"),
        Binding("end,G", "move_to(-1)", "Last byte", show=False, id="hex.bottom"),
        Binding("w", "next_field(1)", "Next field", show=False, id="hex.next_field"),
        Binding("b", "next_field(-1)", "Previous field", show=False, id="hex.previous_field"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "hexview--offset",
        "hexview--selected",
        "hexview--cursor",
        *(f"hexview--{fill.value}" for fill in FILLS),
    }

    DEFAULT_CSS = """
    HexView {
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    HexView > .hexview--offset { color: $text-muted; }
    HexView > .hexview--headers { color: $primary; }
    HexView > .hexview--data { color: $foreground; }
    HexView > .hexview--padding { color: $warning; }
    HexView > .hexview--dead { color: $error; }
    HexView > .hexview--unused { color: $error 70%; }
    HexView > .hexview--free { color: $text-disabled; }
    HexView > .hexview--special { color: $secondary; }
    HexView > .hexview--new { color: $text-disabled; }
    HexView > .hexview--unknown { color: $error; }
    HexView > .hexview--selected { text-style: reverse; }
    HexView > .hexview--cursor { text-style: reverse bold underline; }
    """

    cursor: reactive[int] = reactive(0, init=False)

    class CursorMoved(Message):
        """The cursor moved to ``offset`` (by key or mouse, not by :meth:`select`)."""

        def __init__(self, view: HexView, offset: int) -> None:
            super().__init__()
            self.view = view
            self.offset = offset

        @property
        def control(self) -> HexView:
            return self.view

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.detail: PageDetail | None = None
        self.selection: Span | None = None
        self._row = 16
        self._styles: list[Style] = []
        self._offset_style = self._selected_style = self._cursor_style = Style()

    # -- data -----------------------------------------------------------------------------------

    @property
    def size_bytes(self) -> int:
        return self.detail.page.size if self.detail is not None else 0

    def show(self, detail: PageDetail | None) -> None:
        self.detail = detail
        self.selection = None
        self.set_reactive(HexView.cursor, min(self.cursor, max(self.size_bytes - 1, 0)))
        self._update_virtual_size()
        self.refresh()

    def select(self, span: Span | None, *, move_cursor: bool = True) -> None:
        """Reverse the bytes of ``span`` and bring them into view (no CursorMoved message)."""
        self.selection = span
        if span is not None and move_cursor and span.length > 0:
            self.set_reactive(HexView.cursor, max(0, min(span.start, self.size_bytes - 1)))
            self._scroll_to_offsets(span.start, span.stop - 1)
        self.refresh()

    def _update_virtual_size(self) -> None:
        self._row = bytes_per_row(self.scrollable_content_region.width or self.size.width or 80)
        rows = (self.size_bytes + self._row - 1) // self._row
        self.virtual_size = Size(6 + 4 * self._row, rows)

    def on_resize(self) -> None:
        self._update_virtual_size()
        self.refresh()

    # -- moving ---------------------------------------------------------------------------------

    def _move(self, offset: int) -> None:
        if not self.size_bytes:
            return
        offset = max(0, min(offset, self.size_bytes - 1))
        self.cursor = offset
        self._scroll_to_offsets(offset, offset)
        self.post_message(self.CursorMoved(self, offset))

    def move_to_offset(self, offset: int) -> None:
        """Move the cursor as a user would (the owning field gets selected)."""
        self._move(offset)

    def _scroll_to_offsets(self, first: int, last: int) -> None:
        top = first // self._row
        bottom = last // self._row
        height = max(self.scrollable_content_region.height, 1)
        if bottom - top + 1 > height:
            bottom = top + height - 1
        self.scroll_to_region(Region(0, top, 1, bottom - top + 1), animate=False, force=True)

    def action_move(self, by: int) -> None:
        self._move(self.cursor + by)

    def action_move_rows(self, by: int) -> None:
        self._move(self.cursor + by * self._row)

    def action_move_page(self, by: int) -> None:
        rows = max(self.scrollable_content_region.height - 1, 1)
        self._move(self.cursor + by * rows * self._row)

    def action_move_to(self, offset: int) -> None:
        self._move(offset if offset >= 0 else self.size_bytes - 1)

    def action_next_field(self, direction: int) -> None:
        """Jump to the first byte of the next (or previous) field."""
        detail = self.detail
        if detail is None or not detail.owner:
            return
        here = detail.owner[self.cursor]
        offset = self.cursor
        while 0 <= offset + direction < len(detail.owner):
            offset += direction
            if detail.owner[offset] != here:
                break
        if direction < 0:  # to the start of that field
            there = detail.owner[offset]
            while offset > 0 and detail.owner[offset - 1] == there:
                offset -= 1
        self._move(offset)

    def on_click(self, event: events.Click) -> None:
        x = event.x + int(self.scroll_x)
        y = event.y + int(self.scroll_y)
        column = (x - 5) // 3
        if 0 <= column < self._row and x >= 5:
            self.focus()
            self._move(y * self._row + column)

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()

    # -- drawing --------------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # look the component styles up once per paint, not once per line
        base = self.rich_style
        self._styles = [
            base + self.get_component_rich_style(f"hexview--{fill.value}") for fill in FILLS
        ]
        self._offset_style = base + self.get_component_rich_style("hexview--offset")
        self._selected_style = self.get_component_rich_style("hexview--selected")
        self._cursor_style = self.get_component_rich_style("hexview--cursor")
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        detail = self.detail
        if detail is None or row * self._row >= self.size_bytes:
            return Strip.blank(width, base)
        styles = self._styles
        offset_style = self._offset_style
        selected = self._selected_style
        cursor_style = self._cursor_style
        data = detail.page.data
        fills = detail.byte_fill
        start = row * self._row
        stop = min(start + self._row, len(data))
        segments: list[Segment] = [Segment(f"{start:04x} ", offset_style)]
        sel = self.selection
        focused = self.has_focus
        ascii_parts: list[Segment] = []
        for offset in range(start, stop):
            style: Style = styles[fills[offset]] if offset < len(fills) else base
            if sel is not None and sel.start <= offset < sel.stop:
                style = style + selected
            if offset == self.cursor:
                style = style + (cursor_style if focused else selected)
            segments.append(Segment(f"{data[offset]:02x}", style))
            gap_style = style if sel is not None and sel.start <= offset < sel.stop - 1 else base
            segments.append(Segment(" ", gap_style if offset + 1 < stop else base))
            ascii_parts.append(Segment(_PRINTABLE.get(data[offset], "."), style))
        if stop - start < self._row:
            segments.append(Segment("   " * (self._row - (stop - start)), base))
        segments.append(Segment(" ", base))
        segments.extend(ascii_parts)
        strip = Strip(segments)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, base)
