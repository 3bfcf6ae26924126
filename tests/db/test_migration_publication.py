"""Migration 0013 (what each edition makes public) goes down and up again on a store in use, losing no row."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from db.engine import session_scope
from db.migrate import alembic_config, upgrade_schema
from services import publication
from services.demo import seed_demo
from services.permissions import CONSOLE_ACTOR
from services.scope import resolve_edition_id
from tests.db.test_migration_editions import HEALTH_TABLE, compare, snapshot


@pytest.mark.slow
def test_the_publication_columns_go_down_and_up_again(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session:
        seed_demo(session, participants=20)
        edition_id = resolve_edition_id(session=session, edition_id=None)
    new = {"results_published_at", "results_published_by", "strategy_published_at", "strategy_published_by"}
    # Going down to 0012 also takes away what later migrations added (0014: contribution.rejection_category).
    later = {("contribution", "rejection_category")}
    columns = {
        name: [c for c in cols if not (name == "edition" and c in new) and (name, c) not in later]
        for name, (_, _, cols) in snapshot(store_engine).items()
        if name != HEALTH_TABLE  # 0015's, gone at 0012 too
    }
    before = snapshot(store_engine, columns)

    with store_engine.connect() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0012")
    assert not new & {c["name"] for c in inspect(store_engine).get_columns("edition")}
    compare(before, store_engine)

    upgrade_schema(store_engine)
    compare(before, store_engine)
    assert new <= {c["name"] for c in inspect(store_engine).get_columns("edition")}
    with session_scope(store_engine, write=True) as session:
        state = publication.publish_results(session, actor=CONSOLE_ACTOR, edition_id=edition_id)
    assert state.results
    # The rollup triggers of `contribution` were not touched (only `edition` was rebuilt on the way down).
    if store_engine.dialect.name == "sqlite":
        with store_engine.connect() as conn:
            names = {r[0] for r in conn.exec_driver_sql("SELECT tbl_name FROM sqlite_master WHERE type='trigger'")}
        assert "contribution" in names
