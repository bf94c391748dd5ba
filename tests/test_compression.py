"""pglz and lz4: against data the server compressed, and against random or mutated input.

The decoders must reproduce what PostgreSQL compressed, and on anything else end with
DecompressionError -- never another exception, never more output than the declared size,
never a loop that does not end (hypothesis' deadline would report one).
"""

from __future__ import annotations

import itertools
import json
import time
from functools import cache

import psycopg
import pytest
from goldens import relations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql
from psycopg.rows import TupleRow

from pageinspect_py.catalog.schema import description_from_json
from pageinspect_py.decode.compression import lz4_decompress, pglz_decompress
from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.toast import ToastRelation
from pageinspect_py.decode.tuple import decode_page_values
from pageinspect_py.decode.varlena import VarlenaForm
from pageinspect_py.errors import DecompressionError
from pageinspect_py.sources.file import FileSource
from pageinspect_py.sources.live import LiveSource
from pageinspect_py.sources.live_catalog import describe_relation

Conn = psycopg.Connection[TupleRow]
_names = itertools.count()


# ---- compressed samples from the fixtures ----------------------------------------------------


@cache
def fixture_samples() -> list[tuple[str, bytes, int]]:
    """(method, compressed payload, raw size) of every compressed value in the fixtures' TOAST
    test table (inline and external), PostgreSQL 12 to 18."""
    samples: list[tuple[str, bytes, int]] = []
    for rel in relations("heap"):
        if rel.name != "toast_values":
            continue
        desc = description_from_json(rel.meta)
        toast_meta = rel.manifest["relations"]["toast_values_toast"]
        toast = ToastRelation(FileSource(rel.version_dir / toast_meta["files"]["main"]))
        with FileSource(rel.file("main")) as src:
            for raw in src.pages("main"):
                page = decode_page(raw)
                assert isinstance(page, HeapPage)
                for tv in decode_page_values(page, desc, text=False):
                    for a in tv.attributes:
                        v = a.varlena
                        if v is None or v.compression is None:
                            continue
                        if a.form is VarlenaForm.COMPRESSED:
                            assert v.rawsize is not None
                            samples.append((v.compression, v.data, v.rawsize))
                        elif v.pointer is not None:
                            stored = toast.fetch(v.pointer)
                            samples.append((v.compression, stored[4:], v.pointer.va_rawsize - 4))
    return samples


def test_fixture_samples_decompress() -> None:
    methods = {m for m, _, _ in fixture_samples()}
    assert "pglz" in methods
    for method, payload, rawsize in fixture_samples():
        fn = pglz_decompress if method == "pglz" else lz4_decompress
        assert len(fn(payload, rawsize)) == rawsize


def decompress_or_error(method: str, payload: bytes, rawsize: int) -> bytes | None:
    fn = pglz_decompress if method == "pglz" else lz4_decompress
    try:
        out = fn(payload, rawsize)
    except DecompressionError:
        return None
    assert len(out) == rawsize
    return out


MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "set", "insert", "delete", "truncate"]),
        st.integers(0, 2**31),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=6,
)


def mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    buf = bytearray(data)
    for op, where, byte in ops:
        if not buf:
            break
        at = where % len(buf)
        if op == "flip":
            buf[at] ^= 1 << (byte % 8)
        elif op == "set":
            buf[at] = byte
        elif op == "insert":
            buf.insert(at, byte)
        elif op == "delete":
            del buf[at]
        else:
            del buf[at:]
    return bytes(buf)


@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), ops=MUTATIONS, size_delta=st.integers(-50, 50))
def test_mutated_compressed_input_ends_in_error_or_declared_size(
    data: st.DataObject, ops: list[tuple[str, int, int]], size_delta: int
) -> None:
    method, payload, rawsize = data.draw(st.sampled_from(fixture_samples()))
    decompress_or_error(method, mutate(payload, ops), max(0, rawsize + size_delta))


@settings(max_examples=500, deadline=2000)
@given(payload=st.binary(max_size=4000), rawsize=st.integers(0, 1 << 20))
def test_random_pglz_input_ends_in_error_or_declared_size(payload: bytes, rawsize: int) -> None:
    decompress_or_error("pglz", payload, rawsize)


@settings(max_examples=300, deadline=2000)
@given(payload=st.binary(max_size=4000), rawsize=st.integers(0, 1 << 20))
def test_random_lz4_input_ends_in_error_or_declared_size(payload: bytes, rawsize: int) -> None:
    decompress_or_error("lz4", payload, rawsize)


