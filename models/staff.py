"""Staff accounts, login attempts (for throttling) and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from models.base import Role, UTCDateTime, utcnow


class StaffUser(SQLModel, table=True):
    """A Région, State, CRESS or organising-team account. Participants never have one."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=120)
    email: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=100)
    role: str = Field(default=Role.ORGANIZER.value, max_length=20)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Any login cookie issued before this instant is refused (set on logout and password change).
    tokens_valid_after: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """Every password check, kept to throttle per account and per browser session."""

    __table_args__ = (
        Index("ix_loginattempt_username_at", "username", "created_at"),
        Index("ix_loginattempt_session_at", "session_key", "created_at"),
        Index("ix_loginattempt_device_at", "device", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60)
    session_key: str = Field(max_length=64)
    # The trusted device the attempt came from (services.auth: device cookies), None from any other browser.
    device: str | None = Field(default=None, max_length=32)
    succeeded: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, with the state before and after."""

    __table_args__ = (Index("ix_auditevent_entity", "entity_type", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=60)
    action: str = Field(max_length=60)
    entity_type: str = Field(max_length=40)
    entity_id: str = Field(default="", max_length=60)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
