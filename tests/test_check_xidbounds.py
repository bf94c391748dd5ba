"""``pgpage check`` of a data directory's relations checks xids and multixacts against the
cluster's bounds (pg_control) and the relation's (pg_class), as amcheck's verify_heapam does.

* the clean fixtures: no finding, one relation or the whole cluster, and every tuple of
  sales.orders counted as checked;
* a damaged copy (an xmin past the next xid, an xmin below relfrozenxid, a multixact xmax past
  the next multixact; checksums fixed so only the ids are wrong): exactly those tuples, with
  amcheck's messages, through ``pgpage check PGDATA --db shop sales.orders``, through the
  whole-cluster check, on one process or two, and whether the kernel or the full decoder
  read the pages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datadir_support import MAJORS, extract, golden

from pageinspect_py import constants as C
from pageinspect_py.app.check import XID_BOUNDS_CHECK, check_relation
from pageinspect_py.app.datadir import find_relation, open_cluster, xid_bounds
from pageinspect_py.layouts.heap import HEAP_TUPLE_HEADER_OFFSETS
from pageinspect_py.layouts.page import LP_OFF_MASK, PAGE_HEADER_OFFSETS
from pageinspect_py.page import arrays
from pageinspect_py.page.checksum import page_checksum
from pageinspect_py.page.xidbounds import (
    MULTIXACT_OUT_OF_BOUNDS,
    XMAX_OUT_OF_BOUNDS,
    XMIN_OUT_OF_BOUNDS,
)
from pageinspect_py.scan import check as scan_check
from pageinspect_py.sources.file import FileSource

pytestmark = pytest.mark.skipif(not MAJORS, reason="no fixtures/datadir")
MAJOR = 15 if 15 in MAJORS else (MAJORS[-1] if MAJORS else 0)
CODES = {XMIN_OUT_OF_BOUNDS, XMAX_OUT_OF_BOUNDS, MULTIXACT_OUT_OF_BOUNDS}
TABLE = "sales.orders"
_HOT = C.HEAP_HOT_UPDATED | C.HEAP_ONLY_TUPLE

#: (block, lp, code, amcheck's message, span)
Expected = tuple[int, int, str, str, tuple[int, int]]


def pgpage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pageinspect_py.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def _checkpoint(major: int, key: str) -> str:
    """A value of the server's ``pg_control_checkpoint()``."""
    return str(golden(major)["control"]["pg_control_checkpoint"][key])


def _xid_findings(report: dict[str, Any]) -> list[tuple[int, int, str, str, tuple[int, int]]]:
    return sorted(
        (f["block"], f["lp"], f["code"], f["amcheck"], tuple(f["span"]))
        for f in report["findings"]
        if f["code"] in CODES
    )


# ---------------------------------------------------------------------------------------------
# clean


@pytest.mark.parametrize("major", MAJORS)
def test_clean_relation_has_no_xid_finding(
    major: int, datadir_copies: Callable[[int], Path]
) -> None:
    root = datadir_copies(major)
    out = pgpage("check", str(root), "--db", "shop", TABLE, "--format", "json")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert _xid_findings(report) == []
    assert report["checks"][XID_BOUNDS_CHECK] == 0
    # every tuple the server listed (LP_NORMAL ones) was checked
    assert report["forks"]["main"]["xid_bounds_checked"] == len(golden(major)["tuples"][TABLE])
    assert "xid_bounds_checked" not in report["forks"]["fsm"]
    text = pgpage("check", str(root), "--db", "shop", TABLE)
    assert f"{XID_BOUNDS_CHECK}: checked, 0 findings" in text.stdout
    assert "tuples checked against xid bounds" in text.stdout


@pytest.mark.parametrize("major", MAJORS)
def test_clean_cluster_has_no_xid_finding(
    major: int, datadir_copies: Callable[[int], Path]
) -> None:
    root = datadir_copies(major)
    out = pgpage("check", str(root), "--format", "json", "--jobs", "2")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert [(r["name"], _xid_findings(r)) for r in report["relations"] if _xid_findings(r)] == []
    heap = [
        r for r in report["relations"] if r["forks"].get("main", {}).get("kinds", {}).get("heap")
    ]
    assert len(heap) > 20
    assert all(r["checks"][XID_BOUNDS_CHECK] == 0 for r in heap)
    shared = next(r for r in report["relations"] if r["name"] == "pg_database")
    assert shared["database"] is None and shared["checks"][XID_BOUNDS_CHECK] == 0


def test_a_file_is_not_checked_against_bounds(datadir_copies: Callable[[int], Path]) -> None:
    """A relation file outside a data directory's catalog: no bounds known, no check."""
    found = find_relation(open_cluster(datadir_copies(MAJOR)), "shop", TABLE)
    assert found.path is not None
    out = pgpage("check", str(found.path), "--format", "json")
    report = json.loads(out.stdout)
    assert XID_BOUNDS_CHECK not in report["checks"]
    assert "xid_bounds_checked" not in report["forks"]["main"]


