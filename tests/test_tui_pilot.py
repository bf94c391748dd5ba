"""The TUI driven by a Pilot at 80x24 on shipped fixtures: every screen and the navigation.

No server is needed. Expected values come from the fixtures' pageinspect output.
"""

from __future__ import annotations

import asyncio
import gzip
import math
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from tui_support import SIZE, fixture, manifest_path, screen_text, settle, widget_text

from pageinspect_py.decode.btree import BtreePage
from pageinspect_py.errors import ConnectionFailedError
from pageinspect_py.page.raw import Fork, PageSource, RawPage
from pageinspect_py.sources.file import FileSource
from pageinspect_py.tui.app import PgPageApp
from pageinspect_py.tui.btree_screen import BtreeScreen
from pageinspect_py.tui.dialogs import HelpScreen, JumpDialog
from pageinspect_py.tui.hexview import HexView
from pageinspect_py.tui.layout_screen import LayoutScreen
from pageinspect_py.tui.page_screen import FieldTree, PageScreen
from pageinspect_py.tui.pagemap import PageMap
from pageinspect_py.tui.relation_screen import RelationScreen
from pageinspect_py.tui.state import OpenSpec, PageStore, Session
from pageinspect_py.tui.toast_screen import ToastScreen

Scenario = Callable[[Pilot[Any], PgPageApp], Awaitable[None]]


def drive(app: PgPageApp, scenario: Scenario) -> None:
    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await scenario(pilot, app)

    asyncio.run(main())


def app_for(name: str, *, schema: bool = False, toast: str | None = None, **kw: Any) -> PgPageApp:
    rel = fixture(name)
    spec = OpenSpec(
        path=str(rel.file()),
        schema=str(manifest_path()) if schema else None,
        toast=str(fixture(toast).file()) if toast else None,
    )
    return PgPageApp(spec, **kw)


async def press(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def jump(pilot: Pilot[Any], text: str) -> None:
    await press(pilot, "colon")
    assert isinstance(pilot.app.screen, JumpDialog)
    await pilot.press(*text)
    await press(pilot, "enter")


def page_screen(app: PgPageApp) -> PageScreen:
    assert isinstance(app.screen, PageScreen), app.screen
    return app.screen


# -- relation screen -----------------------------------------------------------------------


def test_relation_screen_maps_every_block() -> None:
    rel = fixture("heap_big")
    oracle = [b for b in rel.oracle["blocks"] if b["fork"] == "main"]

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        screen = app.screen
        assert isinstance(screen, RelationScreen)
        page_map = screen.query_one(PageMap)
        assert page_map.nblocks == rel.meta["blocks"]["main"]
        assert screen.store is not None
        assert screen.store.scanned() == page_map.nblocks
        text = screen_text(app)
        header = oracle[0]["page_header"]
        assert f"free {header['upper'] - header['lower']}" in text
        assert "? not read" in text  # the legend says what glyphs mean
        # arrows and j/k move; g/G go to the first and last block
        await press(pilot, "right", "right")
        assert page_map.cursor == 2
        await press(pilot, "G")
        assert page_map.cursor == page_map.nblocks - 1
        await press(pilot, "g")
        assert page_map.cursor == 0
        await press(pilot, "l")
        assert page_map.cursor == 1
        header = oracle[1]["page_header"]
        assert f"free {header['upper'] - header['lower']}" in screen_text(app)
        await press(pilot, "m")
        assert "free: ·▁▂▃▄▅▆▇█" in screen_text(app)
        await jump(pilot, "7")
        assert page_map.cursor == 7
        await press(pilot, "enter")
        assert page_screen(app).blkno == 7

    drive(app_for("heap_big"), scenario)


def test_relation_find_bytes_across_blocks() -> None:
    rel = fixture("heap_big")
    source = FileSource(rel.file())
    data = source.read_page(5).data
    needle = data[8000:8008]
    expected = next(b for b in range(source.nblocks()) if needle in source.read_page(b).data)

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "slash")
        await pilot.press(*("x:" + needle.hex()))
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, RelationScreen)
        assert screen.query_one(PageMap).cursor == expected
        await press(pilot, "enter")
        page = page_screen(app)
        hex_view = page.query_one(HexView)
        assert page.detail is not None
        at = hex_view.cursor
        assert page.detail.page.data[at : at + len(needle)] == needle

    drive(app_for("heap_big"), scenario)


