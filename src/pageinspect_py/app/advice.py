"""``pgpage layout-advice``: sample -> model -> search -> report -> verify.

:func:`layout_advice` is the use case. On a relation file (``--schema``) it decodes the
file's pages into a sample; on a live server it reads the catalog and a sample through
:mod:`pageinspect_py.sources.live_advice`, builds the storage model, lets
:mod:`pageinspect_py.advice` search for the best order, and, on request, writes the migration
(:mod:`pageinspect_py.app.migration`) and builds both orders in scratch tables to measure
them. It returns typed reports, one per table, and notices for stderr; it prints nothing.

psycopg is imported only on the live path, inside the functions that need it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pageinspect_py.advice.advise import Advice, Layout, Measured, advise
from pageinspect_py.advice.model import HEAP_DEFAULT_FILLFACTOR, Column, Geometry, Table
from pageinspect_py.advice.sample import (
    ColumnStats,
    Observed,
    Sample,
    build_sample,
    sample_from_stats,
)
from pageinspect_py.errors import AdviceError, PrivilegeError, SchemaError, SourceError

if TYPE_CHECKING:
    import psycopg

    from pageinspect_py.catalog.attributes import RelationDescription
    from pageinspect_py.decode.heap import HeapTupleHeader
    from pageinspect_py.sources.live_advice import ScratchTable, TableCatalog, Target
    from pageinspect_py.sources.queries.advice import SampledRow

#: above this many pages, sample whole pages (SYSTEM) instead of reading every page
SYSTEM_SAMPLING_PAGES = 131_072  # 1 GB of 8 kB pages
#: pgstattuple reads every page: only on tables up to this many pages
PGSTATTUPLE_PAGES = 131_072


# ----------------------------------------------------------------------------------------------
# Reports


@dataclass(frozen=True, slots=True)
class VerifiedLayout:
    """One order built for real in a scratch table."""

    name: str
    rows: int
    pages: int
    predicted_pages: int
    rows_per_page: float
    predicted_rows_per_page: float
    avg_tuple_bytes: float | None  #: mean lp_len read from the pages
    predicted_avg_tuple_bytes: float
    tuples_matched: int | None  #: rows whose lp_len equals the prediction (pages read)
    wal_bytes_per_row: float | None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "rows": self.rows,
            "pages": self.pages,
            "predicted_pages": self.predicted_pages,
            "rows_per_page": round(self.rows_per_page, 2),
            "predicted_rows_per_page": round(self.predicted_rows_per_page, 2),
            "avg_tuple_bytes": None
            if self.avg_tuple_bytes is None
            else round(self.avg_tuple_bytes, 2),
            "predicted_avg_tuple_bytes": round(self.predicted_avg_tuple_bytes, 2),
            "tuples_matching_prediction": self.tuples_matched,
            "wal_bytes_per_row": None
            if self.wal_bytes_per_row is None
            else round(self.wal_bytes_per_row, 1),
        }


@dataclass(frozen=True, slots=True)
class Verification:
    layouts: tuple[VerifiedLayout, ...]
    where: str  #: "a scratch schema" / "temporary tables"
    tuple_source: str | None  #: how lp_len was read (None: not read)
    notes: tuple[str, ...]
    unread_because: str | None = None  #: why the tuple lengths were not read

    def to_json(self) -> dict[str, object]:
        return {
            "where": self.where,
            "tuple_lengths_from": self.tuple_source,
            "tuple_lengths_not_read": self.unread_because,
            "layouts": [v.to_json() for v in self.layouts],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class TableAdvice:
    """The advice for one table (one partition of a partitioned table)."""

    advice: Advice
    ddl: str | None  #: the migration script (``--sql``)
    verification: Verification | None  #: ``--verify``
    partition_of: str | None


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to tell the user on stderr while the work goes on."""

    message: str


# ----------------------------------------------------------------------------------------------
# The use case


