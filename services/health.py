"""The store's health: a real write-and-read round trip, for `manage.py health` and the `/_ess/sante` route.

A process that answers is not enough: the store may be read-only (a disk remounted after an error), locked by a
stuck writer, full, or unreachable. The check upserts this prober's one row of `healthprobe` with a fresh random
nonce, commits, reads the row back from a new session and compares. It holds no personal data: a prober is
named by its replica and host.

It takes an engine rather than a session (the rule elsewhere): the round trip is two sessions, the second one
opened after the first has committed, and it builds a dedicated engine whose waits are bounded by the check's
timeout (the app's own engine waits up to 15 s for SQLite's write lock, which a probe must not).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from db.engine import build_engine
from models import HealthProbe, utcnow
from services.formatting import format_number

DEFAULT_TIMEOUT_S = 3.0
DIALECTS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

# What a store's error says, in lower case, and what to tell the person on call (first match wins).
_CAUSES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("readonly", "read-only", "read only"),
        "la base est en lecture seule (droits du fichier ou disque en lecture seule)",
    ),
    (("database or disk is full", "no space left", "disk full"), "le disque de la base est plein"),
    (
        ("database is locked", "lock timeout", "statement timeout", "canceling statement"),
        "la base est verrouillée par une autre écriture",
    ),
    (
        ("no such table", "undefinedtable", 'relation "healthprobe" does not exist'),
        "le schéma de la base n'est pas à jour : lancez « python manage.py migrate »",
    ),
    (
        (
            "unable to open database file",
            "connection refused",
            "could not connect",
            "connection failed",
            "timeout expired",
        ),
        "la base est injoignable",
    ),
)


@dataclass(frozen=True)
class HealthReport:
    """One check: `ok`, its duration in milliseconds, the store's kind and one French line for people."""

    ok: bool
    ms: float
    dialect: str
    message: str
    detail: str = ""  # the store's own words on a failure (for the command line; the HTTP route never shows it)


def prober_name(replica: str = "") -> str:
    """This prober's row: the replica (ESS_REPLICA) or `commande` for the command line, and the host's name."""
    return f"{replica or os.environ.get('ESS_REPLICA') or 'commande'}@{socket.gethostname()}"[:100]


def probe_engine(url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> Engine:
    """An engine for the check alone, whose waits (SQLite's write lock, PostgreSQL's connection) stop at `timeout_s`."""
    if url.startswith("sqlite"):
        return build_engine(url, busy_timeout_ms=int(timeout_s * 1000))
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        # libpq's own bound on a server that does not answer (a firewall dropping packets waits for ever).
        parsed = parsed.update_query_dict({"connect_timeout": str(max(1, round(timeout_s)))})
    return build_engine(parsed.render_as_string(hide_password=False))


def _write(engine: Engine, probe: str, nonce: str, timeout_s: float) -> None:
    dialect = engine.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(HealthProbe).values(probe=probe, nonce=nonce, written_at=utcnow())
    statement = statement.on_conflict_do_update(
        index_elements=["probe"], set_={"nonce": statement.excluded.nonce, "written_at": statement.excluded.written_at}
    )
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if dialect == "sqlite" else engine
    with Session(bind) as session:
        if dialect == "postgresql":
            # A lock held by another transaction, or a statement that hangs, ends the check, not the prober.
            session.execute(text(f"SET LOCAL lock_timeout = {int(timeout_s * 1000)}"))
            session.execute(text(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}"))
        session.execute(statement)
        session.commit()


def _read(engine: Engine, probe: str) -> str | None:
    with Session(engine) as session:  # a new session: what the store kept, not what this one remembers
        return session.exec(select(HealthProbe.nonce).where(HealthProbe.probe == probe)).first()


def _round_trip(engine: Engine, probe: str, timeout_s: float) -> None:
    nonce = secrets.token_hex(16)
    _write(engine, probe, nonce, timeout_s)
    if _read(engine, probe) != nonce:
        raise _ReadBackMismatch


class _ReadBackMismatch(Exception):
    pass


def _explain(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, _ReadBackMismatch):
        return "la relecture ne rend pas la valeur écrite", ""
    original = getattr(exc, "orig", None) or exc
    words = f"{type(original).__name__} {original}".lower()
    detail = str(original).strip().splitlines()[0][:200] if str(original).strip() else type(original).__name__
    for needles, cause in _CAUSES:
        if any(n in words for n in needles):
            return cause, detail
    return "la base a refusé l'écriture ou la relecture", detail


def check_store(engine: Engine, *, probe: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> HealthReport:
    """Write a fresh nonce into this prober's row, commit, read it back from a new session: ok, or why not.

    Never longer than about `timeout_s`: the round trip runs in a daemon thread that the check stops waiting
    for (a store that hangs past the engine's own bounds is reported as locked or unreachable).
    """
    dialect = DIALECTS.get(engine.dialect.name, engine.dialect.name)
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            _round_trip(engine, probe, timeout_s)
            outcome.append(None)
        except (SQLAlchemyError, OSError, _ReadBackMismatch) as exc:
            outcome.append(exc)

    started = time.perf_counter()
    worker = threading.Thread(target=attempt, name="ess-health-probe", daemon=True)
    worker.start()
    worker.join(timeout_s + 1.0)
    ms = (time.perf_counter() - started) * 1000
    if not outcome:
        seconds = format_number(timeout_s, 1)
        cause = f"la base ne répond pas en {seconds} s (verrouillée ou injoignable)"
        return HealthReport(False, ms, dialect, f"Base de données en erreur ({dialect}) : {cause}.")
    error = outcome[0]
    if error is None:
        text_ms = format_number(round(ms))
        return HealthReport(
            True, ms, dialect, f"Base de données : écriture et relecture vérifiées en {text_ms} ms ({dialect})"
        )
    cause, detail = _explain(error)
    return HealthReport(False, ms, dialect, f"Base de données en erreur ({dialect}) : {cause}.", detail)
