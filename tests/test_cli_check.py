"""`pgpage check`: every page of every fork verified; findings name fork, block and bytes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner
from goldens import relations

from pageinspect_py.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main

# a checksummed heap relation with FSM and VM forks (PostgreSQL 18 fixtures have checksums on)
BIG = next(r for r in relations("heap") if r.major == 18 and r.name == "heap_big")


def copy_relation(tmp_path: Path, corrupt_block: int | None = None) -> Path:
    for fork, rel_path in BIG.meta["files"].items():
        data = bytearray(gzip.decompress((BIG.version_dir / rel_path).read_bytes()))
        if fork == "main" and corrupt_block is not None:
            data[corrupt_block * 8192 + 4000] ^= 0x55  # one flipped byte in the tuple area
        (tmp_path / Path(rel_path).name.removesuffix(".gz")).write_bytes(bytes(data))
    return tmp_path / str(BIG.meta["relfilenode"])


def test_clean_relation(tmp_path: Path) -> None:
    path = copy_relation(tmp_path)
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json"])
    assert result.exit_code == EXIT_OK, result.output
    report = json.loads(result.stdout)
    assert report["findings"] == []
    assert set(report["forks"]) == {"main", "fsm", "vm"}
    main_fork = report["forks"]["main"]
    assert main_fork["blocks"] == BIG.meta["blocks"]["main"]
    assert set(main_fork["checksums"]) <= {"ok", "not_applicable"}  # verified, or new pages
    assert main_fork["checksums"]["ok"] == main_fork["kinds"]["heap"]


def test_flipped_byte_is_found(tmp_path: Path) -> None:
    path = copy_relation(tmp_path, corrupt_block=7)
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == EXIT_PROBLEMS
    lines = result.stdout.splitlines()
    assert lines[0].startswith("main block 7: error: checksum-mismatch at 0x0008-0x0009")
    assert any(line.startswith("main:") and "1 mismatch" in line for line in lines)


def test_missing_file() -> None:
    result = CliRunner().invoke(main, ["check", "/nonexistent/16384"])
    assert result.exit_code == EXIT_USAGE
    assert "no such file" in result.stderr


def test_an_empty_relation_file_is_clean(tmp_path: Path) -> None:
    """PostgreSQL stores an empty relation as an empty file: check says so and exits 0 (dump
    still says "empty file" when asked for blocks there are none of)."""
    path = tmp_path / "16384"
    path.write_bytes(b"")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == EXIT_OK, result.output
    assert "no blocks (an empty relation file)" in result.stdout
    report = json.loads(CliRunner().invoke(main, ["check", str(path), "--format", "json"]).stdout)
    assert report["problems"] is False and report["source_problems"] == []
    dump = CliRunner().invoke(main, ["dump", str(path)])
    assert dump.exit_code == EXIT_USAGE and "empty file" in dump.stderr
