"""The session settings export prints values with: a data directory's postgresql.conf and
postgresql.auto.conf (the last setting winning, includes followed), or --timezone; the
server's COPY in the same TimeZone is the oracle. Settings whose output is not reproduced
are refused, so no export silently differs from COPY."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from datadir_support import MAJORS, extract, golden

from pageinspect_py.app.export import output_settings
from pageinspect_py.errors import SchemaError
from pageinspect_py.sources.datadir.config import read_settings

pytestmark = pytest.mark.skipif(not MAJORS, reason="no fixtures/datadir")
MAJOR = MAJORS[-1] if MAJORS else 0


def export(root: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pageinspect_py.cli",
            "export",
            str(root),
            "--db",
            "shop",
            "sales.orders",
            "-q",
            *extra,
        ],
        capture_output=True,
        check=False,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return extract(MAJOR, tmp_path_factory.mktemp("settings"))


def test_timezone_from_postgresql_auto_conf(copy: Path) -> None:
    zones = golden(MAJOR)["copy_timezones"]
    auto = copy / "postgresql.auto.conf"
    original = auto.read_text()
    try:
        for zone, expected in zones.items():
            auto.write_text(original + f"timezone = '{zone}'\n")
            out = export(copy)
            assert out.returncode == 0, out.stderr.decode()
            assert out.stdout.decode() == expected, zone
    finally:
        auto.write_text(original)


def test_timezone_option_and_includes(copy: Path, tmp_path: Path) -> None:
    zones = golden(MAJOR)["copy_timezones"]
    out = export(copy, "--timezone", "Asia/Kathmandu")
    assert out.returncode == 0 and out.stdout.decode() == zones["Asia/Kathmandu"]
    (tmp_path / "extra.conf").write_text("TimeZone = 'Asia/Kolkata'  # from an include\n")
    conf = copy / "postgresql.conf"
    original = conf.read_text()
    try:
        conf.write_text(original + f"include '{tmp_path / 'extra.conf'}'\n")
        assert read_settings(copy)["timezone"] == "Asia/Kolkata"
        out = export(copy)
        assert out.stdout.decode() == zones["Asia/Kolkata"]
    finally:
        conf.write_text(original)


def test_the_fixtures_own_settings_give_the_golden_copy(copy: Path) -> None:
    assert read_settings(copy)["timezone"] == "UTC"
    assert export(copy).stdout.decode() == golden(MAJOR)["copy"]["sales.orders"]


@pytest.mark.parametrize(
    ("gucs", "message"),
    [
        ({"datestyle": "SQL, DMY"}, "DateStyle 'SQL, DMY'"),
        ({"intervalstyle": "iso_8601"}, "IntervalStyle 'iso_8601'"),
        ({"extra_float_digits": "0"}, "extra_float_digits '0'"),
        ({"timezone": "Mars/Olympus_Mons"}, "TimeZone 'Mars/Olympus_Mons'"),
    ],
)
def test_settings_not_reproduced_are_refused(gucs: dict[str, str], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        output_settings(gucs)
    assert output_settings({"datestyle": "ISO, DMY", "timezone": "GMT"}).is_utc


def test_an_unsupported_datestyle_is_one_line_and_datestyle_iso_overrides(copy: Path) -> None:
    auto = copy / "postgresql.auto.conf"
    original = auto.read_text()
    try:
        auto.write_text(original + "datestyle = 'German, DMY'\n")
        out = export(copy)
        assert out.returncode == 2
        err = out.stderr.decode()
        assert "DateStyle 'German, DMY'" in err and err.count("\n") == 1
        assert export(copy, "--datestyle", "ISO").returncode == 0
    finally:
        auto.write_text(original)
