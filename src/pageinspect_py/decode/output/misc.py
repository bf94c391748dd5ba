"""Types of their own: bool (adt/bool.c), bytea (varlena.c byteaout, hex), bit and varbit
(varbit.c), tid (tid.c), uuid (uuid.c)."""

from __future__ import annotations

import struct

from pageinspect_py.decode.output.base import TypeInfo, fixed
from pageinspect_py.decode.output.registry import register
from pageinspect_py.errors import DatumError


@register("bool")
def _out_bool(payload: bytes, info: TypeInfo) -> str:
    return "t" if fixed(payload, 1, "bool")[0] else "f"


@register("bytea")
def _out_bytea(payload: bytes, info: TypeInfo) -> str:
    return "\\x" + payload.hex()


@register("bit", "varbit")
def _out_bit(payload: bytes, info: TypeInfo) -> str:
    if len(payload) < 4:
        raise DatumError("bit string shorter than its length word")
    bit_len = struct.unpack_from("<i", payload)[0]
    data = payload[4:]
    if bit_len < 0 or (bit_len + 7) // 8 > len(data):
        raise DatumError(f"bit string of {bit_len} bits in {len(data)} bytes")
    return "".join("1" if data[i // 8] >> (7 - i % 8) & 1 else "0" for i in range(bit_len))


@register("tid")
def _out_tid(payload: bytes, info: TypeInfo) -> str:
    hi, lo, pos = struct.unpack("<HHH", fixed(payload, 6, "tid"))
    return f"({hi << 16 | lo},{pos})"


@register("uuid")
def _out_uuid(payload: bytes, info: TypeInfo) -> str:
    h = fixed(payload, 16, "uuid").hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
