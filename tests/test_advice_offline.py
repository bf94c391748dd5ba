"""Layout advice without a server: the storage model on the golden fixtures, the offline
command, and the advice checked by brute force through the model itself.

The oracle for tuple lengths is ``heap_page_items`` as the fixtures recorded it from the
server that wrote the pages (``pageinspect.json``), never our own decoder's output.
"""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pageinspect_py.advice.advise import advise, score_rows
from pageinspect_py.advice.model import Column, Table, classify, rebuilt_row, tuple_size
from pageinspect_py.advice.sample import Observed, build_sample
from pageinspect_py.catalog.schema import description_from_json
from pageinspect_py.cli import main
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.tuple import AttributeStatus, decode_tuple_values
from pageinspect_py.decode.varlena import VarlenaForm
from pageinspect_py.sources.file import FileSource

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RELATIONS = ("heap_types", "heap_wide_nulls", "heap_altered", "heap_big", "toast_values")
CASES = [
    (d.name, r)
    for d in sorted(FIXTURES.glob("pg*"))
    if (d / "manifest.json").exists()
    for r in RELATIONS
    if (d / r / "pageinspect.json").exists()
]


def _manifest(version: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / version / "manifest.json").read_text())
    return data


@pytest.mark.parametrize(("version", "relation"), CASES)
def test_predicted_lp_len_matches_pageinspect(version: str, relation: str) -> None:
    entry = _manifest(version)["relations"][relation]
    desc = description_from_json(entry, source=relation)
    oracle = json.loads((FIXTURES / version / relation / "pageinspect.json").read_text())
    lp_len = {
        (b["block"], i["lp"]): i["lp_len"]
        for b in oracle["blocks"]
        if b.get("fork", "main") == "main"
        for i in b.get("heap_page_items") or []
    }
    columns = [Column.from_attribute(a) for a in desc.attributes]
    checked = 0
    with FileSource(FIXTURES / version / entry["files"]["main"]) as source:
        for raw in source.pages("main"):
            page = decode_page(raw)
            if not isinstance(page, HeapPage):
                continue
            for item in page.items:
                tup = item.tuple
                if tup is None or tup.t_data is None:
                    continue
                natts = tup.header.natts
                decoded = decode_tuple_values(tup, item.lp.lp, desc, text=False)
                if any(a.status is AttributeStatus.DROPPED for a in decoded.attributes):
                    continue  # a dropped column's bytes: not something a rebuild keeps
                stored = [
                    (c, a)
                    for c, a in zip(columns, decoded.attributes, strict=True)
                    if a.attnum <= natts and not c.attisdropped
                ]
                values = []
                for column, a in stored:
                    if a.status is AttributeStatus.PRESENT:
                        values.append(
                            classify(
                                column,
                                a.length,
                                a.form is VarlenaForm.COMPRESSED,
                                a.form is VarlenaForm.EXTERNAL,
                                a.form is VarlenaForm.PLAIN if a.form else None,
                            )
                        )
                    else:
                        values.append(classify(column, None))
                dropped_inside = any(c.attisdropped for c in columns[:natts])
                size = tuple_size(
                    [c for c, _ in stored],
                    values,
                    range(len(values)),
                    natts,
                    force_bitmap=dropped_inside,
                )
                assert size.lp_len == lp_len[(raw.blkno, item.lp.lp)], (raw.blkno, item.lp.lp)
                checked += 1
    assert checked > 0


def _schema_file(tmp_path: Path, version: str, relation: str) -> tuple[Path, Path]:
    entry = _manifest(version)["relations"][relation]
    schema = tmp_path / f"{relation}.json"
    schema.write_text(json.dumps(entry))
    compressed = FIXTURES / version / entry["files"]["main"]
    path = tmp_path / str(entry["relfilenode"])
    path.write_bytes(gzip.decompress(compressed.read_bytes()))
    return path, schema


