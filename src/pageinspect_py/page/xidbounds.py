"""Transaction and multixact ids a tuple header may hold, as amcheck's ``verify_heapam`` bounds
them (contrib/amcheck/verify_heapam.c: ``get_xid_status``, ``check_mxid_valid_in_rel``,
``check_tuple_visibility``).

An xid is compared as a 64-bit full transaction id whose epoch comes from the next xid
(``FullTransactionIdFromXidAndCtx``): a normal xid must precede the next xid, and must not
precede the cluster's oldest xid (pg_control's ``oldestXid``) nor the relation's
``relfrozenxid``. A multixact id must not precede ``relminmxid`` nor the oldest multixact, and
must precede the next multixact. Frozen (2), bootstrap (1) and invalid (0) ids are never out of
bounds. The messages are amcheck's.

Scalar (:func:`tuple_xid_problems`) and array (:func:`xid_bound_masks`) forms apply the same
rules; a test holds them equal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from pageinspect_py import constants as C

_U32: Final = 0xFFFFFFFF


class XidBound(enum.StrEnum):
    OK = "ok"
    INVALID = "invalid"
    IN_FUTURE = "in future"
    PRECEDES_CLUSTERMIN = "precedes cluster minimum"
    PRECEDES_RELMIN = "precedes relation minimum"


@dataclass(frozen=True, slots=True)
class XidBounds:
    """What ids a relation's tuples may hold: pg_control's next and oldest xid and
    multixact, the relation's relfrozenxid and relminmxid (0: not known)."""

    next_fxid: int  #: 64-bit: epoch << 32 | xid
    oldest_xid: int
    next_multi: int
    oldest_multi: int
    relfrozenxid: int = 0
    relminmxid: int = 0

    @property
    def epoch(self) -> int:
        return self.next_fxid >> 32

    def full(self, xid: int) -> int:
        """FullTransactionIdFromXidAndCtx: ``xid`` in the epoch of the next xid, or the one
        before when it is numerically above the next xid (it wrapped)."""
        xid &= _U32
        epoch = self.epoch
        if xid > (self.next_fxid & _U32) and epoch > 0:
            epoch -= 1
        return (epoch << 32) | xid

    def fxid_text(self, fxid: int) -> str:
        return f"{fxid >> 32}:{fxid & _U32}"


def _normal(xid: int) -> bool:
    return xid >= C.FirstNormalTransactionId


def xid_bound(xid: int, bounds: XidBounds) -> XidBound:
    """get_xid_status's bounds verdict for ``xid``."""
    xid &= _U32
    if xid == C.InvalidTransactionId:
        return XidBound.INVALID
    if not _normal(xid):
        return XidBound.OK
    fxid = bounds.full(xid)
    if bounds.next_fxid <= fxid:
        return XidBound.IN_FUTURE
    if fxid < bounds.full(bounds.oldest_xid):
        return XidBound.PRECEDES_CLUSTERMIN
    if _normal(bounds.relfrozenxid) and fxid < bounds.full(bounds.relfrozenxid):
        return XidBound.PRECEDES_RELMIN
    return XidBound.OK


def _mxid_precedes(a: int, b: int) -> bool:
    """MultiXactIdPrecedes: modulo-2^32 comparison."""
    diff = (a - b) & _U32
    return diff >= 0x80000000


def mxid_bound(multi: int, bounds: XidBounds) -> XidBound:
    """check_mxid_valid_in_rel's verdict for multixact ``multi``."""
    multi &= _U32
    if multi == 0:
        return XidBound.INVALID
    if bounds.relminmxid and _mxid_precedes(multi, bounds.relminmxid):
        return XidBound.PRECEDES_RELMIN
    if _mxid_precedes(multi, bounds.oldest_multi):
        return XidBound.PRECEDES_CLUSTERMIN
    if not _mxid_precedes(multi, bounds.next_multi):
        return XidBound.IN_FUTURE
    return XidBound.OK


#: finding codes
XMIN_OUT_OF_BOUNDS: Final = "xmin-out-of-bounds"
XMAX_OUT_OF_BOUNDS: Final = "xmax-out-of-bounds"
MULTIXACT_OUT_OF_BOUNDS: Final = "multixact-out-of-bounds"


def _xid_message(which: str, xid: int, bound: XidBound, bounds: XidBounds) -> str:
    if bound is XidBound.IN_FUTURE:
        return (
            f"{which} {xid} equals or exceeds next valid transaction ID "
            f"{bounds.fxid_text(bounds.next_fxid)}"
        )
    if bound is XidBound.PRECEDES_CLUSTERMIN:
        return (
            f"{which} {xid} precedes oldest valid transaction ID "
            f"{bounds.fxid_text(bounds.full(bounds.oldest_xid))}"
        )
    return (
        f"{which} {xid} precedes relation freeze threshold "
        f"{bounds.fxid_text(bounds.full(bounds.relfrozenxid))}"
    )


