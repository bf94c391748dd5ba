"""The TUI and the CLI print the same figures for the same relation (issue 15, item 2).

Each test computes a figure both ways, from the TUI's own objects (the session and store the
app opens, the report its screens show) and from the command line (``pgpage ... --format
json`` through click), on the fixtures, and asserts they are equal; where the server's own
answer is recorded (pageinspect / pgstatindex in the fixtures), that too.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from goldens import FixtureRelation, relations
from textual.pilot import Pilot
from tui_support import SIZE, settle, widget_text

from pageinspect_py.analysis.pagefill import Fill, page_fill
from pageinspect_py.app.btree import recorded_major
from pageinspect_py.cli import main
from pageinspect_py.sources.file import FileSource
from pageinspect_py.tui.app import PgPageApp
from pageinspect_py.tui.btree_screen import BtreeScreen
from pageinspect_py.tui.layout_screen import LayoutScreen
from pageinspect_py.tui.relation_screen import RelationScreen
from pageinspect_py.tui.state import (
    OpenSpec,
    btree_report,
    layout_report,
    open_session,
)

BTREE = list(relations("btree"))


def _cli_json(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code in (0, 1), result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return lines[0] if len(lines) == 1 else lines


def _manifest(rel: FixtureRelation) -> Path:
    return rel.version_dir / "manifest.json"


# -- btree: pgstatindex and the per-level figures ------------------------------------------


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_btree_levels_and_pgstatindex_agree_with_pgpage_btree(rel: FixtureRelation) -> None:
    session = open_session(OpenSpec(path=str(rel.file()), schema=str(_manifest(rel))))
    try:
        assert session.main.major == rel.major  # recorded in the manifest
        tui = btree_report(session.main)
    finally:
        session.close()
    cli = _cli_json("btree", str(rel.file()), "--format", "json", "--schema", str(_manifest(rel)))
    stats = cli.get("statistics", cli)
    pg = stats["pgstatindex"]
    ours = tui.statistics.pgstatindex
    assert stats["pgstatindex_as_of_major"] == tui.statistics.pgstatindex_major == rel.major
    density = pg["avg_leaf_density"]
    if density is None or (isinstance(density, float) and math.isnan(density)):
        assert math.isnan(ours.avg_leaf_density)
    else:
        assert ours.avg_leaf_density == density
    assert ours.leaf_pages == pg["leaf_pages"]
    assert ours.internal_pages == pg["internal_pages"]
    cli_levels = {lv["level"]: lv for lv in stats["levels"]}
    assert {lv.level for lv in tui.statistics.levels} == set(cli_levels)
    for lv in tui.statistics.levels:
        other = cli_levels[lv.level]
        assert lv.padding_bytes == other["padding_bytes"], f"level {lv.level}"
        assert lv.pages == other["pages"]
        assert lv.items == other["items"]
        assert lv.free_bytes == other["free_bytes"]
    assert len(tui.findings) == len(cli["findings"])


def _server_pgstatindex(rel: FixtureRelation) -> dict[str, Any] | None:
    found = rel.oracle.get("pgstatindex")
    return found if isinstance(found, dict) else None


@pytest.mark.parametrize("rel", [r for r in BTREE if r.major == 15], ids=str)
def test_btree_density_is_the_servers_on_15(rel: FixtureRelation) -> None:
    """On a 15 server's pages the TUI prints 15's avg_leaf_density (PageGetFreeSpace), not
    18's: the server's own pgstatindex() output recorded with the fixture."""
    server = _server_pgstatindex(rel)
    assert server is not None, "the fixture records the server's pgstatindex()"
    session = open_session(OpenSpec(path=str(rel.file()), schema=str(_manifest(rel))))
    try:
        ours = btree_report(session.main).statistics.pgstatindex
    finally:
        session.close()
    assert ours.avg_leaf_density == pytest.approx(float(server["avg_leaf_density"]), abs=0.005)


def test_recorded_major_reads_server_version_num(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"relname": "t", "server_version_num": 150018}))
    assert recorded_major(str(schema)) == 15
    schema.write_text(json.dumps({"relname": "t", "server_version_num": "170004"}))
    assert recorded_major(str(schema)) == 17
    schema.write_text(json.dumps({"major": 13, "relations": {}}))
    assert recorded_major(str(schema)) == 13
    schema.write_text(json.dumps({"relname": "t"}))
    assert recorded_major(str(schema)) is None
    assert recorded_major(str(tmp_path / "missing.json")) is None


# -- heap: the page map's padding includes the padding between attributes -------------------

HEAP = [
    r
    for r in relations()
    if r.major == 17
    and r.meta.get("kind") == "heap"
    and r.name in ("heap_types", "heap_many_blocks", "heap_big", "heap_altered", "heap_hot")
]


@pytest.mark.parametrize("rel", HEAP, ids=str)
def test_heap_map_padding_includes_attribute_padding_as_dump_reports_it(
    rel: FixtureRelation,
) -> None:
    session = open_session(OpenSpec(path=str(rel.file()), schema=str(_manifest(rel))))
    try:
        store = session.main
        assert store.description is not None
        cli = _cli_json(
            "dump", str(rel.file()), "--format", "json", "--schema", str(_manifest(rel))
        )
        blocks = cli if isinstance(cli, list) else [cli]
        done: list[int] = []
        store.scan(range(store.nblocks()), cancelled=lambda: False, progress=done.append)
        assert store.refined()  # every block measured again with the attribute padding
        seen = 0
        for block in blocks:
            blkno = block["block"]
            raw = store.read(blkno)
            mapped = store.fill(blkno)
            assert mapped is not None
            bulk = page_fill(raw.data, blkno, fork="main")
            between = sum(
                item.get("attribute_padding") or 0
                for item in block.get("heap_page_items", [])
                if item["lp_flags"] != 3
            )
            assert mapped.get(Fill.PADDING) == bulk.get(Fill.PADDING) + between, blkno
            assert mapped.used == bulk.used  # bytes move from data to padding, no more
            # the Page screen's totals (and colours) are the map's
            detail = store.detail(blkno)
            assert detail.fill == mapped
            seen += between > 0
        if rel.name == "heap_types":  # int2/int8/text side by side: padding on every page
            assert seen == len(blocks)
        totals = store.totals()  # the totals under the map follow the blocks replaced
        assert totals.pages == len(blocks)
        assert totals.get(Fill.PADDING) == sum(
            f.get(Fill.PADDING) for b in blocks if (f := store.fill(b["block"])) is not None
        )
    finally:
        session.close()


# -- layout: the pages predicted ------------------------------------------------------------

LAYOUT = [
    r
    for r in relations()
    if r.major in (15, 17) and r.name in ("heap_types", "heap_many_blocks", "heap_altered")
]


#: long enough for the search to prove its order optimal on these tables even on a loaded
#: machine (it stops as soon as it has); with a cut-short search two runs may differ
SEARCH_SECONDS = 20.0


@pytest.mark.parametrize("rel", LAYOUT, ids=str)
def test_layout_screen_predicts_the_pages_layout_advice_predicts(rel: FixtureRelation) -> None:
    session = open_session(OpenSpec(path=str(rel.file()), schema=str(_manifest(rel))))
    try:
        assert session.description is not None
        report = layout_report(session.main, session.description, search_seconds=SEARCH_SECONDS)
    finally:
        session.close()
    assert report is not None
    cli = _cli_json(
        "layout-advice",
        str(rel.file()),
        "--schema",
        str(_manifest(rel)),
        "--format",
        "json",
        "--search-seconds",
        str(SEARCH_SECONDS),
    )
    table = cli[0] if isinstance(cli, list) else cli
    advice = report.advice.to_json()
    assert table["current"]["pages"] == advice["current"]["pages"]  # type: ignore[index]
    assert table["current"]["order"] == advice["current"]["order"]  # type: ignore[index]
    assert table["lower_bound"]["proven_optimal"] and report.advice.proven_optimal
    # the optimum's pages are one figure even where tied orders differ
    assert table["recommended"]["pages"] == advice["recommended"]["pages"]  # type: ignore[index]
    assert table["sample"]["rows"] == report.advice.sample.size


# -- the same figures on the screens themselves (a Pilot drives the app) ---------------------


def _drive(spec: OpenSpec, scenario: Callable[[Pilot[Any], PgPageApp], Awaitable[None]]) -> None:
    async def run() -> None:
        app = PgPageApp(spec)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await scenario(pilot, app)

    asyncio.run(run())


def test_btree_screen_levels_are_pgpage_btrees() -> None:
    rel = next(r for r in BTREE if r.major == 15 and r.name == "bt_three_levels")
    cli = _cli_json("btree", str(rel.file()), "--format", "json", "--schema", str(_manifest(rel)))

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BtreeScreen) and screen.report is not None
        stats = screen.report.statistics
        assert stats.pgstatindex.avg_leaf_density == cli["pgstatindex"]["avg_leaf_density"]
        assert [lv.padding_bytes for lv in stats.levels] == [
            lv["padding_bytes"] for lv in cli["levels"]
        ]
        shown = widget_text(screen.query_one("#bt-levels"))
        assert f"avg_leaf_density {cli['pgstatindex']['avg_leaf_density']}" in shown

    _drive(OpenSpec(path=str(rel.file()), schema=str(_manifest(rel))), scenario)


def test_layout_screen_shows_layout_advices_pages() -> None:
    rel = next(r for r in LAYOUT if r.major == 17 and r.name == "heap_many_blocks")
    cli = _cli_json(
        "layout-advice", str(rel.file()), "--schema", str(_manifest(rel)), "--format", "json"
    )

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        await pilot.press("L")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LayoutScreen) and screen.advice is not None
        assert screen.advice.current.pages == cli["current"]["pages"]
        assert screen.advice.sample.size == cli["sample"]["rows"]
        shown = widget_text(screen.query_one("#layout-current"))
        assert str(cli["current"]["pages"]) in shown

    _drive(OpenSpec(path=str(rel.file()), schema=str(_manifest(rel))), scenario)


def test_map_summary_padding_is_dumps() -> None:
    """The highlighted block's summary under the page map prints the padding that
    `pgpage dump --schema` accounts for (t_hoff and MAXALIGN padding plus attributes')."""
    rel = next(r for r in HEAP if r.name == "heap_types")
    blocks = _cli_json("dump", str(rel.file()), "--format", "json", "--schema", str(_manifest(rel)))
    block = blocks[0] if isinstance(blocks, list) else blocks
    raw = FileSource(rel.file()).read_page(0)
    bulk = page_fill(raw.data, 0, fork="main")
    expected = bulk.get(Fill.PADDING) + sum(
        item.get("attribute_padding") or 0
        for item in block["heap_page_items"]
        if item["lp_flags"] != 3
    )

    async def scenario(pilot: Pilot[Any], app: PgPageApp) -> None:
        screen = app.screen
        assert isinstance(screen, RelationScreen)
        shown = widget_text(screen.query_one("#block-info"))
        assert f"padding {expected}" in shown, shown

    _drive(OpenSpec(path=str(rel.file()), schema=str(_manifest(rel))), scenario)
