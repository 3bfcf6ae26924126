"""Access and erasure of personal data (GDPR), and the retention purge of `manage.py purge-personal-data`.

A person is found by a receipt code, a device token or a questionnaire resume code. Erasure removes the
personal fields (name, organisation, email, the link to the phone) and masks personal data in the text;
the text itself stays, anonymised, for the public-interest strategy. The audit trail records which fields
were erased, never their values (or the trail would keep what was erased).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models import (
    Contribution,
    ContributionSupport,
    DisplayMode,
    Participant,
    QuestionnaireResponse,
    StandVisit,
    utcnow,
)
from services.audit import record_audit_event
from services.errors import NotFoundError, ValidationError
from services.formatting import format_datetime
from services.moderation import mask_personal_data
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


@dataclass(frozen=True)
class ResponseRecord:
    response_id: int
    created_at: str
    respondent_name: str
    email: str
    organisation: str


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


def _rows(session: Session, code: str) -> tuple[Participant | None, list[Contribution], list[QuestionnaireResponse]]:
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
    return participant, sorted(contributions.values(), key=lambda c: c.id or 0), list(unique.values())


def find_personal_data(*, session: Session, code: str, actor: str) -> PersonalData:
    """What the store holds for a receipt code, a device token or a resume code (and the same phone's other items)."""
    require_permission(session=session, actor=actor, permission=Permission.PRIVACY)
    participant, contributions, responses = _rows(session, code)
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
            )
            for c in contributions
        ],
        responses=[
            ResponseRecord(r.id or 0, format_datetime(r.created_at), r.respondent_name, r.email, r.organisation)
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


def _erase_contribution(session: Session, c: Contribution, actor: str, now: datetime, reason: str) -> bool:
    erased = [
        name
        for name, present in (
            ("author_name", bool(c.author_name)),
            ("organisation", bool(c.organisation)),
            ("participant", c.participant_id is not None),
        )
        if present
    ]
    text = c.masked_body if c.masked_body is not None else c.body
    anonymised = mask_personal_data(text)
    title = mask_personal_data(c.title)
    if anonymised != c.body or c.masked_body is not None:
        erased.append("text")
    if title != c.title:
        erased.append("title")
    if not erased and c.personal_data_erased_at is not None:
        return False
    c.author_name = ""
    c.organisation = ""
    c.display_mode = DisplayMode.ANONYMOUS.value
    c.participant_id = None
    c.body = anonymised
    c.masked_body = None
    c.title = title
    c.personal_data_erased_at = now
    c.updated_at = now
    session.add(c)
    record_audit_event(
        session=session,
        actor=actor,
        action="contribution.erase",
        entity_type="contribution",
        entity_id=c.id or 0,
        after={"erased": erased, "reason": reason},
    )
    return True


def _erase_response(session: Session, r: QuestionnaireResponse, actor: str, now: datetime, reason: str) -> bool:
    erased = [n for n in ("respondent_name", "email", "organisation") if getattr(r, n)]
    if not erased:
        return False
    r.respondent_name = r.email = r.organisation = ""
    r.updated_at = now
    session.add(r)
    record_audit_event(
        session=session,
        actor=actor,
        action="response.erase",
        entity_type="questionnaire_response",
        entity_id=r.id or 0,
        after={"erased": erased, "reason": reason},
    )
    return True


@dataclass(frozen=True)
class ErasureReport:
    contributions: int
    responses: int


def erase_personal_data(*, session: Session, code: str, actor: str) -> ErasureReport:
    """Erase the personal fields of everything linked to `code`; the texts stay, anonymised."""
    require_permission(session=session, actor=actor, permission=Permission.PRIVACY)
    participant, contributions, responses = _rows(session, code)
    if not contributions and not responses and participant is None:
        raise NotFoundError("Aucune donnée n'est liée à ce code.")
    now = utcnow()
    n = sum(_erase_contribution(session, c, actor, now, "demande") for c in contributions)
    m = sum(_erase_response(session, r, actor, now, "demande") for r in responses)
    return ErasureReport(n, m)


def retention_cutoff(months: int, now: datetime | None = None) -> datetime:
    """The instant before which personal fields are purged (a month counted as 30 days)."""
    return (now or utcnow()) - timedelta(days=30 * months)


def purge_personal_data(
    *,
    session: Session,
    retention_months: int,
    actor: str,
    now: datetime | None = None,
    dry_run: bool = False,
) -> ErasureReport:
    """Erase the personal fields of contributions and questionnaire responses older than the retention."""
    require_permission(session=session, actor=actor, permission=Permission.PRIVACY)
    if retention_months < 1:
        raise ValidationError({"retention": "La durée de conservation est d'au moins un mois."})
    cutoff = retention_cutoff(retention_months, now)
    stamp = now or utcnow()
    contributions = session.exec(
        select(Contribution).where(
            col(Contribution.created_at) < cutoff,
            col(Contribution.personal_data_erased_at).is_(None),
        )
    ).all()
    responses = session.exec(
        select(QuestionnaireResponse).where(
            col(QuestionnaireResponse.created_at) < cutoff,
            (QuestionnaireResponse.respondent_name != "")
            | (QuestionnaireResponse.email != "")
            | (QuestionnaireResponse.organisation != ""),
        )
    ).all()
    if dry_run:
        return ErasureReport(len(contributions), len(responses))
    n = sum(_erase_contribution(session, c, actor, stamp, "conservation") for c in contributions)
    m = sum(_erase_response(session, r, actor, stamp, "conservation") for r in responses)
    return ErasureReport(n, m)
