"""GIN keys: the stored attributes of an entry tuple, read through the index's description.

A GIN index tuple is laid out by ``ginstate->tupdesc[attnum - 1]``: the key alone in a
one-column index, ``(attnum int2, key)`` otherwise (gin_private.h, GinState). The key's type
is the opclass's storage type (the index attribute's type): ``text`` for ``tsvector_ops`` and
``jsonb_ops``, the element type for ``array_ops``, ``int4`` for ``jsonb_path_ops``. A NULL key
is followed by its GinNullCategory byte (GinCategoryOffset: the data offset, plus 2 after an
attnum).

Keys are compared where their bytes are comparable: ``tsvector_ops`` (gin_cmp_tslexeme) and
``jsonb_ops`` (gin_compare_jsonb) compare bytewise; ``jsonb_path_ops`` and integer keys by
value; a text key of another opclass only under a C collation; anything else is not compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.catalog.attributes import Attribute
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.btree.keys import ValueDecoder, builtin_value, split_attributes
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.gin.model import GinKey, KeyKind
from pageinspect_py.decode.varlena import parse_varlena, plain_payload
from pageinspect_py.errors import PageInspectError

#: the attnum column of a multi-column GIN tuple descriptor (int2)
ATTNUM_ATTRIBUTE = Attribute(
    attnum=1, attname="attnum", atttypid=21, typname="int2", attlen=2, attalign="s", attbyval=True
)
SIZEOF_ATTNUM = 2
_INT_ORDERED = {"int2", "int4", "int8", "oid", "char", "float4", "float8", "date", "bool"}
_TEXT_LIKE = {"text", "varchar", "bpchar", "name", "bytea"}
_BYTEWISE_OPCLASSES = {"tsvector_ops", "jsonb_ops"}


@dataclass(frozen=True, slots=True)
class KeyColumn:
    """What is known of one indexed column."""

    attribute: Attribute | None  #: the key's storage type; None: untyped
    opclass: str | None = None
    comparable: bool = False  #: whether key order may be checked bytewise/by value

    @property
    def kind(self) -> KeyKind:
        if self.attribute is None:
            return KeyKind.UNTYPED
        if self.opclass == "jsonb_ops":
            return KeyKind.JSONB
        if self.opclass == "jsonb_path_ops":
            return KeyKind.JSONB_HASH
        return KeyKind.TYPED


def key_columns(index: IndexDescription | None) -> tuple[KeyColumn, ...]:
    """One :class:`KeyColumn` per index column (empty: nothing known, read as one column)."""
    if index is None:
        return ()
    out = []
    for column in index.columns:
        attribute = column.attribute
        opclass = column.opclass
        if opclass in _BYTEWISE_OPCLASSES or opclass == "jsonb_path_ops":
            comparable = True
        elif attribute.typname in _TEXT_LIKE:
            comparable = index.bytewise_collation(column)
        else:
            comparable = attribute.typname in _INT_ORDERED
        out.append(KeyColumn(attribute, opclass, comparable))
    return tuple(out)


def _payload(raw: bytes) -> bytes:
    return plain_payload(parse_varlena(raw))


def read_key(
    data: bytes,
    start: int,
    stop: int,
    columns: Sequence[KeyColumn],
    has_nulls: bool,
    null_bits: int,
    values: ValueDecoder = builtin_value,
) -> tuple[GinKey, int, list[tuple[str, Span]]]:
    """The key of the tuple whose data area starts at ``start`` (page offset, MAXALIGNed) and
    must end by ``stop``: the key, where its bytes end, and the named spans it covers
    (``attnum``, ``key``, ``category``). ``null_bits`` is the first byte of the null bitmap
    (1 = not null). Without a description a tuple says it is a multi-column index's only
    when it is a NULL-category one: a one-column index sets INDEX_NULL_MASK only for a NULL
    key (bit 0 clear), a multi-column one keeps its attnum not null (bit 0 set)."""
    multi = len(columns) > 1 or (not columns and has_nulls and bool(null_bits & 1))
    spans: list[tuple[str, Span]] = []
    attnum: int | None = None
    cursor = start
    if multi:
        if cursor + SIZEOF_ATTNUM > stop:
            return GinKey(0, problem="no room for the attnum"), cursor, spans
        attnum = int.from_bytes(data[cursor : cursor + SIZEOF_ATTNUM], "little", signed=True)
        spans.append(("attnum", Span(cursor, cursor + SIZEOF_ATTNUM)))
        cursor += SIZEOF_ATTNUM
    key_null = has_nulls and not null_bits >> (1 if multi else 0) & 1
    column: KeyColumn | None = None
    if columns:
        index = (attnum - 1) if multi and attnum is not None else 0
        column = columns[index] if 0 <= index < len(columns) else None
    if key_null:
        # GinCategoryOffset: where the NULL key's data would be
        if cursor >= stop:
            return (
                GinKey(C.GIN_CAT_NULL_KEY, attnum, problem="no room for the category"),
                cursor,
                spans,
            )
        category = int.from_bytes(data[cursor : cursor + 1], "little", signed=True)
        spans.append(("category", Span(cursor, cursor + 1)))
        kind = column.kind if column is not None else KeyKind.UNTYPED
        return GinKey(category, attnum, kind=kind), cursor + 1, spans
    if column is None or column.attribute is None:
        # untyped: everything up to the posting list (or the tuple's end) is the key
        whole = Span(cursor, stop)
        spans.append(("key", whole))
        return GinKey(C.GIN_CAT_NORM_KEY, attnum, whole, data[cursor:stop]), stop, spans
    attribute = column.attribute
    ((span, problem),) = split_attributes(data, cursor, stop, [attribute], [False])
    if span is None:
        return (
            GinKey(C.GIN_CAT_NORM_KEY, attnum, kind=column.kind, problem=problem),
            cursor,
            spans,
        )
    if span.start > cursor:
        spans.append(("padding", Span(cursor, span.start)))
    spans.append(("key", span))
    raw = data[span.start : span.stop]
    key = _typed_key(column, attnum, span, raw, values)
    return key, span.stop, spans


def _typed_key(
    column: KeyColumn, attnum: int | None, span: Span, raw: bytes, values: ValueDecoder
) -> GinKey:
    assert column.attribute is not None
    kind = column.kind
    norm = C.GIN_CAT_NORM_KEY
    try:
        if kind is KeyKind.JSONB:
            payload = _payload(raw)
            if not payload:
                return GinKey(norm, attnum, span, raw, kind, problem="empty jsonb_ops key")
            flag = payload[0]
            rest = payload[1:]
            text = rest.decode("utf-8", errors="backslashreplace")
            return GinKey(
                norm, attnum, span, raw, kind, text, flag, (payload if column.comparable else None)
            )
        if kind is KeyKind.JSONB_HASH:
            number = int.from_bytes(raw[:4], "little", signed=True)
            return GinKey(norm, attnum, span, raw, kind, str(number), None, number)
    except PageInspectError as exc:
        return GinKey(norm, attnum, span, raw, kind, problem=str(exc))
    value, shown = values(column.attribute, raw)
    order: object | None = value if column.comparable else None
    if column.comparable and column.opclass in _BYTEWISE_OPCLASSES:
        try:
            order = _payload(raw)
        except PageInspectError:
            order = None
    return GinKey(norm, attnum, span, raw, kind, shown, None, order)


def compare_keys(a: GinKey, b: GinKey) -> int | None:
    """ginCompareAttEntries: attnum, then category, then the key (normal keys only); None
    when the keys cannot be compared here (one read as a multi-column index's, with its
    attnum, the other not: an undescribed index's tuples say which only when NULL)."""
    if (a.attnum is None) != (b.attnum is None):
        return None
    if a.attnum != b.attnum and a.attnum is not None and b.attnum is not None:
        return -1 if a.attnum < b.attnum else 1
    if a.category != b.category:
        return -1 if a.category < b.category else 1
    if a.category != C.GIN_CAT_NORM_KEY:
        return 0
    if a.order is None or b.order is None or type(a.order) is not type(b.order):
        return None
    x, y = a.order, b.order
    try:
        return int(x > y) - int(x < y)  # type: ignore[operator]
    except TypeError:
        return None
