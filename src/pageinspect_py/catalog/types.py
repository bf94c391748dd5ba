"""Built-in types as ``pg_type`` describes them (PostgreSQL 12-18), for hand-typed schemas.

``typlen``, ``typalign``, ``typbyval`` and ``typstorage`` decide where an attribute's bytes
lie; the OIDs are fixed in ``pg_type.dat``. A test checks this table against ``pg_type`` of a
live server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pageinspect_py.errors import SchemaError


@dataclass(frozen=True, slots=True)
class BuiltinType:
    typname: str
    oid: int
    typlen: int
    typalign: str
    typbyval: bool
    typstorage: str
    array_oid: int  #: OID of the ``_typname`` array type (0: none)
    typcollation: int = 0  #: 100 (default collation) for collatable types
    typelem: int = 0  #: subscript element type of fixed-length types (name, point, ...)


#: typname: (oid, typlen, typalign, typbyval, typstorage, array oid, collation[, typelem])
_TABLE: dict[str, tuple[Any, ...]] = {
    "bool": (16, 1, "c", True, "p", 1000, 0),
    "bytea": (17, -1, "i", False, "x", 1001, 0),
    "char": (18, 1, "c", True, "p", 1002, 0),
    "name": (19, 64, "c", False, "p", 1003, 950, 18),
    "int8": (20, 8, "d", True, "p", 1016, 0),
    "int2": (21, 2, "s", True, "p", 1005, 0),
    "int2vector": (22, -1, "i", False, "p", 1006, 0, 21),
    "int4": (23, 4, "i", True, "p", 1007, 0),
    "text": (25, -1, "i", False, "x", 1009, 100),
    "oid": (26, 4, "i", True, "p", 1028, 0),
    "tid": (27, 6, "s", False, "p", 1010, 0),
    "xid": (28, 4, "i", True, "p", 1011, 0),
    "cid": (29, 4, "i", True, "p", 1012, 0),
    "oidvector": (30, -1, "i", False, "p", 1013, 0, 26),
    "json": (114, -1, "i", False, "x", 199, 0),
    "xml": (142, -1, "i", False, "x", 143, 0),
    "point": (600, 16, "d", False, "p", 1017, 0, 701),
    "lseg": (601, 32, "d", False, "p", 1018, 0, 600),
    "path": (602, -1, "d", False, "x", 1019, 0),
    "box": (603, 32, "d", False, "p", 1020, 0, 600),
    "polygon": (604, -1, "d", False, "x", 1027, 0),
    "line": (628, 24, "d", False, "p", 629, 0, 701),
    "cidr": (650, -1, "i", False, "m", 651, 0),
    "float4": (700, 4, "i", True, "p", 1021, 0),
    "float8": (701, 8, "d", True, "p", 1022, 0),
    "circle": (718, 24, "d", False, "p", 719, 0),
    "macaddr8": (774, 8, "i", False, "p", 775, 0),
    "money": (790, 8, "d", True, "p", 791, 0),
    "macaddr": (829, 6, "i", False, "p", 1040, 0),
    "inet": (869, -1, "i", False, "m", 1041, 0),
    "bpchar": (1042, -1, "i", False, "x", 1014, 100),
    "varchar": (1043, -1, "i", False, "x", 1015, 100),
    "date": (1082, 4, "i", True, "p", 1182, 0),
    "time": (1083, 8, "d", True, "p", 1183, 0),
    "timestamp": (1114, 8, "d", True, "p", 1115, 0),
    "timestamptz": (1184, 8, "d", True, "p", 1185, 0),
    "interval": (1186, 16, "d", False, "p", 1187, 0),
    "timetz": (1266, 12, "d", False, "p", 1270, 0),
    "bit": (1560, -1, "i", False, "x", 1561, 0),
    "varbit": (1562, -1, "i", False, "x", 1563, 0),
    "numeric": (1700, -1, "i", False, "m", 1231, 0),
    "uuid": (2950, 16, "c", False, "p", 2951, 0),
    "pg_lsn": (3220, 8, "d", True, "p", 3221, 0),
    "tsvector": (3614, -1, "i", False, "x", 3643, 0),
    "jsonb": (3802, -1, "i", False, "x", 3807, 0),
    "xid8": (5069, 8, "d", True, "p", 271, 0),
}

BUILTIN_TYPES: dict[str, BuiltinType] = {
    name: BuiltinType(name, *row) for name, row in _TABLE.items()
}

#: SQL spellings and aliases -> typname (format_type / gram.y names)
_ALIASES = {
    "boolean": "bool",
    "smallint": "int2",
    "integer": "int4",
    "int": "int4",
    "bigint": "int8",
    "smallserial": "int2",
    "serial": "int4",
    "bigserial": "int8",
    "serial2": "int2",
    "serial4": "int4",
    "serial8": "int8",
    "real": "float4",
    "double precision": "float8",
    "float": "float8",
    "decimal": "numeric",
    "dec": "numeric",
    "character varying": "varchar",
    "char varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",  # SQL char(n); the one-byte type is written "char" (quoted)
    '"char"': "char",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "bit varying": "varbit",
}

_TYPE = re.compile(
    r"""^(?P<base>"char"|[a-z_][a-z0-9_ ]*?)\s*(?:\((?P<mods>[^)]*)\))?
        (?P<zone>\s+with(?:out)?\s+time\s+zone)?\s*(?P<array>(?:\[\s*\d*\s*\]\s*)+|\s+array)?$""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class ResolvedType:
    """A type spelled in SQL, resolved to pg_type values."""

    base: BuiltinType  #: the type, or the element type of an array
    is_array: bool
    atttypmod: int


