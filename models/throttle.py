"""Counted events of the store-backed throttles (services.throttle)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class ThrottleEvent(SQLModel, table=True):
    """One event a sliding window counts: a new passport, an anonymous write, a wrong restore code.

    In the store rather than in a process's memory so that every app process and replica counts the same
    events. `key` is never a network address: it is a keyed hash of one (services.throttle.origin_key), or a
    random browser-session id. Rows older than the longest window are deleted as new ones arrive.
    """

    __table_args__ = (Index("ix_throttleevent_scope_key_at", "scope", "key", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=40)
    key: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
