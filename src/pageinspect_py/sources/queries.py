"""Every SQL statement of pageinspect_py, and the one place that picks version variants.

Conventions (DESIGN.md, 7):

* one small typed function per statement, taking a psycopg ``Connection`` and returning a
  frozen dataclass built by ``class_row`` (a one-field dataclass for a single value);
* values only as parameters (``%s::regclass``), identifiers only through
  :class:`psycopg.sql.Identifier`; catalog objects are schema-qualified (``pg_catalog.``) so
  that a user's search_path cannot shadow them;
* differences between server or extension versions are decided once, by
  :func:`choose_variants`, and handed to the functions that need them as a :class:`Variants`.

psycopg errors pass through unchanged: turning them into :mod:`pageinspect_py.errors` is the
caller's job (``live.py``), because only the caller knows what the user asked for.

To add a query: declare its row dataclass, write a function that calls :func:`_one` or
:func:`_all`, cite in its docstring the PostgreSQL behaviour it relies on, and if it differs
between versions add a field to :class:`Variants` and set it in :func:`choose_variants`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, LiteralString, TypeVar

from psycopg import Connection, sql
from psycopg.abc import Params
from psycopg.rows import class_row

from pageinspect_py.page.raw import Fork

#: ``MaxBlockNumber`` (src/include/storage/block.h): 0xFFFFFFFE, the last addressable block.
MAX_BLOCK_NUMBER = 0xFFFF_FFFE
#: Largest value of an ``int4`` argument: the highest block pageinspect before 1.9 can read.
MAX_INT4 = 0x7FFF_FFFF

T = TypeVar("T")
#: A statement: a literal string, or one composed with psycopg.sql for identifiers.
Query = LiteralString | sql.Composed


def _one(conn: Connection[Any], query: Query, params: Params, row: type[T]) -> T:
    """Run ``query`` and map its single row onto ``row`` (a dataclass) by column name."""
    result = _optional(conn, query, params, row)
    if result is None:  # every query routed here returns exactly one row
        raise LookupError(f"query returned no row for {row.__name__}")
    return result


def _optional(conn: Connection[Any], query: Query, params: Params, row: type[T]) -> T | None:
    """Run ``query`` and map its row, if any, onto ``row`` (a dataclass) by column name."""
    with conn.cursor(row_factory=class_row(row)) as cur:
        cur.execute(query, params)
        return cur.fetchone()


def _all(conn: Connection[Any], query: Query, params: Params, row: type[T]) -> list[T]:
    """Run ``query`` and map every row onto ``row`` (a dataclass) by column name."""
    with conn.cursor(row_factory=class_row(row)) as cur:
        cur.execute(query, params)
        return cur.fetchall()


# --------------------------------------------------------------------------------------------
# Server


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What the connected server and session are."""

    version_num: int  #: ``server_version_num``, e.g. 150018
    version: str  #: ``server_version``, e.g. "15.18 (Debian 15.18-0+deb12u1)"
    block_size: int  #: ``block_size`` (BLCKSZ, fixed at compile time)
    database: str  #: ``current_database()``
    user: str  #: ``current_user``
    is_superuser: bool  #: ``pg_roles.rolsuper`` of ``current_user``

    @property
    def major(self) -> int:
        """The major version (12, ..., 18): ``server_version_num / 10000`` since PostgreSQL 10."""
        return self.version_num // 10000


def server_info(conn: Connection[Any]) -> ServerInfo:
    """Version, block size, database and role of the session.

    ``server_version_num`` and ``block_size`` are read-only preset GUCs (``current_setting``
    works for any role). ``is_superuser`` reads ``rolsuper`` of ``current_user``: the same
    catalog flag ``superuser()`` consults, which is what pageinspect's raw-page functions check.
    """
    return _one(
        conn,
        """
        SELECT pg_catalog.current_setting('server_version_num')::int AS version_num,
               pg_catalog.current_setting('server_version') AS version,
               pg_catalog.current_setting('block_size')::int AS block_size,
               pg_catalog.current_database()::text AS database,
               current_user::text AS user,
               coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r
                         WHERE r.rolname = current_user), false) AS is_superuser
        """,
        (),
        ServerInfo,
    )


# --------------------------------------------------------------------------------------------
# Relations


@dataclass(frozen=True, slots=True)
class RelationInfo:
    """A relation resolved from user input, named as in ``pg_class``."""

    oid: int
    #: ``schema.name``, each part quoted only when needed (as ``quote_ident`` does): the form
    #: ``get_raw_page`` and every ``regclass`` input accept, independent of search_path
    qualified_name: str
    relkind: str  #: ``pg_class.relkind``: r i S t v m c f p I
    amname: str | None  #: access method (heap, btree, ...); None for relkinds without one
    #: file number from ``pg_relation_filenode()`` (right for mapped catalogs, whose
    #: ``pg_class.relfilenode`` is 0); None when the relation has no storage
    relfilenode: int | None
    reltoastrelid: int | None  #: OID of its TOAST table; None (not 0) when it has none
    relpersistence: str  #: p permanent, u unlogged, t temporary
    has_storage: bool  #: false for views, composite types, foreign and partitioned relations


