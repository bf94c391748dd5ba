"""Btree output: pages (``bt_metap``, ``bt_page_stats``, ``bt_page_items`` with pageinspect
14+ column names, plus our own keys) and whole-index reports for ``pgpage btree``.

``render/json.py`` and ``render/text.py`` call into this module for btree pages; the
``pgpage btree`` command uses :func:`index_report_json` / :func:`index_report_text`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from pageinspect_py import constants as C
from pageinspect_py.analysis.btree import (
    BtreeIndex,
    BtreeStatistics,
    Finding,
    LevelStats,
    PathStep,
)
from pageinspect_py.decode.btree import (
    BtItemKind,
    BTPageOpaque,
    BtreeItem,
    BtreeMetaPage,
    BtreePage,
    hex_spaced,
)
from pageinspect_py.decode.btree.keys import KeyValue
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.page import Page

if TYPE_CHECKING:
    from pageinspect_py.app.btree import FindReport

JSONObject = dict[str, Any]
#: (indent, text, byte range) rows, laid out by render/text.py
TextRow = tuple[int, str, Span | None]


def _span(span: Span | None) -> list[int] | None:
    return None if span is None else [span.start, span.stop]


def _number(value: float) -> float | str:
    """JSON has no NaN: pgstatindex's NaN becomes the string "NaN" (as PostgreSQL prints)."""
    return "NaN" if math.isnan(value) else value


# ----------------------------------------------------------------------------------------------
# JSON, per page


def opaque_json(opaque: BTPageOpaque) -> JSONObject:
    return {
        "btpo_prev": opaque.btpo_prev,
        "btpo_next": opaque.btpo_next,
        "btpo_level": opaque.btpo_level,
        "btpo_xact": opaque.xact,
        "btpo_flags": opaque.btpo_flags,
        "btpo_cycleid": opaque.btpo_cycleid,
        "flag_names": list(opaque.flag_names),
        "span": [opaque.offset, opaque.offset + C.SizeOfBTPageOpaqueData],
    }


def key_json(key: KeyValue) -> JSONObject:
    out: JSONObject = {
        "attnum": key.attnum,
        "name": key.name,
        "null": key.is_null,
        "value": None if key.is_null else key.display(),
        "span": _span(key.span),
    }
    if key.problem:
        out["problem"] = key.problem
    return out


def item_json(page: BtreePage, item: BtreeItem) -> JSONObject:
    """Our own view of one item, beside pageinspect's columns."""
    h = item.header
    out: JSONObject = {
        "itemoffset": item.offnum,
        "kind": str(item.kind),
        "lp_off": item.lp.lp_off,
        "lp_flags": item.lp.lp_flags,
        "lp_len": item.lp.lp_len,
        "dead": item.dead,
        "span": _span(item.span),
    }
    if h is None:
        return out
    out.update(
        {
            "t_tid": str(h.t_tid),
            "t_info": h.t_info,
            "t_info_flags": list(h.info_names),
            "size": h.size,
            "t_bits": item.t_bits,
            "natts": item.natts,
            "downlink": item.downlink,
            "heap_tid": str(item.heap_tid) if item.heap_tid is not None else None,
            "heap_tid_span": _span(item.heap_tid_span),
            "posting_count": len(item.posting) if h.is_posting else None,
            "posting_span": _span(item.posting_span),
            "key_span": _span(item.key_span),
            "key_bytes": item.key_span.length if item.key_span is not None else 0,
        }
    )
    if item.top_parent is not None:
        out["top_parent"] = item.top_parent
    if item.keys is not None:
        out["keys"] = [key_json(k) for k in item.keys]
    return out


