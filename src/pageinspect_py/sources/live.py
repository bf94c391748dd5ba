"""Pages of a relation read from a running server with pageinspect's ``get_raw_page``.

:func:`open_live` connects, resolves the relation and checks, before any page is read, that
it has storage, that pageinspect is installed and that the role may use it. Every failure
becomes a :class:`~pageinspect_py.errors.SourceError` subclass whose message is one line
naming what failed and what would fix it; psycopg exceptions never escape (they stay chained
as ``__cause__`` for debugging).

Pages come from shared buffers, not from the relation files: ``checksum_verifiable`` is
False because ``pd_checksum`` is only set when a page is written out, so a buffer copy can
carry a stale or zero checksum.

Bulk readers get runs of blocks from :meth:`LiveSource.chunks` (:meth:`LiveSource.pages`
reads the same way): one ``get_raw_page`` per block but one round trip per run (at most
:data:`BATCH_BYTES` of pages), so a scan of a live relation is not one query per page.
:meth:`LiveSource.reopen` gives a worker its own connection to the same relation.

All SQL lives in :mod:`pageinspect_py.sources.queries`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg

from pageinspect_py.errors import (
    BlockOutOfRangeError,
    ConnectionFailedError,
    ExtensionMissingError,
    ForkNotFoundError,
    NoStorageError,
    PrivilegeError,
    RelationNotFoundError,
    SourceError,
)
from pageinspect_py.page.raw import FORKS, Chunk, Fork, PageSource, RawPage
from pageinspect_py.sources.connection import connect, server_message
from pageinspect_py.sources.queries.pages import (
    RelationInfo,
    child_relations,
    fork_nblocks,
    get_raw_page,
    get_raw_pages,
    resolve_relation,
)
from pageinspect_py.sources.queries.server import (
    ExtensionInfo,
    ServerInfo,
    Variants,
    choose_variants,
    extension,
    server_info,
)

#: How a relation without storage is described, and where its data is instead.
_NO_STORAGE: dict[str, tuple[str, str]] = {
    "v": ("a view", "read the tables it selects from"),
    "c": ("a composite type", "it only describes a row type"),
    "f": ("a foreign table", "its rows live on the foreign server"),
    "p": ("a partitioned table", "its partitions hold the data"),
    "I": ("a partitioned index", "the indexes of its partitions hold the data"),
}
#: Why a fork may have no file.
_FORK_ABSENT: dict[str, str] = {
    "main": "its data file is missing",
    "fsm": "VACUUM creates the free space map",
    "vm": "VACUUM creates the visibility map",
    "init": "only unlogged relations have an init fork",
}
#: Children named in a message about a partitioned relation before "and N more".
_CHILDREN_SHOWN = 3
#: The most page bytes one round trip of :meth:`LiveSource.chunks` asks for (512 pages of
#: 8 kB): enough to make the per-statement cost small, small enough for any server's memory.
BATCH_BYTES = 4 * 1024 * 1024


def _blocks(n: int) -> str:
    return f"{n} block" if n == 1 else f"{n} blocks"


def open_live(dsn: str | None, relation: str) -> LiveSource:
    """Connect to a server and open ``relation`` (any text a ``regclass`` cast accepts).

    ``dsn`` is a libpq connection string or URI; None or ``""`` leaves everything to libpq's
    environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSERVICE, ...) and defaults.
    """
    conn = connect(dsn)
    try:
        return LiveSource(conn, relation, dsn=dsn)
    except BaseException:
        conn.close()
        raise


class LiveSource(PageSource):
    """One relation on a live server; each ``read_page`` is one ``get_raw_page`` call, each
    run of :meth:`chunks` and :meth:`pages` one statement over a run of blocks.

    Build it with :func:`open_live`. The connection is in autocommit mode, so a failed
    statement leaves nothing to roll back and the next one runs normally. ``dsn`` is what
    :meth:`reopen` connects with; by default the session's own parameters (libpq leaves the
    password out of them: it comes again from the environment or the password file).
    """

    reopenable = True

    def __init__(
        self, conn: psycopg.Connection[Any], relation: str, *, dsn: str | None = None
    ) -> None:
        self._conn = conn
        self._pid = os.getpid()  # a forked worker must not close its parent's session
        self.dsn = conn.info.dsn if dsn is None else dsn
        info = conn.info
        #: ``host:port``; the host of a unix-socket connection is the socket directory
        self.server_address = f"{info.host}:{info.port}"
        #: ``host:port/database``, as named in messages and page origins
        self.location = f"{self.server_address}/{info.dbname}"
        with self._server_errors("reading server settings"):
            self.server: ServerInfo = server_info(conn)
        self.block_size = self.server.block_size
        self.checksum_verifiable = False
        self.relation: RelationInfo = self._resolve(relation)
        self.name = f"{self.relation.qualified_name} on {self.location}"
        self._require_storage()
        self.variants: Variants = choose_variants(self.server, self._require_pageinspect())
        self._require_superuser()

    @property
    def connection(self) -> psycopg.Connection[Any]:
        """The session, for catalog queries about the same relation."""
        return self._conn

    # ----------------------------------------------------------------------------------------
    # PageSource

    def nblocks(self, fork: Fork = "main") -> int:
        """Whole blocks in ``fork``, from ``pg_relation_size``; 0 when the fork has no file."""
        self._check_fork(fork)
        with self._server_errors(f"sizing the {fork} fork of {self.relation.qualified_name}"):
            size = fork_nblocks(self._conn, self.relation.oid, fork)
        if size.nblocks is None:
            raise RelationNotFoundError(
                f"{self.relation.qualified_name} (OID {self.relation.oid}) was dropped "
                f"from {self.location}"
            )
        return size.nblocks

    def read_page(self, blkno: int, fork: Fork = "main") -> RawPage:
        """Block ``blkno`` of ``fork`` as ``get_raw_page`` returns it (a shared-buffer copy)."""
        self._check_fork(fork)
        if not 0 <= blkno <= self.variants.raw_page_max_blkno:
            self._refuse_block_number(blkno, fork)
        with self._page_errors(f"reading block {blkno} ({fork})", fork, blkno):
            row = get_raw_page(self._conn, self.variants, self.relation.qualified_name, fork, blkno)
        return RawPage(
            blkno=blkno,
            data=row.page,
            fork=fork,
            origin=self.origin(blkno, fork),
            checksum_verifiable=False,
        )

    def pages(
        self, fork: Fork = "main", start: int = 0, stop: int | None = None
    ) -> Iterator[RawPage]:
        """Blocks ``start`` up to ``stop`` (exclusive, default: the end), read in runs as
        :meth:`chunks` reads them. When a run fails, its blocks are read one by one: every
        page before the failing block is still yielded, then that block's own error is
        raised, as if each had been read alone."""
        for first, last in self._runs(fork, start, stop, None):
            try:
                chunk = self._read_run(fork, first, last)
            except ConnectionFailedError:
                raise
            except SourceError:
                for blkno in range(first, last + 1):
                    yield self.read_page(blkno, fork)
                continue
            for i in range(chunk.count):
                blkno = first + i
                yield RawPage(blkno, chunk.page(i), fork, self.origin(blkno, fork), False)

    def chunks(
        self, fork: Fork = "main", start: int = 0, stop: int | None = None, pages: int = 1024
    ) -> Iterator[Chunk]:
        """Blocks ``start .. stop - 1`` (default: to the end) in runs of at most ``pages``
        blocks, each run read in one round trip of at most :data:`BATCH_BYTES`.

        The same bytes, block for block, as :meth:`read_page` (each page is its own
        shared-buffer copy, not one snapshot of the run); the same errors, naming the
        first block of the run that failed.
        """
        if pages < 1:
            raise ValueError("pages must be at least 1")
        for first, last in self._runs(fork, start, stop, pages):
            yield self._read_run(fork, first, last)

    def _runs(
        self, fork: Fork, start: int, stop: int | None, pages: int | None
    ) -> Iterator[tuple[int, int]]:
        """``(first, last)`` of each run of ``start .. stop - 1``, refusing block numbers
        ``get_raw_page`` cannot be asked for when the run reaches them."""
        self._check_fork(fork)
        end = self.nblocks(fork) if stop is None else min(stop, self.nblocks(fork))
        run = max(1, BATCH_BYTES // self.block_size)
        if pages is not None:
            run = min(run, pages)
        first = start
        while first < end:
            if not 0 <= first <= self.variants.raw_page_max_blkno:
                self._refuse_block_number(first, fork)
            last = min(first + run, end, self.variants.raw_page_max_blkno + 1) - 1
            yield first, last
            first = last + 1

    def _read_run(self, fork: Fork, first: int, last: int) -> Chunk:
        """Blocks ``first .. last`` in one statement."""
        with self._page_errors(f"reading blocks {first}-{last} ({fork})", fork, first, last):
            rows = get_raw_pages(
                self._conn, self.variants, self.relation.qualified_name, fork, first, last
            )
        data = b"".join(row.page for row in rows)
        count = last - first + 1
        in_order = [row.blkno for row in rows] == list(range(first, last + 1))
        if not in_order or len(data) != count * self.block_size:
            raise SourceError(
                f"reading blocks {first}-{last} ({fork}) of {self.relation.qualified_name} "
                f"on {self.location}: the server returned {len(rows)} pages, "
                f"{len(data)} bytes, for {_blocks(count)} of {self.block_size} bytes"
            )
        return Chunk(first, data, fork, self.block_size)

    def origin(self, blkno: int, fork: Fork = "main") -> str:
        """Where block ``blkno`` comes from (no page is read to say so)."""
        return f"{self.relation.qualified_name} block {blkno} ({fork}) on {self.location}"

    def reopen(self) -> LiveSource | None:
        """The same relation (by OID) on a new connection made with :attr:`dsn`, for a
        worker; None when that connection or the relation cannot be opened again."""
        try:
            conn = connect(self.dsn)
        except ConnectionFailedError:
            return None
        try:
            return LiveSource(conn, str(self.relation.oid), dsn=self.dsn)
        except SourceError:
            conn.close()
            return None

    def close(self) -> None:
        """Close the connection (idempotent). In a process forked after the source was opened
        nothing is closed: the session is the parent's (a worker uses :meth:`reopen`)."""
        if os.getpid() == self._pid:
            self._conn.close()

    def __enter__(self) -> LiveSource:
        return self

    # ----------------------------------------------------------------------------------------
    # Checks made once, when the source is opened

    def _resolve(self, relation: str) -> RelationInfo:
        where = f"in {self.location}"
        with self._server_errors(f"looking up relation {relation!r}"):
            try:
                found = resolve_relation(self._conn, relation)
            except (
                pg.UndefinedTable,  # relation "x" does not exist
                pg.InvalidSchemaName,  # schema "x" does not exist (12-15)
                pg.FeatureNotSupported,  # cross-database references are not implemented
            ) as exc:
                raise RelationNotFoundError(f"{server_message(exc)} ({where})") from exc
            except (
                pg.SyntaxError,  # improper relation name (too many dotted names)
                pg.InvalidName,  # invalid name syntax
            ) as exc:
                raise RelationNotFoundError(
                    f"{relation!r} is not a relation name: {server_message(exc)}"
                ) from exc
            except pg.InsufficientPrivilege as exc:
                raise PrivilegeError(
                    f"{server_message(exc)} (role {self.server.user} {where}): "
                    f"looking up {relation!r} needs USAGE on its schema"
                ) from exc
        if found is None:
            raise RelationNotFoundError(f"no relation has OID {relation} ({where})")
        return found

    def _require_storage(self) -> None:
        relation = self.relation
        if relation.has_storage:
            return
        kind, hint = _NO_STORAGE.get(relation.relkind, (f"of relkind {relation.relkind!r}", ""))
        message = f"{relation.qualified_name} is {kind} and has no storage of its own"
        if relation.relkind in ("p", "I"):  # name where the data is
            with self._server_errors(f"listing the partitions of {relation.qualified_name}"):
                children = [c.qualified_name for c in child_relations(self._conn, relation.oid)]
            if children:
                shown = ", ".join(children[:_CHILDREN_SHOWN])
                more = len(children) - _CHILDREN_SHOWN
                hint += f" ({shown}{f' and {more} more' if more > 0 else ''})"
            else:
                hint += " (it has no partitions yet)"
        raise NoStorageError(f"{message}; {hint}" if hint else message)

    def _require_pageinspect(self) -> ExtensionInfo:
        with self._server_errors("checking for the pageinspect extension"):
            pageinspect = extension(self._conn, "pageinspect")
        database = self.server.database
        remedy = f"run CREATE EXTENSION pageinspect; in database {database} as a superuser"
        if pageinspect.installed_version is not None:
            return pageinspect
        if pageinspect.default_version is None:
            raise ExtensionMissingError(
                f"the server at {self.server_address} has no pageinspect extension: install "
                f"its contrib modules (Debian: postgresql-contrib), then {remedy}"
            )
        raise ExtensionMissingError(
            f"pageinspect is not installed in database {database} on {self.server_address}: "
            f"{remedy}"
        )

    def _require_superuser(self) -> None:
        """pageinspect 1.5-1.13 (PostgreSQL 12-18) refuse raw pages to non-superusers."""
        if not self.server.is_superuser:
            raise self._privilege_error(None)

    def _privilege_error(self, exc: psycopg.Error | None) -> PrivilegeError:
        why = f" ({server_message(exc)})" if exc is not None else ""
        return PrivilegeError(
            f"role {self.server.user} is not a superuser{why}: pageinspect's get_raw_page "
            f"only runs for superusers, so connect to {self.location} as one (e.g. postgres)"
        )

    # ----------------------------------------------------------------------------------------
    # Helpers

    @staticmethod
    def _check_fork(fork: str) -> None:
        if fork not in FORKS:
            raise SourceError(f"unknown fork {fork!r}: expected one of {', '.join(FORKS)}")

    def _out_of_range(self, blkno: int, fork: Fork, nblocks: int) -> BlockOutOfRangeError:
        return BlockOutOfRangeError(
            f"block {blkno} is out of range for {self.relation.qualified_name} on "
            f"{self.location}: its {fork} fork has {_blocks(nblocks)}"
        )

    def _refuse_block_number(self, blkno: int, fork: Fork) -> None:
        """Raise for a block number ``get_raw_page`` cannot be asked for."""
        nblocks = self.nblocks(fork)
        if 0 <= blkno < nblocks:  # only with pageinspect < 1.9 on a relation of >= 16 TiB
            raise SourceError(
                f"pageinspect {'.'.join(map(str, self.variants.pageinspect_version))} in "
                f"database {self.server.database} takes int4 block numbers and cannot read "
                f"block {blkno}: run ALTER EXTENSION pageinspect UPDATE;"
            )
        raise self._out_of_range(blkno, fork, nblocks)

    @contextmanager
    def _page_errors(
        self, doing: str, fork: Fork, first: int, last: int | None = None
    ) -> Iterator[None]:
        """What ``get_raw_page`` raises for blocks ``first .. last``, as one-line messages."""
        qualified_name = self.relation.qualified_name
        with self._server_errors(f"{doing} of {qualified_name}"):
            try:
                yield
            except pg.InvalidParameterValue as exc:
                # "block number N is out of range": confirm with the fork's size, then say it
                nblocks = self.nblocks(fork)
                if (first if last is None else last) >= nblocks:
                    raise self._out_of_range(max(first, nblocks), fork, nblocks) from exc
                raise
            except pg.UndefinedFile as exc:
                raise ForkNotFoundError(
                    f"{qualified_name} has no {fork} fork on {self.location} ({_FORK_ABSENT[fork]})"
                ) from exc
            except pg.InsufficientPrivilege as exc:
                raise self._privilege_error(exc) from exc
            except pg.UndefinedTable as exc:
                raise RelationNotFoundError(
                    f"{qualified_name} was dropped from {self.location}"
                ) from exc
            except pg.UndefinedFunction as exc:
                raise ExtensionMissingError(
                    f"pageinspect's get_raw_page is gone from database {self.server.database} "
                    f"on {self.server_address}: {server_message(exc)}"
                ) from exc

    @contextmanager
    def _server_errors(self, doing: str) -> Iterator[None]:
        """Turn any psycopg error left unhandled inside the block into a one-line SourceError."""
        try:
            yield
        except psycopg.Error as exc:
            # not "isinstance(OperationalError)": psycopg files SQLSTATE class 58 (I/O errors
            # such as a missing file) under it too, with the session still usable
            if self._conn.closed:  # also true when the connection broke
                raise ConnectionFailedError(
                    f"lost the connection to {self.location} while {doing}: {server_message(exc)}"
                ) from exc
            raise SourceError(f"{doing} failed on {self.location}: {server_message(exc)}") from exc
