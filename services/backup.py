"""Online backup of the SQLite store, checked before it is called a backup."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from models import AuditEvent
from services.audit import audit
from services.errors import ServiceError


@dataclass(frozen=True)
class BackupReport:
    destination: Path
    integrity: str
    contributions: int
    bytes: int
    # How long the store's read transaction was held (the copy), and how long the check of the copy took.
    copy_seconds: float
    check_seconds: float


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


def backup_target(destination: Path, name_in_folder: str) -> tuple[Path, Path]:
    """Where a backup goes (`destination`, or `name_in_folder` inside it when it is a folder) and the partial file
    it is written to first; refuses to write over an existing file, removes what a killed run left behind."""
    if destination.exists() and destination.is_dir():
        destination = destination / name_in_folder
    if destination.exists():
        raise ServiceError(f"La destination existe déjà : {destination}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_name(destination.name + ".partial")
    # What a run killed midway left behind: never a backup, and in the way of this one.
    remove_partial(tmp)
    return destination, tmp


def backup_sqlite(source: Path, destination: Path) -> BackupReport:
    """Copy a live database with SQLite's online backup API, in one step, then check the copy.

    One step (`pages=-1`), because SQLite restarts a step-wise copy whenever another connection writes
    between two steps: at 5 writes/s a 200 MB store was never copied. One step holds only a read
    transaction on the store for the whole copy (about 1,5 s for 200 MB): in WAL mode the app's writers
    keep committing meanwhile, and the copy is the store as it was when the step began. Chosen over
    `VACUUM INTO`, which also holds only a read transaction but rebuilds every table and index (twice as
    long on the same store) and does not fsync what it writes; here the copy is committed with
    synchronous=FULL before it is checked and renamed into place.
    """
    if not source.exists():
        raise ServiceError(f"Base introuvable : {source}")
    destination, tmp = backup_target(destination, f"{source.stem}-sauvegarde.db")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(tmp)
            try:
                started = time.perf_counter()
                src.backup(dst, pages=-1)
                copied = time.perf_counter()
                dst.execute("PRAGMA journal_mode=DELETE")
                integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
                count = dst.execute("SELECT count(*) FROM contribution").fetchone()[0]
                checked = time.perf_counter()
            finally:
                dst.close()
        finally:
            src.close()
        if integrity != "ok":
            raise ServiceError(f"La copie ne passe pas le contrôle d'intégrité : {integrity}")
    except sqlite3.Error as exc:
        # A full disk or USB key, a base that is not one: said in one line, and no half-written copy left.
        remove_partial(tmp)
        raise ServiceError(f"Sauvegarde impossible, aucune copie écrite : {exc}") from exc
    except BaseException:
        remove_partial(tmp)
        raise
    tmp.rename(destination)
    fsync_directory(destination.parent)
    return BackupReport(
        destination, integrity, int(count), destination.stat().st_size, copied - started, checked - copied
    )


# The audit trail's action of a backup written by `manage.py backup`: the operations panel reads the latest one.
BACKUP_ACTION = "store.backup"


def record_backup(session: Session, *, actor: str, report: BackupReport) -> None:
    """Note a checked backup in the audit trail (no table of its own): where, how big, how many contributions; the
    event's time is the backup's."""
    audit(
        session,
        actor,
        BACKUP_ACTION,
        report.destination.name,
        after={
            "destination": str(report.destination),
            "bytes": report.bytes,
            "contributions": report.contributions,
        },
    )


def last_backup_at(session: Session) -> datetime | None:
    """When the latest backup noted by `record_backup` was written (None: none noted in this store)."""
    return session.exec(
        select(AuditEvent.created_at)
        .where(AuditEvent.action == BACKUP_ACTION)
        .order_by(col(AuditEvent.created_at).desc())
        .limit(1)
    ).first()


def remove_partial(tmp: Path) -> None:
    for path in (tmp, tmp.with_name(tmp.name + "-journal"), tmp.with_name(tmp.name + "-wal")):
        path.unlink(missing_ok=True)


def fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk (a power cut right after « écrite »).
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Tables whose row counts a restore reports (and the tests compare before and after).
COUNTED_TABLES = ("contribution", "participant", "standvisit", "contributionsupport", "questionnaireresponse")
# SQLite's "dead-man switch" byte in the -shm file: every open WAL connection holds a shared lock on it
# (unix VFS: UNIX_SHM_BASE 120 + SQLITE_SHM_NLOCK 8). An exclusive lock on it succeeds only if no
# process has the database open.
_SHM_DMS_BYTE = 128


@dataclass(frozen=True)
class RestoreReport:
    target: Path
    replaced_copy: Path | None
    counts: dict[str, int]


def store_counts(path: Path) -> dict[str, int]:
    """Row counts of the main tables of a SQLite store (read-only)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in COUNTED_TABLES if t in names}
    finally:
        conn.close()


def store_in_use(path: Path) -> bool:
    """True when another process (a running app) has this SQLite store open."""
    shm = path.with_name(path.name + "-shm")
    try:
        handle = shm.open("r+b")
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE)
        except OSError:
            return True
        fcntl.lockf(handle, fcntl.LOCK_UN, 1, _SHM_DMS_BYTE)
        return False


def _check(path: Path, what: str) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE name='contribution'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ServiceError(f"{what} illisible : ce n'est pas une base SQLite valide ({exc}).") from exc
    if integrity != "ok":
        raise ServiceError(f"{what} ne passe pas le contrôle d'intégrité : {integrity}")
    if not has_table:
        raise ServiceError(f"{what} ne contient pas de contributions : ce n'est pas une base de l'application.")


def _copy(source: Path, destination: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(destination, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def restore_sqlite(backup: Path, target: Path, *, replace: bool = False) -> RestoreReport:
    """Put a checked backup in place of the store; the replaced store is first copied aside.

    Refused while a process has the store open (the app would keep writing to what it has cached),
    and refused over an existing store unless `replace` is given. The copy goes through SQLite's
    backup API, which writes the target in one transaction and takes care of its WAL, so a crash
    midway leaves the old store whole.
    """
    if not backup.is_file():
        raise ServiceError(f"Sauvegarde introuvable : {backup}")
    _check(backup, "La sauvegarde")
    replaced_copy: Path | None = None
    if target.exists():
        if store_in_use(target):
            raise ServiceError(
                f"La base {target} est ouverte par l'application en service : "
                "arrêtez-la, puis relancez la restauration."
            )
        if not replace:
            raise ServiceError(
                f"La base {target} existe déjà. Pour la remplacer par la sauvegarde, ajoutez --remplacer "
                "(une copie de la base remplacée sera gardée à côté)."
            )
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        replaced_copy = target.with_name(f"{target.stem}-remplacee-{stamp}{target.suffix}")
        if replaced_copy.exists():
            raise ServiceError(f"La copie de sécurité existe déjà : {replaced_copy}")
        _copy(target, replaced_copy)
        _check(replaced_copy, "La copie de la base remplacée")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    _copy(backup, target)
    _check(target, "La base restaurée")
    return RestoreReport(target, replaced_copy, store_counts(target))
