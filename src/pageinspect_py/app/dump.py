"""``dump``: the pages of a relation fork, decoded, with tuple values or index keys.

:func:`open_dump` opens what TARGET names and finds the description its pages are decoded
with (a schema file, a column list, or the live catalog); :func:`dump_pages` yields one
:class:`DumpRecord` per block. Whether TARGET is a server relation is decided once, from the
command's arguments (``dsn``/``live``): the file branch never imports psycopg, and the live
branch holds a typed :class:`~pageinspect_py.sources.live.LiveSource` instead of probing a
source for what kind it is.

Given a transaction status source (``xacts``: a data directory's pg_xact and pg_multixact), each
heap tuple of the main fork gets its visibility verdict
(:func:`~pageinspect_py.analysis.visibility.tuple_visibility`); a hint bit pg_xact contradicts
is a problem with the page, reported with its line pointer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from pageinspect_py.app.open import is_live, open_file, open_server
from pageinspect_py.errors import BlockOutOfRangeError, SchemaError

if TYPE_CHECKING:
    from pageinspect_py.analysis.visibility import Visibility, XactSource
    from pageinspect_py.catalog.attributes import RelationDescription
    from pageinspect_py.catalog.index import IndexDescription
    from pageinspect_py.decode.common import Diagnostic
    from pageinspect_py.decode.heap import HeapPage
    from pageinspect_py.decode.page import Page
    from pageinspect_py.decode.tuple import PageValues
    from pageinspect_py.decode.varlena import ToastFetcher
    from pageinspect_py.page.raw import Fork, PageSource
    from pageinspect_py.sources.live import LiveSource


@dataclass(frozen=True, slots=True)
class Attributes:
    """A relation description and, when available, its TOAST table, for tuple values."""

    desc: RelationDescription
    toast: ToastFetcher | None


@dataclass(frozen=True, slots=True)
class DumpRelation:
    """What a dump reads: the source, the fork, and what its pages are decoded with."""

    source: PageSource
    fork: Fork
    #: tuple values of heap pages (None: no description given or found)
    attributes: Attributes | None = None
    #: typed keys on every page of an index (None: not an index, or no key columns)
    keys: IndexDescription | None = None
    #: transaction status for each heap tuple's verdict (None: no data directory)
    xacts: XactSource | None = None
    #: the index access method (pg_am.amname; None: not an index)
    amname: str | None = None
    #: the server major the pages come from, when known (pageinspect's columns by version)
    major: int | None = None


@dataclass(frozen=True, slots=True)
class DumpRecord:
    """One decoded block, its tuple values and what decoding them found."""

    page: Page
    values: PageValues | None
    #: problems with the tuple values (reported before the page)
    value_diagnostics: tuple[Diagnostic, ...]
    #: each heap tuple's verdict by line pointer number (None: no transaction status given)
    visibility: Mapping[int, Visibility] | None = None

    @property
    def visibility_diagnostics(self) -> tuple[Diagnostic, ...]:
        """Hint bits pg_xact contradicts, each naming its line pointer."""
        from pageinspect_py.decode.common import Diagnostic

        return tuple(
            Diagnostic(d.severity, d.code, f"lp {lp}: {d.message}", d.span)
            for lp, verdict in (self.visibility or {}).items()
            for d in verdict.diagnostics
        )

    @property
    def page_diagnostics(self) -> tuple[Diagnostic, ...]:
        """The page's diagnostics, reported when any of them is an error."""
        return self.page.diagnostics if self.page.has_errors else ()

    @property
    def has_errors(self) -> bool:
        """A value, a hint bit or the page itself is damaged (the command's "problems found")."""
        return (
            self.page.has_errors
            or any(d.severity == "error" for d in self.value_diagnostics)
            or any(v.diagnostics for v in (self.visibility or {}).values())
        )


