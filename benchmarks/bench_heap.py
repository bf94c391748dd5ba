#!/usr/bin/env python3
"""Heap decoding speed, ours and the reference tools', measured side by side in one run.

The script starts a throwaway cluster (tools/pgcluster.py, data checksums on), builds a heap
of the size asked for with a realistic page mix (several column types, NULLs, HOT updates,
deletes, VACUUM, then more updates left unvacuumed), CHECKPOINTs, and measures pages per
second over that one relation:

  a   decode_page() over FileSource pages (the full decoder; includes the checksum)
  b   analysis.pagefill.page_fill() (the bulk struct path; also computes the checksum)
  c   page.checksum.page_checksum() alone
  d   ``pgpage dump --format json`` end to end, stdout to /dev/null
  e   SQL: count(*) over heap_page_items(get_raw_page(rel, b)) for every block, on the server
  f   ``pg_filedump -i`` on the same file (with ``--pg-filedump PATH``)
  g   ``pg_checksums --check -r <relfilenode>`` on the stopped cluster

plus supplementary rows that split the time: reading pages alone, and a and b with the
checksum replaced by a stub (patched in this process only, to show what the rest costs).

Measurements that would take longer than ``--budget`` seconds stop there (in-process) or
are given a block range sized from a short calibration run (commands): the table says which
rows were sampled and how many pages they covered. Fast measurements (under 5 s) run three
times and report the median.

The Markdown table goes to stdout, progress to stderr, everything to ``--json``.

    python benchmarks/bench_heap.py                       # 256 MB, Debian's PostgreSQL 15
    python benchmarks/bench_heap.py --size-mb 1024 --pg-filedump /tmp/pg_filedump/pg_filedump
    python benchmarks/bench_heap.py --bindir /opt/pgpage-postgres/17/bin --profile-pages 1000
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "tools")]

import pgcluster  # noqa: E402
import psycopg  # noqa: E402

import pageinspect_py.decode.page as decode_page_module  # noqa: E402
from pageinspect_py.analysis.pagefill import page_fill  # noqa: E402
from pageinspect_py.decode.dispatch import decode_page  # noqa: E402
from pageinspect_py.page.checksum import page_checksum  # noqa: E402
from pageinspect_py.page.raw import RawPage  # noqa: E402
from pageinspect_py.render.json import page_json  # noqa: E402
from pageinspect_py.sources.file import FileSource  # noqa: E402

DEFAULT_BINDIR = Path("/usr/lib/postgresql/15/bin")
TABLE = "bench_heap"
MIB = 1024 * 1024
STUB_NOTE = "checksum replaced by the stored value (this process only)"
#: measurements shorter than this run REPEATS times; the median is reported
REPEAT_BELOW_SECONDS = 5.0
REPEATS = 3


def log(message: str) -> None:
    print(f"bench_heap: {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# results


@dataclass
class Result:
    key: str  #: a..g as in the brief, or a supplementary label
    name: str
    pages: int  #: pages processed in the reported run
    total_pages: int  #: pages in the relation
    seconds: float  #: wall-clock seconds of the reported run
    cpu_seconds: float  #: CPU seconds (user + system) of the process doing the work
    block_size: int
    runs: int = 1  #: runs made; the median (by wall clock) is reported when more than one
    note: str = ""
    supplementary: bool = False
    all_seconds: list[float] = field(default_factory=list)

    @property
    def sampled(self) -> bool:
        return self.pages < self.total_pages

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else math.inf

    @property
    def mb_per_second(self) -> float:
        return self.pages_per_second * self.block_size / MIB

    @property
    def pages_per_cpu_second(self) -> float:
        return self.pages / self.cpu_seconds if self.cpu_seconds else math.inf

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            sampled=self.sampled,
            pages_per_second=round(self.pages_per_second, 1),
            mb_per_second=round(self.mb_per_second, 2),
            pages_per_cpu_second=round(self.pages_per_cpu_second, 1),
        )
        return out


class Timing(NamedTuple):
    pages: int
    wall: float  #: seconds, wall clock
    cpu: float  #: seconds of CPU (user + system) spent by whoever did the work


Measurement = Callable[[], Timing]


def repeat(measure: Measurement) -> tuple[Timing, list[float]]:
    """Run once; if that was quick, run REPEATS times in all and keep the median."""
    runs = [measure()]
    if runs[0].wall < REPEAT_BELOW_SECONDS:
        runs += [measure() for _ in range(REPEATS - 1)]
    median = sorted(runs, key=lambda t: t.wall)[len(runs) // 2]
    return median, [round(t.wall, 4) for t in runs]


def children_cpu() -> float:
    """CPU seconds of every waited-for child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds of another process, from /proc (the server backend running our query)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ----------------------------------------------------------------------------------------------
