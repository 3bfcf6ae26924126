"""Every page of the shell, for every role, under AppTest: renders, or is not reachable at all."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from services.permissions import CONSOLE_ACTOR, role_allows
from tests.app_pages.helpers import ROLES, account, app_as, script, texts
from ui.navigation import PAGES

pytestmark = pytest.mark.usefixtures("app_env")

TITLES = {
    "app_pages/home.py": "Conférence régionale de l'ESS",
    "app_pages/account.py": "Mon compte",
    "app_pages/admin_users.py": "Comptes de l'équipe",
    "app_pages/admin_reference.py": "Données de référence",
}


@pytest.mark.parametrize("role", ROLES)
def test_home_renders_for_every_role(role: str | None) -> None:
    at = app_as(role).run()
    assert not at.exception
    content = texts(at)
    assert "Les cinq thèmes de la stratégie" in content
    assert "Soutien et développement de l'emploi" in content
    assert [m.value for m in at.metric][:3] == ["152\u202f500", "14\u00a0%", "10\u00a0%"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("spec", [p for p in PAGES if p.path in TITLES], ids=lambda p: p.url_path)
def test_each_page_renders_for_allowed_roles_and_is_unreachable_for_others(role: str | None, spec) -> None:  # type: ignore[no-untyped-def]
    at = app_as(role).run()
    allowed = spec.permission is None or role_allows(role, spec.permission)
    if not allowed:
        with pytest.raises(ValueError):
            at.switch_page(spec.path)
        return
    at.switch_page(spec.path).run()
    assert not at.exception
    assert TITLES[spec.path] in [t.value for t in at.title]


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("app_pages/admin_users.py", None),
        ("app_pages/admin_users.py", "organizer"),
        ("app_pages/admin_users.py", "staff"),
        ("app_pages/admin_reference.py", None),
        ("app_pages/admin_reference.py", "organizer"),
        ("app_pages/admin_reference.py", "staff"),
        ("app_pages/account.py", None),
    ],
)
def test_staff_pages_guard_themselves_even_when_run_directly(path: str, role: str | None) -> None:
    """The menu is not the only lock: a page run without app.py checks the role itself."""
    at = AppTest.from_file(script(path), default_timeout=30)
    if role is not None:
        at.session_state["staff_account"] = account(role)
    at.run()
    assert not at.exception
    assert not at.title and not at.dataframe
    assert "réservée aux équipes habilitées" in texts(at)


def test_login_form_logs_in_and_the_menu_follows_in_the_same_run(app_env: str) -> None:
    from db.engine import session_scope
    from services import auth

    with session_scope(write=True) as session:
        auth.create_user(
            session=session, username="lea", password="mot-de-passe-de-lea", role="admin", actor=CONSOLE_ACTOR
        )
    at = app_as(None).run()
    at.text_input(key="login_username").input("lea")
    at.text_input(key="login_password").input("pas-le-bon")
    at.button[0].click().run()
    assert not at.exception
    assert "Identifiant ou mot de passe incorrect." in texts(at)
    with pytest.raises(ValueError):
        at.switch_page("app_pages/admin_users.py")

    at.text_input(key="login_password").input("mot-de-passe-de-lea")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["staff_account"].username == "lea"
    at.switch_page("app_pages/admin_users.py").run()
    assert not at.exception
    assert "Comptes de l'équipe" in [t.value for t in at.title]


def test_admin_creates_an_account_and_bad_input_stays_in_the_form(app_env: str) -> None:
    at = app_as("admin").run()
    at.switch_page("app_pages/admin_users.py").run()
    at.text_input(key="users_new_username").input("jean.dupont")
    at.text_input(key="users_new_name").input("Jean Dupont")
    at.text_input(key="users_new_password").input("court")
    at.button(key="FormSubmitter:users_create-Créer le compte").click().run()
    assert not at.exception
    assert "au moins 12 caractères" in texts(at)
    assert at.text_input(key="users_new_username").value == "jean.dupont"  # what was typed stays

    at.text_input(key="users_new_password").input("un-mot-de-passe-long")
    at.button(key="FormSubmitter:users_create-Créer le compte").click().run()
    assert not at.exception
    assert "Compte « jean.dupont » créé." in texts(at)
    assert "jean.dupont" in at.dataframe[0].value["Identifiant"].tolist()


def test_user_names_are_shown_as_text_not_markdown(app_env: str) -> None:
    from db.engine import session_scope
    from services import auth

    with session_scope(write=True) as session:
        auth.create_user(
            session=session,
            username="evil",
            password="mot-de-passe-long",
            role="admin",
            name="[clic](javascript:alert(1)) **gras**",
            actor=CONSOLE_ACTOR,
        )
    at = AppTest.from_file(script(), default_timeout=30)
    at.session_state["staff_account"] = auth.StaffAccount(
        1, "evil", "[clic](javascript:alert(1)) **gras**", "", "admin", True, None
    )
    at.run()
    assert not at.exception
    assert any("[clic](javascript:alert(1)) **gras**" in t.value for t in at.sidebar.text)
    assert not any("javascript:" in m.value for m in at.markdown)