def resolve_relation(conn: Connection[Any], relation: str) -> RelationInfo | None:
    """Look ``relation`` up the way PostgreSQL itself reads a relation name.

    The text goes through the ``regclass`` input function: quoting, case folding, search_path
    and ``schema.name`` behave as in any SQL statement, and a missing relation raises
    ``undefined_table`` (42P01) -- or, before PostgreSQL 16, ``invalid_schema_name`` (3F000)
    when the schema part does not exist. Bad syntax raises ``syntax_error`` (42601) and
    ``db.schema.name`` naming another database raises ``feature_not_supported`` (0A000).
    A bare number is taken as an OID *without* any check (and ``-`` as OID 0): then no row
    matches and the result is None.

    ``pg_relation_filenode()`` returns NULL exactly for relkinds without storage (views,
    composite types, foreign tables, partitioned tables and indexes), so ``has_storage``
    needs no list of relkinds here.
    """
    return _optional(
        conn,
        """
        SELECT c.oid AS oid,
               pg_catalog.quote_ident(n.nspname) || '.'
                 || pg_catalog.quote_ident(c.relname) AS qualified_name,
               c.relkind::text AS relkind,
               a.amname::text AS amname,
               pg_catalog.pg_relation_filenode(c.oid) AS relfilenode,
               NULLIF(c.reltoastrelid, 0) AS reltoastrelid,
               c.relpersistence::text AS relpersistence,
               pg_catalog.pg_relation_filenode(c.oid) IS NOT NULL AS has_storage
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_am a ON a.oid = c.relam
        WHERE c.oid = %s::pg_catalog.regclass
        """,
        (relation,),
        RelationInfo,
    )


@dataclass(frozen=True, slots=True)
class ChildRelation:
    """One direct partition (or inheritance child) of a relation."""

    qualified_name: str


def child_relations(conn: Connection[Any], oid: int) -> list[ChildRelation]:
    """Direct children of ``oid`` in ``pg_inherits``, by name.

    Partitions of a partitioned table and the per-partition indexes of a partitioned index
    are both recorded in ``pg_inherits`` (``inhparent`` -> ``inhrelid``).
    """
    return _all(
        conn,
        """
        SELECT pg_catalog.quote_ident(n.nspname) || '.'
                 || pg_catalog.quote_ident(c.relname) AS qualified_name
        FROM pg_catalog.pg_inherits i
        JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = %s::pg_catalog.oid
        ORDER BY 1
        """,
        (oid,),
        ChildRelation,
    )


@dataclass(frozen=True, slots=True)
class ForkSize:
    """Size of one fork in whole blocks; None when the relation no longer exists."""

    nblocks: int | None


def fork_nblocks(conn: Connection[Any], oid: int, fork: Fork) -> ForkSize:
    """``pg_relation_size(oid, fork) / block_size``.

    ``pg_relation_size`` stats the fork's segment files: it returns 0 when the fork does not
    exist (and for relations without storage), NULL when no relation has that OID any more,
    and needs no privilege on the relation. Integer division drops a partial last block.
    An unknown fork name raises ``invalid_parameter_value`` (22023).
    """
    return _one(
        conn,
        """
        SELECT pg_catalog.pg_relation_size(%s::pg_catalog.oid::pg_catalog.regclass, %s::text)
                 / pg_catalog.current_setting('block_size')::int8 AS nblocks
        """,
        (oid, fork),
        ForkSize,
    )


# --------------------------------------------------------------------------------------------
# Extensions


@dataclass(frozen=True, slots=True)
class ExtensionInfo:
    """Whether an extension is installed in this database and can be installed on the server."""

    name: str
    installed_version: str | None  #: ``pg_extension.extversion``; None when not installed
    schema: str | None  #: schema holding its objects; None when not installed
    default_version: str | None  #: from its control file; None when the server lacks it


def extension(conn: Connection[Any], name: str) -> ExtensionInfo:
    """State of extension ``name``.

    ``pg_extension`` is per database; ``pg_available_extensions`` lists the control files in
    the server's ``SHAREDIR/extension``, so a None ``default_version`` means the package that
    ships the extension (Debian: postgresql-contrib) is missing on the server.
    """
    return _one(
        conn,
        """
        SELECT %(name)s::text AS name,
               e.extversion::text AS installed_version,
               n.nspname::text AS schema,
               (SELECT a.default_version::text FROM pg_catalog.pg_available_extensions a
                WHERE a.name = %(name)s) AS default_version
        FROM (SELECT 1) AS one
        LEFT JOIN pg_catalog.pg_extension e ON e.extname = %(name)s
        LEFT JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
        """,
        {"name": name},
        ExtensionInfo,
    )


# --------------------------------------------------------------------------------------------
# Version variants


@dataclass(frozen=True, slots=True)
class Variants:
    """Every version-dependent choice the queries make, decided once by :func:`choose_variants`.

    Functions that differ between versions take a ``Variants`` instead of comparing version
    numbers themselves.
    """

    server_version_num: int
    pageinspect_version: tuple[int, ...]
    #: schema that holds pageinspect's functions; calls are qualified with it, so the
    #: extension works wherever it was created, whatever the search_path
    pageinspect_schema: str
    #: SQL type of get_raw_page's block number: ``int4`` up to pageinspect 1.8 (PostgreSQL
    #: 12-13, or an older extension version kept on a newer server), ``int8`` from 1.9
    raw_page_blkno_type: Literal["int4", "int8"]

    @property
    def raw_page_max_blkno(self) -> int:
        """The highest block number ``get_raw_page`` can be asked for."""
        return MAX_INT4 if self.raw_page_blkno_type == "int4" else MAX_BLOCK_NUMBER


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.12"`` -> ``(1, 12)``; stops at the first part that is not a number."""
    parts: list[int] = []
    for part in text.split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


