"""Staff login for app.py: runs before st.navigation so the menu follows the login at once.

The login cookie is streamlit-authenticator 0.4.2's signed JWT (plus its issue time), written by the page
itself (ui.cookies; the library's cookie component could lose it, see services.auth.issue_login_cookie) and
deleted at logout through the library. The password check, the throttling and the cookie validation are
ours (services.auth): the library's own login widget cannot throttle across sessions, answers differently
for unknown users, and keeps honouring a cookie after logout.

The form logs in from its submit button's callback, before the run: that very run draws the logged-in
sidebar (who, « Se déconnecter », the staff menu) and writes the cookie, with no st.rerun() that could cut
the cookie's script off, and the typed password is emptied before anything is drawn again.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import streamlit as st
import streamlit_authenticator as stauth
from sqlmodel import Session
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.config import get_settings
from services import auth
from services.auth import StaffAccount, utcnow
from services.permissions import Permission, role_allows
from ui import store
from ui.cookies import write_cookie
from ui.errors import UNEXPECTED

log = logging.getLogger(__name__)

ACCOUNT_KEY = "staff_account"
# Set by the login callback: the run that follows writes the login cookie (and the device cookie).
COOKIE_PENDING_KEY = "staff_cookie_pending"
LOGIN_UNAVAILABLE = (
    "La connexion de l'équipe n'est pas configurée sur ce serveur (clé ESS_COOKIE_KEY absente) : "
    "prévenez la personne qui l'administre."
)
LOGGED_IN_TOAST = "Vous êtes connecté·e. « Se déconnecter » est en bas du menu latéral."
SESSION_CLOSED = "Votre session a été fermée (compte modifié, désactivé ou déconnecté ailleurs) : reconnectez-vous."


def _session_key() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "no-session"


@st.cache_resource(show_spinner=False)
def _password_check_gate() -> auth.PasswordCheckGate:
    """One per process: the bound on bcrypt work holds across every browser session of this server."""
    settings = get_settings()
    return auth.PasswordCheckGate(
        per_second=settings.login_checks_per_second,
        burst=settings.login_check_burst,
        concurrency=settings.login_check_concurrency,
        max_wait_s=settings.login_check_max_wait_seconds,
    )


def _authenticator() -> stauth.Authenticate:
    """A fresh authenticator per call, with credentials built from the users table for this session."""
    settings = get_settings()
    credentials = store.read(_credentials)
    return stauth.Authenticate(
        credentials,
        settings.cookie_name,
        settings.require_cookie_key(),
        settings.cookie_expiry_days,
        auto_hash=False,
    )


def _credentials(session: Session) -> dict[str, dict[str, dict[str, object]]]:
    users = auth.list_users(session=session)
    return {
        "usernames": {
            u.username: {"name": u.name, "email": u.email, "password": "", "roles": [u.role]} for u in users if u.active
        }
    }


def _set_session(account: StaffAccount) -> None:
    st.session_state[ACCOUNT_KEY] = account
    # The keys streamlit-authenticator itself reads and writes.
    st.session_state["authentication_status"] = True
    st.session_state["username"] = account.username
    st.session_state["name"] = account.name
    st.session_state["roles"] = [account.role]


def _clear_session() -> None:
    st.session_state.pop(ACCOUNT_KEY, None)
    st.session_state.pop(COOKIE_PENDING_KEY, None)
    for key in ("authentication_status", "username", "name", "roles", "email"):
        st.session_state[key] = None


def current_account() -> StaffAccount | None:
    """The logged-in staff account of this browser session, checked against the store at every call.

    The account held in session state only names who logged in and when: its role and whether the session
    still stands (active, not revoked since) are read again each time, so a deactivation, a role change, a
    password reset or a logout elsewhere reaches an open session at its next interaction. One indexed
    read by username (0.7 ms median on SQLite, measured on a loaded 2-core machine): no cache to go stale.
    """
    held: StaffAccount | None = st.session_state.get(ACCOUNT_KEY)
    if held is not None:
        fresh = store.read(auth.session_account, account=held)
        if fresh is not None:
            if fresh != held:
                _set_session(fresh)
            return fresh
        _clear_session()
        st.session_state["staff_session_closed"] = True
    if st.session_state.get("logged_out"):
        return None
    settings = get_settings()
    token = st.context.cookies.get(settings.cookie_name)
    if not token or not settings.cookie_key:
        return None
    account = store.read(auth.account_from_cookie, token=token, cookie_key=settings.cookie_key)
    if account is not None:
        st.session_state.pop("staff_session_closed", None)
        _set_session(account)
    return account


def _log_in() -> None:
    """The login form's callback: check the password before the run, so the run draws the outcome."""
    username = str(st.session_state.get("login_username") or "")
    password = str(st.session_state.get("login_password") or "")
    # Whatever the outcome, the typed password is not drawn again (allowed here: before the widget's run).
    st.session_state["login_password"] = ""
    settings = get_settings()
    if not settings.cookie_key:  # no key, no cookie: refuse before checking anything, never half-log in
        st.session_state["login_error"] = LOGIN_UNAVAILABLE
        return
    # A callback runs outside app.py's guards: its faults are reported here, in French, as they would be there.
    try:
        result = auth.attempt_login(
            engine=store.engine(),
            username=username,
            password=password,
            session_key=_session_key(),
            max_attempts=settings.login_max_attempts,
            window_s=settings.login_window_seconds,
            device_cookie=st.context.cookies.get(settings.staff_device_cookie_name),
            cookie_key=settings.cookie_key,
            gate=_password_check_gate(),
        )
    except store.STORAGE_ERRORS as exc:
        log.error("login refused by the store: %s", exc)
        st.session_state["login_error"] = store.UNAVAILABLE
        return
    except Exception:
        log.exception("unexpected error during a login")
        st.session_state["login_error"] = UNEXPECTED
        return
    if not result.ok or result.account is None:
        st.session_state["login_error"] = result.message
        return
    for key in ("login_error", "logged_out", "staff_session_closed"):
        st.session_state.pop(key, None)
    _set_session(result.account)
    st.session_state[COOKIE_PENDING_KEY] = True


