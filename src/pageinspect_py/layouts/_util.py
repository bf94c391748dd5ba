"""Helpers shared by the layout modules: field offsets derived from the definitions."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def compiled(layout: Any) -> Any:
    """The layout compiled by construct (generated Python): same definition, ~5x faster.

    BitStruct and ByteSwapped do not compile; their integer-word twins (e.g. ``ItemIdWord``
    with masks) do.
    """
    return layout.compile()


def field_offsets(struct: Any) -> dict[str, tuple[int, int]]:
    """``{field name: (offset, size)}`` for a construct Struct of fixed-size fields.

    Offsets are derived from the definition itself (``sizeof()`` of each subcon), so byte
    spans and the bulk decoder never restate a layout by hand.
    """
    offsets: dict[str, tuple[int, int]] = {}
    position = 0
    for sub in struct.subcons:
        size = sub.sizeof()
        if sub.name is not None:
            offsets[sub.name] = (position, size)
        position += size
    return offsets


def field_docs(struct: Any) -> dict[str, str]:
    """``{field name: C comment}`` attached to each field with ``* "doc"``."""
    return {sub.name: (sub.docs or "") for sub in struct.subcons if sub.name is not None}


def struct_format(struct: Any) -> str:
    """The ``struct`` module format of a construct Struct of fixed-size integer fields
    (nested Structs and ``Padding`` allowed), e.g. ``"<HHHH"`` for IndexTupleData: the bulk
    path's unpacker derived from the layout instead of typed a second time."""
    out = []
    for sub in struct.subcons:
        inner = sub
        while hasattr(inner, "subcon") and not hasattr(inner, "fmtstr"):
            if hasattr(inner, "subcons"):
                break
            inner = inner.subcon
        if hasattr(inner, "subcons"):
            out.append(struct_format(inner)[1:])
        elif hasattr(inner, "fmtstr"):
            out.append(inner.fmtstr.lstrip("<>=!@"))
        elif type(inner).__name__ == "Flag":  # construct's Flag: one byte, 0 or not
            out.append("?")
        else:
            out.append("x" * sub.sizeof())
    return "<" + "".join(out)
