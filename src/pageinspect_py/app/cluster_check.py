"""``pgpage check PGDATA``: every relation of a data directory, checked as ``pgpage check``
checks one, with the files no relation owns.

Which relations: every ``pg_class`` row with storage of every database whose folder is in the
directory (or of one database), and the shared catalogs (``global/``, listed in each
database's ``pg_class``). Each is checked by :func:`pageinspect_py.app.check.check_relation`
-- every fork, every segment, checksums with absolute block numbers, hint bits against pg_xact,
xids and multixacts against pg_control's bounds and the relation's pg_class row (amcheck's
verify_heapam rules) -- so the findings are those of checking each relation alone. On top of
it, what only the whole directory says:

* checksum failures counted as ``pg_checksums --check`` counts them (a page fails when it is
  not new -- ``pd_upper`` is not 0 -- and ``pg_checksum_page`` differs from ``pd_checksum``;
  in a cluster with data checksums a ``pd_checksum`` of 0 is a failure too), named by the
  file and the block within it, as pg_checksums prints them;
* orphans: files in ``global/`` or a database's folders that belong to no relation (besides
  ``PG_VERSION``, ``pg_filenode.map``, ``pg_internal.init``, ``pgsql_tmp*`` and temporary
  relations' ``t<N>_<M>`` files). Those named like relation files are checked too, as
  pg_checksums would read them;
* an empty file is no problem here: it is how PostgreSQL stores an empty relation.

:func:`plan_cluster_check` opens the catalogs and finds the files (so the block total is known
before any page is read); :meth:`ClusterCheckPlan.run` checks them, small relations spread over
worker processes, large ones split by :func:`check_relation` itself. The report does not
depend on the number of workers.
"""

from __future__ import annotations

import os
import re
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from pageinspect_py.analysis.catalogs import ClassRow, Database, DatabaseCatalog
from pageinspect_py.app.check import CheckReport, check_relation
from pageinspect_py.app.datadir import (
    Cluster,
    class_xid_bounds,
    class_xid_horizons,
    open_cluster,
)
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.page import ChecksumStatus
from pageinspect_py.errors import DataDirectoryError, PageInspectError
from pageinspect_py.layouts.page import PAGE_HEADER_OFFSETS
from pageinspect_py.page import arrays
from pageinspect_py.page.checksum import page_checksum
from pageinspect_py.page.raw import FORKS, Fork
from pageinspect_py.page.xidbounds import XidBounds
from pageinspect_py.scan.check import Finding
from pageinspect_py.scan.parallel import PARALLEL_MIN_BLOCKS, Progress
from pageinspect_py.sources.datadir.slru import DataDirectoryXacts, XactsSpec, share
from pageinspect_py.sources.file import FileSource

#: makes the progress display for a number of blocks: ``with factory(total) as advance: ...``
ProgressFactory = Callable[[int], AbstractContextManager[Progress]]

#: relation files: ``<filenumber>[_fork][.segment]``
_RELATION_FILE = re.compile(r"^(?P<number>\d+)(?:_(?P<fork>fsm|vm|init))?(?:\.(?P<seg>\d+))?$")
#: a temporary relation's files: ``t<backend>_<filenumber>[_fork][.segment]``
_TEMP_RELATION_FILE = re.compile(r"^t\d+_\d+(?:_(?:fsm|vm|init))?(?:\.\d+)?$")
#: names pg_checksums skips (pg_checksums.c ``skip[]``, its temporary-file prefix), exact ...
_NOT_RELATION_FILES = frozenset({"PG_VERSION", "pg_filenode.map", "pg_control"})
#: ... and by prefix
_NOT_RELATION_PREFIXES = ("pg_internal.init", "pgsql_tmp", "config_exec_params")
_FORK_SUFFIX: dict[Fork, str] = {"main": "", "fsm": "_fsm", "vm": "_vm", "init": "_init"}
#: pg_control states in which pg_checksums agrees to run
_SHUT_DOWN = ("shut down", "shut down in recovery")
#: small relations go to workers in batches of this many
_BATCH = 8


# ----------------------------------------------------------------------------------------------
# the report


