"""What the layout advisor reads from a live table: catalog facts, sampled sizes, statistics,
and the ``--verify`` scratch tables built from the sample and measured.

Only SELECT on the table and read access to the catalogs are needed to advise; ``--verify``
also needs TEMP (and CREATE on the database to measure WAL). Nothing is changed: scratch
objects live in one transaction that is always rolled back. This module fetches and never
models or decodes: the workflow (sample -> model -> search -> report -> verify) is
:mod:`pageinspect_py.app.advice`. Every failure becomes one :mod:`pageinspect_py.errors`
message; SQL lives in :mod:`pageinspect_py.sources.queries`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg import errors as pg

from pageinspect_py.errors import (
    ConnectionFailedError,
    NoStorageError,
    PrivilegeError,
    RelationNotFoundError,
    SourceError,
)
from pageinspect_py.page.raw import Chunk
from pageinspect_py.sources.connection import server_message
from pageinspect_py.sources.queries import advice as q
from pageinspect_py.sources.queries.definitions import ColumnDefinition, column_definitions
from pageinspect_py.sources.queries.pages import (
    AttributeRow,
    get_raw_pages,
    relation_attributes,
    relation_blocks,
    resolve_relation,
)
from pageinspect_py.sources.queries.server import (
    ServerInfo,
    Variants,
    choose_variants,
    extension,
    server_info,
)

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
#: pages of a scratch table read per round trip for ``--verify``
_SCRATCH_PAGES_PER_READ = 256

SampleMethod = Literal["BERNOULLI", "SYSTEM"]


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
            found = resolve_relation(conn, relation)
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
            leaves = q.leaf_partitions(conn, found.oid)
            if not leaves:
                raise NoStorageError(
                    f"{found.qualified_name} is a partitioned table without "
                    "partitions: there are no rows to advise on"
                )
            return [Target(p.oid, p.qualified_name, found.qualified_name) for p in leaves]
    what = _OTHER.get(found.relkind, f"of relkind {found.relkind!r}")
    raise NoStorageError(f"{found.qualified_name} is {what}: layout advice is for tables")


@dataclass(frozen=True, slots=True)
class TableCatalog:
    """What the catalog says about one table: the server, its facts, every attribute
    (dropped ones included: they still take their place in stored tuples), and the live
    columns as a re-creation would write them."""

    server: ServerInfo
    variants: Variants
    facts: q.TableFacts
    attributes: list[AttributeRow]
    columns: list[ColumnDefinition]


def read_table(conn: psycopg.Connection[Any], target: Target) -> TableCatalog:
    """The catalog of ``target``."""
    with server_errors(conn, f"reading the catalog of {target.name}"):
        server = server_info(conn)
        variants = choose_variants(server)
        facts = q.table_facts(conn, target.oid)
        if facts is None:
            raise RelationNotFoundError(f"{target.name} was dropped")
        attributes = relation_attributes(conn, target.oid)
        definitions = column_definitions(conn, variants, target.oid)
    return TableCatalog(server, variants, facts, attributes, definitions)


@contextmanager
def _reading(conn: psycopg.Connection[Any], name: str) -> Iterator[None]:
    """Errors reading the table's rows; a refusal becomes :class:`PrivilegeError` (the
    caller may then estimate from ``pg_stats``)."""
    with server_errors(conn, f"reading {name}"):
        try:
            yield
        except pg.InsufficientPrivilege as exc:
            raise PrivilegeError(server_message(exc)) from exc


def row_estimate(conn: psycopg.Connection[Any], facts: q.TableFacts, name: str) -> tuple[int, str]:
    """Rows in the table and how that was found: the planner's estimate scaled to the
    current size, or a count when the table was never VACUUMed or ANALYZEd."""
    if facts.reltuples > 0 and facts.relpages > 0:
        estimate = round(facts.reltuples / facts.relpages * facts.pages)
        return estimate, "reltuples scaled to the current size"
    if facts.pages == 0:
        return 0, "the table has no pages"
    with _reading(conn, name):
        counted = q.count_rows(conn, facts.nspname, facts.relname).n
    return counted, "count(*) (never VACUUMed or ANALYZEd)"


def sample_rows(
    conn: psycopg.Connection[Any],
    catalog: TableCatalog,
    name: str,
    columns: list[q.SampleColumn],
    method: SampleMethod | None,
    percent: float,
    seed: int,
) -> list[q.SampledRow]:
    """The stored sizes of a repeatable sample of rows (see :func:`queries.advice.sample_rows`)."""
    facts = catalog.facts
    with _reading(conn, name):
        return q.sample_rows(
            conn,
            catalog.variants,
            facts.nspname,
            facts.relname,
            columns,
            method,
            percent,
            seed,
        )


def column_stats(
    conn: psycopg.Connection[Any], facts: q.TableFacts, name: str
) -> list[q.ColumnStatsRow]:
    """``pg_stats`` of the table's columns (only those the role may SELECT)."""
    with server_errors(conn, f"reading pg_stats for {name}"):
        return q.column_stats(conn, facts.nspname, facts.relname)


def tuple_stats(conn: psycopg.Connection[Any], facts: q.TableFacts) -> q.TupleStats | None:
    """``pgstattuple``'s counts (it reads every page), or None when the extension is not
    installed or the role may not run it."""
    try:
        with server_errors(conn, "checking for pgstattuple"):
            ext = extension(conn, "pgstattuple")
        if ext.schema is None:
            return None
        with conn.transaction():
            return q.pgstattuple(conn, ext.schema, facts.oid)
    except (SourceError, psycopg.Error):
        return None


