"""What the TUI browses, without Textual: sources, a thread-safe page cache and block fills.

Screens run the slow parts (reading, decoding, scanning) in worker threads; everything here is
safe to call from any thread. Sources are not thread-safe (gzip handles, one psycopg
connection), so every read goes through one lock; decoding happens outside it.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pageinspect_py.analysis.pagefill import (
    FillTotals,
    PageFill,
    chunk_fills,
    fill_from_page,
    page_fill,
)
from pageinspect_py.catalog.attributes import RelationDescription
from pageinspect_py.catalog.index import IndexDescription
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.decode.varlena import ToastFetcher
from pageinspect_py.errors import PageInspectError, SourceError
from pageinspect_py.page.raw import Fork, PageSource, RawPage

if TYPE_CHECKING:
    from pageinspect_py.advice.advise import Advice
    from pageinspect_py.advice.model import Geometry
    from pageinspect_py.analysis.btree import BtreeIndex, BtreeStatistics, Finding
    from pageinspect_py.decode.toast import ToastRelation
    from pageinspect_py.render.tree import PageDetail
    from pageinspect_py.sources.live import LiveSource


@dataclass(frozen=True, slots=True)
class OpenSpec:
    """What the user asked to open (from the command line)."""

    path: str | None = None
    dsn: str | None = None
    relation: str | None = None
    schema: str | None = None
    columns: str | None = None  #: a column list instead of a schema file
    toast: str | None = None
    fork: str | None = None
    block_size: int | None = None
    #: found in a data directory's catalogs (used when no --schema/--columns is given)
    description: RelationDescription | None = None
    index: IndexDescription | None = None
    #: a data directory: ``relation`` of database ``database`` in it, found by its catalogs
    pgdata: str | None = None
    database: str | None = None
    major: int | None = None  #: the data directory's (pgstatindex() as that major computes)

    @property
    def title(self) -> str:
        if self.dsn is not None:
            return f"{self.relation} (live)"
        if self.pgdata is not None and self.relation is not None:
            return f"{self.relation} ({self.database})"
        path = Path(self.path or "?")
        return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


class PageStore:
    """One relation fork: its block count, raw pages, decoded pages (LRU) and block fills."""

    def __init__(
        self,
        source: PageSource,
        fork: Fork = "main",
        *,
        cache_pages: int = 64,
        description: RelationDescription | None = None,
        index: IndexDescription | None = None,
        toast: ToastFetcher | None = None,
        major: int | None = None,
    ) -> None:
        self.source = source
        #: the server major the pages come from (live, or recorded in the schema file): the
        #: figures that differ by version (pgstatindex) are computed as that major does
        self.major = major
        self.fork: Fork = fork
        self.description = description
        self.index = index
        self.toast = toast
        #: decode_page's options for main-fork pages (app/indexes.py), found on first use
        self._options: dict[str, Any] | None = None
        self._io = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[int, PageDetail] = OrderedDict()
        self._cache_pages = cache_pages
        self._fills: dict[int, PageFill] = {}
        #: blocks whose fill is final: with a relation description, heap blocks are first
        #: summed by the bulk path (fast, the map at once) and then measured again with the
        #: padding between attributes (:meth:`refine_block`)
        self._exact: set[int] = set()
        self._totals = FillTotals()
        self._totals_lock = threading.Lock()
        self._unreadable: dict[int, str] = {}
        self._nblocks: int | None = None
        #: messages about the files themselves (partial blocks, missing segments)
        self.problems: list[str] = [f"{p.path}: {p.message}" for p in source.problems]

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def block_size(self) -> int:
        return self.source.block_size

    def nblocks(self, *, refresh: bool = False) -> int:
        if self._nblocks is None or refresh:
            with self._io:
                self._nblocks = self.source.nblocks(self.fork)
        return self._nblocks

    def read(self, blkno: int) -> RawPage:
        with self._io:
            return self.source.read_page(blkno, self.fork)

    # -- decoded pages ----------------------------------------------------------------------

    def cached(self, blkno: int) -> PageDetail | None:
        with self._cache_lock:
            detail = self._cache.get(blkno)
            if detail is not None:
                self._cache.move_to_end(blkno)
            return detail

    def detail(self, blkno: int) -> PageDetail:
        """The decoded page with its field tree; read and decoded on first use, then cached."""
        from pageinspect_py.render.tree import build_detail

        detail = self.cached(blkno)
        if detail is not None:
            return detail
        raw = self.read(blkno)
        page = self.decode(raw)
        detail = build_detail(page, self.description, toast=self.toast)
        with self._cache_lock:
            self._cache[blkno] = detail
            while len(self._cache) > self._cache_pages:
                self._cache.popitem(last=False)
        self._remember(detail.fill, exact=True)
        return detail

    def decode(self, raw: RawPage) -> Page:
        """Decode one page: an index's with its method's options (typed keys when the index
        is described, a hash index's metapage, a BRIN index's)."""
        if raw.fork != "main":
            return decode_page(raw)
        if self._options is None:
            from pageinspect_py.app.indexes import access_method_of, decode_options

            amname = access_method_of(self.source)
            self._options = decode_options(amname, self.index, self.source, major=self.major)
        return decode_page(raw, **self._options)

    # -- fills (the page map) ---------------------------------------------------------------

    def fill(self, blkno: int) -> PageFill | None:
        return self._fills.get(blkno)

    def unreadable(self, blkno: int) -> str | None:
        return self._unreadable.get(blkno)

    def scanned(self) -> int:
        return len(self._fills) + len(self._unreadable)

    def scan_block(self, blkno: int) -> PageFill | None:
        """Read one block and sum what fills it; a block that cannot be read is remembered."""
        known = self._fills.get(blkno)
        if known is not None:
            return known
        try:
            raw = self.read(blkno)
        except SourceError as exc:
            self._unreadable[blkno] = str(exc)
            if _is_connection_error(exc):
                raise
            return None
        fill = page_fill(
            raw.data, raw.blkno, fork=raw.fork, checksum_verifiable=raw.checksum_verifiable
        )
        self._remember(fill, exact=not self._refinable(fill))
        return fill

    def scan_run(self, start: int, stop: int) -> None:
        """Blocks ``start .. stop - 1`` read at once and summed by the numpy kernel
        (``analysis.pagefill.chunk_fills``: the same figures as :meth:`scan_block`); a run
        that cannot be read is read again block by block, so each bad block is named."""
        verifiable = self.source.checksum_verifiable
        try:
            with self._io:
                for chunk in self.source.chunks(self.fork, start, stop, pages=stop - start):
                    for fill in chunk_fills(chunk, checksum_verifiable=verifiable):
                        self._remember(fill, exact=not self._refinable(fill))
        except SourceError as exc:
            if _is_connection_error(exc):
                raise
            for blkno in range(start, stop):  # each unreadable block named on its own
                if blkno not in self._fills:
                    self.scan_block(blkno)

    def _refinable(self, fill: PageFill) -> bool:
        """Whether the bulk figures of this block leave out the padding between attributes."""
        return self.description is not None and fill.kind in (PageKind.HEAP, PageKind.SEQUENCE)

    def refine_block(self, blkno: int) -> PageFill | None:
        """Measure a block again with the padding between attributes (a described heap); the
        map and the totals take the new figures."""
        fill = self._fills.get(blkno)
        if fill is None or blkno in self._exact:
            return fill
        try:
            raw = self.read(blkno)
        except SourceError as exc:
            if _is_connection_error(exc):
                raise
            return fill
        exact = self.fill_of(raw)
        self._remember(exact, exact=True)
        return exact

    def refined(self, blkno: int | None = None) -> bool:
        """Block ``blkno`` (else every block read) has its final figures."""
        if blkno is not None:
            return blkno in self._exact
        return len(self._exact) >= len(self._fills)

    def fill_of(self, raw: RawPage) -> PageFill:
        """What fills one block, as the Page screen counts it: the bulk path, and for a heap
        page of a described relation the decoder, so that the padding between attributes
        counts as padding (``analysis.pagefill.attribute_padding``; ~7x slower per block)."""
        fill = page_fill(
            raw.data, raw.blkno, fork=raw.fork, checksum_verifiable=raw.checksum_verifiable
        )
        description = self.description
        if description is None or not self._refinable(fill):
            return fill
        from pageinspect_py.decode.heap import HeapPage
        from pageinspect_py.decode.tuple import decode_page_values

        try:
            page = self.decode(raw)
            if not isinstance(page, HeapPage):
                return fill
            values = decode_page_values(page, description, text=False)
        except Exception:  # a decoder bug must not lose the block: its bulk figures stand
            return fill
        return fill_from_page(page, values)

    def _remember(self, fill: PageFill, *, exact: bool) -> None:
        """Keep a block's figures: the first ones, or final ones replacing bulk ones."""
        with self._totals_lock:
            old = self._fills.get(fill.blkno)
            if old is not None:
                if not exact or fill.blkno in self._exact:
                    return
                self._totals.remove(old)
            self._fills[fill.blkno] = fill
            self._totals.add(fill)
            if exact:
                self._exact.add(fill.blkno)

    def scan(
        self,
        order: Iterable[int],
        *,
        cancelled: Callable[[], bool],
        progress: Callable[[int], None],
        every: int = 64,
        running: threading.Event | None = None,
    ) -> None:
        """Scan blocks in ``order``, calling ``progress(done)`` every ``every`` blocks: every
        block by the bulk path first, then (a described heap) each again with the padding
        between attributes, in the same order.

        While ``running`` is clear the scan waits (the map is not on screen), so the UI
        thread has the interpreter to itself; between blocks it yields the GIL.
        """
        order = list(order)
        done = 0
        # the bulk pass in runs of consecutive blocks, on the kernel (visible blocks first)
        for start, stop in _runs([b for b in order if b not in self._fills], RUN_BLOCKS):
            while running is not None and not running.wait(0.1):
                if cancelled():
                    return
            if cancelled():
                return
            self.scan_run(start, stop)
            time.sleep(0)  # let the UI thread take the GIL now, not after the switch
            before = done
            done += stop - start
            if done // every != before // every:
                progress(done)
        for final in (False, True):
            for blkno in order:
                while running is not None and not running.wait(0.1):
                    if cancelled():
                        return
                if cancelled():
                    return
                if blkno in self._unreadable:
                    continue
                if final:
                    if blkno in self._exact or blkno not in self._fills:
                        continue
                    self.refine_block(blkno)
                else:
                    if blkno in self._fills:
                        continue
                    self.scan_block(blkno)
                time.sleep(0)  # let the UI thread take the GIL now, not after the switch
                done += 1
                if done % every == 0:
                    progress(done)
        progress(done)

    def totals(self) -> FillTotals:
        """Sums over the blocks read so far (kept up to date as blocks are read)."""
        with self._totals_lock:
            total = copy.copy(self._totals)
            total.bytes = list(total.bytes) if total.bytes is not None else None
            return total

    def forget(self) -> None:
        """Drop everything cached (after a reload)."""
        with self._cache_lock:
            self._cache.clear()
        with self._totals_lock:
            self._fills.clear()
            self._exact.clear()
            self._totals = FillTotals()
        self._unreadable.clear()
        self._nblocks = None

    def close(self) -> None:
        with self._io:
            self.source.close()


