"""Erasure of personal data (GDPR), on request or at the end of an edition's retention."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from models import (
    Answer,
    AuditEvent,
    Contribution,
    ContributionVector,
    DisplayMode,
    Edition,
    Participant,
    Questionnaire,
    QuestionnaireResponse,
    utcnow,
)
from services.audit import audit
from services.codes import readable_code
from services.errors import NotFoundError, ValidationError
from services.moderation import ENTITY as CONTRIBUTION_ENTITY
from services.permissions import Permission, require_permission
from services.privacy.lookup import find_rows
from services.privacy.scrub import (
    contribution_secrets,
    drop_texts,
    dropped,
    events_of,
    response_secrets,
    scrub,
    scrub_groups,
)
from services.scope import resolve_edition_id, theme_ids

# A device token nobody holds (not the shape of a browser's token): the erased phone's rows stay counted.
ERASED_TOKEN_PREFIX = "erased:"  # noqa: S105 (a marker, not a secret)


@dataclass(frozen=True)
class ErasureReport:
    contributions: int
    responses: int
    devices: int = 0


def _erase_contribution(
    session: Session,
    c: Contribution,
    actor: str,
    now: datetime,
    reason: str,
    *,
    secrets: set[str],
    events: list[AuditEvent],
) -> bool:
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
    anonymised = scrub(text, secrets)
    title = scrub(c.title, secrets)
    rejection_reason = scrub(c.rejection_reason, secrets)
    if anonymised != c.body or c.masked_body is not None:
        erased.append("text")
    if title != c.title:
        erased.append("title")
    if rejection_reason != c.rejection_reason:
        erased.append("rejection_reason")
    history = [e for e in events if e.action != "contribution.erase"]
    if any(e.before != dropped(e.before) or e.after != dropped(e.after) for e in history):
        erased.append("history")
    if not erased and c.personal_data_erased_at is not None:
        return False
    for event in history:
        drop_texts(event)
        session.add(event)
    c.author_name = ""
    c.organisation = ""
    c.display_mode = DisplayMode.ANONYMOUS.value
    c.participant_id = None
    c.body = anonymised
    c.masked_body = None
    c.title = title
    c.rejection_reason = rejection_reason
    c.personal_data_erased_at = now
    c.updated_at = now
    session.add(c)
    # The sentence vector of the text as it was is derived from it: it goes too (computed again if needed).
    session.exec(delete(ContributionVector).where(col(ContributionVector.contribution_id) == c.id))
    audit(session, actor, "contribution.erase", c.id or 0, after={"erased": erased, "reason": reason})
    return True


def _erase_response(
    session: Session, r: QuestionnaireResponse, actor: str, now: datetime, reason: str, *, secrets: set[str]
) -> bool:
    erased = [n for n in ("respondent_name", "email", "organisation") if getattr(r, n)]
    for answer in session.exec(select(Answer).where(Answer.response_id == r.id)).all():
        if answer.value_text:
            scrubbed = scrub(answer.value_text, secrets)
            if scrubbed != answer.value_text:
                answer.value_text = scrubbed
                session.add(answer)
                if "answers" not in erased:
                    erased.append("answers")
    if not erased:
        return False
    r.respondent_name = r.email = r.organisation = ""
    r.updated_at = now
    session.add(r)
    erasure = {"erased": erased, "reason": reason}
    audit(session, actor, "response.erase", r.id or 0, entity_type="questionnaire_response", after=erasure)
    return True


def _forget_device(session: Session, p: Participant, actor: str, reason: str) -> bool:
    """Replace the phone's identifiers by ones nobody holds: its supports and visits still count, for no one."""
    if p.device_token.startswith(ERASED_TOKEN_PREFIX):
        return False
    p.device_token = ERASED_TOKEN_PREFIX + uuid.uuid4().hex
    p.public_code = readable_code(12)
    p.treasure_code = None
    session.add(p)
    audit(session, actor, "participant.erase", p.id or 0, after={"erased": ["device"], "reason": reason})
    return True


def _erase(
    session: Session,
    *,
    contributions: Iterable[Contribution],
    responses: Iterable[QuestionnaireResponse],
    devices: Iterable[Participant],
    actor: str,
    reason: str,
    one_person: bool,
    now: datetime,
) -> ErasureReport:
    """Erase contributions, responses and phones; what is personal in one record of a person is in all of them."""
    _secure_delete(session)
    contributions, responses = list(contributions), list(responses)

    # A person is a phone, else a questionnaire response, else a lone contribution (a paper form).
    def person(c: Contribution) -> object:
        if one_person:
            return "one"
        if c.participant_id is not None:
            return ("phone", c.participant_id)
        return ("response", c.response_id) if c.response_id is not None else ("contribution", c.id)

    pooled: dict[object, set[str]] = {}
    for r in responses:
        pooled.setdefault("one" if one_person else ("response", r.id), set()).update(response_secrets(session, r))
    trails = events_of(session, CONTRIBUTION_ENTITY, [c.id or 0 for c in contributions])
    for c in contributions:
        pooled.setdefault(person(c), set()).update(contribution_secrets(c, trails.get(c.id or 0, [])))
        if c.response_id is not None and not one_person:
            pooled.setdefault(("response", c.response_id), set()).update(pooled[person(c)])
    # Groups first: a member's text is still as it was, so what it copied is still found.
    scrub_groups(session, [(c, pooled[person(c)]) for c in contributions])
    n = sum(
        _erase_contribution(session, c, actor, now, reason, secrets=pooled[person(c)], events=trails.get(c.id or 0, []))
        for c in contributions
    )
    m = sum(
        _erase_response(session, r, actor, now, reason, secrets=pooled["one" if one_person else ("response", r.id)])
        for r in responses
    )
    d = sum(_forget_device(session, p, actor, reason) for p in devices)
    return ErasureReport(n, m, d)


