"""The rollups (models/vote.py): one upsert per changed key, in the writer's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from models import OrientationVote, PaperBallot, VoteOrigin, VoteTally, VoteTallyTime

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


@dataclass(frozen=True)
class StanceKey:
    """What the counts now are split by: the orientation, the answer, its origin and the voter's description."""

    orientation_id: int
    choice: str
    origin: str
    actor_type: str | None = None
    departement: str | None = None

    @classmethod
    def of_vote(cls, vote: OrientationVote) -> StanceKey:
        return cls(vote.orientation_id, vote.choice, vote.origin, vote.actor_type, vote.departement)

    @classmethod
    def of_paper(cls, paper: PaperBallot) -> StanceKey:
        """Paper ballots carry no description of their voters."""
        return cls(paper.orientation_id, paper.choice, VoteOrigin.PAPER.value)


def add_tally(session: Session, key: StanceKey, delta: int) -> None:
    """Apply `delta` stances to the counts now (not to the movement over the day)."""
    row = {
        "orientation_id": key.orientation_id,
        "choice": key.choice,
        "origin": key.origin,
        "actor_type": key.actor_type or "",
        "departement": key.departement or "",
    }
    add(session, VoteTally, row, delta)


def count(session: Session, key: StanceKey, *, at: datetime, delta: int) -> None:
    """Apply `delta` stances to both rollups (the counts now, and the quarter hour of `at`)."""
    add_tally(session, key, delta)
    row = {"orientation_id": key.orientation_id, "bucket": bucket_of(at), "choice": key.choice, "origin": key.origin}
    add(session, VoteTallyTime, row, delta)
