"""``pgpage``: PostgreSQL storage, byte by byte.

stdout carries data; stderr carries diagnostics and progress. psycopg and textual are
imported inside the commands that need them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

import click

from pageinspect_py import __version__
from pageinspect_py.errors import PageInspectError

if TYPE_CHECKING:
    from pageinspect_py.catalog.attributes import RelationDescription
    from pageinspect_py.decode.page import Page
    from pageinspect_py.decode.varlena import ToastFetcher
    from pageinspect_py.sources.base import Fork, PageSource

#: exit codes
EXIT_OK = 0  #: everything decoded cleanly
EXIT_PROBLEMS = 1  #: pages decoded, with problems (checksum mismatch, corrupt pointers, ...)
EXIT_USAGE = 2  #: wrong arguments, or the pages could not be read at all (source error)


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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="pgpage")
def main() -> None:
    """Show PostgreSQL's storage byte by byte: heap, index and map pages, offline or live."""


@main.command()
@click.argument("target")
@click.option("--dsn", help="Read RELATION (TARGET) from this server through get_raw_page().")
@click.option(
    "--live", is_flag=True, help="Read TARGET as a relation from the server the PG* variables name."
)
@click.option(
    "--fork",
    type=click.Choice(["main", "fsm", "vm", "init"]),
    default=None,
    help="Relation fork (default: main, or the fork the file name says).",
)
@click.option("--block", "block", type=click.IntRange(min=0), help="Only this block.")
@click.option(
    "--blocks",
    "blocks",
    type=BlockRange(),
    help="Only blocks A to B, inclusive; A: or :B leave an end open.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for JSON Lines (one block each).",
)
@click.option(
    "--first-block",
    type=click.IntRange(min=0),
    default=None,
    help="Absolute block number of a page image's first page (for checksums).",
)
@click.option(
    "--block-size",
    type=click.Choice(["1024", "2048", "4096", "8192", "16384", "32768"]),
    default=None,
    help="Block size (default: from the page header, else 8192).",
)
@click.option("--strict", is_flag=True, help="Stop at the first damaged page.")
@click.option("--schema", "schema_file", type=click.Path(dir_okay=False),
              help="Decode tuple values with this relation description (pgpage schema output, "
                   "or a fixture manifest entry).")
@click.option("--columns", help='Decode tuple values with a hand-typed column list, e.g. '
                                '"id int8, name text, -dropped_col int4, price numeric".')
@click.option("--toast", "toast_path", type=click.Path(dir_okay=False),
              help="File of the relation's TOAST table, to show out-of-line values in full.")
@click.option("--no-values", is_flag=True,
              help="Live: do not read the catalog to decode tuple values.")
def dump(
    target: str,
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
) -> None:
    """Decode the pages of a relation file (TARGET is a path) or of a live relation.

    With a relation description (--schema, --columns, or live from the catalog) each heap
    tuple also shows its values, where every attribute lies and the alignment padding.

    \b
    pgpage dump base/5/16384 --blocks 0:9
    pgpage dump fixtures/pg17/heap_types/16388.gz --format json
    pgpage dump base/5/16384 --schema orders.json --toast base/5/16390
    pgpage dump --dsn 'host=/tmp dbname=app' public.orders --block 0
    """
    if block is not None and blocks is not None:
        _fail("give --block or --blocks, not both")
    if schema_file is not None and columns is not None:
        _fail("give --schema or --columns, not both")
    start, stop = (block, block) if block is not None else (blocks or (0, None))
    try:
        with ExitStack() as stack:
            source = stack.enter_context(
                _open_source(
                    target, dsn, live, first_block, int(block_size) if block_size else None
                )
            )
            fork_name: Fork = fork or getattr(source, "given_fork", "main")  # type: ignore[assignment]
            attrs = _attributes(source, fork_name, schema_file, columns, toast_path,
                                dsn is not None or live, no_values, stack)
            code = _dump(source, fork_name, start, stop, fmt, strict, attrs)
    except PageInspectError as exc:
        _fail(str(exc))
    sys.exit(code)


