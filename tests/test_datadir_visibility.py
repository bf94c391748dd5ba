"""Visibility without a server, wired into dump, check and stats of a data directory's relation.

* ``dump``: every heap tuple's verdict (JSON ``visibility``, one text line) is what the server
  answered (golden ``tuples[...].visible``); files keep their output; a missing pg_xact segment
  makes verdicts unknown and is said once.
* ``check``: hint bits pg_xact contradicts are findings; none on the clean fixtures, exactly the
  flipped ones on a damaged copy (checksums fixed, so only the hint is wrong), the same on
  worker processes, which rebuild the reader from its spec. The vectorised rule equals
  tuple_visibility's ``hint-contradicts-xact`` diagnostics on every hint combination.
* ``stats``: pgstattuple's tuple_count and dead_tuple_count exact, no note.
* the bulk pg_xact lookups equal the scalar ones.
"""

from __future__ import annotations

import itertools
import json
import pickle
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datadir_support import MAJORS, extract, golden

from pageinspect_py import constants as C
from pageinspect_py.analysis import heapstats
from pageinspect_py.analysis.visibility import HINT_CONTRADICTS_XACT, tuple_visibility
from pageinspect_py.app.check import HINT_CHECK, XID_BOUNDS_CHECK, check_relation
from pageinspect_py.app.datadir import Cluster, DataDirRelation, find_relation, open_cluster
from pageinspect_py.app.dump import dump_pages, open_dump
from pageinspect_py.app.stats import relation_stats
from pageinspect_py.layouts.heap import HEAP_TUPLE_HEADER_OFFSETS
from pageinspect_py.layouts.page import LP_OFF_MASK, PAGE_HEADER_OFFSETS
from pageinspect_py.page.checksum import page_checksum
from pageinspect_py.render.json import page_json
from pageinspect_py.render.text import WIDTH, visibility_text
from pageinspect_py.scan import check as scan_check
from pageinspect_py.sources.datadir import slru
from pageinspect_py.sources.datadir.slru import (
    FATE_NONE,
    SLRU_PAGES_PER_SEGMENT,
    ClogReader,
    DataDirectoryXacts,
    XactStatus,
)
from pageinspect_py.sources.file import FileSource

pytestmark = pytest.mark.skipif(not MAJORS, reason="no fixtures/datadir")
MAJOR = 15 if 15 in MAJORS else (MAJORS[-1] if MAJORS else 0)
_FATE = {
    XactStatus.IN_PROGRESS: slru.TRANSACTION_STATUS_IN_PROGRESS,
    XactStatus.COMMITTED: slru.TRANSACTION_STATUS_COMMITTED,
    XactStatus.ABORTED: slru.TRANSACTION_STATUS_ABORTED,
    XactStatus.SUB_COMMITTED: slru.TRANSACTION_STATUS_SUB_COMMITTED,
}
_HOT = C.HEAP_HOT_UPDATED | C.HEAP_ONLY_TUPLE


def pgpage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pageinspect_py.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@cache
def _cluster(root: Path) -> Cluster:
    return open_cluster(root)


def relation(root: Path, table: str) -> tuple[DataDirRelation, DataDirectoryXacts]:
    cluster = _cluster(root)
    return find_relation(cluster, "shop", table), cluster.datadir.xacts


def prepared_inserts(major: int, table: str) -> int:
    """Tuples a prepared transaction inserted: not visible to a query, but SnapshotDirty
    (pgstattuple) counts them live."""
    g = golden(major)
    prepared = set(g["prepared_xids"])
    return sum(1 for t in g["tuples"][table] if t["t_xmin"] in prepared and not t["visible"])


# ---------------------------------------------------------------------------------------------
# bulk lookups


