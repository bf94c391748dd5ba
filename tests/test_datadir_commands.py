"""Every command that takes a relation file takes a data directory too: ``PGDATA --db NAME
RELATION``. What they print is checked against the server's own answers in the fixtures
(COPY output for tuple values, pg_class for files), the errors are one line each."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from datadir_support import MAJORS, golden

from pageinspect_py.app.datadir import find_relation, open_cluster
from pageinspect_py.tui.state import OpenSpec, open_session

pytestmark = pytest.mark.skipif(not MAJORS, reason="no fixtures/datadir")
MAJOR = MAJORS[-1] if MAJORS else 0


def pgpage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pageinspect_py.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def _copy_rows(text: str) -> list[list[str | None]]:
    """COPY text rows (the fixture tables hold no backslashes or tabs in values)."""
    return [[None if v == "\\N" else v for v in line.split("\t")] for line in text.splitlines()]


@pytest.mark.parametrize("major", MAJORS)
@pytest.mark.parametrize("table", ["sales.altered", "sales.docs", '"Mixed Case"."Orders"'])
def test_dump_values_from_the_catalog_equal_copy(
    major: int, table: str, datadir_copies: Callable[[int], Path]
) -> None:
    """dump PGDATA --db shop TABLE decodes values with the description and TOAST table it
    finds in the catalogs; the visible tuples' values are COPY's rows."""
    g = golden(major)
    root = datadir_copies(major)
    out = pgpage("dump", str(root), "--db", "shop", table, "--format", "json")
    assert out.returncode == 0, out.stderr
    visible = {t["ctid"] for t in g["tuples"][table] if t["visible"]}
    rows = []
    for line in out.stdout.splitlines():
        page = json.loads(line)
        for item in page["heap_page_items"]:
            ctid = f"({page['block']},{item['lp']})"
            if ctid in visible:
                values = item["values"]
                rows.append(list(values.values()) if isinstance(values, dict) else values)
    assert rows == _copy_rows(g["copy"][table])


def test_btree_of_an_index_in_a_data_directory(datadir_copies: Callable[[int], Path]) -> None:
    root = datadir_copies(MAJOR)
    out = pgpage("btree", str(root), "--db", "shop", "sales.orders_pkey", "--find", "42")
    assert out.returncode == 0, out.stderr
    assert "42" in out.stdout
    full = pgpage("btree", str(root), "--db", "shop", "sales.orders_pkey", "--format", "json")
    assert full.returncode == 0, full.stderr
    assert json.loads(full.stdout)


def test_check_and_stats_of_a_relation(datadir_copies: Callable[[int], Path]) -> None:
    root = datadir_copies(MAJOR)
    check = pgpage("check", str(root), "--db", "shop", "sales.docs", "--format", "json")
    assert check.returncode == 0, check.stderr
    stats = pgpage("stats", str(root), "--db", "shop", "sales.orders", "--format", "json")
    assert stats.returncode == 0, stats.stderr
    g = golden(MAJOR)
    orders = next(r for r in g["relations"] if (r["nspname"], r["relname"]) == ("sales", "orders"))
    assert (
        json.loads(stats.stdout)["pgstattuple"]["table_len"]
        == orders["blocks"]["main"] * g["block_size"]
    )


def test_tui_session_gets_the_catalog_description(datadir_copies: Callable[[int], Path]) -> None:
    root = datadir_copies(MAJOR)
    rel = find_relation(open_cluster(root), "shop", "sales.docs")
    assert rel.path is not None and rel.toast_path is not None
    session = open_session(
        OpenSpec(
            path=str(rel.path),
            toast=str(rel.toast_path),
            description=rel.description,
            index=rel.index,
        )
    )
    assert session.description == rel.description
    assert session.toast is not None
    assert not session.warnings


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("dump", "{root}", "sales.orders"), "needs --db NAME"),
        (("dump", "{root}", "--db", "shop"), "is a data directory: name a relation"),
        (("dump", "{root}", "--db", "shop", "sales.nope"), "no relation 'nope' in sales"),
        (("dump", "{root}", "--db", "nope", "sales.orders"), "no database 'nope'"),
        (("dump", "{root}", "--db", "shop", "sales.events"), "has no storage"),
        (("dump", "{root}", "--db", "shop", "sales.big_orders"), "has no storage"),
        (("btree", "{root}", "--db", "shop", '"unterminated'), "unterminated quoted"),
        (("stats", "{root}/base", "--db", "shop", "x"), "not a data directory"),
        (("tui", "{root}", "--db", "shop", "sales.orders"), "tui needs a terminal"),
        (("layout-advice", "{root}", "--db", "shop", "sales.orders_pkey"), "is not a table"),
    ],
)
def test_errors_are_one_line(
    args: tuple[str, ...], message: str, datadir_copies: Callable[[int], Path]
) -> None:
    root = datadir_copies(MAJOR)
    out = pgpage(*(a.format(root=root) for a in args))
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and out.stderr.count("\n") == 1, out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("major", MAJORS)
def test_a_sequence_page_is_a_sequence_with_its_values(
    major: int, datadir_copies: Callable[[int], Path]
) -> None:
    """sequence_magic sits at pd_special in a MAXALIGN(4)-byte special space (not GIN's 8-byte
    opaque data); the one tuple holds FormData_pg_sequence_data."""
    g = golden(major)
    out = pgpage(
        "dump", str(datadir_copies(major)), "--db", "shop", "sales.order_seq", "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    (page,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert page["kind"] == "sequence"
    (item,) = page["heap_page_items"]
    values = item["values"]
    got = list(values.values()) if isinstance(values, dict) else values
    last_value, log_cnt, is_called = g["sequences"]["sales.order_seq"]
    assert got == [last_value, log_cnt, {"true": "t", "false": "f"}[is_called]]


@pytest.mark.parametrize("table", ["sales.orders", "sales.gone", "sales.fresh"])
def test_layout_advice_counts_the_rows_a_query_returns(
    table: str, datadir_copies: Callable[[int], Path]
) -> None:
    """Offline advice on a data directory takes its rows from pg_xact's verdicts: aborted,
    deleted and prepared-but-not-committed tuples are not rows, whatever their hint bits."""
    g = golden(MAJOR)
    out = pgpage(
        "layout-advice", str(datadir_copies(MAJOR)), "--db", "shop", table, "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    measured = json.loads(out.stdout.splitlines()[0])["measured"]
    tuples = g["tuples"][table]
    assert measured["live_rows"] == sum(t["visible"] for t in tuples)
    assert measured["dead_rows"] == sum(not t["visible"] for t in tuples)
