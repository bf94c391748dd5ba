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

from pageinspect_py.sources.base import Fork

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


def relation_attributes(conn: Connection[Any], oid: int) -> list[AttributeRow]:
    """Every attribute of relation ``oid`` with attnum > 0, dropped ones included.

    A dropped column keeps ``attlen``, ``attalign`` and ``attbyval`` in ``pg_attribute`` (its
    bytes stay in old tuples) but its ``atttypid`` becomes 0, so the type columns are NULL.
    ``attcompression`` exists from PostgreSQL 14: reading it through ``to_jsonb(a)`` gives
    NULL on older servers without a version switch. ``atthasmissing``/``attmissingval``
    exist in every supported version (11+).
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
               pg_catalog.to_jsonb(a) ->> 'attcompression' AS attcompression
        FROM pg_catalog.pg_attribute a
        LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
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


def toast_chunk_tids(conn: Connection[Any], nspname: str, relname: str,
                     valueid: int) -> list[ChunkTid]:
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
