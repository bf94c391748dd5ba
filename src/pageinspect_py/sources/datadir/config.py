"""The settings a new session on a data directory would get from its configuration files:
``postgresql.conf`` then ``postgresql.auto.conf`` (ALTER SYSTEM), the last setting of a name
winning, as guc-file.l reads them: ``name = value`` or ``name value``, ``#`` comments, values
quoted with ``'`` (``''`` or ``\\'`` inside), names case-insensitive, ``include``,
``include_if_exists`` and ``include_dir`` followed (relative to the including file)."""

from __future__ import annotations

import re
from pathlib import Path

from pageinspect_py.errors import DataDirectoryError

_LINE = re.compile(
    r"""^\s*(?P<name>[A-Za-z_][\w.]*)\s*=?\s*
        (?P<value>'(?:[^'\\]|''|\\.)*'|[^\s#']+)?\s*(?:\#.*)?$""",
    re.VERBOSE,
)
_MAX_DEPTH = 10


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        inner, out, i = value[1:-1], [], 0
        while i < len(inner):
            ch = inner[i]
            if ch == "'" and inner[i + 1 : i + 2] == "'":
                out.append("'")
                i += 2
                continue
            if ch == "\\" and i + 1 < len(inner):
                out.append(inner[i + 1])
                i += 2
                continue
            out.append(ch)
            i += 1
        return "".join(out)
    return value


def _read(path: Path, into: dict[str, str], depth: int, required: bool) -> None:
    if depth > _MAX_DEPTH:
        raise DataDirectoryError(f"{path}: configuration files nested too deeply")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        if required:
            raise DataDirectoryError(f"{path}: no such configuration file") from None
        return
    except OSError as exc:
        raise DataDirectoryError(f"{path}: {exc.strerror or exc}") from exc
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None or m["value"] is None:
            continue  # PostgreSQL would refuse to start; the other settings still count
        name, value = m["name"].lower(), _unquote(m["value"])
        if name in ("include", "include_if_exists"):
            _read(path.parent / value, into, depth + 1, name == "include")
        elif name == "include_dir":
            folder = path.parent / value
            for conf in sorted(folder.glob("*.conf")) if folder.is_dir() else []:
                if not conf.name.startswith("."):
                    _read(conf, into, depth + 1, False)
        else:
            into[name] = value


def read_settings(pgdata: Path) -> dict[str, str]:
    """Every setting the configuration files of ``pgdata`` make, by lower-case name."""
    found: dict[str, str] = {}
    _read(pgdata / "postgresql.conf", found, 0, False)
    _read(pgdata / "postgresql.auto.conf", found, 0, False)
    return found
