"""``global/pg_control``: the layouts, the reader, pg_controldata's text and the JSON, against
PostgreSQL itself.

The oracles: the CRC each server stored in its file; the rows of ``pg_control_system()``,
``pg_control_checkpoint()``, ``pg_control_init()`` and ``pg_control_recovery()`` in the
data-directory fixtures' ``golden.json`` (PostgreSQL 12 to 18); the text Debian's
``pg_controldata`` 15 printed there, and the same binary run here on the extracted copy (and on
damaged copies of it) when it is installed; the C library's own ``strftime("%c")``; and, live,
the settings a server reports with ``SHOW`` before it shuts down.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pgcluster
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pageinspect_py.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main
from pageinspect_py.errors import DataDirectoryError
from pageinspect_py.layouts._util import compiled, field_docs
from pageinspect_py.layouts.control import (
    CONTROL_MAJORS,
    DB_SHUTDOWNED,
    PG_CONTROL_FILE_SIZE,
    PG_CONTROL_VERSION,
    check_point,
    check_point_offsets,
    control_docs,
    control_file_data,
    control_offsets,
    crc_offset,
    majors_of_version,
)
from pageinspect_py.page.crc32c import comp_crc32c, crc32c
from pageinspect_py.render.control import (
    c_time,
    control_functions,
    control_json,
    control_text,
)
from pageinspect_py.sources.datadir.control import ControlFile, parse_control, read_control

ROOT = Path(__file__).resolve().parent.parent
DATADIR_FIXTURES = ROOT / "fixtures" / "datadir"
CONTROL_MEMBERS = ("PG_VERSION", "global/pg_control")
#: the four functions' row columns our JSON must carry, beside these keys of our own
OWN_KEYS = ("state", "major", "crc", "crc_ok", "problems")


def fixture_majors() -> list[Any]:
    """Every major 12..18, skipped (with why) while its data-directory fixture is missing."""
    params: list[Any] = []
    for major in CONTROL_MAJORS:
        d = DATADIR_FIXTURES / f"pg{major}"
        marks = []
        if not ((d / "cluster.tar.xz").exists() and (d / "golden.json").exists()):
            marks.append(
                pytest.mark.skip(
                    reason=f"{d}/cluster.tar.xz and golden.json not there yet "
                    "(tools/make_datadir_fixtures.py writes them)"
                )
            )
        params.append(pytest.param(major, id=f"pg{major}", marks=marks))
    return params


FIXTURE_MAJORS = fixture_majors()


def golden(major: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (DATADIR_FIXTURES / f"pg{major}" / "golden.json").read_text("utf-8")
    )
    return data


def extract_control(major: int, into: Path) -> Path:
    """A data directory holding only the fixture's PG_VERSION and global/pg_control."""
    target = into / f"pg{major}"
    with tarfile.open(DATADIR_FIXTURES / f"pg{major}" / "cluster.tar.xz") as tar:
        members = [tar.getmember(name) for name in CONTROL_MEMBERS]
        tar.extractall(target, members=members, filter="data")
    return target


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """Read-only extracted copies, one per major for the module."""
    root = tmp_path_factory.mktemp("control")
    done: dict[int, Path] = {}

    def get(major: int) -> Path:
        if major not in done:
            done[major] = extract_control(major, root)
        return done[major]

    return get


def fixture_bytes(copies: Callable[[int], Path], major: int) -> bytes:
    return (copies(major) / "global" / "pg_control").read_bytes()


def damaged_copy(
    copies: Callable[[int], Path], major: int, tmp_path: Path, edit: Callable[[bytearray], None]
) -> Path:
    """A copy of the fixture's data directory whose pg_control ``edit`` changed."""
    target = tmp_path / f"pg{major}"
    shutil.copytree(copies(major), target)
    path = target / "global" / "pg_control"
    data = bytearray(path.read_bytes())
    edit(data)
    path.write_bytes(bytes(data))
    return target


def set_u32(data: bytearray, major: int, name: str, value: int, *, fix_crc: bool) -> None:
    offset, size = control_offsets(major)[name]
    assert size == 4
    struct.pack_into("<I", data, offset, value)
    if fix_crc:
        struct.pack_into("<I", data, crc_offset(major), crc32c(bytes(data[: crc_offset(major)])))


