"""Typed GiST keys: the index's tuple descriptor as the decoder needs it, attributes split out
of a tuple's data (``index_deform_tuple``), their text, and the key description
``gist_page_items()`` prints.

A GiST index tuple stores each attribute as the opclass's *storage* type (the index's
``pg_attribute`` row): ``point_ops`` keeps a ``box`` (a degenerate one on leaves), ``box_ops``
a ``box``, ``range_ops`` the range itself, ``inet_ops`` an ``inet``, ``tsvector_ops`` a
``gtsvector`` signature. Values whose type has no output function here are shown as their
bytes, with the reason.

:class:`GistColumn` carries one attribute with its :class:`~pageinspect_py.decode.output.TypeInfo`
(built by ``analysis.giststats.gist_options`` from an ``IndexDescription``: decode does not
import catalog).
"""

from __future__ import annotations

from collections.abc import Sequence

from pageinspect_py.decode.align import att_align_pointer
from pageinspect_py.decode.btree.keys import varlena_size
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.gist.model import GistColumn, GistKey
from pageinspect_py.decode.output import datum_text

# registers gtsvector (tsvector_ops' storage type); decode/output/__init__ does not import it
from pageinspect_py.decode.output import gtsvector as _gtsvector  # noqa: F401
from pageinspect_py.decode.output.usertypes import _RECORD_SPECIAL, _quote
from pageinspect_py.errors import DatumError

#: ruleutils.c quote_identifier: every keyword that is not UNRESERVED_KEYWORD (kwlist.h of
#: PostgreSQL 18: reserved, type/function-name and column-name keywords) is quoted
QUOTED_KEYWORDS = frozenset(
    [
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "system_user",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
        "authorization",
        "binary",
        "collation",
        "concurrently",
        "cross",
        "current_schema",
        "freeze",
        "full",
        "ilike",
        "inner",
        "is",
        "isnull",
        "join",
        "left",
        "like",
        "natural",
        "notnull",
        "outer",
        "overlaps",
        "right",
        "similar",
        "tablesample",
        "verbose",
        "between",
        "bigint",
        "bit",
        "boolean",
        "char",
        "character",
        "coalesce",
        "dec",
        "decimal",
        "exists",
        "extract",
        "float",
        "greatest",
        "grouping",
        "inout",
        "int",
        "integer",
        "interval",
        "json",
        "json_array",
        "json_arrayagg",
        "json_exists",
        "json_object",
        "json_objectagg",
        "json_query",
        "json_scalar",
        "json_serialize",
        "json_table",
        "json_value",
        "least",
        "merge_action",
        "national",
        "nchar",
        "none",
        "normalize",
        "nullif",
        "numeric",
        "out",
        "overlay",
        "position",
        "precision",
        "real",
        "row",
        "setof",
        "smallint",
        "substring",
        "time",
        "timestamp",
        "treat",
        "trim",
        "values",
        "varchar",
        "xmlattributes",
        "xmlconcat",
        "xmlelement",
        "xmlexists",
        "xmlforest",
        "xmlnamespaces",
        "xmlparse",
        "xmlpi",
        "xmlroot",
        "xmlserialize",
        "xmltable",
    ]
)


def quote_identifier(name: str) -> str:
    """ruleutils.c quote_identifier: a name of lower-case letters, digits and underscores
    (not starting with a digit) that is no quoted keyword stays bare."""
    safe = (
        bool(name)
        and (name[0] == "_" or "a" <= name[0] <= "z")
        and all(ch == "_" or "a" <= ch <= "z" or "0" <= ch <= "9" for ch in name)
    )
    if safe and name not in QUOTED_KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def split_attributes(
    data: bytes, start: int, stop: int, columns: Sequence[GistColumn], isnull: Sequence[bool]
) -> list[tuple[Span | None, str | None]]:
    """index_deform_tuple for every column in turn: alignment from ``attalign`` (a varlena
    with a 1-byte header is unaligned), width from ``attlen``, the varlena header or a C
    string's NUL. ``start`` is the MAXALIGNed data area (page offsets)."""
    out: list[tuple[Span | None, str | None]] = []
    offset = start
    broken: str | None = None
    for column, null in zip(columns, isnull, strict=False):
        if null:
            out.append((None, None))
            continue
        if broken is not None:
            out.append((None, broken))
            continue
        first = data[offset] if offset < stop else 0
        offset = att_align_pointer(offset, column.attalign, column.attlen, first)
        length: int | None
        if column.attlen > 0:
            length = column.attlen
        elif column.attlen == -1:
            length = varlena_size(data, offset) if offset < stop else None
            if length is not None and length < 1:
                length = None
        else:  # -2: a C string
            end = data.find(b"\x00", offset, stop)
            length = end - offset + 1 if end >= 0 else None
        if length is None or offset + length > stop:
            broken = (
                f"attribute {column.name} at offset {offset} runs past the tuple (ends at {stop})"
            )
            out.append((None, broken))
            continue
        out.append((Span(offset, offset + length), None))
        offset += length
    return out


def decode_keys(
    data: bytes,
    start: int,
    stop: int,
    columns: Sequence[GistColumn],
    isnull: Sequence[bool],
) -> tuple[GistKey, ...]:
    """The stored attributes of one tuple, each with its text when its type is understood."""
    out: list[GistKey] = []
    spans = split_attributes(data, start, stop, columns, isnull)
    for column, null, (span, where) in zip(columns, isnull, spans, strict=False):
        if null:
            out.append(GistKey(column.attnum, column.name, column.typname, True, None, b""))
            continue
        if span is None:
            out.append(
                GistKey(
                    column.attnum,
                    column.name,
                    column.typname,
                    False,
                    None,
                    b"",
                    problem=where or "not found",
                )
            )
            continue
        raw = data[span.start : span.stop]
        text: str | None = None
        problem: str | None = None
        if column.info is None:
            problem = f"no output function for {column.typname} here: shown as bytes"
        else:
            try:
                text = datum_text(column.info, raw)
            except DatumError as exc:
                problem = f"{exc}: shown as bytes"
        out.append(
            GistKey(column.attnum, column.name, column.typname, False, span, raw, text, problem)
        )
    return tuple(out)


def key_description(
    columns: Sequence[GistColumn], keys: Sequence[GistKey], nkeyatts: int
) -> str | None:
    """What ``gist_page_items()`` prints as ``keys``: ``(col, ...)=(value, ...)``, the values
    quoted the way record_out quotes them (null bare), INCLUDE values after ``) INCLUDE (``.
    None when a value has no text here (its type's output function is not reproduced)."""
    if not columns or len(keys) != len(columns):
        return None
    names = ", ".join(quote_identifier(c.name) for c in columns)
    parts: list[str] = []
    for i, key in enumerate(keys):
        if key.is_null:
            value = "null"
        elif key.text is None:
            return None
        else:
            value = _quote(key.text, _RECORD_SPECIAL)
        if i == nkeyatts:
            parts.append(") INCLUDE (")
        elif i > 0:
            parts.append(", ")
        parts.append(value)
    return f"({names})=({''.join(parts)})"
