"""Throwaway PostgreSQL clusters for the fixture script and the live tests.

A cluster lives in a temporary directory, listens only on a unix socket in that directory
(plus a free TCP port number, used for the socket's name), and is removed on ``stop()``.
``initdb`` refuses to run as root, so when this process is root the server runs as an
unprivileged user (``postgres`` when it exists, else ``nobody``) and the directory is
handed to that user.  Nothing here is imported by the package itself.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Where ``tools/make_fixtures.py`` and the live tests look for servers of other majors:
#: ``$PGPAGE_PG_ROOT/<major>/bin`` (as laid out by ``shared/pg/get-postgres.sh MAJOR DEST``).
PG_ROOT_ENV = "PGPAGE_PG_ROOT"
#: Colon-separated bin directories the live tests run against (default: ``pg_config --bindir``).
TEST_BINDIRS_ENV = "PGPAGE_TEST_BINDIRS"


class ClusterError(RuntimeError):
    """A throwaway cluster could not be created, started or stopped."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _server_user() -> str | None:
    """The user to run the server as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise ClusterError("running as root and no unprivileged user (postgres, nobody) exists")


def debian_bindir() -> Path | None:
    """The server bin directory of the distribution's PostgreSQL, if installed."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return debian[-1].parent if debian else None


def bindir_for_major(major: int) -> Path | None:
    """The bin directory of ``major`` under ``$PGPAGE_PG_ROOT`` (default /opt/pgpage-postgres)."""
    root = Path(os.environ.get(PG_ROOT_ENV, "/opt/pgpage-postgres"))
    candidate = root / str(major) / "bin"
    return candidate if (candidate / "postgres").exists() else None


def test_bindirs() -> list[Path]:
    """Bin directories the live tests should cover."""
    configured = os.environ.get(TEST_BINDIRS_ENV)
    if configured:
        return [Path(p) for p in configured.split(":") if p]
    found = debian_bindir()
    return [found] if found else []


@dataclass
class Cluster:
    """One throwaway cluster. Use as a context manager or call start()/stop()."""

    bindir: Path
    checksums: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    initdb_args: Sequence[str] = ()
    root: Path = field(init=False)
    port: int = field(init=False, default=0)
    user: str | None = field(init=False, default=None)
    major: int = field(init=False, default=0)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    @property
    def dsn(self) -> str:
        return f"host={self.socket_dir} port={self.port} user=postgres dbname=postgres"

    def _run(self, args: Sequence[str], **kw: object) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        env["TZ"] = "UTC"
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, **kw)  # type: ignore[call-overload]
        if proc.returncode != 0:
            raise ClusterError(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
            )
        return proc  # type: ignore[no-any-return]

    def start(self) -> Cluster:
        self.user = _server_user()
        self.root = Path(tempfile.mkdtemp(prefix="pgpage-cluster-"))
        self.root.chmod(0o755)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        args = [
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            *self.initdb_args,
        ]
        if self.checksums:
            args.append("--data-checksums")
        elif self._initdb_has_no_checksums():
            args.append("--no-data-checksums")
        self._run(args)
        self.major = int((self.datadir / "PG_VERSION").read_text().strip())
        conf = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "fsync": "off",
            "timezone": "'UTC'",
            "log_timezone": "'UTC'",
            "datestyle": "'ISO, MDY'",
            "max_connections": "20",
            "shared_buffers": "16MB",
            "autovacuum": "off",
            **self.settings,
        }
        with (self.datadir / "postgresql.conf").open("a") as f:
            for key, value in conf.items():
                f.write(f"{key} = {value}\n")
        self.port = _free_port()
        self._pg_ctl_start()
        return self

    def _initdb_has_no_checksums(self) -> bool:
        # PostgreSQL 18 turns data checksums on by default; ask for them off explicitly.
        out = subprocess.run(
            [str(self.bindir / "initdb"), "--help"], capture_output=True, text=True, check=False
        )
        return "--no-data-checksums" in out.stdout

    def _pg_ctl_start(self) -> None:
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port}",
                "-l",
                str(self.root / "server.log"),
                "start",
            ]
        )

    def restart(self) -> None:
        """Stop cleanly (every dirty buffer written) and start again."""
        self.stop_server()
        self._pg_ctl_start()

    def stop_server(self) -> None:
        self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", "-m", "fast", "stop"]
        )

    def stop(self) -> None:
        with contextlib.suppress(ClusterError):
            self.stop_server()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def cluster(bindir: Path, **kw: object) -> Iterator[Cluster]:
    c = Cluster(bindir, **kw)  # type: ignore[arg-type]
    c.start()
    try:
        yield c
    finally:
        c.stop()
