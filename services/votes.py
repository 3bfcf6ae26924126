"""The adequacy check: each participant's stance on every proposed orientation, in one tap each, and the verdict.

A device (no account: its token, as for contributions) gives one stance per orientation, changeable while the
vote is open: « D'accord », « D'accord avec réserves », « Pas d'accord », « Je ne sais pas / passer ». Staff add
paper ballots as counts. Every change is written with its event and applied to the rollups (models/vote.py) in
the same transaction, so the live pages read a few hundred rollup rows, never the stance rows:
- a tap that repeats the stance already stored changes nothing (a flaky reconnect that sends it again is not
  counted twice); a new stance adds one, a changed one moves one from the old stance to the new;
- concurrent taps of the same phone on the same orientation are serialised by the unique pair (and, on
  PostgreSQL, by a row lock), so the rollup never counts a stance that is not stored.

services/verdict.py reads the rollups into the room's verdict on each orientation.

Honest numbers: a device is a browser's cookie. A participant who clears it and votes again counts twice; the
live page says so and shows the new devices per minute, where a burst is visible.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Edition,
    EditionStatus,
    Orientation,
    OrientationStatus,
    OrientationVote,
    PaperBallot,
    Participant,
    Source,
    Stance,
    Stand,
    Theme,
    VoteChoice,
    VoteEvent,
    VoteOrigin,
    VoteTally,
    VoteTallyTime,
    utcnow,
)
from services import throttle
from services.audit import record_audit_event
from services.contributions import (
    ContributionDraft,
    RateLimit,
    Receipt,
    check_author_fields,
    submit_from_device,
)
from services.errors import NotFoundError, ValidationError
from services.participants import count_anonymous_write, get_or_create_participant, is_valid_device_token
from services.permissions import Permission, require_permission
from services.scope import require_open, require_writable, resolve_edition_id
from services.text import check_text

# The quarter hours of the movement over the day (as the contributions' time series).
TIME_BUCKET_S = 900
# Paper ballots per orientation and stance in one entry: far above any room, below any typo of a few digits.
PAPER_MAX_COUNT = 5_000
PAPER_SOURCE_MAX_CHARS = 200

VOTE_CLOSED = "Le vote sur cette orientation est clos : les résultats restent consultables."
UNKNOWN_CHOICE = "Choisissez l'une des réponses proposées."
UNKNOWN_ORIENTATION = "Cette orientation n'est pas soumise à l'avis des participants de cette édition."
UNKNOWN_ORIGIN = "Origine de l'avis inconnue."
UNKNOWN_DEVICE = "Ce téléphone n'est pas reconnu : rechargez la page, puis touchez de nouveau votre réponse."
NO_STANCE_YET = "Donnez d'abord votre avis sur cette orientation, puis dites pourquoi."
PAPER_EMPTY = "Saisissez au moins un bulletin (un nombre supérieur à 0)."
PAPER_SOURCE = "la provenance des bulletins"

# The written « pourquoi ? » is a contribution with the matching stance (services.contributions).
CONTRIBUTION_STANCE: dict[str, str | None] = {
    VoteChoice.AGREE.value: Stance.SUPPORT.value,
    VoteChoice.RESERVATIONS.value: Stance.SUPPORT_WITH_RESERVATIONS.value,
    VoteChoice.DISAGREE.value: Stance.DISAGREEMENT.value,
    VoteChoice.SKIP.value: None,
}
CHOICES: tuple[str, ...] = tuple(c.value for c in VoteChoice)
DEVICE_ORIGINS: tuple[str, ...] = (VoteOrigin.STAND.value, VoteOrigin.CARDS.value, VoteOrigin.CONTRIBUTION.value)
ORIGINS: tuple[str, ...] = tuple(o.value for o in VoteOrigin)


# ---------------------------------------------------------------------------------------------
# What is put to the vote, and whether the vote is open


@dataclass(frozen=True)
class BallotItem:
    """A proposed orientation as participants see it on a card, with its theme and whether its vote is open."""

    id: int
    code: str
    title: str
    body: str
    theme_id: int
    theme_code: str
    theme_label: str
    theme_short_label: str
    theme_color: str
    open: bool


@dataclass(frozen=True)
class VoteSettings:
    """The switches: the edition's (all themes) and each theme's; a theme's vote is open when both are."""

    edition_status: str
    edition_open: bool
    themes: dict[int, bool]

    def theme_open(self, theme_id: int) -> bool:
        accepting = self.edition_status == EditionStatus.OPEN.value and self.edition_open
        return accepting and self.themes.get(theme_id, False)

    @property
    def any_open(self) -> bool:
        return any(self.theme_open(t) for t in self.themes)