def _is_connection_error(exc: Exception) -> bool:
    from pageinspect_py.errors import ConnectionFailedError

    return isinstance(exc, ConnectionFailedError)


#: blocks the page map reads and sums at once (a run takes ~25 ms: the UI stays responsive)
RUN_BLOCKS = 1024


def _runs(blocks: list[int], most: int) -> list[tuple[int, int]]:
    """Consecutive stretches of ``blocks`` (in their order) as ``(start, stop)``, at most
    ``most`` blocks each."""
    runs: list[tuple[int, int]] = []
    for blkno in blocks:
        if runs and runs[-1][1] == blkno and runs[-1][1] - runs[-1][0] < most:
            runs[-1] = (runs[-1][0], blkno + 1)
        else:
            runs.append((blkno, blkno + 1))
    return runs


def scan_order(nblocks: int, first: Iterable[int]) -> list[int]:
    """Blocks to scan: ``first`` (the visible ones) and then every other block in order."""
    seen: set[int] = set()
    order: list[int] = []
    for blkno in first:
        if 0 <= blkno < nblocks and blkno not in seen:
            seen.add(blkno)
            order.append(blkno)
    order.extend(b for b in range(nblocks) if b not in seen)
    return order


@dataclass(slots=True)
class Session:
    """Everything opened for one TUI run."""

    spec: OpenSpec
    main: PageStore
    #: the TOAST relation (offline --toast FILE, or live), for detoasting and the TOAST view
    toast: ToastRelation | None = None
    description: RelationDescription | None = None
    index: IndexDescription | None = None
    #: what could not be loaded beside the main relation (schema, TOAST), shown in the app
    warnings: list[str] = field(default_factory=list)
    #: relations one step away (indexes, TOAST table, the table of an index), to switch to
    related: tuple[Related, ...] = ()

    @property
    def title(self) -> str:
        """The relation's name when a description names it, else the file (or live name)."""
        name = (
            self.index.relname
            if self.index is not None
            else self.description.relname
            if self.description is not None
            else None
        )
        return f"{name} ({self.spec.title})" if name else self.spec.title

    @property
    def short_title(self) -> str:
        if self.index is not None:
            return self.index.relname
        if self.description is not None:
            return self.description.relname
        return self.spec.title

    def close(self) -> None:
        self.main.close()
        if self.toast is not None:
            self.toast.source.close()


