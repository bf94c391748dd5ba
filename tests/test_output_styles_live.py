"""Output under every DateStyle, IntervalStyle, TimeZone and extra_float_digits, against a live
server's own text.

Values are stored in a table (the server rejecting what it would not accept); its pages are
read once through get_raw_page (LiveSource) and decoded, under :func:`settings.session`, with
each combination of settings; the session on the server is ``SET`` to the same combination and
the text-format result of ``SELECT ctid, <columns>`` (each column's output function, what COPY
writes) must be equal, value for value. Edge values are typed in; hypothesis adds random ones.
Last, ``pgpage export`` of a stopped cluster must equal its COPY byte for byte, under the
styles its postgresql.conf sets and under the ones the options give.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pgcluster
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql
from psycopg.rows import TupleRow
from test_values_live import text_rows, times, timestamps
from test_values_live import zones as tz_offsets

from pageinspect_py.decode.dispatch import decode_page
from pageinspect_py.decode.heap import HeapPage
from pageinspect_py.decode.output.settings import (
    DATE_ORDERS,
    DATE_STYLES,
    INTERVAL_STYLES,
    OutputSettings,
    session,
)
from pageinspect_py.decode.tuple import decode_page_values
from pageinspect_py.sources.live import LiveSource
from pageinspect_py.sources.live_catalog import describe_relation

Conn = psycopg.Connection[TupleRow]
_names = itertools.count()

DATESTYLES = [f"{style}, {order}" for style in DATE_STYLES for order in DATE_ORDERS]
#: IANA zones with DST and LMT, a zone whose abbreviation is an offset, a numeric TimeZone
ZONES = ["UTC", "GMT", "Europe/Paris", "America/New_York", "Asia/Kathmandu", "-3.5"]
FLOAT_DIGITS = [-15, -5, 0, 1, 3]

#: examples per random test; the slow run takes RANDOM_SLOW
RANDOM_FAST, RANDOM_SLOW = 8, 60


def random_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


class Table:
    """A table of ``columns`` on the server; rows inserted one statement each."""

    def __init__(self, conn: Conn, columns: dict[str, str]) -> None:
        self.conn = conn
        self.name = f"os_{next(_names)}"
        self.columns = columns
        defs = sql.SQL(", ").join(
            sql.SQL("{} " + typ).format(sql.Identifier(col)) for col, typ in columns.items()
        )
        conn.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(self.name), defs))

    def insert(self, row: dict[str, str]) -> bool:
        """One row (column -> input text; the rest NULL); False when the server rejects it."""
        cols = list(row)
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(self.name),
            sql.SQL(", ").join(map(sql.Identifier, cols)),
            sql.SQL(", ").join(sql.SQL("%s::" + self.columns[c]) for c in cols),
        )
        try:
            self.conn.execute(query, [row[c] for c in cols])
        except (psycopg.DataError, psycopg.errors.NumericValueOutOfRange):
            return False
        return True

    def compare(self, settings_list: Sequence[OutputSettings]) -> int:
        """Our text of every stored value under each of ``settings_list`` against the
        server's under the same SET; the number of values compared."""
        source = LiveSource(self.conn, self.name)
        desc = describe_relation(self.conn, self.name)
        pages = [(raw.blkno, decode_page(raw)) for raw in source.pages("main")]
        cols = sql.SQL(", ").join(map(sql.Identifier, self.columns))
        query = sql.SQL("SELECT ctid, {} FROM {}").format(cols, sql.Identifier(self.name))
        compared = 0
        for out in settings_list:
            set_session(self.conn, out)
            expected = text_rows(self.conn, query)
            ours = {}
            with session(out):
                for blkno, page in pages:
                    assert isinstance(page, HeapPage)
                    for tv in decode_page_values(page, desc):
                        ours[f"({blkno},{tv.lp})"] = tv.values()
            for ctid, *row in expected:
                assert ctid is not None
                for col, theirs, mine in zip(self.columns, row, ours[ctid], strict=True):
                    assert mine == theirs, f"{out} {col} {ctid}"
                    compared += theirs is not None
        reset_session(self.conn)
        return compared

    def drop(self) -> None:
        self.conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(self.name)))


def set_session(conn: Conn, out: OutputSettings) -> None:
    for name, value in (
        ("DateStyle", out.datestyle),
        ("IntervalStyle", out.intervalstyle),
        ("TimeZone", out.timezone),
        ("extra_float_digits", str(out.extra_float_digits)),
    ):
        conn.execute(sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))


def reset_session(conn: Conn) -> None:
    conn.execute("RESET ALL")


