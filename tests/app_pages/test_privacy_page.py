"""The privacy page under AppTest: staff find a receipt's data, export it, erase it after confirming."""

from __future__ import annotations

import uuid

import pytest

from db.engine import session_scope
from models import Contribution
from services import contributions
from services.contributions import ContributionDraft
from tests.app_pages.helpers import app_as, texts

pytestmark = pytest.mark.usefixtures("app_env")

PAGE = "app_pages/privacy.py"


@pytest.mark.parametrize("role", [None, "organizer"])
def test_only_staff_reach_privacy(role: str | None) -> None:
    at = app_as(role).run()
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


def test_find_then_erase_by_receipt_code() -> None:
    with session_scope(write=True) as session:
        draft = ContributionDraft(
            theme_id=2,
            body="Une idée signée **en gras** pour essaimer les coopératives.",
            author_name="Léa Morel",
            display_mode="name",
            idempotency_key=uuid.uuid4().hex,
        )
        receipt = contributions.submit_contribution(session=session, draft=draft)
    at = app_as("staff").run()
    at.switch_page(PAGE).run()
    at.text_input(key="privacy_code").input(receipt.receipt_code).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert frame["Nom"].tolist() == ["Léa Morel"]
    assert at.button(key="privacy_erase").disabled
    at.checkbox(key="privacy_confirm").check().run()
    at.button(key="privacy_erase").click().run()
    assert not at.exception
    assert "Effacement fait : 1 contribution(s)" in texts(at)
    with session_scope() as session:
        row = session.get(Contribution, receipt.contribution_id)
        assert row is not None and row.author_name == "" and row.body.startswith("Une idée signée")