def render_login_form() -> None:
    """The sidebar login form; its button logs in before the next run (see _log_in)."""
    error = st.session_state.get("login_error")
    closed = st.session_state.pop("staff_session_closed", False)
    with st.sidebar.expander("Espace équipe", expanded=bool(error or closed)):
        st.caption("Réservé aux équipes de la Région, de l'État, de la CRESS et de l'organisation.")
        if closed:
            st.info(SESSION_CLOSED)
        with st.form("staff_login", clear_on_submit=False):
            st.text_input("Identifiant", key="login_username", autocomplete="username")
            st.text_input("Mot de passe", type="password", key="login_password", autocomplete="current-password")
            st.form_submit_button("Se connecter", on_click=_log_in)
        if error:
            st.error(error)


def write_login_cookies(account: StaffAccount) -> None:
    """In the run right after a login: the login cookie and the device cookie, written by the page."""
    if not st.session_state.pop(COOKIE_PENDING_KEY, False):
        return
    _write_login_cookie(account)
    _remember_device(account.username)
    # A staff menu is long: who is logged in and « Se déconnecter » sit below it, out of sight on a phone.
    # A toast is seen wherever the sidebar is scrolled (our own sentence: a toast renders Markdown).
    st.toast(LOGGED_IN_TOAST, icon=":material/login:")


def _write_login_cookie(account: StaffAccount) -> None:
    settings = get_settings()
    # In the sidebar, where the empty elements take no room in the page.
    with st.sidebar:
        token = auth.issue_login_cookie(
            username=account.username, cookie_key=settings.require_cookie_key(), expiry_days=settings.cookie_expiry_days
        )
        write_cookie(settings.cookie_name, token, days=settings.cookie_expiry_days, same_site="Strict")


def keep_session_after_password_change(account: StaffAccount) -> None:
    """This session changed its own password: it stays open, with a new cookie; every other one is closed."""
    # Now, after the change's revocation time, which closes the account's other sessions.
    _set_session(replace(account, signed_in_at=utcnow()))
    _write_login_cookie(account)


def _remember_device(username: str) -> None:
    """Give this browser a device cookie of the account it just logged in to (see services.auth)."""
    settings = get_settings()
    held = st.context.cookies.get(settings.staff_device_cookie_name)
    if not settings.cookie_key or auth.trusted_device(cookie=held, username=username, cookie_key=settings.cookie_key):
        return
    value = auth.issue_device_cookie(username=username, cookie_key=settings.cookie_key)
    with st.sidebar:
        write_cookie(
            settings.staff_device_cookie_name, value, days=settings.staff_device_cookie_days, same_site="Strict"
        )


def render_logout_button(account: StaffAccount) -> bool:
    """Sidebar logout: revokes every cookie issued to this account so far, then forgets the session."""
    if not st.sidebar.button("Se déconnecter", key="staff_logout"):
        return False
    store.write(auth.revoke_login_cookies, username=account.username)
    with st.sidebar:
        _authenticator().cookie_controller.delete_cookie()
    _clear_session()
    st.session_state["logged_out"] = True
    return True


def require(permission: Permission) -> StaffAccount:
    """Stop the page unless the session's role grants `permission` (the menu is not the only guard)."""
    account = current_account()
    if account is None or not role_allows(account.role, permission):
        st.warning("Cette page est réservée aux équipes habilitées. Connectez-vous dans le menu latéral.")
        st.stop()
    assert account is not None
    return account
