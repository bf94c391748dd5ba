"""The relations one step away from another on a live server: its indexes, its TOAST table
and that table's index, the table of an index or of a TOAST table (what the TUI's Related
list offers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from pageinspect_py.sources.queries.run import many


@dataclass(frozen=True, slots=True)
class RelatedRow:
    role: str  #: "table", "index", "TOAST table", "TOAST index"
    name: str  #: schema-qualified, as regclass prints it with the schema
    relkind: str
    amname: str | None


def related_relations(conn: Connection[Any], oid: int) -> list[RelatedRow]:
    """Relations one step away from relation ``oid``, table first, then indexes by OID."""
    return many(
        conn,
        """
        WITH me AS (SELECT c.oid, c.relkind, c.reltoastrelid
                    FROM pg_catalog.pg_class c WHERE c.oid = %s::pg_catalog.oid),
        rel(role, oid, ord) AS (
            SELECT 'table', i.indrelid, 0 FROM pg_catalog.pg_index i, me
             WHERE i.indexrelid = me.oid
            UNION ALL
            SELECT 'table', c.oid, 0 FROM pg_catalog.pg_class c, me
             WHERE c.reltoastrelid = me.oid AND me.relkind = 't'
            UNION ALL
            SELECT 'index', i.indexrelid, 1 FROM pg_catalog.pg_index i, me
             WHERE i.indrelid = me.oid
            UNION ALL
            SELECT 'TOAST table', me.reltoastrelid, 2 FROM me WHERE me.reltoastrelid <> 0
            UNION ALL
            SELECT 'TOAST index', i.indexrelid, 3 FROM pg_catalog.pg_index i, me
             WHERE i.indrelid = me.reltoastrelid AND me.reltoastrelid <> 0
        )
        SELECT rel.role,
               pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
                 AS name,
               c.relkind::text AS relkind, a.amname::text AS amname
        FROM rel
        JOIN pg_catalog.pg_class c ON c.oid = rel.oid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_am a ON a.oid = c.relam
        ORDER BY rel.ord, rel.oid
        """,
        (oid,),
        RelatedRow,
    )
