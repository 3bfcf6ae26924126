"""Shared fixtures: real SQLite files and a real PostgreSQL server, built from the real migrations."""

from __future__ import annotations

import functools
import io
import os
import shutil
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from streamlit.components.v2 import manifest_scanner

# The app reads settings from the environment: give the test run its own key and no real DB.
os.environ.setdefault("ESS_COOKIE_KEY", "test-cookie-key-" + "x" * 40)
# No background embedding thread in tests: the ones that need vectors compute them (services.semantics).
os.environ.setdefault("ESS_EMBED_IN_BACKGROUND", "0")

from core.config import get_settings
from db.engine import build_engine, dispose_engines
from services.bootstrap import prepare_store
from tests.pg import running_server

# Every new AppTest scans the metadata of every installed distribution for Streamlit components (measured: 0,5 s
# per AppTest here, more than half of a page test). The installed packages do not change during a test run:
# scan once per process. (A real server scans once at start; this only spares the test harness.)
manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


@pytest.fixture(autouse=True)
def cheap_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts made inside the test process hash at bcrypt cost 4, not 12 (0.25 s each on this machine).

    What is tested is who may log in and when, not bcrypt's cost; `real_bcrypt` tests keep the real one
    (and tests/services/test_auth.py pins it). Accounts made through manage.py in a subprocess keep it too.
    """
    if request.node.get_closest_marker("real_bcrypt") is None:
        from services.auth import passwords

        monkeypatch.setattr(passwords, "BCRYPT_ROUNDS", 4)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store migrated with Alembic and loaded with the reference data, copied by each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = build_engine(f"sqlite:///{path}")
    prepare_store(engine)
    engine.dispose()
    return path


def copy_sqlite(template: Path, dest: Path) -> None:
    """A copy of a SQLite store. A closed one (no write-ahead log beside it, as the templates are once their engine
    is disposed) is copied as a file, in a millisecond; an open one through SQLite's backup API (20 ms)."""
    if not template.with_name(template.name + "-wal").exists():
        shutil.copyfile(template, dest)
        return
    src = sqlite3.connect(template)
    dst = sqlite3.connect(dest)
    src.backup(dst)
    dst.close()
    src.close()


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    dest = tmp_path / "ess.db"
    copy_sqlite(sqlite_template, dest)
    return f"sqlite:///{dest}"


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = build_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_base_url() -> Iterator[str]:
    with running_server() as url:
        admin = create_engine(f"{url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS ess_template"))
            conn.execute(text("CREATE DATABASE ess_template"))
        admin.dispose()
        engine = build_engine(f"{url}/ess_template")
        prepare_store(engine)
        engine.dispose()
        yield url


@pytest.fixture
def pg_engine(pg_base_url: str) -> Iterator[Engine]:
    """A fresh database cloned from the migrated template, dropped after the test."""
    name = f"ess_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{pg_base_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE ess_template'))
    engine = build_engine(f"{pg_base_url}/{name}")
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_engine(request: pytest.FixtureRequest) -> Engine:
    """The same store test, once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    engine: Engine = request.getfixturevalue(fixture)
    return engine


@pytest.fixture
def app_env(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the app (settings, engine cache, Streamlit caches) at this test's own SQLite store."""
    import streamlit as st

    monkeypatch.setenv("ESS_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    dispose_engines()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield sqlite_url
    st.cache_data.clear()
    st.cache_resource.clear()
    dispose_engines()
    get_settings.cache_clear()


@dataclass
class CliResult:
    """What a `manage.py` run left: its exit code and what it printed (as subprocess.CompletedProcess names them)."""

    returncode: int
    stdout: str
    stderr: str


Cli = Callable[..., CliResult]


@pytest.fixture
def manage_in_process(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    """`manage.py ARGS` on a SQLite file through manage.main() in this process, for a command's variations.

    Each command keeps one journey in a real process (tests/test_manage.py's `run`: the interpreter, the
    imports, the exit code, stdin and stdout as an operator has them); its other cases run here, where a
    process start (one to three seconds on a loaded machine) and bcrypt's production cost (accounts hash at
    cost 4 here, see cheap_password_hashes) are not what is tested.
    """
    import manage  # the CLI module, only for the tests that run it

    def call(db: Path, *args: str, stdin: str | None = None) -> CliResult:
        monkeypatch.setenv("ESS_DATABASE_URL", f"sqlite:///{db}")
        get_settings.cache_clear()
        dispose_engines()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        capsys.readouterr()
        try:
            code = manage.main(list(args))
        except SystemExit as exc:  # argparse's own exit on a bad command line, as the process would end
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        dispose_engines()  # the store's file closed, as when the process ends
        return CliResult(code, out.out, out.err)

    yield call
    dispose_engines()
    get_settings.cache_clear()
