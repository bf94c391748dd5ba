"""The session settings export prints values with: a data directory's postgresql.conf and
postgresql.auto.conf (the last setting winning, includes followed), or --timezone; the
server's COPY in the same TimeZone is the oracle. DateStyle, IntervalStyle and
extra_float_digits are read as the server reads them, and a value it would reject is refused
with one line (the text of every style is compared with a server in test_output_styles_live)."""

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
        ({"datestyle": "SQL, ISO"}, 'conflicting "DateStyle" specifications'),
        ({"datestyle": "ISO, DMY, YMD"}, 'conflicting "DateStyle" specifications'),
        ({"datestyle": "Klingon"}, 'unrecognized key word: "Klingon"'),
        ({"intervalstyle": "iso8601"}, "IntervalStyle"),
        ({"extra_float_digits": "4"}, "extra_float_digits '4' is outside the valid range"),
        ({"extra_float_digits": "-16"}, "extra_float_digits '-16' is outside the valid range"),
        ({"extra_float_digits": "two"}, "extra_float_digits"),
        ({"timezone": "Mars/Olympus_Mons"}, "TimeZone 'Mars/Olympus_Mons'"),
    ],
)
def test_settings_the_server_rejects_are_refused(gucs: dict[str, str], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        output_settings(gucs)


def test_settings_are_read_as_the_server_reads_them() -> None:
    """check_datestyle's canonical form (German implies DMY, an order alone keeps the style,
    an option applies over the configuration as SET does), the enum and integer GUCs."""
    assert output_settings({"datestyle": "ISO, DMY", "timezone": "GMT"}).is_utc
    assert output_settings({}).datestyle == "ISO, MDY"
    assert output_settings({"datestyle": "sql, dmy"}).datestyle == "SQL, DMY"
    assert output_settings({"datestyle": "German"}).datestyle == "German, DMY"
    assert output_settings({"datestyle": "euro"}).datestyle == "ISO, DMY"
    assert output_settings({"datestyle": "postgres, ymd"}).datestyle == "Postgres, YMD"
    over = output_settings({"datestyle": "SQL, DMY"}, datestyle="YMD")
    assert over.datestyle == "SQL, YMD" and over.date_style == "SQL" and over.date_order == "YMD"
    assert output_settings({"datestyle": "SQL, DMY"}, datestyle="DEFAULT").datestyle == "SQL, DMY"
    assert output_settings({"intervalstyle": "ISO_8601"}).intervalstyle == "iso_8601"
    assert output_settings({"extra_float_digits": "0"}).extra_float_digits == 0
    assert (
        output_settings({"extra_float_digits": "3"}, extra_float_digits="-15").extra_float_digits
        == -15
    )
    assert output_settings({}).extra_float_digits == 1
    assert output_settings({"timezone": "europe/paris"}).timezone == "europe/paris"
    assert output_settings({"timezone": "5.5"}).timezone == "5.5"


def test_other_styles_export_and_the_options_override_them(copy: Path) -> None:
    """The configuration's German DateStyle, iso_8601 and extra_float_digits 0 are exported
    (their text is compared with the server's COPY in test_output_styles_live); the options
    set them back to the fixture's, whose COPY is the oracle here."""
    auto = copy / "postgresql.auto.conf"
    original = auto.read_text()
    golden_copy = golden(MAJOR)["copy"]["sales.orders"]
    try:
        auto.write_text(
            original + "datestyle = 'German, DMY'\nintervalstyle = 'iso_8601'\n"
            "extra_float_digits = 0\n"
        )
        out = export(copy)
        assert out.returncode == 0, out.stderr.decode()
        assert out.stdout.decode() != golden_copy
        back = export(
            copy, "--datestyle", "ISO", "--intervalstyle", "postgres", "--extra-float-digits", "1"
        )
        assert back.returncode == 0, back.stderr.decode()
        assert back.stdout.decode() == golden_copy
    finally:
        auto.write_text(original)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--datestyle", "ISO, SQL"), "DateStyle"),
        (("--intervalstyle", "verbose"), "IntervalStyle"),
        (("--extra-float-digits", "4"), "extra_float_digits"),
    ],
)
def test_a_setting_the_server_rejects_is_one_line(
    copy: Path, args: tuple[str, ...], message: str
) -> None:
    out = export(copy, *args)
    assert out.returncode == 2
    err = out.stderr.decode()
    assert message in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_a_rejected_datestyle_in_the_configuration_is_one_line(copy: Path) -> None:
    auto = copy / "postgresql.auto.conf"
    original = auto.read_text()
    try:
        auto.write_text(original + "datestyle = 'Klingon, DMY'\n")
        out = export(copy)
        assert out.returncode == 2
        err = out.stderr.decode()
        assert "DateStyle" in err and "Klingon" in err and err.count("\n") == 1
        assert export(copy, "--datestyle", "ISO").returncode == 2  # SET applies over it
    finally:
        auto.write_text(original)
