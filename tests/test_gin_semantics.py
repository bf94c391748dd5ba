"""GIN layouts (sizes and offsets from the C headers, pinned vectors), the varbyte codec, and
synthetic pages built from the layouts: the pre-9.4 formats, categories, damaged pages that
must decode with diagnostics instead of raising, and random mutations (hypothesis) that never
raise and keep the regions tiling the page."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from pageinspect_py import constants as C
from pageinspect_py.decode.common import RegionKind
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.gin import (
    EntryKind,
    GinDataPage,
    GinEntryPage,
    GinMetaPage,
    gin_leafpage_items,
    gin_metapage_info,
    gin_page_opaque_info,
)
from pageinspect_py.decode.gin.postinglist import (
    decode_segment,
    decode_varbyte,
    encode_segment,
    encode_varbyte,
)
from pageinspect_py.decode.heap import ItemPointer
from pageinspect_py.decode.page import DiagnosticLog, Page
from pageinspect_py.layouts.gin import (
    GIN_DATA_OFFSET,
    GIN_META_OFFSETS,
    GIN_META_SIZE,
    POSTING_ITEM_SIZE,
    POSTING_LIST_HEADER_SIZE,
    GinMetaPageData,
    GinPageOpaqueData,
)
from pageinspect_py.render.gin import gin_page_json, gin_page_rows

BLCKSZ = 8192
SPECIAL = BLCKSZ - C.SizeOfGinPageOpaqueData


def test_layout_sizes_match_the_headers() -> None:
    assert GinPageOpaqueData.sizeof() == C.SizeOfGinPageOpaqueData == 8
    assert GIN_META_SIZE == 56  # int64s 8-aligned: pd_lower 80 on every fixture metapage
    assert GIN_META_OFFSETS["nPendingHeapTuples"] == (16, 8)
    assert GIN_META_OFFSETS["nEntries"] == (40, 8)
    assert GIN_META_OFFSETS["ginVersion"] == (48, 4)
    assert POSTING_ITEM_SIZE == 10 and POSTING_LIST_HEADER_SIZE == 8 and GIN_DATA_OFFSET == 32


def test_varbyte_known_vectors() -> None:
    assert encode_varbyte(1) == b"\x01"
    assert encode_varbyte(0x80) == b"\x80\x01"
    assert decode_varbyte(b"\xff\x7f", 0, 2) == (0x3FFF, 2)
    # the 7th byte takes all 8 bits
    big = (1 << 50) - 1
    assert len(encode_varbyte(big)) == 7 and decode_varbyte(encode_varbyte(big), 0, 7) == (big, 7)
    assert decode_varbyte(b"\x80", 0, 1) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 2047)), min_size=1, max_size=40)
)
def test_segments_round_trip(raw: list[tuple[int, int]]) -> None:
    tids = sorted({ItemPointer(b, o) for b, o in raw}, key=lambda t: (t.block, t.offset))
    data = encode_segment(tids)
    log = DiagnosticLog()
    seg = decode_segment(data, 0, len(data), log, "test")
    assert seg is not None and list(seg.tids) == tids and log.items == []
    assert seg.size == len(data)


# ----------------------------------------------------------------------------------------------
# synthetic pages


def _page(
    lower: int, upper: int, flags: int, rightlink: int = C.InvalidBlockNumber, maxoff: int = 0
) -> bytearray:
    page = bytearray(BLCKSZ)
    struct.pack_into("<HHHHI", page, 12, lower, upper, SPECIAL, BLCKSZ | 4, 0)
    page[SPECIAL:] = GinPageOpaqueData.build(
        {"rightlink": rightlink, "maxoff": maxoff, "flags": flags}
    )
    return page


def _decode(page: bytes | bytearray, blkno: int = 1) -> Page:
    return decode_page(bytes(page), blkno)


def _tiles(page: Page) -> None:
    cursor = 0
    for region in page.regions:
        assert region.span.start == cursor
        cursor = region.span.stop
    assert cursor == page.size


def test_metapage() -> None:
    page = _page(24 + GIN_META_SIZE, SPECIAL, C.GIN_META)
    meta = {
        "head": 5,
        "tail": 7,
        "tailFreeSize": 100,
        "nPendingPages": 3,
        "nPendingHeapTuples": 42,
        "nTotalPages": 9,
        "nEntryPages": 4,
        "nDataPages": 2,
        "nEntries": 77,
        "ginVersion": 2,
    }
    page[24 : 24 + GIN_META_SIZE] = GinMetaPageData.build(meta)
    decoded = _decode(page, 0)
    assert isinstance(decoded, GinMetaPage) and decoded.diagnostics == ()
    info = gin_metapage_info(decoded)
    assert info is not None and info.pending_head == 5 and info.n_entries == 77
    assert gin_leafpage_items(decoded) is None
    _tiles(decoded)


def test_uncompressed_leaf_and_posting_items() -> None:
    tids = [ItemPointer(1, 1), ItemPointer(1, 5), ItemPointer(70000, 2)]
    page = _page(GIN_DATA_OFFSET, SPECIAL, C.GIN_DATA | C.GIN_LEAF, maxoff=len(tids))
    for i, t in enumerate(tids):
        struct.pack_into(
            "<HHH", page, GIN_DATA_OFFSET + 6 * i, t.block >> 16, t.block & 0xFFFF, t.offset
        )
    decoded = _decode(page)
    assert isinstance(decoded, GinDataPage) and decoded.uncompressed == tuple(tids)
    assert gin_leafpage_items(decoded) is None  # not GIN_COMPRESSED: the server refuses
    _tiles(decoded)
    internal = _page(GIN_DATA_OFFSET + 2 * POSTING_ITEM_SIZE, SPECIAL, C.GIN_DATA, maxoff=2)
    struct.pack_into("<HHHHH", internal, 32, 0, 4, 0, 9, 3)
    struct.pack_into("<HHHHH", internal, 42, 0, 5, 0, 0, 0)
    decoded = _decode(internal)
    assert isinstance(decoded, GinDataPage) and decoded.diagnostics == ()
    assert [i.child_blkno for i in decoded.posting_items] == [4, 5]
    assert decoded.posting_items[-1].infinite


def _entry_page(tuples: list[bytes], flags: int) -> bytearray:
    upper = SPECIAL
    lps = []
    page = _page(0, 0, flags)
    for tup in tuples:
        upper -= C.maxalign(len(tup))
        page[upper : upper + len(tup)] = tup
        lps.append(upper | (1 << 15) | (len(tup) << 17))
    lower = 24 + 4 * len(lps)
    struct.pack_into("<HH", page, 12, lower, upper)
    struct.pack_into(f"<{len(lps)}I", page, 24, *lps)
    return page


def test_category_and_uncompressed_posting_list() -> None:
    # a NULL_ITEM tuple: null bitmap, category byte at the data offset, then 2 plain TIDs
    tup = bytearray(32)
    posting = 18
    struct.pack_into("<HHHH", tup, 0, 0, posting, 2, 32 | C.INDEX_NULL_MASK)
    tup[8] = 0  # the key is NULL
    tup[16] = C.GIN_CAT_NULL_ITEM
    struct.pack_into("<HHHHHH", tup, posting, 0, 3, 1, 0, 3, 2)
    decoded = _decode(_entry_page([bytes(tup)], C.GIN_LEAF))
    assert isinstance(decoded, GinEntryPage) and decoded.diagnostics == (), decoded.diagnostics
    (entry,) = decoded.entries
    assert entry.kind is EntryKind.POSTING_LIST and not entry.compressed
    assert entry.key.category == C.GIN_CAT_NULL_ITEM
    assert [str(t) for t in entry.tids] == ["(3,1)", "(3,2)"]
    assert entry.key.display() == "GIN_CAT_NULL_ITEM"
    _tiles(decoded)
    assert decoded.bytes_in(RegionKind.UNUSED) == 0


def test_damaged_pages_give_diagnostics() -> None:
    # a compressed leaf whose pd_lower runs into the special space, a segment overrunning
    page = _page(SPECIAL + 4, SPECIAL, C.GIN_DATA | C.GIN_LEAF | C.GIN_COMPRESSED)
    seg = encode_segment([ItemPointer(0, 1), ItemPointer(0, 2)])
    page[32 : 32 + len(seg)] = seg
    struct.pack_into("<H", page, 38, 9000)
    decoded = _decode(page)
    assert decoded.diagnostics
    _tiles(decoded)
    # special space of the wrong size: pageinspect raises, we answer None
    page = _page(32, SPECIAL, C.GIN_DATA | C.GIN_LEAF | C.GIN_COMPRESSED)
    struct.pack_into("<H", page, 16, SPECIAL - 8)
    decoded = _decode(page)
    assert gin_page_opaque_info(decoded) is None or decoded.kind != "gin"


_BASE = [
    _entry_page([struct.pack("<HHHH", 0, 0, 0, 16) + b"\x0dabcde\x00\x00"], C.GIN_LEAF),
    _page(32 + 12, SPECIAL, C.GIN_DATA | C.GIN_LEAF | C.GIN_COMPRESSED),
    _page(24 + GIN_META_SIZE, SPECIAL, C.GIN_META),
    _page(52, SPECIAL, C.GIN_DATA, maxoff=2),
]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(range(len(_BASE))),
    st.lists(st.tuples(st.integers(0, BLCKSZ - 1), st.integers(0, 255)), max_size=12),
)
def test_mutated_pages_never_raise(which: int, edits: list[tuple[int, int]]) -> None:
    page = bytearray(_BASE[which])
    if which == 1:
        seg = encode_segment([ItemPointer(0, 1), ItemPointer(0, 2), ItemPointer(1, 1)])
        page[32 : 32 + len(seg)] = seg
    for at, value in edits:
        page[at] = value
    decoded = _decode(page)
    _tiles(decoded)
    out = gin_page_json(decoded)
    assert out is None or isinstance(out, dict)
    for row in gin_page_rows(decoded):
        assert row[2] is None or 0 <= row[2].start <= row[2].stop <= decoded.size
