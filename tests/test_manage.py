"""The command line, run as a user would: a real process on a real SQLite file.

Each command has one journey in a real process (`run`); its other cases go through manage.main() in this
process (`cli`, tests/conftest.py's manage_in_process): same parser, same commands, same store file.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import Cli, copy_sqlite

ROOT = Path(__file__).resolve().parents[1]


def run(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ESS_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    """A store made by `manage.py migrate` itself, for the tests about that command."""
    path = tmp_path / "ess.db"
    result = run(path, "migrate")
    assert result.returncode == 0, result.stderr
    assert "Schéma à jour" in result.stdout
    return path


@pytest.fixture
def db(sqlite_template: Path, tmp_path: Path) -> Path:
    """A migrated store: the suite's template (what `manage.py migrate` writes: schema and reference data),
    copied, so that each test starts only the processes of the commands it is about."""
    path = tmp_path / "ess.db"
    copy_sqlite(sqlite_template, path)
    return path


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_migrate_twice_adds_nothing_the_second_time(migrated: Path, manage_in_process: Cli) -> None:
    again = manage_in_process(migrated, "migrate")  # the first, in a real process: the `migrated` fixture
    assert again.returncode == 0 and "rien de nouveau" in again.stdout
    assert count(migrated, "SELECT count(*) FROM theme") == 5
    assert count(migrated, "SELECT count(*) FROM question") > 0


def test_create_user_from_stdin_then_refuse_a_duplicate(db: Path, manage_in_process: Cli) -> None:
    ok = run(
        db,
        "create-user",
        "anne",
        "--role",
        "staff",
        "--password-stdin",
        "--name",
        "Anne",
        "--email",
        "anne@example.org",
        stdin="un-mot-de-passe-long\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert count(db, "SELECT count(*) FROM staffuser WHERE username='anne' AND role='staff'") == 1
    dup = manage_in_process(
        db, "create-user", "anne", "--role", "staff", "--password-stdin", stdin="un-mot-de-passe-long\n"
    )
    assert dup.returncode == 1
    assert dup.stderr.strip().count("\n") == 0 and "existe déjà" in dup.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("create-user", "bob", "--role", "chef", "--password-stdin"),
        ("create-user", "--role", "staff"),
        ("inconnue",),
        ("backup",),
    ],
)
def test_bad_arguments_give_one_line_and_a_non_zero_exit(
    db: Path, args: tuple[str, ...], manage_in_process: Cli
) -> None:
    result = manage_in_process(db, *args, stdin="")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "erreur" in result.stderr


def test_weak_password_is_refused_in_french(db: Path, manage_in_process: Cli) -> None:
    result = manage_in_process(db, "create-user", "bob", "--role", "staff", "--password-stdin", stdin="court\n")
    assert result.returncode == 1 and "au moins 12 caractères" in result.stderr


def test_a_password_over_72_bytes_is_refused_in_french_not_with_a_trace(db: Path, manage_in_process: Cli) -> None:
    long = "mot-de-passe-très-très-long-" * 3  # 87 characters, 93 bytes in UTF-8
    cli = manage_in_process
    created = cli(db, "create-user", "bob", "--role", "staff", "--password-stdin", stdin=long + "\n")
    assert created.returncode == 1 and "72 octets" in created.stderr and "Traceback" not in created.stderr
    assert count(db, "SELECT count(*) FROM staffuser") == 0
    assert (
        cli(db, "create-user", "bob", "--role", "staff", "--password-stdin", stdin="un-mot-de-passe-long\n").returncode
        == 0
    )
    # reset-password's journey in a real process: refused in French on stderr, no trace, exit code 1.
    reset = run(db, "reset-password", "bob", "--password-stdin", stdin=long + "\n")
    assert reset.returncode == 1 and "72 octets" in reset.stderr and "Traceback" not in reset.stderr


def test_ensure_admin_creates_one_admin_once_and_prints_its_password_once(db: Path, manage_in_process: Cli) -> None:
    first = run(db, "ensure-admin")
    assert "mot de passe" in first.stdout
    assert manage_in_process(db, "ensure-admin").stdout == ""
    assert count(db, "SELECT count(*) FROM staffuser WHERE role='admin'") == 1


@pytest.mark.slow  # CLI journey: a whole demo day seeded, then removed, in processes
def test_seed_demo_is_marked_and_removable(db: Path) -> None:
    seeded = run(db, "seed-demo")
    assert seeded.returncode == 0 and "Journée de démonstration" in seeded.stdout
    demo = count(db, "SELECT count(*) FROM contribution WHERE is_demo")
    assert demo > 100
    assert count(db, "SELECT count(*) FROM contribution WHERE NOT is_demo") == 0
    assert count(db, "SELECT count(*) FROM standvisit") > 0
    assert count(db, "SELECT count(*) FROM questionnaireresponse") == 40
    assert "déjà là" in run(db, "seed-demo").stdout
    removed = run(db, "seed-demo", "--remove")
    assert removed.returncode == 0
    for table in (
        "contribution",
        "participant",
        "standvisit",
        "questionnaireresponse",
        "answer",
        "contributionsupport",
    ):
        assert count(db, f"SELECT count(*) FROM {table}") == 0, table
    assert count(db, "SELECT count(*) FROM theme") == 5


@pytest.mark.slow  # concurrency: a hot backup while another process writes
def test_backup_under_write_load_is_consistent_and_restorable(db: Path, tmp_path: Path) -> None:
    """A hot backup while another process writes: the copy passes integrity_check and reopens."""
    script = (
        "from db.engine import session_scope\n"
        "from services.contributions import ContributionDraft, submit_contribution\n"
        "for i in range(400):\n"
        "    with session_scope(write=True) as s:\n"
        "        submit_contribution(session=s, draft=ContributionDraft(theme_id=1 + i % 5,"
        " body='Écriture pendant la sauvegarde numéro %d.' % i, idempotency_key='bk-%06d' % i))\n"
    )
    env = {**os.environ, "ESS_DATABASE_URL": f"sqlite:///{db}"}
    writer = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env)
    try:
        dest = tmp_path / "copie.db"
        result = run(db, "backup", str(dest))
        assert result.returncode == 0, result.stderr
        assert "intégrité : ok" in result.stdout
    finally:
        assert writer.wait(timeout=120) == 0
    with sqlite3.connect(dest) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copied = conn.execute("SELECT count(*) FROM contribution").fetchone()[0]
        keys = [r[0] for r in conn.execute("SELECT idempotency_key FROM contribution ORDER BY id")]
    # The copy is a consistent snapshot: a prefix of the writer's sequence, nothing torn.
    assert keys == [f"bk-{i:06d}" for i in range(copied)]
    assert count(db, "SELECT count(*) FROM contribution") == 400
    # Restore = put the file back in place of the store; the app reads it as is.
    restored = tmp_path / "restauree.db"
    dest.rename(restored)
    check = run(restored, "migrate")
    assert check.returncode == 0 and count(restored, "SELECT count(*) FROM contribution") == copied
    # And a second backup onto an existing file is refused rather than overwritten.
    again = run(db, "backup", str(restored))
    assert again.returncode == 1 and "existe déjà" in again.stderr


def run_on(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ESS_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=True, timeout=300
    )


@pytest.mark.postgres
def test_backup_and_restore_of_postgres_with_its_own_tools(pg_engine: Engine, tmp_path: Path) -> None:
    """On PostgreSQL `backup` writes a checked pg_dump archive and notes it for the operations panel; `restore`
    puts it back in one transaction, only with --remplacer over a store that holds tables, keeping a copy."""
    from db.engine import session_scope
    from services.backup import last_backup_at
    from services.contributions import ContributionDraft, submit_contribution

    url = pg_engine.url.render_as_string(hide_password=False)

    def contributions() -> int:
        with pg_engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM contribution").scalar_one())

    def add(body: str) -> None:
        with session_scope(pg_engine, write=True) as session:
            draft = ContributionDraft(theme_id=1, body=body, idempotency_key=uuid.uuid4().hex)
            submit_contribution(session=session, draft=draft)

    add("Mutualiser les achats des structures de l'ESS.")
    kept = contributions()
    folder = tmp_path / "sauvegardes"
    folder.mkdir()
    made = run_on(url, "backup", str(folder))
    assert made.returncode == 0, made.stderr
    archive = folder / f"{pg_engine.url.database}-sauvegarde.dump"
    assert archive.is_file() and not list(folder.glob("*.partial"))
    assert f"{kept} contributions, intégrité : ok" in made.stdout.replace("\u202f", " ")
    with session_scope(pg_engine) as session:
        assert last_backup_at(session) is not None

    add("Un texte écrit après la sauvegarde.")
    refused = run_on(url, "restore", str(archive))
    assert refused.returncode == 1 and "--remplacer" in refused.stderr
    assert contributions() == kept + 1

    pg_engine.dispose()  # the app stopped, as the command asks
    restored = run_on(url, "restore", str(archive), "--remplacer")
    assert restored.returncode == 0, restored.stderr
    assert contributions() == kept
    copies = list(folder.glob("*-remplacee-*.dump"))
    assert len(copies) == 1 and "Base remplacée gardée dans" in restored.stdout

    again = run_on(url, "backup", str(archive))
    assert again.returncode == 1 and "existe déjà" in again.stderr


def test_backup_of_an_unreachable_postgres_says_so_and_writes_nothing(tmp_path: Path) -> None:
    result = run_on("postgresql+psycopg://u@127.0.0.1:1/x", "backup", str(tmp_path / "x.dump"))
    assert result.returncode == 1 and "Sauvegarde impossible, aucune copie écrite" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_migrate_keeps_a_ptce_edited_in_the_app_and_says_so(db: Path, manage_in_process: Cli) -> None:
    from db.engine import build_engine, session_scope
    from services.ptce import update_ptce

    engine = build_engine(f"sqlite:///{db}")
    with session_scope(engine, write=True) as session:
        ptce_id = int(session.connection().exec_driver_sql("SELECT id FROM ptce WHERE code='ancenis'").scalar_one())
        update_ptce(session=session, ptce_id=ptce_id, values={"support": "Soutien revu par l'équipe."}, actor="claire")
    engine.dispose()
    result = manage_in_process(db, "migrate")
    assert result.returncode == 0, result.stderr
    assert "PTCE ancenis : modifié dans l'application ; non repris du fichier : soutien reçu." in result.stdout
    with sqlite3.connect(db) as conn:
        kept = conn.execute("SELECT support FROM ptce WHERE code='ancenis'").fetchone()[0]
    assert kept == "Soutien revu par l'équipe."
