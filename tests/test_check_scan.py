"""``pgpage check`` on the kernel: the same report as decoding every page, whatever --jobs is.

The reference below is the plain algorithm (decode every page of every fork, count kinds and
checksum verdicts, collect diagnostics), written out here so the kernel path is compared with
something other than itself.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.app.check import check_relation
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.page.checksum import page_checksum
from pageinspect_py.page.raw import FORKS
from pageinspect_py.scan import check as scan_check
from pageinspect_py.sources.file import FileSource

RELATIONS = [r for r in relations() if r.meta.get("files")]


def _reference(source: FileSource) -> dict[str, Any]:
    forks: dict[str, Any] = {}
    findings: list[tuple[str, int, str, str, str]] = []
    for fork in FORKS:
        if source.nblocks(fork) == 0:
            continue
        kinds: Counter[str] = Counter()
        sums: Counter[str] = Counter()
        for raw in source.pages(fork):
            page = decode_page(raw)
            kinds[str(page.kind)] += 1
            sums[str(page.checksum.status)] += 1
            findings.extend(
                (fork, page.blkno, page.origin, d.code, d.describe()) for d in page.diagnostics
            )
        forks[fork] = (sum(kinds.values()), dict(kinds), dict(sums))
    return {"forks": forks, "findings": findings}


def _ours(report: Any) -> dict[str, Any]:
    return {
        "forks": {s.fork: (s.blocks, s.kinds, s.checksums) for s in report.forks},
        "findings": [(f.fork, f.block, f.origin, f.code, f.text) for f in report.findings],
    }


@pytest.mark.parametrize("rel", RELATIONS, ids=str)
def test_check_equals_decoding_every_page(rel: FixtureRelation) -> None:
    with FileSource(rel.file("main")) as source:
        assert _ours(check_relation(source)) == _reference(source)


def _damaged_relation(tmp: Path, blocks: int) -> Path:
    """A relation file of ``blocks`` pages: fixture heap pages with correct checksums for their
    new block numbers, and every 997th page damaged (a pointer, a t_hoff, a checksum)."""
    pages: list[bytes] = []
    for name in ("heap_many_blocks", "heap_hot", "heap_types", "heap_new_pages"):
        with FileSource(next((Path("fixtures/pg17") / name).glob("[0-9]*[0-9].gz"))) as src:
            pages.extend(raw.data for raw in src.pages("main"))
    rng = random.Random(5)
    path = tmp / "16384"
    with path.open("wb") as out:
        for blkno in range(blocks):
            page = bytearray(pages[blkno % len(pages)])
            if any(page):
                page[8:10] = page_checksum(bytes(page), blkno).to_bytes(2, "little")
            if blkno % 997 == 3:
                where = rng.choice([24, 25, 26, 27, 9, int.from_bytes(page[24:26], "little")])
                page[where % len(page)] ^= 0x5A
            out.write(page)
    return path


def test_jobs_change_nothing_but_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_check, "PARALLEL_MIN_BLOCKS", 64)
    monkeypatch.setattr(scan_check, "TASK_BLOCKS", 100)
    monkeypatch.setattr(scan_check, "CHUNK_PAGES", 37)
    path = _damaged_relation(tmp_path, 1200)
    with FileSource(path) as source:
        one = check_relation(source, jobs=1)
        two = check_relation(source, jobs=2)
        three = check_relation(source, jobs=3)
        assert one.as_json() == two.as_json() == three.as_json()
        assert _ours(one) == _reference(source)
    assert one.findings, "the damaged pages were found"
    assert {f.block % 997 for f in one.findings} == {3}


def test_cli_output_is_identical_for_any_jobs(tmp_path: Path) -> None:
    path = _damaged_relation(tmp_path, 5000)
    gz = tmp_path / "gz" / "16384.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress(path.read_bytes(), compresslevel=1))
    outputs = []
    for target in (path, gz):
        for jobs in ("1", "2"):
            for fmt in ("text", "json"):
                command = [sys.executable, "-m", "pageinspect_py.cli", "check", str(target)]
                run = subprocess.run(
                    [*command, "--jobs", jobs, "--format", fmt],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                assert run.returncode == 1, run.stderr
                assert run.stderr == ""  # no bar off a terminal
                outputs.append((str(target), fmt, run.stdout))
    for name in (str(path), str(gz)):
        for fmt in ("text", "json"):
            same = {out for t, f, out in outputs if (t, f) == (name, fmt)}
            assert len(same) == 1, (name, fmt)
    report = json.loads(next(out for t, f, out in outputs if f == "json"))
    assert report["forks"]["main"]["blocks"] == 5000


def test_check_runs_the_btree_structure_checks(tmp_path: Path) -> None:
    """A leaf whose btpo_next names the wrong page: pgpage btree finds it, so must check."""
    source_file = next(Path("fixtures/pg17/bt_three_levels").glob("[0-9]*[0-9].gz"))
    data = bytearray(gzip.decompress(source_file.read_bytes()))
    size = 8192
    for blkno in range(1, len(data) // size):
        at = blkno * size
        special = int.from_bytes(data[at + 16 : at + 18], "little")
        opaque = at + special
        btpo_next = int.from_bytes(data[opaque + 4 : opaque + 8], "little")
        flags = int.from_bytes(data[opaque + 12 : opaque + 14], "little")
        if flags & 1 and btpo_next:  # BTP_LEAF with a right sibling
            data[opaque + 4 : opaque + 8] = (btpo_next + 7).to_bytes(4, "little")
            break
    path = tmp_path / "16400"
    path.write_bytes(data)
    with FileSource(path) as source:
        report = check_relation(source)
    assert dict(report.checks)["btree structure"] > 0
    assert "bt-sibling-link" in {f.code for f in report.findings}
    assert report.problems
    with FileSource(source_file) as healthy:
        clean = check_relation(healthy)
    assert clean.checks == (("btree structure", 0),)
    assert not clean.problems
