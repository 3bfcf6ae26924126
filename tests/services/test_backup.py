"""Backups during the day and their restore, through manage.py as an operator runs them (real processes, real files)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

import manage
from core.config import get_settings
from db.engine import dispose_engines
from services.backup import store_counts, store_in_use
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
