"""The rollups (models/vote.py): one upsert per changed key, in the writer's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from models import VoteTally, VoteTallyTime

# The quarter hours of the movement over the day (as the contributions' time series).
TIME_BUCKET_S = 900


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def add(session: Session, model: type[Any], key: dict[str, Any], delta: int) -> None:
    """Add `delta` to the rollup row of `key` (created at `delta` when there is none)."""
    table = _table(model)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(**key, n=delta)
    session.execute(statement.on_conflict_do_update(index_elements=list(key), set_={"n": table.c.n + delta}))


def bucket_of(at: datetime) -> int:
    """The quarter hour `at` falls in, as the movement over the day counts it."""
    return int(at.timestamp()) // TIME_BUCKET_S


def add_tally(
    session: Session,
    *,
    orientation_id: int,
    choice: str,
    origin: str,
    actor_type: str | None,
    departement: str | None,
    delta: int,
) -> None:
    """Apply `delta` stances to the counts now (not to the movement over the day)."""
    key = {
        "orientation_id": orientation_id,
        "choice": choice,
        "origin": origin,
        "actor_type": actor_type or "",
        "departement": departement or "",
    }
    add(session, VoteTally, key, delta)


def count(
    session: Session,
    *,
    orientation_id: int,
    choice: str,
    origin: str,
    actor_type: str | None,
    departement: str | None,
    at: datetime,
    delta: int,
) -> None:
    """Apply `delta` stances to both rollups (the counts now, and the quarter hour of `at`)."""
    add_tally(
        session,
        orientation_id=orientation_id,
        choice=choice,
        origin=origin,
        actor_type=actor_type,
        departement=departement,
        delta=delta,
    )
    key = {"orientation_id": orientation_id, "bucket": bucket_of(at), "choice": choice, "origin": origin}
    add(session, VoteTallyTime, key, delta)