def normalised(theirs: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """The server's row with xid and oid columns as integers (``row_to_json`` writes them as
    strings; our JSON writes numbers, see render/control.py)."""
    out = {}
    for key, value in theirs.items():
        mine = ours.get(key)
        numeric = isinstance(mine, int) and not isinstance(mine, bool)
        out[key] = int(value) if isinstance(value, str) and numeric else value
    return out


# ----------------------------------------------------------------------------------------------
# CRC-32C


def test_crc32c_published_check_values() -> None:
    # the CRC-32C "check" value, and the test vectors of RFC 3720 (iSCSI), appendix B.4
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(b"\xff" * 32) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E
    assert crc32c(bytes(range(31, -1, -1))) == 0x113FDB5C


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=200))
def test_crc32c_runs_in_pieces(data: bytes, cut: int) -> None:
    cut = min(cut, len(data))
    running = comp_crc32c(comp_crc32c(0xFFFFFFFF, data[:cut]), data[cut:])
    assert running ^ 0xFFFFFFFF == crc32c(data)


@pytest.mark.parametrize("major", FIXTURE_MAJORS)
def test_the_crc_each_server_stored_verifies(copies: Callable[[int], Path], major: int) -> None:
    data = fixture_bytes(copies, major)
    offset, size = control_offsets(major)["crc"]
    (stored,) = struct.unpack_from("<I", data, offset)
    assert size == 4
    assert crc32c(data[:offset]) == stored


# ----------------------------------------------------------------------------------------------
# layouts


@pytest.mark.parametrize("major", FIXTURE_MAJORS)
def test_layout_round_trip_interpreted_and_compiled(
    copies: Callable[[int], Path], major: int
) -> None:
    data = fixture_bytes(copies, major)
    layout = control_file_data(major)
    parsed = layout.parse(data)
    assert compiled(layout).parse(data) == parsed
    assert layout.build(parsed) == data[: layout.sizeof()]
    assert compiled(layout).build(parsed) == data[: layout.sizeof()]
    assert len(data) == PG_CONTROL_FILE_SIZE
    assert set(data[layout.sizeof() :]) == {0}  # the server zero-fills the rest of the file
    assert parsed.pg_control_version == PG_CONTROL_VERSION[major]


@pytest.mark.parametrize("major", FIXTURE_MAJORS)
def test_padding_bytes_are_zero_in_real_files(copies: Callable[[int], Path], major: int) -> None:
    """The server memsets ControlFileData, so a field misplaced into what the layout calls
    padding (or padding put where a field is) would show up as a non-zero byte."""
    data = fixture_bytes(copies, major)
    covered = bytearray(control_file_data(major).sizeof())
    for offset, size in control_offsets(major).values():
        covered[offset : offset + size] = b"\x01" * size
    base = control_offsets(major)["checkPointCopy"][0]
    for name, (offset, size) in check_point_offsets(major).items():
        assert name
        covered[base + offset : base + offset + size] = b"\x02" * size
    checkpoint_end = base + check_point(major).sizeof()
    padding = [
        i
        for i, kind in enumerate(covered)
        if kind == 0 or (kind == 1 and base <= i < checkpoint_end)
    ]
    assert padding, "C pads ControlFileData and CheckPoint on x86-64"
    assert {data[i] for i in padding} == {0}


@pytest.mark.parametrize("major", CONTROL_MAJORS)
def test_layout_shape(major: int) -> None:
    offsets = control_offsets(major)
    # pg_control.h: the version fields "must be 8 bytes into the file"; crc "MUST BE LAST"
    assert offsets["pg_control_version"][0] == 8
    assert max(offsets.values()) == offsets["crc"]
    assert crc_offset(major) == offsets["crc"][0]
    # every field lies inside the struct and none overlaps the next
    spans = sorted(offsets.values())
    for (a, size), (b, _) in itertools.pairwise(spans):
        assert a + size <= b
    assert spans[-1][0] + spans[-1][1] <= control_file_data(major).sizeof()
    # the C comment of every field is attached (convention 1)
    docs = control_docs(major)
    assert set(field_docs(control_file_data(major))) <= set(docs)
    for name in ("system_identifier", "crc", "checkPointCopy.redo", "checkPointCopy.nextOid"):
        assert docs[name]
    assert ("float4ByVal" in offsets) == (major == 12)
    assert ("default_char_signedness" in offsets) == (major >= 18)
    assert ("wal_level" in check_point_offsets(major)) == (major >= 17)
    assert major in majors_of_version(PG_CONTROL_VERSION[major])