def btree_page_json(page: Page) -> JSONObject:
    """The btree keys of one block's JSON object (empty for other pages)."""
    if isinstance(page, BtreeMetaPage):
        metap = page.pageinspect_meta()
        meta = page.meta
        return {
            "bt_metap": asdict(metap) if metap is not None else None,
            "btree": {
                "meta": {f.name: f.value for f in meta.fields()} if meta else None,
                "meta_span": _span(meta.span) if meta else None,
                "opaque": opaque_json(page.opaque) if page.opaque else None,
            },
        }
    if not isinstance(page, BtreePage):
        return {}
    stats = asdict(page.stats())
    rows = []
    for row in page.pageinspect_items():
        value = asdict(row)
        if value["tids"] is not None:
            value["tids"] = list(value["tids"])
        rows.append(value)
    btree: JSONObject = {
        "type": page.page_type,
        "opaque": opaque_json(page.opaque) if page.opaque else None,
        "items": [item_json(page, item) for item in page.items],
    }
    if page.deleted is not None:
        btree["deleted"] = {
            "safexid": page.deleted.safexid,
            "epoch": page.deleted.epoch,
            "xid": page.deleted.xid,
            "span": _span(page.deleted.span),
        }
    return {"bt_page_stats": stats, "bt_page_items": rows, "btree": btree}


# ----------------------------------------------------------------------------------------------
# text, per page

#: how an item's kind is named to people (the text report and the TUI)
ITEM_KIND_TEXT = {
    BtItemKind.HIGH_KEY: "high key",
    BtItemKind.MINUS_INFINITY: "-inf",
    BtItemKind.PIVOT: "pivot",
    BtItemKind.LEAF: "leaf",
    BtItemKind.POSTING: "posting",
    BtItemKind.NO_STORAGE: "no storage",
    BtItemKind.UNDECODABLE: "undecodable",
}
_DATA_CHARS = 36


def _short_hex(data: bytes) -> str:
    text = hex_spaced(data)
    return text if len(text) <= _DATA_CHARS else text[: _DATA_CHARS - 3].rstrip() + "..."


def _opaque_rows(opaque: BTPageOpaque) -> Iterator[TextRow]:
    yield 1, "BTPageOpaqueData", Span(opaque.offset, opaque.offset + C.SizeOfBTPageOpaqueData)
    notes = {
        "btpo_prev": " (leftmost)" if opaque.is_leftmost else "",
        "btpo_next": " (rightmost)" if opaque.is_rightmost else "",
        "btpo_level": (" (btpo.xact of a pre-14 deleted page)" if opaque.xact is not None else ""),
    }
    for f in opaque.fields():
        if f.name == "btpo_flags":
            text = f"btpo_flags: 0x{f.value:04x} {'|'.join(opaque.flag_names)}".rstrip()
        else:
            text = f"{f.name}: {f.value}{notes.get(f.name, '')}"
        yield 2, text, f.span


def _item_text(page: BtreePage, item: BtreeItem) -> str:
    parts = [f"{item.offnum:>3} {ITEM_KIND_TEXT[item.kind]}"]
    if item.dead:
        parts.append("LP_DEAD")
    h = item.header
    if h is None:
        return " ".join(parts)
    if item.downlink is not None:
        parts.append(f"-> {item.downlink}")
    if item.natts is not None and item.kind is not BtItemKind.MINUS_INFINITY:
        parts.append(f"natts {item.natts}")
    if item.kind is BtItemKind.POSTING and item.posting:
        parts.append(f"{len(item.posting)} TIDs {item.posting[0]}..{item.posting[-1]}")
    elif item.heap_tid is not None:
        parts.append(f"htid {item.heap_tid}")
    if item.top_parent is not None:
        parts.append(f"top parent {item.top_parent}")
    if item.keys is not None:
        parts.append("(" + ", ".join(k.display() for k in item.keys) + ")")
    elif item.key_span is not None and item.key_span.length:
        parts.append(_short_hex(page.key_bytes(item)))
    return " ".join(parts)