# the relation


@dataclass
class Relation:
    path: Path  #: first segment of the main fork
    segments: list[Path]
    relfilenode: int
    nblocks: int
    block_size: int
    rows: int
    composition: dict[str, int]
    #: line pointers per block, as heap_page_items reports them (the cross-check)
    lp_per_block: list[int]
    server_version: str
    settings: dict[str, str]


LOAD = f"""
INSERT INTO {TABLE}
SELECT g,
       (g * 7) %% 100000,
       (g %% 30000)::smallint,
       g %% 3 = 0,
       CASE WHEN g %% 11 = 0 THEN NULL ELSE ((g %% 100000) / 100.0)::numeric(12, 2) END,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       md5(g::text)::uuid,
       CASE WHEN g %% 13 = 0 THEN NULL ELSE g / 7.0 END,
       CASE WHEN g %% 7 = 0 THEN NULL
            ELSE substr(repeat(md5(g::text), 3), 1, ((g * 31) %% 90)::int) END,
       CASE WHEN g %% 5 = 0 THEN NULL ELSE 'note ' || g END
FROM generate_series(%s::bigint, %s::bigint) AS g
"""

COMPOSITION = f"""
SELECT count(*) FILTER (WHERE lp_flags = 0) AS lp_unused,
       count(*) FILTER (WHERE lp_flags = 1) AS lp_normal,
       count(*) FILTER (WHERE lp_flags = 2) AS lp_redirect,
       count(*) FILTER (WHERE lp_flags = 3) AS lp_dead,
       count(*) FILTER (WHERE t_infomask & 1 <> 0) AS with_nulls,
       count(*) FILTER (WHERE t_infomask2 & 16384 <> 0) AS heap_hot_updated,
       count(*) FILTER (WHERE t_infomask2 & 32768 <> 0) AS heap_only_tuple,
       count(*) FILTER (WHERE lp_flags = 1 AND t_xmax <> 0) AS with_xmax
FROM generate_series(0, %s - 1) AS b, LATERAL heap_page_items(get_raw_page('{TABLE}', b))
"""

LP_PER_BLOCK = f"""
SELECT b, count(*)
FROM generate_series(0, %s - 1) AS b, LATERAL heap_page_items(get_raw_page('{TABLE}', b))
GROUP BY b ORDER BY b
"""

SQL_BENCH = f"""
SELECT count(*)
FROM generate_series(0, %s - 1) AS b, LATERAL heap_page_items(get_raw_page('{TABLE}', b))
"""


def relation_size(cur: psycopg.Cursor[Any]) -> int:
    cur.execute("SELECT pg_relation_size(%s)", (TABLE,))
    row = cur.fetchone()
    assert row is not None
    return int(row[0])


