"""What each edition is (EditionInfo, plain and frozen) and how pages find one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Edition, EditionStatus, KeyFigure, Orientation, Ptce, Questionnaire, Stand, Theme
from services import geo
from services.errors import NotFoundError
from services.formatting import format_date
from services.packs import STATUS_LABELS

# The settings an edition's pack carries, in the order a pack writes them.
EDITION_FIELDS = (
    "slug",
    "name",
    "region_code",
    "city",
    "venue",
    "start_date",
    "end_date",
    "organisers",
    "introduction",
    "document_context",
    "projects_label",
    "projects_intro",
    "public_base_url",
    "privacy_controller",
    "privacy_contact",
    "retention_months",
    "status",
)


@dataclass(frozen=True)
class EditionInfo:
    """An edition as pages see it: plain, frozen, safe in a session or a shared cache."""

    id: int
    slug: str
    name: str
    region_code: str
    region_name: str
    city: str
    venue: str
    start_date: date
    end_date: date | None
    organisers: tuple[str, ...]
    introduction: str
    document_context: str
    projects_label: str
    projects_intro: str
    public_base_url: str
    privacy_controller: str
    privacy_contact: str
    retention_months: int
    status: str
    is_default: bool

    @property
    def dates_label(self) -> str:
        """14/05/2030, or 14/05/2030 – 15/05/2030 over several days."""
        if self.end_date and self.end_date != self.start_date:
            return f"{format_date(self.start_date)} – {format_date(self.end_date)}"
        return format_date(self.start_date)

    @property
    def place_and_date(self) -> str:
        """« Région · Ville · 14/05/2030 », each part only when known."""
        return " · ".join(part for part in (self.region_name, self.city, self.dates_label) if part)

    @property
    def long_title(self) -> str:
        return f"{self.name} — {self.region_name}" if self.region_name else self.name

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def archived(self) -> bool:
        return self.status == EditionStatus.ARCHIVED.value

    @property
    def open(self) -> bool:
        return self.status == EditionStatus.OPEN.value

    @property
    def year(self) -> int:
        return self.start_date.year


def edition_info(row: Edition) -> EditionInfo:
    assert row.id is not None
    return EditionInfo(
        id=row.id,
        slug=row.slug,
        name=row.name,
        region_code=row.region_code,
        region_name=geo.region_name(row.region_code),
        city=row.city,
        venue=row.venue,
        start_date=row.start_date,
        end_date=row.end_date,
        organisers=tuple(row.organisers or ()),
        introduction=row.introduction,
        document_context=row.document_context,
        projects_label=row.projects_label,
        projects_intro=row.projects_intro,
        public_base_url=row.public_base_url,
        privacy_controller=row.privacy_controller,
        privacy_contact=row.privacy_contact,
        retention_months=row.retention_months,
        status=row.status,
        is_default=row.is_default,
    )


def list_editions(session: Session) -> list[EditionInfo]:
    """Every edition, the most recent first."""
    rows = session.exec(select(Edition).order_by(col(Edition.start_date).desc(), col(Edition.id).desc())).all()
    return [edition_info(r) for r in rows]


def get_edition(session: Session, *, edition_id: int) -> EditionInfo:
    row = session.get(Edition, edition_id)
    if row is None:
        raise NotFoundError("Cette édition n'existe pas.")
    return edition_info(row)


def find_edition(session: Session, *, slug: str) -> EditionInfo | None:
    """The edition a URL or a command line names, or None."""
    row = session.exec(select(Edition).where(Edition.slug == (slug or "").strip().lower())).first()
    return edition_info(row) if row is not None else None


def default_edition(session: Session) -> EditionInfo | None:
    """The edition people reach without naming one: the one marked, else the latest open one, else the latest."""
    row = session.exec(select(Edition).where(col(Edition.is_default))).first()
    if row is None:
        row = session.exec(
            select(Edition)
            .where(Edition.status == EditionStatus.OPEN.value)
            .order_by(col(Edition.start_date).desc(), col(Edition.id).desc())
        ).first()
    if row is None:
        row = session.exec(select(Edition).order_by(col(Edition.start_date).desc(), col(Edition.id).desc())).first()
    return edition_info(row) if row is not None else None


def previous_edition(session: Session, *, edition_id: int) -> EditionInfo | None:
    """The same Région's edition before this one (for comparisons), or None."""
    current = session.get(Edition, edition_id)
    if current is None:
        return None
    row = session.exec(
        select(Edition)
        .where(Edition.region_code == current.region_code, Edition.start_date < current.start_date)
        .order_by(col(Edition.start_date).desc())
    ).first()
    return edition_info(row) if row is not None else None


def edition_of_theme(session: Session, *, theme_id: int) -> int | None:
    theme = session.get(Theme, theme_id)
    return theme.edition_id if theme is not None else None


def edition_counts(session: Session, *, edition_id: int) -> dict[str, int]:
    """How many themes, orientations, stands and projects an edition holds (the wizard's checklist)."""

    def n(model: Any) -> int:
        return int(session.exec(select(func.count()).select_from(model).where(model.edition_id == edition_id)).one())

    return {
        "themes": n(Theme),
        "orientations": n(Orientation),
        "stands": n(Stand),
        "projects": n(Ptce),
        "key_figures": n(KeyFigure),
        "questionnaires": n(Questionnaire),
    }
