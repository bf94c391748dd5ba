"""``pgpage export``: a relation's rows as COPY, CSV or JSON Lines (placeholder)."""

from __future__ import annotations

import click


@click.command("export")
@click.argument("target")
@click.argument("relation", required=False)
def export(target: str, relation: str | None) -> None:
    """Write a relation's rows as COPY TO STDOUT would, from a data directory or a server."""
    raise click.UsageError("pgpage export is not built yet")