@dataclass(frozen=True, slots=True)
class ChecksumFailure:
    """One block ``pg_checksums --check`` reports: ``checksum verification failed in file
    "<file>", block <block>: calculated checksum <computed> but block contains <stored>``."""

    file: str  #: the segment file, relative to the data directory
    block: int  #: block number within that file (what pg_checksums prints)
    fork: Fork
    blkno: int  #: absolute block number in the fork (what the checksum is computed with)
    stored: int  #: pd_checksum
    computed: int  #: pg_checksum_page

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "block": self.block,
            "fork": self.fork,
            "blkno": self.blkno,
            "stored": self.stored,
            "computed": self.computed,
        }


@dataclass(frozen=True, slots=True)
class Checked:
    """What checking one set of relation files found (a relation's, or an orphan's)."""

    report: CheckReport
    checksum_failures: tuple[ChecksumFailure, ...] = ()
    files: int = 0  #: segment files read
    #: a cluster without data checksums: pages whose pd_checksum does not match (a value left
    #: from when checksums were on), not findings there
    stale_checksums: int = 0

    @property
    def blocks(self) -> int:
        return sum(summary.blocks for summary in self.report.forks)

    @property
    def problems(self) -> bool:
        return self.report.problems or bool(self.checksum_failures)


@dataclass(frozen=True, slots=True)
class RelationCheck:
    """One relation: its catalog row, where its files are, and their check."""

    database: str | None  #: None: a shared catalog (``global/``)
    cls: ClassRow
    path: str  #: the main fork's first segment, relative to the data directory
    checked: Checked

    @property
    def report(self) -> CheckReport:
        return self.checked.report

    @property
    def problems(self) -> bool:
        return self.checked.problems

    def as_json(self) -> dict[str, Any]:
        out = self.report.as_json()
        out.update(
            {
                "database": self.database,
                "schema": self.cls.nspname,
                "name": self.cls.relname,
                "path": self.path,
                "oid": self.cls.oid,
                "relkind": self.cls.relkind,
                "relpersistence": self.cls.relpersistence,
                "files": self.checked.files,
                "checksum_failures": [f.as_json() for f in self.checked.checksum_failures],
                "problems": self.problems,
            }
        )
        return out


@dataclass(frozen=True, slots=True)
class Orphan:
    """Files that belong to no relation: one file number's files, one other file, or a
    folder. Those named like relation files were checked (``checked``)."""

    path: str  #: relative to the data directory (a file number's main file name)
    kind: str  #: "relation files", "file" or "directory"
    reason: str
    files: tuple[str, ...] = ()  #: the files, relative to the data directory
    size: int = 0  #: bytes in them
    checked: Checked | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "reason": self.reason,
            "files": list(self.files),
            "bytes": self.size,
            "report": None if self.checked is None else self.checked.report.as_json(),
            "checksum_failures": []
            if self.checked is None
            else [f.as_json() for f in self.checked.checksum_failures],
        }


@dataclass(frozen=True, slots=True)
class ClusterTotals:
    relations: int
    relations_with_problems: int
    files: int  #: segment files read (pg_checksums' "Files scanned" when nothing is skipped)
    blocks: int  #: pg_checksums' "Blocks scanned"
    checksums: dict[str, int]  #: pages per checksum verdict
    checksum_failures: int  #: pg_checksums' "Bad checksums"
    errors: int
    warnings: int
    orphans: int
    not_decoded: int  #: pages of access methods whose items are not decoded

    def as_json(self) -> dict[str, Any]:
        return {
            "relations": self.relations,
            "relations_with_problems": self.relations_with_problems,
            "files": self.files,
            "blocks": self.blocks,
            "checksums": self.checksums,
            "checksum_failures": self.checksum_failures,
            "errors": self.errors,
            "warnings": self.warnings,
            "orphans": self.orphans,
            "not_decoded": self.not_decoded,
        }


