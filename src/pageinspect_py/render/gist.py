"""GiST index output, per page: the JSON keys pageinspect's GiST functions name
(``gist_page_opaque_info``, ``gist_page_items_bytea``, ``gist_page_items``) beside our own
view under ``gist``, and the text rows of the page.

``render/json.py`` merges :func:`gist_page_json` into a block's object and ``render/text.py``
lays out :func:`gist_page_rows`; the field tree (``render/tree.py``) walks the models'
``opaque.fields()`` and ``deleted.fields()`` and the regions' labels.

The pageinspect keys are produced for pages of every major (the values are determined by the
bytes), though the server has these functions from 14 only; ``gist_page_items`` only when the
page was decoded with the index's tuple descriptor (``analysis.giststats.gist_options``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.gist import (
    GistDeletedPage,
    GistItem,
    GistKey,
    GistPage,
    GistPageOpaque,
    gist_page_items,
    gist_page_items_bytea,
    gist_page_opaque_info,
)
from pageinspect_py.decode.page import Page

JSONObject = dict[str, Any]
#: (indent, text, byte range) rows, laid out by render/text.py
TextRow = tuple[int, str, Span | None]


def _span(span: Span | None) -> list[int] | None:
    return None if span is None else [span.start, span.stop]


# ----------------------------------------------------------------------------------------------
# JSON


def opaque_json(opaque: GistPageOpaque) -> JSONObject:
    return {
        "nsn": opaque.nsn_text,
        "rightlink": opaque.rightlink,
        "flags": opaque.flags,
        "gist_page_id": opaque.gist_page_id,
        "flag_names": list(opaque.flag_names),
        "span": _span(opaque.span),
    }


def deleted_json(deleted: GistDeletedPage) -> JSONObject:
    return {
        "deleteXid": deleted.deleteXid,
        "epoch": deleted.epoch,
        "xid": deleted.xid,
        "full": deleted.full,
        "stored_in": "GISTDeletedPageContents" if deleted.full else "pd_prune_xid",
        "span": _span(deleted.span),
    }


def key_json(key: GistKey) -> JSONObject:
    return {
        "attnum": key.attnum,
        "name": key.name,
        "type": key.typname,
        "is_null": key.is_null,
        "text": key.text,
        "data": None if key.is_null else "\\x" + key.raw.hex(),
        "problem": key.problem,
        "span": _span(key.span),
    }


def item_json(item: GistItem, page: GistPage) -> JSONObject:
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
            "downlink": item.downlink,
            "heap_tid": str(item.heap_tid) if item.heap_tid is not None else None,
            "invalid": t.is_invalid,
            "null_bitmap": None if t.null_bitmap is None else t.null_bitmap.hex(),
            "keys": [key_json(k) for k in t.keys],
            "data": None if page.typed else "\\x" + page.data[t.data.start : t.data.stop].hex(),
            "span": [t.offset, t.offset + item.lp.lp_len],
        }
    )
    return out


def gist_page_json(page: Page) -> JSONObject | None:
    """The GiST keys of one block's JSON object; None for pages that are not GiST pages."""
    if not isinstance(page, GistPage):
        return None
    out: JSONObject = {}
    info = gist_page_opaque_info(page)
    if info is not None:
        out["gist_page_opaque_info"] = {**asdict(info), "flags": list(info.flags)}
    rows = gist_page_items_bytea(page)
    if rows is not None:
        out["gist_page_items_bytea"] = [asdict(r) for r in rows]
    items = gist_page_items(page)
    if items is not None:
        out["gist_page_items"] = [asdict(r) for r in items]
    out["gist"] = {
        "page_type": page.page_type,
        "root": page.is_root,
        "typed": page.typed,
        "opaque": opaque_json(page.opaque) if page.opaque is not None else None,
        "deleted": deleted_json(page.deleted) if page.deleted is not None else None,
        "live_items": page.live_items,
        "dead_items": page.dead_items,
        "downlinks": list(page.downlinks),
        "items": [item_json(item, page) for item in page.items],
    }
    return out


# ----------------------------------------------------------------------------------------------
# text


def _block(value: int) -> str:
    return "InvalidBlockNumber" if value == C.InvalidBlockNumber else str(value)


def _opaque_rows(opaque: GistPageOpaque) -> Iterator[TextRow]:
    yield 1, "GISTPageOpaqueData", opaque.span
    for f in opaque.fields():
        if f.name == "nsn":
            text = f"nsn: {opaque.nsn_text}"
        elif f.name == "rightlink":
            text = f"rightlink: {_block(f.value)}"
        elif f.name == "flags":
            text = f"flags: 0x{f.value:04x} {'|'.join(opaque.flag_names) or '-'}"
        elif f.name == "gist_page_id":
            note = " (GIST_PAGE_ID)" if f.value == C.GIST_PAGE_ID else ""
            text = f"gist_page_id: 0x{f.value:04x}{note}"
        else:
            text = f"{f.name}: {f.value}"
        yield 2, text, f.span


def _item_text(item: GistItem, page: GistPage) -> str:
    parts = [f"{item.offnum:>3}"]
    if item.dead:
        parts.append("LP_DEAD")
    t = item.tuple
    if t is None:
        parts.append(f"{item.lp.flags_name}, no tuple")
        return " ".join(parts)
    if item.leaf:
        parts.append(f"heap tid {t.t_tid}")
    elif t.is_invalid:
        parts.append(f"INVALID tuple (downlink block {t.t_tid.block})")
    else:
        parts.append(f"-> block {t.t_tid.block}")
    parts.append(f"size {t.size}")
    if t.keys:
        parts.append(", ".join(f"{k.name}={k.display()}" for k in t.keys))
    elif not page.typed:
        raw = page.data[t.data.start : t.data.stop]
        parts.append(f"untyped keys \\x{raw.hex()}" if raw else "no key bytes")
    return " ".join(parts)


def gist_page_rows(page: Page) -> Iterator[TextRow]:
    """Text rows for a GiST page (nothing for other pages)."""
    if not isinstance(page, GistPage):
        return
    kind = page.page_type + (" (root)" if page.is_root else "")
    yield 1, f"GiST {kind} page", None
    if page.opaque is not None:
        yield from _opaque_rows(page.opaque)
    if page.deleted is not None:
        d = page.deleted
        where = "GISTDeletedPageContents" if d.full else "pd_prune_xid (12)"
        epoch = f" (epoch {d.epoch}, xid {d.xid})" if d.full else ""
        yield 1, f"deleteXid: {d.text}{epoch} in {where}", d.span
    if page.items:
        yield (
            1,
            f"items: {len(page.items)} ({page.dead_items} LP_DEAD)"
            + ("" if page.typed else ", keys untyped (no index description)"),
            None,
        )
    for item in page.items:
        span = item.lp.item_span if item.tuple is not None else None
        yield 2, _item_text(item, page), span
        if item.tuple is not None:
            for key in item.tuple.keys:
                if key.problem is not None:
                    yield 3, f"{key.name}: {key.problem}", key.span
