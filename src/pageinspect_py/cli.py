"""``pgpage``: PostgreSQL storage, byte by byte.

stdout carries data; stderr carries diagnostics and progress. psycopg and textual are
imported inside the commands that need them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pageinspect_py import __version__
from pageinspect_py.app.open import open_source
from pageinspect_py.errors import PageInspectError

if TYPE_CHECKING:
    from pageinspect_py.app.btree import KeyColumns
    from pageinspect_py.app.dump import DumpRelation
    from pageinspect_py.app.open import Target
    from pageinspect_py.page.raw import PageSource
    from pageinspect_py.sources.datadir.slru import DataDirectoryXacts

#: exit codes
EXIT_OK = 0  #: everything decoded cleanly
EXIT_PROBLEMS = 1  #: pages decoded, with problems (checksum mismatch, corrupt pointers, ...)
EXIT_USAGE = 2  #: wrong arguments, or the pages could not be read at all (source error)
EXIT_INTERRUPTED = 130  #: Ctrl-C (128 + SIGINT, as a shell reports a command it interrupted)
EXIT_BROKEN_PIPE = 141  #: stdout closed by its reader, e.g. ``| head`` (128 + SIGPIPE)


class BlockRange(click.ParamType):  # type: ignore[type-arg]
    """``A:B`` inclusive, either end optional (``A:`` to the end, ``:B`` from the start)."""

    name = "A:B"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[int, int | None]:
        if isinstance(value, tuple):
            return value
        text = str(value)
        start_text, sep, stop_text = text.partition(":")
        try:
            start = int(start_text) if start_text else 0
            stop = int(stop_text) if stop_text else None
        except ValueError:
            self.fail(f"{text!r} is not a block range like 10:20, 10: or :20", param, ctx)
        if not sep:
            self.fail(
                f"{text!r} is not a block range like 10:20 (use --block for one block)", param, ctx
            )
        if start < 0 or (stop is not None and stop < start):
            self.fail(f"{text!r}: the range must satisfy 0 <= A <= B", param, ctx)
        return start, stop


def _fail(message: str) -> None:
    click.echo(f"pgpage: {message}", err=True)
    sys.exit(EXIT_USAGE)


F = TypeVar("F", bound=Callable[..., Any])

# ----------------------------------------------------------------------------------------------
# options several commands share

FORK_OPTION = click.option(
    "--fork",
    type=click.Choice(["main", "fsm", "vm", "init"]),
    default=None,
    help="Relation fork (default: main, or the fork the file name says).",
)
BLOCK_SIZE_OPTION = click.option(
    "--block-size",
    type=click.Choice(["1024", "2048", "4096", "8192", "16384", "32768"]),
    default=None,
    help="Block size (default: from the page header, else 8192).",
)
FIRST_BLOCK_OPTION = click.option(
    "--first-block",
    type=click.IntRange(min=0),
    default=None,
    help="Absolute block number of a page image's first page (for checksums).",
)


JOBS_OPTION = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for large relations (default: every core).",
)
QUIET_OPTION = click.option(
    "--quiet", "-q", is_flag=True, help="No progress bar on stderr (none is shown off a terminal)."
)


def format_option(help_text: str) -> Callable[[F], F]:
    """``--format text|json`` (``fmt``), text by default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help=help_text,
    )


def live_options(verb: str, noun: str) -> Callable[[F], F]:
    """``--dsn`` and ``--live``: TARGET names a relation on a server instead of a file."""
    article = "an" if noun[0] in "AEIOU" else "a"

    def decorate(command: F) -> F:
        command = click.option(
            "--live",
            is_flag=True,
            help=f"{verb} TARGET as {article} {noun.lower()} on the server the PG* variables name.",
        )(command)
        return click.option(
            "--dsn", help=f"{verb} {noun} (TARGET) on this server through get_raw_page()."
        )(command)

    return decorate


def datadir_options(command: F) -> F:
    """``RELATION`` and ``--db``: TARGET may be a data directory, RELATION a relation in it."""
    command = click.option(
        "--db",
        "database",
        metavar="NAME",
        help="With a data directory as TARGET: the database RELATION is in (name or OID).",
    )(command)
    return click.argument("relation", required=False)(command)


