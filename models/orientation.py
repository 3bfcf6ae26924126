"""Orientations of the strategy, their versions, staff comments and traceability links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import OrientationStatus, UTCDateTime, utcnow


class Orientation(SQLModel, table=True):
    """A proposed (then drafted) orientation of one theme; its text history is in OrientationVersion."""

    __table_args__ = (UniqueConstraint("edition_id", "code", name="uq_orientation_edition_code"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    code: str = Field(max_length=20)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    title: str = Field(max_length=300)
    body: str = ""
    status: str = Field(default=OrientationStatus.PROPOSED.value, max_length=20)
    position: int = 0
    version: int = 1
    # True for the orientations presented at the morning plenary (participants can take a stance).
    presented: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrientationVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("orientation_id", "version", name="uq_orientationversion"),)

    id: int | None = Field(default=None, primary_key=True)
    orientation_id: int = Field(foreign_key="orientation.id", index=True)
    version: int
    title: str = Field(max_length=300)
    body: str = ""
    status: str = Field(max_length=20)
    edited_by: str = Field(default="", max_length=60)
    note: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrientationComment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    orientation_id: int = Field(foreign_key="orientation.id", index=True)
    author: str = Field(max_length=60)
    body: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrientationLink(SQLModel, table=True):
    """Traceability: a contribution or a confirmed group that supports or questions an orientation."""

    __table_args__ = (
        CheckConstraint("(contribution_id IS NULL) <> (group_id IS NULL)", name="ck_orientationlink_one_target"),
        Index("ix_orientationlink_contribution", "contribution_id"),
        Index("ix_orientationlink_group", "group_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    orientation_id: int = Field(foreign_key="orientation.id", index=True)
    contribution_id: int | None = Field(default=None, foreign_key="contribution.id")
    group_id: int | None = Field(default=None, foreign_key="contributiongroup.id")
    relation: str = Field(max_length=20)
    created_by: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
