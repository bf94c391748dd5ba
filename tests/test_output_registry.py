"""The output-function registry: a new type plugs in by registering, without a dispatcher."""

from __future__ import annotations

import struct

import pytest

from pageinspect_py.catalog.attributes import Attribute
from pageinspect_py.decode.output import (
    TypeInfo,
    datum_text,
    has_output,
    output_function,
    payload_text,
    register,
)
from pageinspect_py.errors import DatumError

#: an enum of some database: pg_enum's sort order stored as a float4, known by its OID
ENUM_OID = 3_999_999_001
LABELS = {1.0: "sad", 2.0: "ok", 3.0: "happy"}


@register(ENUM_OID)
def _mood_out(payload: bytes, info: TypeInfo) -> str:
    (order,) = struct.unpack("<f", payload)
    return LABELS[order]


def _mood(typname: str = "mood", typoid: int = ENUM_OID) -> TypeInfo:
    return TypeInfo(typname, 4, "i", True, typoid=typoid)


def _short_varlena(payload: bytes) -> bytes:
    return bytes([(len(payload) + 1) << 1 | 1]) + payload


def test_registered_by_oid_is_found_by_oid_whatever_the_name() -> None:
    assert output_function(_mood()) is _mood_out
    assert datum_text(_mood("whatever"), struct.pack("<f", 3.0)) == "happy"
    # the same name without the OID has no output function
    assert output_function(_mood(typoid=0)) is None
    assert not has_output(_mood(typoid=0))
    with pytest.raises(DatumError, match="no output function for type mood"):
        datum_text(_mood(typoid=0), struct.pack("<f", 3.0))


def test_an_oid_registration_wins_over_the_name() -> None:
    # a type called int4 in some schema, with an OID of its own
    shadow = TypeInfo("int4", 4, "i", True, typoid=ENUM_OID)
    assert datum_text(shadow, struct.pack("<f", 1.0)) == "sad"
    assert datum_text(TypeInfo("int4", 4, "i", True), struct.pack("<i", -7)) == "-7"


def test_arrays_of_a_registered_type_go_through_array_out() -> None:
    elem = _mood()
    info = TypeInfo("_mood", -1, "i", False, elem, typoid=ENUM_OID + 1)
    assert has_output(info)
    # ArrayType: ndim 1, dataoffset 0 (no NULLs), elemtype; dims [2], lbound [1]; two float4
    body = struct.pack("<iiIii", 1, 0, ENUM_OID, 2, 1) + struct.pack("<ff", 2.0, 3.0)
    assert datum_text(info, _short_varlena(body)) == "{ok,happy}"
    # an error inside an element names the element's type and is a DatumError
    bad = struct.pack("<iiIii", 1, 0, ENUM_OID, 1, 1) + struct.pack("<f", 9.0)
    with pytest.raises(DatumError, match="mood: KeyError"):
        datum_text(info, _short_varlena(bad))


def test_output_function_accepts_an_attribute() -> None:
    att = Attribute(
        attnum=1, attname="m", atttypid=ENUM_OID, typname="mood", attlen=4, attalign="i",
        attbyval=True,
    )  # fmt: skip
    assert output_function(att) is _mood_out
    int8 = Attribute(
        attnum=2, attname="n", atttypid=20, typname="int8", attlen=8, attalign="d", attbyval=True
    )
    fn = output_function(int8)
    assert fn is not None
    assert fn(struct.pack("<q", -(2**63)), TypeInfo.of(int8)) == "-9223372036854775808"


def test_payload_text_turns_stray_exceptions_into_datum_errors() -> None:
    # numeric with a long header claiming digits it does not have is fine (zeros), but a digit
    # word outside 0..9999 is rejected; an unknown jsonb entry type too
    with pytest.raises(DatumError, match="numeric digit outside"):
        payload_text(TypeInfo("numeric", -1, "i", False), struct.pack("<Hhh", 0, 0, 10000))
    with pytest.raises(DatumError):
        payload_text(TypeInfo("jsonb", -1, "i", False), b"\x01\x00\x00\x40\xff\xff\xff\x7f")


def test_register_needs_a_type() -> None:
    with pytest.raises(TypeError):
        register()
