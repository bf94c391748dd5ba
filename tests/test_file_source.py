"""Relation files offline: segments, forks, gzip, page images and every kind of bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from pagebuilder import Item, PageSpec, Tuple

from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import ChecksumStatus, PageKind
from pageinspect_py.errors import BlockOutOfRangeError, SourceError
from pageinspect_py.page.checksum import page_checksum
from pageinspect_py.sources.file import FileSource

SEGMENT_BLOCKS = 131072  # 1 GB / 8 kB


def page_for(blkno: int, payload: bytes = b"row") -> bytes:
    """A heap page carrying a valid checksum for absolute block ``blkno``."""
    raw = bytearray(PageSpec(items=[Item(Tuple(payload))]).build())
    raw[8:10] = page_checksum(bytes(raw), blkno).to_bytes(2, "little")
    return bytes(raw)


def test_relation_with_forks(tmp_path: Path) -> None:
    (tmp_path / "16384").write_bytes(page_for(0) + page_for(1))
    (tmp_path / "16384_fsm").write_bytes(bytes(8192))
    src = FileSource(tmp_path / "16384")
    assert src.nblocks() == 2
    assert src.forks() == ["main", "fsm"]
    assert src.nblocks("vm") == 0
    assert [p.blkno for p in src.pages()] == [0, 1]
    page = decode_page(src.read_page(1))
    assert page.checksum.status is ChecksumStatus.OK
    assert not src.problems
    # opening the fork file itself selects that fork
    assert FileSource(tmp_path / "16384_fsm").given_fork == "fsm"


def test_segments_use_absolute_block_numbers(tmp_path: Path) -> None:
    # segment 0 is a sparse 1 GB file with one real page at its end
    seg0 = tmp_path / "24576"
    with seg0.open("wb") as f:
        f.seek((SEGMENT_BLOCKS - 1) * 8192)
        f.write(page_for(SEGMENT_BLOCKS - 1))
    (tmp_path / "24576.1").write_bytes(page_for(SEGMENT_BLOCKS) + page_for(SEGMENT_BLOCKS + 1))
    src = FileSource(seg0)
    assert src.nblocks() == SEGMENT_BLOCKS + 2
    for blkno in (SEGMENT_BLOCKS - 1, SEGMENT_BLOCKS, SEGMENT_BLOCKS + 1):
        page = decode_page(src.read_page(blkno))
        assert page.blkno == blkno
        assert page.checksum.status is ChecksumStatus.OK, blkno
    assert decode_page(src.read_page(5)).kind is PageKind.NEW
    # a segment opened on its own keeps its absolute numbering
    alone = FileSource(tmp_path / "24576.1")
    assert list(alone.block_numbers()) == [range(SEGMENT_BLOCKS, SEGMENT_BLOCKS + 2)]
    assert decode_page(alone.read_page(SEGMENT_BLOCKS)).checksum.status is ChecksumStatus.OK


def test_missing_segment_reported(tmp_path: Path) -> None:
    (tmp_path / "7").write_bytes(page_for(0))
    (tmp_path / "7.2").write_bytes(page_for(2 * SEGMENT_BLOCKS))
    src = FileSource(tmp_path / "7")
    assert any("segment 1 of the main fork is missing" in p.message for p in src.problems)
    with pytest.raises(BlockOutOfRangeError):
        src.read_page(5)
    assert decode_page(src.read_page(2 * SEGMENT_BLOCKS)).checksum.status is ChecksumStatus.OK


def test_gzip(tmp_path: Path) -> None:
    (tmp_path / "16384.gz").write_bytes(gzip.compress(page_for(0) + page_for(1)))
    (tmp_path / "16384_vm.gz").write_bytes(gzip.compress(bytes(8192)))
    src = FileSource(tmp_path / "16384.gz")
    assert src.nblocks() == 2 and src.forks() == ["main", "vm"]
    assert src.read_page(1).data == page_for(1)
    assert src.read_page(0).data == page_for(0)  # seeking backwards works too


def test_page_image_with_first_block(tmp_path: Path) -> None:
    image = tmp_path / "page.bin"
    image.write_bytes(page_for(42))
    src = FileSource(image, first_block=42)
    assert decode_page(src.read_page(42)).checksum.status is ChecksumStatus.OK
    default = FileSource(image)
    assert decode_page(default.read_page(0)).checksum.status is ChecksumStatus.MISMATCH


def test_waldump_fullpage_name(tmp_path: Path) -> None:
    image = tmp_path / "00000001-00000000-016B2E48.1663.5.16384.17_vm"
    image.write_bytes(page_for(17))
    src = FileSource(image)
    assert src.given_fork == "vm"
    assert [p.blkno for p in src.pages("vm")] == [17]


def test_block_size_from_header(tmp_path: Path) -> None:
    (tmp_path / "1").write_bytes(PageSpec(size=4096).build() * 3)
    src = FileSource(tmp_path / "1")
    assert src.block_size == 4096 and src.nblocks() == 3


# --- bad input --------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        FileSource(tmp_path / "nope")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a directory"):
        FileSource(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "9").write_bytes(b"")
    src = FileSource(tmp_path / "9")
    assert src.nblocks() == 0
    assert any("empty file" in p.message for p in src.problems)


def test_partial_trailing_block(tmp_path: Path) -> None:
    (tmp_path / "9").write_bytes(page_for(0) + page_for(1) + b"\x01" * 100)
    src = FileSource(tmp_path / "9")
    assert src.nblocks() == 2
    assert [p.message for p in src.problems] == [
        "100 trailing bytes after block 2 (a partial block, not decoded)"
    ]
    assert len(list(src.pages())) == 2


def test_block_past_the_end(tmp_path: Path) -> None:
    (tmp_path / "9").write_bytes(page_for(0))
    src = FileSource(tmp_path / "9")
    with pytest.raises(BlockOutOfRangeError, match="block 3 of the main fork is out of range"):
        src.read_page(3)
    with pytest.raises(BlockOutOfRangeError, match="has no file"):
        src.read_page(0, "fsm")


def test_garbage_and_zero_pages(tmp_path: Path) -> None:
    garbage = bytes((i * 7919 + 13) % 251 for i in range(8192))
    (tmp_path / "9").write_bytes(bytes(8192) + garbage)
    src = FileSource(tmp_path / "9")
    kinds = [decode_page(p).kind for p in src.pages()]
    assert kinds == [PageKind.NEW, PageKind.UNKNOWN]


def test_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress(page_for(0) * 4)
    (tmp_path / "9.gz").write_bytes(data[: len(data) // 2] + data[-8:])
    src = FileSource(tmp_path / "9.gz")
    with pytest.raises(SourceError):
        for _ in src.pages():
            pass
