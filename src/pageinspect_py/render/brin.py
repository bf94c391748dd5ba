"""BRIN index output, per page: the JSON keys pageinspect's BRIN functions name
(``brin_page_type``, ``brin_metapage_info``, ``brin_revmap_data``, ``brin_page_items``)
beside our own view under ``brin``, and the text rows of the page.

``render/json.py`` merges :func:`brin_page_json` into a block's object and ``render/text.py``
lays out :func:`brin_page_rows`; the field tree (``render/tree.py``) walks the models'
``special.fields()``, ``meta.fields()``, revmap entries' and tuples' ``fields()`` and the
regions' labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from pageinspect_py.decode.brin import (
    BrinColumn,
    BrinItem,
    BrinMetaPage,
    BrinPage,
    BrinRegularPage,
    BrinRevmapPage,
    BrinSpecial,
    brin_metapage_info,
    brin_page_items_rows,
    brin_page_type,
    brin_revmap_data,
)
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.page import Page

JSONObject = dict[str, Any]
#: (indent, text, byte range) rows, laid out by render/text.py
TextRow = tuple[int, str, Span | None]


def _span(span: Span | None) -> list[int] | None:
    return None if span is None else [span.start, span.stop]


# ----------------------------------------------------------------------------------------------
# JSON


def special_json(special: BrinSpecial) -> JSONObject:
    return {
        "vector": list(special.vector),
        "page_type": special.page_type,
        "type_name": special.type_name,
        "flags": special.flags,
        "flag_names": list(special.flag_names),
        "evacuate": special.evacuate,
        "span": _span(special.span),
    }


def column_json(column: BrinColumn) -> JSONObject:
    return {
        "attnum": column.attnum,
        "attname": column.attname,
        "opclass": column.opclass,
        "family": str(column.family),
        "allnulls": column.allnulls,
        "hasnulls": column.hasnulls,
        "values": [
            {
                "name": v.name,
                "type": v.typname,
                "text": v.text,
                "raw": None if v.text is not None else v.raw.hex(),
                "span": _span(v.span),
                "problem": v.problem,
            }
            for v in column.values
        ],
        "value": column.value_text,
        "problem": column.problem,
    }


def item_json(item: BrinItem) -> JSONObject:
    out: JSONObject = {
        "itemoffset": item.offnum,
        "lp_off": item.lp.lp_off,
        "lp_flags": item.lp.lp_flags,
        "lp_len": item.lp.lp_len,
    }
    t = item.tuple
    if t is None:
        return out
    out.update(
        {
            "bt_blkno": t.bt_blkno,
            "bt_info": t.bt_info,
            "bt_info_flags": list(t.info_names),
            "data_offset": t.data_offset,
            "placeholder": t.placeholder,
            "empty_range": t.empty_range,
            "null_bitmap": t.null_bitmap.hex() if t.null_bitmap is not None else None,
            "columns": None if t.columns is None else [column_json(c) for c in t.columns],
            "span": _span(t.span),
        }
    )
    return out


def brin_page_json(page: Page) -> JSONObject | None:
    """The BRIN keys of one block's JSON object; None for pages that are not BRIN pages."""
    if not isinstance(page, BrinPage):
        return None
    out: JSONObject = {"brin_page_type": brin_page_type(page)}
    own: JSONObject = {
        "special": special_json(page.special) if page.special is not None else None,
    }
    if isinstance(page, BrinMetaPage):
        info = brin_metapage_info(page)
        if info is not None:
            out["brin_metapage_info"] = asdict(info)
        m = page.meta
        own["meta"] = (
            None
            if m is None
            else {
                "brinMagic": m.brinMagic,
                "brinVersion": m.brinVersion,
                "pagesPerRange": m.pagesPerRange,
                "lastRevmapPage": m.lastRevmapPage,
                "span": _span(m.span),
            }
        )
    elif isinstance(page, BrinRevmapPage):
        tids = brin_revmap_data(page)
        if tids is not None:
            out["brin_revmap_data"] = list(tids)
        own["revmap_index"] = page.revmap_index
        own["slots"] = len(page.entries)
        own["ranges"] = [
            {
                "slot": e.slot,
                "tid": str(e.tid),
                "range_index": e.range_index,
                "first_block": e.first_block,
            }
            for e in page.summarized()
        ]
    elif isinstance(page, BrinRegularPage):
        rows = brin_page_items_rows(page)
        if rows is not None:
            out["brin_page_items"] = rows
        own["items"] = [item_json(item) for item in page.items]
    out["brin"] = own
    return out


# ----------------------------------------------------------------------------------------------
# text


def _special_rows(special: BrinSpecial) -> Iterator[TextRow]:
    yield 1, "BrinSpecialSpace", special.span
    for f in special.fields():
        if f.name == "BrinPageType":
            text = f"BrinPageType: 0x{f.value:04x} ({special.type_name})"
        elif f.name == "BrinPageFlags":
            names = "|".join(special.flag_names) or "none"
            text = f"BrinPageFlags: 0x{f.value:04x} ({names})"
        else:
            text = f"{f.name}: {f.value}"
        yield 2, text, f.span


def _column_text(column: BrinColumn) -> str:
    nulls = []
    if column.allnulls:
        nulls.append("allnulls")
    if column.hasnulls:
        nulls.append("hasnulls")
    flags = f" [{', '.join(nulls)}]" if nulls else ""
    head = f"attnum {column.attnum} {column.attname} ({column.opclass or 'opclass ?'}){flags}"
    if column.problem is not None:
        return f"{head}: {column.problem}"
    if column.allnulls:
        return head
    return f"{head}: " + ", ".join(f"{v.name} {v.display()}" for v in column.values)


def brin_page_rows(page: Page) -> Iterator[TextRow]:
    """Text rows for a BRIN page (nothing for other pages)."""
    if not isinstance(page, BrinPage):
        return
    if isinstance(page, BrinMetaPage) and page.meta is not None:
        m = page.meta
        yield 1, "BrinMetaPageData", m.span
        for f in m.fields():
            text = f"{f.name}: 0x{f.value:08X}" if f.name == "brinMagic" else f"{f.name}: {f.value}"
            yield 2, text, f.span
    elif isinstance(page, BrinRevmapPage):
        summarized = page.summarized()
        where = f" (revmap page {page.revmap_index})" if page.revmap_index is not None else ""
        yield (
            1,
            f"range map{where}: {len(summarized)} of {len(page.entries)} slots summarized",
            None,
        )
        for e in summarized:
            blocks = f" heap blocks from {e.first_block}" if e.first_block is not None else ""
            number = f" range {e.range_index}" if e.range_index is not None else ""
            yield 2, f"rm_tids[{e.slot}] {e.tid}{number}{blocks}", e.span
    elif isinstance(page, BrinRegularPage):
        yield 1, f"items: {len(page.items)}", None
        for item in page.items:
            t = item.tuple
            if t is None:
                yield 2, f"{item.offnum:>3} {item.lp.flags_name}, no tuple", None
                continue
            flags = f" {'|'.join(t.info_names)}" if t.info_names else ""
            yield (
                2,
                f"{item.offnum:>3} bt_blkno {t.bt_blkno} bt_info 0x{t.bt_info:02x}{flags} "
                f"(data at {t.data_offset})",
                t.span,
            )
            for column in t.columns or ():
                span = None
                spans = [v.span for v in column.values if v.span is not None]
                if spans:
                    span = Span(spans[0].start, spans[-1].stop)
                yield 3, _column_text(column), span
    if page.special is not None:
        yield from _special_rows(page.special)
