"""The B-tree screen: from the metapage to the root, level by level.

Enter on a downlink descends, Back returns along the path taken, ``[``/``]`` (or ``h``/``l``)
go to the left and right siblings, ``0`` to the leftmost page of the level, ``r`` to the root,
``m`` to the metapage. High keys, pivots with truncated attributes, posting lists and dead
items are marked in words; ``s`` shows per-level statistics gathered by a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from pageinspect_py import constants as C
from pageinspect_py.decode.btree import BtItemKind, BtreeItem, BtreeMetaPage, BtreePage
from pageinspect_py.decode.common import Severity
from pageinspect_py.errors import PageInspectError
from pageinspect_py.render.btree import ITEM_KIND_TEXT
from pageinspect_py.render.tree import PageDetail
from pageinspect_py.tui.base import BaseScreen
from pageinspect_py.tui.messages import OpenBlock
from pageinspect_py.tui.state import BtreeReport, PageStore, btree_report
from pageinspect_py.tui.targets import Target

if TYPE_CHECKING:
    from pageinspect_py.analysis.btree import BtreeIndex, BtreeStatistics, Finding

KIND_NAMES = ITEM_KIND_TEXT
_KEY_WIDTH = 24


def key_text(page: BtreePage, item: BtreeItem, width: int | None = _KEY_WIDTH) -> str:
    """The item's key: typed values when the index is described, else pageinspect's hex."""
    if item.kind is BtItemKind.MINUS_INFINITY:
        return "(minus infinity: no key)"
    if item.keys:
        text = ", ".join(k.display() for k in item.keys)
    else:
        raw = page.key_bytes(item)
        text = raw.hex(" ") if raw else "(no key data)"
    if item.natts is not None and page.index is not None and item.natts < page.index.nkeyatts:
        text += f" [{item.natts} of {page.index.nkeyatts} key atts]"
    elif item.natts is not None:
        text = f"[natts {item.natts}] " + text
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def target_text(item: BtreeItem) -> str:
    if item.downlink is not None:
        return f"-> block {item.downlink}"
    if item.kind is BtItemKind.POSTING:
        tids = item.posting
        if not tids:
            return "0 TIDs"
        return f"{len(tids)} TIDs {tids[0]}..{tids[-1]}"
    if item.kind is BtItemKind.HIGH_KEY:
        return "upper bound" + (f", top parent {item.top_parent}" if item.top_parent else "")
    if item.heap_tid is not None:
        return f"heap {item.heap_tid}"
    return ""


def flags_text(item: BtreeItem) -> str:
    flags = []
    if item.dead:
        flags.append("DEAD")
    if item.is_pivot and item.heap_tid is not None:
        flags.append("htid kept")
    if item.header is not None and item.header.has_nulls:
        flags.append("nulls")
    return " ".join(flags)


def page_role(page: BtreePage) -> str:
    o = page.opaque
    if o is None:
        return "no special space"
    roles = []
    if o.is_deleted:
        roles.append("DELETED")
    if o.is_half_dead:
        roles.append("HALF-DEAD")
    if o.is_root:
        roles.append("root")
    roles.append("leaf" if o.is_leaf else "internal")
    if o.is_leftmost:
        roles.append("leftmost")
    if o.is_rightmost:
        roles.append("rightmost")
    return ", ".join(roles)


def stats_view(index: BtreeIndex, stats: BtreeStatistics, findings: tuple[Finding, ...]) -> Group:
    """Per-level figures, pgstatindex() and the structural checks, from analysis.btree."""
    table = Table(box=None, pad_edge=False, padding=(0, 1), header_style="bold")
    for column in (
        "level",
        "pages",
        "leftmost",
        "items",
        "dead",
        "pivots",
        "posting",
        "heap TIDs",
        "padding",
        "fill",
    ):
        table.add_column(column, justify="left" if column == "level" else "right")
    for lv in sorted(stats.levels, key=lambda lv: -lv.level):
        leftmost = index.leftmost(lv.level)
        table.add_row(
            f"{lv.level}{' leaf' if lv.level == 0 else ''}",
            str(lv.pages),
            str(leftmost) if leftmost is not None else "?",
            str(lv.items),
            str(lv.dead_items),
            str(lv.pivots),
            str(lv.posting_tuples),
            str(lv.heap_tids),
            f"{lv.padding_bytes} B",
            f"{lv.fill:.0%}",
        )
    p = stats.pgstatindex
    text = Text(
        f"pgstatindex: version {p.version}, tree_level {p.tree_level}, {p.internal_pages} "
        f"internal + {p.leaf_pages} leaf pages, {p.empty_pages} empty, {p.deleted_pages} "
        f"deleted, avg_leaf_density {p.avg_leaf_density}, leaf_fragmentation "
        f"{p.leaf_fragmentation} · dedup saved {stats.dedup_saved_bytes} B\n"
    )
    errors = [f for f in findings if f.severity is Severity.ERROR]
    text.append(
        f"structural checks: {len(errors)} errors, {len(findings) - len(errors)} warnings",
        style="bold" if errors else "",
    )
    for finding in findings[:20]:
        text.append(f"\n  {finding.describe()}")
    if len(findings) > 20:
        text.append(f"\n  … and {len(findings) - 20} more")
    return Group(table, text)


class BtreeItemTable(DataTable[str]):
    HELP = """\