def _resolve(target: str, relation: str | None, database: str | None, live: bool) -> Target:
    """TARGET (and RELATION/--db) as the file to read; warnings go to stderr once."""
    from pageinspect_py.app.open import resolve_target

    try:
        found = resolve_target(target, relation, database, live=live)
    except PageInspectError as exc:
        _fail(str(exc))
    for warning in found.warnings:
        click.echo(f"pgpage: warning: {warning}", err=True)
    return found


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor behind stdout (tests): nothing to flush
        pass


@contextmanager
def _shell_endings() -> Iterator[None]:
    """Ctrl-C and a closed stdout end any command quietly, with their own exit codes.

    Without this click prints ``Aborted!`` and exits 1 on Ctrl-C, and exits 1 (the "problems
    found" code) on a broken pipe.
    """
    try:
        yield
    except KeyboardInterrupt:
        with suppress(OSError):  # stderr may be gone too
            click.echo("pgpage: interrupted", err=True)
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        _silence_stdout()
        raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None


class _Shell(click.Group):
    """The ``pgpage`` group: every command, including ones added later, ends the same way on
    Ctrl-C and on a closed pipe (see :func:`_shell_endings`)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with _shell_endings():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _shell_endings():
            return super().invoke(ctx)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        finally:
            # what is still buffered goes out now, while a closed pipe can still be told apart
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                _silence_stdout()
                sys.exit(EXIT_BROKEN_PIPE)
            except (OSError, ValueError):
                pass


@click.group(
    cls=_Shell,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="pgpage")
def main() -> None:
    """Show PostgreSQL's storage byte by byte: heap, index and map pages, offline or live."""


@main.command()
@click.argument("target")
@datadir_options
@live_options("Read", "RELATION")
@FORK_OPTION
@click.option("--block", "block", type=click.IntRange(min=0), help="Only this block.")
@click.option(
    "--blocks",
    "blocks",
    type=BlockRange(),
    help="Only blocks A to B, inclusive; A: or :B leave an end open.",
)
@format_option("text for people, json for JSON Lines (one block each).")
@FIRST_BLOCK_OPTION
@BLOCK_SIZE_OPTION
@click.option("--strict", is_flag=True, help="Stop at the first damaged page.")
@click.option(
    "--schema",
    "schema_file",
    type=click.Path(dir_okay=False),
    help="Decode tuple values with this relation description (pgpage schema output, "
    "or a fixture manifest entry).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Use --schema even when it records another relation's relfilenode than the file's.",
)
@click.option(
    "--columns",
    help="Decode tuple values with a hand-typed column list, e.g. "
    '"id int8, name text, -dropped_col int4, price numeric".',
)
@click.option(
    "--toast",
    "toast_path",
    type=click.Path(dir_okay=False),
    help="File of the relation's TOAST table, to show out-of-line values in full.",
)
@click.option(
    "--no-values", is_flag=True, help="Live: do not read the catalog to decode tuple values."
)
def dump(
    target: str,
    relation: str | None,
    database: str | None,
    dsn: str | None,
    live: bool,
    fork: str | None,
    block: int | None,
    blocks: tuple[int, int | None] | None,
    fmt: str,
    first_block: int | None,
    block_size: str | None,
    strict: bool,
    schema_file: str | None,
    columns: str | None,
    toast_path: str | None,
    no_values: bool,
    force: bool,
) -> None:
    """Decode the pages of a relation file (TARGET is a path), of a relation in a data
    directory (TARGET is PGDATA, then RELATION and --db) or of a live relation.

    With a relation description (--schema, --columns, or from the catalog of a data directory
    or a server) each heap tuple also shows its values, where every attribute lies and the
    alignment padding.

    \b
    pgpage dump base/5/16384 --blocks 0:9
    pgpage dump /var/lib/postgresql/15/main --db shop sales.orders --block 3
    pgpage dump fixtures/pg17/heap_types/16448.gz --format json
    pgpage dump base/5/16384 --schema orders.json --toast base/5/16390
    pgpage dump --dsn 'host=/tmp dbname=app' public.orders --block 0
    """
    if block is not None and blocks is not None:
        _fail("give --block or --blocks, not both")
    if schema_file is not None and columns is not None:
        _fail("give --schema or --columns, not both")
    start, stop = (block, block) if block is not None else (blocks or (0, None))
    from pageinspect_py.app.dump import open_dump
    from pageinspect_py.app.open import is_live

    found = _resolve(target, relation, database, is_live(dsn, live))
    given = schema_file is not None or columns is not None
    try:
        # a data directory's relation: each heap tuple's verdict from its pg_xact
        xacts = None if found.relation is None else found.relation.catalog.datadir.xacts
        with ExitStack() as stack:
            opened = open_dump(
                found.path,
                dsn=dsn,
                live=live,
                fork=fork,
                first_block=first_block,
                block_size=int(block_size) if block_size else None,
                schema_file=schema_file,
                columns=columns,
                toast_path=toast_path if toast_path or given else found.toast_path,
                no_values=no_values,
                stack=stack,
                description=None
                if given or no_values or found.relation is None
                else found.relation.description,
                index=None
                if given or no_values or found.relation is None
                else found.relation.index,
                xacts=xacts,
                major=None if found.relation is None else found.relation.catalog.datadir.major,
                force=force,
            )
            code = _write_dump(opened, start, stop, fmt, strict, xacts, found.warnings)
    except PageInspectError as exc:
        _fail(str(exc))
    sys.exit(code)


