"""A progress bar on stderr (blocks done, pages/s, time left) for relation-wide commands.

Shown only when stderr is a terminal and the caller did not ask for quiet, and only once the
work has run for about a second, so short commands print nothing. stdout is never touched.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: seconds of work before the bar appears
DELAY = 1.0


def wanted(quiet: bool) -> bool:
    """A bar makes sense: stderr is a terminal and nobody asked for quiet."""
    return not quiet and sys.stderr.isatty()


@contextmanager
def progress_bar(total: int, label: str, *, enabled: bool) -> Iterator[Callable[[int], None]]:
    """``with progress_bar(n, "checking", enabled=...) as advance: advance(blocks)``."""
    if not enabled or total <= 0:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    class _Rate(TextColumn):
        def render(self, task: Any) -> Any:
            speed = task.finished_speed or task.speed
            self.text_format = f"{speed:,.0f} pages/s" if speed else ""
            return super().render(task)

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(""),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    started = time.monotonic()
    task = bar.add_task(label, total=total)
    shown = False

    def advance(n: int) -> None:
        nonlocal shown
        bar.advance(task, n)
        if not shown and time.monotonic() - started >= DELAY:
            bar.start()
            shown = True

    try:
        yield advance
    finally:
        if shown:
            bar.stop()
