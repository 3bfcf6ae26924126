"""Migration 0009 (the adequacy check) goes down and up again on a store in use, losing none of its other rows."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from db.engine import session_scope
from db.migrate import alembic_config, upgrade_schema
from services import votes
from services.codes import device_token
from tests.db.test_migration_editions import HEALTH_TABLE, compare, snapshot

VOTE_TABLES = {"orientationvote", "paperballot", "voteevent", "votetally", "votetallytime"}
# Tables of migrations after 0009, gone too once the store is at 0008.
# Tables later migrations added, gone at 0008 too: 0011's sentence vectors, 0015's health probe.
LATER_TABLES = {"contributionvector", HEALTH_TABLE}
# Columns later migrations added, gone too at 0008: 0013's publication of an edition, 0014's rejection category.
LATER_COLUMNS = {
    "edition": {"results_published_at", "results_published_by", "strategy_published_at", "strategy_published_by"},
    "contribution": {"rejection_category"},
}


def test_the_vote_tables_and_switches_go_down_and_up_again(store_engine: Engine) -> None:
    with session_scope(store_engine) as session:
        first = votes.ballot(session=session)[0]
    token = device_token()
    with session_scope(store_engine, write=True) as session:
        votes.cast_vote(session=session, device_token=token, orientation_id=first.id, choice="agree", origin="cards")
    # What 0008 had, as it had it: every table but the new ones, on the columns it had.
    new_columns = {
        "edition": {"vote_open"},
        "theme": {"vote_open"},
        "participant": {"actor_type", "departement", "first_vote_at"},
    }
    columns = {
        name: [c for c in cols if c not in new_columns.get(name, set()) | LATER_COLUMNS.get(name, set())]
        for name, (_, _, cols) in snapshot(store_engine).items()
        if name not in VOTE_TABLES | LATER_TABLES
    }
    before = snapshot(store_engine, columns)

    with store_engine.connect() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    tables = set(inspect(store_engine).get_table_names())
    assert not tables & VOTE_TABLES
    assert "vote_open" not in {c["name"] for c in inspect(store_engine).get_columns("theme")}
    compare(before, store_engine)

    upgrade_schema(store_engine)
    assert set(inspect(store_engine).get_table_names()) >= VOTE_TABLES
    compare(before, store_engine)
    with store_engine.connect() as conn:
        # Open by default, as before the switches existed.
        assert {bool(r[0]) for r in conn.execute(text("SELECT vote_open FROM theme"))} == {True}
        assert {bool(r[0]) for r in conn.execute(text("SELECT vote_open FROM edition"))} == {True}
    with session_scope(store_engine, write=True) as session:
        receipt = votes.cast_vote(
            session=session, device_token=token, orientation_id=first.id, choice="disagree", origin="cards"
        )
    assert receipt.changed and receipt.previous_choice is None  # the stances went with the tables