def build_heap(cluster: pgcluster.Cluster, size_mb: int) -> Relation:
    """Create and fill the table, churn it, VACUUM, CHECKPOINT; describe the result."""
    target = size_mb * MIB
    with psycopg.connect(cluster.dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION pageinspect")
        cur.execute(
            f"""CREATE TABLE {TABLE} (
                id bigint NOT NULL, n integer, s smallint, flag boolean, amount numeric(12, 2),
                ts timestamptz, u uuid, f float8, label text, note varchar(40)
            ) WITH (fillfactor = 90, autovacuum_enabled = off)"""
        )
        first = 20_000  # then batches sized from this one's rows per byte
        cur.execute(LOAD, (1, first))
        rows = first
        per_row = relation_size(cur) / first
        # the churn below fits mostly in the room fillfactor leaves: load up to the target
        while relation_size(cur) < target:
            missing = int((target - relation_size(cur)) / per_row) + 1
            batch = min(missing, 1_000_000)
            cur.execute(LOAD, (rows + 1, rows + batch))
            rows += batch
            log(f"loaded {rows:,} rows, {relation_size(cur) / MIB:.0f} MB")
        cur.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
        # HOT updates (no indexed column changes; fillfactor leaves room), deletes, VACUUM
        cur.execute(f"UPDATE {TABLE} SET n = n + 1, note = 'updated ' || id WHERE id % 17 = 0")
        cur.execute(f"UPDATE {TABLE} SET flag = NOT flag WHERE id % 41 = 0")
        cur.execute(f"DELETE FROM {TABLE} WHERE id % 19 = 0")
        cur.execute(f"VACUUM {TABLE}")
        # churn after VACUUM stays: dead versions, HOT chains and xmax set on some tuples
        cur.execute(f"UPDATE {TABLE} SET amount = amount + 1 WHERE id % 97 = 0")
        cur.execute(f"DELETE FROM {TABLE} WHERE id % 101 = 0")
        cur.execute(f"SELECT count(*) FROM {TABLE}")  # sets hint bits
        cur.execute("CHECKPOINT")
        cur.execute(
            "SELECT pg_relation_filepath(%s), pg_relation_filenode(%s), "
            "current_setting('block_size')::int, current_setting('server_version')",
            (TABLE, TABLE),
        )
        row = cur.fetchone()
        assert row is not None
        relpath, relfilenode, block_size, server_version = row
        nblocks = relation_size(cur) // block_size
        log(f"{TABLE}: {nblocks:,} blocks; collecting its composition (not timed)")
        cur.execute(COMPOSITION, (nblocks,))
        names = [d.name for d in cur.description or ()]
        values = cur.fetchone()
        assert values is not None
        composition = {name: int(value) for name, value in zip(names, values, strict=True)}
        cur.execute(LP_PER_BLOCK, (nblocks,))
        lp_per_block = [0] * nblocks
        for blkno, count in cur.fetchall():
            lp_per_block[blkno] = int(count)
        cur.execute(f"SELECT count(*) FROM {TABLE}")
        live = cur.fetchone()
        assert live is not None
        cur.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
            "('shared_buffers', 'data_checksums', 'fsync')"
        )
        settings: dict[str, str] = dict(cur.fetchall())
    path = cluster.datadir / relpath
    later = (p for p in path.parent.glob(f"{path.name}.*") if p.suffix[1:].isdigit())
    segments = [path, *sorted(later, key=lambda p: int(p.suffix[1:]))]
    return Relation(
        path=path,
        segments=segments,
        relfilenode=int(relfilenode),
        nblocks=nblocks,
        block_size=int(block_size),
        rows=int(live[0]),
        composition=composition,
        lp_per_block=lp_per_block,
        server_version=str(server_version),
        settings=settings,
    )


# ----------------------------------------------------------------------------------------------
# in-process measurements


def over_pages(path: Path, per_page: Callable[[RawPage], object], budget: float) -> Measurement:
    """Read pages in order through FileSource and call ``per_page`` on each until the budget
    is spent (0: no budget). The time includes reading."""

    def measure() -> Timing:
        with FileSource(path) as source:
            cpu = time.process_time()
            start = time.perf_counter()
            deadline = start + budget if budget > 0 else math.inf
            count = 0
            for raw in source.pages():
                per_page(raw)
                count += 1
                if time.perf_counter() > deadline:
                    break
            return Timing(count, time.perf_counter() - start, time.process_time() - cpu)

    return measure


@contextlib.contextmanager
def checksum_stubbed() -> Iterator[None]:
    """Replace the checksum decode/page.py computes with the stored value (measurement only:
    shows what the rest of a decoder costs; nothing under src/ changes)."""
    original = getattr(decode_page_module, "page_checksum")  # noqa: B009

    def stored(page: bytes, blkno: int) -> int:
        return int.from_bytes(page[8:10], "little")

    setattr(decode_page_module, "page_checksum", stored)  # noqa: B010
    try:
        yield
    finally:
        setattr(decode_page_module, "page_checksum", original)  # noqa: B010


@dataclass
class DecodeCheck:
    """What the full decoder saw, compared with the server afterwards (not timed)."""

    checksum: dict[int, str] = field(default_factory=dict)
    lp_counts: dict[int, int] = field(default_factory=dict)
    errors: set[int] = field(default_factory=set)

    def __call__(self, raw: RawPage) -> None:
        page = decode_page(raw)
        self.checksum[page.blkno] = page.checksum.status.value
        self.lp_counts[page.blkno] = len(page.line_pointers)
        if page.has_errors:
            self.errors.add(page.blkno)


