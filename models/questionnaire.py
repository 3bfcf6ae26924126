"""The actor questionnaire: its structure, responses, answers and import mappings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Questionnaire(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("edition_id", "slug", name="uq_questionnaire_edition_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True)
    slug: str = Field(max_length=60)
    title: str = Field(max_length=200)
    description: str = ""
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QuestionnaireSection(SQLModel, table=True):
    """A section, usually one per theme."""

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    theme_id: int | None = Field(default=None, foreign_key="theme.id")
    title: str = Field(max_length=200)
    position: int = 0


class Question(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("questionnaire_id", "code", name="uq_question_code"),)

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    section_id: int | None = Field(default=None, foreign_key="questionnairesection.id")
    code: str = Field(max_length=40)
    text: str
    qtype: str = Field(max_length=20)
    choices: list[str] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    required: bool = False
    position: int = 0


class ImportBatch(SQLModel, table=True):
    """One upload of answers exported from another survey tool."""

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    filename: str = Field(max_length=255)
    rows_read: int = 0
    rows_imported: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    created_by: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QuestionnaireResponse(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("questionnaire_id", "fingerprint", name="uq_response_fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    origin: str = Field(default="online", max_length=20)
    # Hash of the normalised answers: re-importing an export skips rows already stored.
    fingerprint: str | None = Field(default=None, max_length=64)
    resume_code: str | None = Field(default=None, max_length=16, unique=True)
    status: str = Field(default="draft", max_length=20)
    organisation: str = Field(default="", max_length=200)
    actor_type: str | None = Field(default=None, max_length=30)
    departement: str | None = Field(default=None, max_length=5)
    respondent_name: str = Field(default="", max_length=120)
    email: str = Field(default="", max_length=200)
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    import_batch_id: int | None = Field(default=None, foreign_key="importbatch.id")
    is_demo: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Answer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("response_id", "question_id", name="uq_answer_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="questionnaireresponse.id", index=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    value_text: str | None = None
    value_number: float | None = None
    value_choices: list[str] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))


class ImportMapping(SQLModel, table=True):
    """A saved column → field mapping, reused for the next export of the same form."""

    __table_args__ = (UniqueConstraint("questionnaire_id", "name", name="uq_importmapping_name"),)

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    name: str = Field(max_length=120)
    mapping: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON(none_as_null=True)))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
