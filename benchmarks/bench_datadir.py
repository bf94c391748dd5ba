#!/usr/bin/env python3
"""A whole data directory, ours and the reference tools', side by side in one run.

Builds a cluster with data checksums on (Debian's server, or ``--bindir``), fills database
``bench`` with ``pgbench -i`` at the scale asked for (default 10: 1,000,000 accounts, about
150 MB), stops it cleanly, and measures on that one directory:

  l   ``pgpage ls PGDATA --db bench`` (catalogs read from their files)
  c   ``pgpage check PGDATA --db bench`` (every relation, every fork) -- pages/s
  g   ``pg_checksums --check -D PGDATA`` (checksums only) -- pages/s
  x   ``pgpage export PGDATA --db bench pgbench_accounts`` -- rows/s
  y   the server's ``COPY pgbench_accounts TO STDOUT`` on the same data (server up) -- rows/s

The export's bytes are compared with COPY's (they must be equal). Commands run three times
when they take under 5 s (median). The Markdown table goes to stdout, progress to stderr,
everything to ``--json``.

    python benchmarks/bench_datadir.py 10 --json benchmarks/results/datadir.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import bench_heap as bh
import pgcluster
import psycopg


def log(message: str) -> None:
    print(f"bench_datadir: {message}", file=sys.stderr, flush=True)


def pgpage(*args: str) -> list[str]:
    return [sys.executable, "-m", "pageinspect_py.cli", *args]


def digest(cmd: list[str]) -> tuple[str, int]:
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-2000:]!r}")
    return hashlib.sha256(proc.stdout).hexdigest(), len(proc.stdout)


def run(args: argparse.Namespace) -> dict[str, Any]:
    bindir = Path(args.bindir) if args.bindir else pgcluster.debian_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server: give --bindir")
    cluster = pgcluster.Cluster(bindir, checksums=True)
    cluster.start()
    try:
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        dsn = cluster.dsn.replace("dbname=postgres", "dbname=bench")
        log(f"pgbench -i -s {args.scale}")
        cluster._run(
            [
                str(bindir / "pgbench"),
                "-i",
                "-q",
                "-s",
                str(args.scale),
                "-h",
                str(cluster.socket_dir),
                "-p",
                str(cluster.port),
                "-U",
                "postgres",
                "bench",
            ]
        )
        with psycopg.connect(dsn, autocommit=True) as conn:
            rows = conn.execute("SELECT count(*) FROM pgbench_accounts").fetchone()[0]  # type: ignore[index]
            db_oid = conn.execute("SELECT oid FROM pg_database WHERE datname = 'bench'").fetchone()[
                0
            ]  # type: ignore[index]
            conn.execute("CHECKPOINT")
        cluster.stop_server()
        pgdata = cluster.datadir

        # the copy the tools read is the stopped directory itself (read-only for all of them);
        # check --db bench reads base/<bench>/ and global/, pg_checksums every database
        def pages_in(*folders: Path) -> int:
            return (
                sum(p.stat().st_size for f in folders for p in f.rglob("*") if p.is_file()) // 8192
            )

        pages = pages_in(pgdata / "base" / str(db_oid), pgdata / "global")
        all_pages = pages_in(pgdata / "base", pgdata / "global")
        results: dict[str, Any] = {
            "scale": args.scale,
            "rows": rows,
            "pages": pages,
            "all_pages": all_pages,
        }
        timings: dict[str, Any] = {}

        def measure(key: str, cmd: list[str], accept: tuple[int, ...] = (0,)) -> None:
            log(f"{key}: {' '.join(cmd[:6])} ...")
            timing, runs = bh.repeat(lambda: bh.timed_command(cmd, key, accept))
            timings[key] = {"wall": timing.wall, "cpu": timing.cpu, "runs": runs}

        measure("l", pgpage("ls", str(pgdata), "--db", "bench"))
        measure("c", pgpage("check", str(pgdata), "--db", "bench", "-q"))
        measure("g", [str(bindir / "pg_checksums"), "--check", "-D", str(pgdata)])
        measure("x", pgpage("export", str(pgdata), "--db", "bench", "pgbench_accounts", "-q"))
        ours = digest(pgpage("export", str(pgdata), "--db", "bench", "pgbench_accounts", "-q"))
        cluster._pg_ctl_start()
        psql = [
            str(bindir / "psql"),
            "-X",
            "-h",
            str(cluster.socket_dir),
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "-d",
            "bench",
            "-c",
            "COPY pgbench_accounts TO STDOUT",
        ]
        measure("y", psql)
        theirs = digest(psql)
        results["export_equals_copy"] = ours == theirs
        results["export_bytes"] = ours[1]
        results["timings"] = timings
        return results
    finally:
        cluster.stop()


def table(results: dict[str, Any]) -> str:
    t = results["timings"]
    pages, rows, all_pages = results["pages"], results["rows"], results["all_pages"]
    lines = [
        f"pgbench scale {results['scale']}: {rows:,} accounts; {pages:,} pages in base/<bench> "
        f"and global/ (what check --db bench reads), {all_pages:,} in every database "
        f"(what pg_checksums reads); export equals COPY byte for byte: "
        f"{results['export_equals_copy']}",
        "",
        "| what | wall s | CPU s | rate |",
        "|---|---|---|---|",
    ]
    names = {
        "l": ("`pgpage ls PGDATA --db bench`", None),
        "c": ("`pgpage check PGDATA --db bench`", pages),
        "g": ("`pg_checksums --check -D PGDATA`", all_pages),
        "x": ("`pgpage export ... pgbench_accounts`", rows),
        "y": ("server `COPY pgbench_accounts TO STDOUT` (psql)", rows),
    }
    for key, (label, count) in names.items():
        wall, cpu = t[key]["wall"], t[key]["cpu"]
        unit = "pages/s" if key in "cg" else "rows/s"
        rate = f"{count / wall:,.0f} {unit}" if count else "-"
        lines.append(f"| {label} | {wall:.2f} | {cpu:.2f} | {rate} |")
    lines += [
        "",
        f"check / pg_checksums: {t['g']['wall'] / t['c']['wall']:.3f} "
        f"(pgpage checks every page's structure too, not only its checksum)",
        f"export / COPY: {t['y']['wall'] / t['x']['wall']:.3f} (rows/s ratio)",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", type=int, nargs="?", default=10)
    parser.add_argument("--bindir", help="server bin directory (default: Debian's)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    started = time.time()
    results = run(args)
    results["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["seconds"] = round(time.time() - started, 1)
    print(table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
