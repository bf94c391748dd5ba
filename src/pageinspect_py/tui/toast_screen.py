"""The TOAST screen: a TOAST pointer, the chunks it names, and the value they reassemble to.

Opened from an attribute stored out of line (``t`` on the Page screen, or the command
palette). Chunks are found by scanning the TOAST relation once (offline ``--toast FILE``) or
through the server's TOAST index (live); reassembly and decompression run in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from pageinspect_py.decode.toast import ToastRelation, ToastValue
from pageinspect_py.decode.tuple import AttributeValue, PageValues
from pageinspect_py.decode.varlena import ToastPointer, VarlenaForm, decompress_stored
from pageinspect_py.errors import PageInspectError
from pageinspect_py.tui.base import BaseScreen
from pageinspect_py.tui.messages import OpenBlock
from pageinspect_py.tui.state import PageStore
from pageinspect_py.tui.targets import Target

_PREVIEW = 2000
_VARHDRSZ = 4  #: varatt.h: a 4-byte varlena header, counted in va_rawsize


@dataclass(frozen=True, slots=True)
class ToastTarget:
    """Which value: the pointer and where it was found."""

    pointer: ToastPointer
    blkno: int
    lp: int
    attribute: AttributeValue


@dataclass(frozen=True, slots=True)
class Reassembled:
    value: ToastValue
    plain: bytes | None  #: decompressed (or as stored when not compressed); None if unavailable
    error: str | None


def reassemble(toast: ToastRelation, pointer: ToastPointer) -> Reassembled:
    """Chunks in order, checked, then decompressed when the pointer says so. Never raises
    on bad data; the problems are in the result."""
    value = toast.assemble(pointer)
    if value.data is None:
        return Reassembled(value, None, None)
    if not pointer.is_compressed:
        return Reassembled(value, value.data, None)
    try:
        return Reassembled(
            value, decompress_stored(value.data, pointer.va_rawsize - _VARHDRSZ), None
        )
    except PageInspectError as exc:
        return Reassembled(value, None, f"cannot decompress: {exc}")


def pointer_table(target: ToastTarget) -> Table:
    p = target.pointer
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value")
    span = target.attribute.span
    where = f"block {target.blkno} lp {target.lp}, attribute {target.attribute.attname}"
    table.add_row("pointer", f"{where}" + (f" at {span.hex()}" if span else ""))
    table.add_row("va_rawsize", f"{p.va_rawsize} (raw size, 4-byte header included)")
    method = p.compression or "none"
    table.add_row("va_extinfo", f"0x{p.va_extinfo:08x}: stored {p.extsize} B, compression {method}")
    table.add_row("va_valueid", f"{p.va_valueid} (chunk_id of the chunks)")
    table.add_row("va_toastrelid", f"{p.va_toastrelid} (OID of the TOAST table)")
    return table


def value_preview(result: Reassembled, attribute: AttributeValue) -> Text:
    text = Text()
    value = result.value
    if value.problems:
        text.append("problems:\n", style="bold")
        for problem in value.problems:
            text.append(f"  {problem}\n")
    if result.error:
        text.append(f"{result.error}\n", style="bold")
    if value.data is None:
        text.append("the value cannot be reassembled", style="bold")
        return text
    text.append(f"reassembled: {len(value.data)} B stored in {len(value.chunks)} chunks")
    if result.plain is not None:
        if value.pointer.is_compressed:
            text.append(
                f" -> {len(result.plain)} B after {value.pointer.compression} decompression"
            )
        text.append("\n")
        shown = attribute.text
        if shown is None or not attribute.decoded:
            shown = result.plain[:_PREVIEW].decode("utf-8", errors="replace")
        if len(shown) > _PREVIEW:
            shown = shown[:_PREVIEW] + f"… ({len(shown)} characters in all)"
        text.append(f"value ({attribute.typname}): ", style="bold")
        text.append(shown)
    return text


class ChunkTable(DataTable[str]):
    HELP = """\
## TOAST chunks

