"""The adequacy check: each participant's stance on each proposed orientation, one tap each, and its counts.

A device's stance lives in one row per (orientation, participant), changed in place until the vote closes;
paper ballots entered by staff are counts per orientation and stance. Every change to either is appended to
`VoteEvent` (the history, and the data version the live pages key their caches on) and applied, in the same
transaction, to two small rollups the live pages read instead of the stance rows:
- `VoteTally`: the counts now, per orientation, stance, origin, actor type and département;
- `VoteTallyTime`: the same changes per quarter hour (deltas: a change is −1 on the old stance and +1 on the
  new one), whose running sum is how the stances moved during the day.
Only services/votes.py writes them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class VoteChoice(StrEnum):
    """A participant's stance on a proposed orientation (the adequacy check)."""

    AGREE = "agree"
    RESERVATIONS = "reservations"
    DISAGREE = "disagree"
    SKIP = "skip"  # « Je ne sais pas / passer »: answered, without weighing on either side


class VoteOrigin(StrEnum):
    """Where a stance was given."""

    STAND = "stand"  # on a stand's page of the circuit
    CARDS = "cards"  # on the phone page that walks the orientations card by card
    CONTRIBUTION = "contribution"  # right after sending a contribution
    PAPER = "paper"  # a paper ballot counted and entered by staff


class OrientationVote(SQLModel, table=True):
    """One device's current stance on one orientation (changeable while the vote is open)."""

    __table_args__ = (UniqueConstraint("orientation_id", "participant_id", name="uq_orientationvote_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    orientation_id: int = Field(foreign_key="orientation.id")
    participant_id: int = Field(foreign_key="participant.id", index=True)
    choice: str = Field(max_length=20)
    origin: str = Field(max_length=20)
    stand_id: int | None = Field(default=None, foreign_key="stand.id")
    # The participant's own description when the stance was given (optional), for the results' filters.
    actor_type: str | None = Field(default=None, max_length=30)
    departement: str | None = Field(default=None, max_length=5)
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PaperBallot(SQLModel, table=True):
    """Paper ballots counted by staff: `count` ballots of one stance on one orientation, from one source."""

    id: int | None = Field(default=None, primary_key=True)
    orientation_id: int = Field(foreign_key="orientation.id", index=True)
    choice: str = Field(max_length=20)
    count: int
    # Where the ballots come from (« Urne de la plénière », « Atelier de Laval »…), typed by staff.
    source: str = Field(max_length=200)
    # One entry of the bulk form: withdrawn together.
    batch: str = Field(max_length=36, index=True)
    entered_by: str = Field(default="", max_length=60)
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_by: str = Field(default="", max_length=60)


class VoteEvent(SQLModel, table=True):
    """Every change to the counts, in order: a tap that gives or changes a stance, a paper entry or its withdrawal."""

    __table_args__ = (Index("ix_voteevent_orientation_created", "orientation_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    orientation_id: int = Field(foreign_key="orientation.id")
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    paper_ballot_id: int | None = Field(default=None, foreign_key="paperballot.id")
    choice: str | None = Field(default=None, max_length=20)  # None: withdrawn
    previous_choice: str | None = Field(default=None, max_length=20)  # None: a first stance
    origin: str = Field(max_length=20)
    count: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class VoteTally(SQLModel, table=True):
    """The counts now: stances per orientation, stance, origin, actor type and département ('' when not given)."""

    __table_args__ = {"sqlite_with_rowid": False}

    orientation_id: int = Field(primary_key=True)
    choice: str = Field(primary_key=True, max_length=20)
    origin: str = Field(primary_key=True, max_length=20)
    actor_type: str = Field(primary_key=True, max_length=30)
    departement: str = Field(primary_key=True, max_length=5)
    n: int = 0


class VoteTallyTime(SQLModel, table=True):
    """The changes per quarter hour (`bucket` = UTC epoch seconds // 900): their running sum is the count then."""

    __table_args__ = {"sqlite_with_rowid": False}

    orientation_id: int = Field(primary_key=True)
    bucket: int = Field(primary_key=True, sa_type=BigInteger)
    choice: str = Field(primary_key=True, max_length=20)
    origin: str = Field(primary_key=True, max_length=20)
    n: int = 0
