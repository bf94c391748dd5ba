"""Relation descriptions to and from schema files, and from a short hand-typed column list.

A schema file is a JSON object whose ``attributes`` list holds one object per ``pg_attribute``
row (dropped columns included) with the catalog's column names -- the same keys as the
``attributes`` of a relation in the fixtures' ``manifest.json``, so such an entry works as a
schema file too. ``pgpage schema`` writes it; ``--schema FILE`` reads it.

The short form (``--columns "id int8, name text, price numeric(10,2)"``) is like pg_filedump's
``-D`` with names; a column written ``-name type`` is a dropped column of that type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pageinspect_py.catalog.attributes import ALIGNMENT, Attribute, RelationDescription
from pageinspect_py.catalog.types import BUILTIN_BY_OID, BUILTIN_TYPES, BuiltinType, resolve_type
from pageinspect_py.errors import SchemaError

#: Keys of one attribute in a schema file, in the order written (catalog column names).
ATTRIBUTE_KEYS = (
    "attnum",
    "attname",
    "atttypid",
    "typname",
    "attlen",
    "attalign",
    "attbyval",
    "attstorage",
    "atttypmod",
    "attisdropped",
    "atthasmissing",
    "attmissingval",
    "attnotnull",
    "typelem",
    "elemtypname",
    "elemtyplen",
    "elemtypalign",
    "elemtypbyval",
    "attcollation",
    "attcompression",
)
#: Relation-level keys written by ``pgpage schema`` (all optional when reading).
RELATION_KEYS = (
    "relname",
    "nspname",
    "oid",
    "relkind",
    "relfilenode",
    "reltoastrelid",
    "toast_relation",
    "server_version_num",
)
SCHEMA_FORMAT = "pgpage-schema/1"

_REQUIRED = ("attnum", "attname", "attlen", "attalign")


def _attribute(row: Mapping[str, Any], where: str) -> Attribute:
    missing = [k for k in _REQUIRED if row.get(k) is None]
    if missing:
        raise SchemaError(f"{where}: missing {', '.join(missing)}")
    attalign = str(row["attalign"])
    if attalign not in ALIGNMENT:
        raise SchemaError(f"{where}: attalign {attalign!r} is not one of c, s, i, d")
    try:
        attlen = int(row["attlen"])
        attnum = int(row["attnum"])
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"{where}: attnum and attlen must be integers") from exc
    if attlen == 0 or attlen < -2:
        raise SchemaError(f"{where}: attlen {attlen} is not > 0, -1 (varlena) or -2 (cstring)")
    dropped = bool(row.get("attisdropped", False))
    typname = row.get("typname")
    if typname is None and not dropped:
        raise SchemaError(f"{where}: typname is missing")
    elemalign = row.get("elemtypalign", row.get("elemalign"))
    elemlen = row.get("elemtyplen", row.get("elemlen"))
    elembyval = row.get("elemtypbyval", row.get("elembyval"))
    elemtypname = row.get("elemtypname")
    typelem = int(row.get("typelem") or 0)
    builtin_elem = BUILTIN_BY_OID.get(typelem) if typelem and elemtypname is None else None
    if builtin_elem is not None and attlen == -1:
        # pg_attribute's own terms: typelem as an OID and no element columns; a built-in
        # element type is known by its OID
        elemtypname = builtin_elem.typname
        elemlen = builtin_elem.typlen
        elemalign = builtin_elem.typalign
        elembyval = builtin_elem.typbyval
    missingval = row.get("attmissingval")
    return Attribute(
        attnum=attnum,
        attname=str(row["attname"]),
        atttypid=int(row.get("atttypid") or 0),
        typname=str(typname) if typname is not None else "",
        attlen=attlen,
        attalign=attalign,  # type: ignore[arg-type]
        attbyval=bool(row.get("attbyval", attlen in (1, 2, 4, 8))),
        attstorage=str(row.get("attstorage") or "p"),  # type: ignore[arg-type]
        atttypmod=int(row["atttypmod"]) if row.get("atttypmod") is not None else -1,
        attisdropped=dropped,
        atthasmissing=bool(row.get("atthasmissing", False)),
        attmissingval=str(missingval) if missingval is not None else None,
        attnotnull=bool(row.get("attnotnull", False)),
        attcollation=int(row.get("attcollation") or 0),
        typelem=typelem,
        elemtypname=elemtypname,
        elemlen=int(elemlen) if elemlen is not None else None,
        elemalign=elemalign if elemalign in ALIGNMENT else None,
        elembyval=bool(elembyval) if elembyval is not None else None,
        attcompression=str(row["attcompression"])
        if row.get("attcompression") is not None
        else None,
    )


def description_from_json(obj: Any, *, source: str = "schema") -> RelationDescription:
    """A RelationDescription from a parsed schema file (or a fixture manifest entry)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("attributes"), list):
        raise SchemaError(f'{source}: expected a JSON object with an "attributes" list')
    rows = obj["attributes"]
    atts = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise SchemaError(f"{source}: attribute {index + 1} is not an object")
        atts.append(_attribute(row, f"{source}: attribute {index + 1}"))
    atts.sort(key=lambda a: a.attnum)
    expected = list(range(1, len(atts) + 1))
    if [a.attnum for a in atts] != expected:
        raise SchemaError(
            f"{source}: attnums must be 1..{len(atts)} without gaps (list the "
            "dropped columns too: tuples keep their bytes)"
        )
    extra = {k: obj[k] for k in RELATION_KEYS if k in obj}
    return RelationDescription(str(obj.get("relname") or Path(source).stem), tuple(atts), extra)


