"""What participants and the room may read of other people's contributions: published ones, as published.

The one read path of every participant page and of the room's screen (similar ideas under the form, the
contributions one supports, the PTCE cards, the projector's latest contributions and words): the moderation
status is « publiée », the text is the copy staff masked when there is one, and the title, for which staff
keep no masked copy, goes through the personal-data detector. A pending text may hold a phone number or a
third party's name that moderation has not seen yet; a rejected one was turned down: neither leaves this path.
Staff pages (moderation, grouping, drafting, exports) read the rows as typed, elsewhere.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func
from sqlmodel import col

from models import Contribution, ModerationStatus
from services.moderation import mask_personal_data

PUBLISHED = ModerationStatus.PUBLISHED.value


def is_published() -> ColumnElement[bool]:
    """The WHERE clause of every read shown to participants: published contributions only."""
    return col(Contribution.status) == PUBLISHED


def published_text() -> ColumnElement[str]:
    """The text as published: the masked copy when staff made one, else the text as sent."""
    return func.coalesce(col(Contribution.masked_body), col(Contribution.body))


def published_title(title: str) -> str:
    """The title as participants may read it: personal data masked (staff keep no masked copy of titles)."""
    return mask_personal_data(title) if title else title
