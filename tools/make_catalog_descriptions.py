#!/usr/bin/env python3
"""Write the tuple descriptors of the system catalogs that offline reading of a data directory
decodes, for every major 12..18, into ``src/pageinspect_py/catalog/bootstrap/pg<M>.json``.

Each entry is what ``pgpage schema`` captures of that catalog on a real server of that major
(``pg_attribute`` + ``pg_type`` through the live catalog), plus the catalog's OID and whether
it is shared or mapped (``pg_filenode.map``). The catalogs' columns change between majors,
so they are never typed by hand: rerun this script when a major is added.

Usage
    python tools/make_catalog_descriptions.py [--majors 12,13,...]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pgcluster
from make_datadir_fixtures import MAJORS, bindir_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from pageinspect_py.catalog.schema import description_json
from pageinspect_py.sources.live_catalog import describe_relation

#: The catalogs read from their own files (pg_catalog.<name>).
CATALOGS = (
    "pg_database",
    "pg_tablespace",
    "pg_namespace",
    "pg_class",
    "pg_attribute",
    "pg_type",
    "pg_enum",
    "pg_range",
    "pg_index",
    "pg_am",
    "pg_sequence",
    "pg_opclass",
)
OUT = Path(__file__).resolve().parent.parent / "src" / "pageinspect_py" / "catalog" / "bootstrap"


def generate(major: int) -> None:
    with (
        pgcluster.cluster(bindir_for(major)) as cluster,
        psycopg.connect(cluster.dsn, autocommit=True) as conn,
    ):
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])  # type: ignore[index]
        out: dict[str, object] = {"major": major, "server_version_num": version, "catalogs": {}}
        for name in CATALOGS:
            desc = description_json(describe_relation(conn, f"pg_catalog.{name}"))
            row = conn.execute(
                "SELECT c.relisshared, c.relfilenode = 0 FROM pg_class c WHERE c.oid = %s",
                (desc["oid"],),
            ).fetchone()
            assert row is not None
            desc["relisshared"], desc["mapped"] = row
            out["catalogs"][name] = desc  # type: ignore[index]
    (OUT / f"pg{major}.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"pg{major}: {len(CATALOGS)} catalogs", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--majors", default=",".join(map(str, MAJORS)))
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    for major in [int(m) for m in args.majors.split(",") if m.strip()]:
        generate(major)
    return 0


if __name__ == "__main__":
    sys.exit(main())
