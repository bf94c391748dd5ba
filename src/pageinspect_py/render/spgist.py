"""SP-GiST index output, per page: JSON keys named after spgist_private.h (pageinspect has no
SP-GiST functions) and the text rows.

``render/json.py`` merges :func:`spgist_page_json` into a block's object and ``render/text.py``
lays out :func:`spgist_page_rows`. Keys:

* ``spgist_metapage`` -- SpGistMetaPageData: ``magicNumber``, ``cachedPage`` (``index``,
  ``role``, ``blkno``, ``freeSpace``);
* ``spgist_page_opaque`` -- ``flags``, ``flag_names`` (META, DELETED, LEAF, NULLS),
  ``nRedirection``, ``nPlaceholder``, ``spgist_page_id``;
* ``spgist_inner_tuples`` / ``spgist_leaf_tuples`` / ``spgist_dead_tuples`` -- one object per
  tuple (``offset`` is its line pointer number) with ``tupstate`` by name, ``size``, the
  header fields, datums as text (``prefix``, node ``label``, ``datum``) and downlinks /
  pointers as ctid-like text ``(block,offset)``;
* ``spgist`` -- our own view: page type, opclass, byte spans.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pageinspect_py import constants as C
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.page import Page
from pageinspect_py.decode.spgist import (
    SpGistDatum,
    SpGistDeadTuple,
    SpGistInnerTuple,
    SpGistLeafTuple,
    SpGistPage,
    SpGistPageOpaque,
    tid_text,
)

JSONObject = dict[str, Any]
#: (indent, text, byte range) rows, laid out by render/text.py
TextRow = tuple[int, str, Span | None]


def _span(span: Span | None) -> list[int] | None:
    return None if span is None else [span.start, span.stop]


def _datum(datum: SpGistDatum | None) -> JSONObject | None:
    if datum is None:
        return None
    return {
        "type": datum.typname,
        "text": datum.text,
        "hex": datum.raw.hex() if datum.text is None else None,
        "span": _span(datum.span),
    }


def opaque_json(opaque: SpGistPageOpaque) -> JSONObject:
    return {
        "flags": opaque.flags,
        "flag_names": list(opaque.flag_names),
        "nRedirection": opaque.nRedirection,
        "nPlaceholder": opaque.nPlaceholder,
        "spgist_page_id": opaque.spgist_page_id,
    }


def inner_json(t: SpGistInnerTuple) -> JSONObject:
    return {
        "offset": t.offnum,
        "tupstate": t.state,
        "allTheSame": t.allTheSame,
        "nNodes": t.nNodes,
        "prefixSize": t.prefixSize,
        "size": t.size,
        "prefix": t.prefix.shown if t.prefix is not None else None,
        "nodes": [
            {
                "node": n.index,
                "downlink": tid_text(n.t_tid),
                "t_info": n.t_info,
                "label_isnull": n.label_isnull,
                "label": n.label.shown if n.label is not None else None,
            }
            for n in t.nodes
        ],
    }


def leaf_json(t: SpGistLeafTuple) -> JSONObject:
    old = t.major is not None and t.major < C.SPGIST_LEAF_T_INFO_MAJOR
    out: JSONObject = {
        "offset": t.offnum,
        "tupstate": t.state,
        "size": t.size,
        "nextOffset": t.nextOffset,
        "heapPtr": tid_text(t.heapPtr),
        "isnull": t.isnull,
        "datum": t.datum.shown if t.datum is not None else None,
    }
    if not old:
        out["t_info"] = t.t_info
        out["hasNullMask"] = t.hasNullMask
    return out


def dead_json(t: SpGistDeadTuple) -> JSONObject:
    return {
        "offset": t.offnum,
        "tupstate": t.state,
        "size": t.size,
        "pointer": tid_text(t.pointer) if t.is_redirect else None,
        "xid": t.xid,
    }


def spgist_page_json(page: Page) -> JSONObject | None:
    """The page's SP-GiST keys, None for a page that is not a decoded SP-GiST page."""
    if not isinstance(page, SpGistPage):
        return None
    out: JSONObject = {}
    own: JSONObject = {"page_type": str(page.page_type), "opclass": page.opclass}
    if page.opaque is not None:
        out["spgist_page_opaque"] = opaque_json(page.opaque)
        own["opaque_span"] = _span(page.opaque.span)
    if page.meta is not None:
        out["spgist_metapage"] = {
            "magicNumber": page.meta.magicNumber,
            "cachedPage": [
                {"index": c.index, "role": c.role, "blkno": c.blkno, "freeSpace": c.freeSpace}
                for c in page.meta.cachedPage
            ],
        }
        own["metapage_span"] = _span(page.meta.span)
        out["spgist"] = own
        return out
    out["spgist_inner_tuples"] = [inner_json(t) for t in page.inner_tuples]
    out["spgist_leaf_tuples"] = [leaf_json(t) for t in page.leaf_tuples]
    out["spgist_dead_tuples"] = [dead_json(t) for t in page.dead_tuples]
    spans: list[JSONObject] = []
    for t in page.tuples():
        row: JSONObject = {"offset": t.offnum, "span": [t.offset, t.offset + t.lp.lp_len]}
        if isinstance(t, SpGistInnerTuple):
            row["prefix"] = _datum(t.prefix)
            row["nodes"] = [{"span": _span(n.span), "label": _datum(n.label)} for n in t.nodes]
        elif isinstance(t, SpGistLeafTuple):
            row["datum"] = _datum(t.datum)
            if t.included is not None:
                row["included"] = _span(t.included)
        spans.append(row)
    own["tuples"] = spans
    out["spgist"] = own
    return out


