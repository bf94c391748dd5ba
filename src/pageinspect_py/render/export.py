"""Rows as ``COPY ... TO STDOUT`` writes them (text and CSV, commands/copyto.c), or as JSON
Lines.

- text: columns separated by a tab, NULL as ``\\N``, each row ended by a newline; in a value a
  backslash is doubled and the control characters ``\\b \\f \\n \\r \\t \\v`` are written as
  those escapes, other characters as they are (CopyAttributeOutText, delimiter tab);
- csv (``FORMAT csv, HEADER``): a header line of the column names, values separated by
  commas, NULL as nothing; a value is quoted when it contains the delimiter, the quote, CR or
  LF, or equals the NULL string (so the empty string is ``""``), or, in a table of one column,
  is ``\\.``; inside quotes a quote is doubled (CopyAttributeOutCSV);
- jsonl: one object per row, column name to text (NULL as null); with every tuple version
  the version columns come first, ``xmin``/``xmax`` as numbers and ``visible`` as a boolean.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Final, Literal, Protocol

ExportFormat = Literal["copy", "csv", "jsonl"]
FORMATS: Final[tuple[ExportFormat, ...]] = ("copy", "csv", "jsonl")

COPY_NULL: Final = "\\N"
_COPY_SPECIAL: Final = re.compile(r"[\\\x08\x0c\n\r\t\x0b]")
_COPY_ESCAPES: Final = str.maketrans(
    {
        "\\": "\\\\",
        "\b": "\\b",
        "\f": "\\f",
        "\n": "\\n",
        "\r": "\\r",
        "\t": "\\t",
        "\v": "\\v",
    }
)
_CSV_SPECIAL: Final = re.compile(r'[,"\n\r]')


def copy_text_value(value: str | None) -> str:
    """One value as COPY's text format writes it (delimiter tab)."""
    if value is None:
        return COPY_NULL
    if _COPY_SPECIAL.search(value) is None:
        return value
    return value.translate(_COPY_ESCAPES)


def copy_text_row(values: Sequence[str | None]) -> str:
    return "\t".join([copy_text_value(v) for v in values]) + "\n"


def csv_value(value: str | None, *, single_column: bool = False) -> str:
    """One value as COPY's CSV format writes it (delimiter ``,``, quote and escape ``"``,
    NULL as the empty string)."""
    if value is None:
        return ""
    if (
        value == ""  # equals the NULL string: quoted to tell it apart
        or _CSV_SPECIAL.search(value) is not None
        or (single_column and value == "\\.")
    ):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_row(values: Sequence[str | None], *, single_column: bool = False) -> str:
    return ",".join([csv_value(v, single_column=single_column) for v in values]) + "\n"


def version_column_names(columns: Sequence[str], version_columns: Sequence[str]) -> list[str]:
    """The version columns' names, each given leading underscores until no table column has
    it (``ctid``, ``xmin`` and ``xmax`` are reserved; ``visibility`` may not be)."""
    taken = set(columns)
    out = []
    for wanted in version_columns:
        name = wanted
        while name in taken:
            name = "_" + name
        taken.add(name)
        out.append(name)
    return out


class RowWriter(Protocol):
    """Turns rows into the text of one format."""

    def header(self) -> str:
        """What comes before the first row (empty for COPY text and JSON Lines)."""
        ...

    def row(self, values: Sequence[str | None], version: Sequence[str | None] = ()) -> str:
        """One row: its values and, with every tuple version, the version columns first."""
        ...


class CopyTextWriter:
    def __init__(self, columns: Sequence[str], version_columns: Sequence[str] = ()) -> None:
        self.columns = list(columns)

    def header(self) -> str:
        return ""

    def row(self, values: Sequence[str | None], version: Sequence[str | None] = ()) -> str:
        return copy_text_row([*version, *values] if version else values)


class CsvWriter:
    def __init__(self, columns: Sequence[str], version_columns: Sequence[str] = ()) -> None:
        self.names = [*version_column_names(columns, version_columns), *columns]
        self.single = len(self.names) == 1

    def header(self) -> str:
        return csv_row(self.names, single_column=self.single)

    def row(self, values: Sequence[str | None], version: Sequence[str | None] = ()) -> str:
        return csv_row([*version, *values] if version else values, single_column=self.single)


class JsonLinesWriter:
    def __init__(self, columns: Sequence[str], version_columns: Sequence[str] = ()) -> None:
        self.columns = list(columns)
        self.version_names = version_column_names(columns, version_columns)
        self._encode = json.JSONEncoder(ensure_ascii=False).encode

    def header(self) -> str:
        return ""

    def row(self, values: Sequence[str | None], version: Sequence[str | None] = ()) -> str:
        obj: dict[str, object] = {}
        if version:
            obj.update(
                {
                    name: _version_json(name_plain, value)
                    for name, name_plain, value in zip(
                        self.version_names, _plain(self.version_names), version, strict=True
                    )
                }
            )
        obj.update(zip(self.columns, values, strict=True))
        return self._encode(obj) + "\n"


def _plain(names: Sequence[str]) -> list[str]:
    return [n.lstrip("_") for n in names]


def _version_json(name: str, value: str | None) -> object:
    """A version column's JSON value: xmin/xmax as numbers, visible as a boolean."""
    if value is None:
        return None
    if name in ("xmin", "xmax"):
        return int(value)
    if name == "visible":
        return value == "t"
    return value


def row_writer(
    fmt: ExportFormat, columns: Sequence[str], version_columns: Sequence[str] = ()
) -> RowWriter:
    """The writer of ``fmt`` for a relation with these columns (and, for every tuple
    version, these version columns first)."""
    if fmt == "copy":
        return CopyTextWriter(columns, version_columns)
    if fmt == "csv":
        return CsvWriter(columns, version_columns)
    if fmt == "jsonl":
        return JsonLinesWriter(columns, version_columns)
    raise ValueError(f"unknown export format {fmt!r}")


__all__ = [
    "FORMATS",
    "CopyTextWriter",
    "CsvWriter",
    "ExportFormat",
    "JsonLinesWriter",
    "RowWriter",
    "copy_text_row",
    "copy_text_value",
    "csv_row",
    "csv_value",
    "row_writer",
    "version_column_names",
]
