"""Recording contributions: every rule checked here, on the server, whatever the form did."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, case, func, insert
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    ActorType,
    Contribution,
    ContributionSupport,
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
    utcnow,
)
from services.circuit import award_treasure_if_complete
from services.codes import readable_code
from services.errors import NotFoundError, ServiceError, ValidationError
from services.participants import count_anonymous_write, get_or_create_participant, participant_id_for_token
from services.published import PUBLISHED, is_published, published_text
from services.scope import require_open, require_writable, resolve_edition_id, theme_ids
from services.text import check_text
from services.throttle import Origin

BODY_MIN_CHARS = 20
BODY_MAX_CHARS = 2000
TITLE_MAX_CHARS = 120
NAME_MAX_CHARS = 120
ORGANISATION_MAX_CHARS = 200
IDEMPOTENCY_KEY_MAX = 64
# A text sent again from the same phone on the same theme within this window is the same contribution.
RESEND_WINDOW = timedelta(hours=2)
T = TypeVar("T")

# No count in it: editions have from two to twelve themes.
THEME_REQUIRED = "Choisissez l'une des thématiques de la conférence."
NOT_FOUND = "Cette contribution n'existe pas."


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


@dataclass(frozen=True)
class RateLimit:
    """At most `max_count` contributions per device within `window_s` seconds (settings decide both)."""

    max_count: int
    window_s: int


class RateLimitExceeded(ServiceError):
    """A device sent too many contributions too quickly; `retry_after_s` says when it may send again."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class _Known:
    """session.get with a memo: a batch checks the same theme, orientation and département thousands of times."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.memo: dict[tuple[type, object], object] = {}

    def get(self, model: type[T], key: object) -> T | None:
        if (model, key) not in self.memo:
            self.memo[(model, key)] = self.session.get(model, key)
        return cast("T | None", self.memo[(model, key)])


def check_author_fields(
    session: Session,
    *,
    name: str,
    organisation: str,
    actor_type: str | None,
    departement: str | None,
    known: _Known | None = None,
    edition_id: int | None = None,
) -> tuple[str, str, dict[str, str]]:
    """Who writes, as every form asks it (contribution, questionnaire): cleaned name and organisation, and a
    French message per refused field (keys `name`, `organisation`, `actor_type`, `departement`).

    The département is one of the edition's Région, or « hors région » (services.reference.list_departements
    offers those only).
    """
    known = known or _Known(session)
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


def _departement_of(known: _Known, code: str, edition_id: int) -> bool:
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


def _in_edition(known: _Known, model: type[Any], key: object, edition_id: int) -> bool:
    """True if the row exists and belongs to the edition (a row of another edition counts as missing)."""
    row = known.get(model, key) if isinstance(key, int) else None
    return row is not None and row.edition_id == edition_id


def _question_in_edition(known: _Known, question_id: int, edition_id: int) -> bool:
    question = known.get(Question, question_id) if isinstance(question_id, int) else None
    return question is not None and _in_edition(known, Questionnaire, question.questionnaire_id, edition_id)


def _response_in_edition(known: _Known, response_id: int, edition_id: int) -> bool:
    response = known.get(QuestionnaireResponse, response_id) if isinstance(response_id, int) else None
    return response is not None and _in_edition(known, Questionnaire, response.questionnaire_id, edition_id)


def _validate(
    session: Session, draft: ContributionDraft, edition_id: int, known: _Known | None = None
) -> dict[str, str]:
    """Every rule of a contribution to `edition_id`; a theme, stand, project, phone or question of another
    edition is refused as unknown."""
    known = known or _Known(session)
    errors: dict[str, str] = {}
    body, problem = check_text(
        draft.body, label="Le texte de la contribution", min_chars=BODY_MIN_CHARS, max_chars=BODY_MAX_CHARS
    )
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

    theme = known.get(Theme, draft.theme_id) if isinstance(draft.theme_id, int) else None
    if theme is None or theme.edition_id != edition_id:
        theme = None
        errors["theme_id"] = THEME_REQUIRED
    orientation = None
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
    if draft.source not in _SOURCES:
        errors["source"] = "Origine de la contribution inconnue."
    if draft.display_mode not in _DISPLAY_MODES:
        errors["display_mode"] = "Mode d'affichage inconnu."
    elif draft.display_mode == DisplayMode.NAME.value and not name:
        errors["author_name"] = "Indiquez votre nom pour apparaître sous votre nom, ou choisissez « anonyme »."
    elif draft.display_mode == DisplayMode.ORGANISATION.value and not organisation:
        errors["organisation"] = "Indiquez votre organisation pour contribuer en son nom, ou choisissez « anonyme »."
    # Links checked here: left to the foreign keys, a bad id would look like a receipt-code collision below.
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
    if draft.status not in _STATUSES:
        errors["status"] = "Statut de modération inconnu."
    key = draft.idempotency_key or ""
    if not (8 <= len(key) <= IDEMPOTENCY_KEY_MAX) or not key.isascii():
        errors["idempotency_key"] = EXPIRED_FORM
    if errors:
        raise ValidationError(errors)
    return {"body": body, "title": title, "author_name": name, "organisation": organisation}


def _row_values(draft: ContributionDraft, clean: dict[str, str], now: datetime) -> dict[str, Any]:
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


EXPIRED_FORM = "Le formulaire a expiré : rechargez la page puis renvoyez."


def _existing(session: Session, key: str, edition_id: int) -> Contribution | None:
    """The contribution already stored under this key; a key of another edition's is refused, never answered."""
    row = session.exec(select(Contribution).where(Contribution.idempotency_key == key)).first()
    if row is not None and not _theme_in(session, row.theme_id, edition_id):
        raise ValidationError({"idempotency_key": EXPIRED_FORM})
    return row


