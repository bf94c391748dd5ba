"""``global/pg_control``: the control file of a data directory, as ``pg_controldata`` reads it.

:func:`read_control` opens ``PGDATA/global/pg_control`` (the major from ``PG_VERSION`` when the
directory has one, else from the file's ``pg_control_version``); :func:`parse_control` reads
the bytes of one. Both return a :class:`ControlFile` whose fields carry the C names of
``ControlFileData`` and ``CheckPoint`` (``src/include/catalog/pg_control.h``).

As with ``pg_controldata``, a CRC that does not match and a version this module does not know
are *problems* carried on the result (the fields are still read, and untrustworthy); a file
too short to hold ``ControlFileData``, a missing file and a directory that is no data
directory raise :class:`~pageinspect_py.errors.DataDirectoryError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import construct

from pageinspect_py.errors import DataDirectoryError
from pageinspect_py.layouts.control import (
    CONTROL_MAJORS,
    DB_IN_ARCHIVE_RECOVERY,
    DB_IN_CRASH_RECOVERY,
    DB_IN_PRODUCTION,
    DB_SHUTDOWNED,
    DB_SHUTDOWNED_IN_RECOVERY,
    DB_SHUTDOWNING,
    DB_STARTUP,
    FLOATFORMAT_VALUE,
    PG_CONTROL_FILE_SIZE,
    PG_CONTROL_VERSION,
    control_file_data,
    control_offsets,
    crc_offset,
    majors_of_version,
)
from pageinspect_py.page.crc32c import crc32c

#: where the control file lives in a data directory (XLOG_CONTROL_FILE)
CONTROL_FILE_PATH = Path("global") / "pg_control"

#: pg_controldata.c dbState(): the words it prints for each DBState
DB_STATE_TEXT: dict[int, str] = {
    DB_STARTUP: "starting up",
    DB_SHUTDOWNED: "shut down",
    DB_SHUTDOWNED_IN_RECOVERY: "shut down in recovery",
    DB_SHUTDOWNING: "shutting down",
    DB_IN_CRASH_RECOVERY: "in crash recovery",
    DB_IN_ARCHIVE_RECOVERY: "in archive recovery",
    DB_IN_PRODUCTION: "in production",
}
#: pg_controldata.c dbState() for any other value
DB_STATE_UNRECOGNIZED = "unrecognized status code"

#: xlog_internal.h IsValidWalSegSize: a power of two from 1 MB to 1 GB
_WAL_SEG_MIN, _WAL_SEG_MAX = 1024 * 1024, 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CheckPoint:
    """``ControlFileData.checkPointCopy``: the latest checkpoint record's body."""

    redo: int  #: REDO start point (XLogRecPtr)
    ThisTimeLineID: int
    PrevTimeLineID: int
    fullPageWrites: bool
    wal_level: int | None  #: 17+ (the WalLevel value); None before
    nextXid: int  #: 64-bit FullTransactionId (C name ``nextFullXid`` in 12)
    nextOid: int
    nextMulti: int
    nextMultiOffset: int
    oldestXid: int
    oldestXidDB: int
    oldestMulti: int
    oldestMultiDB: int
    time: int  #: pg_time_t, seconds since 1970-01-01 UTC
    oldestCommitTsXid: int
    newestCommitTsXid: int
    oldestActiveXid: int

    @property
    def next_xid_epoch(self) -> int:
        """``EpochFromFullTransactionId(nextXid)``."""
        return self.nextXid >> 32

    @property
    def next_xid32(self) -> int:
        """``XidFromFullTransactionId(nextXid)``."""
        return self.nextXid & 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class ControlFile:
    """One ``pg_control``: ``ControlFileData`` field by field, and what was found wrong."""

    path: Path | None  #: the file read, None for bytes given to :func:`parse_control`
    major: int | None  #: PostgreSQL major (PG_VERSION, else the one pg_control_version names)
    layout_major: int  #: the major whose ControlFileData layout read the bytes
    system_identifier: int
    pg_control_version: int
    catalog_version_no: int
    state: str  #: DBState as pg_controldata prints it ("shut down", "in production", ...)
    state_code: int  #: the DBState value
    time: int  #: pg_time_t of the last pg_control update
    checkPoint: int  #: LSN of the latest checkpoint record
    checkPointCopy: CheckPoint
    unloggedLSN: int
    minRecoveryPoint: int
    minRecoveryPointTLI: int
    backupStartPoint: int
    backupEndPoint: int
    backupEndRequired: bool
    wal_level: int  #: WalLevel value (WAL_LEVEL_MINIMAL 0, REPLICA 1, LOGICAL 2)
    wal_log_hints: bool
    MaxConnections: int
    max_worker_processes: int
    max_wal_senders: int
    max_prepared_xacts: int
    max_locks_per_xact: int
    track_commit_timestamp: bool
    maxAlign: int
    floatFormat: float
    blcksz: int
    relseg_size: int
    xlog_blcksz: int
    xlog_seg_size: int
    nameDataLen: int
    indexMaxKeys: int
    toast_max_chunk_size: int
    loblksize: int
    float4ByVal: bool | None  #: PostgreSQL 12 only; None after
    float8ByVal: bool
    data_checksum_version: int
    default_char_signedness: bool | None  #: 18+ (True: signed); None before
    mock_authentication_nonce: bytes
    crc: int  #: as stored
    crc_computed: int  #: CRC-32C of the bytes before ``crc``
    problems: tuple[str, ...] = field(default=())

    @property
    def crc_ok(self) -> bool:
        return self.crc == self.crc_computed

    @property
    def next_xid(self) -> int:
        """The next free transaction ID, 64 bits (epoch in the high half)."""
        return self.checkPointCopy.nextXid

    @property
    def next_xid_epoch(self) -> int:
        return self.checkPointCopy.next_xid_epoch

    @property
    def next_xid32(self) -> int:
        return self.checkPointCopy.next_xid32


