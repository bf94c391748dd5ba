"""``pgpage stats``: what pgstattuple's functions say of a relation, from its pages.

A heap gets ``pgstattuple()`` (analysis/heapstats.py) plus line pointers by state; a btree
index gets ``pgstatindex()`` (the figures ``pgpage btree`` computes). Everything rides on the
kernel: regular pages are counted as arrays. A heap of a data directory is counted with its
pg_xact and pg_multixact (``xacts``), so tuples without settling hint bits are counted exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pageinspect_py.analysis.heapstats import HeapStats, heap_stats
from pageinspect_py.errors import BlockOutOfRangeError
from pageinspect_py.page.raw import PageSource
from pageinspect_py.scan.parallel import Progress

if TYPE_CHECKING:
    from pageinspect_py.sources.datadir.slru import DataDirectoryXacts


@dataclass(frozen=True, slots=True)
class StatsReport:
    relation: str
    function: str  #: the pgstattuple function whose figures ``figures`` holds
    figures: dict[str, Any]  #: named and valued as that function names its columns
    ours: dict[str, Any]  #: our own figures beside them
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"relation": self.relation, self.function: self.figures, "pgpage": self.ours}


def relation_stats(
    source: PageSource,
    *,
    major: int | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    xacts: DataDirectoryXacts | None = None,
) -> StatsReport:
    """pgstattuple() of a heap, pgstatindex() of a btree index, pgstathashindex() of a hash
    index, pgstatginindex() of a GIN index, pgstattuple() of a GiST index, our own figures
    of SP-GiST and BRIN indexes (told by block 0, or the server's pg_am); ``xacts`` is the
    transaction status of the data directory the heap is a relation of."""
    from pageinspect_py.app.indexes import access_method_of, index_statistics

    if source.nblocks("main") == 0:
        raise BlockOutOfRangeError(f"{source.name}: the main fork has no blocks")
    amname = access_method_of(source)
    if amname == "btree":
        from pageinspect_py.app.btree import KeyColumns, index_report

        report = index_report(source, KeyColumns(None), major)
        stats = report.statistics
        return StatsReport(
            source.name,
            "pgstatindex",
            asdict(stats.pgstatindex),
            {"pgstatindex_major": stats.pgstatindex_major},
        )
    if major is None:  # a live server's own arithmetic
        major = getattr(getattr(source, "server", None), "major", None)
    found = index_statistics(amname, source, major=major)
    if found is not None:
        return StatsReport(source.name, found.function, found.values, found.ours)
    heap = heap_stats(source, jobs=jobs, progress=progress, xacts=xacts)
    return StatsReport(source.name, "pgstattuple", heap.pgstattuple(), _ours(heap), _notes(heap))


def _ours(heap: HeapStats) -> dict[str, Any]:
    unused, normal, redirect, dead = heap.lp_states
    ours: dict[str, Any] = {
        "blocks": heap.blocks,
        "lp_normal": normal,
        "lp_redirect": redirect,
        "lp_dead": dead,
        "lp_unused": unused,
        "tuples_status_from_pg_xact": heap.unknown_tuples,
    }
    if heap.with_xacts:
        ours["tuples_status_unknown"] = heap.unresolved
    ours["pages_not_heap"] = heap.not_heap_pages
    return ours


def _notes(heap: HeapStats) -> tuple[str, ...]:
    notes = []
    if heap.with_xacts:
        if heap.unresolved:
            why = "; ".join(heap.xact_problems) or "unreadable"
            notes.append(
                f"{heap.unresolved} tuples' transaction status could not be read ({why}): "
                "counted as live, so tuple_count and dead_tuple_count are estimates"
            )
    elif heap.unknown_tuples:
        notes.append(
            f"{heap.unknown_tuples} tuples carry no hint bits that settle their visibility "
            "(their transactions' status is in pg_xact): counted as live, so tuple_count and "
            "dead_tuple_count are estimates"
        )
    if heap.not_heap_pages:
        notes.append(f"{heap.not_heap_pages} pages are not heap pages (see pgpage check)")
    return tuple(notes)