# -- page screen ---------------------------------------------------------------------------


def test_page_screen_links_tree_and_hex_both_ways() -> None:
    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "enter")
        page = page_screen(app)
        tree = page.query_one(FieldTree)
        hex_view = page.query_one(HexView)
        assert page.current is not None and page.current.label == "PageHeaderData"
        assert hex_view.selection == page.current.span
        # a field selects its bytes
        await press(pilot, "down")
        assert page.current.label.startswith("ItemIdData")
        assert hex_view.selection == page.current.span
        assert hex_view.cursor == page.current.span.start  # type: ignore[union-attr]
        # a byte selects its field
        tree.blur()
        hex_view.focus()
        await press(pilot, "G")
        assert hex_view.cursor == page.detail.page.size - 1  # type: ignore[union-attr]
        span = page.current.span
        assert span is not None and span.start <= hex_view.cursor < span.stop
        await press(
            pilot,
            "g",
            "right",
            "right",
            "right",
            "right",
            "right",
            "right",
            "right",
            "right",
            "right",
        )
        assert hex_view.cursor == 9
        assert page.current.label == "pd_checksum"  # bytes 8-9
        status = widget_text(page.query_one("#page-status"))
        assert "0x0008-0x0009" in status and "pd_checksum" in status
        # a click on a byte selects its field too
        await pilot.click(HexView, offset=(5 + 3 * 6, 1))
        await settle(pilot)
        expected = (int(hex_view.scroll_y) + 1) * 8 + 6
        assert hex_view.cursor == expected
        span = page.current.span
        assert span is not None and span.start <= expected < span.stop

    drive(app_for("heap_hot"), scenario)


def test_page_navigation_jump_and_find() -> None:
    rel = fixture("heap_hot")
    oracle = {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "enter")
        page = page_screen(app)
        await press(pilot, "right_square_bracket")
        assert page.blkno == 1
        await press(pilot, "right_square_bracket")
        assert page.blkno == 2
        await press(pilot, "left_square_bracket")
        assert page.blkno == 1 and page.detail is not None and page.detail.blkno == 1
        # a TID: block and line pointer
        item = next(i for i in oracle[0]["heap_page_items"] if i["lp"] > 1 and i["lp_flags"] == 1)
        await jump(pilot, f"(0,{item['lp']})")
        assert page.blkno == 0
        assert page.current is not None and page.current.item == item["lp"]
        assert page.current.span is not None
        assert page.current.span.start == item["lp_off"]
        # a byte offset on this page
        await jump(pilot, "0x100")
        assert page.query_one(HexView).cursor == 0x100
        assert page.current.span is not None and page.current.span.start <= 0x100
        # out of range is a message, not a crash
        await jump(pilot, "999")
        assert page.blkno == 0
        # find names a field; n finds the next one
        page.query_one(FieldTree).focus()
        await press(pilot, "slash")
        await pilot.press(*"t_infomask2")
        await press(pilot, "enter")
        first = page.current
        assert first is not None and first.label == "t_infomask2"
        await press(pilot, "n")
        assert page.current is not first and page.current.label == "t_infomask2"
        # Escape backs out to the page map
        await press(pilot, "escape")
        assert isinstance(app.screen, RelationScreen)

    drive(app_for("heap_hot"), scenario)


