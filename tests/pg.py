"""A throwaway PostgreSQL server for the test session (Debian's postgresql package, no mocks)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(
            "PostgreSQL introuvable : lancez `make test` (qui installe le paquet Debian `postgresql`) "
            "ou `sudo apt-get install -y postgresql`, ou donnez un serveur via ESS_TEST_PG_URL."
        )
    return found[-1]


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root; Debian's package provides the `postgres` system user.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Cluster:
    """A PostgreSQL cluster in a temporary folder that a test may stop and start again (same port, same data)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ess-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.log = self.root / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        initdb = [_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        subprocess.run(
            _as_postgres([*initdb, "--locale=C.UTF-8"]),
            check=True,
            capture_output=True,
        )

    @property
    def url(self) -> str:
        """Base URL, without a database name."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def start(self) -> None:
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root} "
            "-c max_connections=200"
        )
        subprocess.run(
            _as_postgres([_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "start"]),
            check=True,
            capture_output=True,
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast` disconnects every client, as a crash or a restart of the database server does."""
        stop = [_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]
        subprocess.run(_as_postgres(stop), capture_output=True)

    def remove(self) -> None:
        self.stop("immediate")
        time.sleep(0.2)
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def own_cluster() -> Iterator[Cluster]:
    """A started cluster of the caller's own (never ESS_TEST_PG_URL's: the caller may stop it)."""
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@contextlib.contextmanager
def running_server() -> Iterator[str]:
    """Yield a base URL (without database name) of a fresh server, stopped afterwards."""
    if url := os.environ.get("ESS_TEST_PG_URL"):
        yield url.rstrip("/")
        return
    with own_cluster() as cluster:
        yield cluster.url
