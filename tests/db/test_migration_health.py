"""Migration 0015 (the health probe's table) goes down and up again and touches no other table: under SQLite the
rollup triggers of `contribution` stay in place."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from db.migrate import alembic_config, upgrade_schema
from services import health
from tests.db.test_migration_rejection_category import _triggers


def test_the_health_probe_table_goes_down_and_up_again(store_engine: Engine) -> None:
    assert health.check_store(store_engine, probe="r1@hote").ok
    triggers = _triggers(store_engine)
    assert triggers
    tables = set(inspect(store_engine).get_table_names())
    with store_engine.connect() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0014")
    assert set(inspect(store_engine).get_table_names()) == tables - {"healthprobe"}
    assert not health.check_store(store_engine, probe="r1@hote").ok
    upgrade_schema(store_engine)
    assert set(inspect(store_engine).get_table_names()) == tables
    assert _triggers(store_engine) == triggers
    assert health.check_store(store_engine, probe="r1@hote").ok
