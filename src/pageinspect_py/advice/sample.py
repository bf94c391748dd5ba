"""Rows to score: what a sample measured, turned into stored values.

A source (live sampling, ``pg_stats``, a relation file) reports per value what it could see:
the stored size (``pg_column_size`` or the bytes in the tuple), and when known whether the
value is compressed or a TOAST pointer. :func:`build_sample` turns that into
:class:`~pageinspect_py.advice.model.Value` rows with the storage model's rules, and infers
TOAST pointers where the source could not see them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from pageinspect_py.advice.model import (
    NULL,
    Column,
    Geometry,
    Value,
    classify,
    toast_row,
)
from pageinspect_py.layouts.varlena import VARHDRSZ


@dataclass(frozen=True, slots=True)
class Observed:
    """One value as a source saw it. ``size`` None is NULL; None flags mean "not known"."""

    size: int | None
    compressed: bool | None = None
    external: bool | None = None
    header4: bool | None = None  #: an uncompressed varlena with a 4-byte header
    #: VARSIZE of the value uncompressed, with a 4-byte header (VARDATA_COMPRESSED_GET_EXTSIZE
    #: + VARHDRSZ for a compressed one): the size the toaster measured before compressing
    raw_size: int | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    """Rows of a table, in physical order, as stored values of its live columns."""

    columns: tuple[Column, ...]  #: live columns, current order; rows follow it
    rows: tuple[tuple[Value, ...], ...]
    table_rows: int  #: rows in the whole table (estimated), to scale pages
    method: str  #: how the rows were chosen, e.g. "BERNOULLI (12.5%) REPEATABLE (0)"
    #: "exact" (values measured one by one), "estimate" (pg_stats: averages, no correlations)
    quality: str = "exact"
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.rows)


def _known_external(column: Column, o: Observed) -> Observed:
    """An uncompressed value out of line, told by its sizes alone: ``pg_column_size`` reports
    its out-of-line size without header, 4 bytes below its detoasted VARSIZE; inline it
    would be that VARSIZE (4-byte header) or 3 bytes less (1-byte header), and a compressed
    value is always shorter than its raw data (toast_compress_datum)."""
    if (
        o.external is None
        and column.attlen == -1
        and o.size is not None
        and o.raw_size is not None
        and o.raw_size == o.size + VARHDRSZ
    ):
        return Observed(o.size, False, True, None, o.raw_size)
    return o


class _Classified(NamedTuple):
    observed: Observed
    value: Value
    external_unknown: bool  #: a varlena the source could not say is a TOAST pointer or not
    compression_unknown: bool  #: a varlena the source could not say is compressed or not


def _classify(column: Column, seen: Observed) -> _Classified:
    o = _known_external(column, seen)
    varlena = o.size is not None and column.attlen == -1
    value = (
        NULL
        if column.always_null
        else classify(column, o.size, bool(o.compressed), bool(o.external), o.header4)
    )
    return _Classified(o, value, varlena and o.external is None, varlena and o.compressed is None)


def build_sample(
    columns: Sequence[Column],
    observed_rows: Iterable[Sequence[Observed]],
    geometry: Geometry,
    *,
    table_rows: int,
    method: str,
    quality: str = "exact",
    notes: Sequence[str] = (),
) -> Sample:
    """Classify observed values; where TOAST pointers were not observable, infer them.

    ``columns`` are the live columns in attnum order; each observed row lists one
    :class:`Observed` per column. A value whose ``external`` flag is None goes through
    :func:`~pageinspect_py.advice.model.toast_row` in the current order (what the server
    did when it stored the row), from the values' ``raw_size`` where known.
    """
    cols = tuple(columns)
    order = range(len(cols))
    natts = len(cols)
    rows: list[tuple[Value, ...]] = []
    inferred = compressed_unknown = False
    # a column's values repeat (sizes, flags): each distinct one is classified once
    caches: list[dict[Observed, _Classified]] = [{} for _ in cols]
    for seen in observed_rows:
        classified = [
            cache.get(o) or cache.setdefault(o, _classify(c, o))
            for c, o, cache in zip(cols, seen, caches, strict=True)
        ]
        values = [k.value for k in classified]
        if any(k.external_unknown for k in classified):
            raw = [k.observed.raw_size for k in classified]
            toasted = toast_row(cols, values, order, natts, geometry, raw=raw)
            if toasted != values:
                inferred = True
            values = toasted
        if not compressed_unknown:
            compressed_unknown = any(k.compression_unknown for k in classified)
        rows.append(tuple(values))
    extra = list(notes)
    if inferred:
        extra.append(
            "which values are TOAST pointers was inferred by replaying the toaster "
            "(the server cannot report it before PostgreSQL 17)"
        )
    if compressed_unknown:
        extra.append(
            "inline compression cannot be seen before PostgreSQL 14: short "
            "compressed values are taken as uncompressed"
        )
    return Sample(cols, tuple(rows), table_rows, method, quality, tuple(extra))


@dataclass(frozen=True, slots=True)
class ColumnStats:
    """What ``pg_stats`` says about one column."""

    null_frac: float
    avg_width: int


def sample_from_stats(
    columns: Sequence[Column],
    stats: dict[str, ColumnStats],
    geometry: Geometry,
    *,
    table_rows: int,
    rows: int = 1000,
    notes: Sequence[str] = (),
) -> Sample:
    """Synthetic rows from ``pg_stats``: the estimate used when rows cannot be read.

    Each column is NULL in ``null_frac`` of the rows, spread evenly and independently of
    the other columns (a golden-ratio sequence with a per-column phase), and otherwise
    ``avg_width`` bytes. Correlations between columns and the spread of sizes are lost, so
    the result is weaker than a sample; columns without statistics are taken as never
    NULL, with ``typlen`` bytes or, for varlenas, a short 1 + 8 byte value.
    """
    phi = (math.sqrt(5) - 1) / 2
    cols = tuple(columns)
    missing = [c.name for c in cols if c.name not in stats and not c.always_null]
    generated: list[list[Observed]] = []
    for r in range(rows):
        row = []
        for j, c in enumerate(cols):
            st = stats.get(c.name)
            null_frac = st.null_frac if st is not None else 0.0
            if c.attnotnull:
                null_frac = 0.0
            position = (r * phi + j * 0.381966 + 0.5 / rows) % 1.0
            if position < null_frac:
                row.append(Observed(None, False, False))
                continue
            if c.attlen > 0:
                size = c.attlen
            elif st is not None:
                size = max(st.avg_width, 1)
            else:
                size = 9
            row.append(Observed(size, False, None))
        generated.append(row)
    extra = [
        "estimated from pg_stats (null_frac, avg_width): every value of a column has "
        "its average size and NULLs are spread independently, so padding that depends "
        "on sizes or on correlated NULLs is not seen; run as a role that may read the "
        "table for an exact answer",
        *notes,
    ]
    if missing:
        extra.append(
            f"no statistics for {', '.join(missing)} (never ANALYZEd, or not "
            "readable): taken as never NULL"
        )
    return build_sample(
        cols,
        generated,
        geometry,
        table_rows=table_rows,
        method="pg_stats",
        quality="estimate",
        notes=extra,
    )
