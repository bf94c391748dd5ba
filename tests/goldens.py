"""Access to the shipped fixtures (fixtures/README.md): versions, relations, oracle output."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass(frozen=True)
class FixtureRelation:
    version_dir: Path
    name: str
    meta: dict[str, Any]

    @property
    def major(self) -> int:
        return int(self.version_dir.name.removeprefix("pg"))

    @property
    def manifest(self) -> dict[str, Any]:
        return load_manifest(self.version_dir)

    def file(self, fork: str = "main") -> Path:
        return self.version_dir / str(self.meta["files"][fork])

    @property
    def oracle(self) -> dict[str, Any]:
        path = self.version_dir / self.name / "pageinspect.json"
        return load_oracle(path if path.exists() else path.with_suffix(".json.gz"))

    def __str__(self) -> str:
        return f"{self.version_dir.name}/{self.name}"


def version_dirs() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("pg*") if (p / "manifest.json").exists())


@cache
def load_manifest(version_dir: Path) -> dict[str, Any]:
    return json.loads((version_dir / "manifest.json").read_text())  # type: ignore[no-any-return]


@cache
def load_oracle(path: Path) -> dict[str, Any]:
    """pageinspect.json, or pageinspect.json.gz (the fixtures of GIN, GiST, SP-GiST, BRIN)."""
    if path.suffix == ".gz":
        return json.loads(gzip.decompress(path.read_bytes()))  # type: ignore[no-any-return]
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def relations(kind: str | None = None) -> Iterator[FixtureRelation]:
    for version_dir in version_dirs():
        for name, meta in load_manifest(version_dir)["relations"].items():
            if kind is None or meta.get("kind") == kind:
                yield FixtureRelation(version_dir, name, meta)
