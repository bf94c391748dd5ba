"""What the layout advisor measures on a live table: facts about it, a sample of the stored
size of every value, ``pg_stats``, ``pgstattuple``, and the ``--verify`` scratch tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from psycopg import Connection, sql

from pageinspect_py.sources.queries.run import many, one, optional
from pageinspect_py.sources.queries.server import Variants


@dataclass(frozen=True, slots=True)
class TableFacts:
    """``pg_class`` and statistics facts about a table the advisor needs."""

    oid: int
    nspname: str
    relname: str
    relkind: str
    relpersistence: str
    relispartition: bool
    relhassubclass: bool
    reltuples: float  #: -1 (14+) or 0 (12-13) when never VACUUMed or ANALYZEd
    relpages: int
    pages: int  #: pg_relation_size / block_size, now
    block_size: int
    reloptions: list[str] | None
    toast_reloptions: list[str] | None
    has_toast_table: bool
    may_select: bool  #: has_table_privilege(..., 'SELECT')
    n_live_tup: int | None
    n_dead_tup: int | None


def table_facts(conn: Connection[Any], oid: int) -> TableFacts | None:
    """Facts about table ``oid``; None when it is gone.

    ``pg_stat_all_tables`` counters are the statistics collector's (approximate, and NULL
    without a row). ``has_table_privilege`` is true when *all* columns may be selected.
    """
    return optional(
        conn,
        """
        SELECT c.oid::int8 AS oid, n.nspname::text AS nspname, c.relname::text AS relname,
               c.relkind::text AS relkind, c.relpersistence::text AS relpersistence,
               c.relispartition, c.relhassubclass,
               c.reltuples::float8 AS reltuples, c.relpages::int8 AS relpages,
               (pg_catalog.pg_relation_size(c.oid)
                  / pg_catalog.current_setting('block_size')::int8) AS pages,
               pg_catalog.current_setting('block_size')::int AS block_size,
               c.reloptions::text[] AS reloptions, t.reloptions::text[] AS toast_reloptions,
               c.reltoastrelid <> 0 AS has_toast_table,
               pg_catalog.has_table_privilege(c.oid, 'SELECT') AS may_select,
               s.n_live_tup::int8 AS n_live_tup, s.n_dead_tup::int8 AS n_dead_tup
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid
        LEFT JOIN pg_catalog.pg_stat_all_tables s ON s.relid = c.oid
        WHERE c.oid = %s::pg_catalog.oid
        """,
        (oid,),
        TableFacts,
    )


@dataclass(frozen=True, slots=True)
class LeafPartition:
    oid: int
    qualified_name: str


def leaf_partitions(conn: Connection[Any], oid: int) -> list[LeafPartition]:
    """Leaf partitions under partitioned table ``oid`` (``pg_partition_tree``, 12+), by level
    then name; partitioned sub-partitions are walked through."""
    return many(
        conn,
        """
        SELECT p.relid::int8 AS oid,
               pg_catalog.quote_ident(n.nspname) || '.'
                 || pg_catalog.quote_ident(c.relname) AS qualified_name
        FROM pg_catalog.pg_partition_tree(%s::pg_catalog.oid::pg_catalog.regclass) p
        JOIN pg_catalog.pg_class c ON c.oid = p.relid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE p.isleaf
        ORDER BY p.level, 2
        """,
        (oid,),
        LeafPartition,
    )


@dataclass(frozen=True, slots=True)
class RowCount:
    n: int


def count_rows(conn: Connection[Any], nspname: str, relname: str) -> RowCount:
    """``count(*)`` of the table's own rows (``ONLY``: not its inheritance children)."""
    query = sql.SQL("SELECT count(*)::int8 AS n FROM ONLY {}").format(
        sql.Identifier(nspname, relname)
    )
    return one(conn, query, (), RowCount)


