"""The btree code's shape: one decoding frame (``decode_page(..., btree=...)``), no import
cycle between the btree decoder and the frame, the bulk scan below the analysis layer."""

from __future__ import annotations

import subprocess
import sys

import pytest
from goldens import relations

from pageinspect_py.decode.btree import BtreeDecodeOptions, BtreeMetaPage, BtreePage
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.page import PageKind
from pageinspect_py.sources.file import FileSource


def _loaded_after(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_the_btree_decoder_does_not_import_the_frame() -> None:
    loaded = _loaded_after("pageinspect_py.decode.btree")
    assert "pageinspect_py.decode.dispatch" not in loaded


def test_the_bulk_scan_sits_below_analysis() -> None:
    loaded = _loaded_after("pageinspect_py.scan.btree")
    assert not {m for m in loaded if m.startswith("pageinspect_py.analysis")}
    assert not {m for m in loaded if m.startswith("pageinspect_py.app")}


@pytest.mark.parametrize("blkno", [0, 3])
def test_a_page_of_a_btree_that_is_no_btree_page_is_claimed(blkno: int) -> None:
    heap = next(r for r in relations("heap") if r.major == 16)
    with FileSource(heap.file()) as src:
        data = src.read_page(0).data
    plain = decode_page(data, blkno)
    assert plain.kind is PageKind.HEAP
    page = decode_page(data, blkno, btree=BtreeDecodeOptions())
    assert isinstance(page, BtreeMetaPage if blkno == 0 else BtreePage)
    assert "not-btree" in {d.code for d in page.diagnostics}
    # the frame's other work is the same: checksum verdict, regions tiling the page
    assert page.checksum == plain.checksum
    assert sum(r.span.length for r in page.regions) == len(data)
    new = decode_page(bytes(len(data)), blkno, btree=BtreeDecodeOptions())
    assert new.kind is PageKind.NEW and new.diagnostics == ()
