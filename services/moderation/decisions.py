"""Staff decisions on the selected contributions: publish, reject, back to the queue, theme, masked text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from models import Contribution, ModerationStatus, Orientation, RejectionCategory, Theme, utcnow
from services.audit import audit
from services.errors import NotFoundError, ValidationError
from services.moderation.personal_data import mask_personal_data
from services.scope import require_writable, resolve_edition_id, theme_ids
from services.text import check_text

REASON_MAX_CHARS = 300
THEME_REQUIRED = "Choisissez l'une des thématiques de la conférence."
CATEGORY_REQUIRED = "Choisissez le motif du rejet dans la liste : c'est lui que l'auteur de la contribution lira."


def selected_contributions(session: Session, ids: Sequence[int], edition_id: int | None) -> list[Contribution]:
    """The selected contributions for a staff change: all of the edition (another edition's do not exist here),
    and the edition not archived."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise ValidationError({"selection": "Sélectionnez au moins une contribution."})
    require_writable(session=session, edition_id=edition)
    rows = list(
        session.exec(
            select(Contribution).where(
                col(Contribution.id).in_(unique),
                col(Contribution.theme_id).in_(theme_ids(session=session, edition_id=edition)),
            )
        ).all()
    )
    if len(rows) != len(unique):
        raise NotFoundError("Une des contributions sélectionnées n'existe plus : rechargez la page.")
    return sorted(rows, key=lambda r: r.id or 0)


def _change(session: Session, row: Contribution, actor: str, action: str, **changes: Any) -> bool:
    """Apply `changes` to `row` and audit them (fields before and after); False when nothing changed."""
    before = {k: getattr(row, k) for k in changes}
    if before == changes:
        return False
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    audit(session, actor, action, row.id or 0, before=before, after=changes)
    return True


# The audited action of each moderation status staff give.
_ACTIONS = {
    ModerationStatus.PUBLISHED: "contribution.publish",
    ModerationStatus.REJECTED: "contribution.reject",
    ModerationStatus.PENDING: "contribution.requeue",
}


def _decide(
    session: Session,
    ids: Sequence[int],
    edition_id: int | None,
    actor: str,
    status: ModerationStatus,
    *,
    reason: str = "",
    category: RejectionCategory | None = None,
) -> int:
    """Give the selected contributions a moderation status and its reason (note and category, set on a rejection,
    cleared otherwise); returns how many changed."""
    changes: dict[str, Any] = {"status": status.value, "rejection_reason": reason}
    new_category = category.value if category is not None else None
    changed = 0
    for r in selected_contributions(session, ids, edition_id):
        # The category is audited when it is given or taken away (a row without one stays out of the trail's
        # « before / after »: contributions rejected before categories existed, and every publication).
        extra = {"rejection_category": new_category} if new_category or r.rejection_category else {}
        changed += _change(session, r, actor, _ACTIONS[status], **changes, **extra)
    return changed


def publish(session: Session, *, contribution_ids: Sequence[int], actor: str, edition_id: int | None = None) -> int:
    """Publish the selected contributions; returns how many changed."""
    return _decide(session, contribution_ids, edition_id, actor, ModerationStatus.PUBLISHED)


def rejection_category(value: str | None) -> RejectionCategory:
    """The category staff chose, or ValidationError (French) when none or one not in the list."""
    try:
        return RejectionCategory((value or "").strip())
    except ValueError:
        raise ValidationError({"category": CATEGORY_REQUIRED}) from None


def reject(
    session: Session,
    *,
    contribution_ids: Sequence[int],
    actor: str,
    category: str,
    reason: str,
    edition_id: int | None = None,
) -> int:
    """Reject the selected contributions with a category (RejectionCategory: what their authors are told) and a
    note staff can read later (never shown to the authors); returns how many changed."""
    errors: dict[str, str] = {}
    try:
        chosen: RejectionCategory | None = rejection_category(category)
    except ValidationError as exc:
        errors |= exc.errors
        chosen = None
    clean, problem = check_text(reason, label="Le motif du rejet", min_chars=3, max_chars=REASON_MAX_CHARS)
    if problem:
        errors["reason"] = problem
    if errors or chosen is None:
        raise ValidationError(errors)
    return _decide(
        session, contribution_ids, edition_id, actor, ModerationStatus.REJECTED, reason=clean, category=chosen
    )


def return_to_queue(
    session: Session, *, contribution_ids: Sequence[int], actor: str, edition_id: int | None = None
) -> int:
    """Undo a decision: back to « à modérer »."""
    return _decide(session, contribution_ids, edition_id, actor, ModerationStatus.PENDING)


def change_theme(
    session: Session, *, contribution_ids: Sequence[int], theme_id: int, actor: str, edition_id: int | None = None
) -> int:
    """Move contributions to another theme of the same edition; an orientation of the former theme no longer
    applies."""
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    theme = session.get(Theme, theme_id)
    if theme is None or theme.edition_id != edition:
        raise ValidationError({"theme_id": THEME_REQUIRED})
    changed = 0
    for row in selected_contributions(session, contribution_ids, edition):
        changes: dict[str, Any] = {"theme_id": theme_id}
        if row.orientation_id is not None:
            orientation = session.get(Orientation, row.orientation_id)
            if orientation is not None and orientation.theme_id != theme_id:
                changes |= {"orientation_id": None, "stance": None}
        changed += _change(session, row, actor, "contribution.theme", **changes)
    return changed


def set_masked_text(
    session: Session, *, contribution_id: int, masked_text: str | None, actor: str, edition_id: int | None = None
) -> bool:
    """Store the copy shown instead of the text as typed (personal data masked); None removes it."""
    row = selected_contributions(session, [contribution_id], edition_id)[0]
    value: str | None = None
    if masked_text is not None:
        value, problem = check_text(masked_text, label="Le texte masqué", min_chars=1, max_chars=4000)
        if problem:
            raise ValidationError({"masked_body": problem})
        if value == row.body:
            value = None
    return _change(session, row, actor, "contribution.mask", masked_body=value)


def mask_automatically(
    session: Session, *, contribution_ids: Sequence[int], actor: str, edition_id: int | None = None
) -> int:
    """Mask the detected personal data of the selected contributions; those without any are left alone."""
    changed = 0
    for row in selected_contributions(session, contribution_ids, edition_id):
        masked = mask_personal_data(row.body)
        if masked != row.body:
            changed += _change(session, row, actor, "contribution.mask", masked_body=masked)
    return changed
