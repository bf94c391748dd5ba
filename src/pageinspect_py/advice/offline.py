"""Rows for the advisor from the pages of a copied relation file.

Every tuple that looks live is walked with the attribute decoder
(:func:`pageinspect_py.decode.tuple.decode_tuple_values`): the bytes each value occupies and
its varlena form (1-byte header, 4-byte, compressed, TOAST pointer) are read from the page,
so nothing has to be inferred. Values a tuple does not store because the column was added
later take their ``attmissingval`` (as a rebuild would write them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.advice.advise import Measured
from pageinspect_py.advice.model import Column, Geometry, Table
from pageinspect_py.advice.sample import Observed, Sample, build_sample
from pageinspect_py.catalog.attributes import RelationDescription
from pageinspect_py.decode.align import varatt_can_make_short
from pageinspect_py.decode.heap import HeapPage, HeapTuple, HeapTupleHeader
from pageinspect_py.decode.output import missing_value_text
from pageinspect_py.decode.tuple import AttributeStatus, AttributeValue, decode_tuple_values
from pageinspect_py.decode.varlena import VarlenaForm
from pageinspect_py.layouts.varlena import VARHDRSZ


@dataclass(frozen=True, slots=True)
class FileRows:
    sample: Sample
    measured: Measured
    skipped_dead: int
    skipped_damaged: int


def table_from_description(desc: RelationDescription, block_size: int) -> Table:
    """The storage model of a relation description (schema file)."""
    columns = tuple(Column.from_attribute(a) for a in desc.attributes)
    options = desc.extra.get("reloptions")
    fillfactor = 100
    toast_target = None
    if isinstance(options, list):
        for option in options:
            key, _, value = str(option).partition("=")
            if key == "fillfactor" and value.isdigit():
                fillfactor = int(value)
            elif key == "toast_tuple_target" and value.isdigit():
                toast_target = int(value)
    has_toast = desc.extra.get("reltoastrelid") not in (0, "0")
    return Table(
        desc.relname,
        columns,
        Geometry(
            block_size=block_size,
            fillfactor=fillfactor,
            toast_tuple_target=toast_target,
            has_toast_table=has_toast,
        ),
    )


def looks_dead(tup: HeapTuple) -> bool:
    """By its hint bits: inserted by an aborted transaction, or deleted (or updated away)
    by a committed one. Without the commit log this is all a file can tell."""
    mask = tup.header.t_infomask
    if mask & C.HEAP_XMIN_INVALID and not mask & C.HEAP_XMIN_COMMITTED:
        return True
    return bool(
        mask & C.HEAP_XMAX_COMMITTED
        and not mask & C.HEAP_XMAX_LOCK_ONLY
        and not mask & C.HEAP_XMAX_IS_MULTI
    )


def _missing_size(column: Column, literal: str | None) -> int | None:
    """Stored size of a fast default once written: attlen, or the text's bytes with a
    1-byte (up to 126) or 4-byte header -- exact for text-like types, an estimate else."""
    if literal is None:
        return None
    if column.attlen > 0:
        return column.attlen
    data = len(missing_value_text(literal).encode())
    if column.packable and varatt_can_make_short(data + VARHDRSZ):
        return data + 1
    return data + VARHDRSZ


def _observed(a: AttributeValue) -> Observed:
    """A stored value as the live sample would see it: for a TOAST pointer, the size out of
    line without header (``pg_column_size``) and whether it is compressed there."""
    pointer = a.varlena.pointer if a.varlena is not None else None
    if a.form is VarlenaForm.EXTERNAL and pointer is not None:
        return Observed(pointer.extsize, pointer.is_compressed, True, None)
    return Observed(
        a.length,
        a.form is VarlenaForm.COMPRESSED,
        a.form is VarlenaForm.EXTERNAL,
        a.form is VarlenaForm.PLAIN if a.form else None,
    )


def rows_from_pages(
    desc: RelationDescription,
    pages: Iterable[HeapPage],
    block_size: int,
    visible: Callable[[HeapTupleHeader], bool] | None = None,
) -> FileRows:
    """Observed rows of every live tuple, in physical order: those ``visible`` accepts (a data
    directory's pg_xact decides), else those whose hint bits do not mark them dead."""
    table = table_from_description(desc, block_size)
    live = table.live
    by_attnum = {c.attnum: c for c in live}
    missing = {a.attnum: a.attmissingval for a in desc.attributes}
    rows: list[list[Observed]] = []
    lengths: list[int] = []
    dead = damaged = npages = free = 0
    for page in pages:
        npages += 1
        free += max(page.header.pd_upper - page.header.pd_lower, 0)
        for item in page.items:
            tup = item.tuple
            if tup is None or tup.t_data is None:
                continue
            if not visible(tup.header) if visible is not None else looks_dead(tup):
                dead += 1
                continue
            values = decode_tuple_values(tup, item.lp.lp, desc, text=False)
            if any(a.status is AttributeStatus.UNREADABLE for a in values.attributes):
                damaged += 1
                continue
            row = []
            for a in values.attributes:
                column = by_attnum.get(a.attnum)
                if column is None:
                    continue  # dropped
                if a.status is AttributeStatus.PRESENT:
                    row.append(_observed(a))
                elif a.status is AttributeStatus.MISSING:
                    row.append(Observed(_missing_size(column, missing[a.attnum]), False, False))
                else:
                    row.append(Observed(None, False, False))
            rows.append(row)
            lengths.append(item.lp.lp_len)
    notes = (
        ["rows are the tuples a query would return (pg_xact decided)"]
        if visible is not None
        else [
            "rows are the tuples found in the file whose hint bits do not mark them dead "
            "(a file cannot consult the commit log)"
        ]
    )
    if any(c.atthasmissing for c in live):
        notes.append("fast defaults are sized from attmissingval's text")
    sample = build_sample(
        live,
        rows,
        table.geometry,
        table_rows=len(rows),
        method="every tuple in the file",
        notes=notes,
    )
    measured = Measured(
        pages=npages,
        live_rows=len(rows),
        dead_rows=dead,
        avg_tuple_bytes=sum(lengths) / len(lengths) if lengths else None,
        free_bytes=free,
        source="the relation file",
    )
    return FileRows(sample, measured, dead, damaged)
