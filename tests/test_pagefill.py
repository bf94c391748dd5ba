"""The page-map fill summary: the bulk path agrees with the decoder, both agree with pageinspect."""

from __future__ import annotations

import random

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.analysis.pagefill import FILLS, Fill, fill_from_page, page_fill, totals
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import PageKind
from pageinspect_py.page.raw import RawPage
from pageinspect_py.sources.file import FileSource

RELATIONS = [r for r in relations() if r.meta.get("files")]


def _forks(rel: FixtureRelation) -> list[str]:
    return sorted(rel.meta["files"])


@pytest.mark.parametrize("rel", RELATIONS, ids=str)
def test_bulk_path_agrees_with_decoder(rel: FixtureRelation) -> None:
    for fork in _forks(rel):
        source = FileSource(rel.file(fork))
        for raw in source.pages(source.given_fork):
            bulk = page_fill(raw.data, raw.blkno, fork=raw.fork)
            reference = fill_from_page(decode_page(raw))
            assert bulk == reference, f"{rel} {fork} block {raw.blkno}"
            assert sum(bulk.bytes) == bulk.size


@pytest.mark.parametrize("rel", RELATIONS, ids=str)
def test_fill_matches_pageinspect(rel: FixtureRelation) -> None:
    """Free space is pd_upper - pd_lower, line pointer states are those pageinspect lists."""
    source = FileSource(rel.file("main"))
    blocks = {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}
    for raw in source.pages("main"):
        fill = page_fill(raw.data, raw.blkno, fork="main")
        oracle = blocks[raw.blkno]
        if oracle["new_page"]:
            assert fill.kind is PageKind.NEW
            assert fill.get(Fill.NEW) == fill.size
            continue
        header = oracle["page_header"]
        if fill.kind is PageKind.BTREE_META:
            continue  # the decoder tiles the metapage's hole as unused bytes, not free space
        if oracle.get("brin_page_type") == "revmap":
            # brin_revmap.c leaves pd_lower at the header: RevmapContents (the TIDs) lies
            # between pd_lower and pd_upper, data to the decoder, "free" to the header
            assert fill.get(Fill.FREE) == 0
            assert fill.get(Fill.DATA) == header["upper"] - header["lower"]
            continue
        assert fill.get(Fill.FREE) == max(header["upper"] - header["lower"], 0)
        assert fill.get(Fill.SPECIAL) == header["pagesize"] - header["special"]
        items = oracle.get("heap_page_items")
        if items is not None and not isinstance(items, dict):
            states = [0, 0, 0, 0]
            for item in items:
                states[item["lp_flags"]] += 1
            assert (fill.lp_unused, fill.lp_normal, fill.lp_redirect, fill.lp_dead) == tuple(states)
        bt_items = oracle.get("bt_page_items")
        if isinstance(bt_items, list) and bt_items and bt_items[0].get("dead") is not None:
            dead = sum(1 for item in bt_items if item["dead"])
            assert fill.lp_dead == dead
            assert fill.line_pointers == len(bt_items)


def test_mutated_pages_never_raise_and_still_agree() -> None:
    rng = random.Random(6)
    pages: list[RawPage] = []
    for rel in RELATIONS:
        if rel.major == 17:
            source = FileSource(rel.file("main"))
            pages.extend(source.pages("main"))
    for _ in range(1500):
        raw = rng.choice(pages)
        data = bytearray(raw.data)
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(data)) if rng.random() < 0.5 else rng.randrange(400)
            data[at] = rng.randrange(256)
        bulk = page_fill(bytes(data), raw.blkno, fork="main")
        assert bulk == fill_from_page(decode_page(bytes(data), raw.blkno, fork="main"))
        assert sum(bulk.bytes) == bulk.size


def test_short_page_is_unknown_with_an_error() -> None:
    fill = page_fill(b"\x01" * 10, 0)
    assert fill.get(Fill.UNKNOWN) == 10
    assert fill.errors == 1


def test_totals_sum_pages() -> None:
    rel = next(r for r in RELATIONS if r.name == "heap_big" and r.major == 17)
    source = FileSource(rel.file())
    fills = [page_fill(raw.data, raw.blkno) for raw in source.pages()]
    total = totals(fills)
    assert total.pages == len(fills) == rel.meta["blocks"]["main"]
    assert sum(total.get(f) for f in FILLS) == total.size == 8192 * total.pages
