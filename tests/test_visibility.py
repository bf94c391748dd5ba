"""The visibility verdict per heap tuple (analysis/visibility.py), with no server.

Golden: on the data-directory fixtures (``fixtures/datadir/pg<M>/``) the tuple headers are read
from the extracted copy with the package's heap decoder (and must equal the ones the fixture
script read), and each tuple's verdict must say "visible" exactly when the server restarted on
the original directory returned its ctid from ``SELECT ctid FROM ONLY t``. A live test does the
same on a throwaway cluster with the states the fixtures lose to hint bits (row locks and
lock-only multixacts nobody read after, frozen rows, a prepared transaction's locks, updates,
multixact updater and subtransaction). Semantics: each rule of HeapTupleSatisfiesMVCC on a test
double. Properties: random headers never raise and the verdict agrees with ``visible``.
"""

from __future__ import annotations

import json
import shutil
import tarfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pgcluster
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pageinspect_py import constants as C
from pageinspect_py.analysis.visibility import (
    HINT_CONTRADICTS_XACT,
    Verdict,
    Visibility,
    XactSource,
    is_locked_only,
    tuple_visibility,
)
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.sources.datadir.slru import (
    DataDirectoryXacts,
    MultiXactLookup,
    MultiXactMember,
    MultiXactStatus,
    XactStatus,
    XidSource,
    XidStatus,
    prepared_xids,
)

DATADIR_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "datadir"
MAJORS = tuple(range(12, 19))


# ---------------------------------------------------------------------------------------------
# reading tuples from a copied data directory


@dataclass(frozen=True, slots=True)
class Header:
    ctid: str
    t_xmin: int
    t_xmax: int
    t_infomask: int
    t_infomask2: int


def headers(pgdata: Path, relpath: str, block_size: int) -> dict[str, Header]:
    """Every tuple header of a main fork (all segments), by ctid, via decode_page."""
    found: dict[str, Header] = {}
    main = pgdata / relpath
    segments = [main, *sorted(main.parent.glob(main.name + ".[0-9]*"))]
    blkno = 0
    for seg in segments:
        data = seg.read_bytes() if seg.exists() else b""
        for start in range(0, len(data) - block_size + 1, block_size):
            page = decode_page(data[start : start + block_size], blkno, fork="main")
            if isinstance(page, HeapPage):
                for item in page.items:
                    if item.tuple is None:
                        continue
                    h = item.tuple.header
                    ctid = f"({blkno},{item.lp.lp})"
                    found[ctid] = Header(ctid, h.t_xmin, h.t_xmax, h.t_infomask, h.t_infomask2)
            blkno += 1
    return found


def reader_for(pgdata: Path, checkpoint: Mapping[str, Any], block_size: int) -> DataDirectoryXacts:
    """The readers with pg_control's numbers as pg_control_checkpoint() gave them."""
    return DataDirectoryXacts(
        pgdata,
        block_size=block_size,
        next_xid=int(str(checkpoint["next_xid"]).split(":")[-1]),
        oldest_xid=int(checkpoint["oldest_xid"]),
        next_multi=int(checkpoint["next_multixact_id"]),
        next_multi_offset=int(checkpoint["next_multi_offset"]),
        oldest_multi=int(checkpoint["oldest_multi_xid"]),
        prepared=prepared_xids(pgdata),
    )


def mismatches(
    tuples: Iterable[Mapping[str, Any]], xact: DataDirectoryXacts, prepared: frozenset[int]
) -> tuple[list[str], list[Visibility]]:
    """Where the verdict disagrees with what the server returned, and every verdict.

    ``visible`` must equal the server's. Besides: live and locked tuples are visible, dead
    ones are not, and only a prepared transaction leaves a tuple in progress; nothing on a
    healthy cluster is unknown or has a hint bit pg_xact contradicts."""
    wrong: list[str] = []
    verdicts: list[Visibility] = []
    for t in tuples:
        v = tuple_visibility(t["t_xmin"], t["t_xmax"], t["t_infomask"], t["t_infomask2"], xact)
        verdicts.append(v)
        seen = f"{t['ctid']} xmin {t['t_xmin']} xmax {t['t_xmax']} infomask {t['t_infomask']:#x}"
        if v.visible != t["visible"]:
            wrong.append(f"{seen}: server visible={t['visible']}, read {v}")
        if v.verdict in (Verdict.LIVE, Verdict.LOCKED) and not t["visible"]:
            wrong.append(f"{seen}: {v.verdict} but the server does not return it")
        if v.verdict is Verdict.DEAD and t["visible"]:
            wrong.append(f"{seen}: dead but the server returns it")
        if v.verdict is Verdict.IN_PROGRESS and not {t["t_xmin"], v.updater_xid or t["t_xmax"]} & (
            prepared
        ):
            wrong.append(f"{seen}: in progress, but no prepared transaction touched it: {v}")
        if v.verdict is Verdict.UNKNOWN or v.diagnostics:
            wrong.append(f"{seen}: {v}")
    return wrong, verdicts


