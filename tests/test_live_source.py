"""LiveSource against real servers: the bytes of get_raw_page, and one clear error per failure.

Every test that takes ``live_db`` runs once per server of ``pg_cluster`` (see conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pgcluster
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from pageinspect_py.errors import (
    BlockOutOfRangeError,
    ConnectionFailedError,
    ExtensionMissingError,
    ForkNotFoundError,
    NoStorageError,
    PageInspectError,
    PrivilegeError,
    RelationNotFoundError,
    SourceError,
)
from pageinspect_py.page.raw import Fork
from pageinspect_py.sources import live
from pageinspect_py.sources.live import LiveSource, open_live
from pageinspect_py.sources.queries import pages, server

DATABASE = "pgpage_live_source"  # this module's objects, apart from other modules' tests
NO_PAGEINSPECT_DATABASE = "pgpage_live_nopi"
OLD_PAGEINSPECT_DATABASE = "pgpage_live_oldpi"
OLD_PAGEINSPECT_SCHEMA = "Page Inspect"
UNPRIVILEGED_ROLE = "pgpage_live_unpriv"

Conn = psycopg.Connection[TupleRow]

SETUP = """
CREATE TABLE heap_t (id int PRIMARY KEY, payload text);
INSERT INTO heap_t SELECT g, repeat('x', 200) FROM generate_series(1, 300) g;
CREATE TABLE vacuumed (id int);
INSERT INTO vacuumed SELECT generate_series(1, 1000);
VACUUM vacuumed;
CREATE UNLOGGED TABLE unlogged_t (id int PRIMARY KEY);
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Mixed Case" (id int);
INSERT INTO "Odd Schema"."Mixed Case" VALUES (1);
CREATE VIEW a_view AS SELECT id FROM heap_t;
CREATE TABLE parted (a int) PARTITION BY RANGE (a);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (10) TO (20);
CREATE INDEX parted_a_idx ON parted (a);
CREATE TABLE empty_parted (a int) PARTITION BY LIST (a);
CREATE FOREIGN DATA WRAPPER dummy_fdw;
CREATE SERVER dummy_server FOREIGN DATA WRAPPER dummy_fdw;
CREATE FOREIGN TABLE a_foreign (a int) SERVER dummy_server;
CREATE TYPE a_composite AS (a int, b text);
CREATE SCHEMA locked;
CREATE TABLE locked.t (a int);
"""


@dataclass(frozen=True)
class LiveDB:
    cluster: pgcluster.Cluster
    dsn: str  #: superuser, database with pageinspect and the SETUP objects
    no_pageinspect_dsn: str  #: superuser, database without pageinspect
    old_pageinspect_dsn: str  #: superuser, pageinspect 1.5 in schema "Page Inspect"
    unprivileged_dsn: str  #: a LOGIN role that is not a superuser, on ``dsn``'s database

    @property
    def location(self) -> str:
        return f"{self.cluster.socket_dir}:{self.cluster.port}/{DATABASE}"


def _dsn(cluster: pgcluster.Cluster, **params: str) -> str:
    return make_conninfo(cluster.dsn, **params)


@pytest.fixture(scope="module")
def live_db(pg_cluster: pgcluster.Cluster) -> LiveDB:
    """This module's databases, role and relations in ``pg_cluster``."""
    cluster = pg_cluster
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        for name in (DATABASE, NO_PAGEINSPECT_DATABASE, OLD_PAGEINSPECT_DATABASE):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(UNPRIVILEGED_ROLE)))
    dsn = _dsn(cluster, dbname=DATABASE)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pageinspect")
        for statement in SETUP.split(";\n"):  # one by one: VACUUM refuses a transaction
            if statement.strip():
                conn.execute(statement)
    old_dsn = _dsn(cluster, dbname=OLD_PAGEINSPECT_DATABASE)
    with psycopg.connect(old_dsn, autocommit=True) as conn:
        schema = sql.Identifier(OLD_PAGEINSPECT_SCHEMA)
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
        conn.execute(sql.SQL("CREATE EXTENSION pageinspect SCHEMA {} VERSION '1.5'").format(schema))
        conn.execute("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 2000) g")
    return LiveDB(
        cluster=cluster,
        dsn=dsn,
        no_pageinspect_dsn=_dsn(cluster, dbname=NO_PAGEINSPECT_DATABASE),
        old_pageinspect_dsn=old_dsn,
        unprivileged_dsn=_dsn(cluster, dbname=DATABASE, user=UNPRIVILEGED_ROLE),
    )


