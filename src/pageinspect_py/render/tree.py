"""The presentation tree of a decoded page: named byte ranges in byte order, and back.

:func:`build_detail` turns a decoded :class:`~pageinspect_py.decode.page.Page` into a
:class:`PageDetail`: a tree of :class:`FieldNode` in byte order (header, line pointers, free
space, items, padding, special space), each with its value, byte range, the C comment of the
field and the :class:`~pageinspect_py.analysis.pagefill.Fill` its bytes count as (the one rule,
``analysis.pagefill.region_fills``), plus an index from every byte offset to the smallest node
that holds it, so a hex view and the tree can follow each other. This is the one presentation
model of a page: the TUI's Page screen walks it (field tree, hex view, status line, find).
No Textual here (nothing in ``render/`` imports it): this runs in worker threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pageinspect_py import constants as C
from pageinspect_py.analysis.pagefill import (
    Fill,
    PageFill,
    byte_fills,
    fill_from_page,
    region_fills,
)
from pageinspect_py.catalog.attributes import RelationDescription
from pageinspect_py.decode.common import Region, RegionKind, Span
from pageinspect_py.decode.heap import HeapItem, HeapPage, HeapTuple, HeapTupleHeader
from pageinspect_py.decode.page import ChecksumStatus, ItemId, Page, PageHeader
from pageinspect_py.decode.tuple import PageValues
from pageinspect_py.decode.varlena import ToastFetcher

#: extra builders other decoders register: (page, detail) -> top-level nodes to add or None.
#: The btree and tuple views plug in here without this module importing them.
Extension = Callable[[Page, "PageDetail"], None]


@dataclass(eq=False, slots=True)
class FieldNode:
    """One named byte range of a page, with what it holds and what it means."""

    label: str
    value: str = ""
    span: Span | None = None
    doc: str = ""
    fill: Fill | None = None  #: what the bytes are used for (colours the hex view)
    item: int | None = None  #: line pointer number the node belongs to
    key: str = ""  #: stable path, e.g. ``lp/3/t_infomask``: the same field on another page
    children: list[FieldNode] = field(default_factory=list)
    parent: FieldNode | None = None
    index: int = -1  #: position in PageDetail.nodes

    def add(self, child: FieldNode) -> FieldNode:
        child.parent = self
        if not child.key:
            child.key = f"{self.key}/{child.label}" if self.key else child.label
        self.children.append(child)
        return child

    @property
    def text(self) -> str:
        """``label: value`` as the tree shows it (the byte range is printed beside it)."""
        return f"{self.label}: {self.value}" if self.value else self.label

    def describe(self) -> str:
        """One line: range, path and value, for the status line."""
        where = f"{self.span.hex()} " if self.span is not None else ""
        size = f" ({self.span.length} B)" if self.span is not None else ""
        return f"{where}{self.path()}{size}" + (f" = {self.value}" if self.value else "")

    def path(self) -> str:
        names: list[str] = []
        node: FieldNode | None = self
        while node is not None and node.parent is not None:
            names.append(node.label)
            node = node.parent
        return " > ".join(reversed(names))

    def walk(self) -> Iterator[FieldNode]:
        yield self
        for child in self.children:
            yield from child.walk()

    def ancestors(self) -> list[FieldNode]:
        """From the root's first child down to this node."""
        out: list[FieldNode] = []
        node: FieldNode | None = self
        while node is not None and node.parent is not None:
            out.append(node)
            node = node.parent
        return list(reversed(out))


