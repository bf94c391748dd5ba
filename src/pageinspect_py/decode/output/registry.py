"""The output functions by type, and the entry points that apply them to stored datums.

A type family's module registers its functions with :func:`register`, by ``typname`` or by
pg_type OID (an extension type or an enum of one database is known by its OID)::

    @register("uuid")
    def uuid_out(payload: bytes, info: TypeInfo) -> str: ...

:func:`output_function` finds the function for a type: its OID's; else, when the type catalog
the :class:`TypeInfo` carries knows the type as an enum, a composite, a range or a multirange,
the pseudo-type's (``anyenum``: enum_out, ``record``: record_out, ``anyrange``: range_out,
``anymultirange``: multirange_out, as pg_type's typoutput says); else its name's (a domain's
base type's); else, for an array type without one of its own, ``anyarray``'s (array_out).
New types plug in by registering; nothing here names a type.

:func:`datum_text` takes the bytes an attribute occupies in a tuple (varlena header included),
detoasts and decompresses them when needed, and calls the output function;
:func:`payload_text` does the same for bytes that are already plain. Both raise
:class:`~pageinspect_py.errors.DatumError` (only) when the bytes cannot be printed.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from construct import ConstructError

from pageinspect_py.decode.output.base import OutputFunction, TypeInfo
from pageinspect_py.decode.varlena import ToastFetcher, parse_varlena, plain_payload
from pageinspect_py.errors import DatumError

if TYPE_CHECKING:
    from pageinspect_py.catalog.attributes import Attribute

#: the typname under which array_out is registered (pg_type's anyarray uses it)
ANYARRAY = "anyarray"
#: pg_type.typtype -> the pseudo-type whose output function serves every type of that kind
#: (enum_out, record_out, range_out, multirange_out)
KIND_OUTPUT: dict[str, str] = {
    "e": "anyenum",
    "c": "record",
    "r": "anyrange",
    "m": "anymultirange",
}

_BY_NAME: dict[str, OutputFunction] = {}
_BY_OID: dict[int, OutputFunction] = {}


def register(*types: str | int) -> Callable[[OutputFunction], OutputFunction]:
    """Decorator: ``fn`` is the output function of each type named (typname) or given by OID."""
    if not types:
        raise TypeError("register() needs at least one typname or type OID")

    def add(fn: OutputFunction) -> OutputFunction:
        for key in types:
            if isinstance(key, int):
                _BY_OID[key] = fn
            else:
                _BY_NAME[key] = fn
        return fn

    return add


def _own_function(info: TypeInfo) -> OutputFunction | None:
    if info.typoid:
        fn = _BY_OID.get(info.typoid)
        if fn is not None:
            return fn
        if info.catalog is not None:
            entry = info.catalog.resolve(info.typoid)
            if entry is not None:
                kind = KIND_OUTPUT.get(entry.typtype)
                if kind is not None:
                    return _BY_NAME.get(kind)
                if entry.oid != info.typoid:  # a domain: its base type's function
                    fn = _BY_OID.get(entry.oid) or _BY_NAME.get(entry.typname)
                    if fn is not None:
                        return fn
    return _BY_NAME.get(info.typname)


def output_function(type_or_attribute: TypeInfo | Attribute) -> OutputFunction | None:
    """The output function of a type (or of an attribute's type); None when none is known."""
    info = (
        type_or_attribute
        if isinstance(type_or_attribute, TypeInfo)
        else TypeInfo.of(type_or_attribute)
    )
    fn = _own_function(info)
    if fn is None and info.is_array:
        return _BY_NAME.get(ANYARRAY)
    return fn


def has_output(info: TypeInfo) -> bool:
    """True when :func:`datum_text` knows how to print values of this type."""
    if info.is_array and _own_function(info) is None:
        assert info.elem is not None
        return ANYARRAY in _BY_NAME and has_output(info.elem)
    return _own_function(info) is not None


#: what an output function (or a walk over a datum's bytes) may raise on bad bytes
BAD_BYTES: tuple[type[Exception], ...] = (
    ValueError,
    ArithmeticError,
    LookupError,
    struct.error,
    ConstructError,
    RecursionError,
)


@contextmanager
def _as_datum_error(info: TypeInfo) -> Iterator[None]:
    """Anything an output function trips over on bad bytes becomes a DatumError."""
    try:
        yield
    except DatumError:
        raise
    except BAD_BYTES as exc:
        raise DatumError(f"{info.typname}: {type(exc).__name__}: {exc}") from exc


def datum_text(info: TypeInfo, stored: bytes, toast: ToastFetcher | None = None) -> str:
    """The text PostgreSQL prints for the datum stored as ``stored`` (header included)."""
    with _as_datum_error(info):
        if info.typlen == -1:
            payload = plain_payload(parse_varlena(stored), toast)
        elif info.typlen == -2:
            if not stored.endswith(b"\x00"):
                raise DatumError("C string without its terminating NUL")
            payload = stored[:-1]
        else:
            if len(stored) != info.typlen:
                raise DatumError(f"{info.typname} needs {info.typlen} bytes, got {len(stored)}")
            payload = stored
        return _apply(info, payload)


def payload_text(info: TypeInfo, payload: bytes) -> str:
    """Output function of ``info`` applied to plain (uncompressed, header-less) bytes."""
    with _as_datum_error(info):
        return _apply(info, payload)


def _apply(info: TypeInfo, payload: bytes) -> str:
    fn = output_function(info)
    if fn is None:
        raise DatumError(f"no output function for type {info.typname}")
    return fn(payload, info)