def read_control(pgdata: Path) -> ControlFile:
    """The control file of the data directory ``pgdata``.

    Raises DataDirectoryError when ``pgdata`` is not a data directory (neither ``PG_VERSION``
    nor ``global/pg_control``), or the control file is missing, unreadable or too short.
    """
    pgdata = Path(pgdata)
    if not pgdata.is_dir():
        what = "no such directory" if not pgdata.exists() else "not a directory"
        raise DataDirectoryError(f"{pgdata}: {what} (expected a data directory)")
    path = pgdata / CONTROL_FILE_PATH
    version_file = pgdata / "PG_VERSION"
    if not version_file.exists() and not path.exists():
        raise DataDirectoryError(
            f"{pgdata}: not a data directory (no PG_VERSION and no {CONTROL_FILE_PATH})"
        )
    problems: list[str] = []
    major = None
    if version_file.exists():
        major, problem = _pg_version(version_file)
        if problem:
            problems.append(problem)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DataDirectoryError(f"{path}: no such file (the control file)") from exc
    except OSError as exc:
        raise DataDirectoryError(f"{path}: {exc.strerror or exc}") from exc
    control = parse_control(data, major, path=path)
    if problems:
        control = _with_problems(control, problems)
    return control


def _pg_version(version_file: Path) -> tuple[int | None, str | None]:
    """The major PG_VERSION names, or None and why not."""
    try:
        text = version_file.read_text(encoding="ascii", errors="replace").strip()
    except OSError as exc:
        return None, f"{version_file}: {exc.strerror or exc}"
    if not text.isdigit():
        return None, f"{version_file}: {text[:20]!r} is not a PostgreSQL 10+ major version"
    return int(text), None


def _with_problems(control: ControlFile, first: list[str]) -> ControlFile:
    return replace(control, problems=(*first, *control.problems))


