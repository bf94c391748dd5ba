"""What PostgreSQL stores for a row, and how many rows fit on a heap page.

The rules follow the server's C code, cited per function:

* ``heap_compute_data_size`` / ``fill_val`` (access/common/heaptuple.c): NULLs take no data
  bytes; fixed-width values align to ``attalign``; a varlena whose 4-byte form is at most 127
  bytes (``VARATT_CAN_MAKE_SHORT``: up to 126 data bytes) is stored with a 1-byte header and
  never aligned, unless the column's ``attstorage`` is ``p``; longer or compressed varlenas
  keep their 4-byte header and align to ``attalign`` (``i`` or ``d``); TOAST pointers are 18
  bytes (``VARHDRSZ_EXTERNAL`` + ``varatt_external``), unaligned.
* ``heap_form_tuple``: ``t_hoff`` = MAXALIGN(23 + null bitmap), the bitmap (one bit per
  attribute of the descriptor, dropped ones included) only when some attribute is NULL.
* ``heap_toast_insert_or_update`` (access/heap/heaptoast.c): which values a tuple longer than
  ``TOAST_TUPLE_THRESHOLD`` pushes out of line, biggest first, down to ``toast_tuple_target``.
* ``RelationGetBufferForTuple`` (access/heap/hio.c), ``PageGetHeapFreeSpace``
  (storage/page/bufpage.c): a page takes a tuple while ``pd_upper - pd_lower - 4`` covers
  MAXALIGN(t_len) plus the fillfactor reserve and fewer than ``MaxHeapTuplesPerPage`` line
  pointers are in use; a page found too small is recorded in the free space map, whose
  32-byte categories let later, smaller tuples go back to it.

Nothing here knows where rows come from: a :class:`Value` is what a sample measured.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from pageinspect_py import constants as C
from pageinspect_py.catalog.attributes import ALIGNMENT, Attribute
from pageinspect_py.constants import typealign
from pageinspect_py.decode.align import (
    att_align_datum,
    heap_t_hoff,
    varatt_can_make_short,
    varatt_converted_short_size,
)
from pageinspect_py.layouts.varlena import TOAST_POINTER_SIZE, VARATT_SHORT_MAX, VARHDRSZ

#: fsm_internals.h / freespace.c: free space is tracked in 256 categories of BLCKSZ / 256
FSM_CATEGORIES = 256
#: rel.h: HEAP_DEFAULT_FILLFACTOR
HEAP_DEFAULT_FILLFACTOR = 100
HEAP_MIN_FILLFACTOR = 10


class Kind(enum.IntEnum):
    """How one value is stored in a heap tuple."""

    NULL = 0  #: a 0 bit in the null bitmap, no data bytes
    FIXED = 1  #: attlen > 0: attlen bytes aligned to attalign
    SHORT = 2  #: varlena with a 1-byte header (up to 126 data bytes): unaligned
    LONG = 3  #: varlena with a 4-byte header, not compressed: aligned to attalign
    COMPRESSED = 4  #: inline compressed varlena (4-byte header): aligned to attalign
    EXTERNAL = 5  #: TOAST pointer (18 bytes): unaligned
    CSTRING = 6  #: attlen -2: up to and including the NUL, unaligned ('c')


#: kinds whose bytes start at an offset aligned to the column's attalign
ALIGNED_KINDS = frozenset({Kind.FIXED, Kind.LONG, Kind.COMPRESSED})


class Value(NamedTuple):
    """One measured value: its kind and the bytes it occupies in the tuple (0 for NULL).

    A named tuple rather than a dataclass: samples hold a million of them, hashed and
    compared in C.
    """

    kind: Kind
    size: int
    #: a TOAST pointer only: VARSIZE of the datum it stands for as stored out of line (the
    #: out-of-line size plus a 4-byte header), what the toaster fetches back when the row
    #: is copied into another table (toast_tuple_init); 0 when not known
    fetched: int = 0
    #: a TOAST pointer only: the out-of-line datum is compressed
    fetched_compressed: bool = False

    @property
    def is_null(self) -> bool:
        return self.kind is Kind.NULL


NULL = Value(Kind.NULL, 0)


@dataclass(frozen=True, slots=True)
class Column:
    """A column as the storage model needs it (from ``pg_attribute`` / ``pg_type``)."""

    name: str
    attnum: int
    typname: str
    attlen: int
    attalign: str
    attstorage: str = "p"
    attnotnull: bool = False
    attisdropped: bool = False
    atthasmissing: bool = False
    #: ``attgenerated``: "" (ordinary), "s" (stored), "v" (virtual, 18+: stored as NULL)
    generated: str = ""
    #: ``pg_type.typstorage`` when known ("": take attstorage)
    typstorage: str = ""

    @classmethod
    def from_attribute(cls, attr: Attribute, generated: str = "") -> Column:
        return cls(
            name=attr.attname,
            attnum=attr.attnum,
            typname=attr.typname,
            attlen=attr.attlen,
            attalign=attr.attalign,
            attstorage=attr.attstorage,
            attnotnull=attr.attnotnull,
            attisdropped=attr.attisdropped,
            atthasmissing=attr.atthasmissing,
            generated=generated,
        )

    @property
    def alignment(self) -> int:
        return ALIGNMENT[self.attalign]

    @property
    def is_varlena(self) -> bool:
        return self.attlen == -1

    @property
    def is_fixed(self) -> bool:
        return self.attlen > 0

    @property
    def packable(self) -> bool:
        """ATT_IS_PACKABLE for the descriptor INSERT ... SELECT and VALUES form tuples with.

        heap_form_tuple packs by the ``attstorage`` of the descriptor it is given, and an
        INSERT's projection builds that descriptor from the column *types* (ExecTypeFromTL):
        so ``typstorage`` decides, even when ``ALTER COLUMN ... SET STORAGE PLAIN`` was run
        (COPY, which forms tuples with the table's own descriptor, keeps 4-byte headers).
        """
        return self.attlen == -1 and (self.typstorage or self.attstorage) != "p"

    @property
    def always_null(self) -> bool:
        """Stored as NULL in every new tuple: dropped, or a virtual generated column."""
        return self.attisdropped or self.generated == "v"

    def describe(self) -> str:
        """``int4 4/i``, ``text -1/i x``: the storage facts the advice rests on."""
        length = (
            str(self.attlen) if self.attlen > 0 else ("varlena" if self.attlen == -1 else "cstring")
        )
        storage = f" {self.attstorage}" if self.attlen == -1 else ""
        return f"{self.typname} {length}/{self.attalign}{storage}"


def classify_varlena(
    column: Column, size: int, compressed: bool, external: bool, header4: bool | None = None
) -> Value:
    """The stored form of a varlena whose ``pg_column_size`` is ``size``.

    ``pg_column_size`` reports VARSIZE_ANY of the datum as stored: 1 + n for a 1-byte header,
    4 + n for a 4-byte one, the compressed size for inline compressed values, and for a TOAST
    pointer the size of the out-of-line value without header (``toast_datum_size``), which
    is why ``external`` must come from elsewhere; ``compressed`` then says whether the
    out-of-line value is compressed. ``header4`` says which header an uncompressed value
    has when the source could tell; else a value of at most 127 bytes in a packable column
    is taken as short.
    """
    if external:
        return Value(Kind.EXTERNAL, TOAST_POINTER_SIZE, size + VARHDRSZ, compressed)
    if compressed:
        return Value(Kind.COMPRESSED, size)
    if header4 is not None:
        return Value(Kind.LONG if header4 else Kind.SHORT, size)
    if column.packable and size <= VARATT_SHORT_MAX:
        return Value(Kind.SHORT, size)
    return Value(Kind.LONG, size)


def classify(
    column: Column,
    size: int | None,
    compressed: bool = False,
    external: bool = False,
    header4: bool | None = None,
) -> Value:
    """The stored form of one measured value (``size`` None: NULL)."""
    if size is None:
        return NULL
    if column.attlen > 0:
        return Value(Kind.FIXED, column.attlen)
    if column.attlen == -1:
        return classify_varlena(column, size, compressed, external, header4)
    return Value(Kind.CSTRING, size)


def rewritten(column: Column, value: Value) -> Value:
    """The value once INSERT ... SELECT writes it into a new table (heap_fill_tuple): an
    uncompressed 4-byte-header datum that fits a 1-byte header is packed
    (VARATT_CAN_MAKE_SHORT) when the column's type allows it."""
    if value.kind is Kind.LONG and column.packable and varatt_can_make_short(value.size):
        return Value(Kind.SHORT, varatt_converted_short_size(value.size))
    return value


def value_alignment(column: Column, value: Value) -> int:
    """Alignment the value's first byte needs (att_align_datum): 0 for NULL (no bytes)."""
    if value.kind is Kind.NULL:
        return 0
    return column.alignment if value.kind in ALIGNED_KINDS else 1


#: kinds att_align_datum leaves unaligned
_SHORT_KINDS = frozenset({Kind.SHORT, Kind.EXTERNAL, Kind.CSTRING})


@dataclass(frozen=True, slots=True)
class Geometry:
    """Page and relation settings that decide how many tuples share a page."""

    block_size: int = C.BLCKSZ
    fillfactor: int = HEAP_DEFAULT_FILLFACTOR
    #: reloption ``toast_tuple_target``; None: TOAST_TUPLE_TARGET
    toast_tuple_target: int | None = None
    #: false when the relation has no TOAST table: nothing can be moved out of line
    has_toast_table: bool = True
    maxalign: int = C.MAXIMUM_ALIGNOF

    @property
    def usable(self) -> int:
        """Bytes between the page header and the end of a heap page (no special space)."""
        return self.block_size - C.SizeOfPageHeaderData

    @property
    def max_tuples_per_page(self) -> int:
        """MaxHeapTuplesPerPage (htup_details.h): 291 for 8 kB pages."""
        return self.usable // (
            typealign(C.SizeofHeapTupleHeader, self.maxalign) + C.SizeOfItemIdData
        )

    @property
    def max_tuple_size(self) -> int:
        """MaxHeapTupleSize: BLCKSZ - MAXALIGN(SizeOfPageHeaderData + sizeof(ItemIdData))."""
        return self.block_size - typealign(
            C.SizeOfPageHeaderData + C.SizeOfItemIdData, self.maxalign
        )

    @property
    def save_free_space(self) -> int:
        """RelationGetTargetPageFreeSpace: bytes fillfactor keeps free on each page."""
        return self.block_size * (100 - self.fillfactor) // 100

    @property
    def toast_tuple_threshold(self) -> int:
        """TOAST_TUPLE_THRESHOLD (heaptoast.h): 2032 for 8 kB pages; longer tuples are toasted."""
        per_tuple = (
            self.block_size
            - typealign(C.SizeOfPageHeaderData + 4 * C.SizeOfItemIdData, self.maxalign)
        ) // 4
        return per_tuple & ~(self.maxalign - 1)

    @property
    def toast_target(self) -> int:
        """RelationGetToastTupleTarget: what toasting shrinks a tuple to."""
        return self.toast_tuple_target or self.toast_tuple_threshold

    @property
    def toast_target_main(self) -> int:
        """TOAST_TUPLE_TARGET_MAIN: the limit before ``m`` columns go out of line."""
        return self.max_tuple_size

    def target_free_space(self, footprint: int) -> int:
        """RelationGetBufferForTuple's ``targetFreeSpace`` for a tuple of MAXALIGNed length."""
        nearly_empty = self.max_tuple_size - (self.max_tuples_per_page // 8 * C.SizeOfItemIdData)
        if footprint + self.save_free_space > nearly_empty:
            return max(footprint, nearly_empty)
        return footprint + self.save_free_space


@dataclass(frozen=True, slots=True)
class Table:
    """The columns of a table (attnum order, dropped ones included) and its page settings."""

    name: str
    columns: tuple[Column, ...]
    geometry: Geometry = field(default_factory=Geometry)

    @property
    def live(self) -> tuple[Column, ...]:
        """Columns a rebuilt table keeps, in the current order."""
        return tuple(c for c in self.columns if not c.attisdropped)

    def live_index(self, name: str) -> int:
        for index, column in enumerate(self.live):
            if column.name == name:
                return index
        raise KeyError(name)


# ----------------------------------------------------------------------------------------------
# Tuples


def data_length(
    columns: Sequence[Column], values: Sequence[Value], order: Iterable[int]
) -> tuple[int, int]:
    """``(data bytes, alignment padding)`` of a row whose values go in ``order``.

    ``order`` lists indexes into ``columns``/``values`` (heap_compute_data_size's loop).
    """
    offset = padding = 0
    for index in order:
        value = values[index]
        if value.kind is Kind.NULL:
            continue
        column = columns[index]
        aligned = att_align_datum(
            offset, column.attalign, column.attlen, value.kind in _SHORT_KINDS
        )
        padding += aligned - offset
        offset = aligned + value.size
    return offset, padding


@dataclass(frozen=True, slots=True)
class TupleSize:
    """One row's tuple as the page holds it."""

    t_hoff: int  #: header, null bitmap and the padding up to MAXALIGN
    data: int  #: bytes from t_hoff to the end of the last value
    padding: int  #: alignment padding between values (inside ``data``)
    lp_len: int  #: t_hoff + data: the line pointer's length
    footprint: int  #: MAXALIGN(lp_len): the bytes the tuple takes from the page

    @property
    def tail(self) -> int:
        """MAXALIGN padding after the tuple."""
        return self.footprint - self.lp_len


def tuple_size(
    columns: Sequence[Column],
    values: Sequence[Value],
    order: Sequence[int],
    natts: int,
    force_bitmap: bool = False,
    maxalign: int = 8,
) -> TupleSize:
    """Predicted ``lp_len`` and page footprint of one row (heap_form_tuple).

    ``natts`` is the descriptor's attribute count (dropped columns included when predicting
    an existing table, not after a rebuild); ``force_bitmap`` says some attribute outside
    ``order`` (a dropped column) is NULL.
    """
    has_nulls = force_bitmap or any(values[i].kind is Kind.NULL for i in order)
    hoff = heap_t_hoff(natts, has_nulls, maxalign)
    data, padding = data_length(columns, values, order)
    lp_len = hoff + data
    return TupleSize(hoff, data, padding, lp_len, typealign(lp_len, maxalign))


def data_bytes(alignments: Sequence[int], values: Sequence[Value], order: Iterable[int]) -> int:
    """Data bytes of a row whose values go in ``order``: :func:`data_length` without the
    padding count, for loops that only compare lengths (``alignments[i]``: column ``i``'s
    attalign in bytes)."""
    offset = 0
    for index in order:
        value = values[index]
        kind = value.kind
        if kind is Kind.NULL:
            continue
        if kind in ALIGNED_KINDS:
            alignment = alignments[index]
            offset = (offset + alignment - 1) & -alignment
        offset += value.size
    return offset


#: a length test of the toaster replay whose outcome another column order could change:
#: the values then, the data bytes allowed, and whether the data exceeded them
LengthTest = tuple[tuple[Value, ...], int, bool]


class Toasted(NamedTuple):
    """A row after the toaster, and what its outcome depends on in the column order."""

    values: list[Value]
    #: length tests that came out as they did in this order, and could differ in another
    checks: tuple[LengthTest, ...] = ()
    #: a tie between candidates of equal size was broken by this order in a way another
    #: order's could change (see :func:`_toaster`)
    tied: bool = False
    #: rounds that stopped partway through candidates of equal size: those candidates (in
    #: this order) and how many of them were taken, the first ones in the order
    cuts: tuple[tuple[tuple[int, ...], int], ...] = ()

    @property
    def same_in_every_order(self) -> bool:
        return not self.checks and not self.tied and not self.cuts

    def same_in(self, alignments: Sequence[int], order: Sequence[int]) -> bool:
        """Whether the toaster does the same in ``order``: every length test whose outcome
        could depend on the order comes out the same (the others cannot change), and where
        a round stopped partway through equal candidates, ``order`` puts the same ones
        first."""
        if self.tied:
            return False
        if self.cuts:
            position = {index: p for p, index in enumerate(order)}
            for members, taken in self.cuts:
                first = sorted(members, key=position.__getitem__)[:taken]
                if set(first) != set(members[:taken]):
                    return False
        return all(
            (data_bytes(alignments, state, order) > room) is long
            for state, room, long in self.checks
        )


def _toaster(
    columns: Sequence[Column],
    out: list[Value],
    order: Sequence[int],
    hoff: int,
    geometry: Geometry,
    pending: dict[int, Value],
    fetched_size: Callable[[int], int],
    fetched_back: Iterable[int] = (),
) -> tuple[list[LengthTest], bool, list[tuple[tuple[int, ...], int]]]:
    """heap_toast_insert_or_update's four rounds over ``out`` (changed in place).

    ``pending[i]`` is the form value ``i`` takes when a round tries to compress it (the try
    succeeds); a value without one is taken as incompressible. The toaster measures each
    value as VARSIZE_ANY of its datum (``tai_size``): the values come from the tuple already
    formed (heap_deform_tuple), short ones with their 1-byte header, except those in
    ``fetched_back``, fetched from a TOAST table with a 4-byte header that only the new
    tuple packs. ``fetched_size(i)`` is what a TOAST pointer made for value ``i`` records
    as the out-of-line datum's VARSIZE. The rounds follow heaptoast.c
    (toast_tuple_find_biggest_attribute: the biggest candidate larger than
    MAXALIGN(TOAST_POINTER_SIZE), the first one on ties, in descriptor order):

    * round 1: while the data exceeds ``toast_tuple_target - t_hoff``, try to compress the
      biggest uncompressed ``x``/``e`` value (``e``: never compressed); one still longer than
      that limit goes out of line at once;
    * round 2: the biggest inline ``x``/``e`` value goes out of line, same limit;
    * round 3: try to compress the biggest uncompressed ``m`` value, same limit;
    * round 4: the biggest inline ``m`` value goes out of line, against
      TOAST_TUPLE_TARGET_MAIN.

    A round's candidates keep their sizes while it runs and each leaves it once chosen, so
    each round ranks them once. The data length is tested exactly only when the row's
    sizes alone cannot settle it: between the sum of the sizes (no padding) and that sum
    plus the most padding any order can give. Those tests are returned, as they could come
    out differently in another order, with whether a tie between two candidates was
    broken by the order.
    """
    pointer_floor = typealign(TOAST_POINTER_SIZE, geometry.maxalign)
    incompressible: set[int] = set()
    alignments = [c.alignment for c in columns]
    four_byte = frozenset(fetched_back)
    checks: list[LengthTest] = []
    tied = False
    cuts: list[tuple[tuple[int, ...], int]] = []
    least = slack = 0  # sum of the sizes; most padding in any order
    for index in order:
        value = out[index]
        if value.kind is not Kind.NULL:
            least += value.size
            if value.kind in ALIGNED_KINDS:
                slack += alignments[index] - 1

    def tai_size(index: int) -> int:
        value = out[index]
        if value.kind is Kind.SHORT and index in four_byte:
            return value.size + VARHDRSZ - 1
        return value.size

    def replace(index: int, new: Value) -> None:
        nonlocal least, slack
        old = out[index]
        least += new.size - old.size
        if old.kind in ALIGNED_KINDS:
            slack -= alignments[index] - 1
        if new.kind in ALIGNED_KINDS:
            slack += alignments[index] - 1
        out[index] = new

    def ranked(storages: tuple[str, ...], for_compression: bool) -> list[int]:
        found = []
        for index in order:
            column, value = columns[index], out[index]
            if column.attlen != -1 or column.attstorage not in storages:
                continue
            if value.kind in (Kind.NULL, Kind.EXTERNAL):
                continue
            if for_compression and (value.kind is Kind.COMPRESSED or index in incompressible):
                continue
            if tai_size(index) > pointer_floor:
                found.append(index)
        found.sort(key=lambda index: -tai_size(index))  # stable: the first in order on ties
        return found

    def try_compression(index: int) -> bool:
        if index in pending and columns[index].attstorage != "e":
            replace(index, pending.pop(index))
            return True
        incompressible.add(index)
        return False

    def externalize(index: int) -> bool:
        pending.pop(index, None)
        compressed = out[index].kind is Kind.COMPRESSED
        replace(index, Value(Kind.EXTERNAL, TOAST_POINTER_SIZE, fetched_size(index), compressed))
        return True

    def too_long(limit: int, extra: int = 0) -> bool:
        room = limit - hoff
        if least > room:
            return True
        if least + slack + extra <= room:
            return False
        long = data_bytes(alignments, out, order) > room
        checks.append((tuple(out), room, long))
        return long

    def run_round(candidates: list[int], limit: int, action: Callable[[int], bool]) -> None:
        """``while (too long) { biggest candidate; action }``, candidates ranked once.

        Candidates of equal size (a tie) are taken in this order; another order takes them
        in another. Which ones were taken shows only once an action changed the row: a
        length test in between is then order-independent if it is so whichever of them
        were taken (their sizes are equal; their alignments may differ, which the test
        allows for), and a round that stops partway through them has taken the first
        ones in the order: that cut is recorded. Otherwise the tie is reported."""
        nonlocal tied
        ends, spreads, compressing = [], [], []
        start = 0
        while start < len(candidates):
            stop = start + 1
            size = tai_size(candidates[start])
            while stop < len(candidates) and tai_size(candidates[stop]) == size:
                stop += 1
            group = candidates[start:stop]
            spread = sum(alignments[i] - 1 for i in group) if stop - start > 1 else 0
            ends += [stop] * len(group)
            spreads += [spread] * len(group)
            compressing += [any(i in pending for i in group)] * len(group)
            start = stop
        position = 0
        inside = changed = False  # some, not all, of a tie taken; and the row changed
        while True:
            tests = len(checks)
            live = inside and changed
            long = too_long(limit, spreads[position - 1] if live else 0)
            if live and (len(checks) > tests or compressing[position - 1]):
                tied = True
            if not long or position >= len(candidates):
                break
            if position == 0 or ends[position - 1] != ends[position]:
                changed = False  # a new group
            changed = action(candidates[position]) or changed
            inside = position + 1 < ends[position]
            position += 1
        if inside and changed:
            begin = position - 1
            while begin > 0 and ends[begin - 1] == ends[position - 1]:
                begin -= 1
            cuts.append((tuple(candidates[begin : ends[position - 1]]), position - begin))

    def round_one(index: int) -> bool:
        changed = try_compression(index)
        if tai_size(index) > target - hoff and toastable:
            return externalize(index)
        return changed

    toastable = geometry.has_toast_table
    target = geometry.toast_target
    run_round(ranked(("x", "e"), True), target, round_one)
    if toastable:
        run_round(ranked(("x", "e"), False), target, externalize)
    run_round(ranked(("m",), True), target, try_compression)
    if toastable:
        run_round(ranked(("m",), False), geometry.toast_target_main, externalize)
    return checks, tied, cuts


def toast_row(
    columns: Sequence[Column],
    values: Sequence[Value],
    order: Sequence[int],
    natts: int,
    geometry: Geometry,
    force_bitmap: bool = False,
    raw: Sequence[int | None] | None = None,
) -> list[Value]:
    """The values after heap_toast_insert_or_update, for a row whose externality is unknown.

    Used when the server cannot say which values are TOAST pointers (before 17). ``values``
    are as stored (compressed ones compressed); ``raw[i]``, when known, is VARSIZE of value
    ``i`` uncompressed with a 4-byte header: what the toaster measured (``tai_size``) before
    it compressed anything. The toaster works on those pre-compression sizes, so the replay
    starts from them and compresses a value only when its round tries to: an ``x`` value in
    round 1, an ``m`` value in round 3, the biggest first; a try succeeds when the value is
    stored compressed, and a value stored uncompressed is taken as incompressible (see
    :func:`_toaster` for the rounds). Nothing happens unless the uncompressed tuple is longer
    than TOAST_TUPLE_THRESHOLD.

    A value stored compressed that no round tried to compress came to the toaster
    compressed (it is kept as stored), and so did one in an ``e`` or ``p`` column, which the
    toaster never compresses. Without ``raw`` sizes the replay sees only stored sizes and
    can miss rows that a MAIN value's compression would have saved. A value the replay
    moves out of line records ``size + 4`` as its fetched size: had it been out of line,
    its measured size (``pg_column_size``) was the out-of-line size without header. A value
    already known to be a TOAST pointer takes part in the replay as its fetched form and
    stays a pointer.
    """
    out = list(values)
    has_nulls = force_bitmap or any(v.kind is Kind.NULL for v in values)
    hoff = heap_t_hoff(natts, has_nulls, geometry.maxalign)
    # the datums handed to the toaster: observed-compressed values with a known raw size
    # start uncompressed (4-byte header, packed by heap_form_tuple when short enough)
    pending: dict[int, Value] = {}
    known_external = [index for index in order if values[index].kind is Kind.EXTERNAL]
    for index in known_external:
        # a value known to be out of line came to the toaster as its fetched form
        value = values[index]
        if value.fetched > 0:
            kind = Kind.COMPRESSED if value.fetched_compressed else Kind.LONG
            out[index] = rewritten(columns[index], Value(kind, value.fetched))
    for index in order:
        size = raw[index] if raw is not None else None
        if (
            out[index].kind is Kind.COMPRESSED
            and columns[index].attstorage in ("x", "m")
            and size is not None
            and size > out[index].size
        ):
            pending[index] = out[index]
            out[index] = rewritten(columns[index], Value(Kind.LONG, size))
    data, _ = data_length(columns, out, order)
    if hoff + data <= geometry.toast_tuple_threshold:
        return list(values)  # the toaster never ran: every value is as it came
    _toaster(
        columns,
        out,
        order,
        hoff,
        geometry,
        pending,
        lambda index: values[index].size + VARHDRSZ,
    )
    for index, stored in pending.items():  # never tried: it came compressed
        out[index] = stored
    for index in known_external:
        out[index] = values[index]
    return out


def rebuild(
    columns: Sequence[Column],
    values: Sequence[Value],
    order: Sequence[int],
    geometry: Geometry,
) -> Toasted:
    """The values once ``INSERT ... SELECT`` copies the row into a new table whose columns
    are ``columns`` (no dropped ones) in ``order``.

    heap_form_tuple packs what fits a 1-byte header (:func:`rewritten`) and copies TOAST
    pointers as they are; heap_prepare_insert then hands a tuple that has one, or is longer
    than TOAST_TUPLE_THRESHOLD, to heap_toast_insert_or_update. toast_tuple_init fetches
    every out-of-line value back in its stored form (compressed stays compressed): it is
    not the new table's, so its pointer cannot be kept. The rounds of :func:`_toaster` then
    run on the whole row in the new order, so a value that went out of line in the old
    order comes back inline when the row now fits (with a 1-byte header if it is short:
    a small value that went out of line only to make room for a ``MAIN`` one), and one is
    pushed out again otherwise.

    Compression tries are taken to fail: a value fetched back uncompressed already failed
    once, and an inline uncompressed value's compressibility is not known from a sample.
    A TOAST pointer whose out-of-line size is not known stays as it is.

    The result also says what the outcome depends on in the column order
    (:class:`Toasted`): rows whose outcome could differ are checked for each order scored.
    """
    out = [rewritten(c, v) for c, v in zip(columns, values, strict=True)]
    fetched_back = [index for index in order if out[index].kind is Kind.EXTERNAL]
    if any(out[index].fetched <= 0 for index in fetched_back):
        return Toasted(out)
    for index in fetched_back:
        value = out[index]
        kind = Kind.COMPRESSED if value.fetched_compressed else Kind.LONG
        out[index] = rewritten(columns[index], Value(kind, value.fetched))
    has_nulls = any(v.kind is Kind.NULL for v in out)
    hoff = heap_t_hoff(len(columns), has_nulls, geometry.maxalign)
    entry: list[LengthTest] = []
    if not fetched_back:
        # heap_prepare_insert: toasted only when longer than TOAST_TUPLE_THRESHOLD
        room = geometry.toast_tuple_threshold - hoff
        data, padding = data_length(columns, out, order)
        least = data - padding
        most = least + sum(
            value_alignment(c, v) - 1 for c, v in zip(columns, out, strict=True) if v.size
        )
        if not (least > room or most <= room):
            entry.append((tuple(out), room, data > room))
        if data <= room:
            return Toasted(out, tuple(entry))
    fetched = list(out)

    def fetched_size(index: int) -> int:
        value = fetched[index]
        return value.size + (VARHDRSZ - 1 if value.kind is Kind.SHORT else 0)

    checks, tied, cuts = _toaster(
        columns, out, order, hoff, geometry, {}, fetched_size, fetched_back
    )
    return Toasted(out, (*entry, *checks), tied, tuple(cuts))


def rebuilt_row(
    columns: Sequence[Column],
    values: Sequence[Value],
    order: Sequence[int],
    geometry: Geometry,
) -> list[Value]:
    """The values once ``INSERT ... SELECT`` copies the row into a new table whose columns
    are ``columns`` in ``order`` (:func:`rebuild`)."""
    return rebuild(columns, values, order, geometry).values


# ----------------------------------------------------------------------------------------------
# Pages


@dataclass(frozen=True, slots=True)
class PageFill:
    """Where a sequence of tuples lands when inserted one by one into an empty table."""

    pages: int
    rows: int
    #: bytes of tuples and line pointers on the last page, over the page's usable bytes
    last_page_fraction: float

    @property
    def rows_per_page(self) -> float:
        """Rows per page, the last page counted by the share of it that is used."""
        span = self.pages - 1 + self.last_page_fraction if self.pages else 0.0
        return self.rows / span if span > 0 else 0.0


def fsm_category(avail: int, block_size: int) -> int:
    """fsm_space_avail_to_cat: free bytes rounded *down* to a category."""
    step = block_size // FSM_CATEGORIES
    return min(avail // step, FSM_CATEGORIES - 2)


def fsm_needed_category(needed: int, block_size: int) -> int:
    """fsm_space_needed_to_cat: bytes rounded *up* to a category."""
    step = block_size // FSM_CATEGORIES
    return min((needed + step - 1) // step, FSM_CATEGORIES - 1)


def fill_pages(footprints: Iterable[int], geometry: Geometry, use_fsm: bool = True) -> PageFill:
    """Insert tuples of these MAXALIGNed lengths, in order, into an empty heap.

    Follows RelationGetBufferForTuple for single-row inserts (INSERT ... SELECT): try the
    last page used; if it lacks ``targetFreeSpace`` (PageGetHeapFreeSpace, which also says 0
    once MaxHeapTuplesPerPage line pointers exist), record its free space in the FSM and ask
    the FSM for a page whose category covers the request, searching from the slot after the
    last one it returned; else extend the relation by one page. ``use_fsm`` False is the path
    of CREATE TABLE AS and of a rewrite (VACUUM FULL, CLUSTER): always the last page.
    """
    block_size = geometry.block_size
    cap = geometry.max_tuples_per_page
    free: list[int] = []  # pd_upper - pd_lower per page
    count: list[int] = []  # line pointers per page
    # FSM categories of the pages recorded so far; pages are first recorded when they are
    # the newest, so the dict iterates in block order
    fsm: dict[int, int] = {}
    fsm_max = -1
    next_slot = 0
    target = -1
    rows = 0

    def heap_free(page: int) -> int:
        if count[page] >= cap:
            return 0
        return max(free[page] - C.SizeOfItemIdData, 0)

    for footprint in footprints:
        rows += 1
        need = geometry.target_free_space(footprint)
        placed = -1
        while target >= 0:
            if need <= heap_free(target):
                placed = target
                break
            if not use_fsm:
                break
            category = fsm_category(heap_free(target), block_size)
            lowered = fsm.get(target, -1) == fsm_max and category < fsm_max
            fsm[target] = category
            fsm_max = max(fsm.values()) if lowered else max(fsm_max, category)
            wanted = fsm_needed_category(need, block_size)
            if fsm_max < wanted:
                break
            found = next((p for p, c in fsm.items() if p >= next_slot and c >= wanted), -1)
            if found < 0:
                found = next((p for p, c in fsm.items() if p < next_slot and c >= wanted), -1)
            if found < 0:
                break
            next_slot = found + 1
            target = found
        if placed < 0:
            free.append(geometry.usable)
            count.append(0)
            placed = target = len(free) - 1
        free[placed] -= footprint + C.SizeOfItemIdData
        count[placed] += 1
    if not free:
        return PageFill(0, 0, 0.0)
    last_used = geometry.usable - free[-1]
    return PageFill(len(free), rows, last_used / geometry.usable)
