"""What every page source hands to the decoders: bytes plus where they came from.

:class:`PageSource` is the one protocol of ``sources/``: files, data directories and live
servers implement it. Its optional capabilities are declared here with neutral defaults, so
callers never probe a source with ``getattr``:

* ``problems`` -- what is wrong with the files themselves (a partial block, a missing segment);
* ``given_fork`` -- the fork the source was opened on (a file named ``16384_fsm`` says ``fsm``);
* ``path`` -- the relation file, for sources that read one;
* ``chunks()`` -- many consecutive blocks as one ``bytes`` (the bulk scan's input);
* ``reopen()`` -- an independent copy for a worker process (``None`` when it cannot be made).
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

from pageinspect_py.errors import PageInspectError

Fork = Literal["main", "fsm", "vm", "init"]
FORKS: tuple[Fork, ...] = ("main", "fsm", "vm", "init")


@dataclass(frozen=True, slots=True)
class RawPage:
    """One block's bytes and its provenance.

    ``checksum_verifiable`` is true only for bytes read from a relation file: a
    ``get_raw_page`` copy comes from shared buffers, whose ``pd_checksum`` may be 0 or stale.
    """

    blkno: int  #: absolute block number in the fork (segment x blocks-per-segment + block)
    data: bytes
    fork: Fork
    origin: str  #: human-readable location: file path (and segment), or relation@server
    checksum_verifiable: bool


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """Something wrong with the files themselves (not with a page's contents)."""

    path: Path | str
    message: str
    #: a fact about the files, not damage: an empty relation file is how PostgreSQL stores
    #: an empty relation (said, never counted as a problem by check)
    harmless: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive blocks ``first .. first + count - 1`` of one fork, as one ``bytes``."""

    first: int  #: absolute block number of the first page
    data: bytes  #: ``count * block_size`` bytes
    fork: Fork
    block_size: int

    @property
    def count(self) -> int:
        return len(self.data) // self.block_size

    def page(self, index: int) -> bytes:
        at = index * self.block_size
        return self.data[at : at + self.block_size]


class PageSource(abc.ABC):
    """A relation fork as a sequence of pages. Sources never decode."""

    #: what to name in messages (a file path, or a relation and server)
    name: str
    #: bytes per page
    block_size: int
    #: pages from this source may be checked against pd_checksum
    checksum_verifiable: bool
    #: the fork the source was opened on
    given_fork: Fork = "main"
    #: the relation file this source reads, if it reads one
    path: Path | None = None
    #: :meth:`reopen` gives an independent copy (workers can share the work)
    reopenable: bool = False

    @property
    def problems(self) -> list[SourceProblem]:
        """What is wrong with the files themselves; empty for sources without files."""
        return []

    @abc.abstractmethod
    def nblocks(self, fork: Fork = "main") -> int:
        """Number of whole blocks in ``fork`` (0 when the fork does not exist)."""

    @abc.abstractmethod
    def read_page(self, blkno: int, fork: Fork = "main") -> RawPage:
        """The bytes of one block; raises BlockOutOfRangeError past the end."""

    def pages(
        self, fork: Fork = "main", start: int = 0, stop: int | None = None
    ) -> Iterator[RawPage]:
        """Blocks ``start`` up to ``stop`` (exclusive, default: the end), read lazily."""
        end = self.nblocks(fork) if stop is None else min(stop, self.nblocks(fork))
        for blkno in range(start, end):
            yield self.read_page(blkno, fork)

    def chunks(
        self, fork: Fork = "main", start: int = 0, stop: int | None = None, pages: int = 1024
    ) -> Iterator[Chunk]:
        """Blocks ``start .. stop - 1`` in runs of at most ``pages`` consecutive blocks.

        The default joins :meth:`pages`; sources that can read a run at once override it.
        When reading fails partway, the blocks read before arrive first, then the error.
        """
        run: list[bytes] = []
        first = expected = -1
        try:
            for raw in self.pages(fork, start, stop):
                if run and (raw.blkno != expected or len(run) == pages):
                    yield Chunk(first, b"".join(run), fork, self.block_size)
                    run = []
                if not run:
                    first = raw.blkno
                run.append(raw.data)
                expected = raw.blkno + 1
        except PageInspectError:
            if run:  # the blocks read before the failure still arrive, then the error
                yield Chunk(first, b"".join(run), fork, self.block_size)
            raise
        if run:
            yield Chunk(first, b"".join(run), fork, self.block_size)

    def origin(self, blkno: int, fork: Fork = "main") -> str:
        """Where block ``blkno`` comes from, as :attr:`RawPage.origin` names it."""
        return self.read_page(blkno, fork).origin

    def reopen(self) -> PageSource | None:
        """An independent source on the same relation (for a worker), or None."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