def parse_control(
    data: bytes, major: int | None = None, *, path: Path | None = None
) -> ControlFile:
    """Read ``ControlFileData`` from the bytes of a pg_control file.

    ``major`` (from PG_VERSION) chooses the layout; without it the layout is the one
    ``pg_control_version`` names (a version not known here: the newest layout).
    """
    where = str(path) if path is not None else str(CONTROL_FILE_PATH)
    problems: list[str] = []
    version_at, version_size = control_offsets(CONTROL_MAJORS[-1])["pg_control_version"]
    if len(data) < version_at + version_size:
        raise DataDirectoryError(
            f"{where}: {len(data)} bytes, too short for a control file "
            f"({PG_CONTROL_FILE_SIZE} bytes)"
        )
    version = int.from_bytes(data[version_at : version_at + version_size], "little")
    layout_major = _choose_layout(major, version, problems)
    layout = control_file_data(layout_major)
    if len(data) < layout.sizeof():
        raise DataDirectoryError(
            f"{where}: {len(data)} bytes, too short for a control file of PostgreSQL "
            f"{layout_major} (ControlFileData takes {layout.sizeof()} bytes; PostgreSQL "
            f"writes {PG_CONTROL_FILE_SIZE})"
        )
    if len(data) != PG_CONTROL_FILE_SIZE:
        problems.append(f"{len(data)} bytes, PostgreSQL writes {PG_CONTROL_FILE_SIZE}")
    try:
        c = layout.parse(data)
    except construct.ConstructError as exc:  # pragma: no cover - sized above
        raise DataDirectoryError(f"{where}: {exc}") from exc
    computed = crc32c(data[: crc_offset(layout_major)])
    if computed != c.crc:
        problems.append(
            "calculated CRC checksum does not match value stored in control file "
            f"(stored {c.crc:08X}, calculated {computed:08X}): either the file is corrupt, "
            "or it has a different layout than this program is expecting; the values read "
            "from it are untrustworthy"
        )
    if not _valid_wal_seg_size(c.xlog_seg_size):
        problems.append(
            f"invalid WAL segment size in control file ({c.xlog_seg_size} bytes): the WAL "
            "segment size must be a power of two between 1 MB and 1 GB"
        )
    if c.floatFormat != FLOATFORMAT_VALUE:
        problems.append(
            f"floatFormat is {c.floatFormat!r}, not {FLOATFORMAT_VALUE!r}: a different "
            "floating-point format, or a damaged file"
        )
    if major is None:
        majors = majors_of_version(version)
        major = majors[0] if len(majors) == 1 else None
    return ControlFile(
        path=path,
        major=major,
        layout_major=layout_major,
        system_identifier=c.system_identifier,
        pg_control_version=c.pg_control_version,
        catalog_version_no=c.catalog_version_no,
        state=DB_STATE_TEXT.get(c.state, DB_STATE_UNRECOGNIZED),
        state_code=c.state,
        time=c.time,
        checkPoint=c.checkPoint,
        checkPointCopy=_check_point(c.checkPointCopy),
        unloggedLSN=c.unloggedLSN,
        minRecoveryPoint=c.minRecoveryPoint,
        minRecoveryPointTLI=c.minRecoveryPointTLI,
        backupStartPoint=c.backupStartPoint,
        backupEndPoint=c.backupEndPoint,
        backupEndRequired=c.backupEndRequired,
        wal_level=c.wal_level,
        wal_log_hints=c.wal_log_hints,
        MaxConnections=c.MaxConnections,
        max_worker_processes=c.max_worker_processes,
        max_wal_senders=c.max_wal_senders,
        max_prepared_xacts=c.max_prepared_xacts,
        max_locks_per_xact=c.max_locks_per_xact,
        track_commit_timestamp=c.track_commit_timestamp,
        maxAlign=c.maxAlign,
        floatFormat=c.floatFormat,
        blcksz=c.blcksz,
        relseg_size=c.relseg_size,
        xlog_blcksz=c.xlog_blcksz,
        xlog_seg_size=c.xlog_seg_size,
        nameDataLen=c.nameDataLen,
        indexMaxKeys=c.indexMaxKeys,
        toast_max_chunk_size=c.toast_max_chunk_size,
        loblksize=c.loblksize,
        float4ByVal=c.get("float4ByVal"),
        float8ByVal=c.float8ByVal,
        data_checksum_version=c.data_checksum_version,
        default_char_signedness=c.get("default_char_signedness"),
        mock_authentication_nonce=bytes(c.mock_authentication_nonce),
        crc=c.crc,
        crc_computed=computed,
        problems=tuple(f"{where}: {p}" for p in problems),
    )


def _choose_layout(major: int | None, version: int, problems: list[str]) -> int:
    """The major whose layout reads a file of ``pg_control_version`` ``version``; what does
    not fit goes to ``problems``."""
    known = majors_of_version(version)
    if major is not None and major in PG_CONTROL_VERSION:
        if PG_CONTROL_VERSION[major] != version:
            problems.append(
                f"pg_control version {version}, but PostgreSQL {major} (PG_VERSION) writes "
                f"{PG_CONTROL_VERSION[major]}; read as PostgreSQL {major} reads it"
            )
        return major
    if major is not None:
        problems.append(
            f"PostgreSQL {major} (PG_VERSION) is not supported (12 to {CONTROL_MAJORS[-1]})"
        )
    if known:
        return known[-1]
    problems.append(
        f"unknown pg_control version {version} (PostgreSQL 12 to {CONTROL_MAJORS[-1]} write "
        f"{', '.join(str(v) for v in sorted(set(PG_CONTROL_VERSION.values())))}); read with "
        f"the layout of PostgreSQL {CONTROL_MAJORS[-1]}"
    )
    return CONTROL_MAJORS[-1]


def _check_point(c: Any) -> CheckPoint:
    return CheckPoint(
        redo=c.redo,
        ThisTimeLineID=c.ThisTimeLineID,
        PrevTimeLineID=c.PrevTimeLineID,
        fullPageWrites=c.fullPageWrites,
        wal_level=c.get("wal_level"),
        nextXid=c.nextFullXid if "nextFullXid" in c else c.nextXid,
        nextOid=c.nextOid,
        nextMulti=c.nextMulti,
        nextMultiOffset=c.nextMultiOffset,
        oldestXid=c.oldestXid,
        oldestXidDB=c.oldestXidDB,
        oldestMulti=c.oldestMulti,
        oldestMultiDB=c.oldestMultiDB,
        time=c.time,
        oldestCommitTsXid=c.oldestCommitTsXid,
        newestCommitTsXid=c.newestCommitTsXid,
        oldestActiveXid=c.oldestActiveXid,
    )


def _valid_wal_seg_size(size: int) -> bool:
    return _WAL_SEG_MIN <= size <= _WAL_SEG_MAX and size & (size - 1) == 0
