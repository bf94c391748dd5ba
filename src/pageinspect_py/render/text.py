"""Text output for people: an annotated tree with byte ranges and flag names, 80 columns wide."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from pageinspect_py import constants as C
from pageinspect_py.analysis.visibility import Visibility
from pageinspect_py.decode.common import RegionKind, Span
from pageinspect_py.decode.dispatch import FsmPage, VmPage
from pageinspect_py.decode.heap import HeapPage, HeapTuple
from pageinspect_py.decode.page import ChecksumStatus, ItemId, Page
from pageinspect_py.decode.tuple import PageValues
from pageinspect_py.render.attributes import attribute_text_rows, page_values_text
from pageinspect_py.render.brin import brin_page_rows
from pageinspect_py.render.btree import btree_page_rows
from pageinspect_py.render.gin import gin_page_rows
from pageinspect_py.render.gist import gist_page_rows
from pageinspect_py.render.hash import hash_page_rows
from pageinspect_py.render.spgist import spgist_page_rows
from pageinspect_py.render.tree import (
    infomask2_names,
    pagesize_version_text,
    t_bits_span,
    t_oid_span,
)

WIDTH = 80
RANGE_WIDTH = 13  #: "0x0018-0x001b"


def _line(indent: int, text: str, span: Span | None = None) -> str:
    """``text`` indented, with the byte range right-aligned at column 80; text too long for
    the line goes on in continuation lines (indented two more), cut after a space where one
    is near, so no line is wider than 80 columns and every character is kept (the pieces,
    joined, are ``text``)."""
    prefix = "  " * indent
    left = prefix + text
    rng = span.hex() if span is not None else ""
    room = WIDTH - len(rng) - 1 if rng else WIDTH
    if len(left) <= room:
        return f"{left:<{room}} {rng}" if rng else left
    more = prefix + "    "
    pieces = _cut(text, max(room - len(prefix), 8), max(WIDTH - len(more), 8))
    first = prefix + pieces[0]
    lines = [f"{first:<{room}} {rng}" if rng else first]
    lines.extend(more + piece for piece in pieces[1:])
    return "\n".join(lines)


def _cut(text: str, first: int, width: int) -> list[str]:
    """``text`` in pieces of at most ``first`` then ``width`` characters, each ending after
    a space when one lies in its second half."""
    pieces = []
    size = first
    while len(text) > size:
        at = text.rfind(" ", size // 2, size)
        cut = at + 1 if at >= 0 else size
        pieces.append(text[:cut])
        text = text[cut:]
        size = width
    pieces.append(text)
    return pieces


_CHECKSUM_NOTES = {
    ChecksumStatus.OK: "verified",
    ChecksumStatus.MISMATCH: "MISMATCH, computed {computed}",
    ChecksumStatus.NOT_SET: "not set: data checksums off",
    ChecksumStatus.NOT_VERIFIABLE: "server buffer copy, not verified; computed {computed}",
    ChecksumStatus.NOT_APPLICABLE: "new page",
}


def render_page(
    page: Page,
    *,
    heap_blocks: int | None = None,
    values: PageValues | None = None,
    visibility: Mapping[int, Visibility] | None = None,
) -> str:
    """``values`` (attributes decoded with a relation description) adds each tuple's
    attributes, padding and values; ``visibility`` (verdicts by line pointer) a line beside
    each tuple."""
    return "\n".join(_page_lines(page, heap_blocks, values, visibility)) + "\n"


def visibility_text(verdict: Visibility) -> str:
    """One short line, ``visible: no (dead); xmin committed, xmax committed`` (the whole
    reason is in the JSON)."""
    seen = {True: "yes", False: "no", None: "unknown"}[verdict.visible]
    return (
        f"visible: {seen} ({verdict.verdict}); "
        f"xmin {verdict.xmin_status}, xmax {verdict.xmax_status}"
    )


def _page_lines(
    page: Page,
    heap_blocks: int | None,
    values: PageValues | None = None,
    visibility: Mapping[int, Visibility] | None = None,
) -> Iterator[str]:
    yield f"block {page.blkno} ({page.fork} fork): {page.kind} page, {page.size} bytes"
    yield f"  from {page.origin}"
    if page.kind == "new":
        yield _line(1, "all-zero new page (never initialised)", Span(0, page.size))
        yield from _diagnostic_lines(page)
        return
    h = page.header
    yield _line(1, "page_header", Span(0, C.SizeOfPageHeaderData))
    checksum_note = _CHECKSUM_NOTES[page.checksum.status].format(computed=page.checksum.computed)
    notes = {
        "pd_lsn": h.lsn,
        "pd_checksum": f"{h.pd_checksum} ({checksum_note})",
        "pd_flags": f"0x{h.pd_flags:04x} {'|'.join(h.flag_names)}".rstrip(),
        "pd_pagesize_version": pagesize_version_text(h),
    }
    for f in h.fields():
        yield _line(2, f"{f.name}: {notes.get(f.name, f.value)}", f.span)
    if page.line_pointers:
        first, last = page.line_pointers[0].span, page.line_pointers[-1].span
        yield _line(1, f"line pointers: {len(page.line_pointers)}", Span(first.start, last.stop))
        for lp in page.line_pointers:
            yield _line(2, _lp_text(lp), lp.span)
    if isinstance(page, HeapPage):
        tuples = [item for item in page.items if item.tuple is not None]
        if tuples:
            yield _line(1, f"tuples: {len(tuples)}")
        for item in tuples:
            assert item.tuple is not None
            verdict = visibility.get(item.lp.lp) if visibility is not None else None
            yield from _tuple_lines(item.lp, item.tuple, verdict)
            tv = values.for_lp(item.lp.lp) if values is not None else None
            if tv is not None:
                for indent, text, span in attribute_text_rows(tv):
                    yield _line(3 + indent, text, span)
        if values is not None:
            yield _line(1, page_values_text(values))
    elif isinstance(page, FsmPage) and page.fsm is not None:
        fsm = page.fsm
        yield _line(
            1,
            f"FSM page: level {fsm.level}, logical page {fsm.logpageno}, "
            f"fp_next_slot {fsm.fp_next_slot}",
        )
        for leaf in fsm.leaves():
            if leaf.category:
                target = (
                    f"heap block {leaf.heap_block}"
                    if leaf.heap_block is not None
                    else f"slot {leaf.slot}"
                )
                yield _line(
                    2,
                    f"{target}: category {leaf.category} "
                    f"(>= {leaf.free_bytes_at_least} bytes free)",
                )
    elif isinstance(page, VmPage) and page.vm is not None:
        entries = page.vm.entries(heap_blocks)
        yield _line(
            1,
            f"visibility map: heap blocks {page.vm.first_heap_block}.."
            f"{page.vm.first_heap_block + page.vm.heapblocks_per_page - 1}",
        )
        for e in entries:
            flags = [
                name
                for name, on in (("all-visible", e.all_visible), ("all-frozen", e.all_frozen))
                if on
            ]
            yield _line(2, f"heap block {e.blkno}: {', '.join(flags) or '-'}")
    for indent, text, span in btree_page_rows(page):
        yield _line(indent, text, span)
    for rows in (hash_page_rows, gin_page_rows, gist_page_rows, spgist_page_rows, brin_page_rows):
        for indent, text, span in rows(page):
            yield _line(indent, text, span)
    yield _line(1, "space")
    for kind in RegionKind:
        total = page.bytes_in(kind)
        if total:
            yield _line(2, f"{kind}: {total} bytes")
    yield from _diagnostic_lines(page)


def _lp_text(lp: ItemId) -> str:
    if lp.lp_flags == C.LP_REDIRECT:
        return f"lp {lp.lp}: LP_REDIRECT -> lp {lp.lp_off}"
    if lp.lp_flags == C.LP_UNUSED and not lp.lp_len:
        return f"lp {lp.lp}: LP_UNUSED"
    return f"lp {lp.lp}: {lp.flags_name} lp_off: {lp.lp_off} lp_len: {lp.lp_len}"


def _tuple_lines(lp: ItemId, tup: HeapTuple, verdict: Visibility | None = None) -> Iterator[str]:
    h = tup.header
    yield _line(2, f"lp {lp.lp} ({lp.flags_name}), {tup.span.length} bytes", tup.span)
    if verdict is not None:
        yield _line(3, visibility_text(verdict))
    for f in h.fields():
        if f.name == "t_ctid":
            text = f"t_ctid: {h.t_ctid}"
        elif f.name == "t_infomask2":
            names = infomask2_names(h)
            text = f"t_infomask2: 0x{h.t_infomask2:04x} natts {h.natts} {' '.join(names)}"
        elif f.name == "t_infomask":
            text = f"t_infomask: 0x{h.t_infomask:04x}"
        else:
            text = f"{f.name}: {f.value}"
        yield _line(3, text.rstrip(), f.span)
        if f.name == "t_infomask":
            raw = [name for bit, name in C.INFOMASK_FLAGS if h.t_infomask & bit]
            for name in raw + [f"= {c}" for c in h.combined_flags]:
                yield _line(4, name)
    if tup.t_bits is not None:
        yield _line(3, f"t_bits: {tup.t_bits[: h.natts]}", t_bits_span(tup))
    if tup.t_oid is not None:
        yield _line(3, f"t_oid: {tup.t_oid}", t_oid_span(tup))
    if tup.data_span is not None:
        yield _line(3, f"t_data: {tup.data_span.length} bytes", tup.data_span)


def _diagnostic_lines(page: Page) -> Iterator[str]:
    if page.diagnostics:
        yield _line(1, f"diagnostics: {len(page.diagnostics)}")
        for d in page.diagnostics:
            yield _line(2, d.describe())