def _open_source(
    target: str, dsn: str | None, live: bool, first_block: int | None, block_size: int | None
) -> PageSource:
    if dsn is not None or live:
        from pageinspect_py.sources.live import open_live

        return open_live(dsn, target)
    from pathlib import Path

    from pageinspect_py.errors import SourceError
    from pageinspect_py.sources.file import FileSource

    if not Path(target).exists() and "/" not in target:
        raise SourceError(
            f"{target}: no such file (to read a relation from a server, pass --dsn DSN or --live)"
        )
    return FileSource(target, first_block=first_block, block_size=block_size)


class _Attributes:
    """A relation description and, when available, its TOAST table, for tuple values."""

    def __init__(self, desc: RelationDescription, toast: ToastFetcher | None) -> None:
        self.desc = desc
        self.toast = toast


def _attributes(source: PageSource, fork: Fork, schema_file: str | None, columns: str | None,
                toast_path: str | None, live: bool, no_values: bool, stack: ExitStack
                ) -> _Attributes | None:
    """The relation description for values: --schema, --columns, or the live catalog."""
    from pageinspect_py.catalog.schema import description_from_columns, load_schema
    from pageinspect_py.decode.toast import ToastRelation
    from pageinspect_py.errors import SchemaError
    from pageinspect_py.sources.file import FileSource

    desc = None
    if schema_file is not None:
        desc = load_schema(schema_file)
    elif columns is not None:
        desc = description_from_columns(columns)
    if desc is None and live and not no_values and fork == "main":
        from pageinspect_py.catalog.live import describe_relation
        from pageinspect_py.sources.live import LiveSource

        assert isinstance(source, LiveSource)
        if source.relation.amname == "heap" or source.relation.relkind == "S":
            desc = describe_relation(source.connection, source.relation.oid)
    if desc is None:
        if toast_path is not None:
            raise SchemaError("--toast needs a relation description: give --schema or --columns")
        return None
    toast: ToastFetcher | None = None
    if toast_path is not None:
        toastrelid = desc.extra.get("reltoastrelid")
        toast_source = stack.enter_context(FileSource(toast_path))
        toast = ToastRelation(toast_source,
                              toastrelid=toastrelid if isinstance(toastrelid, int) and toastrelid
                              else None)
    elif live:
        from pageinspect_py.sources.live import LiveSource
        from pageinspect_py.sources.live_toast import open_live_toast

        assert isinstance(source, LiveSource)
        found = open_live_toast(source)
        if found is not None:
            toast = ToastRelation(found.source, toastrelid=found.toastrelid,
                                  locate=found.locate)
    return _Attributes(desc, toast)


def _dump(
    source: PageSource, fork: Fork, start: int, stop: int | None, fmt: str, strict: bool,
    attrs: _Attributes | None = None,
) -> int:
    from pageinspect_py.decode.dispatch import decode_page
    from pageinspect_py.errors import BlockOutOfRangeError, CorruptPageError
    from pageinspect_py.render.json import page_json
    from pageinspect_py.render.text import render_page

    problems = False
    for problem in getattr(source, "problems", []):
        click.echo(f"pgpage: {problem.path}: {problem.message}", err=True)
        problems = True
    nblocks = source.nblocks(fork)
    if nblocks == 0:
        raise BlockOutOfRangeError(f"{source.name}: the {fork} fork has 0 blocks")
    if (stop is not None and stop >= nblocks) or start >= max(nblocks, 1):
        wanted = stop if stop is not None else start
        raise BlockOutOfRangeError(
            f"{source.name}: block {wanted} is out of range: the {fork} fork has "
            f"{nblocks} block{'s' if nblocks != 1 else ''}"
        )
    heap_blocks = source.nblocks("main") if fork == "vm" else None
    out = sys.stdout
    pages: Iterator[Page] = (
        decode_page(raw, strict=strict)
        for raw in source.pages(fork, start, None if stop is None else stop + 1)
    )
    from pageinspect_py.decode.heap import HeapPage
    from pageinspect_py.decode.tuple import decode_page_values

    try:
        for page in pages:
            values = None
            if attrs is not None and isinstance(page, HeapPage):
                values = decode_page_values(page, attrs.desc, toast=attrs.toast)
                for d in values.diagnostics:
                    click.echo(f"pgpage: {page.origin} (block {page.blkno}): {d.describe()}",
                               err=True)
                    problems |= d.severity == "error"
            if fmt == "json":
                out.write(json.dumps(page_json(page, heap_blocks=heap_blocks, values=values))
                          + "\n")
            else:
                out.write(render_page(page, heap_blocks=heap_blocks, values=values) + "\n")
            if page.has_errors:
                problems = True
                for d in page.diagnostics:
                    click.echo(
                        f"pgpage: {page.origin} (block {page.blkno}): {d.describe()}", err=True
                    )
    except CorruptPageError as exc:
        click.echo(f"pgpage: {exc}", err=True)
        return EXIT_PROBLEMS
    return EXIT_PROBLEMS if problems else EXIT_OK