def read_json_file(path: str | Path) -> Any:
    """A JSON file's contents; a missing, unreadable or malformed file is a SchemaError
    naming it."""
    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SchemaError(f"{p}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{p}: not JSON ({exc.msg} at line {exc.lineno})") from exc


def read_schema_json(path: str | Path, relation_file: str | Path | None = None) -> Any:
    """The JSON of a schema file: ``pgpage schema`` output, one manifest relation entry, or
    a whole fixture ``manifest.json``, of which the entry holding ``relation_file`` (matched
    by file name) is returned."""
    p = Path(path)
    obj = read_json_file(p)
    if isinstance(obj, dict) and isinstance(obj.get("relations"), dict):
        wanted = Path(relation_file).name if relation_file is not None else None
        named = []
        for entry in obj["relations"].values():
            files = entry.get("files") if isinstance(entry, dict) else None
            if not isinstance(files, dict):
                continue
            paths = [Path(f) for f in files.values() if isinstance(f, str)]
            if relation_file is not None and any(
                _same_file(p.parent / f, Path(relation_file)) for f in paths
            ):
                return entry  # the very file the manifest lists
            if any(f.name == wanted for f in paths):
                named.append(entry)
        if len(named) == 1:
            return named[0]
        if named:  # relfilenodes repeat across a manifest's relations: the path must say
            raise SchemaError(
                f"{p}: several relations in this manifest have a file named {wanted}; give "
                "the file inside the manifest's directory, or that relation's entry"
            )
        raise SchemaError(f"{p}: no relation in this manifest has the file {wanted}")
    return obj


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def load_schema(
    path: str | Path, relation_file: str | Path | None = None, *, force: bool = False
) -> RelationDescription:
    """Read a heap relation's description from a schema file (see :func:`read_schema_json`).
    When the schema records the relation's relfilenode and ``relation_file`` is named by
    another one (``16384``, ``16384.1``, ``16384.gz``), the schema describes another relation:
    a SchemaError unless ``force``."""
    desc = description_from_json(read_schema_json(path, relation_file), source=str(path))
    if not force and relation_file is not None:
        check_describes(desc, relation_file, path)
    return desc


_RELFILENODE_NAME = re.compile(r"^(\d+)(?:_(?:fsm|vm|init))?(?:\.\d+)?(?:\.gz)?$")


def check_describes(
    desc: RelationDescription, relation_file: str | Path, schema: str | Path
) -> None:
    """SchemaError when ``desc`` records a relfilenode that the file's name contradicts
    (a file not named by a relfilenode says nothing, and passes)."""
    recorded = desc.extra.get("relfilenode")
    match = _RELFILENODE_NAME.match(Path(relation_file).name)
    if match is None or not isinstance(recorded, int) or isinstance(recorded, bool):
        return
    named = int(match.group(1))
    if recorded and named != recorded:
        raise SchemaError(
            f"{schema} describes {desc.relname} (relfilenode {recorded}), but "
            f"{Path(relation_file).name} is relfilenode {named}: the schema is another "
            "relation's (give --force to decode with it anyway)"
        )