@dataclass(frozen=True, slots=True)
class ClusterCheckReport:
    datadir: str
    major: int
    block_size: int
    segment_blocks: int  #: blocks per segment file (RELSEG_SIZE)
    data_checksum_version: int  #: 0: the cluster has no data checksums
    state: str  #: pg_control's cluster state
    databases: tuple[Database, ...]  #: checked
    missing_databases: tuple[Database, ...]  #: in pg_database, no folder in this copy
    relations: tuple[RelationCheck, ...]
    orphans: tuple[Orphan, ...]
    #: things to say once, beside the report (catalog rows of unknown status, skipped
    #: temporary relations, a server that may be running)
    notes: tuple[str, ...] = ()

    @property
    def checksum_failures(self) -> tuple[ChecksumFailure, ...]:
        """Every block pg_checksums would report, in report order."""
        out = [f for r in self.relations for f in r.checked.checksum_failures]
        out += [f for o in self.orphans if o.checked for f in o.checked.checksum_failures]
        return tuple(out)

    @property
    def problems(self) -> bool:
        return bool(self.orphans) or any(r.problems for r in self.relations)

    @property
    def totals(self) -> ClusterTotals:
        checked = [r.checked for r in self.relations]
        checked += [o.checked for o in self.orphans if o.checked is not None]
        forks = [summary for c in checked for summary in c.report.forks]
        checksums: Counter[str] = Counter()
        for summary in forks:
            checksums.update(summary.checksums)
        findings = [f for c in checked for f in c.report.findings]
        return ClusterTotals(
            relations=len(self.relations),
            relations_with_problems=sum(r.problems for r in self.relations),
            files=sum(c.files for c in checked),
            blocks=sum(c.blocks for c in checked),
            checksums={str(s): checksums[s] for s in ChecksumStatus if checksums[s]},
            checksum_failures=len(self.checksum_failures),
            errors=sum(f.severity == "error" for f in findings),
            warnings=sum(f.severity == "warning" for f in findings),
            orphans=len(self.orphans),
            not_decoded=sum(sum(s.not_decoded.values()) for s in forks),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "datadir": self.datadir,
            "major": self.major,
            "block_size": self.block_size,
            "segment_blocks": self.segment_blocks,
            "data_checksum_version": self.data_checksum_version,
            "state": self.state,
            "databases": [{"oid": d.oid, "datname": d.datname} for d in self.databases],
            "missing_databases": [
                {"oid": d.oid, "datname": d.datname} for d in self.missing_databases
            ],
            "relations": [r.as_json() for r in self.relations],
            "orphans": [o.as_json() for o in self.orphans],
            "checksum_failures": [f.as_json() for f in self.checksum_failures],
            "totals": self.totals.as_json(),
            "notes": list(self.notes),
            "problems": self.problems,
        }


# ----------------------------------------------------------------------------------------------
# the plan: catalogs read, files found, nothing checked yet


@dataclass(slots=True)
class _Planned:
    """A relation (or an orphan's files) to check: the source, or why there is none."""

    database: str | None
    cls: ClassRow | None  #: None: an orphan
    path: Path  #: main fork's first segment
    source: FileSource | None
    problem: str | None = None  #: the files cannot be read (no file, unreadable)
    #: the ids its tuples may hold (pg_control's, its pg_class row's); None: an orphan
    bounds: XidBounds | None = None

    @property
    def blocks(self) -> int:
        if self.source is None:
            return 0
        return sum(self.source.nblocks(fork) for fork in FORKS)


@dataclass(slots=True)
class _PlannedOrphan:
    orphan: Orphan
    planned: _Planned | None  #: its files, when they are named like a relation's


@dataclass(slots=True)
class ClusterCheckPlan:
    """What :meth:`run` will check. Made by :func:`plan_cluster_check`."""

    cluster: Cluster
    databases: tuple[Database, ...]
    missing_databases: tuple[Database, ...]
    relations: list[_Planned]
    orphans: list[_PlannedOrphan]
    notes: list[str] = field(default_factory=list)

    @property
    def blocks(self) -> int:
        """Blocks the check reads (for a progress bar)."""
        planned = self.relations + [o.planned for o in self.orphans if o.planned is not None]
        return sum(p.blocks for p in planned)

    @property
    def checksums_on(self) -> bool:
        return int(self.cluster.datadir.control.data_checksum_version) != 0

    def run(self, *, jobs: int = 1, progress: Progress | None = None) -> ClusterCheckReport:
        """Check every planned relation and orphan on up to ``jobs`` processes."""
        datadir = self.cluster.datadir
        planned = self.relations + [o.planned for o in self.orphans if o.planned is not None]
        results = _check_all(
            planned, datadir.root, self.checksums_on, jobs, progress, datadir.xacts
        )
        relations = tuple(
            RelationCheck(p.database, p.cls, _relative(p.path, datadir.root), results[id(p)])
            for p in self.relations
            if p.cls is not None
        )
        orphans = tuple(
            o.orphan if o.planned is None else replace(o.orphan, checked=results[id(o.planned)])
            for o in self.orphans
        )
        notes = list(self.notes)
        stale = sum(results[id(p)].stale_checksums for p in planned)
        if stale:
            notes.append(
                f"data checksums are off in this cluster: {stale} page"
                f"{'s' if stale != 1 else ''} whose pd_checksum does not match (left from when "
                "they were on) are not counted as findings"
            )
        control = datadir.control
        return ClusterCheckReport(
            str(datadir.root),
            datadir.major,
            datadir.block_size,
            datadir.segment_bytes // datadir.block_size,
            int(control.data_checksum_version),
            str(control.state),
            self.databases,
            self.missing_databases,
            relations,
            orphans,
            tuple(notes) + tuple(self.cluster.catalog.problems),
        )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _fork_files(main: Path, fork: Fork) -> Path:
    return main.with_name(main.name + _FORK_SUFFIX[fork])


