"""Tags staff put on contributions: labels shared by every edition, created on first use, audited per contribution."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlmodel import Session, col, select

from models import Contribution, ContributionTag, Tag
from services.audit import audit
from services.errors import ValidationError
from services.moderation.decisions import selected_contributions
from services.moderation.queue import tags_of
from services.scope import resolve_edition_id, theme_ids
from services.text import check_text

TAG_MAX_CHARS = 60
MAX_TAGS_PER_ACTION = 10


def _clean_tags(labels: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in labels:
        text, problem = check_text(raw, label="Une étiquette", max_chars=TAG_MAX_CHARS, required=False)
        if problem:
            raise ValidationError({"tags": problem})
        text = " ".join(text.split()).lower()
        if text and text not in cleaned:
            cleaned.append(text)
    if not cleaned:
        raise ValidationError({"tags": "Indiquez au moins une étiquette."})
    if len(cleaned) > MAX_TAGS_PER_ACTION:
        raise ValidationError({"tags": f"{MAX_TAGS_PER_ACTION} étiquettes au plus à la fois."})
    return cleaned


def split_tags(text: str) -> list[str]:
    """« économie circulaire, emploi ; jeunes » → three labels (commas or semicolons)."""
    return [part.strip() for part in re.split(r"[,;]", text or "") if part.strip()]


def _tag_ids(session: Session, labels: Sequence[str]) -> dict[str, int]:
    """label → id of each tag, created the first time it is used."""
    tag_ids: dict[str, int] = {}
    for label in labels:
        tag = session.exec(select(Tag).where(Tag.label == label)).first()
        if tag is None:
            tag = Tag(label=label)
            session.add(tag)
            session.flush()
        assert tag.id is not None
        tag_ids[label] = tag.id
    return tag_ids


def _audit_tags(session: Session, actor: str, contribution_id: int, before: list[str], after: list[str]) -> None:
    audit(session, actor, "contribution.tags", contribution_id, before={"tags": before}, after={"tags": after})


def add_tags(
    session: Session,
    *,
    contribution_ids: Sequence[int],
    labels: Sequence[str],
    actor: str,
    edition_id: int | None = None,
) -> int:
    """Attach tags (created on first use) to the selected contributions; returns the links added."""
    wanted = _clean_tags(labels)
    rows = selected_contributions(session, contribution_ids, edition_id)
    tag_ids = _tag_ids(session, wanted)
    current = tags_of(session, [r.id or 0 for r in rows])
    added = 0
    for row in rows:
        before = current.get(row.id or 0, [])
        new = [label for label in wanted if label not in before]
        if not new:
            continue
        for label in new:
            session.add(ContributionTag(contribution_id=row.id or 0, tag_id=tag_ids[label]))
        added += len(new)
        _audit_tags(session, actor, row.id or 0, before, sorted(before + new))
    return added


def remove_tag(
    session: Session, *, contribution_id: int, label: str, actor: str, edition_id: int | None = None
) -> bool:
    """Detach one tag from one contribution."""
    row = selected_contributions(session, [contribution_id], edition_id)[0]
    before = tags_of(session, [contribution_id]).get(contribution_id, [])
    tag = session.exec(select(Tag).where(Tag.label == label)).first()
    if tag is None or label not in before:
        return False
    link = session.get(ContributionTag, (contribution_id, tag.id))
    if link is not None:
        session.delete(link)
    _audit_tags(session, actor, row.id or 0, before, [t for t in before if t != label])
    return True


def list_tags(session: Session, *, edition_id: int | None = None) -> list[str]:
    """The tags staff put on the edition's contributions (the labels are shared, each edition sees its own)."""
    themes = theme_ids(session=session, edition_id=resolve_edition_id(session=session, edition_id=edition_id))
    return list(
        session.exec(
            select(Tag.label)
            .distinct()
            .join(ContributionTag, col(ContributionTag.tag_id) == col(Tag.id))
            .join(Contribution, col(Contribution.id) == col(ContributionTag.contribution_id))
            .where(col(Contribution.theme_id).in_(themes))
            .order_by(col(Tag.label))
        ).all()
    )
