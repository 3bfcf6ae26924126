"""Widgets shared by every page (sidebar footer, section headers)."""

from __future__ import annotations

import streamlit as st

from services.auth import ROLE_LABELS, StaffAccount
from services.formatting import format_number
from ui import edition, language


def render_sidebar(account: StaffAccount | None) -> None:
    language.declare_french()
    if account is not None:
        # st.text, not markdown: a name is typed by an admin and must never be interpreted.
        st.sidebar.caption("Connecté·e en tant que")
        st.sidebar.text(f"{account.name} — {ROLE_LABELS.get(account.role, account.role)}")
    current = edition.render_switch(staff=account is not None)
    # st.text: the edition's name and city are typed by staff.
    st.sidebar.text(f"{current.name}\n{current.place_and_date}")


def metric_row(items: list[tuple[str, int]], *, per_row: int | None = None) -> None:
    """Counts side by side in French form (152 500), `per_row` to a row (all on one row by default)."""
    width = per_row or len(items)
    for start in range(0, len(items), width):
        chunk = items[start : start + width]
        for column, (label, value) in zip(st.columns(width), chunk, strict=False):
            column.metric(label, format_number(value))