@dataclass(frozen=True, slots=True)
class Related:
    """A relation the session can switch to, and how to open it."""

    label: str
    spec: OpenSpec


def _datadir_spec(spec: OpenSpec) -> tuple[OpenSpec, tuple[Related, ...], list[str]]:
    """``spec``'s data-directory relation as a file spec with what the catalogs say of it."""
    from dataclasses import replace

    from pageinspect_py.app.datadir import find_relation, open_cluster, related_relations

    assert spec.pgdata is not None
    cluster = open_cluster(spec.pgdata)
    rel = find_relation(cluster, spec.database, spec.relation or "")
    if rel.path is None:
        raise SourceError(f"{rel.cls.qualified} has no storage (relkind {rel.cls.relkind!r})")
    given = spec.schema is not None or spec.columns is not None
    resolved = replace(
        spec,
        path=str(rel.path),
        toast=spec.toast or (None if given or rel.toast_path is None else str(rel.toast_path)),
        description=None if given else rel.description,
        index=None if given else rel.index,
        major=cluster.datadir.major,
    )
    related = tuple(
        Related(
            r.label,
            OpenSpec(
                pgdata=spec.pgdata,
                database=rel.database.datname,
                relation=r.name,
                block_size=spec.block_size,
            ),
        )
        for r in related_relations(rel)
    )
    return resolved, related, [*cluster.warnings, *cluster.problems]


