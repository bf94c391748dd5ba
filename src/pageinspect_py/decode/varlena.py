"""Varlena datums: which of the four forms a datum has, its size, and its plain contents.

``parse_varlena`` reads the header (``varatt.h``); ``plain_payload`` turns any form into the
uncompressed bytes after the header, decompressing inline data and, for a TOAST pointer,
asking a :class:`ToastFetcher` for the out-of-line bytes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol

from pageinspect_py.decode.compression import decompress, method_name, split_tcinfo
from pageinspect_py.errors import DatumError, ToastError
from pageinspect_py.layouts.varlena import (
    TOAST_POINTER_SIZE,
    VARHDRSZ,
    VARHDRSZ_COMPRESSED,
    VARHDRSZ_EXTERNAL,
    VARHDRSZ_SHORT,
    VARSIZE_4B_MASK,
    VARTAG_NAMES,
    VARTAG_ONDISK,
    varatt_external,
)


class VarlenaForm(enum.StrEnum):
    """How a varlena datum is stored (VARATT_IS_SHORT / _4B_U / _COMPRESSED / _EXTERNAL)."""

    SHORT = "1b"  #: 1-byte header, unaligned, up to 126 data bytes
    PLAIN = "4b"  #: 4-byte header, aligned, uncompressed
    COMPRESSED = "4b_compressed"  #: 4-byte header with va_tcinfo, compressed in line
    EXTERNAL = "toast_pointer"  #: 1-byte header 0x01 + tag: out-of-line (TOAST pointer)

    @property
    def description(self) -> str:
        return _FORM_TEXT[self]


_FORM_TEXT = {
    VarlenaForm.SHORT: "1-byte header",
    VarlenaForm.PLAIN: "4-byte header",
    VarlenaForm.COMPRESSED: "compressed inline",
    VarlenaForm.EXTERNAL: "TOAST pointer",
}


@dataclass(frozen=True, slots=True)
class ToastPointer:
    """varatt_external: where an out-of-line value lives and how big it is."""

    va_rawsize: int  #: original data size, header included
    va_extinfo: int  #: external saved size (without header) and compression method
    va_valueid: int  #: chunk_id of the value's rows in the TOAST table
    va_toastrelid: int  #: OID (not file number) of the TOAST table

    @property
    def extsize(self) -> int:
        """VARATT_EXTERNAL_GET_EXTSIZE: bytes stored in the TOAST table."""
        return split_tcinfo(self.va_extinfo)[0]

    @property
    def method(self) -> int:
        """VARATT_EXTERNAL_GET_COMPRESS_METHOD (meaningful only when compressed)."""
        return split_tcinfo(self.va_extinfo)[1]

    @property
    def is_compressed(self) -> bool:
        """VARATT_EXTERNAL_IS_COMPRESSED: stored size below the raw data size."""
        return self.extsize < self.va_rawsize - VARHDRSZ

    @property
    def compression(self) -> str | None:
        return method_name(self.method) if self.is_compressed else None


@dataclass(frozen=True, slots=True)
class Varlena:
    """One varlena datum as stored: its form, total size and the bytes after its header."""

    form: VarlenaForm
    size: int  #: VARSIZE_ANY: bytes the datum occupies, header included
    header_size: int  #: 1, 4, 8 (4 + va_tcinfo) or 2 (header + va_tag)
    data: bytes = field(repr=False)  #: after the header (compressed data, or varatt_external)
    rawsize: int | None = None  #: uncompressed size without header (compressed, external)
    method: int | None = None  #: compression method id (compressed inline)
    pointer: ToastPointer | None = None
    tag: int | None = None  #: va_tag of an external datum

    @property
    def compression(self) -> str | None:
        if self.form is VarlenaForm.COMPRESSED and self.method is not None:
            return method_name(self.method)
        if self.pointer is not None:
            return self.pointer.compression
        return None


def varsize_any(buf: bytes, offset: int = 0) -> int:
    """VARSIZE_ANY of the datum starting at ``buf[offset]``; raises DatumError when unreadable."""
    if offset >= len(buf):
        raise DatumError(f"varlena header at byte {offset} is past the end ({len(buf)} bytes)")
    first = buf[offset]
    if first == 0x01:  # VARATT_IS_1B_E
        if offset + 1 >= len(buf):
            raise DatumError("TOAST pointer is truncated before its tag")
        tag = buf[offset + 1]
        if tag != VARTAG_ONDISK:
            raise DatumError(
                f"TOAST pointer with tag {tag} "
                f"({VARTAG_NAMES.get(tag, 'unknown')}) cannot be on disk"
            )
        return TOAST_POINTER_SIZE
    if first & 0x01:  # VARATT_IS_1B
        return (first >> 1) & 0x7F
    if offset + 4 > len(buf):
        raise DatumError(f"4-byte varlena header at byte {offset} is truncated")
    word: int = int.from_bytes(buf[offset : offset + 4], "little")
    return (word >> 2) & VARSIZE_4B_MASK


def inline_payload(buf: bytes, offset: int) -> tuple[int, bytes | None]:
    """(end, payload) of the varlena at ``buf[offset]`` on the fast path: the bytes after the
    1- or 4-byte header of an uncompressed inline datum, or None for a TOAST pointer or a
    compressed datum (decode those with :func:`parse_varlena`). The header rules are
    :func:`varsize_any`'s; a header of no known form is a DatumError."""
    first = buf[offset]
    if first == 0x01 or first & 0x03 == 0x02:  # VARATT_IS_1B_E, VARATT_IS_4B_C
        return offset + varsize_any(buf, offset), None
    if first & 0x01:  # VARATT_IS_1B
        end = offset + (first >> 1)
        return end, buf[offset + VARHDRSZ_SHORT : end]
    if first & 0x03 == 0:  # VARATT_IS_4B_U
        size = varsize_any(buf, offset)
        if size < VARHDRSZ:
            raise DatumError(f"4-byte varlena header gives length {size}, less than the header")
        return offset + size, buf[offset + VARHDRSZ : offset + size]
    raise DatumError(f"varlena header 0x{first:02x}: unknown form")


