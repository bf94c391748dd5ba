"""Block ranges of one fork on worker processes, results in block order.

:func:`map_ranges` cuts a fork into tasks, runs ``work(source, fork, start, stop)`` on up to
``jobs`` processes -- each with its own copy of the source (``PageSource.reopen``), started by
fork so that nothing open is pickled -- and yields the results in task order, so whatever
merges them sees the same sequence for any ``jobs``. Ctrl-C (or any error) terminates every
worker. Small forks, one job, and sources that cannot be reopened run in this process.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from multiprocessing import get_context
from typing import TypeVar

from pageinspect_py.page.raw import Fork, PageSource

T = TypeVar("T")
Work = Callable[[PageSource, Fork, int, int], T]
Progress = Callable[[int], None]  #: called with the number of blocks just finished

#: blocks per task handed to a worker (large enough to amortise the hand-off)
TASK_BLOCKS = 8192
#: below this many blocks, workers cost more than they save
PARALLEL_MIN_BLOCKS = 4096

#: a worker process's own copy of the source (set once by the pool's initializer)
_worker: dict[str, PageSource] = {}


def default_jobs() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _init_worker(source: PageSource) -> None:
    """In a worker: Ctrl-C is the parent's to handle; open the source's own copy."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    copy = source.reopen()
    if copy is not None:
        _worker["source"] = copy


def _run(task: tuple[Work[T], Fork, int, int]) -> T:
    work, fork, start, stop = task
    return work(_worker["source"], fork, start, stop)


def map_ranges(
    source: PageSource,
    fork: Fork,
    work: Work[T],
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    task_blocks: int | None = None,
    min_blocks: int | None = None,
) -> Iterator[T]:
    """``work`` over the fork's blocks in ranges, on up to ``jobs`` processes, in order.

    ``work`` must be a module-level function (workers receive it by name). Progress advances
    as each range completes, here or in a worker.
    """
    nblocks = source.nblocks(fork)
    size = task_blocks or TASK_BLOCKS
    tasks = [(work, fork, lo, min(lo + size, nblocks)) for lo in range(0, nblocks, size)]
    if jobs <= 1 or nblocks < (min_blocks or PARALLEL_MIN_BLOCKS) or not source.reopenable:
        for _, _, lo, hi in tasks:  # here, range by range: the same results, and progress
            yield work(source, fork, lo, hi)
            if progress is not None:
                progress(hi - lo)
        return
    with get_context("fork").Pool(
        min(jobs, len(tasks)), initializer=_init_worker, initargs=(source,)
    ) as pool:
        for (_, _, lo, hi), result in zip(tasks, pool.imap(_run, tasks), strict=True):
            if progress is not None:
                progress(hi - lo)
            yield result
