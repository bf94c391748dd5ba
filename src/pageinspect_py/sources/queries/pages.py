"""What reading and decoding pages needs: relations, forks, raw pages, tuple descriptors,
TOAST chunk locations and the key ordering of btree indexes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import Connection, sql

from pageinspect_py.page.raw import Fork
from pageinspect_py.sources.queries.run import many, one, optional
from pageinspect_py.sources.queries.server import Variants

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
    return optional(
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
    return many(
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
    return one(
        conn,
        """
        SELECT pg_catalog.pg_relation_size(%s::pg_catalog.oid::pg_catalog.regclass, %s::text)
                 / pg_catalog.current_setting('block_size')::int8 AS nblocks
        """,
        (oid, fork),
        ForkSize,
    )


def relation_blocks(conn: Connection[Any], regclass: str) -> ForkSize:
    """Main-fork blocks of a relation named by regclass text."""
    return one(
        conn,
        "SELECT pg_catalog.pg_relation_size(%s::pg_catalog.regclass) "
        "/ pg_catalog.current_setting('block_size')::int8 AS nblocks",
        (regclass,),
        ForkSize,
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
        _pageinspect(variants), sql.SQL(variants.raw_page_blkno_type)
    )
    return one(conn, query, (relation, fork, blkno), RawPageRow, binary=True)


@dataclass(frozen=True, slots=True)
class NumberedPage:
    """One page image of a run, with its block number."""

    blkno: int
    page: bytes


def get_raw_pages(
    conn: Connection[Any], variants: Variants, relation: str, fork: Fork, first: int, last: int
) -> list[NumberedPage]:
    """Blocks ``first .. last`` (inclusive) of ``fork`` in one round trip: ``get_raw_page``
    over ``generate_series(first, last)``, one row per block, sent in binary.

    Each page is its own shared-buffer copy, as :func:`get_raw_page` takes it (the run is
    not one snapshot of the relation); the errors are :func:`get_raw_page`'s, raised by the
    first block that fails (the whole statement fails: nothing partial comes back). The
    rows come in the function scan's order, which is the series'; the block numbers let
    the caller check. (Joining the pages on the server with ``string_agg(... ORDER BY b)``
    was measured 3-4 times slower: it sorts and copies every page.)
    """
    blkno = sql.SQL(variants.raw_page_blkno_type)
    query = sql.SQL(
        "SELECT b AS blkno, {}.get_raw_page(%s::text, %s::text, b) AS page "
        "FROM pg_catalog.generate_series(%s::{}, %s::{}) AS b"
    ).format(_pageinspect(variants), blkno, blkno)
    return many(conn, query, (relation, fork, first, last), NumberedPage, binary=True)


def _pageinspect(variants: Variants) -> sql.Identifier:
    if variants.pageinspect_schema is None:
        raise ValueError("pageinspect is not installed")
    return sql.Identifier(variants.pageinspect_schema)


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
    return optional(
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
    return many(
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
class TypeRow:
    """One ``pg_type`` row a relation's values reach, with ``pg_range``'s subtype (ranges)
    and range type (multiranges; 0 before PostgreSQL 14)."""

    oid: int
    typname: str
    typtype: str
    typlen: int
    typalign: str
    typbyval: bool
    typelem: int
    typbasetype: int
    typrelid: int
    typdelim: str
    rngsubtype: int
    rngtypid: int


def relation_types(conn: Connection[Any], oid: int) -> list[TypeRow]:
    """The types the columns of relation ``oid`` reach: their own, domains' base types, array
    elements, composites' attributes (through ``typrelid``), range subtypes and multiranges'
    range types, found by a recursive walk over ``pg_type``, ``pg_range`` and
    ``pg_attribute``. ``pg_range.rngmultitypid`` exists from 14: read through ``to_jsonb``
    it is NULL on older servers, without a version switch."""
    return many(
        conn,
        """
        WITH RECURSIVE reach(oid) AS (
            SELECT a.atttypid FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = %s::pg_catalog.oid AND a.attnum > 0 AND a.atttypid <> 0
            UNION
            SELECT n.oid
            FROM reach r
            JOIN pg_catalog.pg_type t ON t.oid = r.oid
            CROSS JOIN LATERAL (
                SELECT t.typbasetype WHERE t.typbasetype <> 0
                UNION ALL
                SELECT t.typelem WHERE t.typelem <> 0
                UNION ALL
                SELECT g.rngsubtype FROM pg_catalog.pg_range g WHERE g.rngtypid = t.oid
                UNION ALL
                SELECT g.rngtypid FROM pg_catalog.pg_range g
                WHERE (pg_catalog.to_jsonb(g) ->> 'rngmultitypid')::pg_catalog.oid = t.oid
                UNION ALL
                SELECT ca.atttypid FROM pg_catalog.pg_attribute ca
                WHERE t.typrelid <> 0 AND ca.attrelid = t.typrelid AND ca.attnum > 0
                  AND ca.atttypid <> 0
            ) n(oid)
        )
        SELECT t.oid::int8 AS oid, t.typname::text AS typname, t.typtype::text AS typtype,
               t.typlen::int AS typlen, t.typalign::text AS typalign, t.typbyval,
               t.typelem::int8 AS typelem, t.typbasetype::int8 AS typbasetype,
               t.typrelid::int8 AS typrelid, t.typdelim::text AS typdelim,
               COALESCE(g.rngsubtype, 0)::int8 AS rngsubtype,
               COALESCE(m.rngtypid, 0)::int8 AS rngtypid
        FROM pg_catalog.pg_type t
        LEFT JOIN pg_catalog.pg_range g ON g.rngtypid = t.oid
        LEFT JOIN pg_catalog.pg_range m
               ON (pg_catalog.to_jsonb(m) ->> 'rngmultitypid')::pg_catalog.oid = t.oid
        WHERE t.oid IN (SELECT reach.oid FROM reach)
        ORDER BY t.oid
        """,
        (oid,),
        TypeRow,
    )


@dataclass(frozen=True, slots=True)
class EnumLabel:
    """One ``pg_enum`` row: the value an enum datum stores is this row's OID."""

    enumtypid: int
    oid: int
    enumlabel: str


