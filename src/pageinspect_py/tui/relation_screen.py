"""The Relation screen: a map of every block, the highlighted block's numbers, relation totals."""

from __future__ import annotations

import threading
import time
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from pageinspect_py.analysis.pagefill import FILLS, Fill, FillTotals, PageFill
from pageinspect_py.errors import PageInspectError
from pageinspect_py.tui.base import BaseScreen
from pageinspect_py.tui.messages import OpenBlock, OpenBtree, OpenLayout, OpenRelated
from pageinspect_py.tui.pagemap import MODE_LEGEND, SPECIAL_LEGEND, PageMap
from pageinspect_py.tui.state import PageStore, scan_order
from pageinspect_py.tui.targets import Target, parse_bytes

#: seconds between repaints of the map while the scan runs
REFRESH_SECONDS = 0.25

_SHORT = {
    Fill.HEADERS: "headers",
    Fill.DATA: "data",
    Fill.PADDING: "padding",
    Fill.DEAD: "dead",
    Fill.UNUSED: "unused",
    Fill.FREE: "free",
    Fill.SPECIAL: "special",
    Fill.NEW: "new",
    Fill.UNKNOWN: "unknown",
}


#: said of figures whose padding between attributes is still being measured
_MEASURING = " · padding between attributes: measuring…"


def describe_fill(fill: PageFill) -> str:
    """Two lines about one block, every number printed."""
    parts = [f"{_SHORT[f]} {fill.get(f)}" for f in FILLS if fill.get(f)]
    first = (
        f"block {fill.blkno}: {fill.kind}, {fill.used_fraction:.0%} used · "
        + " · ".join(parts)
        + " bytes"
    )
    lps = fill.line_pointers
    second = (
        f"line pointers {lps}: {fill.lp_normal} normal, {fill.lp_redirect} redirect, "
        f"{fill.lp_dead} dead, {fill.lp_unused} unused · checksum {fill.checksum.replace('_', ' ')}"
    )
    if fill.errors:
        second += f" · {fill.errors} error{'s' if fill.errors != 1 else ''}"
    return f"{first}\n{second}"


def describe_totals(totals: FillTotals, nblocks: int) -> str:
    if not totals.pages:
        return f"relation: {nblocks} blocks, none read yet"
    size = totals.size or 1
    parts = [f"{_SHORT[f]} {totals.get(f) / size:.0%}" for f in FILLS if totals.get(f)]
    first = f"relation: {totals.pages}/{nblocks} blocks read · " + " · ".join(parts)
    second = (
        f"line pointers: {totals.lp_normal} normal, {totals.lp_redirect} redirect, "
        f"{totals.lp_dead} dead, {totals.lp_unused} unused · {totals.new_pages} new pages · "
        f"{totals.pages_with_errors} pages with errors"
    )
    if totals.checksum_mismatches:
        second += f" ({totals.checksum_mismatches} checksum mismatches)"
    return f"{first}\n{second}"