def _mxid_message(multi: int, bound: XidBound, bounds: XidBounds) -> str:
    if bound is XidBound.INVALID:
        return "multitransaction ID is invalid"
    if bound is XidBound.PRECEDES_RELMIN:
        return (
            f"multitransaction ID {multi} precedes relation minimum multitransaction ID "
            f"threshold {bounds.relminmxid}"
        )
    if bound is XidBound.PRECEDES_CLUSTERMIN:
        return (
            f"multitransaction ID {multi} precedes oldest valid multitransaction ID "
            f"threshold {bounds.oldest_multi}"
        )
    return (
        f"multitransaction ID {multi} equals or exceeds next valid multitransaction ID "
        f"{bounds.next_multi}"
    )


def tuple_xid_problems(
    t_xmin: int, t_xmax: int, t_infomask: int, bounds: XidBounds
) -> list[tuple[str, str]]:
    """(code, amcheck's message) for each id of one tuple header out of bounds, in the order
    check_tuple_visibility looks: xmin (a frozen xmin is FrozenTransactionId; nothing more
    when it is out of bounds, or the insert did not commit by its hint bits), then a
    multixact xmax, else a plain xmax. The update xid inside a multixact needs pg_multixact
    and is not checked here."""
    out: list[tuple[str, str]] = []
    # HeapTupleHeaderGetXmin: a frozen tuple's xmin reads as FrozenTransactionId
    frozen = t_infomask & C.HEAP_XMIN_FROZEN == C.HEAP_XMIN_FROZEN
    xmin = C.FrozenTransactionId if frozen else t_xmin & _U32
    bound = xid_bound(xmin, bounds)
    if bound is XidBound.INVALID:
        return out
    if bound is not XidBound.OK:
        return [(XMIN_OUT_OF_BOUNDS, _xid_message("xmin", xmin, bound, bounds))]
    if t_infomask & C.HEAP_XMIN_INVALID and not t_infomask & C.HEAP_XMIN_COMMITTED:
        return out  # the insert aborted: amcheck does not look further
    xmax = t_xmax & _U32
    if t_infomask & C.HEAP_XMAX_IS_MULTI:
        mbound = mxid_bound(xmax, bounds)
        if mbound is not XidBound.OK:
            out.append((MULTIXACT_OUT_OF_BOUNDS, _mxid_message(xmax, mbound, bounds)))
        return out
    if t_infomask & C.HEAP_XMAX_INVALID:
        return out
    xbound = xid_bound(xmax, bounds)
    if xbound not in (XidBound.OK, XidBound.INVALID):
        out.append((XMAX_OUT_OF_BOUNDS, _xid_message("xmax", xmax, xbound, bounds)))
    return out


def _full_array(xids: Any, bounds: XidBounds) -> Any:
    x = np.asarray(xids, dtype=np.int64) & _U32
    epoch = np.full(x.shape, bounds.epoch, dtype=np.int64)
    if bounds.epoch > 0:
        epoch -= x > (bounds.next_fxid & _U32)
    return (epoch << 32) | x


def _xid_out_of_bounds(xids: Any, bounds: XidBounds) -> Any:
    x = np.asarray(xids, dtype=np.int64) & _U32
    fx = _full_array(x, bounds)
    normal = x >= C.FirstNormalTransactionId
    bad = (fx >= bounds.next_fxid) | (fx < bounds.full(bounds.oldest_xid))
    if bounds.relfrozenxid >= C.FirstNormalTransactionId:
        bad |= fx < bounds.full(bounds.relfrozenxid)
    return normal & bad


def _mxid_out_of_bounds(multis: Any, bounds: XidBounds) -> Any:
    m = np.asarray(multis, dtype=np.int64) & _U32

    def precedes(a: Any, b: int) -> Any:
        return ((a - b) & _U32) >= 0x80000000

    bad = (m == 0) | precedes(m, bounds.oldest_multi) | ~precedes(m, bounds.next_multi)
    if bounds.relminmxid:
        bad |= precedes(m, bounds.relminmxid)
    return bad


def xid_bound_masks(xmin: Any, xmax: Any, infomask: Any, bounds: XidBounds) -> Any:
    """A boolean array: the tuples :func:`tuple_xid_problems` finds anything on (the rows to
    describe one by one)."""
    im = np.asarray(infomask, dtype=np.int64)
    frozen = (im & C.HEAP_XMIN_FROZEN) == C.HEAP_XMIN_FROZEN
    raw = np.where(frozen, C.FrozenTransactionId, np.asarray(xmin, dtype=np.int64) & _U32)
    xmin_bad = _xid_out_of_bounds(raw, bounds)
    xmin_ok = ~xmin_bad & (raw != 0)
    aborted = ((im & C.HEAP_XMIN_INVALID) != 0) & ((im & C.HEAP_XMIN_COMMITTED) == 0)
    go_on = xmin_ok & ~aborted
    multi = (im & C.HEAP_XMAX_IS_MULTI) != 0
    multi_bad = multi & _mxid_out_of_bounds(xmax, bounds)
    plain = ~multi & ((im & C.HEAP_XMAX_INVALID) == 0)
    xmax_bad = plain & _xid_out_of_bounds(xmax, bounds)
    return xmin_bad | (go_on & (multi_bad | xmax_bad))
