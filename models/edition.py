"""A conference edition: one Région's event, to which every piece of reference data and every contribution belongs."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class EditionStatus(StrEnum):
    DRAFT = "draft"  # being set up: staff only
    OPEN = "open"  # participants can contribute
    ARCHIVED = "archived"  # read-only for everyone


class Edition(SQLModel, table=True):
    """One conference of one Région (the law has each Région hold one at least every two years)."""

    id: int | None = Field(default=None, primary_key=True)
    # Named in URLs and QR codes (?edition=…): lower-case letters, digits and dashes.
    slug: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=200)
    # Official code of the Région (INSEE), e.g. "52"; its name and départements come from the national list.
    region_code: str = Field(max_length=3)
    city: str = Field(default="", max_length=120)
    venue: str = Field(default="", max_length=200)
    start_date: date
    end_date: date | None = None
    organisers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # One paragraph on the home page: what this edition is and what it prepares.
    introduction: str = ""
    # The Word document's context paragraph.
    document_context: str = ""
    # What the Région calls the featured projects on its map (« PTCE », « projets »…).
    projects_label: str = Field(default="PTCE", max_length=60)
    projects_intro: str = ""
    # Base of the QR codes' URLs (empty: the server's ESS_BASE_URL).
    public_base_url: str = Field(default="", max_length=300)
    privacy_controller: str = Field(default="", max_length=300)
    privacy_contact: str = Field(default="", max_length=300)
    retention_months: int = 24
    status: str = Field(default=EditionStatus.DRAFT.value, max_length=20)
    # The adequacy check (models/vote.py): participants give their stances while True; closed, results only.
    vote_open: bool = True
    # The edition people reach without naming one (at most one row is True).
    is_default: bool = False
    # What the public results page shows (services/publication.py): nothing until staff publish the results;
    # the strategy's text and its traced sources only once staff publish the strategy too. None: not public.
    results_published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    results_published_by: str | None = Field(default=None, max_length=60)
    strategy_published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    strategy_published_by: str | None = Field(default=None, max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
