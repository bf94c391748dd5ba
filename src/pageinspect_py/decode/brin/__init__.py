"""BRIN index pages, in modules that are each one thing:

* :mod:`.opclass` -- what each opclass family stores per column (minmax, inclusion, bloom,
  minmax-multi), from the opclass name;
* :mod:`.model` -- the page models (special space, metapage, revmap slots, BRIN tuples);
* :mod:`.decoder` -- bytes to models after the page header (:func:`brin_contents`), the
  options that carry the index's columns, major and metapage (:func:`brin_options`);
* :mod:`.pageinspect` -- ``brin_page_type``, ``brin_metapage_info``, ``brin_revmap_data``,
  ``brin_page_items`` from the models.

:func:`brin_contents` is what ``decode_page`` (``decode/dispatch.py``) calls for a page of
kind ``brin`` after the page header; pass ``brin=BrinDecodeOptions(...)`` (or
``brin_options(read, index=..., major=...)``) to read the tuples' values.
"""

from __future__ import annotations

from pageinspect_py.decode.brin.decoder import (
    BrinDecodeOptions,
    brin_contents,
    brin_options,
    parse_meta,
    parse_special,
    special_of_bytes,
)
from pageinspect_py.decode.brin.model import (
    BrinColumn,
    BrinItem,
    BrinMeta,
    BrinMetaPage,
    BrinPage,
    BrinRegularPage,
    BrinRevmapPage,
    BrinSpecial,
    BrinTuple,
    BrinValue,
    RevmapEntry,
    page_type_name,
)
from pageinspect_py.decode.brin.opclass import (
    OpclassFamily,
    StoredValue,
    opclass_family,
    stored_values,
)
from pageinspect_py.decode.brin.pageinspect import (
    BrinMetapageInfo,
    BrinPageItem,
    brin_metapage_info,
    brin_page_items,
    brin_page_items_rows,
    brin_page_type,
    brin_revmap_data,
)

__all__ = [
    "BrinColumn",
    "BrinDecodeOptions",
    "BrinItem",
    "BrinMeta",
    "BrinMetaPage",
    "BrinMetapageInfo",
    "BrinPage",
    "BrinPageItem",
    "BrinRegularPage",
    "BrinRevmapPage",
    "BrinSpecial",
    "BrinTuple",
    "BrinValue",
    "OpclassFamily",
    "RevmapEntry",
    "StoredValue",
    "brin_contents",
    "brin_metapage_info",
    "brin_options",
    "brin_page_items",
    "brin_page_items_rows",
    "brin_page_type",
    "brin_revmap_data",
    "opclass_family",
    "page_type_name",
    "parse_meta",
    "parse_special",
    "special_of_bytes",
    "stored_values",
]
