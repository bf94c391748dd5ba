"""Decompression of TOAST-compressed datums: pglz in pure Python, lz4 through ``lz4.block``.

pglz's format (``src/common/pg_lzcompress.c``): a control byte governs the next 8 items, lowest
bit first; a clear bit is one literal byte, a set bit a 2- or 3-byte back-reference tag::

    7---T1--0  7---T2--0  (7---T3--0)
    OOOO LLLL  OOOO OOOO  (LLLL LLLL)

offset 1..4095, length ``LLLL + 3`` (3..17) or, when ``LLLL`` is 15, ``18 + T3`` (up to 273),
copied byte by byte from ``offset`` bytes back in the output (the ranges may overlap).

Both decoders are safe on hostile input: the output never exceeds the declared raw size (itself
bounded by ``max_output`` and by what the compressed bytes can expand to at the densest, so no
buffer is sized from a raw size the input cannot honestly describe), every step consumes input
so the loop ends, and a back-reference
before the start of the output, a truncated tag, or output of the wrong length raises
:class:`~pageinspect_py.errors.DecompressionError` -- the same cases in which PostgreSQL 13+
reports "compressed pglz data is corrupt".
"""

from __future__ import annotations

from typing import Final

from pageinspect_py import constants as C
from pageinspect_py.errors import DecompressionError
from pageinspect_py.layouts.varlena import (
    COMPRESSION_METHOD_NAMES,
    TOAST_LZ4_COMPRESSION_ID,
    TOAST_PGLZ_COMPRESSION_ID,
    VARLENA_EXTSIZE_BITS,
    VARLENA_EXTSIZE_MASK,
)

MAX_ALLOC_SIZE: Final = C.MAX_ALLOC_SIZE  #: re-exported for the decoders' default bounds

#: the most output one input byte can give. pglz: a 3-byte tag copies at most 273 bytes (a
#: literal gives 1 for 1, a 2-byte tag 17, control bytes nothing). lz4: each match-length byte
#: adds at most 255 (the token, offset and last length byte of a sequence make it less).
PGLZ_MAX_RATIO: Final = 273 // 3
LZ4_MAX_RATIO: Final = 255


def max_expansion(method: int, compressed: int) -> int:
    """The most bytes ``compressed`` bytes of a ``method`` stream can expand to: a raw size
    above it cannot be honest, whatever the bytes are."""
    if method == TOAST_LZ4_COMPRESSION_ID:
        return compressed * LZ4_MAX_RATIO
    return compressed * PGLZ_MAX_RATIO


def _check_rawsize(name: str, method: int, source: bytes, rawsize: int, max_output: int) -> None:
    if rawsize < 0 or rawsize > max_output:
        raise DecompressionError(f"{name} raw size {rawsize} is outside 0..{max_output}")
    most = max_expansion(method, len(source))
    if rawsize > most:
        raise DecompressionError(
            f"{name} data is corrupt: {len(source)} compressed bytes cannot expand to {rawsize} "
            f"(at most {most})"
        )


def pglz_decompress(
    source: bytes, rawsize: int, *, check_complete: bool = True, max_output: int = MAX_ALLOC_SIZE
) -> bytes:
    """pglz_decompress(): ``source`` expanded to ``rawsize`` bytes.

    With ``check_complete`` (what detoasting uses), both the input and the output must be
    consumed exactly; without it, decoding stops at ``rawsize`` bytes of output (a slice).
    """
    if check_complete:
        _check_rawsize("pglz", TOAST_PGLZ_COMPRESSION_ID, source, rawsize, max_output)
    elif rawsize < 0 or rawsize > max_output:
        raise DecompressionError(f"pglz raw size {rawsize} is outside 0..{max_output}")
    out = bytearray()
    src = memoryview(source)
    slen = len(source)
    sp = 0
    while sp < slen and len(out) < rawsize:
        ctrl = src[sp]
        sp += 1
        if ctrl == 0:
            # eight literals: copy them in one go
            take = min(8, slen - sp, rawsize - len(out))
            out += src[sp : sp + take]
            sp += take
            continue
        for _ in range(8):
            if sp >= slen or len(out) >= rawsize:
                break
            if ctrl & 1:
                if sp + 2 > slen:
                    raise DecompressionError(f"pglz tag at input byte {sp} is truncated")
                b0, b1 = src[sp], src[sp + 1]
                sp += 2
                length = (b0 & 0x0F) + 3
                off = ((b0 & 0xF0) << 4) | b1
                if length == 18:
                    if sp >= slen:
                        raise DecompressionError(
                            f"pglz tag at input byte {sp - 2} lacks its length byte"
                        )
                    length += src[sp]
                    sp += 1
                have = len(out)
                if off == 0 or off > have:
                    raise DecompressionError(
                        f"pglz back-reference of offset {off} at output byte {have} points "
                        "before the start of the data"
                    )
                length = min(length, rawsize - have)
                start = have - off
                if off >= length:
                    out += out[start : start + length]
                else:
                    # overlapping copy: the last ``off`` bytes repeat
                    pattern = bytes(out[start:])
                    reps, rest = divmod(length, off)
                    out += pattern * reps + pattern[:rest]
            else:
                out.append(src[sp])
                sp += 1
            ctrl >>= 1
    if check_complete and (len(out) != rawsize or sp != slen):
        raise DecompressionError(
            f"pglz data is corrupt: {len(out)} of {rawsize} bytes produced, {sp} of {slen} "
            "input bytes consumed"
        )
    return bytes(out)


def lz4_decompress(source: bytes, rawsize: int, *, max_output: int = MAX_ALLOC_SIZE) -> bytes:
    """lz4_decompress_datum(): an LZ4 block (no frame) expanded to exactly ``rawsize`` bytes."""
    if rawsize == 0:
        if source not in (b"", b"\x00"):
            raise DecompressionError("lz4 data is corrupt: data for an empty value")
        return b""
    _check_rawsize("lz4", TOAST_LZ4_COMPRESSION_ID, source, rawsize, max_output)
    try:
        import lz4.block  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - lz4 is a dependency
        raise DecompressionError("lz4-compressed value, but the lz4 package is missing") from exc
    try:
        result: bytes = lz4.block.decompress(bytes(source), uncompressed_size=rawsize)
    except Exception as exc:  # lz4.block.LZ4BlockError and friends
        raise DecompressionError(f"lz4 data is corrupt: {exc}") from exc
    if len(result) != rawsize:
        raise DecompressionError(
            f"lz4 data is corrupt: {len(result)} bytes produced, {rawsize} declared"
        )
    return result


def split_tcinfo(tcinfo: int) -> tuple[int, int]:
    """``va_tcinfo`` / ``va_extinfo`` -> (size, compression method id)."""
    return tcinfo & VARLENA_EXTSIZE_MASK, tcinfo >> VARLENA_EXTSIZE_BITS


def method_name(method: int) -> str:
    return COMPRESSION_METHOD_NAMES.get(method, f"method {method}")


def decompress(
    method: int, payload: bytes, rawsize: int, *, max_output: int = MAX_ALLOC_SIZE
) -> bytes:
    """Expand ``payload`` compressed with ``method`` (ToastCompressionId) to ``rawsize`` bytes."""
    if method == TOAST_PGLZ_COMPRESSION_ID:
        return pglz_decompress(payload, rawsize, max_output=max_output)
    if method == TOAST_LZ4_COMPRESSION_ID:
        return lz4_decompress(payload, rawsize, max_output=max_output)
    raise DecompressionError(f"unknown compression method id {method}")
