"""``pgpage check``'s report as text for people."""

from __future__ import annotations

from pageinspect_py.app.check import CheckReport


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def check_report_text(report: CheckReport) -> str:
    """Findings (one line each), file problems, then one summary line per fork."""
    lines = [f"{f.fork} block {f.block}: {f.text}" for f in report.findings]
    lines.extend(report.source_problems)
    lines.extend(
        f"note: hint bits not checked where pg_xact cannot be read: {problem}"
        for problem in report.xact_problems or ()
    )
    for summary in report.forks:
        checksums = ", ".join(f"{n} {status}" for status, n in summary.checksums.items())
        kinds = ", ".join(f"{n} {kind}" for kind, n in summary.kinds.items())
        line = (
            f"{summary.fork}: {_plural(summary.blocks, 'block')} ({kinds}); checksums: "
            f"{checksums or '-'}; {_plural(summary.errors, 'error')}, "
            f"{_plural(summary.warnings, 'warning')}"
        )
        if summary.xid_bounds_checked is not None:
            line += f"; {_plural(summary.xid_bounds_checked, 'tuple')} checked against xid bounds"
        not_decoded = summary.not_decoded
        if not_decoded:
            pages = sum(not_decoded.values())
            line += (
                f"; {_plural(pages, 'page')} of access methods not decoded "
                f"({', '.join(not_decoded)}): their items were not checked"
            )
        lines.append(line)
    if not report.forks and not report.source_problems:
        lines.append(f"{report.relation}: no blocks (an empty relation file): nothing to check")
    for name, found in report.checks:
        lines.append(f"{name}: checked, {_plural(found, 'finding')}")
    for name, why in report.unchecked:
        lines.append(f"{name}: not checked: {why}")
    return "".join(f"{line}\n" for line in lines)
