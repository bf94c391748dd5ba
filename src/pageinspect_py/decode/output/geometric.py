"""Geometric types (adt/geo_ops.c): pair_encode / path_encode with float8out_internal for
every number (so the session's extra_float_digits applies, as on the server)."""

from __future__ import annotations

import struct

from pageinspect_py.decode.output.base import TypeInfo, fixed
from pageinspect_py.decode.output.floats import float8_text
from pageinspect_py.decode.output.registry import register
from pageinspect_py.errors import DatumError
from pageinspect_py.layouts import datums as L


def _points(payload: bytes, at: int, count: int) -> list[tuple[float, float]]:
    if count < 0 or at + 16 * count > len(payload):
        raise DatumError(f"{count} points do not fit in {len(payload)} bytes")
    return [struct.unpack_from("<dd", payload, at + 16 * i) for i in range(count)]


def _pair(point: tuple[float, float]) -> str:
    return f"({float8_text(point[0])},{float8_text(point[1])})"


@register("point")
def _out_point(payload: bytes, info: TypeInfo) -> str:
    raw = L.Point.parse(fixed(payload, 16, "point"))
    return _pair((raw.x, raw.y))


@register("lseg")
def _out_lseg(payload: bytes, info: TypeInfo) -> str:
    return "[" + ",".join(map(_pair, _points(fixed(payload, 32, "lseg"), 0, 2))) + "]"


@register("box")
def _out_box(payload: bytes, info: TypeInfo) -> str:
    return ",".join(map(_pair, _points(fixed(payload, 32, "box"), 0, 2)))


@register("line")
def _out_line(payload: bytes, info: TypeInfo) -> str:
    a, b, c = struct.unpack("<ddd", fixed(payload, 24, "line"))
    return "{" + ",".join(map(float8_text, (a, b, c))) + "}"


@register("circle")
def _out_circle(payload: bytes, info: TypeInfo) -> str:
    x, y, r = struct.unpack("<ddd", fixed(payload, 24, "circle"))
    return f"<{_pair((x, y))},{float8_text(r)}>"


@register("path")
def _out_path(payload: bytes, info: TypeInfo) -> str:
    if len(payload) < 12:
        raise DatumError("path shorter than its header")
    npts, closed = struct.unpack_from("<ii", payload)
    text = ",".join(map(_pair, _points(payload, 12, npts)))
    return f"({text})" if closed else f"[{text}]"


@register("polygon")
def _out_polygon(payload: bytes, info: TypeInfo) -> str:
    if len(payload) < 36:
        raise DatumError("polygon shorter than its header")
    npts = struct.unpack_from("<i", payload)[0]
    return "(" + ",".join(map(_pair, _points(payload, 36, npts))) + ")"