def open_dump(
    target: str,
    *,
    dsn: str | None,
    live: bool,
    fork: str | None,
    first_block: int | None,
    block_size: int | None,
    schema_file: str | None,
    columns: str | None,
    toast_path: str | None,
    no_values: bool,
    stack: ExitStack,
    description: RelationDescription | None = None,
    index: IndexDescription | None = None,
    xacts: XactSource | None = None,
    major: int | None = None,
    force: bool = False,
) -> DumpRelation:
    """Open TARGET (closed with ``stack``) and find what its pages are decoded with.

    ``description`` is the relation's, found in a data directory's catalogs: used when
    neither ``schema_file`` nor ``columns`` is given; ``index`` likewise for a btree index;
    ``xacts`` that data directory's transaction status, for each heap tuple's verdict;
    ``major`` its server major (a live server's and a schema file's are read here)."""
    from pageinspect_py.app.btree import recorded_major
    from pageinspect_py.app.indexes import access_method_of

    if major is None and schema_file is not None:
        major = recorded_major(schema_file)

    if is_live(dsn, live):
        server = stack.enter_context(open_server(dsn, target))
        fork_name = cast("Fork", fork or server.given_fork)
        amname = access_method_of(server)
        keys = _live_index_keys(server, target, fork_name, schema_file, columns, no_values)
        attrs = (
            None
            if amname is not None
            else _live_attributes(
                server, fork_name, schema_file, columns, toast_path, no_values, stack
            )
        )
        return DumpRelation(server, fork_name, attrs, keys, None, amname, server.server.major)
    source = stack.enter_context(open_file(target, first_block, block_size))
    fork_name = cast("Fork", fork or source.given_fork)
    amname = access_method_of(source)
    keys = _file_index_keys(amname, target, fork_name, schema_file, columns)
    if keys is None and index is not None and fork_name == "main":
        keys = index
    attrs = None
    if amname is None:
        desc = _given_description(source, schema_file, columns, force) or description
        attrs = _attributes(desc, toast_path, stack)
    return DumpRelation(
        source, fork_name, attrs, keys, xacts if fork_name == "main" else None, amname, major
    )


def dump_pages(
    relation: DumpRelation, start: int, stop: int | None, *, strict: bool
) -> Iterator[DumpRecord]:
    """Blocks ``start`` to ``stop`` (inclusive; None: to the end), decoded one at a time.

    Raises :class:`BlockOutOfRangeError` before the first record when the fork is empty
    (naming the source's problems when they are why: an empty file, one partial block) or
    the range goes past its end, and :class:`CorruptPageError` at a damaged page when
    ``strict``.
    """
    _check_range(relation.source, relation.fork, start, stop)
    return _records(relation, start, stop, strict)


def heap_blocks(relation: DumpRelation) -> int | None:
    """The heap's size, which bounds the visibility map entries listed (None: not a VM)."""
    return relation.source.nblocks("main") if relation.fork == "vm" else None


# ----------------------------------------------------------------------------------------------


def _check_range(source: PageSource, fork: Fork, start: int, stop: int | None) -> None:
    nblocks = source.nblocks(fork)
    if nblocks == 0 and fork == source.given_fork and source.problems:
        # what is wrong with the file (empty, one partial block) is the whole story
        raise BlockOutOfRangeError("; ".join(str(p) for p in source.problems))
    if nblocks == 0:
        raise BlockOutOfRangeError(f"{source.name}: the {fork} fork has 0 blocks")
    if (stop is not None and stop >= nblocks) or start >= max(nblocks, 1):
        wanted = stop if stop is not None else start
        raise BlockOutOfRangeError(
            f"{source.name}: block {wanted} is out of range: the {fork} fork has "
            f"{nblocks} block{'s' if nblocks != 1 else ''}"
        )


def _records(
    relation: DumpRelation, start: int, stop: int | None, strict: bool
) -> Iterator[DumpRecord]:
    from pageinspect_py.app.indexes import decode_options
    from pageinspect_py.decode.dispatch import decode_page
    from pageinspect_py.decode.heap import HeapPage
    from pageinspect_py.decode.tuple import decode_page_values

    source, fork, attrs = relation.source, relation.fork, relation.attributes
    raws = source.pages(fork, start, None if stop is None else stop + 1)
    # an index's pages: typed keys where the key columns are known, a hash index's buckets
    # against its metapage's masks
    options = (
        decode_options(relation.amname, relation.keys, source, major=relation.major)
        if fork == "main"
        else {}
    )
    pages: Iterator[Page] = (decode_page(raw, strict=strict, **options) for raw in raws)
    for page in pages:
        values = None
        if attrs is not None and isinstance(page, HeapPage):
            values = decode_page_values(page, attrs.desc, toast=attrs.toast)
        visibility = None
        if relation.xacts is not None and isinstance(page, HeapPage):
            visibility = page_visibility(page, relation.xacts)
        yield DumpRecord(page, values, values.diagnostics if values is not None else (), visibility)


