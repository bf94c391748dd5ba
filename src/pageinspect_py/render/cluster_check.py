"""``pgpage check PGDATA``'s report: text for people (one line per relation, its findings
under it, orphans, a total), or one JSON object."""

from __future__ import annotations

import json
from collections import Counter

from pageinspect_py.app.check import CheckReport
from pageinspect_py.app.cluster_check import (
    Checked,
    ClusterCheckReport,
    Orphan,
    RelationCheck,
)
from pageinspect_py.decode.page import ChecksumStatus
from pageinspect_py.scan.check import Finding

_FORK_SUFFIX = {"main": "", "fsm": "_fsm", "vm": "_vm", "init": "_init"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.items()) or "-"


def _strip_root(text: str, root: str) -> str:
    """File names in messages relative to the data directory, as the report names them."""
    return text.replace(root.rstrip("/") + "/", "")


def _file_of(path: str, fork: str, blkno: int, segment_blocks: int) -> tuple[str, int]:
    """The segment file holding absolute block ``blkno`` of ``fork``, and the block in it."""
    segno, block = divmod(blkno, segment_blocks)
    return f"{path}{_FORK_SUFFIX.get(fork, '')}{f'.{segno}' if segno else ''}", block


def _summary(checked: Checked) -> str:
    """Blocks per fork, checksum verdicts, errors and warnings of one relation's files."""
    report = checked.report
    if not report.forks:
        return "empty; clean" if not report.source_problems else "not checked"
    blocks = sum(s.blocks for s in report.forks)
    forks = ", ".join(f"{s.fork} {s.blocks}" for s in report.forks)
    checksums: Counter[str] = Counter()
    not_decoded: Counter[str] = Counter()
    for s in report.forks:
        checksums.update(s.checksums)
        not_decoded.update(s.not_decoded)
    errors = sum(f.severity == "error" for f in report.findings)
    warnings = sum(f.severity == "warning" for f in report.findings)
    verdict = (
        "clean"
        if not (errors or warnings or report.source_problems)
        else f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    )
    ordered = {str(status): checksums[status] for status in ChecksumStatus if checksums[status]}
    line = f"{_plural(blocks, 'block')} ({forks}); checksums: {_counts(ordered)}; "
    line += verdict
    if not_decoded:
        line += (
            f"; {_plural(sum(not_decoded.values()), 'page')} of access methods not decoded "
            f"({', '.join(not_decoded)})"
        )
    return line


def _finding_lines(
    prefix: str, path: str, report: CheckReport, root: str, segment_blocks: int
) -> list[str]:
    lines = []
    for f in report.findings:
        lines.append(f"{prefix} {_where(path, f, segment_blocks)}: {_strip_root(f.text, root)}")
    lines.extend(f"{prefix}: {_strip_root(p, root)}" for p in report.source_problems)
    return lines


def _where(path: str, f: Finding, segment_blocks: int) -> str:
    file, block = _file_of(path, f.fork, f.block, segment_blocks)
    where = f"{f.fork} block {f.block}"
    if file != path or block != f.block:
        where += f" ({file} block {block})"
    return where


def _relation_lines(rel: RelationCheck, root: str, segment_blocks: int) -> list[str]:
    prefix = f"{rel.database or '(shared)'} {rel.cls.qualified} {rel.path}"
    lines = [f"{prefix}: {_summary(rel.checked)}"]
    lines.extend(_finding_lines(prefix, rel.path, rel.report, root, segment_blocks))
    return lines


def _orphan_lines(orphan: Orphan, root: str, segment_blocks: int) -> list[str]:
    prefix = f"orphan {orphan.path}"
    detail = []
    if orphan.files:
        detail.append(f"{_plural(len(orphan.files), 'file')}, {_plural(orphan.size, 'byte')}")
    if orphan.checked is not None:
        detail.append(_summary(orphan.checked))
    line = f"{prefix}: {orphan.reason}"
    if detail:
        line += f" ({'; '.join(detail)})"
    lines = [line]
    if orphan.checked is not None:
        lines.extend(
            _finding_lines(prefix, orphan.path, orphan.checked.report, root, segment_blocks)
        )
    return lines


def cluster_check_text(report: ClusterCheckReport) -> str:
    """The directory, the databases not in the copy (once), one line per relation with its
    findings and file problems under it, the orphans, then the total."""
    root = report.datadir
    checksums = (
        f"data checksums on (version {report.data_checksum_version})"
        if report.data_checksum_version
        else "data checksums off: pages are not verified, their checksums not set"
    )
    lines = [
        f"data directory {root}: PostgreSQL {report.major}, block size {report.block_size}, "
        f"{checksums}"
    ]
    if report.missing_databases:
        names = ", ".join(f"{d.datname} (OID {d.oid})" for d in report.missing_databases)
        lines.append(f"databases with no files in this copy, not checked: {names}")
    for rel in report.relations:
        lines.extend(_relation_lines(rel, root, report.segment_blocks))
    for orphan in report.orphans:
        lines.extend(_orphan_lines(orphan, root, report.segment_blocks))
    t = report.totals
    databases = ", ".join(d.datname for d in report.databases)
    where = f"in {databases} and the shared catalogs" if databases else "(no database)"
    total = (
        f"total: {_plural(t.relations, 'relation')} {where} "
        f"({t.relations_with_problems} with problems), {_plural(t.files, 'file')}, "
        f"{_plural(t.blocks, 'block')}; checksums: {_counts(t.checksums)}; "
    )
    if report.data_checksum_version:
        total += f"{t.checksum_failures} bad (as pg_checksums counts them); "
    total += (
        f"{_plural(t.errors, 'error')}, {_plural(t.warnings, 'warning')}, "
        f"{_plural(t.orphans, 'orphan')}"
    )
    if t.not_decoded:
        total += f"; {_plural(t.not_decoded, 'page')} of access methods not decoded"
    lines.append(total)
    return "".join(f"{line}\n" for line in lines)


def cluster_check_json(report: ClusterCheckReport) -> str:
    """The report as one JSON object on one line."""
    return json.dumps(report.as_json()) + "\n"
