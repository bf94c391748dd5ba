"""``pgpage check PGDATA``: every relation of a data directory, orphans, pg_checksums' verdicts.

Golden: on the clean copy of every major the relations checked are the pg_class rows the
server listed (path = pg_relation_filepath, blocks per fork), and where the fixture holds
``pg_checksums --check`` output its file, block and failure counts equal ours. Run here, on
damaged copies (bytes flipped in a user table, a catalog and a shared catalog, a
``pd_checksum`` set to 0 in an index), pg_checksums of the same major names exactly the
files and blocks our findings and ``checksum_failures`` name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pgcluster
import pytest
from click.testing import CliRunner
from datadir_support import MAJORS, extract, golden

from pageinspect_py.app.cluster_check import (
    ClusterCheckReport,
    cluster_check,
    plan_cluster_check,
)
from pageinspect_py.cli import main
from pageinspect_py.cli_cluster_check import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_SOURCE,
    run_cluster_check,
)
from pageinspect_py.layouts.page import PAGE_HEADER_OFFSETS
from pageinspect_py.page.raw import FORKS
from pageinspect_py.render.cluster_check import cluster_check_text
from pageinspect_py.scan.parallel import Progress
from pageinspect_py.sources.file import FileSource

BLCKSZ = 8192
DB_IN_PRODUCTION = 6  #: DBState (catalog/pg_control.h)
_CHECKSUM_AT, _ = PAGE_HEADER_OFFSETS["pd_checksum"]
_FAILED = re.compile(
    r'checksum verification failed in file "(?P<file>[^"]+)", block (?P<block>\d+): '
    r"calculated checksum (?P<computed>[0-9A-F]+) but block contains (?P<stored>[0-9A-F]+)"
)

pytestmark = pytest.mark.skipif(not MAJORS, reason="no data-directory fixtures")


def _golden_relations(major: int) -> list[dict[str, Any]]:
    """pg_class rows with files (temporary relations' files belong to a session)."""
    return [
        r
        for r in golden(major)["relations"]
        if r["path"] is not None and r["relpersistence"] != "t"
    ]


def _pg_checksums_counts(stdout: str) -> dict[str, int]:
    """``Files scanned``, ``Blocks scanned`` and ``Bad checksums`` of pg_checksums' summary."""
    found = dict(
        re.findall(r"^(Files scanned|Blocks scanned|Bad checksums):\s+(\d+)$", stdout, re.M)
    )
    return {name: int(n) for name, n in found.items()}


def _ours(report: ClusterCheckReport) -> dict[str, int]:
    t = report.totals
    return {
        "Files scanned": t.files,
        "Blocks scanned": t.blocks,
        "Bad checksums": t.checksum_failures,
    }


@cache
def _clean(major: int, root: Path) -> ClusterCheckReport:
    return cluster_check(root, jobs=2)


@pytest.fixture(params=MAJORS, ids=[f"pg{m}" for m in MAJORS])
def clean(
    request: pytest.FixtureRequest, datadir_copies: Callable[[int], Path]
) -> ClusterCheckReport:
    major: int = request.param
    return _clean(major, datadir_copies(major))


# ----------------------------------------------------------------------------------------------
# clean copies: the server's pg_class, pg_checksums' counts


def test_clean_copy_has_no_problems(clean: ClusterCheckReport) -> None:
    assert not clean.problems, cluster_check_text(clean)
    assert clean.orphans == ()
    assert clean.totals.checksum_failures == 0
    assert clean.totals.errors == 0
    assert set(clean.totals.checksums) <= {"ok", "not_applicable"}


def test_relations_are_the_servers_pg_class(clean: ClusterCheckReport) -> None:
    expected = {r["path"]: r for r in _golden_relations(clean.major)}
    ours = {r.path: r for r in clean.relations}
    assert sorted(ours) == sorted(expected)
    for path, rel in ours.items():
        row = expected[path]
        assert (rel.cls.oid, rel.cls.nspname, rel.cls.relname) == (
            row["oid"],
            row["nspname"],
            row["relname"],
        )
        assert rel.database == (None if row["relisshared"] else golden(clean.major)["database"])
        blocks = {s.fork: s.blocks for s in rel.report.forks}
        assert blocks == {f: n for f, n in row["blocks"].items() if n}, path


def test_databases_without_files_are_said_once(clean: ClusterCheckReport) -> None:
    g = golden(clean.major)
    assert [d.datname for d in clean.databases] == [g["database"]]
    missing = [d["datname"] for d in g["databases"] if d["datname"] != g["database"]]
    assert [d.datname for d in clean.missing_databases] == missing
    text = cluster_check_text(clean)
    assert sum("no files in this copy" in line for line in text.splitlines()) == 1
    assert all(name in text.splitlines()[1] for name in missing)


#: majors whose fixture holds ``pg_checksums --check`` output (Debian's 15)
CAPTURED = [m for m in MAJORS if golden(m)["checksums"] is not None]


@pytest.mark.skipif(not CAPTURED, reason="no fixture holds pg_checksums output")
@pytest.mark.parametrize("major", CAPTURED, ids=[f"pg{m}" for m in CAPTURED])
def test_counts_equal_the_golden_pg_checksums(
    major: int, datadir_copies: Callable[[int], Path]
) -> None:
    captured = golden(major)["checksums"]
    assert captured["returncode"] == 0
    assert _ours(_clean(major, datadir_copies(major))) == _pg_checksums_counts(captured["stdout"])


def test_one_summary_line_per_relation_and_a_total(clean: ClusterCheckReport) -> None:
    lines = cluster_check_text(clean).splitlines()
    for rel in clean.relations:
        prefix = f"{rel.database or '(shared)'} {rel.cls.qualified} {rel.path}: "
        assert sum(line.startswith(prefix) for line in lines) == 1, prefix
    assert lines[-1].startswith(f"total: {len(clean.relations)} relations")
    assert "0 bad (as pg_checksums counts them)" in lines[-1]


# ----------------------------------------------------------------------------------------------
# pg_checksums run here


def _pg_checksums(major: int) -> Path | None:
    """A pg_checksums binary of ``major``: $PGPAGE_PG_ROOT/<major>/bin, or the distribution's
    (``pg_config --bindir``) when it is that major."""
    candidates = [pgcluster.bindir_for_major(major), pgcluster.debian_bindir()]
    for bindir in candidates:
        binary = bindir / "pg_checksums" if bindir is not None else None
        if binary is None or not binary.exists():
            continue
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, check=False
        )
        found = re.search(r"\(PostgreSQL\) (\d+)", out.stdout)
        if found and int(found.group(1)) == major:
            return binary
    return None