def page_visibility(page: HeapPage, xacts: XactSource) -> dict[int, Visibility]:
    """The verdict on each LP_NORMAL tuple of ``page``, by line pointer number."""
    from pageinspect_py import constants as C
    from pageinspect_py.analysis.visibility import tuple_visibility

    out = {}
    for item in page.items:
        if item.tuple is None or item.lp.lp_flags != C.LP_NORMAL:
            continue
        h = item.tuple.header
        out[item.lp.lp] = tuple_visibility(h.t_xmin, h.t_xmax, h.t_infomask, h.t_infomask2, xacts)
    return out


def _given_description(
    source: PageSource, schema_file: str | None, columns: str | None, force: bool = False
) -> RelationDescription | None:
    """The relation description from --schema or --columns, if either was given (a schema
    of another relation refused unless ``force``)."""
    from pageinspect_py.catalog.schema import description_from_columns, load_schema

    if schema_file is not None:
        return load_schema(schema_file, relation_file=source.path, force=force)
    if columns is not None:
        return description_from_columns(columns)
    return None


def _attributes(
    desc: RelationDescription | None, toast_path: str | None, stack: ExitStack
) -> Attributes | None:
    """``desc`` with the TOAST table in the file --toast names, if given."""
    if desc is None:
        if toast_path is not None:
            raise SchemaError("--toast needs a relation description: give --schema or --columns")
        return None
    if toast_path is not None:
        from pageinspect_py.decode.toast import ToastRelation
        from pageinspect_py.sources.file import FileSource

        toastrelid = desc.extra.get("reltoastrelid")
        toast_source = stack.enter_context(FileSource(toast_path))
        return Attributes(
            desc,
            ToastRelation(
                toast_source,
                toastrelid=toastrelid if isinstance(toastrelid, int) and toastrelid else None,
            ),
        )
    return Attributes(desc, None)


def _file_index_keys(
    amname: str | None, target: str, fork: Fork, schema_file: str | None, columns: str | None
) -> IndexDescription | None:
    """Key columns when the file is an index and --schema or --columns gives them (a schema
    file, a manifest entry or a whole manifest: the index TARGET's directory names)."""
    if fork != "main" or amname is None or (schema_file is None and columns is None):
        return None
    return _given_index_keys(target, schema_file, columns)


def _given_index_keys(
    target: str, schema_file: str | None, columns: str | None
) -> IndexDescription | None:
    from pageinspect_py.catalog.index import index_from_columns, load_index_schema

    if schema_file is not None:
        return load_index_schema(schema_file, relation=Path(target).parent.name)
    if columns is not None:
        return index_from_columns(columns)
    return None


#: the access methods whose index tuples hold typed keys (hash keeps hash codes)
_TYPED_KEYS = ("btree", "gin", "gist", "spgist", "brin")


def _live_index_keys(
    server: LiveSource,
    target: str,
    fork: Fork,
    schema_file: str | None,
    columns: str | None,
    no_values: bool,
) -> IndexDescription | None:
    """Key columns of a live index: --schema, --columns, else the catalog."""
    if fork != "main" or server.relation.amname not in _TYPED_KEYS:
        return None
    given = _given_index_keys(target, schema_file, columns)
    if given is not None or no_values:
        return given
    from pageinspect_py.sources.live_index import describe_index

    return describe_index(server.connection, server.relation.oid)


def _live_attributes(
    server: LiveSource,
    fork: Fork,
    schema_file: str | None,
    columns: str | None,
    toast_path: str | None,
    no_values: bool,
    stack: ExitStack,
) -> Attributes | None:
    """The description of a live relation: --schema, --columns, else the catalog; its TOAST
    table from --toast, else the server's."""
    desc = _given_description(server, schema_file, columns)
    if desc is None and not no_values and fork == "main":
        from pageinspect_py.sources.live_catalog import describe_relation

        if server.relation.amname == "heap" or server.relation.relkind == "S":
            desc = describe_relation(server.connection, server.relation.oid)
    if desc is None or toast_path is not None:
        return _attributes(desc, toast_path, stack)
    from pageinspect_py.decode.toast import ToastRelation
    from pageinspect_py.sources.live_toast import open_live_toast

    found = open_live_toast(server)
    toast = (
        None
        if found is None
        else ToastRelation(found.source, toastrelid=found.toastrelid, locate=found.locate)
    )
    return Attributes(desc, toast)
