"""The rules of a contribution: what a form or an import hands over, checked field by field on the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlmodel import Session

from models import (
    ActorType,
    Departement,
    DisplayMode,
    Edition,
    ModerationStatus,
    Orientation,
    Participant,
    Ptce,
    Question,
    Questionnaire,
    QuestionnaireResponse,
    Source,
    Stance,
    Stand,
    Theme,
)
from services.errors import ValidationError
from services.scope import resolve_edition_id
from services.text import check_text

BODY_MIN_CHARS = 20
BODY_MAX_CHARS = 2000
TITLE_MAX_CHARS = 120
NAME_MAX_CHARS = 120
ORGANISATION_MAX_CHARS = 200
IDEMPOTENCY_KEY_MAX = 64
T = TypeVar("T")

# No count in it: editions have from two to twelve themes.
THEME_REQUIRED = "Choisissez l'une des thématiques de la conférence."
EXPIRED_FORM = "Le formulaire a expiré : rechargez la page puis renvoyez."


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


class Known:
    """session.get with a memo: a batch checks the same theme, orientation and département thousands of times."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.memo: dict[tuple[type, object], object] = {}

    def get(self, model: type[T], key: object) -> T | None:
        if (model, key) not in self.memo:
            self.memo[(model, key)] = self.session.get(model, key)
        return cast("T | None", self.memo[(model, key)])


def check_body(body: str) -> tuple[str, str | None]:
    """The contribution's text as stored (trimmed, newlines normalised), and the French message if refused."""
    return check_text(body, label="Le texte de la contribution", min_chars=BODY_MIN_CHARS, max_chars=BODY_MAX_CHARS)


def check_author_fields(
    session: Session,
    *,
    name: str,
    organisation: str,
    actor_type: str | None,
    departement: str | None,
    known: Known | None = None,
    edition_id: int | None = None,
) -> tuple[str, str, dict[str, str]]:
    """Who writes, as every form asks it (contribution, questionnaire): cleaned name and organisation, and a
    French message per refused field (keys `name`, `organisation`, `actor_type`, `departement`).

    The département is one of the edition's Région, or « hors région » (services.reference.list_departements
    offers those only).
    """
    known = known or Known(session)
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    errors: dict[str, str] = {}
    clean_name, problem = check_text(name, label="Le nom", max_chars=NAME_MAX_CHARS, required=False)
    if problem:
        errors["name"] = problem
    clean_organisation, problem = check_text(
        organisation, label="L'organisation", max_chars=ORGANISATION_MAX_CHARS, required=False
    )
    if problem:
        errors["organisation"] = problem
    if actor_type is not None and actor_type not in _ACTOR_TYPES:
        errors["actor_type"] = "Type d'acteur inconnu."
    if departement is not None and not _departement_of(known, departement, edition):
        errors["departement"] = "Département inconnu."
    return clean_name, clean_organisation, errors


def _departement_of(known: Known, code: str, edition_id: int) -> bool:
    """True if `code` is a département of the edition's Région, or one outside every Région (« hors région »)."""
    row = known.get(Departement, code)
    if row is None:
        return False
    if row.region_code is None:
        return True
    edition = known.get(Edition, edition_id)
    return edition is not None and row.region_code == edition.region_code


_ACTOR_TYPES = frozenset(a.value for a in ActorType)
_STANCES = frozenset(s.value for s in Stance)
_SOURCES = frozenset(s.value for s in Source)
_DISPLAY_MODES = frozenset(d.value for d in DisplayMode)
_STATUSES = frozenset(s.value for s in ModerationStatus)


def _in_edition(known: Known, model: type[Any], key: object, edition_id: int) -> bool:
    """True if the row exists and belongs to the edition (a row of another edition counts as missing)."""
    row = known.get(model, key) if isinstance(key, int) else None
    return row is not None and row.edition_id == edition_id


def _question_in_edition(known: Known, question_id: int, edition_id: int) -> bool:
    question = known.get(Question, question_id) if isinstance(question_id, int) else None
    return question is not None and _in_edition(known, Questionnaire, question.questionnaire_id, edition_id)


def _response_in_edition(known: Known, response_id: int, edition_id: int) -> bool:
    response = known.get(QuestionnaireResponse, response_id) if isinstance(response_id, int) else None
    return response is not None and _in_edition(known, Questionnaire, response.questionnaire_id, edition_id)


def validate(session: Session, draft: ContributionDraft, edition_id: int, known: Known | None = None) -> dict[str, str]:
    """Every rule of a contribution to `edition_id`, all messages at once; the cleaned texts when it passes.

    A theme, stand, project, phone or question of another edition is refused as unknown. The steps add their
    messages in the order the form reads, a later step's message replacing an earlier one on the same field.
    """
    known = known or Known(session)
    clean, errors = _texts(session, draft, edition_id, known)
    errors |= _theme_orientation_stance(known, draft, edition_id)
    errors |= _source_and_display(draft, clean)
    errors |= _links(known, draft, edition_id)
    errors |= _status_and_key(draft)
    if errors:
        raise ValidationError(errors)
    return clean