def vote_settings(session: Session, *, edition_id: int | None = None) -> VoteSettings:
    """Whether the edition takes stances, and which of its themes do."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    row = session.get(Edition, edition)
    if row is None:
        raise NotFoundError("Cette édition n'existe pas.")
    themes = session.exec(select(Theme.id, Theme.vote_open).where(Theme.edition_id == edition)).all()
    return VoteSettings(row.status, row.vote_open, {int(t): bool(o) for t, o in themes if t is not None})


def on_ballot() -> Any:
    """The orientations put to the vote: presented at the plenary, not dropped since."""
    return col(Orientation.presented) & (col(Orientation.status) != OrientationStatus.DROPPED.value)


def ballot(session: Session, *, edition_id: int | None = None, theme_id: int | None = None) -> list[BallotItem]:
    """The orientations participants weigh in on, theme by theme in the edition's order."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    settings = vote_settings(session=session, edition_id=edition)
    stmt = (
        select(Orientation, Theme)
        .join(Theme, col(Theme.id) == col(Orientation.theme_id))
        .where(Orientation.edition_id == edition, on_ballot())
        .order_by(col(Theme.position), col(Theme.id), col(Orientation.position), col(Orientation.id))
    )
    if theme_id is not None:
        stmt = stmt.where(Orientation.theme_id == theme_id)
    return [
        BallotItem(
            id=o.id or 0,
            code=o.code,
            title=o.title,
            body=o.body,
            theme_id=t.id or 0,
            theme_code=t.code,
            theme_label=t.label,
            theme_short_label=t.short_label,
            theme_color=t.color,
            open=settings.theme_open(t.id or 0),
        )
        for o, t in session.exec(stmt).all()
    ]


def set_vote_open(
    session: Session, *, open_: bool, actor: str, theme_id: int | None = None, edition_id: int | None = None
) -> None:
    """Open or close the vote of the whole edition (theme_id None) or of one theme; recorded in the audit trail."""
    require_permission(session=session, actor=actor, permission=Permission.VOTE)
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    if theme_id is None:
        row: Edition | Theme | None = session.get(Edition, edition)
        entity = "edition"
    else:
        row = session.get(Theme, theme_id)
        entity = "theme"
        if row is None or row.edition_id != edition:
            raise NotFoundError("Ce thème n'existe pas dans cette édition.")
    assert row is not None
    if row.vote_open == open_:
        return
    row.vote_open = open_
    session.add(row)
    record_audit_event(
        session=session,
        actor=actor,
        action="vote.open" if open_ else "vote.close",
        entity_type=entity,
        entity_id=row.id or 0,
        before={"vote_open": not open_},
        after={"vote_open": open_},
    )


# ---------------------------------------------------------------------------------------------
# The rollups: one upsert per changed key, in the writer's transaction


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _add(session: Session, model: type[Any], key: dict[str, Any], delta: int) -> None:
    table = _table(model)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(**key, n=delta)
    session.execute(statement.on_conflict_do_update(index_elements=list(key), set_={"n": table.c.n + delta}))


def _count(
    session: Session,
    *,
    orientation_id: int,
    choice: str,
    origin: str,
    actor_type: str | None,
    departement: str | None,
    at: datetime,
    delta: int,
) -> None:
    """Apply `delta` stances to both rollups (the counts now, and the quarter hour of `at`)."""
    _add(
        session,
        VoteTally,
        {
            "orientation_id": orientation_id,
            "choice": choice,
            "origin": origin,
            "actor_type": actor_type or "",
            "departement": departement or "",
        },
        delta,
    )
    bucket = int(at.timestamp()) // TIME_BUCKET_S
    _add(
        session,
        VoteTallyTime,
        {"orientation_id": orientation_id, "bucket": bucket, "choice": choice, "origin": origin},
        delta,
    )


