"""The control file, ``global/pg_control``: ``ControlFileData`` with its ``CheckPoint`` copy.

Source: ``src/include/catalog/pg_control.h`` of each branch (``CheckPoint``, ``DBState``,
``ControlFileData``, ``PG_CONTROL_VERSION``, ``MOCK_AUTH_NONCE_LEN``, ``FLOATFORMAT_VALUE``,
``PG_CONTROL_FILE_SIZE``), ``src/include/access/xlog.h`` (``WalLevel``) and
``src/include/access/transam.h`` (``FullTransactionId``), PostgreSQL 12 to 18, x86-64.

What changed between versions, and how the factories below choose:

* 12 (``PG_CONTROL_VERSION`` 1201): ``CheckPoint.nextFullXid``; ``ControlFileData`` still has
  ``float4ByVal`` before ``float8ByVal``.
* 13 (1300, unchanged up to 16): ``nextFullXid`` is renamed ``nextXid`` (same 64-bit
  ``FullTransactionId``); ``float4ByVal`` is gone (float4 is always by value).
* 17 (1700): ``CheckPoint`` gains ``wal_level`` after ``fullPageWrites`` (it fills three of
  the seven padding bytes there, so ``sizeof(CheckPoint)`` stays 88).
* 18 (1800): ``ControlFileData`` gains ``default_char_signedness`` before the mock
  authentication nonce (the CRC moves from offset 288 to 292; the struct stays 296 bytes).

The C declarations are written below as (C type, field, C comment) and the padding a C
compiler inserts (x86-64: 8-byte ``uint64``/``XLogRecPtr``/``pg_time_t``/``double``/
``FullTransactionId``, 4-byte ``uint32``/``int``/enums, 1-byte ``bool``/``char``) is derived
from the types, never typed by hand: :func:`field_offsets` of the result gives C's
``offsetof`` (``checkPointCopy`` 40, ``unloggedLSN`` 128, ``maxAlign`` 204, ``floatFormat``
208, ``crc`` 288 or 292) and ``sizeof()`` C's ``sizeof``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from construct import (
    Bytes,
    Flag,
    Float64l,
    Int32sl,
    Int32ul,
    Int64sl,
    Int64ul,
    Padding,
    Struct,
)

from pageinspect_py.layouts._util import field_docs, field_offsets

#: pg_control.h: the physical size of the file (the struct itself is far smaller)
PG_CONTROL_FILE_SIZE = 8192
#: pg_control.h: bytes of ``mock_authentication_nonce``
MOCK_AUTH_NONCE_LEN = 32
#: pg_control.h: ``floatFormat`` holds this constant (a check of the float format)
FLOATFORMAT_VALUE = 1234567.0

#: pg_control.h: PG_CONTROL_VERSION as each major writes it
PG_CONTROL_VERSION: dict[int, int] = {
    12: 1201,
    13: 1300,
    14: 1300,
    15: 1300,
    16: 1300,
    17: 1700,
    18: 1800,
}
#: the majors this module has layouts for
CONTROL_MAJORS: tuple[int, ...] = tuple(sorted(PG_CONTROL_VERSION))

#: pg_control.h: enum DBState
DB_STARTUP = 0
DB_SHUTDOWNED = 1
DB_SHUTDOWNED_IN_RECOVERY = 2
DB_SHUTDOWNING = 3
DB_IN_CRASH_RECOVERY = 4
DB_IN_ARCHIVE_RECOVERY = 5
DB_IN_PRODUCTION = 6
#: the enum's names by value
DB_STATE_NAMES: dict[int, str] = {
    DB_STARTUP: "DB_STARTUP",
    DB_SHUTDOWNED: "DB_SHUTDOWNED",
    DB_SHUTDOWNED_IN_RECOVERY: "DB_SHUTDOWNED_IN_RECOVERY",
    DB_SHUTDOWNING: "DB_SHUTDOWNING",
    DB_IN_CRASH_RECOVERY: "DB_IN_CRASH_RECOVERY",
    DB_IN_ARCHIVE_RECOVERY: "DB_IN_ARCHIVE_RECOVERY",
    DB_IN_PRODUCTION: "DB_IN_PRODUCTION",
}

#: xlog.h: enum WalLevel
WAL_LEVEL_MINIMAL = 0
WAL_LEVEL_REPLICA = 1
WAL_LEVEL_LOGICAL = 2

#: C type -> (construct, alignment on x86-64); the typedefs of c.h, xlogdefs.h, pgtime.h,
#: postgres_ext.h, transam.h, multixact.h and pg_crc32c.h
_C_TYPES: dict[str, tuple[Any, int]] = {
    "uint32": (Int32ul, 4),
    "uint64": (Int64ul, 8),
    "int": (Int32sl, 4),
    "bool": (Flag, 1),
    "double": (Float64l, 8),
    "pg_time_t": (Int64sl, 8),  # int64
    "XLogRecPtr": (Int64ul, 8),  # uint64
    "TimeLineID": (Int32ul, 4),
    "TransactionId": (Int32ul, 4),
    "MultiXactId": (Int32ul, 4),
    "MultiXactOffset": (Int32ul, 4),
    "Oid": (Int32ul, 4),
    "FullTransactionId": (Int64ul, 8),  # struct { uint64 value; }
    "DBState": (Int32ul, 4),  # enum, values 0..6
    "pg_crc32c": (Int32ul, 4),
    "char[MOCK_AUTH_NONCE_LEN]": (Bytes(MOCK_AUTH_NONCE_LEN), 1),
}

#: alignment of the structs built here (CheckPoint nests inside ControlFileData)
_STRUCT_ALIGN: dict[int, int] = {}


def _c_struct(members: list[tuple[str, str, str]], nested: dict[str, Any] | None = None) -> Any:
    """A construct Struct laid out as a C compiler lays out ``members``: (C type, name,
    comment), with ``Padding`` before each member to its alignment and at the end to the
    struct's alignment. ``nested`` names the struct types built here that members may have."""
    subcons: list[Any] = []
    position = 0
    align = 1
    for ctype, name, doc in members:
        if ctype in _C_TYPES:
            con, member_align = _C_TYPES[ctype]
        else:  # a struct built here (CheckPoint)
            con = (nested or {})[ctype]
            member_align = _STRUCT_ALIGN[id(con)]
        gap = -position % member_align
        if gap:
            subcons.append(Padding(gap))
        subcons.append(name / con * doc)
        position += gap + con.sizeof()
        align = max(align, member_align)
    if -position % align:
        subcons.append(Padding(-position % align))
    struct = Struct(*subcons)
    _STRUCT_ALIGN[id(struct)] = align
    return struct


