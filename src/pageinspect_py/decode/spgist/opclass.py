"""What an SP-GiST operator class's ``config`` method says about the datums it stores
(``spgConfigOut``: prefixType, labelType, leafType), for the in-core opclasses whose datums
are decoded here, and how a leaf's full value is rebuilt from the path down to it.

``spgConfigOut`` (access/spgist.h) is filled by each opclass's config function; the table
below copies those of the in-core opclasses:

* ``quad_point_ops`` -- spgquadtreeproc.c ``spg_quad_config``: ``prefixType = POINTOID``
  (the centroid), ``labelType = VOIDOID`` (nodes have no labels: quadrants 0-3 by position),
  leaf type the indexed point;
* ``kd_point_ops`` -- spgkdtreeproc.c ``spg_kd_config``: ``prefixType = FLOAT8OID`` (the
  splitting coordinate, x or y by level), ``labelType = VOIDOID``, leaf type the point;
* ``text_ops`` -- spgtextproc.c ``spg_text_config``: ``prefixType = TEXTOID`` (the common
  prefix), ``labelType = INT2OID`` (the next byte, 0-255, or -1 "the string ends here", or
  -2 the dummy label of an allTheSame split: spg_text_choose), leaf type text (the rest of
  the string after the path's prefixes and labels); spg_text_inner_consistent appends a label
  only when it is > 0.

``leafType`` is unset (0: the indexed type) in all three. An opclass not in the table (or not
known) gets untyped datums (bytes). The types are named here (typname); their pg_type facts
(length, alignment, by value) come with the decode options
(``analysis.spgiststats.spgist_decode_options``, from ``catalog.types``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SpGistConfig:
    """The types of an opclass's spgConfigOut (None: VOIDOID, nothing stored)."""

    opclass: str
    prefixType: str | None
    labelType: str | None
    leafType: str
    source: str  #: the C function the values are copied from
    #: the leaf's value is rebuilt from the path (prefixes and labels) plus the leaf datum
    reconstructs: bool = False


SPGIST_OPCLASS_CONFIGS: dict[str, SpGistConfig] = {
    "quad_point_ops": SpGistConfig(
        "quad_point_ops", "point", None, "point", "spgquadtreeproc.c spg_quad_config"
    ),
    "kd_point_ops": SpGistConfig(
        "kd_point_ops", "float8", None, "point", "spgkdtreeproc.c spg_kd_config"
    ),
    "text_ops": SpGistConfig(
        "text_ops", "text", "int2", "text", "spgtextproc.c spg_text_config", reconstructs=True
    ),
}

#: spgtextproc.c's special labels
TEXT_LABEL_END = -1  #: the string ends at this node
TEXT_LABEL_DUMMY = -2  #: the upper tuple's one node after an allTheSame split


def config_of(opclass: str | None) -> SpGistConfig | None:
    return SPGIST_OPCLASS_CONFIGS.get(opclass) if opclass is not None else None


def text_label_bytes(label: int | None) -> bytes:
    """What a text_ops node label adds to the reconstructed string: its byte when > 0,
    nothing for 0, -1 and -2 (spg_text_inner_consistent: ``if (nodeChar <= 0)``)."""
    if label is None or label <= 0:
        return b""
    return bytes([label & 0xFF])
