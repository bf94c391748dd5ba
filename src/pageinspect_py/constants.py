"""PostgreSQL's on-disk constants, named as in its C headers.

Each group cites the header it comes from. Values are the same in every major from 12 to 18
unless a comment says otherwise.
"""

from __future__ import annotations

from typing import Final

# --- pg_config_manual.h / pg_config.h ----------------------------------------------------------
BLCKSZ: Final = 8192  #: default block size (--with-blocksize can change it: 1..32 kB)
MAXIMUM_ALIGNOF: Final = 8  #: MAXALIGN on every 64-bit platform PostgreSQL supports
RELSEG_SIZE_BYTES: Final = 1024 * 1024 * 1024  #: default segment size: 1 GB (--with-segsize)
VALID_BLOCK_SIZES: Final = (1024, 2048, 4096, 8192, 16384, 32768)
SIZEOF_DATUM: Final = 8  #: sizeof(Datum) on the 64-bit platforms PostgreSQL supports

# --- utils/memutils.h, utils/array.h ------------------------------------------------------------
#: MaxAllocSize: no datum is larger, so no raw size may claim more
MAX_ALLOC_SIZE: Final = 0x3FFFFFFF
#: MaxArraySize: MaxAllocSize / sizeof(Datum), the most elements of any array
MAX_ARRAY_SIZE: Final = MAX_ALLOC_SIZE // SIZEOF_DATUM


def typealign(length: int, alignval: int) -> int:
    """TYPEALIGN(ALIGNVAL, LEN) (c.h): ``length`` rounded up to a multiple of ``alignval``
    (a power of 2). Note the argument order: the length first, as every caller here reads."""
    return (length + alignval - 1) & ~(alignval - 1)


def maxalign(length: int, alignof: int = MAXIMUM_ALIGNOF) -> int:
    """MAXALIGN (c.h): ``length`` rounded up to MAXIMUM_ALIGNOF (or ``alignof``)."""
    return (length + alignof - 1) & ~(alignof - 1)  # TYPEALIGN, inlined: called per item


def maxalign_down(length: int) -> int:
    """MAXALIGN_DOWN (c.h): ``length`` rounded down to MAXIMUM_ALIGNOF."""
    return length & ~(MAXIMUM_ALIGNOF - 1)


# --- storage/bufpage.h --------------------------------------------------------------------------
SizeOfPageHeaderData: Final = 24
PG_PAGE_LAYOUT_VERSION: Final = 4  #: 8.3 and later
PD_HAS_FREE_LINES: Final = 0x0001  #: are there any unused line pointers?
PD_PAGE_FULL: Final = 0x0002  #: not enough free space for new tuple?
PD_ALL_VISIBLE: Final = 0x0004  #: all tuples on page are visible to everyone
PD_VALID_FLAG_BITS: Final = 0x0007
PD_FLAG_NAMES: Final = {
    PD_HAS_FREE_LINES: "PD_HAS_FREE_LINES",
    PD_PAGE_FULL: "PD_PAGE_FULL",
    PD_ALL_VISIBLE: "PD_ALL_VISIBLE",
}

# --- storage/itemid.h ---------------------------------------------------------------------------
SizeOfItemIdData: Final = 4
LP_UNUSED: Final = 0  #: unused (should always have lp_len=0)
LP_NORMAL: Final = 1  #: used (should always have lp_len>0)
LP_REDIRECT: Final = 2  #: HOT redirect (should have lp_len=0)
LP_DEAD: Final = 3  #: dead, may or may not have storage
LP_FLAG_NAMES: Final = ("LP_UNUSED", "LP_NORMAL", "LP_REDIRECT", "LP_DEAD")

# --- access/htup_details.h ----------------------------------------------------------------------
SizeofHeapTupleHeader: Final = 23  #: offsetof(HeapTupleHeaderData, t_bits)
MaxTupleAttributeNumber: Final = 1664
MaxHeapAttributeNumber: Final = 1600