def layout_advice(
    target: str,
    *,
    dsn: str | None,
    schema_file: str | None,
    sample_rows: int,
    seed: int,
    keep_first: Sequence[str],
    want_sql: bool,
    want_verify: bool,
    search_seconds: float,
    description: RelationDescription | None = None,
    visible: Callable[[HeapTupleHeader], bool] | None = None,
    force: bool = False,
) -> Iterator[TableAdvice | Notice]:
    """Advise on ``target`` (a relation file with ``schema_file``, else a table on the
    server ``dsn`` names), report by report as each table is done. Errors raise
    :class:`~pageinspect_py.errors.PageInspectError`."""
    if schema_file is not None or description is not None:
        if want_sql or want_verify:
            raise AdviceError(
                "--sql and --verify need the table on a server (--dsn); offline the advice "
                "is computed from a relation file"
            )
        schema = schema_file if schema_file is not None else description
        assert schema is not None
        yield advise_file(target, schema, keep_first, search_seconds, visible, force=force)
        return
    if dsn is None and Path(target).is_file():
        raise SourceError(
            f"{target} is a file: give --schema FILE to advise on a copied "
            "relation file, or --dsn DSN and a table name"
        )
    yield from advise_live(
        target,
        dsn,
        sample_rows=sample_rows,
        seed=seed,
        keep_first=keep_first,
        want_sql=want_sql,
        want_verify=want_verify,
        search_seconds=search_seconds,
    )


def advise_file(
    path: str,
    schema: str | RelationDescription,
    keep_first: Sequence[str],
    search_seconds: float,
    visible: Callable[[HeapTupleHeader], bool] | None = None,
    *,
    force: bool = False,
) -> TableAdvice:
    """Advice from the live tuples of a relation file described by ``schema`` (a schema
    file, or a description read from a data directory's catalogs, whose pg_xact then says
    which tuples are live: ``visible``)."""
    from pageinspect_py.advice.offline import rows_from_pages, table_from_description
    from pageinspect_py.catalog.schema import load_schema
    from pageinspect_py.decode.dispatch import decode_page
    from pageinspect_py.decode.heap import HeapPage
    from pageinspect_py.sources.file import FileSource

    desc = (
        load_schema(schema, relation_file=path, force=force) if isinstance(schema, str) else schema
    )
    with FileSource(path) as source:
        pages = (decode_page(raw) for raw in source.pages("main"))
        heap_pages = (p for p in pages if isinstance(p, HeapPage))
        found = rows_from_pages(desc, heap_pages, source.block_size, visible)
    if not found.sample.rows:
        raise AdviceError(
            f"{path}: no live tuples in the file (dead-looking: "
            f"{found.skipped_dead}, damaged: {found.skipped_damaged}): there is "
            "nothing to measure"
        )
    table = table_from_description(desc, source.block_size)
    advice = advise(
        table,
        found.sample,
        keep_first=list(keep_first),
        measured=found.measured,
        time_limit=search_seconds,
    )
    return TableAdvice(advice, None, None, None)


def advise_live(
    relation: str,
    dsn: str | None,
    *,
    sample_rows: int,
    seed: int,
    keep_first: Sequence[str],
    want_sql: bool,
    want_verify: bool,
    search_seconds: float,
) -> Iterator[TableAdvice | Notice]:
    """Advice for a table on a server, or for each leaf partition of a partitioned one."""
    from pageinspect_py.sources.connection import connect
    from pageinspect_py.sources.live_advice import resolve_targets

    conn = connect(dsn)
    try:
        targets = resolve_targets(conn, relation)
        partitioned = targets[0].partition_of
        if partitioned:
            yield Notice(
                f"{partitioned} is partitioned: advising each of its "
                f"{len(targets)} partitions (each has its own column order)"
            )
        advised = 0
        for target in targets:
            table = open_table(conn, target)
            try:
                sample = take_sample(table, sample_rows, seed)
            except AdviceError as exc:
                if not partitioned:
                    raise
                yield Notice(f"skipping {target.name}: {exc}")
                continue
            measured = measure(table, sample.table_rows)
            try:
                advice = advise(
                    table.table,
                    sample,
                    keep_first=list(keep_first),
                    measured=measured,
                    time_limit=search_seconds,
                )
            except SchemaError as exc:
                raise AdviceError(str(exc)) from exc
            ddl = migration(table, advice) if want_sql else None
            verified = verify(table, advice) if want_verify else None
            yield TableAdvice(advice, ddl, verified, target.partition_of)
            advised += 1
        if not advised:
            raise AdviceError(f"no partition of {partitioned} has rows to advise on")
    finally:
        conn.close()


