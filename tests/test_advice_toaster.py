"""The toaster replay of the storage model, without a server.

What PostgreSQL stores is checked against real servers in ``test_advice_live.py``; here the
replay is checked against itself where a property must hold whatever the server does:

* the replay, which ranks each round's candidates once and measures the row exactly only
  when its sizes cannot settle a test, equals a plain transcription of heaptoast.c;
* :func:`rebuild` says a row comes out the same in an order only when it does (the advice
  rebuilds a row for an order it scores only when the row says it could differ);
* a copy is a fixed point: rebuilding an already rebuilt row in the same order changes
  nothing, as copying a table twice stores the same tuples;
* a row the toaster never needs to touch is only packed.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pageinspect_py.advice.model import (
    NULL,
    Column,
    Geometry,
    Kind,
    Value,
    data_length,
    rebuild,
    rewritten,
)
from pageinspect_py.decode.align import heap_t_hoff
from pageinspect_py.layouts.varlena import TOAST_POINTER_SIZE

#: (attlen, attalign, attstorage) of the column kinds drawn
KINDS = [
    (4, "i", "p"),
    (8, "d", "p"),
    (2, "s", "p"),
    (1, "c", "p"),
    (12, "d", "p"),
    (-1, "i", "x"),
    (-1, "d", "x"),
    (-1, "i", "m"),
    (-1, "i", "e"),
]


def sizes(low: int, high: int, few: bool) -> st.SearchStrategy[int]:
    """Sizes in a range, or (``few``) among a handful of them: equal sizes, ties between
    the toaster's candidates, are then the rule."""
    if few:
        return st.sampled_from(sorted({low, (low + high) // 3, (low + high) // 2, high}))
    return st.integers(low, high)


@st.composite
def rows(draw: st.DrawFn) -> tuple[list[Column], list[Value]]:
    few = draw(st.booleans())
    n = draw(st.integers(1, 14))
    columns = []
    values: list[Value] = []
    for i in range(n):
        attlen, attalign, storage = draw(st.sampled_from(KINDS))
        column = Column(f"c{i}", i + 1, "t", attlen, attalign, storage)
        columns.append(column)
        form = draw(st.integers(0, 5))
        if form == 0:
            values.append(NULL)
        elif attlen > 0:
            values.append(Value(Kind.FIXED, attlen))
        elif form == 1:
            values.append(Value(Kind.SHORT, draw(sizes(1, 127, few))))
        elif form == 2:
            values.append(Value(Kind.LONG, draw(sizes(131, 2200, few))))
        elif form == 3 and storage in ("x", "m"):
            values.append(Value(Kind.COMPRESSED, draw(sizes(20, 1500, few))))
        else:
            values.append(
                Value(
                    Kind.EXTERNAL,
                    TOAST_POINTER_SIZE,
                    draw(sizes(30, 4000, few)),
                    storage in ("x", "m") and draw(st.booleans()),
                )
            )
    return columns, values


def reference_rebuild(
    columns: list[Column], values: list[Value], order: list[int], geometry: Geometry
) -> list[Value]:
    """heaptoast.c transcribed as plainly as possible, for a copied row: every round
    searches the biggest candidate anew and recomputes the whole data length
    (heap_compute_data_size), as the server does; compression tries fail."""
    out = [rewritten(c, v) for c, v in zip(columns, values, strict=True)]
    fetched_back = {i for i in order if out[i].kind is Kind.EXTERNAL}
    for i in fetched_back:
        kind = Kind.COMPRESSED if out[i].fetched_compressed else Kind.LONG
        out[i] = rewritten(columns[i], Value(kind, out[i].fetched))
    hoff = heap_t_hoff(len(columns), any(v.kind is Kind.NULL for v in out), geometry.maxalign)
    if not fetched_back and hoff + data_length(columns, out, order)[0] <= (
        geometry.toast_tuple_threshold
    ):
        return out
    vsize = [
        v.size + (3 if v.kind is Kind.SHORT and i in fetched_back else 0) for i, v in enumerate(out)
    ]
    incompressible: set[int] = set()

    def biggest(storages: str, for_compression: bool) -> int:
        found, found_size = -1, 24  # MAXALIGN(TOAST_POINTER_SIZE)
        for i in order:
            if columns[i].attlen != -1 or columns[i].attstorage not in storages:
                continue
            if out[i].kind in (Kind.NULL, Kind.EXTERNAL):
                continue
            if for_compression and (out[i].kind is Kind.COMPRESSED or i in incompressible):
                continue
            if vsize[i] > found_size:
                found, found_size = i, vsize[i]
        return found

    def externalize(i: int) -> None:
        stored = out[i].size + (3 if out[i].kind is Kind.SHORT else 0)
        out[i] = Value(Kind.EXTERNAL, TOAST_POINTER_SIZE, stored, out[i].kind is Kind.COMPRESSED)

    def too_long(limit: int) -> bool:
        return data_length(columns, out, order)[0] > limit - hoff

    target = geometry.toast_target
    while too_long(target):
        i = biggest("xe", True)
        if i < 0:
            break
        incompressible.add(i)
        if vsize[i] > target - hoff:
            externalize(i)
    while too_long(target):
        i = biggest("xe", False)
        if i < 0:
            break
        externalize(i)
    while too_long(target):
        i = biggest("m", True)
        if i < 0:
            break
        incompressible.add(i)
    while too_long(geometry.max_tuple_size):
        i = biggest("m", False)
        if i < 0:
            break
        externalize(i)
    return out


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(), st.integers(0, 2**32))
def test_the_replay_is_the_plain_transcription(
    case: tuple[list[Column], list[Value]], seed: int
) -> None:
    columns, values = case
    geometry = Geometry()
    order = list(range(len(columns)))
    random.Random(seed).shuffle(order)
    assert rebuild(columns, values, order, geometry).values == reference_rebuild(
        columns, values, order, geometry
    )


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(), st.integers(0, 2**32))
def test_a_row_said_to_come_out_the_same_in_an_order_does(
    case: tuple[list[Column], list[Value]], seed: int
) -> None:
    columns, values = case
    geometry = Geometry()
    alignments = [c.alignment for c in columns]
    order = list(range(len(columns)))
    first = rebuild(columns, values, order, geometry)
    rng = random.Random(seed)
    for _ in range(6):
        rng.shuffle(order)
        if first.same_in_every_order or first.same_in(alignments, order):
            assert rebuild(columns, values, order, geometry).values == first.values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(), st.integers(0, 2**32))
