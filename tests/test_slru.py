"""pg_xact, pg_multixact and pg_twophase read from files (sources/datadir/slru.py).

Golden: on the data-directory fixtures (``fixtures/datadir/pg<M>/``, cleanly shut-down copies
made by tools/make_datadir_fixtures.py) every xid's status equals the server's
``txid_status()``, every multixact's members equal ``pg_get_multixact_members()``, and the
prepared xids equal ``pg_prepared_xacts``. Semantics: synthetic SLRU directories built here as
clog.c and multixact.c lay them out (segment names, wraparound, the newest multixact, missing
or short segments, other block sizes). Properties: random bytes in the files never raise.
"""

from __future__ import annotations

import json
import struct
import tarfile
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pageinspect_py import constants as C
from pageinspect_py.errors import DataDirectoryError
from pageinspect_py.sources.datadir.slru import (
    CLOG_XACTS_PER_BYTE,
    MULTIXACT_MEMBERGROUP_SIZE,
    SLRU_PAGES_PER_SEGMENT,
    TWOPHASE_MAGIC,
    ClogReader,
    DataDirectoryXacts,
    MultiXactReader,
    MultiXactStatus,
    XactStatus,
    XidSource,
    multixact_precedes,
    prepared_xids,
    xid_precedes,
)

DATADIR_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "datadir"
MAJORS = tuple(range(12, 19))


# ---------------------------------------------------------------------------------------------
# the fixtures


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


def reader_for(pgdata: Path, gold: Mapping[str, Any]) -> DataDirectoryXacts:
    """The readers with pg_control's numbers as pg_control_checkpoint() gave them."""
    cp = gold["control"]["pg_control_checkpoint"]
    return DataDirectoryXacts(
        pgdata,
        block_size=int(gold.get("block_size", C.BLCKSZ)),
        next_xid=int(str(cp["next_xid"]).split(":")[-1]),
        oldest_xid=int(cp["oldest_xid"]),
        next_multi=int(cp["next_multixact_id"]),
        next_multi_offset=int(cp["next_multi_offset"]),
        oldest_multi=int(cp["oldest_multi_xid"]),
        prepared=prepared_xids(pgdata),
    )


def compare_xid_status(xact: DataDirectoryXacts, server: Mapping[str, str | None]) -> list[str]:
    """Differences from txid_status(): NULL is "too old to know" (or not a normal xid)."""
    wrong = []
    for key, said in server.items():
        got = xact.xid_status(int(key))
        if said is None:
            ok = got.source in (XidSource.BEFORE_OLDEST, XidSource.PERMANENT)
        else:
            ok = str(got.status) == said
        if not ok:
            wrong.append(f"xid {key}: txid_status {said!r}, read {got}")
    return wrong


def compare_members(xact: DataDirectoryXacts, server: Mapping[str, Sequence[Any]]) -> list[str]:
    wrong = []
    for key, said in server.items():
        got = xact.multixact_members(int(key))
        read = None if got.members is None else [[m.xid, m.mode] for m in got.members]
        if read != [list(m) for m in said]:
            wrong.append(f"multixact {key}: server {said}, read {read} ({got.detail})")
    return wrong


@pytest.mark.parametrize("major", MAJORS, ids=[f"pg{m}/slru" for m in MAJORS])
def test_golden_xid_status_and_members(major: int, copies: Callable[[int], Path]) -> None:
    gold = golden(major)
    pgdata = copies(major)
    xact = reader_for(pgdata, gold)
    assert gold["xid_status"], "the fixture lists no xid"
    assert compare_xid_status(xact, gold["xid_status"]) == []
    assert compare_members(xact, gold["multixact_members"]) == []
    assert gold["multixact_members"], "the fixture has no multixact"
    assert sorted(prepared_xids(pgdata)) == sorted(gold["prepared_xids"])
    assert xact.problems == ()


# ---------------------------------------------------------------------------------------------
# synthetic directories, laid out as clog.c / multixact.c / twophase.c do


