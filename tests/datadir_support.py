"""The data-directory fixtures (``fixtures/datadir/pg<M>/``): extracted once per test session.

``tools/make_datadir_fixtures.py`` writes them from real servers: ``cluster.tar.xz`` (a cleanly
shut-down copy of the data directory) and ``golden.json`` (what the server said about it).
"""

from __future__ import annotations

import json
import tarfile
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "datadir"
MAJORS = tuple(sorted(int(p.name[2:]) for p in ROOT.glob("pg*") if (p / "golden.json").exists()))


@cache
def golden(major: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / f"pg{major}" / "golden.json").read_text("utf-8"))
    return data


def extract(major: int, into: Path) -> Path:
    """A fresh copy of the fixture's data directory under ``into`` (safe to damage)."""
    target = into / f"pg{major}"
    with tarfile.open(ROOT / f"pg{major}" / "cluster.tar.xz") as tar:
        tar.extractall(target, filter="data")
    return target