@dataclass(slots=True)
class PageDetail:
    """A decoded page, its field tree and the byte -> node index."""

    page: Page
    root: FieldNode
    fill: PageFill
    nodes: list[FieldNode] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)  #: per byte: index of the smallest node
    byte_fill: bytes = b""  #: per byte: index into FILLS (colours the hex view)
    by_key: dict[str, FieldNode] = field(default_factory=dict)
    by_item: dict[int, FieldNode] = field(default_factory=dict)
    #: free-form sections other views add (btree items, decoded attributes, ...)
    extras: dict[str, object] = field(default_factory=dict)
    #: the heap page's attributes under the relation description, when one is known
    values: PageValues | None = None

    @property
    def blkno(self) -> int:
        return self.page.blkno

    def node_at(self, offset: int) -> FieldNode | None:
        if 0 <= offset < len(self.owner) and self.owner[offset] >= 0:
            return self.nodes[self.owner[offset]]
        return None

    def find(self, text: str, after: FieldNode | None = None) -> FieldNode | None:
        """The next node (in tree order, wrapping) whose label or value contains ``text``."""
        needle = text.lower()
        nodes = self.nodes
        start = after.index + 1 if after is not None else 0
        for step in range(len(nodes)):
            node = nodes[(start + step) % len(nodes)]
            if node.parent is not None and (
                needle in node.label.lower() or needle in node.value.lower()
            ):
                return node
        return None

    def find_bytes(self, needle: bytes, after: int = -1) -> int | None:
        """The next offset (wrapping) where ``needle`` occurs in the page."""
        data = self.page.data
        at = data.find(needle, after + 1)
        if at < 0:
            at = data.find(needle)
        return at if at >= 0 else None

    def index(self) -> None:
        """Number the nodes and fill the byte -> node and byte -> fill maps."""
        self.nodes = list(self.root.walk())
        self.by_key = {}
        for index, node in enumerate(self.nodes):
            node.index = index
            self.by_key.setdefault(node.key, node)
        size = self.page.size
        owner = [-1] * size
        sized = [n for n in self.nodes if n.span is not None and n.span.length > 0]
        # larger spans first, so the smallest node holding a byte wins; ties: the first node
        for node in sorted(sized, key=lambda n: (-n.span.length, -n.index)):  # type: ignore[union-attr]
            span = node.span
            assert span is not None
            start, stop = max(span.start, 0), min(span.stop, size)
            if start < stop:
                owner[start:stop] = [node.index] * (stop - start)
        self.owner = owner
        self.byte_fill = byte_fills(self.page, self.values)


# ----------------------------------------------------------------------------------------------

# ----------------------------------------------------------------------------------------------
# where the parts of a page lie and what their values say: shared by every renderer
# (render/text.py walks the same facts in its own words)


def pagesize_version_text(header: PageHeader) -> str:
    """``pd_pagesize_version`` with the two numbers it packs."""
    return f"{header.pd_pagesize_version} (pagesize {header.pagesize}, version {header.version})"


def infomask2_names(header: HeapTupleHeader) -> list[str]:
    """The ``t_infomask2`` flags set (``HEAP_KEYS_UPDATED``, ``HEAP_HOT_UPDATED``, ...)."""
    return [name for bit, name in C.INFOMASK2_FLAGS if header.t_infomask2 & bit]


