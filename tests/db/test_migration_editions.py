"""Migration 0008 turns a one-conference store into edition 1 and loses nothing.

The fixture is a real store made by the code of revision 0007 (the commit before editions): the reference data,
the demo day (`seed-demo`: 120 phones, 166 contributions, 516 visits, 40 questionnaire responses), then staff
work on it: two accounts, moderation, tags, 49 proposed groups and one confirmed, an orientation amended,
commented and linked to its sources, and the audit trail of all that. Every table is compared before and after,
row count and a checksum of every row (the columns it had before), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlalchemy.engine import Engine

from db.engine import build_engine
from db.migrate import upgrade_schema
from services.bootstrap import prepare_store
from services.reference_data import PACKS_DIR

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "stores" / "demo_day_0007.db.gz"
# Added by 0015 (the store's health probe): gone whenever a test goes down below it.
HEALTH_TABLE = "healthprobe"
SCOPED = ("theme", "orientation", "stand", "ptce", "supportscheme", "keyfigure", "questionnaire", "participant")
FIRST_SLUG = yaml.safe_load((PACKS_DIR / "pays-de-la-loire-2016.yaml").read_text(encoding="utf-8"))["edition"]["slug"]


def snapshot(engine: Engine, columns: dict[str, list[str]] | None = None) -> dict[str, tuple[int, str, list[str]]]:
    """table → (rows, sha256 of every row's values in a stable order, the columns read)."""
    meta = MetaData()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SQLite expression index of the tallies is not reflected
        meta.reflect(engine)
    out: dict[str, tuple[int, str, list[str]]] = {}
    with engine.connect() as conn:
        for name, table in meta.tables.items():
            if name == "alembic_version" or (columns is not None and name not in columns):
                continue
            cols = columns[name] if columns is not None else [c.name for c in table.columns]
            rows = conn.execute(select(*[table.c[c] for c in cols])).all()
            lines = sorted(repr(tuple(str(v) for v in row)) for row in rows)
            out[name] = (len(rows), hashlib.sha256("\n".join(lines).encode()).hexdigest(), cols)
    return out


def compare(before: dict[str, tuple[int, str, list[str]]], engine: Engine) -> None:
    """Every table of `before` holds, on the columns it had, exactly the same rows."""
    after = snapshot(engine, {name: cols for name, (_, _, cols) in before.items()})
    for name, (count, digest, _) in before.items():
        assert after[name][:2] == (count, digest), f"{name}: rows or values changed"


def check_edition_one(engine: Engine) -> None:
    with engine.connect() as conn:
        editions = conn.execute(text("SELECT id, slug, is_default, status FROM edition")).all()
        assert [(e.slug, bool(e.is_default), e.status) for e in editions] == [(FIRST_SLUG, True, "open")]
        for table in SCOPED:
            ids = {r[0] for r in conn.execute(text(f"SELECT DISTINCT edition_id FROM {table}"))}
            assert ids == {editions[0].id}, table
    unique = {tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("stand")}
    assert ("edition_id", "code") in unique and ("code",) not in unique


def test_sqlite_store_of_the_demo_day_becomes_edition_one_with_every_row_kept(tmp_path: Path) -> None:
    path = tmp_path / "ess.db"
    with gzip.open(FIXTURE) as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    engine = build_engine(f"sqlite:///{path}")
    before = snapshot(engine)
    departements = _departements(engine)
    with engine.connect() as conn:
        triggers = sorted(r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'")))
    assert before["contribution"][0] == 166 and before["auditevent"][0] > 30 and before["contributiongroup"][0] > 0

    # Up to 0009, the last migration that only adds: 0010 renames three audit actions on purpose (its own test).
    upgrade_schema(engine, "0009")

    compare({k: v for k, v in before.items() if k != "departement"}, engine)
    # the rows `departement` kept, on the columns it keeps
    assert _departements(engine) == departements
    check_edition_one(engine)
    with engine.connect() as conn:
        assert sorted(r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))) == (
            triggers
        )
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        fks = conn.execute(text("PRAGMA foreign_keys")).scalar_one()
    assert fks == 1, "the migration must give the connection its foreign keys back"

    # Start-up after the migration adds the national départements and nothing else of the 2016 edition.
    prepare_store(engine)
    after_start = snapshot(engine)
    for name in ("contribution", "theme", "orientation", "stand", "ptce", "participant", "standvisit", "answer"):
        assert after_start[name][0] == before[name][0], name
    engine.dispose()


def _departements(engine: Engine) -> tuple[int, str, list[str]]:
    meta = MetaData()
    meta.reflect(engine, only=["departement"])
    table = meta.tables["departement"]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.code, table.c.name)).all()
    lines = sorted(repr(tuple(str(v) for v in row)) for row in rows)
    return (len(rows), hashlib.sha256("\n".join(lines).encode()).hexdigest(), ["code", "name"])


@pytest.fixture
def pg_store_at_0007(pg_base_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A PostgreSQL database migrated to 0007 holding the fixture's rows (the rollup rebuilt by its triggers)."""
    name = f"ess_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{pg_base_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = build_engine(f"{pg_base_url}/{name}")
    upgrade_schema(engine, "0007")
    path = tmp_path / "source.db"
    with gzip.open(FIXTURE) as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    source = create_engine(f"sqlite:///{path}")
    meta = MetaData()
    meta.reflect(source)
    target = MetaData()
    target.reflect(engine)
    with source.connect() as read, engine.begin() as write:
        for table in meta.sorted_tables:
            if table.name in ("alembic_version", "contributiontally"):
                continue
            rows = [dict(r._mapping) for r in read.execute(select(table))]
            if rows:
                write.execute(target.tables[table.name].insert(), rows)
        for table in target.sorted_tables:
            if "id" in table.c and table.c.id.autoincrement and table.name != "contributiontally":
                write.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {table.name}), 1))"
                    )
                )
    source.dispose()
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
def test_postgresql_store_of_the_demo_day_becomes_edition_one_with_every_row_kept(pg_store_at_0007: Engine) -> None:
    engine = pg_store_at_0007
    before = snapshot(engine)
    departements = _departements(engine)
    assert before["contribution"][0] == 166 and before["contributiontally"][0] > 0

    # Up to 0009, the last migration that only adds: 0010 renames three audit actions on purpose (its own test).
    upgrade_schema(engine, "0009")

    compare({k: v for k, v in before.items() if k != "departement"}, engine)
    assert _departements(engine) == departements
    check_edition_one(engine)
    # New themes follow the ids the old files gave (the sequence was moved past them).
    with engine.begin() as conn:
        new_id = conn.execute(
            text(
                "INSERT INTO theme (edition_id, code, label, short_label, color, description, position) "
                "VALUES (1, 'nouveau', 'Nouveau thème', 'Nouveau', '#000000', '', 9) RETURNING id"
            )
        ).scalar_one()
        assert new_id > 5
        conn.execute(text("DELETE FROM theme WHERE id = :id"), {"id": new_id})
