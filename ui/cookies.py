"""Writing a first-party cookie from the page, which Streamlit cannot do itself.

A script of one constant line, through st.html(unsafe_allow_javascript=True). The only value placed in it
is the cookie's value, which must match COOKIE_VALUE_RE (the callers make it: a device token of
services.codes, a signed device cookie or the login JWT of services.auth), so nothing a user typed ever
reaches it. json.dumps makes a JavaScript string literal of the whole cookie; Secure is added when the app
is served over HTTPS.
"""

from __future__ import annotations

import json
import re

import streamlit as st

# Our names: a prefix, then (for the participants' per-edition cookies) an edition's slug, digits and dashes.
COOKIE_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,79}$")
COOKIE_VALUE_RE = re.compile(r"^[A-Za-z0-9_.-]{16,400}$")  # a device token, a signed cookie, a JWT


def write_cookie(name: str, value: str, *, days: float, same_site: str = "Lax") -> None:
    """Set `name=value` for the whole app for `days` days; refuses anything but our own names and values."""
    if not COOKIE_NAME_RE.fullmatch(name) or not COOKIE_VALUE_RE.fullmatch(value) or same_site not in {"Lax", "Strict"}:
        raise ValueError("refused cookie")
    cookie = f"{name}={value}; Max-Age={int(days * 86400)}; Path=/; SameSite={same_site}"
    st.html(
        "<script>document.cookie = "
        + json.dumps(cookie)
        + ' + (window.location.protocol === "https:" ? "; Secure" : "");</script>',
        unsafe_allow_javascript=True,
    )