# ---------------------------------------------------------------------------------------------
# A participant's stances


@dataclass(frozen=True)
class VoteReceipt:
    orientation_id: int
    choice: str
    previous_choice: str | None
    changed: bool  # False when the stance was already this one (a repeated tap, a resent request)


def _ballot_orientation(session: Session, orientation_id: object, edition_id: int) -> Orientation:
    row = session.get(Orientation, orientation_id) if isinstance(orientation_id, int) else None
    if (
        row is None
        or row.edition_id != edition_id
        or not row.presented
        or row.status == OrientationStatus.DROPPED.value
    ):
        raise ValidationError({"orientation": UNKNOWN_ORIENTATION})
    return row


def _require_vote_open(session: Session, orientation: Orientation, edition_id: int) -> None:
    require_open(session=session, edition_id=edition_id)
    if not vote_settings(session=session, edition_id=edition_id).theme_open(orientation.theme_id):
        raise ValidationError({"vote": VOTE_CLOSED})


def _participant_row(session: Session, device_token: str, edition_id: int) -> Participant | None:
    if not is_valid_device_token(device_token):
        return None
    row = session.exec(select(Participant).where(Participant.device_token == device_token)).first()
    return row if row is not None and row.edition_id == edition_id else None


def _stored_vote(session: Session, orientation_id: int, participant_id: int) -> OrientationVote | None:
    stmt = select(OrientationVote).where(
        OrientationVote.orientation_id == orientation_id, OrientationVote.participant_id == participant_id
    )
    # A row lock on PostgreSQL: two taps of one phone on one orientation change it one after the other.
    return session.exec(stmt.with_for_update()).first()


