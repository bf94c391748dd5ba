"""What ``pip install .`` installs: every file the package reads at run time (the system
catalogs' descriptors of each major, py.typed) is package data, so a non-editable install
reads a data directory as the checkout does."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "pageinspect_py"


def test_every_data_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["pageinspect_py"]
    data = [
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    assert any(d.startswith("catalog/bootstrap/") for d in data)
    missing = [d for d in data if not any(fnmatch(d, pattern) for pattern in patterns)]
    assert not missing, f"not installed by pip install .: {missing}"
