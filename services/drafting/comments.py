"""Notes between staff on an orientation (never published)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import OrientationComment
from services.audit import audit
from services.drafting.orientations import orientation_row
from services.errors import ValidationError
from services.text import check_text

COMMENT_MAX_CHARS = 2000


@dataclass(frozen=True)
class CommentView:
    id: int
    author: str
    body: str
    created_at: datetime


def add_comment(
    session: Session, *, orientation_id: int, body: str, actor: str, edition_id: int | None = None
) -> CommentView:
    """A note between staff on an orientation (never published)."""
    orientation_row(session, orientation_id, edition_id, write=True)
    text, problem = check_text(body, label="Le commentaire", min_chars=1, max_chars=COMMENT_MAX_CHARS)
    if problem:
        raise ValidationError({"comment": problem})
    row = OrientationComment(orientation_id=orientation_id, author=actor, body=text)
    session.add(row)
    session.flush()
    audit(session, actor, "orientation.comment", orientation_id, after={"comment_id": row.id})
    return CommentView(row.id or 0, row.author, row.body, row.created_at)


def list_comments(session: Session, *, orientation_id: int, edition_id: int | None = None) -> list[CommentView]:
    """The staff's notes on an orientation, oldest first."""
    orientation_row(session, orientation_id, edition_id)
    rows = session.exec(
        select(OrientationComment)
        .where(OrientationComment.orientation_id == orientation_id)
        .order_by(col(OrientationComment.created_at), col(OrientationComment.id))
    ).all()
    return [CommentView(c.id or 0, c.author, c.body, c.created_at) for c in rows]
