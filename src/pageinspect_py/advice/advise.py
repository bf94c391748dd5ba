"""The advice: current, recommended and alternative column orders, scored on sampled rows.

Every figure is predicted with :mod:`pageinspect_py.advice.model` for a table *rebuilt* in
that order (new tuples: no dropped columns, fast defaults stored, no dead rows), so that the
difference between two orders is due to the order alone. What a rebuild gains anyway (bloat,
dropped columns) is the difference between the table as it is now (measured by the source)
and the current order rebuilt, and is reported apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.advice.model import (
    Column,
    Kind,
    Table,
    Toasted,
    Value,
    fill_pages,
    rebuild,
    rebuilt_row,
    rewritten,
    value_alignment,
)
from pageinspect_py.advice.sample import Sample
from pageinspect_py.advice.search import Problem, solve
from pageinspect_py.constants import typealign
from pageinspect_py.decode.align import heap_t_hoff
from pageinspect_py.errors import SchemaError


@dataclass(frozen=True, slots=True)
class Measured:
    """The table as it is now, measured by the source (None: not known)."""

    pages: int | None = None
    live_rows: int | None = None
    dead_rows: int | None = None
    #: mean lp_len of live tuples (pgstattuple tuple_len / tuple_count, or the pages)
    avg_tuple_bytes: float | None = None
    free_bytes: int | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Layout:
    """One column order and what it costs, predicted for a freshly written table."""

    name: str
    order: tuple[str, ...]
    avg_tuple_bytes: float  #: mean lp_len: header, null bitmap, data
    avg_row_bytes: float  #: mean page space per row: MAXALIGN(lp_len) + a line pointer
    avg_padding: float  #: alignment padding between values, per row
    avg_tail: float  #: MAXALIGN padding after each tuple, per row
    rows_per_page: float
    pages: int  #: for the whole table
    bytes: int  #: pages * block size
    sample_pages: int  #: pages the sampled rows alone fill, inserted in physical order
    lp_lens: tuple[int, ...] = field(default=(), repr=False)  #: predicted lp_len per row
    footprints: tuple[int, ...] = field(default=(), repr=False)  #: MAXALIGN(lp_len) per row
    #: sampled rows the toaster stores differently in this order than in the current one
    #: (the search scored them as in the current order)
    toasted_differently: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "order": list(self.order),
            "avg_tuple_bytes": round(self.avg_tuple_bytes, 2),
            "avg_row_bytes": round(self.avg_row_bytes, 2),
            "avg_padding_bytes": round(self.avg_padding, 2),
            "avg_tail_bytes": round(self.avg_tail, 2),
            "rows_per_page": round(self.rows_per_page, 2),
            "pages": self.pages,
            "bytes": self.bytes,
            "sample_pages": self.sample_pages,
        }


@dataclass(frozen=True, slots=True)
class Savings:
    """Pages and bytes each step saves (negative: it costs)."""

    reorder_pages: int
    reorder_bytes: int
    reorder_percent: float
    rebuild_pages: int | None  #: table now -> current order rebuilt; None when not measured
    rebuild_bytes: int | None
    rebuild_reasons: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "reorder": {
                "pages": self.reorder_pages,
                "bytes": self.reorder_bytes,
                "percent": round(self.reorder_percent, 2),
            },
            "rebuild_only": {
                "pages": self.rebuild_pages,
                "bytes": self.rebuild_bytes,
                "reasons": list(self.rebuild_reasons),
            },
        }


@dataclass(frozen=True, slots=True)
class Advice:
    table: str
    columns: tuple[Column, ...]
    sample: Sample
    current: Layout
    recommended: Layout
    alternatives: tuple[Layout, ...]
    #: no order (with the pinned columns first) gives a smaller mean row than this
    lower_bound_row_bytes: float
    proven_optimal: bool
    savings: Savings
    measured: Measured
    pinned: tuple[str, ...]
    search: dict[str, object]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "table": self.table,
            "sample": {
                "rows": self.sample.size,
                "table_rows": self.sample.table_rows,
                "method": self.sample.method,
                "quality": self.sample.quality,
            },
            "columns": [
                {
                    "name": c.name,
                    "type": c.typname,
                    "attlen": c.attlen,
                    "attalign": c.attalign,
                    "attstorage": c.attstorage,
                    "attnotnull": c.attnotnull,
                }
                for c in self.columns
            ],
            "current": self.current.to_json(),
            "recommended": self.recommended.to_json(),
            "alternatives": [a.to_json() for a in self.alternatives],
            "lower_bound": {
                "avg_row_bytes": round(self.lower_bound_row_bytes, 2),
                "proven_optimal": self.proven_optimal,
            },
            "pinned": list(self.pinned),
            "savings": self.savings.to_json(),
            "measured": {
                "pages": self.measured.pages,
                "live_rows": self.measured.live_rows,
                "dead_rows": self.measured.dead_rows,
                "avg_tuple_bytes": self.measured.avg_tuple_bytes,
                "free_bytes": self.measured.free_bytes,
                "source": self.measured.source,
            },
            "search": self.search,
            "notes": list(self.notes),
        }


# ----------------------------------------------------------------------------------------------


def cells(
    columns: Sequence[Column], rows: Sequence[Sequence[Value]]
) -> list[list[tuple[int, int]]]:
    """Rows as (alignment, size) pairs for the search (alignment 0: NULL, size 0)."""
    caches: list[dict[Value, tuple[int, int]]] = [{} for _ in columns]
    out = []
    for row in rows:
        cells_row = []
        for column, cache, value in zip(columns, caches, row, strict=True):
            cell = cache.get(value)
            if cell is None:
                cell = cache[value] = (value_alignment(column, value), value.size)
            cells_row.append(cell)
        out.append(cells_row)
    return out


def rewrite_rows(
    columns: Sequence[Column], rows: Sequence[Sequence[Value]]
) -> list[tuple[Value, ...]]:
    """Every value as INSERT ... SELECT writes it into a new table (:func:`rewritten`)."""
    caches: list[dict[Value, Value]] = [{} for _ in columns]
    out = []
    for row in rows:
        new = []
        for column, cache, value in zip(columns, caches, row, strict=True):
            done = cache.get(value)
            if done is None:
                done = cache[value] = rewritten(column, value)
            new.append(done)
        out.append(tuple(new))
    return out


def alignment_sort(columns: Sequence[Column]) -> list[int]:
    """The usual "column tetris" rule: fixed-width columns by alignment then length, both
    descending, then varlenas by alignment; ties keep the current order."""

    def key(j: int) -> tuple[int, int, int, int]:
        c = columns[j]
        fixed = 0 if c.attlen > 0 else 1
        return (fixed, -c.alignment, -max(c.attlen, 0), j)

    return sorted(range(len(columns)), key=key)


@dataclass(frozen=True, slots=True)
class Scored:
    """The sampled rows as the search scores them, and the rows the toaster may change.

    ``grid`` and ``hoffs`` hold every row rebuilt in the current order. A row that has a
    TOAST pointer, or that could be longer than TOAST_TUPLE_THRESHOLD in some order, goes
    through the toaster when it is copied (:func:`rebuild`), and what the toaster does may
    depend on the order, by a few bytes of padding at a threshold or a tie between two
    values: those rows (``toasted``) are rebuilt again for each order a layout reports.
    """

    grid: list[list[tuple[int, int]]]
    hoffs: list[int]
    #: rows whose toasting could depend on the order, and how it went in the current one
    toasted: tuple[tuple[int, Toasted], ...]


def score_rows(table: Table, sample: Sample) -> Scored:
    columns = sample.columns
    geometry = table.geometry
    natts = len(columns)
    current = range(natts)
    rows = rewrite_rows(columns, sample.rows)
    grid = cells(columns, rows)
    hoffs = [heap_t_hoff(natts, (0, 0) in cell_row, geometry.maxalign) for cell_row in grid]
    pointers = {v for v in set().union(*rows) if v.kind is Kind.EXTERNAL and v.fetched > 0}
    threshold = geometry.toast_tuple_threshold
    toasted = []
    for r, cell_row in enumerate(grid):
        # the longest the row can be in any order: every aligned value fully padded, that
        # is alignment - 1 bytes more than its size (NULLs are (0, 0))
        longest = hoffs[r] + sum(map(sum, cell_row)) - (natts - cell_row.count((0, 0)))
        if longest > threshold or not pointers.isdisjoint(rows[r]):
            result = rebuild(columns, sample.rows[r], current, geometry)
            grid[r] = cells(columns, [result.values])[0]
            hoffs[r] = heap_t_hoff(natts, (0, 0) in grid[r], geometry.maxalign)
            if not result.same_in_every_order:
                toasted.append((r, result))
    return Scored(grid, hoffs, tuple(toasted))


def _layout(
    name: str,
    table: Table,
    sample: Sample,
    scored: Scored,
    order: Sequence[int],
) -> Layout:
    columns = sample.columns
    geometry = table.geometry
    maxalign = geometry.maxalign
    grid, hoffs = scored.grid, scored.hoffs
    differently = 0
    if scored.toasted:
        grid, hoffs = list(grid), list(hoffs)
        natts = len(columns)
        alignments = [c.alignment for c in columns]
        for r, result in scored.toasted:
            if result.same_in(alignments, order):
                continue
            rebuilt = rebuilt_row(columns, sample.rows[r], order, geometry)
            cells_row = cells(columns, [rebuilt])[0]
            if cells_row != grid[r]:
                differently += 1
                grid[r] = cells_row
                hoffs[r] = heap_t_hoff(
                    natts, any(v.kind is Kind.NULL for v in rebuilt), geometry.maxalign
                )
    n = max(len(grid), 1)
    tuple_total = padding_total = tail_total = 0
    footprints = []
    lp_lens = []
    for row, hoff in zip(grid, hoffs, strict=True):
        offset = pad = 0
        for alignment, size in map(row.__getitem__, order):
            if alignment > 1:  # NULLs are (0, 0): they add nothing
                aligned = (offset + alignment - 1) & -alignment
                pad += aligned - offset
                offset = aligned + size
            else:
                offset += size
        lp_len = hoff + offset
        footprint = typealign(lp_len, maxalign)
        tuple_total += lp_len
        padding_total += pad
        tail_total += footprint - lp_len
        footprints.append(footprint)
        lp_lens.append(lp_len)
    fill = fill_pages(footprints, geometry)
    rows_per_page = fill.rows_per_page
    pages = (
        math.ceil(sample.table_rows / rows_per_page) if rows_per_page and sample.table_rows else 0
    )
    row_bytes = (sum(footprints) + C.SizeOfItemIdData * len(footprints)) / n
    return Layout(
        name=name,
        order=tuple(columns[j].name for j in order),
        avg_tuple_bytes=tuple_total / n,
        avg_row_bytes=row_bytes,
        avg_padding=padding_total / n,
        avg_tail=tail_total / n,
        rows_per_page=rows_per_page,
        pages=pages,
        bytes=pages * geometry.block_size,
        sample_pages=fill.pages,
        lp_lens=tuple(lp_lens),
        footprints=tuple(footprints),
        toasted_differently=differently,
    )


def advise(
    table: Table,
    sample: Sample,
    *,
    keep_first: Sequence[str] = (),
    measured: Measured | None = None,
    time_limit: float = 1.5,
) -> Advice:
    """Search the best order for ``sample`` and score it beside the current order.

    ``keep_first`` names columns that stay first, in that order (primary keys people look
    at, columns that must stay where tools expect them). ``time_limit`` is split between the
    CPU-friendly alternative (a quarter) and the recommended order.
    """
    columns = sample.columns
    names = [c.name for c in columns]
    for name in keep_first:
        if name not in names:
            raise SchemaError(
                f"--keep-first {name}: {table.name} has no column {name!r} "
                f"(columns: {', '.join(names)})"
            )
    if len(set(keep_first)) != len(keep_first):
        raise SchemaError("--keep-first names a column twice")
    if not sample.rows:
        raise SchemaError(f"{table.name} has no rows to score")
    prefix = [names.index(n) for n in keep_first]
    scored = score_rows(table, sample)
    grid = scored.grid
    problem = Problem(len(columns), grid)
    pinned = set(prefix)
    current_order = list(range(len(columns)))
    tetris = prefix + [j for j in alignment_sort(columns) if j not in pinned]

    # CPU-friendly: NOT NULL fixed-width columns right after the pinned ones, so that
    # their offsets can be cached (attcacheoff) and reached without walking the tuple
    fixed_nn = [
        j
        for j in range(len(columns))
        if j not in pinned
        and columns[j].attnotnull
        and columns[j].attlen > 0
        and not columns[j].always_null
    ]
    rest = [j for j in range(len(columns)) if j not in pinned and j not in fixed_nn]
    cpu = solve(
        problem,
        prefix=prefix,
        stages=[fixed_nn, rest],
        seeds={"current": current_order, "alignment sort": tetris},
        time_limit=time_limit / 4,
    )
    best = solve(
        problem,
        prefix=prefix,
        seeds={"current": current_order, "alignment sort": tetris, "cpu-friendly": list(cpu.order)},
        time_limit=time_limit * 3 / 4,
    )
    current = _layout("current", table, sample, scored, current_order)
    recommended = _layout("recommended", table, sample, scored, best.order)
    cpu_layout = _layout("cpu-friendly", table, sample, scored, cpu.order)
    tetris_layout = _layout("alignment sort", table, sample, scored, tetris)
    if recommended.avg_row_bytes > current.avg_row_bytes:
        # the search scored toasted rows as in the current order (a seed): in the order it
        # found, the toaster made some bigger
        recommended = _layout("recommended", table, sample, scored, current_order)
    n = len(grid)
    fixed_part = recommended.avg_row_bytes - best.waste / n
    lower = fixed_part + best.lower_bound / n
    proven = best.proven and recommended.toasted_differently == 0
    notes = list(sample.notes)
    differently = max(
        layout.toasted_differently for layout in (recommended, cpu_layout, tetris_layout)
    )
    if differently:
        notes.append(
            f"the toaster stores {differently} sampled row{'s' if differently != 1 else ''} "
            "differently in another column order (a value moves in or out of line); the "
            "search scored such rows as in the current order, the figures of each order "
            "are exact"
        )
    reorder_pages = current.pages - recommended.pages
    if recommended.avg_row_bytes < current.avg_row_bytes and reorder_pages <= 0:
        notes.append(
            f"the recommended order saves {current.avg_row_bytes - recommended.avg_row_bytes:.1f}"
            " bytes per row but no pages: rows per page stay the same, so reordering buys "
            "nothing on disk"
        )
    if cpu_layout.pages <= recommended.pages and cpu.waste <= best.waste:
        notes.append("the CPU-friendly order is as small as the recommended one")
    savings = _savings(table, current, recommended, measured or Measured())
    search = {
        "seconds": round(best.seconds + cpu.seconds, 3),
        "nodes": best.nodes + cpu.nodes,
        "complete": best.complete,
        "forced_first": [columns[j].name for j in best.forced],
        "candidates_waste_per_row": {k: round(v / n, 3) for k, v in best.candidates.items()},
    }
    return Advice(
        table=table.name,
        columns=columns,
        sample=sample,
        current=current,
        recommended=recommended,
        alternatives=(cpu_layout, tetris_layout),
        lower_bound_row_bytes=min(lower, recommended.avg_row_bytes),
        proven_optimal=proven,
        savings=savings,
        measured=measured or Measured(),
        pinned=tuple(keep_first),
        search=search,
        notes=tuple(notes),
    )


def _savings(table: Table, current: Layout, recommended: Layout, measured: Measured) -> Savings:
    block = table.geometry.block_size
    reorder_pages = current.pages - recommended.pages
    percent = 100.0 * reorder_pages / current.pages if current.pages else 0.0
    reasons = []
    dropped = [c.name for c in table.columns if c.attisdropped]
    if dropped:
        reasons.append(
            f"{len(dropped)} dropped column{'s' if len(dropped) != 1 else ''} still "
            "in every tuple (as data in old rows, as a NULL bit in new ones)"
        )
    missing = [c.name for c in table.columns if c.atthasmissing and not c.attisdropped]
    if missing:
        reasons.append(
            f"fast defaults of {', '.join(missing)} are not stored in old rows: a "
            "rebuild writes them (this part grows the table)"
        )
    if measured.dead_rows:
        reasons.append(f"{measured.dead_rows} dead rows")
    if measured.free_bytes:
        reasons.append(f"{measured.free_bytes} bytes of free space in the pages")
    rebuild_pages = None if measured.pages is None else measured.pages - current.pages
    return Savings(
        reorder_pages=reorder_pages,
        reorder_bytes=reorder_pages * block,
        reorder_percent=percent,
        rebuild_pages=rebuild_pages,
        rebuild_bytes=None if rebuild_pages is None else rebuild_pages * block,
        rebuild_reasons=tuple(reasons),
    )
