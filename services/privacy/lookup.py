"""Access to personal data (GDPR): what the store links to a receipt code, a device token or a resume code."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from sqlmodel import Session, col, select

from models import (
    Contribution,
    ContributionSupport,
    Edition,
    Participant,
    Questionnaire,
    QuestionnaireResponse,
    StandVisit,
    Theme,
)
from services import geo
from services.errors import ValidationError
from services.formatting import format_date, format_datetime
from services.labels import REJECTION_CATEGORY_LABELS, label
from services.permissions import Permission, require_permission
from services.text import has_forbidden_characters

CODE_MAX_CHARS = 64


@dataclass(frozen=True)
class ContributionRecord:
    contribution_id: int
    receipt_code: str
    created_at: str
    text: str
    title: str
    author_name: str
    organisation: str
    display_mode: str
    status: str
    erased: bool
    edition: str = ""  # which conference it was sent to: a receipt code is unique across editions
    # Why it was not published, as its author is told (the category's French label; "" when not rejected or
    # rejected before categories). Staff's own note (rejection_reason) is never part of the person's data file.
    rejection_category: str = ""


@dataclass(frozen=True)
class ResponseRecord:
    response_id: int
    created_at: str
    respondent_name: str
    email: str
    organisation: str
    edition: str = ""


@dataclass(frozen=True)
class PersonalData:
    """Everything the store links to one code."""

    code: str
    device_linked: bool
    supports: int
    visits: int
    contributions: list[ContributionRecord]
    responses: list[ResponseRecord]

    @property
    def empty(self) -> bool:
        return not (self.contributions or self.responses or self.device_linked)


def find_rows(
    session: Session, code: str
) -> tuple[Participant | None, list[Contribution], list[QuestionnaireResponse]]:
    cleaned = (code or "").strip()
    if not cleaned or len(cleaned) > CODE_MAX_CHARS or has_forbidden_characters(cleaned):
        raise ValidationError({"code": "Indiquez un code de reçu, un code de reprise ou un jeton d'appareil."})
    participant = session.exec(select(Participant).where(Participant.device_token == cleaned)).first()
    contributions: dict[int, Contribution] = {}
    receipt = session.exec(select(Contribution).where(Contribution.receipt_code == cleaned.upper())).first()
    if receipt is not None:
        contributions[receipt.id or 0] = receipt
        if participant is None and receipt.participant_id is not None:
            participant = session.get(Participant, receipt.participant_id)
    if participant is not None:
        for c in session.exec(select(Contribution).where(Contribution.participant_id == participant.id)).all():
            contributions[c.id or 0] = c
    responses = list(
        session.exec(select(QuestionnaireResponse).where(QuestionnaireResponse.resume_code == cleaned.upper())).all()
    )
    response_ids = {c.response_id for c in contributions.values() if c.response_id is not None}
    if response_ids:
        responses += list(
            session.exec(select(QuestionnaireResponse).where(col(QuestionnaireResponse.id).in_(response_ids))).all()
        )
    unique = {r.id: r for r in responses}
    if unique:
        # The open answers of a questionnaire became contributions: they are the respondent's too.
        for c in session.exec(select(Contribution).where(col(Contribution.response_id).in_(list(unique)))).all():
            contributions[c.id or 0] = c
    return participant, sorted(contributions.values(), key=lambda c: c.id or 0), list(unique.values())


def _edition_label(row: Edition) -> str:
    """« Conférence régionale de l'ESS · Région · 14/05/2030 »: names may repeat from one Région to
    another, so the Région and the date say which one."""
    parts = (row.name, geo.region_name(row.region_code), format_date(row.start_date))
    return " · ".join(part for part in parts if part)


def _labels_by(session: Session, model: type[Theme] | type[Questionnaire], ids: set[int]) -> dict[int, str]:
    """The edition label of each of these themes or questionnaires (both belong to one edition)."""
    if not ids:
        return {}
    rows = session.exec(
        select(model.id, Edition).join(Edition, col(Edition.id) == col(model.edition_id)).where(col(model.id).in_(ids))
    ).all()
    return {row_id or 0: _edition_label(edition) for row_id, edition in rows}


def _edition_labels(
    session: Session, contributions: list[Contribution], responses: list[QuestionnaireResponse]
) -> tuple[dict[int, str], dict[int, str]]:
    """The edition of each contribution (by theme) and of each response (by questionnaire), as staff read it."""
    by_theme = _labels_by(session, Theme, {c.theme_id for c in contributions})
    return by_theme, _labels_by(session, Questionnaire, {r.questionnaire_id for r in responses})


def find_personal_data(session: Session, *, code: str, actor: str) -> PersonalData:
    """What the store holds for a receipt code, a device token or a resume code (and the same phone's other items).

    Codes are unique across editions: a request is answered whatever the edition, archived ones included, and
    each record says which edition it belongs to.
    """
    require_permission(session=session, actor=actor, permission=Permission.PRIVACY)
    return collect_personal_data(session, code)


def collect_personal_data(session: Session, code: str) -> PersonalData:
    """`find_personal_data` without the staff check: for the person's own request (services.privacy.self_service)."""
    participant, contributions, responses = find_rows(session, code)
    edition_of_theme, edition_of_questionnaire = _edition_labels(session, contributions, responses)
    supports = visits = 0
    if participant is not None:
        supports = len(
            session.exec(
                select(ContributionSupport.id).where(ContributionSupport.participant_id == participant.id)
            ).all()
        )
        visits = len(session.exec(select(StandVisit.id).where(StandVisit.participant_id == participant.id)).all())
    return PersonalData(
        code=code.strip(),
        device_linked=participant is not None,
        supports=supports,
        visits=visits,
        contributions=[
            ContributionRecord(
                c.id or 0,
                c.receipt_code,
                format_datetime(c.created_at),
                c.body,
                c.title,
                c.author_name,
                c.organisation,
                c.display_mode,
                c.status,
                c.personal_data_erased_at is not None,
                edition_of_theme.get(c.theme_id, ""),
                label(REJECTION_CATEGORY_LABELS, c.rejection_category, ""),
            )
            for c in contributions
        ],
        responses=[
            ResponseRecord(
                r.id or 0,
                format_datetime(r.created_at),
                r.respondent_name,
                r.email,
                r.organisation,
                edition_of_questionnaire.get(r.questionnaire_id, ""),
            )
            for r in responses
        ],
    )


def personal_data_json(data: PersonalData) -> bytes:
    """The file handed to the person who asked for their data (UTF-8 JSON, French keys)."""
    payload = {
        "code": data.code,
        "telephone_relie": data.device_linked,
        "soutiens": data.supports,
        "visites_de_stands": data.visits,
        "contributions": [asdict(c) for c in data.contributions],
        "reponses_au_questionnaire": [asdict(r) for r in data.responses],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