def enum_labels(conn: Connection[Any], typoids: list[int]) -> list[EnumLabel]:
    """The labels of the enum types ``typoids`` (enum_out prints the label of the stored
    OID, whatever its sort order)."""
    return many(
        conn,
        """
        SELECT e.enumtypid::int8 AS enumtypid, e.oid::int8 AS oid, e.enumlabel::text AS enumlabel
        FROM pg_catalog.pg_enum e
        WHERE e.enumtypid = ANY(%s::pg_catalog.oid[])
        ORDER BY e.enumtypid, e.oid
        """,
        (typoids,),
        EnumLabel,
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
    return many(conn, query, (valueid,), ChunkTid)


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
    opclasses: list[str]  #: pg_opclass.opcname per key column (indclass)


def index_catalog(conn: Connection[Any], oid: int) -> IndexCatalog | None:
    """The ``pg_index`` row of index ``oid`` and the current database's collation settings.

    ``indoption``/``indcollation`` are int2vector/oidvector: cast through text to arrays.
    ``pg_database`` grew ``datlocprovider`` and ``daticulocale`` in 15 and renamed the latter
    ``datlocale`` in 17; reading them through ``to_jsonb(d)`` gives NULL where a column is
    missing, without a version switch. None when ``oid`` is not an index.
    """
    return optional(
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
                        pg_catalog.to_jsonb(d) ->> 'daticulocale') AS datlocale,
               ARRAY(SELECT oc.opcname::text
                     FROM pg_catalog.unnest(i.indclass::pg_catalog.oid[])
                          WITH ORDINALITY AS u(opc, n)
                     JOIN pg_catalog.pg_opclass oc ON oc.oid = u.opc
                     ORDER BY u.n) AS opclasses
        FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
        LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
        JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database()
        WHERE i.indexrelid = %s::pg_catalog.oid
        """,
        (oid,),
        IndexCatalog,
    )
