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
    from pageinspect_py.decode.page import Page
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
) -> None:
    """Decode the pages of a relation file (TARGET is a path) or of a live relation.

    \b
    pgpage dump base/5/16384 --blocks 0:9
    pgpage dump fixtures/pg17/heap_types/16388.gz --format json
    pgpage dump --dsn 'host=/tmp dbname=app' public.orders --block 0
    """
    if block is not None and blocks is not None:
        _fail("give --block or --blocks, not both")
    start, stop = (block, block) if block is not None else (blocks or (0, None))
    try:
        with ExitStack() as stack:
            source = stack.enter_context(
                _open_source(
                    target, dsn, live, first_block, int(block_size) if block_size else None
                )
            )
            fork_name: Fork = fork or getattr(source, "given_fork", "main")  # type: ignore[assignment]
            code = _dump(source, fork_name, start, stop, fmt, strict)
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


def _dump(
    source: PageSource, fork: Fork, start: int, stop: int | None, fmt: str, strict: bool
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
    out = click.get_text_stream("stdout")
    pages: Iterator[Page] = (
        decode_page(raw, strict=strict)
        for raw in source.pages(fork, start, None if stop is None else stop + 1)
    )
    try:
        for page in pages:
            if fmt == "json":
                out.write(json.dumps(page_json(page, heap_blocks=heap_blocks)) + "\n")
            else:
                out.write(render_page(page, heap_blocks=heap_blocks) + "\n")
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


if __name__ == "__main__":  # pragma: no cover
    main()
