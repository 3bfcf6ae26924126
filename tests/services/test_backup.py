"""Backups during the day and their restore, through manage.py as an operator runs them (real processes, real files)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import manage
from bench.seed_synthetic import seed_contributions
from core.config import get_settings
from db.engine import build_engine, dispose_engines, session_scope
from services.backup import backup_sqlite, store_counts, store_in_use
from services.contributions import ContributionDraft, submit_from_device
from tests.test_manage import ROOT

WRITES = 150
WRITER = (
    "import sys\n"
    "from db.engine import session_scope\n"
    "from services.contributions import ContributionDraft, submit_from_device\n"
    "for i in range(int(sys.argv[1])):\n"
    "    with session_scope(write=True) as s:\n"
    "        submit_from_device(session=s, device_token='restore-device-%04d-abcdefghijklmnopqrstuvwxyz' % (i % 40),\n"
    "            draft=ContributionDraft(theme_id=1 + i % 5, body='Écrite pendant la sauvegarde, numéro %d.' % i,\n"
    "            idempotency_key='restore-%06d' % i))\n"
)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


Run = Callable[..., Result]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    """manage.py's own entry point, in this process (a process start costs seconds on a loaded machine)."""

    def call(db: Path, *args: str) -> Result:
        monkeypatch.setenv("ESS_DATABASE_URL", f"sqlite:///{db}")
        get_settings.cache_clear()
        capsys.readouterr()
        code = manage.main(list(args))
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    yield call
    dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def db(sqlite_url: str) -> Path:
    return Path(sqlite_url.removeprefix("sqlite:///"))


