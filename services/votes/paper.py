"""Paper ballots, counted by hand and entered by staff as counts per orientation and stance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import Orientation, PaperBallot, VoteEvent, VoteOrigin, utcnow
from services.audit import audit
from services.errors import NotFoundError, ValidationError
from services.permissions import Permission, require_permission
from services.scope import require_writable, resolve_edition_id
from services.text import check_text
from services.votes import rollups
from services.votes.ballot import CHOICES, UNKNOWN_CHOICE, UNKNOWN_ORIENTATION, ballot_orientation

# Paper ballots per orientation and stance in one entry: far above any room, below any typo of a few digits.
PAPER_MAX_COUNT = 5_000
PAPER_SOURCE_MAX_CHARS = 200
PAPER_EMPTY = "Saisissez au moins un bulletin (un nombre supérieur à 0)."
PAPER_SOURCE = "la provenance des bulletins"


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
    rows = _checked_counts(session, edition, lines, errors)
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
        _count_paper(session, paper, withdrawn=False, at=at)
    after = {"source": clean_source, "ballots": sum(c for _o, _c, c in rows)}
    audit(session, actor, "vote.paper", batch, entity_type="paperballot", after=after)
    session.flush()
    return _paper_entries(session, edition, batch=batch)[0]


def _checked_counts(
    session: Session, edition: int, lines: Sequence[PaperLine], errors: dict[str, str]
) -> list[tuple[Orientation, str, int]]:
    """The non-zero counts of the entry, each refusal added to `errors` under its field."""
    rows: list[tuple[Orientation, str, int]] = []
    for line in lines:
        try:
            orientation = ballot_orientation(session, line.orientation_id, edition)
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
    return rows


def _count_paper(session: Session, paper: PaperBallot, *, withdrawn: bool, at: datetime) -> None:
    """Add a stored paper ballot's counts to the rollups (or take them out when withdrawn), with its event."""
    rollups.count(session, rollups.StanceKey.of_paper(paper), at=at, delta=-paper.count if withdrawn else paper.count)
    session.add(
        VoteEvent(
            orientation_id=paper.orientation_id,
            paper_ballot_id=paper.id,
            choice=None if withdrawn else paper.choice,
            previous_choice=paper.choice if withdrawn else None,
            origin=VoteOrigin.PAPER.value,
            count=paper.count,
            created_at=at,
        )
    )


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
        _count_paper(session, paper, withdrawn=True, at=at)
    audit(session, actor, "vote.paper.withdraw", batch, entity_type="paperballot")
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