# ---------------------------------------------------------------------------------------------
# damaged


def _rewrite(
    path: Path, block_size: int, ctid: str, *, xmin: int, xmax: int, infomask: int
) -> tuple[int, int, int]:
    """Set t_xmin, t_xmax and t_infomask of the tuple at ``ctid``, fix the page's checksum;
    (block, lp, lp_off)."""
    block, lp = (int(x) for x in ctid.strip("()").split(","))
    with path.open("r+b") as f:
        f.seek(block * block_size)
        page = bytearray(f.read(block_size))
        at = C.SizeOfPageHeaderData + (lp - 1) * C.SizeOfItemIdData
        lp_off = int.from_bytes(page[at : at + 4], "little") & LP_OFF_MASK
        for name, value, size in (("t_xmin", xmin, 4), ("t_xmax", xmax, 4)):
            off = lp_off + HEAP_TUPLE_HEADER_OFFSETS[name][0]
            page[off : off + size] = value.to_bytes(size, "little")
        off = lp_off + HEAP_TUPLE_HEADER_OFFSETS["t_infomask"][0]
        page[off : off + 2] = infomask.to_bytes(2, "little")
        sum_at = PAGE_HEADER_OFFSETS["pd_checksum"][0]
        if any(page[sum_at : sum_at + 2]):
            page[sum_at : sum_at + 2] = page_checksum(bytes(page), block).to_bytes(2, "little")
        f.seek(block * block_size)
        f.write(page)
    return block, lp, lp_off


def _victims(major: int) -> list[dict[str, Any]]:
    """Live tuples outside HOT chains: inserted, committed, never deleted."""
    return [
        t
        for t in golden(major)["tuples"][TABLE]
        if not t["t_infomask2"] & _HOT
        and t["t_infomask"] & C.HEAP_XMIN_FROZEN == C.HEAP_XMIN_COMMITTED
        and t["t_infomask"] & C.HEAP_XMAX_INVALID
        and t["t_xmax"] == 0
    ]


def _damaged(major: int, tmp_path: Path) -> tuple[Path, list[Expected]]:
    """A copy of the fixture with three ids out of bounds in sales.orders, and what amcheck
    says of each."""
    root = extract(major, tmp_path)
    found = find_relation(open_cluster(root), "shop", TABLE)
    assert found.path is not None
    block_size = int(golden(major)["block_size"])
    epoch, next_xid = (int(x) for x in _checkpoint(major, "next_xid").split(":"))
    next_multi = int(_checkpoint(major, "next_multixact_id"))
    oldest_xid = int(_checkpoint(major, "oldest_xid"))
    relfrozenxid = xid_bounds(found).relfrozenxid
    below = relfrozenxid - 1
    assert below >= max(oldest_xid, C.FirstNormalTransactionId), "no room below relfrozenxid"
    future, multi = next_xid + 100, next_multi + 7
    first, second, third = _victims(major)[:3]
    xmin_at = HEAP_TUPLE_HEADER_OFFSETS["t_xmin"][0]
    xmax_at = HEAP_TUPLE_HEADER_OFFSETS["t_xmax"][0]
    # xmin hints cleared (not frozen: the raw xmin is read, and pg_xact is not asked)
    raw = ~C.HEAP_XMIN_FROZEN & 0xFFFF
    wanted: list[Expected] = []
    block, lp, off = _rewrite(
        found.path,
        block_size,
        first["ctid"],
        xmin=future,
        xmax=0,
        infomask=first["t_infomask"] & raw,
    )
    message = f"xmin {future} equals or exceeds next valid transaction ID {epoch}:{next_xid}"
    wanted.append((block, lp, XMIN_OUT_OF_BOUNDS, message, (off + xmin_at, off + xmin_at + 4)))
    block, lp, off = _rewrite(
        found.path,
        block_size,
        second["ctid"],
        xmin=below,
        xmax=0,
        infomask=second["t_infomask"] & raw,
    )
    message = f"xmin {below} precedes relation freeze threshold {epoch}:{relfrozenxid}"
    wanted.append((block, lp, XMIN_OUT_OF_BOUNDS, message, (off + xmin_at, off + xmin_at + 4)))
    # a lock-only multixact xmax past the next multixact
    locker = (third["t_infomask"] & ~(C.HEAP_XMAX_INVALID | C.HEAP_XMAX_COMMITTED)) | (
        C.HEAP_XMAX_IS_MULTI | C.HEAP_XMAX_LOCK_ONLY
    )
    block, lp, off = _rewrite(
        found.path, block_size, third["ctid"], xmin=third["t_xmin"], xmax=multi, infomask=locker
    )
    message = (
        f"multitransaction ID {multi} equals or exceeds next valid multitransaction ID {next_multi}"
    )
    wanted.append((block, lp, MULTIXACT_OUT_OF_BOUNDS, message, (off + xmax_at, off + xmax_at + 4)))
    return root, sorted(wanted)


