"""The bulk path of the whole-index scan (struct over the bytes) against the construct path
(the full page decoder): the same summary, level figures and key widths on every fixture page
it accepts, and it accepts only pages the decoder finds nothing wrong with -- also after
random damage."""

from __future__ import annotations

import random
from collections import Counter

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
