"""What ``:`` (jump) and ``/`` (find) accept, parsed without Textual.

Jump targets::

    42          block 42
    0x1f0 +496  byte offset 0x1f0 / 496 on the current page
    42:0x1f0    block 42, byte offset 0x1f0
    (42,7)      a TID: block 42, line pointer 7
    lp 7        line pointer 7 on the current page

Find patterns: text is matched as given (field names, values, flag names in the tree; bytes in
the hex view and the relation); ``x:de ad be ef`` or ``0xdeadbeef`` is a byte string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Target:
    block: int | None = None
    offset: int | None = None
    lp: int | None = None

    def describe(self) -> str:
        parts = []
        if self.block is not None:
            parts.append(f"block {self.block}")
        if self.lp is not None:
            parts.append(f"lp {self.lp}")
        if self.offset is not None:
            parts.append(f"offset 0x{self.offset:04x}")
        return ", ".join(parts)


_TID = re.compile(r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
_LP = re.compile(r"^lp\s*(\d+)$", re.IGNORECASE)


def _offset(text: str) -> int:
    text = text.strip()
    if text.startswith("+"):
        return int(text[1:], 0)
    return int(text, 16) if text.lower().startswith("0x") else int(text, 0)


def parse_target(text: str) -> Target:
    """Parse a jump target; raises ValueError with a message saying what is accepted."""
    text = text.strip()
    try:
        if not text:
            raise ValueError
        if m := _TID.match(text):
            return Target(block=int(m[1]), lp=int(m[2]))
        if m := _LP.match(text):
            return Target(lp=int(m[1]))
        if ":" in text:
            block, _, offset = text.partition(":")
            return Target(block=int(block), offset=_offset(offset))
        if text.lower().startswith("0x") or text.startswith("+"):
            return Target(offset=_offset(text))
        value = int(text)
        if value < 0:
            raise ValueError
        return Target(block=value)
    except ValueError:
        raise ValueError(
            f"{text!r}: give a block (42), a byte offset (0x1f0 or +496), both (42:0x1f0), "
            "a TID ((42,7)) or a line pointer (lp 7)"
        ) from None


def parse_bytes(text: str) -> bytes:
    """A find pattern as bytes: ``x:`` or ``0x`` hex, else the UTF-8 of the text."""
    stripped = text.strip()
    for prefix in ("x:", "0x"):
        if stripped.lower().startswith(prefix):
            digits = re.sub(r"[\s:]", "", stripped[len(prefix) :])
            try:
                return bytes.fromhex(digits)
            except ValueError:
                raise ValueError(
                    f"{text!r}: {digits!r} is not an even number of hex digits"
                ) from None
    return text.encode()
