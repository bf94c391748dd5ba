"""`pgpage dump` end to end through click: formats, block selection, exit codes, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pagebuilder import Item, PageSpec, Tuple

import pageinspect_py.constants as C
from pageinspect_py.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main
from pageinspect_py.page.checksum import page_checksum


def write_relation(path: Path, pages: int = 3, corrupt: int | None = None) -> None:
    out = b""
    for blkno in range(pages):
        raw = bytearray(
            PageSpec(
                items=[
                    # a redirect points to a heap-only tuple, which an UPDATE made
                    Item(
                        Tuple(
                            b"abcd",
                            infomask=C.HEAP_XMAX_INVALID | C.HEAP_UPDATED,
                            infomask2=1 | C.HEAP_ONLY_TUPLE,
                        )
                    ),
                    Item(flags=C.LP_REDIRECT, off=1),
                    Item(flags=C.LP_DEAD),
                    Item(flags=C.LP_UNUSED),
                ]
            ).build()
        )
        raw[8:10] = page_checksum(bytes(raw), blkno).to_bytes(2, "little")
        if blkno == corrupt:
            raw[8000] ^= 0xFF
        out += bytes(raw)
    path.write_bytes(out)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_lines(tmp_path: Path) -> None:
    write_relation(tmp_path / "1")
    code, out, err = run("dump", str(tmp_path / "1"), "--format", "json")
    assert code == EXIT_OK, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["block"] for r in rows] == [0, 1, 2]
    first = rows[0]
    assert set(first["page_header"]) >= {
        "lsn",
        "checksum",
        "flags",
        "lower",
        "upper",
        "special",
        "pagesize",
        "version",
        "prune_xid",
    }
    assert first["page_checksum"] == first["page_header"]["checksum"]
    items = first["heap_page_items"]
    assert [i["lp_flags"] for i in items] == [1, 2, 3, 0]
    normal, redirect = items[0], items[1]
    assert normal["t_data"] == "61626364" and normal["t_ctid"] == "(0,1)"
    assert normal["heap_tuple_infomask_flags"] == {  # in the order pageinspect lists them
        "raw_flags": ["HEAP_XMAX_INVALID", "HEAP_UPDATED", "HEAP_ONLY_TUPLE"],
        "combined_flags": [],
    }
    assert redirect["t_xmin"] is None and redirect["redirect_to"] == 1
    assert set(normal) >= {
        "lp",
        "lp_off",
        "lp_flags",
        "lp_len",
        "t_xmin",
        "t_xmax",
        "t_field3",
        "t_ctid",
        "t_infomask2",
        "t_infomask",
        "t_hoff",
        "t_bits",
        "t_oid",
        "t_data",
    }


def test_block_selection(tmp_path: Path) -> None:
    write_relation(tmp_path / "1", pages=5)
    _, out, _ = run("dump", str(tmp_path / "1"), "--format", "json", "--blocks", "1:3")
    assert [json.loads(x)["block"] for x in out.splitlines()] == [1, 2, 3]
    _, out, _ = run("dump", str(tmp_path / "1"), "--format", "json", "--blocks", "3:")
    assert [json.loads(x)["block"] for x in out.splitlines()] == [3, 4]
    _, out, _ = run("dump", str(tmp_path / "1"), "--format", "json", "--block", "4")
    assert [json.loads(x)["block"] for x in out.splitlines()] == [4]


def test_text_is_annotated_and_fits_80_columns(tmp_path: Path) -> None:
    write_relation(tmp_path / "1", pages=1)
    code, out, _ = run("dump", str(tmp_path / "1"))
    assert code == EXIT_OK
    assert "lp 1: LP_NORMAL lp_off: 8160 lp_len: 28" in out
    assert "0x0018-0x001b" in out
    assert "lp 2: LP_REDIRECT -> lp 1" in out
    assert "HEAP_XMAX_INVALID" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_checksum_mismatch_exit_code(tmp_path: Path) -> None:
    write_relation(tmp_path / "1", corrupt=1)
    code, out, err = run("dump", str(tmp_path / "1"), "--format", "json")
    assert code == EXIT_PROBLEMS
    assert len(out.splitlines()) == 3  # every block still decoded
    assert "block 1" in err and "checksum-mismatch" in err


def test_partial_block_exit_code(tmp_path: Path) -> None:
    write_relation(tmp_path / "1", pages=2)
    with (tmp_path / "1").open("ab") as f:
        f.write(b"\x01" * 10)
    code, out, err = run("dump", str(tmp_path / "1"), "--format", "json")
    assert code == EXIT_PROBLEMS
    assert len(out.splitlines()) == 2
    assert "10 trailing bytes after block 2" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dump", "/nonexistent/16384"], "no such file"),
        (["tui", "/nonexistent/16384"], "no such file"),
        (["tui", "{tmp}"], "is a directory"),
        (["check", "{tmp}"], "is a directory"),
        (["dump", "orders"], "pass --dsn DSN or --live"),
        (["dump", "{tmp}"], "is a directory"),
        (["dump", "{rel}", "--block", "9"], "block 9 is out of range"),
        (["dump", "{rel}", "--blocks", "x:y"], "is not a block range"),
        (["dump", "{rel}", "--block", "1", "--blocks", "0:1"], "not both"),
        (["dump", "{rel}", "--fork", "vm"], "vm fork has 0 blocks"),
    ],
)
def test_usage_and_source_errors(tmp_path: Path, args: list[str], message: str) -> None:
    write_relation(tmp_path / "1", pages=1)
    args = [a.format(tmp=tmp_path, rel=tmp_path / "1") for a in args]
    code, _, err = run(*args)
    assert code == EXIT_USAGE
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 4  # click's usage errors: 4 lines


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty file"), (b"\x01" * 100, "100 trailing bytes after block 0")],
)
def test_a_file_without_one_whole_block_is_one_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "16384").write_bytes(content)
    code, out, err = run("dump", str(tmp_path / "16384"))
    assert code == EXIT_USAGE
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"pgpage: {tmp_path / '16384'}: {message}")


def test_strict_stops_at_damage(tmp_path: Path) -> None:
    write_relation(tmp_path / "1", corrupt=0)
    code, out, err = run("dump", str(tmp_path / "1"), "--strict", "--format", "json")
    assert code == EXIT_PROBLEMS
    assert out == ""
    assert "checksum-mismatch" in err