def _new_xact_problems(xacts: DataDirectoryXacts | None, said: set[str]) -> list[str]:
    """Why verdicts were unknown (a pg_xact segment missing...), each once per command."""
    new = [p for p in (xacts.problems if xacts is not None else ()) if p not in said]
    said.update(new)
    return new


#: the one way commands open TARGET (kept under its old name for the commands that use it)
_open_source = open_source


def _write_dump(
    relation: DumpRelation,
    start: int,
    stop: int | None,
    fmt: str,
    strict: bool,
    xacts: DataDirectoryXacts | None = None,
    warned: tuple[str, ...] = (),
) -> int:
    """Write the dump's records (text or JSON Lines) on stdout, diagnostics on stderr (why
    verdicts are unknown once, unless a warning already said it)."""
    from pageinspect_py.app.dump import dump_pages, heap_blocks
    from pageinspect_py.errors import CorruptPageError
    from pageinspect_py.render.json import page_json
    from pageinspect_py.render.text import render_page

    records = dump_pages(relation, start, stop, strict=strict)  # checks the range first
    problems = False
    for problem in relation.source.problems:
        click.echo(f"pgpage: {problem.path}: {problem.message}", err=True)
        problems = True
    vm_heap_blocks = heap_blocks(relation)
    out = sys.stdout
    said = {p for p in (xacts.problems if xacts else ()) if any(p in w for w in warned)}
    try:
        for record in records:
            page = record.page
            for d in record.value_diagnostics:
                click.echo(f"pgpage: {page.origin} (block {page.blkno}): {d.describe()}", err=True)
            values, visibility = record.values, record.visibility
            if fmt == "json":
                obj = page_json(
                    page, heap_blocks=vm_heap_blocks, values=values, visibility=visibility
                )
                out.write(json.dumps(obj) + "\n")
            else:
                text = render_page(
                    page, heap_blocks=vm_heap_blocks, values=values, visibility=visibility
                )
                out.write(text + "\n")
            for d in (*record.page_diagnostics, *record.visibility_diagnostics):
                click.echo(f"pgpage: {page.origin} (block {page.blkno}): {d.describe()}", err=True)
            problems |= record.has_errors
            for reason in _new_xact_problems(xacts, said):  # why verdicts are unknown
                click.echo(f"pgpage: {reason}", err=True)
    except CorruptPageError as exc:
        click.echo(f"pgpage: {exc}", err=True)
        return EXIT_PROBLEMS
    return EXIT_PROBLEMS if problems else EXIT_OK