@pytest.fixture
def conn(live_db: LiveDB) -> Iterator[Conn]:
    """A superuser session on the module's database, to compare with."""
    with psycopg.connect(live_db.dsn, autocommit=True) as conn:
        yield conn


def direct_page(conn: Conn, relation: str, fork: Fork, blkno: int) -> bytes:
    """get_raw_page called directly, as a user would in psql."""
    row = conn.execute("SELECT get_raw_page(%s, %s, %s)", (relation, fork, blkno)).fetchone()
    assert row is not None
    assert isinstance(row[0], bytes)
    return row[0]


def direct_nblocks(conn: Conn, relation: str) -> int:
    row = conn.execute(
        "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int",
        (relation,),
    ).fetchone()
    assert row is not None
    assert isinstance(row[0], int)
    return row[0]


def one_line(exc: pytest.ExceptionInfo[PageInspectError]) -> str:
    """The message of a raised error, checked to be a single non-empty line."""
    message = str(exc.value)
    assert message
    assert "\n" not in message, message
    return message


# --------------------------------------------------------------------------------------------
# Reading pages


def test_pages_are_the_bytes_of_get_raw_page(live_db: LiveDB, conn: Conn) -> None:
    with open_live(live_db.dsn, "heap_t") as source:
        nblocks = source.nblocks()
        assert nblocks == direct_nblocks(conn, "heap_t")
        assert nblocks > 1
        pages = list(source.pages())
    assert [page.blkno for page in pages] == list(range(nblocks))
    for page in pages:
        assert page.data == direct_page(conn, "heap_t", "main", page.blkno)
        assert len(page.data) == source.block_size
        assert page.fork == "main"
        assert page.checksum_verifiable is False
        assert page.origin == f"public.heap_t block {page.blkno} (main) on {live_db.location}"


# --------------------------------------------------------------------------------------------
# Runs of blocks, origins without reading, independent copies for workers


