"""``decode_page()``: recognise a page's kind and decode it into the matching model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pageinspect_py import constants as C
from pageinspect_py.decode.brin import BrinDecodeOptions, brin_contents
from pageinspect_py.decode.btree import BtreeDecodeOptions, btree_contents, claim_btree_kind
from pageinspect_py.decode.common import Region, RegionKind, Span
from pageinspect_py.decode.fsm import FsmContents, decode_fsm_contents, fsm_regions
from pageinspect_py.decode.gin import GinDecodeOptions, gin_contents
from pageinspect_py.decode.gist import GistDecodeOptions, gist_contents
from pageinspect_py.decode.hash import HashDecodeOptions, claim_hash_kind, hash_contents
from pageinspect_py.decode.heap import HeapPage, decode_heap_items
from pageinspect_py.decode.page import (
    ChecksumCheck,
    DiagnosticLog,
    ItemId,
    Page,
    PageHeader,
    PageKind,
    check_header,
    compute_checksum,
    frame_claims,
    header_is_sane,
    parse_header,
    parse_line_pointers,
    tile,
)
from pageinspect_py.decode.spgist import SpGistDecodeOptions, spgist_contents
from pageinspect_py.decode.vm import VmContents, decode_vm_contents, vm_regions
from pageinspect_py.errors import CorruptPageError
from pageinspect_py.page.raw import RawPage
from pageinspect_py.page.special import (
    SPECIAL_PAGE_IDS,
    is_sequence_page,
    kind_without_page_id,
)


@dataclass(frozen=True, slots=True)
class FsmPage(Page):
    fsm: FsmContents | None = None


@dataclass(frozen=True, slots=True)
class VmPage(Page):
    vm: VmContents | None = None


P = TypeVar("P", bound=Page)

#: index access methods whose decoder is a ``*_contents`` function (decode/indexpage.py)
_ACCESS_METHODS = (PageKind.HASH, PageKind.GIN, PageKind.GIST, PageKind.SPGIST, PageKind.BRIN)


@dataclass(frozen=True, slots=True)
class _Frame:
    """What every page model shares, known before the kind-specific decoding starts."""

    blkno: int
    fork: str
    origin: str
    kind: PageKind
    header: PageHeader
    checksum: ChecksumCheck
    data: bytes

    def build(
        self,
        cls: type[P],
        line_pointers: tuple[ItemId, ...],
        regions: tuple[Region, ...],
        log: DiagnosticLog,
        **extra: Any,
    ) -> P:
        return cls(
            blkno=self.blkno,
            fork=self.fork,
            origin=self.origin,
            kind=self.kind,
            header=self.header,
            line_pointers=line_pointers,
            regions=regions,
            diagnostics=tuple(log.items),
            checksum=self.checksum,
            data=self.data,
            **extra,
        )


def detect_kind(data: bytes, header: PageHeader, fork: str | None = None) -> PageKind:
    """What kind of page this is, from its header, special space and (if known) fork."""
    size = len(data)
    if header.pd_upper == 0:
        return PageKind.NEW if not any(data) else PageKind.UNKNOWN
    if fork == "fsm":
        return PageKind.FSM
    if fork == "vm":
        return PageKind.VM
    if not header_is_sane(header, size) or header.pagesize != size:
        return PageKind.UNKNOWN
    special = size - header.pd_special
    if special == 0:
        if (
            fork is None
            and header.pd_lower == C.SizeOfPageHeaderData
            and header.pd_upper == size
            and any(data[C.SizeOfPageHeaderData :])
        ):
            # No line pointers, no tuple space, yet bytes after the header: a free space map
            # page when they form its max-tree, else most likely a heap page emptied by VACUUM
            # (old tuple bytes stay behind). A VM page cannot be told from the latter by its
            # bytes: the fork (file name, --fork) says so.
            return PageKind.FSM if _looks_like_fsm(data) else PageKind.HEAP
        return PageKind.HEAP
    if is_sequence_page(data, header.pd_special):  # before GIN: both have 8 special bytes
        return PageKind.SEQUENCE
    tail = int.from_bytes(data[size - 2 :], "little")
    if tail in SPECIAL_PAGE_IDS:
        return PageKind(SPECIAL_PAGE_IDS[tail])
    if special == C.SizeOfBTPageOpaqueData and tail <= C.MAX_BT_CYCLE_ID:
        flags = int.from_bytes(data[size - 4 : size - 2], "little")
        magic = int.from_bytes(data[C.SizeOfPageHeaderData : C.SizeOfPageHeaderData + 4], "little")
        if flags & C.BTP_META and magic == C.BTREE_MAGIC:
            return PageKind.BTREE_META
        return PageKind.BTREE
    other = kind_without_page_id(data, special)
    return PageKind(other) if other is not None else PageKind.UNKNOWN


def _looks_like_fsm(data: bytes) -> bool:
    """A non-empty max-tree: the root is set and every inner node is the max of its children."""
    contents = decode_fsm_contents(data, 0)
    return contents.fp_nodes[0] != 0 and not contents.inconsistent_nodes()


def decode_page(
    page: RawPage | bytes,
    blkno: int = 0,
    *,
    fork: str | None = None,
    origin: str = "<bytes>",
    checksum_verifiable: bool = True,
    strict: bool = False,
    btree: BtreeDecodeOptions | None = None,
    hash: HashDecodeOptions | None = None,
    gin: GinDecodeOptions | None = None,
    gist: GistDecodeOptions | None = None,
    spgist: SpGistDecodeOptions | None = None,
    brin: BrinDecodeOptions | None = None,
) -> Page:
    """Decode one page. ``blkno`` must be the absolute block number (checksums use it).

    ``btree`` says the page belongs to a btree index (typed keys, the metapage layout of a
    given major): a main-fork page is then decoded as a btree page even when it does not look
    like one (with an error), see :func:`~pageinspect_py.decode.btree.claim_btree_kind`.
    ``hash`` says the same of a hash index, and carries its metapage and bitmap pages when
    known (:func:`~pageinspect_py.decode.hash.hash_options`): bucket pages are then checked
    against the metapage's masks and overflow pages get their bitmap bit. ``gin``, ``gist``,
    ``spgist`` and ``brin`` carry what is known about an index of those access methods (its
    key types) to their decoders.

    Raises CorruptPageError only when the page is shorter than its header, or, with
    ``strict``, when any error was found.
    """
    if isinstance(page, RawPage):
        data, blkno, fork, origin = page.data, page.blkno, page.fork, page.origin
        checksum_verifiable = page.checksum_verifiable
    else:
        data = bytes(page)
    header = parse_header(data)
    log = DiagnosticLog()
    if (btree is not None or hash is not None) and fork is None:
        fork = "main"
    kind = detect_kind(data, header, fork)
    if btree is not None and fork == "main":
        kind = claim_btree_kind(kind, blkno, log)
    elif hash is not None and fork == "main":
        kind = claim_hash_kind(kind, blkno, log)
    checksum = compute_checksum(data, header, blkno, checksum_verifiable, kind is PageKind.NEW, log)
    frame = _Frame(blkno, fork or "main", origin, kind, header, checksum, data)
    result: Page
    if kind is PageKind.NEW:
        result = frame.build(Page, (), (Region(RegionKind.ZERO, Span(0, len(data))),), log)
    elif kind in (PageKind.FSM, PageKind.VM):
        result = _decode_map_page(frame, log)
    elif kind is PageKind.UNKNOWN:
        check_header(header, len(data), log)
        regions = tile(
            [
                Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData)),
                Region(RegionKind.UNKNOWN, Span(C.SizeOfPageHeaderData, len(data))),
            ],
            len(data),
            log,
        )
        if header.pd_upper == 0:
            log.error(
                "new-page-not-zero",
                "pd_upper is 0 (a new page) but the page has non-zero bytes",
                Span(0, C.SizeOfPageHeaderData),
            )
        result = frame.build(Page, (), regions, log)
    elif kind in (PageKind.HEAP, PageKind.SEQUENCE):
        check_header(header, len(data), log)
        lps = parse_line_pointers(data, header, log)
        items, claims = decode_heap_items(data, header, lps, log, blkno=blkno)
        regions = tile(frame_claims(header, lps, len(data)) + claims, len(data), log)
        result = frame.build(HeapPage, lps, regions, log, items=items)
    elif kind in _ACCESS_METHODS:
        if kind is PageKind.HASH:
            contents = hash_contents(data, header, blkno, log, hash)
        elif kind is PageKind.GIN:
            contents = gin_contents(data, header, blkno, log, gin)
        elif kind is PageKind.GIST:
            contents = gist_contents(data, header, blkno, log, gist)
        elif kind is PageKind.SPGIST:
            contents = spgist_contents(data, header, blkno, log, spgist)
        else:
            contents = brin_contents(data, header, blkno, log, brin)
        cls, am_lps, am_claims, extra = contents
        result = frame.build(cls, am_lps, tile(am_claims, len(data), log), log, **extra)
    else:
        result = _decode_index_page(frame, log, btree)
    if strict and result.has_errors:
        first = next(d for d in result.diagnostics if d.severity == "error")
        raise CorruptPageError(f"{origin} block {blkno}: {first.describe()}")
    return result


def _decode_map_page(frame: _Frame, log: DiagnosticLog) -> Page:
    size = len(frame.data)
    claims = [Region(RegionKind.PAGE_HEADER, Span(0, C.SizeOfPageHeaderData))]
    if frame.kind is PageKind.FSM:
        regions = tile(claims + fsm_regions(size), size, log)
        return frame.build(
            FsmPage, (), regions, log, fsm=decode_fsm_contents(frame.data, frame.blkno, log)
        )
    regions = tile(claims + vm_regions(size), size, log)
    return frame.build(VmPage, (), regions, log, vm=decode_vm_contents(frame.data, frame.blkno))


def _decode_index_page(
    frame: _Frame, log: DiagnosticLog, btree: BtreeDecodeOptions | None = None
) -> Page:
    """Btree pages in full (decode/btree/): the one index kind not in :data:`_ACCESS_METHODS`."""
    data, header = frame.data, frame.header
    cls, btree_lps, btree_claims, extra = btree_contents(data, header, frame.kind, log, btree)
    return frame.build(cls, btree_lps, tile(btree_claims, len(data), log), log, **extra)
