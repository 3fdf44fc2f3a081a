"""A throwaway PostgreSQL server for tests and benchmarks.

    with postgres_server() as server:
        url = server.url(server.create_database())

starts a private cluster in a temporary folder (``initdb``, trust authentication, listening on
a free port of 127.0.0.1 only, its Unix socket in that folder), and stops and deletes it at the
end. When running as root the cluster runs as the ``postgres`` system user, as PostgreSQL
refuses to run as root. Needs Debian's (or any) PostgreSQL server binaries:
``apt-get install postgresql``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "postgres"


class PostgresMissing(RuntimeError):
    pass


def find_bindir() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``."""
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if found.returncode == 0:
            candidates.append(Path(found.stdout.strip()))

    def version(path: str) -> tuple[int, ...]:
        number = Path(path).parent.name
        return tuple(int(part) for part in number.split(".") if part.isdigit())

    candidates += [
        Path(p).parent
        for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=version, reverse=True)
    ]
    for bindir in candidates:
        if all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise PostgresMissing(
        "the PostgreSQL tests need a PostgreSQL server installed (initdb, pg_ctl, postgres): "
        "apt-get install postgresql (.ci/run does this)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One running throwaway cluster. Use :func:`postgres_server` to get one."""

    def __init__(self, folder: Path, bindir: Path) -> None:
        self.folder, self.bindir = folder, bindir
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.host, self.port = "127.0.0.1", 0
        self._as_root = os.geteuid() == 0
        self._run([bindir / "initdb", "-D", self.data, "-U", SUPERUSER, "-A", "trust",
                   "-E", "UTF8", "--no-locale", "--no-sync"])  # fmt: skip
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{folder}'",
            "max_connections": "200",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _run(self, command: list, **kwargs: object) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(part) for part in command],
            user=SUPERUSER if self._as_root else None,
            capture_output=True,
            text=True,
            cwd=self.folder,
            **kwargs,  # type: ignore[arg-type]
        )
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{command[0]} failed ({result.returncode}):\n{result.stdout}{result.stderr}{log}"
            )
        return result

    def start(self) -> None:
        """Start the server (again), on the port it had before if it has run already."""
        for _attempt in range(3):
            port = self.port or _free_port()
            try:
                self._run([self.bindir / "pg_ctl", "start", "-D", self.data, "-l", self.log,
                           "-w", "-t", "60", "-o", f"-p {port}"])  # fmt: skip
            except RuntimeError:
                if self.port:  # a restart must keep its port
                    raise
                continue  # the free port was taken meanwhile: try another
            self.port = port
            return
        raise RuntimeError(f"PostgreSQL did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        self._run([self.bindir / "pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w"])

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url(), autocommit=True)

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database; returns its name."""
        name = name or f"test_{uuid.uuid4().hex[:12]}"
        with self.admin() as conn:
            create = sql.SQL("CREATE DATABASE {} TEMPLATE template0")
            conn.execute(create.format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Delete a database, disconnecting whoever is still connected to it."""
        with self.admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A running throwaway PostgreSQL server with PostgreSQL's default settings (``fsync`` and
    ``synchronous_commit`` on), stopped and deleted at the end."""
    bindir = find_bindir()
    folder = Path(tempfile.mkdtemp(prefix="peerkit-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, SUPERUSER, SUPERUSER)
        server = PostgresServer(folder, bindir)
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(RuntimeError):  # already stopped
                server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