# ---------------------------------------------------------------------------------------------
# golden: the data-directory fixtures


def golden(major: int) -> dict[str, Any]:
    path = DATADIR_FIXTURES / f"pg{major}" / "golden.json"
    if not path.exists() or not (path.parent / "cluster.tar.xz").exists():
        pytest.skip(
            f"{path.parent}: no data-directory fixture yet (tools/make_datadir_fixtures.py)"
        )
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """Each major's data directory, extracted once for the module, when first asked for."""
    done: dict[int, Path] = {}

    def get(major: int) -> Path:
        if major not in done:
            target = tmp_path_factory.mktemp(f"pg{major}")
            with tarfile.open(DATADIR_FIXTURES / f"pg{major}" / "cluster.tar.xz") as tar:
                tar.extractall(target, filter="data")
            done[major] = target
        return done[major]

    return get


@pytest.mark.parametrize("major", MAJORS, ids=[f"pg{m}/visibility" for m in MAJORS])
def test_golden_verdicts_match_the_server(major: int, copies: Callable[[int], Path]) -> None:
    gold = golden(major)
    pgdata = copies(major)
    block_size = int(gold.get("block_size", C.BLCKSZ))
    xact = reader_for(pgdata, gold["control"]["pg_control_checkpoint"], block_size)
    prepared = frozenset(gold["prepared_xids"])
    wrong: list[str] = []
    verdicts: list[Visibility] = []
    for table, tuples in gold["tuples"].items():
        assert tuples, table
        read = headers(pgdata, tuples[0]["relfilenode_path"], block_size)
        for t in tuples:
            h = read.get(t["ctid"])
            assert h is not None, f"{table} {t['ctid']}: no tuple in the copy"
            assert (h.t_xmin, h.t_xmax, h.t_infomask, h.t_infomask2) == (
                t["t_xmin"],
                t["t_xmax"],
                t["t_infomask"],
                t["t_infomask2"],
            ), f"{table} {t['ctid']}"
        assert len(read) == len(tuples), table
        found, seen = mismatches(tuples, xact, prepared)
        wrong += [f"{table} {w}" for w in found]
        verdicts += seen
    assert wrong == []
    kinds = {v.verdict for v in verdicts}
    assert {Verdict.LIVE, Verdict.DEAD, Verdict.IN_PROGRESS} <= kinds
    assert xact.problems == ()


# ---------------------------------------------------------------------------------------------
# live: the states the fixtures' later reads hint away


@dataclass
class LiveCapture:
    pgdata: Path
    block_size: int
    checkpoint: dict[str, Any]
    tuples: list[dict[str, Any]] = field(default_factory=list)
    xid_status: dict[int, str | None] = field(default_factory=dict)
    members: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    prepared: frozenset[int] = frozenset()


