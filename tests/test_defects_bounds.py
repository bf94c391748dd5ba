"""The two defects fuzzing found (issue 14), and the class of bug behind them.

* A 61-byte ``text[]`` datum with dims (402653186, 0) and no elements made array output run
  until memory ran out: an array's element count is now ArrayGetNItems' (a zero dimension
  means none: ``{}``), checked against MaxArraySize and against what the datum's bytes can
  hold before any element is read.
* ``decode_page`` raised ``ValueError("FSM block 2 has no place in the tree")`` (and, at 53-54
  bytes, ZeroDivisionError) for FSM pages too small to hold a leaf: such a page now decodes to
  its bytes, without a tree, and an error diagnostic when a log is given.

Every decoder's output is bounded by what its input can honestly describe; the property tests
below feed random and mutated array datums and short FSM pages and require either a result of
bounded size, quickly, or a documented error.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pageinspect_py.catalog.attributes import RelationDescription
from pageinspect_py.catalog.schema import description_from_columns
from pageinspect_py.catalog.types import BUILTIN_TYPES
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.compression import lz4_decompress, max_expansion, pglz_decompress
from pageinspect_py.decode.dispatch import FsmPage, decode_page
from pageinspect_py.decode.fsm import FsmGeometry, decode_fsm_contents
from pageinspect_py.decode.heap import HeapTuple, HeapTupleHeader, ItemPointer
from pageinspect_py.decode.output import TypeInfo, datum_text
from pageinspect_py.decode.output.arrays import MAX_ARRAY_SIZE
from pageinspect_py.decode.page import DiagnosticLog
from pageinspect_py.decode.tuple import decode_tuple_values
from pageinspect_py.errors import DatumError, DecompressionError
from pageinspect_py.layouts.varlena import TOAST_LZ4_COMPRESSION_ID, TOAST_PGLZ_COMPRESSION_ID
from pageinspect_py.render.json import page_json
from pageinspect_py.render.text import render_page

TEXT_OID, INT4_OID = 25, 23


def _type(spelled: str) -> TypeInfo:
    (att,) = description_from_columns(f"c {spelled}").attributes
    return TypeInfo.of(att)


def _array_body(
    dims: list[int], lbounds: list[int] | None = None, elemtype: int = TEXT_OID, dataoffset: int = 0
) -> bytes:
    """ArrayType after the varlena header: ndim, dataoffset, elemtype, dims, lower bounds."""
    lbounds = lbounds if lbounds is not None else [1] * len(dims)
    n = len(dims)
    return struct.pack(f"<iiI{n}i{n}i", n, dataoffset, elemtype, *dims, *lbounds)


def _short(body: bytes) -> bytes:
    assert len(body) < 127
    return bytes([(len(body) + 1) << 1 | 1]) + body


def _long(body: bytes) -> bytes:
    return ((len(body) + 4) << 2).to_bytes(4, "little") + body


#: the datum of issue 14: 61 bytes, text[], dims (402653186, 0), no elements
ISSUE_14_DATUM = _short(_array_body([402653186, 0]).ljust(60, b"\x00"))


# ---------------------------------------------------------------------------------------------
# arrays


def test_issue_14_datum_is_an_empty_array() -> None:
    assert len(ISSUE_14_DATUM) == 61
    assert datum_text(_type("text[]"), ISSUE_14_DATUM) == "{}"


def test_issue_14_datum_is_bounded_in_a_capped_process() -> None:
    """The datum that used to take 24 GB, in a child limited to 1 GiB of address space and
    60 seconds (the old code ended in MemoryError or the timeout)."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from pageinspect_py.catalog.schema import description_from_columns
        from pageinspect_py.decode.output import TypeInfo, datum_text
        (att,) = description_from_columns("c text[]").attributes
        sys.stdout.write(datum_text(TypeInfo.of(att), bytes.fromhex("{ISSUE_14_DATUM.hex()}")))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == "{}"


