"""xid and multixact bounds as verify_heapam applies them: synthetic cases with amcheck's
messages, the array form equal to the scalar one, and no finding on real clean clusters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from datadir_support import MAJORS, golden
from hypothesis import given, settings
from hypothesis import strategies as st

from pageinspect_py import constants as C
from pageinspect_py.page.xidbounds import (
    MULTIXACT_OUT_OF_BOUNDS,
    XMAX_OUT_OF_BOUNDS,
    XMIN_OUT_OF_BOUNDS,
    XidBound,
    XidBounds,
    mxid_bound,
    tuple_xid_problems,
    xid_bound,
    xid_bound_masks,
)

B = XidBounds(next_fxid=1000, oldest_xid=500, next_multi=50, oldest_multi=10, relfrozenxid=600)
COMMITTED = C.HEAP_XMIN_COMMITTED | C.HEAP_XMAX_INVALID


def test_xid_verdicts() -> None:
    assert xid_bound(0, B) is XidBound.INVALID
    assert xid_bound(C.FrozenTransactionId, B) is XidBound.OK
    assert xid_bound(1000, B) is XidBound.IN_FUTURE
    assert xid_bound(999, B) is XidBound.OK
    assert xid_bound(499, B) is XidBound.PRECEDES_CLUSTERMIN
    assert xid_bound(599, B) is XidBound.PRECEDES_RELMIN
    assert xid_bound(600, B) is XidBound.OK


def test_epochs_wrap() -> None:
    """Next xid 5 in epoch 2: xid 4000000000 belongs to epoch 1 and precedes it."""
    wrapped = XidBounds(
        next_fxid=(2 << 32) | 5, oldest_xid=3_000_000_000, next_multi=2, oldest_multi=1
    )
    assert xid_bound(4_000_000_000, wrapped) is XidBound.OK
    assert xid_bound(4, wrapped) is XidBound.OK
    assert xid_bound(5, wrapped) is XidBound.IN_FUTURE
    assert xid_bound(2_999_999_999, wrapped) is XidBound.PRECEDES_CLUSTERMIN
    assert wrapped.fxid_text(wrapped.next_fxid) == "2:5"


def test_multixact_verdicts() -> None:
    assert mxid_bound(0, B) is XidBound.INVALID
    assert mxid_bound(9, B) is XidBound.PRECEDES_CLUSTERMIN
    assert mxid_bound(50, B) is XidBound.IN_FUTURE
    assert mxid_bound(49, B) is XidBound.OK
    assert mxid_bound(20, XidBounds(1000, 500, 50, 10, relminmxid=30)) is XidBound.PRECEDES_RELMIN


def test_tuple_messages_are_amchecks() -> None:
    assert tuple_xid_problems(1200, 0, COMMITTED, B) == [
        (XMIN_OUT_OF_BOUNDS, "xmin 1200 equals or exceeds next valid transaction ID 0:1000")
    ]
    assert tuple_xid_problems(550, 0, COMMITTED, B) == [
        (XMIN_OUT_OF_BOUNDS, "xmin 550 precedes relation freeze threshold 0:600")
    ]
    assert tuple_xid_problems(700, 400, C.HEAP_XMIN_COMMITTED, B) == [
        (XMAX_OUT_OF_BOUNDS, "xmax 400 precedes oldest valid transaction ID 0:500")
    ]
    assert tuple_xid_problems(700, 77, C.HEAP_XMIN_COMMITTED | C.HEAP_XMAX_IS_MULTI, B) == [
        (
            MULTIXACT_OUT_OF_BOUNDS,
            "multitransaction ID 77 equals or exceeds next valid multitransaction ID 50",
        )
    ]
    # an aborted insert (by its hint bits) is not looked at further; an invalid xmax neither
    assert tuple_xid_problems(700, 5000, C.HEAP_XMIN_INVALID, B) == []
    assert tuple_xid_problems(700, 5000, COMMITTED, B) == []
    assert tuple_xid_problems(0, 5000, 0, B) == []


xids = st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 2, 3, 499, 500, 600, 999, 1000]))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(xids, xids, st.integers(0, 0xFFFF)), min_size=1, max_size=40),
    st.integers(0, 3),
    st.integers(3, 2**32 - 1),
)
def test_array_form_equals_scalar(
    rows: list[tuple[int, int, int]], epoch: int, next32: int
) -> None:
    bounds = XidBounds(
        next_fxid=(epoch << 32) | next32,
        oldest_xid=max(3, next32 // 2),
        next_multi=next32 // 3 + 1,
        oldest_multi=1,
        relfrozenxid=max(3, next32 // 3),
    )
    xmin, xmax, im = (np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
    mask = xid_bound_masks(xmin, xmax, im, bounds)
    assert [bool(m) for m in mask] == [bool(tuple_xid_problems(*r, bounds)) for r in rows]


@pytest.mark.skipif(not MAJORS, reason="no fixtures/datadir")
@pytest.mark.parametrize("major", MAJORS)
def test_clean_clusters_have_every_id_in_bounds(
    major: int, datadir_copies: Callable[[int], Path]
) -> None:
    from pageinspect_py.app.datadir import find_relation, open_cluster

    g = golden(major)
    cluster = open_cluster(datadir_copies(major))
    control = cluster.datadir.control
    cp = control.checkPointCopy
    db = cluster.database("shop")
    frozen = {
        int(r["oid"] or 0): (int(r["relfrozenxid"] or 0), int(r["relminmxid"] or 0))
        for r, _ in db.rows("pg_class")
    }
    for table, tuples in g["tuples"].items():
        oid = find_relation(cluster, "shop", table).cls.oid
        relfrozenxid, relminmxid = frozen[oid]
        bounds = XidBounds(
            control.next_xid, cp.oldestXid, cp.nextMulti, cp.oldestMulti, relfrozenxid, relminmxid
        )
        for t in tuples:
            assert tuple_xid_problems(t["t_xmin"], t["t_xmax"], t["t_infomask"], bounds) == [], (
                table,
                t,
            )