@pytest.mark.parametrize("major", MAJORS)
def test_check_finds_exactly_the_ids_out_of_bounds(major: int, tmp_path: Path) -> None:
    root, wanted = _damaged(major, tmp_path)
    results = []
    for jobs in ("1", "2"):
        out = pgpage("check", str(root), "--db", "shop", TABLE, "--format", "json", "--jobs", jobs)
        assert out.returncode == 1, out.stdout + out.stderr
        report = json.loads(out.stdout)
        assert _xid_findings(report) == wanted
        # nothing else is wrong: the ids alone were changed, checksums fixed
        assert [f for f in report["findings"] if f["code"] not in CODES] == []
        assert report["checks"][XID_BOUNDS_CHECK] == len(wanted)
        assert report["forks"]["main"]["errors"] == len(wanted)
        assert report["forks"]["main"]["checksums"] == {"ok": report["forks"]["main"]["blocks"]}
        for f in report["findings"]:
            assert f["severity"] == "error" and f["fork"] == "main"
            assert f["message"] == f"lp {f['lp']}: {f['amcheck']}"
        results.append(report["findings"])
    assert results[0] == results[1]
    if major != MAJOR:
        return
    text = pgpage("check", str(root), "--db", "shop", TABLE)
    assert text.returncode == 1
    lines = [x for x in text.stdout.splitlines() if XMIN_OUT_OF_BOUNDS in x]
    assert len(lines) == 2 and all(x.startswith("main block ") for x in lines)
    assert f"{XID_BOUNDS_CHECK}: checked, 3 findings" in text.stdout


@pytest.mark.parametrize("major", [MAJORS[0], MAJOR, MAJORS[-1]] if MAJORS else [])
def test_cluster_check_finds_them_too(major: int, tmp_path: Path) -> None:
    root, wanted = _damaged(major, tmp_path)
    results = []
    for jobs in ("1", "2"):
        out = pgpage("check", str(root), "--format", "json", "--jobs", jobs)
        assert out.returncode == 1, out.stdout + out.stderr
        report = json.loads(out.stdout)
        flagged = {
            (r["database"], r["schema"], r["name"]) for r in report["relations"] if r["problems"]
        }
        assert flagged == {("shop", "sales", "orders")}
        orders = next(
            r for r in report["relations"] if (r["schema"], r["name"]) == ("sales", "orders")
        )
        assert _xid_findings(orders) == wanted
        assert orders["checks"][XID_BOUNDS_CHECK] == len(wanted)
        assert report["totals"]["errors"] == len(wanted)
        results.append([r["findings"] for r in report["relations"]])
    assert results[0] == results[1]


def test_workers_and_the_full_decoder_find_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker processes (one block per task) take the bounds as a value; pages the kernel
    hands to the full decoder are checked by the scalar rule: the same findings."""
    root, wanted = _damaged(MAJOR, tmp_path)
    cluster = open_cluster(root)
    found = find_relation(cluster, "shop", TABLE)
    bounds, xacts = xid_bounds(found), cluster.datadir.xacts
    assert found.path is not None
    with FileSource(found.path) as source:
        one = check_relation(source, xacts=xacts, bounds=bounds)
        with monkeypatch.context() as m:
            m.setattr(scan_check, "PARALLEL_MIN_BLOCKS", 1)
            m.setattr(scan_check, "TASK_BLOCKS", 1)
            two = check_relation(source, jobs=2, xacts=xacts, bounds=bounds)

        def irregular(pages: arrays.U8, *args: Any, **kwargs: Any) -> Any:
            kinds, status = classify(pages, *args, **kwargs)
            return np.full_like(kinds, arrays.Kind.IRREGULAR), status

        classify = arrays.classify
        monkeypatch.setattr(arrays, "classify", irregular)
        decoded = check_relation(source, xacts=xacts, bounds=bounds)
    assert two.as_json() == one.as_json()
    got = sorted((f.block, f.lp, f.code, f.amcheck, f.span) for f in one.findings)
    assert got == wanted
    assert decoded.forks[0].xid_bounds_checked == one.forks[0].xid_bounds_checked
    assert [(f.block, f.lp, f.code, f.span, f.message, f.text) for f in decoded.findings] == [
        (f.block, f.lp, f.code, f.span, f.message, f.text) for f in one.findings
    ]
