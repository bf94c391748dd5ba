"""A data directory (``PGDATA``, a stopped cluster's copy or a base backup) as a source.

Where each file of a cluster lives (storage/relpath.h, common/relpath.c):

- shared relations: ``global/<filenumber>``;
- a database's relations in the default tablespace: ``base/<dboid>/<filenumber>``;
- in another tablespace: ``pg_tblspc/<spcoid>/PG_<major>_<catversion>/<dboid>/<filenumber>``
  (``pg_tblspc/<spcoid>`` is a symbolic link to the tablespace's location);
- forks ``_fsm``, ``_vm``, ``_init`` and segments ``.1``, ``.2``... beside the main file.

A relation's file number is ``pg_class.relfilenode``, or for a mapped catalog (relfilenode 0)
the number in ``pg_filenode.map``. Nothing here writes to the directory.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pageinspect_py.errors import DataDirectoryError
from pageinspect_py.sources.datadir.relmap import RelationMap, read_relmap

if TYPE_CHECKING:
    from pageinspect_py.sources.datadir.control import ControlFile
    from pageinspect_py.sources.datadir.slru import DataDirectoryXacts
    from pageinspect_py.sources.file import FileSource

#: the oldest major whose data directories are read
OLDEST_MAJOR = 12
#: pg_tablespace OIDs of the two built-in tablespaces (pg_tablespace.dat)
DEFAULTTABLESPACE_OID = 1663
GLOBALTABLESPACE_OID = 1664


def looks_like_datadir(path: str | os.PathLike[str]) -> bool:
    """A folder holding ``PG_VERSION`` and ``global/pg_control``."""
    p = Path(path)
    return p.is_dir() and (p / "PG_VERSION").is_file() and (p / "global" / "pg_control").is_file()


class DataDirectory:
    """The files of one cluster. Open with :func:`open_datadir`."""

    def __init__(self, root: Path, major: int) -> None:
        self.root = root
        self.major = major
        self._maps: dict[int, RelationMap] = {}

    @property
    def name(self) -> str:
        return str(self.root)

    @cached_property
    def control(self) -> ControlFile:
        from pageinspect_py.sources.datadir.control import read_control

        return read_control(self.root)

    @cached_property
    def xacts(self) -> DataDirectoryXacts:
        """Transaction and multixact status from ``pg_xact`` and ``pg_multixact``, bounded by
        pg_control. Prepared transactions are in progress; after a clean shutdown any other
        xid pg_xact still calls in progress never ended (PostgreSQL counts it aborted)."""
        from pageinspect_py.sources.datadir.slru import DataDirectoryXacts, prepared_xids

        control = self.control
        cp = control.checkPointCopy
        clean = control.state in ("shut down", "shut down in recovery")
        return DataDirectoryXacts(
            self.root,
            block_size=self.block_size,
            next_xid=control.next_xid32,
            oldest_xid=cp.oldestXid,
            next_multi=cp.nextMulti,
            next_multi_offset=cp.nextMultiOffset,
            oldest_multi=cp.oldestMulti,
            prepared=prepared_xids(self.root) if clean else None,
        )

    @property
    def block_size(self) -> int:
        return int(self.control.blcksz)

    @property
    def segment_bytes(self) -> int:
        return int(self.control.relseg_size) * self.block_size

    @cached_property
    def warnings(self) -> tuple[str, ...]:
        """What a reader should be told once: a server may be running on this directory."""
        if (self.root / "postmaster.pid").exists():
            return (
                f"{self.root}: postmaster.pid exists, a server may be running: pages may be "
                "torn or stale while it runs (read a stopped copy or a pg_basebackup instead)",
            )
        return ()

    def relmap(self, db_oid: int | None, tablespace: int = 0) -> RelationMap:
        """The relation map of database ``db_oid`` (None: the shared catalogs')."""
        key = db_oid or 0
        if key not in self._maps:
            folder = (
                self.root / "global" if db_oid is None else self.database_dir(db_oid, tablespace)
            )
            self._maps[key] = read_relmap(folder / "pg_filenode.map", self.major)
        return self._maps[key]

    def tablespace_dir(self, spcoid: int) -> Path:
        """``pg_tblspc/<spcoid>/PG_<major>_<catversion>``: found by its ``PG_<major>_`` prefix."""
        link = self.root / "pg_tblspc" / str(spcoid)
        if not link.exists():
            raise DataDirectoryError(f"{link}: tablespace {spcoid} is not in this directory")
        found = sorted(link.glob(f"PG_{self.major}_*"))
        if not found:
            raise DataDirectoryError(f"{link}: no PG_{self.major}_* folder in tablespace {spcoid}")
        return found[-1]

    def database_dir(self, db_oid: int, tablespace: int = 0) -> Path:
        if tablespace in (0, DEFAULTTABLESPACE_OID):
            return self.root / "base" / str(db_oid)
        return self.tablespace_dir(tablespace) / str(db_oid)

    def relation_path(
        self, filenumber: int, *, db_oid: int, tablespace: int = 0, shared: bool = False
    ) -> Path:
        """The main fork's first segment of a relation (it may not exist)."""
        if shared or tablespace == GLOBALTABLESPACE_OID:
            return self.root / "global" / str(filenumber)
        return self.database_dir(db_oid, tablespace) / str(filenumber)

    def open_relation(self, path: Path) -> FileSource:
        from pageinspect_py.sources.file import FileSource

        return FileSource(path, block_size=self.block_size, segment_bytes=self.segment_bytes)

    def __repr__(self) -> str:
        return f"DataDirectory({str(self.root)!r}, major={self.major})"


def open_datadir(path: str | os.PathLike[str]) -> DataDirectory:
    """The data directory at ``path``; DataDirectoryError when it is not one."""
    root = Path(path)
    if not root.exists():
        raise DataDirectoryError(f"{root}: no such directory")
    if not root.is_dir():
        raise DataDirectoryError(f"{root}: not a directory")
    version = root / "PG_VERSION"
    if not version.is_file() or not (root / "global" / "pg_control").is_file():
        raise DataDirectoryError(
            f"{root}: not a PostgreSQL data directory (no PG_VERSION and global/pg_control)"
        )
    text = version.read_text(errors="replace").strip()
    try:
        major = int(text.split(".")[0])
    except ValueError as exc:
        raise DataDirectoryError(f"{version}: {text!r} is not a PostgreSQL version") from exc
    if major < OLDEST_MAJOR:
        raise DataDirectoryError(
            f"{root}: PostgreSQL {major} is older than {OLDEST_MAJOR}, not supported"
        )
    return DataDirectory(root, major)