def test_items_tuple_and_problems_tabs() -> None:
    rel = fixture("heap_types")
    row = max(rel.oracle["rows"], key=lambda r: sum(v is not None for v in r.values()))
    lp = int(row["ctid"].strip("()").split(",")[1])
    column = next(k for k, v in row.items() if k not in ("ctid", "id") and v and len(v) < 40)

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "enter")
        page = page_screen(app)
        await press(pilot, "2")
        await press(pilot, "down", "up", *["down"] * (lp - 1))
        assert page.current is not None and page.current.item == lp
        await press(pilot, "3")
        text = screen_text(app)
        assert f"lp {lp}" in text and "t_xmin" in text
        tuple_text = widget_text(page.query_one("#tuple-text"))
        assert f"= {row[column]}" in tuple_text
        assert "B padding before" in tuple_text
        await press(pilot, "4")
        assert "No problems" in screen_text(app)
        await press(pilot, "x")
        assert not page.query_one(HexView).display

    drive(app_for("heap_types", schema=True), scenario)


def test_corrupt_page_opens_with_its_diagnostics(tmp_path: Path) -> None:
    rel = fixture("heap_hot")
    data = bytearray(gzip.decompress(rel.file().read_bytes()))
    data[24 + 4 * 1 + 1] = 0xFF  # lp 2: lp_off far outside the page
    data[24 + 4 * 1 + 3] = 0xFF
    broken = tmp_path / "16458"
    broken.write_bytes(bytes(data))

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        assert "!" in screen_text(app)  # the map marks the damaged block
        await press(pilot, "enter")
        page = page_screen(app)
        assert page.detail is not None and page.detail.page.has_errors
        assert "errors" in widget_text(page.query_one("#page-title"))
        await press(pilot, "4")
        assert "lp-out-of-bounds" in screen_text(app) or "ERROR" in screen_text(app)

    drive(PgPageApp(OpenSpec(path=str(broken))), scenario)


# -- btree screen --------------------------------------------------------------------------


def test_btree_descend_back_siblings_leftmost_and_levels() -> None:
    rel = fixture("bt_three_levels")
    oracle = rel.oracle
    meta = oracle["bt_metap"]
    blocks = {b["block"]: b for b in oracle["blocks"]}

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "b")
        screen = app.screen
        assert isinstance(screen, BtreeScreen)
        assert screen.blkno == meta["root"]
        root_items = blocks[meta["root"]]["bt_page_items"]
        first_child = int(root_items[0]["ctid"].strip("()").split(",")[0])
        await press(pilot, "enter")  # descend through the minus-infinity downlink
        assert screen.blkno == first_child
        assert screen.history == [meta["root"]]
        stats = blocks[first_child]["bt_page_stats"]
        assert stats["btpo_prev"] == 0
        await press(pilot, "right_square_bracket")
        assert screen.blkno == stats["btpo_next"]
        await press(pilot, "h")
        assert screen.blkno == first_child
        await press(pilot, "backspace", "backspace")
        assert screen.blkno == first_child  # back along the path: sibling, sibling
        await press(pilot, "backspace")
        assert screen.blkno == meta["root"]
        # leftmost page of the leaf level: prev is P_NONE, level 0
        await press(pilot, "enter", "enter")
        page = screen.page
        assert isinstance(page, BtreePage) and page.opaque is not None
        assert page.opaque.btpo_level == 0
        await press(pilot, "right_square_bracket", "right_square_bracket", "0")
        leftmost = next(
            b
            for b, v in blocks.items()
            if v.get("bt_page_stats")
            and v["bt_page_stats"]["btpo_level"] == 0
            and v["bt_page_stats"]["btpo_prev"] == 0
        )
        assert screen.blkno == leftmost
        await press(pilot, "s")
        text = screen_text(app)
        stat = oracle["pgstatindex"]
        assert f"{stat['internal_pages']} internal + {stat['leaf_pages']} leaf pages" in text
        assert "structural checks: 0 errors" in text
        await press(pilot, "m")
        assert screen.blkno == 0
        assert "btm_root" in screen_text(app)
        await press(pilot, "enter")
        assert screen.blkno == meta["root"]

    drive(app_for("bt_three_levels", schema=True), scenario)


