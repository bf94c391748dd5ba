"""The Layout screen: the current and the recommended column order side by side, with padding.

Rows are sampled from the relation's own pages (values decoded with the relation
description: stored size, inline compression, TOAST pointers), then scored by the
layout-advice engine (``advice/``). Each column shows the alignment padding it costs, on
average per row, in each order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.toast import tuple_is_live
from pageinspect_py.decode.tuple import AttributeStatus, decode_page_values
from pageinspect_py.decode.varlena import VarlenaForm
from pageinspect_py.errors import PageInspectError
from pageinspect_py.tui.base import BaseScreen
from pageinspect_py.tui.state import PageStore

if TYPE_CHECKING:
    from pageinspect_py.advice.advise import Advice, Layout
    from pageinspect_py.advice.model import Column, Geometry, Value
    from pageinspect_py.advice.sample import Observed
    from pageinspect_py.tui.app import PgPageApp

#: pages read for the sample (spread over the relation)
SAMPLE_PAGES = 200
_NAME = 14


@dataclass(frozen=True, slots=True)
class PageSample:
    rows: list[list[Observed]]  #: one Observed per live column
    pages_read: int
    rows_read: int
    missing_values: int  #: values not stored (attmissingval) counted as NULL


def sample_blocks(nblocks: int, limit: int = SAMPLE_PAGES) -> list[int]:
    """Up to ``limit`` blocks spread evenly over the relation (all of them when fewer)."""
    if nblocks <= limit:
        return list(range(nblocks))
    step = nblocks / limit
    return sorted({int(i * step) for i in range(limit)})


def observe(
    store: PageStore,
    desc: RelationDescription,
    blocks: Sequence[int],
    cancelled: Callable[[], bool] | None = None,
) -> PageSample:
    """Each live column's stored form in every tuple of ``blocks``."""
    from pageinspect_py.advice.sample import Observed

    live = [a.attnum for a in desc.live_attributes()]
    rows: list[list[Observed]] = []
    pages = missing = 0
    for blkno in blocks:
        if cancelled is not None and cancelled():
            break
        try:
            page = store.decode(store.read(blkno))
        except PageInspectError:
            continue
        if not isinstance(page, HeapPage):
            continue
        pages += 1
        values = decode_page_values(page, desc, text=False)
        for tv in values:
            tup = next(i.tuple for i in page.items if i.lp.lp == tv.lp)
            if tup is None or not tuple_is_live(tup.header.t_xmax, tup.header.t_infomask):
                continue  # deleted (or being deleted): not part of a rebuilt table
            by_num = {a.attnum: a for a in tv.attributes}
            row: list[Observed] = []
            for attnum in live:
                att = by_num.get(attnum)
                if (
                    att is None
                    or att.status.is_null
                    or att.status in (AttributeStatus.MISSING, AttributeStatus.UNREADABLE)
                ):
                    if att is not None and att.status is AttributeStatus.MISSING:
                        missing += 1
                    row.append(Observed(None))
                    continue
                size = att.length
                external = att.form is VarlenaForm.EXTERNAL
                if external and att.varlena is not None and att.varlena.pointer is not None:
                    size = att.varlena.pointer.extsize
                pointer = att.varlena.pointer if att.varlena is not None else None
                compressed = att.form is VarlenaForm.COMPRESSED or (
                    external and pointer is not None and pointer.is_compressed
                )
                row.append(Observed(size, compressed=compressed, external=external))
            rows.append(row)
    return PageSample(rows, pages, len(rows), missing)


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

The rows are sampled from the relation's pages (up to 200 pages spread over it); deleted
tuples are left out.
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

    def __init__(self, store: PageStore, desc: RelationDescription) -> None:
        super().__init__()
        self.store = store
        self.desc = desc
        self.advice: Advice | None = None
        self.rows: Sequence[Sequence[Value]] = ()
        self.geometry: Geometry | None = None
        self.shown = 0

    def compose(self) -> ComposeResult:
        yield Static(f"layout of {self.desc.relname}: sampling rows…", id="layout-title")
        with VerticalScroll(id="layout-scroll", can_focus=True):
            with Horizontal(id="layout-sides"):
                yield Static("", id="layout-current")
                yield Static("", id="layout-recommended")
            yield Static("", id="layout-notes")
        yield Footer(compact=True)

    @property
    def pgapp(self) -> PgPageApp:
        return super().pgapp

    def on_mount(self) -> None:
        self.query_one("#layout-scroll").focus()
        self._advise()

    @work(thread=True, exclusive=True, group="layout", exit_on_error=False)
    def _advise(self) -> None:
        from pageinspect_py.advice.advise import advise
        from pageinspect_py.advice.model import Column, Geometry, Table
        from pageinspect_py.advice.sample import build_sample

        worker = get_current_worker()
        try:
            nblocks = self.store.nblocks()
            blocks = sample_blocks(nblocks)
            observed = observe(self.store, self.desc, blocks, lambda: worker.is_cancelled)
            if worker.is_cancelled:
                return
            columns = [Column.from_attribute(a) for a in self.desc.live_attributes()]
            geometry = Geometry(block_size=self.store.block_size)
            table = Table(
                self.desc.relname,
                tuple(Column.from_attribute(a) for a in self.desc.attributes),
                geometry,
            )
            per_page = observed.rows_read / observed.pages_read if observed.pages_read else 0
            sample = build_sample(
                columns,
                observed.rows,
                geometry,
                table_rows=round(per_page * nblocks),
                method=f"every tuple of {observed.pages_read} of {nblocks} pages",
            )
            advice = advise(table, sample, time_limit=1.0)
        except (PageInspectError, ValueError) as exc:
            self.from_thread(self._failed, str(exc))
            return
        except Exception as exc:  # the advice engine must not take the app down
            self.from_thread(self._failed, f"{type(exc).__name__}: {exc}")
            return
        self.from_thread(self._show, advice, observed, geometry)

    def _failed(self, message: str) -> None:
        self.query_one("#layout-title", Static).update(f"layout of {self.desc.relname}: no advice")
        self.query_one("#layout-notes", Static).update(Text(message, style="bold"))

    def _show(self, advice: Advice, observed: PageSample, geometry: Geometry) -> None:
        self.advice = advice
        self.rows = advice.sample.rows
        self.geometry = geometry
        saving = advice.savings
        self.query_one("#layout-title", Static).update(
            f"{self.pgapp.session_title} · layout: {advice.sample.size} rows from "
            f"{observed.pages_read} pages · reordering saves {saving.reorder_pages} pages "
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
        if observed.missing_values:
            notes.append(
                f"; {observed.missing_values} values not stored (added columns) counted as NULL"
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


def open_layout(app: PgPageApp) -> None:
    import importlib.util

    session = app.session
    if session is None:
        return
    if importlib.util.find_spec("pageinspect_py.advice.advise") is None:
        app.show_message("Layout view", "the layout-advice engine is not installed")
        return
    if session.description is None:
        app.show_message(
            "Layout view",
            "the layout needs the relation's columns: give "
            "--schema FILE or --columns (offline), or open the table live",
            error=False,
        )
        return
    app.push_screen(LayoutScreen(session.main, session.description))