def btree_page_rows(page: Page) -> Iterator[TextRow]:
    """Text rows for a btree page or metapage (nothing for other pages)."""
    if isinstance(page, BtreeMetaPage):
        if page.meta is not None:
            yield 1, "BTMetaPageData", page.meta.span
            for f in page.meta.fields():
                yield 2, f"{f.name}: {f.value}", f.span
        if page.opaque is not None:
            yield from _opaque_rows(page.opaque)
        return
    if not isinstance(page, BtreePage):
        return
    if page.opaque is not None:
        yield from _opaque_rows(page.opaque)
    s = page.stats()
    yield (
        1,
        f"bt_page_stats: type {s.type}, live_items {s.live_items}, dead_items "
        f"{s.dead_items}, avg_item_size {s.avg_item_size}, free_size {s.free_size}",
        None,
    )
    if page.deleted is not None:
        d = page.deleted
        yield 1, f"BTDeletedPageData: safexid {d.safexid} (epoch {d.epoch}, xid {d.xid})", d.span
    if page.items:
        yield 1, f"items: {len(page.items)}", None
    for item in page.items:
        yield 2, _item_text(page, item), item.span or item.lp.item_span


# ----------------------------------------------------------------------------------------------
# whole-index reports


def _level_json(level: LevelStats) -> JSONObject:
    out = asdict(level)
    out["fill"] = round(level.fill, 4)
    return out


def statistics_json(stats: BtreeStatistics) -> JSONObject:
    widths = stats.key_widths
    pg = asdict(stats.pgstatindex)
    pg["avg_leaf_density"] = _number(pg["avg_leaf_density"])
    pg["leaf_fragmentation"] = _number(pg["leaf_fragmentation"])
    return {
        "pgstatindex": pg,
        "pgstatindex_as_of_major": stats.pgstatindex_major,
        "levels": [_level_json(level) for level in stats.levels],
        "new_pages": stats.new_pages,
        "deleted_pages_leaf": stats.deleted_pages_leaf,
        "deleted_pages_internal": stats.deleted_pages_internal,
        "posting_tuple_share": stats.posting_tuple_share,
        "posting_tid_share": stats.posting_tid_share,
        "dedup_saved_bytes": stats.dedup_saved_bytes,
        "dead_items": stats.dead_items,
        "free_bytes": stats.free_bytes,
        "padding_bytes": stats.padding_bytes,
        "key_widths": {
            "tuples": widths.tuples,
            "min": widths.counts[0][0] if widths.counts else None,
            "p50": widths.percentile(50),
            "p90": widths.percentile(90),
            "max": widths.counts[-1][0] if widths.counts else None,
            "mean": widths.mean,
            "counts": [[w, n] for w, n in widths.counts],
        },
    }


def finding_json(finding: Finding) -> JSONObject:
    return {
        "severity": str(finding.severity),
        "code": finding.code,
        "block": finding.block,
        "item": finding.item,
        "message": finding.message,
    }