def max_heap_tuples_per_page(block_size: int = BLCKSZ) -> int:
    """MaxHeapTuplesPerPage: (BLCKSZ - SizeOfPageHeaderData) / (MAXALIGN(header) + ItemIdData),
    291 at 8 kB."""
    return (block_size - SizeOfPageHeaderData) // (
        maxalign(SizeofHeapTupleHeader) + SizeOfItemIdData
    )


HEAP_HASNULL: Final = 0x0001  #: has null attribute(s)
HEAP_HASVARWIDTH: Final = 0x0002  #: has variable-width attribute(s)
HEAP_HASEXTERNAL: Final = 0x0004  #: has external stored attribute(s)
HEAP_HASOID_OLD: Final = 0x0008  #: has an object-id field (before 12)
HEAP_XMAX_KEYSHR_LOCK: Final = 0x0010  #: xmax is a key-shared locker
HEAP_COMBOCID: Final = 0x0020  #: t_cid is a combo CID
HEAP_XMAX_EXCL_LOCK: Final = 0x0040  #: xmax is exclusive locker
HEAP_XMAX_LOCK_ONLY: Final = 0x0080  #: xmax, if valid, is only a locker
HEAP_XMAX_SHR_LOCK: Final = HEAP_XMAX_EXCL_LOCK | HEAP_XMAX_KEYSHR_LOCK
HEAP_LOCK_MASK: Final = HEAP_XMAX_SHR_LOCK | HEAP_XMAX_EXCL_LOCK | HEAP_XMAX_KEYSHR_LOCK
HEAP_XMIN_COMMITTED: Final = 0x0100  #: t_xmin committed
HEAP_XMIN_INVALID: Final = 0x0200  #: t_xmin invalid/aborted
HEAP_XMIN_FROZEN: Final = HEAP_XMIN_COMMITTED | HEAP_XMIN_INVALID
HEAP_XMAX_COMMITTED: Final = 0x0400  #: t_xmax committed
HEAP_XMAX_INVALID: Final = 0x0800  #: t_xmax invalid/aborted
HEAP_XMAX_IS_MULTI: Final = 0x1000  #: t_xmax is a MultiXactId
HEAP_UPDATED: Final = 0x2000  #: this is UPDATEd version of row
HEAP_MOVED_OFF: Final = 0x4000  #: moved to another place by pre-9.0 VACUUM FULL
HEAP_MOVED_IN: Final = 0x8000  #: moved from another place by pre-9.0 VACUUM FULL
HEAP_MOVED: Final = HEAP_MOVED_OFF | HEAP_MOVED_IN

HEAP_NATTS_MASK: Final = 0x07FF  #: 11 bits for number of attributes
HEAP_KEYS_UPDATED: Final = 0x2000  #: tuple was updated and key cols modified, or deleted
HEAP_HOT_UPDATED: Final = 0x4000  #: tuple was HOT-updated
HEAP_ONLY_TUPLE: Final = 0x8000  #: this is heap-only tuple

