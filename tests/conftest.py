"""Shared fixtures: throwaway PostgreSQL clusters for the live tests.

A test that asks for ``pg_cluster`` (directly or through another fixture) runs once per server
bin directory from :func:`pgcluster.test_bindirs` (``$PGPAGE_TEST_BINDIRS``, colon-separated,
else ``pg_config --bindir``), is marked ``live``, and is counted in the terminal summary line
that says which server versions the live tests covered. Clusters start lazily, the first time
a test needs them, and nothing connects at import time.

Without any server binaries the live tests are skipped, except under CI (``$CI`` set), where
they fail: CI must not pass without having run them.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pgcluster
import psycopg
import pytest
from psycopg import sql
from psycopg.rows import TupleRow

LIVE_FIXTURE = "pg_cluster"
#: Created in every cluster when the server ships them; pageinspect is required.
OPTIONAL_EXTENSIONS = ("pg_visibility", "pgstattuple", "amcheck")
NO_SERVER_REASON = (
    "no PostgreSQL server binaries found: install PostgreSQL (pg_config --bindir) or set "
    f"{pgcluster.TEST_BINDIRS_ENV} to colon-separated bin directories"
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@functools.cache
def _bindirs() -> tuple[Path, ...]:
    return tuple(pgcluster.test_bindirs())


@functools.cache
def _label(bindir: Path) -> str:
    """``pg15`` for a bin directory whose ``postgres --version`` says 15.x."""
    try:
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        ).stdout
    except OSError:
        out = ""
    found = re.search(r"\(PostgreSQL\) (\d+)", out)
    return f"pg{found.group(1)}" if found else f"pg-{bindir.parent.name}"


@dataclass
class _Coverage:
    """What the live tests ran against, for the terminal summary."""

    #: bin directory -> server version string, for each cluster that started
    servers: dict[str, str] = field(default_factory=dict)
    #: test node id -> bin directory (None: no server binaries)
    items: dict[str, str | None] = field(default_factory=dict)


_COVERAGE = pytest.StashKey[_Coverage]()


def _coverage(config: pytest.Config) -> _Coverage:
    return config.stash.setdefault(_COVERAGE, _Coverage())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One instance of each live test per server bin directory."""
    if LIVE_FIXTURE not in metafunc.fixturenames:
        return
    bindirs = _bindirs()
    if bindirs:
        params: list[Path | None] = list(bindirs)
        ids = [_label(b) for b in bindirs]
    else:
        params, ids = [None], ["no-server"]
    metafunc.parametrize(LIVE_FIXTURE, params, ids=ids, indirect=True, scope="session")


# ----------------------------------------------------------------------------------------------
# the ``slow`` marker: ``pytest -m "not slow"`` is the inner loop (about a minute on 2 cores);
# ``pytest`` alone (CI) runs everything. Slow tests are named here, by file and test name, so
# that no test file has to carry the marker (and a new test is fast until it is listed).

#: fixture sweeps (tests parametrized by ``pgNN/relation``) run on these majors in the inner
#: loop and on every major in the full run
INNER_LOOP_MAJORS = frozenset({"pg18"})
_FIXTURE_PARAM = re.compile(r"(?:^|[\[\-])(pg\d+)/")

#: whole files that are slow (none today: live files are caught by their fixture)
SLOW_FILES: dict[str, str] = {}