def test_issue_14_datum_in_a_tuple_decodes() -> None:
    """The path `pgpage dump --schema` takes: the attribute decodes to {} and stays decoded."""
    desc = RelationDescription("t", description_from_columns("a text[]").attributes)
    start, hoff = 1000, 24
    header = HeapTupleHeader(start, 5, 0, 0, ItemPointer(0, 1), 1, 0x0802, hoff)
    span = Span(start, start + hoff + len(ISSUE_14_DATUM))
    tup = HeapTuple(header, span, None, None, Span(start + hoff, span.stop), ISSUE_14_DATUM)
    (att,) = decode_tuple_values(tup, 1, desc).attributes
    assert (att.text, att.decoded, att.error) == ("{}", True, None)


@pytest.mark.parametrize(
    "dims",
    [[0], [3, 0], [0, 2**31 - 1], [402653186, 0, 7], [1, 1, 1, 1, 1, 0]],
)
def test_a_zero_dimension_means_no_elements_whatever_the_bounds(dims: list[int]) -> None:
    # array_out: nitems == 0 prints "{}", without [lb:ub]= decoration
    body = _array_body(dims, [-5] * len(dims))
    assert datum_text(_type("text[]"), _long(body)) == "{}"
    assert datum_text(_type("int4[]"), _long(_array_body(dims, elemtype=INT4_OID))) == "{}"


@pytest.mark.parametrize(
    "dims",
    [
        [-1],
        [2, -3],
        [MAX_ARRAY_SIZE + 1],
        [2**16, 2**16],  # 2^32: past int32 before the zero
        [2**16, 2**16, 0],
        [2**31 - 1, 2],
    ],
)
def test_dimensions_past_max_array_size_are_refused(dims: list[int]) -> None:
    # ArrayGetNItems: "array size exceeds the maximum allowed (134217727)"
    with pytest.raises(DatumError, match=r"array size exceeds the maximum allowed \(134217727\)"):
        datum_text(_type("text[]"), _long(_array_body(dims)))


def test_max_array_size_is_max_alloc_size_over_sizeof_datum() -> None:
    assert MAX_ARRAY_SIZE == 134217727  # utils/array.h: MaxAllocSize / sizeof(Datum)


def test_more_elements_than_bytes_is_refused_before_reading_them() -> None:
    # 1000 int4 elements need 4000 data bytes; the datum has 8
    body = _array_body([1000], elemtype=INT4_OID) + struct.pack("<ii", 1, 2)
    with pytest.raises(
        DatumError,
        match=r"array dimensions \[1000\] \(1000 elements, 1000 not NULL\) need at least 4000 "
        r"data bytes, the datum has 8",
    ):
        datum_text(_type("int4[]"), _long(body))
    # 10 million text elements, one byte each at the least, in a 60-byte datum
    body = _array_body([10_000_000]).ljust(60, b"\x03")
    with pytest.raises(DatumError, match="need at least 10000000 data bytes"):
        datum_text(_type("text[]"), _long(body))


def test_a_null_bitmap_must_fit_in_the_datum() -> None:
    # dataoffset != 0: a bitmap of 10,000 elements needs 1250 bytes
    body = _array_body([10_000], dataoffset=40) + b"\x00" * 8
    with pytest.raises(DatumError, match="null bitmap needs 1250 bytes, the datum has 8"):
        datum_text(_type("text[]"), _long(body))


def test_all_null_elements_take_only_their_bitmap() -> None:
    # 16 NULLs: two bitmap bytes of zeros, no data; dataoffset = MAXALIGN(16 + 16 + 2) = 40
    body = _array_body([2, 8], dataoffset=40) + b"\x00\x00" + b"\x00" * 6
    text = datum_text(_type("int4[]"), _long(body))
    row = "{" + ",".join(["NULL"] * 8) + "}"
    assert text == "{" + row + "," + row + "}"


