"""Transaction status read from a live server: what the visibility verdict asks
(:class:`~pageinspect_py.analysis.visibility.XactSource`), as the data directory's pg_xact
and pg_multixact readers answer it offline. Statuses are looked up in batches and cached."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pageinspect_py import constants as C
from pageinspect_py.errors import SourceError
from pageinspect_py.sources.connection import server_message
from pageinspect_py.sources.datadir.slru import (
    MultiXactLookup,
    MultiXactMember,
    MultiXactStatus,
    XactStatus,
    XidSource,
    XidStatus,
)

if TYPE_CHECKING:
    import psycopg

_U32 = 0xFFFFFFFF
_STATUS = {
    "committed": XactStatus.COMMITTED,
    "aborted": XactStatus.ABORTED,
    "in progress": XactStatus.IN_PROGRESS,
}
_BY_MODE = {status.mode: status for status in MultiXactStatus}


class LiveXacts:
    """xid statuses (``txid_status``) and multixact members of the server ``conn`` is on."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        import psycopg

        from pageinspect_py.sources.queries.xacts import next_xid

        self._conn = conn
        self._cache: dict[int, XidStatus] = {}
        self._multis: dict[int, MultiXactLookup] = {}
        self.problems: tuple[str, ...] = ()
        try:
            #: the snapshot's xmax: every xid below it has ended or is running
            self.next_fxid = next_xid(conn).next_fxid
        except psycopg.Error as exc:
            raise SourceError(f"reading the next transaction id: {server_message(exc)}") from exc

    def full(self, xid: int) -> int:
        """``xid`` in the epoch of the snapshot's xmax (the one before when it wrapped)."""
        epoch = self.next_fxid >> 32
        if xid > (self.next_fxid & _U32) and epoch > 0:
            epoch -= 1
        return (epoch << 32) | xid

    def prefetch(self, xids: list[int]) -> None:
        """Look up every xid of ``xids`` not known yet, in one round trip."""
        import psycopg

        from pageinspect_py.sources.queries.xacts import xid_statuses

        wanted = sorted(
            {
                x & _U32
                for x in xids
                if (x & _U32) >= C.FirstNormalTransactionId and (x & _U32) not in self._cache
            }
        )
        if not wanted:
            return
        # below the snapshot's xmax every xid has a status; from it on an xid may be newer
        # than any assigned (txid_status refuses those): asked one at a time
        settled = [x for x in wanted if self.full(x) < self.next_fxid]
        rows = []
        try:
            if settled:
                rows = xid_statuses(self._conn, [self.full(x) for x in settled])
        except psycopg.Error as exc:
            raise SourceError(f"txid_status(): {server_message(exc)}") from exc
        for x in wanted:
            if self.full(x) >= self.next_fxid:
                try:
                    rows.extend(xid_statuses(self._conn, [self.full(x)]))
                except psycopg.Error as exc:
                    self._cache[x] = XidStatus(
                        x, XactStatus.UNKNOWN, XidSource.FUTURE, server_message(exc)
                    )
        for row in rows:
            xid = row.fxid & _U32
            if row.status is None:
                self._cache[xid] = XidStatus(xid, XactStatus.COMMITTED, XidSource.BEFORE_OLDEST)
            else:
                self._cache[xid] = XidStatus(xid, _STATUS[row.status], XidSource.PG_XACT)

    def xid_status(self, xid: int) -> XidStatus:
        xid &= _U32
        if xid == C.InvalidTransactionId:
            return XidStatus(xid, XactStatus.INVALID, XidSource.PERMANENT)
        if xid < C.FirstNormalTransactionId:
            return XidStatus(xid, XactStatus.FROZEN, XidSource.PERMANENT)
        if xid not in self._cache:
            self.prefetch([xid])
        return self._cache[xid]

    def multixact_members(self, multi: int) -> MultiXactLookup:
        import psycopg

        from pageinspect_py.sources.queries.xacts import multixact_members

        multi &= _U32
        found = self._multis.get(multi)
        if found is None:
            try:
                rows = multixact_members(self._conn, multi)
            except psycopg.Error as exc:
                found = MultiXactLookup(multi, None, server_message(exc))
            else:
                members = tuple(MultiXactMember(r.xid & _U32, _BY_MODE[r.mode]) for r in rows)
                found = MultiXactLookup(multi, members)
            self._multis[multi] = found
        return found
