"""Tuple values of every fixture table, PostgreSQL 12 to 18, against what the server printed.

The fixtures record ``SELECT ctid, * FROM t ORDER BY ctid`` in text format (``rows``), the
sizes ``pg_column_size`` gave (``column_sizes``) and, for the TOAST table, each value's
length and md5. Our values come from the page bytes alone, with the relation's manifest entry
as the schema file and the TOAST table's file for out-of-line values.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.catalog.schema import description_from_json
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.toast import TOAST_DESCRIPTION, ToastRelation, scan_chunk_refs
from pageinspect_py.decode.tuple import (
    AttributeStatus,
    PageValues,
    TupleValues,
    decode_page_values,
    decode_tuple_values,
)
from pageinspect_py.decode.varlena import VarlenaForm
from pageinspect_py.sources.file import FileSource

WITH_ROWS = [r for r in relations("heap") if "rows" in r.oracle]
WITH_SIZES = [r for r in WITH_ROWS if "column_sizes" in r.oracle]
TOAST_TABLES = [r for r in relations("heap") if r.name == "toast_values"]
TOAST_FILES = [r for r in relations("heap") if r.name.endswith("_toast")]


def toast_of(rel: FixtureRelation) -> ToastRelation | None:
    toast_name = f"{rel.name}_toast"
    meta = rel.manifest["relations"].get(toast_name)
    if meta is None:
        return None
    return ToastRelation(
        FileSource(rel.version_dir / meta["files"]["main"]), toastrelid=rel.meta["reltoastrelid"]
    )


def decoded(rel: FixtureRelation) -> dict[str, TupleValues]:
    """ctid -> values of every tuple of the relation's main fork."""
    desc = description_from_json(rel.meta, source=str(rel))
    toast = toast_of(rel)
    out: dict[str, TupleValues] = {}
    with FileSource(rel.file("main")) as src:
        for raw in src.pages("main"):
            page = decode_page(raw)
            if not isinstance(page, HeapPage):
                continue
            values: PageValues = decode_page_values(page, desc, toast=toast)
            for tv in values:
                out[f"({raw.blkno},{tv.lp})"] = tv
    return out


@pytest.mark.parametrize("rel", WITH_ROWS, ids=str)
def test_values_equal_select_output(rel: FixtureRelation) -> None:
    """Every visible row: our text for each non-dropped column equals PostgreSQL's."""
    ours = decoded(rel)
    rows = rel.oracle["rows"]
    assert rows, f"{rel}: the fixture has rows"
    live_names = [a["attname"] for a in rel.meta["attributes"] if not a["attisdropped"]]
    for row in rows:
        ctid = row["ctid"]
        expected = [row[name] for name in live_names]
        tv = ours[ctid]
        assert tv.values() == expected, f"{rel} {ctid}"
        assert all(a.decoded for a in tv.attributes if a.status is AttributeStatus.PRESENT), (
            f"{rel} {ctid}: {[a.error for a in tv.attributes if a.error]}"
        )
        assert not tv.diagnostics, f"{rel} {ctid}: {tv.diagnostics}"


@pytest.mark.parametrize("rel", WITH_SIZES, ids=str)
def test_stored_lengths_equal_pg_column_size(rel: FixtureRelation) -> None:
    """Where each attribute ends: our stored length is pg_column_size of the stored datum
    (varlena header included); for a TOAST pointer, the size stored out of line."""
    ours = decoded(rel)
    compared = 0
    for row in rel.oracle["column_sizes"]:
        tv = ours[row["ctid"]]
        for name, size in row.items():
            if name == "ctid":
                continue
            a = tv.attribute(name)
            if a.status is AttributeStatus.PRESENT and a.form is VarlenaForm.EXTERNAL:
                # toast_datum_size(): the bytes stored out of line
                assert a.varlena is not None and a.varlena.pointer is not None
                assert a.varlena.pointer.extsize == size, f"{rel} {row['ctid']} {name}"
                assert a.length == 18
                compared += 1
            elif a.status is AttributeStatus.PRESENT:
                assert a.length == size, f"{rel} {row['ctid']} {name}"
                compared += 1
            elif a.status.is_null:
                assert size is None, f"{rel} {row['ctid']} {name}"
    assert compared


