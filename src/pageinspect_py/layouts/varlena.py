"""Variable-length datums (varlena) and TOAST pointers.

Source: ``src/include/varatt.h`` (PostgreSQL 16+; ``src/include/postgres.h`` in 12-15, same
layout). Little-endian bit layouts of the first header byte::

    xxxxxx00 4-byte length word, aligned, uncompressed data (up to 1G)
    xxxxxx10 4-byte length word, aligned, *compressed* data (up to 1G)
    00000001 1-byte length word, unaligned, TOAST pointer
    xxxxxxx1 1-byte length word, unaligned, uncompressed data (up to 126b)

"The xxx bits are the length field (which includes itself in all cases)." A 1-byte header can
never be zero, which tells alignment padding (always zero) from the start of a short datum.

TOAST pointers and short datums are stored unaligned. Identical in PostgreSQL 12 to 18 except
that 14 gave the top two bits of ``va_extinfo`` / ``va_tcinfo`` to the compression method
(before 14 they were always 0, i.e. pglz).
"""

from __future__ import annotations

from typing import Final

from construct import Int8ul, Int32sl, Int32ul, Struct

from pageinspect_py import constants as C
from pageinspect_py.layouts._util import field_docs, field_offsets

VARHDRSZ: Final = 4  #: size of a 4-byte varlena header
VARHDRSZ_SHORT: Final = 1  #: offsetof(varattrib_1b, va_data)
VARHDRSZ_EXTERNAL: Final = 2  #: offsetof(varattrib_1b_e, va_data)
VARHDRSZ_COMPRESSED: Final = 8  #: offsetof(varattrib_4b, va_compressed.va_data)
VARATT_SHORT_MAX: Final = 0x7F  #: largest datum (header included) a 1-byte header can hold

#: 4-byte header length field: ``(va_header >> 2) & 0x3FFFFFFF``
VARSIZE_4B_MASK: Final = 0x3FFFFFFF
#: VARATT_IS_4B_C: low two bits 10
VARATT_4B_C_BITS: Final = 0x02

#: vartag_external: type tag of a "TOAST pointer" datum
VARTAG_INDIRECT: Final = 1
VARTAG_EXPANDED_RO: Final = 2
VARTAG_EXPANDED_RW: Final = 3
VARTAG_ONDISK: Final = 18
VARTAG_NAMES: Final = {
    VARTAG_INDIRECT: "VARTAG_INDIRECT",
    VARTAG_EXPANDED_RO: "VARTAG_EXPANDED_RO",
    VARTAG_EXPANDED_RW: "VARTAG_EXPANDED_RW",
    VARTAG_ONDISK: "VARTAG_ONDISK",
}

#: "These macros define the 'saved size' portion of va_extinfo. Its remaining two high-order
#: bits identify the compression method."
VARLENA_EXTSIZE_BITS: Final = 30
VARLENA_EXTSIZE_MASK: Final = (1 << VARLENA_EXTSIZE_BITS) - 1

#: ToastCompressionId (access/toast_compression.h, 14+): the 2-bit method in va_tcinfo/va_extinfo
TOAST_PGLZ_COMPRESSION_ID: Final = 0
TOAST_LZ4_COMPRESSION_ID: Final = 1
TOAST_INVALID_COMPRESSION_ID: Final = 2
COMPRESSION_METHOD_NAMES: Final = {
    TOAST_PGLZ_COMPRESSION_ID: "pglz",
    TOAST_LZ4_COMPRESSION_ID: "lz4",
}

#: varattrib_1b: a datum of up to 126 data bytes behind a 1-byte header.
varattrib_1b = Struct(
    "va_header" / Int8ul * "length (header included) << 1 | 1",
)

#: varattrib_4b, va_4byte variant: normal varlena (4-byte length).
varattrib_4b = Struct(
    "va_header" / Int32ul * "length (header included) << 2; low bits 00",
)

#: varattrib_4b, va_compressed variant: compressed-in-line format.
varattrib_4b_compressed = Struct(
    "va_header" / Int32ul * "length (header included) << 2 | 0x02",
    "va_tcinfo"
    / Int32ul
    * "Original data size (excludes header) and compression method; see va_extinfo",
)

#: varattrib_1b_e: "TOAST pointers are a subset of varattrib_1b with an identifying tag byte".
varattrib_1b_e = Struct(
    "va_header" / Int8ul * "Always 0x80 or 0x01",
    "va_tag" / Int8ul * "Type of datum",
)

#: varatt_external: a traditional "TOAST pointer", the information needed to fetch a Datum
#: stored out-of-line in a TOAST table. "The data is compressed if and only if the external size
#: stored in va_extinfo is less than va_rawsize - VARHDRSZ." Stored unaligned.
varatt_external = Struct(
    "va_rawsize" / Int32sl * "Original data size (includes header)",
    "va_extinfo" / Int32ul * "External saved size (without header) and compression method",
    "va_valueid" / Int32ul * "Unique ID of value within TOAST table",
    "va_toastrelid" / Int32ul * "RelID of TOAST table containing it",
)

#: The whole on-disk TOAST pointer datum: tag header followed by varatt_external (18 bytes).
TOAST_POINTER_SIZE: Final[int] = varattrib_1b_e.sizeof() + varatt_external.sizeof()

VARATT_EXTERNAL_OFFSETS = field_offsets(varatt_external)
VARATT_EXTERNAL_DOCS = field_docs(varatt_external)
VARATTRIB_4B_COMPRESSED_DOCS = field_docs(varattrib_4b_compressed)


def toast_max_chunk_size(block_size: int = 8192) -> int:
    """TOAST_MAX_CHUNK_SIZE (heaptoast.h) for a block size: 1996 bytes at 8 kB.

    EXTERN_TUPLE_MAX_SIZE is MaximumBytesPerTuple(4): four chunk tuples fit on a page; each
    tuple holds a header, ``chunk_id`` (oid), ``chunk_seq`` (int4) and a 4-byte varlena header.
    """
    page_overhead = C.maxalign(C.SizeOfPageHeaderData + 4 * C.SizeOfItemIdData)
    extern_tuple_max = C.maxalign_down((block_size - page_overhead) // 4)
    return extern_tuple_max - C.maxalign(C.SizeofHeapTupleHeader) - 4 - 4 - VARHDRSZ
