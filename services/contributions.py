"""Recording contributions: every rule checked here, on the server, whatever the form did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import (
    ActorType,
    Contribution,
    Departement,
    DisplayMode,
    ModerationStatus,
    Orientation,
    Source,
    Stance,
    Theme,
    utcnow,
)
from services.codes import readable_code
from services.errors import ValidationError
from services.text import check_text

BODY_MIN_CHARS = 20
BODY_MAX_CHARS = 2000
TITLE_MAX_CHARS = 120
NAME_MAX_CHARS = 120
ORGANISATION_MAX_CHARS = 200
IDEMPOTENCY_KEY_MAX = 64


@dataclass
class ContributionDraft:
    """What a form (or an import) hands to the service; nothing here is trusted yet."""

    theme_id: int | None
    body: str
    idempotency_key: str
    title: str = ""
    orientation_id: int | None = None
    stance: str | None = None
    source: str = Source.CONFERENCE.value
    actor_type: str | None = None
    departement: str | None = None
    author_name: str = ""
    organisation: str = ""
    display_mode: str = DisplayMode.ANONYMOUS.value
    participant_id: int | None = None
    stand_id: int | None = None
    ptce_id: int | None = None
    response_id: int | None = None
    question_id: int | None = None
    entered_by: str = ""
    status: str = ModerationStatus.PENDING.value
    is_demo: bool = False
    created_at: datetime | None = None
    consent: bool = True
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """Shown to the participant once the row is committed."""

    contribution_id: int
    receipt_code: str
    created_at: datetime
    duplicate: bool = False


def _validate(session: Session, draft: ContributionDraft) -> dict[str, str | int | None]:
    errors: dict[str, str] = {}
    body, problem = check_text(
        draft.body, label="Le texte de la contribution", min_chars=BODY_MIN_CHARS, max_chars=BODY_MAX_CHARS
    )
    if problem:
        errors["body"] = problem
    title, problem = check_text(draft.title, label="Le titre", max_chars=TITLE_MAX_CHARS, required=False)
    if problem:
        errors["title"] = problem
    name, problem = check_text(draft.author_name, label="Le nom", max_chars=NAME_MAX_CHARS, required=False)
    if problem:
        errors["author_name"] = problem
    organisation, problem = check_text(
        draft.organisation, label="L'organisation", max_chars=ORGANISATION_MAX_CHARS, required=False
    )
    if problem:
        errors["organisation"] = problem

    theme = session.get(Theme, draft.theme_id) if isinstance(draft.theme_id, int) else None
    if theme is None:
        errors["theme_id"] = "Choisissez l'une des cinq thématiques."
    orientation = None
    if draft.orientation_id is not None:
        orientation = session.get(Orientation, draft.orientation_id) if isinstance(draft.orientation_id, int) else None
        if orientation is None or (theme is not None and orientation.theme_id != theme.id):
            errors["orientation_id"] = "Cette orientation n'existe pas pour la thématique choisie."
    if draft.stance is not None:
        if draft.stance not in {s.value for s in Stance}:
            errors["stance"] = "Position inconnue."
        elif draft.orientation_id is None and draft.stance != Stance.NEW_PROPOSAL.value:
            errors["stance"] = "Choisissez l'orientation sur laquelle vous prenez position."
    if draft.source not in {s.value for s in Source}:
        errors["source"] = "Origine de la contribution inconnue."
    if draft.actor_type is not None and draft.actor_type not in {a.value for a in ActorType}:
        errors["actor_type"] = "Type d'acteur inconnu."
    if draft.departement is not None and session.get(Departement, draft.departement) is None:
        errors["departement"] = "Département inconnu."
    if draft.display_mode not in {d.value for d in DisplayMode}:
        errors["display_mode"] = "Mode d'affichage inconnu."
    elif draft.display_mode == DisplayMode.NAME.value and not name:
        errors["author_name"] = "Indiquez votre nom pour apparaître sous votre nom, ou choisissez « anonyme »."
    elif draft.display_mode == DisplayMode.ORGANISATION.value and not organisation:
        errors["organisation"] = "Indiquez votre organisation pour contribuer en son nom, ou choisissez « anonyme »."
    if draft.status not in {s.value for s in ModerationStatus}:
        errors["status"] = "Statut de modération inconnu."
    key = draft.idempotency_key or ""
    if not (8 <= len(key) <= IDEMPOTENCY_KEY_MAX) or not key.isascii():
        errors["idempotency_key"] = "Le formulaire a expiré : rechargez la page puis renvoyez."
    if errors:
        raise ValidationError(errors)
    return {"body": body, "title": title, "author_name": name, "organisation": organisation}


def _existing(session: Session, key: str) -> Contribution | None:
    return session.exec(select(Contribution).where(Contribution.idempotency_key == key)).first()


def submit_contribution(*, session: Session, draft: ContributionDraft) -> Receipt:
    """Validate and store a contribution once per idempotency key; a retry returns the first receipt."""
    existing = _existing(session, draft.idempotency_key or "")
    if existing is not None:
        assert existing.id is not None
        return Receipt(existing.id, existing.receipt_code, existing.created_at, duplicate=True)
    clean = _validate(session, draft)
    assert draft.theme_id is not None  # checked by _validate
    now = draft.created_at or utcnow()
    for _ in range(5):
        row = Contribution(
            receipt_code=readable_code(8),
            idempotency_key=draft.idempotency_key,
            theme_id=draft.theme_id,
            orientation_id=draft.orientation_id,
            stance=draft.stance,
            title=str(clean["title"]),
            body=str(clean["body"]),
            source=draft.source,
            author_name=str(clean["author_name"]),
            organisation=str(clean["organisation"]),
            actor_type=draft.actor_type,
            departement=draft.departement,
            display_mode=draft.display_mode,
            consent_at=now if draft.consent else None,
            status=draft.status,
            participant_id=draft.participant_id,
            stand_id=draft.stand_id,
            ptce_id=draft.ptce_id,
            response_id=draft.response_id,
            question_id=draft.question_id,
            entered_by=draft.entered_by,
            is_demo=draft.is_demo,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # Either a concurrent retry with the same key won the race, or a receipt code collided.
            existing = _existing(session, draft.idempotency_key)
            if existing is not None:
                assert existing.id is not None
                return Receipt(existing.id, existing.receipt_code, existing.created_at, duplicate=True)
            continue
        assert row.id is not None
        return Receipt(row.id, row.receipt_code, row.created_at)
    raise RuntimeError("could not allocate a unique receipt code")
