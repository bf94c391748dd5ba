"""`pgpage` in a shell: a closed pipe, Ctrl-C and a missing terminal, run as real processes.

A broken pipe ends quietly (no traceback, not the "problems found" code), Ctrl-C exits 130
without click's ``Aborted!``, and ``pgpage tui`` without a terminal refuses at once.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pageinspect_py import cli
from pageinspect_py.cli import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main

ROOT = Path(__file__).resolve().parent.parent
#: 160 blocks, ~7 MB of text: far more than a pipe buffer holds
MANY = ROOT / "fixtures" / "pg17" / "heap_many_blocks" / "16550.gz"
SMALL = ROOT / "fixtures" / "pg17" / "bt_multi" / "16506.gz"


def pgpage() -> list[str]:
    """The installed console script of this interpreter's environment (what a user runs)."""
    beside = Path(sys.executable).parent / "pgpage"
    found = str(beside) if beside.exists() else shutil.which("pgpage")
    if found is None:  # not installed: the same entry point, by hand
        return [sys.executable, "-c", "import sys; from pageinspect_py.cli import main; main()"]
    return [found]


def quiet(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr
    assert "Aborted!" not in stderr


def test_exit_codes_are_distinct() -> None:
    codes = [cli.EXIT_OK, cli.EXIT_PROBLEMS, cli.EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE]
    assert len(set(codes)) == len(codes)
    assert EXIT_INTERRUPTED == 128 + signal.SIGINT
    assert EXIT_BROKEN_PIPE == 128 + signal.SIGPIPE


def test_dump_into_head_ends_quietly() -> None:
    script = f'"$@" dump {MANY} | head -1; echo "rc=${{PIPESTATUS[0]}}" >&2'
    done = subprocess.run(
        ["bash", "-c", script, "bash", *pgpage()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout == "block 0 (main fork): heap page, 8192 bytes\n"
    quiet(done.stderr)
    assert done.stderr.strip().splitlines() == [f"rc={EXIT_BROKEN_PIPE}"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_reader_closing_the_pipe(fmt: str) -> None:
    proc = subprocess.Popen(
        [*pgpage(), "dump", str(MANY), "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) in (EXIT_OK, EXIT_BROKEN_PIPE)
    assert proc.returncode != cli.EXIT_PROBLEMS
    quiet(err)
    assert err == ""


def test_ctrl_c_exits_130() -> None:
    proc = subprocess.Popen(
        [*pgpage(), "dump", str(MANY)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith(b"block 0 ")  # running, soon blocked on the pipe
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_INTERRUPTED
    text = err.decode()
    quiet(text)
    assert len(text.splitlines()) <= 1
    assert len(out) < 1_000_000  # it stopped early: the whole dump is ~7 MB


def test_tui_without_a_terminal_refuses(tmp_path: Path) -> None:
    out = tmp_path / "screen"
    with out.open("w") as stdout:
        done = subprocess.run(
            [*pgpage(), "tui", str(SMALL)],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == EXIT_USAGE
    assert done.stderr == "pgpage: tui needs a terminal\n"
    assert out.read_text() == ""


def test_ctrl_c_in_any_command_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command added later gets the same ending, without declaring anything."""

    @click.command("sleeper")
    def sleeper() -> None:
        raise KeyboardInterrupt

    monkeypatch.setitem(main.commands, "sleeper", sleeper)
    result = CliRunner().invoke(main, ["sleeper"])
    assert result.exit_code == EXIT_INTERRUPTED
    assert "Aborted!" not in result.output
    assert result.stderr == "pgpage: interrupted\n"


def test_broken_pipe_in_any_command_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command("writer")
    def writer() -> None:
        raise BrokenPipeError

    monkeypatch.setitem(main.commands, "writer", writer)
    result = CliRunner().invoke(main, ["writer"])
    assert result.exit_code == EXIT_BROKEN_PIPE
    assert result.stderr == ""


def test_ctrl_c_during_a_dump_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from pageinspect_py.app import dump as app_dump

    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(app_dump, "dump_pages", interrupted)
    result = CliRunner().invoke(main, ["dump", str(SMALL)])
    assert result.exit_code == EXIT_INTERRUPTED
    assert "Aborted!" not in result.stderr
