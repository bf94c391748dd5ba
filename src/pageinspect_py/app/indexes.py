"""Which index access method a relation is, and what each one needs beyond its pages.

One table for every command: how to tell the access method from block 0 (or a live server's
``pg_am``), the ``decode_page`` options a method's pages are decoded with (typed keys from the
index description, a hash index's metapage), and the whole-index checks and statistics of
each method (``pgpage check``'s cross-page findings, ``pgpage stats``' figures).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pageinspect_py.analysis.findings import IndexFinding
from pageinspect_py.decode.page import Page
from pageinspect_py.page.raw import PageSource

if TYPE_CHECKING:
    from pageinspect_py.catalog.index import IndexDescription

#: the index access methods PostgreSQL ships, as ``pg_am.amname`` names them
INDEX_ACCESS_METHODS = ("btree", "hash", "gin", "gist", "spgist", "brin")

#: the page kind of block 0 that names each access method (a btree's and GIN's, SP-GiST's,
#: BRIN's and hash's metapage; GiST's root)
_BLOCK0_KINDS = {
    "btree_meta": "btree",
    "hash": "hash",
    "gin": "gin",
    "gist": "gist",
    "spgist": "spgist",
    "brin": "brin",
}


def access_method_of(source: PageSource) -> str | None:
    """``pg_am.amname`` of the index ``source`` reads: the server's word for a live
    relation, else told by block 0 of the main fork; None for a relation that is no index
    (or an empty one)."""
    relation = getattr(source, "relation", None)
    amname = getattr(relation, "amname", None)
    if isinstance(amname, str):
        return amname if amname in INDEX_ACCESS_METHODS else None
    from pageinspect_py.decode.dispatch import detect_kind
    from pageinspect_py.decode.page import parse_header

    if source.nblocks("main") == 0:
        return None
    data = source.read_page(0, "main").data
    if len(data) < 24:
        return None
    return _BLOCK0_KINDS.get(str(detect_kind(data, parse_header(data), "main")))


def decode_options(
    amname: str | None,
    index: IndexDescription | None,
    source: PageSource | None = None,
    *,
    major: int | None = None,
) -> dict[str, Any]:
    """The keyword arguments of ``decode_page`` for a page of an index of ``amname``:
    typed keys from ``index`` where the method has keys (None: untyped), a hash index's
    metapage and bitmaps from ``source``. Empty for anything else. An index described but
    not told by its pages (a page image without block 0) is of its description's method, a
    btree's when typed by hand."""
    if amname is None and index is not None:
        amname = index.amname or "btree"
    if amname == "btree":
        if index is None:
            return {}
        from pageinspect_py.decode.btree import BtreeDecodeOptions

        return {"btree": BtreeDecodeOptions(index=index, major=major)}
    if amname == "hash" and source is not None:
        from pageinspect_py.analysis.hashstats import hash_index_options

        hashed = hash_index_options(source)
        return {} if hashed is None else {"hash": hashed}
    if amname == "gin":
        from pageinspect_py.decode.gin import gin_options

        return {"gin": gin_options(index)}
    if amname == "gist" and index is not None:
        from pageinspect_py.analysis.giststats import gist_options

        return {"gist": gist_options(index)}
    if amname == "spgist":
        from pageinspect_py.analysis.spgiststats import spgist_index_options

        return {"spgist": spgist_index_options(index, major)}
    if amname == "brin" and source is not None:
        from pageinspect_py.analysis.brinstats import brin_index_options

        brin = brin_index_options(source, index, major)
        return {} if brin is None else {"brin": brin}
    return {}


#: the largest index whose cross-page check runs: the check holds every decoded page of the
#: index (100-200 kB each) until it has seen them all
INDEX_CHECK_MAX_BLOCKS = 16384


@dataclass(frozen=True, slots=True)
class IndexCheck:
    """The whole-index structure check of one access method: its pages decoded with the
    method's options (the metapage where one rules the others), then compared."""

    name: str  #: as ``pgpage check`` lists it ("hash structure")
    findings: Callable[[Sequence[Page]], Sequence[IndexFinding]]

    def pages(self, amname: str, source: PageSource) -> Iterator[Page]:
        """Every main-fork page of the index, decoded as its method's checks want it."""
        from pageinspect_py.decode.dispatch import decode_page

        options = decode_options(amname, None, source)
        for raw in source.pages("main"):
            yield decode_page(raw, **options)


def _hash_findings(pages: Sequence[Page]) -> Sequence[IndexFinding]:
    from pageinspect_py.analysis.hashstats import hash_index_findings

    return hash_index_findings(pages)