def _scenarios(dsn: str) -> None:
    def session() -> psycopg.Connection[Any]:
        conn = psycopg.connect(dsn, autocommit=True)
        conn.execute("SET enable_seqscan = off")  # index scans: no other tuple gets a hint
        conn.execute("SET enable_bitmapscan = off")
        return conn

    with session() as a, session() as b, session() as p:
        a.execute("CREATE TABLE f (id int4)")
        a.execute("INSERT INTO f SELECT g FROM generate_series(1, 5) g")
        a.execute("VACUUM (FREEZE) f")  # nothing else running: every row is frozen
        a.execute("CREATE TABLE v (id int4 PRIMARY KEY, note text)")
        a.execute("INSERT INTO v SELECT g, 'row ' || g FROM generate_series(1, 40) g")
        a.execute("SET enable_seqscan = on")
        a.execute("SELECT count(*) FROM v")  # every xmin hinted committed
        a.execute("SET enable_seqscan = off")
        a.execute("UPDATE v SET note = 'hot' WHERE id = 1")
        a.execute("DELETE FROM v WHERE id = 2")
        with a.transaction(force_rollback=True):
            a.execute("DELETE FROM v WHERE id = 3")
        a.execute("SELECT * FROM v WHERE id = 4 FOR UPDATE")
        a.execute("SELECT * FROM v WHERE id = 5 FOR KEY SHARE")
        a.execute("SELECT * FROM v WHERE id = 9 FOR NO KEY UPDATE")
        a.execute("SELECT * FROM v WHERE id = 15 FOR SHARE")
        for row, finish in ((6, "COMMIT"), (7, "COMMIT"), (8, "ROLLBACK")):
            a.execute("BEGIN")
            b.execute("BEGIN")
            a.execute("SELECT * FROM v WHERE id = %s FOR KEY SHARE", (row,))
            if row == 6:
                b.execute("SELECT * FROM v WHERE id = %s FOR SHARE", (row,))  # lock-only multi
            else:
                b.execute("UPDATE v SET note = 'multi' WHERE id = %s", (row,))  # an updater
            a.execute("COMMIT")
            b.execute(finish)
        with a.transaction(force_rollback=True):
            a.execute("INSERT INTO v VALUES (100, 'aborted')")
        a.execute("BEGIN")
        a.execute("INSERT INTO v VALUES (101, 'kept')")
        a.execute("SAVEPOINT s1")
        a.execute("INSERT INTO v VALUES (102, 'rolled back')")
        a.execute("ROLLBACK TO SAVEPOINT s1")
        a.execute("SAVEPOINT s2")
        a.execute("INSERT INTO v VALUES (103, 'released')")
        a.execute("RELEASE SAVEPOINT s2")
        a.execute("COMMIT")
        # the prepared transaction: insert, delete, lock, update, a subtransaction's insert,
        # an update joining a committed key-sharer (multixact with an updater in progress), a
        # share lock beside a committed one (lock-only multixact with a member in progress)
        a.execute("BEGIN")
        a.execute("SELECT * FROM v WHERE id = 13 FOR KEY SHARE")
        a.execute("SELECT * FROM v WHERE id = 14 FOR SHARE")
        p.execute("BEGIN")
        p.execute("INSERT INTO v VALUES (200, 'prepared')")
        p.execute("DELETE FROM v WHERE id = 10")
        p.execute("SELECT * FROM v WHERE id = 11 FOR UPDATE")
        p.execute("UPDATE v SET note = 'prepared update' WHERE id = 12")
        p.execute("SAVEPOINT s")
        p.execute("INSERT INTO v VALUES (201, 'prepared, in a subtransaction')")
        p.execute("RELEASE SAVEPOINT s")
        p.execute("UPDATE v SET note = 'prepared multi update' WHERE id = 13")
        p.execute("SELECT * FROM v WHERE id = 14 FOR SHARE")
        a.execute("COMMIT")
        p.execute("PREPARE TRANSACTION 'pgpage_visibility'")