def open_session(spec: OpenSpec) -> Session:
    """Open the sources ``spec`` names. Raises PageInspectError when the relation itself fails;
    a schema or TOAST relation that cannot be opened becomes a warning instead."""
    from pageinspect_py.decode.toast import ToastRelation

    if spec.pgdata is not None:
        resolved, neighbours, notes = _datadir_spec(spec)
        session = open_session(replace_pgdata(resolved))
        session.spec = spec
        session.related = neighbours
        session.warnings[:0] = notes
        return session

    warnings: list[str] = []
    major: int | None = None
    description: RelationDescription | None = None
    index: IndexDescription | None = None
    toast: ToastRelation | None = None
    related: tuple[Related, ...] = ()
    if spec.dsn is not None:
        from pageinspect_py.sources.live import LiveSource, open_live

        live = open_live(spec.dsn, spec.relation or "")
        source: PageSource = live
        fork: Fork = spec.fork or "main"  # type: ignore[assignment]
        if spec.schema is not None or spec.columns is not None:
            description, index = _load_schema(spec, warnings)
        if live.relation.amname == "btree":
            # the key columns and the major as pgpage btree takes them: typed keys (and their
            # padding) from the catalog unless given, pgstatindex() as this server computes it
            from pageinspect_py.app.btree import KeyColumns, live_key_columns, recorded_major

            given = KeyColumns(index, recorded_major(spec.schema) if spec.schema else None)
            try:
                keys = live_key_columns(live, given)
                index, major = keys.index, keys.major
            except PageInspectError as exc:
                warnings.append(f"index keys: {exc}")
                major = live.server.major
        else:
            major = live.server.major
            if index is None and live.relation.amname in ("gin", "gist", "spgist", "brin"):
                try:  # typed keys and values from the catalog
                    from pageinspect_py.sources.live_index import describe_index

                    index = describe_index(live.connection, live.relation.oid)
                except PageInspectError as exc:
                    warnings.append(f"index keys: {exc}")
            if description is None and (
                live.relation.amname == "heap" or live.relation.relkind == "S"
            ):
                try:
                    from pageinspect_py.sources.live_catalog import describe_relation

                    description = describe_relation(live.connection, live.relation.oid)
                except PageInspectError as exc:
                    warnings.append(f"attribute values: {exc}")
        related = _live_related(spec, live, warnings)
        if description is not None:
            try:
                from pageinspect_py.sources.live_toast import open_live_toast

                assert isinstance(live, LiveSource)
                found = open_live_toast(live)
                if found is not None:
                    toast = ToastRelation(
                        found.source, toastrelid=found.toastrelid, locate=found.locate
                    )
            except PageInspectError as exc:
                warnings.append(f"TOAST table: {exc}")
    else:
        from pageinspect_py.sources.file import FileSource

        if spec.path is None:
            raise SourceError("no relation file given")
        file_source = FileSource(spec.path, block_size=spec.block_size)
        source = file_source
        fork = spec.fork or file_source.given_fork  # type: ignore[assignment]
        if spec.schema is not None or spec.columns is not None:
            description, index = _load_schema(spec, warnings)
        else:
            description, index = spec.description, spec.index
        if spec.schema is not None:  # the server major the schema file records, as pgpage btree
            from pageinspect_py.app.btree import recorded_major

            major = recorded_major(spec.schema)
        elif spec.major is not None:
            major = spec.major
        if spec.toast is not None:
            try:
                toastrelid = description.extra.get("reltoastrelid") if description else None
                toast = ToastRelation(
                    FileSource(spec.toast),
                    toastrelid=toastrelid if isinstance(toastrelid, int) and toastrelid else None,
                )
            except PageInspectError as exc:
                warnings.append(f"TOAST relation {spec.toast}: {exc}")
    main = PageStore(source, fork, description=description, index=index, toast=toast, major=major)
    return Session(spec, main, toast, description, index, warnings, related)