def cast_vote(
    session: Session,
    *,
    device_token: str,
    orientation_id: int,
    choice: str,
    origin: str,
    stand_code: str | None = None,
    throttle_origin: throttle.Origin | None = None,
    now: datetime | None = None,
    is_demo: bool = False,
    edition_id: int | None = None,
) -> VoteReceipt:
    """One tap: this device's stance on one orientation, stored (or changed) and counted at once.

    Refused with a French message when the orientation is not on the ballot, the choice unknown, or the vote
    closed (for the edition or the theme). A tap that repeats the stored stance changes nothing and is not
    throttled, so a retry after a lost connection is harmless.
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    if choice not in CHOICES:
        raise ValidationError({"choice": UNKNOWN_CHOICE})
    if origin not in DEVICE_ORIGINS:
        raise ValidationError({"origin": UNKNOWN_ORIGIN})
    orientation = _ballot_orientation(session, orientation_id, edition)
    _require_vote_open(session, orientation, edition)
    known = _participant_row(session, device_token, edition)
    if known is not None and known.id is not None:
        stored = _stored_vote(session, orientation.id or 0, known.id)
        if stored is not None and stored.choice == choice:
            return VoteReceipt(orientation_id, choice, choice, changed=False)
    _count_stance(session, throttle_origin, now)
    ref = get_or_create_participant(
        session=session,
        device_token=device_token,
        is_demo=is_demo,
        origin=throttle_origin,
        now=now,
        edition_id=edition,
    )
    participant = session.get(Participant, ref.id)
    assert participant is not None
    at = now or utcnow()
    stand_id = None
    if origin == VoteOrigin.STAND.value and stand_code:
        stand_id = session.exec(select(Stand.id).where(Stand.edition_id == edition, Stand.code == stand_code)).first()
    vote = _stored_vote(session, orientation.id or 0, ref.id)
    if vote is None:
        vote = OrientationVote(
            orientation_id=orientation.id or 0,
            participant_id=ref.id,
            choice=choice,
            origin=origin,
            stand_id=stand_id,
            actor_type=participant.actor_type,
            departement=participant.departement,
            is_demo=is_demo,
            created_at=at,
            updated_at=at,
        )
        try:
            with session.begin_nested():
                session.add(vote)
                session.flush()
            previous = None
        except IntegrityError:
            # The same phone's other tap on this orientation got there first: change that one instead.
            vote = _stored_vote(session, orientation.id or 0, ref.id)
            if vote is None:
                raise
            previous = vote
    else:
        previous = vote
    previous_choice = None
    if previous is not None:
        if previous.choice == choice:
            return VoteReceipt(orientation_id, choice, choice, changed=False)
        previous_choice = previous.choice
        _count(
            session,
            orientation_id=previous.orientation_id,
            choice=previous.choice,
            origin=previous.origin,
            actor_type=previous.actor_type,
            departement=previous.departement,
            at=at,
            delta=-1,
        )
        previous.choice = choice
        previous.origin = origin
        previous.stand_id = stand_id if stand_id is not None else previous.stand_id
        previous.actor_type = participant.actor_type
        previous.departement = participant.departement
        previous.updated_at = at
        session.add(previous)
    _count(
        session,
        orientation_id=orientation.id or 0,
        choice=choice,
        origin=origin,
        actor_type=participant.actor_type,
        departement=participant.departement,
        at=at,
        delta=1,
    )
    session.add(
        VoteEvent(
            orientation_id=orientation.id or 0,
            participant_id=ref.id,
            choice=choice,
            previous_choice=previous_choice,
            origin=origin,
            created_at=at,
        )
    )
    if participant.first_vote_at is None:
        participant.first_vote_at = at
        session.add(participant)
    session.flush()
    return VoteReceipt(orientation_id, choice, previous_choice, changed=True)


# The per-address ceiling on stances (services.throttle.STANCES), apart from the ceiling on other writes.
STANCE_SCOPE = "anonymous.stance"
STANCES_HELD = (
    "Beaucoup d'avis arrivent en même temps depuis votre réseau. Rien n'est perdu : touchez de nouveau votre "
    "réponse dans {wait}."
)


def _count_stance(session: Session, origin: throttle.Origin | None, now: datetime | None) -> None:
    if origin is not None:
        throttle.take(
            session=session, scope=STANCE_SCOPE, key=origin.key, windows=origin.stances, message=STANCES_HELD, now=now
        )


def my_votes(session: Session, *, device_token: str, edition_id: int | None = None) -> dict[int, str]:
    """This device's stances in the edition: orientation id → choice (empty for a phone that never voted)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    participant = _participant_row(session, device_token, edition)
    if participant is None:
        return {}
    rows = session.exec(
        select(OrientationVote.orientation_id, OrientationVote.choice).where(
            OrientationVote.participant_id == participant.id
        )
    ).all()
    return {int(o): str(c) for o, c in rows}


@dataclass(frozen=True)
class VoterProfile:
    actor_type: str | None = None
    departement: str | None = None


def voter_profile(session: Session, *, device_token: str, edition_id: int | None = None) -> VoterProfile:
    """What this device said of its holder (nothing for a phone never seen)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    participant = _participant_row(session, device_token, edition)
    if participant is None:
        return VoterProfile()
    return VoterProfile(participant.actor_type, participant.departement)


def set_voter_profile(
    session: Session,
    *,
    device_token: str,
    actor_type: str | None,
    departement: str | None,
    throttle_origin: throttle.Origin | None = None,
    edition_id: int | None = None,
) -> VoterProfile:
    """The participant's optional description (actor type, département); the stances already given follow it."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    actor_type = actor_type or None
    departement = departement or None
    _name, _org, errors = check_author_fields(
        session=session, name="", organisation="", actor_type=actor_type, departement=departement, edition_id=edition
    )
    if errors:
        raise ValidationError(errors)
    require_open(session=session, edition_id=edition)
    known = _participant_row(session, device_token, edition)
    if known is not None and (known.actor_type, known.departement) == (actor_type, departement):
        return VoterProfile(actor_type, departement)
    count_anonymous_write(session=session, origin=throttle_origin)
    ref = get_or_create_participant(
        session=session, device_token=device_token, origin=throttle_origin, edition_id=edition
    )
    participant = session.get(Participant, ref.id)
    assert participant is not None
    participant.actor_type, participant.departement = actor_type, departement
    session.add(participant)
    # The counts now follow the new description (the movement over the day has no such split).
    for vote in session.exec(select(OrientationVote).where(OrientationVote.participant_id == ref.id)).all():
        for delta, a, d in ((-1, vote.actor_type, vote.departement), (1, actor_type, departement)):
            _add(
                session,
                VoteTally,
                {
                    "orientation_id": vote.orientation_id,
                    "choice": vote.choice,
                    "origin": vote.origin,
                    "actor_type": a or "",
                    "departement": d or "",
                },
                delta,
            )
        vote.actor_type, vote.departement = actor_type, departement
        session.add(vote)
    session.flush()
    return VoterProfile(actor_type, departement)


