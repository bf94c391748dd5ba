"""Relation descriptions independent of where they come from (live catalog, schema file).

Column names follow ``pg_attribute`` / ``pg_type`` so a schema file written by
``pgpage schema`` reads like the catalog itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

TypAlign = Literal["c", "s", "i", "d"]
TypStorage = Literal["p", "e", "m", "x"]

#: pg_type.typalign -> bytes
ALIGNMENT: dict[str, int] = {"c": 1, "s": 2, "i": 4, "d": 8}


@dataclass(frozen=True, slots=True)
class Attribute:
    """One ``pg_attribute`` row with what ``pg_type`` says about its type."""

    attnum: int
    attname: str
    atttypid: int
    typname: str
    attlen: int  #: > 0 fixed width, -1 varlena, -2 C string
    attalign: TypAlign
    attbyval: bool
    attstorage: TypStorage = "p"
    atttypmod: int = -1
    attisdropped: bool = False
    atthasmissing: bool = False
    attmissingval: str | None = None  #: text of the one-element array pg_attribute stores
    attnotnull: bool = False
    attcollation: int = 0
    #: pg_attribute.attcompression: '' (default), 'p' pglz, 'l' lz4; None before 14
    attcompression: str | None = None
    #: for arrays: the element type (``typelem``), its name, length, alignment and byval
    typelem: int = 0
    elemtypname: str | None = None
    elemlen: int | None = None
    elemalign: TypAlign | None = None
    elembyval: bool | None = None

    @property
    def alignment(self) -> int:
        return ALIGNMENT[self.attalign]

    @property
    def is_varlena(self) -> bool:
        return self.attlen == -1


#: pg_type.typtype values whose output function needs more of the catalog than pg_type
#: (pg_enum, pg_attribute of typrelid, pg_range)
TYPTYPE_ENUM = "e"
TYPTYPE_COMPOSITE = "c"
TYPTYPE_RANGE = "r"
TYPTYPE_MULTIRANGE = "m"
TYPTYPE_DOMAIN = "d"
TYPTYPE_BASE = "b"


@dataclass(frozen=True, slots=True)
class TypeEntry:
    """One ``pg_type`` row as output functions need it, with what the other catalogs add:
    an enum's labels (``pg_enum``), a composite's attributes (``pg_attribute`` of its
    ``typrelid``), a range's subtype and a multirange's range (``pg_range``)."""

    oid: int
    typname: str
    typtype: str  #: b base, c composite, d domain, e enum, p pseudo, r range, m multirange
    typlen: int
    typalign: TypAlign
    typbyval: bool
    typelem: int = 0  #: element type of an array (or of a fixed-length subscriptable type)
    typbasetype: int = 0  #: for a domain: the type it is over
    typrelid: int = 0  #: for a composite: its pg_class row
    typdelim: str = ","
    #: enum: pg_enum.oid (the stored value) -> enumlabel
    labels: Mapping[int, str] = field(default_factory=dict, compare=False)
    #: composite: its attributes in attnum order, dropped ones included
    attributes: tuple[Attribute, ...] = ()
    rngsubtype: int = 0  #: range: pg_range.rngsubtype
    rngtypid: int = 0  #: multirange: its range type (pg_range.rngtypid)

    @property
    def is_array(self) -> bool:
        return self.typlen == -1 and self.typelem != 0


@dataclass(frozen=True, slots=True)
class TypeCatalog:
    """The types a relation's values need, by OID: its columns' types and everything they
    reach (domains' base types, array elements, composites' attributes, range subtypes).

    Output functions of enums, composites, ranges and multiranges look their types up here
    (:attr:`RelationDescription.types` carries it to the tuple decoder)."""

    entries: Mapping[int, TypeEntry] = field(default_factory=dict)

    def get(self, oid: int) -> TypeEntry | None:
        return self.entries.get(oid)

    def resolve(self, oid: int) -> TypeEntry | None:
        """The type ``oid`` stores its values as: a domain's base type (through domains over
        domains), else the type itself; None when the catalog does not know it."""
        entry = self.entries.get(oid)
        depth = 0
        while entry is not None and entry.typtype == TYPTYPE_DOMAIN and depth < 64:
            entry = self.entries.get(entry.typbasetype)
            depth += 1
        return entry

    def __contains__(self, oid: object) -> bool:
        return oid in self.entries

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True, slots=True)
class RelationDescription:
    """A heap relation's tuple descriptor: every attribute in attnum order, dropped ones too."""

    relname: str
    attributes: tuple[Attribute, ...]
    #: free-form extras: oid, relfilenode, reloptions, toast relation, server version
    extra: dict[str, object] = field(default_factory=dict)
    #: the user-defined types (and the types they reach) its values need; None: unknown, and
    #: values of enums, composites, ranges and multiranges are shown as their stored bytes
    types: TypeCatalog | None = field(default=None, compare=False, repr=False)

    @property
    def natts(self) -> int:
        return len(self.attributes)

    def live_attributes(self) -> tuple[Attribute, ...]:
        return tuple(a for a in self.attributes if not a.attisdropped)