@pytest.mark.parametrize("rel", WITH_ROWS, ids=str)
def test_attributes_tile_the_tuple_data(rel: FixtureRelation) -> None:
    """Data bytes plus alignment padding account for exactly lp_len - t_hoff."""
    desc = description_from_json(rel.meta)
    with FileSource(rel.file("main")) as src:
        for raw in src.pages("main"):
            page = decode_page(raw)
            if not isinstance(page, HeapPage):
                continue
            for item in page.items:
                tup = item.tuple
                if tup is None or tup.data_span is None:
                    continue
                tv = decode_tuple_values(tup, item.lp.lp, desc, text=False)
                assert tv.trailing is None
                assert tv.data_bytes + tv.padding_bytes == tup.data_span.length
                cursor = tup.data_span.start
                for a in tv.attributes:
                    if a.span is None:
                        continue
                    assert a.padding is not None and a.padding.start == cursor
                    assert a.padding.stop == a.span.start
                    assert a.padding.length < 8
                    cursor = a.span.stop
                assert cursor == tup.data_span.stop


@pytest.mark.parametrize("rel", TOAST_TABLES, ids=str)
def test_detoasted_length_and_md5(rel: FixtureRelation) -> None:
    ours = decoded(rel)
    forms: set[tuple[str, str | None]] = set()
    for row in rel.oracle["toast_columns"]:
        tv = ours[row["ctid"]]
        for name, expected in row.items():
            if not isinstance(expected, dict):
                continue
            a = tv.attribute(name)
            if expected["md5"] is None:
                assert a.text is None
                continue
            assert a.text is not None
            assert len(a.text) == expected["length"], f"{rel} {row['ctid']} {name}"
            assert len(a.text.encode()) == expected["octet_length"]
            assert hashlib.md5(a.text.encode()).hexdigest() == expected["md5"]
            assert a.form is not None
            compression = a.varlena.compression if a.varlena is not None else None
            if expected.get("pg_column_compression") is not None or rel.major >= 14:
                assert compression == expected.get("pg_column_compression"), (
                    f"{rel} {row['ctid']} {name}"
                )
            forms.add((str(a.form), compression))
    # the fixture covers every storage form (lz4 only where the server was built with it)
    assert (str(VarlenaForm.COMPRESSED), "pglz") in forms
    assert (str(VarlenaForm.EXTERNAL), "pglz") in forms
    assert (str(VarlenaForm.EXTERNAL), None) in forms
    assert (str(VarlenaForm.SHORT), None) in forms
    assert (str(VarlenaForm.PLAIN), None) in forms
    if rel.manifest.get("lz4"):
        assert (str(VarlenaForm.COMPRESSED), "lz4") in forms
        assert (str(VarlenaForm.EXTERNAL), "lz4") in forms


@pytest.mark.parametrize("rel", TOAST_FILES, ids=str)
def test_toast_bulk_scan_agrees_with_construct_path(rel: FixtureRelation) -> None:
    """scan_chunk_refs (struct over layout offsets) finds the same chunks as decode_page."""
    found = 0
    with FileSource(rel.file("main")) as src:
        for raw in src.pages("main"):
            bulk = [(r.valueid, r.seq, r.lp) for r in scan_chunk_refs(raw.blkno, raw.data)]
            page = decode_page(raw)
            slow = []
            if isinstance(page, HeapPage):
                for item in page.items:
                    if item.tuple is None or item.tuple.t_data is None:
                        continue
                    tv = decode_tuple_values(item.tuple, item.lp.lp, TOAST_DESCRIPTION, text=False)
                    slow.append(
                        (
                            int.from_bytes(tv.attributes[0].raw, "little"),
                            int.from_bytes(tv.attributes[1].raw, "little", signed=True),
                            item.lp.lp,
                        )
                    )
            assert bulk == slow, f"{rel} block {raw.blkno}"
            found += len(bulk)
    assert found