def datadir(root: Path) -> Path:
    for sub in ("pg_xact", "pg_multixact/offsets", "pg_multixact/members", "pg_twophase"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


def write_clog(
    pgdata: Path,
    statuses: Mapping[int, int],
    *,
    block_size: int = C.BLCKSZ,
    pages: int = SLRU_PAGES_PER_SEGMENT,
    long_names: bool = False,
) -> None:
    """pg_xact segments holding ``statuses`` (xid -> TRANSACTION_STATUS_*), per clog.c:
    TransactionIdToPage = xid / (BLCKSZ * 4), TransactionIdToByte, TransactionIdToBIndex."""
    per_page = block_size * CLOG_XACTS_PER_BYTE
    segments: dict[int, bytearray] = {}
    for xid, status in statuses.items():
        pageno = xid // per_page
        segno, rpage = divmod(pageno, SLRU_PAGES_PER_SEGMENT)
        seg = segments.setdefault(segno, bytearray(pages * block_size))
        byte = rpage * block_size + (xid % per_page) // CLOG_XACTS_PER_BYTE
        seg[byte] |= status << ((xid % CLOG_XACTS_PER_BYTE) * 2)
    for segno, seg in segments.items():
        name = f"{segno:015X}" if long_names else f"{segno:04X}"
        (pgdata / "pg_xact" / name).write_bytes(bytes(seg))


def write_multixacts(
    pgdata: Path,
    multis: Mapping[int, tuple[int, Sequence[tuple[int, int]]]],
    *,
    block_size: int = C.BLCKSZ,
    extra_offsets: Mapping[int, int] | None = None,
) -> None:
    """offsets (multi -> starting offset) and members (offset -> xid and status byte), per
    multixact.c: 4-byte offsets; groups of 4 flag bytes then 4 xids, BLCKSZ / 20 a page."""
    per_page = block_size // 4
    groups = block_size // MULTIXACT_MEMBERGROUP_SIZE
    members_per_page = groups * 4
    offsets: dict[int, bytearray] = {}
    members: dict[int, bytearray] = {}

    def put_offset(multi: int, value: int) -> None:
        segno, rpage = divmod(multi // per_page, SLRU_PAGES_PER_SEGMENT)
        seg = offsets.setdefault(segno, bytearray(SLRU_PAGES_PER_SEGMENT * block_size))
        struct.pack_into("<I", seg, rpage * block_size + (multi % per_page) * 4, value)

    for multi, (start, mems) in multis.items():
        put_offset(multi, start)
        for i, (xid, status) in enumerate(mems):
            offset = (start + i) & 0xFFFFFFFF
            segno, rpage = divmod(offset // members_per_page, SLRU_PAGES_PER_SEGMENT)
            seg = members.setdefault(segno, bytearray(SLRU_PAGES_PER_SEGMENT * block_size))
            group = (offset // 4) % groups
            base = rpage * block_size + group * MULTIXACT_MEMBERGROUP_SIZE
            seg[base + offset % 4] = status
            struct.pack_into("<I", seg, base + 4 + (offset % 4) * 4, xid)
    for multi, value in (extra_offsets or {}).items():
        put_offset(multi, value)
    for kind, segs in (("offsets", offsets), ("members", members)):
        for segno, data in segs.items():
            (pgdata / "pg_multixact" / kind / f"{segno:04X}").write_bytes(bytes(data))


STATUS_VALUES = {
    0: XactStatus.IN_PROGRESS,
    1: XactStatus.COMMITTED,
    2: XactStatus.ABORTED,
    3: XactStatus.SUB_COMMITTED,
}


@pytest.mark.parametrize("block_size", [8192, 4096, 32768])
def test_clog_two_bits_per_xid_across_pages_and_segments(tmp_path: Path, block_size: int) -> None:
    pgdata = datadir(tmp_path)
    per_segment = block_size * CLOG_XACTS_PER_BYTE * SLRU_PAGES_PER_SEGMENT
    xids = [3, 4, 5, 6, 7, 1000, block_size * 4 - 1, block_size * 4, per_segment + 9]
    statuses = {xid: (i % 3) + 1 for i, xid in enumerate(xids)} | {8: 0}
    write_clog(pgdata, statuses, block_size=block_size)
    clog = ClogReader(pgdata, block_size=block_size)
    for xid, value in statuses.items():
        assert clog.raw_status(xid) == (STATUS_VALUES[value], "")
    assert clog.problems == ()


def test_clog_long_segment_names_are_read_too(tmp_path: Path) -> None:
    pgdata = datadir(tmp_path)
    write_clog(pgdata, {100: 1, 101: 2}, long_names=True)
    clog = ClogReader(pgdata)
    assert clog.raw_status(100)[0] is XactStatus.COMMITTED
    assert clog.raw_status(101)[0] is XactStatus.ABORTED


def test_missing_segment_and_short_segment_are_unknown_said_once(tmp_path: Path) -> None:
    pgdata = datadir(tmp_path)
    write_clog(pgdata, {10: 1}, pages=2)
    clog = ClogReader(pgdata)
    beyond = 5 * C.BLCKSZ * CLOG_XACTS_PER_BYTE  # page 5 of segment 0, which has 2 pages
    other = C.BLCKSZ * CLOG_XACTS_PER_BYTE * SLRU_PAGES_PER_SEGMENT * 3  # segment 0003
    for _ in range(3):
        assert clog.raw_status(beyond)[0] is XactStatus.UNKNOWN
        status, why = clog.raw_status(other)
        assert status is XactStatus.UNKNOWN
        assert "0003" in why
    assert len(clog.problems) == 2
    assert "past the end" in clog.problems[0]
    assert "no such segment" in clog.problems[1]


def test_not_a_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(DataDirectoryError):
        ClogReader(tmp_path / "nowhere")
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(DataDirectoryError):
        DataDirectoryXacts(tmp_path / "file")
    with pytest.raises(DataDirectoryError):
        ClogReader(tmp_path)  # no pg_xact in it
    with pytest.raises(DataDirectoryError):
        prepared_xids(tmp_path / "file")


def test_status_limits_permanent_old_future_prepared_never_ended(tmp_path: Path) -> None:
    pgdata = datadir(tmp_path)
    write_clog(pgdata, {700: 1, 701: 2, 702: 0, 703: 0, 704: 3})
    xact = DataDirectoryXacts(pgdata, next_xid=705, oldest_xid=650, prepared={702})
    assert xact.xid_status(0).status is XactStatus.INVALID
    assert xact.xid_status(1).status is XactStatus.FROZEN
    assert xact.xid_status(2).status is XactStatus.FROZEN
    assert xact.xid_status(0xFFFFFFFF).source is XidSource.BEFORE_OLDEST  # 706 before next
    old = xact.xid_status(600)
    assert (old.status, old.source) == (XactStatus.COMMITTED, XidSource.BEFORE_OLDEST)
    assert "committed or frozen" in old.describe()
    assert xact.xid_status(700).status is XactStatus.COMMITTED
    assert xact.xid_status(701).status is XactStatus.ABORTED
    prepared = xact.xid_status(702)
    assert (prepared.status, prepared.source) == (XactStatus.IN_PROGRESS, XidSource.PREPARED)
    ended = xact.xid_status(703)
    assert (ended.status, ended.source) == (XactStatus.ABORTED, XidSource.NEVER_ENDED)
    assert xact.xid_status(704).status is XactStatus.SUB_COMMITTED
    for future in (705, 10_000, 705 + 0x7FFFFFFF):  # half the xid space ahead at most
        got = xact.xid_status(future)
        assert (got.status, got.source) == (XactStatus.UNKNOWN, XidSource.FUTURE)
        assert "in the future" in got.describe()
    # without the prepared set nothing is known of the shutdown: in progress stays
    unsure = DataDirectoryXacts(pgdata, next_xid=705, oldest_xid=650)
    assert unsure.xid_status(703).status is XactStatus.IN_PROGRESS


def test_xid_comparisons_wrap_around() -> None:
    assert xid_precedes(0xFFFFFFF0, 5)  # 5 comes after the wraparound
    assert not xid_precedes(5, 0xFFFFFFF0)
    assert xid_precedes(2, 3) and xid_precedes(0, 0xFFFFFFFF)  # permanent xids: plain <
    assert multixact_precedes(0xFFFFFFFF, 1)
    assert not multixact_precedes(1, 0xFFFFFFFF)


def test_status_around_xid_wraparound(tmp_path: Path) -> None:
    pgdata = datadir(tmp_path)
    write_clog(pgdata, {0xFFFFFFF0: 1, 10: 2})
    xact = DataDirectoryXacts(pgdata, next_xid=20, oldest_xid=0xFFFFFF00, prepared=())
    assert xact.xid_status(0xFFFFFFF0).status is XactStatus.COMMITTED
    assert xact.xid_status(10).status is XactStatus.ABORTED
    assert xact.xid_status(0xFFFFF000).source is XidSource.BEFORE_OLDEST
    assert xact.xid_status(21).source is XidSource.FUTURE


KEYSH, SH, NOKEYUPD, UPD = (
    MultiXactStatus.ForKeyShare,
    MultiXactStatus.ForShare,
    MultiXactStatus.NoKeyUpdate,
    MultiXactStatus.Update,
)


def test_multixact_members_modes_and_updater(tmp_path: Path) -> None:
    pgdata = datadir(tmp_path)
    write_multixacts(
        pgdata,
        {
            1: (1, [(700, SH), (701, SH)]),
            2: (3, [(702, KEYSH), (703, NOKEYUPD), (704, 1)]),
            3: (6, [(705, MultiXactStatus.ForUpdate)]),
        },
    )
    reader = MultiXactReader(pgdata, next_multi=4, next_multi_offset=7, oldest_multi=1)
    one = reader.members(1)
    assert [(m.xid, m.mode) for m in one.members or ()] == [(700, "sh"), (701, "sh")]
    assert one.updater is None
    two = reader.members(2)
    assert [(m.xid, m.mode) for m in two.members or ()] == [
        (702, "keysh"),
        (703, "nokeyupd"),
        (704, "sh"),
    ]
    assert two.updater is not None and two.updater.xid == 703
    # the newest: its end is pg_control's next offset, not the (unwritten) next entry
    three = reader.members(3)
    assert [(m.xid, m.mode) for m in three.members or ()] == [(705, "forupd")]
    assert [s.mode for s in MultiXactStatus] == [
        "keysh",
        "sh",
        "fornokeyupd",
        "forupd",
        "nokeyupd",
        "upd",
    ]
    assert [s.is_update for s in MultiXactStatus] == [False] * 4 + [True] * 2
    assert reader.problems == ()


def test_multixact_members_across_pages_and_wraparound(tmp_path: Path) -> None:
    pgdata = datadir(tmp_path)
    members_per_page = (C.BLCKSZ // MULTIXACT_MEMBERGROUP_SIZE) * 4
    start = members_per_page - 2  # the members straddle two member pages
    # offsets wrap: GetNewMultiXactId skips offset 0 and leaves its xid slot invalid
    wrap_start = 0xFFFFFFFE
    write_multixacts(
        pgdata,
        {
            7: (start, [(800, SH), (801, SH), (802, SH), (803, UPD)]),
            8: (start + 4, [(804, KEYSH)]),
            9: (wrap_start, [(805, SH), (806, SH), (0, 0), (807, UPD)]),
        },
        extra_offsets={10: 2},
    )
    reader = MultiXactReader(pgdata, next_multi=11, next_multi_offset=3)
    assert [m.xid for m in reader.members(7).members or ()] == [800, 801, 802, 803]
    assert [m.xid for m in reader.members(9).members or ()] == [805, 806, 807]


def test_multixact_unknowns(tmp_path: Path) -> None:
    pgdata = datadir(tmp_path)
    write_multixacts(pgdata, {5: (10, [(700, SH)]), 6: (11, [(701, 9)])})
    reader = MultiXactReader(pgdata, next_multi=7, next_multi_offset=12, oldest_multi=4)
    assert [m.xid for m in reader.members(5).members or ()] == [700]
    for multi, words in (
        (0, "InvalidMultiXactId"),
        (3, "older than the oldest multixact 4"),
        (7, "in the future"),
        (9, "in the future"),
        (6, "status 9"),  # not a MultiXactStatus
    ):
        got = reader.members(multi)
        assert got.members is None, multi
        assert words in got.detail, got
    # no bounds known: where the next entry is 0 the end is unknown, and so is a 0 start
    free = MultiXactReader(pgdata)
    assert free.members(6).members is None
    assert "multixact 7, where its members end, was never written" in free.members(6).detail
    assert "has offset 0" in free.members(7).detail
    # a missing offsets segment
    far = MultiXactReader(pgdata, next_multi=0x7FFFFFFF)
    assert far.members(0x100000).members is None
    assert any("no such segment" in p for p in far.problems)


def twophase_file(xid: int, major: int, gid: bytes, subxacts: Sequence[int]) -> bytes:
    """A TwoPhaseFileHeader (twophase.c) with nsubxacts and the GID, then the subxacts."""
    size, gidlen_at = (72, 54) if major >= 15 else (64, 46)
    header = bytearray(size)
    struct.pack_into("<III", header, 0, TWOPHASE_MAGIC, 0, xid)
    struct.pack_into("<i", header, 28, len(subxacts))
    struct.pack_into("<H", header, gidlen_at, len(gid) + 1)
    body = bytes(header) + gid + b"\0" * (C.maxalign(len(gid) + 1) - len(gid))
    body += b"".join(struct.pack("<I", x) for x in subxacts)
    return body + b"\0" * 4


@pytest.mark.parametrize("major", [12, 14, 15, 17, 18])
def test_prepared_xids_names_and_subtransactions(tmp_path: Path, major: int) -> None:
    pgdata = datadir(tmp_path)
    (pgdata / "PG_VERSION").write_text(f"{major}\n")
    name = f"{0:08X}{760:08X}" if major >= 17 else f"{760:08X}"
    (pgdata / "pg_twophase" / name).write_bytes(twophase_file(760, major, b"p1", [761, 762]))
    (pgdata / "pg_twophase" / f"{768:08X}").write_bytes(b"short")  # the name still says it
    (pgdata / "pg_twophase" / "not-a-xid").write_bytes(b"")
    assert prepared_xids(pgdata) == frozenset({760, 761, 762, 768})


def test_prepared_xids_without_directory_or_version(tmp_path: Path) -> None:
    assert prepared_xids(tmp_path) == frozenset()
    (tmp_path / "pg_twophase").mkdir()
    (tmp_path / "pg_twophase" / "00000300").write_bytes(twophase_file(768, 15, b"g", [769]))
    assert prepared_xids(tmp_path) == frozenset({768})  # no PG_VERSION: the name only


# ---------------------------------------------------------------------------------------------
# properties: random bytes in the files never raise


@settings(max_examples=60, deadline=None)
@given(
    clog=st.binary(max_size=3 * 1024),
    offsets=st.binary(max_size=3 * 1024),
    members=st.binary(max_size=3 * 1024),
    twophase=st.binary(max_size=200),
    block_size=st.sampled_from([1024, 8192]),
    numbers=st.lists(st.integers(0, 0xFFFFFFFF), min_size=5, max_size=5),
    probes=st.lists(st.integers(0, 0xFFFFFFFF), max_size=20),
    small=st.lists(st.integers(0, 5000), max_size=20),
    prepared=st.booleans(),
)
def test_random_slru_bytes_never_raise(
    clog: bytes,
    offsets: bytes,
    members: bytes,
    twophase: bytes,
    block_size: int,
    numbers: list[int],
    probes: list[int],
    small: list[int],
    prepared: bool,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pgdata = datadir(Path(tmp))
        (pgdata / "PG_VERSION").write_text("16\n")
        (pgdata / "pg_xact" / "0000").write_bytes(clog)
        (pgdata / "pg_multixact" / "offsets" / "0000").write_bytes(offsets)
        (pgdata / "pg_multixact" / "members" / "0000").write_bytes(members)
        (pgdata / "pg_twophase" / "00000010").write_bytes(twophase)
        next_xid, oldest_xid, next_multi, next_offset, oldest_multi = numbers
        xact = DataDirectoryXacts(
            pgdata,
            block_size=block_size,
            next_xid=next_xid,
            oldest_xid=oldest_xid,
            next_multi=next_multi,
            next_multi_offset=next_offset,
            oldest_multi=oldest_multi,
            prepared=prepared_xids(pgdata) if prepared else None,
        )
        free = DataDirectoryXacts(pgdata, block_size=block_size)
        for value in [*probes, *small]:
            for reader in (xact, free):
                status = reader.xid_status(value)
                assert status.status in XactStatus
                assert isinstance(status.describe(), str)
                found = reader.multixact_members(value)
                assert found.members is not None or found.detail
        assert all(isinstance(p, str) for p in (*xact.problems, *free.problems))
