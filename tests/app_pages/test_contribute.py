"""The participant pages under AppTest: contribute, receipt, « Mes contributions », supports, the join page."""

from __future__ import annotations

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from db.engine import session_scope
from models import Contribution, ContributionSupport, Orientation
from services import contributions
from services.codes import device_token
from services.contributions import ContributionDraft
from tests.app_pages.helpers import app_as, texts

pytestmark = pytest.mark.usefixtures("app_env")

BODY = "Un dossier unique de demande d'aide, plus simple pour les petites associations."
XSS = "Les dossiers de subvention <img src=x onerror=alert(1)> [x](javascript:alert(1)) sont trop lourds."


def open_page(path: str, *, token: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    at = app_as(None)
    if token is not None:
        at.session_state["device_token_pays-de-la-loire-2016"] = token  # the default edition's, as after a reload
    at.run()
    if query:
        at.query_params.update(query)
    at.switch_page(path).run()
    assert not at.exception
    return at


def fill(at: AppTest, *, theme: int | None = 1, body: str = BODY) -> AppTest:
    if theme is not None:
        at.button_group(key="contribute_theme").set_value(theme).run()
    at.text_area(key="contribute_body").input(body).run()
    assert not at.exception
    return at


def send(at: AppTest) -> AppTest:
    at.button(key="contribute_send").click().run()
    assert not at.exception
    return at


def rows() -> list[Contribution]:
    with session_scope() as session:
        return list(session.exec(select(Contribution)).all())


def not_markdown(at: AppTest) -> str:
    """Everything drawn through Markdown-rendering elements (and raw HTML): user text must never be in it."""
    parts = [texts(at).replace("\n".join(str(t.value) for t in at.text), "")]
    parts += [str(el.value) for el in at.metric]
    parts += [str(getattr(el, "proto", "")) for el in at.get("html")]
    parts += [b.label for b in at.button]
    return "\n".join(parts)


def test_the_form_is_in_french_with_the_five_themes() -> None:
    at = open_page("app_pages/contribute.py")
    assert [t.value for t in at.title] == ["Contribuer"]
    assert at.button_group(key="contribute_theme").options == [
        "Relations avec les institutions",
        "Entreprendre en ESS",
        "Emploi",
        "Coopération et territoires",
        "Faire connaître l'ESS",
    ]
    content = texts(at)
    assert "de 20 à 2\u202f000 caractères" in content
    assert "Vos données" in content and "24 mois" in content and "code de reçu" in content
    assert at.button(key="contribute_send").label == "Envoyer ma contribution"


def test_a_contribution_gets_its_receipt_once_stored_and_the_form_starts_again() -> None:
    token = device_token()
    at = send(fill(open_page("app_pages/contribute.py", token=token)))
    (row,) = rows()
    assert [m.value for m in at.metric] == [row.receipt_code]
    assert "Contribution enregistrée" in texts(at)
    assert BODY in [t.value for t in at.text]
    with session_scope() as session:
        mine = contributions.list_device_contributions(session=session, device_token=token)
    assert [m.receipt_code for m in mine] == [row.receipt_code]
    assert (row.source, row.theme_id, row.stand_id) == ("conference", 1, None)

    at.button(key="contribute_again").click().run()
    assert not at.exception
    assert at.text_area(key="contribute_body").value == ""
    assert at.button_group(key="contribute_theme").value == 1  # the theme stays for the next idea


def test_a_new_contribution_starts_from_the_theme_and_about_you_just_sent() -> None:
    at = fill(open_page("app_pages/contribute.py"), theme=4)
    at.selectbox(key="contribute_departement").set_value("85").run()
    at.text_input(key="contribute_organisation").input("Icroacoa").run()
    send(at)
    # Whatever the receipt screen did to the widgets' state, « Écrire une autre » sets them again.
    at.session_state["contribute_theme"] = None
    at.session_state["contribute_departement"] = ""
    at.button(key="contribute_again").click().run()
    assert not at.exception
    assert at.button_group(key="contribute_theme").value == 4
    assert at.selectbox(key="contribute_departement").value == "85"
    assert at.text_input(key="contribute_organisation").value == "Icroacoa"
    assert at.text_area(key="contribute_body").value == ""


def test_the_idempotency_key_lives_until_a_save_succeeds_so_a_replay_is_stored_once() -> None:
    at = open_page("app_pages/contribute.py")
    key = at.session_state["contribute_idempotency_key"]
    fill(at, body="court")
    send(at)
    assert at.session_state["contribute_idempotency_key"] == key  # refused: same key for the retry
    fill(at, theme=None)
    send(at)
    assert at.session_state["contribute_idempotency_key"] != key  # saved: a new key for the next one
    (row,) = rows()
    # A second tap that reached the server with the first one's state (double tap, replay after a reconnect).
    at.session_state["contribute_idempotency_key"] = key
    del at.session_state["contribute_receipt"]
    at.run()
    fill(at, theme=None)
    send(at)
    assert [m.value for m in at.metric] == [row.receipt_code]
    assert "déjà été reçue" in texts(at)
    assert len(rows()) == 1


@pytest.mark.parametrize(
    ("theme", "body", "field_message"),
    [
        (None, BODY, "Choisissez l'une des thématiques de la conférence."),
        (1, "Trop court.", "trop court : 11 caractère(s), 20 au minimum"),
        (1, "      \n\n     \t   ", "est obligatoire"),
        (1, "Un texte assez long avec \x1b[2J un caractère de contrôle.", "caractères de contrôle"),
    ],
    ids=["no-theme", "short", "whitespace", "control"],
)
def test_bad_input_shows_its_message_keeps_the_text_and_stores_nothing(
    theme: int | None, body: str, field_message: str
) -> None:
    at = send(fill(open_page("app_pages/contribute.py"), theme=theme, body=body))
    errors = [e.value for e in at.error]
    assert any(field_message in e for e in errors)
    assert "Votre contribution n'est pas partie : corrigez le point signalé plus haut." in errors
    assert at.text_area(key="contribute_body").value == body
    assert not at.metric
    assert rows() == []


def test_a_message_goes_away_once_its_field_is_changed() -> None:
    at = send(fill(open_page("app_pages/contribute.py"), body="Trop court."))
    assert at.error
    at.text_area(key="contribute_body").input(BODY).run()
    assert not at.exception
    assert not at.error


def test_the_orientations_follow_the_theme_and_the_stance_is_stored() -> None:
    at = fill(open_page("app_pages/contribute.py"), theme=3)
    with session_scope() as session:
        theme3 = session.exec(select(Orientation).where(Orientation.theme_id == 3)).all()
    box = at.selectbox(key="contribute_orientation")
    assert box.options[0] == "Aucune en particulier : une idée nouvelle"
    assert box.options[1:] == [o.title for o in sorted(theme3, key=lambda o: o.position)]
    box.set_value(theme3[0].id).run()
    at.button_group(key="contribute_stance").set_value("support_with_reservations").run()
    send(at)
    (row,) = rows()
    assert (row.orientation_id, row.stance) == (theme3[0].id, "support_with_reservations")


def test_changing_theme_drops_an_orientation_of_the_old_theme() -> None:
    at = fill(open_page("app_pages/contribute.py"), theme=3)
    with session_scope() as session:
        of_theme3 = session.exec(select(Orientation.id).where(Orientation.theme_id == 3)).first()
    at.selectbox(key="contribute_orientation").set_value(of_theme3).run()
    at.button_group(key="contribute_theme").set_value(1).run()
    assert not at.exception
    assert at.selectbox(key="contribute_orientation").value == 0
    send(at)
    assert rows()[0].orientation_id is None


def test_about_you_is_optional_and_checked() -> None:
    at = fill(open_page("app_pages/contribute.py"))
    at.radio(key="contribute_display").set_value("name").run()
    send(at)
    assert "Indiquez votre nom" in " ".join(e.value for e in at.error)
    assert rows() == []
    at.text_input(key="contribute_name").input("Camille Durand").run()
    at.selectbox(key="contribute_actor").set_value("cooperative").run()
    at.selectbox(key="contribute_departement").set_value("49").run()
    send(at)
    (row,) = rows()
    assert (row.author_name, row.display_mode, row.actor_type, row.departement) == (
        "Camille Durand",
        "name",
        "cooperative",
        "49",
    )


def test_the_per_device_limit_answers_kindly_and_keeps_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESS_CONTRIBUTION_RATE_MAX", "1")
    get_settings.cache_clear()
    at = send(fill(open_page("app_pages/contribute.py")))
    at.button(key="contribute_again").click().run()
    second = "Une deuxième idée, envoyée juste après la première."
    send(fill(at, theme=None, body=second))
    assert any("le maximum prévu" in e.value and "Votre texte est conservé" in e.value for e in at.error)
    assert at.text_area(key="contribute_body").value == second
    assert len(rows()) == 1


def test_opened_from_a_stand_the_form_is_set_to_its_theme_and_the_treasure_hunt() -> None:
    at = open_page("app_pages/contribute.py", query={"stand": "S04"})
    assert at.button_group(key="contribute_theme").value == 2
    assert "Les Ecossolies et leur incubateur" in [t.value for t in at.text]
    send(fill(at, theme=None))
    (row,) = rows()
    assert row.source == "treasure_hunt" and row.stand_id is not None and row.theme_id == 2


def test_an_unknown_stand_code_is_a_friendly_note_not_an_error() -> None:
    at = open_page("app_pages/contribute.py", query={"stand": "<b>ZZ</b>"})
    assert "Ce stand n'est pas reconnu" in texts(at)
    send(fill(at))
    assert rows()[0].source == "conference"


def seed(body: str, *, theme_id: int = 1, status: str = "published", token: str | None = None) -> int:
    with session_scope(write=True) as session:
        d = ContributionDraft(theme_id=theme_id, body=body, idempotency_key=device_token()[:40], status=status)
        if token:
            return contributions.submit_from_device(session=session, device_token=token, draft=d).contribution_id
        return contributions.submit_contribution(session=session, draft=d).contribution_id


def test_similar_contributions_appear_and_can_be_supported_instead() -> None:
    existing = seed("Les dossiers de subvention de la Région sont beaucoup trop lourds pour une petite association.")
    seed("Les dossiers de subvention sont trop lourds : autre thème.", theme_id=3)
    token = device_token()
    at = fill(
        open_page("app_pages/contribute.py", token=token),
        body="Dossiers de subvention trop lourds pour les associations",
    )
    assert "Des contributions proches existent déjà" in texts(at)
    support = at.button(key=f"contribute_support_{existing}")
    assert support.label == "Je soutiens celle-ci"
    assert len([b for b in at.button if b.key and b.key.startswith("contribute_support_")]) == 1
    support.click().run()
    assert not at.exception
    assert "Merci : votre soutien est enregistré." in texts(at)
    assert "1 soutien · vous la soutenez" in texts(at)
    with session_scope() as session:
        assert len(session.exec(select(ContributionSupport)).all()) == 1
    assert len(rows()) == 2  # supporting stored no new contribution


def test_my_contributions_come_back_for_the_same_device_only() -> None:
    token = device_token()
    at = send(fill(open_page("app_pages/contribute.py", token=token)))
    code = at.metric[0].value

    # A reload is a new session: the cookie hands the same token back.
    again = open_page("app_pages/my_contributions.py", token=token)
    assert [t.value for t in again.title] == ["Mes contributions"]
    assert any(code in m.value for m in again.markdown)
    assert BODY in [t.value for t in again.text]

    stranger = open_page("app_pages/my_contributions.py", token=device_token())
    assert "Vous n'avez encore rien envoyé depuis ce téléphone." in texts(stranger)
    assert code not in texts(stranger)


def test_text_with_markup_is_only_ever_drawn_as_text() -> None:
    author, neighbour = device_token(), device_token()
    seed(XSS, token=author)
    mine = open_page("app_pages/my_contributions.py", token=author)
    assert XSS in [t.value for t in mine.text]
    similar = fill(
        open_page("app_pages/contribute.py", token=neighbour), body="Les dossiers de subvention sont trop lourds"
    )
    assert any("onerror" in t.value for t in similar.text)
    for at in (mine, similar):
        drawn = not_markdown(at)
        assert "onerror" not in drawn and "javascript:alert" not in drawn and "<img" not in drawn


def test_the_supported_contributions_are_listed_under_my_contributions() -> None:
    target = seed("Faire connaître l'ESS aux jeunes dès le collège avec des interventions en classe.", theme_id=5)
    fan = device_token()
    with session_scope(write=True) as session:
        contributions.support_contribution(session=session, device_token=fan, contribution_id=target)
    at = open_page("app_pages/my_contributions.py", token=fan)
    assert "Les contributions que vous soutenez" in texts(at)
    assert "1 soutien en tout" in texts(at)


def test_the_join_page_shows_the_qr_code_the_address_and_the_running_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESS_BASE_URL", "https://www.ess-paysdelaloire.fr/")
    get_settings.cache_clear()
    for n in range(3):
        seed(f"Contribution numéro {n} pour le compteur de la salle.", status="rejected" if n == 2 else "pending")
    at = open_page("app_pages/join.py")
    assert [t.value for t in at.title] == ["Participez à la stratégie régionale de l'ESS"]
    assert any("ess-paysdelaloire.fr/contribuer" in m.value for m in at.markdown)
    assert [(m.label, m.value) for m in at.metric] == [("Contributions déjà reçues", "2")]
    assert len(at.get("image")) == 1
    assert any("Scannez le QR code" in m.value for m in at.markdown)