def attribute_json(att: Attribute) -> dict[str, Any]:
    """One attribute with the catalog's column names (ATTRIBUTE_KEYS)."""
    return {
        "attnum": att.attnum,
        "attname": att.attname,
        "atttypid": att.atttypid,
        "typname": att.typname or None,
        "attlen": att.attlen,
        "attalign": att.attalign,
        "attbyval": att.attbyval,
        "attstorage": att.attstorage,
        "atttypmod": att.atttypmod,
        "attisdropped": att.attisdropped,
        "atthasmissing": att.atthasmissing,
        "attmissingval": att.attmissingval,
        "attnotnull": att.attnotnull,
        "typelem": att.typelem,
        "elemtypname": att.elemtypname,
        "elemtyplen": att.elemlen,
        "elemtypalign": att.elemalign,
        "elemtypbyval": att.elembyval,
        "attcollation": att.attcollation,
        "attcompression": att.attcompression,
    }


def description_json(desc: RelationDescription) -> dict[str, Any]:
    """The schema file contents for ``desc``."""
    out: dict[str, Any] = {"format": SCHEMA_FORMAT, "relname": desc.relname}
    for key in RELATION_KEYS:
        if key in desc.extra and key != "relname":
            out[key] = desc.extra[key]
    out["attributes"] = [attribute_json(a) for a in desc.attributes]
    return out


def _split_columns(text: str) -> list[str]:
    """Split on commas outside parentheses and double quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _split_name(item: str) -> tuple[str, str]:
    if item.startswith('"'):
        end = item.find('"', 1)
        while end != -1 and item[end + 1 : end + 2] == '"':  # "" inside a quoted name
            end = item.find('"', end + 2)
        if end == -1:
            raise SchemaError(f"unterminated quoted name in {item!r}")
        return item[1:end].replace('""', '"'), item[end + 1 :].strip()
    name, _, rest = item.partition(" ")
    return name.lower(), rest.strip()


def description_from_columns(text: str, relname: str = "columns") -> RelationDescription:
    """``"id int8, name text, -old text, price numeric(10,2)"`` -> RelationDescription.

    Types are resolved through the built-in table (typlen, typalign, typbyval); a leading
    ``-`` marks a dropped column, which still takes its bytes in old tuples.
    """
    atts: list[Attribute] = []
    for attnum, item in enumerate(_split_columns(text), start=1):
        dropped = item.startswith("-")
        name, spelling = _split_name(item[1:].strip() if dropped else item)
        if not spelling:
            raise SchemaError(f'column {attnum} ({name}) has no type: write "name type"')
        resolved = resolve_type(spelling)
        base = resolved.base
        if resolved.is_array:
            typname, oid = "_" + base.typname, base.array_oid
            attlen, attalign, attbyval, storage = (
                -1,
                "d" if base.typalign == "d" else "i",
                False,
                "x",
            )
        else:
            typname, oid = base.typname, base.oid
            attlen, attalign, attbyval, storage = (
                base.typlen,
                base.typalign,
                base.typbyval,
                base.typstorage,
            )
        if resolved.is_array:
            elem: BuiltinType | None = base
        else:
            elem = next((t for t in BUILTIN_TYPES.values() if t.oid == base.typelem), None)
        if dropped:
            name = f"........pg.dropped.{attnum}........"
        atts.append(
            Attribute(
                attnum=attnum,
                attname=name,
                atttypid=0 if dropped else oid,
                typname=typname,
                attlen=attlen,
                attalign=attalign,  # type: ignore[arg-type]
                attbyval=attbyval,
                attstorage=storage,  # type: ignore[arg-type]
                atttypmod=resolved.atttypmod,
                attisdropped=dropped,
                attcollation=base.typcollation,
                typelem=elem.oid if elem is not None else 0,
                elemtypname=elem.typname if elem is not None else None,
                elemlen=elem.typlen if elem is not None else None,
                elemalign=elem.typalign if elem is not None else None,  # type: ignore[arg-type]
                elembyval=elem.typbyval if elem is not None else None,
            )
        )
    if not atts:
        raise SchemaError("no columns given")
    return RelationDescription(relname, tuple(atts))


__all__ = [
    "ATTRIBUTE_KEYS",
    "BUILTIN_TYPES",
    "attribute_json",
    "description_from_columns",
    "description_from_json",
    "description_json",
    "load_schema",
]
