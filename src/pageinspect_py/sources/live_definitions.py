"""What rebuilding a live table in another column order must carry over, read from the
catalog with an empty search_path (as pg_dump reads it), so that every definition the server
writes names its schemas. The script itself is written by :mod:`pageinspect_py.app.migration`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from pageinspect_py.sources.live_advice import TableCatalog, server_errors
from pageinspect_py.sources.queries import definitions as q


@dataclass(frozen=True, slots=True)
class ViewFacts:
    view: q.DependentView
    grants: list[q.Grant]
    indexes: list[q.IndexDefinition]


@dataclass(frozen=True, slots=True)
class MigrationFacts:
    """Everything attached to one table that a rebuild must carry over."""

    nspname: str
    relname: str
    reloptions: list[str]
    toast_reloptions: list[str]
    table: q.TableDefinition
    columns: list[q.ColumnDefinition]
    constraints: list[q.ConstraintDefinition]
    incoming: list[q.ConstraintDefinition]
    indexes: list[q.IndexDefinition]
    triggers: list[q.TriggerDefinition]
    policies: list[q.PolicyDefinition]
    grants: list[q.Grant]
    column_grants: list[q.ColumnGrant]
    views: list[ViewFacts]
    statistics: list[q.ObjectDefinition]
    rules: list[q.ObjectDefinition]
    publications: list[q.PublicationFilter]
    keywords: frozenset[str]


def gather(conn: psycopg.Connection[Any], catalog: TableCatalog, name: str) -> MigrationFacts:
    """Read the catalog facts of the table ``catalog`` describes. Empties the session's
    search_path (resolve user input before)."""
    facts = catalog.facts
    oid = facts.oid
    v = catalog.variants
    with server_errors(conn, f"reading the definition of {name}"):
        q.qualify_everything(conn)
        views = [
            ViewFacts(
                view,
                q.table_grants(conn, view.oid),
                q.index_definitions(conn, view.oid) if view.relkind == "m" else [],
            )
            for view in q.dependent_views(conn, oid)
        ]
        return MigrationFacts(
            nspname=facts.nspname,
            relname=facts.relname,
            reloptions=facts.reloptions or [],
            toast_reloptions=facts.toast_reloptions or [],
            table=q.table_definition(conn, oid),
            columns=q.column_definitions(conn, v, oid),
            constraints=q.constraint_definitions(conn, oid),
            incoming=q.constraint_definitions(conn, oid, incoming=True),
            indexes=q.index_definitions(conn, oid),
            triggers=q.trigger_definitions(conn, v, oid),
            policies=q.policy_definitions(conn, oid),
            grants=q.table_grants(conn, oid),
            column_grants=q.column_grants(conn, oid),
            views=views,
            statistics=q.statistics_definitions(conn, oid),
            rules=q.rule_definitions(conn, oid),
            publications=q.publication_filters(conn, v, oid),
            keywords=frozenset(k.word for k in q.reserved_keywords(conn)),
        )