# ----------------------------------------------------------------------------------------------
# text


def _opaque_rows(opaque: SpGistPageOpaque) -> Iterator[TextRow]:
    yield 1, "SpGistPageOpaqueData", opaque.span
    for f in opaque.fields():
        if f.name == "flags":
            text = f"flags: 0x{f.value:04x} {'|'.join(opaque.flag_names) or 'inner'}"
        elif f.name == "spgist_page_id":
            text = f"spgist_page_id: 0x{f.value:04x}"
        else:
            text = f"{f.name}: {f.value}"
        yield 2, text, f.span


def _inner_text(t: SpGistInnerTuple) -> str:
    parts = [f"{t.offnum:>3} inner {t.state}", f"nNodes {t.nNodes}"]
    if t.allTheSame:
        parts.append("allTheSame")
    parts.append(f"prefix {t.prefix.shown}" if t.prefix is not None else "no prefix")
    return " ".join(parts)


def spgist_page_rows(page: Page) -> Iterator[TextRow]:
    """The text rows of a decoded SP-GiST page (nothing for other pages)."""
    if not isinstance(page, SpGistPage):
        return
    if page.meta is not None:
        yield 1, "SpGistMetaPageData", page.meta.span
        yield 2, f"magicNumber: 0x{page.meta.magicNumber:08x}", page.meta.fields()[0].span
        for c in page.meta.cachedPage:
            block = "InvalidBlockNumber" if not c.in_use else str(c.blkno)
            yield (
                2,
                f"cachedPage[{c.index}] ({c.role}): blkno {block}, freeSpace {c.freeSpace}",
                c.span,
            )
    if page.opaque is not None:
        yield from _opaque_rows(page.opaque)
    if page.meta is not None:
        return
    tuples = page.tuples()
    if tuples:
        kind = "nulls " if page.stores_nulls else ""
        yield 1, f"{kind}{page.page_type} tuples: {len(tuples)}", None
    for t in tuples:
        span = Span(t.offset, t.offset + t.lp.lp_len)
        if isinstance(t, SpGistInnerTuple):
            yield 2, _inner_text(t), span
            for n in t.nodes:
                label = n.label.shown if n.label is not None else "-"
                yield 3, f"node {n.index}: downlink {tid_text(n.t_tid)} label {label}", n.span
        elif isinstance(t, SpGistLeafTuple):
            value = "NULL" if t.isnull else (t.datum.shown if t.datum is not None else "-")
            yield (
                2,
                f"{t.offnum:>3} leaf {t.state} heapPtr {tid_text(t.heapPtr)} nextOffset "
                f"{t.nextOffset} datum {value}",
                span,
            )
        else:
            where = f" -> {tid_text(t.pointer)} xid {t.xid}" if t.is_redirect else ""
            yield 2, f"{t.offnum:>3} {t.state}{where}", span
