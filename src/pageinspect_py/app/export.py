"""``export``: a relation's rows read from a data directory, as ``COPY relation TO STDOUT``
would return them from a server started on it, or every tuple version.

:func:`open_export` finds the relation (through the data directory's own catalogs), its file,
its TOAST table (``reltoastrelid``; its file number may differ from its OID) and the column
names; :func:`export_rows` walks the main fork in physical (ctid) order and yields one
:class:`ExportRow` per tuple a query would see (``tuple_visibility(...).visible``: pg_xact and
pg_multixact decide, prepared transactions are in progress), or per tuple version with
``all_versions`` (dead, aborted and in-progress ones too, what pg_dirtyread shows), and one
:class:`Skipped` per damaged page or undecodable tuple: the caller reports it and goes on, or
stops.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from pageinspect_py import constants as C
from pageinspect_py.analysis.visibility import Visibility, XactSource, tuple_visibility
from pageinspect_py.app.datadir import Cluster, DataDirRelation, find_relation, open_cluster
from pageinspect_py.catalog.attributes import RelationDescription
from pageinspect_py.decode.align import att_align_nominal, att_align_pointer
from pageinspect_py.decode.common import Severity
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapItem, HeapPage, HeapTuple
from pageinspect_py.decode.output import (
    TypeInfo,
    datum_text,
    has_output,
    missing_value_text,
    output_function,
)
from pageinspect_py.decode.output.registry import BAD_BYTES
from pageinspect_py.decode.output.settings import (
    DEFAULT_DATESTYLE,
    OutputSettings,
    parse_datestyle,
    parse_extra_float_digits,
    session,
)
from pageinspect_py.decode.page import PageKind
from pageinspect_py.decode.toast import ToastRelation
from pageinspect_py.decode.tuple import AttributeStatus, decode_tuple_values
from pageinspect_py.decode.varlena import inline_payload
from pageinspect_py.errors import DataDirectoryError, PageInspectError
from pageinspect_py.page.heaptuple import tuple_header_problems
from pageinspect_py.page.raw import PageSource, SourceProblem
from pageinspect_py.sources.datadir.config import read_settings
from pageinspect_py.sources.file import FileSource

#: relkinds whose rows are exported: tables, materialized views, TOAST tables (COPY itself
#: takes only tables; the others are heaps all the same)
EXPORTABLE = frozenset("rmt")
_REFUSED = {
    "p": "a partitioned table has no rows of its own: export its partitions",
    "v": "a view has no storage",
    "c": "a composite type has no storage",
    "f": "a foreign table's rows are not in the data directory",
    "S": "a sequence is not a table",
    "i": "an index holds no rows",
    "I": "a partitioned index has no storage",
}
#: page diagnostics that make the whole page unreadable (the header, the checksum)
PAGE_DAMAGE = frozenset(
    {
        "pagesize-mismatch",
        "layout-version",
        "pd-flags",
        "pd-lower-upper",
        "pd-special",
        "pd-special-align",
        "checksum-mismatch",
        "new-page-not-zero",
    }
)
#: tuple header problems after which the tuple's data cannot be read
TUPLE_DAMAGE = frozenset({"t-hoff", "bitmap-past-hoff", "t-hoff-unexpected", "natts"})
#: the columns --all-versions puts first
VERSION_COLUMNS = ("ctid", "xmin", "xmax", "visibility", "visible")


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One tuple version: where it is, its header's transaction ids, the verdict on it and
    its values (the text of each column's output function, None for NULL)."""

    blkno: int
    lp: int
    t_xmin: int
    t_xmax: int
    visibility: Visibility
    values: tuple[str | None, ...]

    @property
    def ctid(self) -> str:
        return f"({self.blkno},{self.lp})"

    def version_values(self) -> tuple[str | None, ...]:
        """The --all-versions columns (:data:`VERSION_COLUMNS`) as text."""
        visible = self.visibility.visible
        return (
            self.ctid,
            str(self.t_xmin),
            str(self.t_xmax),
            self.visibility.verdict.value,
            None if visible is None else ("t" if visible else "f"),
        )


@dataclass(frozen=True, slots=True)
class Skipped:
    """A damaged page (``lp`` None) or an undecodable tuple, left out of the export."""

    blkno: int
    lp: int | None
    message: str

    def describe(self) -> str:
        where = f"block {self.blkno}" if self.lp is None else f"block {self.blkno} lp {self.lp}"
        return f"{where}: {self.message}"


