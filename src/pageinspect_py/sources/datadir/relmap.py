"""``pg_filenode.map``: the rel file numbers of the mapped catalogs (their ``pg_class.relfilenode``
is 0). Read-only; a damaged map is an error naming the file, a CRC mismatch a problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import construct

from pageinspect_py.errors import DataDirectoryError
from pageinspect_py.layouts.relmap import RELMAPPER_FILEMAGIC, crc_offset, max_mappings, relmap_file
from pageinspect_py.page.crc32c import crc32c


@dataclass(frozen=True, slots=True)
class RelationMap:
    """One map file: catalog OID -> rel file number."""

    path: Path
    mappings: dict[int, int]
    crc_ok: bool
    problems: tuple[str, ...] = field(default=())

    def filenumber(self, oid: int) -> int | None:
        return self.mappings.get(oid)


def read_relmap(path: Path, major: int) -> RelationMap:
    """Parse the map file at ``path`` written by a server of ``major``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DataDirectoryError(f"{path}: no such file (the relation map)") from exc
    except OSError as exc:
        raise DataDirectoryError(f"{path}: {exc.strerror or exc}") from exc
    layout = relmap_file(major)
    if len(data) < layout.sizeof():
        raise DataDirectoryError(
            f"{path}: {len(data)} bytes, a relation map of PostgreSQL {major} has {layout.sizeof()}"
        )
    try:
        parsed = layout.parse(data)
    except construct.ConstructError as exc:  # pragma: no cover - sized above
        raise DataDirectoryError(f"{path}: {exc}") from exc
    if parsed.magic != RELMAPPER_FILEMAGIC:
        raise DataDirectoryError(
            f"{path}: magic {parsed.magic:#x} is not a relation map's ({RELMAPPER_FILEMAGIC:#x})"
        )
    if not 0 <= parsed.num_mappings <= max_mappings(major):
        raise DataDirectoryError(
            f"{path}: {parsed.num_mappings} mappings (at most {max_mappings(major)})"
        )
    crc_ok = crc32c(data[: crc_offset(major)]) == parsed.crc
    problems = () if crc_ok else (f"{path}: the relation map's CRC does not match its contents",)
    mappings = {m.mapoid: m.mapfilenumber for m in parsed.mappings[: parsed.num_mappings]}
    return RelationMap(path, mappings, crc_ok, problems)