def capture(cluster: pgcluster.Cluster, into: Path) -> LiveCapture:
    """Scenarios, a clean shutdown, a copy, then the server's answers about the copy."""
    _scenarios(cluster.dsn)
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        paths = {
            table: str(
                conn.execute("SELECT pg_relation_filepath(%s::regclass)", (table,)).fetchone()[0]  # type: ignore[index]
            )
            for table in ("v", "f")
        }
        block_size = int(conn.execute("SHOW block_size").fetchone()[0])  # type: ignore[index]
    cluster.stop_server()
    pgdata = into / "copy"
    shutil.copytree(cluster.datadir, pgdata, ignore=shutil.ignore_patterns("pg_wal"))
    cluster._pg_ctl_start()
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        row = conn.execute("SELECT row_to_json(c)::text FROM pg_control_checkpoint() c").fetchone()
        assert row is not None
        got = LiveCapture(pgdata, block_size, json.loads(row[0]))
        got.prepared = frozenset(
            int(r[0]) for r in conn.execute("SELECT transaction::text FROM pg_prepared_xacts")
        )
        for table, path in paths.items():
            visible = {str(r[0]) for r in conn.execute(f"SELECT ctid::text FROM ONLY {table}")}
            for h in headers(pgdata, path, block_size).values():
                got.tuples.append(
                    {
                        "table": table,
                        "ctid": h.ctid,
                        "t_xmin": h.t_xmin,
                        "t_xmax": h.t_xmax,
                        "t_infomask": h.t_infomask,
                        "t_infomask2": h.t_infomask2,
                        "visible": h.ctid in visible,
                    }
                )
        for t in got.tuples:
            if t["t_infomask"] & C.HEAP_XMAX_IS_MULTI:
                rows = conn.execute(
                    "SELECT xid::text, mode FROM pg_get_multixact_members(%s::text::xid)",
                    (t["t_xmax"],),
                ).fetchall()
                got.members[t["t_xmax"]] = [(int(x), str(m)) for x, m in rows]
                xids = [t["t_xmin"], *(int(x) for x, _ in rows)]
            else:
                xids = [t["t_xmin"], t["t_xmax"]]
            for xid in xids:
                if xid not in got.xid_status:
                    status = conn.execute("SELECT txid_status(%s::int8)", (xid,)).fetchone()
                    got.xid_status[xid] = None if status is None else status[0]
    return got


@pytest.fixture
def live_capture(pg_cluster: pgcluster.Cluster, tmp_path: Path) -> Iterator[LiveCapture]:
    """A cluster of its own (a prepared transaction and a restart would disturb the shared
    one), of the same server as ``pg_cluster``."""
    own = pgcluster.Cluster(
        pg_cluster.bindir, settings={"max_prepared_transactions": "2", "autovacuum": "off"}
    )
    own.start()
    try:
        yield capture(own, tmp_path)
    finally:
        own.stop()


def test_live_verdicts_match_the_server(live_capture: LiveCapture) -> None:
    got = live_capture
    xact = reader_for(got.pgdata, got.checkpoint, got.block_size)
    assert sorted(got.prepared) and got.prepared <= prepared_xids(got.pgdata)
    wrong, verdicts = mismatches(got.tuples, xact, prepared_xids(got.pgdata))
    for xid, said in got.xid_status.items():
        read = xact.xid_status(xid)
        if said is None:
            if read.source not in (XidSource.BEFORE_OLDEST, XidSource.PERMANENT):
                wrong.append(f"xid {xid}: txid_status NULL, read {read}")
        elif str(read.status) != said:
            wrong.append(f"xid {xid}: txid_status {said}, read {read}")
    for multi, listed in got.members.items():
        members = xact.multixact_members(multi).members
        if members is None or [(m.xid, m.mode) for m in members] != listed:
            wrong.append(f"multixact {multi}: server {listed}, read {members}")
    assert wrong == []
    # the scenarios reached the states they are there for
    kinds = {v.verdict for v in verdicts}
    assert kinds == {Verdict.LIVE, Verdict.DEAD, Verdict.LOCKED, Verdict.IN_PROGRESS}
    assert XactStatus.FROZEN in {v.xmin_status for v in verdicts}
    assert any(v.updater_xid in got.prepared for v in verdicts if v.updater_xid)
    assert len(got.members) >= 4
    assert xact.problems == ()


# ---------------------------------------------------------------------------------------------
# semantics on a test double


@dataclass
class Double:
    """An XactSource: statuses by xid (pg_xact), members by multixact."""

    statuses: dict[int, XactStatus | tuple[XactStatus, XidSource]] = field(default_factory=dict)
    multis: dict[int, tuple[MultiXactMember, ...] | None] = field(default_factory=dict)

    def xid_status(self, xid: int) -> XidStatus:
        if xid == 0:
            return XidStatus(xid, XactStatus.INVALID, XidSource.PERMANENT)
        if xid in (1, 2):
            return XidStatus(xid, XactStatus.FROZEN, XidSource.PERMANENT)
        found = self.statuses.get(xid, (XactStatus.UNKNOWN, XidSource.UNREADABLE))
        status, source = found if isinstance(found, tuple) else (found, XidSource.PG_XACT)
        return XidStatus(xid, status, source)

    def multixact_members(self, multi: int) -> MultiXactLookup:
        members = self.multis.get(multi)
        return MultiXactLookup(multi, members, "" if members is not None else "not there")


