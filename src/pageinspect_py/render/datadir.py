"""Text for ``pgpage ls``: databases, then one line per relation."""

from __future__ import annotations

from collections.abc import Iterable

from pageinspect_py.app.datadir import ListedRelation


def _blocks(rel: ListedRelation) -> str:
    if rel.blocks is None:
        return "-"
    if not rel.present:
        return "absent"
    extra = [f"{fork} {n}" for fork, n in rel.blocks.items() if fork != "main" and n]
    main = str(rel.blocks["main"])
    return main + (f" ({', '.join(extra)})" if extra else "")


def relations_text(database: str, oid: int, relations: Iterable[ListedRelation]) -> str:
    """One database's relations as an aligned table."""
    rows = [("OID", "FILENODE", "KIND", "PERSISTENCE", "BLOCKS", "RELATION", "PATH")]
    for rel in relations:
        c = rel.cls
        rows.append(
            (
                str(c.oid),
                str(c.relfilenode) if c.relfilenode else ("mapped" if rel.path else "-"),
                rel.kind,
                {"p": "permanent", "u": "unlogged", "t": "temporary"}.get(
                    c.relpersistence, c.relpersistence
                ),
                _blocks(rel),
                c.qualified,
                rel.path or "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = [f"database {database} (OID {oid}): {len(rows) - 1} relations"]
    for r in rows:
        cells = [r[i].rjust(widths[i]) if i in (0, 1) else r[i].ljust(widths[i]) for i in range(6)]
        lines.append(("  " + "  ".join(cells) + "  " + r[6]).rstrip())
    return "\n".join(lines) + "\n"
