#!/usr/bin/env python3
"""Relation-wide checking, ours and the reference tools', side by side in one run.

Builds the heap bench_heap.py builds (a realistic page mix, data checksums on) at the size
asked for (default 1024 MB), then measures over that one relation:

  k   the kernel in process, one core: page/arrays.classify() over every chunk (headers, line
      pointers, tuple headers, checksums) -- pages per CPU-second
  c1  ``pgpage check FILE --jobs 1``, stdout to /dev/null
  c   ``pgpage check FILE`` (every core)
  f   ``pg_filedump -i -k FILE`` (with ``--pg-filedump PATH``); f' without -k
  e   SQL: count(*) over heap_page_items(get_raw_page(rel, b)) for every block (server up)
  v   SQL: count(*) FROM verify_heapam(rel) (amcheck, server up)
  g   ``pg_checksums --check --filenode N`` on the stopped cluster
  m   peak RSS of ``pgpage check --jobs 1`` on the relation and on one ``--rss-scale`` times
      larger (the same pages repeated, checksums recomputed for their block numbers)

Ratios (ours / reference, pages per second) are printed under the table. Commands run three
times when they take under 5 s (median). The Markdown table goes to stdout, progress to
stderr, everything to ``--json``.

    python benchmarks/bench_check.py 1024 --pg-filedump /tmp/pgfd/pg_filedump --rss-scale 10
    python benchmarks/bench_check.py --relation /tmp/rel/16384      # an existing file only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_heap as bh
import numpy as np
import pgcluster
import psycopg

from pageinspect_py.page import arrays
from pageinspect_py.page.checksum import page_checksum
from pageinspect_py.sources.file import FileSource

MIB = bh.MIB


def log(message: str) -> None:
    print(f"bench_check: {message}", file=sys.stderr, flush=True)


def kernel_in_process(path: Path) -> bh.Timing:
    """classify() over every chunk of the relation, in this process (one core)."""
    with FileSource(path) as source:
        cpu, start, pages = time.process_time(), time.perf_counter(), 0
        for chunk in source.chunks("main", pages=1024):
            array = arrays.pages_array(chunk)
            blknos = np.arange(chunk.first, chunk.first + chunk.count, dtype=np.int64)
            arrays.classify(array, blknos, fork="main", verifiable=True)
            pages += chunk.count
        return bh.Timing(pages, time.perf_counter() - start, time.process_time() - cpu)


def peak_rss_mib(cmd: Sequence[str]) -> float:
    """Peak resident set of the largest process ``cmd`` starts (a fresh wrapper, so no
    earlier child counts)."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip()) / 1024