@pytest.mark.parametrize("major", MAJORS)
def test_pg_xact_fates_equal_xid_status(major: int, datadir_copies: Callable[[int], Path]) -> None:
    xacts = open_cluster(datadir_copies(major)).datadir.xacts
    assert xacts.next_xid is not None
    xids = np.concatenate(
        [
            np.arange(0, xacts.next_xid + 20, dtype=np.int64),
            np.array([2**31, 2**31 + 5, 2**32 - 1, 2**32 - 3], dtype=np.int64),
        ]
    )
    fates = xacts.pg_xact_fates(xids)
    expected = []
    for xid in xids.tolist():
        status = xacts.xid_status(xid)
        expected.append(_FATE[status.status] if status.from_pg_xact else FATE_NONE)
    assert fates.tolist() == expected
    # many tuples of few transactions: looked up through a table of the range they span
    dense = np.repeat(xids[: xacts.next_xid + 20], 3)
    assert xacts.pg_xact_fates(dense).tolist() == np.repeat(fates[: len(dense) // 3], 3).tolist()


def test_clog_statuses_equal_raw_status_with_missing_and_short_segments(tmp_path: Path) -> None:
    block_size = 1024
    per_page = block_size * slru.CLOG_XACTS_PER_BYTE
    per_segment = per_page * SLRU_PAGES_PER_SEGMENT
    (tmp_path / "pg_xact").mkdir()
    rng = np.random.default_rng(12)
    (tmp_path / "pg_xact" / "0000").write_bytes(
        rng.integers(0, 256, SLRU_PAGES_PER_SEGMENT * block_size, dtype=np.uint8).tobytes()
    )
    # segment 1 missing; segment 2 has three pages and a half
    (tmp_path / "pg_xact" / "0002").write_bytes(
        rng.integers(0, 256, 3 * block_size + 100, dtype=np.uint8).tobytes()
    )
    xids = np.concatenate(
        [
            rng.integers(0, 3 * per_segment, 2000),
            np.array([per_segment, 2 * per_segment + 3 * per_page, 3 * per_segment - 1]),
        ]
    ).astype(np.int64)
    bulk = ClogReader(tmp_path, block_size=block_size)
    bits, readable = bulk.statuses(xids)
    one = ClogReader(tmp_path, block_size=block_size)
    for xid, got, ok in zip(xids.tolist(), bits.tolist(), readable.tolist(), strict=True):
        status, why = one.raw_status(xid)
        assert ok == (status is not XactStatus.UNKNOWN), xid
        if ok:
            assert slru.CLOG_STATUSES[got] is status, xid
        else:
            assert why in bulk.problems
    assert set(bulk.problems) == set(one.problems)
    assert len(bulk.problems) == len(set(bulk.problems)) >= 2


def test_spec_pickles_and_rebuilds_the_reader(
    datadir_copies: Callable[[int], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    xacts = open_cluster(datadir_copies(MAJOR)).datadir.xacts
    spec = pickle.loads(pickle.dumps(xacts.spec))
    assert spec == xacts.spec
    monkeypatch.setattr(slru, "_SHARED", {})
    rebuilt = spec.open()
    assert rebuilt is not xacts and spec.open() is rebuilt  # one per process
    assert slru.share(xacts) == spec and spec.open() is xacts
    xids = np.arange(0, 1000, dtype=np.int64)
    assert rebuilt.pg_xact_fates(xids).tolist() == xacts.pg_xact_fates(xids).tolist()


# ---------------------------------------------------------------------------------------------
# the vectorised hint rule is tuple_visibility's


@pytest.mark.parametrize("major", MAJORS)
def test_contradicting_hints_equal_tuple_visibility_diagnostics(
    major: int, datadir_copies: Callable[[int], Path]
) -> None:
    """Every golden tuple's header with every combination of the four hint bits (and the
    lock bits that change which xmax hint counts)."""
    xacts = open_cluster(datadir_copies(major)).datadir.xacts
    hints = (C.HEAP_XMIN_COMMITTED, C.HEAP_XMIN_INVALID, C.HEAP_XMAX_COMMITTED, C.HEAP_XMAX_INVALID)
    locks = (0, C.HEAP_XMAX_LOCK_ONLY, C.HEAP_XMAX_EXCL_LOCK)
    clear = sum(hints) | C.HEAP_XMAX_LOCK_ONLY | C.HEAP_XMAX_EXCL_LOCK
    headers: set[tuple[int, int, int]] = set()
    for tuples in golden(major)["tuples"].values():
        for t in tuples:
            base = t["t_infomask"] & ~clear
            for bits in itertools.product((0, 1), repeat=4):
                for lock in locks:
                    mask = base | lock | sum(h for h, on in zip(hints, bits, strict=True) if on)
                    headers.add((t["t_xmin"], t["t_xmax"], mask))
    ordered = sorted(headers)
    expected = []
    for index, (xmin, xmax, mask) in enumerate(ordered):
        verdict = tuple_visibility(xmin, xmax, mask, 0, xacts)
        expected += [(index, d.message) for d in verdict.diagnostics]
        assert all(d.code == HINT_CONTRADICTS_XACT for d in verdict.diagnostics)
    column = np.array(ordered, dtype=np.int64)
    found = scan_check.contradicting_hints(column[:, 0], column[:, 1], column[:, 2], xacts)
    got = [
        (
            c.index,
            f"{c.which} {c.xid}: {c.hint} is set but pg_xact says "
            f"{xacts.xid_status(c.xid).describe()}",
        )
        for c in found
    ]
    assert got == expected
    assert len(expected) > 100  # the combinations do contradict pg_xact


# ---------------------------------------------------------------------------------------------
# dump


@pytest.mark.parametrize("major", MAJORS)
def test_dump_verdicts_are_the_servers(major: int, datadir_copies: Callable[[int], Path]) -> None:
    """What ``pgpage dump PGDATA --db shop TABLE --format json`` writes (open_dump with the
    directory's transaction status, page_json), tuple by tuple, against the server."""
    g = golden(major)
    root = datadir_copies(major)
    for table, tuples in g["tuples"].items():
        found, xacts = relation(root, table)
        assert found.path is not None
        seen = {}
        with ExitStack() as stack:
            opened = open_dump(
                str(found.path),
                dsn=None,
                live=False,
                fork=None,
                first_block=None,
                block_size=None,
                schema_file=None,
                columns=None,
                toast_path=None,
                no_values=False,
                stack=stack,
                xacts=xacts,
            )
            for record in dump_pages(opened, 0, None, strict=False):
                assert record.visibility_diagnostics == ()
                page = json.loads(json.dumps(page_json(record.page, visibility=record.visibility)))
                for item in page["heap_page_items"]:
                    if "visibility" in item:
                        seen[f"({page['block']},{item['lp']})"] = item["visibility"]
        assert {t["ctid"]: t["visible"] for t in tuples} == {
            ctid: v["visible"] for ctid, v in seen.items()
        }, table
        for v in seen.values():
            assert set(v) == {"verdict", "visible", "xmin_status", "xmax_status", "reason"}
            assert v["reason"]


def test_dump_text_has_one_short_line_per_tuple(datadir_copies: Callable[[int], Path]) -> None:
    root = datadir_copies(MAJOR)
    out = pgpage("dump", str(root), "--db", "shop", "sales.orders")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    verdicts = [line for line in lines if line.strip().startswith("visible: ")]
    assert len(verdicts) == len(golden(MAJOR)["tuples"]["sales.orders"])
    assert max(len(line) for line in verdicts) <= WIDTH
    assert any("visible: no (in progress); xmin in progress" in line for line in verdicts)
    # every verdict the text can show fits
    from pageinspect_py.analysis.visibility import Verdict, Visibility

    for verdict, visible, xmin, xmax in itertools.product(
        Verdict, (True, False, None), XactStatus, XactStatus
    ):
        text = "      " + visibility_text(Visibility(verdict, visible, xmin, xmax, "r"))
        assert len(text) <= WIDTH, text


def test_dump_of_a_file_has_no_verdicts(datadir_copies: Callable[[int], Path]) -> None:
    root = datadir_copies(MAJOR)
    found, _ = relation(root, "sales.orders")
    assert found.path is not None
    out = pgpage("dump", str(found.path), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert '"visibility"' not in out.stdout
    text = pgpage("dump", str(found.path))
    assert "visible:" not in text.stdout


def test_missing_pg_xact_segment_unknown_said_once(tmp_path: Path) -> None:
    root = extract(MAJOR, tmp_path)
    (root / "pg_xact" / "0000").unlink()
    out = pgpage("dump", str(root), "--db", "shop", "sales.fresh", "--format", "json")
    assert out.returncode == 0, out.stderr
    verdicts = [
        item["visibility"]
        for line in out.stdout.splitlines()
        for item in json.loads(line)["heap_page_items"]
        if "visibility" in item
    ]
    assert verdicts and all(v["verdict"] == "unknown" for v in verdicts)  # none hinted
    assert all(v["visible"] is None for v in verdicts)
    assert out.stderr.count("pg_xact/0000: no such segment") == 1, out.stderr
    # check: hinted tuples' xids cannot be looked up either; said, not a problem
    check = pgpage("check", str(root), "--db", "shop", "sales.orders", "--format", "json")
    assert check.returncode == 0, check.stdout + check.stderr
    report = json.loads(check.stdout)
    assert report["xact_problems"] == ["pg_xact/0000: no such segment"]
    assert report["checks"] == {HINT_CHECK: 0, XID_BOUNDS_CHECK: 0}
    text = pgpage("check", str(root), "--db", "shop", "sales.orders")
    assert "note: hint bits not checked where pg_xact cannot be read: pg_xact/0000" in text.stdout
    # stats: the unhinted tuples stay estimates, and the note says why
    stats = pgpage("stats", str(root), "--db", "shop", "sales.fresh", "--format", "json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["pgpage"]["tuples_status_unknown"] == 11
    assert "pg_xact/0000: no such segment" in stats.stderr
    assert "estimates" in stats.stderr


# ---------------------------------------------------------------------------------------------
# check


@pytest.mark.parametrize("major", MAJORS)
def test_check_of_the_clean_fixtures_finds_no_hint(
    major: int, datadir_copies: Callable[[int], Path]
) -> None:
    """Every heap-like relation of the fixture database, catalogs included."""
    root = datadir_copies(major)
    cluster = open_cluster(root)
    db = cluster.database("shop")
    checked = 0
    for cls in db.classes.values():
        if cls.relkind not in "rtm" or not cls.has_storage:
            continue
        path = db.relation_path(cls)
        if not path.exists():
            continue
        with FileSource(path) as source:
            if source.nblocks("main") == 0:
                continue
            report = check_relation(source, xacts=cluster.datadir.xacts)
        assert [f.text for f in report.findings] == [], cls.qualified
        assert dict(report.checks)[HINT_CHECK] == 0
        assert report.xact_problems == ()
        checked += 1
    assert checked > 20


def test_check_of_an_index_has_no_hint_check(datadir_copies: Callable[[int], Path]) -> None:
    found, xacts = relation(datadir_copies(MAJOR), "sales.orders_pkey")
    assert found.path is not None
    with FileSource(found.path) as source:
        report = check_relation(source, xacts=xacts)
    assert HINT_CHECK not in dict(report.checks)
    assert report.xact_problems is None and "xact_problems" not in report.as_json()


def _flip(root: Path, major: int, table: str, ctid: str, infomask: int) -> None:
    """Set t_infomask of the tuple at ``ctid`` and fix the page's checksum."""
    found, _ = relation(root, table)
    assert found.path is not None
    block_size = int(golden(major)["block_size"])
    block, lp = (int(x) for x in ctid.strip("()").split(","))
    with found.path.open("r+b") as f:
        f.seek(block * block_size)
        page = bytearray(f.read(block_size))
        at = C.SizeOfPageHeaderData + (lp - 1) * C.SizeOfItemIdData
        lp_off = int.from_bytes(page[at : at + 4], "little") & LP_OFF_MASK
        mask_at = lp_off + HEAP_TUPLE_HEADER_OFFSETS["t_infomask"][0]
        page[mask_at : mask_at + 2] = infomask.to_bytes(2, "little")
        sum_at = PAGE_HEADER_OFFSETS["pd_checksum"][0]
        if any(page[sum_at : sum_at + 2]):
            page[sum_at : sum_at + 2] = page_checksum(bytes(page), block).to_bytes(2, "little")
        f.seek(block * block_size)
        f.write(page)


_XMIN_BITS = C.HEAP_XMIN_COMMITTED | C.HEAP_XMIN_INVALID
_XMAX_BITS = C.HEAP_XMAX_COMMITTED | C.HEAP_XMAX_INVALID


def _victim(major: int, table: str, kind: str) -> dict[str, Any]:
    """A tuple outside any HOT chain (flipping its hints keeps the page sound): an aborted
    insert hinted invalid, a committed one hinted committed, or a committed delete hinted
    committed."""
    g = golden(major)
    status = g["xid_status"]
    tuples: list[dict[str, Any]] = g["tuples"][table]
    for t in tuples:
        mask = t["t_infomask"]
        if t["t_infomask2"] & _HOT:
            continue
        xmin, xmax = status.get(str(t["t_xmin"])), status.get(str(t["t_xmax"]))
        if kind == "aborted" and mask & _XMIN_BITS == C.HEAP_XMIN_INVALID and xmin == "aborted":
            return t
        if (
            kind == "committed"
            and mask & _XMIN_BITS == C.HEAP_XMIN_COMMITTED
            and xmin == "committed"
            and t["t_xmax"] == 0
        ):
            return t
        if (
            kind == "deleted"
            and mask & _XMAX_BITS == C.HEAP_XMAX_COMMITTED
            and not mask & (C.HEAP_XMAX_IS_MULTI | C.HEAP_XMAX_LOCK_ONLY)
            and xmax == "committed"
        ):
            return t
    raise AssertionError(f"pg{major} {table}: no {kind} tuple")


def _damaged(major: int, tmp_path: Path) -> tuple[Path, list[tuple[str, str, str]]]:
    """A copy with three hint bits wrong: (table, ctid, hint) of each."""
    root = extract(major, tmp_path)
    aborted = _victim(major, "sales.orders", "aborted")
    committed = _victim(major, "sales.orders", "committed")
    deleted = _victim(major, "sales.docs", "deleted")
    _flip(root, major, "sales.orders", aborted["ctid"], aborted["t_infomask"] ^ _XMIN_BITS)
    _flip(root, major, "sales.orders", committed["ctid"], committed["t_infomask"] ^ _XMIN_BITS)
    _flip(root, major, "sales.docs", deleted["ctid"], deleted["t_infomask"] ^ _XMAX_BITS)
    return root, [
        ("sales.orders", aborted["ctid"], f"xmin {aborted['t_xmin']}: HEAP_XMIN_COMMITTED"),
        ("sales.orders", committed["ctid"], f"xmin {committed['t_xmin']}: HEAP_XMIN_INVALID"),
        ("sales.docs", deleted["ctid"], f"xmax {deleted['t_xmax']}: HEAP_XMAX_INVALID"),
    ]


@pytest.mark.parametrize("major", MAJORS)
def test_check_finds_exactly_the_flipped_hints(major: int, tmp_path: Path) -> None:
    root, flipped = _damaged(major, tmp_path)
    for table in ("sales.orders", "sales.docs"):
        out = pgpage("check", str(root), "--db", "shop", table, "--format", "json")
        assert out.returncode == 1, out.stdout + out.stderr
        report = json.loads(out.stdout)
        wanted = sorted(
            (int(ctid.strip("()").split(",")[0]), f"lp {ctid.strip('()').split(',')[1]}: {hint}")
            for t, ctid, hint in flipped
            if t == table
        )
        got = sorted((f["block"], f["message"].split(" is set")[0]) for f in report["findings"])
        assert got == wanted, report["findings"]
        assert {f["code"] for f in report["findings"]} == {HINT_CONTRADICTS_XACT}
        assert all(f["fork"] == "main" for f in report["findings"])
        assert report["checks"] == {HINT_CHECK: len(wanted), XID_BOUNDS_CHECK: 0}
        assert report["forks"]["main"]["checksums"] == {"ok": report["forks"]["main"]["blocks"]}
    if major != MAJOR:
        return
    text = pgpage("check", str(root), "--db", "shop", "sales.docs")
    line = next(x for x in text.stdout.splitlines() if HINT_CONTRADICTS_XACT in x)
    assert line.startswith("main block ") and "HEAP_XMAX_INVALID is set but pg_xact says" in line
    # dump says it too, on stderr, beside the verdict the hint gives
    dump = pgpage("dump", str(root), "--db", "shop", "sales.docs")
    assert dump.returncode == 1
    assert "hint-contradicts-xact" in dump.stderr and "HEAP_XMAX_INVALID" in dump.stderr


def test_check_on_workers_equals_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers (forked, one block per task) rebuild the reader and find the same."""
    root, _ = _damaged(MAJOR, tmp_path)
    found, xacts = relation(root, "sales.orders")
    assert found.path is not None
    with FileSource(found.path) as source:
        one = check_relation(source, xacts=xacts)
        monkeypatch.setattr(scan_check, "PARALLEL_MIN_BLOCKS", 1)
        monkeypatch.setattr(scan_check, "TASK_BLOCKS", 1)
        monkeypatch.setattr(slru, "_SHARED", {})  # nothing to inherit: built from the spec
        two = check_relation(source, jobs=2, xacts=xacts)
        # a task in this process with a spec nobody shared builds its own reader
        monkeypatch.setattr(slru, "_SHARED", {})
        alone = scan_check._check_range(source, "main", 0, source.nblocks("main"), xacts.spec)
    assert len(one.findings) == 2
    assert two.findings == one.findings
    assert [f.text for f in alone.findings] == [f.text for f in one.findings]
    assert two.as_json() == one.as_json()


# ---------------------------------------------------------------------------------------------
# stats


@pytest.mark.parametrize("major", MAJORS)
def test_stats_counts_are_exact(major: int, datadir_copies: Callable[[int], Path]) -> None:
    g = golden(major)
    root = datadir_copies(major)
    for table, tuples in g["tuples"].items():
        found, xacts = relation(root, table)
        assert found.path is not None
        with FileSource(found.path) as source:
            report = relation_stats(source, xacts=xacts)
        live = sum(t["visible"] for t in tuples) + prepared_inserts(major, table)
        assert report.figures["tuple_count"] == live, table
        assert report.figures["dead_tuple_count"] == len(tuples) - live, table
        assert report.ours["tuples_status_unknown"] == 0
        assert report.notes == (), table


@pytest.mark.parametrize("major", MAJORS)
def test_settled_as_arrays_equals_one_at_a_time(
    major: int, datadir_copies: Callable[[int], Path]
) -> None:
    """The array form of HeapTupleSatisfiesDirty with pg_xact equals the scalar one on every
    golden header with every combination of hint bits and lock bits it leaves unknown."""
    xacts = open_cluster(datadir_copies(major)).datadir.xacts
    bits = (
        C.HEAP_XMIN_COMMITTED,
        C.HEAP_XMIN_INVALID,
        C.HEAP_XMAX_COMMITTED,
        C.HEAP_XMAX_INVALID,
        C.HEAP_XMAX_LOCK_ONLY,
        C.HEAP_XMAX_EXCL_LOCK,
        C.HEAP_XMAX_IS_MULTI,
        C.HEAP_MOVED_OFF,
    )
    headers: set[tuple[int, int, int]] = set()
    for tuples in golden(major)["tuples"].values():
        for t in tuples:
            base = t["t_infomask"] & ~sum(bits)
            for on in itertools.product((0, 1), repeat=len(bits)):
                mask = base | sum(b for b, o in zip(bits, on, strict=True) if o)
                if heapstats.dirty_visibility(mask) is heapstats.Visibility.UNKNOWN:
                    headers.add((t["t_xmin"], t["t_xmax"], mask))
    ordered = sorted(headers)
    column = np.array(ordered, dtype=np.int64)
    arrays_form = heapstats._settle(column[:, 0], column[:, 1], column[:, 2], xacts)
    one_by_one = [heapstats.dirty_visibility_xact(a, b, c, xacts) for a, b, c in ordered]
    assert arrays_form.tolist() == [int(v) for v in one_by_one]
    assert set(one_by_one) == set(heapstats.Visibility)


def test_stats_command_has_no_estimate_note(datadir_copies: Callable[[int], Path]) -> None:
    root = datadir_copies(MAJOR)
    out = pgpage("stats", str(root), "--db", "shop", "sales.fresh")
    assert out.returncode == 0, out.stderr
    assert "note:" not in out.stdout
    tuples = golden(MAJOR)["tuples"]["sales.fresh"]
    counts = {w[0]: w[1] for w in (line.split() for line in out.stdout.splitlines()) if len(w) == 2}
    assert counts["tuple_count"] == str(sum(t["visible"] for t in tuples))
    # the file alone still estimates, and says so
    found, _ = relation(root, "sales.fresh")
    file = pgpage("stats", str(found.path))
    assert "estimates" in file.stdout
