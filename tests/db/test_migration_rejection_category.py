"""Migration 0014 (the category of a rejection) goes down and up again on a store in use, losing no row and
leaving the rollup triggers of `contribution` in place (no rebuild of the table, on the way up or down)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from db.migrate import alembic_config, upgrade_schema
from models import Contribution, ContributionTally, ModerationStatus
from services import moderation
from services.demo import seed_demo
from services.permissions import CONSOLE_ACTOR
from tests.db.test_migration_editions import HEALTH_TABLE, compare, snapshot


def _triggers(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='contribution'"
        else:
            sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'contribution'::regclass AND NOT tgisinternal"
        return sorted(r[0] for r in conn.execute(text(sql)))


def _rejected(engine: Engine) -> int:
    with session_scope(engine) as session:
        rows = session.exec(select(Contribution).where(Contribution.status == ModerationStatus.REJECTED.value)).all()
        return len(rows)


def _tally(engine: Engine) -> int:
    with session_scope(engine) as session:
        rows = session.exec(
            select(ContributionTally.n).where(
                ContributionTally.family == "base",
                ContributionTally.width == 86400,
                ContributionTally.status == ModerationStatus.REJECTED.value,
            )
        ).all()
        return sum(rows)


@pytest.mark.slow
def test_the_rejection_category_column_goes_down_and_up_again(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session:
        seed_demo(session, participants=20)
        target = session.exec(
            select(Contribution.id).where(Contribution.status == ModerationStatus.PENDING.value).limit(1)
        ).first()
        assert target is not None
        moderation.reject(
            session, contribution_ids=[target], actor=CONSOLE_ACTOR, category="off_topic", reason="Hors sujet"
        )
    triggers = _triggers(store_engine)
    assert triggers, "the rollup triggers exist before"
    columns = {
        name: [c for c in cols if not (name == "contribution" and c == "rejection_category")]
        for name, (_, _, cols) in snapshot(store_engine).items()
        if name != HEALTH_TABLE  # 0015's, gone at 0013 too
    }
    before = snapshot(store_engine, columns)

    with store_engine.connect() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013")
    assert "rejection_category" not in {c["name"] for c in inspect(store_engine).get_columns("contribution")}
    compare(before, store_engine)
    assert _triggers(store_engine) == triggers

    upgrade_schema(store_engine)
    compare(before, store_engine)
    assert _triggers(store_engine) == triggers
    with session_scope(store_engine) as session:
        row = session.get(Contribution, target)
        assert row is not None and row.status == "rejected" and row.rejection_category is None  # as an old row

    # The triggers still count: one more rejection moves the rollup with it.
    rejected, counted = _rejected(store_engine), _tally(store_engine)
    assert rejected == counted
    with session_scope(store_engine, write=True) as session:
        other = session.exec(
            select(Contribution.id).where(Contribution.status == ModerationStatus.PENDING.value).limit(1)
        ).first()
        assert other is not None
        moderation.reject(
            session, contribution_ids=[other], actor=CONSOLE_ACTOR, category="duplicate", reason="Doublon de la 3"
        )
    assert _rejected(store_engine) == _tally(store_engine) == rejected + 1
    with session_scope(store_engine) as session:
        stored = session.get(Contribution, other)
        assert stored is not None and stored.rejection_category == "duplicate"
