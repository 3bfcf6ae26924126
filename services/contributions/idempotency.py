"""« Is this the same contribution? », decided here and nowhere else: a form's idempotency key already stored, or
the same text from the same phone within RESEND_WINDOW. Either way the first receipt comes back, marked as a retry,
and the contribution is counted once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from models import Contribution, Theme, utcnow
from services.contributions.validation import EXPIRED_FORM, ContributionDraft, check_body
from services.errors import ValidationError

# A text sent again from the same phone on the same theme within this window is the same contribution.
RESEND_WINDOW = timedelta(hours=2)
KEYS_PER_QUERY = 500  # IN (...) lists, and the batch path's insert chunks


@dataclass(frozen=True)
class Receipt:
    """Shown to the participant once the row is committed."""

    contribution_id: int
    receipt_code: str
    created_at: datetime
    duplicate: bool = False


@dataclass(frozen=True)
class StoredKeys:
    """What `stored_keys` found: the first receipt of each key stored for the edition (marked as a retry), and
    the keys stored for a contribution of another edition, which are refused, never answered."""

    receipts: dict[str, Receipt]
    foreign: set[str]


def contribution_table() -> Table:
    table = Contribution.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def stored_keys(session: Session, keys: Sequence[str], edition_id: int) -> StoredKeys:
    """The contributions already stored under these idempotency keys (one query per KEYS_PER_QUERY keys)."""
    table = contribution_table()
    found = StoredKeys({}, set())
    for start in range(0, len(keys), KEYS_PER_QUERY):
        rows = session.execute(
            core_select(
                table.c.idempotency_key, table.c.id, table.c.receipt_code, table.c.created_at, col(Theme.edition_id)
            )
            .join(Theme, col(Theme.id) == table.c.theme_id)
            .where(table.c.idempotency_key.in_(list(keys[start : start + KEYS_PER_QUERY])))
        ).all()
        for key, cid, code, created, edition in rows:
            if edition == edition_id:
                found.receipts[key] = Receipt(cid, code, created, duplicate=True)
            else:
                found.foreign.add(key)
    return found


def same_contribution(
    session: Session, *, draft: ContributionDraft, edition_id: int, participant_id: int | None
) -> Receipt | None:
    """The contribution `draft` repeats, as its first receipt marked as a retry; None when it is a new one.

    First by the form's idempotency key: the same form sent again (a double tap, a replay after a reconnect,
    a retry after a failed save or a lost answer). A key stored for another edition's contribution is refused.
    Then by content: the same text on the same theme from the same phone (`participant_id`) within
    RESEND_WINDOW, sent from a new form: the server restarted before the receipt reached the phone (the form's
    key lived in the lost session), or a participant who did not see the receipt and sent the text again.

    Asked before anything else (opening hours, throttles, validation): a contribution already counted is
    answered whatever happened since.
    """
    key = draft.idempotency_key or ""
    found = stored_keys(session, [key], edition_id)
    if key in found.foreign:
        raise ValidationError({"idempotency_key": EXPIRED_FORM})
    if key in found.receipts:
        return found.receipts[key]
    body, problem = check_body(draft.body)
    if participant_id is None or problem:
        return None  # nothing to match: a text refused by validation was never stored
    row = session.exec(
        select(Contribution)
        .where(
            Contribution.participant_id == participant_id,
            Contribution.theme_id == draft.theme_id,
            Contribution.body == body,
            Contribution.created_at >= utcnow() - RESEND_WINDOW,
        )
        .limit(1)
    ).first()
    if row is None:
        return None
    assert row.id is not None
    return Receipt(row.id, row.receipt_code, row.created_at, duplicate=True)
