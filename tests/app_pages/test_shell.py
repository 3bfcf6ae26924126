"""Every page of the shell, for every role, under AppTest: renders, or is not reachable at all."""

from __future__ import annotations

from collections.abc import Callable

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
    assert "Les 5 thèmes de la stratégie" in content  # the count comes from the edition's data
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
    at.session_state["staff_account"] = account("admin", username="evil")
    at.run()
    assert not at.exception
    assert any("[clic](javascript:alert(1)) **gras**" in t.value for t in at.sidebar.text)
    assert not any("javascript:" in m.value for m in at.markdown)


STAFF_PASSWORD = "mot-de-passe-de-sam"


def _logged_in(username: str = "sam", role: str = "staff") -> AppTest:
    """A session logged in through the real form (its login time is the one the store will compare)."""
    from db.engine import session_scope
    from services import auth

    with session_scope(write=True) as session:
        auth.create_user(session=session, username=username, password=STAFF_PASSWORD, role=role, actor=CONSOLE_ACTOR)
    at = app_as(None).run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(STAFF_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    return at


def test_the_login_run_shows_who_is_logged_in_and_how_to_log_out_and_drops_the_password(app_env: str) -> None:
    at = _logged_in()
    # The run of the login itself (no other click): the form is gone with what was typed in it…
    assert not [t for t in at.text_input if t.value == STAFF_PASSWORD]
    assert "login_password" not in [t.key for t in at.sidebar.text_input]
    assert at.session_state["login_password"] == ""
    # …and the sidebar says who is logged in and offers the way out.
    assert at.sidebar.button(key="staff_logout").label == "Se déconnecter"
    sidebar = "\n".join([c.value for c in at.sidebar.caption] + [t.value for t in at.sidebar.text])
    assert "Connecté·e" in sidebar and "sam" in sidebar
    # Below a long staff menu those are out of sight on a phone: a toast says so wherever the menu is scrolled.
    from ui.auth import LOGGED_IN_TOAST

    assert [t.value for t in at.toast] == [LOGGED_IN_TOAST]
    at.switch_page("app_pages/exports.py").run()
    assert "Exports" in [t.value for t in at.title]


def test_without_a_cookie_key_a_login_is_refused_cleanly(app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.config import get_settings
    from ui.auth import LOGIN_UNAVAILABLE
    from ui.errors import UNEXPECTED

    monkeypatch.setenv("ESS_COOKIE_KEY", "")
    get_settings.cache_clear()
    at = _logged_in()
    content = texts(at)
    assert LOGIN_UNAVAILABLE in content and UNEXPECTED not in content
    assert "staff_account" not in at.session_state
    with pytest.raises(ValueError):
        at.switch_page("app_pages/exports.py")


def _deactivate(username: str) -> None:
    from services import auth

    _store_write(auth.update_user, username=username, active=False, actor=CONSOLE_ACTOR)


def _make_organizer(username: str) -> None:
    from services import auth

    _store_write(auth.update_user, username=username, role="organizer", actor=CONSOLE_ACTOR)


def _reset_password(username: str) -> None:
    from services import auth

    _store_write(auth.change_password, username=username, new_password="un-tout-nouveau-secret", actor=CONSOLE_ACTOR)


def _logout_elsewhere(username: str) -> None:
    from services import auth

    _store_write(auth.revoke_login_cookies, username=username)


def _store_write(fn: Callable[..., object], /, **kwargs: object) -> object:
    from db.engine import session_scope

    with session_scope(write=True) as session:
        return fn(session=session, **kwargs)


@pytest.mark.parametrize("change", [_deactivate, _make_organizer, _reset_password, _logout_elsewhere])
def test_a_change_of_the_account_in_the_store_reaches_an_open_session_at_its_next_run(
    app_env: str, change: Callable[[str], None]
) -> None:
    at = _logged_in()
    at.switch_page("app_pages/exports.py").run()
    assert "Exports" in [t.value for t in at.title]

    change("sam")  # by an admin, manage.py or the same person's other browser: not through this session
    at.run()  # the open session's next interaction
    assert not at.exception
    assert "Exports" not in [t.value for t in at.title]
    with pytest.raises(ValueError):
        at.switch_page("app_pages/exports.py")
    if change is _make_organizer:  # still logged in, with the organisers' menu only
        assert at.session_state["staff_account"].role == "organizer"
        at.switch_page("app_pages/dashboard.py").run()
        assert not at.exception and "Exports" not in texts(at)
    else:
        assert "staff_account" not in at.session_state
        assert "Votre session a été fermée" in texts(at)


def test_changing_ones_own_password_keeps_this_session_open(app_env: str) -> None:
    at = _logged_in()
    at.switch_page("app_pages/account.py").run()
    at.text_input(key="account_old").input(STAFF_PASSWORD)
    at.text_input(key="account_new").input("un-tout-nouveau-secret")
    at.text_input(key="account_confirm").input("un-tout-nouveau-secret")
    at.button(key="FormSubmitter:account_password-Changer le mot de passe").click().run()
    assert not at.exception
    assert "Vos autres sessions ouvertes sont fermées" in texts(at)
    at.run()
    assert at.session_state["staff_account"].username == "sam"
    assert "Mon compte" in [t.value for t in at.title]