@pytest.fixture
def table(pg_conn: Conn) -> Iterator[Any]:
    made: list[Table] = []

    def make(columns: dict[str, str]) -> Table:
        made.append(Table(pg_conn, columns))
        return made[-1]

    yield make
    for t in made:
        t.drop()


# ---- date and time -------------------------------------------------------------------------

DATETIME_COLUMNS = {
    "d": "date",
    "ts": "timestamp",
    "tz": "timestamptz",
    "t": "time",
    "ttz": "timetz",
    "da": "date[]",
    "tza": "timestamptz[]",
    "tsr": "tsrange",
    "tzr": "tstzrange",
    "rec": "os_dtrec",
}

DATES = [
    "4713-11-24 BC",
    "0001-12-31 BC",
    "0001-01-01",
    "1999-12-31",
    "2000-02-29",
    "9999-12-31",
    "10000-01-01",
    "5874897-12-31",
    "infinity",
    "-infinity",
]
TIMESTAMPS = [
    "4713-11-24 00:00:00 BC",
    "0045-03-15 12:00:00.5 BC",
    "0001-01-01 00:00:00",
    "1970-01-01 00:00:00.000001",
    "2000-01-01 23:59:59.999999",
    "2024-02-29 12:34:56.789",
    "10000-01-01 00:00:00",
    "294276-12-31 23:59:59.999999",
    "infinity",
    "-infinity",
]
#: instants around the DST changes of Paris (01:00 UTC) and New York (07:00/06:00 UTC) in
#: 2021, in LMT, far in the future and BC
TIMESTAMPTZS = [
    "2021-03-28 00:59:59.999999+00",
    "2021-03-28 01:00:00+00",
    "2021-10-31 00:59:59+00",
    "2021-10-31 01:00:00+00",
    "2021-03-14 06:59:59+00",
    "2021-03-14 07:00:00+00",
    "2021-11-07 05:30:00+00",
    "2021-11-07 06:30:00+00",
    "1850-06-01 12:00:00.25+00",
    "1901-12-13 20:45:52+00",
    "2038-01-19 03:14:08+00",
    "2500-07-01 12:00:00+00",
    "12021-07-01 12:00:00+00",
    "100000-01-15 00:00:00+00",
    "0100-07-01 12:00:00+00 BC",
    "4713-12-01 00:00:00+00 BC",
    "294276-12-30 23:59:59.999999+00",
    "infinity",
    "-infinity",
]
TIMES = ["00:00:00", "24:00:00", "23:59:59.999999", "12:34:56.5"]
TIMETZS = ["00:00:00+15:59", "24:00:00-15:59", "12:00:00.123+05:45", "13:00:00-00:00:30"]


def datetime_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    rows += [{"d": v} for v in DATES]
    rows += [{"ts": v} for v in TIMESTAMPS]
    rows += [{"tz": v} for v in TIMESTAMPTZS]
    rows += [{"t": v} for v in TIMES]
    rows += [{"ttz": v} for v in TIMETZS]
    rows += [
        {"da": "{2000-01-01,NULL,0044-03-15 BC,infinity}"},
        {"tza": '{"2021-03-28 01:30:00+00","1850-01-01 00:00+00",-infinity}'},
        {"tsr": "[0044-03-15 00:00:00 BC, 2000-01-01 00:00:00.5)"},
        {"tsr": "[-infinity, 2000-01-01)"},
        {"tzr": '["2021-10-31 00:30+00", "2021-10-31 01:30+00"]'},
        {"rec": '(2000-01-01,"0044-03-15 10:00 BC","2021-03-28 01:30:00+00","1 year -2 days")'},
    ]
    return rows


@pytest.fixture
def dtrec(pg_conn: Conn) -> Iterator[None]:
    pg_conn.execute("CREATE TYPE os_dtrec AS (d date, ts timestamp, tz timestamptz, iv interval)")
    yield
    pg_conn.execute("DROP TYPE os_dtrec CASCADE")


def test_datestyles_timezones_edge_values(pg_conn: Conn, table: Any, dtrec: None) -> None:
    t = table(DATETIME_COLUMNS)
    stored = sum(t.insert(row) for row in datetime_rows())
    assert stored == len(datetime_rows())
    grid = [OutputSettings(timezone=z, datestyle=s) for s in DATESTYLES for z in ZONES]
    assert t.compare(grid) >= stored * len(grid)


def _timestamptz(pair: tuple[str, str]) -> str:
    text, offset = pair
    bc = text.endswith(" BC")
    return text.removesuffix(" BC") + offset + (" BC" if bc else "")


