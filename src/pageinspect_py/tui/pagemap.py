"""The page map: one cell per block, its glyph saying how full the block is, its colour what
fills it. Blocks not read yet show ``?``; the map fills in as a worker scans the relation.

Meaning never rests on colour: the glyph carries the level, letters mark special pages, and
the lines under the map print the highlighted block's numbers and the legend.
"""

from __future__ import annotations

import math
from enum import StrEnum
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

from pageinspect_py.analysis.pagefill import FILLS, Fill, PageFill
from pageinspect_py.decode.page import ChecksumStatus, PageKind
from pageinspect_py.tui.state import PageStore

LEVELS = "·▁▂▃▄▅▆▇█"  #: 0, then eighths


class MapMode(StrEnum):
    FILL = "fill"  #: used bytes / page, coloured by what fills the block most
    FREE = "free"  #: free space / page
    DEAD = "dead"  #: dead and unused line pointers / line pointers
    PADDING = "padding"  #: padding / used bytes (0..25% and more)


MODE_LEGEND = {
    MapMode.FILL: "fill: ·▁▂▃▄▅▆▇█ = 0..100% used, colour = largest use",
    MapMode.FREE: "free: ·▁▂▃▄▅▆▇█ = 0..100% free space",
    MapMode.DEAD: "dead: ·▁▂▃▄▅▆▇█ = 0..100% of line pointers dead or unused",
    MapMode.PADDING: "padding: ·▁▂▃▄▅▆▇█ = 0..25%+ of used bytes are padding",
}
SPECIAL_LEGEND = "? not read  ! errors  X unreadable  N new  M meta"


def level(fraction: float) -> str:
    """A glyph for ``fraction`` in [0, 1]: ``·`` for nothing, else the eighth rounded up."""
    if fraction <= 0:
        return LEVELS[0]
    return LEVELS[min(8, max(1, math.ceil(fraction * 8)))]


def cell(fill: PageFill | None, mode: MapMode, unreadable: bool = False) -> tuple[str, Fill | str]:
    """The glyph of one block and what colours it (a Fill, or ``error``/``pending``)."""
    if unreadable:
        return "X", "error"
    if fill is None:
        return "?", "pending"
    if fill.errors or fill.checksum is ChecksumStatus.MISMATCH:
        return "!", "error"
    if fill.kind is PageKind.NEW:
        return "N", Fill.NEW
    if fill.kind is PageKind.BTREE_META:
        return "M", Fill.SPECIAL
    if mode is MapMode.FREE:
        return level(fill.get(Fill.FREE) / fill.size), Fill.FREE
    if mode is MapMode.DEAD:
        lps = fill.line_pointers
        return level((fill.lp_dead + fill.lp_unused) / lps if lps else 0.0), Fill.DEAD
    if mode is MapMode.PADDING:
        used = fill.used
        return level(4 * fill.get(Fill.PADDING) / used if used else 0.0), Fill.PADDING
    return level(fill.used_fraction), fill.dominant()


def blocks_per_row(width: int, label: int) -> int:
    room = width - label - 1
    for n in (64, 32, 16, 8):
        if n <= room:
            return n
    return max(room, 1)


