"""JSON output: one object per block, keyed with pageinspect's own column names.

Values are what pageinspect returns, except: bytea as lowercase hex without ``\\x``, tids as
``"(b,o)"``, xids as integers, checksums as signed int16 (``smallint``). Keys of our own
(``regions``, ``diagnostics``, flag names, spans) sit beside them; a heap tuple of a data
directory's relation has its ``visibility`` verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pageinspect_py.analysis.visibility import Visibility
from pageinspect_py.decode.common import Diagnostic, Region, Span
from pageinspect_py.decode.dispatch import FsmPage, VmPage
from pageinspect_py.decode.heap import HeapItem, HeapPage, HeapTuple
from pageinspect_py.decode.page import Page, PageHeader
from pageinspect_py.decode.tuple import PageValues
from pageinspect_py.page.checksum import as_int16
from pageinspect_py.render.attributes import page_values_json, tuple_values_json
from pageinspect_py.render.brin import brin_page_json
from pageinspect_py.render.btree import btree_page_json
from pageinspect_py.render.gin import gin_page_json
from pageinspect_py.render.gist import gist_page_json
from pageinspect_py.render.hash import hash_page_json
from pageinspect_py.render.spgist import spgist_page_json

JSONObject = dict[str, Any]


def page_header_json(header: PageHeader) -> JSONObject:
    """The columns of ``page_header()``."""
    return {
        "lsn": header.lsn,
        "checksum": as_int16(header.pd_checksum),
        "flags": header.pd_flags,
        "lower": header.pd_lower,
        "upper": header.pd_upper,
        "special": header.pd_special,
        "pagesize": header.pagesize,
        "version": header.version,
        "prune_xid": header.pd_prune_xid,
        "flag_names": list(header.flag_names),
    }


def span_json(span: Span | None) -> list[int] | None:
    return None if span is None else [span.start, span.stop]


def heap_item_json(item: HeapItem) -> JSONObject:
    """The columns of ``heap_page_items()`` with ``heap_tuple_infomask_flags()`` beside them."""
    lp = item.lp
    out: JSONObject = {
        "lp": lp.lp,
        "lp_off": lp.lp_off,
        "lp_flags": lp.lp_flags,
        "lp_len": lp.lp_len,
        "t_xmin": None,
        "t_xmax": None,
        "t_field3": None,
        "t_ctid": None,
        "t_infomask2": None,
        "t_infomask": None,
        "t_hoff": None,
        "t_bits": None,
        "t_oid": None,
        "t_data": None,
        "heap_tuple_infomask_flags": None,
        "lp_flags_name": lp.flags_name,
        "redirect_to": lp.redirect_target,
    }
    if item.tuple is not None:
        out.update(_tuple_json(item.tuple))
    return out


def _tuple_json(tup: HeapTuple) -> JSONObject:
    h = tup.header
    return {
        "t_xmin": h.t_xmin,
        "t_xmax": h.t_xmax,
        "t_field3": h.t_field3,
        "t_ctid": str(h.t_ctid),
        "t_infomask2": h.t_infomask2,
        "t_infomask": h.t_infomask,
        "t_hoff": h.t_hoff,
        "t_bits": tup.t_bits,
        "t_oid": tup.t_oid,
        "t_data": tup.t_data.hex() if tup.t_data is not None else None,
        "heap_tuple_infomask_flags": {
            "raw_flags": list(h.raw_flags),
            "combined_flags": list(h.combined_flags),
        },
        "natts": h.natts,
        "spans": {"tuple": span_json(tup.span), "data": span_json(tup.data_span)},
    }


def visibility_json(verdict: Visibility) -> JSONObject:
    """A tuple's verdict without a server (analysis/visibility.py)."""
    return {
        "verdict": str(verdict.verdict),
        "visible": verdict.visible,
        "xmin_status": str(verdict.xmin_status),
        "xmax_status": str(verdict.xmax_status),
        "reason": verdict.reason,
    }


def region_json(region: Region) -> JSONObject:
    out: JSONObject = {
        "kind": str(region.kind),
        "start": region.span.start,
        "stop": region.span.stop,
    }
    if region.item is not None:
        out["lp"] = region.item
    if region.label:
        out["label"] = region.label
    return out


def diagnostic_json(diagnostic: Diagnostic) -> JSONObject:
    return {
        "severity": str(diagnostic.severity),
        "code": diagnostic.code,
        "message": diagnostic.message,
        "span": span_json(diagnostic.span),
    }


def page_json(
    page: Page,
    *,
    heap_blocks: int | None = None,
    values: PageValues | None = None,
    visibility: Mapping[int, Visibility] | None = None,
) -> JSONObject:
    """One block as a JSON object. ``heap_blocks`` bounds the VM entries listed; ``values``
    (attributes decoded with a relation description) adds ``values`` and ``attributes`` to
    each heap item and the attribute padding total to the page; ``visibility`` (verdicts by
    line pointer) adds ``visibility`` to each heap item that has one."""
    computed = page.checksum.computed
    out: JSONObject = {
        "block": page.blkno,
        "fork": page.fork,
        "kind": str(page.kind),
        "origin": page.origin,
        "page_header": page_header_json(page.header),
        "page_checksum": as_int16(computed) if computed is not None else None,
        "checksum_status": str(page.checksum.status),
    }
    if isinstance(page, HeapPage):
        out["heap_page_items"] = [heap_item_json(item) for item in page.items]
        if values is not None:
            for item_json in out["heap_page_items"]:
                tv = values.for_lp(item_json["lp"])
                if tv is not None:
                    item_json.update(tuple_values_json(tv))
            out.update(page_values_json(values))
        if visibility is not None:
            for item_json in out["heap_page_items"]:
                verdict = visibility.get(item_json["lp"])
                if verdict is not None:
                    item_json["visibility"] = visibility_json(verdict)
    elif isinstance(page, FsmPage) and page.fsm is not None:
        out["fsm_page_contents"] = page.fsm.contents_text()
        out["fsm"] = {
            "level": page.fsm.level,
            "logpageno": page.fsm.logpageno,
            "fp_next_slot": page.fsm.fp_next_slot,
            "leaves": [
                {
                    "slot": leaf.slot,
                    "category": leaf.category,
                    "heap_block": leaf.heap_block,
                    "free_bytes_at_least": leaf.free_bytes_at_least,
                }
                for leaf in page.fsm.leaves()
                if leaf.category
            ],
        }
    elif isinstance(page, VmPage) and page.vm is not None:
        out["pg_visibility_map"] = [
            {"blkno": e.blkno, "all_visible": e.all_visible, "all_frozen": e.all_frozen}
            for e in page.vm.entries(heap_blocks)
        ]
    elif btree := btree_page_json(page):
        out.update(btree)
    elif (hashed := hash_page_json(page)) is not None:
        out.update(hashed)
    elif (am := _access_method_json(page)) is not None:
        out.update(am)
    elif page.line_pointers:
        out["line_pointers"] = [
            {"lp": lp.lp, "lp_off": lp.lp_off, "lp_flags": lp.lp_flags, "lp_len": lp.lp_len}
            for lp in page.line_pointers
        ]
    out["regions"] = [region_json(r) for r in page.regions]
    out["diagnostics"] = [diagnostic_json(d) for d in page.diagnostics]
    return out


def _access_method_json(page: Page) -> dict[str, Any] | None:
    """The pageinspect keys of a GIN, GiST, SP-GiST or BRIN page (render/<am>.py)."""
    for render in (gin_page_json, gist_page_json, spgist_page_json, brin_page_json):
        if (keys := render(page)) is not None:
            return keys
    return None