@main.command()
@click.argument("table", required=False)
@click.option("--dsn", help="Read TABLE's description from this server's catalog.")
@click.option("--live", is_flag=True,
              help="Read TABLE from the server the PG* variables name.")
@click.option("--columns", help='Write the schema of a hand-typed column list instead, e.g. '
                                '"id int8, name text".')
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
            from pageinspect_py.catalog.live import connect, describe_relation

            with connect(dsn) as conn:
                desc = describe_relation(conn, str(table))
    except PageInspectError as exc:
        _fail(str(exc))
    click.echo(json.dumps(description_json(desc), indent=1, ensure_ascii=False))


@main.command()
@click.argument("target")
@click.option("--dsn", help="Browse RELATION (TARGET) on this server through get_raw_page().")
@click.option("--live", is_flag=True,
              help="Browse TARGET as a relation on the server the PG* variables name.")
@click.option("--schema", "schema_file", type=click.Path(dir_okay=False),
              help="Relation description for tuple values or index keys (pgpage schema output, "
                   "a manifest entry, or a fixtures manifest.json).")
@click.option("--columns", help='Relation description as a column list, e.g. "id int8, name text".')
@click.option("--toast", "toast_path", type=click.Path(dir_okay=False),
              help="File of the relation's TOAST table (for out-of-line values).")
@click.option("--fork", type=click.Choice(["main", "fsm", "vm", "init"]), default=None,
              help="Relation fork (default: main, or the fork the file name says).")
@click.option("--block-size", type=click.Choice(["1024", "2048", "4096", "8192", "16384",
                                                  "32768"]), default=None,
              help="Block size (default: from the page header, else 8192).")
@click.option("--keymap", "keymap", multiple=True, metavar="ID=KEYS",
              help="Rebind a key by its binding id (F1 lists them), e.g. nav.find=ctrl+f; "
                   "repeatable. $PGPAGE_KEYMAP holds more, separated by ';'.")
@click.option("--theme", default=None, help="Textual theme (default: textual-dark).")
def tui(target: str, dsn: str | None, live: bool, schema_file: str | None,
        columns: str | None, toast_path: str | None, fork: str | None, block_size: str | None,
        keymap: tuple[str, ...], theme: str | None) -> None:
    """Browse a relation in a terminal UI: page map, fields beside hex, btree levels, TOAST.

    \b
    pgpage tui base/5/16384 --schema orders.json --toast base/5/16390
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
    spec = OpenSpec(
        path=None if live_mode else target,
        dsn=(dsn or "") if live_mode else None,
        relation=target if live_mode else None,
        schema=schema_file,
        columns=columns,
        toast=toast_path,
        fork=fork,
        block_size=int(block_size) if block_size else None,
    )
    sys.exit(run_tui(spec, keymap=bindings, theme=theme))

if __name__ == "__main__":  # pragma: no cover
    main()