@dataclass
class Export:
    """An opened relation to export (of a data directory, or live); close it (or use it as a
    context manager)."""

    name: str  #: the relation, schema-qualified
    description: RelationDescription
    source: PageSource
    toast: ToastRelation | None
    columns: tuple[str, ...]
    #: transaction status for the verdicts: the directory's pg_xact, or the server's
    xacts: XactSource
    #: what is wrong with the main fork's files (a partial block, a missing segment)
    problems: list[SourceProblem]
    _stack: ExitStack = field(repr=False)
    #: the data directory's and its relation, when the relation is one's
    cluster: Cluster | None = None
    relation: DataDirRelation | None = None
    #: looks the status of many xids up at once (a live server's round trips), or None
    prefetch: Callable[[list[int]], None] | None = None
    warnings: tuple[str, ...] = ()  #: said once before the rows (a server may be running)
    #: the session settings the values are printed with (TimeZone)
    settings: OutputSettings = field(default_factory=OutputSettings)

    @property
    def nblocks(self) -> int:
        return self.source.nblocks("main")

    def notes(self) -> list[str]:
        """What reading the catalogs found (said after the rows)."""
        return [] if self.cluster is None else list(self.cluster.catalog.problems)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Export:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def output_settings(
    gucs: dict[str, str],
    *,
    timezone: str | None = None,
    datestyle: str | None = None,
    intervalstyle: str | None = None,
    extra_float_digits: str | int | None = None,
) -> OutputSettings:
    """The settings a session with ``gucs`` (lower-case names: a data directory's
    configuration files, or a live session's) prints values with; the keyword arguments
    override them as a ``SET`` in that session would (a DateStyle naming only a style or only
    an order keeps the other from the configuration's). A value the server would reject is a
    SchemaError naming the setting."""
    zone = timezone or gucs.get("timezone") or "GMT"  # the server's default when unset
    configured = parse_datestyle(gucs.get("datestyle") or DEFAULT_DATESTYLE)
    style = parse_datestyle(datestyle, configured) if datestyle is not None else configured
    interval = intervalstyle or gucs.get("intervalstyle") or "postgres"
    digits = (
        extra_float_digits if extra_float_digits is not None else gucs.get("extra_float_digits")
    )
    settings = OutputSettings(
        timezone=zone,
        datestyle=style,
        intervalstyle=interval,
        extra_float_digits=(
            digits if isinstance(digits, int) else parse_extra_float_digits(digits or "1")
        ),
    )
    with session(settings):  # a TimeZone that is not a zone fails here, once
        pass
    return settings


def open_export(
    pgdata: str | os.PathLike[str] | Cluster,
    database: str | None,
    relation: str,
    *,
    timezone: str | None = None,
    datestyle: str | None = None,
    intervalstyle: str | None = None,
    extra_float_digits: str | int | None = None,
) -> Export:
    """The relation ``relation`` of ``database`` in the data directory ``pgdata``, opened,
    with the output settings a new session there would get (its postgresql.conf and
    postgresql.auto.conf; ``timezone``, ``datestyle``, ``intervalstyle`` and
    ``extra_float_digits`` override them: :func:`output_settings`).

    Raises :class:`DataDirectoryError` (or another PageInspectError) when it cannot be: not a
    data directory, no such database or relation, not a heap, its file missing.
    """
    cluster = pgdata if isinstance(pgdata, Cluster) else open_cluster(pgdata)
    settings = output_settings(
        read_settings(cluster.datadir.root),
        timezone=timezone,
        datestyle=datestyle,
        intervalstyle=intervalstyle,
        extra_float_digits=extra_float_digits,
    )
    found = find_relation(cluster, database, relation)
    cls = found.cls
    if cls.relkind not in EXPORTABLE:
        why = _REFUSED.get(cls.relkind, f"relkind {cls.relkind!r} is not a heap")
        raise DataDirectoryError(f"{cls.qualified}: {why}")
    if found.path is None or found.description is None:
        raise DataDirectoryError(f"{cls.qualified}: no storage")
    if not found.path.exists():
        raise DataDirectoryError(
            f"{cls.qualified}: its file {found.path} is not in this data directory"
        )
    stack = ExitStack()
    try:
        source = stack.enter_context(cluster.datadir.open_relation(found.path))
        toast = None
        if found.toast_path is not None and found.toast_path.exists():
            toast_source = stack.enter_context(cluster.datadir.open_relation(found.toast_path))
            toast = ToastRelation(toast_source, toastrelid=cls.reltoastrelid)
    except BaseException:
        stack.close()
        raise
    desc = found.description
    columns = tuple(a.attname for a in desc.attributes if not a.attisdropped)
    return Export(
        cls.qualified,
        desc,
        source,
        toast,
        columns,
        cluster.datadir.xacts,
        _file_problems(source),
        stack,
        cluster=cluster,
        relation=found,
        warnings=cluster.warnings,
        settings=settings,
    )


