"""Pages from copied relation files, read lazily: memory stays flat whatever the size.

A relation fork on disk is ``<relfilenode>[_fsm|_vm|_init]`` plus segments ``.1``, ``.2``, ...
of 1 GB each (``RELSEG_SIZE`` blocks). Opening any of them finds its siblings. Files may be
gzip-compressed (``16384.gz``, ``16384.1.gz``): the fixtures are shipped that way.
A single page image (``get_raw_page`` output saved to a file, ``pg_waldump --save-fullpage``)
is read the same way; the absolute block number of its first page can be given, or is taken
from a ``--save-fullpage`` file name.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pageinspect_py import constants as C
from pageinspect_py.errors import BlockOutOfRangeError, SourceError
from pageinspect_py.page.raw import FORKS, Chunk, Fork, PageSource, RawPage, SourceProblem

_NAME = re.compile(r"^(?P<base>.+?)(?:_(?P<fork>fsm|vm|init))?(?:\.(?P<seg>\d+))?(?P<gz>\.gz)?$")
#: pg_waldump --save-fullpage: TLI-LSNHI-LSNLO.spcOid.dbOid.relNumber.blk[_fork]
_FULLPAGE = re.compile(
    r"^[0-9A-F]{8}-[0-9A-F]{8}-[0-9A-F]{8}\.\d+\.\d+\.\d+\.(?P<blk>\d+)(?:_(?P<fork>fsm|vm|init))?$"
)


@dataclass(frozen=True, slots=True)
class Segment:
    segno: int
    path: Path
    size: int  #: bytes (uncompressed)


def _uncompressed_size(path: Path) -> int:
    if path.suffix != ".gz":
        return path.stat().st_size
    # ISIZE: the gzip trailer holds the uncompressed size modulo 2^32 (segments are <= 1 GB)
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() < 18:
            raise SourceError(f"{path}: not a gzip file (too short)")
        f.seek(-4, os.SEEK_END)
        return int.from_bytes(f.read(4), "little")


class FileSource(PageSource):
    """One relation's forks and segments, found beside ``path``."""

    checksum_verifiable = True
    reopenable = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        block_size: int | None = None,
        segment_bytes: int = C.RELSEG_SIZE_BYTES,
        first_block: int | None = None,
    ) -> None:
        self.path: Path = Path(path)
        self.name = str(self.path)
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise SourceError(f"{self.path}: is a directory, not a relation file")
        match = _NAME.match(self.path.name)
        if match is None:  # pragma: no cover - the pattern accepts every non-empty name
            raise SourceError(f"{self.path}: cannot parse the file name")
        self._base = match["base"]
        self._gz = match["gz"] or ""
        self.given_fork: Fork = match["fork"] or "main"  # type: ignore[assignment]
        #: reading a named segment (``16384.2``) reads that segment alone
        self._only_segment = int(match["seg"]) if match["seg"] else None
        fullpage = _FULLPAGE.match(self.path.name.removesuffix(".gz"))
        if fullpage and first_block is None:
            first_block = int(fullpage["blk"])
            self.given_fork = fullpage["fork"] or "main"  # type: ignore[assignment]
            self._base, self._only_segment = self.path.name.removesuffix(".gz"), None
        self._first_block = first_block or 0
        self._explicit_first = first_block is not None
        self._handles: dict[Path, BinaryIO] = {}
        self._segments: dict[Fork, list[Segment]] = {}
        self._problems: list[SourceProblem] = []
        self.block_size = block_size or self._detect_block_size()
        if self.block_size not in C.VALID_BLOCK_SIZES:
            raise SourceError(
                f"{self.path}: block size {self.block_size} is not one PostgreSQL "
                f"supports ({', '.join(map(str, C.VALID_BLOCK_SIZES))})"
            )
        self.segment_blocks = segment_bytes // self.block_size
        for fork in FORKS:  # find every file now, so that ``problems`` is complete
            self.segments(fork)

    @property
    def problems(self) -> list[SourceProblem]:
        return self._problems

    # -- discovery ------------------------------------------------------------------------------

    def _fork_file(self, fork: Fork, segno: int) -> Path:
        if self._explicit_first or _FULLPAGE.match(self._base):
            return self.path  # a page image has no siblings
        suffix = "" if fork == "main" else f"_{fork}"
        seg = f".{segno}" if segno else ""
        return self.path.with_name(f"{self._base}{suffix}{seg}{self._gz}")

    def segments(self, fork: Fork = "main") -> list[Segment]:
        """The files holding ``fork``, in order (empty when the fork does not exist)."""
        if fork in self._segments:
            return self._segments[fork]
        found: list[Segment] = []
        if self._explicit_first or _FULLPAGE.match(self._base):
            if fork == self.given_fork:
                found.append(Segment(0, self.path, self._size_of(self.path)))
        elif self._only_segment is not None and fork == self.given_fork:
            found.append(Segment(self._only_segment, self.path, self._size_of(self.path)))
        else:
            segno = 0
            missing = 0
            while missing < 2:  # tolerate one missing segment, then stop looking
                candidate = self._fork_file(fork, segno)
                if candidate.is_file():
                    found.extend([Segment(segno, candidate, self._size_of(candidate))])
                    missing = 0
                else:
                    missing += 1
                segno += 1
        self._segments[fork] = found
        self._check_segments(fork, found)
        return found

    def _size_of(self, path: Path) -> int:
        try:
            return _uncompressed_size(path)
        except OSError as exc:
            raise SourceError(f"{path}: {exc.strerror or exc}") from exc

    def _check_segments(self, fork: Fork, segments: list[Segment]) -> None:
        segment_bytes = self.segment_blocks * getattr(self, "block_size", C.BLCKSZ)
        for index, seg in enumerate(segments):
            whole, rest = divmod(seg.size, self.block_size)
            if rest:
                self._problems.append(
                    SourceProblem(
                        seg.path,
                        f"{rest} trailing bytes after block {self._absolute(seg, whole)} "
                        f"(a partial block, not decoded)",
                    )
                )
            if seg.size == 0:
                self._problems.append(SourceProblem(seg.path, "empty file", harmless=True))
            if index + 1 < len(segments):
                nxt = segments[index + 1]
                if nxt.segno != seg.segno + 1:
                    self._problems.append(
                        SourceProblem(
                            seg.path, f"segment {seg.segno + 1} of the {fork} fork is missing"
                        )
                    )
                elif seg.size != segment_bytes:
                    self._problems.append(
                        SourceProblem(
                            seg.path,
                            f"segment {seg.segno} has {seg.size} bytes, not "
                            f"{segment_bytes}, but a later segment exists",
                        )
                    )

    def _detect_block_size(self) -> int:
        """pd_pagesize_version of the first initialised page among the first few."""
        segments = self._probe_segments()
        if not segments:
            return C.BLCKSZ
        handle = self._open(segments[0])
        for page in range(16):
            handle.seek(page * C.BLCKSZ)
            header = handle.read(C.SizeOfPageHeaderData)
            if len(header) < C.SizeOfPageHeaderData:
                break
            value = int.from_bytes(header[18:20], "little")
            if value == 0:
                continue
            size = value & 0xFF00
            if size in C.VALID_BLOCK_SIZES and value & 0xFF == C.PG_PAGE_LAYOUT_VERSION:
                return size
            break
        return C.BLCKSZ

    def _probe_segments(self) -> list[Path]:
        return [self.path] if self.path.stat().st_size else []

    # -- reading --------------------------------------------------------------------------------

    def _open(self, path: Path) -> BinaryIO:
        handle = self._handles.get(path)
        if handle is None:
            try:
                raw = path.open("rb")
                handle = gzip.GzipFile(fileobj=raw, mode="rb") if path.suffix == ".gz" else raw  # type: ignore[assignment]
            except OSError as exc:
                raise SourceError(f"{path}: {exc.strerror or exc}") from exc
            self._handles[path] = handle  # type: ignore[assignment]
        return handle  # type: ignore[return-value]

    def _absolute(self, seg: Segment, block_in_segment: int) -> int:
        return self._first_block + seg.segno * self.segment_blocks + block_in_segment

    def nblocks(self, fork: Fork = "main") -> int:
        segments = self.segments(fork)
        if not segments:
            return 0
        last = segments[-1]
        return self._absolute(last, last.size // self.block_size)

    def block_numbers(self, fork: Fork = "main") -> list[range]:
        """The ranges of absolute block numbers that files actually hold."""
        return [
            range(self._absolute(s, 0), self._absolute(s, s.size // self.block_size))
            for s in self.segments(fork)
        ]

    def read_page(self, blkno: int, fork: Fork = "main") -> RawPage:
        for seg in self.segments(fork):
            first = self._absolute(seg, 0)
            if first <= blkno < first + seg.size // self.block_size:
                offset = (blkno - first) * self.block_size
                data = self._read(seg, blkno, offset, self.block_size)
                origin = f"{seg.path} offset {offset}"
                return RawPage(blkno, data, fork, origin, self.checksum_verifiable)
        total = self.nblocks(fork)
        if not self.segments(fork):
            raise BlockOutOfRangeError(
                f"{self.path}: the {fork} fork has no file ({self._fork_file(fork, 0).name})"
            )
        raise BlockOutOfRangeError(
            f"{self.path}: block {blkno} of the {fork} fork is out of "
            f"range (the files hold {self._describe_ranges(fork)}, "
            f"{total} blocks)"
        )

    def _describe_ranges(self, fork: Fork) -> str:
        parts = [f"{r.start}..{r.stop - 1}" if r else "none" for r in self.block_numbers(fork)]
        return "blocks " + ", ".join(parts)

    def pages(
        self, fork: Fork = "main", start: int = 0, stop: int | None = None
    ) -> Iterator[RawPage]:
        """Pages of the blocks the files hold, from ``start`` to ``stop`` (exclusive)."""
        for held in self.block_numbers(fork):
            for blkno in range(
                max(start, held.start), min(held.stop, stop) if stop is not None else held.stop
            ):
                yield self.read_page(blkno, fork)

    def chunks(
        self, fork: Fork = "main", start: int = 0, stop: int | None = None, pages: int = 1024
    ) -> Iterator[Chunk]:
        """Runs of at most ``pages`` consecutive blocks read with one call each (a run never
        crosses a segment): the bulk scan's input, with memory bounded by the run."""
        for seg in self.segments(fork):
            first = self._absolute(seg, 0)
            held = seg.size // self.block_size
            lo = max(start, first)
            hi = min(first + held, stop) if stop is not None else first + held
            blkno = lo
            while blkno < hi:
                count = min(pages, hi - blkno)
                offset = (blkno - first) * self.block_size
                data = self._read(seg, blkno, offset, count * self.block_size)
                yield Chunk(blkno, data, fork, self.block_size)
                blkno += count

    def _read(self, seg: Segment, blkno: int, offset: int, length: int) -> bytes:
        handle = self._open(seg.path)
        try:
            handle.seek(offset)
            data = handle.read(length)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise SourceError(
                f"{seg.path}: cannot read block {blkno} at offset {offset}: {exc}"
            ) from exc
        if len(data) != length:
            raise SourceError(
                f"{seg.path}: block {blkno + len(data) // self.block_size} at offset "
                f"{offset + len(data) - len(data) % self.block_size} is cut short "
                f"({len(data) % self.block_size} of {self.block_size} bytes)"
            )
        return data

    def origin(self, blkno: int, fork: Fork = "main") -> str:
        """Where block ``blkno`` lies, as :meth:`read_page` names it, without reading it."""
        for seg in self.segments(fork):
            first = self._absolute(seg, 0)
            if first <= blkno < first + seg.size // self.block_size:
                return f"{seg.path} offset {(blkno - first) * self.block_size}"
        return super().origin(blkno, fork)

    def reopen(self) -> FileSource:
        """The same files opened again (for a worker process): own handles, same options."""
        return FileSource(
            self.path,
            block_size=self.block_size,
            segment_bytes=self.segment_blocks * self.block_size,
            first_block=self._first_block if self._explicit_first else None,
        )

    def forks(self) -> list[Fork]:
        return [fork for fork in FORKS if self.segments(fork)]

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()