def test_btree_posting_lists_and_dead_items_are_marked() -> None:
    dedup = fixture("bt_dedup")
    posting_block, posting_item = next(
        (b["block"], i)
        for b in dedup.oracle["blocks"]
        for i in b.get("bt_page_items") or []
        if isinstance(i, dict) and i.get("tids")
    )

    async def posting(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "b")
        screen = app.screen
        assert isinstance(screen, BtreeScreen)
        await jump(pilot, str(posting_block))
        assert screen.blkno == posting_block
        text = screen_text(app)
        assert "posting" in text
        assert f"{len(posting_item['tids'])} TIDs {posting_item['tids'][0]}" in text
        # find a TID of that posting list
        await press(pilot, "slash")
        await pilot.press(*posting_item["tids"][-1])
        await press(pilot, "enter")
        table_row = screen.query_one("#bt-items").cursor_row  # type: ignore[attr-defined]
        assert table_row == posting_item["itemoffset"] - 1

    drive(app_for("bt_dedup", schema=True), posting)

    dead = fixture("bt_lp_dead")
    dead_block = next(
        b
        for b in dead.oracle["blocks"]
        if b.get("bt_page_items") and any(i.get("dead") for i in b["bt_page_items"])
    )
    ndead = sum(1 for i in dead_block["bt_page_items"] if i.get("dead"))

    async def dead_items(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "b")
        await jump(pilot, str(dead_block["block"]))
        screen = app.screen
        assert isinstance(screen, BtreeScreen) and isinstance(screen.page, BtreePage)
        assert sum(1 for item in screen.page.items if item.dead) == ndead
        assert f"{ndead} dead items" in screen_text(app)

    drive(app_for("bt_lp_dead"), dead_items)


# -- TOAST and layout ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("major", "row_id", "column"),
    [(17, "4", "t"), (17, "5", "e"), (17, "6", "t"), (15, "8", "l")],
    ids=["pglz", "uncompressed", "uncompressed-2", "lz4"],
)
def test_toast_pointer_chunks_and_value(major: int, row_id: str, column: str) -> None:
    """toast_values keeps values out of line: pglz-compressed, uncompressed, lz4 (15)."""
    rel = fixture("toast_values", major)
    row = next(r for r in rel.oracle["rows"] if r["id"] == row_id)
    attnum = next(a["attnum"] for a in rel.meta["attributes"] if a["attname"] == column)

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "enter")
        await jump(pilot, f"lp {row['ctid'].strip('()').split(',')[1]}")
        page = page_screen(app)
        assert page.detail is not None
        page.select_node(page.detail.by_key[f"lp/{page.current.item}/att/{attnum}"])  # type: ignore[union-attr]
        await settle(pilot)
        await press(pilot, "t")
        screen = app.screen
        assert isinstance(screen, ToastScreen)
        result = screen.result
        assert result is not None and result.value.complete
        pointer = result.value.pointer
        assert len(result.value.chunks) == math.ceil(pointer.extsize / 1996)
        assert result.plain is not None and result.plain.decode() == row[column]
        assert f"TOAST value {pointer.va_valueid}" in screen_text(app)
        await press(pilot, "enter")  # the first chunk's page of the TOAST relation
        chunk_page = page_screen(app)
        assert chunk_page.blkno == result.value.chunks[0].ref.blkno
        assert chunk_page.current is not None
        assert chunk_page.current.item == result.value.chunks[0].ref.lp

    spec = OpenSpec(
        path=str(rel.file()),
        schema=str(manifest_path(major)),
        toast=str(fixture("toast_values_toast", major).file()),
    )
    drive(PgPageApp(spec), scenario)


def test_toast_without_pointer_or_schema_says_why() -> None:
    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "enter", "t")
        assert "attribute values are not decoded" in screen_text(app)
        await press(pilot, "escape")
        assert isinstance(app.screen, PageScreen)

    drive(app_for("toast_values"), scenario)


