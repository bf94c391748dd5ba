"""The index access methods through the commands (issue 13): every hash, GIN, GiST, SP-GiST
and BRIN fixture of every major is told by its block 0, checked by ``pgpage check`` with no
finding and nothing "not decoded", measured by ``pgpage stats`` as the server measured it
(pgstathashindex, pgstatginindex, pgstattuple), and dumped with the pageinspect keys the
server gave for those bytes -- typed where the manifest describes the index."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from goldens import FixtureRelation, relations

from pageinspect_py.app.check import NOT_DECODED, check_relation
from pageinspect_py.app.indexes import access_method_of
from pageinspect_py.app.stats import relation_stats
from pageinspect_py.decode.page import PageKind
from pageinspect_py.sources.file import FileSource

KINDS = ("hash", "gin", "gist", "spgist", "brin")
INDEXES = [rel for kind in KINDS for rel in relations(kind)]
#: the server's statistics function of each access method that has one, on those bytes
SERVER_STATS = {"hash": "pgstathashindex", "gin": "pgstatginindex", "gist": "pgstattuple"}
#: our own figures where the server has none (pgstattuple refuses SP-GiST and BRIN)
OUR_STATS = {"spgist": "spgist_index_statistics", "brin": "brin_index_statistics"}


def test_every_access_method_has_fixtures() -> None:
    assert {rel.meta["kind"] for rel in INDEXES} == set(KINDS)
    assert not {PageKind.HASH, PageKind.GIN, PageKind.GIST, PageKind.SPGIST} & set(NOT_DECODED)
    assert PageKind.BRIN not in NOT_DECODED


@pytest.mark.parametrize("rel", INDEXES, ids=str)
def test_check_and_stats(rel: FixtureRelation) -> None:
    kind = rel.meta["kind"]
    with FileSource(rel.file("main")) as source:
        assert access_method_of(source) == kind
        report = check_relation(source)
        assert report.findings == (), [f.text for f in report.findings[:5]]
        assert report.checks == ((f"{kind} structure", 0),)
        main = report.forks[0]
        assert main.not_decoded == {} and main.errors == main.warnings == 0
        assert main.kinds.get(kind, 0) + main.kinds.get("new", 0) == main.blocks
        stats = relation_stats(source, major=rel.major)
    if kind in SERVER_STATS:
        assert stats.function == SERVER_STATS[kind]
        assert stats.figures == rel.oracle[SERVER_STATS[kind]]
    else:
        assert stats.function == OUR_STATS[kind]
        assert stats.figures["nblocks"] == rel.meta["blocks"]["main"]


def _dump_json(rel: FixtureRelation, *extra: str) -> list[dict[str, Any]]:
    command = ["dump", str(rel.file("main")), "--format", "json", *extra]
    out = subprocess.run(
        [sys.executable, "-m", "pageinspect_py.cli", *command],
        capture_output=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr.decode()
    return [json.loads(line) for line in out.stdout.splitlines()]


#: the per-page pageinspect functions of each method recorded in the oracle
PAGE_KEYS = {
    "gin": ("gin_page_opaque_info", "gin_metapage_info", "gin_leafpage_items"),
    "gist": ("gist_page_opaque_info", "gist_page_items_bytea", "gist_page_items"),
    "brin": ("brin_page_type", "brin_metapage_info", "brin_revmap_data", "brin_page_items"),
}
#: one fixture of each per major, typed through the manifest (--schema)
DUMPED = [
    rel
    for rel in INDEXES
    if rel.name in ("gin_jsonb", "gist_range", "brin_inclusion", "spgist_text")
    and rel.major in (12, 14, 18)
]


@pytest.mark.parametrize("rel", DUMPED, ids=str)
def test_dump_json_has_the_servers_keys(rel: FixtureRelation) -> None:
    kind = rel.meta["kind"]
    manifest = rel.version_dir / "manifest.json"
    blocks = _dump_json(rel, "--schema", str(manifest))
    oracle = {b["block"]: b for b in rel.oracle["blocks"] if b["fork"] == "main"}
    assert [b["block"] for b in blocks] == sorted(oracle)
    compared = 0
    for block in blocks:
        want = oracle[block["block"]]
        assert block["diagnostics"] == []
        for key in PAGE_KEYS.get(kind, ()):
            if key not in want:  # GiST's functions are new in 14
                continue
            expected = want[key]
            if isinstance(expected, dict) and set(expected) == {"error"}:
                assert block.get(key) is None, (key, block["block"])
            else:
                assert block[key] == expected, (key, block["block"])
                compared += 1
    if kind == "spgist":  # no pageinspect function: the typed datums of our own keys
        inner = [t for b in blocks for t in b.get("spgist_inner_tuples") or []]
        assert any(t.get("prefix") == "https://example.com/" for t in inner)
    elif kind == "gist" and rel.major < 14:  # no gist functions before 14: typed keys
        items = [i for b in blocks for i in b.get("gist_page_items") or []]
        assert items and all(i["keys"].startswith("(r)=") for i in items)
    else:
        assert compared


def test_an_untyped_dump_says_so_and_still_decodes() -> None:
    """Without a description GiST keys are bytes and gist_page_items (which needs the
    index) is absent; the other pageinspect keys are there."""
    rel = next(r for r in relations("gist") if r.major == 16 and r.name == "gist_box")
    blocks = _dump_json(rel, "--block", "1")
    assert blocks[0]["gist_page_opaque_info"]["flags"] == ["leaf"]
    assert blocks[0]["gist_page_items_bytea"]
    assert blocks[0].get("gist_page_items") is None


@pytest.mark.parametrize("rel", INDEXES + list(relations("btree")), ids=str)
def test_page_links_name_blocks_of_the_index(rel: FixtureRelation) -> None:
    """Every link of every page names a block of the index that is not the page itself;
    every page but the root is named by some page (downlinks, siblings, the BRIN map) in the
    tree methods, and what each link says it is, it is: a downlink's child is a page of its
    method, a GIN posting tree's root a data page."""
    from pageinspect_py.analysis.links import page_links
    from pageinspect_py.app.indexes import decode_options
    from pageinspect_py.decode.dispatch import decode_page
    from pageinspect_py.decode.gin import GinDataPage

    with FileSource(rel.file("main")) as source:
        options = decode_options(access_method_of(source), None, source)
        pages = [decode_page(raw, **options) for raw in source.pages("main")]
    named: set[int] = set()
    for page in pages:
        for link in page_links(page):
            assert 0 <= link.blkno < len(pages) and link.blkno != page.blkno, (page.blkno, link)
            named.add(link.blkno)
            target = pages[link.blkno]
            if "downlink" in link.label or "child" in link.label:
                assert target.kind == page.kind, (page.blkno, link)
            if link.label.startswith("posting tree"):
                assert isinstance(target, GinDataPage), (page.blkno, link)
    kind = rel.meta["kind"]
    live = {
        p.blkno
        for p in pages
        if p.kind is not PageKind.NEW
        and not getattr(p, "deleted", False)
        and not (getattr(getattr(p, "opaque", None), "ignore", False))
    }
    if kind in ("gist", "brin"):  # GiST's root and BRIN's metapage are block 0
        assert live - {0} <= named
