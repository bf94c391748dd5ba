"""Commands over a whole data directory: ``pgpage ls``."""

from __future__ import annotations

import json
import sys

import click

from pageinspect_py.errors import PageInspectError


@click.command("ls")
@click.argument("pgdata", type=click.Path())
@click.option("--db", "database", help="Only this database (name or OID).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, JSON Lines (one object per relation) for programs.",
)
def ls(pgdata: str, database: str | None, fmt: str) -> None:
    """List the databases and relations of a data directory, read from its catalog files.

    For each relation: OID, file number, kind (tables, indexes with their access method, TOAST
    tables, sequences, views...), persistence, blocks per fork and the file's path. No server
    is needed; only committed catalog rows count (pg_xact decides).

    \b
    pgpage ls /var/lib/postgresql/15/main
    pgpage ls PGDATA --db shop --format json
    """
    from pageinspect_py.app.datadir import list_relations, open_cluster, present_databases
    from pageinspect_py.cli import EXIT_OK, EXIT_PROBLEMS, _fail
    from pageinspect_py.render.datadir import relations_text

    try:
        cluster = open_cluster(pgdata)
        for warning in cluster.warnings:
            click.echo(f"pgpage: warning: {warning}", err=True)
        databases = present_databases(cluster)
        if database is not None:
            wanted = cluster.catalog.database(database)
            databases = [(d, present) for d, present in databases if d.oid == wanted.oid]
        elif fmt == "text":
            click.echo(
                f"data directory {cluster.datadir.root} (PostgreSQL {cluster.datadir.major})"
            )
            for d, present in databases:
                note = "" if present else "   (no files in this copy)"
                click.echo(f"  {d.oid:>10}  {d.datname}{note}")
            click.echo("")
        for d, present in databases:
            if not present:
                if database is not None:
                    _fail(f"{pgdata}: database {d.datname!r} has no files in this copy")
                continue
            listed = list_relations(cluster, d.datname)
            if fmt == "json":
                for rel in listed:
                    sys.stdout.write(json.dumps(rel.as_json()) + "\n")
            else:
                sys.stdout.write(relations_text(d.datname, d.oid, listed))
    except PageInspectError as exc:
        _fail(str(exc))
    for problem in cluster.problems:
        click.echo(f"pgpage: {problem}", err=True)
    sys.exit(EXIT_PROBLEMS if cluster.problems else EXIT_OK)
