"""Network addresses (adt/network.c inet_out, port/inet_net_ntop.c, mac.c, mac8.c)."""

from __future__ import annotations

from pageinspect_py.decode.output.base import TypeInfo, fixed
from pageinspect_py.decode.output.registry import register
from pageinspect_py.errors import DatumError
from pageinspect_py.layouts import datums as L


def _ipv6_text(addr: bytes) -> str:
    words = [addr[i] << 8 | addr[i + 1] for i in range(0, 16, 2)]
    best_base, best_len, cur_base, cur_len = -1, 0, -1, 0
    for i, word in enumerate(words):
        if word == 0:
            if cur_base == -1:
                cur_base, cur_len = i, 1
            else:
                cur_len += 1
        elif cur_base != -1:
            if best_base == -1 or cur_len > best_len:
                best_base, best_len = cur_base, cur_len
            cur_base = -1
    if cur_base != -1 and (best_base == -1 or cur_len > best_len):
        best_base, best_len = cur_base, cur_len
    if best_base != -1 and best_len < 2:
        best_base = -1
    out = ""
    for i, word in enumerate(words):
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                out += ":"
            continue
        if i != 0:
            out += ":"
        if (
            i == 6
            and best_base == 0
            and (
                best_len == 6
                or (best_len == 7 and words[7] != 1)
                or (best_len == 5 and words[5] == 0xFFFF)
            )
        ):
            out += ".".join(str(b) for b in addr[12:16])
            break
        out += f"{word:x}"
    if best_base != -1 and best_base + best_len == 8:
        out += ":"
    return out


@register("inet", "cidr")
def _out_inet(payload: bytes, info: TypeInfo) -> str:
    if len(payload) < 2:
        raise DatumError("inet shorter than its header")
    family, bits = payload[0], payload[1]
    size = 16 if family == L.PGSQL_AF_INET6 else 4
    if family not in (L.PGSQL_AF_INET, L.PGSQL_AF_INET6) or len(payload) != 2 + size:
        raise DatumError(f"inet with family {family} and {len(payload) - 2} address bytes")
    raw = L.inet_struct.parse(payload)
    maxbits = size * 8
    if bits > maxbits:
        raise DatumError(f"inet netmask of {bits} bits")
    if family == L.PGSQL_AF_INET:
        text = ".".join(str(b) for b in raw.ipaddr)
    else:
        text = _ipv6_text(raw.ipaddr)
    if bits != maxbits or info.typname == "cidr":
        text += f"/{bits}"
    return text


@register("macaddr", "macaddr8")
def _out_macaddr(payload: bytes, info: TypeInfo) -> str:
    size = 6 if info.typname == "macaddr" else 8
    return ":".join(f"{b:02x}" for b in fixed(payload, size, info.typname))