def test_layout_screen_current_and_recommended() -> None:
    rel = fixture("heap_types")
    names = [a["attname"] for a in rel.meta["attributes"] if not a["attisdropped"]]

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "L")
        screen = app.screen
        assert isinstance(screen, LayoutScreen)
        advice = screen.advice
        assert advice is not None
        assert list(advice.current.order) == names
        assert sorted(advice.recommended.order) == sorted(names)
        assert advice.recommended.avg_row_bytes <= advice.current.avg_row_bytes
        assert advice.sample.size == len(rel.oracle["rows"])
        text = screen_text(app)
        assert "current order" in text and "recommended order" in text
        await press(pilot, "a")
        assert "order" in screen_text(app)

    drive(app_for("heap_types", schema=True), scenario)


# -- conventions ---------------------------------------------------------------------------


def test_help_palette_and_quit() -> None:
    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "f1")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert "Page map" in screen_text(app)  # help for the focused pane
        ids = {row[2] for row in help_screen.rows}
        assert {"nav.jump", "nav.find", "map.mode", "app.quit", "app.help"} <= ids
        await press(pilot, "escape")
        assert isinstance(app.screen, RelationScreen)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, RelationScreen)
        # the command palette: "page: go to block 3"
        await press(pilot, "ctrl+p")
        await pilot.press(*"go to block 3")
        await settle(pilot)
        await press(pilot, "enter")
        assert app.relation_screen.query_one(PageMap).cursor == 3
        await press(pilot, "ctrl+p")
        await pilot.press(*"btree: go to root")
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, BtreeScreen)
        await press(pilot, "ctrl+q")
        assert app.return_code == 0 or not app.is_running

    drive(app_for("bt_three_levels"), scenario)


def test_view_toggle_hex_from_the_palette() -> None:
    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "enter")
        page = page_screen(app)
        assert page.query_one(HexView).display
        await press(pilot, "ctrl+p")
        await pilot.press(*"view: toggle hex")
        await settle(pilot)
        await press(pilot, "enter")
        assert not page.query_one(HexView).display

    drive(app_for("heap_hot"), scenario)


def test_keymap_rebinds_by_id() -> None:
    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await press(pilot, "colon")
        assert isinstance(app.screen, RelationScreen)  # ':' no longer jumps
        await press(pilot, "ctrl+g")
        assert isinstance(app.screen, JumpDialog)
        await press(pilot, "escape")
        assert isinstance(app.screen, RelationScreen)

    drive(app_for("heap_hot", keymap={"nav.jump": "ctrl+g"}), scenario)


def test_every_binding_has_an_id() -> None:
    import pageinspect_py.tui.btree_screen as bt
    import pageinspect_py.tui.layout_screen as layout
    import pageinspect_py.tui.page_screen as page
    import pageinspect_py.tui.relation_screen as relation
    import pageinspect_py.tui.toast_screen as toast
    from pageinspect_py.tui import app as app_module
    from pageinspect_py.tui import base, dialogs, hexview, pagemap

    classes = [
        app_module.PgPageApp,
        base.BaseScreen,
        relation.RelationScreen,
        page.PageScreen,
        page.FieldTree,
        page.ItemTable,
        hexview.HexView,
        pagemap.PageMap,
        bt.BtreeScreen,
        bt.BtreeItemTable,
        toast.ToastScreen,
        toast.ChunkTable,
        layout.LayoutScreen,
        dialogs.PromptDialog,
        dialogs.MessageDialog,
        dialogs.HelpScreen,
    ]
    for cls in classes:
        for binding in cls.__dict__.get("BINDINGS", []):
            assert isinstance(binding, Binding), (cls, binding)
            assert binding.id, f"{cls.__name__}: {binding.key} -> {binding.action} has no id"


def test_no_color_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for("heap_hot")
    assert app.no_color

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        assert "? not read" in screen_text(app)

    drive(app, scenario)


# -- errors stay in the app ------------------------------------------------------------------


def test_unreadable_file_is_a_message() -> None:
    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        text = screen_text(app)
        assert "cannot open" in text and "no such file" in text
        await press(pilot, "enter", "j", "colon")
        await press(pilot, "escape")
        assert app.is_running

    drive(PgPageApp(OpenSpec(path="/nonexistent/dir/16384")), scenario)


