#!/usr/bin/env python3
"""Layout-advice speed: the search and scoring on samples of several shapes, and the whole
command against a live server, measured in one run.

In process, on synthetic samples (no server; the rows are drawn with a fixed seed):

  s1  100 columns (fixed-width of every alignment, short varlenas, 20% NULLs), 10,000 rows
  s2  30 columns, 10,000 rows, 15% of the varlenas TOAST pointers (each row re-toasted per
      order it is scored in when its fate could depend on the order)
  s3  8 columns, 10,000 rows: small enough for the search to prove its order optimal

For each: ``score_rows`` (rows as a copy stores them, in the current order) and ``advise``
(search, four layouts), CPU seconds, whether the order was proven optimal.

Against a server (a throwaway cluster, Debian's PostgreSQL 15 unless ``--bindir``):

  l1  ``pgpage layout-advice`` end to end on a 100-column, ``--rows``-row table: catalog,
      sampling (10,000 rows by default), search, report
  l2  the sampling query alone, as the command sends it
  l3  the table copied in the recommended order (``CREATE TABLE ... AS ... WITH NO DATA``,
      then ``INSERT ... SELECT``, as the migration does): what the advice saves the user
      from doing by hand to find out, and the pages its prediction is checked against

The Markdown table goes to stdout, progress to stderr.

    python benchmarks/bench_advice.py
    python benchmarks/bench_advice.py --rows 200000 --bindir /opt/pgpage-postgres/17/bin
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "tools")]

import pgcluster  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from pageinspect_py.advice.advise import advise, score_rows  # noqa: E402
from pageinspect_py.advice.model import Column, Table  # noqa: E402
from pageinspect_py.advice.sample import Observed, Sample, build_sample  # noqa: E402
from pageinspect_py.app import advice as advice_live  # noqa: E402
from pageinspect_py.sources.connection import connect  # noqa: E402
from pageinspect_py.sources.live_advice import Target  # noqa: E402

#: (attlen, attalign, attstorage) of the synthetic column kinds
KINDS = [
    (4, "i", "p"),
    (8, "d", "p"),
    (2, "s", "p"),
    (1, "c", "p"),
    (12, "d", "p"),
    (6, "i", "p"),
    (-1, "i", "x"),
    (-1, "d", "x"),
]


def synthetic(ncols: int, nrows: int, pointers: float, seed: int = 1) -> tuple[Table, Sample]:
    rng = random.Random(seed)
    columns = []
    for i in range(ncols):
        attlen, attalign, storage = rng.choice(KINDS)
        columns.append(Column(f"c{i}", i + 1, "t", attlen, attalign, storage))
    table = Table("synthetic", tuple(columns))
    rows = []
    for _ in range(nrows):
        row = []
        for c in columns:
            if rng.random() < 0.2:
                row.append(Observed(None))
            elif c.attlen > 0:
                row.append(Observed(c.attlen))
            elif rng.random() < pointers:
                row.append(Observed(rng.randint(2000, 9000), rng.random() < 0.5, True))
            else:
                size = rng.randint(2, 300)
                row.append(Observed(size, False, False, size > 127))
        rows.append(row)
    sample = build_sample(columns, rows, table.geometry, table_rows=100 * nrows, method="bench")
    return table, sample


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, start = time.perf_counter(), cpu()
    result = fn()
    return result, time.perf_counter() - wall, cpu() - start


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def in_process(rows: list[list[str]]) -> None:
    for key, ncols, nrows, pointers, label in (
        ("s1", 100, 10_000, 0.0, "100 columns, 10,000 rows"),
        ("s2", 30, 10_000, 0.15, "30 columns, 10,000 rows, 15% of varlenas out of line"),
        ("s3", 8, 10_000, 0.0, "8 columns, 10,000 rows"),
    ):
        log(f"{key}: {label}")
        table, sample = synthetic(ncols, nrows, pointers)
        scored, _, score_cpu = timed(lambda: score_rows(table, sample))  # noqa: B023
        advice, wall, advice_cpu = timed(lambda: advise(table, sample))  # noqa: B023
        rows.append(
            [
                key,
                f"`advise` on a synthetic sample: {label}",
                f"{wall:.2f}",
                f"{advice_cpu:.2f}",
                f"score_rows {score_cpu:.2f} CPU s ({len(scored.toasted)} rows order-dependent);"
                f" search {advice.search['seconds']} s; proven optimal: "
                f"{'yes' if advice.proven_optimal else 'no'}",
            ]
        )


def live(rows: list[list[str]], bindir: Path | None, nrows: int) -> None:
    if bindir is None:
        bindir = pgcluster.debian_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server found: pass --bindir")
    cluster = pgcluster.Cluster(bindir).start()
    try:
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            version = conn.execute("SELECT version()").fetchone()
            log(f"server: {version[0] if version else '?'}; building {nrows} rows")
            rng = random.Random(7)
            defs, exprs = [], []
            choices = [
                ("int4", "(g * {k}) % 100000"),
                ("int8", "g::int8 * {k}"),
                ("bool", "g % {k} = 0"),
                ("timestamptz", "'2024-01-01'::timestamptz + g * interval '{k} s'"),
                ("int2", "(g % {k})::int2"),
                ("text", "repeat('x', (g * {k}) % 40)"),
                ("numeric", "(g * {k})::numeric / 7"),
                ("timetz", "'12:00+01'::timetz"),
                ("macaddr", "'08:00:2b:01:02:03'::macaddr"),
                ("float8", "g / {k}.0"),
            ]
            for i in range(100):
                typ, expr = rng.choice(choices)
                k = rng.randint(2, 9)
                defs.append(f"c{i} {typ}")
                exprs.append(f"CASE WHEN g % {k + 1} = 0 THEN NULL ELSE {expr.format(k=k)} END")
            conn.execute(f"CREATE TABLE wide ({', '.join(defs)})")
            conn.execute(
                f"INSERT INTO wide SELECT {', '.join(exprs)} FROM generate_series(1, {nrows}) g"
            )
            conn.execute("VACUUM ANALYZE wide")
            pages = conn.execute("SELECT pg_relation_size('wide') / 8192").fetchone()
        log("l1: pgpage layout-advice")
        start_wall, start_cpu = time.perf_counter(), child_cpu()
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from pageinspect_py.cli import main; main()",
                "layout-advice",
                "--dsn",
                cluster.dsn,
                "wide",
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
        )
        wall, used = time.perf_counter() - start_wall, child_cpu() - start_cpu
        report = json.loads(done.stdout.splitlines()[0])
        rows.append(
            [
                "l1",
                f"`pgpage layout-advice` end to end, 100 columns, {nrows:,} rows "
                f"({pages[0] if pages else '?'} pages)",
                f"{wall:.2f}",
                f"{used:.2f}",
                f"sample {report['sample']['rows']} rows ({report['sample']['method']}); "
                f"search {report['search']['seconds']} s; saves "
                f"{report['savings']['reorder']['pages']} pages "
                f"({report['savings']['reorder']['percent']}%)",
            ]
        )
        log("l2: the sampling query")
        live_conn = connect(cluster.dsn)
        oid = live_conn.execute("SELECT 'wide'::regclass::oid").fetchone()
        lt = advice_live.open_table(live_conn, Target(int(oid[0]) if oid else 0, "wide"))
        try:
            sample, wall, used = timed(lambda: advice_live.take_sample(lt, 10_000, 0))
        finally:
            lt.conn.close()
        rows.append(
            [
                "l2",
                "sampling alone (`take_sample`: the query, classifying the values)",
                f"{wall:.2f}",
                f"{used:.2f}",
                f"{sample.size} rows; CPU is this process's, the server's work is in wall time",
            ]
        )
        log("l3: the table copied in the recommended order")
        order = sql.SQL(", ").join(sql.Identifier(n) for n in report["recommended"]["order"])
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            start = time.perf_counter()
            conn.execute(
                sql.SQL("CREATE TABLE wide_reordered AS SELECT {} FROM wide WITH NO DATA").format(
                    order
                )
            )
            conn.execute(sql.SQL("INSERT INTO wide_reordered SELECT {} FROM wide").format(order))
            wall = time.perf_counter() - start
            after = conn.execute("SELECT pg_relation_size('wide_reordered') / 8192").fetchone()
        rows.append(
            [
                "l3",
                "reference: the table copied in the recommended order by `INSERT ... SELECT`, "
                "as the migration does (the measurement by hand)",
                f"{wall:.2f}",
                "-",
                f"{after[0] if after else '?'} pages; the advice predicted "
                f"{report['recommended']['pages']}",
            ]
        )
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the live table")
    parser.add_argument("--bindir", type=Path, help="PostgreSQL bin directory")
    parser.add_argument("--no-server", action="store_true", help="only the in-process rows")
    args = parser.parse_args()
    rows: list[list[str]] = []
    in_process(rows)
    if not args.no_server:
        live(rows, args.bindir, args.rows)
    print("| | What | Wall s | CPU s | Notes |")
    print("|---|---|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
