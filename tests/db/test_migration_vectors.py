"""Migration 0011 (contributions' sentence vectors) goes down and up again on a store in use, losing no other row;
the vectors go with their contributions."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from db.migrate import alembic_config, upgrade_schema
from models import Contribution, ContributionVector
from services import semantics
from services.demo import remove_demo, seed_demo
from tests.db.test_migration_editions import HEALTH_TABLE, compare, snapshot
from tests.db.test_migration_votes import LATER_COLUMNS


def _vectors(engine: Engine) -> int:
    with session_scope(engine, write=True) as session:
        rows = session.exec(select(Contribution.id, Contribution.body).limit(5)).all()
        semantics.contribution_vectors(session, [(cid, body) for cid, body in rows if cid is not None])
        return len(rows)


@pytest.mark.slow
def test_the_vector_table_goes_down_and_up_again_and_leaves_with_its_contributions(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session:
        seed_demo(session, participants=30)
    assert _vectors(store_engine) == 5
    # Going down to 0010 also takes away the columns later migrations added (0013, 0014).
    columns = {
        name: [c for c in cols if c not in LATER_COLUMNS.get(name, set())]
        for name, (_, _, cols) in snapshot(store_engine).items()
        if name not in {"contributionvector", HEALTH_TABLE}
    }
    before = snapshot(store_engine, columns)

    with store_engine.connect() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    assert "contributionvector" not in set(inspect(store_engine).get_table_names())
    compare(before, store_engine)

    upgrade_schema(store_engine)
    compare(before, store_engine)
    assert _vectors(store_engine) == 5
    # Contributions deleted (here the demo's, as staff remove it) take their vectors with them.
    with session_scope(store_engine, write=True) as session:
        remove_demo(session)
    with session_scope(store_engine) as session:
        assert session.exec(select(ContributionVector)).all() == []
