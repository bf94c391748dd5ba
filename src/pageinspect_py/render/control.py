"""``pgpage control``: a control file as ``pg_controldata`` prints it, and as JSON.

Text: the lines of ``src/bin/pg_controldata/pg_controldata.c`` of the file's major, labels and
value formats included (LSNs ``%X/%X``, times ``%c`` in the C locale, ``on``/``off``,
``yes``/``no``, the mock nonce as lowercase hex). Times are shown in UTC (pg_controldata uses
the local time zone: run it with ``TZ=UTC`` to compare). PostgreSQL 12 prints a
``Float4 argument passing`` line, 18 a ``Default char data signedness`` line; which one
appears follows the fields the layout has. Warnings (CRC, WAL segment size) are not part of
the text: the CLI writes the problems on stderr.

JSON: one object, keyed with the column names of ``pg_control_system()``,
``pg_control_checkpoint()``, ``pg_control_init()`` and ``pg_control_recovery()`` (values as
the functions return them: ``integer`` and ``bigint`` columns signed, as ``Int32GetDatum`` and
``Int64GetDatum`` make the unsigned fields; xid and oid columns are integers where
``row_to_json`` writes strings), then keys of our own for what only pg_controldata shows (``state``,
``unlogged_lsn``, ``wal_level``, the other settings, ``mock_authentication_nonce``) and for
the reading itself (``major``, ``crc``, ``crc_ok``, ``problems``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pageinspect_py.layouts.control import (
    WAL_LEVEL_LOGICAL,
    WAL_LEVEL_MINIMAL,
    WAL_LEVEL_REPLICA,
)
from pageinspect_py.sources.datadir.control import ControlFile

JSONObject = dict[str, Any]

#: pg_controldata.c wal_level_str()
WAL_LEVEL_TEXT: dict[int, str] = {
    WAL_LEVEL_MINIMAL: "minimal",
    WAL_LEVEL_REPLICA: "replica",
    WAL_LEVEL_LOGICAL: "logical",
}
#: the labels' column: every value starts at column 39 (``"%-38s"``)
LABEL_WIDTH = 38

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_lsn(lsn: int) -> str:
    """``LSN_FORMAT_ARGS`` with ``%X/%X``, as pg_controldata and ``pg_lsn`` print it."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def wal_file_name(timeline: int, lsn: int, wal_segment_size: int) -> str | None:
    """``XLByteToSeg`` then ``XLogFileName``: the WAL file holding ``lsn``; None when the
    segment size cannot be divided by (0, or more than 4 GB)."""
    if wal_segment_size <= 0 or wal_segment_size > 0x100000000:
        return None
    segno = lsn // wal_segment_size
    per_id = 0x100000000 // wal_segment_size  # XLogSegmentsPerXLogId
    return f"{timeline:08X}{segno // per_id:08X}{segno % per_id:08X}"


def _datetime(seconds: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def c_time(seconds: int) -> str:
    """``strftime("%c")`` in the C locale, in UTC (``Fri Dec  4 18:39:26 2026``); ``???`` when
    the time is out of range, as pg_controldata prints when ``localtime()`` fails."""
    moment = _datetime(seconds)
    if moment is None:
        return "???"
    return (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:2d} "
        f"{moment:%H:%M:%S} {moment.year}"
    )


def iso_time(seconds: int) -> str | None:
    """A ``timestamptz`` as ``row_to_json`` writes it in UTC (``2026-12-04T18:39:26+00:00``)."""
    moment = _datetime(seconds)
    return None if moment is None else moment.isoformat()


def wal_level_text(control: ControlFile) -> str:
    """pg_controldata's ``wal_level_str()`` (its fallback gained quotes in 17)."""
    if control.wal_level in WAL_LEVEL_TEXT:
        return WAL_LEVEL_TEXT[control.wal_level]
    major = control.major or control.layout_major
    return 'unrecognized "wal_level"' if major >= 17 else "unrecognized wal_level"


def _int4(value: int) -> int:
    """``Int32GetDatum`` of an unsigned field: an ``integer`` column (negative from 2^31)."""
    return value - (1 << 32) if value >= 1 << 31 else value