@main.command()
@click.argument("table", required=False)
@click.option("--dsn", help="Read TABLE's description from this server's catalog.")
@click.option("--live", is_flag=True, help="Read TABLE from the server the PG* variables name.")
@click.option(
    "--columns",
    help='Write the schema of a hand-typed column list instead, e.g. "id int8, name text".',
)
def schema(table: str | None, dsn: str | None, live: bool, columns: str | None) -> None:
    """Write a relation's tuple description (pg_attribute + pg_type) as JSON on stdout.

    The file lets a copied relation file be decoded offline: pgpage dump FILE --schema F.
    It needs only catalog access (no pageinspect, no superuser).

    \b
    pgpage schema --dsn 'dbname=app' public.orders > orders.json
    pgpage schema --columns "id int8, name text, price numeric(10,2)" > orders.json
    """
    from pageinspect_py.catalog.schema import description_from_columns, description_json

    try:
        if columns is not None:
            if table is not None or dsn is not None or live:
                _fail("give --columns, or a TABLE with --dsn/--live, not both")
            desc = description_from_columns(columns)
        else:
            if table is None:
                _fail("name a TABLE (with --dsn DSN or --live), or give --columns")
            if dsn is None and not live:
                _fail("reading a table's description needs a server: pass --dsn DSN or --live")
            from pageinspect_py.sources.connection import connect
            from pageinspect_py.sources.live_catalog import describe_relation

            with connect(dsn) as conn:
                desc = describe_relation(conn, str(table))
    except PageInspectError as exc:
        _fail(str(exc))
    click.echo(json.dumps(description_json(desc), indent=1, ensure_ascii=False))