def _theme_in(session: Session, theme_id: int | None, edition_id: int) -> bool:
    theme = session.get(Theme, theme_id) if isinstance(theme_id, int) else None
    return theme is not None and theme.edition_id == edition_id


def _duplicate(row: Contribution) -> Receipt:
    assert row.id is not None
    return Receipt(row.id, row.receipt_code, row.created_at, duplicate=True)


def _resent(session: Session, draft: ContributionDraft, body: str) -> Contribution | None:
    """The same text on the same theme from the same phone within RESEND_WINDOW: the one already stored.

    The idempotency key covers a retry from the same form. This covers the text sent again from a new form:
    the server restarted before the receipt reached the phone (the form's key lived in the lost session),
    or a participant who did not see the receipt and pasted the text again. It is counted once.
    """
    return session.exec(
        select(Contribution)
        .where(
            Contribution.participant_id == draft.participant_id,
            Contribution.theme_id == draft.theme_id,
            Contribution.body == body,
            Contribution.created_at >= utcnow() - RESEND_WINDOW,
        )
        .limit(1)
    ).first()


def _check_rate(session: Session, participant_id: int, limit: RateLimit) -> None:
    now = utcnow()
    since = now - timedelta(seconds=limit.window_s)
    recent = session.exec(
        select(func.count(), func.min(Contribution.created_at)).where(
            Contribution.participant_id == participant_id, Contribution.created_at >= since
        )
    ).one()
    count, oldest = int(recent[0]), recent[1]
    if count < limit.max_count:
        return
    # MIN() keeps the column type, so `oldest` comes back as an aware datetime on SQLite too.
    retry_after = limit.window_s - (now - oldest).total_seconds() if oldest else limit.window_s
    minutes = max(1, math.ceil(retry_after / 60))
    window_min = max(1, round(limit.window_s / 60))
    raise RateLimitExceeded(
        f"Vous avez déjà envoyé {count} contributions en {window_min} minutes depuis ce téléphone, "
        f"le maximum prévu. Votre texte est conservé : vous pourrez l'envoyer dans {minutes} minute"
        f"{'s' if minutes > 1 else ''}.",
        retry_after_s=max(1, int(retry_after)),
    )