def _open_files(datadir_open: Callable[[Path], FileSource], main: Path) -> FileSource | str:
    """The relation whose main fork's first segment is ``main``, opened on the first fork
    file that exists (an unlogged relation in a base backup has only its init fork), or why
    it cannot be."""
    for fork in FORKS:
        first = _fork_files(main, fork)
        if first.is_file():
            try:
                return datadir_open(first)
            except PageInspectError as exc:
                return str(exc)
    return f"{main}: no file (the relation has storage in pg_class)"


def plan_cluster_check(
    pgdata: str | os.PathLike[str], database: str | None = None
) -> ClusterCheckPlan:
    """Read the catalogs of ``pgdata`` and find the files to check: every database whose
    folder is in the copy (or only ``database``, name or OID) and the shared catalogs.

    Raises DataDirectoryError when ``pgdata`` is not a data directory, its catalogs cannot be
    read, or ``database`` is unknown or has no files in this copy.
    """
    cluster = open_cluster(pgdata)
    datadir = cluster.datadir
    notes = list(cluster.warnings)
    state = str(datadir.control.state)
    if state not in _SHUT_DOWN:
        notes.append(
            f"{datadir.root}: the cluster was not shut down cleanly (state: {state}): pages "
            "written since the last checkpoint may be torn (pg_checksums refuses to run)"
        )
    folders = {
        d.oid: datadir.database_dir(d.oid, d.dattablespace) for d in cluster.catalog.databases
    }
    if database is not None:
        wanted = cluster.catalog.database(database)
        if not folders[wanted.oid].is_dir():
            raise DataDirectoryError(
                f"{datadir.root}: database {wanted.datname!r} (OID {wanted.oid}) has no files "
                "in this copy"
            )
        chosen = [wanted]
        missing: list[Database] = []
    else:
        chosen = [d for d in cluster.catalog.databases if folders[d.oid].is_dir()]
        missing = [d for d in cluster.catalog.databases if not folders[d.oid].is_dir()]
    catalogs = [cluster.database(d.datname) for d in chosen]
    if not catalogs:
        notes.append(
            f"{datadir.root}: no database has files in this copy: nothing is checked (the "
            "shared catalogs in global/ are known from a database's pg_class)"
        )

    shared: dict[Path, _Planned] = {}
    own: list[_Planned] = []
    temporary = 0
    for db in catalogs:
        horizons = class_xid_horizons(db)  # relfrozenxid, relminmxid by OID
        for cls in sorted(db.classes.values(), key=lambda c: c.oid):
            if not cls.has_storage:
                continue
            if cls.relpersistence == "t":  # t<backend>_<filenumber>: a session's files
                temporary += 1
                continue
            planned = _plan_relation(cluster, db, cls)
            planned.bounds = class_xid_bounds(db, cls.oid, horizons)
            if cls.relisshared:
                shared.setdefault(planned.path, planned)
            else:
                own.append(planned)
    if temporary:
        notes.append(
            f"{temporary} temporary relation{'s' if temporary != 1 else ''} not checked "
            "(their files belong to a session and are removed when the server starts)"
        )
    relations = sorted(shared.values(), key=lambda p: p.cls.oid if p.cls else 0) + own
    orphans = _find_orphans(cluster, catalogs, relations, whole=database is None)
    return ClusterCheckPlan(cluster, tuple(chosen), tuple(missing), relations, orphans, notes)


