"""A hash index across its pages: ``pgstathashindex()`` computed offline, and what the pages
say about each other (bucket chains, the bitmap against the pages it describes).

Source: ``contrib/pgstattuple/pgstatindex.c`` (pgstathashindex, GetHashPageStats): block 0
is the metapage (``hashm_version``, ``hashm_bsize`` as the space of a page); every other
block counts as a bucket, overflow, bitmap or unused page by ``hasho_flag & LH_PAGE_TYPE``
(an all-zero block is unused); bucket and overflow pages add their line pointers (live
unless LP_DEAD) and ``PageGetExactFreeSpace`` (pd_upper - pd_lower); unused pages add a whole
``hashm_bsize``; ``free_percent = 100 * free / ((nblocks - bitmap pages - 1) * bsize)``. Where
the server raises (a special space that is not 16 bytes, a page type it does not expect), the
page is left out and the reason kept in ``problems``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.analysis.findings import IndexFinding, Severity
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.hash import (
    HashBitmapPage,
    HashDecodeOptions,
    HashMetaPage,
    HashPage,
    HashPageType,
    hash_options,
)
from pageinspect_py.decode.page import Page, PageKind
from pageinspect_py.page.raw import PageSource


@dataclass(frozen=True, slots=True)
class PgStatHashIndex:
    """``pgstathashindex()``: its columns, as pgstattuple 1.5+ returns them."""

    version: int
    bucket_pages: int
    overflow_pages: int
    bitmap_pages: int
    unused_pages: int
    live_items: int
    dead_items: int
    free_percent: float


#: the cross-page findings of this access method (analysis/findings.py)
HashFinding = IndexFinding


@dataclass(frozen=True, slots=True)
class HashIndexStatistics:
    """pgstathashindex() and what else the pages add up to."""

    #: None when block 0 is not a readable metapage (the server raises)
    pgstathashindex: PgStatHashIndex | None
    nblocks: int
    new_pages: int  #: all-zero blocks (counted as unused by pgstathashindex)
    free_bytes: int  #: pgstathashindex's free space: holes of item pages plus unused pages
    #: bucket chains: the number of pages (primary page included) of each bucket, by bucket
    chain_pages: dict[int, int]
    problems: tuple[str, ...] = ()

    @property
    def longest_chain(self) -> int:
        return max(self.chain_pages.values(), default=0)


def scan_hash_index(source: PageSource) -> list[Page]:
    """Every main-fork page of a hash index decoded with its metapage and bitmap pages."""
    options = options_of(source)
    return [decode_page(raw, hash=options) for raw in source.pages("main")]


def hash_index_statistics(pages: Sequence[Page]) -> HashIndexStatistics:
    """pgstathashindex() over ``pages`` (every block of the index, in block order)."""
    problems: list[str] = []
    first = pages[0] if pages else None
    meta = None
    if isinstance(first, HashMetaPage) and first.page_type is HashPageType.METAPAGE:
        meta = first.meta
    if meta is None:
        problems.append("block 0 is not a hash metapage")
    counts = dict.fromkeys(HashPageType, 0)
    live = dead = free = new = 0
    chains: dict[int, int] = {}
    for page in pages[1:]:
        if page.kind is PageKind.NEW:
            counts[HashPageType.UNUSED] += 1
            new += 1
            continue
        if page.size - page.header.pd_special != C.SizeOfHashPageOpaqueData or not isinstance(
            page, HashPage | HashMetaPage | HashBitmapPage
        ):
            problems.append(f"block {page.blkno}: corrupted page (special space)")
            continue
        kind = page.page_type
        if kind in (HashPageType.BUCKET, HashPageType.OVERFLOW):
            counts[kind] += 1
            for lp in page.line_pointers:
                if lp.lp_flags == C.LP_DEAD:
                    dead += 1
                else:
                    live += 1
            free += max(0, page.header.pd_upper - page.header.pd_lower)
            if isinstance(page, HashPage) and page.opaque is not None:
                bucket = page.opaque.hasho_bucket
                chains[bucket] = chains.get(bucket, 0) + 1
        elif kind in (HashPageType.BITMAP, HashPageType.UNUSED):
            counts[kind] += 1
        else:
            flag = page.opaque.hasho_flag if page.opaque is not None else 0
            problems.append(f"block {page.blkno}: unexpected page type 0x{flag:04X}")
    stats = None
    if meta is not None:
        free += counts[HashPageType.UNUSED] * meta.hashm_bsize
        total = (len(pages) - (counts[HashPageType.BITMAP] + 1)) * meta.hashm_bsize
        stats = PgStatHashIndex(
            version=meta.hashm_version,
            bucket_pages=counts[HashPageType.BUCKET],
            overflow_pages=counts[HashPageType.OVERFLOW],
            bitmap_pages=counts[HashPageType.BITMAP],
            unused_pages=counts[HashPageType.UNUSED],
            live_items=live,
            dead_items=dead,
            free_percent=100.0 * free / total if total > 0 else 0.0,
        )
    return HashIndexStatistics(
        stats, len(pages), new, free, dict(sorted(chains.items())), tuple(problems)
    )


def pgstathashindex(pages: Sequence[Page]) -> PgStatHashIndex | None:
    """``pgstathashindex(index)`` from the index's pages (None where the server raises
    because block 0 is not a metapage)."""
    return hash_index_statistics(pages).pgstathashindex


# ----------------------------------------------------------------------------------------------
# across pages


def hash_index_findings(pages: Sequence[Page]) -> list[HashFinding]:
    """Bucket chains and the bitmap against the pages (each page's own diagnostics are the
    decoder's, with the metapage when ``pages`` were decoded with it):

    * every bucket's primary page is at BUCKET_TO_BLKNO and is a bucket page of that bucket;
    * each chain, followed by hasho_nextblkno, links back by hasho_prevblkno, stays in its
      bucket, meets only overflow pages and never loops;
    * every overflow page is on exactly one chain;
    * every bit of the allocated overflow pages is set exactly when its page is an overflow
      or bitmap page (a freed page is unused and clear).
    """
    out: list[HashFinding] = []
    first = pages[0] if pages else None
    meta = first.meta if isinstance(first, HashMetaPage) else None
    if meta is None:
        return [HashFinding(Severity.ERROR, "hash-no-metapage", 0, "block 0 is no metapage")]
    by_block = {page.blkno: page for page in pages}
    on_chain: dict[int, int] = {}
    for bucket in range(meta.hashm_maxbucket + 1):
        start = meta.bucket_blkno(bucket)
        if start is None or start >= len(pages):
            # BUCKET_TO_BLKNO only grows with the bucket: none of the rest is here either
            out.append(
                HashFinding(
                    Severity.ERROR,
                    "hash-bucket-missing",
                    None,
                    f"buckets {bucket}..{meta.hashm_maxbucket} (hashm_maxbucket) have no "
                    f"primary page among the {len(pages)} blocks",
                )
            )
            break
        out.extend(_chain(bucket, start, by_block, on_chain))
    for page in pages:
        if (
            isinstance(page, HashPage)
            and page.page_type is HashPageType.OVERFLOW
            and page.blkno not in on_chain
        ):
            out.append(
                HashFinding(
                    Severity.ERROR,
                    "hash-orphan-overflow",
                    page.blkno,
                    "an overflow page no bucket chain reaches",
                )
            )
    out.extend(_bitmap_findings(pages, by_block))
    return out


def _chain(
    bucket: int, start: int | None, by_block: dict[int, Page], on_chain: dict[int, int]
) -> Iterable[HashFinding]:
    if start is None or start not in by_block:
        yield HashFinding(
            Severity.ERROR, "hash-bucket-missing", start, f"bucket {bucket} has no primary page"
        )
        return
    primary = by_block[start]
    if not isinstance(primary, HashPage) or primary.page_type is not HashPageType.BUCKET:
        yield HashFinding(
            Severity.ERROR,
            "hash-bucket-missing",
            start,
            f"bucket {bucket}'s primary page is a {getattr(primary, 'page_type', primary.kind)} "
            "page",
        )
        return
    previous = start
    page: HashPage = primary
    seen = {start}
    while page.opaque is not None and page.opaque.hasho_nextblkno != C.InvalidBlockNumber:
        nxt = page.opaque.hasho_nextblkno
        if nxt in seen:
            yield HashFinding(
                Severity.ERROR, "hash-chain-loop", page.blkno, f"bucket {bucket}'s chain loops"
            )
            return
        target = by_block.get(nxt)
        if not isinstance(target, HashPage) or target.page_type is not HashPageType.OVERFLOW:
            what = getattr(target, "page_type", "missing") if target is not None else "missing"
            yield HashFinding(
                Severity.ERROR,
                "hash-chain-link",
                page.blkno,
                f"hasho_nextblkno {nxt} of bucket {bucket}'s chain is a {what} page, not an "
                "overflow page",
            )
            return
        seen.add(nxt)
        assert target.opaque is not None
        if target.opaque.hasho_prevblkno != previous:
            yield HashFinding(
                Severity.ERROR,
                "hash-chain-link",
                nxt,
                f"hasho_prevblkno {target.opaque.hasho_prevblkno}, but block {previous} links here",
            )
        if target.opaque.hasho_bucket != bucket:
            yield HashFinding(
                Severity.ERROR,
                "hash-chain-bucket",
                nxt,
                f"hasho_bucket {target.opaque.hasho_bucket} on bucket {bucket}'s chain",
            )
        if nxt in on_chain:
            yield HashFinding(
                Severity.ERROR,
                "hash-chain-shared",
                nxt,
                f"on the chains of buckets {on_chain[nxt]} and {bucket}",
            )
        on_chain[nxt] = bucket
        previous, page = nxt, target


def _bitmap_findings(pages: Sequence[Page], by_block: dict[int, Page]) -> Iterable[HashFinding]:
    first = pages[0]
    assert isinstance(first, HashMetaPage) and first.meta is not None
    meta = first.meta
    bitmaps = {p.blkno: p for p in pages if isinstance(p, HashBitmapPage)}
    for bitno in range(meta.overflow_pages):
        page_index = bitno >> meta.hashm_bmshift if meta.hashm_bmshift < 32 else 0
        if page_index >= len(meta.bitmap_blocks) or meta.bitno_to_blkno(bitno) >= len(pages):
            break  # bitno_to_blkno only grows with the bit
        holder = bitmaps.get(meta.bitmap_blocks[page_index])
        if holder is None or holder.bitmap is None:
            continue
        bit = bitno & (meta.bitmap_bits - 1)
        blkno = meta.bitno_to_blkno(bitno)
        page = by_block.get(blkno)
        kind = getattr(page, "page_type", None)
        in_use = kind in (HashPageType.OVERFLOW, HashPageType.BITMAP)
        if holder.bitmap.isset(bit) != in_use:
            state = "set" if holder.bitmap.isset(bit) else "clear"
            what = kind if kind is not None else (page.kind if page is not None else "missing")
            yield HashFinding(
                Severity.ERROR if in_use else Severity.WARNING,
                "hash-bitmap-bit",
                blkno,
                f"overflow bit {bitno} (bitmap page {holder.blkno} bit {bit}) is {state}, the "
                f"page is {what}",
            )
    if meta.hashm_firstfree < meta.overflow_pages and meta.bitmap_blocks:
        holder = bitmaps.get(meta.bitmap_blocks[0])
        if holder is not None and holder.bitmap is not None:
            first_clear = holder.bitmap.first_clear()
            if first_clear is not None and first_clear < meta.hashm_firstfree:
                yield HashFinding(
                    Severity.WARNING,
                    "hash-firstfree",
                    0,
                    f"hashm_firstfree is {meta.hashm_firstfree} but bit {first_clear} is "
                    "already clear",
                )


def hash_statistics_of(source: PageSource) -> tuple[HashIndexStatistics, list[HashFinding]]:
    """Read, decode and sum a hash index: its statistics and cross-page findings."""
    pages = scan_hash_index(source)
    return hash_index_statistics(pages), hash_index_findings(pages)


def options_of(source: PageSource) -> HashDecodeOptions:
    """The decode options of a hash index read from ``source`` (its metapage and bitmaps)."""
    n = source.nblocks("main")
    return hash_options(lambda b: source.read_page(b, "main").data if b < n else None)


def hash_index_options(source: PageSource) -> HashDecodeOptions | None:
    """The decode options of ``source`` when it is a hash index (block 0 of its main fork is
    a hash metapage), else None: what ``pgpage dump`` passes to ``decode_page(hash=...)`` so
    overflow pages show hash_bitmap_info and bucket pages are checked against the masks."""
    options = options_of(source) if source.nblocks("main") else None
    return options if options is not None and options.meta is not None else None
