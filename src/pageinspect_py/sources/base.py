"""What every page source hands to the decoders: bytes plus where they came from."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Self

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


class PageSource(abc.ABC):
    """A relation fork as a sequence of pages. Sources never decode."""

    #: what to name in messages (a file path, or a relation and server)
    name: str
    #: bytes per page
    block_size: int
    #: pages from this source may be checked against pd_checksum
    checksum_verifiable: bool

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

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