@cache
def check_point(major: int) -> Any:
    """``CheckPoint`` of ``major`` (the body of a checkpoint WAL record, copied into
    pg_control as ``checkPointCopy``)."""
    _check_major(major)
    members: list[tuple[str, str, str]] = [
        (
            "XLogRecPtr",
            "redo",
            "next RecPtr available when we began to create CheckPoint (i.e. REDO start point)",
        ),
        ("TimeLineID", "ThisTimeLineID", "current TLI"),
        (
            "TimeLineID",
            "PrevTimeLineID",
            "previous TLI, if this record begins a new timeline (equals ThisTimeLineID otherwise)",
        ),
        ("bool", "fullPageWrites", "current full_page_writes"),
    ]
    if major >= 17:
        members.append(("int", "wal_level", "current wal_level"))
    members += [
        (
            "FullTransactionId",
            "nextFullXid" if major == 12 else "nextXid",
            "next free full transaction ID" if major == 12 else "next free transaction ID",
        ),
        ("Oid", "nextOid", "next free OID"),
        ("MultiXactId", "nextMulti", "next free MultiXactId"),
        ("MultiXactOffset", "nextMultiOffset", "next free MultiXact offset"),
        ("TransactionId", "oldestXid", "cluster-wide minimum datfrozenxid"),
        ("Oid", "oldestXidDB", "database with minimum datfrozenxid"),
        ("MultiXactId", "oldestMulti", "cluster-wide minimum datminmxid"),
        ("Oid", "oldestMultiDB", "database with minimum datminmxid"),
        ("pg_time_t", "time", "time stamp of checkpoint"),
        ("TransactionId", "oldestCommitTsXid", "oldest Xid with valid commit timestamp"),
        ("TransactionId", "newestCommitTsXid", "newest Xid with valid commit timestamp"),
        (
            "TransactionId",
            "oldestActiveXid",
            "Oldest XID still running. This is only needed to initialize hot standby mode "
            "from an online checkpoint, so we only bother calculating this for online "
            "checkpoints and only when wal_level is replica. Otherwise it's set to "
            "InvalidTransactionId.",
        ),
    ]
    return _c_struct(members)


