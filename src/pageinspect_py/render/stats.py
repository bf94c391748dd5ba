"""``pgpage stats`` as text for people: pgstattuple's columns, then ours."""

from __future__ import annotations

from pageinspect_py.app.stats import StatsReport


def stats_report_text(report: StatsReport) -> str:
    lines = [f"{report.relation}: {report.function}()"]
    width = max(len(name) for name in [*report.figures, *report.ours])
    lines += [f"  {name:<{width}}  {value}" for name, value in report.figures.items()]
    if report.ours:
        lines.append("  ours:")
        lines += [f"  {name:<{width}}  {value}" for name, value in report.ours.items()]
    lines += [f"  note: {note}" for note in report.notes]
    return "".join(f"{line}\n" for line in lines)
