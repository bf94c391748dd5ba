"""``pgpage export``: a relation's rows from a data directory, byte for byte what the server's
``COPY ... TO STDOUT`` printed on the same cluster (``fixtures/datadir/pg<M>/golden.json``:
``copy`` and ``copy_csv``), every tuple version with the server's own visibility
(``tuples``), the writers' quoting rules, damaged pages and tuples, and the errors.

The sweeps run through :func:`pageinspect_py.cli_export.write_export` (what the command
writes) on one opened cluster per major; a few tests run the command itself.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from datadir_support import MAJORS, extract, golden

from pageinspect_py.app.datadir import Cluster, DataDirRelation, open_cluster
from pageinspect_py.app.export import (
    VERSION_COLUMNS,
    Export,
    ExportRow,
    Skipped,
    _FastValues,
    export_rows,
    open_export,
)
from pageinspect_py.catalog.schema import description_from_columns
from pageinspect_py.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main
from pageinspect_py.cli_export import write_export
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage, HeapTuple, HeapTupleHeader, ItemPointer
from pageinspect_py.decode.tuple import decode_tuple_values
from pageinspect_py.errors import DataDirectoryError
from pageinspect_py.page.checksum import page_checksum
from pageinspect_py.render.export import (
    ExportFormat,
    copy_text_row,
    copy_text_value,
    csv_row,
    csv_value,
    row_writer,
    version_column_names,
)

pytestmark = pytest.mark.skipif(not MAJORS, reason="no fixtures/datadir")


def _tables(key: str) -> list[tuple[int, str]]:
    return [(major, table) for major in MAJORS for table in golden(major)[key]]


def _ids(cases: list[tuple[int, str]]) -> list[str]:
    return [f"pg{major}/{table}" for major, table in cases]


COPY_CASES = _tables("copy")
CSV_CASES = _tables("copy_csv")
TUPLE_CASES = _tables("tuples")
LATEST = MAJORS[-1] if MAJORS else 0


@pytest.fixture(scope="module")
def clusters(datadir_copies: Callable[[int], Path]) -> Callable[[int], Cluster]:
    @cache
    def get(major: int) -> Cluster:
        return open_cluster(datadir_copies(major))

    return get


def exported(
    cluster: Cluster,
    table: str,
    fmt: ExportFormat,
    *,
    all_versions: bool = False,
    strict: bool = False,
    database: str = "shop",
) -> tuple[bytes, list[str]]:
    """(stdout bytes, stderr lines) of ``pgpage export`` on an opened cluster."""
    out = io.BytesIO()
    lines: list[str] = []
    with open_export(cluster, database, table) as opened:
        skipped = write_export(
            opened, fmt, out, all_versions=all_versions, strict=strict, report=lines.append
        )
    assert skipped == bool(lines)
    return out.getvalue(), lines


def parse_copy_text(text: str) -> list[list[str | None]]:
    """COPY's text format read back (CopyReadAttributesText's escapes)."""
    escapes = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
    rows = []
    for line in text.split("\n")[:-1]:
        values: list[str | None] = []
        for field in line.split("\t"):
            if field == "\\N":
                values.append(None)
                continue
            out, i = [], 0
            while i < len(field):
                if field[i] == "\\" and i + 1 < len(field):
                    out.append(escapes.get(field[i + 1], field[i + 1]))
                    i += 2
                else:
                    out.append(field[i])
                    i += 1
            values.append("".join(out))
        rows.append(values)
    return rows


# ----------------------------------------------------------------------------------------------
# the server's own output, byte for byte


@pytest.mark.parametrize(("major", "table"), COPY_CASES, ids=_ids(COPY_CASES))
def test_copy_equals_the_servers_copy(
    major: int, table: str, clusters: Callable[[int], Cluster]
) -> None:
    out, problems = exported(clusters(major), table, "copy")
    assert problems == []
    assert out == golden(major)["copy"][table].encode("utf-8")


@pytest.mark.parametrize(("major", "table"), CSV_CASES, ids=_ids(CSV_CASES))
def test_csv_equals_the_servers_csv(
    major: int, table: str, clusters: Callable[[int], Cluster]
) -> None:
    out, problems = exported(clusters(major), table, "csv")
    assert problems == []
    assert out == golden(major)["copy_csv"][table].encode("utf-8")


@pytest.mark.parametrize(("major", "table"), COPY_CASES, ids=_ids(COPY_CASES))
def test_jsonl_holds_the_copy_values(
    major: int, table: str, clusters: Callable[[int], Cluster]
) -> None:
    out, problems = exported(clusters(major), table, "jsonl")
    assert problems == []
    with open_export(clusters(major), "shop", table) as opened:
        columns = list(opened.columns)
    objects = [json.loads(line) for line in out.decode("utf-8").splitlines()]
    assert all(list(obj) == columns for obj in objects)
    expected = parse_copy_text(golden(major)["copy"][table])
    assert [list(obj.values()) for obj in objects] == expected


@pytest.mark.parametrize(("major", "table"), TUPLE_CASES, ids=_ids(TUPLE_CASES))
def test_all_versions_carry_the_servers_visibility(
    major: int, table: str, clusters: Callable[[int], Cluster]
) -> None:
    """Every tuple version pageinspect listed, with the visibility the server's snapshot
    gave it, and the visible ones are exactly the COPY rows."""
    out, problems = exported(clusters(major), table, "jsonl", all_versions=True)
    assert problems == []
    objects = [json.loads(line) for line in out.decode("utf-8").splitlines()]
    assert all(list(obj)[: len(VERSION_COLUMNS)] == list(VERSION_COLUMNS) for obj in objects)
    got = {o["ctid"]: (o["xmin"], o["xmax"], o["visible"]) for o in objects}
    want = {
        t["ctid"]: (t["t_xmin"], t["t_xmax"], t["visible"]) for t in golden(major)["tuples"][table]
    }
    assert got == want
    if table in golden(major)["copy"]:
        visible = [list(o.values())[len(VERSION_COLUMNS) :] for o in objects if o["visible"]]
        assert visible == parse_copy_text(golden(major)["copy"][table])


def test_all_versions_in_copy_and_csv(clusters: Callable[[int], Cluster]) -> None:
    cluster = clusters(LATEST)
    copy, _ = exported(cluster, "sales.gone", "copy", all_versions=True)
    rows = parse_copy_text(copy.decode())
    assert {tuple(r[3:5]) for r in rows} == {("live", "t"), ("dead", "f")}
    assert all(r[0] is not None and r[0].startswith("(") for r in rows)
    csv, _ = exported(cluster, "sales.gone", "csv", all_versions=True)
    header, first = csv.decode().splitlines()[:2]
    assert header == "ctid,xmin,xmax,visibility,visible,id,v"
    assert first.startswith('"(0,1)",')  # the ctid holds the delimiter: quoted


def test_toast_values_come_through_the_toast_table(clusters: Callable[[int], Cluster]) -> None:
    """sales.docs was rewritten by VACUUM FULL: its TOAST table's file number is not its
    OID, and the pointers name the OID."""
    cluster = clusters(LATEST)
    with open_export(cluster, "shop", "sales.docs") as opened:
        assert opened.toast is not None
        toast_cls = _rel(opened).catalog.classes[_rel(opened).cls.reltoastrelid]
        assert _rel(opened).catalog.filenumber(toast_cls) != toast_cls.oid
        rows = [r for r in export_rows(opened) if isinstance(r, ExportRow)]
    assert max(len(v or "") for r in rows for v in r.values) > 2000


def test_relations_found_by_oid_and_file_number(clusters: Callable[[int], Cluster]) -> None:
    cluster = clusters(LATEST)
    by_name, _ = exported(cluster, "sales.docs", "copy")
    with open_export(cluster, "shop", "sales.docs") as opened:
        oid = _rel(opened).cls.oid
        filenode = _rel(opened).cls.relfilenode
    assert filenode != oid
    assert exported(cluster, str(oid), "copy")[0] == by_name
    assert exported(cluster, str(filenode), "copy")[0] == by_name


@pytest.mark.parametrize(("major", "table"), TUPLE_CASES, ids=_ids(TUPLE_CASES))
def test_the_fast_walk_equals_decode_tuple_values(
    major: int, table: str, clusters: Callable[[int], Cluster]
) -> None:
    """The export reads healthy tuples without the span model; on every tuple version of the
    fixtures it takes that path and gives decode_tuple_values' texts."""
    with open_export(clusters(major), "shop", table) as opened:
        fast = _FastValues(opened.description, opened.toast)
        assert fast.usable
        seen = 0
        for raw in opened.source.pages("main"):
            page = decode_page(raw)
            assert isinstance(page, HeapPage)
            for item in page.items:
                if item.tuple is None or item.tuple.t_data is None:
                    continue
                slow = decode_tuple_values(
                    item.tuple, item.lp.lp, opened.description, toast=opened.toast
                )
                assert fast.values(item.tuple) == tuple(slow.values()), item.lp.lp
                seen += 1
    assert seen == len(golden(major)["tuples"][table])


