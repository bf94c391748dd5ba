"""The relation mapper's file, ``pg_filenode.map`` (``global/`` for shared catalogs,
``base/<db>/`` for a database's mapped catalogs: pg_class, pg_attribute, pg_type, pg_proc, ...).

Source: ``src/backend/utils/cache/relmapper.c`` (``RelMapFile``, ``RelMapping``). PostgreSQL
12-15 hold 62 mappings and pad the file to 512 bytes; 16+ hold 64 and end at the CRC (524).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from construct import Array, Int32sl, Int32ul, Struct

#: relmapper.c: RELMAPPER_FILEMAGIC
RELMAPPER_FILEMAGIC = 0x592717

RelMapping = Struct(
    "mapoid" / Int32ul * "OID of a catalog",
    "mapfilenumber" / Int32ul * "its rel file number",
)


def max_mappings(major: int) -> int:
    """relmapper.c: MAX_MAPPINGS."""
    return 62 if major <= 15 else 64


@cache
def relmap_file(major: int) -> Any:
    """``RelMapFile`` of ``major``."""
    fields: list[Any] = [
        "magic" / Int32sl * "always RELMAPPER_FILEMAGIC",
        "num_mappings" / Int32sl * "number of valid RelMapping entries",
        "mappings" / Array(max_mappings(major), RelMapping),
        "crc" / Int32ul * "CRC of all above",
    ]
    if major <= 15:
        fields.append("pad" / Int32sl * "to make the struct size be 512 exactly")
    return Struct(*fields)


def crc_offset(major: int) -> int:
    """Bytes the CRC covers (everything before ``crc``)."""
    return 8 + 8 * max_mappings(major)
