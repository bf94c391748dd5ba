"""SP-GiST index pages, in modules that are each one thing:

* :mod:`.opclass` -- the spgConfig types (prefix, label, leaf) of the in-core opclasses and
  text_ops' label rules;
* :mod:`.model` -- the page models (special space, metapage, inner/node/leaf/dead tuples);
* :mod:`.decoder` -- bytes to models after the page header (:func:`spgist_contents`) and the
  options (:class:`SpGistDecodeOptions`; built from an ``IndexDescription`` by
  ``analysis.spgiststats.spgist_index_options``).

:func:`spgist_contents` is what ``decode_page`` (``decode/dispatch.py``) calls for a page of
kind ``spgist`` after the page header; pass ``spgist=spgist_index_options(index, major)``
(analysis/spgiststats.py) to type the datums.
"""

from __future__ import annotations

from pageinspect_py.decode.spgist.decoder import (
    SpGistDecodeOptions,
    page_opaque,
    parse_meta,
    parse_opaque,
    spgist_contents,
)
from pageinspect_py.decode.spgist.model import (
    SpGistDatum,
    SpGistDeadTuple,
    SpGistInnerTuple,
    SpGistLastUsed,
    SpGistLeafTuple,
    SpGistMeta,
    SpGistNode,
    SpGistPage,
    SpGistPageOpaque,
    SpGistPageType,
    SpGistTuple,
    cached_page_role,
    flag_names,
    tid_text,
    tupstate_name,
)
from pageinspect_py.decode.spgist.opclass import (
    SPGIST_OPCLASS_CONFIGS,
    SpGistConfig,
    config_of,
    text_label_bytes,
)

__all__ = [
    "SPGIST_OPCLASS_CONFIGS",
    "SpGistConfig",
    "SpGistDatum",
    "SpGistDeadTuple",
    "SpGistDecodeOptions",
    "SpGistInnerTuple",
    "SpGistLastUsed",
    "SpGistLeafTuple",
    "SpGistMeta",
    "SpGistNode",
    "SpGistPage",
    "SpGistPageOpaque",
    "SpGistPageType",
    "SpGistTuple",
    "cached_page_role",
    "config_of",
    "flag_names",
    "page_opaque",
    "parse_meta",
    "parse_opaque",
    "spgist_contents",
    "text_label_bytes",
    "tid_text",
    "tupstate_name",
]