#: t_infomask bits in the order heap_tuple_infomask_flags() lists them (contrib/pageinspect)
INFOMASK_FLAGS: Final = (
    (HEAP_HASNULL, "HEAP_HASNULL"),
    (HEAP_HASVARWIDTH, "HEAP_HASVARWIDTH"),
    (HEAP_HASEXTERNAL, "HEAP_HASEXTERNAL"),
    (HEAP_HASOID_OLD, "HEAP_HASOID_OLD"),
    (HEAP_XMAX_KEYSHR_LOCK, "HEAP_XMAX_KEYSHR_LOCK"),
    (HEAP_COMBOCID, "HEAP_COMBOCID"),
    (HEAP_XMAX_EXCL_LOCK, "HEAP_XMAX_EXCL_LOCK"),
    (HEAP_XMAX_LOCK_ONLY, "HEAP_XMAX_LOCK_ONLY"),
    (HEAP_XMIN_COMMITTED, "HEAP_XMIN_COMMITTED"),
    (HEAP_XMIN_INVALID, "HEAP_XMIN_INVALID"),
    (HEAP_XMAX_COMMITTED, "HEAP_XMAX_COMMITTED"),
    (HEAP_XMAX_INVALID, "HEAP_XMAX_INVALID"),
    (HEAP_XMAX_IS_MULTI, "HEAP_XMAX_IS_MULTI"),
    (HEAP_UPDATED, "HEAP_UPDATED"),
    (HEAP_MOVED_OFF, "HEAP_MOVED_OFF"),
    (HEAP_MOVED_IN, "HEAP_MOVED_IN"),
)
#: t_infomask2 bits, same source
INFOMASK2_FLAGS: Final = (
    (HEAP_KEYS_UPDATED, "HEAP_KEYS_UPDATED"),
    (HEAP_HOT_UPDATED, "HEAP_HOT_UPDATED"),
    (HEAP_ONLY_TUPLE, "HEAP_ONLY_TUPLE"),
)
#: multi-bit t_infomask values heap_tuple_infomask_flags() reports as combined flags
INFOMASK_COMBINED_FLAGS: Final = (
    (HEAP_XMAX_SHR_LOCK, "HEAP_XMAX_SHR_LOCK"),
    (HEAP_XMIN_FROZEN, "HEAP_XMIN_FROZEN"),
    (HEAP_MOVED, "HEAP_MOVED"),
)

# --- access/transam.h ---------------------------------------------------------------------------
InvalidTransactionId: Final = 0
BootstrapTransactionId: Final = 1
FrozenTransactionId: Final = 2
FirstNormalTransactionId: Final = 3

# --- storage/fsm_internals.h --------------------------------------------------------------------
#: FSMPageData = int fp_next_slot; uint8 fp_nodes[]; placed at PageGetContents() (MAXALIGN(24))
FSM_NODES_OFFSET: Final = SizeOfPageHeaderData + 4

# --- access/visibilitymapdefs.h, access/visibilitymap.c -----------------------------------------
BITS_PER_HEAPBLOCK: Final = 2
VISIBILITYMAP_ALL_VISIBLE: Final = 0x01
VISIBILITYMAP_ALL_FROZEN: Final = 0x02

# --- access/nbtree.h ----------------------------------------------------------------------------
BTREE_METAPAGE: Final = 0
BTREE_MAGIC: Final = 0x053162
BTP_LEAF: Final = 1 << 0  #: leaf page, i.e. not internal page
BTP_ROOT: Final = 1 << 1  #: root page (has no parent)
BTP_DELETED: Final = 1 << 2  #: page has been deleted from tree
BTP_META: Final = 1 << 3  #: meta-page
BTP_HALF_DEAD: Final = 1 << 4  #: empty, but still in tree
BTP_SPLIT_END: Final = 1 << 5  #: rightmost page of split group
BTP_HAS_GARBAGE: Final = 1 << 6  #: page has LP_DEAD tuples (deprecated)
BTP_INCOMPLETE_SPLIT: Final = 1 << 7  #: right sibling's downlink is missing
BTP_HAS_FULLXID: Final = 1 << 8  #: contains BTDeletedPageData (14+)
BTP_FLAG_NAMES: Final = (
    (BTP_LEAF, "BTP_LEAF"),
    (BTP_ROOT, "BTP_ROOT"),
    (BTP_DELETED, "BTP_DELETED"),
    (BTP_META, "BTP_META"),
    (BTP_HALF_DEAD, "BTP_HALF_DEAD"),
    (BTP_SPLIT_END, "BTP_SPLIT_END"),
    (BTP_HAS_GARBAGE, "BTP_HAS_GARBAGE"),
    (BTP_INCOMPLETE_SPLIT, "BTP_INCOMPLETE_SPLIT"),
    (BTP_HAS_FULLXID, "BTP_HAS_FULLXID"),
)
SizeOfBTPageOpaqueData: Final = 16
MAX_BT_CYCLE_ID: Final = 0xFF7F
BTREE_VERSION: Final = 4  #: current version number (12+)
BTREE_MIN_VERSION: Final = 2  #: minimum supported version
BTREE_NOVAC_VERSION: Final = 3  #: version with all meta fields set
P_NONE: Final = 0  #: "no page": btpo_prev of a leftmost page, btpo_next of a rightmost one
P_HIKEY: Final = 1  #: offset number of the high key on a non-rightmost page
P_FIRSTKEY: Final = 2  #: first data item on a non-rightmost page
INDEX_ALT_TID_MASK: Final = 0x2000  #: INDEX_AM_RESERVED_BIT: t_tid holds pivot/posting data
BT_OFFSET_MASK: Final = 0x0FFF  #: t_tid offset bits: pivot natts, or posting TID count
BT_STATUS_OFFSET_MASK: Final = 0xF000
BT_PIVOT_HEAP_TID_ATTR: Final = 0x1000  #: pivot tuple keeps a heap TID at its end
BT_IS_POSTING: Final = 0x2000  #: posting list tuple (13+)

