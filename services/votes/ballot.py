"""What is put to the vote, and whether the vote is open: the ballot, the switches, the checks every stance passes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from models import Edition, EditionStatus, Orientation, OrientationStatus, Stance, Theme, VoteChoice, VoteOrigin
from services.audit import audit
from services.errors import NotFoundError, ValidationError
from services.permissions import Permission, require_permission
from services.scope import require_open, require_writable, resolve_edition_id

VOTE_CLOSED = "Le vote sur cette orientation est clos : les résultats restent consultables."
UNKNOWN_CHOICE = "Choisissez l'une des réponses proposées."
UNKNOWN_ORIENTATION = "Cette orientation n'est pas soumise à l'avis des participants de cette édition."
UNKNOWN_ORIGIN = "Origine de l'avis inconnue."

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
    action = "vote.open" if open_ else "vote.close"
    audit(
        session,
        actor,
        action,
        row.id or 0,
        entity_type=entity,
        before={"vote_open": not open_},
        after={"vote_open": open_},
    )


def ballot_orientation(session: Session, orientation_id: object, edition_id: int) -> Orientation:
    """The orientation a stance is about, refused unless it is on this edition's ballot."""
    row = session.get(Orientation, orientation_id) if isinstance(orientation_id, int) else None
    if (
        row is None
        or row.edition_id != edition_id
        or not row.presented
        or row.status == OrientationStatus.DROPPED.value
    ):
        raise ValidationError({"orientation": UNKNOWN_ORIENTATION})
    return row


def require_vote_open(session: Session, orientation: Orientation, edition_id: int) -> None:
    """Refuse a stance while the edition or the orientation's theme does not take any."""
    require_open(session=session, edition_id=edition_id)
    if not vote_settings(session=session, edition_id=edition_id).theme_open(orientation.theme_id):
        raise ValidationError({"vote": VOTE_CLOSED})
