"""The Layout screen: the current and the recommended column order side by side, with padding.

Rows are every live-looking tuple of the relation (values decoded with the relation
description: stored size, inline compression, TOAST pointers), then scored by the
layout-advice engine (``advice/``). Each column shows the alignment padding it costs, on
average per row, in each order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from pageinspect_py.catalog.attributes import RelationDescription
from pageinspect_py.errors import PageInspectError
from pageinspect_py.tui.base import BaseScreen
from pageinspect_py.tui.state import LayoutReport, PageStore, layout_report

if TYPE_CHECKING:
    from pageinspect_py.advice.advise import Advice, Layout
    from pageinspect_py.advice.model import Column, Geometry, Value

_NAME = 14


def column_padding(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Value]],
    order: Sequence[str],
    geometry: Geometry | None = None,
) -> dict[str, float]:
    """Average alignment padding in front of each column, per row, in ``order``, for the
    rows as a rebuilt table stores them (the form the layouts are scored in)."""
    from pageinspect_py.advice.advise import cells
    from pageinspect_py.advice.model import Geometry, rebuilt_row

    geometry = geometry or Geometry()
    names = [c.name for c in columns]
    index = [names.index(name) for name in order]
    grid = cells(columns, [rebuilt_row(columns, row, index, geometry) for row in rows])
    totals = dict.fromkeys(order, 0)
    for row in grid:
        offset = 0
        for j in index:
            alignment, size = row[j]
            if alignment == 0:
                continue
            aligned = (offset + alignment - 1) & -alignment if alignment > 1 else offset
            totals[names[j]] += aligned - offset
            offset = aligned + size
    n = max(len(grid), 1)
    return {name: total / n for name, total in totals.items()}


def layout_table(
    title: str, layout: Layout, columns: Sequence[Column], padding: dict[str, float]
) -> RenderableType:
    by_name = {c.name: c for c in columns}
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=None,
        pad_edge=False,
        padding=(0, 1),
        header_style="bold",
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("column", no_wrap=True, max_width=_NAME, overflow="ellipsis")
    table.add_column("type", no_wrap=True, max_width=11, overflow="ellipsis")
    table.add_column("pad", justify="right", no_wrap=True, min_width=4)
    for position, name in enumerate(layout.order, 1):
        c = by_name[name]
        pad = padding.get(name, 0.0)
        table.add_row(
            str(position), name, f"{c.typname} {c.attalign}", f"{pad:.1f}" if pad else "-"
        )
    summary = Text(
        f"padding {layout.avg_padding:.1f} B/row + tail {layout.avg_tail:.1f}\n"
        f"row {layout.avg_row_bytes:.1f} B · {layout.rows_per_page:.1f} rows/page\n"
        f"{layout.pages} pages ({layout.bytes // 1024} kB)"
    )
    return Group(table, summary)


class LayoutScreen(BaseScreen):
    """Current versus recommended column order, from sampled rows."""

    SCREEN_NAME = "layout"

    HELP = """\
## Layout

Left: the columns in their current order; right: the order the layout-advice engine
recommends (`a` shows the alternatives: CPU-friendly, alignment sort). `pad` is the average
alignment padding in bytes in front of that column per row: a column that needs 8-byte
alignment after a 4-byte one costs 4 bytes in every row. Below each list: padding and
MAXALIGN tail per row, bytes per row (tuple plus line pointer), rows per page and the pages
the table would take if rebuilt in that order.