def _gin_findings(pages: Sequence[Page]) -> Sequence[IndexFinding]:
    from pageinspect_py.analysis.ginstats import gin_index_findings

    return gin_index_findings(pages)


def _gist_findings(pages: Sequence[Page]) -> Sequence[IndexFinding]:
    from pageinspect_py.analysis.giststats import gist_index_findings

    return gist_index_findings(pages)


def _spgist_findings(pages: Sequence[Page]) -> Sequence[IndexFinding]:
    from pageinspect_py.analysis.spgiststats import spgist_index_findings

    return spgist_index_findings(pages)


def _brin_findings(pages: Sequence[Page]) -> Sequence[IndexFinding]:
    from pageinspect_py.analysis.brinstats import brin_index_findings

    return brin_index_findings(pages)


#: cross-page checks beyond btree's (``app/check.py`` runs btree's through ``pgpage btree``'s)
INDEX_CHECKS: dict[str, IndexCheck] = {
    "hash": IndexCheck("hash structure", _hash_findings),
    "gin": IndexCheck("gin structure", _gin_findings),
    "gist": IndexCheck("gist structure", _gist_findings),
    "spgist": IndexCheck("spgist structure", _spgist_findings),
    "brin": IndexCheck("brin structure", _brin_findings),
}


@dataclass(frozen=True, slots=True)
class IndexStatistics:
    """An index's statistics as the server's function names them, plus our own figures."""

    function: str  #: "pgstathashindex", "pgstatginindex", "pgstattuple"
    values: dict[str, Any]
    ours: dict[str, Any]


def _plain(value: Any) -> Any:
    """A statistics dataclass as JSON-ready values (nested dataclasses flattened)."""
    return asdict(value) if hasattr(value, "__dataclass_fields__") else value


def index_statistics(
    amname: str | None,
    source: PageSource,
    index: IndexDescription | None = None,
    *,
    major: int | None = None,
) -> IndexStatistics | None:
    """The statistics of a hash, GIN, GiST, SP-GiST or BRIN index (btree's are ``pgpage btree``'s
    report); None for other relations, or when block 0 is not the metapage they read."""
    if amname == "hash":
        from pageinspect_py.analysis.hashstats import pgstathashindex, scan_hash_index

        found = pgstathashindex(scan_hash_index(source))
        return None if found is None else IndexStatistics("pgstathashindex", asdict(found), {})
    if amname == "gin":
        from pageinspect_py.analysis.ginstats import gin_index_statistics, scan_gin_index
        from pageinspect_py.decode.gin import gin_options

        pages: list[Page] = scan_gin_index(source, gin_options(index))
        stats = gin_index_statistics(pages)
        if stats.pgstatginindex is None:
            return None
        ours = {k: _plain(v) for k, v in asdict(stats).items() if k != "pgstatginindex"}
        return IndexStatistics("pgstatginindex", asdict(stats.pgstatginindex), ours)
    if amname == "gist":
        from pageinspect_py.analysis.btree.stats import NEWEST_MAJOR
        from pageinspect_py.analysis.giststats import gist_index_statistics, scan_gist_index

        as_major = major or NEWEST_MAJOR  # as pgstatindex: the newest server's arithmetic
        gist = gist_index_statistics(scan_gist_index(source), major=as_major)
        if gist.pgstattuple is None:
            return None
        ours = {k: _plain(v) for k, v in asdict(gist).items() if k != "pgstattuple"}
        ours["height"] = gist.height
        ours["pgstattuple_major"] = as_major
        return IndexStatistics("pgstattuple", asdict(gist.pgstattuple), _jsonable(ours))
    if amname == "spgist":  # no server function: our own figures only
        from pageinspect_py.analysis.spgiststats import (
            scan_spgist_index,
            spgist_index_options,
            spgist_index_statistics,
        )

        spgist = spgist_index_statistics(scan_spgist_index(source, spgist_index_options(index)))
        figures = asdict(spgist)
        figures["fill"] = round(spgist.fill, 4)
        figures["longest_chain"] = spgist.longest_chain
        figures["chain_lengths"] = {str(k): v for k, v in sorted(spgist.chain_lengths.items())}
        return IndexStatistics("spgist_index_statistics", figures, {})
    if amname == "brin":  # pgstattuple refuses BRIN indexes: our own figures only
        from pageinspect_py.analysis.brinstats import brin_index_statistics, scan_brin_index

        brin = brin_index_statistics(scan_brin_index(source, index))
        return IndexStatistics("brin_index_statistics", _jsonable(asdict(brin)), {})
    return None


def _jsonable(value: Any) -> Any:
    """Figures with non-string mapping keys (counts by number) as JSON objects."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
