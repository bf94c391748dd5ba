"""Transaction status from a live server, for the verdicts a data directory's pg_xact gives
offline: ``txid_status()`` (10+) of full transaction ids, ``pg_get_multixact_members()``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from pageinspect_py.sources.queries.run import many, one


@dataclass(frozen=True, slots=True)
class NextXid:
    next_fxid: int  #: the snapshot's xmax (epoch << 32 | xid): below it, every xid is settled


@dataclass(frozen=True, slots=True)
class XidStatusRow:
    fxid: int
    status: str | None  #: committed, aborted, in progress; NULL: older than pg_xact keeps


@dataclass(frozen=True, slots=True)
class MemberRow:
    xid: int
    mode: str


def next_xid(conn: Connection[Any]) -> NextXid:
    """The snapshot's xmax as a full xid (latestCompletedXid + 1), assigning none."""
    return one(
        conn,
        "SELECT pg_catalog.txid_snapshot_xmax(pg_catalog.txid_current_snapshot())::int8"
        " AS next_fxid",
        (),
        NextXid,
    )


def xid_statuses(conn: Connection[Any], fxids: list[int]) -> list[XidStatusRow]:
    """txid_status() of each full xid (all normal and older than the next one)."""
    return many(
        conn,
        "SELECT f AS fxid, pg_catalog.txid_status(f) AS status"
        " FROM pg_catalog.unnest(%s::int8[]) AS f",
        (fxids,),
        XidStatusRow,
    )


def multixact_members(conn: Connection[Any], multi: int) -> list[MemberRow]:
    """pg_get_multixact_members(multi): each member's xid and lock or update mode."""
    return many(
        conn,
        "SELECT m.xid::text::int8 AS xid, m.mode FROM"
        " pg_catalog.pg_get_multixact_members(%s::text::pg_catalog.xid) AS m",
        (str(multi),),
        MemberRow,
    )
