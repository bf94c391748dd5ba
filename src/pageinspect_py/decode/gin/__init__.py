"""GIN index pages, in modules that are each one thing:

* :mod:`.model` -- the page models (special space, metapage, entry tuples and keys, posting
  lists, PostingItems);
* :mod:`.postinglist` -- the varbyte-compressed posting list segments (ginpostinglist.c);
* :mod:`.keys` -- entry keys typed through the index description (opclass storage types,
  jsonb_ops flags, jsonb_path_ops hashes);
* :mod:`.decoder` -- bytes to models after the page header (:func:`gin_contents`), the
  options that carry the index description (:func:`gin_options`);
* :mod:`.pageinspect` -- ``gin_page_opaque_info``, ``gin_metapage_info``,
  ``gin_leafpage_items`` from the models.

``decode_page`` (``decode/dispatch.py``) calls :func:`gin_contents` for every page of kind
``gin``; pass ``gin=gin_options(index_description)`` to type the keys.
"""

from __future__ import annotations

from pageinspect_py.decode.gin.decoder import (
    GinDecodeOptions,
    gin_contents,
    gin_options,
    parse_meta,
    parse_opaque,
)
from pageinspect_py.decode.gin.keys import KeyColumn, compare_keys, key_columns
from pageinspect_py.decode.gin.model import (
    EntryKind,
    GinDataPage,
    GinEntry,
    GinEntryPage,
    GinKey,
    GinMeta,
    GinMetaPage,
    GinPage,
    GinPageOpaque,
    GinPageType,
    GinPostingItem,
    GinPostingSegment,
    KeyKind,
    tid_key,
)
from pageinspect_py.decode.gin.pageinspect import (
    GinLeafPageItem,
    GinMetapageInfo,
    GinPageOpaqueInfo,
    gin_leafpage_items,
    gin_metapage_info,
    gin_page_opaque_info,
)

__all__ = [
    "EntryKind",
    "GinDataPage",
    "GinDecodeOptions",
    "GinEntry",
    "GinEntryPage",
    "GinKey",
    "GinLeafPageItem",
    "GinMeta",
    "GinMetaPage",
    "GinMetapageInfo",
    "GinPage",
    "GinPageOpaque",
    "GinPageOpaqueInfo",
    "GinPageType",
    "GinPostingItem",
    "GinPostingSegment",
    "KeyColumn",
    "KeyKind",
    "compare_keys",
    "gin_contents",
    "gin_leafpage_items",
    "gin_metapage_info",
    "gin_options",
    "gin_page_opaque_info",
    "key_columns",
    "parse_meta",
    "parse_opaque",
    "tid_key",
]