## B-tree items

The items of the current page in key order: `high key` (item 1 of a page that has a right
sibling: the upper bound of its keys), `-inf` (the first downlink of an internal page, every
key truncated away), `pivot` (separator key and downlink), `leaf` (key and heap TID),
`posting` (a deduplicated key with its list of heap TIDs). `DEAD` marks items whose line
pointer is `LP_DEAD`; `htid kept` marks pivots that kept a heap TID because the key alone could
not separate the pages. `[natts 1]` is a pivot whose trailing key attributes were truncated.

Enter on a downlink (`-> block N`) descends; Backspace returns.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="btree.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="btree.down"),
        Binding("home,g", "scroll_top", "First item", show=False, id="btree.top"),
        Binding("end,G", "scroll_bottom", "Last item", show=False, id="btree.bottom"),
        Binding("enter", "select_cursor", "Descend", id="btree.descend"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row")


class BtreeScreen(BaseScreen):
    """Walk an index from the metapage down, with history."""

    SCREEN_NAME = "btree"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right_square_bracket,l", "sibling(1)", "Right", id="btree.right"),
        Binding("left_square_bracket,h", "sibling(-1)", "Left", id="btree.left"),
        Binding("0", "leftmost", "Leftmost", id="btree.leftmost"),
        Binding("r", "root", "Root", show=False, id="btree.root"),
        Binding("m", "meta", "Meta", show=False, id="btree.meta"),
        Binding("s", "toggle_stats", "Levels", id="btree.stats"),
        Binding("p", "bytes", "Bytes", show=False, id="btree.bytes"),
        Binding("colon", "jump", "Jump", show=False, id="nav.jump"),
    ]

    DEFAULT_CSS = """
    BtreeScreen #bt-title { height: 1; background: $primary-muted; color: $text; }
    BtreeScreen #bt-nav { height: auto; background: $panel; }
    BtreeScreen BtreeItemTable { height: 1fr; }
    BtreeScreen #bt-item-scroll { height: 6; border-top: hkey $panel-lighten-2; }
    BtreeScreen #bt-levels-scroll { height: auto; max-height: 12; display: none;
                                    border-top: hkey $panel-lighten-2; }
    BtreeScreen #bt-levels-scroll.-shown { display: block; }
    BtreeScreen .panel-text { padding: 0 1; }
    """

    def __init__(self, store: PageStore, start: str | int = "root", *, title: str = "") -> None:
        super().__init__(title=title)
        self.store = store
        self.start = start
        self.blkno: int | None = None
        self.page: BtreePage | BtreeMetaPage | None = None
        self.meta: BtreeMetaPage | None = None
        self.history: list[int] = []
        self.stats: Group | None = None
        #: the statistics shown by ``s`` (the same figures as ``pgpage btree``)
        self.report: BtreeReport | None = None
        self._find_at: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static("B-tree: reading the metapage…", id="bt-title")
        yield Static("", id="bt-nav")
        yield BtreeItemTable(id="bt-items")
        with VerticalScroll(id="bt-levels-scroll"):
            yield Static("", id="bt-levels", classes="panel-text")
        with VerticalScroll(id="bt-item-scroll"):
            yield Static("", id="bt-item", classes="panel-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(BtreeItemTable).focus()
        self._read_meta()

    # -- loading ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="btree-meta", exit_on_error=False)
    def _read_meta(self) -> None:
        try:
            detail = self.store.detail(C.BTREE_METAPAGE)
        except PageInspectError as exc:
            self.from_thread(self._failed, C.BTREE_METAPAGE, str(exc))
            return
        self.from_thread(self._got_meta, detail)

    def _got_meta(self, detail: PageDetail) -> None:
        page = detail.page
        if not isinstance(page, BtreeMetaPage) or page.meta is None:
            self.query_one("#bt-title", Static).update("B-tree: block 0 is not a metapage")
            self.query_one("#bt-item", Static).update(
                f"block 0 is a {page.kind} page: this relation is not a btree index "
                "(or its metapage is damaged; the Page screen shows its bytes)."
            )
            return
        self.meta = page
        start = self.start
        if start == "meta":
            self.go(C.BTREE_METAPAGE, remember=False)
        elif start == "leftmost":
            self.action_leftmost(level=0)
        elif isinstance(start, int):
            self.go(start, remember=False)
        else:
            self.go(self._root(), remember=False)

    def _root(self) -> int:
        assert self.meta is not None and self.meta.meta is not None
        return self.meta.meta.btm_root

    def go(self, blkno: int, *, remember: bool = True) -> None:
        """Show ``blkno``; ``remember`` puts the current block on the Back history."""
        nblocks = self.store.nblocks()
        if not 0 <= blkno < nblocks:
            self.notify(
                f"block {blkno} is out of range (0..{nblocks - 1})",
                title="B-tree",
                severity="error",
            )
            return
        if remember and self.blkno is not None and self.blkno != blkno:
            self.history.append(self.blkno)
        self.blkno = blkno
        cached = self.store.cached(blkno)
        if cached is not None:
            self._show(cached)
        else:
            self.query_one("#bt-title", Static).update(f"B-tree: reading block {blkno}…")
            self._read(blkno)

    @work(thread=True, exclusive=True, group="btree-read", exit_on_error=False)
    def _read(self, blkno: int) -> None:
        self.deliver_detail(self.store, blkno, self._show, self._failed)

    def _failed(self, blkno: int, message: str) -> None:
        self.query_one("#bt-title", Static).update(f"B-tree: block {blkno} cannot be read")
        self.query_one("#bt-item", Static).update(Text(message, style="bold"))
        self.notify(message, title=f"Block {blkno}", severity="error", timeout=8)

    def _show(self, detail: PageDetail) -> None:
        if detail.blkno != self.blkno or not self.is_mounted:
            return
        page = detail.page
        table = self.query_one(BtreeItemTable)
        table.clear(columns=True)
        if isinstance(page, BtreeMetaPage):
            self.page = page
            self._show_meta(page, table)
        elif isinstance(page, BtreePage):
            self.page = page
            self._show_page(page, table)
        else:
            self.page = None
            self._update_title(f"block {page.blkno}: a {page.kind} page, not a btree page")
            self.query_one("#bt-item", Static).update(
                "Not a btree page. Backspace returns; p shows its bytes."
            )
        self._update_nav()
        if self._find_at is not None and self._find_at[0] == page.blkno:
            table.move_cursor(row=self._find_at[1], animate=False)
        elif isinstance(page, BtreePage) and page.opaque is not None and page.items:
            # start on the first data item (past the high key): Enter descends at once
            table.move_cursor(
                row=min(page.opaque.first_data_key, len(page.items)) - 1, animate=False
            )
        self._update_item()

    def _show_meta(self, page: BtreeMetaPage, table: DataTable[str]) -> None:
        table.add_column("field", key="field", width=34)
        table.add_column("value", key="value", width=30)
        m = page.meta
        if m is not None:
            for f in m.fields():
                table.add_row(f.name, str(f.value), key=f.name)
        self._update_title("metapage (block 0)")

    def _show_page(self, page: BtreePage, table: DataTable[str]) -> None:
        # fixed widths: the columns stay put from page to page, and fit 80 columns
        for column, width in (("lp", 4), ("kind", 8), ("key", 24), ("points to", 23), ("flags", 9)):
            table.add_column(column, key=column, width=width)
        for item in page.items:
            table.add_row(
                str(item.offnum),
                KIND_NAMES.get(item.kind, str(item.kind)),
                key_text(page, item, 24),
                target_text(item),
                flags_text(item),
                key=str(item.offnum),
            )
        level = page.opaque.btpo_level if page.opaque is not None else "?"
        self._update_title(f"block {page.blkno}: level {level}, {page_role(page)}")

    def _update_title(self, what: str) -> None:
        meta = self.meta.meta if self.meta is not None else None
        root = f"root {meta.btm_root}" if meta is not None else "no metapage"
        self.query_one("#bt-title", Static).update(f"{self.session_title} · btree {root} · {what}")

    def _update_nav(self) -> None:
        nav = self.query_one("#bt-nav", Static)
        page = self.page
        path = " > ".join(str(b) for b in [*self.history, self.blkno] if b is not None)
        if isinstance(page, BtreePage) and page.opaque is not None:
            o = page.opaque
            left = "none (leftmost)" if o.is_leftmost else str(o.btpo_prev)
            right = "none (rightmost)" if o.is_rightmost else str(o.btpo_next)
            stats = page.stats()
            nav.update(
                f"[ left {left} · ] right {right} · {stats.live_items} live, "
                f"{stats.dead_items} dead items · free {stats.free_size} B · path {path}"
            )
        elif isinstance(page, BtreeMetaPage):
            nav.update(f"metapage · Enter or r goes to the root · path {path}")
        else:
            nav.update(f"path {path}")

    def _selected_item(self) -> BtreeItem | None:
        table = self.query_one(BtreeItemTable)
        if not isinstance(self.page, BtreePage) or table.row_count == 0:
            return None
        row = table.cursor_row
        if 0 <= row < len(self.page.items):
            return self.page.items[row]
        return None

    @on(DataTable.RowHighlighted, "#bt-items")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._update_item()

    def _update_item(self) -> None:
        out = self.query_one("#bt-item", Static)
        page = self.page
        if isinstance(page, BtreeMetaPage):
            m = page.meta
            out.update(
                f"BTMetaPageData: version {m.btm_version}, root {m.btm_root} (level "
                f"{m.btm_level}), fast root {m.btm_fastroot} (level {m.btm_fastlevel}), "
                f"allequalimage {m.btm_allequalimage}"
                if m is not None
                else "no metadata"
            )
            return
        item = self._selected_item()
        if not isinstance(page, BtreePage) or item is None:
            out.update("")
            return
        out.update(describe_item(page, item))

    @on(DataTable.RowSelected, "#bt-items")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_descend()

    # -- actions ----------------------------------------------------------------------------

    def action_descend(self) -> None:
        if isinstance(self.page, BtreeMetaPage):
            self.action_root()
            return
        item = self._selected_item()
        if item is None:
            return
        if item.downlink is not None:
            self.go(item.downlink)
        elif item.heap_tids:
            self.notify(
                f"a leaf item: it points at heap tuple{'s' if len(item.heap_tids) > 1 else ''} "
                f"{', '.join(str(t) for t in item.heap_tids[:4])}"
                f"{'…' if len(item.heap_tids) > 4 else ''}",
                timeout=4,
            )
        else:
            self.notify(
                f"lp {item.offnum} ({KIND_NAMES.get(item.kind)}) has no downlink",
                severity="warning",
                timeout=3,
            )

    def action_back(self) -> None:
        if self.history:
            self.go(self.history.pop(), remember=False)
        else:
            self.app.pop_screen()

    def action_sibling(self, direction: int) -> None:
        page = self.page
        if not isinstance(page, BtreePage) or page.opaque is None:
            return
        o = page.opaque
        target = o.btpo_next if direction > 0 else o.btpo_prev
        if target == C.P_NONE:
            side = "rightmost" if direction > 0 else "leftmost"
            self.notify(f"block {page.blkno} is the {side} page of its level", timeout=2)
            return
        self.go(target)

    def action_root(self) -> None:
        if self.meta is None:
            return
        self.go(self._root())

    def action_meta(self) -> None:
        self.go(C.BTREE_METAPAGE)

    def action_leftmost(self, level: int | None = None) -> None:
        if self.meta is None:
            return
        if level is None:
            page = self.page
            level = page.opaque.btpo_level if isinstance(page, BtreePage) and page.opaque else 0
        self._walk_leftmost(level)

    @work(thread=True, exclusive=True, group="btree-walk", exit_on_error=False)
    def _walk_leftmost(self, level: int) -> None:
        """From the root, follow each level's first downlink down to ``level``."""
        blkno = self._root()
        for _ in range(64):
            try:
                page = self.store.detail(blkno).page
            except PageInspectError as exc:
                self.from_thread(self._failed, blkno, str(exc))
                return
            if not isinstance(page, BtreePage) or page.opaque is None:
                break
            if page.opaque.btpo_level <= level:
                break
            links = page.downlinks()
            if not links:
                break
            blkno = links[0]
        self.from_thread(self.go, blkno)

    def action_toggle_stats(self) -> None:
        panel = self.query_one("#bt-levels-scroll")
        panel.set_class(not panel.has_class("-shown"), "-shown")
        if panel.has_class("-shown") and self.stats is None:
            self.query_one("#bt-levels", Static).update("reading every page of the index…")
            self._gather_stats()

    @work(thread=True, exclusive=True, group="btree-stats", exit_on_error=False)
    def _gather_stats(self) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if done % 256 == 0:
                self.from_thread(
                    self.query_one("#bt-levels", Static).update,
                    f"reading every page of the index… {done}/{total}",
                )

        try:
            report = btree_report(
                self.store, cancelled=lambda: worker.is_cancelled, progress=progress
            )
        except PageInspectError as exc:
            self.from_thread(self._failed, 0, str(exc))
            return
        if not worker.is_cancelled:
            self.report = report
            self.from_thread(
                self._show_stats, stats_view(report.index, report.statistics, report.findings)
            )

    def _show_stats(self, view: Group) -> None:
        self.stats = view
        self.query_one("#bt-levels", Static).update(view)

    def action_bytes(self) -> None:
        if self.blkno is not None:
            self.post_message(OpenBlock(self.blkno))

    def jump(self, target: Target) -> None:
        if target.block is None:
            self.notify("give a block number of this index", severity="warning")
            return
        self.go(target.block)

    def find(self, text: str, *, again: bool) -> None:
        """Find a key (its text, or hex) or a TID on this page, then to the right."""
        if not isinstance(self.page, BtreePage):
            return
        table = self.query_one(BtreeItemTable)
        start_row = table.cursor_row + 1 if again else table.cursor_row
        self._search(text.lower(), self.page.blkno, start_row)

    @work(thread=True, exclusive=True, group="btree-find", exit_on_error=False)
    def _search(self, needle: str, blkno: int, row: int) -> None:
        worker = get_current_worker()
        seen: set[int] = set()
        while blkno not in seen and not worker.is_cancelled:
            seen.add(blkno)
            try:
                page = self.store.detail(blkno).page
            except PageInspectError as exc:
                self.from_thread(self._failed, blkno, str(exc))
                return
            if not isinstance(page, BtreePage):
                break
            for index in range(row, len(page.items)):
                item = page.items[index]
                haystack = " ".join(
                    (
                        key_text(page, item, None),
                        target_text(item),
                        " ".join(str(t) for t in item.heap_tids),
                    )
                ).lower()
                if needle in haystack:
                    self.from_thread(self._found, blkno, index)
                    return
            if page.opaque is None or page.opaque.is_rightmost:
                break
            blkno, row = page.opaque.btpo_next, 0
        self.from_thread(self._not_found, needle)

    def _not_found(self, needle: str) -> None:
        self.notify(
            f"{needle!r} not found on this page or to its right", title="Find", severity="warning"
        )

    def _found(self, blkno: int, row: int) -> None:
        self._find_at = (blkno, row)
        if blkno != self.blkno:
            self.go(blkno)
        else:
            self.query_one(BtreeItemTable).move_cursor(row=row, animate=False)

    def navigate(self, start: str | int) -> None:
        """Move this screen: ``root``, ``meta``, ``leftmost`` or a block number."""
        if start == "root":
            self.action_root()
        elif start == "meta":
            self.action_meta()
        elif start == "leftmost":
            self.action_leftmost()
        elif isinstance(start, int):
            self.go(start)


def describe_item(page: BtreePage, item: BtreeItem) -> Text:
    text = Text()
    text.append(f"lp {item.offnum} {KIND_NAMES.get(item.kind, item.kind)}", style="bold")
    if item.dead:
        text.append("  DEAD (LP_DEAD: the heap tuple is known dead)", style="bold")
    if item.span is not None:
        text.append(f"  {item.span.hex()} ({item.span.length} B)")
    h = item.header
    if h is not None:
        text.append(
            f"\nt_tid {h.t_tid} · t_info 0x{h.t_info:04x} size {h.size} {' '.join(h.info_names)}"
        )
    text.append(f"\nkey: {key_text(page, item, None)}")
    if item.keys:
        for key in item.keys:
            where = f" {key.span.hex()}" if key.span is not None else ""
            text.append(f"\n  {key.name} = {key.display()}{where}")
            if key.problem:
                text.append(f" ({key.problem})")
    if item.downlink is not None:
        text.append(f"\ndownlink: block {item.downlink} (Enter descends)")
    if item.natts is not None:
        text.append(f"\npivot keeps {item.natts} key attribute{'s' if item.natts != 1 else ''}")
    if item.is_pivot and item.heap_tid is not None:
        text.append(f"; heap TID {item.heap_tid} kept as a tiebreaker")
    if item.posting:
        text.append(
            f"\nposting list: {len(item.posting)} heap TIDs: "
            + " ".join(str(t) for t in item.posting)
        )
    elif item.kind is BtItemKind.LEAF and item.heap_tid is not None:
        text.append(f"\nheap TID {item.heap_tid}")
    return text