def explain_vote(
    session: Session,
    *,
    device_token: str,
    orientation_id: int,
    text: str,
    idempotency_key: str,
    rate_limit: RateLimit | None = None,
    throttle_origin: throttle.Origin | None = None,
    now: datetime | None = None,
    edition_id: int | None = None,
) -> Receipt:
    """The optional « pourquoi ? »: a contribution on the orientation with the device's stance, through the usual
    path (rules, moderation, receipt, similarity)."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    orientation = _ballot_orientation(session, orientation_id, edition)
    participant = _participant_row(session, device_token, edition)
    stored = None if participant is None else _stored_vote(session, orientation.id or 0, participant.id or 0)
    if stored is None:
        raise ValidationError({"choice": NO_STANCE_YET})
    assert participant is not None
    draft = ContributionDraft(
        theme_id=orientation.theme_id,
        body=text,
        idempotency_key=idempotency_key,
        orientation_id=orientation.id,
        stance=CONTRIBUTION_STANCE[stored.choice],
        source=Source.CONFERENCE.value,
        actor_type=participant.actor_type,
        departement=participant.departement,
    )
    return submit_from_device(
        session=session,
        device_token=device_token,
        draft=draft,
        rate_limit=rate_limit,
        origin=throttle_origin,
        now=now,
        edition_id=edition,
    )


# ---------------------------------------------------------------------------------------------
# Paper ballots, entered by staff


@dataclass(frozen=True)
class PaperLine:
    """One orientation's paper ballots in one entry: stance → number of ballots."""

    orientation_id: int
    counts: dict[str, int]


@dataclass(frozen=True)
class PaperEntry:
    batch: str
    source: str
    entered_by: str
    created_at: datetime
    ballots: int
    orientations: int
    withdrawn_at: datetime | None = None
    lines: tuple[tuple[str, str, int], ...] = ()  # (orientation code, choice, count)


def new_paper_batch() -> str:
    """The key of one entry of the bulk form: a second click sends the same key and adds nothing."""
    return uuid.uuid4().hex