def _count_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement any psycopg cursor sends from now on (as text)."""
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counting(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(query if isinstance(query, str) else query.as_string(self.connection))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counting)
    return sent


@pytest.mark.parametrize(
    ("relation", "fork"),
    [("heap_t", "main"), ("heap_t_pkey", "main"), ("vacuumed", "fsm"), ("vacuumed", "vm")],
)
@pytest.mark.parametrize("run", [1, 3, 1024])
def test_chunks_are_the_pages_of_get_raw_page(
    live_db: LiveDB, conn: Conn, relation: str, fork: Fork, run: int
) -> None:
    with open_live(live_db.dsn, relation) as source:
        nblocks = source.nblocks(fork)
        chunks = list(source.chunks(fork, pages=run))
        one_by_one = [page.data for page in source.pages(fork)]
    assert nblocks >= 1
    assert [c.first for c in chunks] == list(range(0, nblocks, run))
    assert all(c.fork == fork and c.block_size == 8192 for c in chunks)
    assert [c.count for c in chunks] == [min(run, nblocks - lo) for lo in range(0, nblocks, run)]
    pages = [c.page(i) for c in chunks for i in range(c.count)]
    assert pages == one_by_one
    assert pages == [direct_page(conn, relation, fork, b) for b in range(nblocks)]


def test_chunks_take_one_round_trip_per_run(
    live_db: LiveDB, conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs are bounded by BATCH_BYTES and each is one statement, not one per page."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS wide_t AS SELECT g, repeat('w', 500) AS w "
        "FROM generate_series(1, 2000) g"
    )
    monkeypatch.setattr(live, "BATCH_BYTES", 4 * 8192)  # at most 4 pages a round trip
    with open_live(live_db.dsn, "wide_t") as source:
        nblocks = source.nblocks()
        assert nblocks > 100
        sent = _count_statements(monkeypatch)
        chunks = list(source.chunks(start=5, stop=nblocks + 10, pages=1024))
        monkeypatch.undo()
        expected = [direct_page(conn, "wide_t", "main", b) for b in range(5, nblocks)]
    assert [c.count for c in chunks[:-1]] == [4] * (len(chunks) - 1)
    assert b"".join(c.data for c in chunks) == b"".join(expected)
    raw_reads = [s for s in sent if "get_raw_page" in s]
    assert len(raw_reads) == len(chunks) == -(-(nblocks - 5) // 4)
    assert len(sent) == len(chunks) + 1  # and one pg_relation_size for the end


def test_chunks_past_the_end_and_of_an_empty_fork(live_db: LiveDB) -> None:
    with open_live(live_db.dsn, "heap_t") as source:
        nblocks = source.nblocks()
        assert list(source.chunks(start=nblocks)) == []
        assert list(source.chunks(start=2, stop=2)) == []
        assert [c.first for c in source.chunks(start=nblocks - 1, stop=nblocks + 5)] == [
            nblocks - 1
        ]
    with open_live(live_db.dsn, "unlogged_t") as table:
        assert list(table.chunks("init")) == []  # a heap's init fork is an empty file


def test_chunks_of_old_pageinspect_in_another_schema(live_db: LiveDB) -> None:
    """int4 block numbers (pageinspect 1.5) and a schema outside search_path."""
    with open_live(live_db.old_pageinspect_dsn, "t") as source:
        pages = [page.data for page in source.pages()]
        chunks = list(source.chunks(pages=2))
    assert [c.page(i) for c in chunks for i in range(c.count)] == pages


def test_chunks_of_a_missing_fork(live_db: LiveDB) -> None:
    with open_live(live_db.dsn, "heap_t") as source:
        nblocks = source.nblocks()
        with pytest.raises(ValueError, match="at least 1"):
            list(source.chunks(pages=0))
        with pytest.raises(SourceError) as exc:
            list(source.chunks("nosuch"))  # type: ignore[arg-type]
        assert "unknown fork 'nosuch'" in one_line(exc)
    assert nblocks > 0


def test_pages_read_in_runs(live_db: LiveDB, conn: Conn, monkeypatch: pytest.MonkeyPatch) -> None:
    """pages() takes a round trip per run too, yielding the pages read one by one."""
    monkeypatch.setattr(live, "BATCH_BYTES", 3 * 8192)
    with open_live(live_db.dsn, "heap_t") as source:
        nblocks = source.nblocks()
        sent = _count_statements(monkeypatch)
        pages = list(source.pages(start=1))
        monkeypatch.undo()
        single = [source.read_page(b) for b in range(1, nblocks)]
    assert pages == single
    assert len([s for s in sent if "get_raw_page" in s]) == -(-(nblocks - 1) // 3)


def test_a_run_cut_short_yields_what_can_be_read(
    live_db: LiveDB, conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """VACUUM truncates the table in the middle of a run: pages() yields every block before
    the new end, then says that the next one is out of range."""
    conn.execute(
        "CREATE TABLE shrinking AS SELECT g, repeat('s', 300) AS s FROM generate_series(1, 1000) g"
    )
    monkeypatch.setattr(live, "BATCH_BYTES", 10 * 8192)
    with open_live(live_db.dsn, "shrinking") as source:
        assert source.nblocks() > 25
        pages = source.pages()
        seen = [next(pages).blkno]  # blocks 0-9 are read
        conn.execute("DELETE FROM shrinking WHERE (ctid::text::point)[0] >= 15")
        conn.execute("VACUUM shrinking")
        assert source.nblocks() == 15
        with pytest.raises(BlockOutOfRangeError) as exc:
            seen.extend(page.blkno for page in pages)
        assert "block 15 is out of range" in one_line(exc)
        assert "its main fork has 15 blocks" in one_line(exc)
        # a scan begun now stops at the new end
        assert [(c.first, c.count) for c in source.chunks(start=10, stop=20)] == [(10, 5)]
    assert seen == list(range(15))


def test_origin_reads_no_page(live_db: LiveDB, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_live(live_db.dsn, "vacuumed") as source:
        read = source.read_page(0, "fsm").origin
        sent = _count_statements(monkeypatch)
        assert source.origin(0, "fsm") == read
        assert source.origin(7) == f"public.vacuumed block 7 (main) on {live_db.location}"
        assert sent == []


def test_reopen_is_an_independent_session(live_db: LiveDB, conn: Conn) -> None:
    with open_live(live_db.dsn, "heap_t") as source:
        copy = source.reopen()
        assert isinstance(copy, LiveSource)
        pids = {
            s.connection.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
            for s in (source, copy)
        }
        assert len(pids) == 2
        assert (copy.relation, copy.name, copy.dsn) == (source.relation, source.name, source.dsn)
        expected = [page.data for page in source.pages()]
    with copy:  # the original is closed: the copy reads on
        assert [page.data for page in copy.pages()] == expected
        assert [c.data for c in copy.chunks(pages=len(expected))] == [b"".join(expected)]


def test_reopen_of_a_shared_session_and_of_a_dropped_relation(live_db: LiveDB, conn: Conn) -> None:
    """A source built on a bare connection reopens with the session's own parameters; one
    whose relation is gone cannot be reopened."""
    conn.execute("CREATE TABLE doomed (a int)")
    conn.execute("INSERT INTO doomed VALUES (1)")
    with psycopg.connect(live_db.dsn, autocommit=True) as session:
        source = LiveSource(session, "doomed")
        copy = source.reopen()
        assert copy is not None
        with copy:
            assert copy.read_page(0).data == source.read_page(0).data
        conn.execute("DROP TABLE doomed")
        assert source.reopen() is None
        unreachable = LiveSource(session, "heap_t", dsn=f"host={live_db.cluster.socket_dir} port=1")
        assert unreachable.reopen() is None  # no server there: the caller reads alone


def test_a_forked_worker_does_not_close_its_parents_session(live_db: LiveDB) -> None:
    import multiprocessing

    def worker(source: LiveSource) -> None:
        source.close()  # inherited: must not end the parent's session
        copy = source.reopen()
        assert copy is not None
        with copy:
            copy.read_page(0)

    with open_live(live_db.dsn, "heap_t") as source:
        process = multiprocessing.get_context("fork").Process(target=worker, args=(source,))
        process.start()
        process.join(30)
        assert process.exitcode == 0
        assert source.read_page(0).blkno == 0  # the parent's session still works


def test_source_describes_relation_and_server(live_db: LiveDB) -> None:
    with open_live(live_db.dsn, "heap_t") as source:
        assert isinstance(source, LiveSource)
        assert source.checksum_verifiable is False
        assert source.block_size == source.server.block_size == 8192
        assert source.server.major == live_db.cluster.major
        assert source.server.is_superuser
        assert source.name == f"public.heap_t on {live_db.location}"
        relation = source.relation
        assert relation.qualified_name == "public.heap_t"
        assert (relation.relkind, relation.amname, relation.relpersistence) == ("r", "heap", "p")
        assert relation.has_storage
        assert relation.relfilenode is not None
        assert relation.reltoastrelid is not None  # the text column has a TOAST table
        assert source.variants.pageinspect_schema == "public"
        expected_type = "int8" if live_db.cluster.major >= 14 else "int4"  # pageinspect 1.9
        assert source.variants.raw_page_blkno_type == expected_type


def test_index_and_quoted_names(live_db: LiveDB, conn: Conn) -> None:
    with open_live(live_db.dsn, "heap_t_pkey") as index:
        assert (index.relation.relkind, index.relation.amname) == ("i", "btree")
        assert index.relation.reltoastrelid is None
        assert index.nblocks() >= 2  # metapage and a leaf
        assert index.read_page(0).data == direct_page(conn, "heap_t_pkey", "main", 0)
    with open_live(live_db.dsn, '"Odd Schema"."Mixed Case"') as odd:
        assert odd.relation.qualified_name == '"Odd Schema"."Mixed Case"'
        assert odd.nblocks() == 1
        assert odd.read_page(0).data == direct_page(conn, '"Odd Schema"."Mixed Case"', "main", 0)


def test_mapped_catalog_reports_its_real_file_number(live_db: LiveDB) -> None:
    with open_live(live_db.dsn, "pg_class") as source:
        assert source.relation.qualified_name == "pg_catalog.pg_class"
        assert source.relation.relfilenode not in (None, 0)  # pg_class.relfilenode says 0
        assert source.read_page(0).data[:8] is not None


def test_visibility_map_and_free_space_map(live_db: LiveDB, conn: Conn) -> None:
    with open_live(live_db.dsn, "vacuumed") as source:
        for fork in ("vm", "fsm"):
            assert source.nblocks(fork) >= 1
            page = source.read_page(0, fork)
            assert page.fork == fork
            assert page.origin.startswith(f"public.vacuumed block 0 ({fork}) on ")
            assert page.data == direct_page(conn, "vacuumed", fork, 0)


def test_init_fork_of_unlogged_relations(live_db: LiveDB, conn: Conn) -> None:
    with open_live(live_db.dsn, "unlogged_t") as table:
        assert table.relation.relpersistence == "u"
        assert table.nblocks("init") == 0  # a heap's init fork is an empty file
        with pytest.raises(BlockOutOfRangeError) as exc:
            table.read_page(0, "init")
        assert "its init fork has 0 blocks" in one_line(exc)
    with open_live(live_db.dsn, "unlogged_t_pkey") as index:
        assert index.nblocks("init") == 1  # a btree's init fork holds an empty metapage
        assert index.read_page(0, "init").data == direct_page(conn, "unlogged_t_pkey", "init", 0)


def test_old_pageinspect_in_another_schema(live_db: LiveDB) -> None:
    """pageinspect 1.5 takes int4 block numbers; its functions live outside search_path."""
    with open_live(live_db.old_pageinspect_dsn, "t") as source:
        assert source.variants.pageinspect_version == (1, 5)
        assert source.variants.raw_page_blkno_type == "int4"
        assert source.variants.pageinspect_schema == OLD_PAGEINSPECT_SCHEMA
        nblocks = source.nblocks()
        assert nblocks > 1
        pages = [page.data for page in source.pages()]
        with pytest.raises(BlockOutOfRangeError):
            source.read_page(nblocks)
    with psycopg.connect(live_db.old_pageinspect_dsn, autocommit=True) as conn:
        query = sql.SQL("SELECT {}.get_raw_page('t', 'main', %s::int4)").format(
            sql.Identifier(OLD_PAGEINSPECT_SCHEMA)
        )
        direct = [conn.execute(query, (n,)).fetchone() for n in range(nblocks)]
    assert [row[0] if row else None for row in direct] == pages


def test_libpq_environment_variables(live_db: LiveDB, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PGSERVICE", "PGSERVICEFILE", "PGHOSTADDR", "PGOPTIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGHOST", str(live_db.cluster.socket_dir))
    monkeypatch.setenv("PGPORT", str(live_db.cluster.port))
    monkeypatch.setenv("PGUSER", "postgres")
    monkeypatch.setenv("PGDATABASE", DATABASE)
    for dsn in (None, ""):
        with open_live(dsn, "heap_t") as source:
            assert source.location == live_db.location
            assert source.read_page(0).origin.endswith(f" on {live_db.location}")


# --------------------------------------------------------------------------------------------
# One exception class and one line per failure


RELATION_ERRORS: list[tuple[str, type[SourceError], list[str]]] = [
    ("no_such_table", RelationNotFoundError, ['relation "no_such_table" does not exist']),
    ("no_such_schema.t", RelationNotFoundError, ['"no_such_schema', "does not exist"]),
    ("a.b.c.d", RelationNotFoundError, ["'a.b.c.d' is not a relation name: improper"]),
    ("", RelationNotFoundError, ["'' is not a relation name: invalid name syntax"]),
    ("otherdb.public.t", RelationNotFoundError, ["cross-database references"]),
    ("4000000000", RelationNotFoundError, ["no relation has OID 4000000000"]),
    ("a_view", NoStorageError, ["public.a_view is a view", "tables it selects from"]),
    (
        "parted",
        NoStorageError,
        [
            "public.parted is a partitioned table and has no storage of its own; its "
            "partitions hold the data (public.parted_1, public.parted_2)"
        ],
    ),
    ("parted_a_idx", NoStorageError, ["partitioned index", "public.parted_1_a_idx"]),
    ("empty_parted", NoStorageError, ["partitioned table", "no partitions yet"]),
    ("a_foreign", NoStorageError, ["public.a_foreign is a foreign table"]),
    ("a_composite", NoStorageError, ["public.a_composite is a composite type"]),
]


@pytest.mark.parametrize(
    ("relation", "error", "fragments"),
    RELATION_ERRORS,
    ids=[relation or "empty-name" for relation, _, _ in RELATION_ERRORS],
)
def test_relation_errors(
    live_db: LiveDB, relation: str, error: type[SourceError], fragments: list[str]
) -> None:
    with pytest.raises(error) as exc:
        open_live(live_db.dsn, relation)
    message = one_line(exc)
    for fragment in fragments:
        assert fragment in message


def test_pageinspect_missing(live_db: LiveDB) -> None:
    with pytest.raises(ExtensionMissingError) as exc:
        open_live(live_db.no_pageinspect_dsn, "pg_class")
    message = one_line(exc)
    assert "CREATE EXTENSION pageinspect;" in message
    assert f"database {NO_PAGEINSPECT_DATABASE}" in message
    assert "superuser" in message


def test_unprivileged_role(live_db: LiveDB) -> None:
    with pytest.raises(PrivilegeError) as exc:
        open_live(live_db.unprivileged_dsn, "heap_t")
    message = one_line(exc)
    assert f"role {UNPRIVILEGED_ROLE} is not a superuser" in message
    assert "connect" in message
    with pytest.raises(PrivilegeError) as exc:
        open_live(live_db.unprivileged_dsn, "locked.t")
    assert "permission denied for schema locked" in one_line(exc)


def test_get_raw_page_is_for_superusers_only(live_db: LiveDB) -> None:
    """The PostgreSQL behaviour LiveSource's up-front superuser check relies on."""
    with psycopg.connect(live_db.unprivileged_dsn, autocommit=True) as conn:
        info = server.server_info(conn)
        assert not info.is_superuser
        variants = server.choose_variants(info, server.extension(conn, "pageinspect"))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            pages.get_raw_page(conn, variants, "public.heap_t", "main", 0)


