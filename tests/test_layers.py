"""The import contract: layers only import downward, and offline commands never load psycopg or
textual.

(a) Statically, every ``import`` in ``src/pageinspect_py`` (at module level, under
``TYPE_CHECKING`` or lazily inside a function) of another ``pageinspect_py`` package goes down
the layer order of DESIGN.md. Today's exceptions are listed in :data:`ALLOWED` with a reason
each; an entry that disappears is fine (someone fixed it), a new upward import fails.

(b) Dynamically, real offline commands run in a fresh interpreter and report which modules
they loaded: ``psycopg`` and ``textual`` must not be among them. Importing the CLI without
running a command would not see a lazy import inside the command.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "pageinspect_py"
FIXTURES = ROOT / "fixtures" / "pg17"
MANIFEST = FIXTURES / "manifest.json"

#: DESIGN.md's layers, lowest first; a module may import its own layer and those before it
ORDER: tuple[tuple[str, ...], ...] = (
    ("constants", "errors"),
    ("layouts",),
    ("page",),
    ("decode",),
    ("catalog",),
    ("sources",),
    ("scan",),
    ("analysis",),
    ("advice",),
    ("app",),
    ("render",),
    ("tui",),
    ("cli", "cli_advice", "cli_cluster_check", "cli_control", "cli_datadir", "cli_export"),
)
RANK = {name: rank for rank, names in enumerate(ORDER) for name in names}
ROOT_LAYER = ""  #: ``pageinspect_py`` itself (``__version__``): below everything

_DECODE_NEEDS_DESCRIPTIONS = (
    "decode/ decodes values and keys with catalog's RelationDescription/IndexDescription; "
    "those are plain models that import nothing above errors, so they belong below decode "
    "(or the order should put catalog's models under decode)"
)

#: (importing module, imported module) -> why it is allowed for now
ALLOWED: dict[tuple[str, str], str] = {
    ("pageinspect_py.decode.align", "pageinspect_py.catalog.attributes"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.brin.decoder", "pageinspect_py.catalog.index"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.brin.opclass", "pageinspect_py.catalog.index"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.brin.opclass", "pageinspect_py.catalog.types"): (
        _DECODE_NEEDS_DESCRIPTIONS + " (bool's type facts, for the inclusion opclass's flags)"
    ),
    ("pageinspect_py.decode.btree.checks", "pageinspect_py.catalog.index"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.gin.decoder", "pageinspect_py.catalog.index"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.gin.keys", "pageinspect_py.catalog.attributes"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.gin.keys", "pageinspect_py.catalog.index"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.btree.decoder", "pageinspect_py.catalog.index"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.btree.keys", "pageinspect_py.catalog.attributes"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.btree.keys", "pageinspect_py.catalog.index"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.btree.model", "pageinspect_py.catalog.index"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.output.base", "pageinspect_py.catalog.attributes"): (
        _DECODE_NEEDS_DESCRIPTIONS + " (type annotations only)"
    ),
    ("pageinspect_py.decode.output.registry", "pageinspect_py.catalog.attributes"): (
        _DECODE_NEEDS_DESCRIPTIONS + " (type annotations only)"
    ),
    ("pageinspect_py.decode.toast", "pageinspect_py.catalog.attributes"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
    ("pageinspect_py.decode.tuple", "pageinspect_py.catalog.attributes"): (
        _DECODE_NEEDS_DESCRIPTIONS
    ),
}


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement's target, resolved to an absolute module name."""

    importer: str
    imported: str
    line: int

    def describe(self) -> str:
        return (
            f"{self.importer} (line {self.line}, layer {layer_of(self.importer)!r}) imports "
            f"{self.imported} (layer {layer_of(self.imported)!r})"
        )


