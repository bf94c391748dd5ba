"""A schema file of another relation is refused (issue 15, item 3): when it records a
relfilenode that the relation file's name contradicts, ``dump`` and ``layout-advice`` say so
in one line and exit 2 instead of decoding garbage values or advising on the wrong table;
``--force`` decodes with it anyway; a file not named by a relfilenode is trusted."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from goldens import relations

REL = next(r for r in relations("heap") if r.major == 16 and r.name == "heap_types")
OTHER = next(r for r in relations("heap") if r.major == 16 and r.name == "heap_wide_nulls")


def pgpage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pageinspect_py.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def other_schema(tmp_path: Path) -> Path:
    path = tmp_path / "other.json"
    path.write_text(json.dumps(OTHER.meta), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["dump", "layout-advice"])
def test_another_relations_schema_is_refused(command: str, other_schema: Path) -> None:
    out = pgpage(command, str(REL.file("main")), "--schema", str(other_schema))
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1
    assert f"relfilenode {OTHER.meta['relfilenode']}" in lines[0]
    assert f"relfilenode {REL.meta['relfilenode']}" in lines[0]
    assert "--force" in lines[0]


def test_force_decodes_with_it(other_schema: Path) -> None:
    out = pgpage("dump", str(REL.file("main")), "--schema", str(other_schema), "--force")
    assert out.returncode == 1  # the values do not fit: errors, but decoded
    assert "attribute-overrun" in out.stderr


def test_the_right_schema_and_an_unnamed_file_pass(tmp_path: Path, other_schema: Path) -> None:
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps(REL.meta), encoding="utf-8")
    assert pgpage("dump", str(REL.file("main")), "--schema", str(mine)).returncode == 0
    copied = tmp_path / "orders.dat.gz"
    shutil.copy(REL.file("main"), copied)
    out = pgpage("dump", str(copied), "--schema", str(other_schema), "--block", "0")
    assert "relfilenode" not in out.stderr  # nothing to contradict: decoded as told
