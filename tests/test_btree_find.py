"""`pgpage btree --find`: the argument is checked before anything is read, only the metapage and
the pages on the path from the root down are read, and the heap TIDs of the equal keys are the
ones pageinspect lists for those keys (the oracle: `bt_page_items` of every leaf page)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from goldens import FixtureRelation, relations

from pageinspect_py.app.btree import find_key, key_columns, parse_find
from pageinspect_py.cli import EXIT_OK, EXIT_USAGE, main
from pageinspect_py.errors import SchemaError
from pageinspect_py.page.raw import Fork, PageSource, RawPage
from pageinspect_py.sources.file import FileSource

BTREE = {(r.major, r.name): r for r in relations("btree")}


class CountingSource(PageSource):
    """A source that counts every block it hands out (and refuses whole-fork reads)."""

    def __init__(self, inner: PageSource) -> None:
        self.inner = inner
        self.name = inner.name
        self.block_size = inner.block_size
        self.checksum_verifiable = inner.checksum_verifiable
        self.reads: list[int] = []

    def nblocks(self, fork: Fork = "main") -> int:
        return self.inner.nblocks(fork)

    def read_page(self, blkno: int, fork: Fork = "main") -> RawPage:
        self.reads.append(blkno)
        return self.inner.read_page(blkno, fork)

    def pages(
        self, fork: Fork = "main", start: int = 0, stop: int | None = None
    ) -> Iterator[RawPage]:
        raise AssertionError("--find must not read the whole index")


def _key_of(data_hex: str, typname: str) -> str | None:
    """The first key column of pageinspect's `data`, as --find text (None: not handled)."""
    raw = bytes.fromhex(data_hex.replace(" ", ""))
    if typname == "int4":
        return str(int.from_bytes(raw[:4], "little", signed=True))
    if typname == "text":
        if raw[0] & 1:  # 1-byte header: length in the upper 7 bits, header included
            return raw[1 : raw[0] >> 1].decode()
        if raw[0] & 3 == 0:  # 4-byte header, not compressed
            return raw[4 : int.from_bytes(raw[:4], "little") >> 2].decode()
    return None


def oracle_tids(rel: FixtureRelation) -> dict[str, dict[int, list[str]]]:
    """key text -> {leaf block: heap TIDs pageinspect lists for that key there}."""
    typname = rel.meta["attributes"][0]["typname"]
    out: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for block in rel.oracle["blocks"]:
        stats = block.get("bt_page_stats")
        if stats is None or stats["type"] != "l":
            continue
        for item in block["bt_page_items"]:
            if item["itemoffset"] == 1 and stats["btpo_next"] != 0:  # the high key
                continue
            key = _key_of(item["data"], typname)
            if key is not None:  # 12 has no htid/tids: a leaf tuple's ctid is its heap TID
                tids = item.get("tids") or [item.get("htid") or item["ctid"]]
                out[key][block["block"]].extend(tids)
    return out


CASES = [
    (major, name)
    for major in (12, 13, 15, 17, 18)
    for name in ("bt_int_unique", "bt_dedup", "bt_three_levels", "bt_deleted")
]