def enter_paper_ballots(
    session: Session,
    *,
    lines: Sequence[PaperLine],
    source: str,
    actor: str,
    batch: str,
    now: datetime | None = None,
    is_demo: bool = False,
    edition_id: int | None = None,
) -> PaperEntry:
    """Paper ballots counted by hand, per orientation and stance, with where they come from.

    Accepted while the edition is not archived, the vote open or closed (an urn is counted after it closes).
    Every count is checked (whole number, 0 to PAPER_MAX_COUNT) and nothing is stored if one is refused. The
    same `batch` sent twice stores it once.
    """
    require_permission(session=session, actor=actor, permission=Permission.VOTE)
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    existing = _paper_entries(session, edition, batch=batch)
    if existing:
        return existing[0]
    require_writable(session=session, edition_id=edition)
    errors: dict[str, str] = {}
    clean_source, problem = check_text(
        source, label="La provenance des bulletins", max_chars=PAPER_SOURCE_MAX_CHARS, required=True
    )
    if problem:
        errors["source"] = problem
    if not batch or len(batch) > 36 or not batch.isascii():
        errors["batch"] = "Ce formulaire a expiré : rechargez la page, vos chiffres seront à ressaisir."
    rows: list[tuple[Orientation, str, int]] = []
    for line in lines:
        try:
            orientation = _ballot_orientation(session, line.orientation_id, edition)
        except ValidationError:
            errors[f"orientation_{line.orientation_id}"] = UNKNOWN_ORIENTATION
            continue
        for choice, count in line.counts.items():
            if choice not in CHOICES:
                errors[f"choice_{orientation.code}"] = UNKNOWN_CHOICE
            elif isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= PAPER_MAX_COUNT:
                errors[f"count_{orientation.code}_{choice}"] = (
                    f"{orientation.code} : le nombre de bulletins doit être un nombre entier entre 0 et "
                    f"{PAPER_MAX_COUNT:,}".replace(",", "\u202f")
                    + "."
                )
            elif count:
                rows.append((orientation, choice, count))
    if not rows and not errors:
        errors["counts"] = PAPER_EMPTY
    if errors:
        raise ValidationError(errors)
    at = now or utcnow()
    for orientation, choice, count in rows:
        paper = PaperBallot(
            orientation_id=orientation.id or 0,
            choice=choice,
            count=count,
            source=clean_source,
            batch=batch,
            entered_by=actor,
            is_demo=is_demo,
            created_at=at,
        )
        session.add(paper)
        session.flush()
        _count(
            session,
            orientation_id=paper.orientation_id,
            choice=choice,
            origin=VoteOrigin.PAPER.value,
            actor_type=None,
            departement=None,
            at=at,
            delta=count,
        )
        session.add(
            VoteEvent(
                orientation_id=paper.orientation_id,
                paper_ballot_id=paper.id,
                choice=choice,
                origin=VoteOrigin.PAPER.value,
                count=count,
                created_at=at,
            )
        )
    record_audit_event(
        session=session,
        actor=actor,
        action="vote.paper",
        entity_type="paperballot",
        entity_id=batch,
        after={"source": clean_source, "ballots": sum(c for _o, _c, c in rows)},
    )
    session.flush()
    return _paper_entries(session, edition, batch=batch)[0]


def withdraw_paper_entry(
    session: Session, *, batch: str, actor: str, now: datetime | None = None, edition_id: int | None = None
) -> int:
    """Take back one entry of paper ballots (a typing error): its counts leave the results; the rows stay, marked."""
    require_permission(session=session, actor=actor, permission=Permission.VOTE)
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    rows = session.exec(
        select(PaperBallot)
        .join(Orientation, col(Orientation.id) == col(PaperBallot.orientation_id))
        .where(PaperBallot.batch == batch, Orientation.edition_id == edition, col(PaperBallot.withdrawn_at).is_(None))
    ).all()
    if not rows:
        raise NotFoundError("Cette saisie de bulletins n'existe pas ou a déjà été retirée.")
    at = now or utcnow()
    for paper in rows:
        paper.withdrawn_at, paper.withdrawn_by = at, actor
        session.add(paper)
        _count(
            session,
            orientation_id=paper.orientation_id,
            choice=paper.choice,
            origin=VoteOrigin.PAPER.value,
            actor_type=None,
            departement=None,
            at=at,
            delta=-paper.count,
        )
        session.add(
            VoteEvent(
                orientation_id=paper.orientation_id,
                paper_ballot_id=paper.id,
                choice=None,
                previous_choice=paper.choice,
                origin=VoteOrigin.PAPER.value,
                count=paper.count,
                created_at=at,
            )
        )
    record_audit_event(
        session=session, actor=actor, action="vote.paper.withdraw", entity_type="paperballot", entity_id=batch
    )
    session.flush()
    return sum(p.count for p in rows)


