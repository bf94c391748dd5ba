"""``pgpage check PGDATA [--db NAME]``: the whole data directory (``check`` calls
:func:`run_cluster_check` when TARGET is a data directory and no RELATION is given).

stdout carries the report; notes (a server that may be running, catalog rows of unknown
status) and the progress bar go to stderr.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager

import click

from pageinspect_py.cli import EXIT_OK, EXIT_PROBLEMS
from pageinspect_py.cli import EXIT_USAGE as EXIT_SOURCE
from pageinspect_py.errors import PageInspectError

__all__ = ["EXIT_OK", "EXIT_PROBLEMS", "EXIT_SOURCE", "run_cluster_check"]


def run_cluster_check(
    pgdata: str, database: str | None, fmt: str, jobs: int | None, quiet: bool
) -> int:
    """Check ``pgdata`` (every database with files, or ``database``, and the shared
    catalogs), print the report in ``fmt`` ("text" or "json") and return the exit code.
    An error is one ``pgpage: ...`` line on stderr and code 2."""
    from pageinspect_py.app.cluster_check import cluster_check
    from pageinspect_py.render.cluster_check import cluster_check_json, cluster_check_text
    from pageinspect_py.render.progress import progress_bar, wanted
    from pageinspect_py.scan.parallel import Progress, default_jobs

    enabled = wanted(quiet)

    def bar(total: int) -> AbstractContextManager[Progress]:
        return progress_bar(total, "checking", enabled=enabled)

    try:
        report = cluster_check(pgdata, database, jobs=jobs or default_jobs(), progress=bar)
    except PageInspectError as exc:
        click.echo(f"pgpage: {exc}", err=True)
        return EXIT_SOURCE
    except OSError as exc:  # a folder or file that cannot be listed or read
        click.echo(f"pgpage: {exc.filename or pgdata}: {exc.strerror or exc}", err=True)
        return EXIT_SOURCE
    for note in report.notes:
        click.echo(f"pgpage: {note}", err=True)
    sys.stdout.write(cluster_check_json(report) if fmt == "json" else cluster_check_text(report))
    sys.stdout.flush()
    return EXIT_PROBLEMS if report.problems else EXIT_OK
