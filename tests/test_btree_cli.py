"""`pgpage btree` end to end through click, on fixtures (healthy and damaged), and `pgpage
dump` on index files: pageinspect's figures on stdout, exit codes as `dump` defines them."""

from __future__ import annotations

import gzip
import json
import math
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner
from goldens import FixtureRelation, relations

from pageinspect_py.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main

BTREE = list(relations("btree"))


def fixture(major: int, name: str) -> FixtureRelation:
    return next(r for r in BTREE if r.major == major and r.name == name)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("major", range(12, 19))
@pytest.mark.parametrize("name", ["bt_dedup", "bt_deleted", "bt_three_levels"])
def test_json_report_matches_pgstatindex(major: int, name: str) -> None:
    rel = fixture(major, name)
    code, out, err = run(
        "btree",
        str(rel.file()),
        "--format",
        "json",
        "--schema",
        str(rel.version_dir / "manifest.json"),
        "--c-collation",
    )
    assert code == EXIT_OK, err
    report = json.loads(out)
    expected = rel.oracle["pgstatindex"]
    assert report["pgstatindex_as_of_major"] == major  # taken from the manifest
    for key, value in expected.items():
        if isinstance(value, str):
            assert report["pgstatindex"][key] == "NaN" or math.isnan(report["pgstatindex"][key])
        else:
            assert report["pgstatindex"][key] == value, key
    assert report["findings"] == []
    assert report["root"] == rel.oracle["bt_metap"]["root"]
    levels = report["pages_per_level"]
    assert int(max(levels, key=int)) == rel.oracle["bt_metap"]["level"]


def test_text_report_and_find() -> None:
    rel = fixture(17, "bt_multi")
    code, out, err = run(
        "btree",
        str(rel.file()),
        "--schema",
        str(rel.version_dir / "manifest.json"),
        "--c-collation",
        "--find",
        "NULL,k4",
    )
    assert code == EXIT_OK, err
    assert "path to NULL,k4:" in out
    assert out.count("    level ") == rel.oracle["bt_metap"]["level"] + 1
    code, out, err = run(
        "btree",
        str(rel.file()),
        "--schema",
        str(rel.version_dir / "manifest.json"),
        "--c-collation",
    )
    assert code == EXIT_OK, err
    assert "pgstatindex (as PostgreSQL 17 computes it)" in out
    assert "findings: none" in out


def test_major_option_changes_the_free_space_rule() -> None:
    """18 counts leaf free space exactly, 12-17 four bytes less per page (PageGetFreeSpace)."""
    rel = fixture(17, "bt_deleted")
    densities = {}
    for major in ("17", "18"):
        code, out, err = run("btree", str(rel.file()), "--format", "json", "--major", major)
        assert code == EXIT_OK, err
        densities[major] = json.loads(out)["pgstatindex"]["avg_leaf_density"]
    assert densities["17"] == rel.oracle["pgstatindex"]["avg_leaf_density"]
    assert densities["18"] < densities["17"]


def test_damaged_index_exits_with_problems(tmp_path: Path) -> None:
    rel = fixture(17, "bt_int_unique")
    data = bytearray(gzip.decompress(rel.file().read_bytes()))
    blkno = 1
    at = (blkno + 1) * 8192 - 16
    struct.pack_into("<I", data, at + 4, 9999)  # btpo_next of a leaf -> past the end
    (tmp_path / "16384").write_bytes(bytes(data))
    code, out, err = run("btree", str(tmp_path / "16384"), "--format", "json")
    assert code == EXIT_PROBLEMS
    report = json.loads(out)
    assert any(f["code"] == "bt-right-link" and f["block"] == blkno for f in report["findings"])
    assert "finding" in err
    code, out, _ = run("btree", str(tmp_path / "16384"))
    assert code == EXIT_PROBLEMS
    assert f"bt-right-link at block {blkno}" in out


def test_usage_errors() -> None:
    code, _, err = run("btree", "/nonexistent/16384")
    assert code == EXIT_USAGE
    assert "no such file" in err
    rel = fixture(17, "bt_int_unique")
    code, _, err = run("btree", str(rel.file()), "--find", "42")
    assert code == EXIT_USAGE
    assert "--find needs the key columns" in err
    code, _, err = run("btree", str(rel.file()), "--schema", "x.json", "--columns", "a int4")
    assert code == EXIT_USAGE


def test_columns_option_types_the_keys() -> None:
    rel = fixture(15, "bt_int_unique")
    code, out, err = run(
        "btree", str(rel.file()), "--columns", "id int4", "--find", "300", "--format", "json"
    )
    assert code == EXIT_OK, err
    path = json.loads(out)["path"]
    assert path[-1]["found"] is True


def test_dump_on_an_index_file() -> None:
    rel = fixture(16, "bt_lp_dead")
    code, out, err = run("dump", str(rel.file()), "--format", "json")
    assert code == EXIT_OK, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0]["bt_metap"]["root"] == rel.oracle["bt_metap"]["root"]
    dead = sum(1 for row in rows[1:] for item in row["bt_page_items"] if item["dead"])
    expected = sum(
        1
        for block in rel.oracle["blocks"]
        for item in block.get("bt_page_items") or []
        if item.get("dead")
    )
    assert dead == expected > 0
    code, out, err = run("dump", str(rel.file()), "--block", "1")
    assert code == EXIT_OK, err
    assert "BTPageOpaqueData" in out
    assert "bt_page_stats: type " in out


def test_dump_index_with_key_columns() -> None:
    """--schema (a whole manifest: the index is named by the file's directory) and --columns
    give typed keys on index pages."""
    rel = fixture(17, "bt_multi")
    code, out, err = run(
        "dump",
        str(rel.file()),
        "--block",
        "1",
        "--format",
        "json",
        "--schema",
        str(rel.version_dir / "manifest.json"),
    )
    assert code == EXIT_OK, err
    items = json.loads(out)["btree"]["items"]
    leaf = next(i for i in items if i["kind"] == "leaf")
    assert [k["name"] for k in leaf["keys"]] == ["a", "b", "c"]
    code, out, err = run(
        "dump",
        str(rel.file()),
        "--block",
        "1",
        "--columns",
        "a int4 DESC, b text NULLS FIRST, c int8",
    )
    assert code == EXIT_OK, err
    assert "leaf htid" in out


def test_the_schema_files_server_version_picks_the_free_space_rule(tmp_path: Path) -> None:
    """A schema file that records server_version_num 150018 computes pgstatindex as 15 does
    (PageGetFreeSpace), not as the newest major."""
    rel = fixture(15, "bt_deleted")
    entry = dict(rel.meta)
    entry["server_version_num"] = 150018
    schema = tmp_path / "bt_deleted.json"
    schema.write_text(json.dumps(entry))
    code, out, err = run("btree", str(rel.file()), "--format", "json", "--schema", str(schema))
    assert code == EXIT_OK, err
    report = json.loads(out)
    assert report["pgstatindex_as_of_major"] == 15
    assert (
        report["pgstatindex"]["avg_leaf_density"] == rel.oracle["pgstatindex"]["avg_leaf_density"]
    )