def choose_variants(server: ServerInfo, pageinspect: ExtensionInfo) -> Variants:
    """The one function that looks at versions.

    ``get_raw_page``'s signature follows the *installed extension* version, not the server:
    pageinspect 1.9 (PostgreSQL 14) replaced ``get_raw_page(text, text, int4)`` with
    ``(text, text, int8)``, and a database whose extension was never updated keeps the old
    SQL signature (the C library serves both).
    """
    if pageinspect.installed_version is None or pageinspect.schema is None:
        raise ValueError("pageinspect is not installed")
    version = parse_version(pageinspect.installed_version)
    return Variants(
        server_version_num=server.version_num,
        pageinspect_version=version,
        pageinspect_schema=pageinspect.schema,
        raw_page_blkno_type="int8" if version >= (1, 9) else "int4",
    )


# --------------------------------------------------------------------------------------------
# Raw pages


@dataclass(frozen=True, slots=True)
class RawPageRow:
    """One page image as ``get_raw_page`` returns it."""

    page: bytes


def get_raw_page(
    conn: Connection[Any], variants: Variants, relation: str, fork: Fork, blkno: int
) -> RawPageRow:
    """``pageinspect.get_raw_page(relation, fork, blkno)``: a copy of the block taken from
    shared buffers (read in first if needed), so ``pd_checksum`` may be stale or zero.

    ``relation`` is text parsed like a qualified name: pass
    :attr:`RelationInfo.qualified_name`. Errors, the same from 12 to 18: ``must be
    superuser`` (42501) for any other role; ``block number N is out of range``
    (``invalid_parameter_value``, 22023); ``could not open file`` (``undefined_file``, 58P01)
    when the fork does not exist; ``wrong_object_type`` (42809) for relkinds without storage.
    """
    query = sql.SQL("SELECT {}.get_raw_page(%s::text, %s::text, %s::{}) AS page").format(
        sql.Identifier(variants.pageinspect_schema), sql.SQL(variants.raw_page_blkno_type)
    )
    return _one(conn, query, (relation, fork, blkno), RawPageRow)


# --------------------------------------------------------------------------------------------
# Tuple descriptors and TOAST (attribute decoding)


@dataclass(frozen=True, slots=True)
class RelationCatalog:
    """The pg_class facts a relation description (schema file) records."""

    oid: int
    relname: str
    nspname: str
    relkind: str
    relfilenode: int | None  #: pg_relation_filenode(); None without storage
    reltoastrelid: int  #: 0 when the relation has no TOAST table
    toast_relation: str | None  #: the TOAST table as regclass text (pg_toast.pg_toast_N)
    toast_nspname: str | None
    toast_relname: str | None


def relation_catalog(conn: Connection[Any], oid: int) -> RelationCatalog | None:
    """``pg_class`` row of ``oid`` with its namespace and TOAST table names; None if gone."""
    return _optional(
        conn,
        """
        SELECT c.oid::int8 AS oid, c.relname::text AS relname, n.nspname::text AS nspname,
               c.relkind::text AS relkind,
               pg_catalog.pg_relation_filenode(c.oid)::int8 AS relfilenode,
               c.reltoastrelid::int8 AS reltoastrelid,
               NULLIF(c.reltoastrelid, 0)::pg_catalog.regclass::text AS toast_relation,
               tn.nspname::text AS toast_nspname, t.relname::text AS toast_relname
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid
        LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
        WHERE c.oid = %s::pg_catalog.oid
        """,
        (oid,),
        RelationCatalog,
    )


@dataclass(frozen=True, slots=True)
class AttributeRow:
    """One ``pg_attribute`` row joined with ``pg_type`` (and the element type of arrays),
    named as the catalogs name the columns -- the keys of a schema file."""

    attnum: int
    attname: str
    atttypid: int
    typname: str | None  #: None for dropped columns (atttypid 0)
    attlen: int
    attalign: str
    attbyval: bool
    attstorage: str
    atttypmod: int
    attisdropped: bool
    atthasmissing: bool
    attmissingval: str | None  #: text of the one-element array (``{42}``)
    attnotnull: bool
    typelem: int | None
    elemtypname: str | None
    elemtyplen: int | None
    elemtypalign: str | None
    elemtypbyval: bool | None
    attcollation: int
    attcompression: str | None  #: '' / 'p' / 'l' from 14; None before
    #: the domain a column is declared with; the type columns above are its base type's
    typdomain: str | None = None


def relation_attributes(conn: Connection[Any], oid: int) -> list[AttributeRow]:
    """Every attribute of relation ``oid`` with attnum > 0, dropped ones included.

    A dropped column keeps ``attlen``, ``attalign`` and ``attbyval`` in ``pg_attribute`` (its
    bytes stay in old tuples) but its ``atttypid`` becomes 0, so the type columns are NULL.
    ``attcompression`` exists from PostgreSQL 14: reading it through ``to_jsonb(a)`` gives
    NULL on older servers without a version switch. ``atthasmissing``/``attmissingval``
    exist in every supported version (11+).

    A column of a domain stores its base type's datums: the type columns are the base
    type's (domains over domains followed down), the domain's name is ``typdomain``.
    """
    return _all(
        conn,
        """
        SELECT a.attnum::int AS attnum, a.attname::text AS attname,
               a.atttypid::int8 AS atttypid, t.typname::text AS typname,
               a.attlen::int AS attlen, a.attalign::text AS attalign, a.attbyval,
               a.attstorage::text AS attstorage, a.atttypmod, a.attisdropped,
               a.atthasmissing, a.attmissingval::text AS attmissingval, a.attnotnull,
               t.typelem::int8 AS typelem, et.typname::text AS elemtypname,
               et.typlen::int AS elemtyplen, et.typalign::text AS elemtypalign,
               et.typbyval AS elemtypbyval, a.attcollation::int8 AS attcollation,
               pg_catalog.to_jsonb(a) ->> 'attcompression' AS attcompression,
               CASE WHEN dt.typtype = 'd' THEN dt.typname::text END AS typdomain
        FROM pg_catalog.pg_attribute a
        LEFT JOIN pg_catalog.pg_type dt ON dt.oid = a.atttypid
        LEFT JOIN LATERAL (
            WITH RECURSIVE chain(oid, typtype, typbasetype, depth) AS (
                SELECT d.oid, d.typtype, d.typbasetype, 0
                FROM pg_catalog.pg_type d WHERE d.oid = a.atttypid
                UNION ALL
                SELECT b.oid, b.typtype, b.typbasetype, c.depth + 1
                FROM chain c JOIN pg_catalog.pg_type b ON b.oid = c.typbasetype
                WHERE c.typtype = 'd' AND c.depth < 64
            )
            SELECT chain.oid FROM chain ORDER BY chain.depth DESC LIMIT 1
        ) base ON true
        LEFT JOIN pg_catalog.pg_type t ON t.oid = base.oid
        LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem AND t.typelem <> 0
        WHERE a.attrelid = %s::pg_catalog.oid AND a.attnum > 0
        ORDER BY a.attnum
        """,
        (oid,),
        AttributeRow,
    )