def _checksums_major() -> int:
    """The fixture major a pg_checksums binary exists for (skip, or fail in CI, if none)."""
    for major in MAJORS:
        if _pg_checksums(major) is not None:
            return major
    reason = "no pg_checksums binary of a fixture's major (pg_config --bindir, $PGPAGE_PG_ROOT)"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI must compare with pg_checksums, but there is {reason}")
    pytest.skip(reason)


def run_pg_checksums(major: int, pgdata: Path) -> subprocess.CompletedProcess[str]:
    binary = _pg_checksums(major)
    assert binary is not None
    done = subprocess.run(
        [str(binary), "--check", "-D", str(pgdata)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    # it runs as root, and wants pg_control to say "shut down": the fixtures are clean copies
    assert "Checksum operation completed" in done.stdout or _FAILED.search(done.stderr), done
    return done


def pg_checksums_failures(
    done: subprocess.CompletedProcess[str], pgdata: Path
) -> set[tuple[str, int, int, int]]:
    """(file relative to PGDATA, block in file, computed, stored) of every failure line."""
    out = set()
    for m in _FAILED.finditer(done.stderr):
        file = str(Path(m["file"]).relative_to(pgdata))
        out.add((file, int(m["block"]), int(m["computed"], 16), int(m["stored"], 16)))
    return out


def our_failures(report: ClusterCheckReport) -> set[tuple[str, int, int, int]]:
    return {(f.file, f.block, f.computed, f.stored) for f in report.checksum_failures}


def our_checksum_findings(report: ClusterCheckReport) -> set[tuple[str, int]]:
    """(file, block in file) of every checksum finding, from the findings themselves."""
    out = set()
    for rel in report.relations:
        for f in rel.report.findings:
            if f.code in ("checksum-mismatch", "checksum-not-set"):
                file, block = _file_of(rel.path, f.fork, f.block, report.segment_blocks)
                out.add((file, block))
    return out


def _file_of(path: str, fork: str, blkno: int, segment_blocks: int) -> tuple[str, int]:
    suffix = {"main": "", "fsm": "_fsm", "vm": "_vm", "init": "_init"}[fork]
    segno, block = divmod(blkno, segment_blocks)
    return f"{path}{suffix}{f'.{segno}' if segno else ''}", block


def test_clean_copy_equals_pg_checksums_run_here(datadir_copies: Callable[[int], Path]) -> None:
    major = _checksums_major()
    pgdata = datadir_copies(major)
    done = run_pg_checksums(major, pgdata)
    assert done.returncode == 0, done.stderr
    report = _clean(major, pgdata)
    assert _ours(report) == _pg_checksums_counts(done.stdout)
    assert our_failures(report) == set() == pg_checksums_failures(done, pgdata)


def _relation(major: int, nspname: str, relname: str) -> dict[str, Any]:
    return next(
        r for r in golden(major)["relations"] if (r["nspname"], r["relname"]) == (nspname, relname)
    )


def _flip(pgdata: Path, path: str, block: int, at: int = BLCKSZ - 200) -> None:
    """Flip a byte in block ``block`` of ``path`` (tuple data, near the page's end), leaving
    pd_checksum as it was."""
    file = pgdata / path
    data = bytearray(file.read_bytes())
    data[block * BLCKSZ + at] ^= 0x5A
    file.write_bytes(bytes(data))


def _zero_checksum(pgdata: Path, path: str, block: int) -> None:
    file = pgdata / path
    data = bytearray(file.read_bytes())
    data[block * BLCKSZ + _CHECKSUM_AT : block * BLCKSZ + _CHECKSUM_AT + 2] = b"\0\0"
    file.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, set[tuple[str, int]]]:
    """A copy with a user table, a catalog and a shared catalog block flipped, and an index
    page whose pd_checksum is 0; the (file, block) pairs damaged."""
    major = next((m for m in MAJORS if _pg_checksums(m) is not None), MAJORS[-1])
    pgdata = extract(major, tmp_path_factory.mktemp("damaged"))
    orders = _relation(major, "sales", "orders")["path"]
    proc = _relation(major, "pg_catalog", "pg_proc")["path"]
    authid = _relation(major, "pg_catalog", "pg_authid")["path"]
    index = _relation(major, "pg_catalog", "pg_proc_proname_args_nsp_index")["path"]
    _flip(pgdata, orders, 1)
    _flip(pgdata, proc, 5)
    _flip(pgdata, authid, 0)
    _zero_checksum(pgdata, index, 2)
    return major, pgdata, {(orders, 1), (proc, 5), (authid, 0), (index, 2)}


@pytest.fixture(scope="module")
def damaged_report(damaged: tuple[int, Path, set[tuple[str, int]]]) -> ClusterCheckReport:
    return cluster_check(damaged[1], jobs=2)


def test_damaged_blocks_are_found(
    damaged: tuple[int, Path, set[tuple[str, int]]], damaged_report: ClusterCheckReport
) -> None:
    _, _, expected = damaged
    assert damaged_report.problems
    assert {(f.file, f.block) for f in damaged_report.checksum_failures} == expected
    assert our_checksum_findings(damaged_report) == expected
    assert damaged_report.totals.checksum_failures == len(expected)
    broken = {r.path for r in damaged_report.relations if r.problems}
    assert broken == {path for path, _ in expected}


def test_damaged_copy_equals_pg_checksums_run_here(
    damaged: tuple[int, Path, set[tuple[str, int]]], damaged_report: ClusterCheckReport
) -> None:
    major, pgdata, expected = damaged
    if _pg_checksums(major) is None:
        _checksums_major()  # skips (or fails in CI) with the reason
    done = run_pg_checksums(major, pgdata)
    assert done.returncode == 1
    theirs = pg_checksums_failures(done, pgdata)
    assert {(file, block) for file, block, _, _ in theirs} == expected
    assert our_failures(damaged_report) == theirs  # same files, blocks and both checksums
    assert _ours(damaged_report) == _pg_checksums_counts(done.stdout)


def test_damaged_text_names_relation_path_fork_and_block(
    damaged: tuple[int, Path, set[tuple[str, int]]], damaged_report: ClusterCheckReport
) -> None:
    major = damaged[0]
    text = cluster_check_text(damaged_report)
    orders = _relation(major, "sales", "orders")["path"]
    index = _relation(major, "pg_catalog", "pg_proc_proname_args_nsp_index")["path"]
    authid = _relation(major, "pg_catalog", "pg_authid")["path"]
    lines = text.splitlines()
    assert any(
        line.startswith(f"shop sales.orders {orders} main block 1: error: checksum-mismatch")
        for line in lines
    ), text
    assert any(
        line.startswith(
            f"shop pg_catalog.pg_proc_proname_args_nsp_index {index} main block 2: "
            "error: checksum-not-set"
        )
        for line in lines
    )
    assert any(
        line.startswith(f"(shared) pg_catalog.pg_authid {authid} main block 0: error:")
        for line in lines
    )
    assert "4 bad (as pg_checksums counts them)" in lines[-1]


def test_report_does_not_depend_on_jobs(
    damaged: tuple[int, Path, set[tuple[str, int]]], damaged_report: ClusterCheckReport
) -> None:
    assert cluster_check(damaged[1], jobs=1).as_json() == damaged_report.as_json()


def test_json_shape(
    damaged: tuple[int, Path, set[tuple[str, int]]], damaged_report: ClusterCheckReport
) -> None:
    out = json.loads(json.dumps(damaged_report.as_json()))
    assert set(out) >= {"relations", "orphans", "totals", "checksum_failures"}
    assert len(out["relations"]) == len(damaged_report.relations)
    orders = next(r for r in out["relations"] if r["name"] == "orders")
    assert (orders["database"], orders["schema"], orders["path"]) == (
        "shop",
        "sales",
        _relation(damaged[0], "sales", "orders")["path"],
    )
    # the per-relation report's keys, as pgpage check RELATION --format json has them
    assert set(orders) >= {"relation", "forks", "findings", "source_problems", "checks", "problems"}
    assert orders["problems"] is True
    assert [f["block"] for f in orders["findings"] if f["code"] == "checksum-mismatch"] == [1]
    shared = [r for r in out["relations"] if r["database"] is None]
    assert shared and all(r["path"].startswith("global/") for r in shared)
    assert out["totals"]["checksum_failures"] == 4
    assert out["totals"]["blocks"] == sum(
        r["blocks"] for rel in out["relations"] for r in rel["forks"].values()
    )


def test_a_page_pg_checksums_takes_for_new(scratch: tuple[int, Path]) -> None:
    """pd_upper 0 is PageIsNew for pg_checksums, which then skips the page whatever else it
    holds: no checksum failure, as pg_checksums says, but the check still finds the page."""
    major, pgdata = scratch
    orders = _relation(major, "sales", "orders")["path"]
    at = PAGE_HEADER_OFFSETS["pd_upper"][0]
    file = pgdata / orders
    data = bytearray(file.read_bytes())
    data[BLCKSZ + at : BLCKSZ + at + 2] = b"\0\0"
    file.write_bytes(bytes(data))
    report = cluster_check(pgdata, jobs=1)
    assert report.checksum_failures == ()
    rel = next(r for r in report.relations if r.path == orders)
    assert rel.problems
    assert {f.block for f in rel.report.findings if f.severity == "error"} == {1}
    if _pg_checksums(major) is not None:
        done = run_pg_checksums(major, pgdata)
        assert done.returncode == 0
        assert _ours(report) == _pg_checksums_counts(done.stdout)


def _edit_control(pgdata: Path, major: int, name: str, value: int) -> None:
    """Set a 4-byte field of global/pg_control and fix the CRC."""
    from pageinspect_py.layouts.control import control_offsets, crc_offset
    from pageinspect_py.page.crc32c import crc32c

    path = pgdata / "global" / "pg_control"
    data = bytearray(path.read_bytes())
    offset, size = control_offsets(major)[name]
    assert size == 4
    struct.pack_into("<I", data, offset, value)
    end = crc_offset(major)
    struct.pack_into("<I", data, end, crc32c(bytes(data[:end])))
    path.write_bytes(bytes(data))


def test_a_cluster_without_data_checksums(
    scratch: tuple[int, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """With data checksums off pd_checksum means nothing: a page whose (old) value does not
    match is said once in a note, not as a finding, and nothing counts as a failure."""
    major, pgdata = scratch
    _edit_control(pgdata, major, "data_checksum_version", 0)
    orders = _relation(major, "sales", "orders")["path"]
    _flip(pgdata, orders, 1)
    report = cluster_check(pgdata, jobs=1)
    assert not report.problems, cluster_check_text(report)
    assert report.data_checksum_version == 0
    assert report.checksum_failures == ()
    assert any("data checksums are off" in note and "1 page " in note for note in report.notes)
    code, out, err = _run(capsys, pgdata, None)
    assert code == EXIT_OK
    assert "data checksums off" in out.splitlines()[0]
    assert "bad (as pg_checksums" not in out.splitlines()[-1]
    assert "pgpage: data checksums are off" in err
    if _pg_checksums(major) is not None:  # pg_checksums has no verdict there
        binary = _pg_checksums(major)
        done = subprocess.run(
            [str(binary), "--check", "-D", str(pgdata)], capture_output=True, text=True, check=False
        )
        assert done.returncode != 0
        assert "data checksums are not enabled" in done.stderr


def test_a_cluster_not_shut_down(
    scratch: tuple[int, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    major, pgdata = scratch
    _edit_control(pgdata, major, "state", DB_IN_PRODUCTION)
    code, out, err = _run(capsys, pgdata, None)
    assert code == EXIT_OK
    assert "state: in production" in err and "pg_checksums refuses" in err
    assert out.splitlines()[-1].startswith("total: ")


# ----------------------------------------------------------------------------------------------
# --db, errors


def test_one_database(datadir_copies: Callable[[int], Path]) -> None:
    major = MAJORS[-1]
    report = cluster_check(datadir_copies(major), "shop", jobs=1)
    assert [d.datname for d in report.databases] == ["shop"]
    assert report.missing_databases == ()  # only the database asked for is spoken of
    assert {r.path for r in report.relations} == {r["path"] for r in _golden_relations(major)}
    assert not report.problems


def test_one_database_by_oid(datadir_copies: Callable[[int], Path]) -> None:
    major = MAJORS[-1]
    oid = str(golden(major)["database_oid"])
    assert [d.datname for d in plan_cluster_check(datadir_copies(major), oid).databases] == ["shop"]


def _run(
    capsys: pytest.CaptureFixture[str], pgdata: Path | str, database: str | None, fmt: str = "text"
) -> tuple[int, str, str]:
    code = run_cluster_check(str(pgdata), database, fmt, 1, True)
    out, err = capsys.readouterr()
    return code, out, err


def test_unknown_database(
    datadir_copies: Callable[[int], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, datadir_copies(MAJORS[-1]), "nosuchdb")
    assert code == EXIT_SOURCE
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("pgpage: ") and "no database 'nosuchdb'" in err


def test_database_without_files(
    datadir_copies: Callable[[int], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, datadir_copies(MAJORS[-1]), "postgres")
    assert code == EXIT_SOURCE
    assert out == ""
    assert err.count("\n") == 1
    assert "'postgres'" in err and "has no files in this copy" in err


def test_not_a_data_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "base").mkdir()
    code, out, err = _run(capsys, tmp_path, None)
    assert code == EXIT_SOURCE
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("pgpage: ") and "not a PostgreSQL data directory" in err
    code, _, err = _run(capsys, tmp_path / "nowhere", None)
    assert code == EXIT_SOURCE
    assert "no such directory" in err


def test_no_database_folder_in_the_copy(
    scratch: tuple[int, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pgdata = scratch[1]
    shutil.rmtree(pgdata / "base" / str(golden(scratch[0])["database_oid"]))
    code, out, err = _run(capsys, pgdata, None)
    assert code == EXIT_OK
    assert "no database has files in this copy: nothing is checked" in err
    assert out.splitlines()[-1].startswith("total: 0 relations (no database)")


def test_progress_covers_every_block(datadir_copies: Callable[[int], Path]) -> None:
    seen: list[int] = []
    done: list[int] = []

    @contextmanager
    def factory(total: int) -> Iterator[Progress]:
        seen.append(total)
        yield done.append

    for jobs in (1, 2):
        seen.clear()
        done.clear()
        report = cluster_check(datadir_copies(MAJORS[-1]), jobs=jobs, progress=factory)
        assert seen == [report.totals.blocks]
        assert sum(done) == report.totals.blocks


# ----------------------------------------------------------------------------------------------
# orphans


def _copy_relation_files(
    pgdata: Path, path: str, number: int, into: Path | None = None
) -> list[str]:
    """The files of relation ``path`` copied under another file number: an orphan."""
    source = pgdata / path
    target_dir = into or source.parent
    made = []
    for fork in FORKS:
        suffix = {"main": "", "fsm": "_fsm", "vm": "_vm", "init": "_init"}[fork]
        f = source.with_name(source.name + suffix)
        if f.exists():
            shutil.copyfile(f, target_dir / f"{number}{suffix}")
            made.append(str((target_dir / f"{number}{suffix}").relative_to(pgdata)))
    return made


@pytest.fixture
def scratch(tmp_path: Path) -> tuple[int, Path]:
    major = next((m for m in MAJORS if _pg_checksums(m) is not None), MAJORS[-1])
    return major, extract(major, tmp_path)


def test_orphan_relation_files(
    scratch: tuple[int, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    major, pgdata = scratch
    orders = _relation(major, "sales", "orders")["path"]
    made = _copy_relation_files(pgdata, orders, 99999)
    # what PostgreSQL leaves beside relation files is not an orphan
    folder = (pgdata / orders).parent
    (folder / "pg_internal.init").write_bytes(b"x" * 100)
    (folder / "t3_77777").write_bytes(b"")
    (folder / "pgsql_tmp").mkdir()
    report = cluster_check(pgdata, jobs=1)
    assert [(o.path, o.kind, o.files) for o in report.orphans] == [
        (str(Path(orders).with_name("99999")), "relation files", tuple(made))
    ]
    orphan = report.orphans[0]
    assert "no relation of database 'shop' has file number 99999" in orphan.reason
    assert orphan.checked is not None and not orphan.checked.problems  # a copy: pages intact
    assert report.problems
    code, out, _ = _run(capsys, pgdata, None)
    assert code == EXIT_PROBLEMS
    assert f"orphan {Path(orders).with_name('99999')}: no relation" in out
    assert "1 orphan" in out.splitlines()[-1]
    if _pg_checksums(major) is not None:  # pg_checksums reads the orphan too (and t3_77777)
        (folder / "t3_77777").unlink()
        done = run_pg_checksums(major, pgdata)
        assert done.returncode == 0
        assert _ours(cluster_check(pgdata, jobs=1)) == _pg_checksums_counts(done.stdout)


def test_other_orphans(scratch: tuple[int, Path]) -> None:
    major, pgdata = scratch
    orders = _relation(major, "sales", "orders")["path"]
    spaced = _relation(major, "sales", "spaced")["path"]
    folder = (pgdata / orders).parent
    (folder / "junk.txt").write_bytes(b"hello")
    (pgdata / "global" / "99998").write_bytes(bytes(BLCKSZ))  # a new page in global/
    (pgdata / "base" / "77777").mkdir()  # a database folder no pg_database row names
    # a segment after a gap: FileSource stops looking before it, so it is said
    (pgdata / f"{orders}.3").write_bytes(bytes(BLCKSZ))
    tablespace = (pgdata / spaced).parent
    (tablespace / "88888").write_bytes(bytes(BLCKSZ))
    report = cluster_check(pgdata, jobs=1)
    kinds = {o.path: (o.kind, o.reason) for o in report.orphans}
    assert kinds == {
        "global/99998": (
            "relation files",
            "no relation of the shared catalogs has file number 99998",
        ),
        f"{orders}.3": (
            "unread file",
            f"a file of the relation with file number {Path(orders).name} that is not read: "
            "the segments before it are missing",
        ),
        str(Path(orders).with_name("junk.txt")): ("file", "not a relation file name"),
        str(Path(spaced).with_name("88888")): (
            "relation files",
            "no relation of database 'shop' has file number 88888",
        ),
        "base/77777": ("directory", "no database has OID 77777"),
    }
    new_page = next(o for o in report.orphans if o.path == "global/99998")
    assert new_page.checked is not None and new_page.checked.report.forks[0].checksums == {
        "not_applicable": 1
    }
    out = json.loads(json.dumps(report.as_json()))
    assert {o["path"] for o in out["orphans"]} == set(kinds)
    assert out["totals"]["orphans"] == len(kinds)


def test_only_one_database_looks_in_its_folder_and_global(scratch: tuple[int, Path]) -> None:
    pgdata = scratch[1]
    (pgdata / "base" / "77777").mkdir()  # not looked at with --db
    (pgdata / "global" / "99998").write_bytes(b"")
    report = cluster_check(pgdata, "shop", jobs=1)
    assert [o.path for o in report.orphans] == ["global/99998"]


# ----------------------------------------------------------------------------------------------
# segments: pg_checksums' block numbers are within the file


def test_failure_in_a_later_segment_names_that_file(tmp_path: Path) -> None:
    """A relation cut into 2-block segments: a block of the second segment is reported with
    its file and its block within it; the checksum is computed with the absolute number."""
    from pageinspect_py.app.cluster_check import _checksum_failure

    major = MAJORS[-1]
    pgdata = extract(major, tmp_path)
    proc = _relation(major, "pg_catalog", "pg_proc")["path"]
    data = (pgdata / proc).read_bytes()
    folder = tmp_path / "split"
    folder.mkdir()
    (folder / "1255").write_bytes(data[: 2 * BLCKSZ])
    (folder / "1255.1").write_bytes(data[2 * BLCKSZ : 4 * BLCKSZ])
    _flip(folder, "1255.1", 1)  # absolute block 3
    source = FileSource(folder / "1255", block_size=BLCKSZ, segment_bytes=2 * BLCKSZ)
    assert source.nblocks("main") == 4
    for blkno in (0, 1, 2):
        assert _checksum_failure(source, "main", blkno, tmp_path) is None
    failure = _checksum_failure(source, "main", 3, tmp_path)
    assert failure is not None
    assert (failure.file, failure.block, failure.blkno) == ("split/1255.1", 1, 3)


# ----------------------------------------------------------------------------------------------
# through the command line


def test_cli_check_pgdata(datadir_copies: Callable[[int], Path]) -> None:
    pgdata = datadir_copies(MAJORS[-1])
    result = CliRunner().invoke(main, ["check", str(pgdata), "--quiet"])
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == cluster_check_text(_clean(MAJORS[-1], pgdata))


def test_cli_check_pgdata_json_damaged(
    damaged: tuple[int, Path, set[tuple[str, int]]], damaged_report: ClusterCheckReport
) -> None:
    result = CliRunner().invoke(main, ["check", str(damaged[1]), "--format", "json", "-j", "1"])
    assert result.exit_code == EXIT_PROBLEMS, result.output
    assert json.loads(result.stdout) == json.loads(json.dumps(damaged_report.as_json()))


def test_cli_check_pgdata_db(datadir_copies: Callable[[int], Path]) -> None:
    pgdata = datadir_copies(MAJORS[-1])
    result = CliRunner().invoke(main, ["check", str(pgdata), "--db", "nosuchdb"])
    assert result.exit_code == EXIT_SOURCE
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
