"""What pageinspect shows of a hash index page, computed from our models:
``hash_page_type()``, ``hash_page_stats()``, ``hash_page_items()``, ``hash_metapage_info()``
and ``hash_bitmap_info()``, with the columns and value conventions of pageinspect 1.6 to
1.13 (PostgreSQL 12 to 18 return the same columns: block numbers and masks as ``int8``, the
hash code as ``int8``, ``procid`` as ``oid``).

Each function returns None where pageinspect raises an error on the same page
(``verify_hash_page``): a special space that is not 16 bytes, a page id that is not
HASHO_PAGE_ID, a hasho_flag with no single page type, a function asked about a page of
another type (``hash_page_stats`` on a bitmap page ...), a metapage whose magic or version
is wrong.

Source: ``contrib/pageinspect/hashfuncs.c`` (verify_hash_page, GetHashPageStatistics,
hash_page_type, hash_page_stats, hash_page_items, hash_bitmap_info, hash_metapage_info).
"""

from __future__ import annotations

from dataclasses import dataclass

from pageinspect_py import constants as C
from pageinspect_py.decode.hash.model import (
    HashBitmapInfo,
    HashMeta,
    HashMetaPage,
    HashPage,
    HashPageOpaque,
    HashPageType,
)
from pageinspect_py.decode.page import Page, PageKind


@dataclass(frozen=True, slots=True)
class HashPageStats:
    """``hash_page_stats()``."""

    live_items: int
    dead_items: int
    page_size: int
    free_size: int
    hasho_prevblkno: int
    hasho_nextblkno: int
    hasho_bucket: int
    hasho_flag: int
    hasho_page_id: int


@dataclass(frozen=True, slots=True)
class HashPageItem:
    """One row of ``hash_page_items()``: the hash code as ``data``."""

    itemoffset: int
    ctid: str
    data: int


@dataclass(frozen=True, slots=True)
class HashMetapageInfo:
    """``hash_metapage_info()``."""

    magic: int
    version: int
    ntuples: float
    ffactor: int
    bsize: int
    bmsize: int
    bmshift: int
    maxbucket: int
    highmask: int
    lowmask: int
    ovflpoint: int
    firstfree: int
    nmaps: int
    procid: int
    spares: tuple[int, ...]
    mapp: tuple[int, ...]


def _verified(page: Page) -> HashPageType | None:
    """verify_hash_page(raw_page, 0): the page type, or None where it raises. New pages are
    "unused"."""
    if page.kind is PageKind.NEW:
        return HashPageType.UNUSED
    opaque: HashPageOpaque | None = getattr(page, "opaque", None)
    if not isinstance(opaque, HashPageOpaque):
        return None
    if page.size - page.header.pd_special != C.SizeOfHashPageOpaqueData:
        return None  # "index table contains corrupted page"
    if opaque.hasho_page_id != C.HASHO_PAGE_ID:
        return None  # "page is not a hash page"
    kind = opaque.page_type
    if kind is HashPageType.INVALID:
        return None  # "invalid hash page type"
    if kind is HashPageType.METAPAGE:
        meta = page.meta if isinstance(page, HashMetaPage) else None
        if meta is None or meta.hashm_magic != C.HASH_MAGIC:
            return None  # "invalid magic number for metadata"
        if meta.hashm_version != C.HASH_VERSION:
            return None  # "invalid version for metadata"
    return kind


def hash_page_type(page: Page) -> str | None:
    """``hash_page_type()``: metapage, bucket, overflow, bitmap or unused (new pages too)."""
    kind = _verified(page)
    return None if kind is None else str(kind)


def hash_page_stats(page: Page) -> HashPageStats | None:
    """``hash_page_stats()`` of a bucket or overflow page (GetHashPageStatistics): every line
    pointer that is not LP_DEAD counts as live; free_size is PageGetFreeSpace (the hole minus
    one line pointer, at least 0)."""
    if _verified(page) not in (HashPageType.BUCKET, HashPageType.OVERFLOW):
        return None
    assert isinstance(page, HashPage) and page.opaque is not None
    o = page.opaque
    dead = sum(1 for lp in page.line_pointers if lp.lp_flags == C.LP_DEAD)
    space = page.header.pd_upper - page.header.pd_lower
    return HashPageStats(
        live_items=len(page.line_pointers) - dead,
        dead_items=dead,
        page_size=page.header.pagesize,
        free_size=space - C.SizeOfItemIdData if space >= C.SizeOfItemIdData else 0,
        hasho_prevblkno=o.hasho_prevblkno,
        hasho_nextblkno=o.hasho_nextblkno,
        hasho_bucket=o.hasho_bucket,
        hasho_flag=o.hasho_flag,
        hasho_page_id=o.hasho_page_id,
    )


def hash_page_items(page: Page) -> tuple[HashPageItem, ...] | None:
    """``hash_page_items()`` of a bucket or overflow page: every line pointer's t_tid and
    hash code. Items whose tuple lies outside the page (pageinspect would read whatever
    bytes the pointer names) are left out."""
    if _verified(page) not in (HashPageType.BUCKET, HashPageType.OVERFLOW):
        return None
    assert isinstance(page, HashPage)
    return tuple(
        HashPageItem(item.offnum, str(item.tuple.t_tid), item.tuple.hashkey)
        for item in page.items
        if item.tuple is not None and item.tuple.hashkey is not None
    )


def hash_metapage_info(page: Page) -> HashMetapageInfo | None:
    """``hash_metapage_info()`` of the metapage (magic and version verified)."""
    if _verified(page) is not HashPageType.METAPAGE:
        return None
    assert isinstance(page, HashMetaPage) and page.meta is not None
    return metapage_info(page.meta)


def metapage_info(m: HashMeta) -> HashMetapageInfo:
    return HashMetapageInfo(
        magic=m.hashm_magic,
        version=m.hashm_version,
        ntuples=m.hashm_ntuples,
        ffactor=m.hashm_ffactor,
        bsize=m.hashm_bsize,
        bmsize=m.hashm_bmsize,
        bmshift=m.hashm_bmshift,
        maxbucket=m.hashm_maxbucket,
        highmask=m.hashm_highmask,
        lowmask=m.hashm_lowmask,
        ovflpoint=m.hashm_ovflpoint,
        firstfree=m.hashm_firstfree,
        nmaps=m.hashm_nmaps,
        procid=m.hashm_procid,
        spares=m.hashm_spares,
        mapp=m.hashm_mapp,
    )


def hash_bitmap_info(page: Page) -> HashBitmapInfo | None:
    """``hash_bitmap_info(index, blkno)`` of an overflow (or freed, unused) page decoded with
    the index's metapage; None otherwise (see
    :func:`~pageinspect_py.decode.hash.decoder.bitmap_info` for any block number)."""
    return page.bitmap_info if isinstance(page, HashPage) else None