def _live_related(spec: OpenSpec, live: LiveSource, warnings: list[str]) -> tuple[Related, ...]:
    """The live relation's indexes, TOAST table, or table, from the server's catalog."""
    import psycopg

    from pageinspect_py.app.datadir import RelatedRelation, relation_kind
    from pageinspect_py.sources.queries.related import related_relations

    try:
        rows = related_relations(live.connection, live.relation.oid)
    except psycopg.Error as exc:
        warnings.append(f"related relations: {str(exc).strip().splitlines()[0]}")
        return ()
    return tuple(
        Related(
            RelatedRelation(r.role, r.name, relation_kind(r.relkind, r.amname)).label,
            OpenSpec(dsn=spec.dsn, relation=r.name, block_size=spec.block_size),
        )
        for r in rows
    )


def replace_pgdata(spec: OpenSpec) -> OpenSpec:
    """The same spec read as a plain file (its data directory already resolved)."""
    from dataclasses import replace

    return replace(spec, pgdata=None, database=None, relation=None)


def _load_schema(
    spec: OpenSpec, warnings: list[str]
) -> tuple[RelationDescription | None, IndexDescription | None]:
    """A heap description or an index description from ``--schema`` (or ``--columns``);
    problems become warnings."""
    try:
        if spec.columns is not None:
            from pageinspect_py.catalog.schema import description_from_columns

            return description_from_columns(spec.columns), None
        assert spec.schema is not None
        return load_description(Path(spec.schema), spec.path)
    except (PageInspectError, OSError, ValueError) as exc:
        warnings.append(f"schema {spec.schema or spec.columns}: {exc}")
        return None, None


def load_description(
    path: Path, relation_file: str | None = None
) -> tuple[RelationDescription | None, IndexDescription | None]:
    """Read a schema file: ``pgpage schema`` output, a manifest relation entry (an index
    entry gives an index description), or a whole fixture ``manifest.json``, whose entry for
    ``relation_file`` (matched by file name) is used."""
    from pageinspect_py.catalog.index import index_from_manifest
    from pageinspect_py.catalog.schema import description_from_json, read_schema_json

    obj = read_schema_json(path, relation_file)
    if isinstance(obj, dict) and isinstance(obj.get("index"), dict):
        return None, index_from_manifest(obj)
    return description_from_json(obj, source=str(path)), None


@dataclass(frozen=True, slots=True)
class BtreeReport:
    """The B-tree screen's statistics: what ``pgpage btree`` reports for the same index."""

    index: BtreeIndex
    statistics: BtreeStatistics
    findings: tuple[Finding, ...]