def test_no_layout_for_other_majors() -> None:
    with pytest.raises(ValueError, match="PostgreSQL 11"):
        control_file_data(11)


# ----------------------------------------------------------------------------------------------
# the server's pg_control_*() rows


@pytest.mark.parametrize("major", FIXTURE_MAJORS)
def test_the_functions_rows_equal_the_servers(copies: Callable[[int], Path], major: int) -> None:
    control = read_control(copies(major))
    ours = control_functions(control)
    theirs = golden(major)["control"]
    assert list(ours) == list(theirs)
    for function, server_row in theirs.items():
        # the server was started again to answer: the file's last-modified time moved on
        row = {k: v for k, v in server_row.items() if k != "pg_control_last_modified"}
        mine = {k: v for k, v in ours[function].items() if k != "pg_control_last_modified"}
        assert list(mine) == list(row), function  # the same columns in the same order
        assert mine == normalised(row, mine), function
    assert control.crc_ok
    assert control.problems == ()
    assert control.major == golden(major)["major"] == major
    assert control.layout_major == major
    assert control.state_code == DB_SHUTDOWNED  # the copy was taken after a clean shutdown
    assert control.state == "shut down"
    assert control.next_xid == (control.next_xid_epoch << 32) | control.next_xid32


@pytest.mark.parametrize("major", FIXTURE_MAJORS)
def test_bytes_alone_read_the_same(copies: Callable[[int], Path], major: int) -> None:
    """Without PG_VERSION the layout comes from pg_control_version (1300 is 13 to 16)."""
    from_dir = read_control(copies(major))
    alone = parse_control(fixture_bytes(copies, major))
    majors = majors_of_version(alone.pg_control_version)
    assert major in majors
    assert alone.major == (major if len(majors) == 1 else None)
    assert control_functions(alone) == control_functions(from_dir)
    assert alone.problems == ()


@pytest.mark.parametrize("major", FIXTURE_MAJORS)
def test_json_is_the_functions_columns_and_our_keys(
    copies: Callable[[int], Path], major: int
) -> None:
    result = CliRunner().invoke(main, ["control", str(copies(major)), "--format", "json"])
    assert result.exit_code == EXIT_OK, result.output
    (line,) = result.stdout.splitlines()
    out = json.loads(line)
    columns = [k for row in golden(major)["control"].values() for k in row]
    assert list(out)[: len(columns)] == columns
    assert set(OWN_KEYS) <= set(out)
    for server_row in golden(major)["control"].values():
        row = {k: v for k, v in server_row.items() if k != "pg_control_last_modified"}
        assert {k: out[k] for k in row} == normalised(row, out)
    assert out["major"] == major
    assert out["crc_ok"] is True
    assert out["problems"] == []
    assert out["state"] == "shut down"


# ----------------------------------------------------------------------------------------------
# pg_controldata's text


def controldata_goldens() -> list[Any]:
    """The majors whose golden.json holds pg_controldata's text (Debian's 15)."""
    found = [
        pytest.param(p.values[0], id=p.id)
        for p in FIXTURE_MAJORS
        if not p.marks and golden(p.values[0]).get("controldata")
    ]
    return found or [pytest.param(None, marks=pytest.mark.skip(reason="no pg_controldata text"))]


@pytest.mark.parametrize("major", controldata_goldens())
def test_text_equals_the_golden_pg_controldata(copies: Callable[[int], Path], major: int) -> None:
    assert control_text(read_control(copies(major))) == golden(major)["controldata"]


def _pg_controldata() -> tuple[Path, int] | None:
    """Debian's pg_controldata (``pg_config --bindir``) and its major."""
    bindir = pgcluster.debian_bindir()
    binary = bindir / "pg_controldata" if bindir is not None else None
    if binary is None or not binary.exists():
        return None
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"\(PostgreSQL\) (\d+)", out.stdout)
    return (binary, int(found.group(1))) if found else None