@dataclass(frozen=True, slots=True)
class ChunkTid:
    """Where one TOAST chunk tuple of a value lies."""

    blkno: int
    lp: int


def toast_chunk_tids(
    conn: Connection[Any], nspname: str, relname: str, valueid: int
) -> list[ChunkTid]:
    """ctids of the chunks of TOAST value ``valueid``, found through the TOAST table's index
    on (chunk_id, chunk_seq) as the server sees them now (visible rows only).

    The pages behind those ctids are then read and decoded by us; the server only locates.
    """
    query = sql.SQL(
        "SELECT (ctid::text::pg_catalog.point)[0]::int8 AS blkno, "
        "(ctid::text::pg_catalog.point)[1]::int4 AS lp "
        "FROM {} WHERE chunk_id = %s::pg_catalog.oid ORDER BY chunk_seq"
    ).format(sql.Identifier(nspname, relname))
    return _all(conn, query, (valueid,), ChunkTid)


# --------------------------------------------------------------------------------------------
# Btree indexes (key columns and ordering)


@dataclass(frozen=True, slots=True)
class IndexCatalog:
    """``pg_index`` facts that order an index's keys, and the database's default collation."""

    indexrelid: int
    amname: str | None
    indnatts: int
    indnkeyatts: int
    indisunique: bool
    indoption: list[int]  #: per key column: INDOPTION_DESC 1, INDOPTION_NULLS_FIRST 2
    indcollation: list[int]  #: per key column, 0 when not collatable
    datcollate: str | None
    datlocprovider: str | None  #: c libc, i icu (15+), b builtin (17+); None before 15
    datlocale: str | None  #: builtin/ICU locale (daticulocale 15-16, datlocale 17+)


def index_catalog(conn: Connection[Any], oid: int) -> IndexCatalog | None:
    """The ``pg_index`` row of index ``oid`` and the current database's collation settings.

    ``indoption``/``indcollation`` are int2vector/oidvector: cast through text to arrays.
    ``pg_database`` grew ``datlocprovider`` and ``daticulocale`` in 15 and renamed the latter
    ``datlocale`` in 17; reading them through ``to_jsonb(d)`` gives NULL where a column is
    missing, without a version switch. None when ``oid`` is not an index.
    """
    return _optional(
        conn,
        """
        SELECT i.indexrelid::int8 AS indexrelid, am.amname::text AS amname,
               i.indnatts::int AS indnatts, i.indnkeyatts::int AS indnkeyatts,
               i.indisunique,
               pg_catalog.string_to_array(i.indoption::text, ' ')::int[] AS indoption,
               pg_catalog.string_to_array(i.indcollation::text, ' ')::int8[] AS indcollation,
               pg_catalog.to_jsonb(d) ->> 'datcollate' AS datcollate,
               pg_catalog.to_jsonb(d) ->> 'datlocprovider' AS datlocprovider,
               coalesce(pg_catalog.to_jsonb(d) ->> 'datlocale',
                        pg_catalog.to_jsonb(d) ->> 'daticulocale') AS datlocale
        FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
        LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
        JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database()
        WHERE i.indexrelid = %s::pg_catalog.oid
        """,
        (oid,),
        IndexCatalog,
    )


# --------------------------------------------------------------------------------------------
# Layout advice (pgpage layout-advice): catalog facts, sampling, pg_stats, migration, verify


@dataclass(frozen=True, slots=True)
class AdviceVariants:
    """What the server can report about stored values and which catalog columns exist."""

    server_version_num: int
    #: ``pg_column_compression()`` (14+): whether an inline value is compressed
    column_compression: bool
    #: ``pg_column_toast_chunk_id()`` (17+): whether a value is a TOAST pointer
    toast_chunk_id: bool
    #: ``pg_attribute.attcompression`` (14+)
    attcompression: bool
    #: NOT NULL constraints are named ``pg_constraint`` rows (contype ``n``, 18+)
    notnull_constraints: bool
    #: ``pg_trigger.tgparentid`` (13+): triggers cloned from a partitioned parent
    tgparentid: bool
    #: ``pg_publication_rel.prqual``/``prattrs`` (15+): row filters and column lists
    publication_filters: bool
    #: ``pg_attribute.attstattarget`` is NULL for "default" (17+) instead of -1
    stattarget_nullable: bool


