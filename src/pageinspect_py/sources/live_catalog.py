"""Relation descriptions read from a live server's catalog (``pg_attribute`` + ``pg_type``).

Needs no pageinspect and no superuser: only read access to the catalogs. All SQL lives in
:mod:`pageinspect_py.sources.queries`; psycopg errors become :mod:`pageinspect_py.errors`.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from pageinspect_py.catalog.attributes import (
    ALIGNMENT,
    Attribute,
    RelationDescription,
    TypAlign,
    TypeCatalog,
    TypeEntry,
)
from pageinspect_py.catalog.schema import description_from_json
from pageinspect_py.errors import RelationNotFoundError, SourceError
from pageinspect_py.sources.connection import server_message

if TYPE_CHECKING:
    import psycopg


def describe_relation(conn: psycopg.Connection[Any], relation: str | int) -> RelationDescription:
    """The tuple descriptor of ``relation`` (a name as regclass reads it, or an OID)."""
    import psycopg

    from pageinspect_py.sources.queries import pages, server

    try:
        if isinstance(relation, int):
            oid = relation
        else:
            try:
                found = pages.resolve_relation(conn, relation)
            except (
                psycopg.errors.UndefinedTable,
                psycopg.errors.InvalidSchemaName,
                psycopg.errors.SyntaxError,
                psycopg.errors.InvalidName,
                psycopg.errors.FeatureNotSupported,
            ) as exc:
                raise RelationNotFoundError(server_message(exc)) from exc
            if found is None:
                raise RelationNotFoundError(f"no relation has OID {relation}")
            oid = found.oid
        rel = pages.relation_catalog(conn, oid)
        if rel is None:
            raise RelationNotFoundError(f"no relation has OID {oid}")
        rows = pages.relation_attributes(conn, oid)
        info = server.server_info(conn)
        types = type_catalog(conn, oid)
    except psycopg.Error as exc:
        raise SourceError(f"reading the catalog for {relation}: {server_message(exc)}") from exc
    obj: dict[str, Any] = {
        "relname": rel.relname,
        "nspname": rel.nspname,
        "oid": rel.oid,
        "relkind": rel.relkind,
        "relfilenode": rel.relfilenode,
        "reltoastrelid": rel.reltoastrelid,
        "toast_relation": rel.toast_relation,
        "server_version_num": info.version_num,
        "attributes": [asdict(r) for r in rows],
    }
    desc = description_from_json(obj, source=f"{rel.nspname}.{rel.relname}")
    return replace(desc, types=types)


def type_catalog(conn: psycopg.Connection[Any], oid: int) -> TypeCatalog:
    """The types the values of relation ``oid`` need (enum labels, composite attributes,
    range subtypes), read from ``pg_type``, ``pg_enum``, ``pg_range`` and ``pg_attribute``.
    psycopg errors pass through (the caller names what was being read)."""
    from pageinspect_py.sources.queries import pages

    rows = pages.relation_types(conn, oid)
    enums = [r.oid for r in rows if r.typtype == "e"]
    labels: dict[int, dict[int, str]] = {}
    for label in pages.enum_labels(conn, enums) if enums else []:
        labels.setdefault(label.enumtypid, {})[label.oid] = label.enumlabel
    entries = {}
    for r in rows:
        attributes: tuple[Attribute, ...] = ()
        if r.typtype == "c" and r.typrelid:
            found = pages.relation_attributes(conn, r.typrelid)
            attributes = description_from_json(
                {"attributes": [asdict(a) for a in found]}, source=r.typname
            ).attributes
        entries[r.oid] = TypeEntry(
            oid=r.oid,
            typname=r.typname,
            typtype=r.typtype,
            typlen=r.typlen,
            typalign=_typalign(r.typalign),
            typbyval=r.typbyval,
            typelem=r.typelem,
            typbasetype=r.typbasetype,
            typrelid=r.typrelid,
            typdelim=r.typdelim,
            labels=labels.get(r.oid, {}),
            attributes=attributes,
            rngsubtype=r.rngsubtype,
            rngtypid=r.rngtypid,
        )
    return TypeCatalog(entries)


def _typalign(value: str) -> TypAlign:
    return value if value in ALIGNMENT else "i"  # type: ignore[return-value]


def toast_names(conn: psycopg.Connection[Any], oid: int) -> tuple[int, str, str] | None:
    """(OID, schema, name) of the TOAST table of relation ``oid``; None when it has none."""
    import psycopg

    from pageinspect_py.sources.queries.pages import relation_catalog

    try:
        rel = relation_catalog(conn, oid)
    except psycopg.Error as exc:
        raise SourceError(
            f"looking up the TOAST table of OID {oid}: {server_message(exc)}"
        ) from exc
    if (
        rel is None
        or not rel.reltoastrelid
        or rel.toast_nspname is None
        or rel.toast_relname is None
    ):
        return None
    return rel.reltoastrelid, rel.toast_nspname, rel.toast_relname