def _secure_delete(session: Session) -> None:
    """SQLite: the pages this transaction frees or rewrites are zeroed, not left holding the erased text."""
    if session.get_bind().dialect.name == "sqlite":
        session.exec(sql_text("PRAGMA secure_delete=ON"))  # type: ignore[call-overload]


def release_erased_pages(session: Session) -> None:
    """After an erasure is committed: checkpoint SQLite's write-ahead log so no old page copy stays on disk."""
    if session.get_bind().dialect.name == "sqlite":
        # TRUNCATE empties the -wal file; a reader still on an older snapshot only delays it to the next one.
        session.exec(sql_text("PRAGMA wal_checkpoint(TRUNCATE)"))  # type: ignore[call-overload]


def erase_personal_data(session: Session, *, code: str, actor: str) -> ErasureReport:
    """Erase the personal fields of everything linked to `code`; the texts stay, anonymised.

    Whatever the edition, archived ones included: a person's right to erasure outlives the conference.
    """
    require_permission(session=session, actor=actor, permission=Permission.PRIVACY)
    report = erase_code(session, code=code, actor=actor)
    if report is None:
        raise NotFoundError("Aucune donnée n'est liée à ce code.")
    return report


def erase_code(session: Session, *, code: str, actor: str) -> ErasureReport | None:
    """The erasure of everything linked to `code`, whoever asked (None when nothing is): staff through
    `erase_personal_data`, the person through services.privacy.self_service."""
    participant, contributions, responses = find_rows(session, code)
    if not contributions and not responses and participant is None:
        return None
    return _erase(
        session,
        contributions=contributions,
        responses=responses,
        devices=[participant] if participant is not None else [],
        actor=actor,
        reason="demande",
        one_person=True,
        now=utcnow(),
    )


def retention_cutoff(months: int, now: datetime | None = None) -> datetime:
    """The instant before which personal fields are purged (a month counted as 30 days)."""
    return (now or utcnow()) - timedelta(days=30 * months)


def purge_personal_data(
    session: Session,
    *,
    actor: str,
    retention_months: int | None = None,
    edition_id: int | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> ErasureReport:
    """Erase the personal data of one edition's contributions, questionnaire responses and phones older than its
    retention (`retention_months` when given, else the edition's own). Archived editions too: the retention is a
    duty towards the people, not a change of the conference's record."""
    require_permission(session=session, actor=actor, permission=Permission.PRIVACY)
    edition = session.get(Edition, resolve_edition_id(session=session, edition_id=edition_id))
    if edition is None or edition.id is None:
        raise NotFoundError("Cette édition n'existe pas.")
    months = retention_months if retention_months is not None else edition.retention_months
    if months < 1:
        raise ValidationError({"retention": "La durée de conservation est d'au moins un mois."})
    cutoff = retention_cutoff(months, now)
    stamp = now or utcnow()
    contributions = session.exec(
        select(Contribution).where(
            col(Contribution.theme_id).in_(theme_ids(session=session, edition_id=edition.id)),
            col(Contribution.created_at) < cutoff,
            col(Contribution.personal_data_erased_at).is_(None),
        )
    ).all()
    # Every old response, named or not: an open answer may hold personal data (masking twice changes nothing).
    responses = session.exec(
        select(QuestionnaireResponse).where(
            col(QuestionnaireResponse.questionnaire_id).in_(
                select(Questionnaire.id).where(Questionnaire.edition_id == edition.id)
            ),
            col(QuestionnaireResponse.created_at) < cutoff,
        )
    ).all()
    devices = session.exec(
        select(Participant).where(
            Participant.edition_id == edition.id,
            col(Participant.last_seen_at) < cutoff,
            col(Participant.device_token).not_like(ERASED_TOKEN_PREFIX + "%"),
        )
    ).all()
    if dry_run:
        named = [r for r in responses if r.respondent_name or r.email or r.organisation]
        return ErasureReport(len(contributions), len(named), len(devices))
    return _erase(
        session,
        contributions=contributions,
        responses=responses,
        devices=devices,
        actor=actor,
        reason="conservation",
        one_person=False,
        now=stamp,
    )


def purge_every_edition(
    session: Session,
    *,
    actor: str,
    retention_months: int | None = None,
    fallback_months: int | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> ErasureReport:
    """The retention purge of `manage.py purge-personal-data`: each edition at its own retention, or at
    `retention_months` for all when given; `fallback_months` for an edition that has none set."""
    require_permission(session=session, actor=actor, permission=Permission.PRIVACY)
    if retention_months is not None and retention_months < 1:
        raise ValidationError({"retention": "La durée de conservation est d'au moins un mois."})
    stamp = now or utcnow()
    total = ErasureReport(0, 0, 0)
    for edition in session.exec(select(Edition).order_by(col(Edition.id))).all():
        months = retention_months
        if months is None:
            months = edition.retention_months if edition.retention_months >= 1 else fallback_months
        if months is None:
            continue
        report = purge_personal_data(
            session=session, actor=actor, retention_months=months, edition_id=edition.id, now=stamp, dry_run=dry_run
        )
        total = ErasureReport(
            total.contributions + report.contributions,
            total.responses + report.responses,
            total.devices + report.devices,
        )
    return total
