"""Opening what a command's TARGET names: a relation file, or a relation on a live server.

One place decides between the two, from the arguments the command was given (``dsn`` and
``live``), never by probing the source afterwards. The live branch imports psycopg; the file
branch does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pageinspect_py.errors import SourceError

if TYPE_CHECKING:
    from pageinspect_py.page.raw import PageSource
    from pageinspect_py.sources.live import LiveSource


def is_live(dsn: str | None, live: bool) -> bool:
    """TARGET names a relation on a server (``--dsn DSN`` or ``--live``)."""
    return dsn is not None or live


def open_file(target: str, first_block: int | None, block_size: int | None) -> PageSource:
    """TARGET as a relation file (plain, segmented or gzipped)."""
    from pageinspect_py.sources.file import FileSource

    if not Path(target).exists() and "/" not in target:
        raise SourceError(
            f"{target}: no such file (to read a relation from a server, pass --dsn DSN or --live)"
        )
    return FileSource(target, first_block=first_block, block_size=block_size)


def open_server(dsn: str | None, target: str) -> LiveSource:
    """TARGET as a relation on the server ``dsn`` names (None: the PG* environment)."""
    from pageinspect_py.sources.live import open_live

    return open_live(dsn, target)


def open_source(
    target: str, dsn: str | None, live: bool, first_block: int | None, block_size: int | None
) -> PageSource:
    """The page source TARGET names: a live relation with ``dsn``/``live``, else a file."""
    if is_live(dsn, live):
        return open_server(dsn, target)
    return open_file(target, first_block, block_size)


def is_btree_index(source: PageSource) -> bool:
    """The relation is a btree index: block 0 of its main fork is a btree metapage."""
    from pageinspect_py.decode.dispatch import detect_kind
    from pageinspect_py.decode.page import PageKind, parse_header

    if source.nblocks("main") == 0:
        return False
    data = source.read_page(0, "main").data
    if len(data) < 24:
        return False
    return detect_kind(data, parse_header(data), "main") is PageKind.BTREE_META
