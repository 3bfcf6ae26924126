"""Widgets shared by every page (sidebar footer, section headers)."""

from __future__ import annotations

import streamlit as st

from services.auth import ROLE_LABELS, StaffAccount


def render_sidebar(account: StaffAccount | None) -> None:
    if account is not None:
        # st.text, not markdown: a name is typed by an admin and must never be interpreted.
        st.sidebar.caption("Connecté·e en tant que")
        st.sidebar.text(f"{account.name} — {ROLE_LABELS.get(account.role, account.role)}")
    st.sidebar.caption("Conférence régionale de l'ESS · Pays de la Loire · Angers, 28/06/2016")
