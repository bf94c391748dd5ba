"""``pgpage layout-advice``: the command's work, apart from its click declaration in cli.py.

psycopg is imported only on the live path, inside the functions that need it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from pageinspect_py.advice.advise import Advice, advise
from pageinspect_py.errors import AdviceError, SchemaError, SourceError
from pageinspect_py.render.advice import render_advice


def _pins(keep_first: Sequence[str]) -> list[str]:
    """``--keep-first a --keep-first b`` or ``--keep-first a,b``."""
    return [name.strip() for item in keep_first for name in item.split(",") if name.strip()]


def _emit(
    out: TextIO,
    fmt: str,
    advice: Advice,
    *,
    ddl: str | None,
    verify: dict[str, object] | None,
    partition_of: str | None,
) -> None:
    if fmt == "json":
        obj = advice.to_json()
        obj["partition_of"] = partition_of
        obj["ddl"] = ddl
        obj["verify"] = verify
        out.write(json.dumps(obj) + "\n")
    else:
        out.write(render_advice(advice, ddl=ddl, verify=verify, partition_of=partition_of))


def run_layout_advice(
    target: str,
    *,
    dsn: str | None,
    schema_file: str | None,
    sample_rows: int,
    seed: int,
    keep_first: Sequence[str],
    fmt: str,
    want_sql: bool,
    want_verify: bool,
    search_seconds: float,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Advise on ``target``; returns the exit code. Errors raise PageInspectError."""
    out = out or sys.stdout
    err = err or sys.stderr
    pins = _pins(keep_first)
    if schema_file is not None:
        if want_sql or want_verify:
            raise AdviceError(
                "--sql and --verify need the table on a server (--dsn); with "
                "--schema the advice is computed from a relation file"
            )
        return _offline(target, schema_file, pins, fmt, search_seconds, out)
    if dsn is None and Path(target).is_file():
        raise SourceError(
            f"{target} is a file: give --schema FILE to advise on a copied "
            "relation file, or --dsn DSN and a table name"
        )
    return _live(
        target, dsn, sample_rows, seed, pins, fmt, want_sql, want_verify, search_seconds, out, err
    )


def _offline(
    path: str, schema_file: str, pins: list[str], fmt: str, search_seconds: float, out: TextIO
) -> int:
    from pageinspect_py.advice.offline import rows_from_pages, table_from_description
    from pageinspect_py.catalog.schema import load_schema
    from pageinspect_py.decode.dispatch import decode_page
    from pageinspect_py.decode.heap import HeapPage
    from pageinspect_py.sources.file import FileSource

    desc = load_schema(schema_file, relation_file=path)
    with FileSource(path) as source:
        pages = (decode_page(raw) for raw in source.pages("main"))
        heap_pages = (p for p in pages if isinstance(p, HeapPage))
        found = rows_from_pages(desc, heap_pages, source.block_size)
    if not found.sample.rows:
        raise AdviceError(
            f"{path}: no live tuples in the file (dead-looking: "
            f"{found.skipped_dead}, damaged: {found.skipped_damaged}): there is "
            "nothing to measure"
        )
    table = table_from_description(desc, source.block_size)
    advice = advise(
        table, found.sample, keep_first=pins, measured=found.measured, time_limit=search_seconds
    )
    _emit(out, fmt, advice, ddl=None, verify=None, partition_of=None)
    return 0


def _live(
    relation: str,
    dsn: str | None,
    sample_rows: int,
    seed: int,
    pins: list[str],
    fmt: str,
    want_sql: bool,
    want_verify: bool,
    search_seconds: float,
    out: TextIO,
    err: TextIO,
) -> int:
    from pageinspect_py.sources import advice_live as live
    from pageinspect_py.sources.connection import connect
    from pageinspect_py.sources.migration import gather, migration_sql

    conn = connect(dsn)
    try:
        targets = live.resolve_targets(conn, relation)
        partitioned = targets[0].partition_of
        if partitioned:
            err.write(
                f"pgpage: {partitioned} is partitioned: advising each of its "
                f"{len(targets)} partitions (each has its own column order)\n"
            )
        advised = 0
        for target in targets:
            table = live.open_table(conn, target)
            try:
                sample = live.take_sample(table, sample_rows, seed)
            except AdviceError as exc:
                if not partitioned:
                    raise
                err.write(f"pgpage: skipping {target.name}: {exc}\n")
                continue
            measured = live.measure(table, sample.table_rows)
            try:
                advice = advise(
                    table.table,
                    sample,
                    keep_first=pins,
                    measured=measured,
                    time_limit=search_seconds,
                )
            except SchemaError as exc:
                raise AdviceError(str(exc)) from exc
            ddl = None
            if want_sql and advice.recommended.order == advice.current.order:
                ddl = (
                    f"-- {table.name}: the current column order is already the recommended "
                    "one; there is nothing to migrate\n"
                )
            elif want_sql:
                facts = gather(table)
                ddl = migration_sql(facts, advice.recommended.order, table.server.version).sql
            verified = live.verify(table, advice).to_json() if want_verify else None
            _emit(out, fmt, advice, ddl=ddl, verify=verified, partition_of=target.partition_of)
            advised += 1
        if not advised:
            raise AdviceError(f"no partition of {partitioned} has rows to advise on")
    finally:
        conn.close()
    return 0
