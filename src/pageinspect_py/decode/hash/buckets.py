"""Linear hashing arithmetic of the hash access method: which bucket a hash code belongs to,
where a bucket's primary page is, how overflow pages are numbered in the bitmaps.

Sources: ``src/backend/access/hash/hashutil.c`` (_hash_hashkey2bucket, _hash_spareindex,
_hash_get_totalbuckets, _hash_log2 via pg_ceil_log2_32), ``hashovfl.c`` (bitno_to_blkno,
_hash_ovflblkno_to_bitno) and ``access/hash.h`` (BUCKET_TO_BLKNO, BMPG_SHIFT, BMPG_MASK,
ISSET). Every function here is pure and takes the metapage's fields as plain integers, so
it can be tested on synthetic metapages; none raises on odd values (an out-of-range answer
is ``None``).
"""

from __future__ import annotations

from collections.abc import Sequence

from pageinspect_py import constants as C

UINT32 = 0xFFFFFFFF


def hash_log2(num: int) -> int:
    """_hash_log2 / pg_ceil_log2_32: ceil(log2(num)), 0 for 0 and 1."""
    return max(0, (num - 1).bit_length()) if num > 1 else 0


def hashkey_to_bucket(hashkey: int, maxbucket: int, highmask: int, lowmask: int) -> int:
    """_hash_hashkey2bucket: the bucket a hash code maps to under the metapage's masks."""
    bucket = hashkey & highmask
    if bucket > maxbucket:
        bucket &= lowmask
    return bucket


def spareindex(num_bucket: int) -> int:
    """_hash_spareindex: the splitpoint phase (index into hashm_spares) that holds bucket
    number ``num_bucket - 1`` (i.e. at which ``num_bucket`` buckets exist)."""
    group = hash_log2(num_bucket)
    if group < C.HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE:
        return group
    phases = C.HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE
    phases += (group - C.HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE) << C.HASH_SPLITPOINT_PHASE_BITS
    phases += ((num_bucket - 1) >> (group - (C.HASH_SPLITPOINT_PHASE_BITS + 1))) & (
        C.HASH_SPLITPOINT_PHASE_MASK
    )
    return phases


def total_buckets(splitpoint_phase: int) -> int:
    """_hash_get_totalbuckets: buckets that exist once ``splitpoint_phase`` is allocated."""
    if splitpoint_phase < C.HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE:
        return 1 << splitpoint_phase
    group = C.HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE + (
        (splitpoint_phase - C.HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE) >> C.HASH_SPLITPOINT_PHASE_BITS
    )
    total = 1 << (group - 1)
    phases_within = (
        (splitpoint_phase - C.HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE) & C.HASH_SPLITPOINT_PHASE_MASK
    ) + 1
    return total + ((1 << (group - 1)) >> C.HASH_SPLITPOINT_PHASE_BITS) * phases_within


def bucket_to_blkno(bucket: int, spares: Sequence[int]) -> int | None:
    """BUCKET_TO_BLKNO: the block of a bucket's primary page,
    ``bucket + (bucket ? spares[_hash_spareindex(bucket + 1) - 1] : 0) + 1``; None when the
    spares index falls outside hashm_spares."""
    if bucket == 0:
        return 1
    index = spareindex(bucket + 1) - 1
    if not 0 <= index < len(spares):
        return None
    return (bucket + spares[index] + 1) & UINT32


def bitno_to_blkno(ovflbitnum: int, ovflpoint: int, spares: Sequence[int]) -> int:
    """bitno_to_blkno (hashovfl.c): the block of overflow page number ``ovflbitnum``."""
    ovflbitnum += 1  # zero-based bit number to one-based page number
    i = 1
    while i < ovflpoint and i < len(spares) and ovflbitnum > spares[i]:
        i += 1
    return (total_buckets(i) + ovflbitnum) & UINT32


def ovflblkno_to_bitno(ovflblkno: int, ovflpoint: int, spares: Sequence[int]) -> int | None:
    """_hash_ovflblkno_to_bitno: the bitmap bit of the overflow page at ``ovflblkno``, None
    where the server says "invalid overflow block number" (a bucket page, the metapage, a
    block past the overflow pages allocated so far)."""
    for i in range(1, min(ovflpoint, len(spares) - 1) + 1):
        buckets = total_buckets(i)
        if ovflblkno <= buckets:
            break
        bitnum = ovflblkno - buckets
        if spares[i - 1] < bitnum <= spares[i]:
            return bitnum - 1
    return None


def old_bucket(bucket: int) -> int:
    """The bucket ``bucket`` was split from: its highest bit cleared
    (_hash_get_oldblock_from_newbucket's mask); 0 for bucket 0."""
    return bucket & ((1 << (bucket.bit_length() - 1)) - 1) if bucket else 0


def split_from(bucket: int, ancestor: int) -> bool:
    """``bucket`` was created by splits of ``ancestor`` (directly or through the buckets
    split from it): clearing its top bits one by one reaches ``ancestor``."""
    while bucket > ancestor:
        bucket = old_bucket(bucket)
    return bucket == ancestor


def bmpg_mask(bmsize: int) -> int:
    """BMPG_MASK: BMPGSZ_BIT - 1, bits per bitmap page minus one."""
    return ((bmsize << C.BYTE_TO_BIT) - 1) & UINT32


def isset(words: Sequence[int], bit: int) -> bool:
    """ISSET(A, N): bit N of a bitmap of uint32 words (lowest bit of each word first)."""
    index = bit // C.BITS_PER_MAP
    return 0 <= index < len(words) and bool(words[index] >> (bit % C.BITS_PER_MAP) & 1)
