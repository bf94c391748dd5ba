"""Schema files and hand-typed column lists (expected values: the fixtures' pg_attribute)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.catalog.schema import (
    ATTRIBUTE_KEYS,
    description_from_columns,
    description_from_json,
    description_json,
    load_schema,
)
from pageinspect_py.catalog.types import resolve_type
from pageinspect_py.errors import SchemaError

HEAP = list(relations("heap"))


@pytest.mark.parametrize("rel", HEAP, ids=str)
def test_manifest_entries_are_schema_files(rel: FixtureRelation, tmp_path: Path) -> None:
    """A fixture's manifest entry loads as a schema file and writes back the same attributes."""
    meta = rel.meta
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(meta))
    desc = load_schema(path)
    assert desc.relname == meta["relname"]
    assert desc.extra["reltoastrelid"] == meta["reltoastrelid"]
    written = description_json(desc)["attributes"]
    for ours, theirs in zip(written, meta["attributes"], strict=True):
        assert set(ours) == set(ATTRIBUTE_KEYS)
        for key in ATTRIBUTE_KEYS:
            expected = theirs[key]
            if key == "typelem" and expected is None:  # dropped: no pg_type row
                expected = 0
            assert ours[key] == expected, (key, theirs["attname"])
    assert description_from_json(description_json(desc)) == desc


def test_columns_match_the_fixture_catalog() -> None:
    """heap_altered's columns typed by hand (dropped column included) describe its tuples as
    pg_attribute does, except the attmissingval the short form cannot express."""
    rel = next(r for r in HEAP if r.name == "heap_altered")
    desc = description_from_columns("a int4, -b text, c int8, d varchar(10), e int4, f text")
    keys = ("attnum", "attlen", "attalign", "attbyval", "attisdropped", "atttypmod")
    for ours, theirs in zip(
        description_json(desc)["attributes"], rel.meta["attributes"], strict=True
    ):
        assert {k: ours[k] for k in keys} == {k: theirs[k] for k in keys}
        if not theirs["attisdropped"]:
            assert ours["attname"] == theirs["attname"]
            assert ours["typname"] == theirs["typname"]
            assert ours["atttypid"] == theirs["atttypid"]


@pytest.mark.parametrize(
    ("spelling", "typname", "is_array", "typmod"),
    [
        ("int", "int4", False, -1),
        ("INTEGER", "int4", False, -1),
        ("double precision", "float8", False, -1),
        ("float(10)", "float4", False, -1),
        ("float(40)", "float8", False, -1),
        ("character varying(20)", "varchar", False, 24),
        ("char(5)", "bpchar", False, 9),
        ("char", "bpchar", False, 5),
        ('"char"', "char", False, -1),
        ("numeric(10,2)", "numeric", False, (10 << 16 | 2) + 4),
        ("timestamp with time zone", "timestamptz", False, -1),
        ("timestamp(3) without time zone", "timestamp", False, 3),
        ("time with time zone", "timetz", False, -1),
        ("text[]", "text", True, -1),
        ("int4[][]", "int4", True, -1),
        ("_int8", "int8", True, -1),
        ("bit varying(9)", "varbit", False, 9),
    ],
)
def test_type_spellings(spelling: str, typname: str, is_array: bool, typmod: int) -> None:
    resolved = resolve_type(spelling)
    assert (resolved.base.typname, resolved.is_array, resolved.atttypmod) == (
        typname,
        is_array,
        typmod,
    )


@pytest.mark.parametrize(
    "columns",
    [
        "",
        "id",
        "id int8, name",
        "id hstore",
        "id int8(",
        '"x int4',
    ],
)
def test_bad_column_lists(columns: str) -> None:
    with pytest.raises(SchemaError):
        description_from_columns(columns)


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"attributes": 3}',
        '{"attributes": [{"attnum": 1}]}',
        '{"attributes": [{"attnum": 2, "attname": "a", "attlen": 4, "attalign": "i", '
        '"typname": "int4"}]}',
        '{"attributes": [{"attnum": 1, "attname": "a", "attlen": 4, "attalign": "q", '
        '"typname": "int4"}]}',
        "not json",
    ],
)
def test_bad_schema_files(text: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(SchemaError):
        load_schema(path)


def test_schema_command_columns_and_errors() -> None:
    run = [sys.executable, "-m", "pageinspect_py.cli", "schema"]
    ok = subprocess.run(
        [*run, "--columns", "id int8, name text"], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
    schema = json.loads(ok.stdout)
    assert [a["typname"] for a in schema["attributes"]] == ["int8", "text"]
    assert set(schema["attributes"][0]) == set(ATTRIBUTE_KEYS)
    bad = subprocess.run(
        [*run, "--columns", "id hstore"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "unknown type" in bad.stderr and not bad.stdout
    missing = subprocess.run([*run, "t"], capture_output=True, text=True, check=False)
    assert missing.returncode == 2 and "--dsn" in missing.stderr


def test_whole_manifest_as_schema_for_dump(tmp_path: Path) -> None:
    """`pgpage dump FILE --schema manifest.json` picks the entry whose files include FILE."""
    from click.testing import CliRunner

    from pageinspect_py.cli import main

    version_dir = Path(__file__).resolve().parent.parent / "fixtures" / "pg17"
    manifest = json.loads((version_dir / "manifest.json").read_text())
    entry = manifest["relations"]["heap_altered"]
    rel_file = version_dir / entry["files"]["main"]
    result = CliRunner().invoke(
        main,
        [
            "dump",
            str(rel_file),
            "--schema",
            str(version_dir / "manifest.json"),
            "--format",
            "json",
            "--block",
            "0",
        ],
    )
    assert result.exit_code == 0, result.stderr
    items = json.loads(result.stdout.splitlines()[0])["heap_page_items"]
    rows = {
        r["ctid"]: r
        for r in json.loads((version_dir / "heap_altered" / "pageinspect.json").read_text())["rows"]
    }
    names = [a["attname"] for a in entry["attributes"] if not a["attisdropped"]]
    first = rows["(0,1)"]
    assert items[0]["values"] == [first[n] for n in names]
    stranger = tmp_path / "99999"
    stranger.write_bytes(rel_file.read_bytes())
    missing = CliRunner().invoke(
        main, ["dump", str(stranger), "--schema", str(version_dir / "manifest.json")]
    )
    assert missing.exit_code == 2
    assert "no relation in this manifest has the file 99999" in missing.stderr
