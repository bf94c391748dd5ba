"""Heap page semantics on synthetic pages built with the layouts (htup_details.h, itemid.h)."""

from __future__ import annotations

import pytest
from pagebuilder import Item, PageSpec, Tuple

from pageinspect_py import constants as C
from pageinspect_py.decode.common import RegionKind, Span
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage, infomask_flags
from pageinspect_py.decode.page import ChecksumStatus, PageKind
from pageinspect_py.page.checksum import page_checksum


def heap(spec: PageSpec, **kw: object) -> HeapPage:
    page = decode_page(spec.build(), **kw)  # type: ignore[arg-type]
    assert isinstance(page, HeapPage)
    return page


def assert_tiles(page: HeapPage) -> None:
    cursor = 0
    for region in page.regions:
        assert region.span.start == cursor
        assert region.span.stop > region.span.start
        cursor = region.span.stop
    assert cursor == page.size


def test_four_line_pointer_states() -> None:
    spec = PageSpec(
        items=[
            Item(flags=C.LP_REDIRECT, off=3),  # 1 -> 3
            Item(flags=C.LP_DEAD),
            # a heap-only tuple is the new version of an update (HEAP_UPDATED), as the server
            # writes it; its ctid points at itself
            Item(
                Tuple(
                    b"\x2a\0\0\0",
                    ctid=(0, 3),
                    infomask=C.HEAP_XMAX_INVALID | C.HEAP_UPDATED,
                    infomask2=1 | C.HEAP_ONLY_TUPLE,
                )
            ),
            Item(flags=C.LP_UNUSED),
        ]
    )
    page = heap(spec)
    assert [lp.flags_name for lp in page.line_pointers] == [
        "LP_REDIRECT",
        "LP_DEAD",
        "LP_NORMAL",
        "LP_UNUSED",
    ]
    assert page.item(1).redirect_target == 3
    assert [i.tuple is not None for i in page.items] == [False, False, True, False]
    tup = page.items[2].tuple
    assert tup is not None and tup.t_data == b"\x2a\0\0\0"
    assert "HEAP_ONLY_TUPLE" in tup.header.raw_flags
    assert not page.diagnostics
    assert_tiles(page)


def test_null_bitmap_and_hoff_32() -> None:
    natts = 10  # bitmap of 2 bytes: 23 + 2 = 25 -> t_hoff 32
    bits = bytes([0b1111_0101, 0b0000_0011])  # attributes 2 and 4 NULL, lowest bit first
    page = heap(PageSpec(items=[Item(Tuple(b"\1" * 5, infomask2=natts, bits=bits))]))
    tup = page.items[0].tuple
    assert tup is not None
    assert tup.header.t_hoff == 32
    assert tup.t_bits == "1010111111000000"
    assert [tup.is_null(a) for a in range(1, 6)] == [False, True, False, True, False]
    assert tup.is_null(11)  # past natts: not stored in this tuple
    kinds = [r.kind for r in page.regions if r.item == 1 and r.kind != RegionKind.LINE_POINTER]
    assert kinds == [
        RegionKind.TUPLE_HEADER,
        RegionKind.NULL_BITMAP,
        RegionKind.HEADER_PADDING,
        RegionKind.TUPLE_DATA,
        RegionKind.ALIGNMENT_PADDING,
    ]
    bitmap = page.regions_of(RegionKind.NULL_BITMAP)[0]
    assert bitmap.span.length == 2
    assert_tiles(page)


def test_ctid_block_above_65535_uses_high_half() -> None:
    page = heap(PageSpec(items=[Item(Tuple(b"", ctid=(70000, 3)))]))
    tup = page.items[0].tuple
    assert tup is not None
    assert str(tup.header.t_ctid) == "(70000,3)"


def test_infomask_combined_flags() -> None:
    raw, combined = infomask_flags(C.HEAP_XMIN_FROZEN | C.HEAP_XMAX_SHR_LOCK | C.HEAP_MOVED, 0)
    assert combined == ("HEAP_XMAX_SHR_LOCK", "HEAP_XMIN_FROZEN", "HEAP_MOVED")
    assert raw[:2] == ("HEAP_XMAX_KEYSHR_LOCK", "HEAP_XMAX_EXCL_LOCK")
    assert infomask_flags(0, 0) == ((), ())


