"""PostgreSQL's output functions: datum bytes to text, exactly as the server prints them.

One module a type family, as PostgreSQL splits ``src/backend/utils/adt/``:

=============  ==========================================================================
``numeric``    int2, int4, int8, oid, xid, cid, xid8, numeric, money
``floats``     float4, float8 (Ryu shortest round-trip text, or %g by extra_float_digits)
``text``       text, varchar, bpchar, json, xml, name, "char", unknown, cstring
``misc``       bool, bytea, bit, varbit, tid, uuid
``datetime``   date, time, timetz, timestamp, timestamptz, interval
``network``    inet, cidr, macaddr, macaddr8
``geometric``  point, lseg, box, line, circle, path, polygon
``jsonb``      jsonb
``tsvector``   tsvector
``arrays``     arrays of any of these (array_out, registered as ``anyarray``), int2vector,
               oidvector; the attmissingval literal
``usertypes``  enums, composites, ranges, multiranges (enum_out, record_out, range_out,
               multirange_out, registered as ``anyenum``, ``record``, ``anyrange``,
               ``anymultirange``), through the type catalog a TypeInfo carries
=============  ==========================================================================

:mod:`.registry` holds the table: a new type (an enum, a composite, a range, an extension type)
plugs in with ``@register(typname or type OID)`` in a module of its own, imported below;
:func:`output_function` finds a type's function and :func:`datum_text` applies it to a stored
datum.

The server settings assumed are the defaults of a fresh cluster: ``DateStyle = ISO``,
``IntervalStyle = postgres``, ``TimeZone = UTC`` (timestamptz is shown in UTC, as ``+00``),
``extra_float_digits = 1`` (floats in the shortest text that reads back to the same value,
PostgreSQL 12+), ``bytea_output = hex``, ``lc_monetary = C`` (``$``, ``,`` and ``.``) and a
UTF-8 database encoding. DateStyle, IntervalStyle, TimeZone and extra_float_digits can be any
value the server accepts: run the functions inside :func:`.settings.session`.
"""

from __future__ import annotations

# the family modules register their functions when imported
from pageinspect_py.decode.output import (  # noqa: F401
    arrays,
    brin,
    datetime,
    floats,
    geometric,
    gtsvector,
    jsonb,
    misc,
    network,
    numeric,
    text,
    tsvector,
    usertypes,
)
from pageinspect_py.decode.output.arrays import missing_value_text
from pageinspect_py.decode.output.base import OutputFunction, TypeInfo
from pageinspect_py.decode.output.registry import (
    datum_text,
    has_output,
    output_function,
    payload_text,
    register,
)

__all__ = [
    "OutputFunction",
    "TypeInfo",
    "datum_text",
    "has_output",
    "missing_value_text",
    "output_function",
    "payload_text",
    "register",
]