@dataclass(frozen=True, slots=True)
class SampledRow:
    """One sampled row: per live column ``pg_column_size`` (None: NULL) and flags.

    flags: bit 0 compressed, bit 1 TOAST pointer, bit 2 "compression known", bit 3
    "TOAST pointer known" (the functions that tell exist from 14 and 17), bit 4 "4-byte
    header", bit 5 "header known" (text-like types, from octet_length).
    """

    sizes: list[int | None]
    flags: list[int | None]
    #: before 17 only, per varlena that may be compressed (every text-like one): VARSIZE of
    #: the value detoasted (raw size + 4-byte header), what the toaster measured before
    #: compressing it
    raws: list[int | None]


#: the smallest out-of-line size (pg_column_size of a TOAST pointer) a value can have: the
#: toaster moves only values longer than MAXALIGN(TOAST_POINTER_SIZE) = 24 bytes, header
#: included, and the out-of-line size leaves the 4-byte header out
MIN_EXTERNAL_EXTSIZE = 21

#: flag bits of :class:`SampledRow`
SAMPLE_COMPRESSED = 1
SAMPLE_EXTERNAL = 2
SAMPLE_COMPRESSION_KNOWN = 4
SAMPLE_EXTERNAL_KNOWN = 8
SAMPLE_HEADER4 = 16  #: an uncompressed value stored with a 4-byte header
SAMPLE_HEADER_KNOWN = 32


def sample_flags(flags: int | None) -> tuple[bool | None, bool | None, bool | None]:
    """(compressed, TOAST pointer, 4-byte header) from one value's flags; None where the
    server could not tell (see :class:`SampledRow`)."""
    f = flags or 0
    compressed = bool(f & SAMPLE_COMPRESSED) if f & SAMPLE_COMPRESSION_KNOWN else None
    external = bool(f & SAMPLE_EXTERNAL) if f & SAMPLE_EXTERNAL_KNOWN else None
    header4 = bool(f & SAMPLE_HEADER4) if f & SAMPLE_HEADER_KNOWN else None
    return compressed, external, header4


@dataclass(frozen=True, slots=True)
class SampleColumn:
    """A column to measure: its name, whether it is a varlena, whether to skip it (virtual
    generated columns are computed, not stored: their size would be meaningless)."""

    name: str
    varlena: bool
    skip: bool = False
    #: text, varchar, bpchar or bytea: ``octet_length`` is toast_raw_datum_size - VARHDRSZ
    #: without detoasting, which tells compression apart before pg_column_compression (14)
    octet_length: bool = False
    #: an array type: ``ARRAY[col]`` would nest it (see :func:`sample_rows`)
    array: bool = False


#: types whose octet_length() reads the raw size from the datum header (varlena.c)
OCTET_LENGTH_TYPES = frozenset({"text", "varchar", "bpchar", "bytea"})


def _detoasted_size(ref: sql.Composable, array: bool) -> sql.Composable:
    """VARSIZE of a varlena decompressed, with a 4-byte header, for any varlena type.

    ``ARRAY[x]`` detoasts its elements (construct_md_array: PG_DETOAST_DATUM) and ``[1]``
    returns the element as it sits in the array. An array value would make a 2-D array
    instead; ``array_cat(x, '{}')`` returns its first argument detoasted
    (PG_GETARG_ARRAYTYPE_P) when the second is empty.
    """
    if array:
        return sql.SQL("pg_catalog.pg_column_size(pg_catalog.array_cat({}, '{{}}'))").format(ref)
    return sql.SQL("pg_catalog.pg_column_size((ARRAY[{}])[1])").format(ref)