def _int8(value: int) -> int:
    """``Int64GetDatum`` of an unsigned field: a ``bigint`` column (negative from 2^63)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def _by_value(flag: bool) -> str:
    return "by value" if flag else "by reference"


def controldata_lines(control: ControlFile) -> list[tuple[str, str]]:
    """(label, value) in pg_controldata's order, for the file's major."""
    c = control
    cp = c.checkPointCopy
    redo_file = wal_file_name(cp.ThisTimeLineID, cp.redo, c.xlog_seg_size)
    lines = [
        ("pg_control version number", str(c.pg_control_version)),
        ("Catalog version number", str(c.catalog_version_no)),
        ("Database system identifier", str(c.system_identifier)),
        ("Database cluster state", c.state),
        ("pg_control last modified", c_time(c.time)),
        ("Latest checkpoint location", format_lsn(c.checkPoint)),
        ("Latest checkpoint's REDO location", format_lsn(cp.redo)),
        ("Latest checkpoint's REDO WAL file", redo_file if redo_file is not None else "???"),
        ("Latest checkpoint's TimeLineID", str(cp.ThisTimeLineID)),
        ("Latest checkpoint's PrevTimeLineID", str(cp.PrevTimeLineID)),
        ("Latest checkpoint's full_page_writes", _on(cp.fullPageWrites)),
        ("Latest checkpoint's NextXID", f"{cp.next_xid_epoch}:{cp.next_xid32}"),
        ("Latest checkpoint's NextOID", str(cp.nextOid)),
        ("Latest checkpoint's NextMultiXactId", str(cp.nextMulti)),
        ("Latest checkpoint's NextMultiOffset", str(cp.nextMultiOffset)),
        ("Latest checkpoint's oldestXID", str(cp.oldestXid)),
        ("Latest checkpoint's oldestXID's DB", str(cp.oldestXidDB)),
        ("Latest checkpoint's oldestActiveXID", str(cp.oldestActiveXid)),
        ("Latest checkpoint's oldestMultiXid", str(cp.oldestMulti)),
        ("Latest checkpoint's oldestMulti's DB", str(cp.oldestMultiDB)),
        ("Latest checkpoint's oldestCommitTsXid", str(cp.oldestCommitTsXid)),
        ("Latest checkpoint's newestCommitTsXid", str(cp.newestCommitTsXid)),
        ("Time of latest checkpoint", c_time(cp.time)),
        ("Fake LSN counter for unlogged rels", format_lsn(c.unloggedLSN)),
        ("Minimum recovery ending location", format_lsn(c.minRecoveryPoint)),
        ("Min recovery ending loc's timeline", str(c.minRecoveryPointTLI)),
        ("Backup start location", format_lsn(c.backupStartPoint)),
        ("Backup end location", format_lsn(c.backupEndPoint)),
        ("End-of-backup record required", "yes" if c.backupEndRequired else "no"),
        ("wal_level setting", wal_level_text(c)),
        ("wal_log_hints setting", _on(c.wal_log_hints)),
        ("max_connections setting", str(c.MaxConnections)),
        ("max_worker_processes setting", str(c.max_worker_processes)),
        ("max_wal_senders setting", str(c.max_wal_senders)),
        ("max_prepared_xacts setting", str(c.max_prepared_xacts)),
        ("max_locks_per_xact setting", str(c.max_locks_per_xact)),
        ("track_commit_timestamp setting", _on(c.track_commit_timestamp)),
        ("Maximum data alignment", str(c.maxAlign)),
        ("Database block size", str(c.blcksz)),
        ("Blocks per segment of large relation", str(c.relseg_size)),
        ("WAL block size", str(c.xlog_blcksz)),
        ("Bytes per WAL segment", str(c.xlog_seg_size)),
        ("Maximum length of identifiers", str(c.nameDataLen)),
        ("Maximum columns in an index", str(c.indexMaxKeys)),
        ("Maximum size of a TOAST chunk", str(c.toast_max_chunk_size)),
        ("Size of a large-object chunk", str(c.loblksize)),
        ("Date/time type storage", "64-bit integers"),
    ]
    if c.float4ByVal is not None:
        lines.append(("Float4 argument passing", _by_value(c.float4ByVal)))
    lines += [
        ("Float8 argument passing", _by_value(c.float8ByVal)),
        ("Data page checksum version", str(c.data_checksum_version)),
    ]
    if c.default_char_signedness is not None:
        lines.append(
            (
                "Default char data signedness",
                "signed" if c.default_char_signedness else "unsigned",
            )
        )
    lines.append(("Mock authentication nonce", c.mock_authentication_nonce.hex()))
    return lines


def control_text(control: ControlFile) -> str:
    """What ``pg_controldata`` of the file's major writes on stdout (with ``TZ=UTC``)."""
    return "".join(
        f"{label + ':':<{LABEL_WIDTH}}{value}\n" for label, value in controldata_lines(control)
    )