# ----------------------------------------------------------------------------------------------
# --verify: scratch tables


@dataclass(frozen=True, slots=True)
class ScratchOrder:
    """A column order to build: its layout's name and every live column in that order."""

    name: str
    order: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScratchTable:
    """One order built from the staged sample, as the server stored it."""

    name: str  #: the layout's name
    rows: int  #: rows inserted
    pages: int  #: main-fork blocks after the insert
    #: the table's pages (``get_raw_page``), or None when they are out of reach
    chunks: tuple[Chunk, ...] | None
    wal_bytes: int | None  #: WAL the insert wrote; None for temporary tables


@dataclass(frozen=True, slots=True)
class ScratchBuild:
    tables: tuple[ScratchTable, ...]
    staged_rows: int  #: rows of the sample when it was staged
    where: str  #: "scratch schema ... (rolled back)" / "temporary tables (rolled back)"
    pages_read: bool  #: whether :attr:`ScratchTable.chunks` are there
    notes: tuple[str, ...]
    #: why the pages were not read (None when they were)
    unread_because: str | None = None


class _Rollback(Exception):
    pass


def build_scratch(
    conn: psycopg.Connection[Any],
    catalog: TableCatalog,
    orders: Sequence[ScratchOrder],
    *,
    stored: Sequence[str],
    reloptions: Sequence[str],
    method: SampleMethod | None,
    percent: float,
    seed: int,
) -> ScratchBuild:
    """Build the sample in each of ``orders`` and measure what the server stored.

    Inside one transaction that is rolled back at the end: a scratch schema (``CREATE`` on
    the database; else temporary tables, whose inserts write no WAL) with a temporary stage
    table holding the sample (the same ``TABLESAMPLE ... REPEATABLE``) in physical order,
    then one table per order, filled from the stage with ``INSERT ... SELECT ... ORDER BY
    ctid`` (the same path and order for each). ``stored`` names the columns that hold data
    (not virtual generated ones); ``reloptions`` are applied to every table. Pages are sized
    by ``pg_relation_size`` and read with ``get_raw_page`` when the role is a superuser and
    pageinspect is installed.
    """
    facts = catalog.facts
    definitions = {d.attname: d for d in catalog.columns}
    notes: list[str] = []
    tables: list[ScratchTable] = []
    where = ""
    staged = 0
    read_variants, unread_because = _raw_page_variants(conn, catalog.server)
    stage = f"pgpage_stage_{os.getpid()}"
    try:
        with server_errors(conn, "building the scratch tables for --verify"), conn.transaction():
            wanted = f"pgpage_verify_{os.getpid()}"
            schema: str | None = wanted
            try:
                with conn.transaction():
                    q.create_schema(conn, wanted)
                where = f"scratch schema {wanted} (rolled back)"
            except pg.InsufficientPrivilege:
                schema = None
                where = "temporary tables (rolled back)"
                notes.append(
                    "no CREATE privilege on the database: temporary tables are not "
                    "WAL-logged, so WAL per row is not measured"
                )
            staged = q.stage_sample(
                conn, stage, facts.nspname, facts.relname, list(stored), method, percent, seed
            )
            for layout in orders:
                scratch = [
                    q.ScratchColumn(
                        name=n,
                        type=definitions[n].type,
                        collation=definitions[n].collation,
                        storage=definitions[n].storage_changed,
                        compression=definitions[n].compression,
                    )
                    for n in layout.order
                ]
                name = f"pgpage_{layout.name}_{os.getpid()}"
                regclass = q.create_scratch_table(
                    conn, schema, name, scratch, list(reloptions), temporary=schema is None
                )
                before = q.wal_insert_lsn(conn).lsn
                inserted = q.insert_from_stage(
                    conn, regclass, stage, [n for n in layout.order if n in stored]
                )
                after = q.wal_insert_lsn(conn).lsn
                wal = q.wal_diff(conn, after, before).bytes
                pages = relation_blocks(conn, regclass).nblocks or 0
                chunks = (
                    _read_pages(conn, read_variants, regclass, pages, catalog.server.block_size)
                    if read_variants is not None
                    else None
                )
                tables.append(
                    ScratchTable(layout.name, inserted, pages, chunks, wal if schema else None)
                )
            raise _Rollback
    except _Rollback:
        pass
    return ScratchBuild(
        tuple(tables), staged, where, read_variants is not None, tuple(notes), unread_because
    )


def _raw_page_variants(
    conn: psycopg.Connection[Any], server: ServerInfo
) -> tuple[Variants | None, str | None]:
    """The variants to read raw pages with, or None and why get_raw_page is out of reach
    (not a superuser, or pageinspect not installed in this database)."""
    if not server.is_superuser:
        return None, "get_raw_page needs a superuser"
    with server_errors(conn, "checking for pageinspect"):
        ext = extension(conn, "pageinspect")
    if ext.schema is None:
        return None, "pageinspect is not installed in this database (CREATE EXTENSION pageinspect)"
    return choose_variants(server, ext), None


def _read_pages(
    conn: psycopg.Connection[Any], variants: Variants, regclass: str, pages: int, block_size: int
) -> tuple[Chunk, ...]:
    out = []
    for first in range(0, pages, _SCRATCH_PAGES_PER_READ):
        last = min(first + _SCRATCH_PAGES_PER_READ, pages) - 1
        rows = get_raw_pages(conn, variants, regclass, "main", first, last)
        data = b"".join(row.page for row in rows)
        out.append(Chunk(first, data, "main", block_size))
    return tuple(out)
