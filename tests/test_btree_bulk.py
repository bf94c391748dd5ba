"""The bulk path of the whole-index scan (struct over the bytes) against the construct path
(the full page decoder): the same summary, level figures and key widths on every fixture page
it accepts, and it accepts only pages the decoder finds nothing wrong with -- also after
random damage."""

from __future__ import annotations

import gzip
import random
from collections import Counter
from pathlib import Path

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.analysis.btree import scan_index
from pageinspect_py.decode.btree import BtreeDecodeOptions
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.page.raw import RawPage
from pageinspect_py.scan.btree import ScanTotals, fast_page, summarize
from pageinspect_py.sources.file import FileSource

BTREE = list(relations("btree"))


def agree(raw: RawPage) -> bool:
    """True when the bulk path took the page (and then agreed with the decoder)."""
    fast = fast_page(raw)
    if fast is None:
        return False
    page = decode_page(raw, btree=BtreeDecodeOptions())
    assert page.diagnostics == (), [d.describe() for d in page.diagnostics]
    acc = ScanTotals()
    summary = summarize(page, acc)
    assert fast.summary == summary
    assert list(acc.levels) == [fast.stats.level]
    assert fast.stats == acc.levels[fast.stats.level]
    assert Counter(fast.widths) == acc.widths
    return True


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_bulk_path_agrees_with_the_decoder(rel: FixtureRelation) -> None:
    taken = live = 0
    with FileSource(rel.file()) as src:
        for raw in src.pages("main"):
            if raw.blkno == 0:
                continue
            taken += agree(raw)
            stats = next(b for b in rel.oracle["blocks"] if b["block"] == raw.blkno)
            live += stats["bt_page_stats"]["type"] in ("l", "i", "r")
    assert taken == live  # every live page of a healthy index takes the bulk path


@pytest.mark.parametrize("rel", BTREE, ids=str)
def test_scans_agree(rel: FixtureRelation) -> None:
    with FileSource(rel.file()) as src:
        fast = scan_index(src, major=rel.major)
        full = scan_index(src, major=rel.major, fast=False)
    assert fast.summaries == full.summaries
    assert fast.statistics(rel.major) == full.statistics(rel.major)
    assert fast.check() == full.check() == ()


def test_damaged_pages_are_left_to_the_decoder() -> None:
    rng = random.Random(7)
    raws = []
    for rel in BTREE:
        if rel.major in (13, 17, 18):
            with FileSource(rel.file()) as src:
                raws += [r for r in src.pages("main") if r.blkno]
    taken = 0
    for _ in range(3000):
        raw = rng.choice(raws)
        data = bytearray(raw.data)
        for _ in range(rng.randint(1, 4)):
            lower = int.from_bytes(data[12:14], "little")
            zone = rng.randrange(4)
            if zone == 0:
                at = rng.randrange(24)
            elif zone == 1:
                at = 24 + rng.randrange(max(1, min(lower, 8192) - 24))
            elif zone == 2:
                at = len(data) - 16 + rng.randrange(16)
            else:
                at = rng.randrange(len(data))
            data[at] = rng.randrange(256)
        taken += agree(RawPage(raw.blkno, bytes(data), "main", raw.origin, False))
    assert taken  # some damage (in key bytes, say) leaves a page the decoder finds healthy


def test_a_checksum_mismatch_leaves_the_page_to_the_decoder(tmp_path: Path) -> None:
    """The bulk path checksums runs of pages at once: a page whose bytes no longer match its
    pd_checksum (one key byte flipped) is decoded in full and reported, as without it."""
    rel = next(r for r in BTREE if r.major == 16 and r.name == "bt_dedup")
    assert rel.manifest["data_checksums"]
    data = bytearray(gzip.decompress(rel.file().read_bytes()))
    blkno = 1
    upper = int.from_bytes(data[blkno * 8192 + 14 : blkno * 8192 + 16], "little")
    data[blkno * 8192 + upper + 8] ^= 0x01  # the first key byte of the item at pd_upper
    path = tmp_path / "16384"
    path.write_bytes(bytes(data))
    with FileSource(path) as src:
        raw = src.read_page(blkno)
        assert fast_page(raw) is None
        fast = scan_index(src, major=16)
        full = scan_index(src, major=16, fast=False)
    assert fast.summaries == full.summaries
    assert fast.check() == full.check()
    assert ("checksum-mismatch", blkno) in {(f.code, f.block) for f in fast.check()}