@pytest.fixture(scope="module")
def pg_controldata() -> tuple[Path, int]:
    found = _pg_controldata()
    if found is None:
        reason = "no pg_controldata binary (pg_config --bindir)"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI must compare with pg_controldata, but there is {reason}")
        pytest.skip(reason)
    major = found[1]
    if not (DATADIR_FIXTURES / f"pg{major}" / "cluster.tar.xz").exists():
        pytest.skip(f"no data-directory fixture of PostgreSQL {major} yet")
    return found


def run_pg_controldata(binary: Path, pgdata: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), "-D", str(pgdata)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "TZ": "UTC", "PATH": "/usr/bin:/bin"},
        check=False,
    )


def _values_part(stdout: str) -> str:
    """pg_controldata's lines from the first value on (older ones print the CRC warning on
    stdout, before the values; pgpage puts its problems on stderr)."""
    start = stdout.index("pg_control version number:")
    return stdout[start:]


def test_text_equals_pg_controldata_run_here(
    copies: Callable[[int], Path], pg_controldata: tuple[Path, int]
) -> None:
    binary, major = pg_controldata
    done = run_pg_controldata(binary, copies(major))
    assert done.returncode == 0, done.stderr
    result = CliRunner().invoke(main, ["control", str(copies(major))])
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == done.stdout  # byte for byte


@pytest.mark.parametrize(
    ("field", "flip"),
    [
        ("system_identifier", 0x5A),
        ("checkPoint", 0x10),
        ("blcksz", 0x01),
        ("mock_authentication_nonce", 0xFF),
    ],
)
def test_a_flipped_byte_reads_as_pg_controldata_reads_it(
    copies: Callable[[int], Path],
    pg_controldata: tuple[Path, int],
    tmp_path: Path,
    field: str,
    flip: int,
) -> None:
    binary, major = pg_controldata
    offset = control_offsets(major)[field][0]

    def edit(data: bytearray) -> None:
        data[offset + 1] ^= flip

    pgdata = damaged_copy(copies, major, tmp_path, edit)
    done = run_pg_controldata(binary, pgdata)
    assert done.returncode == 0, done.stderr
    assert "CRC" in done.stdout + done.stderr  # pg_controldata warns too
    result = CliRunner().invoke(main, ["control", str(pgdata)])
    assert result.exit_code == EXIT_PROBLEMS
    assert result.stdout == _values_part(done.stdout)
    (problem,) = result.stderr.splitlines()
    assert problem.startswith("pgpage: ")
    assert "CRC" in problem
    assert str(pgdata / "global" / "pg_control") in problem


def test_an_unknown_version_reads_as_pg_controldata_reads_it(
    copies: Callable[[int], Path], pg_controldata: tuple[Path, int], tmp_path: Path
) -> None:
    binary, major = pg_controldata

    def edit(data: bytearray) -> None:
        set_u32(data, major, "pg_control_version", 4242, fix_crc=True)

    pgdata = damaged_copy(copies, major, tmp_path, edit)
    done = run_pg_controldata(binary, pgdata)
    result = CliRunner().invoke(main, ["control", str(pgdata)])
    assert result.exit_code == EXIT_PROBLEMS
    assert result.stdout == _values_part(done.stdout)
    assert "pg_control version 4242" in result.stderr


def test_a_system_identifier_past_2_63(
    copies: Callable[[int], Path], pg_controldata: tuple[Path, int], tmp_path: Path
) -> None:
    """pg_controldata prints the identifier unsigned (``%llu``); ``pg_control_system()``
    returns it through ``Int64GetDatum`` as a bigint, negative from 2^63 (identifiers made
    after January 2038 are)."""
    binary, major = pg_controldata
    offset = control_offsets(major)["system_identifier"][0]

    def edit(data: bytearray) -> None:
        data[offset + 7] |= 0x80
        struct.pack_into("<I", data, crc_offset(major), crc32c(bytes(data[: crc_offset(major)])))

    pgdata = damaged_copy(copies, major, tmp_path, edit)
    done = run_pg_controldata(binary, pgdata)
    result = CliRunner().invoke(main, ["control", str(pgdata)])
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == done.stdout
    control = read_control(pgdata)
    assert control.system_identifier >= 1 << 63
    row = control_functions(control)["pg_control_system"]
    assert row["system_identifier"] == control.system_identifier - (1 << 64)


