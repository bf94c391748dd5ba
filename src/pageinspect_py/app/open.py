"""Opening what a command's TARGET names: a relation file, a relation of a data directory
(``PGDATA --db NAME RELATION``), or a relation on a live server.

One place decides, from the arguments the command was given (``dsn`` and ``live``; a data
directory is a folder with ``PG_VERSION`` and ``global/pg_control``), never by probing the
source afterwards. The live branch imports psycopg; the others do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pageinspect_py.errors import SourceError

if TYPE_CHECKING:
    from pageinspect_py.app.datadir import DataDirRelation
    from pageinspect_py.page.raw import PageSource
    from pageinspect_py.sources.live import LiveSource


def is_live(dsn: str | None, live: bool) -> bool:
    """TARGET names a relation on a server (``--dsn DSN`` or ``--live``)."""
    return dsn is not None or live


@dataclass(frozen=True, slots=True)
class Target:
    """TARGET after resolution: the relation file to read and, when it was found through a
    data directory's catalogs, that relation (description, TOAST table)."""

    path: str
    relation: DataDirRelation | None = None
    warnings: tuple[str, ...] = ()

    @property
    def toast_path(self) -> str | None:
        if self.relation is None or self.relation.toast_path is None:
            return None
        return str(self.relation.toast_path)


def resolve_target(
    target: str, relation: str | None, database: str | None, *, live: bool = False
) -> Target:
    """A relation file as given, or ``relation`` of ``database`` in the data directory
    ``target``. SourceError when the arguments do not fit together."""
    from pageinspect_py.sources.datadir.directory import looks_like_datadir

    if live:
        if relation is not None or database is not None:
            raise SourceError(
                "RELATION and --db are for a data directory; with --dsn/--live TARGET is the "
                "relation"
            )
        return Target(target)
    if not looks_like_datadir(target):
        if relation is not None or database is not None:
            what = "no such directory" if not Path(target).exists() else "not a data directory"
            raise SourceError(
                f"{target}: {what} (RELATION and --db name a relation of a data directory: "
                "a folder with PG_VERSION and global/pg_control)"
            )
        return Target(target)
    from pageinspect_py.app.datadir import find_relation, open_cluster

    cluster = open_cluster(target)
    if relation is None:
        raise SourceError(
            f"{target} is a data directory: name a relation, e.g. "
            f"{target} --db {database or 'NAME'} schema.table"
        )
    found = find_relation(cluster, database, relation)
    if found.path is None:
        kind = found.cls.relkind
        raise SourceError(
            f"{found.cls.qualified} has no storage (relkind {kind!r}: a view, partitioned or "
            "foreign table, or composite type); name one of its partitions or a table"
        )
    if not found.path.exists():
        raise SourceError(f"{found.path}: the file of {found.cls.qualified} is not in this copy")
    return Target(str(found.path), found, (*cluster.warnings, *cluster.problems))


def open_file(target: str, first_block: int | None, block_size: int | None) -> PageSource:
    """TARGET as a relation file (plain, segmented or gzipped)."""
    from pageinspect_py.sources.file import FileSource

    if not Path(target).exists() and "/" not in target:
        raise SourceError(
            f"{target}: no such file (to read a relation from a server, pass --dsn DSN or --live)"
        )
    return FileSource(target, first_block=first_block, block_size=block_size)


def open_server(dsn: str | None, target: str) -> LiveSource:
    """TARGET as a relation on the server ``dsn`` names (None: the PG* environment)."""
    from pageinspect_py.sources.live import open_live

    return open_live(dsn, target)


def open_source(
    target: str, dsn: str | None, live: bool, first_block: int | None, block_size: int | None
) -> PageSource:
    """The page source TARGET names: a live relation with ``dsn``/``live``, else a file."""
    if is_live(dsn, live):
        return open_server(dsn, target)
    return open_file(target, first_block, block_size)
