"""One place that builds engines and sessions, SQLite by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from core.config import get_settings

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
# SQLite has one writer at a time. Queueing this process's writers on a lock (instead of letting
# them poll in SQLite's busy handler) wakes the next one as soon as the lock is free and keeps a
# loaded machine from starving a writer past busy_timeout. Other processes still meet busy_timeout.
_sqlite_write_locks: dict[int, threading.RLock] = {}


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database)


def build_engine(url: str, *, busy_timeout_ms: int | None = None, echo: bool = False) -> Engine:
    """Create an engine tuned for this app's durability and concurrency promises."""
    timeout_ms = busy_timeout_ms if busy_timeout_ms is not None else get_settings().sqlite_busy_timeout_ms
    if not url.startswith("sqlite"):
        # pre_ping: a PostgreSQL restart costs one failed checkout, not an error page.
        return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)

    path = _sqlite_file(url)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": timeout_ms / 1000}}
    if path is None:
        kwargs["poolclass"] = StaticPool
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readers are many (one per browser session rerun); writers queue on the lock below.
        kwargs |= {"pool_size": 20, "max_overflow": 40, "pool_timeout": 60}
    engine = create_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not open transactions behind our back.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if path is not None:
            cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a contribution whose receipt was shown survives a power cut, not only a crash.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        # The rollup triggers make SQLite keep a statement journal for every INSERT into contribution; it
        # spills to a temporary file beyond a few pages. In memory it costs a quarter less per insert.
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that upgrades to a write
        # can fail at once with "database is locked" whatever busy_timeout says.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    _sqlite_write_locks[id(engine)] = threading.RLock()
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for a URL (the settings' URL by default)."""
    url = url or get_settings().database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = build_engine(url)
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before a backup restore)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(engine: Engine | None = None, *, write: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    `write=True` takes SQLite's write lock at BEGIN so concurrent writers queue instead of failing.
    Objects stay readable after commit (expire_on_commit=False) so services can return them.
    """
    engine = engine or get_engine()
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write else engine
    write_lock = _sqlite_write_locks.get(id(engine)) if write else None
    with write_lock or contextlib.nullcontext(), Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
