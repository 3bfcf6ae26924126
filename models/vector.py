"""Sentence vectors of contributions, kept so that the model embeds each text once, not at every restart.

A cache: any row can be dropped and is computed again when needed. A row is valid only for the model and
the exact text it was computed from (`digest` covers both): an edited or masked text, or another model,
gets a new vector. Deleting a contribution deletes its vector (ON DELETE CASCADE): erasure leaves nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class ContributionVector(SQLModel, table=True):
    contribution_id: int = Field(
        sa_column=Column(Integer, ForeignKey("contribution.id", ondelete="CASCADE"), primary_key=True)
    )
    model: str = Field(max_length=80)
    digest: str = Field(max_length=64)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # float32, little-endian
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
