"""Tuple attributes for the JSON and text renderers: values, offsets, padding, varlena forms."""

from __future__ import annotations

from typing import Any

from pageinspect_py.decode.common import Span
from pageinspect_py.decode.tuple import AttributeStatus, AttributeValue, PageValues, TupleValues

#: text-output width of a value before it is cut (the JSON keeps it whole)
TEXT_VALUE_WIDTH = 60


def attribute_json(a: AttributeValue) -> dict[str, Any]:
    out: dict[str, Any] = {
        "attnum": a.attnum,
        "attname": a.attname,
        "typname": a.typname,
        "status": str(a.status),
        "offset": a.span.start if a.span is not None else None,
        "length": a.length,
        "padding": a.padding_bytes if a.padding is not None else None,
        "form": str(a.form) if a.form is not None else None,
        "decoded": a.decoded,
    }
    v = a.varlena
    if v is not None:
        out["compression"] = v.compression
        if v.rawsize is not None:
            out["rawsize"] = v.rawsize
        if v.pointer is not None:
            p = v.pointer
            out["toast_pointer"] = {
                "va_rawsize": p.va_rawsize,
                "va_extinfo": p.va_extinfo,
                "extsize": p.extsize,
                "compression": p.compression,
                "va_valueid": p.va_valueid,
                "va_toastrelid": p.va_toastrelid,
            }
    if a.error is not None:
        out["error"] = a.error
    if a.span is not None and (not a.decoded or a.status is AttributeStatus.DROPPED):
        out["raw"] = a.raw.hex()
    return out


def tuple_values_json(tv: TupleValues) -> dict[str, Any]:
    """Keys added to one heap item: ``values``, ``attributes`` and the padding total."""
    return {
        "values": tv.values(),
        "attributes": [attribute_json(a) for a in tv.attributes],
        "attribute_padding": tv.padding_bytes,
    }


def page_values_json(pv: PageValues) -> dict[str, Any]:
    """Keys added to a heap page: what the attributes cost in padding on this page."""
    return {
        "attribute_padding": {
            "bytes": pv.padding_bytes,
            "data_bytes": pv.data_bytes,
            "tuples": len(pv.tuples),
        }
    }


def _short(text: str) -> str:
    text = text.replace("\n", "\\n")
    if len(text) <= TEXT_VALUE_WIDTH:
        return text
    return f"{text[: TEXT_VALUE_WIDTH - 1]}… ({len(text)} chars)"


def _describe(a: AttributeValue) -> tuple[str, str | None]:
    """(the attribute's line, its value's line or None)."""
    typname = a.typname or "dropped"
    head = f"{a.attnum} {a.attname} {typname}"
    if a.status is AttributeStatus.NULL:
        return f"{head}: NULL", None
    if a.status is AttributeStatus.MISSING_NULL:
        return f"{head}: NULL (not stored: column added later)", None
    if a.status is AttributeStatus.MISSING:
        return f"{head}: not stored, attmissingval", f"= {_short(a.text or '')}"
    if a.status is AttributeStatus.DROPPED_NULL:
        return f"{head}: dropped, no bytes", None
    if a.status is AttributeStatus.UNREADABLE:
        return f"{head}: unreadable ({a.error})", None
    details = [f"{a.length} byte{'' if a.length == 1 else 's'}"]
    v = a.varlena
    if a.form is not None:
        details.append(a.form.description)
    if v is not None and v.compression:
        details.append(f"{v.compression}, raw {v.rawsize} bytes")
    if v is not None and v.pointer is not None:
        p = v.pointer
        details.append(
            f"value {p.va_valueid} of TOAST OID {p.va_toastrelid}, {p.extsize} bytes stored"
        )
    head = f"{head}: {', '.join(details)}"
    if a.status is AttributeStatus.DROPPED:
        return f"{head}, dropped", f"0x{a.raw.hex()[: TEXT_VALUE_WIDTH - 2]}"
    value = "= " + _short(a.text or "")
    if not a.decoded:
        value += f" [not decoded: {a.error}]"
    return head, value


def attribute_text_rows(tv: TupleValues) -> list[tuple[int, str, Span | None]]:
    """(indent below the tuple, text, byte range) for each attribute and padding run."""
    rows: list[tuple[int, str, Span | None]] = [
        (
            0,
            f"attributes: {len(tv.attributes)}, {tv.data_bytes} data bytes, "
            f"{tv.padding_bytes} padding bytes",
            None,
        )
    ]
    for a in tv.attributes:
        if a.padding is not None and a.padding.length:
            n = a.padding.length
            rows.append((1, f"padding: {n} byte{'' if n == 1 else 's'}", a.padding))
        head, value = _describe(a)
        rows.append((1, head, a.span))
        if value is not None:
            rows.append((2, value, None))
    if tv.trailing is not None:
        rows.append((1, f"trailing bytes: {tv.trailing.length}", tv.trailing))
    return rows


def page_values_text(pv: PageValues) -> str:
    return (
        f"attribute padding: {pv.padding_bytes} bytes beside {pv.data_bytes} data bytes "
        f"in {len(pv.tuples)} tuples"
    )
