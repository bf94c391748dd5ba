"""What every output function receives and the checks they share.

An output function takes the plain bytes of a datum (for a varlena: the bytes after the header,
uncompressed and detoasted) and the :class:`TypeInfo` of its type, and returns the text
PostgreSQL's output function prints; it raises :class:`~pageinspect_py.errors.DatumError` for
bytes its C counterpart would reject.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pageinspect_py.errors import DatumError

if TYPE_CHECKING:
    from pageinspect_py.catalog.attributes import Attribute


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """What an output function needs to know about a type (pg_type's typname, typlen, ...)."""

    typname: str
    typlen: int
    typalign: str
    typbyval: bool
    elem: TypeInfo | None = None  #: element type of an array
    typoid: int = 0  #: pg_type OID when known (0: not known)

    @classmethod
    def of(cls, att: Attribute) -> TypeInfo:
        elem = None
        if att.typelem and att.elemtypname and att.elemlen is not None:
            elem = TypeInfo(
                att.elemtypname,
                att.elemlen,
                att.elemalign or "i",
                bool(att.elembyval),
                typoid=att.typelem,
            )
        return cls(att.typname, att.attlen, att.attalign, att.attbyval, elem, att.atttypid)

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
