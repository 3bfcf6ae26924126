"""The treasure-hunt exhibition circuit: stands and visits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Stand(SQLModel, table=True):
    """An exhibition stand showing an ESS experience, reached by its QR code."""

    __table_args__ = (UniqueConstraint("edition_id", "code", name="uq_stand_edition_code"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    code: str = Field(max_length=20)
    name: str = Field(max_length=160)
    experience: str = Field(default="", max_length=300)
    carrier: str = Field(default="", max_length=200)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    description: str = ""
    question: str = ""
    position: int = 0
    ptce_id: int | None = Field(default=None, foreign_key="ptce.id")
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StandVisit(SQLModel, table=True):
    """A participant's visit to a stand: at most one per pair."""

    __table_args__ = (UniqueConstraint("stand_id", "participant_id", name="uq_standvisit_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    stand_id: int = Field(foreign_key="stand.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    is_demo: bool = Field(default=False, index=True)