def control_functions(control: ControlFile) -> dict[str, JSONObject]:
    """The rows ``pg_control_system()``, ``pg_control_checkpoint()``, ``pg_control_init()``
    and ``pg_control_recovery()`` of the file's major would return, by function name, in
    their column order."""
    c = control
    cp = c.checkPointCopy
    init: JSONObject = {
        "max_data_alignment": _int4(c.maxAlign),
        "database_block_size": _int4(c.blcksz),
        "blocks_per_segment": _int4(c.relseg_size),
        "wal_block_size": _int4(c.xlog_blcksz),
        "bytes_per_wal_segment": _int4(c.xlog_seg_size),
        "max_identifier_length": _int4(c.nameDataLen),
        "max_index_columns": _int4(c.indexMaxKeys),
        "max_toast_chunk_size": _int4(c.toast_max_chunk_size),
        "large_object_chunk_size": _int4(c.loblksize),
    }
    if c.float4ByVal is not None:
        init["float4_pass_by_value"] = c.float4ByVal
    init["float8_pass_by_value"] = c.float8ByVal
    init["data_page_checksum_version"] = _int4(c.data_checksum_version)
    if c.default_char_signedness is not None:
        init["default_char_signedness"] = c.default_char_signedness
    return {
        "pg_control_system": {
            "pg_control_version": _int4(c.pg_control_version),
            "catalog_version_no": _int4(c.catalog_version_no),
            "system_identifier": _int8(c.system_identifier),
            "pg_control_last_modified": iso_time(c.time),
        },
        "pg_control_checkpoint": {
            "checkpoint_lsn": format_lsn(c.checkPoint),
            "redo_lsn": format_lsn(cp.redo),
            "redo_wal_file": wal_file_name(cp.ThisTimeLineID, cp.redo, c.xlog_seg_size),
            "timeline_id": _int4(cp.ThisTimeLineID),
            "prev_timeline_id": _int4(cp.PrevTimeLineID),
            "full_page_writes": cp.fullPageWrites,
            "next_xid": f"{cp.next_xid_epoch}:{cp.next_xid32}",
            "next_oid": cp.nextOid,
            "next_multixact_id": cp.nextMulti,
            "next_multi_offset": cp.nextMultiOffset,
            "oldest_xid": cp.oldestXid,
            "oldest_xid_dbid": cp.oldestXidDB,
            "oldest_active_xid": cp.oldestActiveXid,
            "oldest_multi_xid": cp.oldestMulti,
            "oldest_multi_dbid": cp.oldestMultiDB,
            "oldest_commit_ts_xid": cp.oldestCommitTsXid,
            "newest_commit_ts_xid": cp.newestCommitTsXid,
            "checkpoint_time": iso_time(cp.time),
        },
        "pg_control_init": init,
        "pg_control_recovery": {
            "min_recovery_end_lsn": format_lsn(c.minRecoveryPoint),
            "min_recovery_end_timeline": _int4(c.minRecoveryPointTLI),
            "backup_start_lsn": format_lsn(c.backupStartPoint),
            "backup_end_lsn": format_lsn(c.backupEndPoint),
            "end_of_backup_record_required": c.backupEndRequired,
        },
    }


def control_json(control: ControlFile) -> JSONObject:
    """One object: the four functions' columns, then pg_controldata's other values and the
    reading's own keys."""
    c = control
    out: JSONObject = {}
    for row in control_functions(c).values():
        out.update(row)
    out.update(
        {
            "state": c.state,
            "unlogged_lsn": format_lsn(c.unloggedLSN),
            "wal_level": wal_level_text(c),
            "wal_log_hints": c.wal_log_hints,
            "max_connections": c.MaxConnections,
            "max_worker_processes": c.max_worker_processes,
            "max_wal_senders": c.max_wal_senders,
            "max_prepared_xacts": c.max_prepared_xacts,
            "max_locks_per_xact": c.max_locks_per_xact,
            "track_commit_timestamp": c.track_commit_timestamp,
            "mock_authentication_nonce": c.mock_authentication_nonce.hex(),
            "major": c.major,
            "crc": c.crc,
            "crc_ok": c.crc_ok,
            "problems": list(c.problems),
        }
    )
    return out