def test_corrupt_pointer_is_a_diagnostic_not_a_crash() -> None:
    spec = PageSpec(items=[Item(Tuple(b"abcd")), Item(flags=C.LP_NORMAL, off=8180, length=100)])
    page = heap(spec)
    codes = [d.code for d in page.diagnostics]
    assert "lp-out-of-bounds" in codes
    assert page.items[1].tuple is None
    assert page.has_errors
    assert_tiles(page)


def test_overlapping_tuples_reported() -> None:
    spec = PageSpec(items=[Item(Tuple(b"x" * 40))])
    raw = bytearray(spec.build())
    lp_off = int.from_bytes(raw[24:28], "little") & 0x7FFF
    # second pointer onto the same tuple, shifted by 8 bytes
    raw[12:14] = (32).to_bytes(2, "little")  # pd_lower: two pointers
    word = (lp_off + 8) | (1 << 15) | (40 << 17)
    raw[28:32] = word.to_bytes(4, "little")
    page = decode_page(bytes(raw))
    assert "overlap" in [d.code for d in page.diagnostics]


def test_bad_t_hoff() -> None:
    page = heap(PageSpec(items=[Item(Tuple(b"x" * 16, hoff=60))]))
    assert "t-hoff" in [d.code for d in page.diagnostics]
    tup = page.items[0].tuple
    assert tup is not None and tup.t_bits is None


def test_new_page() -> None:
    page = decode_page(bytes(8192))
    assert page.kind is PageKind.NEW
    assert page.checksum.status is ChecksumStatus.NOT_APPLICABLE
    assert [r.kind for r in page.regions] == [RegionKind.ZERO]


def test_checksum_status() -> None:
    raw = bytearray(PageSpec(items=[Item(Tuple(b"abcd"))]).build())
    assert decode_page(bytes(raw)).checksum.status is ChecksumStatus.NOT_SET
    raw[8:10] = page_checksum(bytes(raw), 5).to_bytes(2, "little")
    assert decode_page(bytes(raw), 5).checksum.status is ChecksumStatus.OK
    mismatch = decode_page(bytes(raw), 6)
    assert mismatch.checksum.status is ChecksumStatus.MISMATCH
    assert "checksum-mismatch" in [d.code for d in mismatch.diagnostics]
    live = decode_page(bytes(raw), 6, checksum_verifiable=False)
    assert live.checksum.status is ChecksumStatus.NOT_VERIFIABLE
    assert not live.diagnostics


def test_header_spans() -> None:
    page = heap(PageSpec())
    spans = {f.name: f.span for f in page.header.fields()}
    assert spans["pd_lower"] == Span(12, 14)
    assert page.header.lsn == "1/28"
    with pytest.raises(IndexError):
        page.item(1)  # no line pointers on an empty page
    assert page.regions_of(RegionKind.FREE_SPACE)[0].span == Span(24, 8192)


def test_kinds_from_special_space() -> None:
    btree = PageSpec(special=bytes(12) + (1).to_bytes(2, "little") + bytes(2)).build()
    assert decode_page(btree).kind is PageKind.BTREE
    hash_page = PageSpec(special=bytes(14) + (0xFF80).to_bytes(2, "little")).build()
    assert decode_page(hash_page).kind is PageKind.HASH
    garbage = bytes(range(256)) * 32
    assert decode_page(garbage).kind is PageKind.UNKNOWN


def test_emptied_heap_page_is_not_taken_for_a_map_page() -> None:
    """VACUUM leaves pd_lower 24 and old tuple bytes behind: without a fork it stays heap."""
    raw = bytearray(PageSpec(items=[Item(Tuple(b"leftover tuple bytes"))]).build())
    raw[12:14] = (24).to_bytes(2, "little")  # pd_lower: no line pointers any more
    raw[14:16] = (8192).to_bytes(2, "little")  # pd_upper: all free
    assert decode_page(bytes(raw)).kind is PageKind.HEAP
    assert decode_page(bytes(raw), fork="vm").kind is PageKind.VM