# --- access/itup.h ------------------------------------------------------------------------------
SizeOfIndexTupleData: Final = 8  #: sizeof(IndexTupleData): t_tid (6) + t_info (2)
INDEX_SIZE_MASK: Final = 0x1FFF
INDEX_AM_RESERVED_BIT: Final = 0x2000  #: reserved for index-AM specific usage
INDEX_VAR_MASK: Final = 0x4000
INDEX_NULL_MASK: Final = 0x8000
INDEX_MAX_KEYS: Final = 32  #: pg_config_manual.h
SizeOfIndexAttributeBitMapData: Final = (INDEX_MAX_KEYS + 8 - 1) // 8
InvalidBlockNumber: Final = 0xFFFFFFFF  #: storage/block.h

# --- access/hash.h --------------------------------------------------------------------------------
# HashPageOpaqueData.hasho_flag (at pd_special + 12): "hasho_flag's LH_PAGE_TYPE bits tell us
# which type of page we're looking at. Additional bits in the flag word are used for more
# transient purposes."
LH_UNUSED_PAGE: Final = 0
LH_OVERFLOW_PAGE: Final = 1 << 0
LH_BUCKET_PAGE: Final = 1 << 1
LH_BITMAP_PAGE: Final = 1 << 2  #: holds the overflow-page bitmap, not line pointers
LH_META_PAGE: Final = 1 << 3  #: holds HashMetaPageData, not line pointers
LH_BUCKET_BEING_POPULATED: Final = 1 << 4  #: new bucket of a split in progress
LH_BUCKET_BEING_SPLIT: Final = 1 << 5  #: old bucket of a split in progress
LH_BUCKET_NEEDS_SPLIT_CLEANUP: Final = 1 << 6  #: tuples moved by a split still to be removed
LH_PAGE_HAS_DEAD_TUPLES: Final = 1 << 7  #: some line pointers are LP_DEAD (_hash_kill_items)
LH_PAGE_TYPE: Final = LH_OVERFLOW_PAGE | LH_BUCKET_PAGE | LH_BITMAP_PAGE | LH_META_PAGE
LH_FLAG_NAMES: Final = (
    (LH_OVERFLOW_PAGE, "LH_OVERFLOW_PAGE"),
    (LH_BUCKET_PAGE, "LH_BUCKET_PAGE"),
    (LH_BITMAP_PAGE, "LH_BITMAP_PAGE"),
    (LH_META_PAGE, "LH_META_PAGE"),
    (LH_BUCKET_BEING_POPULATED, "LH_BUCKET_BEING_POPULATED"),
    (LH_BUCKET_BEING_SPLIT, "LH_BUCKET_BEING_SPLIT"),
    (LH_BUCKET_NEEDS_SPLIT_CLEANUP, "LH_BUCKET_NEEDS_SPLIT_CLEANUP"),
    (LH_PAGE_HAS_DEAD_TUPLES, "LH_PAGE_HAS_DEAD_TUPLES"),
)
HASHO_FLAG_FROM_END: Final = 4  #: hasho_flag, hasho_page_id end the special space
SizeOfHashPageOpaqueData: Final = 16  #: MAXALIGN(sizeof(HashPageOpaqueData))
InvalidBucket: Final = 0xFFFFFFFF  #: hasho_bucket of the metapage, bitmap and unused pages
HASH_METAPAGE: Final = 0  #: metapage is always block 0
HASH_MAGIC: Final = 0x6440640  #: hashm_magic
HASH_VERSION: Final = 4  #: hashm_version (10+)
HASH_SPLITPOINT_PHASE_BITS: Final = 2
HASH_SPLITPOINT_PHASES_PER_GRP: Final = 1 << HASH_SPLITPOINT_PHASE_BITS
HASH_SPLITPOINT_PHASE_MASK: Final = HASH_SPLITPOINT_PHASES_PER_GRP - 1
HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE: Final = 10
HASH_MAX_SPLITPOINT_GROUP: Final = 32  #: max number of splitpoint phases a hash index can have
#: the size of hashm_spares[]: "adjusted in such a way to accommodate multi phased allocation
#: of buckets after HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE" (98)
HASH_MAX_SPLITPOINTS: Final = (
    (HASH_MAX_SPLITPOINT_GROUP - HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE)
    * HASH_SPLITPOINT_PHASES_PER_GRP
) + HASH_SPLITPOINT_GROUPS_WITH_ONE_PHASE
HASH_MIN_FILLFACTOR: Final = 10
HASH_DEFAULT_FILLFACTOR: Final = 75
BYTE_TO_BIT: Final = 3  #: 2^3 bits/byte
BITS_PER_MAP: Final = 32  #: number of bits in an ovflpage bitmap word (uint32)
INDEX_MOVED_BY_SPLIT_MASK: Final = INDEX_AM_RESERVED_BIT  #: tuple copied to a new bucket


