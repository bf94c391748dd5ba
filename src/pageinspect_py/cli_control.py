"""``pgpage control PGDATA``: a data directory's ``global/pg_control``, as pg_controldata
prints it (text) or as the ``pg_control_*()`` functions return it (JSON).

Only the standard library, click and the offline layers are loaded (no psycopg, no numpy).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command()
@click.argument("pgdata", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text as pg_controldata prints it; json: one object keyed like pg_control_*().",
)
def control(pgdata: Path, fmt: str) -> None:
    """Print a data directory's control file (global/pg_control), as pg_controldata does.

    Times are in UTC. Problems (a CRC that does not match, a version not known here) go to
    stderr and make the exit code 1; the values are printed all the same.

    \b
    pgpage control /var/lib/postgresql/17/main
    pgpage control PGDATA --format json
    """
    from pageinspect_py.cli import EXIT_OK, EXIT_PROBLEMS, _fail
    from pageinspect_py.errors import PageInspectError
    from pageinspect_py.render.control import control_json, control_text
    from pageinspect_py.sources.datadir.control import read_control

    try:
        found = read_control(pgdata)
    except PageInspectError as exc:
        _fail(str(exc))
    for problem in found.problems:
        click.echo(f"pgpage: {problem}", err=True)
    if fmt == "json":
        sys.stdout.write(json.dumps(control_json(found)) + "\n")
    else:
        sys.stdout.write(control_text(found))
    sys.exit(EXIT_PROBLEMS if found.problems else EXIT_OK)