_HYPOTHESIS = "a big hypothesis run"
_PERMUTATIONS = "every permutation of the columns, against the optimiser"
_SUBPROCESSES = "runs pgpage in several processes"
_TUI = "a long TUI session"
#: single tests (``file::test``, parameters left out) that are slow. Measured on 2 cores
#: (CPU seconds, the whole suite ~600): the inner loop keeps ~120 of them.
SLOW_TESTS: dict[str, str] = {
    "test_kernel.py::test_chunk_fills_on_near_valid_pages": _HYPOTHESIS + " (14 s)",
    "test_kernel.py::test_classify_is_sound_on_near_valid_pages": _HYPOTHESIS + " (12 s)",
    "test_btree_properties.py::test_mutated_btree_pages_decode": _HYPOTHESIS + " (13 s)",
    "test_btree_properties.py::test_indexes_with_a_damaged_page_scan_and_report": (
        _HYPOTHESIS + " (5 s)"
    ),
    "test_btree_bulk.py::test_damaged_pages_are_left_to_the_decoder": _HYPOTHESIS + " (5 s)",
    "test_defects_bounds.py::test_array_datums_print_bounded_or_raise_datum_error": (
        _HYPOTHESIS + " (10 s)"
    ),
    "test_defects_bounds.py::test_fsm_pages_of_any_size_decode_without_raising": (
        _HYPOTHESIS + " (5 s)"
    ),
    "test_pagefill.py::test_mutated_pages_never_raise_and_still_agree": _HYPOTHESIS + " (6 s)",
    "test_values_properties.py::test_any_bytes_decode_without_raising": _HYPOTHESIS + " (5 s)",
    "test_values_properties.py::test_output_functions_raise_only_datum_error": (
        _HYPOTHESIS + " (5 s)"
    ),
    "test_advice_toaster.py::test_a_row_said_to_come_out_the_same_in_an_order_does": (
        _HYPOTHESIS + " (6 s)"
    ),
    "test_advice_toaster.py::test_the_replay_is_the_plain_transcription": _HYPOTHESIS + " (6 s)",
    "test_advice_offline.py::test_no_permutation_beats_the_recommendation": (
        _PERMUTATIONS + " (9 s)"
    ),
    "test_advice_search.py::test_never_beaten_by_any_permutation": _PERMUTATIONS + " (8 s)",
    "test_advice_search.py::test_stages_are_respected_and_optimal_within_them": (
        _PERMUTATIONS + " (3 s)"
    ),
    "test_fill_bytes.py::test_padding_inside_index_items_is_coloured_as_data": (
        "every btree fixture page of every major (12 s)"
    ),
    "test_btree_find.py::test_find_reads_the_path_and_returns_pageinspects_tids": (
        "a fixture sweep over every major (7 s)"
    ),
    "test_tui_pilot.py::test_toast_pointer_chunks_and_value": "four TUI sessions (11 s)",
    "test_tui_cli_agree.py::test_layout_screen_shows_layout_advices_pages": (
        "a TUI session and a layout-advice run (5 s)"
    ),
    "test_check_scan.py::test_cli_output_is_identical_for_any_jobs": _SUBPROCESSES + " (7 s)",
    "test_check_scan.py::test_jobs_change_nothing_but_speed": _SUBPROCESSES + " (3 s)",
    # long TUI sessions (wall seconds on 2 cores; the shorter Pilot tests and snapshots stay)
    "test_tui_pilot.py::test_page_navigation_jump_and_find": _TUI + " (7 s)",
    "test_tui_pilot.py::test_help_palette_and_quit": _TUI + " (6 s)",
    "test_tui_pilot.py::test_items_tuple_and_problems_tabs": _TUI + " (4 s)",
    "test_tui_pilot.py::test_btree_posting_lists_and_dead_items_are_marked": _TUI + " (4 s)",
    "test_tui_pilot.py::test_page_screen_links_tree_and_hex_both_ways": _TUI + " (4 s)",
    "test_tui_pilot.py::test_view_toggle_hex_from_the_palette": _TUI + " (4 s)",
    "test_tui_pilot.py::test_btree_descend_back_siblings_leftmost_and_levels": _TUI + " (3 s)",
    "test_tui_snapshots.py::test_page_screen_tuple_tab_with_values": _TUI + " (3 s)",
    "test_tui_snapshots.py::test_page_screen_tuple_selected": _TUI + " (3 s)",
    "test_tui_snapshots.py::test_toast_screen": _TUI + " (3 s)",
    "test_defects_bounds.py::test_tsvector_text_is_in_proportion_to_its_bytes": (
        _HYPOTHESIS + " (3 s)"
    ),
    "test_properties.py::test_mutated_real_pages": _HYPOTHESIS + " (3 s)",
    "test_compression.py::test_mutated_compressed_input_ends_in_error_or_declared_size": (
        _HYPOTHESIS + " (3 s)"
    ),
    "test_advice_search.py::test_hundred_columns_in_a_couple_of_seconds": (
        "a timing test of the search on 100 columns (3 s)"
    ),
    "test_advice_search.py::test_pinned_columns_stay_first_and_the_rest_is_optimal": (
        _PERMUTATIONS + " (3 s)"
    ),
    "test_layers.py::test_the_inner_loop_leaves_out_live_tests_other_majors_and_listed_tests": (
        "collects part of the suite twice (10 s)"
    ),
}