def test_copying_a_copy_changes_nothing(case: tuple[list[Column], list[Value]], seed: int) -> None:
    columns, values = case
    geometry = Geometry()
    order = list(range(len(columns)))
    random.Random(seed).shuffle(order)
    once = rebuild(columns, values, order, geometry).values
    assert rebuild(columns, once, order, geometry).values == once


def test_an_out_of_line_value_comes_back_when_the_row_fits() -> None:
    """A small value pushed out of line to make room for a MAIN value that was then
    compressed: the copy fetches it back, packs it, and the row fits."""
    columns = [
        Column("a", 1, "bytea", -1, "i", "x"),
        Column("c", 2, "text", -1, "i", "m"),
    ]
    values = [Value(Kind.EXTERNAL, TOAST_POINTER_SIZE, 41, False), Value(Kind.COMPRESSED, 54)]
    result = rebuild(columns, values, [1, 0], Geometry())
    assert result.values == [Value(Kind.SHORT, 38), Value(Kind.COMPRESSED, 54)]
    assert result.same_in_every_order


def test_a_big_value_goes_out_of_line_again() -> None:
    columns = [Column("n", 1, "int4", 4, "i"), Column("d", 2, "bytea", -1, "i", "x")]
    pointer = Value(Kind.EXTERNAL, TOAST_POINTER_SIZE, 3004, False)
    result = rebuild(columns, [Value(Kind.FIXED, 4), pointer], [1, 0], Geometry())
    assert result.values == [Value(Kind.FIXED, 4), pointer]


def test_a_row_short_of_the_threshold_is_only_packed() -> None:
    columns = [Column("t", 1, "text", -1, "i", "x"), Column("n", 2, "int8", 8, "d")]
    values = [Value(Kind.LONG, 100), Value(Kind.FIXED, 8)]
    result = rebuild(columns, values, [1, 0], Geometry())
    assert result.values == [rewritten(columns[0], values[0]), values[1]]
    assert result.values == [Value(Kind.SHORT, 97), Value(Kind.FIXED, 8)]
    assert result.same_in_every_order
    assert data_length(columns, result.values, [1, 0]) == (8 + 97, 0)


def test_padding_decides_whether_a_row_is_toasted() -> None:
    """bool, int8, text(1,993 bytes): 16 + 1,993 = 2,009 data bytes, one more than
    TOAST_TUPLE_THRESHOLD (2,032) leaves after the 24-byte header, so the text goes out of
    line; int8, text, bool: 8 + 1,993 + 1 = 2,002, and the row is stored as it is."""
    columns = [
        Column("b", 1, "bool", 1, "c"),
        Column("n", 2, "int8", 8, "d"),
        Column("t", 3, "text", -1, "i", "x"),
    ]
    values = [Value(Kind.FIXED, 1), Value(Kind.FIXED, 8), Value(Kind.LONG, 1993)]
    alignments = [c.alignment for c in columns]
    geometry = Geometry()
    first = rebuild(columns, values, [0, 1, 2], geometry)
    assert first.values[2].kind is Kind.EXTERNAL
    assert not first.same_in_every_order
    other = [1, 2, 0]
    assert rebuild(columns, values, other, geometry).values == values
    assert not first.same_in(alignments, other)
    assert first.same_in(alignments, [0, 1, 2])
