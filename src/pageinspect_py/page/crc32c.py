"""CRC-32C (Castagnoli), as PostgreSQL computes it for pg_control, pg_filenode.map and WAL.

``src/include/port/pg_crc32c.h``: ``INIT_CRC32C`` sets the value to ``0xFFFFFFFF``,
``COMP_CRC32C`` feeds bytes (reflected polynomial ``0x82F63B78``, least significant bit
first), ``FIN_CRC32C`` inverts every bit. ``src/port/pg_crc32c_sb8.c`` is the portable
table-driven version; this is its one-table form, pure Python (the files it serves are a few
kilobytes at most, so speed does not matter).
"""

from __future__ import annotations

#: the reflected Castagnoli polynomial (pg_crc32c_sb8.c builds its tables from it)
CRC32C_POLYNOMIAL = 0x82F63B78
#: INIT_CRC32C's starting value; FIN_CRC32C xors the same value out
CRC32C_INIT = 0xFFFFFFFF


def _table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ CRC32C_POLYNOMIAL if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _table()


def comp_crc32c(crc: int, data: bytes | bytearray | memoryview) -> int:
    """``COMP_CRC32C(crc, data, len)``: the running (not yet finished) value after ``data``."""
    table = _TABLE
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def crc32c(data: bytes | bytearray | memoryview) -> int:
    """``INIT_CRC32C``, ``COMP_CRC32C`` over ``data``, ``FIN_CRC32C``: the value PostgreSQL
    stores (e.g. ``ControlFileData.crc``), as an unsigned 32-bit integer."""
    return comp_crc32c(CRC32C_INIT, data) ^ CRC32C_INIT
