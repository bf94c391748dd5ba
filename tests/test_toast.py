"""TOAST reassembly on damaged TOAST tables: missing, duplicate, wrong-sized chunks.

The TOAST table of the fixtures' ``toast_values`` is served page by page through a source that
can hide a line pointer, shrink a chunk or repeat a page, and the reported problems are
checked against what PostgreSQL itself would say (heap_fetch_toast_slice's messages).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.catalog.schema import description_from_json
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.toast import ToastRelation, scan_chunk_refs
from pageinspect_py.decode.tuple import decode_page_values
from pageinspect_py.decode.varlena import ToastPointer, VarlenaForm
from pageinspect_py.errors import ToastError
from pageinspect_py.layouts.varlena import toast_max_chunk_size
from pageinspect_py.page.raw import Fork, PageSource, RawPage
from pageinspect_py.sources.file import FileSource

REL = next(r for r in relations("heap") if r.name == "toast_values" and r.major == 15)


class PagesSource(PageSource):
    """Pages held in memory, possibly altered."""

    checksum_verifiable = False
    block_size = 8192

    def __init__(self, pages: list[bytes]) -> None:
        self.name = "memory"
        self._pages = pages

    def nblocks(self, fork: Fork = "main") -> int:
        return len(self._pages) if fork == "main" else 0

    def read_page(self, blkno: int, fork: Fork = "main") -> RawPage:
        return RawPage(blkno, self._pages[blkno], fork, f"memory block {blkno}", False)


def toast_pages(rel: FixtureRelation) -> list[bytes]:
    meta = rel.manifest["relations"]["toast_values_toast"]
    with FileSource(rel.version_dir / meta["files"]["main"]) as src:
        return [raw.data for raw in src.pages("main")]


def external_pointers(rel: FixtureRelation) -> list[ToastPointer]:
    desc = description_from_json(rel.meta)
    with FileSource(rel.file("main")) as src:
        page = decode_page(src.read_page(0))
    assert isinstance(page, HeapPage)
    out = []
    for tv in decode_page_values(page, desc, text=False):
        for a in tv.attributes:
            if a.form is VarlenaForm.EXTERNAL and a.varlena is not None:
                assert a.varlena.pointer is not None
                out.append(a.varlena.pointer)
    return out


def biggest(rel: FixtureRelation) -> ToastPointer:
    return max(external_pointers(rel), key=lambda p: p.extsize)


def with_lp(page: bytes, lp: int, change: Callable[[int], int]) -> bytes:
    """The page with line pointer ``lp``'s 32-bit word changed."""
    at = 24 + 4 * (lp - 1)
    word = int.from_bytes(page[at : at + 4], "little")
    return page[:at] + change(word).to_bytes(4, "little") + page[at + 4 :]


def chunk_location(pages: list[bytes], valueid: int, seq: int) -> tuple[int, int]:
    for blkno, page in enumerate(pages):
        for ref in scan_chunk_refs(blkno, page):
            if ref.valueid == valueid and ref.seq == seq:
                return blkno, ref.lp
    raise AssertionError("chunk not found")


def test_intact_values_reassemble() -> None:
    toast = ToastRelation(PagesSource(toast_pages(REL)), toastrelid=REL.meta["reltoastrelid"])
    for pointer in external_pointers(REL):
        value = toast.assemble(pointer)
        assert value.problems == ()
        assert value.data is not None and len(value.data) == pointer.extsize
        seqs = [c.ref.seq for c in value.chunks]
        assert seqs == list(range(len(seqs)))
        assert len(seqs) == (pointer.extsize - 1) // toast_max_chunk_size() + 1


def test_missing_chunk() -> None:
    pages = toast_pages(REL)
    pointer = biggest(REL)
    blkno, lp = chunk_location(pages, pointer.va_valueid, 3)
    pages[blkno] = with_lp(pages[blkno], lp, lambda w: w & ~(3 << 15))  # LP_UNUSED
    value = ToastRelation(PagesSource(pages)).assemble(pointer)
    assert value.data is None
    assert value.problems == (f"missing chunk number 3 for toast value {pointer.va_valueid}",)
    with pytest.raises(ToastError, match="missing chunk number 3"):
        ToastRelation(PagesSource(pages)).fetch(pointer)


def test_value_not_found() -> None:
    pointer = biggest(REL)
    other = ToastPointer(pointer.va_rawsize, pointer.va_extinfo, 12345, pointer.va_toastrelid)
    value = ToastRelation(PagesSource(toast_pages(REL))).assemble(other)
    assert value.data is None
    assert "toast value 12345 not found" in value.problems[0]


def test_duplicate_chunks_are_reported() -> None:
    pages = toast_pages(REL)
    pointer = biggest(REL)
    blkno, _ = chunk_location(pages, pointer.va_valueid, 0)
    doubled = [*pages, pages[blkno]]  # the same chunks again on a new block
    value = ToastRelation(PagesSource(doubled)).assemble(pointer)
    duplicates = [p for p in value.problems if p.startswith("duplicate chunk number")]
    assert duplicates
    assert value.data is None  # two live copies: no way to choose


def test_wrong_sized_chunk() -> None:
    pages = toast_pages(REL)
    pointer = biggest(REL)
    blkno, lp = chunk_location(pages, pointer.va_valueid, 1)
    page = bytearray(pages[blkno])
    word = int.from_bytes(page[24 + 4 * (lp - 1) : 28 + 4 * (lp - 1)], "little")
    lp_off = word & 0x7FFF
    t_hoff = page[lp_off + 22]
    header_at = lp_off + t_hoff + 8  # chunk_data after chunk_id and chunk_seq
    header = int.from_bytes(page[header_at : header_at + 4], "little")
    size = (header >> 2) - 10
    page[header_at : header_at + 4] = (size << 2).to_bytes(4, "little")
    pages[blkno] = bytes(page)
    value = ToastRelation(PagesSource(pages)).assemble(pointer)
    expected_size = toast_max_chunk_size()
    nchunks = (pointer.extsize - 1) // expected_size + 1
    assert (
        f"unexpected chunk size {expected_size - 10} (expected {expected_size}) in chunk 1 "
        f"of {nchunks} for toast value {pointer.va_valueid}"
    ) in value.problems
    assert value.data is None


def test_pointer_to_another_toast_table_is_refused() -> None:
    pointer = biggest(REL)
    toast = ToastRelation(PagesSource(toast_pages(REL)), toastrelid=pointer.va_toastrelid + 1)
    value = toast.assemble(pointer)
    assert value.data is None
    assert "names TOAST table OID" in value.problems[0]


def test_locator_is_used_instead_of_a_scan() -> None:
    pages = toast_pages(REL)
    pointer = biggest(REL)
    calls: list[int] = []

    def locate(valueid: int) -> Iterator[tuple[int, int]]:
        calls.append(valueid)
        for blkno, page in enumerate(pages):
            for ref in scan_chunk_refs(blkno, page):
                if ref.valueid == valueid:
                    yield blkno, ref.lp

    toast = ToastRelation(PagesSource(pages), locate=locate)
    data = toast.fetch(pointer)
    assert calls == [pointer.va_valueid]
    assert toast._index is None  # no full scan happened
    expected = toast_pages(REL)  # the same bytes through the scanning path
    assert ToastRelation(PagesSource(expected)).fetch(pointer) == data
    assert hashlib.md5(data).hexdigest()