def scaled_copy(path: Path, scale: int, into: Path) -> Path:
    """The relation repeated ``scale`` times as 1 GB segments, each page's checksum set for
    its new absolute block number (with the kernel: numpy, one chunk at a time)."""
    into.mkdir(parents=True, exist_ok=True)
    per_segment = (1024 * MIB) // 8192
    first = into / path.name
    outputs: dict[int, Any] = {}
    with FileSource(path) as source:
        target = 0
        for _ in range(scale):
            for chunk in source.chunks("main", pages=4096):
                array = arrays.pages_array(chunk).copy()
                blknos = np.arange(target, target + chunk.count, dtype=np.int64)
                sums = arrays.checksums(array, blknos)
                live = array[:, 18:20].any(axis=1)
                array[live, 8] = (sums[live] & 0xFF).astype(np.uint8)
                array[live, 9] = (sums[live] >> 8).astype(np.uint8)
                for i in range(chunk.count):
                    segno = (target + i) // per_segment
                    if segno not in outputs:
                        name = first.name + (f".{segno}" if segno else "")
                        outputs[segno] = (into / name).open("wb")
                    outputs[segno].write(array[i].tobytes())
                target += chunk.count
    for handle in outputs.values():
        handle.close()
    data = first.read_bytes()[:8192]
    assert page_checksum(data, 0) == int.from_bytes(data[8:10], "little") or not any(data)
    return first


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: list[bh.Result] = []
    extra: dict[str, Any] = {"started": dt.datetime.now(dt.UTC).isoformat()}
    scratch = Path(tempfile.mkdtemp(prefix="bench-check-"))
    cluster = None
    try:
        if args.relation is not None:
            path = args.relation
            with FileSource(path) as source:
                total, bs = source.nblocks("main"), source.block_size
        else:
            bindir: Path | None = args.bindir or (
                bh.DEFAULT_BINDIR if bh.DEFAULT_BINDIR.exists() else pgcluster.debian_bindir()
            )
            if bindir is None:
                raise SystemExit("bench_check: no PostgreSQL bin directory; pass --bindir")
            cluster = pgcluster.Cluster(
                bindir,
                checksums=True,
                settings={"shared_buffers": "128MB", "max_wal_size": "8GB"},
            )
            log(f"starting a cluster from {bindir}")
            cluster.start()
            log(f"building a {args.size_mb} MB heap")
            rel = bh.build_heap(cluster, args.size_mb)
            total, bs = rel.nblocks, rel.block_size
            extra["relation"] = {"blocks": total, "composition": rel.composition}
        extra["blocks"] = total

        def add(key: str, name: str, timing: bh.Timing, runs: list[float], note: str = "") -> None:
            result = bh.Result(
                key,
                name,
                total,
                total,
                timing.wall,
                timing.cpu,
                bs,
                len(runs),
                note,
                all_seconds=runs,
            )
            results.append(result)
            log(f"  {key}: {timing.wall:.2f} s, {result.pages_per_second:,.0f} pages/s")

        def measure(
            key: str, name: str, cmd: list[str], note: str = "", ok: tuple[int, ...] = (0, 1)
        ) -> None:
            log(f"measuring {key}: {' '.join(cmd)}")
            timing, runs = bh.repeat(lambda: bh.timed_command(cmd, key, accept=ok))
            add(key, name, timing, runs, note)

        if cluster is not None:
            with psycopg.connect(cluster.dsn, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
                for key, name, sql in (
                    ("e", "SQL `heap_page_items` over every block", bh.SQL_BENCH),
                    (
                        "v",
                        "SQL `verify_heapam(rel)` (amcheck)",
                        f"SELECT count(*) FROM verify_heapam('{bh.TABLE}')",
                    ),
                ):
                    log(f"measuring {key}: {name}")

                    def sql_run(sql: str = sql) -> bh.Timing:
                        with conn.cursor() as cur:
                            cur.execute("SELECT pg_backend_pid()")
                            row = cur.fetchone()
                            assert row is not None
                            cpu = bh.process_cpu(int(row[0]))
                            start = time.perf_counter()
                            cur.execute(sql, (total,) if "%s" in sql else None)
                            cur.fetchall()
                            wall = time.perf_counter() - start
                            return bh.Timing(total, wall, bh.process_cpu(int(row[0])) - cpu)

                    timing, runs = bh.repeat(sql_run)
                    add(
                        key, name, timing, runs, "on the server, pages from shared buffers/OS cache"
                    )
            cluster.stop_server()
            path = scratch / rel.path.name
            for segment in rel.segments:
                shutil.copyfile(segment, scratch / segment.name)
            assert bindir is not None
            pg_checksums = bindir / "pg_checksums"
            if pg_checksums.exists():
                cmd = bh.as_server_user(
                    cluster,
                    [
                        str(pg_checksums),
                        "--check",
                        "-D",
                        str(cluster.datadir),
                        "--filenode",
                        str(rel.relfilenode),
                    ],
                )
                measure("g", "`pg_checksums --check --filenode N`", cmd, "checksums only", (0,))
        for segment in sorted(path.parent.glob(path.name + "*")):
            with segment.open("rb") as f:
                while f.read(64 * MIB):
                    pass
        log("measuring k: the kernel in process")
        timing, runs = bh.repeat(lambda: kernel_in_process(path))
        add(
            "k",
            "kernel in process (`classify`, 1 core)",
            timing,
            runs,
            "headers, line pointers, tuple headers, checksums",
        )
        pgpage = bh.pgpage_command()
        measure("c1", "`pgpage check FILE --jobs 1`", [*pgpage, "check", str(path), "--jobs", "1"])
        measure("c", "`pgpage check FILE` (every core)", [*pgpage, "check", str(path)])
        if args.pg_filedump is not None:
            measure("f", "`pg_filedump -i -k FILE`", [str(args.pg_filedump), "-i", "-k", str(path)])
            measure("f'", "`pg_filedump -i FILE`", [str(args.pg_filedump), "-i", str(path)])
        if args.rss_scale > 1:
            log("measuring m: peak RSS of pgpage check --jobs 1")
            cmd = [*pgpage, "check", "--jobs", "1", "--quiet"]
            rss_1 = peak_rss_mib([*cmd, str(path)])
            big = scaled_copy(path, args.rss_scale, scratch / "scaled")
            rss_n = peak_rss_mib([*cmd, str(big)])
            extra["peak_rss_mib"] = {"1x": round(rss_1, 1), f"{args.rss_scale}x": round(rss_n, 1)}
            log(f"  peak RSS {rss_1:.1f} MiB at 1x, {rss_n:.1f} MiB at {args.rss_scale}x")
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    by_key = {r.key: r for r in results}
    ratios = {}
    for ours in ("c", "c1"):
        for ref in ("f", "f'", "e", "v"):
            if ours in by_key and ref in by_key:
                ratios[f"{ours}/{ref}"] = round(
                    by_key[ours].pages_per_second / by_key[ref].pages_per_second, 2
                )
    extra["ratios"] = ratios
    extra["machine"] = bh.machine()
    extra["git"] = bh.git_state()
    extra["load_average"] = bh.load_average()
    return {"table": bh.markdown_table(results), "results": [r.as_json() for r in results], **extra}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("size_mb", nargs="?", type=int, default=1024)
    parser.add_argument("--bindir", type=Path, default=None)
    parser.add_argument("--relation", type=Path, default=None, help="measure this file only")
    parser.add_argument("--pg-filedump", type=Path, default=None)
    parser.add_argument("--rss-scale", type=int, default=0, help="also peak RSS at N times")
    parser.add_argument("--json", type=Path, default=Path("bench_check.json"))
    args = parser.parse_args(argv)
    report = run(args)
    print(report["table"])
    print()
    for name, value in report["ratios"].items():
        print(f"- {name}: {value}x")
    if "peak_rss_mib" in report:
        print(f"- peak RSS (MiB): {report['peak_rss_mib']}")
    args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
