"""The Page screen: field tree beside the annotated hex view, line pointers, tuple, problems.

Pages are read and decoded in a worker and cached (``PageStore``), neighbours are decoded
ahead, so ``[`` and ``]`` move between blocks without waiting.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane, Tree
from textual.widgets.tree import TreeNode

from pageinspect_py import constants as C
from pageinspect_py.analysis.pagefill import Fill
from pageinspect_py.decode.common import Severity
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.render.tree import FieldNode, PageDetail
from pageinspect_py.tui.base import BaseScreen
from pageinspect_py.tui.hexview import HexView
from pageinspect_py.tui.messages import OpenBtree, OpenToast
from pageinspect_py.tui.state import PageStore
from pageinspect_py.tui.targets import Target, parse_bytes
from pageinspect_py.tui.tuplepanel import describe_tuple


class FieldTree(Tree[FieldNode]):
    """The decoded fields of the page in byte order, each with its byte range."""

    HELP = """\
## Field tree

The page as PostgreSQL's structs describe it, in byte order: `PageHeaderData`, the line
pointers (`ItemIdData`), free space, each item with its header fields and flags by name,
padding and unused bytes, the special space. Each line ends with its byte range.

Highlighting a field reverses its bytes in the hex view; the line under the panes prints its
range, value and the C comment of the field. Enter or space opens and closes a node.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="tree.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="tree.down"),
        Binding("home,g", "scroll_home", "Top", show=False, id="tree.top"),
        Binding("end,G", "scroll_end", "Bottom", show=False, id="tree.bottom"),
        Binding("enter", "select_cursor", "Open/close", show=False, id="tree.select"),
        Binding("space", "toggle_node", "Toggle", show=False, id="tree.toggle"),
        Binding("left", "cursor_parent", "Parent", show=False, id="tree.parent"),
        Binding("right", "expand_cursor", "Expand", show=False, id="tree.expand"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("page", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.detail: PageDetail | None = None
        self._field_nodes: dict[int, TreeNode[FieldNode]] = {}

    def show(self, detail: PageDetail) -> None:
        self.detail = detail
        self.clear()
        self._field_nodes = {}
        self._add_field_children(self.root, detail.root)

    def _label(self, node: FieldNode) -> Text:
        text = Text()
        if node.span is not None:
            if node.span.length > 0:
                text.append(f"{node.span.start:04x}-{node.span.stop - 1:04x} ", style="dim")
            else:
                text.append(f"{node.span.start:04x} empty ", style="dim")
        text.append(node.text)
        return text

    def _add_field_children(self, parent: TreeNode[FieldNode], node: FieldNode) -> None:
        for child in node.children:
            tree_node = parent.add(
                self._label(child), data=child, expand=False, allow_expand=bool(child.children)
            )
            self._field_nodes[child.index] = tree_node

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[FieldNode]) -> None:
        self._populate(event.node)

    def _populate(self, tree_node: TreeNode[FieldNode]) -> None:
        data = tree_node.data
        if data is not None and data.children and not tree_node.children:
            self._add_field_children(tree_node, data)

    def tree_node(self, node: FieldNode) -> TreeNode[FieldNode] | None:
        """The widget node of ``node``, creating and expanding its ancestors as needed."""
        for ancestor in node.ancestors()[:-1]:
            tree_node = self._field_nodes.get(ancestor.index)
            if tree_node is None:
                return None
            self._populate(tree_node)
            if not tree_node.is_expanded:
                tree_node.expand()
        return self._field_nodes.get(node.index)

    def reveal(self, node: FieldNode) -> bool:
        tree_node = self.tree_node(node)
        if tree_node is None:
            return False
        _ = self.last_line  # rebuild the line index after expanding
        self.move_cursor(tree_node)
        return True

    def action_expand_cursor(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand and not node.is_expanded:
            node.expand()


class ItemTable(DataTable[str]):
    """The line pointer array as a table."""

    HELP = """\
## Line pointers

One row per line pointer (`ItemIdData`): its number, state (`LP_UNUSED`, `LP_NORMAL`,
`LP_REDIRECT`, `LP_DEAD`), `lp_off` and `lp_len`, and for heap tuples `t_xmin`, `t_xmax`,
`t_ctid` and the infomask flags. Highlighting a row selects its item in the tree and the
hex view; Enter shows it in the field tree.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="items.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="items.down"),
        Binding("home,g", "scroll_top", "Top", show=False, id="items.top"),
        Binding("end,G", "scroll_bottom", "Bottom", show=False, id="items.bottom"),
        Binding("enter", "select_cursor", "Show in tree", show=False, id="items.select"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)

    def show(self, detail: PageDetail) -> None:
        self.clear(columns=True)
        page = detail.page
        heap = isinstance(page, HeapPage)
        columns = [("lp", 4), ("state", 8), ("off", 5), ("len", 5)]
        if heap:
            columns += [("t_xmin", 10), ("t_xmax", 10), ("t_ctid", 10), ("flags", 60)]
        for column, width in columns:
            self.add_column(column, key=column, width=width)
        tuples = {}
        if isinstance(page, HeapPage):
            tuples = {item.lp.lp: item.tuple for item in page.items}
        for lp in page.line_pointers:
            row = [str(lp.lp), lp.flags_name.removeprefix("LP_"), str(lp.lp_off), str(lp.lp_len)]
            if heap:
                tup = tuples.get(lp.lp)
                if tup is not None:
                    h = tup.header
                    flags = [n.removeprefix("HEAP_") for n in h.raw_flags]
                    row += [str(h.t_xmin), str(h.t_xmax), str(h.t_ctid), " ".join(flags)]
                elif lp.lp_flags == C.LP_REDIRECT:
                    row += ["", "", f"-> lp {lp.lp_off}", ""]
                else:
                    row += ["", "", "", ""]
            self.add_row(*row, key=str(lp.lp))


class TuplePane(VerticalScroll):
    HELP = """\
## Tuple

The tuple under the cursor (in the tree, the hex view or the Items tab): its header fields,
`t_infomask` and `t_infomask2` flags by name (and the combined ones, such as
`HEAP_XMIN_FROZEN`), the null bitmap with the NULL attributes, then each attribute with its
type, byte range, length, storage form and the alignment padding in front of it (values need
`--schema`, `--columns` or a live relation).

The last lines add the padding up: before `t_hoff`, between attributes and the MAXALIGN gap
after the tuple; and the same for the whole page.
"""


class ProblemsPane(VerticalScroll):
    HELP = """\
## Problems

Everything found wrong while decoding this page, with its severity, a stable code (such as
`lp-out-of-bounds` or `checksum-mismatch`), the byte range and what it means. Errors mean the
page is damaged there; warnings are suspicious but decodable. Problems with the files
themselves (a partial block, a missing segment) are listed too.
"""


class PageScreen(BaseScreen):
    """One block: field tree, hex view, line pointers, the tuple under the cursor, problems."""

    SCREEN_NAME = "page"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right_square_bracket", "step(1)", "Next block", id="page.next"),
        Binding("left_square_bracket", "step(-1)", "Prev block", id="page.previous"),
        Binding("x", "toggle_hex", "Hex", id="view.toggle_hex"),
        Binding("1", "tab('fields')", "Fields", show=False, id="page.tab_fields"),
        Binding("2", "tab('items')", "Items", show=False, id="page.tab_items"),
        Binding("3", "tab('tuple')", "Tuple", show=False, id="page.tab_tuple"),
        Binding("4", "tab('problems')", "Problems", show=False, id="page.tab_problems"),
        Binding("r", "reload", "Reload", show=False, id="page.reload"),
        Binding("b", "btree", "B-tree", show=False, id="page.btree"),
        Binding("t", "toast", "TOAST", show=False, id="page.toast"),
        Binding("l", "links", "Links", id="page.links"),
        Binding("backspace", "link_back", "Back", show=False, id="page.link_back"),
    ]

    DEFAULT_CSS = """
    PageScreen #page-title { height: 1; background: $primary-muted; color: $text; }
    PageScreen #page-body { height: 1fr; }
    PageScreen #page-tabs { width: 1fr; }
    PageScreen HexView { width: 39; border-left: vkey $panel-lighten-2; }
    PageScreen HexView.-hidden { display: none; }
    PageScreen #page-status { height: 2; background: $panel; }
    PageScreen .panel-text { padding: 0 1; }
    PageScreen TabPane { padding: 0; }
    """

    def __init__(
        self, store: PageStore, blkno: int, target: Target | None = None, *, title: str = ""
    ) -> None:
        super().__init__(title=title)
        self.store = store
        self.blkno = blkno
        self.detail: PageDetail | None = None
        self.pending: Target | None = target
        self.current: FieldNode | None = None
        self._from_hex: int | None = None
        self._keep_key: str | None = None
        self._error: str | None = None
        #: blocks left by following links (``l``), for Back
        self._trail: list[int] = []

    def compose(self) -> ComposeResult:
        yield Static(f"block {self.blkno}: reading…", id="page-title")
        with Horizontal(id="page-body"):
            with TabbedContent(id="page-tabs", initial="fields"):
                with TabPane("Fields", id="fields"):
                    yield FieldTree(id="field-tree")
                with TabPane("Items", id="items"):
                    yield ItemTable(id="item-table")
                with TabPane("Tuple", id="tuple"), TuplePane(id="tuple-scroll"):
                    yield Static("", id="tuple-text", classes="panel-text")
                with TabPane("Problems", id="problems"), ProblemsPane(id="problems-scroll"):
                    yield Static("", id="problems-text", classes="panel-text")
            yield HexView(id="hex")
        yield Static("", id="page-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._size_hex()
        self.query_one(FieldTree).focus()
        self.load(self.blkno)

    def on_resize(self) -> None:
        self._size_hex()

    def _size_hex(self) -> None:
        hex_view = self.query_one(HexView)
        per_row = 16 if self.size.width >= 140 else 8
        hex_view.styles.width = 6 + 4 * per_row + 2

    # -- loading ----------------------------------------------------------------------------

    def load(self, blkno: int) -> None:
        """Show ``blkno``: at once when cached, else after a worker has read it."""
        self.blkno = blkno
        if self.current is not None:
            self._keep_key = self.current.key
        cached = self.store.cached(blkno)
        if cached is not None:
            self._show(cached)
        else:
            self.query_one("#page-title", Static).update(f"block {blkno}: reading…")
            self._read(blkno)

    @work(thread=True, exclusive=True, group="page-read", exit_on_error=False)
    def _read(self, blkno: int) -> None:
        self.deliver_detail(self.store, blkno, self._show, self._failed)

    @work(thread=True, exclusive=True, group="page-prefetch", exit_on_error=False)
    def _prefetch(self, blocks: list[int]) -> None:
        for blkno in blocks:
            try:
                self.store.detail(blkno)
            except Exception:  # prefetching is best effort; load() reports
                return

    def _failed(self, blkno: int, message: str) -> None:
        if blkno != self.blkno:
            return
        self._error = message
        self.query_one("#page-title", Static).update(f"block {blkno}: cannot be shown")
        self.query_one("#page-status", Static).update(Text(message, style="bold"))
        self.notify(message, title=f"Block {blkno}", severity="error", timeout=8)

    def _show(self, detail: PageDetail) -> None:
        if detail.blkno != self.blkno or not self.is_mounted:
            return
        self._error = None
        self.detail = detail
        self.current = None
        self.query_one(FieldTree).show(detail)
        self.query_one(ItemTable).show(detail)
        self.query_one(HexView).show(detail)
        self._update_title()
        self._update_problems()
        nblocks = self.store.nblocks()
        neighbours = [b for b in (self.blkno + 1, self.blkno - 1) if 0 <= b < nblocks]
        # once this page is on screen, decode its neighbours: [ and ] then need no wait
        self.set_timer(0.1, lambda: self._prefetch(neighbours))
        node = None
        if self.pending is not None:
            target, self.pending = self.pending, None
            self._apply_target(target)
            return
        if self._keep_key is not None:
            node = detail.by_key.get(self._keep_key)
        if node is None and detail.root.children:
            node = detail.root.children[0]
        if node is not None:
            self.select_node(node)

    def _update_title(self) -> None:
        detail = self.detail
        if detail is None:
            return
        page = detail.page
        errors = sum(1 for d in page.diagnostics if d.severity is Severity.ERROR)
        warnings = len(page.diagnostics) - errors
        problems = f"{errors} errors, {warnings} warnings" if page.diagnostics else "no problems"
        nblocks = self.store.nblocks()
        self.query_one("#page-title", Static).update(
            f"{self.session_title} · block {page.blkno}/{max(nblocks - 1, 0)} · "
            f"{page.kind} · {len(page.line_pointers)} items · checksum "
            f"{page.checksum.status.replace('_', ' ')} · "
            f"{problems}"
        )
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("problems").label = (
            f"Problems ({len(page.diagnostics)})" if page.diagnostics else "Problems"
        )

    def _update_problems(self) -> None:
        detail = self.detail
        assert detail is not None
        page = detail.page
        text = Text()
        if not page.diagnostics:
            text.append("No problems found on this page.\n")
        for d in page.diagnostics:
            style = "bold" if d.severity is Severity.ERROR else ""
            text.append(f"{d.severity.upper()} {d.code}", style=style)
            if d.span is not None:
                text.append(f"  {d.span.hex()}")
            text.append(f"\n  {d.message}\n")
        for problem in self.store.problems:
            text.append(f"FILE {problem}\n")
        self.query_one("#problems-text", Static).update(text)

    # -- selection, both ways ---------------------------------------------------------------

    def select_node(self, node: FieldNode, *, from_hex: bool = False) -> None:
        """Select ``node`` in the tree (which selects its bytes through the highlight event)."""
        tree = self.query_one(FieldTree)
        self._from_hex = node.index if from_hex else None
        if not tree.reveal(node) or (
            tree.cursor_node is not None and tree.cursor_node.data is node
        ):
            self._selected(node, move_cursor=not from_hex)

    @on(Tree.NodeHighlighted)
    def _tree_highlighted(self, event: Tree.NodeHighlighted[FieldNode]) -> None:
        node = event.node.data
        if node is None:
            return
        from_hex = self._from_hex == node.index
        self._from_hex = None
        self._selected(node, move_cursor=not from_hex)

    def _selected(self, node: FieldNode, *, move_cursor: bool) -> None:
        self.current = node
        self.query_one(HexView).select(node.span, move_cursor=move_cursor)
        self._update_status()
        self._update_tuple()

    @on(HexView.CursorMoved)
    def _hex_moved(self, event: HexView.CursorMoved) -> None:
        detail = self.detail
        if detail is None:
            return
        node = detail.node_at(event.offset)
        if node is not None and node is not self.current:
            self.select_node(node, from_hex=True)
        else:
            self._update_status()

    @on(DataTable.RowHighlighted, "#item-table")
    def _item_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.detail is None or event.row_key.value is None or not event.control.has_focus:
            return  # rows are highlighted while the table fills: only follow the user
        node = self.detail.by_item.get(int(event.row_key.value))
        if node is None:
            lps = self.detail.by_key.get(f"lps/{event.row_key.value}")
            node = lps
        if node is not None:
            self.current = node
            self.query_one(HexView).select(node.span)
            self._update_status()
            self._update_tuple()

    @on(DataTable.RowSelected, "#item-table")
    def _item_selected(self, event: DataTable.RowSelected) -> None:
        if self.current is not None:
            self.action_tab("fields")
            self.select_node(self.current)

    def _update_status(self) -> None:
        status = self.query_one("#page-status", Static)
        node = self.current
        hex_view = self.query_one(HexView)
        detail = self.detail
        if detail is None:
            return
        offset = hex_view.cursor
        byte = detail.page.data[offset] if offset < detail.page.size else 0
        line1 = Text()
        if node is not None:
            line1.append(node.describe())
        line2 = Text(f"cursor 0x{offset:04x} ({offset}) = 0x{byte:02x}", style="dim")
        if node is not None and node.doc:
            line2.append(f" · {node.doc}", style="dim")
        elif node is not None and node.fill is not None:
            line2.append(f" · {node.fill}", style="dim")
        status.update(Text("\n").join([line1, line2]))

    def _update_tuple(self) -> None:
        detail = self.detail
        node = self.current
        if detail is None:
            return
        item = None
        while node is not None and node.parent is not None:
            if node.item is not None:
                item = node.item
                break
            node = node.parent
        self.query_one("#tuple-text", Static).update(describe_tuple(detail, item))

    # -- actions ----------------------------------------------------------------------------

    def action_step(self, by: int) -> None:
        nblocks = self.store.nblocks()
        target = self.blkno + by
        if not 0 <= target < nblocks:
            self.notify(
                f"no block {target}: the fork has blocks 0..{nblocks - 1}",
                severity="warning",
                timeout=2,
            )
            return
        self.load(target)

    def action_links(self) -> None:
        """The blocks this page links to (siblings, downlinks, a GIN posting tree, a hash
        bucket's overflow chain, BRIN's summary pages): choose one to go there."""
        from pageinspect_py.analysis.links import page_links
        from pageinspect_py.tui.dialogs import LinksDialog

        if self.detail is None:
            return
        links = page_links(self.detail.page)
        if not links:
            self.notify("this page links to no other block", timeout=3)
            return
        start = self.blkno

        def chosen(index: int | None) -> None:
            if index is not None:
                self._trail.append(start)
                self.load(links[index].blkno)

        labels = [f"block {link.blkno}: {link.label}" for link in links]
        self.app.push_screen(LinksDialog(f"Block {start} links to", labels), chosen)

    def action_link_back(self) -> None:
        """Back to the block a followed link left; with none followed, back as Escape."""
        if self._trail:
            self.load(self._trail.pop())
        else:
            self.action_back()

    def action_btree(self) -> None:
        """The B-tree screen at this block."""
        self.post_message(OpenBtree(self.blkno))

    def action_toast(self) -> None:
        """The TOAST screen for the out-of-line value under the cursor."""
        self.post_message(OpenToast(self.detail, self.current))

    def action_toggle_hex(self) -> None:
        hex_view = self.query_one(HexView)
        hex_view.set_class(not hex_view.has_class("-hidden"), "-hidden")
        if hex_view.has_class("-hidden") and hex_view.has_focus:
            self.query_one(FieldTree).focus()

    def action_tab(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = tab
        focus = {
            "fields": "#field-tree",
            "items": "#item-table",
            "tuple": "#tuple-scroll",
            "problems": "#problems-scroll",
        }[tab]
        self.query_one(focus).focus()

    def action_reload(self) -> None:
        self.store.forget()
        self.load(self.blkno)

    def jump(self, target: Target) -> None:
        if target.block is not None and target.block != self.blkno:
            nblocks = self.store.nblocks()
            if not 0 <= target.block < nblocks:
                self.notify(
                    f"block {target.block} is out of range (0..{nblocks - 1})",
                    title="Jump",
                    severity="error",
                )
                return
            self.pending = target
            self.load(target.block)
            return
        self._apply_target(target)

    def _apply_target(self, target: Target) -> None:
        detail = self.detail
        if detail is None:
            return
        if target.lp is not None:
            node = detail.by_item.get(target.lp) or detail.by_key.get(f"lps/{target.lp}")
            if node is None:
                self.notify(
                    f"lp {target.lp} is not on this page "
                    f"({len(detail.page.line_pointers)} line pointers)",
                    title="Jump",
                    severity="error",
                )
                return
            self.action_tab("fields")
            self.select_node(node)
        if target.offset is not None:
            if not 0 <= target.offset < detail.page.size:
                self.notify(
                    f"offset {target.offset} is outside the page (0..{detail.page.size - 1})",
                    title="Jump",
                    severity="error",
                )
                return
            hex_view = self.query_one(HexView)
            hex_view.remove_class("-hidden")
            hex_view.focus()
            hex_view.move_to_offset(target.offset)

    def find(self, text: str, *, again: bool) -> None:
        detail = self.detail
        if detail is None:
            return
        hex_view = self.query_one(HexView)
        if hex_view.has_focus:
            try:
                needle = parse_bytes(text)
            except ValueError as exc:
                self.notify(str(exc), title="Find", severity="error")
                return
            at = detail.find_bytes(needle, hex_view.cursor if again else hex_view.cursor - 1)
            if at is None:
                self.notify(f"{needle!r} is not on this page", title="Find", severity="warning")
                return
            hex_view.move_to_offset(at)
            return
        node = detail.find(text, self.current if again or self.current else None)
        if node is None:
            self.notify(
                f"no field, value or flag matches {text!r} on this page",
                title="Find",
                severity="warning",
            )
            return
        self.action_tab("fields")
        self.select_node(node)

    # -- for other screens and commands -----------------------------------------------------

    def selected_fill(self) -> Fill | None:
        return self.current.fill if self.current is not None else None
