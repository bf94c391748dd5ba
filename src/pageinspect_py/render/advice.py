"""Layout advice as text for people (the JSON form is :meth:`Advice.to_json`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pageinspect_py.advice.advise import Advice, Layout


def _size(n: int) -> str:
    for unit, step in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if abs(n) >= step:
            return f"{n / step:.1f} {unit}"
    return f"{n} B"


def _pages(n: int) -> str:
    return f"{n:,} page" if abs(n) == 1 else f"{n:,} pages"


def _row(label: str, layout: Layout) -> str:
    return (
        f"  {label:<16}{layout.avg_row_bytes:>9.1f}{layout.avg_tuple_bytes:>9.1f}"
        f"{layout.avg_padding:>9.1f}{layout.avg_tail:>7.1f}{layout.rows_per_page:>11.1f}"
        f"{layout.pages:>11,}{_size(layout.bytes):>11}"
    )


def render_advice(
    advice: Advice,
    *,
    ddl: str | None = None,
    verify: Mapping[str, object] | None = None,
    partition_of: str | None = None,
) -> str:
    """The report: a table of the orders, the orders themselves, savings and notes."""
    s = advice.sample
    out = []
    title = f"layout advice for {advice.table}"
    if partition_of:
        title += f" (partition of {partition_of})"
    out.append(title)
    out.append(
        f"  {len(advice.columns)} columns, {s.table_rows:,} rows; scored on "
        f"{s.size:,} rows ({s.method}" + (", an estimate" if s.quality != "exact" else "") + ")"
    )
    out.append("")
    out.append(
        f"  {'order':<16}{'row B':>9}{'tuple B':>9}{'padding':>9}{'tail':>7}"
        f"{'rows/page':>11}{'pages':>11}{'size':>11}"
    )
    out.append(_row("current", advice.current))
    out.append(_row("recommended", advice.recommended))
    for alt in advice.alternatives:
        out.append(_row(alt.name, alt))
    proof = (
        "the recommended order is proven optimal"
        if advice.proven_optimal
        else f"no order can be under this; the recommended one is at most "
        f"{advice.recommended.avg_row_bytes - advice.lower_bound_row_bytes:.1f} B/row "
        "above it"
    )
    out.append(f"  {'lower bound':<16}{advice.lower_bound_row_bytes:>9.1f}   ({proof})")
    out.append(
        "  row B: page space per row (MAXALIGNed tuple + 4-byte line pointer); tuple B: "
        "lp_len; padding: alignment"
    )
    out.append("  padding between values; tail: MAXALIGN padding after the tuple (per row)")
    out.append("")
    width = max(len(a.name) for a in (advice.current, advice.recommended, *advice.alternatives)) + 8
    for layout in (advice.current, advice.recommended, *advice.alternatives):
        out.append(f"  {layout.name + ' order:':<{width}}{', '.join(layout.order)}")
    if advice.pinned:
        out.append(f"  (kept first: {', '.join(advice.pinned)})")
    out.append("")
    sv = advice.savings
    out.append(
        f"  saving by reordering: {_pages(sv.reorder_pages)} ({sv.reorder_percent:.1f}%), "
        f"{_size(sv.reorder_bytes)}"
    )
    if sv.rebuild_pages is not None:
        reasons = f": {'; '.join(sv.rebuild_reasons)}" if sv.rebuild_reasons else ""
        verb = "shrinks" if sv.rebuild_pages >= 0 else "grows"
        out.append(
            f"  a rebuild alone (any order) {verb} the table by "
            f"{_pages(abs(sv.rebuild_pages))}, {_size(abs(sv.rebuild_bytes or 0))} (now "
            f"{_pages(advice.measured.pages or 0)}){reasons}"
        )
    m = advice.measured
    if m.avg_tuple_bytes is not None:
        out.append(
            f"  measured now ({m.source}): {m.live_rows:,} rows, mean lp_len "
            f"{m.avg_tuple_bytes:.1f} B" + (f", {m.dead_rows:,} dead" if m.dead_rows else "")
        )
    if advice.notes:
        out.append("")
        out.append("  notes:")
        out.extend(f"  - {note}" for note in advice.notes)
    if verify is not None:
        out.append("")
        out.extend(_verify_lines(verify))
    text = "\n".join(out) + "\n"
    if ddl is not None:
        commented = "".join(f"-- {line}".rstrip() + "\n" for line in text.splitlines())
        return commented + "\n" + ddl
    return text


def _verify_lines(verify: Mapping[str, object]) -> list[str]:
    source = verify.get("tuple_lengths_from")
    lengths = (
        f"tuple lengths from {source}"
        if source
        else f"tuple lengths not read: {verify.get('tuple_lengths_not_read') or 'no pages'}"
    )
    out = [f"  verified in {verify.get('where')}; {lengths}"]
    out.append(
        f"  {'order':<14}{'rows':>8}{'pages':>14}{'rows/page':>18}{'tuple B':>18}{'WAL B/row':>11}"
    )
    layouts = verify.get("layouts")
    for entry in layouts if isinstance(layouts, Sequence) else []:
        if not isinstance(entry, Mapping):
            continue
        wal = entry.get("wal_bytes_per_row")
        tuple_b = entry.get("avg_tuple_bytes")
        out.append(
            f"  {entry.get('name')!s:<14}{entry.get('rows')!s:>8}"
            f"{entry.get('pages')!s:>6} (pred {entry.get('predicted_pages')!s:>3})"
            f"{entry.get('rows_per_page')!s:>8} (pred {entry.get('predicted_rows_per_page')!s:>5})"
            f"{'-' if tuple_b is None else tuple_b!s:>8} "
            f"(pred {entry.get('predicted_avg_tuple_bytes')!s:>6})"
            f"{'-' if wal is None else wal!s:>11}"
        )
        matched = entry.get("tuples_matching_prediction")
        if matched is not None:
            out.append(
                f"  {'':<14}{matched} of {entry.get('rows')} tuples have exactly the "
                "predicted lp_len"
            )
    notes = verify.get("notes")
    for note in notes if isinstance(notes, Sequence) else []:
        out.append(f"  - {note}")
    return out
