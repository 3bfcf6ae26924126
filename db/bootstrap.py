"""Bring a store to a usable state: schema, reference data, shipped questionnaires."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from db.engine import session_scope
from db.migrate import upgrade_schema
from db.reference import load_reference_data
from services.questionnaires import load_shipped_questionnaires


def prepare_store(engine: Engine) -> dict[str, int]:
    """Migrate to head and load the reference data; safe to run any number of times."""
    upgrade_schema(engine)
    with session_scope(engine, write=True) as session:
        inserted = load_reference_data(session=session)
        inserted["questionnaires"] = load_shipped_questionnaires(session=session)
    return inserted
