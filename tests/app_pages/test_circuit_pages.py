"""The treasure-hunt pages under AppTest: stand, passport, circuit, PTCE, the organisers' and admins' pages."""

from __future__ import annotations

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from db.engine import session_scope
from models import AuditEvent, Stand, StandVisit
from services import circuit
from services.codes import device_token
from tests.app_pages.helpers import app_as, texts
from ui.participant import token_key

pytestmark = pytest.mark.usefixtures("app_env")
XSS_NAME = "Stand <img src=x onerror=alert(1)> **gras**"
FIRST_SLUG = "pays-de-la-loire-2016"  # the default edition of the test stores
TOKEN = token_key(FIRST_SLUG)  # where the session keeps this phone's token for that edition


def open_page(
    path: str, *, role: str | None = None, token: str | None = None, query: dict[str, str] | None = None
) -> AppTest:
    at = app_as(role)
    if token is not None:
        at.session_state[TOKEN] = token
    at.run()
    if query:
        at.query_params.update(query)
    at.switch_page(path).run()
    assert not at.exception
    return at


def visits() -> list[StandVisit]:
    with session_scope() as session:
        return list(session.exec(select(StandVisit)).all())


def test_the_stand_page_records_one_visit_and_offers_to_contribute() -> None:
    token = device_token()
    at = open_page("app_pages/stand.py", token=token, query={"code": "s04"})
    content = texts(at)
    assert "Les Ecossolies et leur incubateur" in content
    assert "De quel accompagnement un porteur de projet" in content
    at.button(key="stand_visit").click().run()
    assert not at.exception
    assert "Visite enregistrée dans votre passeport." in texts(at)
    assert not [b for b in at.button if b.key == "stand_visit"]  # the button is gone once visited
    assert len(visits()) == 1
    # The query (?stand=S04) is checked in the browser test: AppTest's page_link proto does not carry it.
    assert ("Contribuer depuis ce stand", "contribuer") in [
        (el.proto.label, el.proto.page) for el in at.get("page_link")
    ]


@pytest.mark.parametrize("code", ["S99", "", "<script>alert(1)</script>"])
def test_an_unknown_stand_code_is_a_friendly_message(code: str) -> None:
    at = open_page("app_pages/stand.py", query={"code": code} if code else None)
    assert "Stand introuvable" in [t.value for t in at.title]
    assert "plan du circuit" in texts(at)


def test_stand_texts_are_drawn_as_text_never_markdown() -> None:
    with session_scope(write=True) as session:
        stand = session.exec(select(Stand).where(Stand.code == "S01")).one()
        stand.name = XSS_NAME
        session.add(stand)
    at = open_page("app_pages/stand.py", query={"code": "S01"})
    assert XSS_NAME in [t.value for t in at.text]
    assert "onerror" not in "\n".join(str(m.value) for m in at.markdown)


def test_the_passport_shows_progress_then_the_treasure_and_restores_by_code() -> None:
    token = device_token()
    with session_scope(write=True) as session:
        for code in ("S01", "S04", "S07", "S10"):
            circuit.visit_stand(session=session, device_token=token, stand_code=code)
    at = open_page("app_pages/passport.py", token=token)
    assert [t.value for t in at.title] == ["Mon passeport"]
    content = texts(at)
    assert "Thèmes couverts : 4 sur 5" in str(at.get("progress")[0].proto)
    assert "Il vous reste : 1 thème à découvrir et une contribution à envoyer." in content
    code = next(m.value for m in at.metric if m.label == "Code de votre passeport")

    # A new phone restores it with the code.
    other = open_page("app_pages/passport.py", token=device_token())
    other.text_input(key="passport_restore_code").input(code.lower()).run()
    other.button(key="passport_restore").click().run()
    assert not other.exception
    assert "Passeport retrouvé : il est maintenant sur ce téléphone." in texts(other)
    assert other.session_state[TOKEN] == token
    assert next(m.value for m in other.metric if m.label == "Stands visités") == "4"


