"""Migration 0010 renames the staff-account actions of the audit trail, and its downgrade names them back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine

from db.migrate import alembic_config, upgrade_schema

OLD = {"create_user", "update_user", "change_password"}
NEW = {"user.create", "user.update", "user.password"}


def _to(engine: Engine, revision: str) -> None:
    with engine.connect() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _actions(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {str(r[0]): str(r[1]) for r in conn.execute(text("SELECT entity_id, action FROM auditevent"))}


def test_the_user_actions_are_renamed_and_named_back(store_engine: Engine) -> None:
    _to(store_engine, "0009")
    with store_engine.begin() as conn:
        conn.execute(text("DELETE FROM auditevent"))
        for n, action in enumerate([*sorted(OLD), "orientation.move"], start=1):
            entity_type = "orientation" if "." in action else "staffuser"
            conn.execute(
                text(
                    "INSERT INTO auditevent (created_at, actor, action, entity_type, entity_id) "
                    "VALUES (CURRENT_TIMESTAMP, 'admin', :action, :entity_type, :entity_id)"
                ),
                {"action": action, "entity_type": entity_type, "entity_id": str(n)},
            )
    upgrade_schema(store_engine)
    renamed = _actions(store_engine)
    assert set(renamed.values()) == NEW | {"orientation.move"}
    assert renamed["1"] == "user.password" and renamed["2"] == "user.create" and renamed["3"] == "user.update"
    _to(store_engine, "0009")
    assert set(_actions(store_engine).values()) == OLD | {"orientation.move"}
