"""The system catalogs of a data directory, read from their own heap files (no server).

``pg_database`` (shared) names the databases; in one database ``pg_class`` (a mapped catalog,
found through ``pg_filenode.map``) gives every relation's file number, and the other catalogs
(``pg_namespace``, ``pg_attribute``, ``pg_type``, ``pg_am``, ``pg_index``...) are found through
it. Each catalog is decoded with its tuple descriptor as a real server of that major describes
it (``catalog/bootstrap/pg<M>.json``, written by ``tools/make_catalog_descriptions.py``), and
only the row versions a snapshot taken after every transaction ended would see count (the
``visible`` predicate, normally :func:`pageinspect_py.analysis.visibility` over pg_xact).

A relation description built here is the one ``pgpage schema`` captures from a live server.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pageinspect_py.catalog.attributes import (
    ALIGNMENT,
    TYPTYPE_COMPOSITE,
    TYPTYPE_ENUM,
    TYPTYPE_MULTIRANGE,
    TYPTYPE_RANGE,
    Attribute,
    RelationDescription,
    TypAlign,
    TypeCatalog,
    TypeEntry,
)
from pageinspect_py.catalog.schema import description_from_json
from pageinspect_py.decode.align import att_align_nominal
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage, HeapTupleHeader
from pageinspect_py.decode.output import TypeInfo, datum_text
from pageinspect_py.decode.tuple import decode_tuple_values
from pageinspect_py.errors import DataDirectoryError, DatumError, PageInspectError
from pageinspect_py.sources.datadir.directory import DataDirectory

#: Decides whether a catalog tuple version counts (the visibility of a snapshot taken after
#: every transaction ended).
TupleFilter = Callable[[HeapTupleHeader], bool]
Row = dict[str, str | None]

#: pg_class.relkind -> what ``pgpage ls`` calls it
RELKIND_NAMES: dict[str, str] = {
    "r": "table",
    "i": "index",
    "S": "sequence",
    "t": "TOAST table",
    "v": "view",
    "m": "materialized view",
    "c": "composite type",
    "f": "foreign table",
    "p": "partitioned table",
    "I": "partitioned index",
}
#: relkinds that have storage (files)
HAS_STORAGE = frozenset("ritSm")


#: catalog column types read straight from the bytes (struct format, text as the output
#: function prints it); the fixed-width prefix of every catalog is made of these
_FIXED: dict[str, tuple[str, Callable[[Any], str]]] = {
    "oid": ("I", str),
    "xid": ("I", str),
    "cid": ("I", str),
    "int4": ("i", str),
    "int2": ("h", str),
    "int8": ("q", str),
    "bool": ("?", lambda v: "t" if v else "f"),
    "char": ("c", lambda v: v.decode("latin-1").rstrip("\0")),
    "name": ("64s", lambda v: v.split(b"\0", 1)[0].decode("utf-8", "replace")),
}


@dataclass(frozen=True, slots=True)
class _Prefix:
    """The leading fixed-width NOT NULL columns of a catalog (BKI_FORCE_NOT_NULL: never in
    the null bitmap) and where each lies in a tuple: ``nattrs`` columns, read ones named."""

    names: tuple[str, ...]
    nattrs: int
    unpack: struct.Struct
    convert: tuple[Callable[[Any], str], ...]

    def row(self, data: bytes) -> Row:
        values = self.unpack.unpack_from(data)
        return {n: f(v) for n, f, v in zip(self.names, self.convert, values, strict=True)}


def fixed_prefix(desc: RelationDescription) -> _Prefix:
    fmt = ["<"]
    names: list[str] = []
    convert: list[Callable[[Any], str]] = []
    offset = 0
    for att in desc.attributes:
        if att.attisdropped or att.attlen <= 0 or not att.attnotnull:
            break
        start = att_align_nominal(offset, att.attalign)
        if start > offset:
            fmt.append(f"{start - offset}x")
        fixed = _FIXED.get(att.typname)
        if fixed is None:  # a column we do not read (regproc, float4...): skipped
            fmt.append(f"{att.attlen}x")
        else:
            fmt.append(fixed[0])
            names.append(att.attname)
            convert.append(fixed[1])
        offset = start + att.attlen
    # trailing pad bytes would make unpack demand them: the format ends at the last column
    while fmt and fmt[-1].endswith("x"):
        fmt.pop()
    nattrs = 0
    for att in desc.attributes:
        if att.attisdropped or att.attlen <= 0 or not att.attnotnull:
            break
        nattrs += 1
    return _Prefix(tuple(names), nattrs, struct.Struct("".join(fmt)), tuple(convert))


@dataclass(frozen=True, slots=True)
class BootstrapCatalog:
    """A system catalog's description and where its file is found."""

    name: str
    oid: int
    shared: bool
    mapped: bool
    description: RelationDescription
    prefix: _Prefix