def checksum_only(mismatches: list[int]) -> Callable[[RawPage], None]:
    def check(raw: RawPage) -> None:
        if page_checksum(raw.data, raw.blkno) != int.from_bytes(raw.data[8:10], "little"):
            mismatches.append(raw.blkno)

    return check


def decode_and_render(raw: RawPage) -> None:
    """What ``pgpage dump --format json`` does per page, without the process around it."""
    json.dumps(page_json(decode_page(raw)))


def fill_only(raw: RawPage) -> None:
    page_fill(raw.data, raw.blkno, fork=raw.fork)


def read_only(raw: RawPage) -> None:
    return None


# ----------------------------------------------------------------------------------------------
# commands


def timed_command(cmd: Sequence[str], what: str, accept: Sequence[int] = (0,)) -> Timing:
    """Run ``cmd`` with stdout to /dev/null: Timing(0, wall, CPU of it and its children).
    An exit code outside ``accept`` is an error, with the end of its stderr."""
    with tempfile.TemporaryFile("w+") as err:
        cpu = children_cpu()
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=err, check=False)
        seconds = time.perf_counter() - start
        cpu = children_cpu() - cpu
        if proc.returncode not in accept:
            err.seek(0)
            tail = err.read()[-2000:]
            raise RuntimeError(f"{what}: {' '.join(cmd)} exited {proc.returncode}:\n{tail}")
    return Timing(0, seconds, cpu)


def pgpage_command() -> list[str]:
    beside = Path(sys.executable).parent / "pgpage"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("pgpage")
    return [found] if found else [sys.executable, "-m", "pageinspect_py.cli"]


def as_server_user(cluster: pgcluster.Cluster, cmd: list[str]) -> list[str]:
    return ["runuser", "-u", cluster.user, "--", *cmd] if cluster.user else cmd


