"""The store's health check: a real write-and-read round trip, and a French cause when the store cannot take it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, select

from db.engine import build_engine
from models import HealthProbe
from services import health


def test_a_check_writes_a_fresh_nonce_reads_it_back_and_keeps_one_row_per_prober(store_engine: Engine) -> None:
    first = health.check_store(store_engine, probe="r1@hote")
    assert first.ok, first
    assert first.dialect in {"SQLite", "PostgreSQL"}
    assert first.message.startswith("Base de données : écriture et relecture vérifiées en ")
    assert first.message.endswith(f" ms ({first.dialect})")
    with Session(store_engine) as session:
        nonce = session.exec(select(HealthProbe.nonce).where(HealthProbe.probe == "r1@hote")).one()
    assert health.check_store(store_engine, probe="r1@hote").ok
    assert health.check_store(store_engine, probe="r2@hote").ok
    with Session(store_engine) as session:
        rows = session.exec(select(HealthProbe)).all()
    assert sorted(r.probe for r in rows) == ["r1@hote", "r2@hote"]  # an upsert: no row per check
    assert next(r.nonce for r in rows if r.probe == "r1@hote") != nonce  # written again, with a new nonce


def test_the_probe_engine_of_a_postgresql_url_bounds_its_connection() -> None:
    url = "postgresql+psycopg://ess:mot-de-passe@db.example:5432/ess"
    engine = health.probe_engine(url, timeout_s=2)
    parsed = make_url(engine.url.render_as_string(hide_password=False))
    assert parsed.query["connect_timeout"] == "2" and parsed.password == "mot-de-passe"
    engine.dispose()


def test_a_read_only_store_is_reported_as_such(sqlite_url: str) -> None:
    engine = health.probe_engine(sqlite_url, timeout_s=2)

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA query_only = ON")  # what a read-only file or disk answers, as SQLite words it

    report = health.check_store(engine, probe="r1@hote", timeout_s=2)
    engine.dispose()
    assert not report.ok
    assert report.message.startswith("Base de données en erreur (SQLite) : la base est en lecture seule")
    assert "readonly" in report.detail


def test_a_locked_store_is_reported_within_the_timeout(sqlite_url: str) -> None:
    path = make_url(sqlite_url).database
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # a writer that does not let go
    engine = health.probe_engine(sqlite_url, timeout_s=1)
    started = time.monotonic()
    try:
        report = health.check_store(engine, probe="r1@hote", timeout_s=1)
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert not report.ok
    assert "verrouillée" in report.message
    # Bounded: the probe gives up with the store still locked (a generous bound, not a speed measure).
    assert time.monotonic() - started < 10


def test_a_store_that_hangs_is_abandoned_after_the_timeout(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    monkeypatch.setattr(health, "_round_trip", lambda *_args: release.wait(30))
    report = health.check_store(sqlite_engine, probe="r1@hote", timeout_s=0.2)
    release.set()
    assert not report.ok
    assert (
        report.message
        == "Base de données en erreur (SQLite) : la base ne répond pas en 0,2 s (verrouillée ou injoignable)."
    )


def test_a_store_without_the_table_asks_for_the_migration(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'vide.db'}")
    report = health.check_store(engine, probe="r1@hote")
    engine.dispose()
    assert not report.ok
    assert "lancez « python manage.py migrate »" in report.message


def test_a_read_back_that_differs_is_a_failure(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "_read", lambda _engine, _probe: "une autre valeur")
    report = health.check_store(sqlite_engine, probe="r1@hote")
    assert not report.ok and "la relecture ne rend pas la valeur écrite" in report.message


@pytest.mark.postgres
def test_an_unreachable_postgresql_is_reported(pg_base_url: str) -> None:
    port = make_url(pg_base_url).port
    engine = health.probe_engine(f"postgresql+psycopg://postgres@127.0.0.1:{(port or 5432) + 1}/ess", timeout_s=2)
    report = health.check_store(engine, probe="r1@hote", timeout_s=2)
    engine.dispose()
    assert not report.ok
    assert report.message == "Base de données en erreur (PostgreSQL) : la base est injoignable."


@pytest.mark.postgres
def test_a_postgresql_row_lock_held_elsewhere_ends_the_check(pg_engine: Engine) -> None:
    assert health.check_store(pg_engine, probe="r1@hote").ok
    url = pg_engine.url.render_as_string(hide_password=False)
    engine = health.probe_engine(url, timeout_s=1)
    with pg_engine.connect() as holder:
        holder.exec_driver_sql("SELECT * FROM healthprobe WHERE probe = 'r1@hote' FOR UPDATE")
        report = health.check_store(engine, probe="r1@hote", timeout_s=1)
        holder.rollback()
    engine.dispose()
    assert not report.ok and "verrouillée" in report.message