@cache
def bootstrap_catalogs(major: int) -> dict[str, BootstrapCatalog]:
    """The catalogs offline reading decodes, described as a server of ``major`` does."""
    try:
        text = (
            resources.files("pageinspect_py.catalog").joinpath(f"bootstrap/pg{major}.json")
        ).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataDirectoryError(
            f"PostgreSQL {major}: no catalog descriptions for this major (12 to 18 are known)"
        ) from exc
    data = json.loads(text)
    out = {}
    for name, obj in data["catalogs"].items():
        desc = description_from_json(obj, source=f"bootstrap pg{major} {name}")
        out[name] = BootstrapCatalog(
            name,
            int(obj["oid"]),
            bool(obj["relisshared"]),
            bool(obj["mapped"]),
            desc,
            fixed_prefix(desc),
        )
    return out


def read_rows(
    datadir: DataDirectory,
    path: Path,
    desc: RelationDescription,
    visible: TupleFilter,
    problems: list[str],
    *,
    full: Callable[[Row], bool] | None = None,
    prefix: _Prefix | None = None,
) -> Iterator[tuple[tuple[int, int], Row, Mapping[str, bytes]]]:
    """(ctid, {column: text or None}, {column: stored bytes}) of every counted tuple.

    The fixed-width prefix of the catalog's columns is read with one ``struct`` unpack; a
    tuple is decoded in full (every column, through the output functions) when ``full`` says
    its prefix row needs more, or when a NULL or a short tuple makes the prefix unsafe.
    """
    prefix = fixed_prefix(desc) if prefix is None else prefix
    nprefix = prefix.nattrs
    with datadir.open_relation(path) as source:
        for raw in source.pages("main"):
            try:
                page = decode_page(raw)
            except PageInspectError as exc:
                problems.append(f"{path} block {raw.blkno}: {exc}")
                continue
            if not isinstance(page, HeapPage):
                if page.kind.value != "new":
                    problems.append(f"{path} block {raw.blkno}: not a heap page ({page.kind})")
                continue
            damaged = [d.span for d in page.diagnostics if d.severity == "error" and d.span]
            if page.has_errors:
                first = next(d for d in page.diagnostics if d.severity == "error")
                problems.append(
                    f"{path} block {raw.blkno}: damaged catalog page, its damaged tuples are "
                    f"skipped ({first.code}: {first.message})"
                )
            for item in page.items:
                tup = item.tuple
                if tup is None or tup.t_data is None or not visible(tup.header):
                    continue
                if any(
                    span.start < tup.span.stop and tup.span.start < span.stop for span in damaged
                ):
                    continue
                fast = (
                    tup.header.natts >= nprefix
                    and len(tup.t_data) >= prefix.unpack.size
                    and (tup.t_bits is None or "0" not in tup.t_bits[:nprefix])
                )
                if fast:
                    row = prefix.row(tup.t_data)
                    if full is None or not full(row):
                        yield (raw.blkno, item.lp.lp), row, {}
                        continue
                values = decode_tuple_values(tup, item.lp.lp, desc)
                row = {}
                stored: dict[str, bytes] = {}
                for a in values.attributes:
                    if a.dropped:
                        continue
                    row[a.attname] = a.text
                    if a.raw:
                        stored[a.attname] = a.raw
                yield (raw.blkno, item.lp.lp), row, stored


