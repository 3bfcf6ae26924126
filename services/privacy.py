"""Access and erasure of personal data (GDPR), and the retention purge of `manage.py purge-personal-data`.

A person is found by a receipt code, a device token or a questionnaire resume code. Erasure removes the
personal fields (name, organisation, email, the link to the phone) and masks personal data in the text;
the text itself stays, anonymised, for the public-interest strategy. It reaches every copy the app made:
the rejection reason, the audit trail (each event stays, the text it held is dropped), the masked copies
kept there, the groups' representative texts, the questionnaire's open answers, and the phone's identifier
(replaced by one nobody holds, so its supports and visits still count, linked to no one). The erasure's own
audit event records which fields were erased, never their values.

On SQLite the erasing transaction runs with `secure_delete`, and `release_erased_pages` (called once it is
committed) checkpoints the write-ahead log: the erased text is then no longer in the database file either.
"""

from __future__ import annotations

import difflib
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text as sql_text
from sqlmodel import Session, col, select

from models import (
    Answer,
    AuditEvent,
    Contribution,
    ContributionGroup,
    ContributionGroupMember,
    ContributionSupport,
    DisplayMode,
    Edition,
    Participant,
    Questionnaire,
    QuestionnaireResponse,
    StandVisit,
    Theme,
    utcnow,
)
from services import geo
from services.audit import record_audit_event
from services.codes import readable_code
from services.errors import NotFoundError, ValidationError
from services.formatting import format_date, format_datetime
from services.grouping import ENTITY as GROUP_ENTITY
from services.moderation import ENTITY as CONTRIBUTION_ENTITY
from services.moderation import detect_personal_data, mask_personal_data
from services.permissions import Permission, require_permission
from services.scope import resolve_edition_id, theme_ids
from services.text import has_forbidden_characters

CODE_MAX_CHARS = 64
# What replaces an erased value found verbatim in a copy (a rejection reason, a group's text).
ERASED = "[donnée effacée]"
# Keys of the audit trail's before/after that hold what people typed, or a copy of it.
AUDIT_TEXT_KEYS = frozenset(
    {"body", "masked_body", "title", "author_name", "organisation", "rejection_reason", "representative_text"}
)
# A device token nobody holds (not the shape of a browser's token): the erased phone's rows stay counted.
ERASED_TOKEN_PREFIX = "erased:"  # noqa: S105 (a marker, not a secret)
# Shorter erased values would be replaced inside ordinary words.
_MIN_SECRET_CHARS = 3


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


def _edition_labels(
    session: Session, contributions: list[Contribution], responses: list[QuestionnaireResponse]
) -> tuple[dict[int, str], dict[int, str]]:
    """The edition of each contribution (by theme) and of each response (by questionnaire), as staff read it."""
    by_theme: dict[int, str] = {}
    themes = {c.theme_id for c in contributions}
    if themes:
        for theme_id, edition in session.exec(
            select(Theme.id, Edition)
            .join(Edition, col(Edition.id) == col(Theme.edition_id))
            .where(col(Theme.id).in_(themes))
        ).all():
            by_theme[theme_id or 0] = _edition_label(edition)
    by_questionnaire: dict[int, str] = {}
    questionnaires = {r.questionnaire_id for r in responses}
    if questionnaires:
        for questionnaire_id, edition in session.exec(
            select(Questionnaire.id, Edition)
            .join(Edition, col(Edition.id) == col(Questionnaire.edition_id))
            .where(col(Questionnaire.id).in_(questionnaires))
        ).all():
            by_questionnaire[questionnaire_id or 0] = _edition_label(edition)
    return by_theme, by_questionnaire


def find_personal_data(session: Session, *, code: str, actor: str) -> PersonalData:
    """What the store holds for a receipt code, a device token or a resume code (and the same phone's other items).

    Codes are unique across editions: a request is answered whatever the edition, archived ones included, and
    each record says which edition it belongs to.
    """
    require_permission(session=session, actor=actor, permission=Permission.PRIVACY)
    participant, contributions, responses = _rows(session, code)
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


def _secrets(fields: Iterable[str | None], texts: Iterable[str | None] = ()) -> set[str]:
    """The erased values worth searching for in copies: whole personal fields, and the personal data in texts."""
    found = {value.strip() for value in fields if value}
    for text in texts:
        if text:
            found.update(hit.text.strip() for hit in detect_personal_data(text))
    return {v for v in found if len(v) >= _MIN_SECRET_CHARS}


_WORD = re.compile(r"\S+")


