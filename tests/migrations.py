"""Stores migrated part of the way, for the tests of migrations that go down and up again.

Migration 0008 (editions) cannot be undone, so a test that downgrades below it starts from an empty database
migrated up to the revision it needs, writes there what a store of that time held (with the SQL of that
time: the models describe the latest schema), then migrates to the head like `make run` would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import Engine

from db.engine import build_engine
from db.migrate import upgrade_schema
from models import UTCDateTime

# The last revision before conference editions: what a downgrade test can still come back to.
BEFORE_EDITIONS = "0007"
THEMES = 3
DEPARTEMENTS = ("44", "49", "85")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no migration run yet), on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        engine = build_engine(f"sqlite:///{tmp_path / 'bare.db'}")
        yield engine
        engine.dispose()
        return
    base: str = request.getfixturevalue("pg_base_url")
    name = f"ess_bare_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = build_engine(f"{base}/{name}")
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def old_reference_rows(engine: Engine) -> None:
    """What the reference loader of revisions 0001–0007 wrote, in short: three themes with one orientation each
    (ids 1–3, orientation codes T1-O1…), a few départements."""
    now = datetime(2016, 6, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for code in DEPARTEMENTS:
            conn.execute(
                text("INSERT INTO departement (code, name, in_region) VALUES (:c, :n, true)"),
                {"c": code, "n": f"Département {code}"},
            )
        for n in range(1, THEMES + 1):
            conn.execute(
                text(
                    "INSERT INTO theme (id, code, label, short_label, color, description, position) "
                    "VALUES (:id, :code, :label, :short, '#0072B2', '', :id)"
                ),
                {"id": n, "code": f"theme-{n}", "label": f"Thème {n}", "short": f"T{n}"},
            )
            conn.execute(
                text(
                    "INSERT INTO orientation (code, theme_id, title, body, status, position, version, presented, "
                    "created_at, updated_at) VALUES (:code, :theme, :title, '', 'proposed', 1, 1, true, :at, :at)"
                ).bindparams(bindparam("at", type_=UTCDateTime())),
                {"code": f"T{n}-O1", "theme": n, "title": f"Orientation du thème {n}", "at": now},
            )
        if engine.dialect.name == "postgresql":  # ids given by hand: the sequence moves on past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('theme', 'id'), (SELECT max(id) FROM theme))"))


def old_contribution(engine: Engine, **values: Any) -> None:
    """One contribution row as a store before 0008 held it (`theme_id`, `created_at`, … given; the rest filled)."""
    row: dict[str, Any] = {
        "receipt_code": uuid.uuid4().hex[:12].upper(),
        "idempotency_key": uuid.uuid4().hex,
        "orientation_id": None,
        "stance": None,
        "title": "",
        "body": "Une contribution enregistrée avant les éditions.",
        "source": "conference",
        "author_name": "",
        "organisation": "",
        "actor_type": None,
        "departement": None,
        "display_mode": "anonymous",
        "status": "pending",
        "rejection_reason": "",
        "entered_by": "",
        "is_demo": False,
    } | values
    row.setdefault("updated_at", row["created_at"])
    columns = ", ".join(row)
    stmt = text(f"INSERT INTO contribution ({columns}) VALUES ({', '.join(':' + c for c in row)})").bindparams(
        bindparam("created_at", type_=UTCDateTime()), bindparam("updated_at", type_=UTCDateTime())
    )
    with engine.begin() as conn:
        conn.execute(stmt, row)


def orientation_ids(engine: Engine) -> dict[int, int]:
    """Theme id → the id of its orientation (any revision)."""
    with engine.connect() as conn:
        return {int(t): int(i) for i, t in conn.execute(text("SELECT id, theme_id FROM orientation ORDER BY id"))}


def migrate(engine: Engine, revision: str) -> None:
    upgrade_schema(engine, revision)