COMMITTED, ABORTED, IN_PROGRESS = XactStatus.COMMITTED, XactStatus.ABORTED, XactStatus.IN_PROGRESS
PREPARED = (IN_PROGRESS, XidSource.PREPARED)
XMIN_C, XMIN_I, XMAX_C, XMAX_I = (
    C.HEAP_XMIN_COMMITTED,
    C.HEAP_XMIN_INVALID,
    C.HEAP_XMAX_COMMITTED,
    C.HEAP_XMAX_INVALID,
)
LOCK_ONLY, EXCL, KEYSHR, MULTI = (
    C.HEAP_XMAX_LOCK_ONLY,
    C.HEAP_XMAX_EXCL_LOCK,
    C.HEAP_XMAX_KEYSHR_LOCK,
    C.HEAP_XMAX_IS_MULTI,
)
XACTS = Double(
    {
        10: COMMITTED,
        11: ABORTED,
        12: PREPARED,
        13: XactStatus.SUB_COMMITTED,
        14: (ABORTED, XidSource.NEVER_ENDED),
        15: (COMMITTED, XidSource.BEFORE_OLDEST),
        16: (XactStatus.UNKNOWN, XidSource.FUTURE),
        20: COMMITTED,
        21: ABORTED,
        22: PREPARED,
    },
    {
        5: (
            MultiXactMember(20, MultiXactStatus.ForKeyShare),
            MultiXactMember(21, MultiXactStatus.ForShare),
        ),
        6: (
            MultiXactMember(21, MultiXactStatus.ForKeyShare),
            MultiXactMember(20, MultiXactStatus.NoKeyUpdate),
        ),
        7: (
            MultiXactMember(20, MultiXactStatus.ForKeyShare),
            MultiXactMember(21, MultiXactStatus.Update),
        ),
        8: (
            MultiXactMember(20, MultiXactStatus.ForKeyShare),
            MultiXactMember(22, MultiXactStatus.NoKeyUpdate),
        ),
        9: (MultiXactMember(20, MultiXactStatus.ForKeyShare),),
    },
)


def verdict(xmin: int, xmax: int, infomask: int, xact: XactSource = XACTS) -> Visibility:
    return tuple_visibility(xmin, xmax, infomask, 0, xact)


