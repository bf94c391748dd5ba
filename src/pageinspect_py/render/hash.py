"""Hash index output, per page: the JSON keys pageinspect's hash functions name
(``hash_page_type``, ``hash_page_stats``, ``hash_page_items``, ``hash_metapage_info``,
``hash_bitmap_info``) beside our own view under ``hash``, and the text rows of the page.

``render/json.py`` merges :func:`hash_page_json` into a block's object and ``render/text.py``
lays out :func:`hash_page_rows`; the field tree (``render/tree.py``) needs nothing from here:
it walks the models' ``opaque.fields()`` and ``meta.fields()`` and the regions' labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.hash import (
    HashBitmapPage,
    HashItem,
    HashMeta,
    HashMetaPage,
    HashPage,
    HashPageOpaque,
    hash_metapage_info,
    hash_page_items,
    hash_page_stats,
    hash_page_type,
)
from pageinspect_py.decode.page import Page

JSONObject = dict[str, Any]
#: (indent, text, byte range) rows, laid out by render/text.py
TextRow = tuple[int, str, Span | None]

_HASH_PAGES = (HashPage, HashMetaPage, HashBitmapPage)


def _span(span: Span | None) -> list[int] | None:
    return None if span is None else [span.start, span.stop]


# ----------------------------------------------------------------------------------------------
# JSON


def opaque_json(opaque: HashPageOpaque) -> JSONObject:
    return {
        "hasho_prevblkno": opaque.hasho_prevblkno,
        "hasho_nextblkno": opaque.hasho_nextblkno,
        "hasho_bucket": opaque.hasho_bucket,
        "hasho_flag": opaque.hasho_flag,
        "hasho_page_id": opaque.hasho_page_id,
        "page_type": str(opaque.page_type),
        "flag_names": list(opaque.flag_names),
        "span": _span(opaque.span),
    }


def meta_json(meta: HashMeta) -> JSONObject:
    """HashMetaPageData with its C field names, the arrays whole."""
    return {
        "hashm_magic": meta.hashm_magic,
        "hashm_version": meta.hashm_version,
        "hashm_ntuples": meta.hashm_ntuples,
        "hashm_ffactor": meta.hashm_ffactor,
        "hashm_bsize": meta.hashm_bsize,
        "hashm_bmsize": meta.hashm_bmsize,
        "hashm_bmshift": meta.hashm_bmshift,
        "hashm_maxbucket": meta.hashm_maxbucket,
        "hashm_highmask": meta.hashm_highmask,
        "hashm_lowmask": meta.hashm_lowmask,
        "hashm_ovflpoint": meta.hashm_ovflpoint,
        "hashm_firstfree": meta.hashm_firstfree,
        "hashm_nmaps": meta.hashm_nmaps,
        "hashm_procid": meta.hashm_procid,
        "hashm_spares": list(meta.hashm_spares),
        "hashm_mapp": list(meta.hashm_mapp),
        "span": _span(meta.span),
        "buckets": meta.hashm_maxbucket + 1,
        "overflow_pages": meta.overflow_pages,
        "bitmap_blocks": list(meta.bitmap_blocks),
    }


def item_json(item: HashItem) -> JSONObject:
    out: JSONObject = {
        "itemoffset": item.offnum,
        "lp_off": item.lp.lp_off,
        "lp_flags": item.lp.lp_flags,
        "lp_len": item.lp.lp_len,
        "dead": item.dead,
    }
    t = item.tuple
    if t is None:
        return out
    out.update(
        {
            "t_tid": str(t.t_tid),
            "t_info": t.t_info,
            "t_info_flags": list(t.info_names),
            "size": t.size,
            "hashkey": t.hashkey,
            "moved_by_split": t.moved_by_split,
            "bucket": item.bucket,
            "span": [t.offset, t.offset + item.lp.lp_len],
        }
    )
    return out


def hash_page_json(page: Page) -> JSONObject | None:
    """The hash keys of one block's JSON object; None for pages that are not hash pages
    (all-zero blocks of a hash index included: their ``kind`` is ``new``)."""
    if not isinstance(page, _HASH_PAGES):
        return None
    out: JSONObject = {"hash_page_type": hash_page_type(page)}
    own: JSONObject = {
        "page_type": str(page.page_type),
        "opaque": opaque_json(page.opaque) if page.opaque is not None else None,
    }
    if isinstance(page, HashMetaPage):
        info = hash_metapage_info(page)
        if info is not None:
            row = asdict(info)
            row["spares"] = list(info.spares)
            row["mapp"] = list(info.mapp)
            out["hash_metapage_info"] = row
        own["meta"] = meta_json(page.meta) if page.meta is not None else None
    elif isinstance(page, HashBitmapPage):
        bitmap = page.bitmap
        in_use = page.bits_in_use()
        own["bitmap"] = (
            None
            if bitmap is None
            else {
                "bmsize": bitmap.span.length,
                "bits": bitmap.nbits,
                "set_bits": bitmap.set_bits,
                "clear_bits": list(bitmap.clear_bits()),
                "bitmap_index": page.bitmap_index,
                "first_bit": page.first_bit,
                "bits_in_use": in_use,
                "span": _span(bitmap.span),
            }
        )
    else:
        stats = hash_page_stats(page)
        items = hash_page_items(page)
        if stats is not None:
            out["hash_page_stats"] = asdict(stats)
        if items is not None:
            out["hash_page_items"] = [asdict(row) for row in items]
        if page.bitmap_info is not None:
            out["hash_bitmap_info"] = asdict(page.bitmap_info)
        own["items"] = [item_json(item) for item in page.items]
    out["hash"] = own
    return out


# ----------------------------------------------------------------------------------------------
# text

_DASH = "-"


def _block(value: int) -> str:
    return "InvalidBlockNumber" if value == C.InvalidBlockNumber else str(value)


def _opaque_rows(opaque: HashPageOpaque, bucket_page: bool) -> Iterator[TextRow]:
    yield 1, "HashPageOpaqueData", opaque.span
    notes = {
        "hasho_prevblkno": " (hashm_maxbucket at the bucket's last split)" if bucket_page else "",
        "hasho_page_id": " (HASHO_PAGE_ID)" if opaque.hasho_page_id == C.HASHO_PAGE_ID else "",
    }
    for f in opaque.fields():
        if f.name == "hasho_flag":
            names = "|".join(opaque.flag_names) or "LH_UNUSED_PAGE"
            kind = "metapage" if opaque.page_type == "metapage" else f"{opaque.page_type} page"
            text = f"hasho_flag: 0x{f.value:04x} {names} ({kind})"
        elif f.name == "hasho_bucket" and f.value == C.InvalidBucket:
            text = "hasho_bucket: InvalidBucket"
        elif f.name in ("hasho_prevblkno", "hasho_nextblkno") and not (
            bucket_page and f.name == "hasho_prevblkno"
        ):
            text = f"{f.name}: {_block(f.value)}"
        elif f.name == "hasho_page_id":
            text = f"hasho_page_id: 0x{f.value:04x}"
        else:
            text = f"{f.name}: {f.value}"
        yield 2, text + notes.get(f.name, ""), f.span


def _item_text(item: HashItem) -> str:
    parts = [f"{item.offnum:>3}"]
    if item.dead:
        parts.append("LP_DEAD")
    t = item.tuple
    if t is None:
        parts.append(f"{item.lp.flags_name}, no tuple")
        return " ".join(parts)
    parts.append(f"ctid {t.t_tid}")
    parts.append(f"hash {t.hashkey}" if t.hashkey is not None else "no hash code")
    if t.hashkey is not None:
        parts.append(f"(0x{t.hashkey:08x})")
    if item.bucket is not None:
        parts.append(f"bucket {item.bucket}")
    if t.moved_by_split:
        parts.append("moved by split")
    return " ".join(parts)


def hash_page_rows(page: Page) -> Iterator[TextRow]:
    """Text rows for a hash page (nothing for other pages)."""
    if not isinstance(page, _HASH_PAGES):
        return
    if isinstance(page, HashMetaPage):
        meta = page.meta
        if meta is not None:
            yield 1, "HashMetaPageData", meta.span
            for f in meta.fields():
                text = f"{f.name}: {f.value}"
                if f.name == "hashm_magic":
                    text = f"hashm_magic: 0x{f.value:08x}"
                elif f.name in ("hashm_highmask", "hashm_lowmask"):
                    text = f"{f.name}: 0x{f.value:x}"
                elif f.name == "hashm_ntuples":
                    text = f"hashm_ntuples: {meta.hashm_ntuples}"
                yield 2, text, f.span
            yield (
                1,
                f"{meta.hashm_maxbucket + 1} buckets, {meta.overflow_pages} overflow and "
                f"bitmap pages allocated, bitmap pages {list(meta.bitmap_blocks)}",
                None,
            )
    elif isinstance(page, HashBitmapPage):
        bitmap = page.bitmap
        if bitmap is not None:
            clear = bitmap.clear_bits()
            shown = ", ".join(map(str, clear[:16])) + (" ..." if len(clear) > 16 else "")
            yield (
                1,
                f"bitmap: {bitmap.span.length} bytes, {bitmap.set_bits} of {bitmap.nbits} "
                "bits set (overflow pages in use)",
                bitmap.span,
            )
            yield 2, f"clear bits (free overflow pages): {shown or _DASH}", None
            in_use = page.bits_in_use()
            if in_use is not None:
                yield (
                    2,
                    f"bitmap page {page.bitmap_index}: bits {page.first_bit}.. of which "
                    f"{in_use} stand for pages allocated so far",
                    None,
                )
    if page.opaque is not None:
        yield from _opaque_rows(
            page.opaque, isinstance(page, HashPage) and page.page_type == "bucket"
        )
    if not isinstance(page, HashPage):
        return
    stats = hash_page_stats(page)
    if stats is not None:
        yield (
            1,
            f"hash_page_stats: live_items {stats.live_items}, dead_items {stats.dead_items}, "
            f"free_size {stats.free_size}",
            None,
        )
    if page.bitmap_info is not None:
        info = page.bitmap_info
        status = {True: "set (in use)", False: "clear (free)", None: "not read"}[info.bitstatus]
        yield (
            1,
            f"hash_bitmap_info: bitmap page {info.bitmapblkno} bit {info.bitmapbit}: {status}",
            None,
        )
    if page.items:
        yield 1, f"items: {len(page.items)}", None
    for item in page.items:
        span = item.lp.item_span if item.tuple is not None else None
        yield 2, _item_text(item), span
