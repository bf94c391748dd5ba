"""The toaster replay of the storage model, without a server.

What PostgreSQL stores is checked against real servers in ``test_advice_live.py``; here the
replay is checked against itself where a property must hold whatever the server does:

* :func:`rebuild` says a row comes out the same in every column order only when it does
  (the advice rebuilds the other rows once per order it scores, and trusts this flag for
  the rest);
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


@st.composite
def rows(draw: st.DrawFn) -> tuple[list[Column], list[Value]]:
    n = draw(st.integers(1, 9))
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
            values.append(Value(Kind.SHORT, draw(st.integers(1, 127))))
        elif form == 2:
            values.append(Value(Kind.LONG, draw(st.integers(131, 2200))))
        elif form == 3 and storage in ("x", "m"):
            values.append(Value(Kind.COMPRESSED, draw(st.integers(20, 1500))))
        else:
            values.append(
                Value(
                    Kind.EXTERNAL,
                    TOAST_POINTER_SIZE,
                    draw(st.integers(30, 4000)),
                    storage in ("x", "m") and draw(st.booleans()),
                )
            )
    return columns, values


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(), st.integers(0, 2**32))
def test_rows_said_to_be_order_independent_are(
    case: tuple[list[Column], list[Value]], seed: int
) -> None:
    columns, values = case
    geometry = Geometry()
    order = list(range(len(columns)))
    first, same = rebuild(columns, values, order, geometry)
    if not same:
        return
    rng = random.Random(seed)
    for _ in range(6):
        rng.shuffle(order)
        assert rebuild(columns, values, order, geometry)[0] == first


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(), st.integers(0, 2**32))
def test_copying_a_copy_changes_nothing(case: tuple[list[Column], list[Value]], seed: int) -> None:
    columns, values = case
    geometry = Geometry()
    order = list(range(len(columns)))
    random.Random(seed).shuffle(order)
    once, _ = rebuild(columns, values, order, geometry)
    assert rebuild(columns, once, order, geometry)[0] == once


def test_an_out_of_line_value_comes_back_when_the_row_fits() -> None:
    """A small value pushed out of line to make room for a MAIN value that was then
    compressed: the copy fetches it back, packs it, and the row fits."""
    columns = [
        Column("a", 1, "bytea", -1, "i", "x"),
        Column("c", 2, "text", -1, "i", "m"),
    ]
    values = [Value(Kind.EXTERNAL, TOAST_POINTER_SIZE, 41, False), Value(Kind.COMPRESSED, 54)]
    out, same = rebuild(columns, values, [1, 0], Geometry())
    assert out == [Value(Kind.SHORT, 38), Value(Kind.COMPRESSED, 54)]
    assert same


def test_a_big_value_goes_out_of_line_again() -> None:
    columns = [Column("n", 1, "int4", 4, "i"), Column("d", 2, "bytea", -1, "i", "x")]
    pointer = Value(Kind.EXTERNAL, TOAST_POINTER_SIZE, 3004, False)
    out, _ = rebuild(columns, [Value(Kind.FIXED, 4), pointer], [1, 0], Geometry())
    assert out == [Value(Kind.FIXED, 4), pointer]


def test_a_row_short_of_the_threshold_is_only_packed() -> None:
    columns = [Column("t", 1, "text", -1, "i", "x"), Column("n", 2, "int8", 8, "d")]
    values = [Value(Kind.LONG, 100), Value(Kind.FIXED, 8)]
    out, same = rebuild(columns, values, [1, 0], Geometry())
    assert (
        out
        == [rewritten(columns[0], values[0]), values[1]]
        == [
            Value(Kind.SHORT, 97),
            Value(Kind.FIXED, 8),
        ]
    )
    assert same
    assert data_length(columns, out, [1, 0]) == (8 + 97, 0)
