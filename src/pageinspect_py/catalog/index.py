"""Index descriptions: the index's own attributes plus what ``pg_index`` says about them.

An index tuple is laid out by the *index's* tuple descriptor (``pg_attribute`` rows of the
index relation, whose types are the opclass storage types), so an :class:`IndexDescription`
carries those rows, which of them are key columns (``indnkeyatts``; the rest are INCLUDE
columns, stored only in leaf tuples), and each key column's ordering (``indoption``: DESC,
NULLS FIRST) and collation. Independent of where it comes from (live catalog, schema file,
fixture manifest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pageinspect_py.catalog.attributes import Attribute, RelationDescription
from pageinspect_py.errors import SchemaError

#: pg_collation OIDs (pg_collation.dat): ``default``, ``C`` and ``POSIX``
DEFAULT_COLLATION_OID = 100
C_COLLATION_OID = 950
POSIX_COLLATION_OID = 951

#: pg_index.indoption bits (catalog/pg_index.h)
INDOPTION_DESC = 0x0001  #: values are in reverse order
INDOPTION_NULLS_FIRST = 0x0002  #: NULLs are first instead of last


@dataclass(frozen=True, slots=True)
class IndexColumn:
    """One attribute of an index: its stored type, and, for key columns, its ordering."""

    attribute: Attribute
    key: bool = True  #: False for an INCLUDE column
    desc: bool = False  #: indoption & INDOPTION_DESC
    nulls_first: bool = False  #: indoption & INDOPTION_NULLS_FIRST
    collation: int = 0  #: indcollation (0: not collatable)
    #: pg_opclass.opcname of a key column (``int8_minmax_ops``, ``jsonb_path_ops``); None when
    #: the source does not say (BRIN values and GIN keys are read by their opclass's rules)
    opclass: str | None = None

    @property
    def name(self) -> str:
        return self.attribute.attname


@dataclass(frozen=True, slots=True)
class IndexDescription:
    """An index's tuple descriptor and key ordering (btree), key opclasses (all methods)."""

    relname: str
    columns: tuple[IndexColumn, ...]
    unique: bool = False
    #: whether the database's default collation sorts like "C" (bytewise); None: unknown.
    #: Text keys under any other collation are not compared (their order needs ICU/libc).
    default_collation_is_c: bool | None = None
    extra: dict[str, object] = field(default_factory=dict)
    #: pg_am.amname (None: not said; a description typed by hand is a btree's)
    amname: str | None = None

    @property
    def natts(self) -> int:
        return len(self.columns)

    @property
    def nkeyatts(self) -> int:
        return sum(1 for c in self.columns if c.key)

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        return tuple(c.attribute for c in self.columns)

    def key_columns(self) -> tuple[IndexColumn, ...]:
        return tuple(c for c in self.columns if c.key)

    def relation(self) -> RelationDescription:
        """The index tuple descriptor as a relation description (for attribute decoders)."""
        return RelationDescription(self.relname, self.attributes, dict(self.extra))

    def bytewise_collation(self, column: IndexColumn) -> bool:
        """True when ``column``'s order is plain byte order (C/POSIX, or a C default)."""
        if column.collation in (0, C_COLLATION_OID, POSIX_COLLATION_OID):
            return True
        return column.collation == DEFAULT_COLLATION_OID and bool(self.default_collation_is_c)


def _int_vector(text: object, count: int, what: str) -> list[int]:
    """``int2vector`` / ``oidvector`` text (``"3 2 0"``) as integers, padded to ``count``."""
    if text is None or text == "":
        return [0] * count
    try:
        values = [int(part) for part in str(text).split()]
    except ValueError as exc:
        raise SchemaError(f"{what}: {text!r} is not a list of integers") from exc
    return values + [0] * (count - len(values))