def sample_rows(
    conn: Connection[Any],
    variants: Variants,
    nspname: str,
    relname: str,
    columns: list[SampleColumn],
    method: Literal["BERNOULLI", "SYSTEM"] | None,
    percent: float,
    seed: int,
) -> list[SampledRow]:
    """Measure the stored size of every value of a sample of rows, in physical order.

    ``pg_column_size`` is ``VARSIZE_ANY`` of the datum as it sits in the tuple (1-byte or
    4-byte header, compressed size), except that for a TOAST pointer it reports the
    out-of-line size (``toast_datum_size``): hence ``pg_column_toast_chunk_id`` (17+), and
    ``pg_column_compression`` (14+) for compression (before 14, for text-like types,
    ``octet_length``). ``TABLESAMPLE ... REPEATABLE (seed)``
    picks the same rows again while the table does not change (BERNOULLI: each row with
    probability ``percent``, reading every page; SYSTEM: whole pages). ``method`` None reads
    every row. ``ONLY``: not the rows of inheritance children.
    """
    t = sql.Identifier("t")
    sizes: list[sql.Composable] = []
    flags: list[sql.Composable] = []
    raws: list[sql.Composable] = []
    for column in columns:
        ref = sql.SQL("{}.{}").format(t, sql.Identifier(column.name))
        if column.skip:
            sizes.append(sql.SQL("NULL::int4"))
            raws.append(sql.SQL("NULL::int4"))
            flags.append(sql.SQL("0"))
            continue
        sizes.append(sql.SQL("pg_catalog.pg_column_size({})").format(ref))
        raws.append(sql.SQL("NULL::int4"))
        if not column.varlena:
            flags.append(sql.SQL("0"))
            continue
        parts: list[sql.Composable] = [sql.SQL("0")]
        if variants.column_compression:
            parts.append(
                sql.SQL(
                    "(CASE WHEN pg_catalog.pg_column_compression({}) IS NOT NULL THEN 5 ELSE 4 END)"
                ).format(ref)
            )
        elif column.octet_length:
            # stored smaller than the raw data plus a 1-byte header: compressed (or a TOAST
            # pointer, which pg_column_size reports as its out-of-line size)
            parts.append(
                sql.SQL(
                    "(CASE WHEN pg_catalog.pg_column_size({0}) < pg_catalog.octet_length({0}) + 1 "
                    "THEN 5 ELSE 4 END)"
                ).format(ref)
            )
        elif not variants.toast_chunk_id:
            # any other type: detoasted (see below) more than 3 bytes (a 1-byte header's
            # saving) longer than stored: compressed, or a TOAST pointer as above
            parts.append(
                sql.SQL(
                    "(CASE WHEN pg_catalog.pg_column_size({}) < {} - 3 THEN 5 ELSE 4 END)"
                ).format(ref, _detoasted_size(ref, column.array))
            )
        if column.octet_length:
            # a 4-byte header shows as raw data + 4 (a value ALTER ... SET STORAGE PLAIN and
            # COPY left unpacked); else + 1
            parts.append(
                sql.SQL(
                    "(CASE WHEN pg_catalog.pg_column_size({0}) = pg_catalog.octet_length({0}) + 4 "
                    "THEN 48 ELSE 32 END)"
                ).format(ref)
            )
        if variants.toast_chunk_id:
            parts.append(
                sql.SQL(
                    "(CASE WHEN pg_catalog.pg_column_toast_chunk_id({}) IS NOT NULL THEN 10 "
                    "ELSE 8 END)"
                ).format(ref)
            )
        flags.append(sql.SQL(" + ").join(parts))
        if not variants.toast_chunk_id and column.octet_length:
            # the toaster replay (before 17) needs sizes before compression: for text-like
            # types octet_length reads them from the datum or TOAST pointer, fetching
            # nothing. A value out of line uncompressed shows as raw = pg_column_size + 4.
            raws[-1] = sql.SQL("pg_catalog.octet_length({}) + 4").format(ref)
        elif not variants.toast_chunk_id:
            # any other type is detoasted, which fetches a TOAST pointer's value: from 14
            # only values that are compressed or could be out of line are read
            detoasted = _detoasted_size(ref, column.array)
            if variants.column_compression:
                # an uncompressed value out of line shows as raw = size + 4 (see
                # advice.sample); it is at least MAXALIGN(TOAST_POINTER_SIZE) + 1 = 25 bytes
                # with its header, so smaller values need not be read
                detoasted = sql.SQL(
                    "CASE WHEN pg_catalog.pg_column_compression({0}) IS NOT NULL "
                    "OR pg_catalog.pg_column_size({0}) > {1} THEN {2} END"
                ).format(ref, sql.Literal(MIN_EXTERNAL_EXTSIZE - 1), detoasted)
            raws[-1] = detoasted
    empty = sql.SQL("'{}'::int4[]")  # never .format()ed: the braces stay
    size_array = sql.SQL("ARRAY[{}]::int4[]").format(sql.SQL(", ").join(sizes)) if sizes else empty
    flag_array = sql.SQL("ARRAY[{}]::int4[]").format(sql.SQL(", ").join(flags)) if flags else empty
    raw_array = sql.SQL("ARRAY[{}]::int4[]").format(sql.SQL(", ").join(raws)) if raws else empty
    sample: sql.Composable = sql.SQL("")
    params: tuple[float | int, ...] = ()
    if method is not None:
        sample = sql.SQL(" TABLESAMPLE {} (%s::float4) REPEATABLE (%s::float8)").format(
            sql.SQL(method)
        )
        params = (percent, seed)
    query = sql.SQL(
        "SELECT {} AS sizes, {} AS flags, {} AS raws FROM ONLY {} AS {}{} ORDER BY {}.ctid"
    ).format(size_array, flag_array, raw_array, sql.Identifier(nspname, relname), t, sample, t)
    return many(conn, query, params, SampledRow)


