"""scan/parallel.py: the same results in the same order for any number of workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from pageinspect_py.analysis.heapstats import heap_stats
from pageinspect_py.page.raw import Fork, PageSource
from pageinspect_py.scan import parallel
from pageinspect_py.sources.file import FileSource


def _first_bytes(source: PageSource, fork: Fork, start: int, stop: int) -> list[bytes]:
    return [
        raw.data[:8] + raw.blkno.to_bytes(4, "little") for raw in source.pages(fork, start, stop)
    ]


def _relation(tmp: Path, blocks: int) -> Path:
    fixture = next(Path("fixtures/pg17/heap_many_blocks").glob("[0-9]*[0-9].gz"))
    with FileSource(fixture) as source:
        pages = [raw.data for raw in source.pages("main")]
    path = tmp / "16384"
    path.write_bytes(b"".join(pages[i % len(pages)] for i in range(blocks)))
    return path


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_ranges_come_back_in_block_order(tmp_path: Path, jobs: int) -> None:
    path = _relation(tmp_path, 700)
    done: list[int] = []
    with FileSource(path) as source:
        parts = list(
            parallel.map_ranges(
                source,
                "main",
                _first_bytes,
                jobs=jobs,
                progress=done.append,
                task_blocks=64,
                min_blocks=100,
            )
        )
        whole = _first_bytes(source, "main", 0, 700)
    assert [b for part in parts for b in part] == whole
    assert sum(done) == 700 and len(done) == len(parts) == 11


def test_heap_stats_do_not_depend_on_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "TASK_BLOCKS", 50)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BLOCKS", 10)
    path = _relation(tmp_path, 400)
    with FileSource(path) as source:
        one = heap_stats(source, jobs=1)
        two = heap_stats(source, jobs=2)
    assert one.pgstattuple() == two.pgstattuple()
    assert one.lp_states == two.lp_states and one.tuple_count > 0