def _plan_relation(cluster: Cluster, db: DatabaseCatalog, cls: ClassRow) -> _Planned:
    name = None if cls.relisshared else db.database.datname
    try:
        main = db.relation_path(cls)
    except PageInspectError as exc:
        where = cluster.datadir.root / ("global" if cls.relisshared else "base") / "?"
        return _Planned(name, cls, where, None, str(exc))
    opened = _open_files(cluster.datadir.open_relation, main)
    if isinstance(opened, str):
        return _Planned(name, cls, main, None, opened)
    return _Planned(name, cls, main, opened)


# ----------------------------------------------------------------------------------------------
# orphans


def _ignored(name: str) -> bool:
    return (
        name in _NOT_RELATION_FILES
        or name.startswith(_NOT_RELATION_PREFIXES)
        or _TEMP_RELATION_FILE.match(name) is not None
    )


def _tablespace_folders(cluster: Cluster, db_oid: int) -> list[Path]:
    """``pg_tblspc/<spc>/PG_<major>_*/<dboid>`` folders of one database."""
    root = cluster.datadir.root / "pg_tblspc"
    if not root.is_dir():
        return []
    out = []
    for link in sorted(root.iterdir()):
        for version in sorted(link.glob(f"PG_{cluster.datadir.major}_*")):
            if (version / str(db_oid)).is_dir():
                out.append(version / str(db_oid))
    return out


def _find_orphans(
    cluster: Cluster, catalogs: list[DatabaseCatalog], relations: list[_Planned], *, whole: bool
) -> list[_PlannedOrphan]:
    datadir = cluster.datadir
    root = datadir.root
    known: dict[Path, set[str]] = {}
    read: set[Path] = set()
    for p in relations:
        known.setdefault(p.path.parent, set()).add(p.path.name)
        if p.source is not None:
            read.update(s.path for fork in FORKS for s in p.source.segments(fork))
    folders: list[tuple[Path, str]] = []
    if catalogs:  # the shared catalogs are known from a database's pg_class
        folders.append((root / "global", "the shared catalogs"))
    for db in catalogs:
        d = db.database
        label = f"database {d.datname!r}"
        folders.append((datadir.database_dir(d.oid, d.dattablespace), label))
        folders.extend((f, label) for f in _tablespace_folders(cluster, d.oid))
    out: list[_PlannedOrphan] = []
    for folder, label in folders:
        out.extend(_folder_orphans(cluster, folder, label, known.get(folder, set()), read))
    if whole:
        out.extend(_database_folder_orphans(cluster))
    return out


def _folder_orphans(
    cluster: Cluster, folder: Path, label: str, known: set[str], read: set[Path]
) -> Iterator[_PlannedOrphan]:
    root = cluster.datadir.root
    groups: dict[str, list[Path]] = {}
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        name = entry.name
        if _ignored(name):
            continue
        rel = _relative(entry, root)
        if entry.is_dir():
            yield _PlannedOrphan(Orphan(rel, "directory", f"a folder in {label}'s files"), None)
            continue
        match = _RELATION_FILE.match(name)
        if match is None:
            size = entry.stat().st_size
            yield _PlannedOrphan(
                Orphan(rel, "file", "not a relation file name", (rel,), size), None
            )
            continue
        if match["number"] in known:
            if entry not in read:  # a segment after a gap: FileSource stops before it
                size = entry.stat().st_size
                reason = (
                    f"a file of the relation with file number {match['number']} that is not "
                    "read: the segments before it are missing"
                )
                yield _PlannedOrphan(Orphan(rel, "unread file", reason, (rel,), size), None)
            continue  # a fork or segment of a relation's files
        groups.setdefault(match["number"], []).append(entry)
    for number, files in sorted(groups.items(), key=lambda item: int(item[0])):
        main = folder / number
        orphan = Orphan(
            _relative(main, root),
            "relation files",
            f"no relation of {label} has file number {number}",
            tuple(_relative(f, root) for f in files),
            sum(f.stat().st_size for f in files),
        )
        opened = _open_files(cluster.datadir.open_relation, main)
        if isinstance(opened, str):  # only later segments: opened on the first of them
            try:
                opened = cluster.datadir.open_relation(files[0])
            except PageInspectError as exc:
                yield _PlannedOrphan(orphan, _Planned(None, None, main, None, str(exc)))
                continue
        yield _PlannedOrphan(orphan, _Planned(None, None, main, opened))