datetime_row = st.fixed_dictionaries(
    {
        "d": st.integers(0, 2147483494).map(lambda jd: f"J{jd}"),  # a Julian day number
        "ts": timestamps,
        "tz": st.tuples(timestamps, tz_offsets).map(_timestamptz),
        "t": times,
        "ttz": st.tuples(times, tz_offsets).map(lambda p: p[0] + p[1]),
    }
)


def test_datestyles_random_values(pg_conn: Conn, table: Any) -> None:
    random_datestyles(table, RANDOM_FAST)


@pytest.mark.slow
def test_datestyles_random_values_more(pg_conn: Conn, table: Any) -> None:
    random_datestyles(table, RANDOM_SLOW)


def random_datestyles(table: Any, examples: int) -> None:
    @random_settings(examples)
    @given(rows=st.lists(datetime_row, min_size=1, max_size=10), zone=st.sampled_from(ZONES))
    def check(rows: list[dict[str, str]], zone: str) -> None:
        t = table({k: DATETIME_COLUMNS[k] for k in ("d", "ts", "tz", "t", "ttz")})
        for row in rows:
            t.insert(row)
        t.compare([OutputSettings(timezone=zone, datestyle=s) for s in DATESTYLES])

    check()


# ---- intervals -------------------------------------------------------------------------------

INTERVALS = [
    "0",
    "1 year",
    "-1 year",
    "1 mon",
    "-1 mon",
    "1 day",
    "-1 day",
    "1 second",
    "-1 second",
    "1.5 seconds",
    "-0.000001 seconds",
    "00:00:00.000001",
    "1 year 2 mons 3 days 04:05:06.789",
    "-1 year -2 mons -3 days -04:05:06.789",
    "-1 year -2 mons +3 days -04:05:06.5",
    "1 year -1 mon",
    "-1 mon 1 day",
    "1 mon -1 day",
    "1 day -1 second",
    "-1 day +1 second",
    "3 days ago",
    "100 hours",
    "-100 hours 30 minutes",
    "-5 minutes",
    "2 hours 1 second",
    "-178000000 years",
    "178000000 years",
    "2147483647 days 2562047788:00:54.775807",
    "-2147483648 days -2562047788:00:54.775807",
    "-178956970 years -8 mons -2147483648 days",
    "1 year 1 second",
    "-1 mons -1 second",
    "infinity",
    "-infinity",
]


def test_intervalstyles_edge_values(pg_conn: Conn, table: Any) -> None:
    t = table({"iv": "interval", "ivs": "interval[]"})
    stored = sum(t.insert({"iv": v}) for v in INTERVALS)
    t.insert({"ivs": '{"1 year -2 days",NULL,"-00:00:01",0}'})
    assert stored >= len(INTERVALS) - 2  # infinite intervals arrive in 17
    grid = [OutputSettings(intervalstyle=s) for s in INTERVAL_STYLES]
    assert t.compare(grid) >= (stored + 1) * len(grid)


intervals = st.tuples(
    st.integers(-(2**31), 2**31 - 1) | st.integers(-30, 30),
    st.integers(-(2**31), 2**31 - 1) | st.integers(-40, 40),
    st.integers(-(2**62), 2**62) | st.integers(-(10**8), 10**8) | st.just(0),
).map(lambda t: f"{t[0]} months {t[1]} days {t[2]} microseconds")


def test_intervalstyles_random_values(pg_conn: Conn, table: Any) -> None:
    random_intervalstyles(table, RANDOM_FAST)


@pytest.mark.slow
def test_intervalstyles_random_values_more(pg_conn: Conn, table: Any) -> None:
    random_intervalstyles(table, RANDOM_SLOW)


def random_intervalstyles(table: Any, examples: int) -> None:
    @random_settings(examples)
    @given(values=st.lists(intervals, min_size=1, max_size=15))
    def check(values: list[str]) -> None:
        t = table({"iv": "interval"})
        for v in values:
            t.insert({"iv": v})
        t.compare([OutputSettings(intervalstyle=s) for s in INTERVAL_STYLES])

    check()


# ---- floats ----------------------------------------------------------------------------------

FLOAT_COLUMNS = {
    "f8": "float8",
    "f4": "float4",
    "pt": "point",
    "bx": "box",
    "pa": "path",
    "ci": "circle",
    "ln": "line",
    "f8a": "float8[]",
    "f4a": "float4[]",
}

