"""Index descriptions read from a live server's catalog (``pg_attribute`` of the index,
``pg_index``, the database's collation). Only read access to the catalogs is needed; the SQL
lives in :mod:`pageinspect_py.sources.queries`, psycopg is imported when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pageinspect_py.catalog.index import IndexDescription, index_description
from pageinspect_py.errors import RelationNotFoundError, SourceError
from pageinspect_py.sources.live_catalog import describe_relation

if TYPE_CHECKING:
    import psycopg

#: builtin-provider locales (17+) that sort by code point, i.e. like "C" over UTF-8 bytes
_CODEPOINT_LOCALES = {"C", "C.UTF-8", "C.UTF8", "PG_UNICODE_FAST"}


def default_collation_is_c(
    datcollate: str | None, provider: str | None, locale: str | None
) -> bool:
    """Whether the database default collation orders text bytewise (libc C/POSIX, or a
    builtin code-point locale)."""
    if provider in (None, "c"):
        return datcollate in ("C", "POSIX")
    if provider == "b":
        return locale in _CODEPOINT_LOCALES
    return False


def describe_index(conn: psycopg.Connection[Any], oid: int) -> IndexDescription:
    """The tuple descriptor, key ordering and key opclasses of index ``oid`` (of any access
    method)."""
    import psycopg

    from pageinspect_py.sources.queries.pages import index_catalog

    desc = describe_relation(conn, oid)
    try:
        row = index_catalog(conn, oid)
    except psycopg.Error as exc:
        raise SourceError(f"reading pg_index for OID {oid}: {exc}") from exc
    if row is None:
        raise RelationNotFoundError(f"relation OID {oid} is not an index")
    return index_description(
        desc.relname,
        desc.attributes,
        indnkeyatts=row.indnkeyatts,
        indoption=row.indoption,
        indcollation=row.indcollation,
        unique=row.indisunique,
        default_collation_is_c=default_collation_is_c(
            row.datcollate, row.datlocprovider, row.datlocale
        ),
        extra=dict(desc.extra),
        opclasses=row.opclasses,
        amname=row.amname,
    )