@pytest.mark.parametrize(("major", "name"), CASES, ids=str)
def test_find_reads_the_path_and_returns_pageinspects_tids(major: int, name: str) -> None:
    rel = BTREE[(major, name)]
    keys = key_columns(
        str(rel.file()), schema_file=str(rel.version_dir / "manifest.json"), c_collation=True
    )
    assert keys.index is not None
    height = rel.oracle["bt_metap"]["level"] + 1
    expected = oracle_tids(rel)
    chosen = sorted(expected)
    chosen = chosen[:: max(1, len(chosen) // 12)] + chosen[-1:]
    assert len(chosen) >= 3
    for key in chosen:
        with FileSource(rel.file()) as inner:
            src = CountingSource(inner)
            report = find_key(src, keys.index, parse_find(key, keys.index), major)
        where = f"{rel} key {key[:20]!r}"
        leaves = expected[key]
        assert sorted(report.heap_tids) == sorted(t for ts in leaves.values() for t in ts), where
        # the metapage, one page per level, and any further leaf the equal keys continue on
        assert src.reads[0] == 0
        assert len(src.reads) == len(set(src.reads)) == 1 + height + len(leaves) - 1, where
        assert report.blocks_read == tuple(src.reads)
        assert report.path[0].blkno == rel.oracle["bt_metap"]["root"]
        assert report.path[-1].found and report.path[-1].blkno in leaves
        assert report.findings == ()


def test_a_missing_key_reads_the_path_only() -> None:
    rel = BTREE[(17, "bt_int_unique")]
    keys = key_columns(str(rel.file()), schema_file=str(rel.version_dir / "manifest.json"))
    assert keys.index is not None
    present = {int(k) for k in oracle_tids(rel)}
    for value in (min(present) - 5, max(present) + 5):
        with FileSource(rel.file()) as inner:
            src = CountingSource(inner)
            report = find_key(src, keys.index, parse_find(str(value), keys.index), 17)
        assert not report.found and report.heap_tids == ()
        assert len(src.reads) == rel.oracle["bt_metap"]["level"] + 2
        assert not report.path[-1].found


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_bad_value_fails_before_anything_is_read() -> None:
    # the file does not exist: the value is refused before the source is even opened
    code, out, err = run("btree", "/nonexistent/16384", "--columns", "id int4", "--find", "abc")
    assert code == EXIT_USAGE
    assert out == ""
    assert err.strip().splitlines() == [
        "pgpage: --find: column id: 'abc' is not a valid int4 value"
    ]
    code, _, err = run("btree", "/nonexistent/1", "--columns", "id int2", "--find", "40000")
    assert code == EXIT_USAGE
    assert "out of range for int2" in err
    code, _, err = run("btree", "/nonexistent/1", "--columns", "a int4, b int4", "--find", "1,2,3")
    assert code == EXIT_USAGE
    assert "3 values for 2 key columns" in err
    code, _, err = run("btree", "/nonexistent/1", "--columns", "k interval", "--find", "1 day")
    assert code == EXIT_USAGE
    assert "btree order is not known" in err
    code, _, err = run("btree", "/nonexistent/1", "--columns", "k text", "--find", "abc")
    assert code == EXIT_USAGE
    assert "--c-collation" in err


@pytest.mark.parametrize(
    ("typname", "text"),
    [("bool", "maybe"), ("numeric", "1.2.3"), ("date", "2024-13-01"), ("uuid", "xyz")],
)
def test_values_of_other_types_are_checked(typname: str, text: str) -> None:
    keys = key_columns("x", columns=f"k {typname}")
    with pytest.raises(SchemaError, match=f"not a valid {typname} value"):
        parse_find(text, keys.index)


def test_find_text_and_json() -> None:
    rel = BTREE[(16, "bt_dedup")]
    schema = str(rel.version_dir / "manifest.json")
    expected = oracle_tids(rel)
    key = sorted(expected, key=lambda k: -sum(len(v) for v in expected[k].values()))[0]
    tids = sorted(t for ts in expected[key].values() for t in ts)
    assert len(tids) > 1  # a key deduplicated into a posting list
    args = ("btree", str(rel.file()), "--schema", schema, "--find", key)
    code, out, err = run(*args, "--format", "json")
    assert code == EXIT_OK, err
    report = json.loads(out)
    assert report["found"] is True
    assert sorted(report["heap_tids"]) == tids
    assert report["blocks_read"][0] == 0
    assert report["path"][0]["blkno"] == rel.oracle["bt_metap"]["root"]
    assert "pgstatindex" not in report  # the whole index was not read
    code, out, err = run(*args)
    assert code == EXIT_OK, err
    assert f"path to {key}:" in out
    assert f"{len(tids)} heap TIDs" in out
    for tid in tids:
        assert tid in out