def _database_folder_orphans(cluster: Cluster) -> Iterator[_PlannedOrphan]:
    """Folders of ``base/`` that no ``pg_database`` row names."""
    base = cluster.datadir.root / "base"
    oids = {d.oid for d in cluster.catalog.databases}
    for entry in sorted(base.iterdir()) if base.is_dir() else []:
        if _ignored(entry.name) or (entry.name.isdigit() and int(entry.name) in oids):
            continue
        rel = _relative(entry, cluster.datadir.root)
        kind = "directory" if entry.is_dir() else "file"
        reason = (
            f"no database has OID {entry.name}" if entry.name.isdigit() else "not a database folder"
        )
        yield _PlannedOrphan(Orphan(rel, kind, reason), None)


# ----------------------------------------------------------------------------------------------
# checking


def _check_all(
    planned: list[_Planned],
    root: Path,
    checksums_on: bool,
    jobs: int,
    progress: Progress | None,
    xacts: DataDirectoryXacts | None = None,
) -> dict[int, Checked]:
    """Every planned relation checked, keyed by ``id()`` of its plan entry. Relations large
    enough for :func:`check_relation` to split run here with every job; the others run
    whole, a batch at a time, on ``jobs`` worker processes (which take the transaction
    status reader by its spec). Relations (not orphans) are checked with ``xacts``."""
    results: dict[int, Checked] = {}
    large = [p for p in planned if p.blocks >= PARALLEL_MIN_BLOCKS]
    small = [p for p in planned if p.blocks < PARALLEL_MIN_BLOCKS]
    for p in large:
        results[id(p)] = _check_planned(
            p, root, checksums_on, jobs=jobs, progress=progress, xacts=xacts
        )
    if jobs <= 1 or len(small) < 2 * _BATCH:
        for p in small:
            results[id(p)] = _check_planned(
                p, root, checksums_on, jobs=1, progress=progress, xacts=xacts
            )
        return results
    batches = [small[i : i + _BATCH] for i in range(0, len(small), _BATCH)]
    spec = None if xacts is None else share(xacts)
    with get_context("fork").Pool(
        min(jobs, len(batches)),
        initializer=_init_worker,
        initargs=(small, root, checksums_on, spec),
    ) as pool:
        starts = range(0, len(small), _BATCH)
        for batch, done in zip(batches, pool.imap(_run_batch, starts), strict=True):
            for p, checked in zip(batch, done, strict=True):
                results[id(p)] = checked
                if progress is not None:
                    progress(p.blocks)
    return results


#: a worker's view of the plan (inherited through fork, never pickled)
_worker: dict[str, Any] = {}