The rows are every tuple of the relation's pages whose hint bits do not mark it dead, and the
figures are those of `pgpage layout-advice FILE --schema` (the same sample, storage model and
search).
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "alternative", "Alternatives", id="layout.alternative"),
        Binding("up,k", "scroll(-1)", "Up", show=False, id="layout.up"),
        Binding("down,j", "scroll(1)", "Down", show=False, id="layout.down"),
        Binding("home,g", "scroll_to(0)", "Top", show=False, id="layout.top"),
        Binding("end,G", "scroll_to(-1)", "Bottom", show=False, id="layout.bottom"),
    ]

    DEFAULT_CSS = """
    LayoutScreen #layout-title { height: 1; background: $primary-muted; color: $text; }
    LayoutScreen #layout-scroll { height: 1fr; }
    LayoutScreen #layout-sides { height: auto; }
    LayoutScreen #layout-current, LayoutScreen #layout-recommended {
        width: 1fr; height: auto; padding: 0 1;
    }
    LayoutScreen #layout-notes { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(
        self,
        store: PageStore,
        desc: RelationDescription,
        *,
        title: str = "",
        live: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(title=title)
        self.store = store
        #: (dsn, relation) of a live session: advice as layout-advice --dsn computes it
        self.live = live
        self.desc = desc
        self.advice: Advice | None = None
        self.rows: Sequence[Sequence[Value]] = ()
        self.geometry: Geometry | None = None
        self.report: LayoutReport | None = None
        self.shown = 0

    def compose(self) -> ComposeResult:
        yield Static(f"layout of {self.desc.relname}: reading rows…", id="layout-title")
        with VerticalScroll(id="layout-scroll", can_focus=True):
            with Horizontal(id="layout-sides"):
                yield Static("", id="layout-current")
                yield Static("", id="layout-recommended")
            yield Static("", id="layout-notes")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#layout-scroll").focus()
        self._advise()

    @work(thread=True, exclusive=True, group="layout", exit_on_error=False)
    def _advise(self) -> None:
        worker = get_current_worker()
        try:
            report = layout_report(
                self.store, self.desc, cancelled=lambda: worker.is_cancelled, live=self.live
            )
        except (PageInspectError, ValueError) as exc:
            self.from_thread(self._failed, str(exc))
            return
        except Exception as exc:  # the advice engine must not take the app down
            self.from_thread(self._failed, f"{type(exc).__name__}: {exc}")
            return
        if report is not None:
            self.from_thread(self._show, report)

    def _failed(self, message: str) -> None:
        self.query_one("#layout-title", Static).update(f"layout of {self.desc.relname}: no advice")
        self.query_one("#layout-notes", Static).update(Text(message, style="bold"))

    def _show(self, report: LayoutReport) -> None:
        advice = report.advice
        geometry = report.geometry
        self.report = report
        self.advice = advice
        self.rows = advice.sample.rows
        self.geometry = geometry
        saving = advice.savings
        self.query_one("#layout-title", Static).update(
            f"{self.session_title} · layout: {advice.sample.size} rows from "
            f"{report.pages_read} pages · reordering saves {saving.reorder_pages} pages "
            f"({saving.reorder_percent:.1f}%)"
        )
        columns = advice.columns
        current = advice.current
        self.query_one("#layout-current", Static).update(
            layout_table(
                "current order",
                current,
                columns,
                column_padding(columns, self.rows, current.order, geometry),
            )
        )
        self._show_right()
        notes = Text()
        notes.append(f"sample: {advice.sample.method}")
        if report.skipped_dead or report.skipped_damaged:
            notes.append(
                f"; left out: {report.skipped_dead} dead-looking, "
                f"{report.skipped_damaged} damaged tuples"
            )
        notes.append(
            f"\nlower bound {advice.lower_bound_row_bytes:.1f} B/row"
            + (" (recommended order proven optimal)" if advice.proven_optimal else "")
        )
        for note in advice.notes:
            notes.append(f"\n{note}")
        self.query_one("#layout-notes", Static).update(notes)

    def _layouts(self) -> list[Layout]:
        assert self.advice is not None
        return [self.advice.recommended, *self.advice.alternatives]

    def _show_right(self) -> None:
        if self.advice is None:
            return
        layout = self._layouts()[self.shown]
        columns = self.advice.columns
        self.query_one("#layout-recommended", Static).update(
            layout_table(
                f"{layout.name} order",
                layout,
                columns,
                column_padding(columns, self.rows, layout.order, self.geometry),
            )
        )

    def action_alternative(self) -> None:
        if self.advice is None:
            return
        self.shown = (self.shown + 1) % len(self._layouts())
        self._show_right()

    def action_scroll(self, by: int) -> None:
        self.query_one("#layout-scroll", VerticalScroll).scroll_relative(y=by, animate=False)

    def action_scroll_to(self, where: int) -> None:
        scroll = self.query_one("#layout-scroll", VerticalScroll)
        if where >= 0:
            scroll.scroll_home(animate=False)
        else:
            scroll.scroll_end(animate=False)