@pytest.mark.parametrize("version", sorted({v for v, r in CASES if r == "heap_types"}))
def test_offline_command(tmp_path: Path, version: str) -> None:
    path, schema = _schema_file(tmp_path, version, "heap_types")
    result = CliRunner().invoke(
        main, ["layout-advice", str(path), "--schema", str(schema), "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    advice = json.loads(result.stdout)
    assert advice["measured"]["pages"] == path.stat().st_size // 8192
    assert advice["recommended"]["avg_row_bytes"] <= advice["current"]["avg_row_bytes"]
    assert advice["lower_bound"]["avg_row_bytes"] <= advice["recommended"]["avg_row_bytes"]
    text = CliRunner().invoke(main, ["layout-advice", str(path), "--schema", str(schema)])
    assert text.exit_code == 0
    assert "recommended order:" in text.stdout


def test_offline_refuses_sql_and_verify(tmp_path: Path) -> None:
    version = next(v for v, r in CASES if r == "heap_types")
    path, schema = _schema_file(tmp_path, version, "heap_types")
    result = CliRunner().invoke(
        main, ["layout-advice", str(path), "--schema", str(schema), "--sql"]
    )
    assert result.exit_code == 2
    assert "need the table on a server" in result.stderr


def test_file_without_schema_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "16384"
    path.write_bytes(b"\0" * 8192)
    result = CliRunner().invoke(main, ["layout-advice", str(path)])
    assert result.exit_code == 2
    assert "give --schema FILE" in result.stderr


# ----------------------------------------------------------------------------------------------
# The advice, by brute force through the storage model (not through the search engine)

TYPES = [
    ("bool", 1, "c"),
    ("int2", 2, "s"),
    ("int4", 4, "i"),
    ("int8", 8, "d"),
    ("timetz", 12, "d"),
    ("macaddr", 6, "i"),
    ("tid", 6, "s"),
    ("uuid", 16, "c"),
    ("interval", 16, "d"),
    ("text", -1, "i"),
    ("numeric", -1, "i"),
    ("_int8", -1, "d"),
]


@st.composite
def tables(draw: st.DrawFn) -> tuple[Table, list[list[Observed]]]:
    n = draw(st.integers(1, 6))
    columns = []
    for i in range(n):
        typname, attlen, attalign = draw(st.sampled_from(TYPES))
        columns.append(
            Column(
                f"c{i}",
                i + 1,
                typname,
                attlen,
                attalign,
                "x" if attlen == -1 else "p",
                attnotnull=draw(st.booleans()),
            )
        )
    rows = []
    for _ in range(draw(st.integers(1, 30))):
        row = []
        for c in columns:
            if not c.attnotnull and draw(st.booleans()):
                row.append(Observed(None))
            elif c.attlen > 0:
                row.append(Observed(c.attlen))
            elif draw(st.integers(0, 3)) == 0:  # a TOAST pointer: its out-of-line size
                row.append(Observed(draw(st.integers(30, 3000)), draw(st.booleans()), True))
            else:  # long enough, together, for the toaster to act on some rows
                size = draw(st.integers(2, 900))
                row.append(Observed(size, False, False, size > 127))
        rows.append(row)
    return Table("t", tuple(columns)), rows


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_permutation_beats_the_recommendation(case: tuple[Table, list[list[Observed]]]) -> None:
    """Brute force over every order, each row rebuilt in that order as a copy stores it
    (re-toasted). Optimality is claimed, and must hold, when no row's toasting depends on
    the order; otherwise the recommendation is at least never worse than the current order
    and its reported figures are exact."""
    table, rows = case
    sample = build_sample(table.columns, rows, table.geometry, table_rows=len(rows), method="test")
    advice = advise(table, sample, time_limit=0.5)
    cols = sample.columns
    geometry = table.geometry

    def cost(perm: tuple[int, ...]) -> int:
        return sum(
            tuple_size(cols, rebuilt_row(cols, row, perm, geometry), perm, len(cols)).footprint + 4
            for row in sample.rows
        )

    index = {c.name: j for j, c in enumerate(cols)}
    ours = cost(tuple(index[n] for n in advice.recommended.order))
    assert advice.recommended.avg_row_bytes * len(sample.rows) == pytest.approx(ours)
    assert ours <= cost(tuple(range(len(cols))))
    if score_rows(table, sample).toasted:
        return
    best = min(cost(perm) for perm in itertools.permutations(range(len(cols))))
    assert ours == best
    assert advice.proven_optimal
    assert advice.lower_bound_row_bytes == pytest.approx(advice.recommended.avg_row_bytes)


def test_offline_advice_with_a_whole_manifest() -> None:
    """`--schema manifest.json` picks the entry whose files include the relation file."""
    version_dir = Path(__file__).resolve().parent.parent / "fixtures" / "pg17"
    manifest = json.loads((version_dir / "manifest.json").read_text())
    rel_file = version_dir / manifest["relations"]["heap_types"]["files"]["main"]
    result = CliRunner().invoke(
        main,
        [
            "layout-advice",
            str(rel_file),
            "--schema",
            str(version_dir / "manifest.json"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[0])
    assert report["table"].endswith("heap_types")
    assert len(report["current"]["order"]) == len(report["recommended"]["order"])