def test_c_time_is_the_c_librarys_strftime() -> None:
    """``%c`` of the C library (Python's time.strftime calls it; LC_TIME is C here)."""
    for seconds in (0, 1, 86399, 951782400, 1796409867, 2**31 - 1, 2**31, 4102444800):
        assert c_time(seconds) == time.strftime("%c", time.gmtime(seconds)), seconds
    assert c_time(2**62) == "???"


@given(st.integers(min_value=-(2**35), max_value=2**37))
def test_c_time_agrees_everywhere(seconds: int) -> None:
    try:
        moment = time.gmtime(seconds)
    except (OverflowError, OSError, ValueError):
        return
    if 1 <= moment.tm_year <= 9999:  # datetime's range; beyond it pgpage prints ???
        assert c_time(seconds) == time.strftime("%c", moment)


# ----------------------------------------------------------------------------------------------
# bad input: errors name the path in one line, problems are carried on the result


def _one_line_error(exc: pytest.ExceptionInfo[DataDirectoryError], path: Path) -> None:
    message = str(exc.value)
    assert "\n" not in message
    assert str(path) in message


def test_not_a_data_directory(tmp_path: Path) -> None:
    with pytest.raises(DataDirectoryError, match="not a data directory") as exc:
        read_control(tmp_path)
    _one_line_error(exc, tmp_path)
    with pytest.raises(DataDirectoryError, match="no such directory") as exc:
        read_control(tmp_path / "missing")
    _one_line_error(exc, tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataDirectoryError, match="not a directory"):
        read_control(tmp_path / "file")


def test_pg_version_without_pg_control(tmp_path: Path) -> None:
    (tmp_path / "PG_VERSION").write_text("17\n")
    with pytest.raises(DataDirectoryError, match="no such file") as exc:
        read_control(tmp_path)
    _one_line_error(exc, tmp_path / "global" / "pg_control")


@pytest.mark.parametrize("major", FIXTURE_MAJORS)
@pytest.mark.parametrize("keep", [0, 4, 11, 12, 100, 287])
def test_truncated_pg_control(
    copies: Callable[[int], Path], tmp_path: Path, major: int, keep: int
) -> None:
    def edit(data: bytearray) -> None:
        del data[keep:]

    pgdata = damaged_copy(copies, major, tmp_path, edit)
    with pytest.raises(DataDirectoryError, match="too short") as exc:
        read_control(pgdata)
    _one_line_error(exc, pgdata / "global" / "pg_control")
    result = CliRunner().invoke(main, ["control", str(pgdata)])
    assert result.exit_code == EXIT_USAGE
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("pgpage: ") and "too short" in line


@pytest.mark.parametrize("major", FIXTURE_MAJORS)
def test_a_short_but_whole_struct_is_a_problem(
    copies: Callable[[int], Path], tmp_path: Path, major: int
) -> None:
    def edit(data: bytearray) -> None:
        del data[control_file_data(major).sizeof() :]

    control = read_control(damaged_copy(copies, major, tmp_path, edit))
    assert control.crc_ok
    assert any(f"PostgreSQL writes {PG_CONTROL_FILE_SIZE}" in p for p in control.problems)


@pytest.mark.parametrize("major", FIXTURE_MAJORS)
def test_a_flipped_byte_is_a_crc_problem(
    copies: Callable[[int], Path], tmp_path: Path, major: int
) -> None:
    clean = read_control(copies(major))
    offset = control_offsets(major)["checkPointCopy"][0] + check_point_offsets(major)["nextOid"][0]

    def edit(data: bytearray) -> None:
        data[offset] ^= 0x01

    pgdata = damaged_copy(copies, major, tmp_path, edit)
    control = read_control(pgdata)
    assert not control.crc_ok
    assert control.checkPointCopy.nextOid == clean.checkPointCopy.nextOid ^ 0x01
    (problem,) = control.problems
    assert "CRC" in problem and str(pgdata / "global" / "pg_control") in problem
    result = CliRunner().invoke(main, ["control", str(pgdata), "--format", "json"])
    assert result.exit_code == EXIT_PROBLEMS
    out = json.loads(result.stdout)
    assert out["crc_ok"] is False
    assert out["problems"] == [problem]
    assert out["next_oid"] == clean.checkPointCopy.nextOid ^ 0x01
    assert result.stderr == f"pgpage: {problem}\n"