def _init_worker(
    small: list[_Planned], root: Path, checksums_on: bool, xacts: XactsSpec | None
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker.update(small=small, root=root, checksums_on=checksums_on, xacts=xacts)


def _run_batch(start: int) -> list[Checked]:
    small: list[_Planned] = _worker["small"]
    spec: XactsSpec | None = _worker["xacts"]
    xacts = None if spec is None else spec.open()
    out = []
    for p in small[start : start + _BATCH]:
        own = replace(p, source=p.source.reopen() if p.source is not None else None)
        out.append(
            _check_planned(own, _worker["root"], _worker["checksums_on"], jobs=1, xacts=xacts)
        )
    return out


def _check_planned(
    p: _Planned,
    root: Path,
    checksums_on: bool,
    *,
    jobs: int,
    progress: Progress | None = None,
    xacts: DataDirectoryXacts | None = None,
) -> Checked:
    name = str(p.path)
    if p.source is None:
        return Checked(CheckReport(name, (), (), (p.problem or f"{p.path}: no file",)))
    source = p.source
    try:
        relation = p.cls is not None  # an orphan has no catalog row: no bounds, no status
        report = check_relation(
            source,
            jobs=jobs,
            progress=progress,
            xacts=xacts if relation else None,
            bounds=p.bounds if relation else None,
        )
        files = sum(len(source.segments(fork)) for fork in FORKS)
        if not checksums_on:  # pd_checksum means nothing: a value left from when it did
            stale = [f for f in report.findings if f.code == "checksum-mismatch"]
            return Checked(_with_findings(report, remove=stale), (), files, len(stale))
        failures: list[ChecksumFailure] = []
        unset: list[Finding] = []
        for summary in report.forks:
            candidates = {
                f.block
                for f in report.findings
                if f.fork == summary.fork and f.code == "checksum-mismatch"
            }
            if summary.checksums.get(str(ChecksumStatus.NOT_SET)):
                candidates.update(_unset_blocks(source, summary.fork))
            for blkno in sorted(candidates):
                failure = _checksum_failure(source, summary.fork, blkno, root)
                if failure is None:
                    continue
                failures.append(failure)
                if failure.stored == 0:  # check_relation counts it "not_set", says nothing
                    unset.append(_unset_finding(source, failure))
        if unset:
            report = _with_findings(report, add=unset)
        return Checked(report, tuple(failures), files)
    except PageInspectError as exc:
        return Checked(CheckReport(name, (), (), (str(exc),)))
    finally:
        source.close()


def _with_findings(
    report: CheckReport, *, add: list[Finding] | None = None, remove: list[Finding] | None = None
) -> CheckReport:
    """``report`` with error findings added (in block order) or removed, and counted so in
    their forks' summaries."""
    add, remove = add or [], remove or []
    delta = Counter(f.fork for f in add)
    delta.subtract(f.fork for f in remove)
    forks = tuple(
        replace(s, errors=s.errors + delta[s.fork]) if delta[s.fork] else s for s in report.forks
    )
    gone = {id(f) for f in remove}
    kept = [f for f in report.findings if id(f) not in gone]
    findings = sorted([*kept, *add], key=lambda f: (FORKS.index(f.fork), f.block))
    return replace(report, forks=forks, findings=tuple(findings))


def _unset_blocks(source: FileSource, fork: Fork) -> list[int]:
    """Blocks that are not new (``pd_upper`` is not 0, PageIsNew) and whose ``pd_checksum``
    is 0."""
    out: list[int] = []
    for chunk in source.chunks(fork):
        head = arrays.headers(arrays.pages_array(chunk))
        hit = (head["pd_checksum"] == 0) & (head["pd_upper"] != 0)
        out.extend(chunk.first + int(i) for i in np.flatnonzero(hit))
    return out


_CHECKSUM_AT, _CHECKSUM_SIZE = PAGE_HEADER_OFFSETS["pd_checksum"]


def _unset_finding(source: FileSource, failure: ChecksumFailure) -> Finding:
    span = Span(_CHECKSUM_AT, _CHECKSUM_AT + _CHECKSUM_SIZE)
    message = (
        f"pd_checksum is 0 but the page checksums to {failure.computed} for block "
        f"{failure.blkno}, and the cluster has data checksums: written without one, or damaged"
    )
    return Finding(
        failure.fork,
        failure.blkno,
        source.origin(failure.blkno, failure.fork),
        "error",
        "checksum-not-set",
        (span.start, span.stop),
        message,
        f"error: checksum-not-set at {span.hex()}: {message}",
    )


def _checksum_failure(
    source: FileSource, fork: Fork, blkno: int, root: Path
) -> ChecksumFailure | None:
    """pg_checksums' verdict on one block: None when it would not report it."""
    data = source.read_page(blkno, fork).data
    head = arrays.headers(np.frombuffer(data, dtype=np.uint8).reshape(1, len(data)))[0]
    if int(head["pd_upper"]) == 0:  # PageIsNew: pg_checksums skips it
        return None
    stored = int(head["pd_checksum"])
    computed = page_checksum(data, blkno)
    if stored == computed:
        return None
    for segment in source.segments(fork):
        first = segment.segno * source.segment_blocks
        if first <= blkno < first + segment.size // source.block_size:
            file, block = segment.path, blkno - first
            break
    else:  # pragma: no cover - the block was just read from one of the segments
        file, block = source.path, blkno
    return ChecksumFailure(_relative(file, root), block, fork, blkno, stored, computed)


# ----------------------------------------------------------------------------------------------
# the use case in one call


def _no_progress(_total: int) -> AbstractContextManager[Progress]:
    return nullcontext(lambda _n: None)


def cluster_check(
    pgdata: str | os.PathLike[str],
    database: str | None = None,
    *,
    jobs: int = 1,
    progress: ProgressFactory | None = None,
) -> ClusterCheckReport:
    """Check every relation of ``pgdata`` (or of ``database`` and the shared catalogs) and
    list its orphan files. ``progress`` is called once with the blocks to read and returns
    the context (``with progress(total) as advance``) whose ``advance(n)`` the check calls
    as blocks are done."""
    plan = plan_cluster_check(pgdata, database)
    with (progress or _no_progress)(plan.blocks) as advance:
        return plan.run(jobs=jobs, progress=advance)
