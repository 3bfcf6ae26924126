"""« Qu'est devenue ma contribution ? »: a contribution's journey, in plain French, for its own author.

Found by its receipt code (typed on a public page, throttled: services.code_guesses) or from « Mes
contributions » (the phone's own). The receipt code is the participant's own proof: the journey shows their own
text (the masked copy when staff made one) and, when not published, the category of reason staff chose; never
staff's private words (the note written for the team, nor who moderated); of other people, only counts and what
is published.

The journey is a list of steps built by the functions of STEP_BUILDERS, in order, the last being « citée dans la
stratégie publiée » once staff published the strategy (services.publication).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import (
    AuditEvent,
    Contribution,
    ContributionGroup,
    ContributionGroupMember,
    GroupStatus,
    LinkRelation,
    ModerationStatus,
    Theme,
)
from services import publication, throttle
from services.code_guesses import count_wrong_code, require_guess_allowed
from services.codes import normalise_code
from services.drafting.sources import contribution_orientations
from services.formatting import format_number, to_paris
from services.labels import ORIENTATION_STATUS_LABELS, REJECTION_CATEGORY_LABELS, SOURCE_LABELS, label
from services.moderation import ENTITY as CONTRIBUTION_ENTITY
from services.moderation import mask_personal_data
from services.participants import participant_id_for_token

RECEIPT_MAX_CHARS = 20  # « K7QF-MC3R » and what people add around it (spaces)
UNKNOWN_CODE = "Ce code de reçu ne correspond à aucune contribution. Vérifiez-le : 8 caractères, par exemple K7QF-MC3R."

# A contribution rejected before staff chose a category (migration 0014): the charter in general.
CHARTER_WORDING = (
    "L'équipe de modération publie les contributions conformes à la charte de participation (le sujet de la "
    "conférence, le respect des personnes, aucune donnée personnelle) ; elle n'a pas publié celle-ci. Le motif "
    "détaillé reste interne à l'équipe."
)

# Step states: what the page shows beside each step.
DONE = "done"
WAITING = "waiting"
REFUSED = "refused"


@dataclass(frozen=True)
class JourneyStep:
    """One step of the journey: `key` says which (received, moderation, grouped, orientation, …)."""

    key: str
    state: str  # DONE, WAITING or REFUSED
    title: str
    detail: str = ""
    quote: str = ""  # a text to show as is (st.text): the group's representative text, an orientation's title


@dataclass(frozen=True)
class Journey:
    receipt_code: str
    received_at: str  # « 14/05/2030 à 10:05 »
    theme: str
    origin: str
    status: str  # the moderation status code (ModerationStatus)
    text: str  # the author's own text, the masked copy when staff made one
    steps: tuple[JourneyStep, ...]


def when(value: datetime) -> str:
    """« 14/05/2030 à 10:05 », Paris time."""
    local = to_paris(value)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


def _shown(c: Contribution) -> str:
    return c.masked_body if c.masked_body is not None else c.body


def _received(session: Session, c: Contribution) -> list[JourneyStep]:
    return [JourneyStep("received", DONE, f"Reçue le {when(c.created_at)}")]


def _last_decision_at(session: Session, c: Contribution, action: str) -> datetime | None:
    """When staff last gave the contribution its status (the audit trail; who did it is not told)."""
    return session.exec(
        select(AuditEvent.created_at)
        .where(
            AuditEvent.entity_type == CONTRIBUTION_ENTITY,
            AuditEvent.entity_id == str(c.id),
            AuditEvent.action == action,
        )
        .order_by(col(AuditEvent.created_at).desc())
        .limit(1)
    ).first()


def _moderation(session: Session, c: Contribution) -> list[JourneyStep]:
    if c.status == ModerationStatus.PUBLISHED.value:
        at = _last_decision_at(session, c, "contribution.publish")
        return [
            JourneyStep(
                "moderation",
                DONE,
                f"Publiée le {when(at)}" if at else "Publiée",
                "Relue par l'équipe de modération, elle est visible des participants, données personnelles masquées.",
            )
        ]
    if c.status == ModerationStatus.REJECTED.value:
        # The note staff typed is for the team (it may quote the text or a person): never shown here; the author
        # reads the category staff chose from the fixed list (services.labels), or, for a contribution rejected
        # before categories existed, the charter in general.
        if c.rejection_category:
            detail = (
                f"Motif : {label(REJECTION_CATEGORY_LABELS, c.rejection_category)}. L'équipe de modération publie "
                "les contributions conformes à la charte de participation."
            )
        else:
            detail = CHARTER_WORDING
        return [JourneyStep("moderation", REFUSED, "Non publiée", detail)]
    return [
        JourneyStep(
            "moderation",
            WAITING,
            "En attente de modération",
            "L'équipe relit chaque contribution avant de la publier.",
        )
    ]


def _group_text(group: ContributionGroup, members: list[Contribution], own_id: int) -> str:
    """The group's representative text as this author may read it, or "" when it is someone's unpublished text.

    Staff pick a member's text (as typed) or write one: a member's copy is replaced by what was published of it
    (or hidden if it was not published, unless it is the author's own); a text staff wrote goes through the
    personal-data detector, as titles do on the published path (services.published).
    """
    text = group.representative_text
    for m in members:
        if text in (m.body, m.masked_body):
            if m.id == own_id or m.status == ModerationStatus.PUBLISHED.value:
                return _shown(m)
            return ""
    return mask_personal_data(text)


def _grouped(session: Session, c: Contribution) -> list[JourneyStep]:
    if c.status == ModerationStatus.REJECTED.value:
        return []
    group = session.exec(
        select(ContributionGroup)
        .join(ContributionGroupMember, col(ContributionGroupMember.group_id) == col(ContributionGroup.id))
        .where(
            ContributionGroupMember.contribution_id == c.id,
            ContributionGroup.status == GroupStatus.CONFIRMED.value,
        )
    ).first()
    if group is None:
        return []
    members = list(
        session.exec(
            select(Contribution)
            .join(ContributionGroupMember, col(ContributionGroupMember.contribution_id) == col(Contribution.id))
            .where(ContributionGroupMember.group_id == group.id)
        ).all()
    )
    others = len(members) - 1
    plural = "s" if others > 1 else ""
    title = f"Regroupée avec {format_number(others)} autre{plural} contribution{plural} proche{plural}"
    if group.decided_at is not None:
        title += f" le {when(group.decided_at)}"
    quote = _group_text(group, members, c.id or 0)
    detail = (
        f"Le groupe réunit {format_number(len(members))} contributions. Son texte représentatif :"
        if quote
        else f"Le groupe réunit {format_number(len(members))} contributions."
    )
    return [JourneyStep("grouped", DONE, title, detail, quote)]


_HOW = {
    "stance": "Vous l'aviez rattachée à cette orientation en l'envoyant.",
    "link": "L'équipe de rédaction l'a retenue parmi les sources de cette orientation.",
    "group": "Son groupe a été retenu parmi les sources de cette orientation.",
}


def _orientations(session: Session, c: Contribution) -> list[JourneyStep]:
    # Rejected contributions are no source of any orientation (services.drafting.sources leaves them out).
    if c.status == ModerationStatus.REJECTED.value:
        return []
    theme = session.get(Theme, c.theme_id)
    if theme is None:
        return []
    steps = []
    for fed in contribution_orientations(session=session, contribution_id=c.id or 0, edition_id=theme.edition_id):
        detail = _HOW.get(fed.via, "")
        if fed.relation == LinkRelation.QUESTIONS.value:
            detail += " Elle y est citée comme une question posée à l'orientation."
        steps.append(JourneyStep("orientation", DONE, f"A nourri l'orientation {fed.code}", detail, fed.title))
    return steps


def _strategy(session: Session, c: Contribution) -> list[JourneyStep]:
    """Once staff published the strategy (services.publication): the paragraph of each orientation it fed."""
    if c.status == ModerationStatus.REJECTED.value:
        return []
    theme = session.get(Theme, c.theme_id)
    if theme is None:
        return []
    paragraphs = publication.strategy_paragraphs(session, edition_id=theme.edition_id)
    if not paragraphs:
        return []
    published_at = publication.publication_state(session, edition_id=theme.edition_id).strategy_published_at
    since = f" le {when(published_at)}" if published_at is not None else ""
    steps = []
    for fed in contribution_orientations(session=session, contribution_id=c.id or 0, edition_id=theme.edition_id):
        paragraph = paragraphs.get(fed.orientation_id)
        if paragraph is None:
            continue
        status = label(ORIENTATION_STATUS_LABELS, paragraph.status)
        steps.append(
            JourneyStep(
                "strategy",
                DONE,
                f"Citée dans la stratégie publiée : orientation {paragraph.code}",
                f"La stratégie a été publiée{since} ({paragraph.theme_label} ; orientation {status.lower()}). "
                "Son paragraphe :",
                "\n\n".join(part for part in (paragraph.title, paragraph.body) if part),
            )
        )
    return steps


# The journey, step by step: each function returns the steps it knows of this contribution (none when not
# reached), the published strategy's paragraphs last.
StepBuilder = Callable[[Session, Contribution], list[JourneyStep]]
STEP_BUILDERS: list[StepBuilder] = [_received, _moderation, _grouped, _orientations, _strategy]


def journey_steps(session: Session, contribution: Contribution) -> list[JourneyStep]:
    """Every step the contribution reached, in order (see STEP_BUILDERS)."""
    return [step for build in STEP_BUILDERS for step in build(session, contribution)]


def _journey(session: Session, c: Contribution) -> Journey:
    theme = session.get(Theme, c.theme_id)
    return Journey(
        receipt_code=c.receipt_code,
        received_at=when(c.created_at),
        theme=theme.short_label if theme is not None else "",
        origin=label(SOURCE_LABELS, c.source),
        status=c.status,
        text=_shown(c),
        steps=tuple(journey_steps(session, c)),
    )


def follow_by_code(
    session: Session, *, code: str, session_key: str, origin: throttle.Origin, now: datetime | None = None
) -> Journey | None:
    """The journey of the contribution with this receipt code, or None (the unknown code counted).

    Raises throttle.Throttled while too many unknown codes were typed (per session, address, overall); the
    message is the same whatever the code, so nothing tells which codes exist. A write: it counts failures.
    """
    cleaned = normalise_code(code)
    if not cleaned:
        return None  # nothing typed: not a guess
    require_guess_allowed(session=session, session_key=session_key, origin=origin, now=now)
    row = None
    if len(cleaned) <= RECEIPT_MAX_CHARS:
        row = session.exec(select(Contribution).where(Contribution.receipt_code == cleaned)).first()
    if row is None:
        count_wrong_code(session=session, session_key=session_key, origin=origin, now=now)
        return None
    return _journey(session, row)


def own_journey(
    session: Session, *, device_token: str, contribution_id: int, edition_id: int | None = None
) -> Journey | None:
    """The journey of one of this phone's contributions (« Mes contributions »), None if it is not the phone's."""
    participant_id = participant_id_for_token(session=session, device_token=device_token, edition_id=edition_id)
    row = session.get(Contribution, contribution_id)
    if participant_id is None or row is None or row.participant_id != participant_id:
        return None
    return _journey(session, row)