@pytest.mark.parametrize(
    ("xmin", "xmax", "infomask", "expected", "xmin_status", "xmax_status"),
    [
        # the insert decides
        (10, 0, 0, Verdict.LIVE, COMMITTED, XactStatus.INVALID),
        (11, 0, 0, Verdict.DEAD, ABORTED, XactStatus.INVALID),
        (12, 0, 0, Verdict.IN_PROGRESS, IN_PROGRESS, XactStatus.INVALID),
        (13, 0, 0, Verdict.DEAD, XactStatus.SUB_COMMITTED, XactStatus.INVALID),
        (14, 0, 0, Verdict.DEAD, ABORTED, XactStatus.INVALID),
        (15, 0, 0, Verdict.LIVE, COMMITTED, XactStatus.INVALID),
        (16, 0, 0, Verdict.UNKNOWN, XactStatus.UNKNOWN, XactStatus.INVALID),
        (99, 0, 0, Verdict.UNKNOWN, XactStatus.UNKNOWN, XactStatus.INVALID),
        (0, 0, 0, Verdict.DEAD, XactStatus.INVALID, XactStatus.INVALID),
        (2, 0, 0, Verdict.LIVE, XactStatus.FROZEN, XactStatus.INVALID),
        (1, 0, 0, Verdict.LIVE, XactStatus.FROZEN, XactStatus.INVALID),
        (99, 0, C.HEAP_XMIN_FROZEN, Verdict.LIVE, XactStatus.FROZEN, XactStatus.INVALID),
        (99, 0, XMIN_C, Verdict.LIVE, COMMITTED, XactStatus.INVALID),
        (99, 0, XMIN_I, Verdict.DEAD, XactStatus.INVALID, XactStatus.INVALID),
        (12, 0, XMIN_C, Verdict.IN_PROGRESS, IN_PROGRESS, XactStatus.INVALID),  # in snapshot
        (16, 0, XMIN_C, Verdict.UNKNOWN, XactStatus.UNKNOWN, XactStatus.INVALID),
        (99, 0, C.HEAP_MOVED_OFF, Verdict.UNKNOWN, XactStatus.UNKNOWN, XactStatus.INVALID),
        (99, 0, C.HEAP_MOVED_OFF | XMIN_C, Verdict.LIVE, COMMITTED, XactStatus.INVALID),
        # a plain xmax
        (10, 20, XMIN_C, Verdict.DEAD, COMMITTED, COMMITTED),
        (10, 21, XMIN_C, Verdict.LIVE, COMMITTED, ABORTED),
        (10, 22, XMIN_C, Verdict.IN_PROGRESS, COMMITTED, IN_PROGRESS),
        (10, 13, XMIN_C, Verdict.LIVE, COMMITTED, XactStatus.SUB_COMMITTED),
        (10, 14, XMIN_C, Verdict.LIVE, COMMITTED, ABORTED),
        (10, 15, XMIN_C, Verdict.DEAD, COMMITTED, COMMITTED),
        (10, 16, XMIN_C, Verdict.UNKNOWN, COMMITTED, XactStatus.UNKNOWN),
        (10, 99, XMIN_C | XMAX_C, Verdict.DEAD, COMMITTED, COMMITTED),
        (10, 22, XMIN_C | XMAX_C, Verdict.IN_PROGRESS, COMMITTED, IN_PROGRESS),
        (10, 99, XMIN_C | XMAX_I, Verdict.LIVE, COMMITTED, XactStatus.INVALID),
        (10, 20, XMAX_I, Verdict.LIVE, COMMITTED, XactStatus.INVALID),
        # lock-only xmax: the locker's fate does not matter
        (10, 20, LOCK_ONLY | EXCL, Verdict.LOCKED, COMMITTED, COMMITTED),
        (10, 22, LOCK_ONLY | KEYSHR, Verdict.LOCKED, COMMITTED, IN_PROGRESS),
        (10, 21, LOCK_ONLY, Verdict.LOCKED, COMMITTED, ABORTED),
        (10, 99, LOCK_ONLY, Verdict.LOCKED, COMMITTED, XactStatus.UNKNOWN),
        # pg_upgrade of 9.2: an exclusive locker without LOCK_ONLY
        (10, 20, EXCL, Verdict.LOCKED, COMMITTED, COMMITTED),
        # ... but KEYSHR too (a share lock) is not that rule: xmax deletes
        (10, 20, C.HEAP_XMAX_SHR_LOCK, Verdict.DEAD, COMMITTED, COMMITTED),
        (10, 20, EXCL | XMAX_I, Verdict.LIVE, COMMITTED, XactStatus.INVALID),
        # multixacts
        (10, 5, MULTI | LOCK_ONLY | C.HEAP_XMAX_SHR_LOCK,
         Verdict.LOCKED, COMMITTED, COMMITTED),
        (10, 6, MULTI, Verdict.DEAD, COMMITTED, COMMITTED),
        (10, 7, MULTI | KEYSHR, Verdict.LIVE, COMMITTED, ABORTED),
        (10, 8, MULTI, Verdict.IN_PROGRESS, COMMITTED, IN_PROGRESS),
        (10, 9, MULTI, Verdict.LIVE, COMMITTED, XactStatus.INVALID),
        (10, 77, MULTI, Verdict.UNKNOWN, COMMITTED, XactStatus.UNKNOWN),
        (10, 77, MULTI | LOCK_ONLY | KEYSHR,
         Verdict.LOCKED, COMMITTED, XactStatus.UNKNOWN),
        (10, 77, MULTI | XMAX_I, Verdict.LIVE, COMMITTED, XactStatus.INVALID),
        # HEAP_LOCKED_UPGRADED: a pre-9.3 share lock; its members are never read
        (10, 5, MULTI | LOCK_ONLY, Verdict.LOCKED, COMMITTED,
         XactStatus.UNKNOWN),
        # an aborted or in-progress insert decides whatever xmax says
        (11, 20, 0, Verdict.DEAD, ABORTED, COMMITTED),
        (12, 12, 0, Verdict.IN_PROGRESS, IN_PROGRESS, IN_PROGRESS),
    ],
)  # fmt: skip
def test_rules(
    xmin: int,
    xmax: int,
    infomask: int,
    expected: Verdict,
    xmin_status: XactStatus,
    xmax_status: XactStatus,
) -> None:
    v = verdict(xmin, xmax, infomask)
    assert (v.verdict, v.xmin_status, v.xmax_status) == (expected, xmin_status, xmax_status), v
    assert_consistent(v)