def test_wrong_restore_codes_are_throttled_per_session_and_the_typed_code_stays() -> None:
    token = device_token()
    with session_scope(write=True) as session:
        circuit.visit_stand(session=session, device_token=token, stand_code="S01")
    code = next(
        m.value for m in open_page("app_pages/passport.py", token=token).metric if m.label == "Code de votre passeport"
    )

    guesser = open_page("app_pages/passport.py", token=device_token())
    for attempt in range(5):
        guesser.text_input(key="passport_restore_code").input(f"AAAA-AAA{attempt + 3}").run()
        guesser.button(key="passport_restore").click().run()
        assert "Aucun passeport ne porte ce code." in texts(guesser)
    # The sixth try, even with the right code, waits: the window counts failures, not successes.
    guesser.text_input(key="passport_restore_code").input(code).run()
    guesser.button(key="passport_restore").click().run()
    assert not guesser.exception
    assert any(e.value.startswith("Trop d'essais avec des codes inconnus. Réessayez dans") for e in guesser.error)
    assert guesser.text_input(key="passport_restore_code").value == code
    assert guesser.session_state[TOKEN] != token
    # Another session is not held back by this one's mistakes.
    owner = open_page("app_pages/passport.py", token=device_token())
    owner.text_input(key="passport_restore_code").input(code).run()
    owner.button(key="passport_restore").click().run()
    assert owner.session_state[TOKEN] == token


def test_a_stand_visit_held_by_the_address_ceiling_says_so_in_french(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESS_ADDRESS_WRITES_PER_10S", "1")
    get_settings.cache_clear()
    at = open_page("app_pages/stand.py", token=device_token(), query={"code": "S01"})
    at.button(key="stand_visit").click().run()
    assert "Visite enregistrée dans votre passeport." in texts(at)
    # A second phone behind the same address within the same 10 seconds: over the (lowered) ceiling.
    other = open_page("app_pages/stand.py", token=device_token(), query={"code": "S01"})
    other.button(key="stand_visit").click().run()
    assert not other.exception
    assert any(
        w.value.startswith("Beaucoup d'envois arrivent en même temps depuis votre réseau.") for w in other.warning
    )
    assert [b for b in other.button if b.key == "stand_visit"]  # the button stays: one tap later will do
    assert len(visits()) == 1


def test_the_circuit_and_ptce_pages_render_offline_with_every_ptce() -> None:
    at = open_page("app_pages/circuit.py")
    assert not at.exception and len(at.dataframe) == 5
    ptce = open_page("app_pages/ptce.py")
    assert len(ptce.get("plotly_chart")) == 1
    assert "Association Les Ecossolies" in texts(ptce)
    ptce.selectbox(key="ptce_departement").set_value("85").run()
    assert not ptce.exception
    content = texts(ptce)
    assert "Association Icroacoa" in content and "Les Ecossolies" not in content


@pytest.mark.parametrize(("role", "allowed"), [(None, False), ("organizer", True), ("staff", True), ("admin", True)])
def test_the_circuit_view_is_for_organisers(role: str | None, allowed: bool) -> None:
    at = app_as(role).run()
    if not allowed:
        with pytest.raises(ValueError):
            at.switch_page("app_pages/circuit_live.py")
        return
    at.switch_page("app_pages/circuit_live.py").run()
    assert not at.exception
    assert "Stands jamais visités" in [m.label for m in at.metric]


@pytest.mark.parametrize("role", [None, "organizer", "staff"])
def test_stand_management_is_for_admins_only(role: str | None) -> None:
    at = app_as(role).run()
    with pytest.raises(ValueError):
        at.switch_page("app_pages/admin_stands.py")


def test_an_admin_moves_a_stand_and_it_is_audited() -> None:
    at = open_page("app_pages/admin_stands.py", role="admin")
    at.selectbox(key="admin_stands_move").set_value("S03").run()
    at.button(key="admin_stands_up").click().run()
    assert not at.exception
    with session_scope() as session:
        assert session.exec(select(Stand.position).where(Stand.code == "S03")).one() == 2
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "stand.move")).first() is not None


@pytest.mark.parametrize(("role", "shown"), [(None, False), ("organizer", False), ("staff", True), ("admin", True)])
def test_only_staff_see_the_catalogue_editing_on_the_ptce_page(role: str | None, shown: bool) -> None:
    at = open_page("app_pages/ptce.py", role=role)
    assert ("Équipe : tenir le catalogue" in [h.value for h in at.subheader]) is shown


def test_staff_edit_a_ptce_from_its_page() -> None:
    at = open_page("app_pages/ptce.py", role="staff")
    at.text_area[0].input("Un pôle qui relie les acteurs du territoire.").run()
    next(b for b in at.button if b.label == "Enregistrer").click().run()
    assert not at.exception
    assert "Projet enregistré." in texts(at)