def _int(value: str | None, default: int = 0) -> int:
    return int(value) if value not in (None, "") else default


def _bool(value: str | None) -> bool:
    return value == "t"


@dataclass(frozen=True, slots=True)
class Database:
    """One ``pg_database`` row."""

    oid: int
    datname: str
    dattablespace: int
    datallowconn: bool
    datistemplate: bool


@dataclass(frozen=True, slots=True)
class ClassRow:
    """One ``pg_class`` row (with its namespace's name)."""

    oid: int
    relname: str
    relnamespace: int
    nspname: str
    relkind: str
    relpersistence: str
    relam: int
    relfilenode: int
    reltablespace: int
    reltoastrelid: int
    relisshared: bool
    relnatts: int

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.nspname)}.{quote_ident(self.relname)}"

    @property
    def has_storage(self) -> bool:
        return self.relkind in HAS_STORAGE


@dataclass(frozen=True, slots=True)
class TypeRow:
    """The ``pg_type`` columns a tuple descriptor needs."""

    oid: int
    typname: str
    typnamespace: int
    typlen: int
    typbyval: bool
    typtype: str
    typalign: str
    typstorage: str
    typelem: int
    typbasetype: int
    typrelid: int
    typdelim: str


@dataclass(frozen=True, slots=True)
class RangeRow:
    """The ``pg_range`` columns output functions need."""

    rngtypid: int
    rngsubtype: int
    rngmultitypid: int  #: 0 before PostgreSQL 14 (no multiranges)


def _typalign(value: str) -> TypAlign:
    return value if value in ALIGNMENT else "i"  # type: ignore[return-value]


class ClusterCatalog:
    """The shared catalogs of a data directory (databases, tablespaces)."""

    def __init__(self, datadir: DataDirectory, visible: TupleFilter) -> None:
        self.datadir = datadir
        self.visible = visible
        self.problems: list[str] = []
        self.catalogs = bootstrap_catalogs(datadir.major)
        self._opened: dict[int, DatabaseCatalog] = {}

    def shared_path(self, name: str) -> Path:
        cat = self.catalogs[name]
        number = self.datadir.relmap(None).filenumber(cat.oid) if cat.mapped else cat.oid
        if number is None:
            raise DataDirectoryError(
                f"{self.datadir.root}/global/pg_filenode.map: {name} ({cat.oid}) is not mapped"
            )
        return self.datadir.relation_path(number, db_oid=0, shared=True)

    def rows(self, name: str) -> Iterator[Row]:
        cat = self.catalogs[name]
        for _, row, _ in read_rows(
            self.datadir,
            self.shared_path(name),
            cat.description,
            self.visible,
            self.problems,
            prefix=cat.prefix,
        ):
            yield row

    @cached_property
    def databases(self) -> tuple[Database, ...]:
        out = [
            Database(
                _int(r["oid"]),
                r["datname"] or "",
                _int(r["dattablespace"]),
                _bool(r["datallowconn"]),
                _bool(r["datistemplate"]),
            )
            for r in self.rows("pg_database")
        ]
        return tuple(sorted(out, key=lambda d: d.oid))

    def database(self, name: str) -> Database:
        """The database called ``name`` (or with OID ``name``)."""
        for d in self.databases:
            if d.datname == name or (name.isdigit() and d.oid == int(name)):
                return d
        known = ", ".join(d.datname for d in self.databases) or "none"
        raise DataDirectoryError(f"{self.datadir.root}: no database {name!r} (there are: {known})")

    def open_database(self, name: str) -> DatabaseCatalog:
        """The catalogs of database ``name`` (name or OID), read once per cluster."""
        database = self.database(name)
        found = self._opened.get(database.oid)
        if found is None:
            found = self._opened[database.oid] = DatabaseCatalog(self, database)
        return found


