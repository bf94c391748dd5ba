"""The text dump keeps its promise of 80 columns (issue 15, item 10): every line of every
page of every fixture relation of one major fits, long values and TID lists go on in
continuation lines, and nothing is lost: the pieces of a cut line join back to the text."""

from __future__ import annotations

import pytest
from goldens import FixtureRelation, relations
from hypothesis import given
from hypothesis import strategies as st

from pageinspect_py.app.indexes import access_method_of, decode_options
from pageinspect_py.decode.common import Span
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.render.text import WIDTH, _cut, _line, render_page
from pageinspect_py.sources.file import FileSource

RELATIONS = [r for r in relations() if r.major == 16 and r.meta.get("files")]


@pytest.mark.parametrize("rel", RELATIONS, ids=str)
def test_every_line_fits(rel: FixtureRelation) -> None:
    with FileSource(rel.file("main")) as source:
        options = decode_options(access_method_of(source), None, source)
        for raw in source.pages("main"):
            text = render_page(decode_page(raw, **options))
            wide = [line for line in text.splitlines() if len(line) > WIDTH]
            assert not wide, (raw.blkno, wide[:3])


@given(st.text(min_size=0, max_size=400), st.integers(8, 80), st.integers(8, 80))
def test_cut_pieces_join_back(text: str, first: int, width: int) -> None:
    pieces = _cut(text, first, width)
    assert "".join(pieces) == text
    assert len(pieces[0]) <= first and all(len(p) <= width for p in pieces[1:])


def test_a_long_line_keeps_its_byte_range_and_every_character() -> None:
    text = "segment 1: " + " ".join(f"({b},{o})" for b in range(40) for o in (1, 2))
    out = _line(2, text, Span(16, 400)).splitlines()
    assert len(out) > 1 and all(len(line) <= WIDTH for line in out)
    assert out[0].endswith("0x0010-0x018f")
    joined = out[0][: -len("0x0010-0x018f")].rstrip()[4:] + "".join(line[8:] for line in out[1:])
    assert joined.replace(" ", "") == text.replace(" ", "")