def _texts(
    session: Session, draft: ContributionDraft, edition_id: int, known: Known
) -> tuple[dict[str, str], dict[str, str]]:
    """The typed texts, cleaned (body, title, name, organisation), and the messages of those refused."""
    errors: dict[str, str] = {}
    body, problem = check_body(draft.body)
    if problem:
        errors["body"] = problem
    title, problem = check_text(draft.title, label="Le titre", max_chars=TITLE_MAX_CHARS, required=False)
    if problem:
        errors["title"] = problem
    name, organisation, author_errors = check_author_fields(
        session=session,
        name=draft.author_name,
        organisation=draft.organisation,
        actor_type=draft.actor_type,
        departement=draft.departement,
        known=known,
        edition_id=edition_id,
    )
    errors |= {("author_name" if k == "name" else k): v for k, v in author_errors.items()}
    return {"body": body, "title": title, "author_name": name, "organisation": organisation}, errors


def _theme_orientation_stance(known: Known, draft: ContributionDraft, edition_id: int) -> dict[str, str]:
    """A theme of the edition, an orientation of that theme, a stance only about an orientation."""
    errors: dict[str, str] = {}
    theme = known.get(Theme, draft.theme_id) if isinstance(draft.theme_id, int) else None
    if theme is None or theme.edition_id != edition_id:
        theme = None
        errors["theme_id"] = THEME_REQUIRED
    if draft.orientation_id is not None:
        orientation = known.get(Orientation, draft.orientation_id) if isinstance(draft.orientation_id, int) else None
        if (
            orientation is None
            or orientation.edition_id != edition_id
            or (theme is not None and orientation.theme_id != theme.id)
        ):
            errors["orientation_id"] = "Cette orientation n'existe pas pour la thématique choisie."
    if draft.stance is not None:
        if draft.stance not in _STANCES:
            errors["stance"] = "Position inconnue."
        elif draft.orientation_id is None and draft.stance != Stance.NEW_PROPOSAL.value:
            errors["stance"] = "Choisissez l'orientation sur laquelle vous prenez position."
    return errors


def _source_and_display(draft: ContributionDraft, clean: dict[str, str]) -> dict[str, str]:
    """A known source, and a display mode the author gave what it needs (a name, an organisation)."""
    errors: dict[str, str] = {}
    if draft.source not in _SOURCES:
        errors["source"] = "Origine de la contribution inconnue."
    if draft.display_mode not in _DISPLAY_MODES:
        errors["display_mode"] = "Mode d'affichage inconnu."
    elif draft.display_mode == DisplayMode.NAME.value and not clean["author_name"]:
        errors["author_name"] = "Indiquez votre nom pour apparaître sous votre nom, ou choisissez « anonyme »."
    elif draft.display_mode == DisplayMode.ORGANISATION.value and not clean["organisation"]:
        errors["organisation"] = "Indiquez votre organisation pour contribuer en son nom, ou choisissez « anonyme »."
    return errors


def _links(known: Known, draft: ContributionDraft, edition_id: int) -> dict[str, str]:
    """The phone, stand, project, question and questionnaire answer it points to, each of the edition."""
    # Checked here: left to the foreign keys, a bad id would look like a receipt-code collision when stored.
    errors: dict[str, str] = {}
    if draft.participant_id is not None and not _in_edition(known, Participant, draft.participant_id, edition_id):
        errors["participant_id"] = "Ce téléphone n'est pas reconnu : rechargez la page puis renvoyez."
    if draft.stand_id is not None and not _in_edition(known, Stand, draft.stand_id, edition_id):
        errors["stand_id"] = "Ce stand n'existe pas."
    if draft.ptce_id is not None and not _in_edition(known, Ptce, draft.ptce_id, edition_id):
        errors["ptce_id"] = "Ce projet n'existe pas."
    if draft.question_id is not None and not _question_in_edition(known, draft.question_id, edition_id):
        errors["question_id"] = "Cette question n'existe pas."
    if draft.response_id is not None and not _response_in_edition(known, draft.response_id, edition_id):
        errors["response_id"] = "Cette réponse au questionnaire n'existe pas."
    return errors


def _status_and_key(draft: ContributionDraft) -> dict[str, str]:
    """A known moderation status, and an idempotency key a form of ours could have made."""
    errors: dict[str, str] = {}
    if draft.status not in _STATUSES:
        errors["status"] = "Statut de modération inconnu."
    key = draft.idempotency_key or ""
    if not (8 <= len(key) <= IDEMPOTENCY_KEY_MAX) or not key.isascii():
        errors["idempotency_key"] = EXPIRED_FORM
    return errors


def row_values(draft: ContributionDraft, clean: dict[str, str], now: datetime) -> dict[str, Any]:
    """The columns of a validated draft's row (receipt code aside): one place for the single and batch paths."""
    return {
        "idempotency_key": draft.idempotency_key,
        "theme_id": draft.theme_id,
        "orientation_id": draft.orientation_id,
        "stance": draft.stance,
        "title": clean["title"],
        "body": clean["body"],
        "source": draft.source,
        "author_name": clean["author_name"],
        "organisation": clean["organisation"],
        "actor_type": draft.actor_type,
        "departement": draft.departement,
        "display_mode": draft.display_mode,
        "consent_at": now if draft.consent else None,
        "status": draft.status,
        "participant_id": draft.participant_id,
        "stand_id": draft.stand_id,
        "ptce_id": draft.ptce_id,
        "response_id": draft.response_id,
        "question_id": draft.question_id,
        "entered_by": draft.entered_by,
        "is_demo": draft.is_demo,
        "created_at": now,
        "updated_at": now,
    }