def assert_consistent(v: Visibility) -> None:
    assert (v.visible is None) == (v.verdict is Verdict.UNKNOWN)
    if v.verdict in (Verdict.LIVE, Verdict.LOCKED):
        assert v.visible is True
    if v.verdict is Verdict.DEAD:
        assert v.visible is False
    if v.verdict is Verdict.IN_PROGRESS:  # an insert in progress is not seen, a delete is
        assert v.visible is (v.xmin_status is not XactStatus.IN_PROGRESS)
    assert v.reason.startswith("xmin ")
    assert ", xmax " in v.reason


def test_visible_while_the_delete_is_in_progress() -> None:
    assert verdict(10, 22, XMIN_C).visible is True
    assert verdict(12, 0, 0).visible is False
    assert verdict(10, 8, C.HEAP_XMAX_IS_MULTI).visible is True


def test_reasons_say_where_each_status_came_from() -> None:
    assert verdict(10, 21, XMIN_C).reason == "xmin committed (hint bit), xmax aborted (pg_xact)"
    old = verdict(15, 0, 0).reason
    assert "committed or frozen" in old
    assert "in the future" in verdict(16, 0, 0).reason
    assert "prepared" in verdict(12, 0, 0).reason
    assert "never ended" in verdict(14, 0, 0).reason
    multi = verdict(10, 6, C.HEAP_XMAX_IS_MULTI)
    assert multi.updater_xid == 20
    assert "multixact 6 updater 20 committed" in multi.reason
    assert "keysh 21 aborted" in multi.reason
    assert "HEAP_XMAX_EXCL_LOCK" in verdict(10, 20, C.HEAP_XMAX_EXCL_LOCK).reason


def test_is_locked_only_is_the_macro() -> None:
    assert is_locked_only(C.HEAP_XMAX_LOCK_ONLY)
    assert is_locked_only(C.HEAP_XMAX_LOCK_ONLY | C.HEAP_XMAX_IS_MULTI)
    assert is_locked_only(C.HEAP_XMAX_EXCL_LOCK)
    assert not is_locked_only(C.HEAP_XMAX_EXCL_LOCK | C.HEAP_XMAX_IS_MULTI)
    assert not is_locked_only(C.HEAP_XMAX_KEYSHR_LOCK)
    assert not is_locked_only(C.HEAP_XMAX_SHR_LOCK)
    assert not is_locked_only(0)


@pytest.mark.parametrize(
    ("xmin", "xmax", "infomask", "which"),
    [
        (11, 0, XMIN_C, "xmin 11: HEAP_XMIN_COMMITTED"),
        (14, 0, XMIN_C, "xmin 14: HEAP_XMIN_COMMITTED"),  # never ended: aborted
        (12, 0, XMIN_C, "xmin 12: HEAP_XMIN_COMMITTED"),  # still prepared
        (10, 0, XMIN_I, "xmin 10: HEAP_XMIN_INVALID"),
        (11, 0, C.HEAP_XMIN_FROZEN, "xmin 11: HEAP_XMIN_FROZEN"),
        (10, 21, XMIN_C | XMAX_C, "xmax 21: HEAP_XMAX_COMMITTED"),
        (10, 20, XMIN_C | XMAX_I, "xmax 20: HEAP_XMAX_INVALID"),
        (10, 22, XMIN_C | XMAX_I | C.HEAP_XMAX_LOCK_ONLY, "xmax 22: HEAP_XMAX_INVALID"),
    ],
)
def test_hint_bits_pg_xact_contradicts(xmin: int, xmax: int, infomask: int, which: str) -> None:
    v = verdict(xmin, xmax, infomask)
    assert v.codes == (HINT_CONTRADICTS_XACT,)
    assert v.diagnostics[0].message.startswith(which), v.diagnostics
    assert v.diagnostics[0].span is None


