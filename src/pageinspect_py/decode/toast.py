"""Out-of-line (TOAST) values reassembled from the pages of their TOAST relation.

A TOAST table has three columns (``chunk_id oid, chunk_seq int4, chunk_data bytea``); a value
of ``extsize`` bytes is cut into chunks of TOAST_MAX_CHUNK_SIZE (1996 bytes at 8 kB) numbered
from 0, the last one shorter. Reassembly follows ``heap_fetch_toast_slice``
(access/heap/heaptoast.c): chunks in ``chunk_seq`` order, each of the expected size, none
missing -- and reports, rather than raises on, what it finds wrong: missing, duplicate,
unexpected or wrong-sized chunks, and chunks that are themselves compressed or external.

Chunks are found either by scanning the whole relation once (offline: a copied file) or through
a ``locate`` callable returning their (block, line pointer) -- the live source asks the server's
TOAST index for the value's ctids. Scanning uses a bulk path (``struct`` over offsets derived
from the layouts) that a test checks against the construct decoder on every fixture page.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.catalog.attributes import Attribute, RelationDescription
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.tuple import AttributeStatus, decode_tuple_values
from pageinspect_py.decode.varlena import ToastPointer, VarlenaForm
from pageinspect_py.errors import PageInspectError, ToastError
from pageinspect_py.layouts.heap import HEAP_TUPLE_HEADER_OFFSETS
from pageinspect_py.layouts.page import (
    LP_FLAGS_SHIFT,
    LP_LEN_SHIFT,
    LP_OFF_MASK,
    PAGE_HEADER_OFFSETS,
)
from pageinspect_py.layouts.varlena import toast_max_chunk_size
from pageinspect_py.page.raw import PageSource

#: The tuple descriptor of every TOAST table (catalog/toasting.c create_toast_table).
TOAST_DESCRIPTION = RelationDescription(
    "toast",
    (
        Attribute(1, "chunk_id", 26, "oid", 4, "i", True),
        Attribute(2, "chunk_seq", 23, "int4", 4, "i", True),
        Attribute(3, "chunk_data", 17, "bytea", -1, "i", False),
    ),
)

#: (block, line pointer) of a chunk tuple
Tid = tuple[int, int]
Locator = Callable[[int], Iterable[Tid]]

_PD_LOWER = PAGE_HEADER_OFFSETS["pd_lower"][0]
_T_XMAX = HEAP_TUPLE_HEADER_OFFSETS["t_xmax"][0]
_T_INFOMASK2 = HEAP_TUPLE_HEADER_OFFSETS["t_infomask2"][0]
_T_HOFF = HEAP_TUPLE_HEADER_OFFSETS["t_hoff"][0]
# pd_upper follows pd_lower, t_infomask follows t_infomask2: read as pairs below
assert PAGE_HEADER_OFFSETS["pd_upper"][0] == _PD_LOWER + 2
assert HEAP_TUPLE_HEADER_OFFSETS["t_infomask"][0] == _T_INFOMASK2 + 2


@dataclass(frozen=True, slots=True, order=True)
class ChunkRef:
    """Where one chunk tuple lies and what its header says about it."""

    valueid: int
    seq: int
    blkno: int
    lp: int
    live: bool  #: not deleted and not an aborted insert, as far as the hint bits tell


def tuple_is_live(t_xmax: int, t_infomask: int) -> bool:
    """A conservative reading of the hint bits: an aborted insert or a (possibly committed)
    deletion is not live; a lock-only xmax is."""
    if t_infomask & C.HEAP_XMIN_INVALID and not t_infomask & C.HEAP_XMIN_COMMITTED:
        return False
    return bool(t_xmax == 0 or t_infomask & (C.HEAP_XMAX_INVALID | C.HEAP_XMAX_LOCK_ONLY))


def scan_chunk_refs(blkno: int, page: bytes) -> list[ChunkRef]:
    """Bulk path: every chunk tuple header on a TOAST page, with ``struct`` only.

    Skips what is not a normal tuple of at least header + chunk_id + chunk_seq; never raises.
    """
    size = len(page)
    if size < C.SizeOfPageHeaderData:
        return []
    lower, upper = struct.unpack_from("<HH", page, _PD_LOWER)
    if upper == 0 or lower < C.SizeOfPageHeaderData or lower > size:
        return []
    refs = []
    count = (lower - C.SizeOfPageHeaderData) // C.SizeOfItemIdData
    for index in range(count):
        (word,) = struct.unpack_from("<I", page, C.SizeOfPageHeaderData + 4 * index)
        lp_off, lp_flags, lp_len = (
            word & LP_OFF_MASK,
            (word >> LP_FLAGS_SHIFT) & 3,
            word >> LP_LEN_SHIFT,
        )
        if lp_flags != C.LP_NORMAL or lp_off + lp_len > size or lp_len < C.SizeofHeapTupleHeader:
            continue
        t_hoff = page[lp_off + _T_HOFF]
        if t_hoff < C.SizeofHeapTupleHeader or t_hoff + 8 > lp_len:
            continue
        (t_xmax,) = struct.unpack_from("<I", page, lp_off + _T_XMAX)
        (infomask2, infomask) = struct.unpack_from("<HH", page, lp_off + _T_INFOMASK2)
        if infomask2 & C.HEAP_NATTS_MASK < 3 or infomask & C.HEAP_HASNULL:
            continue
        valueid, seq = struct.unpack_from("<Ii", page, lp_off + t_hoff)
        refs.append(ChunkRef(valueid, seq, blkno, index + 1, tuple_is_live(t_xmax, infomask)))
    return refs


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk as found on its page."""

    ref: ChunkRef
    data: bytes = field(repr=False)  #: chunk_data's bytes after its varlena header
    form: VarlenaForm  #: chunk_data's form (1-byte or 4-byte header; anything else is wrong)
    span: Span  #: page offsets of chunk_data, header included


