"""Layout advice for a table on a live server: catalog, sample, measurements, ``--verify``.

Only SELECT on the table and read access to the catalogs are needed to advise; ``--verify``
also needs TEMP (and CREATE on the database to measure WAL). Nothing is changed: scratch
objects live in one transaction that is always rolled back. Every failure becomes one
:mod:`pageinspect_py.errors` message; SQL lives in :mod:`pageinspect_py.sources.queries`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import psycopg
from psycopg import errors as pg

from pageinspect_py.advice.advise import Advice, Layout, Measured
from pageinspect_py.advice.model import HEAP_DEFAULT_FILLFACTOR, Column, Geometry, Table
from pageinspect_py.advice.sample import (
    ColumnStats,
    Observed,
    Sample,
    build_sample,
    sample_from_stats,
)
from pageinspect_py.errors import (
    AdviceError,
    ConnectionFailedError,
    NoStorageError,
    PrivilegeError,
    RelationNotFoundError,
    SourceError,
)
from pageinspect_py.sources import queries
from pageinspect_py.sources.connection import server_message

#: relkinds with rows of their own whose column order a rebuild can change
_ADVISABLE = {"r": "table", "m": "materialized view"}
_OTHER = {
    "v": "a view (it stores no rows: advise the tables it reads)",
    "c": "a composite type (it stores no rows)",
    "f": "a foreign table (its rows live on the foreign server)",
    "S": "a sequence",
    "i": "an index (an index's column order is its definition)",
    "I": "a partitioned index",
    "t": "a TOAST table",
}
#: above this many pages, sample whole pages (SYSTEM) instead of reading every page
SYSTEM_SAMPLING_PAGES = 131_072  # 1 GB of 8 kB pages
#: pgstattuple reads every page: only on tables up to this many pages
PGSTATTUPLE_PAGES = 131_072


@contextmanager
def server_errors(conn: psycopg.Connection[Any], doing: str) -> Iterator[None]:
    """Any psycopg error left unhandled in the block becomes one SourceError line."""
    try:
        yield
    except psycopg.Error as exc:
        if conn.broken or conn.closed:
            raise ConnectionFailedError(
                f"lost the connection while {doing}: {server_message(exc)}"
            ) from exc
        raise SourceError(f"{doing}: {server_message(exc)}") from exc


@dataclass(frozen=True, slots=True)
class Target:
    oid: int
    name: str  #: qualified, quoted as needed
    partition_of: str | None = None


def resolve_targets(conn: psycopg.Connection[Any], relation: str) -> list[Target]:
    """The table(s) to advise: the relation itself, or every leaf partition of a
    partitioned table (each partition has its own column order and can be rebuilt alone)."""
    with server_errors(conn, f"looking up {relation!r}"):
        try:
            found = queries.resolve_relation(conn, relation)
        except (
            pg.UndefinedTable,
            pg.InvalidSchemaName,
            pg.SyntaxError,
            pg.InvalidName,
            pg.FeatureNotSupported,
        ) as exc:
            raise RelationNotFoundError(server_message(exc)) from exc
        except pg.InsufficientPrivilege as exc:
            raise PrivilegeError(
                f"{server_message(exc)}: looking up {relation!r} needs USAGE on its schema"
            ) from exc
        if found is None:
            raise RelationNotFoundError(f"no relation has OID {relation}")
        if found.relkind in _ADVISABLE:
            return [Target(found.oid, found.qualified_name)]
        if found.relkind == "p":
            leaves = queries.leaf_partitions(conn, found.oid)
            if not leaves:
                raise NoStorageError(
                    f"{found.qualified_name} is a partitioned table without "
                    "partitions: there are no rows to advise on"
                )
            return [Target(p.oid, p.qualified_name, found.qualified_name) for p in leaves]
    what = _OTHER.get(found.relkind, f"of relkind {found.relkind!r}")
    raise NoStorageError(f"{found.qualified_name} is {what}: layout advice is for tables")


@dataclass
class LiveTable:
    """One table on the server, its model and what the advisor learned about it."""

    conn: psycopg.Connection[Any]
    target: Target
    server: queries.ServerInfo
    variants: queries.AdviceVariants
    facts: queries.TableFacts
    columns: list[queries.ColumnDefinition]
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
    with server_errors(conn, f"reading the catalog of {target.name}"):
        server = queries.server_info(conn)
        variants = queries.choose_advice_variants(server)
        facts = queries.table_facts(conn, target.oid)
        if facts is None:
            raise RelationNotFoundError(f"{target.name} was dropped")
        attributes = queries.relation_attributes(conn, target.oid)
        definitions = queries.column_definitions(conn, variants, target.oid)
    generated = {d.attname: d.attgenerated for d in definitions}
    typstorage = {d.attname: d.typstorage for d in definitions}
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
        for a in attributes
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
    return LiveTable(
        conn, target, server, variants, facts, definitions, Table(target.name, columns, geometry)
    )


def _row_estimate(live: LiveTable) -> tuple[int, str]:
    """Rows in the table: the planner's estimate scaled to the current size, or a count
    (psycopg errors pass through: the caller knows what a refusal means)."""
    facts = live.facts
    if facts.reltuples > 0 and facts.relpages > 0:
        estimate = round(facts.reltuples / facts.relpages * facts.pages)
        return estimate, "reltuples scaled to the current size"
    if facts.pages == 0:
        return 0, "the table has no pages"
    counted = queries.count_rows(live.conn, facts.nspname, facts.relname).n
    return counted, "count(*) (never VACUUMed or ANALYZEd)"


def _observed(
    sizes: list[int | None],
    flags: list[int | None],
    raws: list[int | None],
    cache: dict[tuple[int | None, int | None, int | None], Observed],
) -> list[Observed]:
    """One sampled row as :class:`Observed` values; ``cache`` shares the (frozen) objects
    between rows, where the same sizes and flags come back again and again."""
    out = []
    for key in zip(sizes, flags, raws, strict=True):
        seen = cache.get(key)
        if seen is None:
            size, flag, raw = key
            f = flag or 0
            compressed = (
                bool(f & queries.SAMPLE_COMPRESSED)
                if f & queries.SAMPLE_COMPRESSION_KNOWN
                else None
            )
            external = (
                bool(f & queries.SAMPLE_EXTERNAL) if f & queries.SAMPLE_EXTERNAL_KNOWN else None
            )
            header4 = bool(f & queries.SAMPLE_HEADER4) if f & queries.SAMPLE_HEADER_KNOWN else None
            seen = cache[key] = Observed(size, compressed, external, header4, raw)
        out.append(seen)
    return out


def take_sample(live: LiveTable, sample_rows: int, seed: int) -> Sample:
    """Measure a repeatable sample of rows; without SELECT, estimate from ``pg_stats``."""
    table = live.table
    live_columns = table.live
    facts = live.facts
    types = {d.attname: d.type for d in live.columns}
    columns = [
        queries.SampleColumn(
            c.name,
            c.attlen == -1,
            c.always_null,
            c.typname in queries.OCTET_LENGTH_TYPES,
            # format_type writes an array type as "<element>[]"
            array=types.get(c.name, "").endswith("]"),
        )
        for c in live_columns
    ]
    method: Literal["BERNOULLI", "SYSTEM"] | None = None
    percent = 100.0
    try:
        with server_errors(live.conn, f"reading {live.name}"):
            try:
                rows_total, how = _row_estimate(live)
                if rows_total <= 0:
                    raise AdviceError(
                        f"{live.name} has no rows ({how}): there is nothing to "
                        "measure; load representative data first"
                    )
                if rows_total > sample_rows:
                    method = "SYSTEM" if facts.pages > SYSTEM_SAMPLING_PAGES else "BERNOULLI"
                    percent = min(100.0, 100.0 * sample_rows / rows_total)
                while True:
                    rows = queries.sample_rows(
                        live.conn,
                        live.variants,
                        facts.nspname,
                        facts.relname,
                        columns,
                        method,
                        percent,
                        seed,
                    )
                    if rows or method is None or percent >= 100.0:
                        break
                    percent = min(100.0, percent * 10)  # the sample came back empty
            except pg.InsufficientPrivilege as exc:
                raise PrivilegeError(server_message(exc)) from exc
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
        (_observed(r.sizes, r.flags, r.raws, cache) for r in rows),
        table.geometry,
        table_rows=max(rows_total, len(rows)),
        method=described,
        notes=notes,
    )


def _stats_estimate(live: LiveTable, rows_total: int, why: str) -> Sample:
    facts = live.facts
    with server_errors(live.conn, f"reading pg_stats for {live.name}"):
        stats = queries.column_stats(live.conn, facts.nspname, facts.relname)
    if not stats:
        raise PrivilegeError(
            f"role {live.server.user} may not read {live.name} ({why}) and pg_stats shows "
            "nothing for it (it only shows columns the role may SELECT, after ANALYZE): "
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
    facts = live.facts
    conn = live.conn
    stats = None
    if facts.pages <= PGSTATTUPLE_PAGES:
        try:
            with server_errors(conn, "checking for pgstattuple"):
                ext = queries.extension(conn, "pgstattuple")
            if ext.schema is not None:
                with conn.transaction():
                    stats = queries.pgstattuple(conn, ext.schema, facts.oid)
        except (SourceError, psycopg.Error):
            stats = None
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
# --verify


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
    tuple_source: str  #: how lp_len was read
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "where": self.where,
            "tuple_lengths_from": self.tuple_source,
            "layouts": [v.to_json() for v in self.layouts],
            "notes": list(self.notes),
        }


class _Rollback(Exception):
    pass


def verify(live: LiveTable, advice: Advice) -> Verification:
    """Build the sampled rows in the current and the recommended order and measure them.

    Inside one transaction that is rolled back at the end: a scratch schema (``CREATE`` on
    the database; else temporary tables, whose inserts write no WAL) with a temporary stage
    table holding the sample in physical order, then one table per order, filled from the
    stage with INSERT ... SELECT ... ORDER BY ctid (the same path and order for both).
    Pages come from ``pg_relation_size``; tuple lengths from the pages themselves (read with
    ``get_raw_page`` and our decoder) when the role is a superuser and pageinspect is there.
    """
    if advice.sample.quality != "exact":
        raise AdviceError("--verify needs rows it can read: the advice was estimated from pg_stats")
    conn = live.conn
    facts = live.facts
    notes: list[str] = []
    result: list[VerifiedLayout] = []
    where = tuple_source = ""
    stage = f"pgpage_stage_{os.getpid()}"
    live_defs = {d.attname: d for d in live.columns}
    stored = [c.name for c in live.table.live if c.generated != "v"]
    reloptions = [
        o
        for o in facts.reloptions or []
        if o.partition("=")[0] in ("fillfactor", "toast_tuple_target")
    ]
    try:
        with server_errors(conn, "building the scratch tables for --verify"), conn.transaction():
            wanted = f"pgpage_verify_{os.getpid()}"
            schema: str | None = wanted
            try:
                with conn.transaction():
                    queries.create_schema(conn, wanted)
                where = f"scratch schema {wanted} (rolled back)"
            except pg.InsufficientPrivilege:
                schema = None
                where = "temporary tables (rolled back)"
                notes.append(
                    "no CREATE privilege on the database: temporary tables are not "
                    "WAL-logged, so WAL per row is not measured"
                )
            rows = queries.stage_sample(
                conn,
                stage,
                facts.nspname,
                facts.relname,
                stored,
                live.sample_method,
                live.sample_percent,
                live.seed,
            )
            if rows != advice.sample.size:
                notes.append(
                    f"the sample has {rows} rows now, {advice.sample.size} when "
                    "advised: the table changed in between"
                )
            pages_reader = _page_reader(conn, live)
            tuple_source = (
                "get_raw_page + pgpage's decoder"
                if pages_reader
                else "not read (needs a superuser with pageinspect)"
            )
            for layout in (advice.current, advice.recommended):
                scratch = [
                    queries.ScratchColumn(
                        name=n,
                        type=live_defs[n].type,
                        collation=live_defs[n].collation,
                        storage=live_defs[n].storage_changed,
                        compression=live_defs[n].compression,
                    )
                    for n in layout.order
                ]
                name = f"pgpage_{layout.name}_{os.getpid()}"
                regclass = queries.create_scratch_table(
                    conn, schema, name, scratch, reloptions, temporary=schema is None
                )
                before = queries.wal_insert_lsn(conn).lsn
                inserted = queries.insert_from_stage(
                    conn, regclass, stage, [n for n in layout.order if n in stored]
                )
                after = queries.wal_insert_lsn(conn).lsn
                wal = queries.wal_diff(conn, after, before).bytes
                pages = queries.relation_blocks(conn, regclass).nblocks or 0
                lengths = pages_reader(regclass, pages) if pages_reader else None
                result.append(
                    _verified(
                        layout,
                        inserted,
                        pages,
                        lengths,
                        wal / inserted if schema and inserted else None,
                    )
                )
            raise _Rollback
    except _Rollback:
        pass
    if live.table.geometry.fillfactor != HEAP_DEFAULT_FILLFACTOR:
        notes.append(f"fillfactor {live.table.geometry.fillfactor} is applied to both")
    return Verification(tuple(result), where, tuple_source, tuple(notes))


def _verified(
    layout: Layout, rows: int, pages: int, lengths: list[int] | None, wal_per_row: float | None
) -> VerifiedLayout:
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
        wal_bytes_per_row=wal_per_row,
    )


PageReader = Callable[[str, int], list[int]]


def _page_reader(conn: psycopg.Connection[Any], live: LiveTable) -> PageReader | None:
    """A function (regclass, pages) -> lp_len of every normal tuple, or None when
    get_raw_page is out of reach (pageinspect missing, or not a superuser)."""
    if not live.server.is_superuser:
        return None
    ext = queries.extension(conn, "pageinspect")
    if ext.schema is None:
        return None
    variants = queries.choose_variants(live.server, ext)

    def read(regclass: str, pages: int) -> list[int]:
        from pageinspect_py.decode.dispatch import decode_page
        from pageinspect_py.decode.heap import HeapPage
        from pageinspect_py.page.raw import RawPage

        lengths: list[int] = []
        for blkno in range(pages):
            raw = queries.get_raw_page(conn, variants, regclass, "main", blkno).page
            page = decode_page(RawPage(blkno, raw, "main", f"{regclass} block {blkno}", False))
            if isinstance(page, HeapPage):
                lengths.extend(item.lp.lp_len for item in page.items if item.tuple is not None)
        return lengths

    return read