def test_cli_dump_schema_and_toast_values(tmp_path: Path) -> None:
    """End to end: pgpage dump FILE --schema ENTRY --toast FILE --format json."""
    rel = (
        next(r for r in TOAST_TABLES if r.manifest.get("lz4"))
        if any(r.manifest.get("lz4") for r in TOAST_TABLES)
        else TOAST_TABLES[0]
    )
    schema = tmp_path / "toast_values.json"
    schema.write_text(json.dumps(rel.meta))
    toast_meta = rel.manifest["relations"]["toast_values_toast"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pageinspect_py.cli",
            "dump",
            str(rel.file("main")),
            "--schema",
            str(schema),
            "--toast",
            str(rel.version_dir / toast_meta["files"]["main"]),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = {r["ctid"]: r for r in rel.oracle["rows"]}
    seen = 0
    for line in proc.stdout.splitlines():
        block: dict[str, Any] = json.loads(line)
        for item in block["heap_page_items"]:
            ctid = f"({block['block']},{item['lp']})"
            if ctid in rows:
                expected = [v for k, v in rows[ctid].items() if k != "ctid"]
                assert item["values"] == expected, ctid
                assert len(item["attributes"]) == len(rel.meta["attributes"])
                seen += 1
        assert block["attribute_padding"]["tuples"] > 0
    assert seen == len(rows)


def test_cli_dump_columns(tmp_path: Path) -> None:
    """The hand-typed form decodes a fixture table the same way its manifest entry does."""
    rel = next(r for r in WITH_ROWS if r.name == "heap_frozen")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pageinspect_py.cli",
            "dump",
            str(rel.file("main")),
            "--columns",
            "id integer, label text, amount numeric",
            "--format",
            "json",
            "--block",
            "0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    block = json.loads(proc.stdout)
    rows = {r["ctid"]: r for r in rel.oracle["rows"]}
    for item in block["heap_page_items"]:
        ctid = f"(0,{item['lp']})"
        assert item["values"] == [rows[ctid]["id"], rows[ctid]["label"], rows[ctid]["amount"]]


def test_toast_without_source_shows_pointer_not_value() -> None:
    rel = TOAST_TABLES[0]
    desc = description_from_json(rel.meta)
    with FileSource(rel.file("main")) as src:
        page = decode_page(src.read_page(0))
    assert isinstance(page, HeapPage)
    pointers = [
        a
        for tv in decode_page_values(page, desc)
        for a in tv.attributes
        if a.form is VarlenaForm.EXTERNAL
    ]
    assert pointers
    for a in pointers:
        assert not a.decoded and a.error is not None and "no TOAST relation" in a.error
        assert a.text == "\\x" + a.raw.hex()
        assert a.varlena is not None and a.varlena.pointer is not None
        assert a.varlena.pointer.va_toastrelid == rel.meta["reltoastrelid"]


WITH_ARRAYS = [
    r
    for r in WITH_ROWS
    if any(a.get("typelem") and a["attlen"] == -1 for a in r.meta["attributes"])
]


@pytest.mark.parametrize("rel", WITH_ARRAYS, ids=str)
def test_schema_in_pg_attributes_own_terms_decodes_arrays(rel: FixtureRelation) -> None:
    """A schema file that gives typelem as an OID and no element columns (pg_attribute's and
    pg_type's own terms) still decodes arrays of built-in types: the element is known by OID."""
    strip = ("elemtypname", "elemtyplen", "elemtypalign", "elemtypbyval")
    bare = {
        **rel.meta,
        "attributes": [
            {k: v for k, v in a.items() if k not in strip} for a in rel.meta["attributes"]
        ],
    }
    assert WITH_ARRAYS, "some fixture relation has an array column"
    desc = description_from_json(bare, source=str(rel))
    full = decoded(rel)
    with FileSource(rel.file("main")) as src:
        for raw in src.pages("main"):
            page = decode_page(raw)
            if not isinstance(page, HeapPage):
                continue
            for tv in decode_page_values(page, desc, toast=toast_of(rel)):
                assert tv.values() == full[f"({raw.blkno},{tv.lp})"].values()
