"""layouts, decode, analysis, advice and render load without textual or psycopg."""

from __future__ import annotations

import subprocess
import sys

PURE = ["layouts", "decode", "analysis", "advice", "render", "catalog"]


def test_pure_layers_do_not_import_textual_or_psycopg() -> None:
    code = f"""
import importlib, pkgutil, sys
import pageinspect_py
for layer in {PURE!r}:
    pkg = importlib.import_module("pageinspect_py." + layer)
    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(mod.name)
import pageinspect_py.cli
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "psycopg"))
print(",".join(bad))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