@cache
def control_file_data(major: int) -> Any:
    """``ControlFileData`` of ``major``: the first ``sizeof()`` bytes of pg_control (the rest
    of the 8 kB file is zeros)."""
    _check_major(major)
    members: list[tuple[str, str, str]] = [
        (
            "uint64",
            "system_identifier",
            "Unique system identifier --- to ensure we match up xlog files with the "
            "installation that produced them.",
        ),
        ("uint32", "pg_control_version", "PG_CONTROL_VERSION"),
        ("uint32", "catalog_version_no", "see catversion.h"),
        ("DBState", "state", "see enum above"),
        ("pg_time_t", "time", "time stamp of last pg_control update"),
        ("XLogRecPtr", "checkPoint", "last check point record ptr"),
        ("CheckPoint", "checkPointCopy", "copy of last check point record"),
        ("XLogRecPtr", "unloggedLSN", "current fake LSN value, for unlogged rels"),
        (
            "XLogRecPtr",
            "minRecoveryPoint",
            "must replay xlog to here before starting up (zero when not doing archive recovery)",
        ),
        ("TimeLineID", "minRecoveryPointTLI", "timeline of minRecoveryPoint"),
        (
            "XLogRecPtr",
            "backupStartPoint",
            "redo pointer of the backup start checkpoint, if recovering from an online "
            "backup and the end of backup is not reached yet",
        ),
        (
            "XLogRecPtr",
            "backupEndPoint",
            "backup end location, if recovering from an online backup taken from a standby",
        ),
        (
            "bool",
            "backupEndRequired",
            "we are restoring from a backup and must see a backup-end record before we can "
            "safely start up",
        ),
        ("int", "wal_level", "parameter settings that determine if the WAL can be used"),
        ("bool", "wal_log_hints", ""),
        ("int", "MaxConnections", ""),
        ("int", "max_worker_processes", ""),
        ("int", "max_wal_senders", ""),
        ("int", "max_prepared_xacts", ""),
        ("int", "max_locks_per_xact", ""),
        ("bool", "track_commit_timestamp", ""),
        ("uint32", "maxAlign", "alignment requirement for tuples"),
        ("double", "floatFormat", "constant 1234567.0"),
        ("uint32", "blcksz", "data block size for this DB"),
        ("uint32", "relseg_size", "blocks per segment of large relation"),
        ("uint32", "xlog_blcksz", "block size within WAL files"),
        ("uint32", "xlog_seg_size", "size of each WAL segment"),
        ("uint32", "nameDataLen", "catalog name field width"),
        ("uint32", "indexMaxKeys", "max number of columns in an index"),
        ("uint32", "toast_max_chunk_size", "chunk size in TOAST tables"),
        ("uint32", "loblksize", "chunk size in pg_largeobject"),
    ]
    if major == 12:
        members.append(("bool", "float4ByVal", "float4 pass-by-value?"))
    members += [
        ("bool", "float8ByVal", "float8, int8, etc pass-by-value?"),
        (
            "uint32",
            "data_checksum_version",
            "Are data pages protected by checksums? Zero if no checksum version",
        ),
    ]
    if major >= 18:
        members.append(
            (
                "bool",
                "default_char_signedness",
                'True if the default signedness of char is "signed" on a platform where the '
                "cluster is initialized.",
            )
        )
    members += [
        (
            "char[MOCK_AUTH_NONCE_LEN]",
            "mock_authentication_nonce",
            "Random nonce, used in authentication requests that need to proceed based on "
            "values that are cluster-unique, like a SASL exchange that failed at an early "
            "stage.",
        ),
        ("pg_crc32c", "crc", "CRC of all above ... MUST BE LAST!"),
    ]
    return _c_struct(members, {"CheckPoint": check_point(major)})


def _check_major(major: int) -> None:
    if major not in PG_CONTROL_VERSION:
        raise ValueError(f"no pg_control layout for PostgreSQL {major}")


def control_offsets(major: int) -> dict[str, tuple[int, int]]:
    """``{field: (offset, size)}`` of ``ControlFileData`` of ``major`` (C's offsetof)."""
    return field_offsets(control_file_data(major))


def check_point_offsets(major: int) -> dict[str, tuple[int, int]]:
    """``{field: (offset, size)}`` of ``CheckPoint`` of ``major``, from its own start."""
    return field_offsets(check_point(major))


def control_docs(major: int) -> dict[str, str]:
    """``{field: C comment}`` of ``ControlFileData`` and (prefixed ``checkPointCopy.``) of its
    ``CheckPoint``."""
    docs = field_docs(control_file_data(major))
    docs.update({f"checkPointCopy.{k}": v for k, v in field_docs(check_point(major)).items()})
    return docs


def crc_offset(major: int) -> int:
    """``offsetof(ControlFileData, crc)``: the bytes the CRC covers."""
    return control_offsets(major)["crc"][0]


def majors_of_version(pg_control_version: int) -> tuple[int, ...]:
    """The majors that write ``pg_control_version`` (1300: 13 to 16), oldest first."""
    return tuple(m for m in CONTROL_MAJORS if PG_CONTROL_VERSION[m] == pg_control_version)
