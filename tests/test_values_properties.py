"""Property tests: any tuple bytes under any relation description decode without raising,
and every stored attribute lies inside the tuple data."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pageinspect_py.catalog.attributes import Attribute, RelationDescription
from pageinspect_py.catalog.schema import description_from_columns
from pageinspect_py.catalog.types import BUILTIN_TYPES
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.heap import HeapTuple, HeapTupleHeader, ItemPointer
from pageinspect_py.decode.output import TypeInfo, datum_text
from pageinspect_py.decode.tuple import AttributeStatus, decode_tuple_values
from pageinspect_py.errors import DatumError

TYPE_NAMES = sorted(BUILTIN_TYPES)


@st.composite
def descriptions(draw: st.DrawFn) -> RelationDescription:
    columns = draw(
        st.lists(
            st.tuples(st.sampled_from(TYPE_NAMES), st.booleans(), st.booleans()),
            min_size=1,
            max_size=12,
        )
    )
    spelled = ", ".join(
        f"{'-' if dropped else ''}c{i} {name}{'[]' if array else ''}"
        for i, (name, array, dropped) in enumerate(columns)
    )
    desc = description_from_columns(spelled)
    missing = draw(
        st.lists(
            st.sampled_from(["{42}", '{"a b"}', "{}", "{x", ""]),
            min_size=len(desc.attributes),
            max_size=len(desc.attributes),
        )
    )
    atts = tuple(
        Attribute(
            **{
                **{f: getattr(a, f) for f in Attribute.__slots__},
                "atthasmissing": bool(m),
                "attmissingval": m or None,
            }
        )
        for a, m in zip(desc.attributes, missing, strict=True)
    )
    return RelationDescription("random", atts)


@st.composite
def tuples(draw: st.DrawFn, natts_max: int) -> HeapTuple:
    natts = draw(st.integers(0, natts_max + 2))
    data = draw(st.binary(max_size=300))
    bits = draw(st.none() | st.text(alphabet="01", max_size=natts + 8))
    hoff = 24
    start = 1000
    header = HeapTupleHeader(start, 5, 0, 0, ItemPointer(0, 1), natts, 0x0802, hoff)
    span = Span(start, start + hoff + len(data))
    return HeapTuple(header, span, bits, None, Span(start + hoff, span.stop), data)


@settings(max_examples=600, deadline=None)
@given(data=st.data())
def test_any_bytes_decode_without_raising(data: st.DataObject) -> None:
    desc = data.draw(descriptions())
    tup = data.draw(tuples(desc.natts))
    tv = decode_tuple_values(tup, 1, desc)
    assert len(tv.attributes) == desc.natts
    assert tup.data_span is not None
    cursor = tup.data_span.start
    for a in tv.attributes:
        assert a.text is None or isinstance(a.text, str)
        if a.span is not None:
            assert a.padding is not None and a.padding.start == cursor
            assert tup.data_span.contains(a.span)
            cursor = a.span.stop
        else:
            assert a.status is not AttributeStatus.PRESENT or not a.decoded
    assert len(tv.values()) == len(desc.live_attributes())


@settings(max_examples=1500, deadline=None)
@given(name=st.sampled_from(TYPE_NAMES), array=st.booleans(), data=st.data())
def test_output_functions_raise_only_datum_error(
    name: str, array: bool, data: st.DataObject
) -> None:
    """Random bytes, of the type's length or behind a valid varlena header, reach every
    output function; they either print or raise DatumError."""
    (att,) = description_from_columns(f"c {name}{'[]' if array else ''}").attributes
    if att.attlen > 0:
        raw = data.draw(
            st.binary(min_size=att.attlen, max_size=att.attlen) | st.binary(max_size=20)
        )
    else:
        payload = data.draw(st.binary(max_size=300))
        short = data.draw(st.booleans()) and len(payload) < 127
        header = (
            bytes([(len(payload) + 1) << 1 | 1])
            if short
            else ((len(payload) + 4) << 2).to_bytes(4, "little")
        )
        raw = data.draw(st.sampled_from([header + payload, payload]))
    try:
        text = datum_text(TypeInfo.of(att), raw)
    except DatumError:
        return
    assert isinstance(text, str)