def test_valid_arrays_still_print_as_array_out_does() -> None:
    # int4[] '[0:1]={7,-8}': dims [2], lbound 0, MAXALIGN(16 + 8) = 24 then the data
    body = _array_body([2], [0], INT4_OID) + struct.pack("<ii", 7, -8)
    assert datum_text(_type("int4[]"), _long(body)) == "[0:1]={7,-8}"
    # text[] '{a,"b c"}': each element starts at its type's alignment (4 for text)
    body = _array_body([2]) + _short(b"a") + b"\x00\x00" + _short(b"b c")
    assert datum_text(_type("text[]"), _long(body)) == '{a,"b c"}'


def test_bounds_that_overflow_int32_are_refused() -> None:
    body = _array_body([2], [2**31 - 1], INT4_OID) + struct.pack("<ii", 1, 2)
    with pytest.raises(DatumError, match="overflow int32"):
        datum_text(_type("int4[]"), _long(body))


def test_array_text_past_max_alloc_size_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """array_out cannot return more than MaxAllocSize; the running length of the element
    texts is checked against it (here made 10 so that a small array shows the rule)."""
    from pageinspect_py.decode.output import arrays

    body = _array_body([3], elemtype=INT4_OID) + struct.pack("<iii", 1234, 5678, 9012)
    assert datum_text(_type("int4[]"), _long(body)) == "{1234,5678,9012}"
    monkeypatch.setattr(arrays, "MAX_ALLOC_SIZE", 10)
    with pytest.raises(DatumError, match=r"array text would pass MaxAllocSize \(10 bytes\)"):
        datum_text(_type("int4[]"), _long(body))


# ---------------------------------------------------------------------------------------------
# tsvector: each lexeme's bytes are its own


def _word_entry(pos: int, length: int, haspos: bool) -> bytes:
    # uint32 haspos:1, len:11, pos:20: C bitfields, least significant bit first
    return struct.pack("<I", pos << 12 | length << 1 | int(haspos))


def test_tsvector_as_tsvectorout_prints_it() -> None:
    # 'a':1 'bc': "a", a pad byte (SHORTALIGN), npos 1, position 1 (weight D); then "bc"
    strings = b"a\x00" + struct.pack("<HH", 1, 1) + b"bc"
    payload = struct.pack("<i", 2) + _word_entry(0, 1, True) + _word_entry(6, 2, False) + strings
    assert datum_text(_type("tsvector"), _long(payload)) == "'a':1 'bc'"


def test_tsvector_entries_sharing_bytes_are_refused() -> None:
    # 500 entries all naming the same 100-byte string would print 50 kB from 2.5 kB
    word = b"x" * 100
    payload = struct.pack("<i", 500) + _word_entry(0, 100, False) * 500 + word
    with pytest.raises(DatumError, match="tsvector lexemes 0 and 1 share bytes"):
        datum_text(_type("tsvector"), _long(payload))
    # a string overlapping another lexeme's positions
    strings = b"a\x00" + struct.pack("<HH", 1, 1) + b"bc"
    payload = struct.pack("<i", 2) + _word_entry(0, 1, True) + _word_entry(3, 2, False) + strings
    with pytest.raises(DatumError, match="tsvector lexemes 0 and 1 share bytes"):
        datum_text(_type("tsvector"), _long(payload))


# ---------------------------------------------------------------------------------------------
# decompression against va_rawsize and MaxAllocSize


def test_a_raw_size_the_compressed_bytes_cannot_reach_is_refused_up_front() -> None:
    # 3 bytes of lz4 cannot become 1 MB (255 bytes per input byte at the most); the old code
    # handed the 1 MB bound to lz4 (a buffer of rawsize, up to 1 GB, for any tiny input)
    with pytest.raises(DecompressionError, match="3 compressed bytes cannot expand to 1048576"):
        lz4_decompress(b"\x10ab", 1 << 20)
    with pytest.raises(DecompressionError, match="3 compressed bytes cannot expand to 1048576"):
        pglz_decompress(b"\x00ab", 1 << 20)
    with pytest.raises(DecompressionError, match=r"outside 0\.\.1073741823"):
        lz4_decompress(b"\x10ab" * 10_000_000, 1 << 30)


