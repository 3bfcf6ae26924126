"""Backup and restore of a PostgreSQL store with PostgreSQL's own tools (pg_dump, pg_restore), checked.

The same promises as the SQLite backup (services.backup): a backup is called one only once it is written in
full, fsynced and read back; a partial file is never left under the backup's name; what is written is noted
in the audit trail (services.backup.record_backup), where the organisers' operations panel reads its time.

pg_dump takes one consistent snapshot of the database without blocking the app's writers. The check reads the
archive back with pg_restore: its table of contents, and the contribution rows it holds (counted from the data
pg_restore streams, the snapshot's own figure). The connection's password never appears on a command line: it
is handed over in PGPASSWORD.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from services.backup import (
    COUNTED_TABLES,
    BackupReport,
    RestoreReport,
    backup_target,
    fsync_directory,
    remove_partial,
)
from services.errors import ServiceError

DUMP_SUFFIX = ".dump"
# How long a dump or a restore may take before it is called failed (a 100 000-contribution store dumps in seconds).
TOOL_TIMEOUT_S = 3600


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def _tool(name: str) -> str:
    """A PostgreSQL client tool: on PATH, else Debian's newest (/usr/lib/postgresql/<version>/bin)."""
    if found := shutil.which(name):
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key)
    if not versions:
        raise ServiceError(
            f"Outil PostgreSQL « {name} » introuvable : installez le paquet Debian postgresql-client "
            "(sudo apt-get install -y postgresql-client)."
        )
    return versions[-1]


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _connection_env(url: URL) -> dict[str, str]:
    """libpq's environment for the store's URL (host, port, user, password, database)."""
    env = dict(os.environ)
    for name, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[name] = str(value)
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[bytes]:
    try:
        # The tools are found by _tool and their arguments built here: no shell, no user input.
        result = subprocess.run(command, env=env, capture_output=True, timeout=TOOL_TIMEOUT_S, check=False)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise ServiceError(f"{what} : pas de fin au bout de {TOOL_TIMEOUT_S} s.") from exc
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ServiceError(f"{what} : {detail[-1] if detail else f'code de sortie {result.returncode}'}")
    return result


def _contribution_rows(archive: Path, env: dict[str, str]) -> int:
    """The contribution rows an archive holds, read back from it (the COPY block pg_restore writes out)."""
    data = _run(
        [_tool("pg_restore"), "--data-only", "--table=contribution", "--file=-", str(archive)],
        env,
        "Relecture de la sauvegarde impossible",
    ).stdout
    rows = 0
    inside = False
    for line in data.splitlines():
        if line.startswith(b"COPY "):
            inside = True
        elif inside and line == b"\\.":
            inside = False
        elif inside:
            rows += 1
    return rows


def backup_postgres(database_url: str, destination: Path) -> BackupReport:
    """Dump the store into `destination` (a file, or a folder that receives `<database>-sauvegarde.dump`)."""
    url = make_url(database_url)
    if not url.database:
        raise ServiceError("L'adresse de la base PostgreSQL ne nomme pas de base de données.")
    destination, tmp = backup_target(destination, f"{url.database}-sauvegarde{DUMP_SUFFIX}")
    env = _connection_env(url)
    try:
        started = time.perf_counter()
        _run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={tmp}"],
            env,
            "Sauvegarde impossible, aucune copie écrite",
        )
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        copied = time.perf_counter()
        listing = _run([_tool("pg_restore"), "--list", str(tmp)], env, "La sauvegarde ne se relit pas").stdout
        if b"TABLE DATA public contribution" not in listing:
            raise ServiceError("La sauvegarde ne contient pas la table des contributions : ce n'est pas la base ESS.")
        count = _contribution_rows(tmp, env)
        checked = time.perf_counter()
    except BaseException:
        remove_partial(tmp)
        raise
    tmp.rename(destination)
    fsync_directory(destination.parent)
    return BackupReport(destination, "ok", count, destination.stat().st_size, copied - started, checked - copied)


def _table_count(env: dict[str, str], table: str) -> int:
    result = _run(
        [_tool("psql"), "--no-psqlrc", "--tuples-only", "--no-align", "--command", f'SELECT count(*) FROM "{table}"'],
        env,
        "Relecture de la base restaurée impossible",
    )
    return int(result.stdout.decode().strip() or 0)


def _has_tables(env: dict[str, str]) -> bool:
    result = _run(
        [
            _tool("psql"),
            "--no-psqlrc",
            "--tuples-only",
            "--no-align",
            "--command",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
        ],
        env,
        "Base PostgreSQL injoignable",
    )
    return int(result.stdout.decode().strip() or 0) > 0


def restore_postgres(backup: Path, database_url: str, *, replace: bool = False) -> RestoreReport:
    """Put a checked dump in place of the store's content, in one transaction (all of it or nothing).

    Refused over a database that holds tables unless `replace` is given; then the replaced content is first
    dumped beside the backup (`<base>-remplacee-<date>.dump`), as the SQLite restore keeps a copy aside.
    """
    if not backup.is_file():
        raise ServiceError(f"Sauvegarde introuvable : {backup}")
    url = make_url(database_url)
    env = _connection_env(url)
    _run([_tool("pg_restore"), "--list", str(backup)], env, "La sauvegarde ne se relit pas")
    replaced_copy: Path | None = None
    if _has_tables(env):
        if not replace:
            raise ServiceError(
                f"La base {url.database} contient déjà des tables. Pour la remplacer par la sauvegarde, ajoutez "
                "--remplacer (une sauvegarde de son contenu actuel sera gardée à côté)."
            )
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        replaced_copy = backup.with_name(f"{url.database}-remplacee-{stamp}{DUMP_SUFFIX}")
        backup_postgres(database_url, replaced_copy)
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={url.database}",
            str(backup),
        ],
        env,
        "Restauration impossible, la base est restée telle qu'elle était",
    )
    counts = {table: _table_count(env, table) for table in COUNTED_TABLES}
    return RestoreReport(Path(str(url.database)), replaced_copy, counts)
