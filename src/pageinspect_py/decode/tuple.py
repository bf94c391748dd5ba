"""Tuple data walked attribute by attribute: where each value lies, the alignment padding in
front of it, its varlena form and its text.

The walk follows ``heap_deform_tuple`` / ``nocachegetattr`` (access/common/heaptuple.c):
for each attribute in attnum order, NULL (null bitmap) takes no bytes; otherwise the offset is
aligned for the type (``att_align_pointer``: a varlena whose first byte is not zero has a
1-byte header and is not aligned) and advanced by its length (``att_addlength_pointer``).
Attributes past the tuple's natts were added later: they take ``attmissingval`` or NULL.
Dropped columns still occupy their bytes in tuples written before the drop.

Offsets and padding are page offsets, so a page's padding total shows what column order costs.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pageinspect_py import constants as C
from pageinspect_py.catalog.attributes import Attribute, RelationDescription, TypeCatalog
from pageinspect_py.decode.align import attribute_bounds
from pageinspect_py.decode.common import Diagnostic, Severity, Span
from pageinspect_py.decode.heap import HeapPage, HeapTuple
from pageinspect_py.decode.output import (
    TypeInfo,
    datum_text,
    has_output,
    missing_value_text,
)
from pageinspect_py.decode.varlena import ToastFetcher, Varlena, VarlenaForm, parse_varlena
from pageinspect_py.errors import DatumError


class AttributeStatus(enum.StrEnum):
    PRESENT = "present"  #: stored in this tuple
    NULL = "null"  #: the null bitmap marks it NULL
    MISSING = "missing"  #: not stored (added after the tuple was written): attmissingval
    MISSING_NULL = "missing_null"  #: not stored and no attmissingval: NULL
    DROPPED = "dropped"  #: a dropped column whose bytes are still in this tuple
    DROPPED_NULL = "dropped_null"  #: a dropped column, NULL or not stored
    UNREADABLE = "unreadable"  #: not reached: an earlier attribute's bytes are damaged

    @property
    def is_null(self) -> bool:
        return self in (AttributeStatus.NULL, AttributeStatus.MISSING_NULL)

    @property
    def is_dropped(self) -> bool:
        return self in (AttributeStatus.DROPPED, AttributeStatus.DROPPED_NULL)


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """One attribute of one tuple."""

    attnum: int
    attname: str
    typname: str | None
    status: AttributeStatus
    #: page offsets of the stored bytes (varlena header included); None when not stored
    span: Span | None = None
    #: alignment padding in front of the value (possibly empty); None when not stored
    padding: Span | None = None
    form: VarlenaForm | None = None  #: for varlenas: how the datum is stored
    varlena: Varlena | None = field(default=None, repr=False)
    #: the value as PostgreSQL prints it; None for NULL. When ``decoded`` is false it is the
    #: stored bytes as ``\\x`` hex instead (unknown type, or the value could not be decoded)
    text: str | None = None
    decoded: bool = True
    error: str | None = None  #: why the value could not be decoded
    raw: bytes = field(default=b"", repr=False)  #: the stored bytes
    dropped: bool = False  #: a dropped column (pg_attribute.attisdropped)

    @property
    def length(self) -> int:
        return self.span.length if self.span is not None else 0

    @property
    def padding_bytes(self) -> int:
        return self.padding.length if self.padding is not None else 0


@dataclass(frozen=True, slots=True)
class TupleValues:
    """All attributes of one tuple, in attnum order (dropped ones included)."""

    lp: int
    attributes: tuple[AttributeValue, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    #: bytes after the last stored attribute up to lp_len (none in a healthy tuple)
    trailing: Span | None = None

    @property
    def padding_bytes(self) -> int:
        """Alignment padding between attributes (t_hoff and MAXALIGN gaps not included)."""
        return sum(a.padding_bytes for a in self.attributes)

    @property
    def data_bytes(self) -> int:
        """Bytes taken by stored values (padding not included)."""
        return sum(a.length for a in self.attributes)

    def values(self) -> list[str | None]:
        """One entry per non-dropped column in attnum order: the text, or None for NULL."""
        return [a.text for a in self.attributes if not a.dropped]

    def attribute(self, key: int | str) -> AttributeValue:
        for a in self.attributes:
            if key in (a.attnum, a.attname):
                return a
        raise KeyError(key)


@dataclass(frozen=True, slots=True)
class PageValues:
    """Attribute values of every decodable tuple of one heap page."""

    blkno: int
    tuples: tuple[TupleValues, ...]

    @property
    def padding_bytes(self) -> int:
        return sum(t.padding_bytes for t in self.tuples)

    @property
    def data_bytes(self) -> int:
        return sum(t.data_bytes for t in self.tuples)

    def for_lp(self, lp: int) -> TupleValues | None:
        for t in self.tuples:
            if t.lp == lp:
                return t
        return None

    def __iter__(self) -> Iterator[TupleValues]:
        return iter(self.tuples)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(d for t in self.tuples for d in t.diagnostics)


def _raw_text(raw: bytes) -> str:
    return "\\x" + raw.hex()


def decode_page_values(
    page: HeapPage,
    desc: RelationDescription,
    *,
    toast: ToastFetcher | None = None,
    text: bool = True,
) -> PageValues:
    """Values of every tuple on ``page`` under relation description ``desc``."""
    tuples = []
    for item in page.items:
        if item.tuple is not None and item.tuple.t_data is not None:
            tuples.append(decode_tuple_values(item.tuple, item.lp.lp, desc, toast=toast, text=text))
    return PageValues(page.blkno, tuple(tuples))


def decode_tuple_values(
    tup: HeapTuple,
    lp: int,
    desc: RelationDescription,
    *,
    toast: ToastFetcher | None = None,
    text: bool = True,
) -> TupleValues:
    """Walk the data of ``tup`` (item ``lp``) with ``desc``; never raises on bad bytes.

    ``text=False`` skips output functions (and detoasting): offsets, padding and forms only.
    """
    data = tup.t_data or b""
    base = tup.data_span.start if tup.data_span is not None else tup.span.start
    natts = tup.header.natts
    diags: list[Diagnostic] = []
    name = f"lp {lp}"
    if natts > desc.natts:
        diags.append(
            Diagnostic(
                Severity.WARNING,
                "natts-exceeds-relation",
                f"{name}: the tuple has {natts} attributes, the relation "
                f"description only {desc.natts}",
                tup.header.span,
            )
        )
    out: list[AttributeValue] = []
    offset = 0
    broken = False
    has_external = False
    for att in desc.attributes:
        typname = None if att.attisdropped else att.typname
        if broken:
            out.append(
                AttributeValue(
                    att.attnum,
                    att.attname,
                    typname,
                    AttributeStatus.UNREADABLE,
                    decoded=False,
                    error="an earlier attribute is damaged",
                    dropped=att.attisdropped,
                )
            )
            continue
        if att.attnum > natts:
            out.append(_not_stored(att))
            continue
        if _att_isnull(tup, att.attnum):
            status = AttributeStatus.DROPPED_NULL if att.attisdropped else AttributeStatus.NULL
            out.append(
                AttributeValue(att.attnum, att.attname, typname, status, dropped=att.attisdropped)
            )
            continue
        try:
            start, end = attribute_bounds(offset, att.attlen, att.attalign, data)
        except DatumError as exc:
            broken = True
            diags.append(
                Diagnostic(
                    Severity.ERROR,
                    "attribute-overrun",
                    f"{name}: attribute {att.attnum} ({att.attname}): {exc}",
                    tup.data_span,
                )
            )
            out.append(
                AttributeValue(
                    att.attnum,
                    att.attname,
                    typname,
                    AttributeStatus.UNREADABLE,
                    decoded=False,
                    error=str(exc),
                    dropped=att.attisdropped,
                )
            )
            continue
        if any(data[offset:start]):
            diags.append(
                Diagnostic(
                    Severity.WARNING,
                    "padding-not-zero",
                    f"{name}: alignment padding before attribute "
                    f"{att.attnum} ({att.attname}) is not zero",
                    Span(base + offset, base + start),
                )
            )
        value = _stored_value(
            att,
            typname,
            data[start:end],
            Span(base + start, base + end),
            Span(base + offset, base + start),
            toast,
            text,
            desc.types,
        )
        has_external |= value.form is VarlenaForm.EXTERNAL
        out.append(value)
        offset = end
    trailing = None
    if not broken and natts <= desc.natts and offset < len(data):
        trailing = Span(base + offset, base + len(data))
        diags.append(
            Diagnostic(
                Severity.WARNING,
                "trailing-bytes",
                f"{name}: {len(data) - offset} bytes after the last attribute",
                trailing,
            )
        )
    if has_external and not tup.header.t_infomask & C.HEAP_HASEXTERNAL:
        diags.append(
            Diagnostic(
                Severity.WARNING,
                "hasexternal-missing",
                f"{name} holds a TOAST pointer but HEAP_HASEXTERNAL is not set",
                tup.header.span,
            )
        )
    return TupleValues(lp, tuple(out), tuple(diags), trailing)


def _att_isnull(tup: HeapTuple, attnum: int) -> bool:
    """att_isnull, reading a bitmap cut short (damaged t_hoff) as NULL beyond its end."""
    bits = tup.t_bits
    if bits is None:
        return False
    return attnum > len(bits) or bits[attnum - 1] == "0"


def _not_stored(att: Attribute) -> AttributeValue:
    if att.attisdropped:
        return AttributeValue(
            att.attnum, att.attname, None, AttributeStatus.DROPPED_NULL, dropped=True
        )
    if att.atthasmissing and att.attmissingval is not None:
        return AttributeValue(
            att.attnum,
            att.attname,
            att.typname,
            AttributeStatus.MISSING,
            text=missing_value_text(att.attmissingval),
        )
    return AttributeValue(att.attnum, att.attname, att.typname, AttributeStatus.MISSING_NULL)


def _stored_value(
    att: Attribute,
    typname: str | None,
    raw: bytes,
    span: Span,
    padding: Span,
    toast: ToastFetcher | None,
    text: bool,
    types: TypeCatalog | None = None,
) -> AttributeValue:
    varlena = form = None
    error = None
    if att.attlen == -1:
        try:
            varlena = parse_varlena(raw)
            form = varlena.form
        except DatumError as exc:
            error = str(exc)
    common: dict[str, Any] = {
        "attnum": att.attnum,
        "attname": att.attname,
        "typname": typname,
        "span": span,
        "padding": padding,
        "form": form,
        "varlena": varlena,
        "raw": raw,
        "dropped": att.attisdropped,
    }
    if att.attisdropped:
        return AttributeValue(
            status=AttributeStatus.DROPPED, text=None, decoded=False, error=error, **common
        )
    info = TypeInfo.of(att, types)
    if not text:
        return AttributeValue(
            status=AttributeStatus.PRESENT, text=None, decoded=False, error=error, **common
        )
    if error is None and not has_output(info):
        error = f"no output function for type {att.typname}"
    if error is None:
        try:
            return AttributeValue(
                status=AttributeStatus.PRESENT, text=datum_text(info, raw, toast), **common
            )
        except DatumError as exc:
            error = str(exc)
    return AttributeValue(
        status=AttributeStatus.PRESENT, text=_raw_text(raw), decoded=False, error=error, **common
    )