def test_truncated_gzip_is_a_message(tmp_path: Path) -> None:
    rel = fixture("heap_big")
    broken = tmp_path / "16484.gz"
    shutil.copy(rel.file(), broken)
    raw = broken.read_bytes()
    broken.write_bytes(raw[: len(raw) // 3] + raw[-8:])  # keeps ISIZE: blocks look present

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        screen = app.screen
        assert isinstance(screen, RelationScreen) and screen.store is not None
        assert screen.store.scanned() == screen.query_one(PageMap).nblocks
        assert "X" in screen_text(app)  # unreadable blocks are marked, the rest shown
        await press(pilot, "G", "enter")
        assert "cannot be shown" in screen_text(app)
        assert app.is_running

    drive(PgPageApp(OpenSpec(path=str(broken))), scenario)


class _LosingSource(PageSource):
    """A file source whose connection 'drops' after a few reads, like a dead server."""

    def __init__(self, inner: FileSource, reads: int) -> None:
        self.inner = inner
        self.name = "test relation on a server that goes away"
        self.block_size = inner.block_size
        self.checksum_verifiable = False
        self.reads = reads

    def nblocks(self, fork: Fork = "main") -> int:
        return self.inner.nblocks(fork)

    def read_page(self, blkno: int, fork: Fork = "main") -> RawPage:
        self.reads -= 1
        if self.reads < 0:
            raise ConnectionFailedError("server closed the connection unexpectedly")
        return self.inner.read_page(blkno, fork)


def test_lost_connection_is_a_message() -> None:
    rel = fixture("heap_big")
    source = _LosingSource(FileSource(rel.file()), reads=5)
    session = Session(OpenSpec(dsn="", relation="heap_big"), PageStore(source))

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        text = screen_text(app)
        assert "reading stopped" in text and "server closed the connection" in text
        screen = app.screen
        assert isinstance(screen, RelationScreen) and screen.store is not None
        assert screen.store.fill(0) is not None  # what was read before is still mapped
        await press(pilot, "G", "enter")
        assert "cannot be shown" in screen_text(app)
        await press(pilot, "escape", "g", "right")
        assert isinstance(app.screen, RelationScreen)
        assert app.is_running

    drive(PgPageApp(session=session), scenario)


# -- links between pages (issue 13: walking an index tree by hand) ---------------------------


def test_links_follow_a_gin_entry_to_its_posting_tree_and_back() -> None:
    """``l`` lists the blocks the page names (each access method's links: analysis/links.py);
    Enter follows one, Backspace comes back. On gin_tsvector the entry leaf holding
    ``common`` names its posting tree's root, whose PostingItems name the leaves."""
    from pageinspect_py.analysis.links import page_links
    from pageinspect_py.decode.dispatch import decode_page
    from pageinspect_py.decode.gin import GinDataPage
    from pageinspect_py.tui.dialogs import LinksDialog

    rel = fixture("gin_tsvector")
    with FileSource(rel.file()) as source:
        pages = [decode_page(raw) for raw in source.pages("main")]
    leaf, link = next(
        (p.blkno, link)
        for p in pages
        for link in page_links(p)
        if link.label.startswith("posting tree")
    )
    root = pages[link.blkno]
    assert isinstance(root, GinDataPage) and root.posting_items

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await jump(pilot, str(leaf))
        await press(pilot, "enter")
        page = page_screen(app)
        assert page.blkno == leaf
        await press(pilot, "l")
        dialog = app.screen
        assert isinstance(dialog, LinksDialog)
        wanted = next(i for i, text in enumerate(dialog.labels) if "posting tree" in text)
        assert dialog.labels[wanted] == f"block {link.blkno}: {link.label}"
        for _ in range(wanted):
            await press(pilot, "down")
        await press(pilot, "enter")
        assert page_screen(app).blkno == link.blkno
        await press(pilot, "l")  # the root names its children
        assert isinstance(app.screen, LinksDialog)
        assert all("PostingItem" in text for text in app.screen.labels)
        await press(pilot, "escape")
        await press(pilot, "backspace")
        assert page_screen(app).blkno == leaf

    drive(app_for("gin_tsvector"), scenario)