def module_name(path: Path, package_dir: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    """``pageinspect_py.decode.btree.keys`` -> ``decode``; ``pageinspect_py`` -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT_LAYER


def imports_of(
    source: str, module: str, is_package: bool, top: str = "pageinspect_py"
) -> list[Import]:
    """Every import of a ``top`` module in ``source``, wherever it stands (module level,
    ``if TYPE_CHECKING``, inside functions), relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            if origin == top or (node.level and not node.module):
                # ``from pageinspect_py import cli`` names a module; ``__version__`` does not
                targets = [
                    f"{origin}.{alias.name}" if _is_module(origin, alias.name) else origin
                    for alias in node.names
                ]
            else:
                targets = [origin]
        found.extend(
            Import(module, target, node.lineno)
            for target in targets
            if target == top or target.startswith(top + ".")
        )
    return found


def _is_module(package: str, name: str) -> bool:
    relative = Path(*package.split(".")[1:], name)
    base = PACKAGE / relative
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def upward(imp: Import) -> bool:
    """The import goes up the layer order (or names a package the order does not know)."""
    mine, theirs = layer_of(imp.importer), layer_of(imp.imported)
    if ROOT_LAYER in (mine, theirs):
        return False
    return RANK.get(theirs, len(ORDER)) > RANK.get(mine, -1)


def all_imports() -> list[Import]:
    found: list[Import] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found.extend(
            imports_of(
                path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
            )
        )
    return found


# ----------------------------------------------------------------------------------------------
# (a) the static contract


def test_every_package_has_a_layer() -> None:
    packages = {layer_of(module_name(p)) for p in PACKAGE.rglob("*.py")} - {ROOT_LAYER}
    unknown = sorted(packages - RANK.keys())
    assert not unknown, f"add these to ORDER in tests/test_layers.py (and DESIGN.md): {unknown}"


def test_imports_only_go_down() -> None:
    violations = {(i.importer, i.imported): i for i in all_imports() if upward(i)}
    new = [violations[key].describe() for key in sorted(violations.keys() - ALLOWED.keys())]
    assert not new, "imports going up the layer order:\n  " + "\n  ".join(new)


def test_the_allow_list_only_excuses_upward_imports() -> None:
    """An entry that is no longer upward (or names no layer) is a mistake, not a licence."""
    for importer, imported in ALLOWED:
        assert upward(Import(importer, imported, 0)), (importer, imported)


def test_the_checker_sees_lazy_relative_and_type_only_imports() -> None:
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
from pageinspect_py import __version__
from pageinspect_py.errors import SourceError
from . import common
if TYPE_CHECKING:
    from pageinspect_py.render.text import render_page
def f() -> None:
    from ..tui import app
    import pageinspect_py.sources.live
"""
    found = imports_of(source, "pageinspect_py.decode.heap", is_package=False)
    assert [(i.imported, i.line) for i in found] == [
        ("pageinspect_py", 4),
        ("pageinspect_py.errors", 5),
        ("pageinspect_py.decode.common", 6),
        ("pageinspect_py.render.text", 8),
        ("pageinspect_py.tui", 10),
        ("pageinspect_py.sources.live", 11),
    ]
    assert [i.imported for i in found if upward(i)] == [
        "pageinspect_py.render.text",
        "pageinspect_py.tui",
        "pageinspect_py.sources.live",
    ]


# ----------------------------------------------------------------------------------------------
# (b) real commands, in a fresh interpreter

PROBE = """
import contextlib, io, json, sys
from pageinspect_py.cli import main
out, err = io.StringIO(), io.StringIO()
try:
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(sys.argv[1:], standalone_mode=False)
except SystemExit as exc:
    code = exc.code
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"psycopg", "textual"})
print(json.dumps({"code": code, "out": len(out.getvalue()), "err": err.getvalue(),
                  "loaded": loaded}))