def test_block_out_of_range(live_db: LiveDB) -> None:
    with open_live(live_db.dsn, "heap_t") as source:
        nblocks = source.nblocks()
        for blkno in (nblocks, nblocks + 1000, -1, 2**32):
            with pytest.raises(BlockOutOfRangeError) as exc:
                source.read_page(blkno)
            message = one_line(exc)
            assert f"block {blkno} is out of range for public.heap_t" in message
            assert f"its main fork has {nblocks} blocks" in message
        assert source.read_page(nblocks - 1).blkno == nblocks - 1  # still usable


def test_missing_fork(live_db: LiveDB) -> None:
    with open_live(live_db.dsn, "heap_t") as source:  # never vacuumed: no vm, no fsm
        assert source.nblocks("vm") == 0
        with pytest.raises(ForkNotFoundError) as exc:
            source.read_page(0, "vm")
        message = one_line(exc)
        assert "public.heap_t has no vm fork" in message
        assert "VACUUM" in message
        with pytest.raises(ForkNotFoundError) as exc:
            source.read_page(0, "init")
        assert "only unlogged relations" in one_line(exc)
        with pytest.raises(SourceError) as unknown:
            source.read_page(0, "bogus")  # type: ignore[arg-type]
        assert "unknown fork 'bogus'" in one_line(unknown)
        assert source.read_page(0).blkno == 0  # still usable