# ----------------------------------------------------------------------------------------------
# One live table: its model, its sample, its measurements


@dataclass
class LiveTable:
    """One table on the server, its model and what the advisor learned about it."""

    conn: psycopg.Connection[Any]
    target: Target
    catalog: TableCatalog
    table: Table
    sample_method: Literal["BERNOULLI", "SYSTEM"] | None = None
    sample_percent: float = 100.0
    seed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.target.name


def _reloption(options: list[str] | None, name: str) -> str | None:
    for option in options or []:
        key, _, value = option.partition("=")
        if key == name:
            return value
    return None


def open_table(conn: psycopg.Connection[Any], target: Target) -> LiveTable:
    """Read the catalog of ``target`` into a storage model."""
    from pageinspect_py.sources.live_advice import read_table

    catalog = read_table(conn, target)
    facts = catalog.facts
    generated = {d.attname: d.attgenerated for d in catalog.columns}
    typstorage = {d.attname: d.typstorage for d in catalog.columns}
    columns = tuple(
        Column(
            name=a.attname,
            attnum=a.attnum,
            typname=a.typname or "-",
            attlen=a.attlen,
            attalign=a.attalign,
            attstorage=a.attstorage,
            attnotnull=a.attnotnull,
            attisdropped=a.attisdropped,
            atthasmissing=a.atthasmissing,
            generated=generated.get(a.attname, "") if not a.attisdropped else "",
            typstorage=typstorage.get(a.attname, "") if not a.attisdropped else "",
        )
        for a in catalog.attributes
    )
    if not any(not c.attisdropped for c in columns):
        raise AdviceError(f"{target.name} has no columns: there is no order to advise")
    fillfactor = _reloption(facts.reloptions, "fillfactor")
    toast_target = _reloption(facts.reloptions, "toast_tuple_target")
    geometry = Geometry(
        block_size=facts.block_size,
        fillfactor=int(fillfactor) if fillfactor else HEAP_DEFAULT_FILLFACTOR,
        toast_tuple_target=int(toast_target) if toast_target else None,
        has_toast_table=facts.has_toast_table,
    )
    return LiveTable(conn, target, catalog, Table(target.name, columns, geometry))


def _observed(
    row: SampledRow, cache: dict[tuple[int | None, int | None, int | None], Observed]
) -> list[Observed]:
    """One sampled row as :class:`Observed` values; ``cache`` shares the (frozen) objects
    between rows, where the same sizes and flags come back again and again."""
    from pageinspect_py.sources.queries.advice import sample_flags

    out = []
    for key in zip(row.sizes, row.flags, row.raws, strict=True):
        seen = cache.get(key)
        if seen is None:
            size, flag, raw = key
            compressed, external, header4 = sample_flags(flag)
            seen = cache[key] = Observed(size, compressed, external, header4, raw)
        out.append(seen)
    return out