"""


def run_command(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def _one(directory: str, suffix: str = ".gz") -> str:
    (found,) = (
        p
        for p in (FIXTURES / directory).iterdir()
        if p.name[0].isdigit() and p.name.endswith(suffix) and "_" not in p.name
    )
    return str(found)


OFFLINE = {
    "dump": ["dump", _one("heap_types")],
    "dump-block": ["dump", _one("heap_many_blocks"), "--block", "3"],
    "dump-json-schema": ["dump", "--format", "json", _one("heap_types"), "--schema", str(MANIFEST)],
    "dump-toast": [
        "dump",
        _one("toast_values"),
        "--schema",
        str(MANIFEST),
        "--toast",
        _one("toast_values_toast"),
    ],
    "dump-index-keys": ["dump", _one("bt_multi"), "--schema", str(MANIFEST)],
    "check": ["check", _one("heap_many_blocks")],
    "check-json": ["check", _one("bt_multi"), "--format", "json"],
    "btree": ["btree", _one("bt_multi")],
    "btree-schema-json": ["btree", _one("bt_multi"), "--schema", str(MANIFEST), "--format", "json"],
    "schema-columns": ["schema", "--columns", "id int8, name text"],
    "layout-advice-offline": ["layout-advice", _one("heap_types"), "--schema", str(MANIFEST)],
    "tui-no-terminal": ["tui", _one("heap_types")],
}


@pytest.mark.parametrize("args", OFFLINE.values(), ids=OFFLINE.keys())
def test_offline_commands_load_neither_psycopg_nor_textual(args: list[str]) -> None:
    result = run_command(*args)
    assert result["loaded"] == [], f"pgpage {' '.join(args)} loaded {result['loaded']}"
    if args[0] == "tui":  # refuses (no terminal) before Textual starts
        assert result["code"] == 2
    else:
        assert result["code"] in (0, 1, None), result["err"]
        assert result["out"], "the command wrote nothing: the probe did not run it"


def test_the_probe_sees_psycopg_when_a_command_loads_it(tmp_path: Path) -> None:
    """The control: a live command does load psycopg, and the probe reports it."""
    result = run_command("dump", "--dsn", f"host={tmp_path} port=1 connect_timeout=1", "t")
    assert result["code"] == 2
    assert "psycopg" in result["loaded"]  # type: ignore[operator]


TUI_START = """
import asyncio, json, sys
from pageinspect_py.tui.app import PgPageApp
from pageinspect_py.tui.state import OpenSpec

async def main() -> None:
    app = PgPageApp(OpenSpec(path=sys.argv[1]))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()

asyncio.run(main())
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "psycopg")))
"""


def test_an_offline_tui_start_does_not_load_psycopg() -> None:
    done = subprocess.run(
        [sys.executable, "-c", TUI_START, _one("heap_types")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


# ----------------------------------------------------------------------------------------------
# the suite's own split: what the inner loop (pytest -m "not slow") leaves out


def test_the_inner_loop_leaves_out_live_tests_other_majors_and_listed_tests() -> None:
    files = ["tests/test_golden_heap.py", "tests/test_cli_live.py", "tests/test_kernel.py"]
    runs = {}
    for marks in ("not slow", "slow"):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", marks, *files],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=ROOT,
        )
        runs[marks] = [line for line in done.stdout.splitlines() if "::" in line]
    fast, slow = runs["not slow"], runs["slow"]
    assert fast and slow and not set(fast) & set(slow)
    assert any("[pg18/" in t for t in fast)
    assert not [t for t in fast if "[pg12/" in t or "test_cli_live.py" in t]
    assert not [t for t in fast if "test_chunk_fills_on_near_valid_pages" in t]
    assert any("test_cli_live.py" in t for t in slow)
    assert any("[pg12/" in t for t in slow)


def test_every_test_listed_slow_exists() -> None:
    """A renamed test would silently come back into the inner loop; a gone one is clutter."""
    import conftest

    missing = []
    for key in conftest.SLOW_TESTS:
        file, _, name = key.partition("::")
        path = ROOT / "tests" / file
        tree = ast.parse(path.read_text(encoding="utf-8")) if path.exists() else None
        defined = (
            set()
            if tree is None
            else {
                n.name
                for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            }
        )
        if name not in defined:
            missing.append(key)
    assert not missing, f"tests/conftest.py SLOW_TESTS names tests that do not exist: {missing}"