def test_relation_dropped_while_open(live_db: LiveDB, conn: Conn) -> None:
    conn.execute("CREATE TABLE doomed AS SELECT 1 AS id")
    with open_live(live_db.dsn, "doomed") as source:
        conn.execute("DROP TABLE doomed")
        with pytest.raises(RelationNotFoundError) as exc:
            source.read_page(0)
        assert "public.doomed was dropped" in one_line(exc)
        with pytest.raises(RelationNotFoundError):
            source.nblocks()


def test_connection_errors(live_db: LiveDB) -> None:
    bad_database = _dsn(live_db.cluster, dbname="no_such_database")
    with pytest.raises(ConnectionFailedError) as exc:
        open_live(bad_database, "heap_t")
    assert 'database "no_such_database" does not exist' in one_line(exc)
    with open_live(live_db.dsn, "heap_t") as source:
        pass
    with pytest.raises(ConnectionFailedError) as exc:
        source.read_page(0)
    assert "connection" in one_line(exc)


# --------------------------------------------------------------------------------------------
# Without a server


@pytest.mark.parametrize(
    ("dsn", "fragment"),
    [
        ("host=/nonexistent-pgpage-dir port=1", "/nonexistent-pgpage-dir/.s.PGSQL.1"),
        ("hostx=localhost", 'invalid connection option "hostx"'),
        ("postgresql://[", "IPv6 host address"),
    ],
)
def test_cannot_connect(dsn: str, fragment: str) -> None:
    with pytest.raises(ConnectionFailedError) as exc:
        open_live(dsn, "t")
    message = one_line(exc)
    assert message.startswith("cannot connect to PostgreSQL: ")
    assert fragment in message


