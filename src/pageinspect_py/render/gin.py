"""GIN index output, per page: the JSON keys pageinspect's GIN functions name
(``gin_page_opaque_info``, ``gin_metapage_info``, ``gin_leafpage_items``; left out where the
server raises on the page) beside our own full view under ``gin``, and the text rows.

``render/json.py`` merges :func:`gin_page_json` into a block's object and ``render/text.py``
lays out :func:`gin_page_rows`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.gin import (
    GinDataPage,
    GinEntry,
    GinEntryPage,
    GinKey,
    GinMeta,
    GinMetaPage,
    GinPage,
    GinPageOpaque,
    GinPostingSegment,
    gin_leafpage_items,
    gin_metapage_info,
    gin_page_opaque_info,
)
from pageinspect_py.decode.page import Page

JSONObject = dict[str, Any]
#: (indent, text, byte range) rows, laid out by render/text.py
TextRow = tuple[int, str, Span | None]
#: TIDs shown in a text row before "..."
_SHOWN_TIDS = 8


def _span(span: Span | None) -> list[int] | None:
    return None if span is None else [span.start, span.stop]


# ----------------------------------------------------------------------------------------------
# JSON


def opaque_json(opaque: GinPageOpaque) -> JSONObject:
    return {
        "rightlink": opaque.rightlink,
        "maxoff": opaque.maxoff,
        "flags": opaque.flags,
        "flag_names": list(opaque.flag_names),
        "page_type": str(opaque.page_type),
        "span": _span(opaque.span),
    }


def meta_json(meta: GinMeta) -> JSONObject:
    out: JSONObject = {f.name: f.value for f in meta.fields()}
    out["span"] = _span(meta.span)
    return out


def key_json(key: GinKey) -> JSONObject:
    out: JSONObject = {
        "category": key.category,
        "category_name": key.category_name,
        "attnum": key.attnum,
        "kind": str(key.kind),
        "display": key.display(),
        "span": _span(key.span),
    }
    if key.category == C.GIN_CAT_NORM_KEY:
        out["text"] = key.text
        out["raw"] = key.raw.hex()
    if key.jsonb_flag is not None:
        out["jsonb_flag"] = key.jsonb_flag
        out["jsonb_flag_name"] = key.jsonb_flag_name
        out["hashed"] = key.hashed
    if key.kind == "jsonb_path_ops":
        out["hash"] = key.display().removeprefix("hash ")
    if key.problem is not None:
        out["problem"] = key.problem
    return out


def segment_json(seg: GinPostingSegment) -> JSONObject:
    return {
        "first_tid": str(seg.first),
        "nbytes": seg.nbytes,
        "ntids": len(seg.tids),
        "tids": [str(t) for t in seg.tids],
        "span": _span(seg.span),
    }


def entry_json(entry: GinEntry) -> JSONObject:
    out: JSONObject = {
        "itemoffset": entry.offnum,
        "lp_off": entry.lp.lp_off,
        "lp_len": entry.lp.lp_len,
        "lp_flags": entry.lp.lp_flags,
        "t_info": entry.t_info,
        "size": entry.size,
        "kind": str(entry.kind),
        "key": key_json(entry.key),
        "span": _span(entry.span),
    }
    if entry.kind == "downlink":
        out["downlink"] = entry.downlink
    elif entry.kind == "posting tree":
        out["posting_tree_root"] = entry.posting_tree
    elif entry.kind == "pending":
        out["heap_tid"] = str(entry.heap_tid)
    else:
        out["compressed"] = entry.compressed
        out["posting_offset"] = entry.posting_offset
        out["nposting"] = entry.nposting
        out["tids"] = [str(t) for t in entry.tids]
        if entry.compressed:
            out["segments"] = [segment_json(s) for s in entry.segments]
    return out


def gin_page_json(page: Page) -> JSONObject | None:
    """The GIN keys of one block's JSON object; None for pages that are not GIN pages."""
    if not isinstance(page, GinPage):
        return None
    out: JSONObject = {}
    info = gin_page_opaque_info(page)
    if info is not None:
        out["gin_page_opaque_info"] = dict(asdict(info), flags=list(info.flags))
    meta_info = gin_metapage_info(page)
    if meta_info is not None:
        out["gin_metapage_info"] = asdict(meta_info)
    items = gin_leafpage_items(page)
    if items is not None:
        out["gin_leafpage_items"] = [dict(asdict(r), tids=list(r.tids)) for r in items]
    own: JSONObject = {
        "page_type": str(page.page_type) if page.page_type is not None else None,
        "opaque": opaque_json(page.opaque) if page.opaque is not None else None,
        "deleted": page.deleted,
        "delete_xid": page.delete_xid,
    }
    if isinstance(page, GinMetaPage):
        own["meta"] = meta_json(page.meta) if page.meta is not None else None
    elif isinstance(page, GinEntryPage):
        own["entries"] = [entry_json(e) for e in page.entries]
    elif isinstance(page, GinDataPage):
        own["right_bound"] = str(page.right_bound) if page.right_bound is not None else None
        if page.posting_items:
            own["posting_items"] = [
                {
                    "child_blkno": it.child_blkno,
                    "key": str(it.key),
                    "infinite": it.infinite,
                    "span": _span(it.span),
                }
                for it in page.posting_items
            ]
        if page.segments:
            own["segments"] = [segment_json(s) for s in page.segments]
        if page.uncompressed is not None:
            own["uncompressed_tids"] = [str(t) for t in page.uncompressed]
        own["ntids"] = len(page.tids)
    out["gin"] = own
    return out


