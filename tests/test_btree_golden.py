"""Every page of every btree fixture, PostgreSQL 12 to 18, against what pageinspect said about
the same bytes: ``bt_metap``, ``bt_page_stats`` and ``bt_page_items``.

Our output follows pageinspect 1.9+ (PostgreSQL 14+) on every version, so older oracles are
mapped: ``btpo`` -> ``btpo_level``, ``oldest_xact`` -> ``last_cleanup_num_delpages``, 12's
``data`` still holds a pivot's heap TID and has no ``dead``/``htid``/``tids``. On 12 and 13,
``bt_page_stats`` returns uninitialised memory for the links, flags and free space of deleted
pages (it returns before filling them); those are checked against the page bytes instead,
read at the offsets nbtree.h gives BTPageOpaqueData.
"""

from __future__ import annotations

import struct
from dataclasses import asdict
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.catalog.index import index_from_manifest
from pageinspect_py.decode.btree import (
    BtItemKind,
    BtreeDecodeOptions,
    BtreeMetaPage,
    BtreePage,
)
from pageinspect_py.decode.common import Severity
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.layouts.btree import BTreeTupleData
from pageinspect_py.render.json import page_json
from pageinspect_py.sources.file import FileSource

BTREE = list(relations("btree"))
_TUPLE = BTreeTupleData.compile()


def test_fixtures_cover_every_version() -> None:
    assert {rel.major for rel in BTREE} == set(range(12, 19))
    names = {rel.name for rel in BTREE}
    assert {
        "bt_int_unique",
        "bt_text_split",
        "bt_multi",
        "bt_include",
        "bt_dedup",
        "bt_nodedup",
        "bt_three_levels",
        "bt_deleted",
        "bt_lp_dead",
    } <= names


def pages(rel: FixtureRelation, *, typed: bool = True) -> list[Any]:
    index = index_from_manifest(rel.meta, default_collation_is_c=True) if typed else None
    options = BtreeDecodeOptions(index=index, major=rel.major)
    with FileSource(rel.file("main")) as src:
        return [decode_page(raw, btree=options) for raw in src.pages("main")]


def opaque_bytes(data: bytes) -> dict[str, int]:
    """BTPageOpaqueData straight from the last 16 bytes (nbtree.h field order)."""
    prev, nxt, level, flags, cycleid = struct.unpack_from("<IIIHH", data, len(data) - 16)
    return {
        "btpo_prev": prev,
        "btpo_next": nxt,
        "btpo_level": level,
        "btpo_flags": flags,
        "btpo_cycleid": cycleid,
    }


