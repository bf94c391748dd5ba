"""Tuple header and HOT chain checks as verify_heapam makes them, on synthetic pages.

Each case is a healthy page changed in one way PostgreSQL never writes; the expected finding is
what contrib/amcheck/verify_heapam.c reports for it. Both paths must see it: the decoder
reports the code, and the kernel calls the page irregular (so ``check`` decodes it).
"""

from __future__ import annotations

import numpy as np
import pytest
from pagebuilder import Item, PageSpec, Tuple

from pageinspect_py import constants as C
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.page import arrays

UPDATED = C.HEAP_UPDATED | C.HEAP_XMIN_COMMITTED | C.HEAP_XMAX_INVALID
NATTS = 1


def _old(**kw: object) -> Tuple:
    """The old version of a HOT update by xid 200: its t_ctid names the new version (0,2)."""
    fields: dict[str, object] = {
        "data": b"\x01\0\0\0",
        "xmin": 100,
        "xmax": 200,
        "ctid": (0, 2),
        "infomask": C.HEAP_XMIN_COMMITTED,
        "infomask2": NATTS | C.HEAP_HOT_UPDATED,
    }
    fields.update(kw)
    return Tuple(**fields)  # type: ignore[arg-type]


def _new(**kw: object) -> Tuple:
    """The new version: heap-only, the result of an update, inserted by xid 200."""
    fields: dict[str, object] = {
        "data": b"\x02\0\0\0",
        "xmin": 200,
        "ctid": (0, 2),
        "infomask": UPDATED,
        "infomask2": NATTS | C.HEAP_ONLY_TUPLE,
    }
    fields.update(kw)
    return Tuple(**fields)  # type: ignore[arg-type]


def _redirect(to: int) -> Item:
    return Item(flags=C.LP_REDIRECT, off=to)


HEALTHY = {
    "hot-update": [Item(_old()), Item(_new())],
    "pruned-chain": [_redirect(2), Item(_new())],
    "plain": [Item(Tuple(b"\x05\0\0\0", infomask=C.HEAP_XMIN_COMMITTED | C.HEAP_XMAX_INVALID))],
    "for-update-lock": [
        Item(
            Tuple(
                b"\x05\0\0\0",
                xmax=300,
                infomask=C.HEAP_XMIN_COMMITTED | C.HEAP_XMAX_LOCK_ONLY | C.HEAP_XMAX_EXCL_LOCK,
                infomask2=NATTS | C.HEAP_KEYS_UPDATED,
            )
        )
    ],
}

CORRUPT = {
    "redirect-to-unused": [_redirect(2), Item(flags=C.LP_UNUSED)],
    "redirect-to-dead": [_redirect(2), Item(flags=C.LP_DEAD)],
    "redirect-chain": [_redirect(2), _redirect(3), Item(_new(ctid=(0, 3)))],
    "redirect-to-non-heap-only": [_redirect(2), Item(_new(infomask2=NATTS))],
    "chain-intersect": [_redirect(3), _redirect(3), Item(_new(ctid=(0, 3)))],
    "update-produced-heap-only": [Item(_old(infomask2=NATTS)), Item(_new())],
    "hot-update-produced-non-heap-only": [Item(_old()), Item(_new(infomask2=NATTS))],
    "heap-only-root": [Item(_new(ctid=(0, 1)))],
    "multixact-committed": [
        Item(_old(infomask=C.HEAP_XMIN_COMMITTED | C.HEAP_XMAX_IS_MULTI | C.HEAP_XMAX_COMMITTED))
    ],
    "xmax-committed-and-invalid": [
        Item(_old(infomask=C.HEAP_XMIN_COMMITTED | C.HEAP_XMAX_COMMITTED | C.HEAP_XMAX_INVALID))
    ],
    "xmin-invalid-committed": [Item(Tuple(b"\x05\0\0\0", xmin=0, infomask=C.HEAP_XMIN_COMMITTED))],
    "hot-updated-xmax-0": [Item(_old(xmax=0, ctid=(0, 1)))],
    "heap-only-not-updated": [Item(_old()), Item(_new(infomask=C.HEAP_XMIN_COMMITTED))],
    "t-hoff-unexpected": [Item(Tuple(b"\x05\0\0\0" * 4, hoff=32))],
}


def _kernel_kind(data: bytes) -> int:
    pages = np.frombuffer(data, dtype=np.uint8).reshape(1, len(data))
    kinds, _ = arrays.classify(pages, np.zeros(1, dtype=np.int64), fork="main", verifiable=True)
    return int(kinds[0])


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_pages_are_clean_on_both_paths(name: str) -> None:
    data = PageSpec(items=HEALTHY[name]).build()
    page = decode_page(data, 0, fork="main")
    assert page.diagnostics == ()
    assert _kernel_kind(data) == arrays.Kind.HEAP


@pytest.mark.parametrize("code", CORRUPT)
def test_each_corruption_is_found_on_both_paths(code: str) -> None:
    data = PageSpec(items=CORRUPT[code]).build()
    page = decode_page(data, 0, fork="main")
    assert code in {d.code for d in page.diagnostics}, page.diagnostics
    assert all(d.severity == "error" for d in page.diagnostics if d.code == code)
    assert _kernel_kind(data) == arrays.Kind.IRREGULAR


def test_a_page_read_at_another_block_keeps_its_chains() -> None:
    """A page image decoded as block 7 while its t_ctid says block 0: no false root finding."""
    data = PageSpec(items=HEALTHY["hot-update"]).build()
    page = decode_page(data, 7, fork="main")
    assert page.diagnostics == ()
    pages = np.frombuffer(data, dtype=np.uint8).reshape(1, len(data))
    kinds, _ = arrays.classify(pages, np.array([7]), fork="main", verifiable=True)
    assert int(kinds[0]) == arrays.Kind.HEAP