# ----------------------------------------------------------------------------------------------
# text


def _block(value: int) -> str:
    return "InvalidBlockNumber" if value == C.InvalidBlockNumber else str(value)


def _tids(tids: tuple[Any, ...]) -> str:
    shown = " ".join(str(t) for t in tids[:_SHOWN_TIDS])
    return shown + (f" ... ({len(tids)} TIDs)" if len(tids) > _SHOWN_TIDS else "")


def _opaque_rows(opaque: GinPageOpaque) -> Iterator[TextRow]:
    yield 1, f"GinPageOpaqueData ({opaque.page_type})", opaque.span
    for f in opaque.fields():
        if f.name == "rightlink":
            text = f"rightlink: {_block(f.value)}"
        elif f.name == "flags":
            text = f"flags: 0x{f.value:04x} {'|'.join(opaque.flag_names) or '(none)'}"
        else:
            text = f"{f.name}: {f.value}"
        yield 2, text, f.span


def _segment_rows(segments: tuple[GinPostingSegment, ...], indent: int) -> Iterator[TextRow]:
    for n, seg in enumerate(segments, 1):
        yield (
            indent,
            f"segment {n}: first {seg.first}, nbytes {seg.nbytes}, {len(seg.tids)} TIDs: "
            f"{_tids(seg.tids)}",
            seg.span,
        )


def _entry_rows(entry: GinEntry) -> Iterator[TextRow]:
    key = entry.key
    head = f"{entry.offnum:>3} "
    if key.attnum is not None:
        head += f"attnum {key.attnum} "
    head += key.display()
    if key.category == C.GIN_CAT_NORM_KEY and key.kind == "jsonb_path_ops":
        head += " (jsonb_path_ops hash of a path and value)"
    elif key.kind == "untyped" and key.category == C.GIN_CAT_NORM_KEY:
        head += " (untyped)"
    if entry.kind == "downlink":
        yield 2, f"{head} -> block {entry.downlink}", entry.span
    elif entry.kind == "posting tree":
        yield 2, f"{head} -> posting tree root {entry.posting_tree}", entry.span
    elif entry.kind == "pending":
        yield 2, f"{head} heap TID {entry.heap_tid}", entry.span
    else:
        form = "compressed" if entry.compressed else "uncompressed"
        yield 2, f"{head}: {entry.nposting} TIDs ({form}) {_tids(entry.tids)}", entry.span
        if entry.compressed and len(entry.segments) > 1:
            yield from _segment_rows(entry.segments, 3)


def gin_page_rows(page: Page) -> Iterator[TextRow]:
    """Text rows for a GIN page (nothing for other pages)."""
    if not isinstance(page, GinPage):
        return
    if isinstance(page, GinMetaPage) and page.meta is not None:
        yield 1, "GinMetaPageData", page.meta.span
        for f in page.meta.fields():
            value = _block(f.value) if f.name in ("head", "tail") else str(f.value)
            yield 2, f"{f.name}: {value}", f.span
    elif isinstance(page, GinEntryPage):
        yield 1, f"{len(page.entries)} entries", None
        for entry in page.entries:
            yield from _entry_rows(entry)
    elif isinstance(page, GinDataPage):
        if page.right_bound is not None:
            yield 1, f"right bound: {page.right_bound}", Span(24, 30)
        for n, item in enumerate(page.posting_items, 1):
            key = "infinity" if item.infinite else str(item.key)
            yield 2, f"{n:>3} PostingItem -> block {item.child_blkno}, key {key}", item.span
        if page.segments:
            yield 1, f"{len(page.segments)} segments, {len(page.tids)} TIDs", None
            yield from _segment_rows(page.segments, 2)
        if page.uncompressed is not None:
            yield 1, f"uncompressed (pre-9.4): {_tids(page.uncompressed)}", None
    if page.deleted:
        yield 1, f"GIN_DELETED: delete xid {page.delete_xid} (pd_prune_xid)", Span(20, 24)
    if page.opaque is not None:
        yield from _opaque_rows(page.opaque)
