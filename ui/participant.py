"""The participant's phone, known only by a pseudonymous device token kept in a first-party cookie.

Why a cookie rather than a query parameter: participants reach the app by scanning QR codes (the
projector's, then a stand's, then the projector's again). Each scan opens a fresh URL that carries
nothing of ours, so a token kept in the URL would be lost at every scan, and a link shared with a
neighbour would hand over one's contributions. A cookie comes back with every scan and every reload,
and stays out of links, screenshots and browser history.

Streamlit reads cookies (`st.context.cookies`, sent with the session's first request) but cannot
write one. A script of one constant line writes it (ui/cookies.py, st.html with unsafe_allow_javascript):
the only value placed in it is the token, which this module generated (or read back) and which must
match [A-Za-z0-9_-]{32,64}, so nothing a user typed ever reaches it. Alternatives tried: an
st.components.v2 component keeps an unpicklable object in session_state (refused by the app's
enforceSerializableSessionState); extra_streamlit_components' CookieManager costs an iframe and an
extra rerun per session. JavaScript-written cookies cannot be HttpOnly: the token only lets its
holder see this phone's own contributions and send as this phone, and no text a user typed is ever
rendered as HTML, which is what a script would need to steal it.

One token per edition: the session key and the cookie are named after the session's edition
(ui/edition.py), so a phone met at two conferences holds two separate passports, and a token is never
sent to an edition it does not belong to (services.participants refuses it all the same).
"""

from __future__ import annotations

import secrets
import uuid

import streamlit as st

from core.config import get_settings
from services import throttle
from services.codes import device_token as new_device_token
from services.participants import is_valid_device_token
from ui import edition
from ui.cookies import write_cookie

TOKEN_PREFIX = "device_token"  # noqa: S105  (a session_state key, not a secret)
SESSION_KEY = "throttle_session_key"
# Without ESS_COOKIE_KEY (a development run) addresses are still hashed with a key, one per process.
_FALLBACK_SECRET = secrets.token_hex(32)


def token_key(slug: str) -> str:
    """The session_state key of this browser's token for the edition `slug`."""
    return f"{TOKEN_PREFIX}_{slug}"


def cookie_name(slug: str) -> str:
    """The cookie keeping this phone's token for the edition `slug` (one cookie per edition)."""
    return f"{get_settings().device_cookie_name}_{slug}"


def device_token() -> str:
    """This browser's token for the session's edition: this session's, else the cookie's, else a new one (stored
    at the first visit or contribution)."""
    slug = edition.active_edition().slug
    token = st.session_state.get(token_key(slug))
    if isinstance(token, str) and is_valid_device_token(token):
        return token
    from_cookie = st.context.cookies.get(cookie_name(slug))
    token = from_cookie if isinstance(from_cookie, str) and is_valid_device_token(from_cookie) else new_device_token()
    st.session_state[token_key(slug)] = token
    return token


def take_over(token: str) -> None:
    """This phone now holds `token` for the session's edition (a passport restored by its code); the cookie
    follows at the bottom of the page (remember_device)."""
    st.session_state[token_key(edition.active_edition().slug)] = token


def remember_device() -> None:
    """Write the edition's token into its cookie if the browser did not send it; call at the bottom of the page
    (no space)."""
    settings = get_settings()
    token = device_token()
    name = cookie_name(edition.active_edition().slug)
    if st.context.cookies.get(name) == token or not is_valid_device_token(token):
        return
    write_cookie(name, token, days=settings.device_cookie_days)


def origin() -> throttle.Origin:
    """Where this session's requests come from, as the anonymous throttles count it (never the address itself).

    `st.context.ip_address` is the peer of the session's WebSocket: the phone, or the venue's NAT for a whole
    room. uvicorn replaces it with the client named in X-Forwarded-For only when the peer is a proxy it trusts
    (FORWARDED_ALLOW_IPS, localhost by default), so a phone cannot choose its own address. On localhost it is
    None: every such request counts as one origin.
    """
    settings = get_settings()
    address = st.context.ip_address
    # Outside a real server (AppTest, bare runs) there is no connection: counted as this machine.
    address = address if isinstance(address, str) else None
    key = throttle.origin_key(address, secret=settings.cookie_key or _FALLBACK_SECRET)
    return origin_for(key)


def origin_for(key: str) -> throttle.Origin:
    """The throttle origin for a hashed address key, with the ceilings the settings give."""
    s = get_settings()
    return throttle.Origin(
        key=key,
        new_passports=(
            throttle.Window(s.address_new_passports_per_10s, 10),
            throttle.Window(s.address_new_passports_per_hour, 3_600),
        ),
        writes=(throttle.Window(s.address_writes_per_10s, 10), throttle.Window(s.address_writes_per_hour, 3_600)),
        stances=(
            throttle.Window(s.address_stances_per_10s, 10),
            throttle.Window(s.address_stances_per_hour, 3_600),
        ),
        restore_failures=(throttle.Window(s.restore_failures_per_address, 600),),
        restore_failures_overall=(throttle.Window(s.restore_failures_overall, 600),),
    )


def session_key() -> str:
    """A random id of this browser session, for the throttles that count per session (nothing personal)."""
    key = st.session_state.get(SESSION_KEY)
    if not isinstance(key, str):
        key = st.session_state[SESSION_KEY] = uuid.uuid4().hex
    return key
