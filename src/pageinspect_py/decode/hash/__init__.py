"""Hash index pages, in modules that are each one thing:

* :mod:`.buckets` -- the linear hashing arithmetic (bucket of a hash code, block of a bucket,
  bit of an overflow page);
* :mod:`.model` -- the page models (special space, metapage, bitmap, index tuples);
* :mod:`.decoder` -- bytes to models after the page header (:func:`hash_contents`), the
  options that carry the metapage (:func:`hash_options`);
* :mod:`.pageinspect` -- ``hash_page_type``, ``hash_page_stats``, ``hash_page_items``,
  ``hash_metapage_info``, ``hash_bitmap_info`` from the models.

The frame (checksum, tiling, strict mode) is ``decode_page`` (``decode/dispatch.py``): pass
``hash=HashDecodeOptions(...)`` (or ``hash_options(read)``) to decode a page known to belong
to a hash index, with its metapage.
"""

from __future__ import annotations

from pageinspect_py.decode.hash.decoder import (
    HashDecodeOptions,
    bitmap_info,
    claim_hash_kind,
    hash_contents,
    hash_options,
    parse_bitmap,
    parse_meta,
    parse_opaque,
)
from pageinspect_py.decode.hash.model import (
    HashBitmap,
    HashBitmapInfo,
    HashBitmapPage,
    HashIndexTuple,
    HashItem,
    HashMeta,
    HashMetaPage,
    HashPage,
    HashPageOpaque,
    HashPageType,
)
from pageinspect_py.decode.hash.pageinspect import (
    HashMetapageInfo,
    HashPageItem,
    HashPageStats,
    hash_bitmap_info,
    hash_metapage_info,
    hash_page_items,
    hash_page_stats,
    hash_page_type,
    metapage_info,
)

__all__ = [
    "HashBitmap",
    "HashBitmapInfo",
    "HashBitmapPage",
    "HashDecodeOptions",
    "HashIndexTuple",
    "HashItem",
    "HashMeta",
    "HashMetaPage",
    "HashMetapageInfo",
    "HashPage",
    "HashPageItem",
    "HashPageOpaque",
    "HashPageStats",
    "HashPageType",
    "bitmap_info",
    "claim_hash_kind",
    "hash_bitmap_info",
    "hash_contents",
    "hash_metapage_info",
    "hash_options",
    "hash_page_items",
    "hash_page_stats",
    "hash_page_type",
    "metapage_info",
    "parse_bitmap",
    "parse_meta",
    "parse_opaque",
]
