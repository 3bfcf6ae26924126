"""Online backup of the SQLite store, checked before it is called a backup."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from services.errors import ServiceError


@dataclass(frozen=True)
class BackupReport:
    destination: Path
    integrity: str
    contributions: int
    bytes: int


def sqlite_path_from_url(url: str) -> Path:
    """The file behind a sqlite:/// URL; refuses other engines with the tool to use instead."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise ServiceError(
            "Sauvegarde intégrée réservée à SQLite. Pour PostgreSQL : "
            'pg_dump --format=custom --file=sauvegarde.dump "$ESS_DATABASE_URL"'
        )
    if not parsed.database or parsed.database == ":memory:":
        raise ServiceError("Base en mémoire : rien à sauvegarder.")
    return Path(parsed.database)


def backup_sqlite(source: Path, destination: Path) -> BackupReport:
    """Copy a live database with SQLite's online backup API (safe under concurrent writes)."""
    if not source.exists():
        raise ServiceError(f"Base introuvable : {source}")
    if destination.exists() and destination.is_dir():
        destination = destination / f"{source.stem}-sauvegarde.db"
    if destination.exists():
        raise ServiceError(f"La destination existe déjà : {destination}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(destination.name + ".partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            # Pages copied in steps, so writers are only paused for short moments.
            src.backup(dst, pages=1024, sleep=0.005)
            dst.execute("PRAGMA journal_mode=DELETE")
            integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
            count = dst.execute("SELECT count(*) FROM contribution").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if integrity != "ok":
        tmp.unlink(missing_ok=True)
        raise ServiceError(f"La copie ne passe pas le contrôle d'intégrité : {integrity}")
    tmp.rename(destination)
    return BackupReport(destination, integrity, int(count), destination.stat().st_size)