@pytest.mark.parametrize(
    ("xmin", "xmax", "infomask"),
    [
        (10, 0, XMIN_C),
        (11, 0, XMIN_I),
        (15, 0, XMIN_C),  # too old for pg_xact: nothing to compare
        (99, 0, XMIN_C),  # unreadable: nothing to compare
        (13, 0, XMIN_C),  # sub-committed: the parent may have committed
        (10, 20, XMIN_C | XMAX_C),
        (10, 21, XMIN_C | XMAX_I),
        # a locker that ended, committed or not, gets HEAP_XMAX_INVALID
        (10, 20, XMIN_C | XMAX_I | C.HEAP_XMAX_LOCK_ONLY),
        (10, 5, XMIN_C | XMAX_I | C.HEAP_XMAX_IS_MULTI),
    ],
)
def test_hint_bits_that_agree_are_no_finding(xmin: int, xmax: int, infomask: int) -> None:
    assert verdict(xmin, xmax, infomask).diagnostics == ()


def test_statuses_of_the_readers_feed_the_verdict(tmp_path: Path) -> None:
    """The slru readers are an XactSource: a directory with one committed and one aborted
    transaction, one prepared and one that never ended."""
    for sub in ("pg_xact", "pg_multixact/offsets", "pg_multixact/members", "pg_twophase"):
        (tmp_path / sub).mkdir(parents=True)
    page = bytearray(C.BLCKSZ)
    for xid, status in ((700, 1), (701, 2), (702, 0), (703, 0)):
        page[xid // 4] |= status << ((xid % 4) * 2)
    (tmp_path / "pg_xact" / "0000").write_bytes(bytes(page))
    (tmp_path / "pg_twophase" / f"{702:08X}").write_bytes(b"")
    xact = DataDirectoryXacts(
        tmp_path, next_xid=710, oldest_xid=600, prepared=prepared_xids(tmp_path)
    )
    assert verdict(700, 0, 0, xact).verdict is Verdict.LIVE
    assert verdict(701, 0, 0, xact).verdict is Verdict.DEAD
    assert verdict(702, 0, 0, xact).verdict is Verdict.IN_PROGRESS
    assert verdict(703, 0, 0, xact).verdict is Verdict.DEAD
    assert verdict(700, 702, XMIN_C, xact).verdict is Verdict.IN_PROGRESS
    assert verdict(700, 710, XMIN_C, xact).verdict is Verdict.UNKNOWN
    assert verdict(500, 0, 0, xact).verdict is Verdict.LIVE
    assert verdict(700, 3, C.HEAP_XMAX_IS_MULTI, xact).verdict is Verdict.UNKNOWN
    assert xact.problems  # the multixact's segment is missing, said once


# ---------------------------------------------------------------------------------------------
# properties


XIDS = st.one_of(st.integers(0, 30), st.integers(0, 0xFFFFFFFF))
STATUSES = st.sampled_from(list(XactStatus))
SOURCES = st.sampled_from(list(XidSource))


@st.composite
def doubles(draw: st.DrawFn) -> Double:
    statuses = draw(st.dictionaries(XIDS, st.tuples(STATUSES, SOURCES), max_size=8))
    members = st.lists(
        st.builds(MultiXactMember, XIDS, st.sampled_from(list(MultiXactStatus))), max_size=4
    ).map(tuple)
    multis = draw(st.dictionaries(XIDS, st.one_of(st.none(), members), max_size=4))
    return Double(dict(statuses), multis)


@settings(max_examples=300, deadline=None)
@given(
    xmin=XIDS,
    xmax=XIDS,
    infomask=st.integers(0, 0xFFFF),
    infomask2=st.integers(0, 0xFFFF),
    xact=doubles(),
)
def test_random_headers_never_raise(
    xmin: int, xmax: int, infomask: int, infomask2: int, xact: Double
) -> None:
    v = tuple_visibility(xmin, xmax, infomask, infomask2, xact)
    assert_consistent(v)
    assert all(d.code == HINT_CONTRADICTS_XACT for d in v.diagnostics)
    assert v.xmin_status in XactStatus and v.xmax_status in XactStatus