def _file_problems(source: FileSource) -> list[SourceProblem]:
    """The main fork's file problems; an empty first segment is an empty table, no problem."""
    segments = source.segments("main")
    main = {seg.path for seg in segments}
    empty = {seg.path for seg in segments if seg.segno == 0 and seg.size == 0}
    return [p for p in source.problems if Path(p.path) in main and Path(p.path) not in empty]


def open_live_export(
    dsn: str | None,
    relation: str,
    *,
    timezone: str | None = None,
    datestyle: str | None = None,
    intervalstyle: str | None = None,
    extra_float_digits: str | int | None = None,
) -> Export:
    """``relation`` on the server ``dsn`` names (None: the PG* environment), read through
    get_raw_page: its description and TOAST table from the catalog, the verdicts from the
    server's transaction status (txid_status, pg_get_multixact_members)."""
    from pageinspect_py.app.open import open_server
    from pageinspect_py.decode.toast import ToastRelation
    from pageinspect_py.sources.live_catalog import describe_relation
    from pageinspect_py.sources.live_toast import open_live_toast
    from pageinspect_py.sources.live_xacts import LiveXacts
    from pageinspect_py.sources.queries.server import output_gucs

    stack = ExitStack()
    try:
        live = stack.enter_context(open_server(dsn, relation))
        kind = live.relation.relkind
        if kind not in EXPORTABLE:
            why = _REFUSED.get(kind, f"relkind {kind!r} is not a heap")
            raise DataDirectoryError(f"{live.relation.qualified_name}: {why}")
        desc = describe_relation(live.connection, live.relation.oid)
        found = open_live_toast(live)
        toast = (
            None
            if found is None
            else ToastRelation(found.source, toastrelid=found.toastrelid, locate=found.locate)
        )
        xacts = LiveXacts(live.connection)
        gucs = output_gucs(live.connection)
        settings = output_settings(
            {
                "timezone": gucs.timezone,
                "datestyle": gucs.datestyle,
                "intervalstyle": gucs.intervalstyle,
                "extra_float_digits": gucs.extra_float_digits,
            },
            timezone=timezone,
            datestyle=datestyle,
            intervalstyle=intervalstyle,
            extra_float_digits=extra_float_digits,
        )
    except BaseException:
        stack.close()
        raise
    columns = tuple(a.attname for a in desc.attributes if not a.attisdropped)
    return Export(
        live.relation.qualified_name,
        desc,
        live,
        toast,
        columns,
        xacts,
        list(live.problems),
        stack,
        prefetch=xacts.prefetch,
        settings=settings,
    )


#: what an output function or the byte walk may raise on bad bytes
_BAD_BYTES: tuple[type[Exception], ...] = (PageInspectError, *BAD_BYTES)


class _FastValues:
    """The values of a well-formed tuple, without the span model of decode_tuple_values: the
    same walk (heap_deform_tuple's alignment and lengths), the same output functions on the
    same bytes; compressed and out-of-line values go through datum_text as there. Anything
    unusual (a damaged length, bad bytes, a type without an output function) returns None,
    and the caller decodes that tuple with decode_tuple_values, which says what is wrong."""

    def __init__(self, desc: RelationDescription, toast: ToastRelation | None) -> None:
        self.toast = toast
        self.natts = desc.natts
        plan = []
        usable = True
        for att in desc.attributes:
            info = TypeInfo.of(att, desc.types)
            fn = None if att.attisdropped else output_function(info)
            if not att.attisdropped and (fn is None or not has_output(info)):
                usable = False
            missing = None
            if att.atthasmissing and att.attmissingval is not None:
                missing = missing_value_text(att.attmissingval)
            plan.append(
                (
                    att.attnum,
                    att.attlen,
                    att.attalign,
                    att.attisdropped,
                    info,
                    fn,
                    missing,
                )
            )
        self.plan = tuple(plan)
        self.usable = usable

    def values(self, tup: HeapTuple) -> tuple[str | None, ...] | None:
        data = tup.t_data
        natts = tup.header.natts
        if data is None or natts > self.natts:
            return None
        bits = tup.t_bits
        out: list[str | None] = []
        off = 0
        size = len(data)
        try:
            for attnum, attlen, attalign, dropped, info, fn, missing in self.plan:
                if attnum > natts:
                    if not dropped:
                        out.append(missing)
                    continue
                if bits is not None and (attnum > len(bits) or bits[attnum - 1] == "0"):
                    if not dropped:
                        out.append(None)
                    continue
                if attlen == -1:
                    off = att_align_pointer(off, attalign, -1, data[off])
                    end, payload = inline_payload(data, off)
                elif attlen > 0:
                    off = att_align_nominal(off, attalign)
                    end = off + attlen
                    payload = data[off:end]
                else:
                    nul = data.find(b"\x00", off)
                    if nul < 0:
                        return None
                    end = nul + 1
                    payload = data[off:nul]
                if end > size:
                    return None
                if not dropped:
                    assert fn is not None
                    if payload is None:
                        out.append(datum_text(info, data[off:end], self.toast))
                    else:
                        out.append(fn(payload, info))
                off = end
        except _BAD_BYTES:
            return None
        return tuple(out)