def _server(version_num: int) -> server.ServerInfo:
    return server.ServerInfo(version_num, "x", 8192, "db", "postgres", is_superuser=True)


@pytest.mark.parametrize(
    ("extversion", "blkno_type", "max_blkno"),
    [
        ("1.5", "int4", 2**31 - 1),
        ("1.8", "int4", 2**31 - 1),
        ("1.9", "int8", 2**32 - 2),
        ("1.12", "int8", 2**32 - 2),
        ("1.13", "int8", 2**32 - 2),
    ],
)
def test_variants_follow_the_installed_extension(
    extversion: str, blkno_type: str, max_blkno: int
) -> None:
    extension = server.ExtensionInfo("pageinspect", extversion, "ext", "1.13")
    variants = server.choose_variants(_server(180000), extension)
    assert variants.raw_page_blkno_type == blkno_type
    assert variants.raw_page_max_blkno == max_blkno
    assert variants.pageinspect_schema == "ext"


def test_parse_version() -> None:
    assert server.parse_version("1.12") == (1, 12)
    assert server.parse_version("1.9") < server.parse_version("1.12")
    assert server.parse_version("2.0beta1") == (2,)


@pytest.mark.parametrize(
    ("version_num", "compression", "chunk_id", "tgparentid", "filters", "notnull", "stattarget"),
    [
        (120022, False, False, False, False, False, False),
        (130018, False, False, True, False, False, False),
        (140015, True, False, True, False, False, False),
        (150010, True, False, True, True, False, False),
        (170002, True, True, True, True, False, True),
        (180000, True, True, True, True, True, True),
    ],
)
def test_one_chooser_decides_every_server_variant(
    version_num: int,
    compression: bool,
    chunk_id: bool,
    tgparentid: bool,
    filters: bool,
    notnull: bool,
    stattarget: bool,
) -> None:
    """Catalog queries need no pageinspect: without it the raw-page queries refuse to run."""
    variants = server.choose_variants(_server(version_num))
    assert (
        variants.column_compression,
        variants.attcompression,
        variants.toast_chunk_id,
        variants.tgparentid,
        variants.publication_filters,
        variants.notnull_constraints,
        variants.stattarget_nullable,
    ) == (compression, compression, chunk_id, tgparentid, filters, notnull, stattarget)
    assert variants.pageinspect_schema is None
    assert variants.pageinspect_version == ()
    not_installed = server.ExtensionInfo("pageinspect", None, None, "1.13")
    assert server.choose_variants(_server(version_num), not_installed).pageinspect_schema is None
    with pytest.raises(ValueError, match="pageinspect is not installed"):
        pages.get_raw_page(None, variants, "t", "main", 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pageinspect is not installed"):
        pages.get_raw_pages(None, variants, "t", "main", 0, 1)  # type: ignore[arg-type]