FLOAT8S = [
    "NaN",
    "Infinity",
    "-Infinity",
    "0",
    "-0",
    "4.9e-324",
    "-4.9e-324",
    "2.2250738585072009e-308",
    "2.2250738585072014e-308",
    "1.7976931348623157e308",
    "1e308",
    "1e-308",
    "1e100",
    "1e-100",
    "0.1",
    "0.30000000000000004",
    "1.5e-7",
    "0.0001",
    "0.00001",
    "123456789012345",
    "1234567890123456",
    "12345678901234567",
    "9007199254740993",
    "1e15",
    "1e16",
    "1e22",
    "3.141592653589793",
    "-2.718281828459045",
    "0.5",
    "9.5",
    "99999.95",
    "1.2345678901234567e-5",
]
FLOAT4S = [
    "NaN",
    "Infinity",
    "-Infinity",
    "0",
    "-0",
    "1.4e-45",
    "1.17549435e-38",
    "3.4028235e38",
    "0.1",
    "16777217",
    "1e10",
    "1e-7",
    "3.1415927",
    "-123456.79",
    "999999.94",
]


def float_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = [{"f8": v} for v in FLOAT8S]
    rows += [{"f4": v} for v in FLOAT4S]
    rows += [
        {"pt": "(0.1,-0)", "bx": "(1e100,NaN),(-Infinity,1.5e-7)"},
        {"pa": "[(0.30000000000000004,1e-308),(3.141592653589793,12345678901234567)]"},
        {"ci": "<(1e22,-0.5),2.2250738585072014e-308>", "ln": "{1.5,-0.1,1e300}"},
        {"f8a": "{0.1,NaN,-0,1e308,4.9e-324,NULL}", "f4a": "{0.1,NaN,-0,3.4028235e38}"},
    ]
    return rows


def test_extra_float_digits_edge_values(pg_conn: Conn, table: Any) -> None:
    t = table(FLOAT_COLUMNS)
    stored = sum(t.insert(row) for row in float_rows())
    assert stored == len(float_rows())
    grid = [OutputSettings(extra_float_digits=n) for n in range(-15, 4)]
    assert t.compare(grid) >= stored * len(grid)


float8_bits = st.integers(0, 2**64 - 1).map(
    lambda b: repr(__import__("struct").unpack("<d", b.to_bytes(8, "little"))[0])
)


def test_extra_float_digits_random_values(pg_conn: Conn, table: Any) -> None:
    random_extra_float_digits(table, RANDOM_FAST)


@pytest.mark.slow
def test_extra_float_digits_random_values_more(pg_conn: Conn, table: Any) -> None:
    random_extra_float_digits(table, RANDOM_SLOW)


def random_extra_float_digits(table: Any, examples: int) -> None:
    @random_settings(examples)
    @given(
        rows=st.lists(
            st.fixed_dictionaries(
                {
                    "f8": st.floats().map(repr) | float8_bits,
                    "f4": st.floats(width=32).map(repr),
                    "pt": st.tuples(st.floats(), st.floats()).map(lambda p: f"({p[0]!r},{p[1]!r})"),
                }
            ),
            min_size=1,
            max_size=12,
        )
    )
    def check(rows: list[dict[str, str]]) -> None:
        t = table({k: FLOAT_COLUMNS[k] for k in ("f8", "f4", "pt")})
        for row in rows:
            t.insert(row)
        t.compare([OutputSettings(extra_float_digits=n) for n in FLOAT_DIGITS])

    check()


# ---- export of a stopped cluster --------------------------------------------------------------

EXPORT_COLUMNS = (
    "id int4, d date, ts timestamp, tz timestamptz, iv interval, f8 float8, f4 float4, "
    "pt point, tza timestamptz[], ivs interval[], tzr tstzrange"
)
EXPORT_ROWS = """
INSERT INTO styled
SELECT g,
       '2000-01-01'::date + g * 997 - 800000,
       '2021-03-28 00:00'::timestamp + g * interval '37 minutes 1.25 seconds',
       '2021-10-31 00:00+00'::timestamptz + g * interval '13 minutes'
           - (g % 3) * interval '600 years',
       make_interval(g % 5 - 2, g % 7 - 3, 0, g % 11 - 5, g % 13 - 6, 0, (g - 20) * 1.125),
       (g - 20) * 1.1e30 / 3,
       ((g - 20) / 3.0)::float4,
       point(g / 7.0, -g * 1e-10),
       ARRAY['2021-03-28 01:30+00'::timestamptz + g * interval '1 hour', NULL],
       ARRAY[make_interval(0, 0, 0, -g), interval '0'],
       tstzrange('2021-03-28 00:00+00'::timestamptz + g * interval '20 minutes', NULL)
FROM generate_series(1, 40) g
"""