def index_report_json(
    tree: BtreeIndex, stats: BtreeStatistics, findings: Sequence[Finding]
) -> JSONObject:
    meta = tree.meta
    return {
        "index": tree.name,
        "nblocks": tree.nblocks,
        "bt_metap": None
        if meta is None
        else {
            "magic": meta.btm_magic,
            "version": meta.btm_version,
            "root": meta.btm_root,
            "level": meta.btm_level,
            "fastroot": meta.btm_fastroot,
            "fastlevel": meta.btm_fastlevel,
        },
        "root": tree.root(),
        "fast_root": tree.fast_root(),
        "pages_per_level": {str(k): len(v) for k, v in tree.levels().items()},
        "levels_pages": {str(k): list(v) for k, v in tree.levels().items()},
        **statistics_json(stats),
        "findings": [finding_json(f) for f in findings],
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def index_report_text(tree: BtreeIndex, stats: BtreeStatistics, findings: Sequence[Finding]) -> str:
    lines = [f"btree index {tree.name}: {tree.nblocks} blocks"]
    meta = tree.meta
    if meta is not None:
        lines.append(
            f"  metapage: version {meta.btm_version}, root {meta.btm_root} (level "
            f"{meta.btm_level}), fast root {meta.btm_fastroot} (level "
            f"{meta.btm_fastlevel})"
        )
    pg = stats.pgstatindex
    lines.append(f"  pgstatindex (as PostgreSQL {stats.pgstatindex_major} computes it):")
    for name, value in asdict(pg).items():
        lines.append(f"    {name:<20} {value}")
    lines.append("  levels:")
    lines.append("    level  pages  items   dead  posting  heap TIDs   free B  padding B  fill")
    for lv in stats.levels:
        lines.append(
            f"    {lv.level:>5} {lv.pages:>6} {lv.items:>6} {lv.dead_items:>6} "
            f"{lv.posting_tuples:>8} {lv.heap_tids:>10} {lv.free_bytes:>8} "
            f"{lv.padding_bytes:>10} {lv.fill * 100:>5.1f}%"
        )
    lines.append(
        f"  other pages: {stats.new_pages} new, {stats.deleted_pages_leaf} deleted "
        f"leaf, {stats.deleted_pages_internal} deleted internal"
    )
    lines.append(
        f"  deduplication: {_pct(stats.posting_tuple_share)} of leaf tuples are "
        f"posting lists holding {_pct(stats.posting_tid_share)} of heap TIDs; "
        f"{stats.dedup_saved_bytes} bytes saved"
    )
    w = stats.key_widths
    if w.counts:
        lines.append(
            f"  key widths (leaf): min {w.counts[0][0]}, median {w.percentile(50)}, "
            f"p90 {w.percentile(90)}, max {w.counts[-1][0]} bytes over {w.tuples} "
            "tuples"
        )
    levels = tree.levels()
    lines.append("  pages per level (sibling order):")
    for level, pages in levels.items():
        shown = ", ".join(map(str, pages[:12])) + (" ..." if len(pages) > 12 else "")
        lines.append(f"    {level}: {len(pages)} ({shown})")
    if findings:
        lines.append(f"  findings: {len(findings)}")
        lines.extend(f"    {f.describe()}" for f in findings)
    else:
        lines.append("  findings: none")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# pgpage btree --find


def _step_json(step: PathStep) -> JSONObject:
    return {
        "blkno": step.blkno,
        "level": step.level,
        "offnum": step.offnum,
        "found": step.found,
        "moved_right": step.moved_right,
    }


def find_report_json(report: FindReport, text: str) -> JSONObject:
    """``btree --find``: the path, the equal keys with their heap TIDs, the blocks read."""
    meta = report.meta
    return {
        "index": report.name,
        "find": text,
        "root": meta.btm_root if meta is not None else None,
        "tree_level": meta.btm_level if meta is not None else None,
        "path": [_step_json(step) for step in report.path],
        "found": report.found,
        "matches": [
            {"block": m.blkno, "item": m.offnum, "heap_tids": [str(t) for t in m.heap_tids]}
            for m in report.matches
        ],
        "heap_tids": list(report.heap_tids),
        "blocks_read": list(report.blocks_read),
        "notes": list(report.notes),
        "findings": [finding_json(f) for f in report.findings],
    }


def find_report_text(report: FindReport, text: str) -> str:
    meta = report.meta
    lines = [f"btree index {report.name}: path to {text}:"]
    if meta is not None and meta.btm_root != C.P_NONE:
        lines.append(f"  root {meta.btm_root} (level {meta.btm_level})")
    for step in report.path:
        what = "moved right to" if step.moved_right else "at"
        where = f"item {step.offnum}" if step.offnum is not None else "no item to follow"
        equal = " (equal key)" if step.found else ""
        lines.append(f"    level {step.level} block {step.blkno}: {what} {where}{equal}")
    lines.extend(f"  {note}" for note in report.notes)
    if report.matches:
        tids = report.heap_tids
        lines.append(
            f"  {len(report.matches)} equal key{'s' if len(report.matches) != 1 else ''}, "
            f"{len(tids)} heap TID{'s' if len(tids) != 1 else ''}:"
        )
        for m in report.matches:
            lines.append(
                f"    block {m.blkno} item {m.offnum}: {' '.join(str(t) for t in m.heap_tids)}"
            )
    elif report.path and report.path[-1].level == 0:
        leaf = report.path[-1]
        lines.append(f"  no equal key (it would be at block {leaf.blkno} item {leaf.offnum})")
    blocks = report.blocks_read
    lines.append(
        f"  {len(blocks)} block{'s' if len(blocks) != 1 else ''} read: "
        + " ".join(str(b) for b in blocks)
    )
    for finding in report.findings:
        lines.append(f"  {finding.describe()}")
    return "\n".join(lines) + "\n"