@dataclass(frozen=True, slots=True)
class ColumnStatsRow:
    attname: str
    null_frac: float
    avg_width: int


def column_stats(conn: Connection[Any], nspname: str, relname: str) -> list[ColumnStatsRow]:
    """``pg_stats`` rows of a table (not the inheritance-tree ones). The view shows only the
    columns the role may SELECT; ``avg_width`` is the mean ``VARSIZE_ANY`` of the non-NULL
    values ANALYZE saw as stored (values over 1 kB wide are left out of it)."""
    return many(
        conn,
        """
        SELECT attname::text AS attname, null_frac::float8 AS null_frac,
               avg_width::int AS avg_width
        FROM pg_catalog.pg_stats
        WHERE schemaname = %s AND tablename = %s AND NOT inherited
        """,
        (nspname, relname),
        ColumnStatsRow,
    )


@dataclass(frozen=True, slots=True)
class TupleStats:
    """``pgstattuple``'s scan of a relation."""

    tuple_count: int
    tuple_len: int
    dead_tuple_count: int
    dead_tuple_len: int
    free_space: int


def pgstattuple(conn: Connection[Any], schema: str, oid: int) -> TupleStats:
    """``pgstattuple(regclass)``: reads every page. Needs the extension (in ``schema``) and
    superuser or ``pg_stat_scan_tables``."""
    query = sql.SQL(
        "SELECT tuple_count::int8 AS tuple_count, tuple_len::int8 AS tuple_len, "
        "dead_tuple_count::int8 AS dead_tuple_count, dead_tuple_len::int8 AS dead_tuple_len, "
        "free_space::int8 AS free_space "
        "FROM {}.pgstattuple(%s::pg_catalog.oid::pg_catalog.regclass)"
    ).format(sql.Identifier(schema))
    return one(conn, query, (oid,), TupleStats)


# -- --verify: scratch tables ----------------------------------------------------------------


def create_schema(conn: Connection[Any], name: str) -> None:
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))


@dataclass(frozen=True, slots=True)
class ScratchColumn:
    """A scratch column: ``type`` is format_type() text from the server (safe SQL)."""

    name: str
    type: str
    collation: str | None  #: quoted, qualified collation (from the server) or None
    storage: str | None  #: attstorage letter when it differs from the type's
    compression: str | None  #: 'p' / 'l' when set


_STORAGE_WORDS = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
_COMPRESSION_WORDS = {"p": "pglz", "l": "lz4"}