def parse_varlena(buf: bytes, offset: int = 0) -> Varlena:
    """The varlena datum at ``buf[offset]``, which must lie entirely inside ``buf``."""
    size = varsize_any(buf, offset)
    first = buf[offset]
    end = offset + size
    if end > len(buf):
        raise DatumError(
            f"varlena of {size} bytes at byte {offset} runs past the end of the "
            f"data ({len(buf)} bytes)"
        )
    if first == 0x01:
        raw = varatt_external.parse(buf[offset + VARHDRSZ_EXTERNAL : end])
        pointer = ToastPointer(raw.va_rawsize, raw.va_extinfo, raw.va_valueid, raw.va_toastrelid)
        return Varlena(
            VarlenaForm.EXTERNAL,
            size,
            VARHDRSZ_EXTERNAL,
            bytes(buf[offset + VARHDRSZ_EXTERNAL : end]),
            rawsize=pointer.va_rawsize - VARHDRSZ,
            pointer=pointer,
            tag=buf[offset + 1],
        )
    if first & 0x01:
        if size < VARHDRSZ_SHORT:
            raise DatumError(f"1-byte varlena header 0x{first:02x} gives length {size}")
        return Varlena(
            VarlenaForm.SHORT, size, VARHDRSZ_SHORT, bytes(buf[offset + VARHDRSZ_SHORT : end])
        )
    if first & 0x03 == 0x02:
        if size < VARHDRSZ_COMPRESSED:
            raise DatumError(f"compressed varlena of {size} bytes is shorter than its header")
        tcinfo = int.from_bytes(buf[offset + 4 : offset + 8], "little")
        rawsize, method = split_tcinfo(tcinfo)
        return Varlena(
            VarlenaForm.COMPRESSED,
            size,
            VARHDRSZ_COMPRESSED,
            bytes(buf[offset + VARHDRSZ_COMPRESSED : end]),
            rawsize=rawsize,
            method=method,
        )
    if first & 0x03 != 0:
        raise DatumError(f"varlena header 0x{first:02x}: unknown form")
    if size < VARHDRSZ:
        raise DatumError(f"4-byte varlena header gives length {size}, less than the header")
    return Varlena(VarlenaForm.PLAIN, size, VARHDRSZ, bytes(buf[offset + VARHDRSZ : end]))


class ToastFetcher(Protocol):
    """Something that can return the bytes a TOAST pointer refers to (still compressed if the
    value was compressed): chunk data in chunk_seq order, checked for completeness."""

    def fetch(self, pointer: ToastPointer) -> bytes: ...


def decompress_stored(stored: bytes, rawsize_hint: int | None = None) -> bytes:
    """Bytes stored compressed (``va_tcinfo`` then compressed data) expanded."""
    if len(stored) < 4:
        raise DatumError("compressed value shorter than its va_tcinfo")
    rawsize, method = split_tcinfo(int.from_bytes(stored[:4], "little"))
    if rawsize_hint is not None and rawsize != rawsize_hint:
        raise DatumError(f"va_tcinfo says {rawsize} raw bytes, the TOAST pointer {rawsize_hint}")
    return decompress(method, stored[4:], rawsize)


def plain_payload(v: Varlena, toast: ToastFetcher | None = None) -> bytes:
    """The uncompressed data bytes of ``v`` (header excluded), detoasting through ``toast``."""
    if v.form in (VarlenaForm.SHORT, VarlenaForm.PLAIN):
        return v.data
    if v.form is VarlenaForm.COMPRESSED:
        assert v.method is not None and v.rawsize is not None
        return decompress(v.method, v.data, v.rawsize)
    assert v.pointer is not None
    if toast is None:
        raise ToastError(
            f"value {v.pointer.va_valueid} is stored out of line and no TOAST relation was given"
        )
    stored = toast.fetch(v.pointer)
    if v.pointer.is_compressed:
        return decompress_stored(stored, v.pointer.va_rawsize - VARHDRSZ)
    return stored
