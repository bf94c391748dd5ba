"""GiST index output, per page: the JSON keys pageinspect names and the text rows.

``render/json.py`` merges :func:`gist_page_json` into a block's object and ``render/text.py``
lays out :func:`gist_page_rows`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pageinspect_py.decode.common import Span
from pageinspect_py.decode.page import Page

JSONObject = dict[str, Any]
#: (indent, text, byte range) rows, laid out by render/text.py
TextRow = tuple[int, str, Span | None]


def gist_page_json(page: Page) -> JSONObject | None:
    """The page's GiST keys, None for a page that is not a decoded GiST page."""
    return None


def gist_page_rows(page: Page) -> Iterator[TextRow]:
    """The text rows of a decoded GiST page (nothing for other pages)."""
    yield from ()