class PageMap(ScrollView, can_focus=True):
    """Every block of the relation fork; arrows or j/k/h/l move, Enter opens the block."""

    HELP = """\
## Page map

One cell per block of the relation, 64 to a row; the number on the left is the first block
of the row. The glyph shows how full the block is (`·▁▂▃▄▅▆▇█`), the colour what fills it
most. `m` switches what the glyph measures: used bytes, free space, dead line pointers,
padding. `?` is a block not read yet, `!` a block with errors (damaged structure or a
checksum mismatch), `X` a block that could not be read, `N` an all-zero new page, `M` a
btree metapage.

The lines below the map print the highlighted block's numbers: bytes of tuple data,
headers, padding, dead items, unused and free space, and line pointers by state.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(-1)", "Block left", show=False, id="map.left"),
        Binding("right,l", "move(1)", "Block right", show=False, id="map.right"),
        Binding("up,k", "move_rows(-1)", "Row up", show=False, id="map.up"),
        Binding("down,j", "move_rows(1)", "Row down", show=False, id="map.down"),
        Binding("pageup", "move_page(-1)", "Page up", show=False, id="map.page_up"),
        Binding("pagedown", "move_page(1)", "Page down", show=False, id="map.page_down"),
        Binding("home,g", "move_to(0)", "First block", show=False, id="map.first"),
        Binding("end,G", "move_to(-1)", "Last block", show=False, id="map.last"),
        Binding("enter", "choose", "Open block", id="map.open"),
        Binding("m", "cycle_mode", "Map mode", id="map.mode"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "pagemap--label",
        "pagemap--cursor",
        "pagemap--pending",
        "pagemap--error",
        *(f"pagemap--{fill.value}" for fill in FILLS),
    }

    DEFAULT_CSS = """
    PageMap {
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    PageMap > .pagemap--label { color: $text-muted; }
    PageMap > .pagemap--cursor { text-style: reverse bold; }
    PageMap > .pagemap--pending { color: $text-disabled; }
    PageMap > .pagemap--error { color: $error; text-style: bold; }
    PageMap > .pagemap--headers { color: $primary; }
    PageMap > .pagemap--data { color: $success; }
    PageMap > .pagemap--padding { color: $warning; }
    PageMap > .pagemap--dead { color: $error; }
    PageMap > .pagemap--unused { color: $error 70%; }
    PageMap > .pagemap--free { color: $accent; }
    PageMap > .pagemap--special { color: $secondary; }
    PageMap > .pagemap--new { color: $text-muted; }
    PageMap > .pagemap--unknown { color: $error; }
    """

    cursor: reactive[int] = reactive(0, init=False)
    mode: reactive[MapMode] = reactive(MapMode.FILL, init=False)

    class Highlighted(Message):
        def __init__(self, blkno: int) -> None:
            super().__init__()
            self.blkno = blkno

    class Chosen(Message):
        def __init__(self, blkno: int) -> None:
            super().__init__()
            self.blkno = blkno

    def __init__(self, store: PageStore, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.nblocks = 0
        self._per_row = 64
        self._label = 6
        self._styles: dict[str, Style] = {}
        self._cursor_style = Style()

    def set_nblocks(self, nblocks: int) -> None:
        self.nblocks = nblocks
        self._update_virtual_size()
        self.refresh()

    def _update_virtual_size(self) -> None:
        self._label = max(len(str(max(self.nblocks - 1, 0))), 4)
        width = self.scrollable_content_region.width or self.size.width or 80
        self._per_row = blocks_per_row(width, self._label)
        rows = (self.nblocks + self._per_row - 1) // self._per_row
        self.virtual_size = Size(self._label + 1 + self._per_row, rows)

    def on_resize(self) -> None:
        self._update_virtual_size()
        self.refresh()

    @property
    def per_row(self) -> int:
        return self._per_row

    def visible_blocks(self) -> range:
        first_row = int(self.scroll_y)
        rows = max(self.scrollable_content_region.height, 1)
        return range(
            first_row * self._per_row, min((first_row + rows) * self._per_row, self.nblocks)
        )

    # -- moving ---------------------------------------------------------------------------------

    def move_to(self, blkno: int, *, announce: bool = True) -> None:
        if not self.nblocks:
            return
        blkno = max(0, min(blkno, self.nblocks - 1))
        self.cursor = blkno
        row = blkno // self._per_row
        self.scroll_to_region(Region(0, row, 1, 1), animate=False, force=True)
        if announce:
            self.post_message(self.Highlighted(blkno))

    def action_move(self, by: int) -> None:
        self.move_to(self.cursor + by)

    def action_move_rows(self, by: int) -> None:
        target = self.cursor + by * self._per_row
        if 0 <= target < self.nblocks:
            self.move_to(target)

    def action_move_page(self, by: int) -> None:
        rows = max(self.scrollable_content_region.height - 1, 1)
        self.move_to(self.cursor + by * rows * self._per_row)

    def action_move_to(self, blkno: int) -> None:
        self.move_to(blkno if blkno >= 0 else self.nblocks - 1)

    def action_choose(self) -> None:
        if self.nblocks:
            self.post_message(self.Chosen(self.cursor))

    def action_cycle_mode(self) -> None:
        modes = list(MapMode)
        self.mode = modes[(modes.index(self.mode) + 1) % len(modes)]

    def watch_mode(self) -> None:
        self.refresh()
        self.post_message(self.Highlighted(self.cursor))

    def watch_cursor(self) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        x = event.x + int(self.scroll_x) - self._label - 1
        y = event.y + int(self.scroll_y)
        if 0 <= x < self._per_row:
            blkno = y * self._per_row + x
            if blkno < self.nblocks:
                self.focus()
                if blkno == self.cursor and event.chain >= 2:
                    self.post_message(self.Chosen(blkno))
                self.move_to(blkno)

    # -- drawing --------------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # look the component styles up once per paint, not once per line
        base = self.rich_style
        self._styles = {
            name: base + self.get_component_rich_style(f"pagemap--{name}")
            for name in ("label", "pending", "error", *(f.value for f in FILLS))
        }
        self._cursor_style = self.get_component_rich_style("pagemap--cursor")
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        first = row * self._per_row
        if first >= self.nblocks:
            return Strip.blank(width, base)
        styles = self._styles
        segments = [Segment(f"{first:>{self._label}} ", styles["label"])]
        store = self.store
        run: list[str] = []
        run_style: Style | None = None
        for blkno in range(first, min(first + self._per_row, self.nblocks)):
            glyph, colour = cell(store.fill(blkno), self.mode, store.unreadable(blkno) is not None)
            style = styles[str(colour)]
            if blkno == self.cursor:
                style = style + self._cursor_style
            if style is not run_style and run:
                segments.append(Segment("".join(run), run_style))
                run = []
            run.append(glyph)
            run_style = style
        if run:
            segments.append(Segment("".join(run), run_style))
        strip = Strip(segments)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, base)
