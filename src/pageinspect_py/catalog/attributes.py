"""Relation descriptions independent of where they come from (live catalog, schema file).

Column names follow ``pg_attribute`` / ``pg_type`` so a schema file written by
``pgpage schema`` reads like the catalog itself.
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class RelationDescription:
    """A heap relation's tuple descriptor: every attribute in attnum order, dropped ones too."""

    relname: str
    attributes: tuple[Attribute, ...]
    #: free-form extras: oid, relfilenode, reloptions, toast relation, server version
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def natts(self) -> int:
        return len(self.attributes)

    def live_attributes(self) -> tuple[Attribute, ...]:
        return tuple(a for a in self.attributes if not a.attisdropped)
