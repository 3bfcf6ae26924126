"""« Is this the same contribution? », pinned at the service: a retry of the same form, the same text from a new
form, a conflict on insert, and a batch meeting keys already stored all answer with the first receipt."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import select

from db.engine import session_scope
from models import Contribution, Edition, EditionStatus, Theme, utcnow
from services import contributions
from services.codes import device_token
from services.contributions import ContributionDraft, RateLimit, Receipt
from services.errors import ValidationError
from services.throttle import Origin, Window
from tests.editions import load_second_edition

BODY = "Un guichet unique pour les financements des petites associations du département."


def draft(**overrides: Any) -> ContributionDraft:
    values: dict[str, Any] = {"theme_id": 1, "body": BODY, "idempotency_key": uuid.uuid4().hex}
    values.update(overrides)
    return ContributionDraft(**values)


def from_device(engine: Engine, token: str, d: ContributionDraft) -> Receipt:
    with session_scope(engine, write=True) as session:
        return contributions.submit_from_device(session=session, device_token=token, draft=d)


def count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(Contribution)).one())


def set_status(engine: Engine, status: EditionStatus) -> None:
    with session_scope(engine, write=True) as session:
        edition = session.get(Edition, 1)
        assert edition is not None
        edition.status = status.value
        session.add(edition)


class StorageFailure(Exception):
    """What a full disk or a dropped connection does to the request: it never gets its answer."""


def test_the_same_form_retried_after_a_failed_write_is_stored_once_with_one_receipt(store_engine: Engine) -> None:
    token, key = device_token(), "failed-write-0001"
    # The write fails before its commit: rolled back, nothing stored.
    with pytest.raises(StorageFailure), session_scope(store_engine, write=True) as session:
        contributions.submit_from_device(session=session, device_token=token, draft=draft(idempotency_key=key))
        raise StorageFailure
    assert count(store_engine) == 0
    first = from_device(store_engine, token, draft(idempotency_key=key))
    assert not first.duplicate and count(store_engine) == 1
    # Stored, but the answer was lost on the way back: the same form again gets that very receipt.
    again = from_device(store_engine, token, draft(idempotency_key=key))
    assert again == Receipt(first.contribution_id, first.receipt_code, first.created_at, duplicate=True)
    assert count(store_engine) == 1


def test_the_same_text_from_a_new_form_after_success_answers_the_first_receipt(store_engine: Engine) -> None:
    token = device_token()
    first = from_device(store_engine, token, draft())
    again = from_device(store_engine, token, draft(body=f"\n {BODY}  "))
    assert again == Receipt(first.contribution_id, first.receipt_code, first.created_at, duplicate=True)
    # The same text with another title, orientation or stance is still that one text from that phone.
    retitled = from_device(store_engine, token, draft(title="Le même, avec un titre"))
    assert retitled.receipt_code == first.receipt_code and retitled.duplicate
    assert count(store_engine) == 1


def test_a_key_stored_for_another_edition_is_refused_from_a_phone_too(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        second = load_second_edition(session)
        theme = session.exec(select(Theme.id).where(Theme.edition_id == second)).first()
        row = session.get(Edition, second)
        assert row is not None and theme is not None
        row.status = EditionStatus.OPEN.value
    from_device(sqlite_engine, device_token(), draft(idempotency_key="shared-key-0001"))
    with pytest.raises(ValidationError) as caught, session_scope(sqlite_engine, write=True) as session:
        contributions.submit_from_device(
            session=session,
            device_token=device_token(),
            draft=draft(idempotency_key="shared-key-0001", theme_id=theme),
            edition_id=second,
        )
    assert caught.value.errors == {"idempotency_key": contributions.EXPIRED_FORM}
    assert count(sqlite_engine) == 1


@contextmanager
def a_twin_stored_at_insert_time(engine: Engine, key: str, code: str) -> Iterator[None]:
    """A concurrent request with the same key commits between the service's lookup and its insert.

    Its row goes in on the service's own connection just before the insert's SAVEPOINT (so it survives the
    savepoint's rollback), which makes the race happen the same way on SQLite and PostgreSQL.
    """
    done: list[bool] = []

    def before_savepoint(conn: Connection, name: str) -> None:
        if done:
            return
        done.append(True)
        now = utcnow()
        conn.execute(
            insert(Contribution.__table__),  # type: ignore[attr-defined]
            {
                "receipt_code": code,
                "idempotency_key": key,
                "theme_id": 1,
                "title": "",
                "body": BODY,
                "source": "conference",
                "author_name": "",
                "organisation": "",
                "display_mode": "anonymous",
                "status": "pending",
                "rejection_reason": "",
                "entered_by": "",
                "is_demo": False,
                "created_at": now,
                "updated_at": now,
            },
        )

    event.listen(engine, "savepoint", before_savepoint)
    try:
        yield
    finally:
        event.remove(engine, "savepoint", before_savepoint)
    assert done, "the insert's savepoint was never reached"


def test_a_conflict_on_insert_answers_the_first_receipt(store_engine: Engine) -> None:
    key = "conflict-key-0001"
    with a_twin_stored_at_insert_time(store_engine, key, "TWIN-0001"), session_scope(store_engine, write=True) as s:
        receipt = contributions.submit_contribution(session=s, draft=draft(idempotency_key=key))
    assert (receipt.receipt_code, receipt.duplicate) == ("TWIN-0001", True)
    assert count(store_engine) == 1


def test_a_batch_answers_keys_stored_before_with_their_first_receipt(store_engine: Engine) -> None:
    first = from_device(store_engine, device_token(), draft(idempotency_key="batch-known-0001"))
    with session_scope(store_engine, write=True) as session:
        known, new = contributions.submit_batch(
            session=session,
            drafts=[draft(idempotency_key="batch-known-0001"), draft(idempotency_key="batch-new-0001")],
        )
    assert known.receipt == Receipt(first.contribution_id, first.receipt_code, first.created_at, duplicate=True)
    assert new.receipt is not None and not new.receipt.duplicate
    assert count(store_engine) == 2


def test_a_retry_is_answered_even_once_the_edition_has_closed(store_engine: Engine) -> None:
    token, key = device_token(), "closed-retry-0001"
    first = from_device(store_engine, token, draft(idempotency_key=key))
    set_status(store_engine, EditionStatus.DRAFT)
    again = from_device(store_engine, token, draft(idempotency_key=key))
    assert (again.receipt_code, again.duplicate) == (first.receipt_code, True)
    with pytest.raises(ValidationError):
        from_device(store_engine, token, draft(body="Une autre idée, envoyée une fois l'édition close."))


def test_the_same_text_from_a_new_form_is_answered_before_opening_hours_and_throttles(store_engine: Engine) -> None:
    """What the form's fingerprint used to give, now the service's own: a contribution already counted is answered
    whatever happened since (the edition closed, the address reached its ceiling)."""
    token, held = device_token(), Origin(key="one-address", writes=(Window(max_events=1, window_s=10),))
    with session_scope(store_engine, write=True) as session:
        first = contributions.submit_from_device(session=session, device_token=token, draft=draft(), origin=held)
    set_status(store_engine, EditionStatus.DRAFT)
    with session_scope(store_engine, write=True) as session:
        again = contributions.submit_from_device(
            session=session, device_token=token, draft=draft(), origin=held, rate_limit=RateLimit(1, 600)
        )
    assert (again.receipt_code, again.duplicate) == (first.receipt_code, True)
    assert count(store_engine) == 1
    # Anything new is held: by the closed edition first.
    with pytest.raises(ValidationError), session_scope(store_engine, write=True) as session:
        contributions.submit_from_device(
            session=session, device_token=token, draft=draft(body=BODY + " Et encore."), origin=held
        )