def _masked_by_staff(body: str, masked: str) -> set[str]:
    """What staff replaced by hand with a bracketed placeholder (or deleted) in a masked copy of `body`.

    Compared word by word: the detector may not know that a nickname or a street was personal, but the copy
    staff made says so. Words kept as they were, or merely rewritten, are not taken for personal data.
    """
    words = list(_WORD.finditer(body))
    masked_words = _WORD.findall(masked)
    matcher = difflib.SequenceMatcher(None, [w.group() for w in words], masked_words, autojunk=False)
    found: set[str] = set()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        replacement = " ".join(masked_words[j1:j2])
        if i2 > i1 and (tag == "delete" or (tag == "replace" and "[" in replacement and "]" in replacement)):
            span = body[words[i1].start() : words[i2 - 1].end()].strip(" ,.;:!?()«»\"'")
            if span:
                found.add(span)
    return found


def _scrub(text: str, secrets: set[str]) -> str:
    """`text` with its personal data masked, then each erased value still in it, as a whole word, replaced.

    Case counts: an organisation called « Tiers-lieu » is erased, the common noun « tiers-lieu » in a text stays.
    """
    text = mask_personal_data(text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", ERASED, text)
    return text


def _scrub_json(value: Any, secrets: set[str]) -> Any:
    if isinstance(value, str):
        return _scrub(value, secrets)
    if isinstance(value, dict):
        return {k: _scrub_json(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v, secrets) for v in value]
    return value


_CHUNK = 500  # ids per IN (...) list


def _events(session: Session, entity_type: str, entity_ids: Iterable[int]) -> dict[int, list[AuditEvent]]:
    """The audit events of these records, by record id: read in chunks, not one query per record."""
    ids = sorted({str(i) for i in entity_ids})
    found: dict[int, list[AuditEvent]] = {}
    for start in range(0, len(ids), _CHUNK):
        for event in session.exec(
            select(AuditEvent).where(
                AuditEvent.entity_type == entity_type, col(AuditEvent.entity_id).in_(ids[start : start + _CHUNK])
            )
        ).all():
            found.setdefault(int(event.entity_id), []).append(event)
    return found


def _drop_texts(event: AuditEvent) -> None:
    """Keep the event (who did what, when, and every other field), drop the texts it held."""
    for side in ("before", "after"):
        data = getattr(event, side)
        if data and any(k in AUDIT_TEXT_KEYS and v for k, v in data.items()):
            # A new dict: the JSON column sees reassignment, not mutation in place.
            setattr(event, side, {k: (ERASED if k in AUDIT_TEXT_KEYS and v else v) for k, v in data.items()})


def _contribution_secrets(c: Contribution, events: list[AuditEvent]) -> set[str]:
    """A contribution's erased values: its name and organisation, personal data in its text, title, reason, trail,
    and what staff masked by hand in any of its masked copies (the current one and those the trail kept)."""
    trail = [
        v
        for e in events
        for side in (e.before or {}, e.after or {})
        for k, v in side.items()
        if k in AUDIT_TEXT_KEYS and isinstance(v, str)
    ]
    secrets = _secrets([c.author_name, c.organisation], [c.title, c.body, c.masked_body, c.rejection_reason, *trail])
    copies = [c.masked_body or ""] + [
        str(side.get("masked_body") or "") for e in events for side in (e.before or {}, e.after or {})
    ]
    for copy in copies:
        if copy:
            secrets |= {s for s in _masked_by_staff(c.body, copy) if len(s) >= _MIN_SECRET_CHARS}
    return secrets


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
    anonymised = _scrub(text, secrets)
    title = _scrub(c.title, secrets)
    rejection_reason = _scrub(c.rejection_reason, secrets)
    if anonymised != c.body or c.masked_body is not None:
        erased.append("text")
    if title != c.title:
        erased.append("title")
    if rejection_reason != c.rejection_reason:
        erased.append("rejection_reason")
    history = [e for e in events if e.action != "contribution.erase"]
    if any(e.before != _dropped(e.before) or e.after != _dropped(e.after) for e in history):
        erased.append("history")
    if not erased and c.personal_data_erased_at is not None:
        return False
    for event in history:
        _drop_texts(event)
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
    record_audit_event(
        session=session,
        actor=actor,
        action="contribution.erase",
        entity_type="contribution",
        entity_id=c.id or 0,
        after={"erased": erased, "reason": reason},
    )
    return True


def _dropped(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if not data:
        return data
    return {k: (ERASED if k in AUDIT_TEXT_KEYS and v else v) for k, v in data.items()}


def _scrub_groups(session: Session, erased: list[tuple[Contribution, set[str]]]) -> None:
    """Groups whose representative text copies an erased text (a member's, or any holding an erased value),
    and their audit events: the erased values replaced, personal data masked."""
    if not erased:
        return
    ids = [c.id for c, _ in erased]
    member_of: dict[int, set[int]] = {}
    for start in range(0, len(ids), _CHUNK):
        for group_id, cid in session.exec(
            select(ContributionGroupMember.group_id, ContributionGroupMember.contribution_id).where(
                col(ContributionGroupMember.contribution_id).in_(ids[start : start + _CHUNK])
            )
        ).all():
            member_of.setdefault(group_id, set()).add(cid)
    by_id = {c.id: secrets for c, secrets in erased}
    every = set().union(*by_id.values())
    themes = sorted({c.theme_id for c, _ in erased})
    scrubbed: dict[int, set[str]] = {}
    for group in session.exec(select(ContributionGroup).where(col(ContributionGroup.theme_id).in_(themes))).all():
        gid = group.id or 0
        text = group.representative_text
        secrets = set().union(*(by_id[cid] for cid in member_of.get(gid, ()))) | {v for v in every if v in text}
        if gid not in member_of and not secrets:
            continue
        scrubbed[gid] = secrets
        if (new := _scrub(text, secrets)) != text:
            group.representative_text = new
            session.add(group)
    for gid, events in _events(session, GROUP_ENTITY, scrubbed).items():
        for event in events:
            before, after = _scrub_json(event.before, scrubbed[gid]), _scrub_json(event.after, scrubbed[gid])
            if (before, after) != (event.before, event.after):
                event.before, event.after = before, after
                session.add(event)


def _response_secrets(session: Session, r: QuestionnaireResponse) -> set[str]:
    texts = session.exec(select(Answer.value_text).where(Answer.response_id == r.id)).all()
    return _secrets([r.respondent_name, r.email, r.organisation], texts)


def _erase_response(
    session: Session, r: QuestionnaireResponse, actor: str, now: datetime, reason: str, *, secrets: set[str]
) -> bool:
    erased = [n for n in ("respondent_name", "email", "organisation") if getattr(r, n)]
    for answer in session.exec(select(Answer).where(Answer.response_id == r.id)).all():
        if answer.value_text:
            scrubbed = _scrub(answer.value_text, secrets)
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
    record_audit_event(
        session=session,
        actor=actor,
        action="response.erase",
        entity_type="questionnaire_response",
        entity_id=r.id or 0,
        after={"erased": erased, "reason": reason},
    )
    return True


def _forget_device(session: Session, p: Participant, actor: str, reason: str) -> bool:
    """Replace the phone's identifiers by ones nobody holds: its supports and visits still count, for no one."""
    if p.device_token.startswith(ERASED_TOKEN_PREFIX):
        return False
    p.device_token = ERASED_TOKEN_PREFIX + uuid.uuid4().hex
    p.public_code = readable_code(12)
    p.treasure_code = None
    session.add(p)
    record_audit_event(
        session=session,
        actor=actor,
        action="participant.erase",
        entity_type="participant",
        entity_id=p.id or 0,
        after={"erased": ["device"], "reason": reason},
    )
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
        pooled.setdefault("one" if one_person else ("response", r.id), set()).update(_response_secrets(session, r))
    trails = _events(session, CONTRIBUTION_ENTITY, [c.id or 0 for c in contributions])
    for c in contributions:
        pooled.setdefault(person(c), set()).update(_contribution_secrets(c, trails.get(c.id or 0, [])))
        if c.response_id is not None and not one_person:
            pooled.setdefault(("response", c.response_id), set()).update(pooled[person(c)])
    # Groups first: a member's text is still as it was, so what it copied is still found.
    _scrub_groups(session, [(c, pooled[person(c)]) for c in contributions])
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


@dataclass(frozen=True)
class ErasureReport:
    contributions: int
    responses: int
    devices: int = 0


def erase_personal_data(session: Session, *, code: str, actor: str) -> ErasureReport:
    """Erase the personal fields of everything linked to `code`; the texts stay, anonymised.

    Whatever the edition, archived ones included: a person's right to erasure outlives the conference.
    """
    require_permission(session=session, actor=actor, permission=Permission.PRIVACY)
    participant, contributions, responses = _rows(session, code)
    if not contributions and not responses and participant is None:
        raise NotFoundError("Aucune donnée n'est liée à ce code.")
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