@pytest.mark.parametrize("major", FIXTURE_MAJORS)
def test_an_unknown_version_is_a_problem(
    copies: Callable[[int], Path], tmp_path: Path, major: int
) -> None:
    data = bytearray(fixture_bytes(copies, major))
    set_u32(data, major, "pg_control_version", 4242, fix_crc=True)
    alone = parse_control(bytes(data))  # no PG_VERSION: the newest layout reads it
    assert alone.major is None
    assert alone.layout_major == CONTROL_MAJORS[-1]
    assert any("unknown pg_control version 4242" in p for p in alone.problems)
    # with PG_VERSION the major's own layout reads it, as that major's pg_controldata would
    pgdata = damaged_copy(
        copies,
        major,
        tmp_path,
        lambda d: set_u32(d, major, "pg_control_version", 4242, fix_crc=True),
    )
    control = read_control(pgdata)
    assert control.crc_ok
    assert control.major == control.layout_major == major
    (problem,) = control.problems
    assert "pg_control version 4242" in problem
    clean = control_functions(read_control(copies(major)))
    theirs = control_functions(control)
    assert theirs["pg_control_system"]["pg_control_version"] == 4242
    theirs["pg_control_system"]["pg_control_version"] = PG_CONTROL_VERSION[major]
    assert theirs == clean


def test_pg_version_and_pg_control_disagree(copies: Callable[[int], Path], tmp_path: Path) -> None:
    majors = [p.values[0] for p in FIXTURE_MAJORS if not p.marks]
    if not {15, 18} <= set(majors):
        pytest.skip("needs the fixtures of PostgreSQL 15 and 18")
    pgdata = tmp_path / "mixed"
    shutil.copytree(copies(18), pgdata)
    (pgdata / "PG_VERSION").write_text("15\n")
    control = read_control(pgdata)
    assert control.major == control.layout_major == 15
    assert not control.crc_ok  # 15's layout puts the CRC four bytes earlier
    assert any("PostgreSQL 15 (PG_VERSION) writes 1300" in p for p in control.problems)


@pytest.mark.parametrize(("text", "problem"), [("11\n", "not supported"), ("9.6\n", "'9.6'")])
def test_pg_version_not_supported(
    copies: Callable[[int], Path], tmp_path: Path, text: str, problem: str
) -> None:
    major = CONTROL_MAJORS[-1]
    if not (DATADIR_FIXTURES / f"pg{major}" / "cluster.tar.xz").exists():
        pytest.skip(f"no data-directory fixture of PostgreSQL {major} yet")
    pgdata = damaged_copy(copies, major, tmp_path, lambda d: None)
    (pgdata / "PG_VERSION").write_text(text)
    control = read_control(pgdata)
    assert control.layout_major == major  # from pg_control_version
    assert control.crc_ok
    assert any(problem in p for p in control.problems)
    assert control_functions(control) == control_functions(read_control(copies(major)))


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    for target in (tmp_path, tmp_path / "missing"):
        result = CliRunner().invoke(main, ["control", str(target)])
        assert result.exit_code == EXIT_USAGE
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"pgpage: {target}: ")


@pytest.mark.parametrize("major", FIXTURE_MAJORS)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 255)), max_size=8))
def test_mutated_files_never_raise(
    copies: Callable[[int], Path], major: int, edits: list[tuple[int, int]]
) -> None:
    data = bytearray(fixture_bytes(copies, major))
    for offset, flip in edits:
        data[offset] ^= flip
    control = parse_control(bytes(data), major)
    end = crc_offset(major) + 4  # the bytes the CRC covers, and the CRC
    assert control.crc_ok == (bytes(data[:end]) == fixture_bytes(copies, major)[:end])
    _render_everything(control)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=0, max_size=600))
def test_random_bytes_raise_only_data_directory_errors(data: bytes) -> None:
    for major in (None, 12, 18):
        if len(data) < control_file_data(major or CONTROL_MAJORS[-1]).sizeof():
            with pytest.raises(DataDirectoryError, match="too short"):
                parse_control(data, major)
            continue
        _render_everything(parse_control(data, major))


