"""``pgpage layout-advice``: click glue between the command's options, the use case in
:mod:`pageinspect_py.app.advice`, and the renderers (report on stdout, notices on stderr)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from pageinspect_py.app.advice import Notice, TableAdvice, layout_advice
from pageinspect_py.render.advice import render_advice

if TYPE_CHECKING:
    from pageinspect_py.catalog.attributes import RelationDescription
    from pageinspect_py.decode.heap import HeapTupleHeader


def _pins(keep_first: Sequence[str]) -> list[str]:
    """``--keep-first a --keep-first b`` or ``--keep-first a,b``."""
    return [name.strip() for item in keep_first for name in item.split(",") if name.strip()]


def _emit(out: TextIO, fmt: str, report: TableAdvice) -> None:
    verify = report.verification.to_json() if report.verification is not None else None
    if fmt == "json":
        obj = report.advice.to_json()
        obj["partition_of"] = report.partition_of
        obj["ddl"] = report.ddl
        obj["verify"] = verify
        out.write(json.dumps(obj) + "\n")
    else:
        out.write(
            render_advice(
                report.advice, ddl=report.ddl, verify=verify, partition_of=report.partition_of
            )
        )


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
    description: RelationDescription | None = None,
    visible: Callable[[HeapTupleHeader], bool] | None = None,
    force: bool = False,
) -> int:
    """Advise on ``target``; returns the exit code. Errors raise PageInspectError."""
    out = out or sys.stdout
    err = err or sys.stderr
    for report in layout_advice(
        target,
        dsn=dsn,
        schema_file=schema_file,
        sample_rows=sample_rows,
        seed=seed,
        keep_first=_pins(keep_first),
        want_sql=want_sql,
        want_verify=want_verify,
        search_seconds=search_seconds,
        description=description,
        visible=visible,
        force=force,
    ):
        if isinstance(report, Notice):
            err.write(f"pgpage: {report.message}\n")
        else:
            _emit(out, fmt, report)
    return 0
