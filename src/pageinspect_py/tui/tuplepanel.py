"""The Tuple tab: one heap tuple's header flags by name, its attributes and its padding."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from pageinspect_py import constants as C
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.heap import HeapPage, HeapTuple
from pageinspect_py.render.tree import PageDetail

#: extra sections other modules add under the header (attributes, TOAST pointers):
#: (detail, lp) -> renderable or None
_SECTIONS: list[object] = []


def register_section(section: object) -> None:
    if section not in _SECTIONS:
        _SECTIONS.append(section)


def _xid_note(xid: int) -> str:
    if xid == C.InvalidTransactionId:
        return " (invalid)"
    if xid == C.FrozenTransactionId:
        return " (frozen)"
    if xid == C.BootstrapTransactionId:
        return " (bootstrap)"
    return ""


def page_padding(detail: PageDetail) -> tuple[int, int, int]:
    """(padding before t_hoff, MAXALIGN padding after items, unused bytes) on the page."""
    page = detail.page
    return (
        page.bytes_in(RegionKind.HEADER_PADDING),
        page.bytes_in(RegionKind.ALIGNMENT_PADDING),
        page.bytes_in(RegionKind.UNUSED),
    )


def _trailing_padding(detail: PageDetail, lp: int) -> int:
    return sum(
        r.span.length
        for r in detail.page.regions
        if r.kind is RegionKind.ALIGNMENT_PADDING and r.item == lp
    )


def describe_tuple(detail: PageDetail, lp: int | None) -> RenderableType:
    page = detail.page
    header_pad, align_pad, unused = page_padding(detail)
    values = detail.extras.get("values")
    attr_pad = getattr(values, "padding_bytes", None)
    between = f" + {attr_pad} B between attributes" if isinstance(attr_pad, int) else ""
    total = header_pad + align_pad + (attr_pad if isinstance(attr_pad, int) else 0)
    page_line = Text(
        f"page padding: {header_pad} B before t_hoff{between} + {align_pad} B MAXALIGN after "
        f"items = {total} B of {page.size}; {unused} B unused",
        style="bold",
    )
    if not isinstance(page, HeapPage):
        return Group(
            Text(
                "Not a heap page: no tuple to show. The field tree and the hex view show its items."
            ),
            page_line,
        )
    if lp is None:
        return Group(
            Text("Select a tuple (in the tree, the hex view or the Items tab)."), page_line
        )
    item = next((i for i in page.items if i.lp.lp == lp), None)
    if item is None:
        return Group(Text(f"lp {lp} is not on this page."), page_line)
    ptr = item.lp
    head = Text()
    head.append(f"lp {lp}", style="bold")
    head.append(f"  {ptr.flags_name}  lp_off {ptr.lp_off}  lp_len {ptr.lp_len}")
    if ptr.has_storage:
        head.append(f"  {ptr.item_span.hex()}")
    if item.tuple is None:
        if ptr.lp_flags == C.LP_REDIRECT:
            head.append(f"\nredirects to lp {ptr.lp_off} (HOT chain)")
        elif ptr.lp_flags == C.LP_UNUSED:
            head.append("\nunused: no tuple")
        elif ptr.lp_flags == C.LP_DEAD:
            head.append("\ndead: no storage left, only the pointer")
        else:
            head.append("\nno decodable tuple here (see Problems)")
        return Group(head, page_line)
    return Group(head, *_tuple_parts(detail, item.tuple, lp), page_line)


def _tuple_parts(detail: PageDetail, tup: HeapTuple, lp: int) -> list[RenderableType]:
    h = tup.header
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1))
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value")
    table.add_row("t_xmin", f"{h.t_xmin}{_xid_note(h.t_xmin)}")
    table.add_row("t_xmax", f"{h.t_xmax}{_xid_note(h.t_xmax)}")
    table.add_row("t_field3", f"{h.t_field3} (t_cid or t_xvac)")
    table.add_row("t_ctid", str(h.t_ctid))
    table.add_row("natts", f"{h.natts} (t_infomask2 & HEAP_NATTS_MASK)")
    table.add_row("t_hoff", f"{h.t_hoff}")
    raw = " ".join(h.raw_flags) or "-"
    table.add_row("flags", raw)
    if h.combined_flags:
        table.add_row("combined", " ".join(h.combined_flags))
    table.add_row("t_infomask", f"0x{h.t_infomask:04x}")
    table.add_row("t_infomask2", f"0x{h.t_infomask2:04x}")
    if tup.t_bits is not None:
        bits = tup.t_bits[: h.natts]
        nulls = [str(i + 1) for i, bit in enumerate(bits) if bit == "0"]
        table.add_row("t_bits", f"{bits} (NULL: attributes {', '.join(nulls) or 'none'})")
    else:
        table.add_row("t_bits", "none (no NULLs: HEAP_HASNULL not set)")
    if tup.t_oid is not None:
        table.add_row("t_oid", str(tup.t_oid))
    bitmap = (h.natts + 7) // 8 if tup.t_bits is not None else 0
    header_pad = max(h.t_hoff - C.SizeofHeapTupleHeader - bitmap - (4 if tup.t_oid else 0), 0)
    trailing = _trailing_padding(detail, lp)
    parts: list[RenderableType] = [table]
    for section in _SECTIONS:
        rendered = section(detail, lp)  # type: ignore[operator]
        if rendered is not None:
            parts.append(rendered)
    values = detail.extras.get("values")
    if values is not None:
        parts.append(_attribute_lines(values, lp))
    else:
        error = detail.extras.get("values_error")
        parts.append(
            Text(
                f"data: {tup.data_span.length if tup.data_span else 0} B at t_hoff; "
                + (
                    f"attribute values failed: {error}"
                    if error
                    else "attribute values need a schema (--schema FILE) or a live relation (--dsn)"
                ),
                style="dim",
            )
        )
    attr_pad = detail.extras.get(f"attribute_padding/{lp}")
    pad_text = Text(f"tuple padding: {header_pad} B before t_hoff")
    if isinstance(attr_pad, int):
        pad_text.append(f" + {attr_pad} B between attributes")
    pad_text.append(
        f" + {trailing} B MAXALIGN after = "
        f"{header_pad + trailing + (attr_pad if isinstance(attr_pad, int) else 0)} B"
    )
    parts.append(pad_text)
    return parts


_MAX_VALUE = 60


def _attribute_lines(values: object, lp: int) -> RenderableType:
    from pageinspect_py.decode.tuple import PageValues

    assert isinstance(values, PageValues)
    tv = values.for_lp(lp)
    if tv is None:
        return Text("no attribute values for this tuple", style="dim")
    text = Text()
    text.append(
        f"attributes ({len(tv.attributes)}): {tv.data_bytes} B of values, "
        f"{tv.padding_bytes} B padding between them\n",
        style="bold",
    )
    for att in tv.attributes:
        name = att.attname + (" (dropped)" if att.status.is_dropped else "")
        text.append(f"{att.attnum} {name}", style="bold")
        text.append(f" {att.typname or '?'}")
        if att.span is not None:
            text.append(f" {att.span.hex()} {att.length} B")
        else:
            text.append(f" not stored ({str(att.status).replace('_', ' ')})")
        if att.padding_bytes:
            text.append(f", {att.padding_bytes} B padding before", style="bold")
        if att.form is not None:
            text.append(f", {att.form.description}")
        value = "NULL" if att.status.is_null else (att.text or "")
        if len(value) > _MAX_VALUE:
            value = value[:_MAX_VALUE] + f"… ({len(value)} chars)"
        text.append(f"\n   = {value}\n", style="dim")
        if att.error:
            text.append(f"   {att.error}\n", style="bold")
    return text
