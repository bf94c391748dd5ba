"""What each BRIN opclass stores per column (its ``BrinOpcInfo``: ``oi_nstored`` values of the
types ``oi_typcache[]``), chosen by the opclass's family, read from its name's suffix:

=================  ====================================================================
``*_minmax_ops``   2 values of the column's type: the minimum and the maximum
                   (brin_minmax.c, brin_minmax_opcinfo)
``*_inclusion_ops`` 3 values: the union of the column's type, "unmergeable" and "contains
                   empty" as bool (brin_inclusion.c, brin_inclusion_opcinfo)
``*_bloom_ops``    1 ``pg_brin_bloom_summary`` varlena (14+, brin_bloom.c)
``*_minmax_multi_ops`` 1 ``pg_brin_minmax_multi_summary`` varlena (14+, brin_minmax_multi.c)
=================  ====================================================================

The column's type is the index attribute's (``IndexColumn.attribute``: pg_attribute of the
index, which is what ``TupleDescAttr(bdesc->bd_tupdesc, attno - 1)->atttypid`` gives the
opcinfo functions). Any other opclass (an extension's) is :attr:`OpclassFamily.UNKNOWN`: its
values cannot be split, and are shown as bytes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pageinspect_py.catalog.index import IndexColumn
from pageinspect_py.catalog.types import BUILTIN_TYPES

# registers the output functions of the summary types (pg_brin_bloom_summary, ...)
from pageinspect_py.decode.output import brin as _summary_out
from pageinspect_py.decode.output.base import TypeInfo


class OpclassFamily(enum.StrEnum):
    MINMAX = "minmax"
    INCLUSION = "inclusion"
    BLOOM = "bloom"
    MINMAX_MULTI = "minmax_multi"
    UNKNOWN = "unknown"


#: name suffixes, longest first (``_minmax_multi_ops`` before ``_minmax_ops``)
_SUFFIXES = (
    ("_minmax_multi_ops", OpclassFamily.MINMAX_MULTI),
    ("_minmax_ops", OpclassFamily.MINMAX),
    ("_inclusion_ops", OpclassFamily.INCLUSION),
    ("_bloom_ops", OpclassFamily.BLOOM),
)


def opclass_family(opcname: str | None) -> OpclassFamily:
    """The family of ``pg_opclass.opcname`` (UNKNOWN for None or any other name)."""
    if opcname:
        for suffix, family in _SUFFIXES:
            if opcname.endswith(suffix):
                return family
    return OpclassFamily.UNKNOWN


def _builtin(typname: str) -> TypeInfo:
    t = BUILTIN_TYPES[typname]
    return TypeInfo(t.typname, t.typlen, t.typalign, t.typbyval, typoid=t.oid)


BOOL = _builtin("bool")
BLOOM_SUMMARY = TypeInfo(
    "pg_brin_bloom_summary", -1, "i", False, typoid=_summary_out.PG_BRIN_BLOOM_SUMMARY_OID
)


def minmax_multi_summary(values: TypeInfo) -> TypeInfo:
    """pg_brin_minmax_multi_summary whose values are of type ``values`` (as ``elem``: what
    brin_minmax_multi_summary_out finds from the summary's typid)."""
    return TypeInfo(
        "pg_brin_minmax_multi_summary",
        -1,
        "i",
        False,
        elem=values,
        typoid=_summary_out.PG_BRIN_MINMAX_MULTI_SUMMARY_OID,
    )


@dataclass(frozen=True, slots=True)
class StoredValue:
    """One of the values an opclass stores for a column: its role and type."""

    name: str  #: min, max, union, unmergeable, contains_empty, bloom, ranges
    info: TypeInfo


def stored_values(column: IndexColumn) -> tuple[StoredValue, ...] | None:
    """The values the column's opclass stores, in order; None for an unknown opclass."""
    family = opclass_family(column.opclass)
    if family is OpclassFamily.UNKNOWN:
        return None
    own = TypeInfo.of(column.attribute)
    if family is OpclassFamily.MINMAX:
        return (StoredValue("min", own), StoredValue("max", own))
    if family is OpclassFamily.INCLUSION:
        return (
            StoredValue("union", own),
            StoredValue("unmergeable", BOOL),
            StoredValue("contains_empty", BOOL),
        )
    if family is OpclassFamily.BLOOM:
        return (StoredValue("bloom", BLOOM_SUMMARY),)
    return (StoredValue("ranges", minmax_multi_summary(own)),)