class DatabaseCatalog:
    """One database's catalogs, read from its files."""

    def __init__(self, cluster: ClusterCatalog, database: Database) -> None:
        self.cluster = cluster
        self.datadir = cluster.datadir
        self.database = database
        self.problems = cluster.problems
        #: descriptions without their type catalogs, by pg_class OID
        self._descriptions: dict[int, RelationDescription] = {}
        folder = self.datadir.database_dir(database.oid, database.dattablespace)
        if not folder.is_dir():
            raise DataDirectoryError(
                f"{folder}: database {database.datname!r} (OID {database.oid}) has no files in "
                "this directory"
            )

    # -- where files are ------------------------------------------------------------------

    def filenumber(self, cls: ClassRow) -> int:
        """pg_relation_filenode(): relfilenode, or the relation map's number when it is 0."""
        if cls.relfilenode:
            return cls.relfilenode
        relmap = self.datadir.relmap(
            None if cls.relisshared else self.database.oid, self.database.dattablespace
        )
        number = relmap.filenumber(cls.oid)
        if number is None:
            raise DataDirectoryError(f"{relmap.path}: {cls.relname} ({cls.oid}) is not mapped")
        return number

    def relation_path(self, cls: ClassRow) -> Path:
        return self.datadir.relation_path(
            self.filenumber(cls),
            db_oid=self.database.oid,
            tablespace=cls.reltablespace or self.database.dattablespace,
            shared=cls.relisshared,
        )

    def _catalog_path(self, name: str) -> Path:
        cat = self.cluster.catalogs[name]
        if cat.shared:
            return self.cluster.shared_path(name)
        if cat.mapped:
            number = self.datadir.relmap(self.database.oid, self.database.dattablespace).filenumber(
                cat.oid
            )
            if number is None:
                raise DataDirectoryError(f"{name} ({cat.oid}) is not in the relation map")
            return self.datadir.relation_path(
                number, db_oid=self.database.oid, tablespace=self.database.dattablespace
            )
        found = self._unnamed_classes.get(cat.oid)
        if found is None:
            raise DataDirectoryError(f"pg_class has no row for {name} ({cat.oid})")
        return self.relation_path(found)

    def rows(
        self, name: str, full: Callable[[Row], bool] | None = None
    ) -> Iterator[tuple[Row, Mapping[str, bytes]]]:
        cat = self.cluster.catalogs[name]
        for _, row, stored in read_rows(
            self.datadir,
            self._catalog_path(name),
            cat.description,
            self.cluster.visible,
            self.problems,
            full=full,
            prefix=cat.prefix,
        ):
            yield row, stored

    # -- the catalogs ---------------------------------------------------------------------

    @cached_property
    def namespaces(self) -> dict[int, str]:
        return {_int(r["oid"]): r["nspname"] or "" for r, _ in self.rows("pg_namespace")}

    @cached_property
    def _unnamed_classes(self) -> dict[int, ClassRow]:
        """pg_class rows before their namespaces' names are known (pg_namespace is found
        through pg_class)."""
        cat = self.cluster.catalogs["pg_class"]
        relmap = self.datadir.relmap(self.database.oid, self.database.dattablespace)
        number = relmap.filenumber(cat.oid)
        if number is None:
            raise DataDirectoryError(f"{relmap.path}: pg_class is not mapped")
        path = self.datadir.relation_path(
            number, db_oid=self.database.oid, tablespace=self.database.dattablespace
        )
        out = {}
        for _, r, _ in read_rows(
            self.datadir, path, cat.description, self.cluster.visible, self.problems
        ):
            cls = ClassRow(
                _int(r["oid"]),
                r["relname"] or "",
                _int(r["relnamespace"]),
                "",
                r["relkind"] or "",
                r["relpersistence"] or "",
                _int(r["relam"]),
                _int(r["relfilenode"]),
                _int(r["reltablespace"]),
                _int(r["reltoastrelid"]),
                _bool(r["relisshared"]),
                _int(r["relnatts"]),
            )
            out[cls.oid] = cls
        return out

    @cached_property
    def classes(self) -> dict[int, ClassRow]:
        """Every pg_class row by OID."""
        names = self.namespaces
        return {
            oid: replace(c, nspname=names.get(c.relnamespace, str(c.relnamespace)))
            for oid, c in self._unnamed_classes.items()
        }

    @cached_property
    def access_methods(self) -> dict[int, str]:
        return {_int(r["oid"]): r["amname"] or "" for r, _ in self.rows("pg_am")}

    @cached_property
    def opclasses(self) -> dict[int, str]:
        """pg_opclass: OID -> opcname (an index key column's opclass, indclass)."""
        return {_int(r["oid"]): r["opcname"] or "" for r, _ in self.rows("pg_opclass")}

    @cached_property
    def types(self) -> dict[int, TypeRow]:
        out = {}
        for r, _ in self.rows("pg_type"):
            t = TypeRow(
                _int(r["oid"]),
                r["typname"] or "",
                _int(r["typnamespace"]),
                _int(r["typlen"]),
                _bool(r["typbyval"]),
                r["typtype"] or "",
                r["typalign"] or "i",
                r["typstorage"] or "p",
                _int(r["typelem"]),
                _int(r["typbasetype"]),
                _int(r["typrelid"]),
                r["typdelim"] or ",",
            )
            out[t.oid] = t
        return out

    @cached_property
    def _attributes(self) -> dict[int, list[tuple[Row, Mapping[str, bytes]]]]:
        out: dict[int, list[tuple[Row, Mapping[str, bytes]]]] = {}

        # attmissingval (anyarray) is the last column: decode it only where there is one
        def has_missing(row: Row) -> bool:
            return row.get("atthasmissing") == "t" and int(row["attnum"] or 0) > 0

        for r, stored in self.rows("pg_attribute", full=has_missing):
            if _int(r["attnum"]) > 0:
                out.setdefault(_int(r["attrelid"]), []).append((r, stored))
        return out

    # -- names ----------------------------------------------------------------------------

    def find(self, name: str) -> ClassRow:
        """The relation ``name`` names: ``schema.name`` with SQL's quoting rules, an unqualified
        name (looked for in ``public``, then ``pg_catalog``), or a number (OID, then
        relfilenode)."""
        text = name.strip()
        if text.isdigit():
            number = int(text)
            if number in self.classes:
                return self.classes[number]
            for cls in self.classes.values():
                if cls.relfilenode == number:
                    return cls
            raise DataDirectoryError(
                f"database {self.database.datname!r}: no relation has OID or relfilenode {number}"
            )
        parts = split_qualified(text)
        if len(parts) == 1:
            schemas = ["public", "pg_catalog"]
            relname = parts[0]
        elif len(parts) == 2:
            schemas = [parts[0]]
            relname = parts[1]
        else:
            raise DataDirectoryError(f"{name!r}: expected schema.name or name")
        by_name = {(c.nspname, c.relname): c for c in self.classes.values()}
        for schema in schemas:
            found = by_name.get((schema, relname))
            if found is not None:
                return found
        where = schemas[0] if len(schemas) == 1 else "public or pg_catalog"
        raise DataDirectoryError(
            f"database {self.database.datname!r}: no relation {relname!r} in {where}"
        )

    # -- descriptions ---------------------------------------------------------------------

    def _base_type(self, typid: int) -> TypeRow | None:
        t = self.types.get(typid)
        depth = 0
        while t is not None and t.typtype == "d" and depth < 64:
            t = self.types.get(t.typbasetype)
            depth += 1
        return t

    def missing_value_text(self, stored: bytes) -> str | None:
        """``attmissingval`` (an ``anyarray``) as text: its element type is in its header."""
        from pageinspect_py.decode.varlena import parse_varlena

        try:
            varlena = parse_varlena(stored)
            payload = varlena.data
            if len(payload) < 12:
                return None
            elemtype = struct.unpack_from("<I", payload, 8)[0]
            elem = self.types.get(elemtype)
            if elem is None:
                return None
            types = self.type_catalog([elemtype])
            info = TypeInfo(
                "_" + elem.typname,
                -1,
                "d" if elem.typalign == "d" else "i",
                False,
                TypeInfo.of_type(elemtype, types),
                catalog=types,
            )
            return datum_text(info, stored)
        except (DatumError, struct.error):
            return None

    # -- user-defined types ---------------------------------------------------------------

    @cached_property
    def enum_labels(self) -> dict[int, dict[int, str]]:
        """pg_enum: enumtypid -> {enum value OID: label}."""
        out: dict[int, dict[int, str]] = {}
        for r, _ in self.rows("pg_enum"):
            out.setdefault(_int(r["enumtypid"]), {})[_int(r["oid"])] = r["enumlabel"] or ""
        return out

    @cached_property
    def ranges(self) -> dict[int, RangeRow]:
        """pg_range by rngtypid (rngmultitypid is 0 before PostgreSQL 14)."""
        out = {}
        for r, _ in self.rows("pg_range"):
            row = RangeRow(_int(r["rngtypid"]), _int(r["rngsubtype"]), _int(r.get("rngmultitypid")))
            out[row.rngtypid] = row
        return out

    @cached_property
    def _multirange_ranges(self) -> dict[int, int]:
        """multirange type OID -> its range type OID."""
        return {r.rngmultitypid: r.rngtypid for r in self.ranges.values() if r.rngmultitypid}

    def type_catalog(self, roots: Iterable[int]) -> TypeCatalog:
        """The types ``roots`` reach (domains' base types, array elements, composites'
        attributes, range subtypes, multiranges' ranges), with what their output needs."""
        entries: dict[int, TypeEntry] = {}
        todo = list(roots)
        while todo:
            oid = todo.pop()
            t = self.types.get(oid)
            if t is None or oid in entries:
                continue
            labels: dict[int, str] = {}
            attributes: tuple[Attribute, ...] = ()
            rngsubtype = rngtypid = 0
            todo.extend(x for x in (t.typbasetype, t.typelem) if x)
            if t.typtype == TYPTYPE_ENUM:
                labels = self.enum_labels.get(oid, {})
            elif t.typtype == TYPTYPE_COMPOSITE:
                cls = self.classes.get(t.typrelid)
                if cls is not None:
                    attributes = self._described(cls).attributes
                    todo.extend(a.atttypid for a in attributes if not a.attisdropped)
            elif t.typtype == TYPTYPE_RANGE:
                found = self.ranges.get(oid)
                if found is not None:
                    rngsubtype = found.rngsubtype
                    todo.append(rngsubtype)
            elif t.typtype == TYPTYPE_MULTIRANGE:
                rngtypid = self._multirange_ranges.get(oid, 0)
                if rngtypid:
                    todo.append(rngtypid)
            entries[oid] = TypeEntry(
                oid=t.oid,
                typname=t.typname,
                typtype=t.typtype,
                typlen=t.typlen,
                typalign=_typalign(t.typalign),
                typbyval=t.typbyval,
                typelem=t.typelem,
                typbasetype=t.typbasetype,
                typrelid=t.typrelid,
                typdelim=t.typdelim,
                labels=labels,
                attributes=attributes,
                rngsubtype=rngsubtype,
                rngtypid=rngtypid,
            )
        return TypeCatalog(entries)

    # -- descriptions ---------------------------------------------------------------------

    def describe(self, cls: ClassRow) -> RelationDescription:
        """The relation's tuple descriptor, as ``pgpage schema`` captures it live, with the
        type catalog its values need (:attr:`RelationDescription.types`)."""
        desc = self._described(cls)
        types = self.type_catalog(a.atttypid for a in desc.attributes if not a.attisdropped)
        return replace(desc, types=types)

    def _described(self, cls: ClassRow) -> RelationDescription:
        found = self._descriptions.get(cls.oid)
        if found is None:
            found = self._describe(cls)
            self._descriptions[cls.oid] = found
        return found

    def _describe(self, cls: ClassRow) -> RelationDescription:
        attributes = []
        for r, stored in sorted(
            self._attributes.get(cls.oid, []), key=lambda x: _int(x[0]["attnum"])
        ):
            typid = _int(r["atttypid"])
            declared = self.types.get(typid)
            base = self._base_type(typid)
            elem = self.types.get(base.typelem) if base is not None and base.typelem else None
            missing = None
            if _bool(r["atthasmissing"]) and "attmissingval" in stored:
                missing = self.missing_value_text(stored["attmissingval"])
            attributes.append(
                {
                    "attnum": _int(r["attnum"]),
                    "attname": r["attname"],
                    "atttypid": typid,
                    "typname": base.typname if base is not None else None,
                    "attlen": _int(r["attlen"]),
                    "attalign": r["attalign"],
                    "attbyval": _bool(r["attbyval"]),
                    "attstorage": r["attstorage"],
                    "atttypmod": _int(r["atttypmod"], -1),
                    "attisdropped": _bool(r["attisdropped"]),
                    "atthasmissing": _bool(r["atthasmissing"]),
                    "attmissingval": missing,
                    "attnotnull": _bool(r["attnotnull"]),
                    "typelem": base.typelem if base is not None else None,
                    "elemtypname": elem.typname if elem else None,
                    "elemtyplen": elem.typlen if elem else None,
                    "elemtypalign": elem.typalign if elem else None,
                    "elemtypbyval": elem.typbyval if elem else None,
                    "attcollation": _int(r["attcollation"]),
                    "attcompression": r.get("attcompression"),
                    "typdomain": declared.typname
                    if declared is not None and declared.typtype == "d"
                    else None,
                }
            )
        toast = self.classes.get(cls.reltoastrelid) if cls.reltoastrelid else None
        obj: dict[str, Any] = {
            "relname": cls.relname,
            "nspname": cls.nspname,
            "oid": cls.oid,
            "relkind": cls.relkind,
            "relfilenode": self.filenumber(cls) if cls.has_storage else None,
            "reltoastrelid": cls.reltoastrelid,
            "toast_relation": toast.qualified if toast is not None else None,
            "attributes": attributes,
        }
        return description_from_json(obj, source=cls.qualified)


