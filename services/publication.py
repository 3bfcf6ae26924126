"""What an edition makes public, and when: staff publish its results, then its strategy (models.edition.Edition).

Nothing of an edition is public until staff publish its results (the public results page says so and shows
nothing else); the strategy's text, each orientation's paragraph with its traced sources, only once staff
publish the strategy as well. Each switch goes to the audit trail with who and when. Publishing needs the
exports permission: whoever may hand the anonymised files out may hand them to the public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import Edition, Orientation, Theme, utcnow
from services.audit import audit
from services.errors import NotFoundError, ValidationError
from services.permissions import Permission, require_permission

PERMISSION = Permission.EXPORTS
RESULTS_FIRST = "Publiez d'abord les résultats de cette édition : la stratégie s'affiche sur leur page."


@dataclass(frozen=True)
class PublicationState:
    """An edition's public switches: None means not public."""

    edition_id: int
    results_published_at: datetime | None
    results_published_by: str | None
    strategy_published_at: datetime | None
    strategy_published_by: str | None

    @property
    def results(self) -> bool:
        return self.results_published_at is not None

    @property
    def strategy(self) -> bool:
        # The strategy shows on the results' page: never public while the results are not.
        return self.results and self.strategy_published_at is not None


@dataclass(frozen=True)
class StrategyParagraph:
    """One orientation of a published strategy: what a contribution that fed it leads to."""

    orientation_id: int
    code: str  # « T2-O3 »
    title: str
    body: str
    theme_label: str
    status: str  # OrientationStatus value (adopted, amended…)


def _edition(session: Session, edition_id: int) -> Edition:
    row = session.get(Edition, edition_id)
    if row is None:
        raise NotFoundError("Cette édition n'existe pas.")
    return row


def _state(row: Edition) -> PublicationState:
    return PublicationState(
        row.id or 0,
        row.results_published_at,
        row.results_published_by,
        row.strategy_published_at,
        row.strategy_published_by,
    )


def _snapshot(row: Edition) -> dict[str, str | None]:
    return {
        "results_published_at": row.results_published_at.isoformat() if row.results_published_at else None,
        "results_published_by": row.results_published_by,
        "strategy_published_at": row.strategy_published_at.isoformat() if row.strategy_published_at else None,
        "strategy_published_by": row.strategy_published_by,
    }


def publication_state(session: Session, *, edition_id: int) -> PublicationState:
    """When (and by whom) the edition's results and strategy were published."""
    return _state(_edition(session, edition_id))


def results_published(session: Session, *, edition_id: int) -> bool:
    """True once staff published the edition's results (the public page shows them)."""
    row = session.exec(
        select(Edition.id).where(Edition.id == edition_id, col(Edition.results_published_at).is_not(None))
    ).first()
    return row is not None


def strategy_published(session: Session, *, edition_id: int) -> bool:
    """True once staff published the edition's strategy, its results being public too."""
    row = session.exec(
        select(Edition.id).where(
            Edition.id == edition_id,
            col(Edition.results_published_at).is_not(None),
            col(Edition.strategy_published_at).is_not(None),
        )
    ).first()
    return row is not None


def _switch(session: Session, *, actor: str, edition_id: int, what: str, publish: bool) -> PublicationState:
    require_permission(session=session, actor=actor, permission=PERMISSION)
    row = _edition(session, edition_id)
    before = _snapshot(row)
    if publish and what == "strategy" and row.results_published_at is None:
        raise ValidationError({"strategy": RESULTS_FIRST})
    at, by = (utcnow(), actor) if publish else (None, None)
    setattr(row, f"{what}_published_at", at)
    setattr(row, f"{what}_published_by", by)
    if what == "results" and not publish:
        # Results withdrawn: the strategy, shown on their page, is withdrawn with them.
        row.strategy_published_at = None
        row.strategy_published_by = None
    row.updated_at = utcnow()
    session.add(row)
    audit(
        session,
        actor,
        f"edition.{'publish' if publish else 'unpublish'}_{what}",
        edition_id,
        before=before,
        after=_snapshot(row),
    )
    session.flush()
    return _state(row)


def publish_results(session: Session, *, actor: str, edition_id: int) -> PublicationState:
    """Make the edition's results public (participation, orientations, their published contributions)."""
    return _switch(session, actor=actor, edition_id=edition_id, what="results", publish=True)


def unpublish_results(session: Session, *, actor: str, edition_id: int) -> PublicationState:
    """Withdraw the edition's results (and its strategy) from the public."""
    return _switch(session, actor=actor, edition_id=edition_id, what="results", publish=False)


def publish_strategy(session: Session, *, actor: str, edition_id: int) -> PublicationState:
    """Make the edition's strategy public on its results' page (refused while the results are not public)."""
    return _switch(session, actor=actor, edition_id=edition_id, what="strategy", publish=True)


def unpublish_strategy(session: Session, *, actor: str, edition_id: int) -> PublicationState:
    """Withdraw the edition's strategy from the public (the results stay)."""
    return _switch(session, actor=actor, edition_id=edition_id, what="strategy", publish=False)


def strategy_paragraphs(session: Session, *, edition_id: int) -> dict[int, StrategyParagraph]:
    """Orientation id → its paragraph of the published strategy; empty while the strategy is not public."""
    if not strategy_published(session, edition_id=edition_id):
        return {}
    rows = session.exec(
        select(Orientation, Theme.label)
        .join(Theme, col(Theme.id) == col(Orientation.theme_id))
        .where(Orientation.edition_id == edition_id)
        .order_by(col(Theme.position), col(Orientation.position), col(Orientation.id))
    ).all()
    return {
        o.id or 0: StrategyParagraph(o.id or 0, o.code, o.title, o.body, theme_label, o.status)
        for o, theme_label in rows
    }
