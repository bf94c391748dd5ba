"""What rebuilding a table in another column order must carry over, as the server writes it:
the table, its columns, constraints, indexes, triggers, policies, privileges, dependent
views, statistics objects, rules and publications (``layout-advice --sql``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from pageinspect_py.sources.queries.run import many, one
from pageinspect_py.sources.queries.server import Variants

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
    return many(
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
    return one(
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
    conn: Connection[Any], variants: Variants, oid: int
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
    return many(conn, query, (oid,), ColumnDefinition)


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
    return many(conn, query, (oid,), ConstraintDefinition)


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
    return many(
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
    conn: Connection[Any], variants: Variants, oid: int
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
    return many(conn, query, (oid,), TriggerDefinition)


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
    return many(
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
    return many(
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
    return many(
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
    return many(
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
    return many(
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
    return many(
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
    conn: Connection[Any], variants: Variants, oid: int
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
    return many(conn, query, (oid,), PublicationFilter)
