"""What every output function receives and the checks they share.

An output function takes the plain bytes of a datum (for a varlena: the bytes after the header,
uncompressed and detoasted) and the :class:`TypeInfo` of its type, and returns the text
PostgreSQL's output function prints; it raises :class:`~pageinspect_py.errors.DatumError` for
bytes its C counterpart would reject.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pageinspect_py.errors import DatumError

if TYPE_CHECKING:
    from pageinspect_py.catalog.attributes import Attribute, TypeCatalog


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """What an output function needs to know about a type (pg_type's typname, typlen, ...)."""

    typname: str
    typlen: int
    typalign: str
    typbyval: bool
    elem: TypeInfo | None = None  #: element type of an array
    typoid: int = 0  #: pg_type OID when known (0: not known)
    #: the types user-defined types need (enum labels, composite attributes, range subtypes),
    #: looked up by ``typoid``; None: only built-in output functions apply
    catalog: TypeCatalog | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, att: Attribute, catalog: TypeCatalog | None = None) -> TypeInfo:
        elem = None
        if att.typelem and att.elemtypname and att.elemlen is not None:
            elem = TypeInfo(
                att.elemtypname,
                att.elemlen,
                att.elemalign or "i",
                bool(att.elembyval),
                typoid=att.typelem,
                catalog=catalog,
            )
        return cls(att.typname, att.attlen, att.attalign, att.attbyval, elem, att.atttypid, catalog)

    @classmethod
    def of_type(cls, oid: int, catalog: TypeCatalog) -> TypeInfo:
        """The type ``oid`` as ``catalog`` knows it (a domain as its base type, an array with
        its element); DatumError when the catalog does not know it."""
        declared = catalog.get(oid)
        base = catalog.resolve(oid)
        if declared is None or base is None:
            raise DatumError(f"type {oid} is not in the type catalog")
        elem = None
        if base.is_array:
            elem = cls.of_type(base.typelem, catalog)
        return cls(
            base.typname, base.typlen, base.typalign, base.typbyval, elem, declared.oid, catalog
        )

    @property
    def is_array(self) -> bool:
        return self.elem is not None and self.typlen == -1


OutputFunction = Callable[[bytes, TypeInfo], str]


def fixed(payload: bytes, size: int, typname: str) -> bytes:
    """``payload`` when it is exactly ``size`` bytes long (a fixed-width type's datum)."""
    if len(payload) != size:
        raise DatumError(f"{typname} needs {size} bytes, got {len(payload)}")
    return payload


def utf8(raw: bytes, what: str = "text") -> str:
    """``raw`` decoded as the database encoding (UTF-8)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatumError(f"{what} is not valid UTF-8 at byte {exc.start}") from exc
