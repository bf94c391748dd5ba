"""GiST index pages, in modules that are each one thing:

* :mod:`.model` -- the page models (special space, deleted-page contents, index tuples and
  their keys, the page);
* :mod:`.keys` -- the index's tuple descriptor as the decoder needs it (:class:`GistColumn`),
  attributes split out of a tuple and their text, the key description pageinspect prints;
* :mod:`.decoder` -- bytes to models after the page header (:func:`gist_contents`), the
  options that carry the tuple descriptor (:class:`GistDecodeOptions`);
* :mod:`.pageinspect` -- ``gist_page_opaque_info``, ``gist_page_items_bytea`` and
  ``gist_page_items`` from the models.

The frame (checksum, tiling, strict mode) is ``decode_page`` (``decode/dispatch.py``): pass
``gist=GistDecodeOptions(...)`` (``analysis.giststats.gist_options(index)`` builds it from an
IndexDescription) to type the keys.
"""

from __future__ import annotations

from pageinspect_py.decode.gist.decoder import GistDecodeOptions, gist_contents, parse_opaque
from pageinspect_py.decode.gist.keys import (
    decode_keys,
    key_description,
    quote_identifier,
    split_attributes,
)
from pageinspect_py.decode.gist.model import (
    GistColumn,
    GistDeletedPage,
    GistIndexTuple,
    GistItem,
    GistKey,
    GistPage,
    GistPageOpaque,
    gist_flag_names,
    lsn_text,
)
from pageinspect_py.decode.gist.pageinspect import (
    GistPageItem,
    GistPageItemBytea,
    GistPageOpaqueInfo,
    gist_page_items,
    gist_page_items_bytea,
    gist_page_opaque_info,
)

__all__ = [
    "GistColumn",
    "GistDecodeOptions",
    "GistDeletedPage",
    "GistIndexTuple",
    "GistItem",
    "GistKey",
    "GistPage",
    "GistPageItem",
    "GistPageItemBytea",
    "GistPageOpaque",
    "GistPageOpaqueInfo",
    "decode_keys",
    "gist_contents",
    "gist_flag_names",
    "gist_page_items",
    "gist_page_items_bytea",
    "gist_page_opaque_info",
    "key_description",
    "lsn_text",
    "parse_opaque",
    "quote_identifier",
    "split_attributes",
]