def command_version(cmd: Sequence[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [line.strip() for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    return lines[0] if lines else "?"


# ----------------------------------------------------------------------------------------------
# profile


def profile_decoder(path: Path, pages: int, top: int) -> dict[str, Any]:
    """cProfile of decode_page over the first ``pages`` blocks: top functions and time per
    area. cProfile inflates call-heavy code; read the shares, not the absolute times.

    Entries are summed by (file, line, name) from ``Profile.getstats()``: ``pstats`` keeps
    only one of several code objects sharing a label, and every dataclass-generated
    ``__init__`` is ``<string>:2(__init__)``, so pstats would count one class's and drop the rest.
    """
    with FileSource(path) as source:
        raws = list(source.pages(stop=pages))
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for raw in raws:
        decode_page(raw)
    profiler.disable()
    wall = time.perf_counter() - start
    merged: dict[tuple[str, int, str], list[float]] = {}  # label -> [calls, tottime, cumtime]
    for entry in profiler.getstats():
        code = entry.code
        if isinstance(code, str):
            label = ("~", 0, code)
        else:
            label = (code.co_filename, code.co_firstlineno, code.co_name)
        row = merged.setdefault(label, [0, 0.0, 0.0])
        row[0] += entry.callcount
        row[1] += entry.inlinetime
        row[2] += entry.totaltime
    total = sum(row[1] for row in merged.values())
    rows: list[tuple[float, float, int, str, str]] = []
    by_area: dict[str, float] = {}
    for (filename, line, func), (ncalls, tottime, cumtime) in merged.items():
        area = profile_area(filename, func)
        by_area[area] = by_area.get(area, 0.0) + tottime
        rows.append((tottime, cumtime, int(ncalls), f"{short_path(filename)}:{line}({func})", area))
    rows.sort(reverse=True)
    return {
        "pages": len(raws),
        "total_tottime": round(total, 4),
        "wall_seconds": round(wall, 4),
        "per_page_ms": 1000 * wall / max(len(raws), 1),
        "top": [
            {
                "function": name,
                "ncalls": ncalls,
                "tottime": round(tottime, 4),
                "cumtime": round(cumtime, 4),
                "share": round(tottime / total, 4),
                "area": area,
            }
            for tottime, cumtime, ncalls, name, area in rows[:top]
        ],
        "areas": {
            area: {"tottime": round(t, 4), "share": round(t / total, 4)}
            for area, t in sorted(by_area.items(), key=lambda item: -item[1])
        },
    }


def short_path(filename: str) -> str:
    for marker in ("/src/pageinspect_py/", "/site-packages/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def profile_area(filename: str, func: str) -> str:
    """A coarse bucket for a profiled function: which part of the code spends the time."""
    if "/construct/" in filename:
        return "construct (library)"
    if filename.endswith("page/checksum.py"):
        return "checksum (pure Python FNV)"
    if filename == "<string>":
        return "dataclass-generated __init__ (model objects, all classes)"
    if filename == "":
        return "construct compiled parsers (generated code)"
    if "/pageinspect_py/" in filename:
        return "pageinspect_py/" + filename.split("/pageinspect_py/", 1)[1]
    if filename == "~":
        return f"builtin {func}"
    return short_path(filename)


# ----------------------------------------------------------------------------------------------
# output


def markdown_table(results: Sequence[Result]) -> str:
    lines = [
        "| | What | Pages | Wall s | CPU s | Pages/s | MB/s | Pages/CPU-s | Notes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        pages = f"{r.pages:,}" + (f" of {r.total_pages:,} (sampled)" if r.sampled else " (all)")
        runs = f"median of {r.runs}" if r.runs > 1 else ""
        note = "; ".join(x for x in (runs, r.note) if x)
        lines.append(
            f"| {r.key} | {r.name} | {pages} | {r.seconds:.2f} | {r.cpu_seconds:.2f} | "
            f"{r.pages_per_second:,.0f} | {r.mb_per_second:,.1f} | "
            f"{r.pages_per_cpu_second:,.0f} | {note} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import construct

    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "construct": construct.__version__,
        "platform": platform.platform(),
    }


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False
        )
        return out.stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "src_dirty": bool(git("status", "--porcelain", "--", "src")),
    }


# ----------------------------------------------------------------------------------------------
# main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "size_mb", nargs="?", type=int, default=256, help="heap size in MB (default 256)"
    )
    parser.add_argument(
        "--bindir",
        type=Path,
        default=None,
        help=f"PostgreSQL bin directory (default {DEFAULT_BINDIR})",
    )
    parser.add_argument(
        "--pg-filedump", type=Path, default=None, help="a pg_filedump binary to measure (row f)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=30.0,
        help="seconds per slow measurement before it is sampled (0: no limit)",
    )
    parser.add_argument(
        "--profile-pages",
        type=int,
        default=500,
        help="pages to profile decode_page over (0: no profile)",
    )
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("bench_heap.json"),
        help="where to write the results as JSON (default ./bench_heap.json)",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    bindir: Path | None = args.bindir
    if bindir is None:
        bindir = DEFAULT_BINDIR if DEFAULT_BINDIR.exists() else pgcluster.debian_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        raise SystemExit("bench_heap: no PostgreSQL bin directory; pass --bindir")
    if args.pg_filedump is not None and not os.access(args.pg_filedump, os.X_OK):
        raise SystemExit(f"bench_heap: {args.pg_filedump} is not an executable")
    started = dt.datetime.now(dt.UTC)
    load_before = load_average()
    cluster = pgcluster.Cluster(
        bindir,
        checksums=True,
        settings={"shared_buffers": "128MB", "max_wal_size": "8GB", "checkpoint_timeout": "1h"},
    )
    results: list[Result] = []
    extra: dict[str, Any] = {}
    log(f"starting a cluster from {bindir}")
    cluster.start()
    try:
        log(f"building a {args.size_mb} MB heap")
        rel = build_heap(cluster, args.size_mb)
        total, bs = rel.nblocks, rel.block_size

        def add(
            key: str, name: str, measure: Measurement, note: str = "", supplementary: bool = False
        ) -> Result:
            log(f"measuring {key}: {name}")
            timing, all_seconds = repeat(measure)
            pages, seconds = timing.pages, timing.wall
            result = Result(
                key,
                name,
                pages,
                total,
                seconds,
                timing.cpu,
                bs,
                runs=len(all_seconds),
                note=note,
                supplementary=supplementary,
                all_seconds=all_seconds,
            )
            results.append(result)
            log(f"  {pages:,} pages in {seconds:.2f} s: {result.pages_per_second:,.0f} pages/s")
            return result

        # e: on the server, while it runs; CPU is the backend's, read from /proc
        def sql() -> Timing:
            with psycopg.connect(cluster.dsn, autocommit=True) as conn, conn.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pid_row = cur.fetchone()
                assert pid_row is not None
                backend = int(pid_row[0])
                cpu = process_cpu(backend) + time.process_time()
                start = time.perf_counter()
                cur.execute(SQL_BENCH, (total,))
                row = cur.fetchone()
                seconds = time.perf_counter() - start
                cpu = process_cpu(backend) + time.process_time() - cpu
            assert row is not None and int(row[0]) == sum(rel.lp_per_block), row
            return Timing(total, seconds, cpu)

        shared_buffers = rel.settings.get("shared_buffers", "?")
        add(
            "e",
            "SQL `heap_page_items(get_raw_page())`, count(*) over generate_series",
            sql,
            note=f"on the server (shared_buffers {shared_buffers}); CPU of the backend",
        )

        log("stopping the server (clean shutdown) for the file measurements")
        cluster.stop_server()
        for seg in rel.segments:  # warm the page cache, as every tool below finds it
            seg.read_bytes()

        budget = args.budget
        add(
            "r",
            "FileSource.pages() read only (baseline)",
            over_pages(rel.path, read_only, 0),
            supplementary=True,
        )
        mismatches: list[int] = []
        add(
            "c",
            "checksum alone: `page.checksum.page_checksum`",
            over_pages(rel.path, checksum_only(mismatches), budget),
            note="pure Python, over FileSource pages",
        )
        check = DecodeCheck()
        add(
            "a",
            "full decoder: `decode_page` over FileSource pages",
            over_pages(rel.path, check, budget),
            note="includes the checksum",
        )
        with checksum_stubbed():
            add(
                "a'",
                "`decode_page`, checksum stubbed out",
                over_pages(rel.path, decode_page, budget),
                note=STUB_NOTE,
                supplementary=True,
            )
        add(
            "b",
            "bulk path: `analysis.pagefill.page_fill`",
            over_pages(rel.path, fill_only, budget),
            note="includes the checksum",
        )
        with checksum_stubbed():
            add(
                "b'",
                "`page_fill`, checksum stubbed out",
                over_pages(rel.path, fill_only, budget),
                note=STUB_NOTE,
                supplementary=True,
            )

        # d: the CLI; calibrate on a few blocks, then give it a range that fits the budget
        pgpage = pgpage_command()
        dump_cmd = [*pgpage, "dump", str(rel.path), "--format", "json"]
        one_block = timed_command([*dump_cmd, "--block", "0"], "pgpage dump", accept=(0, 1))
        extra["pgpage_dump_one_block_seconds"] = round(one_block.wall, 3)
        calib_blocks = min(total, 100)
        calib = timed_command(
            [*dump_cmd, "--blocks", f"0:{calib_blocks - 1}"], "pgpage dump", accept=(0, 1)
        )
        dump_blocks = total
        if budget > 0:
            fit = int(calib_blocks / calib.wall * budget)
            dump_blocks = max(calib_blocks, min(total, fit))

        def dump() -> Timing:
            cmd = (
                dump_cmd
                if dump_blocks == total
                else [*dump_cmd, "--blocks", f"0:{dump_blocks - 1}"]
            )
            return timed_command(cmd, "pgpage dump", accept=(0, 1))._replace(pages=dump_blocks)

        add(
            "d",
            "`pgpage dump --format json` > /dev/null",
            dump,
            note=f"end to end: start-up and imports (one block takes {one_block.wall:.2f} s), "
            "decode, JSON",
        )
        add(
            "j",
            "in process: `decode_page` + `page_json` + `json.dumps`",
            over_pages(rel.path, decode_and_render, budget),
            note="the CLI's per-page work without the process",
            supplementary=True,
        )

        if args.pg_filedump is not None:
            filedump = str(args.pg_filedump)
            extra["pg_filedump_version"] = command_version([filedump, "-h"])

            def filedump_run(*options: str) -> Measurement:
                def measure() -> Timing:
                    runs = [
                        timed_command([filedump, *options, str(seg)], "pg_filedump")
                        for seg in rel.segments
                    ]
                    return Timing(total, sum(t.wall for t in runs), sum(t.cpu for t in runs))

                return measure

            add(
                "f",
                "`pg_filedump -i` > /dev/null",
                filedump_run("-i"),
                note="C; prints every item header as text",
            )
            add(
                "f'",
                "`pg_filedump -i -k` > /dev/null",
                filedump_run("-i", "-k"),
                note="C; also verifies checksums",
                supplementary=True,
            )

        pg_checksums = bindir / "pg_checksums"
        if not pg_checksums.exists():
            log(f"no {pg_checksums}: row g skipped")
        else:
            extra["pg_checksums_version"] = command_version([str(pg_checksums), "--version"])
            checksums_cmd = as_server_user(
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

            def checksums() -> Timing:
                return timed_command(checksums_cmd, "pg_checksums")._replace(pages=total)

            add(
                "g",
                f"`pg_checksums --check --filenode {rel.relfilenode}` (cluster stopped)",
                checksums,
                note="C; walks the data directory, checks this relation's files",
            )

        if args.profile_pages > 0:
            log(f"profiling decode_page over {args.profile_pages} pages")
            extra["profile"] = profile_decoder(rel.path, args.profile_pages, args.profile_top)

        # cross-checks (not timed): the decoder agrees with the server and the checksums
        disagree = [b for b, n in check.lp_counts.items() if rel.lp_per_block[b] != n]
        extra["checks"] = {
            "decoded_pages": len(check.lp_counts),
            "line_pointer_count_disagreements": disagree[:20],
            "decoder_checksum_status": dict(Counter(check.checksum.values())),
            "decoder_pages_with_errors": sorted(check.errors)[:20],
            "checksum_only_mismatches": mismatches[:20],
        }
        if disagree or mismatches or check.errors:
            log(f"WARNING: cross-checks failed: {extra['checks']}")
    finally:
        cluster.stop()

    order = {
        k: i for i, k in enumerate(["a", "a'", "b", "b'", "c", "d", "j", "e", "f", "f'", "g", "r"])
    }
    results.sort(key=lambda r: order.get(r.key, 99))
    return {
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average": {"start": load_before, "end": load_average()},
        "git": git_state(),
        "postgres": {
            "bindir": str(bindir),
            "server_version": rel.server_version,
            "settings": rel.settings,
        },
        "relation": {
            "name": TABLE,
            "size_mb_requested": args.size_mb,
            "blocks": rel.nblocks,
            "bytes": rel.nblocks * rel.block_size,
            "block_size": rel.block_size,
            "segments": len(rel.segments),
            "live_rows": rel.rows,
            "line_pointers": rel.composition,
        },
        "budget_seconds": args.budget,
        "pgpage_command": pgpage_command(),
        "results": [r.as_json() for r in results],
        "table_markdown": markdown_table(results),
        **extra,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = run(args)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    rel = report["relation"]
    print(
        f"Heap `{rel['name']}`: {rel['blocks']:,} blocks of {rel['block_size']} bytes "
        f"({rel['bytes'] / MIB:.0f} MB), {rel['live_rows']:,} live rows; "
        f"PostgreSQL {report['postgres']['server_version']}; {report['date']}; "
        f"load average {report['load_average']['start'][0]} at the start, "
        f"{report['load_average']['end'][0]} at the end "
        f"on {report['machine']['cores']} cores\n"
    )
    print(report["table_markdown"])
    profile = report.get("profile")
    if profile:
        print(
            f"\n`decode_page` under cProfile, blocks 0-{profile['pages'] - 1} "
            f"({profile['per_page_ms']:.2f} ms a page while profiled). Time by area:\n"
        )
        print("| Area | tottime s | Share |\n|---|---:|---:|")
        for area, row in profile["areas"].items():
            if row["share"] >= 0.005:
                print(f"| {area} | {row['tottime']:.3f} | {row['share']:.1%} |")
        print("\nTop functions by own time:\n")
        print("| Function | Calls | tottime s | cumtime s | Share |\n|---|---:|---:|---:|---:|")
        for row in profile["top"]:
            print(
                f"| `{row['function']}` | {row['ncalls']:,} | {row['tottime']:.3f} | "
                f"{row['cumtime']:.3f} | {row['share']:.1%} |"
            )
    log(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