def attribute_from_catalog(row: Mapping[str, Any]) -> Attribute:
    """An :class:`Attribute` from a ``pg_attribute``/``pg_type`` row as a mapping
    (the fixture manifest spells the element columns ``elemtyplen`` ...)."""
    try:
        return Attribute(
            attnum=int(row["attnum"]),
            attname=str(row["attname"]),
            atttypid=int(row["atttypid"]),
            typname=str(row["typname"]),
            attlen=int(row["attlen"]),
            attalign=row["attalign"],
            attbyval=bool(row["attbyval"]),
            attstorage=row.get("attstorage", "p"),
            atttypmod=int(row.get("atttypmod", -1)),
            attisdropped=bool(row.get("attisdropped", False)),
            attnotnull=bool(row.get("attnotnull", False)),
            attcollation=int(row.get("attcollation") or 0),
            typelem=int(row.get("typelem") or 0),
            elemtypname=row.get("elemtypname"),
            elemlen=row.get("elemlen", row.get("elemtyplen")),
            elemalign=row.get("elemalign", row.get("elemtypalign")),
            elembyval=row.get("elembyval", row.get("elemtypbyval")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemaError(f"attribute row {dict(row)!r}: {exc}") from exc


def index_description(
    relname: str,
    attributes: Sequence[Attribute],
    *,
    indnkeyatts: int,
    indoption: Sequence[int] = (),
    indcollation: Sequence[int] = (),
    unique: bool = False,
    default_collation_is_c: bool | None = None,
    extra: dict[str, object] | None = None,
    opclasses: Sequence[str | None] = (),
    amname: str | None = None,
) -> IndexDescription:
    """Build a description from catalog values (``indoption``/``indcollation``/opclass
    names per key)."""
    columns = []
    ordered = sorted(attributes, key=lambda a: a.attnum)
    if not 0 < indnkeyatts <= len(ordered):
        raise SchemaError(f"{relname}: indnkeyatts {indnkeyatts} with {len(ordered)} attributes")
    for position, attribute in enumerate(ordered):
        key = position < indnkeyatts
        option = indoption[position] if key and position < len(indoption) else 0
        collation = (
            indcollation[position]
            if key and position < len(indcollation)
            else attribute.attcollation
        )
        columns.append(
            IndexColumn(
                attribute,
                key,
                bool(option & INDOPTION_DESC),
                bool(option & INDOPTION_NULLS_FIRST),
                collation,
                opclasses[position] if key and position < len(opclasses) else None,
            )
        )
    return IndexDescription(
        relname, tuple(columns), unique, default_collation_is_c, dict(extra or {}), amname
    )


def index_from_manifest(
    entry: Mapping[str, Any], *, default_collation_is_c: bool | None = None
) -> IndexDescription:
    """An index description from a ``fixtures/pg<N>/manifest.json`` relation entry."""
    try:
        index = entry["index"]
        attributes = [attribute_from_catalog(row) for row in entry["attributes"]]
        nkey = int(index["indnkeyatts"])
        return index_description(
            str(entry.get("relname", index.get("index", "?"))),
            attributes,
            indnkeyatts=nkey,
            indoption=_int_vector(index.get("indoption"), nkey, "indoption"),
            indcollation=_int_vector(index.get("indcollation"), nkey, "indcollation"),
            unique=bool(index.get("indisunique", False)),
            default_collation_is_c=default_collation_is_c,
            extra={"indexdef": entry.get("indexdef")},
            opclasses=[
                c.get("opcname") for c in entry.get("index_columns") or () if isinstance(c, dict)
            ],
            amname=entry.get("amname"),
        )
    except (KeyError, TypeError) as exc:
        raise SchemaError(f"not an index entry: missing {exc}") from exc


def index_from_json(
    obj: Any, *, source: str = "schema", default_collation_is_c: bool | None = None
) -> IndexDescription:
    """An index description from a schema file: ``pgpage schema`` output for the index
    (every attribute a key column, ascending) or a fixture manifest entry, whose ``index``
    object (the ``pg_index`` row) gives ``indnkeyatts``, ``indoption`` and ``indcollation``."""
    from pageinspect_py.catalog.schema import description_from_json

    desc = description_from_json(obj, source=source)
    index = obj.get("index") if isinstance(obj, dict) else None
    if not isinstance(index, dict):
        return index_description(
            desc.relname,
            desc.attributes,
            indnkeyatts=desc.natts,
            default_collation_is_c=default_collation_is_c,
            extra=dict(desc.extra),
        )
    try:
        nkey = int(index.get("indnkeyatts", desc.natts))
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"{source}: indnkeyatts is not an integer") from exc
    columns = obj.get("index_columns") if isinstance(obj.get("index_columns"), list) else []
    amname = obj.get("amname")
    return index_description(
        desc.relname,
        desc.attributes,
        indnkeyatts=nkey,
        indoption=_int_vector(index.get("indoption"), nkey, "indoption"),
        indcollation=_int_vector(index.get("indcollation"), nkey, "indcollation"),
        unique=bool(index.get("indisunique", False)),
        default_collation_is_c=default_collation_is_c,
        extra=dict(desc.extra),
        opclasses=[c.get("opcname") if isinstance(c, dict) else None for c in columns],
        amname=amname if isinstance(amname, str) else None,
    )


def load_index_schema(
    path: str, *, relation: str | None = None, default_collation_is_c: bool | None = None
) -> IndexDescription:
    """Read an index description from a schema file, a manifest entry, or a whole fixture
    ``manifest.json`` (then ``relation`` names the index)."""
    from pathlib import Path

    from pageinspect_py.catalog.schema import read_json_file

    p = Path(path)
    obj = read_json_file(p)
    if isinstance(obj, dict) and isinstance(obj.get("relations"), dict):
        if relation is None or relation not in obj["relations"]:
            raise SchemaError(
                f"{p} is a manifest: name one of its indexes ("
                + ", ".join(
                    k for k, v in obj["relations"].items() if isinstance(v, dict) and v.get("index")
                )
                + ")"
            )
        obj = obj["relations"][relation]
    return index_from_json(obj, source=str(p), default_collation_is_c=default_collation_is_c)


_ORDER_WORDS = ("asc", "desc", "nulls", "first", "last")


def index_from_columns(
    keys: str,
    include: str | None = None,
    *,
    relname: str = "columns",
    default_collation_is_c: bool | None = None,
) -> IndexDescription:
    """Key columns typed by hand, each optionally followed by ``DESC`` and ``NULLS FIRST`` /
    ``NULLS LAST`` (``"a int4 DESC, b text NULLS FIRST"``), plus INCLUDE columns."""
    from pageinspect_py.catalog.schema import description_from_columns

    plain: list[str] = []
    options: list[int] = []
    for part in (p.strip() for p in keys.split(",")):
        words = part.split()
        option = 0
        desc = False
        nulls_first: bool | None = None
        while words and words[-1].lower() in _ORDER_WORDS:
            word = words.pop().lower()
            if word in ("first", "last"):
                if not words or words.pop().lower() != "nulls":
                    raise SchemaError(f"{part!r}: write NULLS FIRST or NULLS LAST")
                nulls_first = word == "first"
            elif word == "desc":
                desc = True
            elif word == "nulls":
                raise SchemaError(f"{part!r}: NULLS needs FIRST or LAST")
        if desc:
            option |= INDOPTION_DESC
        if nulls_first if nulls_first is not None else desc:  # DESC defaults to NULLS FIRST
            option |= INDOPTION_NULLS_FIRST
        plain.append(" ".join(words))
        options.append(option)
    text = ", ".join(plain + ([include] if include else []))
    desc_rel = description_from_columns(text, relname)
    return index_description(
        relname,
        desc_rel.attributes,
        indnkeyatts=len(plain),
        indoption=options,
        default_collation_is_c=default_collation_is_c,
    )
