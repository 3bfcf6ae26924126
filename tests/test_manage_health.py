"""`manage.py health`: one French line and exit 0 when the store takes a write and gives it back, else 1."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from tests.conftest import Cli, copy_sqlite
from tests.test_manage import run


def test_a_healthy_store_gives_one_line_and_exit_0(sqlite_template: Path, tmp_path: Path) -> None:
    db = tmp_path / "ess.db"
    copy_sqlite(sqlite_template, db)
    result = run(db, "health")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        r"Base de données : écriture et relecture vérifiées en [\d\u202f\u00a0 ]+ ms \(SQLite\)\n", result.stdout
    )


def test_a_store_without_its_schema_exits_1_with_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path / "vide.db", "health")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Base de données en erreur (SQLite) : le schéma de la base n'est pas à jour")
    assert "python manage.py migrate" in result.stderr


def test_a_locked_store_exits_1_within_its_timeout(
    sqlite_template: Path, tmp_path: Path, manage_in_process: Cli
) -> None:
    db = tmp_path / "ess.db"
    copy_sqlite(sqlite_template, db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = manage_in_process(db, "health", "--timeout", "0.5")
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 1
    assert "la base est verrouillée" in result.stderr or "ne répond pas en 0,5 s" in result.stderr


def test_a_timeout_must_be_positive(tmp_path: Path, manage_in_process: Cli) -> None:
    result = manage_in_process(tmp_path / "ess.db", "health", "--timeout", "0")
    assert result.returncode == 1
    assert "--timeout : un nombre de secondes positif" in result.stderr