def t_bits_span(tup: HeapTuple) -> Span | None:
    """The null bitmap: right after the fixed header, one bit per attribute (``natts``)."""
    if tup.t_bits is None:
        return None
    start = tup.header.offset + C.SizeofHeapTupleHeader
    return Span(start, start + (tup.header.natts + 7) // 8)


def t_oid_span(tup: HeapTuple) -> Span | None:
    """A pre-12 ``WITH OIDS`` tuple's OID: the 4 bytes just before ``t_hoff``."""
    if tup.t_oid is None:
        return None
    hoff = tup.header.offset + tup.header.t_hoff
    return Span(hoff - 4, hoff)


# ----------------------------------------------------------------------------------------------

_EXTENSIONS: list[Extension] = []


def register_extension(extension: Extension) -> None:
    """Add a builder that enriches every PageDetail (btree items, tuple attributes, ...)."""
    if extension not in _EXTENSIONS:
        _EXTENSIONS.append(extension)


_CHECKSUM_NOTES = {
    ChecksumStatus.OK: "verified",
    ChecksumStatus.MISMATCH: "MISMATCH, computed {computed}",
    ChecksumStatus.NOT_SET: "not set: data checksums off",
    ChecksumStatus.NOT_VERIFIABLE: "server buffer copy, not verified",
    ChecksumStatus.NOT_APPLICABLE: "not applicable",
}

_REGION_LABELS = {
    RegionKind.FREE_SPACE: "free space",
    RegionKind.UNUSED: "unused bytes (no line pointer claims them)",
    RegionKind.SPECIAL: "special space",
    RegionKind.ALIGNMENT_PADDING: "alignment padding (MAXALIGN)",
    RegionKind.ZERO: "all-zero new page",
    RegionKind.UNKNOWN: "bytes not understood",
    RegionKind.FSM_NODES: "FSM nodes",
    RegionKind.VM_BITS: "visibility map bits",
    RegionKind.ITEM: "item",
}


def build_detail(
    page: Page,
    description: RelationDescription | None = None,
    *,
    toast: ToastFetcher | None = None,
) -> PageDetail:
    """The field tree of ``page``; ``description`` adds heap attribute values (``toast``
    fetches out-of-line values for their text)."""
    root = FieldNode(f"block {page.blkno}", key="")
    detail = PageDetail(page, root, fill_from_page(page))
    item_spans = {lp.lp: lp.item_span for lp in page.line_pointers}
    heap_items: dict[int, HeapItem] = {}
    if isinstance(page, HeapPage):
        heap_items = {item.lp.lp: item for item in page.items}
        if description is not None:
            _attach_values(page, description, toast, detail)
            # the padding between attributes is padding, in the totals and the colours
            detail.fill = fill_from_page(page, detail.values)
    item_nodes: dict[int, FieldNode] = {}
    line_pointers_done = False
    for region, fill in region_fills(page):
        owner = region.item
        inside = (
            owner is not None
            and region.kind is not RegionKind.LINE_POINTER
            and owner in item_spans
            and item_spans[owner].contains(region.span)
        )
        if region.kind is RegionKind.PAGE_HEADER:
            root.add(_header_node(page))
        elif region.kind is RegionKind.LINE_POINTER:
            if not line_pointers_done:
                root.add(_line_pointers_node(page))
                line_pointers_done = True
        elif inside and owner is not None:
            node = item_nodes.get(owner)
            if node is None:
                heap_item = heap_items.get(owner)
                if heap_item is not None and heap_item.tuple is not None:
                    node = _tuple_node(heap_item.lp, heap_item.tuple, detail)
                else:
                    node = _item_node(page, owner, fill)
                item_nodes[owner] = root.add(node)
                detail.by_item[owner] = node
            if owner not in heap_items:  # heap tuples were built whole from the model
                node.add(_region_node(page, region, fill))
        elif region.kind is RegionKind.SPECIAL:
            root.add(_special_node(page, region, fill))
        elif region.kind is RegionKind.METADATA:
            root.add(_metadata_node(page, region, fill))
        else:
            label = region.label or _REGION_LABELS.get(region.kind, str(region.kind))
            if region.kind is RegionKind.ALIGNMENT_PADDING and owner is not None:
                label = f"alignment padding after lp {owner}"
            key = f"{region.kind}/{owner}" if owner is not None else str(region.kind)
            root.add(
                FieldNode(
                    label,
                    f"{region.span.length} bytes",
                    region.span,
                    fill=fill,
                    item=owner,
                    key=key,
                )
            )
    for extension in _EXTENSIONS:
        extension(page, detail)
    detail.index()
    return detail


def _attach_values(
    page: HeapPage,
    description: RelationDescription,
    toast: ToastFetcher | None,
    detail: PageDetail,
) -> None:
    from pageinspect_py.decode.tuple import decode_page_values

    try:
        values = decode_page_values(page, description, toast=toast)
    except Exception as exc:  # a decoder bug must not lose the page
        detail.extras["values_error"] = f"{type(exc).__name__}: {exc}"
        return
    detail.extras["values"] = values
    detail.values = values
    detail.extras["description"] = description


_BT_KIND_LABELS = {
    "high_key": "high key",
    "minus_infinity": "minus infinity",
    "pivot": "pivot",
    "leaf": "leaf tuple",
    "posting": "posting list tuple",
    "no_storage": "no storage",
    "undecodable": "undecodable",
}


def _item_node(page: Page, lp: int, fill: Fill) -> FieldNode:
    from pageinspect_py.decode.btree import BtreePage

    ptr = page.line_pointers[lp - 1]
    label = f"lp {lp} item"
    value = f"{ptr.lp_len} bytes, {ptr.flags_name}"
    doc = ""
    if isinstance(page, BtreePage) and lp <= len(page.items):
        item = page.items[lp - 1]
        label = f"lp {lp} {_BT_KIND_LABELS.get(item.kind, item.kind)}"
        parts = []
        if item.dead:
            parts.append("DEAD")
        if item.downlink is not None:
            parts.append(f"-> block {item.downlink}")
        if item.natts is not None:
            parts.append(f"natts {item.natts}")
        if item.posting:
            parts.append(f"{len(item.posting)} TIDs")
        elif item.heap_tid is not None:
            parts.append(f"htid {item.heap_tid}")
        if item.keys:
            parts.append(", ".join(k.display() for k in item.keys)[:60])
        value = " ".join(parts) or value
        doc = "an index tuple: IndexTupleData, null bitmap, key data, posting list or heap TID"
    return FieldNode(label, value, ptr.item_span, doc, fill, item=lp, key=f"lp/{lp}")


def _region_node(page: Page, region: Region, fill: Fill) -> FieldNode:
    """A part of an item: header fields, key, posting list, padding."""
    from pageinspect_py.decode.btree import BtreePage

    item = None
    if isinstance(page, BtreePage) and region.item is not None and region.item <= len(page.items):
        item = page.items[region.item - 1]
    lp = region.item
    span = region.span
    if region.kind is RegionKind.TUPLE_HEADER and item is not None and item.header is not None:
        h = item.header
        node = FieldNode("IndexTupleData", f"{span.length} bytes", span, "itup.h", fill, item=lp)
        for f in h.fields():
            if f.name == "t_tid":
                value = f"{h.t_tid}"
                if h.is_posting:
                    value += " (posting list: offset, 0x2000 | count)"
                elif h.alt_tid:
                    value += " (pivot: downlink, 0x1000 | natts)"
            elif f.name == "t_info":
                value = f"0x{h.t_info:04x} size {h.size} {' | '.join(h.info_names)}".rstrip()
            else:
                value = str(f.value)
            node.add(FieldNode(f.name, value, f.span, f.doc, fill, item=lp))
        return node
    if region.kind is RegionKind.POSTING_LIST and item is not None:
        node = FieldNode(
            "posting list",
            f"{len(item.posting)} heap TIDs",
            span,
            "ItemPointerData[]: the heap tuples holding this key, in TID order",
            fill,
            item=lp,
        )
        for index, tid in enumerate(item.posting):
            at = span.start + 6 * index
            node.add(FieldNode(f"[{index}]", str(tid), Span(at, at + 6), fill=fill, item=lp))
        return node
    if region.kind is RegionKind.HEAP_TID and item is not None:
        return FieldNode(
            "heap TID (pivot)",
            str(item.heap_tid),
            span,
            "kept by suffix truncation when the key alone cannot separate",
            fill,
            item=lp,
        )
    if region.kind is RegionKind.TUPLE_DATA and item is not None and item.keys:
        key = next((k for k in item.keys if k.name == region.label and k.span == span), None)
        if key is not None:
            return FieldNode(key.name, key.display(), span, key.problem or "", fill, item=lp)
    if region.kind is RegionKind.NULL_BITMAP and item is not None and item.t_bits is not None:
        return FieldNode(
            "t_bits", item.t_bits + " (1 = not null)", span, "null bitmap", fill, item=lp
        )
    label = region.label or _REGION_LABELS.get(region.kind, str(region.kind))
    if region.kind in (RegionKind.ALIGNMENT_PADDING, RegionKind.HEADER_PADDING):
        label = "padding"
    value = f"{span.length} bytes"
    if region.kind is RegionKind.TUPLE_DATA and span.length <= 16:
        value += " " + page.data[span.start : span.stop].hex(" ")
    return FieldNode(label, value, span, fill=fill, item=lp)


def _special_node(page: Page, region: Region, fill: Fill) -> FieldNode:
    opaque = getattr(page, "opaque", None)
    node = FieldNode(
        region.label or "special space",
        f"{region.span.length} bytes",
        region.span,
        "index-specific data at pd_special",
        fill,
        key="special",
    )
    if opaque is not None and hasattr(opaque, "fields"):
        for f in opaque.fields():
            value = str(f.value)
            if f.name == "btpo_flags":
                value = f"0x{f.value:04x} {' | '.join(opaque.flag_names)}".rstrip()
            elif f.name in ("btpo_prev", "btpo_next") and f.value == 0:
                value = "0 (P_NONE: no sibling)"
            node.add(FieldNode(f.name, value, f.span, f.doc, fill))
    return node


def _metadata_node(page: Page, region: Region, fill: Fill) -> FieldNode:
    node = FieldNode(
        region.label or "metadata",
        f"{region.span.length} bytes",
        region.span,
        fill=fill,
        key="metadata",
    )
    holder = getattr(page, "meta", None) or getattr(page, "deleted", None)
    if holder is not None and hasattr(holder, "fields"):
        for f in holder.fields():
            node.add(FieldNode(f.name, str(f.value), f.span, f.doc, fill))
    return node


def _header_node(page: Page) -> FieldNode:
    h = page.header
    node = FieldNode(
        "PageHeaderData",
        f"{C.SizeOfPageHeaderData} bytes",
        Span(0, C.SizeOfPageHeaderData),
        "bufpage.h: the header every page starts with",
        Fill.HEADERS,
        key="header",
    )
    notes = {
        "pd_lsn": h.lsn,
        "pd_checksum": f"{h.pd_checksum} ("
        + _CHECKSUM_NOTES[page.checksum.status].format(computed=page.checksum.computed)
        + ")",
        "pd_flags": f"0x{h.pd_flags:04x} {' | '.join(h.flag_names)}".rstrip(),
        "pd_pagesize_version": pagesize_version_text(h),
    }
    for f in h.fields():
        child = node.add(
            FieldNode(f.name, str(notes.get(f.name, f.value)), f.span, f.doc, Fill.HEADERS)
        )
        if f.name == "pd_flags":
            for bit, name in C.PD_FLAG_NAMES.items():
                if h.pd_flags & bit:
                    child.add(FieldNode(name, f"0x{bit:04x}", f.span, fill=Fill.HEADERS))
    return node


def _lp_value(lp: ItemId) -> str:
    if lp.lp_flags == C.LP_REDIRECT:
        return f"LP_REDIRECT -> lp {lp.lp_off}"
    if lp.lp_flags == C.LP_UNUSED and not lp.lp_len:
        return "LP_UNUSED"
    return f"{lp.flags_name} off {lp.lp_off} len {lp.lp_len}"


def _line_pointers_node(page: Page) -> FieldNode:
    lps = page.line_pointers
    span = Span(lps[0].span.start, lps[-1].span.stop)
    node = FieldNode(
        "ItemIdData[] line pointers",
        f"{len(lps)}",
        span,
        "itemid.h: one 4-byte pointer per item: lp_off:15, lp_flags:2, lp_len:15",
        Fill.HEADERS,
        key="lps",
    )
    for lp in lps:
        child = node.add(
            FieldNode(
                f"lp {lp.lp}",
                _lp_value(lp),
                lp.span,
                fill=Fill.HEADERS,
                item=lp.lp,
                key=f"lps/{lp.lp}",
            )
        )
        for f in lp.fields():
            value = C.LP_FLAG_NAMES[f.value] + f" ({f.value})" if f.name == "lp_flags" else f.value
            child.add(FieldNode(f.name, str(value), f.span, f.doc, Fill.HEADERS, item=lp.lp))
    return node


def _tuple_node(lp: ItemId, tup: HeapTuple, detail: PageDetail) -> FieldNode:
    h = tup.header
    dead = lp.lp_flags == C.LP_DEAD
    node = FieldNode(
        f"lp {lp.lp} tuple",
        f"{tup.span.length} bytes, {lp.flags_name}",
        tup.span,
        "a heap tuple: HeapTupleHeaderData, null bitmap, padding to t_hoff, then the data",
        Fill.DEAD if dead else Fill.DATA,
        item=lp.lp,
        key=f"lp/{lp.lp}",
    )
    header_fill = Fill.DEAD if dead else Fill.HEADERS
    hdr = node.add(
        FieldNode(
            "HeapTupleHeaderData",
            f"{C.SizeofHeapTupleHeader} bytes",
            h.span,
            "htup_details.h",
            header_fill,
            item=lp.lp,
        )
    )
    for f in h.fields():
        if f.name == "t_ctid":
            value = str(h.t_ctid)
        elif f.name == "t_infomask2":
            names = infomask2_names(h)
            value = f"0x{h.t_infomask2:04x} natts {h.natts} {' | '.join(names)}".rstrip()
        elif f.name == "t_infomask":
            value = f"0x{h.t_infomask:04x}"
        else:
            value = str(f.value)
        child = hdr.add(FieldNode(f.name, value, f.span, f.doc, header_fill, item=lp.lp))
        if f.name == "t_infomask":
            for bit, name in C.INFOMASK_FLAGS:
                if h.t_infomask & bit:
                    child.add(FieldNode(name, f"0x{bit:04x}", f.span, fill=header_fill, item=lp.lp))
            for name in h.combined_flags:
                child.add(FieldNode(f"= {name}", "combined", f.span, fill=header_fill, item=lp.lp))
        elif f.name == "t_infomask2":
            for bit, name in C.INFOMASK2_FLAGS:
                if h.t_infomask2 & bit:
                    child.add(FieldNode(name, f"0x{bit:04x}", f.span, fill=header_fill, item=lp.lp))
    cursor = h.offset + C.SizeofHeapTupleHeader
    bits = t_bits_span(tup)
    if tup.t_bits is not None and bits is not None:
        node.add(
            FieldNode(
                "t_bits",
                tup.t_bits[: h.natts] + " (1 = not null, lowest bit first)",
                bits,
                "bitmap of NULLs",
                header_fill,
                item=lp.lp,
            )
        )
        cursor = bits.stop
    hoff = h.offset + h.t_hoff
    oid = t_oid_span(tup)
    oid_at = oid.start if oid is not None else hoff
    if tup.data_span is not None and cursor < oid_at:
        node.add(
            FieldNode(
                "padding before t_hoff",
                f"{oid_at - cursor} bytes",
                Span(cursor, oid_at),
                "the header is MAXALIGNed: t_hoff rounds up past the null bitmap",
                Fill.DEAD if dead else Fill.PADDING,
                item=lp.lp,
            )
        )
    if oid is not None:
        node.add(
            FieldNode(
                "t_oid",
                str(tup.t_oid),
                oid,
                "WITH OIDS (before 12)",
                header_fill,
                item=lp.lp,
            )
        )
    if tup.data_span is not None:
        data = node.add(
            FieldNode(
                "t_data",
                f"{tup.data_span.length} bytes",
                tup.data_span,
                "the attributes, each aligned to its type",
                Fill.DEAD if dead else Fill.DATA,
                item=lp.lp,
                key=f"lp/{lp.lp}/t_data",
            )
        )
        _attribute_nodes(data, lp.lp, detail, dead)
    return node


_MAX_VALUE = 80


def _attribute_nodes(parent: FieldNode, lp: int, detail: PageDetail, dead: bool) -> None:
    values = detail.extras.get("values")
    if values is None:
        return
    from pageinspect_py.decode.tuple import PageValues

    assert isinstance(values, PageValues)
    tv = values.for_lp(lp)
    if tv is None:
        return
    detail.extras[f"attribute_padding/{lp}"] = tv.padding_bytes
    for att in tv.attributes:
        name = att.attname if not att.status.is_dropped else f"{att.attname} (dropped)"
        if att.padding is not None and att.padding.length:
            parent.add(
                FieldNode(
                    f"padding before {name}",
                    f"{att.padding.length} bytes",
                    att.padding,
                    f"aligns {att.attname} to its typalign",
                    Fill.DEAD if dead else Fill.PADDING,
                    item=lp,
                )
            )
        text = "NULL" if att.status.is_null else (att.text if att.text is not None else "")
        if len(text) > _MAX_VALUE:
            text = text[:_MAX_VALUE] + f"… ({len(text)} chars)"
        notes = [att.typname or "?"]
        if att.form is not None:
            notes.append(att.form.description)
        if att.status not in ("present", "null"):
            notes.append(str(att.status).replace("_", " "))
        if att.error:
            notes.append(att.error)
        parent.add(
            FieldNode(
                f"{att.attnum} {name}",
                text,
                att.span,
                ", ".join(notes),
                Fill.DEAD if dead else Fill.DATA,
                item=lp,
                key=f"lp/{lp}/att/{att.attnum}",
            )
        )
    if tv.trailing is not None and tv.trailing.length:
        parent.add(
            FieldNode(
                "bytes after the last attribute",
                f"{tv.trailing.length} bytes",
                tv.trailing,
                fill=Fill.UNKNOWN,
                item=lp,
            )
        )
