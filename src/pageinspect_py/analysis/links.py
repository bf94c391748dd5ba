"""The blocks a decoded index page points at, for walking a tree by hand (the TUI's ``l``):
siblings, downlinks, a GIN entry's posting-tree root, a hash bucket's overflow chain, the
BRIN range map's summary pages. One function over every access method's model, so the
screens need not know them."""

from __future__ import annotations

from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.decode.brin import BrinMetaPage, BrinRevmapPage
from pageinspect_py.decode.btree import BtreePage
from pageinspect_py.decode.gin import EntryKind, GinDataPage, GinEntryPage
from pageinspect_py.decode.gist import GistPage
from pageinspect_py.decode.hash import HashPage, HashPageType
from pageinspect_py.decode.page import Page
from pageinspect_py.decode.spgist import SpGistPage


@dataclass(frozen=True, slots=True)
class PageLink:
    """One block a page names, and what the link is."""

    label: str  #: "right sibling", "lp 3 downlink", "posting tree of lp 7", ...
    blkno: int


#: links past this many on one page are summed up in the last one (a revmap page names
#: hundreds of summary tuples on a few pages; an internal page a few hundred children)
MAX_LINKS = 400


def page_links(page: Page) -> list[PageLink]:
    """The other blocks ``page`` links to, in page order (siblings first); each once."""
    links: list[PageLink] = []
    if isinstance(page, BtreePage) and page.opaque is not None:
        o = page.opaque
        _sibling(links, "left sibling", o.btpo_prev, C.P_NONE)
        _sibling(links, "right sibling", o.btpo_next, C.P_NONE)
        for item in page.items:
            if item.downlink is not None:
                links.append(PageLink(f"lp {item.offnum} downlink", item.downlink))
    elif isinstance(page, HashPage) and page.opaque is not None:
        h = page.opaque
        if h.page_type is HashPageType.OVERFLOW:  # a bucket page's prevblkno is maxbucket
            _sibling(links, "previous page of the bucket", h.hasho_prevblkno, C.InvalidBlockNumber)
        _sibling(links, "next overflow page", h.hasho_nextblkno, C.InvalidBlockNumber)
    elif isinstance(page, GinEntryPage):
        if page.opaque is not None:
            _sibling(links, "right sibling", page.opaque.rightlink, C.InvalidBlockNumber)
        for entry in page.entries:
            if entry.kind is EntryKind.DOWNLINK:
                links.append(PageLink(f"lp {entry.offnum} downlink", entry.bi_block))
            elif entry.kind is EntryKind.POSTING_TREE:
                links.append(PageLink(f"posting tree of lp {entry.offnum}", entry.bi_block))
    elif isinstance(page, GinDataPage):
        if page.opaque is not None:
            _sibling(links, "right sibling", page.opaque.rightlink, C.InvalidBlockNumber)
        for n, posting in enumerate(page.posting_items, 1):
            links.append(PageLink(f"PostingItem {n} child", posting.child_blkno))
    elif isinstance(page, GistPage):
        if page.opaque is not None:
            _sibling(links, "right sibling", page.opaque.rightlink, C.InvalidBlockNumber)
        links.extend(PageLink("downlink", child) for child in page.downlinks)
    elif isinstance(page, SpGistPage):
        for inner in page.inner_tuples:
            for n, node in enumerate(inner.nodes):
                if node.has_downlink:
                    tid = node.t_tid
                    label = f"lp {inner.offnum} node {n} -> ({tid.block},{tid.offset})"
                    links.append(PageLink(label, tid.block))
    elif isinstance(page, BrinMetaPage) and page.meta is not None:
        for blkno in page.meta.revmap_blocks:
            links.append(PageLink("range map page", blkno))
    elif isinstance(page, BrinRevmapPage):
        for slot in page.summarized():
            links.append(PageLink(f"summary of range {slot.range_index}", slot.tid.block))
    return _once(links, page.blkno)


def _sibling(links: list[PageLink], label: str, blkno: int, none: int) -> None:
    if blkno != none:
        links.append(PageLink(label, blkno))


def _once(links: list[PageLink], here: int) -> list[PageLink]:
    """Each block once (its first link names it), not the page itself (an SP-GiST node may
    point into its own page), at most MAX_LINKS."""
    seen: set[int] = {here}
    out = []
    for link in links:
        if link.blkno not in seen:
            seen.add(link.blkno)
            out.append(link)
    return out[:MAX_LINKS]
