"""Participants: pseudonymous device tokens, no account."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Participant(SQLModel, table=True):
    """A phone or browser, known only by a random token; restorable by a short public code."""

    id: int | None = Field(default=None, primary_key=True)
    # A passport belongs to one edition: a phone met again at the next edition starts a new one.
    edition_id: int = Field(foreign_key="edition.id", index=True)
    # Secret: lives in the participant's browser (URL/cookie), never shown to others.
    device_token: str = Field(max_length=64, unique=True)
    # Short, readable code to restore the passport on another phone.
    public_code: str = Field(max_length=16, unique=True)
    # Indexed: the organisers watch how many new devices arrive per minute (models/vote.py, « honest numbers »).
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    treasure_code: str | None = Field(default=None, max_length=16, unique=True)
    treasure_found_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    is_demo: bool = Field(default=False, index=True)
    # What the participant says of themself on the vote page (optional): the results' filters follow it.
    actor_type: str | None = Field(default=None, max_length=30)
    departement: str | None = Field(default=None, max_length=5)
    # When this device first gave a stance: the count of participants who weighed in reads this, not the stances.
    first_vote_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