@dataclass(frozen=True, slots=True)
class ToastValue:
    """The result of reassembling one out-of-line value."""

    pointer: ToastPointer
    chunks: tuple[Chunk, ...]  #: the chunks used, in chunk_seq order
    problems: tuple[str, ...]  #: everything found wrong, in PostgreSQL's words where it has any
    data: bytes | None = field(default=None, repr=False)  #: the stored bytes; None if incomplete

    @property
    def complete(self) -> bool:
        return self.data is not None


class ToastRelation:
    """A TOAST table read from a page source; a :class:`ToastFetcher` for the tuple decoder."""

    def __init__(
        self,
        source: PageSource,
        *,
        toastrelid: int | None = None,
        locate: Locator | None = None,
        cache_pages: int = 64,
    ) -> None:
        self.source = source
        #: the TOAST table's OID, when known: pointers naming another table are refused
        self.toastrelid = toastrelid
        self._locate = locate
        self._index: dict[int, list[ChunkRef]] | None = None
        self._pages: OrderedDict[int, HeapPage | None] = OrderedDict()
        self._cache_pages = cache_pages
        self.max_chunk_size = toast_max_chunk_size(source.block_size)

    # -- finding chunks ----------------------------------------------------------------------

    def index(self) -> dict[int, list[ChunkRef]]:
        """valueid -> chunk references, from one scan of the whole relation (bulk path)."""
        if self._index is None:
            index: dict[int, list[ChunkRef]] = {}
            for raw in self.source.pages("main"):
                for ref in scan_chunk_refs(raw.blkno, raw.data):
                    index.setdefault(ref.valueid, []).append(ref)
            self._index = index
        return self._index

    def _page(self, blkno: int) -> HeapPage | None:
        if blkno in self._pages:
            self._pages.move_to_end(blkno)
            return self._pages[blkno]
        try:
            page = decode_page(self.source.read_page(blkno, "main"))
        except PageInspectError:
            page = None
        result = page if isinstance(page, HeapPage) else None
        self._pages[blkno] = result
        if len(self._pages) > self._cache_pages:
            self._pages.popitem(last=False)
        return result

    def _chunk(self, blkno: int, lp: int) -> Chunk | str:
        """The chunk tuple at (blkno, lp), or why it cannot be read."""
        page = self._page(blkno)
        where = f"({blkno},{lp})"
        if page is None:
            return f"TOAST block {blkno} cannot be read as a heap page"
        if not 1 <= lp <= len(page.items) or page.items[lp - 1].tuple is None:
            return f"TOAST tuple {where} is not a readable tuple"
        item = page.items[lp - 1]
        tup = item.tuple
        assert tup is not None
        values = decode_tuple_values(tup, lp, TOAST_DESCRIPTION, text=False)
        chunk_id, chunk_seq, chunk_data = values.attributes
        if any(a.status is not AttributeStatus.PRESENT for a in (chunk_id, chunk_seq, chunk_data)):
            return f"TOAST tuple {where} lacks chunk_id, chunk_seq or chunk_data"
        assert chunk_data.span is not None and chunk_data.varlena is not None
        ref = ChunkRef(
            int.from_bytes(chunk_id.raw, "little"),
            int.from_bytes(chunk_seq.raw, "little", signed=True),
            blkno,
            lp,
            tuple_is_live(tup.header.t_xmax, tup.header.t_infomask),
        )
        return Chunk(ref, chunk_data.varlena.data, chunk_data.varlena.form, chunk_data.span)

    def _refs(self, valueid: int) -> list[ChunkRef] | list[Chunk | str]:
        if self._locate is not None:
            return [self._chunk(b, lp) for b, lp in self._locate(valueid)]
        return list(self.index().get(valueid, ()))

    # -- reassembly --------------------------------------------------------------------------

    def assemble(self, pointer: ToastPointer) -> ToastValue:
        """Reassemble the value ``pointer`` refers to, reporting every problem found."""
        valueid = pointer.va_valueid
        problems: list[str] = []
        if self.toastrelid is not None and pointer.va_toastrelid != self.toastrelid:
            problems.append(
                f"the TOAST pointer names TOAST table OID {pointer.va_toastrelid}, "
                f"but the TOAST relation given has OID {self.toastrelid}"
            )
            return ToastValue(pointer, (), tuple(problems))
        found: list[Chunk] = []
        try:
            entries = self._refs(valueid)
        except PageInspectError as exc:
            return ToastValue(pointer, (), (str(exc),))
        for entry in entries:
            chunk = self._chunk(entry.blkno, entry.lp) if isinstance(entry, ChunkRef) else entry
            if isinstance(chunk, str):
                problems.append(chunk)
            elif chunk.ref.valueid != valueid:
                problems.append(
                    f"TOAST tuple ({chunk.ref.blkno},{chunk.ref.lp}) belongs to "
                    f"value {chunk.ref.valueid}, not {valueid}"
                )
            else:
                found.append(chunk)
        extsize = pointer.extsize
        nchunks = (extsize - 1) // self.max_chunk_size + 1 if extsize > 0 else 0
        by_seq: dict[int, list[Chunk]] = {}
        for chunk in found:
            by_seq.setdefault(chunk.ref.seq, []).append(chunk)
        chosen: list[Chunk] = []
        fatal = False
        for seq in sorted(by_seq):
            candidates = by_seq[seq]
            if not 0 <= seq < nchunks:
                problems.append(
                    f"unexpected chunk number {seq} (expected 0..{nchunks - 1}) "
                    f"for toast value {valueid}"
                )
                continue
            if len(candidates) > 1:
                live = [c for c in candidates if c.ref.live]
                where = ", ".join(f"({c.ref.blkno},{c.ref.lp})" for c in candidates)
                problems.append(
                    f"duplicate chunk number {seq} for toast value {valueid} at {where}"
                )
                if len(live) == 1:
                    candidates = live
                else:
                    fatal = True
            chosen.append(candidates[0])
        present = {c.ref.seq for c in chosen}
        missing = [seq for seq in range(nchunks) if seq not in present]
        if missing and not found:
            problems.append(
                f"toast value {valueid} not found in the TOAST relation ({nchunks} chunks expected)"
            )
        elif missing:
            problems.append(
                f"missing chunk number{'s' if len(missing) > 1 else ''} "
                f"{_ranges(missing)} for toast value {valueid}"
            )
        fatal |= bool(missing)
        for chunk in chosen:
            seq = chunk.ref.seq
            expected = (
                self.max_chunk_size
                if seq < nchunks - 1
                else extsize - (nchunks - 1) * self.max_chunk_size
            )
            if chunk.form not in (VarlenaForm.SHORT, VarlenaForm.PLAIN):
                problems.append(
                    f"found toasted toast chunk for toast value {valueid} "
                    f"(chunk {seq} is {chunk.form.description})"
                )
                fatal = True
            elif len(chunk.data) != expected:
                problems.append(
                    f"unexpected chunk size {len(chunk.data)} (expected {expected}) "
                    f"in chunk {seq} of {nchunks} for toast value {valueid}"
                )
                fatal = True
        data = None if fatal else b"".join(c.data for c in chosen)
        return ToastValue(pointer, tuple(chosen), tuple(problems), data)

    def fetch(self, pointer: ToastPointer) -> bytes:
        """The stored bytes of the value (ToastFetcher); raises ToastError when incomplete."""
        value = self.assemble(pointer)
        if value.data is None:
            raise ToastError(
                "; ".join(value.problems) or f"toast value {pointer.va_valueid} not found"
            )
        return value.data


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in numbers[1:]:
        if n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = n
    parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ", ".join(parts)