def test_the_fast_walk_leaves_damage_to_the_decoder() -> None:
    desc = description_from_columns("id int4, v text, n numeric")
    fast = _FastValues(desc, None)
    good = struct.pack("<i", 7) + bytes([(3 + 1) << 1 | 1]) + b"abc"
    assert fast.values(_tuple(good, natts=2)) == ("7", "abc", None)
    for bad in (good[:5], struct.pack("<i", 7) + b"\xff" + b"abc", struct.pack("<i", 7)):
        assert fast.values(_tuple(bad, natts=2)) is None
    assert fast.values(_tuple(good, natts=4)) is None  # more attributes than the relation


def _tuple(data: bytes, natts: int) -> HeapTuple:
    header = HeapTupleHeader(0, 1, 0, 0, ItemPointer(0, 1), natts, 0x0002, 24)
    return HeapTuple(header, Span(0, 24 + len(data)), None, None, Span(24, 24 + len(data)), data)


# ----------------------------------------------------------------------------------------------
# the writers


def test_copy_text_escapes() -> None:
    assert copy_text_value(None) == "\\N"
    assert copy_text_value("") == ""
    assert copy_text_value("\\N") == "\\\\N"  # a value that looks like NULL is escaped
    assert copy_text_value("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert copy_text_value("\b\f\v") == "\\b\\f\\v"
    assert copy_text_value("\x01\x1f\x7f é") == "\x01\x1f\x7f é"  # other controls as they are
    assert copy_text_row(["1", None, ""]) == "1\t\\N\t\n"


def test_csv_quoting_follows_copy_attribute_out_csv() -> None:
    assert csv_value(None) == ""
    assert csv_value("") == '""'  # equals the NULL string
    assert csv_value("plain text") == "plain text"
    assert csv_value("a,b") == '"a,b"'
    assert csv_value('say "hi"') == '"say ""hi"""'
    assert csv_value("line\nbreak") == '"line\nbreak"'
    assert csv_value("cr\r") == '"cr\r"'
    assert csv_value("tab\tand\\back") == "tab\tand\\back"
    assert csv_value("\\.") == "\\."
    assert csv_value("\\.", single_column=True) == '"\\."'
    assert csv_row(["1", None, ""]) == '1,,""\n'
    writer = row_writer("csv", ["\\."])
    assert writer.header() == '"\\."\n'
    assert writer.row(["\\."]) == '"\\."\n'


def test_jsonl_rows_and_version_columns() -> None:
    writer = row_writer("jsonl", ["id", "visible", "name"], VERSION_COLUMNS)
    line = writer.row(["1", "yes", "é\n"], ["(0,1)", "5", "0", "live", "t"])
    assert json.loads(line) == {
        "ctid": "(0,1)",
        "xmin": 5,
        "xmax": 0,
        "visibility": "live",
        "_visible": True,
        "id": "1",
        "visible": "yes",
        "name": "é\n",
    }
    assert "é" in line  # UTF-8, not \u escapes
    assert version_column_names(["visibility", "_visibility"], ["visibility"]) == ["__visibility"]
    unknown = row_writer("jsonl", ["a"], VERSION_COLUMNS).row(
        [None], ["(1,2)", "7", "9", "unknown", None]
    )
    assert json.loads(unknown)["visible"] is None and json.loads(unknown)["a"] is None


# ----------------------------------------------------------------------------------------------
# damaged pages and tuples


@pytest.fixture
def damaged_copy(tmp_path: Path) -> Iterator[Path]:
    root = extract(LATEST, tmp_path)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _rewrite_block(path: Path, blkno: int, change: Callable[[bytearray], None]) -> None:
    data = bytearray(path.read_bytes())
    page = bytearray(data[blkno * 8192 : (blkno + 1) * 8192])
    change(page)
    if struct.unpack_from("<H", page, 8)[0]:  # data checksums on: keep the page valid
        struct.pack_into("<H", page, 8, 0)
        struct.pack_into("<H", page, 8, page_checksum(bytes(page), blkno))
    data[blkno * 8192 : (blkno + 1) * 8192] = page
    path.write_bytes(bytes(data))


def test_a_damaged_page_is_skipped_and_named(damaged_copy: Path) -> None:
    cluster = open_cluster(damaged_copy)
    with open_export(cluster, "shop", "sales.orders") as opened:
        path = _rel(opened).path
        assert path is not None and opened.nblocks >= 2
    clean, _ = exported(open_cluster(damaged_copy), "sales.orders", "copy")
    _rewrite_block(path, 1, lambda page: struct.pack_into("<HH", page, 12, 8000, 100))
    out, problems = exported(open_cluster(damaged_copy), "sales.orders", "copy")
    assert len(problems) == 1 and problems[0].startswith("sales.orders: block 1: ")
    assert "pd_lower" in problems[0]
    kept = out.decode().splitlines()
    assert 0 < len(kept) < len(clean.decode().splitlines())
    assert set(kept) < set(clean.decode().splitlines())
    strict, problems = exported(open_cluster(damaged_copy), "sales.orders", "copy", strict=True)
    assert len(problems) == 1
    assert clean.startswith(strict) and strict  # the rows of block 0, then it stopped


def test_an_undecodable_tuple_is_skipped_and_named(damaged_copy: Path) -> None:
    cluster = open_cluster(damaged_copy)
    with open_export(cluster, "shop", "sales.frozen") as opened:
        path = _rel(opened).path
        assert path is not None
    clean, _ = exported(cluster, "sales.frozen", "copy")

    def break_tuples(page: bytearray) -> None:
        def tuple_at(lp: int) -> int:
            (word,) = struct.unpack_from("<I", page, 24 + 4 * (lp - 1))
            return int(word & 0x7FFF)  # lp_off

        page[tuple_at(2) + 22] = 7  # t_hoff of lp 2: not MAXALIGNed
        third = tuple_at(3)
        # lp 3 is (int4, text): the text's 1-byte header claims more bytes than the tuple has
        page[third + page[third + 22] + 4] = 0xFF

    _rewrite_block(path, 0, break_tuples)
    out, problems = exported(open_cluster(damaged_copy), "sales.frozen", "copy")
    assert [p.split(":")[0] for p in problems] == [
        "sales.frozen",
        "sales.frozen",
    ]
    assert problems[0].startswith("sales.frozen: block 0 lp 2: ")
    assert "t_hoff" in problems[0]
    assert problems[1].startswith("sales.frozen: block 0 lp 3: column ")
    clean_lines = clean.decode().splitlines()
    assert out.decode().splitlines() == [clean_lines[0], *clean_lines[3:]]


def test_a_value_missing_from_the_toast_table_is_named(damaged_copy: Path) -> None:
    cluster = open_cluster(damaged_copy)
    clean, _ = exported(cluster, "sales.docs", "copy")
    with open_export(cluster, "shop", "sales.docs") as opened:
        toast_path = _rel(opened).toast_path
        assert toast_path is not None
        toast_path.write_bytes(b"")  # every chunk gone
    out, problems = exported(open_cluster(damaged_copy), "sales.docs", "copy")
    assert problems
    assert all(" lp " in p and "not found in the TOAST relation" in p for p in problems)
    assert set(out.decode().splitlines()) < set(clean.decode().splitlines())


# ----------------------------------------------------------------------------------------------
# the command


def _run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(main, ["export", *args])
    return result.exit_code, result.stdout_bytes, result.stderr


def test_the_command_writes_copy_and_csv(datadir_copies: Callable[[int], Path]) -> None:
    root = str(datadir_copies(LATEST))
    g = golden(LATEST)
    code, out, err = _run(root, "--db", "shop", "sales.typed")
    assert (code, err) == (EXIT_OK, "")
    assert out == g["copy"]["sales.typed"].encode()
    code, out, err = _run(root, '"Mixed Case"."Orders"', "--db", "shop", "--format", "csv", "-q")
    assert (code, err) == (EXIT_OK, "")
    assert out == g["copy_csv"]['"Mixed Case"."Orders"'].encode()


def test_the_command_exits_1_after_a_skipped_page(damaged_copy: Path) -> None:
    cluster = open_cluster(damaged_copy)
    with open_export(cluster, "shop", "sales.orders") as opened:
        path = _rel(opened).path
        assert path is not None
    _rewrite_block(path, 0, lambda page: struct.pack_into("<HH", page, 12, 8000, 100))
    code, out, err = _run(str(damaged_copy), "--db", "shop", "sales.orders")
    assert code == EXIT_PROBLEMS
    assert err.startswith("pgpage: sales.orders: block 0: ") and err.count("\n") == 1
    assert out
    code, out, err = _run(str(damaged_copy), "--db", "shop", "sales.orders", "--strict")
    assert (code, out) == (EXIT_PROBLEMS, b"")


def test_the_command_refuses_bad_input(
    datadir_copies: Callable[[int], Path], tmp_path: Path
) -> None:
    root = str(datadir_copies(LATEST))
    for args, message in (
        ((str(tmp_path), "--db", "shop", "t"), "not a PostgreSQL data directory"),
        ((str(tmp_path / "missing"), "--db", "shop", "t"), "no such directory"),
        ((root, "sales.orders"), "needs --db NAME"),
        ((root, "--db", "nope", "sales.orders"), "no database 'nope'"),
        ((root, "--db", "shop", "sales.nope"), "no relation 'nope' in sales"),
        ((root, "--db", "shop"), "name the RELATION"),
        ((root, "--db", "shop", "sales.events"), "partitioned table"),
        ((root, "--db", "shop", "sales.order_seq"), "sequence"),
        ((root, "--db", "postgres", "pg_class"), "has no files"),
    ):
        code, out, err = _run(*args)
        assert code == EXIT_USAGE, (args, err)
        assert out == b""
        assert err.count("\n") == 1 and err.startswith("pgpage: ") and message in err, err
        assert "Traceback" not in err


def test_open_export_refuses_what_is_not_a_heap(clusters: Callable[[int], Cluster]) -> None:
    cluster = clusters(LATEST)
    with pytest.raises(DataDirectoryError, match="an index holds no rows"):
        open_export(cluster, "shop", "pg_class_oid_index")
    skipped = Skipped(3, None, "bad")
    assert skipped.describe() == "block 3: bad"
    assert Skipped(3, 4, "bad").describe() == "block 3 lp 4: bad"


def _rel(opened: Export) -> DataDirRelation:
    """The data-directory relation an offline export reads."""
    assert opened.relation is not None
    return opened.relation
