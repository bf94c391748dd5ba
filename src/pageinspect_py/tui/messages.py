"""What screens ask the app for: messages that bubble from a screen to :class:`PgPageApp`.

Screens never import the app (nor each other); they post one of these and the app, which
holds the session and the screen stack, decides what to open. Each carries what only the
posting screen knows (the block under the cursor, the decoded page and the field selected).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from textual.message import Message

if TYPE_CHECKING:
    from pageinspect_py.render.tree import FieldNode, PageDetail
    from pageinspect_py.tui.targets import Target

#: which relation of the session a block belongs to
Relation = Literal["main", "toast"]


class OpenBlock(Message):
    """Show ``blkno`` on the Page screen (of the relation's main fork, or of its TOAST
    table), at ``target`` (a byte offset or a line pointer) when given."""

    def __init__(
        self, blkno: int, target: Target | None = None, *, relation: Relation = "main"
    ) -> None:
        super().__init__()
        self.blkno = blkno
        self.target = target
        self.relation: Relation = relation


class OpenBtree(Message):
    """The B-tree screen at ``start``: ``root``, ``meta``, ``leftmost`` or a block number."""

    def __init__(self, start: str | int = "root") -> None:
        super().__init__()
        self.start = start


class OpenToast(Message):
    """The TOAST screen for the out-of-line value under ``node`` on the page ``detail``."""

    def __init__(self, detail: PageDetail | None, node: FieldNode | None) -> None:
        super().__init__()
        self.detail = detail
        self.node = node


class OpenLayout(Message):
    """The Layout screen for the relation (needs its columns)."""


class OpenRelated(Message):
    """Offer the relations one step away (indexes, TOAST table, the table of an index)."""
