"""Many contributions at once: staff bulk entry (paper forms, workshop notes) and the questionnaire import, with
the very rules of a single contribution but one insert per chunk."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Contribution, Source, utcnow
from services.codes import readable_code
from services.contributions.idempotency import (
    KEYS_PER_QUERY,
    Receipt,
    contribution_table,
    stored_keys,
)
from services.contributions.validation import EXPIRED_FORM, ContributionDraft, Known, row_values, validate
from services.errors import ValidationError
from services.scope import require_writable, resolve_edition_id

# What staff type in: contributions that reached them on paper, from the launch workshops or forms.
BULK_SOURCES: tuple[str, ...] = (Source.WORKSHOP.value, Source.PAPER.value)

_BLANK_LINES = re.compile(r"\n\s*\n")


def split_pasted_text(text: str) -> list[str]:
    """Cut pasted notes into contributions: one per paragraph, paragraphs separated by a blank line."""
    normalised = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return [part.strip() for part in _BLANK_LINES.split(normalised) if part.strip()]


def batch_idempotency_key(batch_key: str, text: str) -> str:
    """Same batch and same paragraph, same key: pasting or sending a batch twice stores each item once."""
    # surrogatepass: a pasted lone surrogate must reach the validation (and its French message), not crash here.
    digest = hashlib.sha256(f"{batch_key}\n{text.strip()}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"lot-{digest[:40]}"


@dataclass(frozen=True)
class BatchItem:
    index: int
    receipt: Receipt | None
    errors: dict[str, str]


def submit_batch(
    session: Session, *, drafts: Sequence[ContributionDraft], edition_id: int | None = None
) -> list[BatchItem]:
    """Store every valid draft and report the refused ones with their messages; one bad item stops nothing.

    The rules of submit_contribution, item by item (same validation, same idempotency key lookup: a key already
    stored, or met earlier in the batch, answers with the first receipt), but the rows go in with one insert per
    chunk: staff bulk entry and the questionnaire import store thousands of contributions at once.
    """
    edition = resolve_edition_id(session=session, edition_id=edition_id)
    require_writable(session=session, edition_id=edition)
    known = Known(session)
    items: list[BatchItem | None] = [None] * len(drafts)
    valid: list[tuple[int, ContributionDraft, dict[str, str]]] = []
    for index, draft in enumerate(drafts):
        try:
            valid.append((index, draft, validate(session, draft, edition, known)))
        except ValidationError as exc:
            items[index] = BatchItem(index, None, exc.errors)
    # A key already stored for another edition's contribution is refused, never answered with its receipt.
    foreign = stored_keys(session, [draft.idempotency_key for _, draft, _ in valid], edition).foreign
    if foreign:
        for index, draft, _ in valid:
            if draft.idempotency_key in foreign:
                items[index] = BatchItem(index, None, {"idempotency_key": EXPIRED_FORM})
        valid = [v for v in valid if v[1].idempotency_key not in foreign]
    for start in range(0, len(valid), KEYS_PER_QUERY):
        chunk = valid[start : start + KEYS_PER_QUERY]
        receipts = _store_chunk(session, [(draft, clean) for _, draft, clean in chunk], edition)
        for (index, _, _), receipt in zip(chunk, receipts, strict=True):
            items[index] = BatchItem(index, receipt, {})
    return [item for item in items if item is not None]


def _store_chunk(
    session: Session, drafts: list[tuple[ContributionDraft, dict[str, str]]], edition_id: int
) -> list[Receipt]:
    """Insert the validated drafts whose key is new, in one statement; a receipt for each draft, in order."""
    table = contribution_table()
    for _attempt in range(5):
        already = stored_keys(session, [d.idempotency_key for d, _ in drafts], edition_id).receipts
        new: dict[str, dict[str, Any]] = {}
        for draft, clean in drafts:
            if draft.idempotency_key not in already and draft.idempotency_key not in new:
                new[draft.idempotency_key] = row_values(draft, clean, draft.created_at or utcnow())
        codes = _fresh_receipt_codes(session, len(new))
        params = [{**values, "receipt_code": code} for values, code in zip(new.values(), codes, strict=True)]
        try:
            with session.begin_nested():
                inserted = _insert_rows(session, table, params) if params else []
        except IntegrityError:
            continue  # a phone took one of these codes, or sent one of these keys, meanwhile: look again
        stored = {key: Receipt(cid, code, created) for key, cid, code, created in inserted}
        receipts: list[Receipt] = []
        for draft, _ in drafts:
            key = draft.idempotency_key
            receipt = already.get(key) or stored[key]
            receipts.append(receipt)
            stored[key] = replace(receipt, duplicate=True)  # the same key again in this batch: a retry
        return receipts
    raise RuntimeError("could not allocate unique receipt codes")


def _insert_rows(session: Session, table: Table, params: list[dict[str, Any]]) -> list[Any]:
    """Insert the rows; (idempotency key, id, receipt code, created_at) of each, in no particular order.

    With RETURNING and no parameter order asked, SQLAlchemy sends the rows as a few multi-row INSERTs
    ("insertmanyvalues") where a plain executemany sends one INSERT per row. On SQLite that halves the cost:
    contribution has triggers (migration 0004), so every INSERT statement keeps a statement journal of the pages
    it changes, and one row changes some twenty index pages, beyond the 64 KiB SQLite keeps in memory before
    writing a temporary file: one INSERT per row paid that for every row (questionnaire import, 25 000 rows).
    """
    columns = (table.c.idempotency_key, table.c.id, table.c.receipt_code, table.c.created_at)
    return list(session.execute(insert(table).returning(*columns), params).all())


def _fresh_receipt_codes(session: Session, count: int) -> list[str]:
    """`count` receipt codes drawn like submit_contribution's and not taken yet."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {readable_code(8) for _ in range(count - len(codes))}
        taken = set(
            session.exec(select(Contribution.receipt_code).where(col(Contribution.receipt_code).in_(wanted))).all()
        )
        codes |= wanted - taken
    return list(codes)[:count]