def export_rows(
    export: Export,
    *,
    all_versions: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Iterator[ExportRow | Skipped]:
    """The relation's rows in physical order (only the visible ones unless
    ``all_versions``), with a :class:`Skipped` wherever a page or a tuple cannot be read.
    ``progress`` is called with 1 after each block."""
    with session(export.settings):
        yield from _rows(export, all_versions, progress)


def _rows(
    export: Export, all_versions: bool, progress: Callable[[int], None] | None
) -> Iterator[ExportRow | Skipped]:
    xacts = export.xacts
    desc = export.description
    toast = export.toast
    fast = _FastValues(desc, toast)
    for raw in export.source.pages("main"):
        blkno = raw.blkno
        try:
            page = decode_page(raw)
        except PageInspectError as exc:
            yield Skipped(blkno, None, str(exc))
            if progress is not None:
                progress(1)
            continue
        if not isinstance(page, HeapPage):
            if page.kind is not PageKind.NEW:
                errors = [d.message for d in page.diagnostics if d.severity is Severity.ERROR]
                why = f"not a heap page ({page.kind.value})"
                yield Skipped(blkno, None, "; ".join([why, *errors]))
            if progress is not None:
                progress(1)
            continue
        damage = [
            d for d in page.diagnostics if d.severity is Severity.ERROR and d.code in PAGE_DAMAGE
        ]
        if damage:
            yield Skipped(blkno, None, "; ".join(d.message for d in damage))
        else:
            if export.prefetch is not None:
                export.prefetch(
                    [
                        x
                        for item in page.items
                        if item.tuple is not None
                        for x in (item.tuple.header.t_xmin, item.tuple.header.t_xmax)
                    ]
                )
            for item in page.items:
                if item.lp.lp_flags != C.LP_NORMAL:
                    continue
                yield from _item_row(page, item, desc, toast, fast, xacts, all_versions)
        if progress is not None:
            progress(1)


def _item_row(
    page: HeapPage,
    item: HeapItem,
    desc: RelationDescription,
    toast: ToastRelation | None,
    fast: _FastValues,
    xacts: XactSource,
    all_versions: bool,
) -> Iterator[ExportRow | Skipped]:
    blkno, lp = page.blkno, item.lp.lp
    tup = item.tuple
    if tup is None or tup.t_data is None:
        yield Skipped(blkno, lp, _item_problem(page, item) or "not a readable tuple")
        return
    h = tup.header
    damage = set(
        tuple_header_problems(
            item.lp.lp_len, h.t_xmin, h.t_xmax, h.t_infomask2, h.t_infomask, h.t_hoff
        )
    )
    if damage & TUPLE_DAMAGE:
        yield Skipped(blkno, lp, _item_problem(page, item) or ", ".join(sorted(damage)))
        return
    verdict = tuple_visibility(h.t_xmin, h.t_xmax, h.t_infomask, h.t_infomask2, xacts)
    if not all_versions and verdict.visible is not True:
        if verdict.visible is None:  # a server would know; this copy cannot tell
            yield Skipped(blkno, lp, f"visibility unknown: {verdict.reason}")
        return
    found = fast.values(tup) if fast.usable else None
    if found is not None:
        yield ExportRow(blkno, lp, h.t_xmin, h.t_xmax, verdict, found)
        return
    values = decode_tuple_values(tup, lp, desc, toast=toast)
    texts: list[str | None] = []
    for a in values.attributes:
        if a.dropped:
            continue
        if a.status is AttributeStatus.UNREADABLE or not a.decoded:
            yield Skipped(blkno, lp, f"column {a.attname}: {a.error or 'cannot be decoded'}")
            return
        texts.append(a.text)
    yield ExportRow(blkno, lp, h.t_xmin, h.t_xmax, verdict, tuple(texts))


def _item_problem(page: HeapPage, item: HeapItem) -> str | None:
    """The page's error diagnostics about this item (its line pointer or its bytes)."""
    lp_span, item_span = item.lp.span, item.lp.item_span
    found = [
        d.message
        for d in page.diagnostics
        if d.severity is Severity.ERROR
        and d.span is not None
        and (
            (lp_span.start <= d.span.start and d.span.stop <= lp_span.stop)
            or (item_span.start <= d.span.start and d.span.stop <= item_span.stop)
        )
    ]
    return "; ".join(found) or None


__all__ = [
    "EXPORTABLE",
    "VERSION_COLUMNS",
    "Export",
    "ExportRow",
    "Skipped",
    "export_rows",
    "open_export",
]
