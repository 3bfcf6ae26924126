"""Contributions and what staff attach to them: supports, tags, duplicate groups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, BigInteger, Index, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from models.base import DisplayMode, GroupStatus, ModerationStatus, Source, UTCDateTime, utcnow

# The quarter hour of created_at as SQLite stores it ('YYYY-MM-DD HH:MM:SS.ffffff', UTC): 'YYYY-MM-DD HH:' and
# the quarter number 0–3. services/tallies.py groups by this very text, so the expression index created
# after the table (below) hands the over-time tally its rows already in order (no sort of every row).
QUARTER_KEY_SQL = "(substr(created_at, 1, 14) || (CAST(substr(created_at, 15, 2) AS INTEGER) / 15))"


class Contribution(SQLModel, table=True):
    """One idea sent to the strategy, from any source."""

    __table_args__ = (
        # The filters of the live tallies and of the moderation queue.
        Index("ix_contribution_theme_created", "theme_id", "created_at"),
        Index("ix_contribution_status_created", "status", "created_at"),
        Index("ix_contribution_source_created", "source", "created_at"),
        # Covering indexes of the live tallies (services/tallies.py), one per GROUP BY: theme first, then the
        # grouped column, then every filtered column, so each count is read from the index alone, already
        # in GROUP BY order (no table lookups, no sort), with or without a theme filter.
        Index("ix_contribution_tally_source", "theme_id", "source", "status", "created_at"),
        Index("ix_contribution_tally_departement", "theme_id", "departement", "status", "source", "created_at"),
        Index("ix_contribution_tally_actor", "theme_id", "actor_type", "status", "source", "created_at"),
        Index("ix_contribution_tally_stance", "theme_id", "orientation_id", "stance", "status", "source", "created_at"),
        # A theme's published data version (count, highest id, latest change), read before every suggestion
        # while typing (services/suggestion_indexes.py), from the index alone.
        Index("ix_contribution_theme_status_updated", "theme_id", "status", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Short code shown to the participant after saving, easy to read aloud.
    receipt_code: str = Field(max_length=16, unique=True)
    # Sent by the client with the submission; a retry with the same key returns the same row.
    idempotency_key: str = Field(max_length=64, unique=True)
    theme_id: int = Field(foreign_key="theme.id")
    orientation_id: int | None = Field(default=None, foreign_key="orientation.id", index=True)
    stance: str | None = Field(default=None, max_length=30)
    title: str = Field(default="", max_length=120)
    body: str
    # Staff-made copy of the body with personal data masked; shown instead of body when set.
    masked_body: str | None = None
    source: str = Field(default=Source.CONFERENCE.value, max_length=20)
    author_name: str = Field(default="", max_length=120)
    organisation: str = Field(default="", max_length=200)
    actor_type: str | None = Field(default=None, max_length=30, index=True)
    departement: str | None = Field(default=None, foreign_key="departement.code", max_length=5, index=True)
    display_mode: str = Field(default=DisplayMode.ANONYMOUS.value, max_length=20)
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default=ModerationStatus.PENDING.value, max_length=20)
    # Staff's note for the team (never shown to the author) and the category its author is told (RejectionCategory).
    rejection_reason: str = ""
    rejection_category: str | None = Field(default=None, max_length=40)
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    stand_id: int | None = Field(default=None, foreign_key="stand.id", index=True)
    ptce_id: int | None = Field(default=None, foreign_key="ptce.id", index=True)
    response_id: int | None = Field(default=None, foreign_key="questionnaireresponse.id", index=True)
    question_id: int | None = Field(default=None, foreign_key="question.id")
    entered_by: str = Field(default="", max_length=60)
    is_demo: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    personal_data_erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# SQLite only (its text dates; PostgreSQL groups by hashing), and as DDL rather than an Index: Alembic cannot
# compare expression indexes on SQLite and would report this one as missing on PostgreSQL. Migration 0003
# creates it in stores built by migrations; tests/services/test_tallies.py checks that SQLite uses it.
event.listen(
    Contribution.__table__,  # type: ignore[attr-defined]
    "after_create",
    DDL(  # type: ignore[no-untyped-call]
        "CREATE INDEX IF NOT EXISTS ix_contribution_tally_quarter ON contribution "
        f"(theme_id, {QUARTER_KEY_SQL}, status, source, created_at)"
    ).execute_if(dialect="sqlite"),
)


class ContributionTally(SQLModel, table=True):
    """Contributions counted per time bucket and category, kept by the database itself.

    Triggers of migration 0004 add or remove one row's worth in the same transaction as every insert,
    update (of a counted column) or delete on contribution, so the live tallies (services/tallies.py) read
    a few thousand of these rows instead of every contribution. One row per `family` (what key1/key2 hold),
    `width` (bucket size in seconds), `bucket` (UTC epoch seconds // width), theme, source and status:
    - base: no key; widths 900 (quarter hours), 3600, 86400;
    - departement / actor_type: key1 is the field ('' when empty); widths 3600 and 86400;
    - stance: key1 is the orientation id as text, key2 the stance (only rows with both); 3600 and 86400.
    Counts may fall to 0 (rows are kept); readers skip zero sums. The application writes it in one place only:
    a bulk writer that paused the triggers counts its own rows (services.tally_rollup, migration 0005).
    """

    __table_args__ = {"sqlite_with_rowid": False}

    family: str = Field(primary_key=True, max_length=12)
    width: int = Field(primary_key=True)
    bucket: int = Field(primary_key=True, sa_type=BigInteger)
    theme_id: int = Field(primary_key=True)
    source: str = Field(primary_key=True, max_length=20)
    status: str = Field(primary_key=True, max_length=20)
    key1: str = Field(primary_key=True, max_length=30)
    key2: str = Field(primary_key=True, max_length=30)
    n: int = 0


class ContributionTallyPause(SQLModel, table=True):
    """A bulk write that counts its own contributions in the rollup (services.tally_rollup, migration 0005).

    Used on SQLite: the row lives inside the writer's transaction (inserted after BEGIN IMMEDIATE, deleted before
    COMMIT), and the triggers skip the contributions whose id is above `above_id`. PostgreSQL pauses with a
    transaction-local setting instead; the table exists there too, always empty.
    """

    __tablename__ = "contributiontally_pause"

    above_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})


class ContributionSupport(SQLModel, table=True):
    """'I agree with this one': a participant backs an existing contribution instead of repeating it."""

    __table_args__ = (UniqueConstraint("contribution_id", "participant_id", name="uq_support_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    contribution_id: int = Field(foreign_key="contribution.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    is_demo: bool = False


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(max_length=60, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContributionTag(SQLModel, table=True):
    contribution_id: int = Field(foreign_key="contribution.id", primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, index=True)


class ContributionGroup(SQLModel, table=True):
    """Near-duplicate contributions of one theme, proposed by the app and confirmed by staff."""

    id: int | None = Field(default=None, primary_key=True)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    representative_text: str
    status: str = Field(default=GroupStatus.PROPOSED.value, max_length=20)
    threshold: float | None = None
    created_by: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ContributionGroupMember(SQLModel, table=True):
    group_id: int = Field(foreign_key="contributiongroup.id", primary_key=True)
    contribution_id: int = Field(foreign_key="contribution.id", primary_key=True, index=True)
