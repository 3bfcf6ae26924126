"""Shared column types, clock and vocabularies of the domain."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Timezone-aware now: SQLModel 0.0.50 refuses naive datetimes."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back aware datetimes, on SQLite (no tz support) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass a timezone-aware value")
        value = value.astimezone(UTC)
        # SQLite keeps text; dropping tzinfo there gives a sortable, uniform format.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        parsed: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)


class Source(StrEnum):
    """Where a contribution came from."""

    WORKSHOP = "workshop"
    QUESTIONNAIRE = "questionnaire"
    CONFERENCE = "conference"
    TREASURE_HUNT = "treasure_hunt"
    ONLINE = "online"
    PAPER = "paper"


class Stance(StrEnum):
    """A participant's position on a proposed orientation."""

    SUPPORT = "support"
    SUPPORT_WITH_RESERVATIONS = "support_with_reservations"
    DISAGREEMENT = "disagreement"
    NEW_PROPOSAL = "new_proposal"


class ModerationStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"


class RejectionCategory(StrEnum):
    """Why staff did not publish a contribution, as its author is told (the free-text note stays internal)."""

    OFF_TOPIC = "off_topic"
    ABUSIVE = "abusive"
    PERSONAL_DATA = "personal_data"
    ADVERTISING = "advertising"
    DUPLICATE = "duplicate"
    UNINTELLIGIBLE = "unintelligible"
    OTHER = "other"


class DisplayMode(StrEnum):
    """How an author wants to appear next to a contribution."""

    ANONYMOUS = "anonymous"
    NAME = "name"
    ORGANISATION = "organisation"


class ActorType(StrEnum):
    ASSOCIATION = "association"
    COOPERATIVE = "cooperative"
    MUTUAL = "mutual"
    FOUNDATION = "foundation"
    ESS_COMPANY = "ess_company"
    NETWORK = "network"
    LOCAL_AUTHORITY = "local_authority"
    PUBLIC_BODY = "public_body"
    CITIZEN = "citizen"
    OTHER = "other"


class OrientationStatus(StrEnum):
    PROPOSED = "proposed"
    RETAINED = "retained"
    AMENDED = "amended"
    NEW = "new"
    DROPPED = "dropped"


class Role(StrEnum):
    ORGANIZER = "organizer"
    STAFF = "staff"
    ADMIN = "admin"


class QuestionType(StrEnum):
    OPEN = "open"
    SINGLE = "single"
    MULTIPLE = "multiple"
    SCALE = "scale"
    YESNO = "yesno"


class GroupStatus(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    UNDONE = "undone"


class LinkRelation(StrEnum):
    """How a contribution or group bears on an orientation."""

    SUPPORTS = "supports"
    QUESTIONS = "questions"
