"""Catalogs read from a data directory's own files equal what the server said about them.

The fixtures (``fixtures/datadir/pg<M>``) are cleanly stopped copies of real clusters of every
major, and ``golden.json`` holds the same server's answers (``pg_class`` rows with
``pg_relation_filepath`` and sizes, ``pgpage schema``'s live descriptions) captured after the
copy was taken.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from datadir_support import MAJORS, golden

from pageinspect_py.analysis.catalogs import quote_ident, split_qualified
from pageinspect_py.app.datadir import Cluster, find_relation, list_relations, open_cluster
from pageinspect_py.catalog.schema import description_json
from pageinspect_py.errors import DataDirectoryError

pytestmark = pytest.mark.skipif(
    not MAJORS, reason="no fixtures/datadir (tools/make_datadir_fixtures.py)"
)


@pytest.fixture(scope="module")
def clusters(datadir_copies: Callable[[int], Path]) -> Callable[[int], Cluster]:
    @cache
    def get(major: int) -> Cluster:
        return open_cluster(datadir_copies(major))

    return get


@pytest.mark.parametrize("major", MAJORS)
def test_descriptions_equal_pgpage_schema_live(
    major: int, clusters: Callable[[int], Cluster]
) -> None:
    g = golden(major)
    cluster = clusters(major)
    for table, live in g["schemas"].items():
        rel = find_relation(cluster, g["database"], table)
        assert rel.description is not None
        offline = description_json(rel.description)
        expected = {k: v for k, v in live.items() if k != "server_version_num"}
        assert offline == expected, table


@pytest.mark.parametrize("major", MAJORS)
def test_ls_equals_pg_class(major: int, clusters: Callable[[int], Cluster]) -> None:
    g = golden(major)
    listed = {r.cls.oid: r for r in list_relations(clusters(major), g["database"])}
    expected = {r["oid"]: r for r in g["relations"]}
    assert sorted(listed) == sorted(expected)
    for oid, row in expected.items():
        got = listed[oid].as_json()
        assert got["schema"] == row["nspname"], oid
        assert got["name"] == row["relname"], oid
        for key in (
            "relkind",
            "relpersistence",
            "relfilenode",
            "reltablespace",
            "reltoastrelid",
            "relisshared",
            "amname",
            "path",
        ):
            assert got[key] == row[key], (oid, row["relname"], key)
        if row["blocks"] is not None and got["present"]:
            assert got["blocks"] == row["blocks"], (oid, row["relname"])


@pytest.mark.parametrize("major", MAJORS)
def test_databases(major: int, clusters: Callable[[int], Cluster]) -> None:
    g = golden(major)
    got = [
        (d.oid, d.datname, d.dattablespace, d.datallowconn, d.datistemplate)
        for d in clusters(major).catalog.databases
    ]
    want = [
        (d["oid"], d["datname"], d["dattablespace"], d["datallowconn"], d["datistemplate"])
        for d in g["databases"]
    ]
    assert got == want


def test_names_resolve_as_sql_does(clusters: Callable[[int], Cluster]) -> None:
    major = MAJORS[-1]
    g = golden(major)
    cluster = clusters(major)
    by_name = {(r["nspname"], r["relname"]): r for r in g["relations"]}
    mixed = by_name[("Mixed Case", "Orders")]
    assert find_relation(cluster, "shop", '"Mixed Case"."Orders"').cls.oid == mixed["oid"]
    orders = by_name[("sales", "orders")]
    assert find_relation(cluster, "shop", "SALES.Orders").cls.oid == orders["oid"]
    assert find_relation(cluster, "shop", str(orders["oid"])).cls.oid == orders["oid"]
    docs = by_name[("sales", "docs")]
    assert docs["relfilenode"] != docs["oid"]  # VACUUM FULL gave it a new file
    assert find_relation(cluster, "shop", str(docs["relfilenode"])).cls.oid == docs["oid"]
    assert find_relation(cluster, "shop", "pg_class").cls.oid == 1259  # pg_catalog after public
    with pytest.raises(DataDirectoryError, match="no relation 'orders' in public or pg_catalog"):
        find_relation(cluster, "shop", "orders")
    with pytest.raises(DataDirectoryError, match="no database 'nope'"):
        find_relation(cluster, "nope", "sales.orders")
    with pytest.raises(DataDirectoryError, match="needs --db"):
        find_relation(cluster, None, "sales.orders")


def test_docs_toast_found_through_reltoastrelid(clusters: Callable[[int], Cluster]) -> None:
    major = MAJORS[-1]
    g = golden(major)
    rel = find_relation(clusters(major), "shop", "sales.docs")
    toast = next(r for r in g["relations"] if r["oid"] == rel.cls.reltoastrelid)
    assert rel.toast_path is not None
    assert str(rel.toast_path).endswith(toast["path"])
    assert toast["relfilenode"] != toast["oid"]


def test_split_and_quote() -> None:
    assert split_qualified('"A ""b"".c".D') == ['A "b".c', "d"]
    assert split_qualified("s.t") == ["s", "t"]
    for bad in ('"open', "a..b", "a.", '"x"y'):
        with pytest.raises(DataDirectoryError):
            split_qualified(bad)
    assert quote_ident("orders") == "orders"
    assert quote_ident("Mixed Case") == '"Mixed Case"'
    assert quote_ident('a"b') == '"a""b"'


def _pgpage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pageinspect_py.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_ls_cli(datadir_copies: Callable[[int], Path], tmp_path: Path) -> None:
    major = MAJORS[-1]
    g = golden(major)
    root = datadir_copies(major)
    out = _pgpage("ls", str(root), "--db", "shop", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == len(g["relations"])
    text = _pgpage("ls", str(root))
    assert text.returncode == 0, text.stderr
    assert "template0" in text.stdout and "(no files in this copy)" in text.stdout
    assert '"Mixed Case"."Orders"' in text.stdout
    for args, message in (
        ((str(tmp_path),), "not a PostgreSQL data directory"),
        ((str(tmp_path / "missing"),), "no such directory"),
        ((str(root), "--db", "nope"), "no database 'nope'"),
        ((str(root), "--db", "postgres"), "has no files in this copy"),
    ):
        bad = _pgpage("ls", *args)
        assert bad.returncode == 2, (args, bad.stderr)
        assert bad.stderr.count("\n") == 1 and message in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr


def _damaged_copy(tmp_path: Path) -> Path:
    from datadir_support import extract

    return extract(MAJORS[-1], tmp_path)


def test_a_running_server_is_said_once(tmp_path: Path) -> None:
    root = _damaged_copy(tmp_path)
    (root / "postmaster.pid").write_text("12345\n")
    out = _pgpage("ls", str(root), "--db", "shop")
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("postmaster.pid exists, a server may be running") == 1


def test_missing_pg_xact_segment_is_said_once(tmp_path: Path) -> None:
    root = _damaged_copy(tmp_path)
    for segment in (root / "pg_xact").iterdir():
        segment.unlink()
    out = _pgpage("ls", str(root), "--db", "shop", "--format", "json")
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and "pg_xact/0000" in lines[0] and "unknown" in lines[0], lines
    names = {json.loads(line)["name"] for line in out.stdout.splitlines()}
    assert {"orders", "docs", "Orders"} <= names


def test_damaged_catalog_page_is_reported_and_its_tuples_skipped(tmp_path: Path) -> None:
    root = _damaged_copy(tmp_path)
    g = golden(MAJORS[-1])
    pg_class = root / next(r["path"] for r in g["relations"] if r["relname"] == "pg_class")
    data = bytearray(pg_class.read_bytes())
    data[8192 + 200 : 8192 + 8000] = b"\xff" * 7800  # block 1's tuples: garbage
    pg_class.write_bytes(bytes(data))
    out = _pgpage("ls", str(root), "--db", "shop", "--format", "json")
    assert out.returncode == 1
    assert "base/" in out.stderr and "block 1: damaged catalog page" in out.stderr
    assert "Traceback" not in out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    known = {r["oid"] for r in g["relations"]}
    assert rows and all(r["oid"] in known for r in rows)  # no garbage row


def test_a_database_folder_missing_from_the_copy(tmp_path: Path) -> None:
    root = _damaged_copy(tmp_path)
    out = _pgpage("dump", str(root), "--db", "template1", "pg_class")
    assert out.returncode == 2
    assert "has no files in this directory" in out.stderr and out.stderr.count("\n") == 1