def choose_advice_variants(server: ServerInfo) -> AdviceVariants:
    """The one place the layout advisor's queries look at the server version."""
    v = server.version_num
    return AdviceVariants(
        server_version_num=v,
        column_compression=v >= 140000,
        toast_chunk_id=v >= 170000,
        attcompression=v >= 140000,
        notnull_constraints=v >= 180000,
        tgparentid=v >= 130000,
        publication_filters=v >= 150000,
        stattarget_nullable=v >= 170000,
    )


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
    return _optional(
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
    return _all(
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
    return _one(conn, query, (), RowCount)


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
    variants: AdviceVariants,
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
    return _all(conn, query, params, SampledRow)


@dataclass(frozen=True, slots=True)
class ColumnStatsRow:
    attname: str
    null_frac: float
    avg_width: int


def column_stats(conn: Connection[Any], nspname: str, relname: str) -> list[ColumnStatsRow]:
    """``pg_stats`` rows of a table (not the inheritance-tree ones). The view shows only the
    columns the role may SELECT; ``avg_width`` is the mean ``VARSIZE_ANY`` of the non-NULL
    values ANALYZE saw as stored (values over 1 kB wide are left out of it)."""
    return _all(
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
    return _one(conn, query, (oid,), TupleStats)


# -- facts for the migration DDL (--sql) -----------------------------------------------------


def qualify_everything(conn: Connection[Any]) -> None:
    """Empty the session's search_path, as pg_dump does, so that ``pg_get_*def``,
    ``pg_get_expr`` (``'seq'::regclass``), ``format_type`` and regclass output name every
    object with its schema. Resolve user input first: it is read with the search_path."""
    conn.execute("SELECT pg_catalog.set_config('search_path', '', false)")


@dataclass(frozen=True, slots=True)
class Keyword:
    word: str


def reserved_keywords(conn: Connection[Any]) -> list[Keyword]:
    """Keywords ``quote_ident`` quotes: every category but unreserved (``pg_get_keywords``)."""
    return _all(
        conn,
        "SELECT word::text AS word FROM pg_catalog.pg_get_keywords() WHERE catcode <> 'U'",
        (),
        Keyword,
    )


@dataclass(frozen=True, slots=True)
class TableDefinition:
    """Table-level facts a re-creation must keep."""

    owner: str
    tablespace: str | None
    amname: str | None  #: table access method when it is not heap (12+)
    relpersistence: str
    relreplident: str  #: d default, n nothing, f full, i index
    relrowsecurity: bool
    relforcerowsecurity: bool
    acl: list[str] | None  #: relacl items, as aclitem text (grantee=privs/grantor)
    comment: str | None
    reltype: int
    rowtype_users: list[str]  #: tables, functions and types that use the row type
    parent: str | None  #: qualified parent when this is a partition
    partition_bound: str | None  #: ``pg_get_expr(relpartbound)``
    inherits: list[str]  #: inheritance parents (not partitioning)
    children: list[str]  #: inheritance children or partitions
    publications: list[str]


def table_definition(conn: Connection[Any], oid: int) -> TableDefinition:
    """What ``pg_dump`` would record about the table itself (not its columns)."""
    return _one(
        conn,
        """
        SELECT pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,
               ts.spcname::text AS tablespace,
               NULLIF(am.amname::text, 'heap') AS amname,
               c.relpersistence::text AS relpersistence,
               c.relreplident::text AS relreplident,
               c.relrowsecurity, c.relforcerowsecurity,
               c.relacl::text[] AS acl,
               pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
               c.reltype::int8 AS reltype,
               ARRAY(
                 SELECT DISTINCT u.what FROM (
                   SELECT 'column ' || a.attrelid::pg_catalog.regclass::text || '.'
                            || pg_catalog.quote_ident(a.attname) AS what
                   FROM pg_catalog.pg_attribute a
                   WHERE a.atttypid IN (c.reltype, (SELECT typarray FROM pg_catalog.pg_type
                                                    WHERE oid = c.reltype))
                     AND a.attrelid <> c.oid AND NOT a.attisdropped
                   UNION ALL
                   SELECT 'function ' || p.oid::pg_catalog.regprocedure::text
                   FROM pg_catalog.pg_proc p
                   WHERE p.prorettype = c.reltype OR c.reltype = ANY (p.proargtypes)
                 ) u ORDER BY 1
               )::text[] AS rowtype_users,
               (SELECT i.inhparent::pg_catalog.regclass::text FROM pg_catalog.pg_inherits i
                WHERE i.inhrelid = c.oid AND c.relispartition) AS parent,
               pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS partition_bound,
               ARRAY(SELECT i.inhparent::pg_catalog.regclass::text
                     FROM pg_catalog.pg_inherits i
                     WHERE i.inhrelid = c.oid AND NOT c.relispartition
                     ORDER BY i.inhseqno)::text[] AS inherits,
               ARRAY(SELECT i.inhrelid::pg_catalog.regclass::text
                     FROM pg_catalog.pg_inherits i
                     WHERE i.inhparent = c.oid ORDER BY 1)::text[] AS children,
               ARRAY(SELECT p.pubname::text FROM pg_catalog.pg_publication_rel r
                     JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid
                     WHERE r.prrelid = c.oid ORDER BY 1)::text[] AS publications
        FROM pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace
        LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
        WHERE c.oid = %s::pg_catalog.oid
        """,
        (oid,),
        TableDefinition,
    )


@dataclass(frozen=True, slots=True)
class ColumnDefinition:
    """One live column as ``CREATE TABLE`` must write it again."""

    attnum: int
    attname: str
    type: str  #: format_type(atttypid, atttypmod): quoted and schema-qualified as needed
    collation: str | None  #: qualified collation when it differs from the type's default
    attnotnull: bool
    notnull_name: str | None  #: the NOT NULL constraint's name (18+)
    default: str | None  #: pg_get_expr(adbin) of an ordinary default
    attgenerated: str  #: '' / 's' stored / 'v' virtual (18+)
    generation: str | None  #: the generation expression
    attidentity: str  #: '' / 'a' ALWAYS / 'd' BY DEFAULT
    seq_schema: str | None  #: the sequence the column owns (identity or serial)
    seq_name: str | None
    seq_options: str | None  #: identity: START ... INCREMENT ... (its parameters)
    storage_changed: str | None  #: attstorage when it differs from typstorage
    typstorage: str
    compression: str | None  #: attcompression ('p' pglz, 'l' lz4) when set (14+)
    stattarget: int | None  #: attstattarget when set
    options: list[str] | None  #: attoptions (n_distinct, ...)
    acl: list[str] | None  #: column privileges (attacl)
    comment: str | None


def column_definitions(
    conn: Connection[Any], variants: AdviceVariants, oid: int
) -> list[ColumnDefinition]:
    """Live columns of ``oid`` in attnum order, with everything a re-creation needs.

    The sequence a column owns is the one ``pg_depend`` ties to it (``a`` for serial, ``i``
    for identity), as ``pg_get_serial_sequence`` finds it.
    attcompression (14+), attgenerated 'v' (18+) and the NOT NULL constraint names (18+)
    are read through ``to_jsonb`` or guarded subqueries, so one statement serves 12-18.
    """
    notnull = (
        "(SELECT con.conname::text FROM pg_catalog.pg_constraint con WHERE con.conrelid = "
        "a.attrelid AND con.contype = 'n' AND con.conkey[1] = a.attnum LIMIT 1)"
        if variants.notnull_constraints
        else "NULL::text"
    )
    stattarget = (
        "a.attstattarget::int"
        if variants.stattarget_nullable
        else "NULLIF(a.attstattarget, -1)::int"
    )
    query = f"""
        SELECT a.attnum::int AS attnum, a.attname::text AS attname,
               pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
               CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN
                 pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
               END AS collation,
               a.attnotnull, {notnull} AS notnull_name,
               CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid)
               END AS default,
               a.attgenerated::text AS attgenerated,
               CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid)
               END AS generation,
               a.attidentity::text AS attidentity,
               seq.nspname::text AS seq_schema, seq.relname::text AS seq_name,
               CASE WHEN a.attidentity <> '' THEN
                 -- the sequence type is the column's: AS would conflict
                 'START WITH ' || seq.seqstart || ' INCREMENT BY ' || seq.seqincrement
                 || ' MINVALUE ' || seq.seqmin || ' MAXVALUE ' || seq.seqmax
                 || ' CACHE ' || seq.seqcache
                 || CASE WHEN seq.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END
               END AS seq_options,
               CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text
               END AS storage_changed,
               t.typstorage::text AS typstorage,
               NULLIF(pg_catalog.to_jsonb(a) ->> 'attcompression', '') AS compression,
               {stattarget} AS stattarget,
               a.attoptions::text[] AS options,
               a.attacl::text[] AS acl,
               pg_catalog.col_description(a.attrelid, a.attnum) AS comment
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
        LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
        LEFT JOIN LATERAL (
            SELECT sn.nspname, sc.relname, sq.seqtypid, sq.seqstart, sq.seqincrement,
                   sq.seqmin, sq.seqmax, sq.seqcache, sq.seqcycle
            FROM pg_catalog.pg_depend dep
            JOIN pg_catalog.pg_class sc ON sc.oid = dep.objid AND sc.relkind = 'S'
            JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
            JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = sc.oid
            WHERE dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
              AND dep.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
              AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum
              AND dep.deptype IN ('a', 'i')
            LIMIT 1) seq ON true
        WHERE a.attrelid = %s::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """
    return _all(conn, query, (oid,), ColumnDefinition)


@dataclass(frozen=True, slots=True)
class ConstraintDefinition:
    """A constraint of the table (or, for ``incoming``, one of another table pointing at it)."""

    conname: str
    contype: str  #: p u c f x t n
    definition: str  #: pg_get_constraintdef
    convalidated: bool
    table: str  #: the constrained table, qualified (regclass text)
    inherited: bool  #: from a partitioned parent or an inheritance parent (not local)
    index_tablespace: str | None
    comment: str | None


def constraint_definitions(
    conn: Connection[Any], oid: int, incoming: bool = False
) -> list[ConstraintDefinition]:
    """Constraints on ``oid`` (check, unique, primary key, exclusion, foreign key, not null),
    or with ``incoming`` the foreign keys of *other* tables that reference ``oid``.

    ``pg_get_constraintdef`` writes the definition as ALTER TABLE ... ADD CONSTRAINT takes
    it, with NOT VALID when the constraint was never validated.
    """
    where = (
        "con.confrelid = %s::pg_catalog.oid AND con.conrelid <> con.confrelid "
        "AND con.contype = 'f' AND con.conparentid = 0"
        if incoming
        else "con.conrelid = %s::pg_catalog.oid"
    )
    query = f"""
        SELECT con.conname::text AS conname, con.contype::text AS contype,
               pg_catalog.pg_get_constraintdef(con.oid) AS definition,
               con.convalidated,
               (SELECT pg_catalog.quote_ident(n.nspname) || '.'
                         || pg_catalog.quote_ident(c.relname)
                FROM pg_catalog.pg_class c
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.oid = con.conrelid) AS table,
               (NOT con.conislocal OR con.conparentid <> 0) AS inherited,
               ts.spcname::text AS index_tablespace,
               pg_catalog.obj_description(con.oid, 'pg_constraint') AS comment
        FROM pg_catalog.pg_constraint con
        LEFT JOIN pg_catalog.pg_class ic ON ic.oid = con.conindid AND con.contype IN ('p', 'u', 'x')
        LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = ic.reltablespace
        WHERE {where}
        ORDER BY CASE con.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2
                                  WHEN 'c' THEN 3 WHEN 'f' THEN 5 ELSE 4 END, con.conname
        """
    return _all(conn, query, (oid,), ConstraintDefinition)


@dataclass(frozen=True, slots=True)
class IndexDefinition:
    """An index not created by a constraint."""

    name: str
    definition: str  #: pg_get_indexdef: CREATE [UNIQUE] INDEX name ON table USING ...
    clustered: bool
    replica_identity: bool
    inherited: bool  #: attached to a partitioned parent index
    comment: str | None
    #: the constraint it implements (primary key, unique, exclusion), for CLUSTER/REPLICA IDENTITY
    constraint: str | None


def index_definitions(conn: Connection[Any], oid: int) -> list[IndexDefinition]:
    """Every index of table ``oid``, with the constraint that owns it if any."""
    return _all(
        conn,
        """
        SELECT ic.relname::text AS name, pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
               i.indisclustered AS clustered, i.indisreplident AS replica_identity,
               EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
                 AS inherited,
               pg_catalog.obj_description(i.indexrelid, 'pg_class') AS comment,
               (SELECT con.conname::text FROM pg_catalog.pg_constraint con
                WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                  AND con.contype IN ('p', 'u', 'x') LIMIT 1) AS constraint
        FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = %s::pg_catalog.oid
        ORDER BY ic.relname
        """,
        (oid,),
        IndexDefinition,
    )


@dataclass(frozen=True, slots=True)
class TriggerDefinition:
    name: str
    definition: str  #: pg_get_triggerdef
    enabled: str  #: O origin/local, D disabled, R replica, A always
    comment: str | None


def trigger_definitions(
    conn: Connection[Any], variants: AdviceVariants, oid: int
) -> list[TriggerDefinition]:
    """User triggers of ``oid`` (not internal ones such as foreign-key triggers, and not
    those cloned from a partitioned parent: ATTACH PARTITION clones them again)."""
    cloned = "AND tg.tgparentid = 0" if variants.tgparentid else ""
    query = f"""
        SELECT tg.tgname::text AS name, pg_catalog.pg_get_triggerdef(tg.oid) AS definition,
               tg.tgenabled::text AS enabled,
               pg_catalog.obj_description(tg.oid, 'pg_trigger') AS comment
        FROM pg_catalog.pg_trigger tg
        WHERE tg.tgrelid = %s::pg_catalog.oid AND NOT tg.tgisinternal {cloned}
        ORDER BY tg.tgname
        """
    return _all(conn, query, (oid,), TriggerDefinition)


@dataclass(frozen=True, slots=True)
class PolicyDefinition:
    name: str
    permissive: bool
    command: str  #: r a w d *
    roles: list[str]  #: role names; empty for PUBLIC
    using: str | None
    with_check: str | None
    comment: str | None


def policy_definitions(conn: Connection[Any], oid: int) -> list[PolicyDefinition]:
    """Row-level security policies of ``oid``."""
    return _all(
        conn,
        """
        SELECT p.polname::text AS name, p.polpermissive AS permissive,
               p.polcmd::text AS command,
               ARRAY(SELECT pg_catalog.pg_get_userbyid(r) FROM pg_catalog.unnest(p.polroles) r
                     WHERE r <> 0 ORDER BY 1)::text[] AS roles,
               pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using,
               pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS with_check,
               pg_catalog.obj_description(p.oid, 'pg_policy') AS comment
        FROM pg_catalog.pg_policy p
        WHERE p.polrelid = %s::pg_catalog.oid
        ORDER BY p.polname
        """,
        (oid,),
        PolicyDefinition,
    )


@dataclass(frozen=True, slots=True)
class Grant:
    """One privilege from ``aclexplode``."""

    grantee: str  #: role name, or PUBLIC
    privilege: str
    grantable: bool
    grantor: str


def table_grants(conn: Connection[Any], oid: int) -> list[Grant]:
    """Table privileges other than the owner's own (``aclexplode(relacl)``)."""
    return _all(
        conn,
        """
        SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC'
                    ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END AS grantee,
               x.privilege_type::text AS privilege, x.is_grantable AS grantable,
               pg_catalog.pg_get_userbyid(x.grantor)::text AS grantor
        FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) x
        WHERE c.oid = %s::pg_catalog.oid AND x.grantee <> c.relowner
        ORDER BY 1, 2
        """,
        (oid,),
        Grant,
    )


@dataclass(frozen=True, slots=True)
class ColumnGrant:
    attname: str
    grantee: str
    privilege: str
    grantable: bool


def column_grants(conn: Connection[Any], oid: int) -> list[ColumnGrant]:
    """Column privileges (``aclexplode(attacl)``)."""
    return _all(
        conn,
        """
        SELECT a.attname::text AS attname,
               CASE WHEN x.grantee = 0 THEN 'PUBLIC'
                    ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END AS grantee,
               x.privilege_type::text AS privilege, x.is_grantable AS grantable
        FROM pg_catalog.pg_attribute a, pg_catalog.aclexplode(a.attacl) x
        WHERE a.attrelid = %s::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY 1, 2, 3
        """,
        (oid,),
        ColumnGrant,
    )


@dataclass(frozen=True, slots=True)
class DependentView:
    """A view or materialized view that depends (directly or through other views) on the
    table, in creation order (``depth`` 1 selects from the table itself)."""

    oid: int
    name: str  #: qualified
    relkind: str  #: v or m
    depth: int
    definition: str  #: pg_get_viewdef
    options: list[str] | None
    owner: str
    acl: list[str] | None
    comment: str | None


def dependent_views(conn: Connection[Any], oid: int) -> list[DependentView]:
    """Views whose rewrite rules depend on the table, recursively (``pg_depend`` ->
    ``pg_rewrite``), deepest last; a view reached by two paths keeps its greatest depth."""
    return _all(
        conn,
        """
        WITH RECURSIVE deps(oid, depth) AS (
            SELECT DISTINCT r.ev_class, 1
            FROM pg_catalog.pg_depend d
            JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
            WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
              AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
              AND d.refobjid = %s::pg_catalog.oid AND r.ev_class <> %s::pg_catalog.oid
          UNION
            SELECT DISTINCT r.ev_class, deps.depth + 1
            FROM deps
            JOIN pg_catalog.pg_depend d ON d.refobjid = deps.oid
             AND d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
             AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
            JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid AND r.ev_class <> deps.oid
            WHERE deps.depth < 50
        )
        SELECT c.oid::int8 AS oid,
               pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
                 AS name,
               c.relkind::text AS relkind, d.depth,
               pg_catalog.pg_get_viewdef(c.oid) AS definition,
               c.reloptions::text[] AS options,
               pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,
               c.relacl::text[] AS acl,
               pg_catalog.obj_description(c.oid, 'pg_class') AS comment
        FROM (SELECT deps.oid, max(deps.depth)::int AS depth FROM deps GROUP BY deps.oid) d
        JOIN pg_catalog.pg_class c ON c.oid = d.oid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        ORDER BY d.depth, c.oid
        """,
        (oid, oid),
        DependentView,
    )


@dataclass(frozen=True, slots=True)
class ObjectDefinition:
    """A named object recreated from its definition (statistics objects, rules)."""

    name: str
    definition: str
    comment: str | None


def statistics_definitions(conn: Connection[Any], oid: int) -> list[ObjectDefinition]:
    """Extended statistics objects on the table (``pg_get_statisticsobjdef``)."""
    return _all(
        conn,
        """
        SELECT s.stxname::text AS name, pg_catalog.pg_get_statisticsobjdef(s.oid) AS definition,
               pg_catalog.obj_description(s.oid, 'pg_statistic_ext') AS comment
        FROM pg_catalog.pg_statistic_ext s
        WHERE s.stxrelid = %s::pg_catalog.oid
        ORDER BY 1
        """,
        (oid,),
        ObjectDefinition,
    )


def rule_definitions(conn: Connection[Any], oid: int) -> list[ObjectDefinition]:
    """Rewrite rules on the table (a table's own rules, not a view's ``_RETURN``)."""
    return _all(
        conn,
        """
        SELECT r.rulename::text AS name, pg_catalog.pg_get_ruledef(r.oid) AS definition,
               pg_catalog.obj_description(r.oid, 'pg_rewrite') AS comment
        FROM pg_catalog.pg_rewrite r
        WHERE r.ev_class = %s::pg_catalog.oid AND r.rulename <> '_RETURN'
        ORDER BY 1
        """,
        (oid,),
        ObjectDefinition,
    )


@dataclass(frozen=True, slots=True)
class PublicationFilter:
    pubname: str
    columns: list[str] | None  #: column list (15+); None: all columns
    row_filter: str | None  #: WHERE (...) (15+)


def publication_filters(
    conn: Connection[Any], variants: AdviceVariants, oid: int
) -> list[PublicationFilter]:
    """Publications that name the table, with their column lists and row filters (15+)."""
    if variants.publication_filters:
        query = """
            SELECT p.pubname::text AS pubname,
                   CASE WHEN r.prattrs IS NOT NULL THEN
                     ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(r.prattrs) k
                           JOIN pg_catalog.pg_attribute a ON a.attrelid = r.prrelid
                            AND a.attnum = k ORDER BY a.attnum) END AS columns,
                   pg_catalog.pg_get_expr(r.prqual, r.prrelid) AS row_filter
            FROM pg_catalog.pg_publication_rel r
            JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid
            WHERE r.prrelid = %s::pg_catalog.oid ORDER BY 1
            """
    else:
        query = """
            SELECT p.pubname::text AS pubname, NULL::text[] AS columns,
                   NULL::text AS row_filter
            FROM pg_catalog.pg_publication_rel r
            JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid
            WHERE r.prrelid = %s::pg_catalog.oid ORDER BY 1
            """
    return _all(conn, query, (oid,), PublicationFilter)


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
    return _one(conn, "SELECT pg_catalog.pg_current_wal_insert_lsn()::text AS lsn", (), WalPosition)


@dataclass(frozen=True, slots=True)
class WalDiff:
    bytes: int


def wal_diff(conn: Connection[Any], end: str, start: str) -> WalDiff:
    return _one(
        conn,
        "SELECT pg_catalog.pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)::int8 AS bytes",
        (end, start),
        WalDiff,
    )


@dataclass(frozen=True, slots=True)
class Setting:
    value: str


def setting(conn: Connection[Any], name: str) -> Setting:
    return _one(conn, "SELECT pg_catalog.current_setting(%s) AS value", (name,), Setting)


def relation_blocks(conn: Connection[Any], regclass: str) -> ForkSize:
    """Main-fork blocks of a relation named by regclass text."""
    return _one(
        conn,
        "SELECT pg_catalog.pg_relation_size(%s::pg_catalog.regclass) "
        "/ pg_catalog.current_setting('block_size')::int8 AS nblocks",
        (regclass,),
        ForkSize,
    )
