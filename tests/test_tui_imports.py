"""The TUI's modules import only downward: screens post messages (``tui/messages.py``) that the
app handles; no screen imports the app class or another screen, and the package has no import
circle (it had one through eight files). Read from the source with ``ast``, so a lazy import
inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pageinspect_py.tui

TUI = Path(pageinspect_py.tui.__file__).parent
SCREENS = {
    "relation_screen",
    "page_screen",
    "btree_screen",
    "toast_screen",
    "layout_screen",
}


def _imports(module: str) -> set[str]:
    """The pageinspect_py.tui modules ``module`` imports (anywhere in the file)."""
    tree = ast.parse((TUI / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            name = node.module
        elif isinstance(node, ast.Import):
            name = node.names[0].name
        else:
            continue
        if name.startswith("pageinspect_py.tui."):
            found.add(name.removeprefix("pageinspect_py.tui.").split(".")[0])
    return found


def test_screens_do_not_import_the_app_or_each_other() -> None:
    for screen in SCREENS:
        imported = _imports(screen)
        assert "app" not in imported, screen
        assert not (imported & (SCREENS - {screen})), f"{screen} imports {imported & SCREENS}"


def test_the_tui_package_has_no_import_circle() -> None:
    modules = {p.stem for p in TUI.glob("*.py") if p.stem != "__init__"}
    graph = {m: _imports(m) & modules for m in modules}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for child in sorted(graph[module]):
            visit(child, (*path, module))
        done.add(module)

    for module in sorted(modules):
        visit(module, ())


def test_nothing_below_the_tui_imports_textual() -> None:
    """render/tree.py (the presentation model the TUI walks) is Textual-free."""
    source = (TUI.parent / "render" / "tree.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    names = {
        (n.module if isinstance(n, ast.ImportFrom) else n.names[0].name) or ""
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
    }
    assert not {n for n in names if n.split(".")[0] in ("textual", "rich")}