def _typmod(typname: str, mods: list[int]) -> int:
    """The typmod the type's typmodin would compute (informational only)."""
    if not mods:
        return -1
    if typname in ("varchar", "bpchar"):
        return mods[0] + 4
    if typname == "numeric":
        scale = mods[1] if len(mods) > 1 else 0
        return ((mods[0] << 16) | (scale & 0x7FF)) + 4
    if typname in ("bit", "varbit", "timestamp", "timestamptz", "time", "timetz", "interval"):
        return mods[0]
    return -1


#: the built-in types by OID
BUILTIN_BY_OID: dict[int, BuiltinType] = {t.oid: t for t in BUILTIN_TYPES.values()}


def resolve_type(spelling: str) -> ResolvedType:
    """``int8``, ``varchar(20)``, ``numeric(10,2)``, ``timestamp with time zone``, ``text[]``,
    ``"char"``... -> the built-in type. Raises SchemaError for anything else."""
    text = " ".join(spelling.strip().split())
    lowered = text.lower() if not text.startswith('"char"') else text
    match = _TYPE.match(lowered)
    if match is None:
        raise SchemaError(f"cannot read type {spelling!r}")
    base = match["base"].strip()
    if match["zone"]:
        base += " " + " ".join(match["zone"].split())
    is_array = bool(match["array"])
    if base.startswith("_") and base[1:] in BUILTIN_TYPES:
        base, is_array = base[1:], True
    if base in ("float",) and match["mods"]:
        digits = int(match["mods"])
        base = "float4" if digits <= 24 else "float8"
        mods: list[int] = []
    else:
        try:
            mods = [int(m) for m in match["mods"].split(",")] if match["mods"] else []
        except ValueError as exc:
            raise SchemaError(f"type modifiers of {spelling!r} are not numbers") from exc
    typname = _ALIASES.get(base, base)
    if typname not in BUILTIN_TYPES:
        known = ", ".join(sorted(BUILTIN_TYPES))
        raise SchemaError(
            f"unknown type {spelling!r}: hand-typed schemas know the built-in "
            f"types ({known}); capture other types with pgpage schema"
        )
    if typname == "bpchar" and not mods and base in ("char", "character"):
        mods = [1]
    return ResolvedType(BUILTIN_TYPES[typname], is_array, _typmod(typname, mods))