def _render_everything(control: ControlFile) -> None:
    text = control_text(control)
    assert text.endswith("\n")
    json.dumps(control_json(control))


# ----------------------------------------------------------------------------------------------
# the command loads nothing heavy


PROBE = """
import contextlib, io, json, sys
from pageinspect_py.cli import main
out, err = io.StringIO(), io.StringIO()
try:
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(sys.argv[1:], standalone_mode=False)
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"psycopg", "textual", "numpy"})
print(json.dumps({"code": code, "out": out.getvalue(), "heavy": heavy}))
"""


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_command_loads_neither_psycopg_nor_textual_nor_numpy(
    copies: Callable[[int], Path], fmt: str
) -> None:
    major = CONTROL_MAJORS[-1]
    if not (DATADIR_FIXTURES / f"pg{major}" / "cluster.tar.xz").exists():
        pytest.skip(f"no data-directory fixture of PostgreSQL {major} yet")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "control", str(copies(major)), "--format", fmt],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] in (0, None)
    assert "pg_control version number" in result["out"] or '"pg_control_version"' in result["out"]
    assert result["heavy"] == []


# ----------------------------------------------------------------------------------------------
# live: settings and a non-default WAL segment size, from a server of each test bin directory

LIVE_SETTINGS = {
    "wal_level": "logical",
    "wal_log_hints": "on",
    "max_connections": "23",
    "max_worker_processes": "7",
    "max_wal_senders": "3",
    "max_prepared_transactions": "5",
    "max_locks_per_transaction": "77",
    "track_commit_timestamp": "on",
}


@pytest.fixture
def stopped_cluster(
    pg_cluster: pgcluster.Cluster,
) -> Iterator[tuple[pgcluster.Cluster, dict[str, str]]]:
    """A cluster of ``pg_cluster``'s binaries with LIVE_SETTINGS, 4 MB WAL segments and no
    checksums, cleanly shut down; with what ``SHOW`` said while it ran."""
    import psycopg

    cluster = pgcluster.Cluster(
        pg_cluster.bindir, settings=LIVE_SETTINGS, initdb_args=["--wal-segsize=4"]
    )
    cluster.start()
    try:
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g")
            shown = {
                name: str(conn.execute(f"SHOW {name}".encode()).fetchone()[0])  # type: ignore[index]
                for name in (*LIVE_SETTINGS, "wal_segment_size", "data_checksums")
            }
        cluster.stop_server()
        yield cluster, shown
    finally:
        cluster.stop()


def test_live_settings_and_functions(
    stopped_cluster: tuple[pgcluster.Cluster, dict[str, str]],
) -> None:
    import psycopg

    cluster, shown = stopped_cluster
    control = read_control(cluster.datadir)
    assert control.crc_ok and control.problems == ()
    assert control.major == cluster.major
    out = control_json(control)
    assert out["wal_level"] == shown["wal_level"]
    assert out["wal_log_hints"] == (shown["wal_log_hints"] == "on")
    assert out["track_commit_timestamp"] == (shown["track_commit_timestamp"] == "on")
    assert out["max_connections"] == int(shown["max_connections"])
    assert out["max_worker_processes"] == int(shown["max_worker_processes"])
    assert out["max_wal_senders"] == int(shown["max_wal_senders"])
    assert out["max_prepared_xacts"] == int(shown["max_prepared_transactions"])
    assert out["max_locks_per_xact"] == int(shown["max_locks_per_transaction"])
    assert out["data_page_checksum_version"] == (1 if shown["data_checksums"] == "on" else 0)
    assert out["bytes_per_wal_segment"] == 4 * 1024 * 1024
    assert shown["wal_segment_size"] == "4MB"
    cluster._pg_ctl_start()  # the clean shutdown's checkpoint stays the latest
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        for function, row in control_functions(control).items():
            query = f"SELECT row_to_json(f)::text FROM {function}() f"
            text = conn.execute(query.encode()).fetchone()
            theirs = json.loads(text[0])  # type: ignore[index]
            theirs.pop("pg_control_last_modified", None)
            mine = {k: v for k, v in row.items() if k != "pg_control_last_modified"}
            assert mine == normalised(theirs, mine), function