def test_max_expansion_is_reached_by_the_densest_streams() -> None:
    """The bounds are not too tight: pglz's 3-byte tag of length 273 after one literal, and a
    long lz4 run, decompress to sizes the bound admits."""
    # control 0b10: a literal 'a', then a tag offset 1, length 18 + 255
    stream = bytes([0b10]) + b"a" + bytes([0x0F, 0x01, 0xFF])
    out = pglz_decompress(stream, 274)
    assert out == b"a" * 274
    assert max_expansion(TOAST_PGLZ_COMPRESSION_ID, len(stream)) >= 274
    import lz4.block  # type: ignore[import-untyped]

    raw = b"a" * 10_000_000
    packed = lz4.block.compress(raw, store_size=False)
    assert len(raw) <= max_expansion(TOAST_LZ4_COMPRESSION_ID, len(packed))
    assert lz4_decompress(packed, len(raw)) == raw


# ---------------------------------------------------------------------------------------------
# FSM pages too small for a tree


def _fsm_bytes(size: int, fill: int = 0x01) -> bytes:
    return bytes([fill]) * size


@pytest.mark.parametrize("size", [24, 25, 28, 31, 32, 53, 54])
@pytest.mark.parametrize("blkno", [0, 1, 2, 3, 7, 2**32 - 1])
def test_fsm_page_too_small_for_a_tree_decodes_without_one(size: int, blkno: int) -> None:
    page = decode_page(_fsm_bytes(size), blkno, fork="fsm")
    assert isinstance(page, FsmPage)
    assert page.fsm is not None
    assert (page.fsm.level, page.fsm.logpageno, page.fsm.leaves()) == (None, None, ())
    assert page.fsm.fp_next_slot == (0x01010101 if size >= 28 else None)
    assert page.fsm.fp_nodes == _fsm_bytes(max(size - 28, 0))
    assert all(0 <= r.span.start <= r.span.stop <= size for r in page.regions)
    # the renderers take it too
    assert "FSM page" in render_page(page)
    assert page_json(page)["fsm"]["level"] is None


def test_fsm_page_too_small_says_so_in_the_log() -> None:
    log = DiagnosticLog()
    contents = decode_fsm_contents(_fsm_bytes(32), 2, log)
    assert contents.level is None
    ((diag),) = log.items
    assert diag.code == "fsm-page-too-small"
    assert diag.message == (
        "FSM page of 32 bytes has no room for a leaf node after its 28-byte header and 15 "
        "inner nodes"
    )


def test_the_smallest_fsm_page_with_a_tree() -> None:
    # 55 bytes: 27 nodes after fp_next_slot, 26 of them inner (55 // 2 - 1), one leaf
    geometry = FsmGeometry(55)
    assert (geometry.non_leaf_nodes_per_page, geometry.slots_per_page) == (26, 1)
    assert not FsmGeometry(54).has_tree
    log = DiagnosticLog()
    contents = decode_fsm_contents(_fsm_bytes(55), 0, log)
    assert contents.level is not None and len(contents.leaves()) == 1
    assert not log.items


def test_an_8k_fsm_fork_keeps_its_tree_positions() -> None:
    # fsm_logical_to_physical at 8 kB (depth 3): block 0 is the root, 1 the first level-1
    # page, 2 the first leaf page, 3 the second leaf page
    geometry = FsmGeometry(8192)
    assert geometry.slots_per_page == 4069
    places = [geometry.physical_to_logical(b) for b in range(4)]
    assert places == [(2, 0), (1, 0), (0, 0), (0, 1)]


# ---------------------------------------------------------------------------------------------
# properties

#: element types: every built-in type (text, fixed width, varlena, cstring)
ELEMENT_TYPES = sorted(BUILTIN_TYPES)