def slow_reason(item: pytest.Item) -> str | None:
    """Why ``item`` is left out of the inner loop, or None when it runs there."""
    if LIVE_FIXTURE in getattr(item, "fixturenames", ()):
        return "starts a PostgreSQL cluster"
    file = item.path.name
    if file in SLOW_FILES:
        return SLOW_FILES[file]
    name = f"{file}::{getattr(item, 'originalname', item.name)}"
    if name in SLOW_TESTS:
        return SLOW_TESTS[name]
    found = _FIXTURE_PARAM.search(item.name)
    if found is not None and found.group(1) not in INNER_LOOP_MAJORS:
        return f"a fixture sweep; the inner loop covers {', '.join(sorted(INNER_LOOP_MAJORS))}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests ``slow``; mark every test that uses a cluster ``live`` and remember
    which server it targets."""
    for item in items:
        if slow_reason(item) is not None:
            item.add_marker(pytest.mark.slow)
    coverage = _coverage(config)
    for item in items:
        if LIVE_FIXTURE not in getattr(item, "fixturenames", ()):
            continue
        item.add_marker(pytest.mark.live)
        callspec = getattr(item, "callspec", None)
        bindir = callspec.params.get(LIVE_FIXTURE) if callspec is not None else None
        coverage.items[item.nodeid] = str(bindir) if bindir is not None else None


@pytest.fixture(scope="session")
def pg_cluster(request: pytest.FixtureRequest) -> Iterator[pgcluster.Cluster]:
    """A running throwaway cluster (superuser ``postgres``, database ``postgres``, trust auth)
    with pageinspect installed, plus pg_visibility, pgstattuple and amcheck where available."""
    bindir: Path | None = request.param
    if bindir is None:
        if _in_ci():
            pytest.fail(f"CI must run the live tests, but {NO_SERVER_REASON}", pytrace=False)
        pytest.skip(NO_SERVER_REASON)
    cluster = pgcluster.Cluster(bindir)
    try:
        cluster.start()
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            available = {row[0] for row in conn.execute("SELECT name FROM pg_available_extensions")}
            if "pageinspect" not in available:
                pytest.fail(f"{bindir}: the server has no pageinspect extension", pytrace=False)
            for name in ("pageinspect", *OPTIONAL_EXTENSIONS):
                if name in available:
                    conn.execute(sql.SQL("CREATE EXTENSION {}").format(sql.Identifier(name)))
            version = conn.execute("SHOW server_version").fetchone()
        _coverage(request.config).servers[str(bindir)] = str(version[0] if version else "?")
        yield cluster
    finally:
        if getattr(cluster, "root", None) is not None:  # start() got as far as a directory
            cluster.stop()


@pytest.fixture
def pg_conn(pg_cluster: pgcluster.Cluster) -> Iterator[psycopg.Connection[TupleRow]]:
    """An autocommit superuser session on ``pg_cluster``'s database ``postgres``."""
    with psycopg.connect(pg_cluster.dsn, autocommit=True) as conn:
        yield conn


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """One line saying which server versions the live tests ran against, and how they did."""
    coverage = _coverage(config)
    if not coverage.items or config.option.collectonly:
        return
    tallies: dict[str | None, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", None)
            if nodeid not in coverage.items:
                continue
            when = getattr(report, "when", "call")
            if outcome == "passed" and when != "call":
                continue
            counts = tallies.setdefault(coverage.items[nodeid], {})
            counts[outcome] = counts.get(outcome, 0) + 1
    parts = []
    for bindir, counts in tallies.items():
        summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
        if bindir is None:
            parts.append(f"no server ({summary})")
        elif bindir in coverage.servers:
            parts.append(f"PostgreSQL {coverage.servers[bindir]} ({summary})")
        else:
            parts.append(f"{bindir}: did not start ({summary})")
    if parts:
        terminalreporter.write_line("live tests covered: " + "; ".join(sorted(parts)))
    else:
        terminalreporter.write_line("live tests covered: none ran")


@pytest.fixture(scope="session")
def datadir_copies(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """Extracted data-directory fixtures, one read-only copy per major for the session."""
    from datadir_support import extract

    root = tmp_path_factory.mktemp("datadir")
    done: dict[int, Path] = {}

    def get(major: int) -> Path:
        if major not in done:
            done[major] = extract(major, root)
        return done[major]

    return get
