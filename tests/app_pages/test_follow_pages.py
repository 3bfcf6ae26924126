"""« Suivre ma contribution » and « Mes données » under AppTest: open to everyone, codes typed, nothing leaked."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from models import AuditEvent, Contribution
from services import auth, moderation
from services.codes import device_token
from services.contributions import ContributionDraft, Receipt, submit_from_device
from services.permissions import CONSOLE_ACTOR
from tests.app_pages.helpers import app_as, texts

pytestmark = pytest.mark.usefixtures("app_env")

FOLLOW = "app_pages/follow.py"
MY_DATA = "app_pages/my_data.py"
TOKEN_KEY = "device_token_pays-de-la-loire-2016"  # the default edition's, as after a reload
BODY = "Ouvrir un guichet unique pour les porteurs de projets coopératifs dans chaque département."
NOTE = "Note interne : texte de Mme Gisèle Parmentier"


def send(token: str, **kw: str) -> Receipt:
    with session_scope(write=True) as session:
        draft = ContributionDraft(theme_id=2, body=BODY, idempotency_key=uuid.uuid4().hex, **kw)  # type: ignore[arg-type]
        return submit_from_device(session=session, device_token=token, draft=draft)


def open_page(path: str, token: str | None = None) -> AppTest:
    at = app_as(None)
    if token is not None:
        at.session_state[TOKEN_KEY] = token
    at.run()
    at.switch_page(path).run()
    assert not at.exception
    return at


def look_up(at: AppTest, key: str, code: str) -> AppTest:
    at.text_input(key=key).input(code)
    at.button[0].click().run()  # the form's submit button (the only button before a result)
    assert not at.exception
    return at


def test_follow_a_contribution_by_its_receipt_code() -> None:
    receipt = send(device_token())
    at = look_up(open_page(FOLLOW), "follow_code", receipt.receipt_code.lower())
    assert f"Contribution {receipt.receipt_code}" in texts(at)
    drawn = [t.value for t in at.text]
    assert BODY in drawn and "… En attente de modération" in drawn
    assert any(t.startswith("✓ Reçue le ") and " à " in t for t in drawn)


def test_an_unknown_code_and_a_rejected_one_tell_nothing_more() -> None:
    with session_scope(write=True) as session:
        auth.create_user(
            session=session, username="test-mod", password="mot-de-passe-du-test", role="staff", actor=CONSOLE_ACTOR
        )
    receipt = send(device_token())
    with session_scope(write=True) as session:
        moderation.reject(
            session=session, contribution_ids=[receipt.contribution_id], actor="test-mod", category="other", reason=NOTE
        )
    at = look_up(open_page(FOLLOW), "follow_code", "AAAA-AAAA")
    assert "ne correspond à aucune contribution" in texts(at)
    at = look_up(at, "follow_code", receipt.receipt_code)
    assert "✗ Non publiée" in [t.value for t in at.text]
    assert "Motif : Autre motif de la charte de participation" in texts(at)
    assert "Parmentier" not in texts(at) + " ".join(t.value for t in at.text)
    # « Mes données » shows the same category beside the status, never the note either.
    mine = look_up(open_page(MY_DATA), "my_data_code", receipt.receipt_code)
    table = mine.dataframe[0].value
    assert table["Motif"].tolist() == ["Autre motif de la charte de participation"]
    assert "Parmentier" not in table.to_string()


def test_my_contributions_leads_to_each_journey() -> None:
    token = device_token()
    receipt = send(token)
    at = open_page("app_pages/my_contributions.py", token=token)
    at.button(key=f"mine_follow_{receipt.contribution_id}").click().run()
    assert not at.exception
    assert f"Contribution {receipt.receipt_code}" in texts(at)
    assert BODY in [t.value for t in at.text]


def test_my_data_shows_downloads_and_erases_after_the_code_is_typed_again() -> None:
    token = device_token()
    receipt = send(token, author_name="Léa Morel", display_mode="name")
    at = look_up(open_page(MY_DATA), "my_data_code", receipt.receipt_code)
    assert at.dataframe[0].value["Nom"].tolist() == ["Léa Morel"]
    assert at.get("download_button")
    at.text_input(key="my_data_confirm").input("AAAA-AAAA")
    at.button(key="my_data_erase").click().run()
    assert not at.exception
    assert "Retapez exactement le même code" in texts(at)
    at.text_input(key="my_data_confirm").input(receipt.receipt_code)
    at.button(key="my_data_erase").click().run()
    assert not at.exception
    assert "Vos données personnelles sont effacées : 1 contribution(s)" in texts(at)
    with session_scope() as session:
        row = session.get(Contribution, receipt.contribution_id)
        assert row is not None and row.author_name == "" and row.participant_id is None
        actors = session.exec(select(AuditEvent.actor).where(AuditEvent.action == "privacy.erase")).all()
    assert actors == [f"participant (code {receipt.receipt_code[:4]}-…)"]


def test_my_data_with_an_unknown_code() -> None:
    at = look_up(open_page(MY_DATA), "my_data_code", "AAAA-AAAA")
    assert "Aucune donnée n'est liée à ce code" in texts(at)
    assert not at.dataframe
