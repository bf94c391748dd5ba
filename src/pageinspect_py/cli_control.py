"""``pgpage control PGDATA``: what pg_controldata prints (placeholder until the reader lands)."""

from __future__ import annotations

import click


@click.command()
@click.argument("pgdata", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def control(pgdata: str, fmt: str) -> None:
    """Print a data directory's pg_control, as pg_controldata does."""
    raise click.UsageError("pgpage control is not built yet")
