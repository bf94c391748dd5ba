"""``pgpage btree``: a whole btree index (levels, ``pgstatindex()``, checks), or one key.

* :func:`key_columns` -- the index's key columns from ``--schema`` / ``--columns`` (offline;
  needs no page), :func:`live_key_columns` from the catalog of a live source;
* :func:`parse_find` -- ``--find`` text as search values, checked against the key columns'
  types before any page is read;
* :func:`index_report` -- every block read once: :class:`IndexReport`;
* :func:`find_key` -- the metapage and the pages on the path from the root down only:
  :class:`FindReport` (the path ``_bt_search`` takes and the heap TIDs of the equal keys).

No printing, no click: ``cli.py`` parses options, calls these and renders the reports
(``render/btree.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pageinspect_py import constants as C
from pageinspect_py.analysis.btree import (
    BtreeIndex,
    BtreeStatistics,
    Finding,
    KeysNotComparable,
    Match,
    PathStep,
    descend,
    equal_items,
    scan_index,
    search_key,
)
from pageinspect_py.analysis.btree.findings import page_findings
from pageinspect_py.catalog.index import IndexDescription, index_from_columns, load_index_schema
from pageinspect_py.decode.btree import BtreeDecodeOptions, BtreeMeta, BtreeMetaPage, BtreePage
from pageinspect_py.decode.btree.keys import (
    KeyValue,
    comparable,
    has_known_order,
    parse_search_value,
)
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.errors import BlockOutOfRangeError, SchemaError
from pageinspect_py.page.raw import PageSource, SourceProblem

#: what ``--find`` says for a NULL key value
NULL_WORD = "NULL"


@dataclass(frozen=True, slots=True)
class KeyColumns:
    """The index's key columns (None: not known) and the server major the description names
    (a manifest's ``major``, a schema file's ``server_version_num``)."""

    index: IndexDescription | None
    major: int | None = None


def key_columns(
    target: str,
    *,
    schema_file: str | None = None,
    columns: str | None = None,
    include: str | None = None,
    c_collation: bool = False,
) -> KeyColumns:
    """Key columns given offline: a schema file (``pgpage schema`` output, a manifest entry or
    a whole manifest, whose index is the one named like TARGET's directory) or a column list.
    Reads no page."""
    if schema_file is not None and columns is not None:
        raise SchemaError("give --schema or --columns, not both")
    collation = True if c_collation else None
    if schema_file is not None:
        index = load_index_schema(
            schema_file, relation=Path(target).parent.name, default_collation_is_c=collation
        )
        return KeyColumns(index, recorded_major(schema_file))
    if columns is not None:
        return KeyColumns(index_from_columns(columns, include, default_collation_is_c=collation))
    return KeyColumns(None)


def recorded_major(path: str) -> int | None:
    """The server major a schema file or manifest records: ``major``, else
    ``server_version_num`` (150018 -> 15); None when it records neither."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(obj, dict):
        return None
    major = obj.get("major")
    if isinstance(major, int) and not isinstance(major, bool):
        return major
    extra = obj.get("extra")
    for holder in (obj, extra if isinstance(extra, dict) else {}):
        num = holder.get("server_version_num")
        if isinstance(num, str) and num.isdigit():
            num = int(num)
        if isinstance(num, int) and not isinstance(num, bool) and num >= 100000:
            return num // 10000
    return None


def live_key_columns(source: PageSource, given: KeyColumns) -> KeyColumns:
    """For a source opened live (``app.open.is_live``; this imports psycopg): refuse a
    relation that is not a btree index, take the server's major, and the key columns from
    the catalog unless given."""
    from pageinspect_py.sources.live import LiveSource

    if not isinstance(source, LiveSource):
        raise TypeError(f"{source.name} is not a live source")
    if source.relation.amname != "btree":
        raise SchemaError(
            f"{source.relation.qualified_name} is not a btree index "
            f"(access method {source.relation.amname})"
        )
    index = given.index
    if index is None:
        from pageinspect_py.sources.live_index import describe_index

        index = describe_index(source.connection, source.relation.oid)
    return KeyColumns(index, given.major or source.server.major)


def parse_find(text: str, index: IndexDescription | None) -> tuple[object, ...]:
    """``--find`` text (comma-separated values of the key columns in order, ``NULL`` for a
    null; fewer values search a prefix) as search values. Raises SchemaError, naming the
    value and its column, when a value does not fit its column's type or the column's keys
    cannot be ordered here -- before any page is read."""
    if index is None:
        raise SchemaError(
            "--find needs the key columns: give --schema or --columns (live: read from the catalog)"
        )
    parts = [p.strip() for p in text.split(",")]
    keys = index.key_columns()
    if len(parts) > len(keys):
        raise SchemaError(f"--find: {len(parts)} values for {len(keys)} key columns")
    values: list[object] = []
    for column, part in zip(keys, parts, strict=False):
        a = column.attribute
        if part.upper() == NULL_WORD:
            values.append(None)
            continue
        if not has_known_order(a):
            raise SchemaError(
                f"--find: column {a.attname} ({a.typname}): keys of this type cannot be "
                "searched, their btree order is not known here"
            )
        try:
            parse_search_value(a, part)
        except ValueError as exc:
            raise SchemaError(f"--find: column {a.attname}: {exc}") from None
        values.append(part)
    search = search_key(index, values)
    for column, key in zip(keys, search, strict=False):
        if not comparable(index, column, key):
            raise SchemaError(
                f"--find: column {column.attribute.attname} is text under a collation whose "
                "order is not bytewise (offline, say --c-collation if the database's is C)"
            )
    return tuple(values)


# ----------------------------------------------------------------------------------------------
# the whole index


@dataclass(frozen=True, slots=True)
class IndexReport:
    """Every block of the index read once."""

    tree: BtreeIndex
    statistics: BtreeStatistics
    findings: tuple[Finding, ...]
    problems: tuple[SourceProblem, ...] = ()  #: what is wrong with the files themselves

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def _require_blocks(source: PageSource) -> None:
    if source.nblocks("main") == 0:
        raise BlockOutOfRangeError(f"{source.name}: the index has no blocks")


def index_report(source: PageSource, keys: KeyColumns, major: int | None = None) -> IndexReport:
    """Read every block once: the tree, pgstatindex() as ``major`` (else the one the key
    columns name) computes it, and every finding."""
    _require_blocks(source)
    major = major or keys.major
    tree = scan_index(source, index=keys.index, major=major)
    return IndexReport(tree, tree.statistics(major), tree.check(), tuple(source.problems))


# ----------------------------------------------------------------------------------------------
# one key


@dataclass(frozen=True, slots=True)
class FindReport:
    """What ``_bt_search`` reads for one key, and what the leaf holds for it."""

    name: str  #: the index (source name)
    search: tuple[object, ...]  #: the values searched, as given
    meta: BtreeMeta | None
    path: tuple[PathStep, ...]  #: root to leaf (and right siblings the key moved to)
    #: leaf items whose key equals the search key, with their heap TIDs, in index order
    matches: tuple[Match, ...]
    blocks_read: tuple[int, ...]  #: every block read, in order (the metapage first)
    findings: tuple[Finding, ...] = ()  #: diagnostics of the pages read
    problems: tuple[SourceProblem, ...] = ()
    notes: tuple[str, ...] = ()  #: why the search stopped early, if it did

    @property
    def heap_tids(self) -> tuple[str, ...]:
        return tuple(str(t) for m in self.matches for t in m.heap_tids)

    @property
    def found(self) -> bool:
        return bool(self.matches)


class _Reader:
    """Reads and decodes blocks one at a time, each at most once, keeping their order."""

    def __init__(self, source: PageSource, options: BtreeDecodeOptions) -> None:
        self.source = source
        self.options = options
        self.nblocks = source.nblocks("main")  #: once: a live source asks the server
        self.order: list[int] = []
        self.findings: list[Finding] = []
        self._pages: dict[int, BtreePage | BtreeMetaPage | None] = {}

    def page(self, blkno: int) -> BtreePage | BtreeMetaPage | None:
        if blkno not in self._pages:
            if not 0 <= blkno < self.nblocks:
                self._pages[blkno] = None
                return None
            self.order.append(blkno)
            page = decode_page(self.source.read_page(blkno, "main"), btree=self.options)
            self.findings.extend(page_findings(page))
            self._pages[blkno] = page if isinstance(page, BtreePage | BtreeMetaPage) else None
        return self._pages[blkno]

    def btree_page(self, blkno: int) -> BtreePage | None:
        page = self.page(blkno)
        return page if isinstance(page, BtreePage) else None


def find_key(
    source: PageSource, index: IndexDescription, values: Sequence[object], major: int | None = None
) -> FindReport:
    """Read the metapage, then one page per level from the root down to the leaf where the
    first key equal to ``values`` is or would be (plus any page ``_bt_moveright`` steps to,
    and right siblings while equal keys continue), and collect the equal keys' heap TIDs.
    Nothing else of the index is read."""
    _require_blocks(source)
    reader = _Reader(source, BtreeDecodeOptions(index=index, major=major))
    search = search_key(index, values)
    metapage = reader.page(C.BTREE_METAPAGE)
    meta = metapage.meta if isinstance(metapage, BtreeMetaPage) else None
    notes: list[str] = []
    if meta is None:
        notes.append("block 0 is not a btree metapage: no root to start from")
        return _found(source, reader, values, None, (), [], notes)
    if meta.btm_root == C.P_NONE:
        notes.append("the index is empty (the metapage names no root)")
        return _found(source, reader, values, meta, (), [], notes)
    heapkeyspace = meta.btm_version >= C.BTREE_VERSION
    try:
        path = descend(reader.btree_page, meta.btm_root, search, index, heapkeyspace=heapkeyspace)
        matches: list[Match] = []
        leaf = path[-1] if path and path[-1].level == 0 else None
        if leaf is None:
            notes.append("the descent stopped before a leaf page (see the path)")
        elif leaf.offnum is not None:
            matches = _equal_keys(reader, leaf, search, index, heapkeyspace)
    except KeysNotComparable as exc:
        raise SchemaError(f"--find: {exc}") from None
    return _found(source, reader, values, meta, path, matches, notes)


def _found(
    source: PageSource,
    reader: _Reader,
    values: Sequence[object],
    meta: BtreeMeta | None,
    path: tuple[PathStep, ...],
    matches: list[Match],
    notes: list[str],
) -> FindReport:
    return FindReport(
        name=source.name,
        search=tuple(values),
        meta=meta,
        path=path,
        matches=tuple(matches),
        blocks_read=tuple(reader.order),
        findings=tuple(reader.findings),
        problems=tuple(source.problems),
        notes=tuple(notes),
    )


def _equal_keys(
    reader: _Reader,
    leaf: PathStep,
    search: Sequence[KeyValue],
    index: IndexDescription,
    heapkeyspace: bool,
) -> list[Match]:
    """The equal keys from the leaf's position on, following right siblings while they may
    continue (skipping deleted and half-dead pages, as a scan does)."""
    matches: list[Match] = []
    blkno: int | None = leaf.blkno
    offnum = leaf.offnum
    seen: set[int] = set()
    while blkno is not None and blkno not in seen:
        seen.add(blkno)
        page = reader.btree_page(blkno)
        if page is None or page.opaque is None:
            break
        o = page.opaque
        if o.ignore:
            blkno, offnum = (None if o.is_rightmost else o.btpo_next), None
            continue
        found, blkno = equal_items(
            page, offnum or o.first_data_key, search, index, heapkeyspace=heapkeyspace
        )
        matches.extend(found)
        offnum = None
    return matches
