"""``pgpage export PGDATA --db NAME RELATION``: a relation's rows as COPY, CSV or JSON Lines,
read from a data directory's files with no server (or ``--dsn DSN RELATION``: from a live
server's pages through get_raw_page, with its transaction status).

stdout carries the rows (UTF-8, exactly the bytes ``COPY ... TO STDOUT`` writes for copy and
csv); stderr one line per page or tuple left out, and the progress bar on a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Protocol, cast

import click

from pageinspect_py.render.export import FORMATS, ExportFormat

if TYPE_CHECKING:
    from pageinspect_py.app.export import Export

#: bytes of output gathered before each write
_FLUSH_AT = 1 << 16


@click.command("export")
@click.argument("pgdata", metavar="TARGET", type=click.Path())
@click.argument("relation", required=False)
@click.option("--db", "database", metavar="NAME", help="The database RELATION is in (name or OID).")
@click.option("--dsn", help="Read TARGET as a relation on this server (get_raw_page, pageinspect).")
@click.option(
    "--live", is_flag=True, help="Read TARGET as a relation on the server the PG* variables name."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="copy",
    show_default=True,
    help="copy: COPY TO STDOUT's text format; csv: COPY (FORMAT csv, HEADER); "
    "jsonl: one JSON object per row.",
)
@click.option(
    "--all-versions",
    is_flag=True,
    help="Every tuple version (dead, aborted and in-progress ones too), with the columns "
    "ctid, xmin, xmax, visibility and visible first.",
)
@click.option(
    "--timezone",
    help="TimeZone for timestamptz values (default: the data directory's postgresql.conf / "
    "postgresql.auto.conf, or the live session's).",
)
@click.option(
    "--datestyle",
    metavar="STYLE",
    help="DateStyle, as SET DateStyle takes it: ISO, SQL, Postgres or German, and/or DMY, MDY "
    "or YMD (default: the configuration's, or the live session's).",
)
@click.option(
    "--intervalstyle",
    metavar="STYLE",
    help="IntervalStyle: postgres, postgres_verbose, sql_standard or iso_8601 (default: the "
    "configuration's, or the live session's).",
)
@click.option(
    "--extra-float-digits",
    "extra_float_digits",
    metavar="N",
    help="extra_float_digits, -15 to 3: 1 or more prints floats in the shortest exact form, "
    "0 or less with 15 + N (float4: 6 + N) significant digits (default: the "
    "configuration's, or the live session's).",
)
@click.option("--strict", is_flag=True, help="Stop at the first damaged page or tuple.")
@click.option(
    "--quiet", "-q", is_flag=True, help="No progress bar on stderr (none is shown off a terminal)."
)
def export(
    pgdata: str,
    relation: str | None,
    database: str | None,
    dsn: str | None,
    live: bool,
    fmt: str,
    all_versions: bool,
    timezone: str | None,
    datestyle: str | None,
    intervalstyle: str | None,
    extra_float_digits: str | None,
    strict: bool,
    quiet: bool,
) -> None:
    """Write the rows of RELATION in a data directory as COPY relation TO STDOUT would, with
    no server: in physical order, only the rows a query would see (pg_xact and pg_multixact
    decide), values as each type's output function prints them, TOAST values detoasted.

    Values print with the settings a new session there would have (postgresql.conf and
    postgresql.auto.conf, or the live session's TimeZone, DateStyle, IntervalStyle and
    extra_float_digits); --timezone, --datestyle, --intervalstyle and --extra-float-digits
    change them as SET would.

    A damaged page or an undecodable tuple is left out with one line on stderr naming its
    block and line pointer, and the exit code is 1 (--strict stops there).

    \b
    pgpage export /var/lib/postgresql/17/main --db shop sales.orders > orders.copy
    pgpage export PGDATA --db shop sales.orders --format csv
    pgpage export PGDATA --db shop sales.orders --all-versions --format jsonl
    pgpage export --dsn 'dbname=shop' sales.orders --all-versions   (pg_dirtyread's view)

    Live, pages are read with get_raw_page (pageinspect, a superuser) and the verdicts come
    from the server's txid_status() and pg_get_multixact_members(), as of the moment asked.
    """
    from pageinspect_py.app.export import open_export, open_live_export
    from pageinspect_py.cli import EXIT_OK, EXIT_PROBLEMS, _fail
    from pageinspect_py.errors import PageInspectError
    from pageinspect_py.render.progress import progress_bar, wanted

    if dsn is not None or live:
        if relation is not None or database is not None:
            _fail(
                "with --dsn/--live TARGET is the relation: RELATION and --db are for a data "
                "directory"
            )
    elif relation is None:
        _fail(f"{pgdata}: name the RELATION to export (schema.name, an OID or a file number)")
    styles = {
        "timezone": timezone,
        "datestyle": datestyle,
        "intervalstyle": intervalstyle,
        "extra_float_digits": extra_float_digits,
    }
    try:
        if dsn is not None or live:
            opened = open_live_export(dsn, pgdata, **styles)
        else:
            assert relation is not None
            opened = open_export(pgdata, database, relation, **styles)
    except PageInspectError as exc:
        _fail(str(exc))
    problems = False
    with opened:
        for warning in opened.warnings:
            click.echo(f"pgpage: warning: {warning}", err=True)
        for problem in opened.problems:
            click.echo(f"pgpage: {problem.path}: {problem.message}", err=True)
            problems = True
        try:
            with progress_bar(opened.nblocks, "exporting", enabled=wanted(quiet)) as advance:
                problems |= write_export(
                    opened,
                    cast("ExportFormat", fmt),
                    _binary_stdout(),
                    all_versions=all_versions,
                    strict=strict,
                    report=lambda line: click.echo(f"pgpage: {line}", err=True),
                    progress=advance,
                )
        except PageInspectError as exc:
            _fail(f"{opened.name}: {exc}")
        for note in opened.notes():
            click.echo(f"pgpage: {note}", err=True)
    sys.exit(EXIT_PROBLEMS if problems else EXIT_OK)


def write_export(
    opened: Export,
    fmt: ExportFormat,
    out: _Sink,
    *,
    all_versions: bool = False,
    strict: bool = False,
    report: Callable[[str], None],
    progress: Callable[[int], None] | None = None,
) -> bool:
    """Write the rows of ``opened`` on ``out`` (UTF-8) and each page or tuple left out as one
    line through ``report``; True when any was (with ``strict`` the export stops there)."""
    from pageinspect_py.app.export import VERSION_COLUMNS, Skipped, export_rows
    from pageinspect_py.render.export import row_writer

    writer = row_writer(fmt, opened.columns, VERSION_COLUMNS if all_versions else ())
    pending: list[str] = [writer.header()]
    size = 0
    skipped = False
    for item in export_rows(opened, all_versions=all_versions, progress=progress):
        if isinstance(item, Skipped):
            out.write("".join(pending).encode("utf-8"))  # the rows before it come first
            out.flush()
            pending, size = [], 0
            report(f"{opened.name}: {item.describe()}")
            skipped = True
            if strict:
                break
            continue
        line = writer.row(item.values, item.version_values() if all_versions else ())
        pending.append(line)
        size += len(line)
        if size >= _FLUSH_AT:
            out.write("".join(pending).encode("utf-8"))
            pending, size = [], 0
    out.write("".join(pending).encode("utf-8"))
    out.flush()
    return skipped


class _Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...


def _binary_stdout() -> _Sink:
    """stdout as bytes: the rows are UTF-8 whatever the locale says."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        return cast("IO[bytes]", buffer)
    return _TextAsBytes(sys.stdout)  # pragma: no cover - a text-only replacement stdout


class _TextAsBytes:
    """A text stream that takes UTF-8 bytes."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        return self.stream.write(data.decode("utf-8"))

    def flush(self) -> None:
        self.stream.flush()
