"""The store's health probe: one row per app process or command that checks the store (services.health)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class HealthProbe(SQLModel, table=True):
    """The last write-and-read round trip of one prober: `probe` names a replica and its host, never a person.

    One row per prober, written over at each check (an upsert), so the table stays as small as the number of
    replicas; `nonce` is a fresh random value that the check reads back from a new session.
    """

    probe: str = Field(primary_key=True, max_length=100)
    nonce: str = Field(max_length=64)
    written_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