def create_scratch_table(
    conn: Connection[Any],
    schema: str | None,
    name: str,
    columns: list[ScratchColumn],
    reloptions: list[str],
    temporary: bool,
) -> str:
    """``CREATE [TEMP] TABLE`` with these columns in this order; returns its regclass text.

    Types and collations are the server's own text (``format_type``, ``quote_ident``);
    names go through :class:`psycopg.sql.Identifier`; reloptions are ``name=value`` pairs
    from ``pg_class.reloptions`` (validated by the server again).
    """
    defs: list[sql.Composable] = []
    for c in columns:
        parts: list[sql.Composable] = [sql.Identifier(c.name), sql.SQL(c.type)]
        if c.collation:
            parts += [sql.SQL("COLLATE"), sql.SQL(c.collation)]
        defs.append(sql.SQL(" ").join(parts))
    table = sql.Identifier(schema, name) if schema else sql.Identifier(name)
    options: sql.Composable = sql.SQL("")
    if reloptions:
        pairs: list[sql.Composable] = []
        for option in reloptions:
            key, _, value = option.partition("=")
            pairs.append(
                sql.SQL("{} = {}").format(
                    sql.SQL(".").join(sql.Identifier(k) for k in key.split(".")), sql.Literal(value)
                )
            )
        options = sql.SQL(" WITH ({})").format(sql.SQL(", ").join(pairs))
    statement = sql.SQL("CREATE {}TABLE {} ({}){}").format(
        sql.SQL("TEMPORARY ") if temporary else sql.SQL(""),
        table,
        sql.SQL(", ").join(defs),
        options,
    )
    conn.execute(statement)
    for c in columns:
        # a column's STORAGE in CREATE TABLE is 16+ syntax: ALTER works on every version
        if c.storage and c.storage in _STORAGE_WORDS:
            conn.execute(
                sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET STORAGE {}").format(
                    table, sql.Identifier(c.name), sql.SQL(_STORAGE_WORDS[c.storage])
                )
            )
        if c.compression in _COMPRESSION_WORDS:
            conn.execute(
                sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET COMPRESSION {}").format(
                    table, sql.Identifier(c.name), sql.SQL(_COMPRESSION_WORDS[c.compression])
                )
            )
    return table.as_string(conn)


def stage_sample(
    conn: Connection[Any],
    stage: str,
    nspname: str,
    relname: str,
    columns: list[str],
    method: Literal["BERNOULLI", "SYSTEM"] | None,
    percent: float,
    seed: int,
) -> int:
    """Copy the sampled rows (the same ``TABLESAMPLE ... REPEATABLE`` as
    :func:`sample_rows`) into temporary table ``stage``, in physical order; returns the row
    count. The stage is a temporary table: reading it writes no WAL."""
    t = sql.Identifier("t")
    sample: sql.Composable = sql.SQL("")
    if method is not None:
        # CREATE TABLE AS is a utility statement: no bind parameters, so literals
        sample = sql.SQL(" TABLESAMPLE {} ({}::float4) REPEATABLE ({}::float8)").format(
            sql.SQL(method), sql.Literal(float(percent)), sql.Literal(float(seed))
        )
    cols = sql.SQL(", ").join(sql.SQL("{}.{}").format(t, sql.Identifier(c)) for c in columns)
    query = sql.SQL(
        "CREATE TEMPORARY TABLE {} AS SELECT {} FROM ONLY {} AS {}{} ORDER BY {}.ctid"
    ).format(sql.Identifier(stage), cols, sql.Identifier(nspname, relname), t, sample, t)
    cur = conn.execute(query)
    return cur.rowcount


def insert_from_stage(conn: Connection[Any], target: str, stage: str, columns: list[str]) -> int:
    """``INSERT INTO target (columns) SELECT columns FROM stage ORDER BY ctid``: row by row
    through heap_insert, the path INSERT ... SELECT migrations take. ``target`` is regclass
    text returned by :func:`create_scratch_table`."""
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    query = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ORDER BY ctid").format(
        sql.SQL(target), cols, cols, sql.Identifier(stage)
    )
    return conn.execute(query).rowcount


@dataclass(frozen=True, slots=True)
class WalPosition:
    lsn: str


def wal_insert_lsn(conn: Connection[Any]) -> WalPosition:
    """``pg_current_wal_insert_lsn()``: where the next WAL record goes (errors on a standby)."""
    return one(conn, "SELECT pg_catalog.pg_current_wal_insert_lsn()::text AS lsn", (), WalPosition)


@dataclass(frozen=True, slots=True)
class WalDiff:
    bytes: int


def wal_diff(conn: Connection[Any], end: str, start: str) -> WalDiff:
    return one(
        conn,
        "SELECT pg_catalog.pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)::int8 AS bytes",
        (end, start),
        WalDiff,
    )