def take_sample(live: LiveTable, sample_rows: int, seed: int) -> Sample:
    """Measure a repeatable sample of rows; without SELECT, estimate from ``pg_stats``."""
    from pageinspect_py.sources import live_advice as source
    from pageinspect_py.sources.queries.advice import OCTET_LENGTH_TYPES, SampleColumn

    table = live.table
    live_columns = table.live
    facts = live.catalog.facts
    types = {d.attname: d.type for d in live.catalog.columns}
    columns = [
        SampleColumn(
            c.name,
            c.attlen == -1,
            c.always_null,
            c.typname in OCTET_LENGTH_TYPES,
            # format_type writes an array type as "<element>[]"
            array=types.get(c.name, "").endswith("]"),
        )
        for c in live_columns
    ]
    method: Literal["BERNOULLI", "SYSTEM"] | None = None
    percent = 100.0
    try:
        rows_total, how = source.row_estimate(live.conn, facts, live.name)
        if rows_total <= 0:
            raise AdviceError(
                f"{live.name} has no rows ({how}): there is nothing to "
                "measure; load representative data first"
            )
        if rows_total > sample_rows:
            method = "SYSTEM" if facts.pages > SYSTEM_SAMPLING_PAGES else "BERNOULLI"
            percent = min(100.0, 100.0 * sample_rows / rows_total)
        while True:
            rows = source.sample_rows(
                live.conn, live.catalog, live.name, columns, method, percent, seed
            )
            if rows or method is None or percent >= 100.0:
                break
            percent = min(100.0, percent * 10)  # the sample came back empty
    except PrivilegeError as exc:
        estimate = round(facts.reltuples) if facts.reltuples > 0 else 0
        return _stats_estimate(live, estimate, str(exc))
    if not rows:
        raise AdviceError(
            f"{live.name} has no visible rows (estimated {rows_total}: {how}); "
            "there is nothing to measure"
        )
    live.sample_method, live.sample_percent, live.seed = method, percent, seed
    described = (
        "all rows"
        if method is None
        else f"TABLESAMPLE {method} ({percent:.4g}%) REPEATABLE ({seed})"
    )
    notes = []
    if method == "SYSTEM":
        notes.append(
            "SYSTEM sampling takes whole pages: rows that sit together are sampled together"
        )
    cache: dict[tuple[int | None, int | None, int | None], Observed] = {}
    return build_sample(
        live_columns,
        (_observed(r, cache) for r in rows),
        table.geometry,
        table_rows=max(rows_total, len(rows)),
        method=described,
        notes=notes,
    )


def _stats_estimate(live: LiveTable, rows_total: int, why: str) -> Sample:
    from pageinspect_py.sources.live_advice import column_stats

    stats = column_stats(live.conn, live.catalog.facts, live.name)
    if not stats:
        raise PrivilegeError(
            f"role {live.catalog.server.user} may not read {live.name} ({why}) and pg_stats "
            "shows nothing for it (it only shows columns the role may SELECT, after ANALYZE): "
            "GRANT SELECT on the table, or run as its owner"
        )
    if rows_total <= 0:
        raise AdviceError(
            f"{live.name}: no rows could be read ({why}) and pg_class.reltuples "
            "does not know how many there are (never ANALYZEd)"
        )
    by_name = {s.attname: ColumnStats(s.null_frac, s.avg_width) for s in stats}
    return sample_from_stats(
        live.table.live,
        by_name,
        live.table.geometry,
        table_rows=rows_total,
        notes=[f"could not sample ({why})"],
    )


def measure(live: LiveTable, rows_total: int) -> Measured:
    """The table as it is now: its pages, and pgstattuple's counts when available."""
    from pageinspect_py.sources.live_advice import tuple_stats

    facts = live.catalog.facts
    stats = tuple_stats(live.conn, facts) if facts.pages <= PGSTATTUPLE_PAGES else None
    if stats is not None:
        return Measured(
            pages=facts.pages,
            live_rows=stats.tuple_count,
            dead_rows=stats.dead_tuple_count,
            avg_tuple_bytes=stats.tuple_len / stats.tuple_count if stats.tuple_count else None,
            free_bytes=stats.free_space,
            source="pg_relation_size, pgstattuple",
        )
    return Measured(
        pages=facts.pages,
        live_rows=rows_total,
        dead_rows=facts.n_dead_tup,
        source="pg_relation_size, pg_stat_all_tables",
    )


# ----------------------------------------------------------------------------------------------
# --sql


def migration(live: LiveTable, advice: Advice) -> str:
    """The migration script to the recommended order (a comment when there is nothing to
    migrate). Empties the session's search_path (see ``sources.live_definitions``)."""
    from pageinspect_py.app.migration import migration_sql
    from pageinspect_py.sources.live_definitions import gather

    if advice.recommended.order == advice.current.order:
        return (
            f"-- {live.name}: the current column order is already the recommended "
            "one; there is nothing to migrate\n"
        )
    facts = gather(live.conn, live.catalog, live.name)
    return migration_sql(facts, advice.recommended.order, live.catalog.server.version).sql


