"""Bring a store to a usable state: schema, départements, the startup conference packs."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from db.engine import session_scope
from db.migrate import upgrade_schema
from db.reference import ReferenceLoadReport, load_reference_data


def prepare_store(engine: Engine) -> ReferenceLoadReport:
    """Migrate to head and load the reference data; safe to run any number of times, never undoes staff edits."""
    upgrade_schema(engine)
    with session_scope(engine, write=True) as session:
        report = load_reference_data(session=session)
    return report