def quote_ident(name: str) -> str:
    """quote_ident(): double quotes unless the name is a plain lower-case identifier."""
    plain = (
        name != ""
        and (name[0].islower() or name[0] == "_")
        and all(ch.islower() or ch.isdigit() or ch in "_$" for ch in name)
        and name.isascii()
    )
    return name if plain else '"' + name.replace('"', '""') + '"'


def split_qualified(text: str) -> list[str]:
    """``a.b`` / ``"A b".c`` -> identifiers, unquoted ones folded to lower case (as SQL does)."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i <= n:
        if i < n and text[i] == '"':
            j, buf = i + 1, []
            while True:
                k = text.find('"', j)
                if k < 0:
                    raise DataDirectoryError(f"{text!r}: unterminated quoted identifier")
                buf.append(text[j:k])
                if k + 1 < n and text[k + 1] == '"':
                    buf.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            parts.append("".join(buf))
        else:
            k = text.find(".", i)
            k = n if k < 0 else k
            word = text[i:k].strip()
            if not word:
                raise DataDirectoryError(f"{text!r}: empty identifier")
            parts.append(word.lower())
            i = k
        if i >= n:
            break
        if text[i] != ".":
            raise DataDirectoryError(f"{text!r}: expected '.' after an identifier")
        i += 1
    return parts


__all__ = [
    "RELKIND_NAMES",
    "BootstrapCatalog",
    "ClassRow",
    "ClusterCatalog",
    "Database",
    "DatabaseCatalog",
    "RangeRow",
    "TypeRow",
    "bootstrap_catalogs",
    "quote_ident",
    "split_qualified",
]