def _paper_entries(session: Session, edition_id: int, batch: str | None = None) -> list[PaperEntry]:
    stmt = (
        select(PaperBallot, Orientation.code)
        .join(Orientation, col(Orientation.id) == col(PaperBallot.orientation_id))
        .where(Orientation.edition_id == edition_id)
        .order_by(col(PaperBallot.created_at).desc(), col(PaperBallot.id))
    )
    if batch is not None:
        stmt = stmt.where(PaperBallot.batch == batch)
    entries: dict[str, list[tuple[PaperBallot, str]]] = {}
    for paper, code in session.exec(stmt).all():
        entries.setdefault(paper.batch, []).append((paper, code))
    result = []
    for key, items in entries.items():
        first = items[0][0]
        result.append(
            PaperEntry(
                batch=key,
                source=first.source,
                entered_by=first.entered_by,
                created_at=first.created_at,
                ballots=sum(p.count for p, _ in items),
                orientations=len({p.orientation_id for p, _ in items}),
                withdrawn_at=first.withdrawn_at,
                lines=tuple((code, p.choice, p.count) for p, code in items),
            )
        )
    return result


def list_paper_entries(session: Session, *, edition_id: int | None = None) -> list[PaperEntry]:
    """Every entry of paper ballots of the edition, newest first, withdrawn ones included (marked)."""
    return _paper_entries(session, resolve_edition_id(session=session, edition_id=edition_id))


# ---------------------------------------------------------------------------------------------
# Housekeeping


def forget_votes(session: Session, *, participant_ids: Sequence[int]) -> int:
    """Delete these participants' stances and their events, taking them out of both rollups (demo data removal).

    The quarter-hour rollup is unwound event by event, in each event's own quarter hour, so the movement over
    the day reads as if these stances had never been given.
    """
    if not participant_ids:
        return 0
    ids = list(participant_ids)
    votes = session.exec(select(OrientationVote).where(col(OrientationVote.participant_id).in_(ids))).all()
    for vote in votes:
        _add(
            session,
            VoteTally,
            {
                "orientation_id": vote.orientation_id,
                "choice": vote.choice,
                "origin": vote.origin,
                "actor_type": vote.actor_type or "",
                "departement": vote.departement or "",
            },
            -1,
        )
        session.delete(vote)
    events = session.exec(
        select(VoteEvent).where(col(VoteEvent.participant_id).in_(ids)).order_by(col(VoteEvent.id))
    ).all()
    last_origin: dict[tuple[int, int], str] = {}
    for event in events:
        pair = (event.participant_id or 0, event.orientation_id)
        bucket = int(event.created_at.timestamp()) // TIME_BUCKET_S
        if event.choice is not None:
            key = {"orientation_id": event.orientation_id, "bucket": bucket, "choice": event.choice}
            _add(session, VoteTallyTime, key | {"origin": event.origin}, -event.count)
        if event.previous_choice is not None and pair in last_origin:
            key = {"orientation_id": event.orientation_id, "bucket": bucket, "choice": event.previous_choice}
            _add(session, VoteTallyTime, key | {"origin": last_origin[pair]}, event.count)
        last_origin[pair] = event.origin
        session.delete(event)
    session.flush()
    return len(votes)


def forget_paper_ballots(session: Session, *, paper_ids: Sequence[int]) -> int:
    """Delete these paper ballots and their events, taking them out of both rollups (demo data removal)."""
    if not paper_ids:
        return 0
    ids = list(paper_ids)
    for event in session.exec(select(VoteEvent).where(col(VoteEvent.paper_ballot_id).in_(ids))).all():
        bucket = int(event.created_at.timestamp()) // TIME_BUCKET_S
        for choice, delta in ((event.choice, -event.count), (event.previous_choice, event.count)):
            if choice is not None:
                key = {"orientation_id": event.orientation_id, "bucket": bucket, "choice": choice}
                _add(session, VoteTallyTime, key | {"origin": VoteOrigin.PAPER.value}, delta)
        session.delete(event)
    papers = session.exec(select(PaperBallot).where(col(PaperBallot.id).in_(ids))).all()
    for paper in papers:
        if paper.withdrawn_at is None:
            key = {"orientation_id": paper.orientation_id, "choice": paper.choice, "origin": VoteOrigin.PAPER.value}
            _add(session, VoteTally, key | {"actor_type": "", "departement": ""}, -paper.count)
        session.delete(paper)
    session.flush()
    return len(papers)
