"""The TOAST table of a live relation: its pages, and where a value's chunks lie.

A :class:`~pageinspect_py.sources.live.LiveSource` for the table named by ``reltoastrelid``
(sharing the connection) supplies the pages; :func:`chunk_locator` asks the server's TOAST index
for the ctids of a value's chunks, so detoasting one value reads only the pages holding it.
The chunks themselves are decoded from those pages by
:class:`pageinspect_py.decode.toast.ToastRelation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from pageinspect_py.errors import SourceError
from pageinspect_py.sources.live import LiveSource
from pageinspect_py.sources.live_catalog import toast_names
from pageinspect_py.sources.queries.pages import toast_chunk_tids


@dataclass(frozen=True, slots=True)
class LiveToast:
    source: LiveSource  #: pages of the TOAST table (same connection as the heap's source)
    toastrelid: int  #: its OID, as TOAST pointers record it
    locate: Callable[[int], list[tuple[int, int]]]  #: valueid -> [(block, lp)]


def open_live_toast(heap: LiveSource) -> LiveToast | None:
    """The TOAST table of ``heap``'s relation, or None when it has none."""
    names = toast_names(heap.connection, heap.relation.oid)
    if names is None:
        return None
    toastrelid, nspname, relname = names
    source = LiveSource(heap.connection, str(toastrelid), dsn=heap.dsn)
    conn = heap.connection

    def locate(valueid: int) -> list[tuple[int, int]]:
        try:
            return [(t.blkno, t.lp) for t in toast_chunk_tids(conn, nspname, relname, valueid)]
        except psycopg.Error as exc:
            raise SourceError(
                f"locating the chunks of toast value {valueid} in {nspname}.{relname}: {exc}"
            ) from exc

    return LiveToast(source, toastrelid, locate)