def btree_report(
    store: PageStore,
    *,
    cancelled: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int], None] | None = None,
) -> BtreeReport:
    """Read every page of the index (cached ones reused) and compute the per-level figures,
    ``pgstatindex()`` as the store's server major computes it, and the structural checks:
    the same ``analysis.btree`` computation as ``pgpage btree``, with the same key
    description and major."""
    from pageinspect_py.analysis.btree import build_index

    nblocks = store.nblocks()

    def pages() -> Iterator[tuple[int, Page]]:
        for blkno in range(nblocks):
            if cancelled():
                return
            cached = store.cached(blkno)
            if cached is not None:
                yield blkno, cached.page
                continue
            try:
                yield blkno, store.decode(store.read(blkno))
            except PageInspectError:
                continue

    index = build_index(
        pages(),
        nblocks=nblocks,
        loader=lambda b: store.decode(store.read(b)),
        index=store.index,
        name=store.name,
        progress=progress,
    )
    return BtreeReport(index, index.statistics(store.major), index.check())


#: seconds the Layout screen lets the order search run (``pgpage layout-advice``'s default)
LAYOUT_SEARCH_SECONDS = 1.5
#: rows sampled live, and the REPEATABLE seed (``pgpage layout-advice``'s defaults)
LAYOUT_SAMPLE_ROWS = 10_000
LAYOUT_SEED = 0


@dataclass(frozen=True, slots=True)
class LayoutReport:
    """The Layout screen's figures: what ``pgpage layout-advice FILE --schema`` reports."""

    advice: Advice
    geometry: Geometry  #: the storage model's (block size, fillfactor, TOAST)
    pages_read: int
    skipped_dead: int
    skipped_damaged: int


def layout_report(
    store: PageStore,
    description: RelationDescription,
    *,
    cancelled: Callable[[], bool] = lambda: False,
    search_seconds: float = LAYOUT_SEARCH_SECONDS,
    live: tuple[str, str] | None = None,
) -> LayoutReport | None:
    """Advice on the column order, computed as ``pgpage layout-advice`` computes it, so both
    predict the same pages. Offline: every live-looking tuple of the relation's pages with the
    storage model of the description (fillfactor, TOAST), the same ``advice.offline`` rows,
    table and ``advise`` call as ``layout-advice FILE --schema``. Live (``live`` = (dsn,
    relation)): ``app.advice.advise_live``, the command's own use case (its sample, pgstattuple
    measurements, search). None when cancelled."""
    from pageinspect_py.advice.advise import advise
    from pageinspect_py.advice.offline import rows_from_pages, table_from_description
    from pageinspect_py.decode.heap import HeapPage
    from pageinspect_py.errors import AdviceError

    if live is not None:
        from pageinspect_py.app.advice import TableAdvice, advise_live

        dsn, relation = live
        for result in advise_live(
            relation,
            dsn,
            sample_rows=LAYOUT_SAMPLE_ROWS,
            seed=LAYOUT_SEED,
            keep_first=(),
            want_sql=False,
            want_verify=False,
            search_seconds=search_seconds,
        ):
            if isinstance(result, TableAdvice):
                measured = result.advice.measured
                return LayoutReport(
                    result.advice,
                    table_from_description(description, store.block_size).geometry,
                    measured.pages or 0,
                    measured.dead_rows or 0,
                    0,
                )
        raise AdviceError(f"{relation}: no advice (a partitioned table: open a partition)")

    def heap_pages() -> Iterator[HeapPage]:
        for blkno in range(store.nblocks()):
            if cancelled():
                return
            cached = store.cached(blkno)
            try:
                page = cached.page if cached is not None else store.decode(store.read(blkno))
            except PageInspectError:
                continue
            if isinstance(page, HeapPage):
                yield page

    found = rows_from_pages(description, heap_pages(), store.block_size)
    if cancelled():
        return None
    if not found.sample.rows:
        raise AdviceError(
            f"no live tuples (dead-looking: {found.skipped_dead}, damaged: "
            f"{found.skipped_damaged}): there is nothing to measure"
        )
    table = table_from_description(description, store.block_size)
    advice = advise(table, found.sample, measured=found.measured, time_limit=search_seconds)
    return LayoutReport(
        advice,
        table.geometry,
        found.measured.pages or 0,
        found.skipped_dead,
        found.skipped_damaged,
    )
