"""Use cases over a data directory: open it with its catalogs, find a relation by name, list
the relations (``pgpage ls``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pageinspect_py.analysis.catalogs import (
    RELKIND_NAMES,
    ClassRow,
    ClusterCatalog,
    Database,
    DatabaseCatalog,
    TupleFilter,
)
from pageinspect_py.catalog.attributes import RelationDescription
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.heap import HeapTupleHeader
from pageinspect_py.errors import DataDirectoryError
from pageinspect_py.page.raw import FORKS, Fork
from pageinspect_py.page.xidbounds import XidBounds
from pageinspect_py.sources.datadir.directory import DataDirectory, open_datadir

_FORK_SUFFIX: dict[Fork, str] = {"main": "", "fsm": "_fsm", "vm": "_vm", "init": "_init"}
_PERSISTENCE = {"p": "permanent", "u": "unlogged", "t": "temporary"}


def visibility_filter(datadir: DataDirectory) -> TupleFilter:
    """The tuples a query on a server restarted on ``datadir`` would return (pg_xact and
    pg_multixact decide). A tuple whose status cannot be read counts (the reason is among the
    directory's problems), unless its xmin is in the future."""
    from pageinspect_py.analysis.visibility import tuple_visibility
    from pageinspect_py.sources.datadir.slru import XidSource

    xacts = datadir.xacts

    def visible(header: HeapTupleHeader) -> bool:
        verdict = tuple_visibility(
            header.t_xmin, header.t_xmax, header.t_infomask, header.t_infomask2, xacts
        )
        if verdict.visible is None:  # unreadable pg_xact: count it, unless xmin is impossible
            return xacts.xid_status(header.t_xmin).source is not XidSource.FUTURE
        return verdict.visible

    return visible


@dataclass
class Cluster:
    """A data directory with its shared catalogs read."""

    datadir: DataDirectory
    catalog: ClusterCatalog

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.datadir.warnings

    @property
    def problems(self) -> tuple[str, ...]:
        """What reading the catalogs found wrong (damaged catalog pages, transaction status
        that could not be read), each once."""
        found = [*self.catalog.problems]
        if "xacts" in self.datadir.__dict__:  # only when a status was looked up
            found.extend(
                f"{self.datadir.root}/{p}: transaction status unknown there (catalog rows "
                "whose status it holds are counted as visible)"
                for p in self.datadir.xacts.problems
            )
        return tuple(dict.fromkeys(found))

    def database(self, name: str) -> DatabaseCatalog:
        return self.catalog.open_database(name)


def open_cluster(path: str | os.PathLike[str]) -> Cluster:
    datadir = open_datadir(path)
    return Cluster(datadir, ClusterCatalog(datadir, visibility_filter(datadir)))


@dataclass(frozen=True, slots=True)
class DataDirRelation:
    """A relation of a data directory: its catalog row, description, file and TOAST table."""

    database: Database
    cls: ClassRow
    path: Path | None  #: main fork's first segment; None without storage
    description: RelationDescription | None  #: heap-like relations (tables, TOAST, matviews)
    toast_path: Path | None
    catalog: DatabaseCatalog = field(repr=False, compare=False)
    index: IndexDescription | None = None  #: btree indexes: key columns and ordering


def find_relation(cluster: Cluster, database: str | None, relation: str) -> DataDirRelation:
    """``relation`` (SQL name, OID or relfilenode) of ``database`` (required)."""
    if database is None:
        names = ", ".join(d.datname for d in cluster.catalog.databases)
        raise DataDirectoryError(
            f"{cluster.datadir.root}: a data directory needs --db NAME (databases: {names})"
        )
    db = cluster.database(database)
    cls = db.find(relation)
    path = db.relation_path(cls) if cls.has_storage else None
    description = db.describe(cls) if cls.relkind in "rtmpS" else None
    toast = db.classes.get(cls.reltoastrelid) if cls.reltoastrelid else None
    toast_path = db.relation_path(toast) if toast is not None else None
    index = describe_index(cluster, db, cls)
    return DataDirRelation(db.database, cls, path, description, toast_path, db, index)


def default_collation_is_c(cluster: Cluster, database: Database) -> bool | None:
    """Whether ``database``'s default collation orders text bytewise (pg_database's
    datcollate, datlocprovider and the builtin locale); None when it cannot be read."""
    from pageinspect_py.analysis.catalogs import read_rows
    from pageinspect_py.sources.live_index import default_collation_is_c as is_c

    catalog = cluster.catalog
    cat = catalog.catalogs["pg_database"]
    for _, row, _ in read_rows(
        cluster.datadir,
        catalog.shared_path("pg_database"),
        cat.description,
        catalog.visible,
        catalog.problems,
        full=lambda r: r.get("oid") == str(database.oid),
    ):
        if row.get("oid") == str(database.oid):
            locale = row.get("datlocale", row.get("daticulocale"))
            return is_c(row.get("datcollate"), row.get("datlocprovider"), locale)
    return None


def describe_index(cluster: Cluster, db: DatabaseCatalog, cls: ClassRow) -> IndexDescription | None:
    """An index's description from pg_attribute, pg_index and pg_opclass (the key columns'
    opclasses, which GIN keys and BRIN values are read by); None: not an index."""
    from pageinspect_py.catalog.index import index_description

    amname = db.access_methods.get(cls.relam)
    if cls.relkind != "i" or amname is None:
        return None
    wanted = str(cls.oid)
    row = next(
        (
            r
            for r, _ in db.rows("pg_index", full=lambda r: r.get("indexrelid") == wanted)
            if r.get("indexrelid") == wanted
        ),
        None,
    )
    if row is None:
        raise DataDirectoryError(f"pg_index has no row for index {cls.qualified} ({cls.oid})")
    desc = db.describe(cls)
    return index_description(
        desc.relname,
        desc.attributes,
        indnkeyatts=int(row["indnkeyatts"] or 0),
        indoption=[int(x) for x in (row.get("indoption") or "").split()],
        indcollation=[int(x) for x in (row.get("indcollation") or "").split()],
        unique=row.get("indisunique") == "t",
        default_collation_is_c=default_collation_is_c(cluster, db.database),
        extra=dict(desc.extra),
        opclasses=[db.opclasses.get(int(x)) for x in (row.get("indclass") or "").split()],
        amname=amname,
    )


@dataclass(frozen=True, slots=True)
class ListedRelation:
    """One line of ``pgpage ls``."""

    database: str
    cls: ClassRow
    am: str | None
    path: str | None  #: relative to the data directory
    blocks: dict[str, int] | None  #: per fork, from the files' sizes (None: no storage)
    present: bool  #: the main fork's file exists in this copy

    @property
    def kind(self) -> str:
        return relation_kind(self.cls.relkind, self.am)

    def as_json(self) -> dict[str, object]:
        c = self.cls
        return {
            "database": self.database,
            "schema": c.nspname,
            "name": c.relname,
            "relkind": c.relkind,
            "oid": c.oid,
            "relfilenode": c.relfilenode,
            "path": self.path,
            "blocks": self.blocks,
            "kind": self.kind,
            "amname": self.am,
            "relpersistence": c.relpersistence,
            "persistence": _PERSISTENCE.get(c.relpersistence, c.relpersistence),
            "reltablespace": c.reltablespace,
            "reltoastrelid": c.reltoastrelid,
            "relisshared": c.relisshared,
            "present": self.present,
        }


def relation_kind(relkind: str, amname: str | None) -> str:
    """What ``pgpage ls`` calls a relation: "table", "index (btree)", "TOAST table"..."""
    name = RELKIND_NAMES.get(relkind, relkind)
    return f"{name} ({amname})" if relkind in "iI" and amname else name


def _fork_blocks(main: Path, block_size: int) -> tuple[dict[str, int], bool]:
    out: dict[str, int] = {}
    for fork in FORKS:
        first = main.with_name(main.name + _FORK_SUFFIX[fork])
        total = 0
        segment = 0
        path = first
        while path.exists():
            total += path.stat().st_size
            segment += 1
            path = first.with_name(f"{first.name}.{segment}")
        out[fork] = total // block_size
    return out, main.exists()


def list_relations(cluster: Cluster, database: str) -> Iterator[ListedRelation]:
    """Every pg_class row of ``database`` in OID order."""
    db = cluster.database(database)
    root = cluster.datadir.root
    block_size = cluster.datadir.block_size
    for cls in sorted(db.classes.values(), key=lambda c: c.oid):
        am = db.access_methods.get(cls.relam) if cls.relam else None
        if not cls.has_storage:
            yield ListedRelation(db.database.datname, cls, am, None, None, False)
            continue
        main = db.relation_path(cls)
        blocks, present = _fork_blocks(main, block_size)
        yield ListedRelation(
            db.database.datname, cls, am, str(main.relative_to(root)), blocks, present
        )


def present_databases(cluster: Cluster) -> list[tuple[Database, bool]]:
    """Every database with whether its files are in this copy."""
    out = []
    for d in cluster.catalog.databases:
        folder = cluster.datadir.database_dir(d.oid, d.dattablespace)
        out.append((d, folder.is_dir()))
    return out


@dataclass(frozen=True, slots=True)
class RelatedRelation:
    """A relation one step away from another: its indexes, TOAST table, owning table."""

    role: str  #: "index", "TOAST table", "TOAST index", "table"
    name: str  #: schema-qualified, as SQL writes it
    kind: str  #: what ``pgpage ls`` calls it

    @property
    def label(self) -> str:
        return f"{self.role}: {self.name} ({self.kind})"


def related_relations(rel: DataDirRelation) -> list[RelatedRelation]:
    """The indexes and TOAST table of a table (the TOAST table's index too), or the table of
    an index or of a TOAST table; in OID order within each role."""
    db = rel.catalog
    cls = rel.cls
    classes = db.classes
    index_of: dict[int, list[int]] = {}
    table_of: dict[int, int] = {}
    for row, _ in db.rows("pg_index"):
        indexrelid, indrelid = int(row["indexrelid"] or 0), int(row["indrelid"] or 0)
        index_of.setdefault(indrelid, []).append(indexrelid)
        table_of[indexrelid] = indrelid

    def item(role: str, oid: int) -> RelatedRelation | None:
        found = classes.get(oid)
        if found is None:
            return None
        am = db.access_methods.get(found.relam) if found.relam else None
        listed = ListedRelation(db.database.datname, found, am, None, None, False)
        return RelatedRelation(role, found.qualified, listed.kind)

    wanted: list[tuple[str, int]] = []
    if cls.relkind in "iI":
        wanted.append(("table", table_of.get(cls.oid, 0)))
    else:
        owner = next((c.oid for c in classes.values() if c.reltoastrelid == cls.oid), None)
        if owner is not None:
            wanted.append(("table", owner))
        wanted.extend(("index", oid) for oid in sorted(index_of.get(cls.oid, [])))
        if cls.reltoastrelid:
            wanted.append(("TOAST table", cls.reltoastrelid))
            wanted.extend(
                ("TOAST index", oid) for oid in sorted(index_of.get(cls.reltoastrelid, []))
            )
    return [r for role, oid in wanted if (r := item(role, oid)) is not None]


def xid_bounds(rel: DataDirRelation) -> XidBounds:
    """The ids ``rel``'s tuples may hold, as amcheck's verify_heapam bounds them: pg_control's
    next full xid, oldest xid, next and oldest multixact, and the relation's ``relfrozenxid``
    and ``relminmxid`` from its (visible) pg_class row -- 0, not known, when there is none."""
    return class_xid_bounds(rel.catalog, rel.cls.oid)


def class_xid_bounds(
    db: DatabaseCatalog, oid: int, classes: dict[int, tuple[int, int]] | None = None
) -> XidBounds:
    """:func:`xid_bounds` of the relation ``oid`` of ``db``; ``classes`` (what
    :func:`class_xid_horizons` read) spares reading pg_class again for each relation."""
    if classes is None:
        classes = class_xid_horizons(db)
    control = db.datadir.control
    checkpoint = control.checkPointCopy
    relfrozenxid, relminmxid = classes.get(oid, (0, 0))
    return XidBounds(
        next_fxid=int(control.next_xid),
        oldest_xid=int(checkpoint.oldestXid),
        next_multi=int(checkpoint.nextMulti),
        oldest_multi=int(checkpoint.oldestMulti),
        relfrozenxid=relfrozenxid,
        relminmxid=relminmxid,
    )


def class_xid_horizons(db: DatabaseCatalog) -> dict[int, tuple[int, int]]:
    """Every visible pg_class row of ``db``: OID -> (relfrozenxid, relminmxid), read from the
    catalog's fixed-width prefix."""

    def number(value: str | None) -> int:
        return int(value) if value else 0

    return {
        number(row["oid"]): (number(row.get("relfrozenxid")), number(row.get("relminmxid")))
        for row, _ in db.rows("pg_class")
    }