DIMS = st.one_of(
    st.integers(-2, 4),
    st.sampled_from([0, 402653186, 2**31 - 1, 2**16, MAX_ARRAY_SIZE, -(2**31)]),
    st.integers(-(2**31), 2**31 - 1),
)


@st.composite
def array_datums(draw: st.DrawFn) -> tuple[TypeInfo, bytes]:
    elem = draw(st.sampled_from(ELEMENT_TYPES))
    info = _type(f"{elem}[]")
    ndim = draw(st.integers(-1, 7))
    dims = draw(st.lists(DIMS, min_size=max(ndim, 0), max_size=max(ndim, 0)))
    lbounds = draw(st.lists(DIMS, min_size=len(dims), max_size=len(dims)))
    dataoffset = draw(st.sampled_from([0, 0, 32, 40, 48]) | st.integers(-(2**31), 2**31 - 1))
    n = len(dims)
    head = struct.pack(f"<iiI{n}i{n}i", ndim, dataoffset, 0, *dims, *lbounds)
    tail = draw(st.binary(max_size=200))
    body = head + tail
    # mutate a few bytes anywhere
    for at, value in draw(
        st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4)
    ):
        if at < len(body):
            body = body[:at] + bytes([value]) + body[at + 1 :]
    datum = _short(body) if len(body) < 127 and draw(st.booleans()) else _long(body)
    return info, datum


@settings(
    max_examples=1500, deadline=2000, suppress_health_check=[HealthCheck.too_slow]
)  # fmt: skip
@given(case=array_datums())
def test_array_datums_print_bounded_or_raise_datum_error(case: tuple[TypeInfo, bytes]) -> None:
    info, datum = case
    try:
        text = datum_text(info, datum)
    except DatumError:
        return
    # per input byte at most: a NULL (one bit) as "NULL" inside six levels of braces, or an
    # element's text, quoted and escaped; numerics with a large weight print many digits
    # from few bytes, so they get PostgreSQL's own ceiling (131072 + 16383 digits) each
    numeric_like = info.elem is not None and info.elem.typname == "numeric"
    per_element = 150_000 if numeric_like else 0
    assert len(text) <= 128 * len(datum) + 64 + per_element * len(datum)


@settings(max_examples=800, deadline=2000)
@given(
    size=st.integers(24, 600) | st.sampled_from([1024, 8192]),
    blkno=st.integers(0, 2**32 - 1) | st.integers(0, 40),
    data=st.data(),
)
def test_fsm_pages_of_any_size_decode_without_raising(
    size: int, blkno: int, data: st.DataObject
) -> None:
    raw = data.draw(st.binary(min_size=size, max_size=size))
    if not any(raw[14:16]):  # pd_upper 0 would make it a new (or unknown) page
        raw = raw[:14] + b"\x01" + raw[15:]
    page = decode_page(raw, blkno, fork="fsm")
    assert isinstance(page, FsmPage) and page.fsm is not None
    assert all(0 <= r.span.start <= r.span.stop <= size for r in page.regions)
    for d in page.diagnostics:
        assert d.span is None or 0 <= d.span.start <= d.span.stop <= size
    leaves = page.fsm.leaves()
    assert len(leaves) <= max(size, 0)
    render_page(page)
    page_json(page)


@settings(max_examples=800, deadline=2000)
@given(
    size=st.integers(0, 60),
    entries=st.lists(st.integers(0, 2**32 - 1), max_size=60),
    strings=st.binary(max_size=300),
)
def test_tsvector_text_is_in_proportion_to_its_bytes(
    size: int, entries: list[int], strings: bytes
) -> None:
    payload = struct.pack("<i", size) + b"".join(struct.pack("<I", e) for e in entries) + strings
    try:
        text = datum_text(_type("tsvector"), _long(payload))
    except DatumError:
        return
    # a lexeme byte prints as at most 2 characters ('' and \\ doubled) and 3 more per lexeme;
    # a 2-byte position as at most 6 ("16383A,")
    assert len(text) <= 4 * len(payload) + 4 * size