def _has_terminal() -> bool:
    """stdin and stdout are both a terminal: what the TUI reads keys from and draws on."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


@main.command()
@click.argument("target")
@datadir_options
@live_options("Browse", "RELATION")
@click.option(
    "--schema",
    "schema_file",
    type=click.Path(dir_okay=False),
    help="Relation description for tuple values or index keys (pgpage schema output, "
    "a manifest entry, or a fixtures manifest.json).",
)
@click.option("--columns", help='Relation description as a column list, e.g. "id int8, name text".')
@click.option(
    "--toast",
    "toast_path",
    type=click.Path(dir_okay=False),
    help="File of the relation's TOAST table (for out-of-line values).",
)
@FORK_OPTION
@BLOCK_SIZE_OPTION
@click.option(
    "--keymap",
    "keymap",
    multiple=True,
    metavar="ID=KEYS",
    help="Rebind a key by its binding id (F1 lists them), e.g. nav.find=ctrl+f; "
    "repeatable. $PGPAGE_KEYMAP holds more, separated by ';'.",
)
@click.option("--theme", default=None, help="Textual theme (default: textual-dark).")
def tui(
    target: str,
    relation: str | None,
    database: str | None,
    dsn: str | None,
    live: bool,
    schema_file: str | None,
    columns: str | None,
    toast_path: str | None,
    fork: str | None,
    block_size: str | None,
    keymap: tuple[str, ...],
    theme: str | None,
) -> None:
    """Browse a relation in a terminal UI: page map, fields beside hex, btree levels, TOAST.

    \b
    pgpage tui base/5/16384 --schema orders.json --toast base/5/16390
    pgpage tui PGDATA --db shop sales.orders       (o: its indexes and TOAST table)
    pgpage tui --dsn 'host=/tmp dbname=app' public.orders_pkey
    """
    import os

    from pageinspect_py.tui import parse_keymap, run_tui
    from pageinspect_py.tui.state import OpenSpec

    if schema_file is not None and columns is not None:
        _fail("give --schema or --columns, not both")
    try:
        bindings = parse_keymap([*os.environ.get("PGPAGE_KEYMAP", "").split(";"), *keymap])
    except ValueError as exc:
        _fail(str(exc))
    live_mode = dsn is not None or live
    found = _resolve(target, relation, database, live_mode)
    if not live_mode:  # a file that cannot be opened at all: one line, no app
        try:
            _open_source(
                found.path, None, False, None, int(block_size) if block_size else None
            ).close()
        except PageInspectError as exc:
            _fail(str(exc))
    in_datadir = found.relation is not None
    spec = OpenSpec(
        path=None if live_mode or in_datadir else found.path,
        dsn=(dsn or "") if live_mode else None,
        relation=target if live_mode else relation if in_datadir else None,
        pgdata=target if in_datadir else None,
        database=found.relation.database.datname if found.relation is not None else None,
        schema=schema_file,
        columns=columns,
        toast=toast_path,
        fork=fork,
        block_size=int(block_size) if block_size else None,
    )
    if not _has_terminal():  # Textual would draw into a file forever
        _fail("tui needs a terminal")
    sys.exit(run_tui(spec, keymap=bindings, theme=theme))


@main.command()
@click.argument("target")
@datadir_options
@live_options("Read", "INDEX")
@format_option("text for people, json for one JSON object.")
@click.option(
    "--schema",
    "schema_file",
    type=click.Path(dir_okay=False),
    help="Index key columns: pgpage schema output of the index, a manifest entry, "
    "or a fixtures manifest.json (the index named by TARGET's directory).",
)
@click.option("--columns", help='Key columns by hand, e.g. "a int4 DESC, b text NULLS FIRST".')
@click.option("--include", help='INCLUDE columns by hand, e.g. "payload text".')
@click.option(
    "--c-collation",
    is_flag=True,
    help="Offline: the database's default collation is C (text keys order bytewise).",
)
@click.option(
    "--major",
    type=click.IntRange(min=12),
    help="Compute pgstatindex() as this PostgreSQL major does (default: the live "
    "server's, the one the --schema file records, else 18).",
)
@click.option(
    "--find",
    "find",
    metavar="VALUES",
    help="Look up one key instead: comma-separated values of the key columns (NULL for "
    "null). Reads only the metapage and the pages from the root down to the leaf, and shows "
    "that path and the heap TIDs of the equal keys.",
)
@BLOCK_SIZE_OPTION
def btree(
    target: str,
    relation: str | None,
    database: str | None,
    dsn: str | None,
    live: bool,
    fmt: str,
    schema_file: str | None,
    columns: str | None,
    include: str | None,
    c_collation: bool,
    major: int | None,
    find: str | None,
    block_size: str | None,
) -> None:
    """Walk a btree index: levels, pgstatindex() from the pages, deduplication, dead items,
    free space and padding per level, key widths, and structural checks in the spirit of
    amcheck's bt_index_check. Exits 1 when the checks find anything. With --find, look up
    one key, reading only the pages on its path.

    \b
    pgpage btree base/5/16402
    pgpage btree fixtures/pg17/bt_multi/16506.gz --schema fixtures/pg17/manifest.json
    pgpage btree --dsn 'host=/tmp dbname=app' public.orders_pkey --find 42
    """
    from pageinspect_py.app import btree as use_case
    from pageinspect_py.app.open import is_live

    found = _resolve(target, relation, database, is_live(dsn, live))
    target = found.path
    try:
        # the key columns and the --find values are checked before anything is read
        keys = use_case.key_columns(
            target,
            schema_file=schema_file,
            columns=columns,
            include=include,
            c_collation=c_collation,
        )
        index = found.relation.index if found.relation is not None else None
        if keys.index is None and index is not None and index.amname in (None, "btree"):
            assert found.relation is not None
            keys = use_case.KeyColumns(index, found.relation.catalog.datadir.major)
        if find is not None and keys.index is not None:
            use_case.parse_find(find, keys.index)
        elif find is not None and not is_live(dsn, live):
            use_case.parse_find(find, None)  # offline without key columns: says what to give
        with _open_source(
            target, dsn, live, None, int(block_size) if block_size else None
        ) as source:
            code = _btree(source, keys, fmt, major, find, is_live(dsn, live))
    except PageInspectError as exc:
        _fail(str(exc))
    sys.exit(code)


def _btree(
    source: PageSource,
    keys: KeyColumns,
    fmt: str,
    major: int | None,
    find: str | None,
    live: bool,
) -> int:
    """Option parsing is done: call the use case, render its report, choose the exit code."""
    from pageinspect_py.app import btree as use_case
    from pageinspect_py.render.btree import (
        find_report_json,
        find_report_text,
        index_report_json,
        index_report_text,
    )

    if live:
        keys = use_case.live_key_columns(source, keys)
    for problem in source.problems:
        click.echo(f"pgpage: {problem.path}: {problem.message}", err=True)
    if find is not None:
        values = use_case.parse_find(find, keys.index)
        assert keys.index is not None  # parse_find refuses None
        found = use_case.find_key(source, keys.index, values, major or keys.major)
        if fmt == "json":
            sys.stdout.write(json.dumps(find_report_json(found, find)) + "\n")
        else:
            sys.stdout.write(find_report_text(found, find))
        findings = found.findings
    else:
        report = use_case.index_report(source, keys, major)
        if fmt == "json":
            out = index_report_json(report.tree, report.statistics, report.findings)
            sys.stdout.write(json.dumps(out) + "\n")
        else:
            sys.stdout.write(index_report_text(report.tree, report.statistics, report.findings))
        findings = report.findings
    if findings:
        errors = sum(1 for f in findings if f.severity == "error")
        click.echo(
            f"pgpage: {source.name}: {len(findings)} finding(s), {errors} error(s)", err=True
        )
        return EXIT_PROBLEMS
    return EXIT_OK


@main.command("layout-advice")
@click.argument("target")
@datadir_options
@click.option(
    "--dsn", help="Advise on TABLE (TARGET) on this server (default: the PG* environment)."
)
@click.option(
    "--schema",
    "schema_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Offline: TARGET is a copied relation file and this schema file describes "
    "it (pgpage schema writes one).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Use --schema even when it records another relation's relfilenode than the file's.",
)
@click.option(
    "--sample-rows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Rows to sample (TABLESAMPLE ... REPEATABLE); smaller tables are read whole.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="REPEATABLE seed: the same seed samples the same rows again.",
)
@click.option(
    "--keep-first",
    "keep_first",
    multiple=True,
    metavar="COL",
    help="Keep COL first (repeat it, or separate names with commas, to pin several in that order).",
)
@format_option("text for people; json: one object per table (JSON Lines).")
@click.option(
    "--sql",
    "want_sql",
    is_flag=True,
    help="Also write the migration (one transaction) that rebuilds the table in the "
    "recommended order.",
)
@click.option(
    "--verify",
    "want_verify",
    is_flag=True,
    help="Build the sample in the current and recommended order in scratch tables "
    "(rolled back) and measure them.",
)
@click.option(
    "--search-seconds",
    type=click.FloatRange(min=0.05),
    default=1.5,
    show_default=True,
    help="Time the search may take when it cannot prove the best order sooner.",
)
def layout_advice(
    target: str,
    relation: str | None,
    database: str | None,
    dsn: str | None,
    schema_file: str | None,
    sample_rows: int,
    seed: int,
    keep_first: tuple[str, ...],
    fmt: str,
    want_sql: bool,
    want_verify: bool,
    search_seconds: float,
    force: bool,
) -> None:
    """Find the column order that stores TABLE in the fewest pages, and prove it.

    \b
    pgpage layout-advice --dsn 'host=/tmp dbname=app' public.orders
    pgpage layout-advice --dsn ... orders --keep-first id --sql > reorder.sql
    pgpage layout-advice --dsn ... orders --verify --format json
    pgpage layout-advice base/5/16384 --schema orders.schema.json
    pgpage layout-advice PGDATA --db shop sales.orders
    """
    from pageinspect_py.cli_advice import run_layout_advice

    found = _resolve(target, relation, database, dsn is not None)
    description = None
    visible = None
    if found.relation is not None:
        from pageinspect_py.app.datadir import visibility_filter

        visible = visibility_filter(found.relation.catalog.datadir)
        if schema_file is None:
            description = found.relation.description
            if description is None:
                _fail(f"{found.relation.cls.qualified} is not a table")
    try:
        code = run_layout_advice(
            found.path,
            description=description,
            visible=visible,
            dsn=dsn,
            schema_file=schema_file,
            sample_rows=sample_rows,
            seed=seed,
            keep_first=keep_first,
            fmt=fmt,
            want_sql=want_sql,
            want_verify=want_verify,
            search_seconds=search_seconds,
            force=force,
        )
    except PageInspectError as exc:
        _fail(str(exc))
    sys.exit(code)


@main.command()
@click.argument("target")
@datadir_options
@live_options("Check", "RELATION")
@FIRST_BLOCK_OPTION
@format_option("text for people, json for one JSON object.")
@JOBS_OPTION
@QUIET_OPTION
def check(
    target: str,
    relation: str | None,
    database: str | None,
    dsn: str | None,
    live: bool,
    first_block: int | None,
    fmt: str,
    jobs: int | None,
    quiet: bool,
) -> None:
    """Verify every page of every fork: checksums, headers, line pointers, tuples.

    Prints each finding (fork, block, byte range, what is wrong) and a summary per fork;
    exits 1 when anything is wrong, 0 when the relation is clean. Regular pages are checked
    as arrays, on every core; the output does not depend on --jobs.

    A data directory as TARGET checks every relation of every database (or of --db NAME),
    with its shared catalogs, and lists files that belong to no relation.

    \b
    pgpage check base/5/16384
    pgpage check /var/lib/postgresql/15/main
    pgpage check PGDATA --db shop sales.orders
    pgpage check --dsn 'dbname=app' public.orders
    """
    from pageinspect_py.app.check import blocks_to_check, check_relation
    from pageinspect_py.app.open import is_live
    from pageinspect_py.render.progress import progress_bar, wanted
    from pageinspect_py.scan.parallel import default_jobs
    from pageinspect_py.sources.datadir.directory import looks_like_datadir

    if relation is None and not is_live(dsn, live) and looks_like_datadir(target):
        from pageinspect_py.cli_cluster_check import run_cluster_check

        sys.exit(run_cluster_check(target, database, fmt, jobs, quiet))
    found = _resolve(target, relation, database, is_live(dsn, live))
    try:
        # a data directory's relation: hint bits are checked against its pg_xact too, xids
        # and multixacts against its pg_control's and pg_class row's bounds
        from pageinspect_py.app.datadir import xid_bounds

        rel = found.relation
        xacts = None if rel is None else rel.catalog.datadir.xacts
        bounds = None if rel is None else xid_bounds(rel)
        with _open_source(found.path, dsn, live, first_block, None) as source:
            total = blocks_to_check(source)
            with progress_bar(total, "checking", enabled=wanted(quiet)) as advance:
                report = check_relation(
                    source,
                    jobs=jobs or default_jobs(),
                    progress=advance,
                    xacts=xacts,
                    bounds=bounds,
                )
    except PageInspectError as exc:
        _fail(str(exc))
    if fmt == "json":
        sys.stdout.write(json.dumps(report.as_json()) + "\n")
    else:
        from pageinspect_py.render.check import check_report_text

        sys.stdout.write(check_report_text(report))
    sys.exit(EXIT_PROBLEMS if report.problems else EXIT_OK)


@main.command()
@click.argument("target")
@datadir_options
@live_options("Measure", "RELATION")
@format_option("text for people, json for one JSON object.")
@click.option(
    "--major",
    type=click.IntRange(min=12),
    help="Index: compute pgstatindex() (btree) or pgstattuple() (GiST) as this PostgreSQL "
    "major does (default: the data directory's or server's major, else 18).",
)
@JOBS_OPTION
@QUIET_OPTION
def stats(
    target: str,
    relation: str | None,
    database: str | None,
    dsn: str | None,
    live: bool,
    fmt: str,
    major: int | None,
    jobs: int | None,
    quiet: bool,
) -> None:
    """What pgstattuple() says of a heap (pgstatindex() of a btree index), from the pages.

    From a relation file, a tuple's visibility comes from its hint bits; tuples whose hint
    bits do not settle it are counted as live and the report says how many there were. A
    relation of a data directory reads the rest from its pg_xact and pg_multixact: exact.

    \b
    pgpage stats base/5/16384
    pgpage stats base/5/16384 --format json
    pgpage stats --dsn 'dbname=app' public.orders
    """
    from pageinspect_py.app.stats import relation_stats
    from pageinspect_py.render.progress import progress_bar, wanted
    from pageinspect_py.scan.parallel import default_jobs

    try:
        found = _resolve(target, relation, database, dsn is not None or live)
        # a data directory's relation: unhinted tuples' status from its pg_xact
        xacts = None if found.relation is None else found.relation.catalog.datadir.xacts
        if major is None and found.relation is not None:  # as the cluster's server computes
            major = found.relation.catalog.datadir.major
        with _open_source(found.path, dsn, live, None, None) as source:
            total = source.nblocks("main")
            with progress_bar(total, "measuring", enabled=wanted(quiet)) as advance:
                report = relation_stats(
                    source,
                    major=major,
                    jobs=jobs or default_jobs(),
                    progress=advance,
                    xacts=xacts,
                )
    except PageInspectError as exc:
        _fail(str(exc))
    if fmt == "json":
        sys.stdout.write(json.dumps(report.as_json()) + "\n")
    else:
        from pageinspect_py.render.stats import stats_report_text

        sys.stdout.write(stats_report_text(report))
    if fmt == "json":  # the text report carries its notes itself
        for note in report.notes:
            click.echo(f"pgpage: {note}", err=True)
    sys.exit(EXIT_OK)


def _register_commands() -> None:
    """Commands declared in modules of their own (each imports its dependencies lazily)."""
    from pageinspect_py.cli_control import control
    from pageinspect_py.cli_datadir import ls
    from pageinspect_py.cli_export import export

    main.add_command(control)
    main.add_command(ls)
    main.add_command(export)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
