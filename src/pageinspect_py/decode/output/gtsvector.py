"""gtsvector: the storage type of GiST ``tsvector_ops`` (adt/tsgistidx.c gtsvectorout).

A ``SignTSVector`` is a varlena: ``int32 flag`` then either an array of ``int32`` word hashes
(``ARRKEY``: leaf keys of small documents) or a signature bit string (``SIGNKEY``), which is
left out when every bit is set (``ALLISTRUE``). The output function only counts: ``N unique
words`` for an array, ``T true bits, F false bits`` for a signature (the signature's length
is the datum's, ``VARSIZE - GTHDRSIZE``, since 13's ``siglen`` option; an ALLISTRUE key has
none, so 13+ prints ``0 true bits, 0 false bits`` where 12 printed its fixed 992 bits).
"""

from __future__ import annotations

import struct
from typing import Final

from pageinspect_py.decode.output.base import TypeInfo
from pageinspect_py.decode.output.registry import register
from pageinspect_py.errors import DatumError

ARRKEY: Final = 0x01
SIGNKEY: Final = 0x02
ALLISTRUE: Final = 0x04
#: sizeof(int32) flag after the varlena header (GTHDRSIZE - VARHDRSZ)
_FLAG_SIZE: Final = 4
_INT32: Final = 4
_BITS_PER_BYTE: Final = 8


@register("gtsvector")
def gtsvector_out(payload: bytes, info: TypeInfo) -> str:
    """gtsvectorout (PostgreSQL 13+)."""
    if len(payload) < _FLAG_SIZE:
        raise DatumError(f"gtsvector of {len(payload)} bytes has no flag word")
    (flag,) = struct.unpack_from("<i", payload)
    body = payload[_FLAG_SIZE:]
    if flag & ARRKEY:
        return f"{len(body) // _INT32} unique words"
    bits = len(body) * _BITS_PER_BYTE
    true = bits if flag & ALLISTRUE else sum(byte.bit_count() for byte in body)
    return f"{true} true bits, {bits - true} false bits"


__all__ = ["ALLISTRUE", "ARRKEY", "SIGNKEY", "gtsvector_out"]