def hash_max_bitmaps(block_size: int = BLCKSZ) -> int:
    """HASH_MAX_BITMAPS: ``Min(BLCKSZ / 8, 1024)``, the size of hashm_mapp[] ("for smaller
    block size we can not use 1024 bitmaps as it will lead to the meta page data crossing the
    block size boundary")."""
    return min(block_size // 8, 1024)


# --- access/spgist_private.h: SpGistPageOpaqueData.flags (at pd_special) ------------------------
SPGIST_META: Final = 1 << 0  #: holds SpGistMetaPageData, not line pointers

# --- access/ginblock.h, access/brin_page.h: special spaces without a page id ---------------------
SizeOfGinPageOpaqueData: Final = 8  #: rightlink, maxoff, flags (GIN flags fit in 8 bits)
BRIN_PAGETYPE_META: Final = 0xF091  #: BrinPageType: the last uint16 of BrinSpecialSpace
BRIN_PAGETYPE_REVMAP: Final = 0xF092
BRIN_PAGETYPE_REGULAR: Final = 0xF093

# --- special-space page ids of other index AMs (hash.h, gist.h, spgist_private.h, brin_page.h) ---
HASHO_PAGE_ID: Final = 0xFF80
GIST_PAGE_ID: Final = 0xFF81
SPGIST_PAGE_ID: Final = 0xFF82
SEQUENCE_MAGIC: Final = 0x1717  #: commands/sequence.c: sequence_magic in a 4-byte special space


# --- BRIN (access/brin_page.h, access/brin_tuple.h) ---
BRIN_EVACUATE_PAGE: Final = 1 << 0  #: BrinPageFlags: the page is being emptied (its tuples move)
BRIN_CURRENT_VERSION: Final = 1  #: brinVersion
BRIN_META_MAGIC: Final = 0xA8109CFA  #: brinMagic
BRIN_METAPAGE_BLKNO: Final = 0
BRIN_OFFSET_MASK: Final = 0x1F  #: bt_info: offset of the data (hoff)
BRIN_EMPTY_RANGE_MASK: Final = 0x20  #: bt_info: the range holds no tuples (16+; unused before)
BRIN_PLACEHOLDER_MASK: Final = 0x40  #: bt_info: a placeholder tuple (summarization running)
BRIN_NULLS_MASK: Final = 0x80  #: bt_info: a null bitmap follows the header
#: BRIN_*_MASK bits of bt_info by name, in bit order
BRIN_INFO_FLAG_NAMES: Final = (
    (BRIN_EMPTY_RANGE_MASK, "BRIN_EMPTY_RANGE_MASK"),
    (BRIN_PLACEHOLDER_MASK, "BRIN_PLACEHOLDER_MASK"),
    (BRIN_NULLS_MASK, "BRIN_NULLS_MASK"),
)
#: the first major whose brin_page_items shows ``empty`` (the bit is written from 12.15 on)
BRIN_EMPTY_RANGE_MAJOR: Final = 16

# --- GIN (access/ginblock.h, access/gin_private.h, access/gin.h, utils/jsonb.h) ---
GIN_DATA: Final = 1 << 0  #: a posting-tree page (else an entry-tree page)
GIN_LEAF: Final = 1 << 1
GIN_DELETED: Final = 1 << 2
GIN_META: Final = 1 << 3
GIN_LIST: Final = 1 << 4  #: a pending-list page
GIN_LIST_FULLROW: Final = 1 << 5  #: makes sense only on GIN_LIST page
GIN_INCOMPLETE_SPLIT: Final = 1 << 6  #: page was split, but parent not updated
GIN_COMPRESSED: Final = 1 << 7
#: the flag names in the order gin_page_opaque_info() prints them
GIN_FLAG_NAMES: Final = (
    (GIN_DATA, "data"),
    (GIN_LEAF, "leaf"),
    (GIN_DELETED, "deleted"),
    (GIN_META, "meta"),
    (GIN_LIST, "list"),
    (GIN_LIST_FULLROW, "list_fullrow"),
    (GIN_INCOMPLETE_SPLIT, "incomplete_split"),
    (GIN_COMPRESSED, "compressed"),
)
GIN_METAPAGE_BLKNO: Final = 0
GIN_ROOT_BLKNO: Final = 1
GIN_CURRENT_VERSION: Final = 2  #: ginVersion of 9.4+ indexes (compressed posting lists)
GIN_ITUP_COMPRESSED: Final = 1 << 31  #: in an entry tuple's t_tid block: posting list compressed
GIN_TREE_POSTING: Final = 0xFFFF  #: an entry tuple's t_tid offset: points to a posting tree
GIN_CAT_NORM_KEY: Final = 0  #: normal, non-null key value
GIN_CAT_NULL_KEY: Final = 1  #: null key value
GIN_CAT_EMPTY_ITEM: Final = 2  #: placeholder for zero-key item
GIN_CAT_NULL_ITEM: Final = 3  #: placeholder for null item
GIN_CAT_NAMES: Final = {
    GIN_CAT_NORM_KEY: "GIN_CAT_NORM_KEY",
    GIN_CAT_NULL_KEY: "GIN_CAT_NULL_KEY",
    GIN_CAT_EMPTY_ITEM: "GIN_CAT_EMPTY_ITEM",
    GIN_CAT_NULL_ITEM: "GIN_CAT_NULL_ITEM",
}
MaxHeapTuplesPerPageBits: Final = 11  #: ginpostinglist.c: bits of the offset in a packed TID
JGINFLAG_KEY: Final = 0x01  #: key (or string array element)
JGINFLAG_NULL: Final = 0x02  #: null value
JGINFLAG_BOOL: Final = 0x03  #: boolean value
JGINFLAG_NUM: Final = 0x04  #: numeric value
JGINFLAG_STR: Final = 0x05  #: string value (if not an array element)
JGINFLAG_HASHED: Final = 0x10  #: OR'd into flag if value was hashed
JGIN_MAXLENGTH: Final = 125  #: max length of text part before hashing
JGINFLAG_NAMES: Final = {
    JGINFLAG_KEY: "JGINFLAG_KEY",
    JGINFLAG_NULL: "JGINFLAG_NULL",
    JGINFLAG_BOOL: "JGINFLAG_BOOL",
    JGINFLAG_NUM: "JGINFLAG_NUM",
    JGINFLAG_STR: "JGINFLAG_STR",
}

# --- SP-GiST (access/spgist_private.h) ---
SPGIST_DELETED: Final = 1 << 1  #: never set, but kept for backwards compatibility
SPGIST_LEAF: Final = 1 << 2
SPGIST_NULLS: Final = 1 << 3
#: (bit, name) of SpGistPageOpaqueData.flags
SPGIST_FLAG_NAMES: Final = (
    (SPGIST_META, "META"),
    (SPGIST_DELETED, "DELETED"),
    (SPGIST_LEAF, "LEAF"),
    (SPGIST_NULLS, "NULLS"),
)
SPGIST_METAPAGE_BLKNO: Final = 0  #: metapage
SPGIST_ROOT_BLKNO: Final = 1  #: root for normal entries
SPGIST_NULL_BLKNO: Final = 2  #: root for null-value entries
SPGIST_LAST_FIXED_BLKNO: Final = SPGIST_NULL_BLKNO
SPGIST_MAGIC_NUMBER: Final = 0xBA0BABEE
SPGIST_CACHED_PAGES: Final = 8  #: cachedPage[] entries: indexes match SpGistGetBuffer flags
GBUF_LEAF: Final = 0x03  #: cachedPage index of a leaf page (inner pages: GBUF_INNER_PARITY)
GBUF_NULLS: Final = 0x04  #: OR'd in for pages of the nulls tree
GBUF_PARITY_MASK: Final = 0x03
#: values of tupstate
SPGIST_LIVE: Final = 0  #: normal live tuple (either inner or leaf)
SPGIST_REDIRECT: Final = 1  #: temporary redirection placeholder
SPGIST_DEAD: Final = 2  #: dead, cannot be removed because of links
SPGIST_PLACEHOLDER: Final = 3  #: placeholder, used to preserve offsets
SPGIST_TUPSTATE_NAMES: Final = ("LIVE", "REDIRECT", "DEAD", "PLACEHOLDER")
#: 14+: SpGistLeafTupleData.t_info = nextOffset (14 bits) | has-nulls-bitmap flag
SGLT_NEXTOFFSET_MASK: Final = 0x3FFF
SGLT_HASNULLMASK: Final = 0x8000
SGLT_FLAG_MASK: Final = 0xC000
SGITMAXNNODES: Final = 0x1FFF
SGITMAXPREFIXSIZE: Final = 0xFFFF
SGITMAXSIZE: Final = 0xFFFF
#: the major whose leaf tuples first kept nextOffset in t_info (INCLUDE columns)
SPGIST_LEAF_T_INFO_MAJOR: Final = 14

# --- GiST (access/gist.h, access/gist_private.h) ---
F_LEAF: Final = 1 << 0  #: leaf page
F_DELETED: Final = 1 << 1  #: the page has been deleted
F_TUPLES_DELETED: Final = 1 << 2  #: some tuples on the page were deleted
F_FOLLOW_RIGHT: Final = 1 << 3  #: page to the right has no downlink
F_HAS_GARBAGE: Final = 1 << 4  #: some tuples on the page are dead, but not deleted yet
#: GISTPageOpaqueData.flags bits with the names gist_page_opaque_info() gives them
GIST_FLAG_NAMES: Final = (
    (F_LEAF, "leaf"),
    (F_DELETED, "deleted"),
    (F_TUPLES_DELETED, "tuples_deleted"),
    (F_FOLLOW_RIGHT, "follow_right"),
    (F_HAS_GARBAGE, "has_garbage"),
)
GIST_ROOT_BLKNO: Final = 0  #: the root page is always block 0
#: gist_private.h: the t_tid offset of a downlink (internal page tuple)
TUPLE_IS_VALID: Final = 0xFFFF
#: gist_private.h: the t_tid offset of a pre-9.1 "invalid" tuple left by crash recovery
TUPLE_IS_INVALID: Final = 0xFFFE
SizeOfGISTPageOpaqueData: Final = 16  #: MAXALIGN(sizeof(GISTPageOpaqueData))