def submit_contribution(
    session: Session,
    *,
    draft: ContributionDraft,
    rate_limit: RateLimit | None = None,
    edition_id: int | None = None,
) -> Receipt:
    """Validate and store a contribution to an edition once per idempotency key; a retry returns the first receipt.

    Staff entries, imports and demo data come this way: refused once the edition is archived.
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    existing = _existing(session, draft.idempotency_key or "", edition)
    if existing is not None:
        return _duplicate(existing)
    require_writable(session=session, edition_id=edition)
    clean = _validate(session, draft, edition)
    if draft.participant_id is not None and (resent := _resent(session, draft, clean["body"])) is not None:
        return _duplicate(resent)
    # After validation (so field messages come first) and after the idempotency check (a retry is never throttled).
    if rate_limit is not None and draft.participant_id is not None:
        _check_rate(session, draft.participant_id, rate_limit)
    assert draft.theme_id is not None  # checked by _validate
    now = draft.created_at or utcnow()
    for _ in range(5):
        row = Contribution(receipt_code=readable_code(8), **_row_values(draft, clean, now))
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # Either a concurrent retry with the same key won the race, or a receipt code collided.
            existing = _existing(session, draft.idempotency_key, edition)
            if existing is not None:
                return _duplicate(existing)
            continue
        assert row.id is not None
        return Receipt(row.id, row.receipt_code, row.created_at)
    raise RuntimeError("could not allocate a unique receipt code")


# ---------------------------------------------------------------------------------------------
# From a participant's phone: the device is the only identity (no account, nothing personal).


def submit_from_device(
    session: Session,
    *,
    device_token: str,
    draft: ContributionDraft,
    rate_limit: RateLimit | None = None,
    origin: Origin | None = None,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> Receipt:
    """A participant's submission to an open edition: tied to the device (created on first use), throttled per
    device and address."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    # A retry of a submission already stored must answer with its receipt even if the device is now throttled.
    existing = _existing(session, draft.idempotency_key or "", edition)
    if existing is not None:
        return _duplicate(existing)
    require_open(session=session, edition_id=edition)
    count_anonymous_write(session=session, origin=origin, now=now)
    participant = get_or_create_participant(
        session=session, device_token=device_token, origin=origin, now=now, edition_id=edition
    )
    receipt = submit_contribution(
        session=session,
        draft=replace(draft, participant_id=participant.id),
        rate_limit=rate_limit,
        edition_id=edition,
    )
    # A contribution can be the last step of the treasure hunt: the organisers' count moves at once.
    award_treasure_if_complete(session=session, participant_id=participant.id)
    return receipt


@dataclass(frozen=True)
class SupportReceipt:
    contribution_id: int
    new: bool  # False when this device already supported it
    supports: int  # supports the contribution now has