def integrity(path: Path) -> str:
    # closing(): a connection left open would hold the store "in use" and (rightly) block a restore.
    with closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def keys(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return [r[0] for r in conn.execute("SELECT idempotency_key FROM contribution ORDER BY id")]


@pytest.mark.slow  # concurrency: a hot backup while another process writes
def test_backup_under_write_load_restores_with_the_same_counts(db: Path, tmp_path: Path, run: Run) -> None:
    env = {**os.environ, "ESS_DATABASE_URL": f"sqlite:///{db}"}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(WRITES)], cwd=ROOT, env=env)
    try:
        # Wait for the writer to be under way, so the copy is taken in the middle of the writes.
        deadline = time.monotonic() + 120
        while not keys(db) and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        backup = tmp_path / "sauvegardes" / "ess-midi.db"
        made = run(db, "backup", str(backup))
        assert made.returncode == 0, made.stderr
        assert "intégrité : ok" in made.stdout
    finally:
        assert writer.wait(timeout=180) == 0
    assert integrity(backup) == "ok"
    copied = keys(backup)
    assert copied, "the backup was taken before the writer's first commit"
    # A consistent snapshot: a prefix of the writer's sequence, nothing torn, nothing twice.
    assert copied == [f"restore-{i:06d}" for i in range(len(copied))]
    saved = store_counts(backup)
    assert saved["contribution"] == len(copied)
    live = store_counts(db)
    assert live["contribution"] == WRITES

    # Restore into a fresh place (a new machine): same counts, and the app's migrate accepts it as is.
    fresh = tmp_path / "neuve" / "ess.db"
    restored = run(fresh, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "Base restaurée" in restored.stdout and "intégrité : ok" in restored.stdout
    assert store_counts(fresh) == saved and integrity(fresh) == "ok"
    assert run(fresh, "migrate").returncode == 0
    assert store_counts(fresh) == saved

    # Over the live store: refused without the explicit flag, nothing touched.
    refused = run(db, "restore", str(backup))
    assert refused.returncode == 1 and "--remplacer" in refused.stderr
    assert store_counts(db) == live
    # With it: the store holds the backup's rows, and the replaced store is kept beside it, whole.
    replaced = run(db, "restore", str(backup), "--remplacer")
    assert replaced.returncode == 0, replaced.stderr
    assert store_counts(db) == saved and keys(db) == copied and integrity(db) == "ok"
    (kept,) = db.parent.glob("ess-remplacee-*.db")
    assert f"gardée dans : {kept}" in replaced.stdout
    assert store_counts(kept) == live and integrity(kept) == "ok"


HOLDER = (
    "import sys\n"
    "from db.engine import session_scope\n"
    "from services.reference import list_themes\n"
    "with session_scope() as s:\n"
    "    list_themes(session=s)\n"
    "print('ready', flush=True)\n"
    "sys.stdin.readline()\n"
)


def test_restore_is_refused_while_the_app_has_the_store_open(db: Path, tmp_path: Path, run: Run) -> None:
    backup = tmp_path / "copie.db"
    assert run(db, "backup", str(backup)).returncode == 0
    env = {**os.environ, "ESS_DATABASE_URL": f"sqlite:///{db}"}
    # The app's own engine in another process, with a pooled connection open, as a served app has.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        assert store_in_use(db)
        refused = run(db, "restore", str(backup), "--remplacer")
        assert refused.returncode == 1 and "arrêtez-la" in refused.stderr
        assert not list(db.parent.glob("ess-remplacee-*.db"))
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    assert not store_in_use(db)
    assert run(db, "restore", str(backup), "--remplacer").returncode == 0


def test_a_damaged_backup_is_refused_and_the_store_left_alone(db: Path, tmp_path: Path, run: Run) -> None:
    before = store_counts(db)
    backup = tmp_path / "copie.db"
    assert run(db, "backup", str(backup)).returncode == 0
    damaged = tmp_path / "abimee.db"
    data = bytearray(backup.read_bytes())
    data[len(data) // 2 :] = b"\x00" * (len(data) - len(data) // 2)  # a copy cut short by a full USB key
    damaged.write_bytes(bytes(data))
    for bad in (damaged, tmp_path / "absente.db"):
        refused = run(db, "restore", str(bad), "--remplacer")
        assert refused.returncode == 1, refused.stdout
        assert refused.stderr.strip().count("\n") == 0 and "erreur" in refused.stderr
    assert store_counts(db) == before and integrity(db) == "ok"
    assert not list(db.parent.glob("ess-remplacee-*.db"))


# The old copy took 1 024 pages a step and SQLite restarts a step-wise copy whenever another connection
# writes between two steps: on a 200 MB store at 5 writes/s that is every time. 40 steps is ten times what
# this store needs in one pass at that step size, so a copy that restarts at every write cannot pass.
MAX_BACKUP_STEPS = 40
SEEDED = 10_000  # about 11 MB, 2 700 pages: several steps of the old copy


class _BackupDidNotFinish(Exception):
    pass


def test_backup_finishes_while_the_app_writes_between_its_steps(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup under steady writes through the app's own path completes, whole and consistent.

    Deterministic: each time SQLite's backup reports a step with pages still to copy, the step waits until
    the writer thread has committed one more contribution, which is what a steady 5 writes/s does to a
    200 MB store (the copy of it takes longer than 0.2 s). A copy that SQLite restarts at every write
    never ends: it is stopped after MAX_BACKUP_STEPS steps and the test fails.
    """
    engine = build_engine(f"sqlite:///{db}")
    seed_contributions(engine, SEEDED, visits=False)
    committed: list[str] = []
    progress = threading.Condition()
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            i = 0
            while not stop.is_set():
                key = f"pendant-{i:06d}"
                with session_scope(engine, write=True) as session:
                    submit_from_device(
                        session=session,
                        device_token=f"backup-device-{i % 40:04d}-abcdefghijklmnopqrstuvwxyz",
                        draft=ContributionDraft(
                            theme_id=1 + i % 5, body=f"Écrite pendant la sauvegarde, numéro {i}.", idempotency_key=key
                        ),
                    )
                with progress:
                    committed.append(key)
                    progress.notify_all()
                i += 1
                stop.wait(0.01)
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)
            with progress:
                progress.notify_all()

    steps: list[int] = []

    class StepObserved(sqlite3.Connection):
        """The source connection of the backup: a write lands between two steps of the copy."""

        def backup(self, target: sqlite3.Connection, **kwargs: Any) -> None:
            def between_steps(status: int, remaining: int, total: int) -> None:
                steps.append(remaining)
                if len(steps) > MAX_BACKUP_STEPS:
                    raise _BackupDidNotFinish(f"{len(steps)} étapes, copie recommencée à chaque écriture")
                if remaining:
                    with progress:
                        seen = len(committed)
                        # A safety net against a hung writer only; it is not a timing assertion.
                        progress.wait_for(lambda: len(committed) > seen or bool(failures), timeout=120)

            super().backup(target, **{**kwargs, "progress": between_steps})

    real_connect = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if kwargs.get("uri") and str(database).startswith(f"file:{db}?"):
            kwargs["factory"] = StepObserved
        connection: sqlite3.Connection = real_connect(database, *args, **kwargs)
        return connection

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        with progress:
            assert progress.wait_for(lambda: len(committed) >= 3 or bool(failures), timeout=120)
        monkeypatch.setattr(sqlite3, "connect", connect)
        destination = tmp_path / "sauvegardes" / "ess-midi.db"
        try:
            report = backup_sqlite(db, destination)
        finally:
            monkeypatch.undo()
            with progress:
                written_during = len(committed)
    finally:
        stop.set()
        thread.join(timeout=120)
        engine.dispose()
    assert not failures, failures
    assert steps, "the backup never went through SQLite's backup API"
    assert report.integrity == "ok" and integrity(destination) == "ok"
    assert not destination.with_name(destination.name + ".partial").exists()
    # A consistent snapshot: every seeded row, then a prefix of the writer's sequence, nothing torn.
    copied = [k for k in keys(destination) if k.startswith("pendant-")]
    assert copied == committed[: len(copied)] and len(copied) <= written_during
    assert report.contributions == store_counts(destination)["contribution"] >= SEEDED + len(copied)
    assert store_counts(db)["contribution"] >= report.contributions


def test_a_failed_backup_says_why_and_leaves_no_partial_file(tmp_path: Path, run: Run) -> None:
    not_a_store = tmp_path / "ess.db"
    not_a_store.write_bytes(b"ceci n'est pas une base SQLite " * 400)
    destination = tmp_path / "sauvegardes" / "ess-midi.db"
    failed = run(not_a_store, "backup", str(destination))
    assert failed.returncode == 1
    assert failed.stderr.startswith("manage.py: erreur : Sauvegarde impossible") and failed.stderr.count("\n") == 1
    assert list(destination.parent.iterdir()) == []