class RelationScreen(BaseScreen):
    """Page map, block numbers and totals of one relation fork."""

    SCREEN_NAME = "relation"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "btree", "B-tree", id="relation.btree"),
        Binding("L", "layout", "Layout", show=False, id="relation.layout"),
        Binding("o", "related", "Related", id="relation.related"),
        Binding("r", "reload", "Reload", show=False, id="relation.reload"),
        Binding("escape,backspace", "back", "Back", show=False, id="nav.back"),
    ]

    DEFAULT_CSS = """
    RelationScreen #rel-title { height: 1; background: $primary-muted; color: $text; }
    RelationScreen PageMap { height: 1fr; }
    RelationScreen #legend { height: auto; color: $text-muted; }
    RelationScreen #block-info { height: auto; min-height: 2; }
    RelationScreen #totals { height: auto; min-height: 2; color: $text-muted; }
    RelationScreen #rel-message { height: auto; color: $error; text-style: bold; }
    """

    def __init__(self) -> None:
        super().__init__(id="relation-screen")
        self.store: PageStore | None = None
        self._find_hit: tuple[int, int] | None = None
        #: set while this screen is shown: the background scan only runs then
        self._scan_running = threading.Event()
        self._scan_running.set()

    def compose(self) -> ComposeResult:
        yield Static("opening…", id="rel-title")
        yield Static("", id="rel-message")
        yield Static("", id="map-placeholder")
        yield Static("", id="legend")
        yield Static("", id="block-info")
        yield Static("", id="totals")
        yield Footer(compact=True)

    # -- opening ----------------------------------------------------------------------------

    def show_error(self, title: str, message: str) -> None:
        """The relation could not be opened: say so, stay alive."""
        self.query_one("#rel-title", Static).update(f"pgpage · {title}")
        self.query_one("#rel-message", Static).update(
            f"{message}\n\nNothing to show. ctrl+q quits."
        )

    async def attach(self, store: PageStore, warnings: list[str], title: str = "") -> None:
        self.store = store
        self.session_title = title
        placeholder = self.query_one("#map-placeholder", Static)
        page_map = PageMap(store, id="map")
        await self.mount(page_map, before=placeholder)
        await placeholder.remove()
        page_map.focus()
        messages = [*store.problems, *warnings]
        self.query_one("#rel-message", Static).update("\n".join(messages))
        self.load_blocks()

    @work(thread=True, exclusive=True, group="relation-open", exit_on_error=False)
    def load_blocks(self) -> None:
        store = self.store
        assert store is not None
        try:
            nblocks = store.nblocks(refresh=True)
        except PageInspectError as exc:
            self.from_thread(self.show_error, "error", str(exc))
            return
        self.from_thread(self._got_nblocks, nblocks)

    def _got_nblocks(self, nblocks: int) -> None:
        page_map = self.query_one(PageMap)
        page_map.set_nblocks(nblocks)
        self._update_title()
        self._update_info()
        if nblocks:
            self.scan(scan_order(nblocks, page_map.visible_blocks()))

    @work(thread=True, exclusive=True, group="relation-scan", exit_on_error=False)
    def scan(self, order: list[int]) -> None:
        store = self.store
        assert store is not None
        worker = get_current_worker()

        last = [0.0]

        def progress(done: int) -> None:
            now = time.monotonic()
            if now - last[0] >= REFRESH_SECONDS:  # a few repaints a second are enough
                last[0] = now
                self.from_thread(self._scanned)

        try:
            store.scan(
                order,
                cancelled=lambda: worker.is_cancelled,
                progress=progress,
                running=self._scan_running,
            )
        except PageInspectError as exc:
            self.from_thread(self._scan_failed, str(exc))
            return
        self.from_thread(self._scanned)

    def on_screen_suspend(self) -> None:
        self._scan_running.clear()  # another screen is on top: give it the whole CPU

    def on_screen_resume(self) -> None:
        self._scan_running.set()

    def _scanned(self) -> None:
        if not self.is_mounted:
            return
        self.query_one(PageMap).refresh()
        self._update_title()
        self._update_info()

    def _scan_failed(self, message: str) -> None:
        self.query_one("#rel-message", Static).update(f"reading stopped: {message}")
        self.notify(message, title="Read error", severity="error", timeout=8)
        self._scanned()

    # -- display ----------------------------------------------------------------------------

    def _update_title(self) -> None:
        store = self.store
        if store is None:
            return
        nblocks = self.query_one(PageMap).nblocks
        self.query_one("#rel-title", Static).update(
            f"{self.session_title} · {store.fork} fork · "
            f"{nblocks} blocks × "
            f"{store.block_size} B · read {min(store.scanned(), nblocks)}/{nblocks}"
        )

    def _update_info(self) -> None:
        store = self.store
        if store is None:
            return
        page_map = self.query_one(PageMap)
        self.query_one("#legend", Static).update(
            f"{MODE_LEGEND[page_map.mode]}\n{SPECIAL_LEGEND} · Enter opens · m mode"
        )
        info = self.query_one("#block-info", Static)
        if not page_map.nblocks:
            info.update("the relation has no blocks in this fork")
        else:
            blkno = page_map.cursor
            fill = store.fill(blkno)
            problem = store.unreadable(blkno)
            if problem is not None:
                info.update(f"block {blkno}: cannot be read: {problem}")
            elif fill is None:
                info.update(f"block {blkno}: not read yet")
            elif not store.refined(blkno):
                info.update(describe_fill(fill) + _MEASURING)
            else:
                info.update(describe_fill(fill))
        totals = describe_totals(store.totals(), page_map.nblocks)
        self.query_one("#totals", Static).update(totals if store.refined() else totals + _MEASURING)

    def on_page_map_highlighted(self, event: PageMap.Highlighted) -> None:
        self._update_info()

    def on_page_map_chosen(self, event: PageMap.Chosen) -> None:
        target = None
        if self._find_hit is not None and self._find_hit[0] == event.blkno:
            target = Target(block=event.blkno, offset=self._find_hit[1])
        self.post_message(OpenBlock(event.blkno, target))

    # -- actions ----------------------------------------------------------------------------

    def jump(self, target: Target) -> None:
        if self.store is None:
            return
        page_map = self.query_one(PageMap)
        if target.block is None:
            self.notify(
                "give a block number here (offsets and lp work on a page)", severity="warning"
            )
            return
        if not 0 <= target.block < page_map.nblocks:
            self.notify(
                f"block {target.block} is out of range (0..{page_map.nblocks - 1})",
                title="Jump",
                severity="error",
            )
            return
        page_map.move_to(target.block)
        if target.offset is not None or target.lp is not None:
            self.post_message(OpenBlock(target.block, target))

    def find(self, text: str, *, again: bool) -> None:
        if self.store is None:
            return
        try:
            needle = parse_bytes(text)
        except ValueError as exc:
            self.notify(str(exc), title="Find", severity="error")
            return
        if not needle:
            return
        page_map = self.query_one(PageMap)
        start = page_map.cursor
        after = -1
        if again and self._find_hit is not None and self._find_hit[0] == start:
            after = self._find_hit[1]
        self.notify(f"searching for {needle!r}…", timeout=2)
        self.search_bytes(needle, start, after)

    @work(thread=True, exclusive=True, group="relation-find", exit_on_error=False)
    def search_bytes(self, needle: bytes, start: int, after: int) -> None:
        store = self.store
        assert store is not None
        worker = get_current_worker()
        nblocks = store.nblocks()
        for step in range(nblocks + 1):
            if worker.is_cancelled:
                return
            blkno = (start + step) % nblocks
            try:
                data = store.read(blkno).data
            except PageInspectError:
                continue
            at = data.find(needle, after + 1 if step == 0 else 0)
            if at >= 0:
                self.from_thread(self._found, needle, blkno, at)
                return
        self.from_thread(self._not_found, needle)

    def _found(self, needle: bytes, blkno: int, offset: int) -> None:
        self._find_hit = (blkno, offset)
        self.query_one(PageMap).move_to(blkno)
        self.notify(
            f"{needle!r} at block {blkno} offset 0x{offset:04x}; Enter opens it",
            title="Found",
            timeout=4,
        )

    def _not_found(self, needle: bytes) -> None:
        self._find_hit = None
        self.notify(f"{needle!r} is not in this relation fork", title="Find", severity="warning")

    def action_reload(self) -> None:
        if self.store is None:
            return
        self.store.forget()
        self.query_one(PageMap).refresh()
        self.load_blocks()

    def action_btree(self) -> None:
        self.post_message(OpenBtree("root"))

    def action_layout(self) -> None:
        self.post_message(OpenLayout())

    def action_related(self) -> None:
        self.post_message(OpenRelated())

    def current_block(self) -> int | None:
        if self.store is None:
            return None
        return self.query_one(PageMap).cursor