def _copy(conn: Conn, table: str) -> bytes:
    out = bytearray()
    with conn.cursor().copy(sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(table))) as cp:
        for chunk in cp:
            out += chunk
    return bytes(out)


def pgpage(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pageinspect_py.cli", *args], capture_output=True, check=False
    )


#: what the cluster's postgresql.conf sets
CONFIGURED = {
    "datestyle": "'Postgres, DMY'",
    "intervalstyle": "'sql_standard'",
    "extra_float_digits": "-3",
    "timezone": "'Europe/Paris'",
}
#: (DateStyle, IntervalStyle, extra_float_digits, TimeZone) set in a session over it, and given
#: to pgpage export as options; "SQL" alone keeps the configuration's DMY, as SET does
COMBOS = [
    ("SQL", "iso_8601", "0", "America/New_York"),
    ("German", "postgres_verbose", "-15", "Asia/Kathmandu"),
    ("ISO, YMD", "postgres", "3", "-3.5"),
    ("Postgres, MDY", "sql_standard", "-5", "UTC"),
]


def check_export(bindir: Path, combos: Sequence[tuple[str, str, str, str]]) -> None:
    """A cluster of ``bindir`` configured with CONFIGURED; its COPY under that configuration and
    under each of ``combos`` against ``pgpage export`` of its data directory once it is cleanly
    stopped (no options, then each combination's)."""
    cluster = pgcluster.Cluster(bindir, settings=CONFIGURED)
    cluster.start()
    try:
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE TABLE styled ({EXPORT_COLUMNS})")
            conn.execute(EXPORT_ROWS)
            configured = _copy(conn, "styled")
            expected = []
            for datestyle, intervalstyle, digits, zone in combos:
                conn.execute("RESET ALL")
                for name, value in (
                    ("DateStyle", datestyle),
                    ("IntervalStyle", intervalstyle),
                    ("extra_float_digits", digits),
                    ("TimeZone", zone),
                ):
                    conn.execute(
                        sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
                    )
                expected.append(_copy(conn, "styled"))
            conn.execute("CHECKPOINT")
            available = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'pageinspect'"
            ).fetchone()
            if available is not None:  # --dsn: the live session's settings, then the options
                conn.execute("CREATE EXTENSION pageinspect")
                live = ("export", "--dsn", cluster.dsn, "styled", "-q")
                out = pgpage(*live)
                assert out.returncode == 0, out.stderr.decode()
                assert out.stdout == configured, f"{cluster.major} --dsn"
                datestyle, intervalstyle, digits, zone = combos[0]
                out = pgpage(
                    *live,
                    *("--datestyle", datestyle, "--intervalstyle", intervalstyle),
                    *("--extra-float-digits", digits, "--timezone", zone),
                )
                assert out.stdout == expected[0], f"{cluster.major} --dsn {combos[0]}"
        cluster.stop_server()
        base = ("export", str(cluster.datadir), "--db", "postgres", "styled", "-q")
        out = pgpage(*base)
        assert out.returncode == 0, out.stderr.decode()
        assert out.stdout == configured, f"{cluster.major} {CONFIGURED}"
        for (datestyle, intervalstyle, digits, zone), copy in zip(combos, expected, strict=True):
            out = pgpage(
                *base,
                "--datestyle",
                datestyle,
                "--intervalstyle",
                intervalstyle,
                "--extra-float-digits",
                digits,
                "--timezone",
                zone,
            )
            assert out.returncode == 0, out.stderr.decode()
            assert out.stdout == copy, (
                f"{cluster.major} {datestyle} {intervalstyle} {digits} {zone}"
            )
            assert copy != configured
    finally:
        cluster.stop()


def test_export_equals_copy_under_other_styles(pg_cluster: pgcluster.Cluster) -> None:
    check_export(pg_cluster.bindir, COMBOS[:1])


@pytest.mark.slow
@pytest.mark.live
@pytest.mark.parametrize("major", range(12, 19))
def test_export_equals_copy_under_other_styles_every_major(major: int) -> None:
    """The same on every major found in $PGPAGE_PG_ROOT/<major>/bin or installed by the
    distribution (they need no pageinspect: export reads the stopped cluster's files), under
    every combination."""
    bindir = pgcluster.bindir_for_major(major)
    debian = pgcluster.debian_bindir()
    if bindir is None and debian is not None and f"/{major}/" in str(debian):
        bindir = debian  # the distribution's server, /usr/lib/postgresql/<major>/bin
    if bindir is None:
        pytest.skip(f"no PostgreSQL {major} in ${pgcluster.PG_ROOT_ENV}/{major}/bin")
    check_export(bindir, COMBOS)
