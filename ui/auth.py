"""Staff login for app.py: runs before st.navigation so the menu follows the login at once.

The login cookie is streamlit-authenticator 0.4.2's signed JWT, written by the page itself (ui.cookies;
the library's cookie component could lose it, see services.auth.issue_login_cookie) and deleted at logout
through the library. The password check, the throttling and the cookie validation are ours
(services.auth): the library's own login widget cannot throttle across sessions, answers
differently for unknown users, and keeps honouring a cookie after logout.
"""

from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.config import get_settings
from services import auth
from services.auth import StaffAccount
from services.permissions import Permission, role_allows
from ui import store
from ui.cookies import write_cookie

ACCOUNT_KEY = "staff_account"


def _session_key() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "no-session"


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


def _credentials(*, session: object) -> dict[str, dict[str, dict[str, object]]]:
    users = auth.list_users(session=session)  # type: ignore[arg-type]
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
    for key in ("authentication_status", "username", "name", "roles", "email"):
        st.session_state[key] = None


def current_account() -> StaffAccount | None:
    """The logged-in staff account of this browser session, restoring it from the cookie if valid."""
    account = st.session_state.get(ACCOUNT_KEY)
    if account is not None:
        return account
    if st.session_state.get("logged_out"):
        return None
    settings = get_settings()
    token = st.context.cookies.get(settings.cookie_name)
    if not token or not settings.cookie_key:
        return None
    account = store.read(
        auth.account_from_cookie,
        token=token,
        cookie_key=settings.cookie_key,
        expiry_days=settings.cookie_expiry_days,
    )
    if account is not None:
        _set_session(account)
    return account


def render_login_form() -> StaffAccount | None:
    """The sidebar login form; on success the session is logged in and the cookie written (no rerun)."""
    with st.sidebar.expander("Espace équipe", expanded=bool(st.session_state.get("login_error"))):
        st.caption("Réservé aux équipes de la Région, de l'État, de la CRESS et de l'organisation.")
        with st.form("staff_login", clear_on_submit=False):
            username = st.text_input("Identifiant", key="login_username", autocomplete="username")
            password = st.text_input(
                "Mot de passe", type="password", key="login_password", autocomplete="current-password"
            )
            submitted = st.form_submit_button("Se connecter")
        if not submitted:
            if error := st.session_state.get("login_error"):
                st.error(error)
            return None
        settings = get_settings()
        result = store.write(
            auth.attempt_login,
            username=username,
            password=password,
            session_key=_session_key(),
            max_attempts=settings.login_max_attempts,
            window_s=settings.login_window_seconds,
            device_cookie=st.context.cookies.get(settings.staff_device_cookie_name),
            cookie_key=settings.cookie_key,
        )
        if not result.ok or result.account is None:
            st.session_state["login_error"] = result.message
            st.error(result.message)
            return None
    st.session_state.pop("login_error", None)
    st.session_state.pop("logged_out", None)
    _set_session(result.account)
    # Outside the expander (its content is not drawn when it is closed); in the sidebar, where the empty
    # elements take no room in the page.
    with st.sidebar:
        token = auth.issue_login_cookie(
            username=result.account.username,
            cookie_key=settings.require_cookie_key(),
            expiry_days=settings.cookie_expiry_days,
        )
        write_cookie(settings.cookie_name, token, days=settings.cookie_expiry_days, same_site="Strict")
        _remember_device(result.account.username)
    return result.account


def _remember_device(username: str) -> None:
    """Give this browser a device cookie of the account it just logged in to (see services.auth)."""
    settings = get_settings()
    held = st.context.cookies.get(settings.staff_device_cookie_name)
    if not settings.cookie_key or auth.trusted_device(cookie=held, username=username, cookie_key=settings.cookie_key):
        return
    value = auth.issue_device_cookie(username=username, cookie_key=settings.cookie_key)
    write_cookie(settings.staff_device_cookie_name, value, days=settings.staff_device_cookie_days, same_site="Strict")


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