def test_pglz_bomb_is_bounded_by_the_declared_size() -> None:
    """Each 3-byte tag expands to 273 bytes: 3 MB of tags would be 272 MB of output. With a
    declared size of 1 MB decoding stops there, quickly, and reports the mismatch."""
    tag = b"\x0f\x01\xff"  # offset 1, length 18 + 255
    tags = b"\xfe" + b"A" + tag * 7 + (b"\xff" + tag * 8) * 130_000  # one literal, then tags
    started = time.monotonic()
    with pytest.raises(DecompressionError):
        pglz_decompress(tags, 1 << 20)
    assert time.monotonic() - started < 5
    assert len(pglz_decompress(tags, 1 << 20, check_complete=False)) == 1 << 20


def test_declared_size_beyond_the_limit_is_refused() -> None:
    with pytest.raises(DecompressionError):
        pglz_decompress(b"\x00a", 2**31)
    with pytest.raises(DecompressionError):
        pglz_decompress(b"\x00a", 1 << 20, max_output=1 << 10)
    with pytest.raises(DecompressionError):
        lz4_decompress(b"\x10a", 1 << 20, max_output=1 << 10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), ops=MUTATIONS)
def test_mutated_tuple_bytes_never_raise(
    data: st.DataObject, ops: list[tuple[str, int, int]]
) -> None:
    """Damage inside the tuple area of the TOAST test table: values become errors, not
    exceptions."""
    rel = data.draw(st.sampled_from([r for r in relations("heap") if r.name == "toast_values"]))
    desc = description_from_json(rel.meta)
    with FileSource(rel.file("main")) as src:
        raw = src.read_page(0)
    page = bytearray(raw.data)
    upper = int.from_bytes(page[14:16], "little")
    tail = mutate(bytes(page[upper:]), [(op, w, b) for op, w, b in ops if op in ("flip", "set")])
    page[upper:] = tail
    decoded = decode_page(bytes(page))
    if isinstance(decoded, HeapPage):
        for tv in decode_page_values(decoded, desc):
            for a in tv.attributes:
                assert a.text is None or isinstance(a.text, str)


# ---- against the server's own compression ---------------------------------------------------


@st.composite
def compressible(draw: st.DrawFn) -> bytes:
    pieces: list[bytes] = draw(st.lists(st.binary(min_size=1, max_size=32), min_size=1, max_size=8))
    order: list[int] = draw(st.lists(st.integers(0, len(pieces) - 1), min_size=300, max_size=900))
    noise: bytes = draw(st.binary(max_size=64))
    return b"".join(pieces[i] for i in order) + noise


@pytest.mark.parametrize("method", ["pglz", "lz4"])
def test_decompression_matches_server_compression(pg_conn: Conn, method: str) -> None:
    """Values the server compressed (inline: STORAGE MAIN, over the 2 kB TOAST threshold)
    decompress to exactly what was inserted."""
    compressed_seen = 0
    server_major = pg_conn.info.server_version // 10000
    if server_major < 14 and method != "pglz":
        pytest.skip("column compression methods arrive in PostgreSQL 14")
    clause = f" COMPRESSION {method}" if server_major >= 14 else ""
    if method == "lz4":
        try:
            pg_conn.execute("CREATE TABLE lz4_probe (b bytea COMPRESSION lz4)")
            pg_conn.execute("DROP TABLE lz4_probe")
        except psycopg.errors.FeatureNotSupported:
            pytest.skip("this server was built without lz4")

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(values=st.lists(compressible(), min_size=1, max_size=8))
    def check(values: list[bytes]) -> None:
        nonlocal compressed_seen
        table = f"cmp_{next(_names)}"
        ident = sql.Identifier(table)
        pg_conn.execute(sql.SQL("CREATE TABLE {} (id int4, b bytea" + clause + ")").format(ident))
        try:
            pg_conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN b SET STORAGE MAIN").format(ident))
            for i, value in enumerate(values):
                pg_conn.execute(sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(ident), (i, value))
            desc = describe_relation(pg_conn, table)
            source = LiveSource(pg_conn, table)
            for raw in source.pages("main"):
                page = decode_page(raw)
                assert isinstance(page, HeapPage)
                for tv in decode_page_values(page, desc, text=False):
                    i = int.from_bytes(tv.attributes[0].raw, "little")
                    b = tv.attributes[1]
                    if b.form is not VarlenaForm.COMPRESSED:
                        continue
                    assert b.varlena is not None and b.varlena.rawsize is not None
                    assert b.varlena.compression == method
                    fn = pglz_decompress if method == "pglz" else lz4_decompress
                    assert fn(b.varlena.data, b.varlena.rawsize) == values[i]
                    compressed_seen += 1
        finally:
            pg_conn.execute(sql.SQL("DROP TABLE {}").format(ident))

    check()
    assert compressed_seen > 20, "the server compressed enough of the generated values"


def test_fixture_samples_are_json_safe() -> None:
    """The samples are plain bytes (guards the cache against accidental mutation)."""
    for method, payload, rawsize in fixture_samples():
        assert isinstance(payload, bytes) and rawsize >= 0
        json.dumps(method)