def expected_metap(rel: FixtureRelation, row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    if "oldest_xact" in out:  # 12-13 name and meaning of the same uint32
        out["last_cleanup_num_delpages"] = int(out.pop("oldest_xact"))
    return out


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_metapage_matches_bt_metap(rel: FixtureRelation) -> None:
    meta = pages(rel)[0]
    assert isinstance(meta, BtreeMetaPage)
    got = asdict(meta.pageinspect_meta())  # type: ignore[arg-type]
    expected = expected_metap(rel, rel.oracle["bt_metap"])
    if rel.major == 12:
        # 12 has no btm_allequalimage: its pd_lower (64) stops before the byte
        assert "allequalimage" not in expected
        assert meta.meta is not None
        assert meta.meta.btm_allequalimage is None
        assert meta.header.pd_lower == 64
        got.pop("allequalimage")
    assert got == expected
    assert not meta.diagnostics or all(d.code == "checksum-mismatch" for d in meta.diagnostics)


def stats_expected(rel: FixtureRelation, row: dict[str, Any], data: bytes) -> dict[str, Any]:
    out = dict(row)
    if "btpo" in out:
        out["btpo_level"] = out.pop("btpo")
    for key in ("btpo_prev", "btpo_next"):  # int4 before 14
        if out[key] < 0:
            out[key] += 1 << 32
    if rel.major < 14 and out["type"] == "d":
        # bt_page_stats returned before filling these: take them from the bytes
        raw = opaque_bytes(data)
        out.update(
            btpo_prev=raw["btpo_prev"], btpo_next=raw["btpo_next"], btpo_flags=raw["btpo_flags"]
        )
        header = struct.unpack_from("<HH", data, 12)  # pd_lower, pd_upper
        space = header[1] - header[0]
        out["free_size"] = space - 4 if space >= 4 else 0  # PageGetFreeSpace, as 14+ reports
        out["avg_item_size"] = 0
        assert out["btpo_level"] == raw["btpo_level"]  # btpo.xact, the one field it did fill
    return out


def items_expected(rel: FixtureRelation, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        copy = dict(row)
        if copy.get("tids") is not None:
            copy["tids"] = list(copy["tids"])
        out.append(copy)
    return out


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_every_page_matches_bt_page_stats_and_items(rel: FixtureRelation) -> None:
    decoded = pages(rel)
    oracle = rel.oracle
    assert len(decoded) == len(oracle["blocks"])
    compared = 0
    for block, page in zip(oracle["blocks"], decoded, strict=True):
        blkno = block["block"]
        where = f"{rel} block {blkno}"
        if blkno == 0:
            continue
        assert isinstance(page, BtreePage), where
        errors = [d for d in page.diagnostics if d.severity is Severity.ERROR]
        assert not errors, f"{where}: {[d.describe() for d in errors]}"
        expected = stats_expected(rel, block["bt_page_stats"], page.data)
        assert asdict(page.stats()) == expected, where
        # 12-13 list the high key a deleted page keeps; 14+ deleted pages have no items
        rows = list(page.pageinspect_items())
        got = []
        for row in rows:
            assert row is not None, where
            value = asdict(row)
            if value["tids"] is not None:
                value["tids"] = list(value["tids"])
            got.append(value)
        expected_items = items_expected(rel, block.get("bt_page_items") or [])
        assert len(got) == len(expected_items), where
        for exp, mine in zip(expected_items, got, strict=True):
            if rel.major == 12:
                # 12's data runs to the end of the tuple: a pivot's heap TID included
                item = page.bt_item(exp["itemoffset"])
                if item.heap_tid_span is not None and item.key_span is not None:
                    mine["data"] = page.data[item.key_span.start : item.heap_tid_span.stop].hex(" ")
            assert {k: mine[k] for k in exp} == exp, f"{where} item {exp['itemoffset']}"
            compared += 1
    assert compared or rel.name == "bt_deleted"


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_dump_json_carries_pageinspect_columns(rel: FixtureRelation) -> None:
    """pgpage dump's JSON for an index: bt_metap for block 0, bt_page_stats/bt_page_items for
    the others, with pageinspect 14+ column names."""
    with FileSource(rel.file("main")) as src:
        for raw in src.pages("main"):
            out = page_json(decode_page(raw))
            if raw.blkno == 0:
                assert set(out["bt_metap"]) == {
                    "magic",
                    "version",
                    "root",
                    "level",
                    "fastroot",
                    "fastlevel",
                    "last_cleanup_num_delpages",
                    "last_cleanup_num_tuples",
                    "allequalimage",
                }
                continue
            assert list(out["bt_page_stats"]) == [
                "blkno",
                "type",
                "live_items",
                "dead_items",
                "avg_item_size",
                "page_size",
                "free_size",
                "btpo_prev",
                "btpo_next",
                "btpo_level",
                "btpo_flags",
            ]
            for row in out["bt_page_items"]:
                assert list(row) == [
                    "itemoffset",
                    "ctid",
                    "itemlen",
                    "nulls",
                    "vars",
                    "data",
                    "dead",
                    "htid",
                    "tids",
                ]
            # our own view: one entry per line pointer (none on a 14+ deleted page, whose
            # BTDeletedPageData sits where line pointers would be)
            pd_lower = struct.unpack_from("<H", raw.data, 12)[0]
            fullxid = opaque_bytes(raw.data)["btpo_flags"] & 0x100
            assert len(out["btree"]["items"]) == (0 if fullxid else (pd_lower - 24) // 4)
            assert out["regions"][0]["start"] == 0
            assert out["regions"][-1]["stop"] == len(raw.data)


def tid(value: Any) -> tuple[int, int]:
    return ((value.ip_blkid.bi_hi << 16) | value.ip_blkid.bi_lo, value.ip_posid)


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_construct_layout_agrees_with_the_decoder(rel: FixtureRelation) -> None:
    """The per-item path reads headers and TIDs with struct formats derived from the layouts;
    the construct definition (BTreeTupleData, compiled) must read every tuple the same way."""
    checked = 0
    for page in pages(rel, typed=False):
        if not isinstance(page, BtreePage):
            continue
        for item in page.items:
            if item.header is None or item.span is None:
                continue
            raw = _TUPLE.parse(page.data[item.span.start : item.span.stop])
            h = item.header
            assert tid(raw.t_tid) == (h.t_tid.block, h.t_tid.offset)
            assert raw.t_info == h.t_info
            if raw.posting is not None:
                assert [tid(t) for t in raw.posting] == [(t.block, t.offset) for t in item.posting]
            else:
                assert item.kind is not BtItemKind.POSTING
            if raw.pivot_heap_tid is not None:
                assert item.heap_tid is not None
                assert tid(raw.pivot_heap_tid) == (item.heap_tid.block, item.heap_tid.offset)
            if raw.t_bits is not None:
                assert item.t_bits is not None
                assert (
                    "".join("1" if b >> i & 1 else "0" for b in raw.t_bits for i in range(8))
                    == item.t_bits
                )
            checked += 1
    assert checked or rel.name == "bt_deleted"


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_regions_tile_every_page(rel: FixtureRelation) -> None:
    for page in pages(rel):
        cursor = 0
        for region in page.regions:
            assert region.span.start == cursor, f"{rel} block {page.blkno}"
            cursor = region.span.stop
        assert cursor == page.size


def test_posting_lists_lp_dead_and_deleted_pages_are_seen() -> None:
    """The fixtures hold what they were built for, and we classify it (13+ for postings)."""
    seen: dict[str, set[str]] = {}
    for rel in BTREE:
        kinds = seen.setdefault(rel.name, set())
        for page in pages(rel, typed=False):
            if isinstance(page, BtreePage):
                kinds.update(str(i.kind) for i in page.items)
                kinds.update("dead" for i in page.items if i.dead)
                if page.opaque is not None and page.opaque.is_deleted:
                    kinds.add("deleted")
                if page.deleted is not None:
                    kinds.add("deleted_fullxid")
    assert "posting" in seen["bt_dedup"]
    assert "posting" not in seen["bt_nodedup"]
    assert "dead" in seen["bt_lp_dead"]
    assert {"deleted", "deleted_fullxid"} <= seen["bt_deleted"]
    assert {"high_key", "minus_infinity", "pivot", "leaf"} <= seen["bt_three_levels"]
