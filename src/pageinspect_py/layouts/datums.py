"""On-disk representation of built-in data types whose datums have an inner structure.

Sources (``src/include/``): ``utils/numeric.h`` and ``backend/utils/adt/numeric.c`` (NumericShort,
NumericLong), ``datatype/timestamp.h`` (Interval), ``utils/date.h`` (TimeTzADT), ``utils/inet.h``
(inet_struct), ``utils/array.h`` (ArrayType), ``tsearch/ts_type.h`` (TSVectorData, WordEntry,
WordEntryPos), ``utils/jsonb.h`` (JsonbContainer, JEntry), ``utils/geo_decls.h`` (Point).
The varlena header in front of the varlena types is not part of these structures: each one
describes the bytes that follow the header. Identical in PostgreSQL 12 to 18.
"""

from __future__ import annotations

from typing import Final

from construct import (
    BitsInteger,
    BitStruct,
    Bytes,
    ByteSwapped,
    Float64l,
    IfThenElse,
    Int8ul,
    Int16sl,
    Int16ul,
    Int32sl,
    Int32ul,
    Int64sl,
    Struct,
    this,
)

from pageinspect_py.layouts._util import field_docs

# --- numeric (utils/numeric.h, adt/numeric.c) -------------------------------------------------
NBASE: Final = 10000  #: each NumericDigit holds 4 decimal digits
DEC_DIGITS: Final = 4
NUMERIC_SIGN_MASK: Final = 0xC000
NUMERIC_POS: Final = 0x0000
NUMERIC_NEG: Final = 0x4000
NUMERIC_SHORT: Final = 0x8000
NUMERIC_SPECIAL: Final = 0xC000
NUMERIC_EXT_SIGN_MASK: Final = 0xF000  #: special values (14+; 12-13 only knew NaN)
NUMERIC_NAN: Final = 0xC000
NUMERIC_PINF: Final = 0xD000
NUMERIC_NINF: Final = 0xF000
NUMERIC_DSCALE_MASK: Final = 0x3FFF
NUMERIC_SHORT_SIGN_MASK: Final = 0x2000
NUMERIC_SHORT_DSCALE_MASK: Final = 0x1F80
NUMERIC_SHORT_DSCALE_SHIFT: Final = 7
NUMERIC_SHORT_WEIGHT_SIGN_MASK: Final = 0x0040
NUMERIC_SHORT_WEIGHT_MASK: Final = 0x003F

#: NumericShort: "n_header: Sign + display scale + weight", then the digits.
NumericShort = Struct(
    "n_header" / Int16ul * "Sign + display scale + weight",
)
#: NumericLong: "n_sign_dscale: Sign + display scale", "n_weight: Weight of 1st digit".
NumericLong = Struct(
    "n_sign_dscale" / Int16ul * "Sign + display scale",
    "n_weight" / Int16sl * "Weight of 1st digit",
)
NumericDigit = Int16sl  #: one base-NBASE digit, 0..9999

# --- date/time (datatype/timestamp.h, utils/date.h) -------------------------------------------
#: Interval: 16 bytes, typalign 'd'.
Interval = Struct(
    "time" / Int64sl * "all time units other than days, months and years",
    "day" / Int32sl * "days, after time for alignment",
    "month" / Int32sl * "months and years, after time for alignment",
)
#: TimeTzADT: 12 bytes, typalign 'd'.
TimeTzADT = Struct(
    "time" / Int64sl * "all time units other than months and years",
    "zone" / Int32sl * "numeric time zone, in seconds",
)

# --- network (utils/inet.h) ----------------------------------------------------------------------
PGSQL_AF_INET: Final = 2  #: AF_INET + 0
PGSQL_AF_INET6: Final = 3  #: AF_INET + 1
#: inet_struct as stored: only ip_addrsize() bytes of ipaddr (4 or 16) follow.
inet_struct = Struct(
    "family" / Int8ul * "PGSQL_AF_INET or PGSQL_AF_INET6",
    "bits" / Int8ul * "number of bits in netmask",
    "ipaddr"
    / IfThenElse(this.family == PGSQL_AF_INET6, Bytes(16), Bytes(4))
    * "up to 128 bits of address",
)

# --- arrays (utils/array.h) ----------------------------------------------------------------------
MAXDIM: Final = 6
#: ArrayType after its 4-byte varlena header (vl_len_ is the header itself).
ArrayType = Struct(
    "ndim" / Int32sl * "# of dimensions",
    "dataoffset" / Int32sl * "offset to data, or 0 if no bitmap",
    "elemtype" / Int32ul * "element type OID",
)
ARRAY_HEADER_SIZE: Final = 4 + ArrayType.sizeof()  #: sizeof(ArrayType), varlena header included

# --- tsvector (tsearch/ts_type.h) ----------------------------------------------------------------
#: WordEntry: ``uint32 haspos:1, len:11, pos:20`` (C bitfields, least significant bit first).
WordEntry = ByteSwapped(
    BitStruct(
        "pos" / BitsInteger(20) * "MAX 1Mb: offset of the lexeme in the string area",
        "len" / BitsInteger(11) * "MAX 2Kb: length of the lexeme",
        "haspos" / BitsInteger(1) * "a WordEntryPosVector follows the lexeme",
    )
)
WORD_ENTRY_DOCS = field_docs(WordEntry.subcon.subcon)
#: TSVectorData after its varlena header: the number of lexemes, then WordEntry[size].
TSVectorData = Struct(
    "size" / Int32sl * "number of lexemes",
)
#: WordEntryPos: ``uint16``, weight in the top 2 bits (A=3 .. D=0), position in the low 14.
WEP_WEIGHT_SHIFT: Final = 14
WEP_POS_MASK: Final = 0x3FFF
WordEntryPosVector = Struct(
    "npos" / Int16ul * "number of positions",
)

# --- jsonb (utils/jsonb.h) -----------------------------------------------------------------------
JENTRY_OFFLENMASK: Final = 0x0FFFFFFF
JENTRY_TYPEMASK: Final = 0x70000000
JENTRY_HAS_OFF: Final = 0x80000000
JENTRY_ISSTRING: Final = 0x00000000
JENTRY_ISNUMERIC: Final = 0x10000000
JENTRY_ISBOOL_FALSE: Final = 0x20000000
JENTRY_ISBOOL_TRUE: Final = 0x30000000
JENTRY_ISNULL: Final = 0x40000000
JENTRY_ISCONTAINER: Final = 0x50000000  #: array or object
JB_CMASK: Final = 0x0FFFFFFF  #: mask for count field
JB_FSCALAR: Final = 0x10000000  #: flag bits
JB_FOBJECT: Final = 0x20000000
JB_FARRAY: Final = 0x40000000
#: JsonbContainer: the header, then one JEntry per element (two per pair: keys, then values).
JsonbContainer = Struct(
    "header" / Int32ul * "number of elements or key/value pairs, and flags",
)
JEntry = Int32ul

# --- geometry (utils/geo_decls.h) ----------------------------------------------------------------
Point = Struct(
    "x" / Float64l,
    "y" / Float64l,
)
