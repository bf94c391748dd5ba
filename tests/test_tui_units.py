"""TUI building blocks without a running app: targets, keymaps, the field tree, the store.

Expected values come from the fixtures' pageinspect output, never from our own decoders.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_support import fixture, manifest_path

from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.errors import SchemaError
from pageinspect_py.render.tree import build_detail
from pageinspect_py.sources.file import FileSource
from pageinspect_py.tui import parse_keymap
from pageinspect_py.tui.hexview import bytes_per_row
from pageinspect_py.tui.pagemap import MapMode, blocks_per_row, cell, level
from pageinspect_py.tui.state import OpenSpec, PageStore, load_description, open_session, scan_order
from pageinspect_py.tui.targets import Target, parse_bytes, parse_target


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("42", Target(block=42)),
        ("0x1f0", Target(offset=0x1F0)),
        ("+496", Target(offset=496)),
        ("42:0x1f0", Target(block=42, offset=0x1F0)),
        ("(42,7)", Target(block=42, lp=7)),
        ("( 3 , 12 )", Target(block=3, lp=12)),
        ("lp 7", Target(lp=7)),
        ("LP7", Target(lp=7)),
    ],
)
def test_parse_target(text: str, target: Target) -> None:
    assert parse_target(text) == target


@pytest.mark.parametrize("text", ["", "abc", "-3", "(1,)", "0xzz", "1:xyz"])
def test_parse_target_rejects_with_a_hint(text: str) -> None:
    with pytest.raises(ValueError, match="give a block"):
        parse_target(text)


def test_parse_bytes() -> None:
    assert parse_bytes("x:de ad be ef") == b"\xde\xad\xbe\xef"
    assert parse_bytes("0xdeadbeef") == b"\xde\xad\xbe\xef"
    assert parse_bytes("hello") == b"hello"
    with pytest.raises(ValueError, match="hex digits"):
        parse_bytes("x:abc")


def test_parse_keymap() -> None:
    assert parse_keymap(["nav.find=ctrl+f", "", " page.next = n "]) == {
        "nav.find": "ctrl+f",
        "page.next": "n",
    }
    with pytest.raises(ValueError, match="ID=KEYS"):
        parse_keymap(["nav.find"])


def test_widths_fit_80_columns() -> None:
    assert bytes_per_row(39) == 8  # the hex pane beside the tree at 80 columns
    assert 6 + 4 * bytes_per_row(80) <= 80
    assert blocks_per_row(80, 4) == 64
    assert blocks_per_row(40, 4) == 32


def test_map_glyphs_carry_meaning_without_colour() -> None:
    assert level(0) == "·"
    assert level(0.01) == "▁"
    assert level(1.0) == "█"
    assert cell(None, MapMode.FILL) == ("?", "pending")
    assert cell(None, MapMode.FILL, unreadable=True)[0] == "X"


def test_field_tree_matches_pageinspect_and_tiles_the_page() -> None:
    rel = fixture("heap_hot")
    source = FileSource(rel.file())
    oracle = {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}
    for raw in source.pages():
        detail = build_detail(decode_page(raw))
        page = detail.page
        # every byte has an owner whose span holds it
        for offset in range(page.size):
            node = detail.node_at(offset)
            assert node is not None and node.span is not None
            assert node.span.start <= offset < node.span.stop
        header = oracle[raw.blkno]["page_header"]
        assert detail.by_key["header/pd_lower"].value == str(header["lower"])
        assert detail.by_key["header/pd_upper"].value == str(header["upper"])
        for item in oracle[raw.blkno]["heap_page_items"]:
            lp = detail.by_key[f"lps/{item['lp']}"]
            assert lp.span == Span(24 + 4 * (item["lp"] - 1), 28 + 4 * (item["lp"] - 1))
            tup = detail.by_item.get(item["lp"])
            if item["t_xmin"] is not None and tup is not None:
                assert tup.span == Span(item["lp_off"], item["lp_off"] + item["lp_len"])
                xmin = detail.by_key[f"lp/{item['lp']}/HeapTupleHeaderData/t_xmin"]
                assert xmin.value == item["t_xmin"]
                ctid = detail.by_key[f"lp/{item['lp']}/HeapTupleHeaderData/t_ctid"]
                assert ctid.value == item["t_ctid"]
                flags = {
                    c.label
                    for c in detail.by_key[
                        f"lp/{item['lp']}/HeapTupleHeaderData/t_infomask"
                    ].children
                }
                raw_flags = item["heap_tuple_infomask_flags"]["raw_flags"]
                assert {
                    f
                    for f in raw_flags
                    if f not in ("HEAP_KEYS_UPDATED", "HEAP_HOT_UPDATED", "HEAP_ONLY_TUPLE")
                } <= flags


def test_find_in_field_tree_wraps() -> None:
    rel = fixture("heap_hot")
    detail = build_detail(decode_page(FileSource(rel.file()).read_page(0)))
    first = detail.find("t_infomask2")
    assert first is not None and first.label == "t_infomask2"
    second = detail.find("t_infomask2", first)
    assert second is not None and second is not first
    assert detail.find("no such field anywhere") is None
    at = detail.find_bytes(detail.page.data[100:104])
    assert at is not None and detail.page.data[at : at + 4] == detail.page.data[100:104]


def test_attribute_values_in_the_tree_match_the_rows() -> None:
    rel = fixture("heap_types")
    desc, index = load_description(manifest_path(), str(rel.file()))
    assert desc is not None and index is None
    rows = {r["ctid"]: r for r in rel.oracle["rows"]}
    detail = build_detail(decode_page(FileSource(rel.file()).read_page(0)), desc)
    row = rows["(0,1)"]
    for att in desc.live_attributes():
        node = detail.by_key[f"lp/1/att/{att.attnum}"]
        expected = row[att.attname]
        if expected is None:
            assert node.value == "NULL"
        elif len(expected) <= 80:
            assert node.value == expected


def test_index_description_from_manifest_gives_typed_keys() -> None:
    rel = fixture("bt_dedup")
    desc, index = load_description(manifest_path(), str(rel.file()))
    assert desc is None and isinstance(index, IndexDescription)
    store = PageStore(FileSource(rel.file()), index=index)
    oracle = {b["block"]: b for b in rel.oracle["blocks"]}
    for blkno in range(1, store.nblocks()):
        page = store.detail(blkno).page
        items = oracle[blkno]["bt_page_items"]
        assert len(page.items) == len(items)  # type: ignore[attr-defined]


def test_schema_errors_are_reported() -> None:
    with pytest.raises(SchemaError, match="no relation in this manifest"):
        load_description(manifest_path(), "/nowhere/99999.gz")
    rel = fixture("heap_types")
    session = open_session(OpenSpec(path=str(rel.file()), schema="/nonexistent.json"))
    assert session.description is None
    assert any("nonexistent" in w for w in session.warnings)


def test_store_caches_decoded_pages_and_scans_fills() -> None:
    rel = fixture("heap_big")
    store = PageStore(FileSource(rel.file()), cache_pages=4)
    first = store.detail(1)
    assert store.detail(1) is first  # cached: moving back is instant
    for blkno in range(2, 8):
        store.detail(blkno)
    assert store.cached(1) is None  # evicted (LRU of 4)
    done: list[int] = []
    order = scan_order(store.nblocks(), [5, 6])
    assert order[:2] == [5, 6] and sorted(order) == list(range(store.nblocks()))
    store.scan(order, cancelled=lambda: False, progress=done.append, every=10)
    assert store.scanned() == rel.meta["blocks"]["main"]
    totals = store.totals()
    assert totals.pages == rel.meta["blocks"]["main"]
    oracle = [b for b in rel.oracle["blocks"] if b["fork"] == "main"]
    normal = sum(1 for b in oracle for i in b["heap_page_items"] if i["lp_flags"] == 1)
    assert totals.lp_normal == normal


def test_cli_tui_builds_the_spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pageinspect_py import cli, tui
    from pageinspect_py.cli import main

    seen: dict[str, object] = {}
    monkeypatch.setattr(cli, "_has_terminal", lambda: True)  # CliRunner has no tty

    def fake_run(
        spec: OpenSpec, *, keymap: dict[str, str] | None = None, theme: str | None = None
    ) -> int:
        seen.update(spec=spec, keymap=keymap, theme=theme)
        return 0

    monkeypatch.setattr(tui, "run_tui", fake_run)
    monkeypatch.setenv("PGPAGE_KEYMAP", "nav.jump=ctrl+g")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base" / "5").mkdir(parents=True)
    (tmp_path / "base" / "5" / "16384").write_bytes(bytes(8192))  # the file must open
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "tui",
            "base/5/16384",
            "--schema",
            "s.json",
            "--toast",
            "base/5/16390",
            "--keymap",
            "nav.find=ctrl+f",
        ],
    )
    assert result.exit_code == 0, result.output
    assert seen["spec"] == OpenSpec(path="base/5/16384", schema="s.json", toast="base/5/16390")
    assert seen["keymap"] == {"nav.jump": "ctrl+g", "nav.find": "ctrl+f"}
    result = runner.invoke(main, ["tui", "--dsn", "host=/tmp", "public.orders"])
    assert result.exit_code == 0, result.output
    assert seen["spec"] == OpenSpec(dsn="host=/tmp", relation="public.orders")
    result = runner.invoke(main, ["tui", "x", "--keymap", "broken"])
    assert result.exit_code == 2 and "ID=KEYS" in result.output
    result = runner.invoke(main, ["tui", "x", "--schema", "a", "--columns", "id int4"])
    assert result.exit_code == 2
