"""« Is this the same contribution? », pinned at the form: a retry after a failed save, and the same text sent again
from a new form once the first was saved, each count once and show the first receipt."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core.config import get_settings
from db.engine import session_scope
from models import Edition, EditionStatus
from services import contributions
from services.codes import device_token
from tests.app_pages.helpers import texts
from tests.app_pages.test_contribute import fill, open_page, rows, send
from ui.store import CONTRIBUTION_NOT_SAVED

pytestmark = pytest.mark.usefixtures("app_env")

ALREADY = "Elle avait déjà été reçue"


def failing_once(monkeypatch: pytest.MonkeyPatch, *, after_commit: bool) -> None:
    """The next save fails as a store fault does: before its commit (nothing kept), or after it (the row is kept,
    only the answer to the phone is lost)."""
    real = contributions.submit_from_device
    failed: list[bool] = []

    def submit(*, session: Session, **kw: Any) -> contributions.Receipt:
        if not failed:
            failed.append(True)
            if after_commit:
                real(session=session, **kw)
                session.commit()
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        return real(session=session, **kw)

    monkeypatch.setattr(contributions, "submit_from_device", submit)


@pytest.mark.parametrize("after_commit", [False, True], ids=["rolled-back", "answer-lost"])
def test_the_same_form_retried_after_a_failed_save_counts_once(
    monkeypatch: pytest.MonkeyPatch, after_commit: bool
) -> None:
    at = fill(open_page("app_pages/contribute.py", token=device_token()))
    key = at.session_state["contribute_idempotency_key"]
    failing_once(monkeypatch, after_commit=after_commit)
    send(at)
    assert CONTRIBUTION_NOT_SAVED in texts(at) and not at.metric
    assert at.session_state["contribute_idempotency_key"] == key  # kept for the retry
    assert len(rows()) == (1 if after_commit else 0)
    send(at)
    (row,) = rows()
    assert [m.value for m in at.metric] == [row.receipt_code]
    assert (ALREADY in texts(at)) == after_commit  # stored by the failed try: its receipt, marked as such
    assert row.idempotency_key == key


def again_from_a_new_form(at: Any) -> Any:
    at.button(key="contribute_again").click().run()
    assert not at.exception
    return fill(at, theme=None)  # the theme stays from the contribution just sent


def test_the_same_text_from_a_new_form_after_success_shows_the_first_receipt() -> None:
    at = send(fill(open_page("app_pages/contribute.py", token=device_token())))
    (row,) = rows()
    first_key = row.idempotency_key
    at = again_from_a_new_form(at)
    assert at.session_state["contribute_idempotency_key"] != first_key  # a new form has a new key
    send(at)
    assert [m.value for m in at.metric] == [row.receipt_code]
    assert ALREADY in texts(at)
    assert len(rows()) == 1


def test_the_same_text_again_is_answered_when_the_edition_closed_meanwhile() -> None:
    at = again_from_a_new_form(send(fill(open_page("app_pages/contribute.py", token=device_token()))))
    (row,) = rows()
    with session_scope(write=True) as session:
        edition = session.get(Edition, 1)
        assert edition is not None
        edition.status = EditionStatus.DRAFT.value
    send(at)
    assert [m.value for m in at.metric] == [row.receipt_code] and ALREADY in texts(at)
    assert len(rows()) == 1


def test_the_same_text_again_is_not_held_by_the_address_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESS_ADDRESS_WRITES_PER_10S", "1")
    get_settings.cache_clear()
    at = again_from_a_new_form(send(fill(open_page("app_pages/contribute.py", token=device_token()))))
    (row,) = rows()
    send(at)
    assert [m.value for m in at.metric] == [row.receipt_code] and ALREADY in texts(at)
    # The ceiling holds for anything new from this address.
    at = again_from_a_new_form(at)
    at.text_area(key="contribute_body").input("Une tout autre idée, envoyée dans la même seconde.").run()
    send(at)
    assert not at.metric and "Beaucoup d'envois arrivent en même temps" in texts(at)
    assert len(rows()) == 1