The rows of the TOAST table that hold this value: `chunk_seq` (0, 1, ...), where the row
lies (block, line pointer) and how many bytes of `chunk_data` it carries (1996 per chunk at
8 kB pages, the last one shorter). Enter shows the chunk's page of the TOAST relation.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="toast.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="toast.down"),
        Binding("home,g", "scroll_top", "First chunk", show=False, id="toast.top"),
        Binding("end,G", "scroll_bottom", "Last chunk", show=False, id="toast.bottom"),
        Binding("enter", "select_cursor", "Chunk page", id="toast.open_chunk"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row")


class ToastScreen(BaseScreen):
    """Pointer, chunks and reassembled value of one out-of-line datum."""

    SCREEN_NAME = "toast"

    DEFAULT_CSS = """
    ToastScreen #toast-title { height: 1; background: $primary-muted; color: $text; }
    ToastScreen #toast-pointer { height: auto; padding: 0 1; }
    ToastScreen ChunkTable { height: 1fr; min-height: 4; }
    ToastScreen #toast-value-scroll { height: 1fr; border-top: hkey $panel-lighten-2; }
    ToastScreen .panel-text { padding: 0 1; }
    """

    def __init__(self, toast: ToastRelation, target: ToastTarget, *, title: str = "") -> None:
        super().__init__(title=title)
        self.toast = toast
        self.target = target
        self.result: Reassembled | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            f"TOAST value {self.target.pointer.va_valueid}: reading chunks…", id="toast-title"
        )
        yield Static(pointer_table(self.target), id="toast-pointer")
        yield ChunkTable(id="toast-chunks")
        with VerticalScroll(id="toast-value-scroll"):
            yield Static("", id="toast-value", classes="panel-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(ChunkTable)
        for column, width in (
            ("chunk_seq", 9),
            ("block", 6),
            ("lp", 4),
            ("bytes", 6),
            ("form", 15),
            ("state", 20),
        ):
            table.add_column(column, key=column, width=width)
        table.focus()
        self._reassemble()

    @work(thread=True, exclusive=True, group="toast", exit_on_error=False)
    def _reassemble(self) -> None:
        try:
            result = reassemble(self.toast, self.target.pointer)
        except Exception as exc:  # never let a damaged TOAST table kill the app
            self.from_thread(self._failed, f"{type(exc).__name__}: {exc}")
            return
        self.from_thread(self._show, result)

    def _failed(self, message: str) -> None:
        self.query_one("#toast-value", Static).update(Text(message, style="bold"))
        self.notify(message, title="TOAST", severity="error", timeout=8)

    def _show(self, result: Reassembled) -> None:
        self.result = result
        value = result.value
        p = value.pointer
        state = "complete" if value.complete else "INCOMPLETE"
        self.query_one("#toast-title", Static).update(
            f"{self.session_title} · TOAST value {p.va_valueid}: {len(value.chunks)} "
            f"chunks, {state}" + (f", {len(value.problems)} problems" if value.problems else "")
        )
        table = self.query_one(ChunkTable)
        table.clear()
        for chunk in value.chunks:
            ref = chunk.ref
            table.add_row(
                str(ref.seq),
                str(ref.blkno),
                str(ref.lp),
                str(len(chunk.data)),
                chunk.form.description if isinstance(chunk.form, VarlenaForm) else "?",
                "live" if ref.live else "deleted or aborted",
                key=f"{ref.blkno}:{ref.lp}:{ref.seq}",
            )
        self.query_one("#toast-value", Static).update(
            Group(value_preview(result, self.target.attribute))
        )

    @on(DataTable.RowSelected, "#toast-chunks")
    def _open_chunk(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is None:
            return
        blkno, lp, _ = (int(x) for x in event.row_key.value.split(":"))
        self.post_message(OpenBlock(blkno, Target(block=blkno, lp=lp), relation="toast"))


def toast_target(
    values: PageValues | None, blkno: int, lp: int | None, attnum: int | None
) -> ToastTarget | str:
    """The TOAST pointer at ``attnum`` of tuple ``lp`` (or the tuple's first one), or why not."""
    if values is None:
        return (
            "attribute values are not decoded: give --schema FILE (offline) or open the "
            "relation live"
        )
    if lp is None:
        return "select a tuple with an out-of-line (TOAST) attribute first"
    tv = values.for_lp(lp)
    if tv is None:
        return f"lp {lp} has no decoded tuple"
    candidates = [
        a for a in tv.attributes if a.varlena is not None and a.varlena.pointer is not None
    ]
    if attnum is not None:
        chosen = [a for a in candidates if a.attnum == attnum]
        candidates = chosen or candidates
    if not candidates:
        return f"lp {lp} has no attribute stored out of line (no TOAST pointer)"
    att = candidates[0]
    assert att.varlena is not None and att.varlena.pointer is not None
    return ToastTarget(att.varlena.pointer, blkno, lp, att)


def toast_page_store(toast: ToastRelation) -> PageStore:
    return PageStore(toast.source, "main")
