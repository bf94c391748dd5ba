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


def test_a_manifest_finds_the_relation_by_its_path_when_file_names_repeat() -> None:
    """Fixture manifests merged from several clusters repeat relfilenodes (pg16's
    heap_wide_nulls and gin_tsvector are both 16453): the entry whose listed file is the
    very file wins; a bare name that several entries share is refused."""
    from pageinspect_py.catalog.schema import read_schema_json
    from pageinspect_py.errors import SchemaError

    manifest = REL.version_dir / "manifest.json"
    entries = json.loads(manifest.read_text(encoding="utf-8"))["relations"]
    by_name: dict[str, list[str]] = {}
    for name, entry in entries.items():
        for f in (entry.get("files") or {}).values():
            by_name.setdefault(Path(f).name, []).append(name)
    shared = {k: v for k, v in by_name.items() if len(v) > 1}
    assert shared  # the fixtures do repeat file names
    file_name, names = next(iter(shared.items()))
    for name in names:
        path = REL.version_dir / name / file_name
        assert read_schema_json(manifest, path)["relname"] == entries[name]["relname"]
    with pytest.raises(SchemaError, match="several relations"):
        read_schema_json(manifest, Path("/elsewhere") / file_name)