def support_contribution(
    session: Session,
    *,
    device_token: str,
    contribution_id: int,
    origin: Origin | None = None,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> SupportReceipt:
    """'Je soutiens celle-ci': one support per published contribution of the open edition and device, never
    one's own."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    target = session.get(Contribution, contribution_id)
    # Only what a participant may read can be backed: a published contribution (services.published) of this
    # edition (a phone's passport belongs to one edition).
    if target is None or target.status != PUBLISHED or not _theme_in(session, target.theme_id, edition):
        raise NotFoundError("Cette contribution n'est plus proposée au soutien.")
    require_open(session=session, edition_id=edition)
    count_anonymous_write(session=session, origin=origin, now=now)
    participant = get_or_create_participant(
        session=session, device_token=device_token, origin=origin, now=now, edition_id=edition
    )
    if target.participant_id == participant.id:
        raise ValidationError({"support": "C'est votre propre contribution : elle compte déjà."})
    existing = session.exec(
        select(ContributionSupport).where(
            ContributionSupport.contribution_id == contribution_id,
            ContributionSupport.participant_id == participant.id,
        )
    ).first()
    new = False
    if existing is None:
        try:
            with session.begin_nested():
                session.add(ContributionSupport(contribution_id=contribution_id, participant_id=participant.id))
                session.flush()
            new = True
        except IntegrityError:
            pass  # a double tap: the first one counted
    return SupportReceipt(contribution_id, new, _support_count(session, contribution_id))


def _support_counts(session: Session, contribution_ids: list[int]) -> dict[int, int]:
    if not contribution_ids:
        return {}
    rows = session.exec(
        select(ContributionSupport.contribution_id, func.count())
        .where(col(ContributionSupport.contribution_id).in_(contribution_ids))
        .group_by(col(ContributionSupport.contribution_id))
    ).all()
    return {cid: int(n) for cid, n in rows}


def _support_count(session: Session, contribution_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(ContributionSupport)
            .where(ContributionSupport.contribution_id == contribution_id)
        ).one()
    )


@dataclass(frozen=True)
class OwnContribution:
    """A contribution as its author sees it under « Mes contributions »."""

    contribution_id: int
    receipt_code: str
    created_at: datetime
    theme_label: str
    orientation_title: str | None
    stance: str | None
    title: str
    text: str
    status: str
    source: str
    stand_name: str | None
    supports: int


@dataclass(frozen=True)
class SupportedContribution:
    contribution_id: int
    theme_label: str
    text: str | None  # as published; None once it is no longer published (back in moderation, rejected)
    supported_at: datetime
    supports: int


def _shown_text(row: Contribution) -> str:
    """The masked copy when staff made one (personal data removed), else the text as typed."""
    return row.masked_body if row.masked_body is not None else row.body


def list_device_contributions(
    session: Session, *, device_token: str, edition_id: int | None = None
) -> list[OwnContribution]:
    """What this phone sent to the edition, newest first (nothing for an unknown device)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    participant_id = participant_id_for_token(session=session, device_token=device_token, edition_id=edition)
    if participant_id is None:
        return []
    rows = session.exec(
        select(Contribution, Theme.short_label, Orientation.title, Stand.name)
        .join(Theme, col(Theme.id) == col(Contribution.theme_id))
        .outerjoin(Orientation, col(Orientation.id) == col(Contribution.orientation_id))
        .outerjoin(Stand, col(Stand.id) == col(Contribution.stand_id))
        .where(Contribution.participant_id == participant_id, Theme.edition_id == edition)
        .order_by(col(Contribution.created_at).desc(), col(Contribution.id).desc())
    ).all()
    counts = _support_counts(session, [c.id for c, *_ in rows if c.id is not None])
    return [
        OwnContribution(
            contribution_id=c.id or 0,
            receipt_code=c.receipt_code,
            created_at=c.created_at,
            theme_label=theme_label,
            orientation_title=orientation_title,
            stance=c.stance,
            title=c.title,
            text=_shown_text(c),
            status=c.status,
            source=c.source,
            stand_name=stand_name,
            supports=counts.get(c.id or 0, 0),
        )
        for c, theme_label, orientation_title, stand_name in rows
    ]


def list_device_supports(
    session: Session, *, device_token: str, edition_id: int | None = None
) -> list[SupportedContribution]:
    """The contributions of the edition this phone supported, newest support first."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    participant_id = participant_id_for_token(session=session, device_token=device_token, edition_id=edition)
    if participant_id is None:
        return []
    # Someone else's text: read through the published path only (services.published).
    rows = session.exec(
        select(
            Contribution.id,
            Theme.short_label,
            case((is_published(), published_text()), else_=None),
            ContributionSupport.created_at,
        )
        .join(ContributionSupport, col(ContributionSupport.contribution_id) == col(Contribution.id))
        .join(Theme, col(Theme.id) == col(Contribution.theme_id))
        .where(ContributionSupport.participant_id == participant_id, Theme.edition_id == edition)
        .order_by(col(ContributionSupport.created_at).desc())
    ).all()
    counts = _support_counts(session, [cid for cid, *_ in rows if cid is not None])
    return [SupportedContribution(cid or 0, label, text, at, counts.get(cid or 0, 0)) for cid, label, text, at in rows]


@dataclass(frozen=True)
class StandContext:
    """The stand a form was opened from (its QR code): sets the theme and the source « chasse aux trésors »."""

    id: int
    code: str
    name: str
    theme_id: int


def find_open_stand(session: Session, *, code: str, edition_id: int | None = None) -> StandContext | None:
    """An active stand of the edition by its code as printed on its QR code, or None (codes repeat across
    editions: S01 of one is not S01 of another)."""
    cleaned = (code or "").strip().upper()
    if not cleaned or len(cleaned) > 20:
        return None
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.exec(
        select(Stand).where(Stand.code == cleaned, Stand.edition_id == edition, col(Stand.active))
    ).first()
    if row is None or row.id is None:
        return None
    return StandContext(row.id, row.code, row.name, row.theme_id)


def count_contributions(session: Session, *, edition_id: int | None = None) -> int:
    """Every contribution the edition received so far, whatever its source, except those moderation turned down."""
    themes = theme_ids(session=session, edition_id=resolve_edition_id(session=session, edition_id=edition_id))
    return int(
        session.exec(
            select(func.count())
            .select_from(Contribution)
            .where(col(Contribution.theme_id).in_(themes), Contribution.status != ModerationStatus.REJECTED.value)
        ).one()
    )


# ---------------------------------------------------------------------------------------------
# Staff bulk entry: paper forms and workshop notes, typed or pasted, with the very same rules.

# What staff type in: contributions that reached them on paper, from the launch workshops or forms.
BULK_SOURCES: tuple[str, ...] = (Source.WORKSHOP.value, Source.PAPER.value)

_BLANK_LINES = re.compile(r"\n\s*\n")


def split_pasted_text(text: str) -> list[str]:
    """Cut pasted notes into contributions: one per paragraph, paragraphs separated by a blank line."""
    normalised = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return [part.strip() for part in _BLANK_LINES.split(normalised) if part.strip()]


def batch_idempotency_key(batch_key: str, text: str) -> str:
    """Same batch and same paragraph, same key: pasting or sending a batch twice stores each item once."""
    # surrogatepass: a pasted lone surrogate must reach the validation (and its French message), not crash here.
    digest = hashlib.sha256(f"{batch_key}\n{text.strip()}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"lot-{digest[:40]}"


@dataclass(frozen=True)
class BatchItem:
    index: int
    receipt: Receipt | None
    errors: dict[str, str]


_BATCH_CHUNK = 500  # IN (...) lists and insert batches


def submit_batch(
    session: Session, *, drafts: Sequence[ContributionDraft], edition_id: int | None = None
) -> list[BatchItem]:
    """Store every valid draft and report the refused ones with their messages; one bad item stops nothing.

    The rules of submit_contribution, item by item (same validation, same idempotency: a key already stored,
    or met earlier in the batch, answers with the first receipt), but the rows go in with one insert per
    chunk: staff bulk entry and the questionnaire import store thousands of contributions at once.
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    known = _Known(session)
    items: list[BatchItem | None] = [None] * len(drafts)
    valid: list[tuple[int, ContributionDraft, dict[str, str]]] = []
    for index, draft in enumerate(drafts):
        try:
            valid.append((index, draft, _validate(session, draft, edition, known)))
        except ValidationError as exc:
            items[index] = BatchItem(index, None, exc.errors)
    # A key already stored for another edition's contribution is refused, never answered with its receipt.
    foreign = _foreign_keys(session, [draft.idempotency_key for _, draft, _ in valid], edition)
    if foreign:
        for index, draft, _ in valid:
            if draft.idempotency_key in foreign:
                items[index] = BatchItem(index, None, {"idempotency_key": EXPIRED_FORM})
        valid = [v for v in valid if v[1].idempotency_key not in foreign]
    for start in range(0, len(valid), _BATCH_CHUNK):
        chunk = valid[start : start + _BATCH_CHUNK]
        receipts = _store_chunk(session, [(draft, clean) for _, draft, clean in chunk])
        for (index, _, _), receipt in zip(chunk, receipts, strict=True):
            items[index] = BatchItem(index, receipt, {})
    return [item for item in items if item is not None]


def _foreign_keys(session: Session, keys: Sequence[str], edition_id: int) -> set[str]:
    """Those of `keys` already stored for a contribution of another edition."""
    table = _contribution_table()
    ours = set(theme_ids(session=session, edition_id=edition_id))
    found: set[str] = set()
    for start in range(0, len(keys), _BATCH_CHUNK):
        rows = session.execute(
            core_select(table.c.idempotency_key, table.c.theme_id).where(
                table.c.idempotency_key.in_(list(keys[start : start + _BATCH_CHUNK]))
            )
        ).all()
        found |= {key for key, theme in rows if theme not in ours}
    return found


def _stored_receipts(session: Session, keys: Sequence[str]) -> dict[str, Receipt]:
    table = _contribution_table()
    rows = session.execute(
        core_select(table.c.idempotency_key, table.c.id, table.c.receipt_code, table.c.created_at).where(
            table.c.idempotency_key.in_(list(keys))
        )
    ).all()
    return {key: Receipt(cid, code, created, duplicate=True) for key, cid, code, created in rows}


def _store_chunk(session: Session, drafts: list[tuple[ContributionDraft, dict[str, str]]]) -> list[Receipt]:
    """Insert the validated drafts whose key is new, in one statement; a receipt for each draft, in order."""
    table = _contribution_table()
    for _attempt in range(5):
        already = _stored_receipts(session, [d.idempotency_key for d, _ in drafts])
        new: dict[str, dict[str, Any]] = {}
        for draft, clean in drafts:
            if draft.idempotency_key not in already and draft.idempotency_key not in new:
                new[draft.idempotency_key] = _row_values(draft, clean, draft.created_at or utcnow())
        codes = _fresh_receipt_codes(session, len(new))
        params = [{**values, "receipt_code": code} for values, code in zip(new.values(), codes, strict=True)]
        try:
            with session.begin_nested():
                inserted = _insert_rows(session, table, params) if params else []
        except IntegrityError:
            continue  # a phone took one of these codes, or sent one of these keys, meanwhile: look again
        stored = {key: Receipt(cid, code, created) for key, cid, code, created in inserted}
        receipts: list[Receipt] = []
        for draft, _ in drafts:
            key = draft.idempotency_key
            receipt = already.get(key) or stored[key]
            receipts.append(receipt)
            stored[key] = replace(receipt, duplicate=True)  # the same key again in this batch: a retry
        return receipts
    raise RuntimeError("could not allocate unique receipt codes")


def _insert_rows(session: Session, table: Table, params: list[dict[str, Any]]) -> list[Any]:
    """Insert the rows; (idempotency key, id, receipt code, created_at) of each, in no particular order.

    With RETURNING and no parameter order asked, SQLAlchemy sends the rows as a few multi-row INSERTs
    ("insertmanyvalues") where a plain executemany sends one INSERT per row. On SQLite that halves the cost:
    contribution has triggers (migration 0004), so every INSERT statement keeps a statement journal of the pages
    it changes, and one row changes some twenty index pages, beyond the 64 KiB SQLite keeps in memory before
    writing a temporary file: one INSERT per row paid that for every row (questionnaire import, 25 000 rows).
    """
    columns = (table.c.idempotency_key, table.c.id, table.c.receipt_code, table.c.created_at)
    return list(session.execute(insert(table).returning(*columns), params).all())


def _contribution_table() -> Table:
    table = Contribution.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _fresh_receipt_codes(session: Session, count: int) -> list[str]:
    """`count` receipt codes drawn like submit_contribution's and not taken yet."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {readable_code(8) for _ in range(count - len(codes))}
        taken = set(
            session.exec(select(Contribution.receipt_code).where(col(Contribution.receipt_code).in_(wanted))).all()
        )
        codes |= wanted - taken
    return list(codes)[:count]


@dataclass(frozen=True)
class EntryRow:
    receipt_code: str
    created_at: datetime
    theme_label: str
    source: str
    text: str


def list_entries_by(
    session: Session, *, entered_by: str, limit: int = 20, edition_id: int | None = None
) -> list[EntryRow]:
    """The latest contributions of the edition a staff member typed in, to check a batch at a glance."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    rows = session.exec(
        select(Contribution, Theme.short_label)
        .join(Theme, col(Theme.id) == col(Contribution.theme_id))
        .where(Contribution.entered_by == entered_by, Theme.edition_id == edition)
        .order_by(col(Contribution.id).desc())
        .limit(limit)
    ).all()
    return [EntryRow(c.receipt_code, c.created_at, label, c.source, c.body) for c, label in rows]
