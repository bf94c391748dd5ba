"""Every layer below sources/ and tui/ (and app/, render/, the CLI module itself) loads
without textual or psycopg. tests/test_layers.py runs real commands for the lazy imports."""

from __future__ import annotations

import subprocess
import sys

PURE = ["layouts", "page", "decode", "catalog", "scan", "analysis", "advice", "app", "render"]


def test_pure_layers_do_not_import_textual_or_psycopg() -> None:
    code = f"""
import importlib, pkgutil, sys
import pageinspect_py
for layer in {PURE!r}:
    pkg = importlib.import_module("pageinspect_py." + layer)
    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(mod.name)
        bad = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "psycopg"))
        if bad:
            print(mod.name, "loads", ",".join(bad))
            sys.exit(0)
import pageinspect_py.cli
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "psycopg"))
print(("pageinspect_py.cli loads " + ",".join(bad)) if bad else "")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