# ----------------------------------------------------------------------------------------------
# --verify


def verify(live: LiveTable, advice: Advice) -> Verification:
    """Build the sampled rows in the current and the recommended order and measure them
    (``sources.live_advice.build_scratch``: scratch tables in a transaction rolled back).
    Pages come from ``pg_relation_size``; tuple lengths from the pages themselves, decoded
    by pgpage, when the role may read them with ``get_raw_page``."""
    from pageinspect_py.sources.live_advice import ScratchOrder, build_scratch

    if advice.sample.quality != "exact":
        raise AdviceError("--verify needs rows it can read: the advice was estimated from pg_stats")
    facts = live.catalog.facts
    layouts = (advice.current, advice.recommended)
    built = build_scratch(
        live.conn,
        live.catalog,
        [ScratchOrder(layout.name, tuple(layout.order)) for layout in layouts],
        stored=[c.name for c in live.table.live if c.generated != "v"],
        reloptions=[
            o
            for o in facts.reloptions or []
            if o.partition("=")[0] in ("fillfactor", "toast_tuple_target")
        ],
        method=live.sample_method,
        percent=live.sample_percent,
        seed=live.seed,
    )
    notes = list(built.notes)
    if built.staged_rows != advice.sample.size:
        notes.append(
            f"the sample has {built.staged_rows} rows now, {advice.sample.size} when "
            "advised: the table changed in between"
        )
    if live.table.geometry.fillfactor != HEAP_DEFAULT_FILLFACTOR:
        notes.append(f"fillfactor {live.table.geometry.fillfactor} is applied to both")
    tuple_source = "get_raw_page + pgpage's decoder" if built.pages_read else None
    result = tuple(
        _verified(layout, scratch) for layout, scratch in zip(layouts, built.tables, strict=True)
    )
    return Verification(result, built.where, tuple_source, tuple(notes), built.unread_because)


def _tuple_lengths(scratch: ScratchTable) -> list[int] | None:
    """lp_len of every normal tuple of the scratch table's pages (None: pages not read)."""
    if scratch.chunks is None:
        return None
    from pageinspect_py.decode.dispatch import decode_page
    from pageinspect_py.decode.heap import HeapPage
    from pageinspect_py.page.raw import RawPage

    lengths: list[int] = []
    for chunk in scratch.chunks:
        for i in range(chunk.count):
            blkno = chunk.first + i
            raw = RawPage(blkno, chunk.page(i), "main", f"{scratch.name} block {blkno}", False)
            page = decode_page(raw)
            if isinstance(page, HeapPage):
                lengths.extend(item.lp.lp_len for item in page.items if item.tuple is not None)
    return lengths


def _verified(layout: Layout, scratch: ScratchTable) -> VerifiedLayout:
    rows, pages = scratch.rows, scratch.pages
    lengths = _tuple_lengths(scratch)
    matched = None
    avg = None
    if lengths is not None:
        # insertion order is not ctid order once the FSM sends a row back to an earlier
        # page: compare the two multisets of lengths
        avg = sum(lengths) / len(lengths) if lengths else 0.0
        matched = sum(
            1 for a, b in zip(sorted(lengths), sorted(layout.lp_lens), strict=False) if a == b
        )
    predicted_rpp = len(layout.footprints) / layout.sample_pages if layout.sample_pages else 0.0
    wal = scratch.wal_bytes
    return VerifiedLayout(
        name=layout.name,
        rows=rows,
        pages=pages,
        predicted_pages=layout.sample_pages,
        rows_per_page=rows / pages if pages else 0.0,
        predicted_rows_per_page=predicted_rpp,
        avg_tuple_bytes=avg,
        predicted_avg_tuple_bytes=layout.avg_tuple_bytes,
        tuples_matched=matched,
        wal_bytes_per_row=wal / rows if wal is not None and rows else None,
    )
