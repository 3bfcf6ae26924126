"""Contributions close to the one being written, right under its text, each with a « Je soutiens celle-ci » button.

What other participants wrote is drawn with st.text, never as Markdown.
"""

from __future__ import annotations

import streamlit as st

from services import contributions, similar
from services.formatting import format_number
from ui import edition, forms, participant, store

PREVIEW_CHARS = 240


def note_key(key: str) -> str:
    """Where the answer to the last « Je soutiens » tap waits for the next run (("ok" | "error", message))."""
    return f"{key}_support_note"


def _support(contribution_id: int, key: str) -> None:
    token, origin, edition_id = participant.device_token(), participant.origin(), edition.edition_id()
    result = forms.SAVING.attempt(
        contributions.support_contribution,
        device_token=token,
        contribution_id=contribution_id,
        origin=origin,
        edition_id=edition_id,
    )
    if isinstance(result, forms.Failure):
        st.session_state[note_key(key)] = ("error", result.message)
        return
    note = "Merci : votre soutien est enregistré." if result.new else "Vous soutenez déjà cette contribution."
    st.session_state[note_key(key)] = ("ok", note)


def similar_contributions(theme_id: int | None, body: str, *, key: str) -> None:
    """The theme's published contributions close to `body`; `key` prefixes the widgets' keys (the page's)."""
    found = store.read(
        similar.find_similar_contributions,
        theme_id=theme_id,
        text=body,
        device_token=participant.device_token(),
        edition_id=edition.edition_id(),
    )
    note = st.session_state.get(note_key(key))
    if not found and not note:
        return
    if found:
        st.markdown("**Des contributions proches existent déjà**")
        st.caption(
            "Si l'une d'elles dit ce que vous vouliez dire, soutenez-la : un soutien compte autant qu'une "
            "contribution de plus. Vous pouvez aussi envoyer la vôtre."
        )
    for item in found:
        with st.container(border=True, key=f"{key}_similar_{item.contribution_id}"):
            if item.title:
                st.text(item.title)
            text = item.text
            st.text(text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS].rstrip() + "…")
            supports = f"{format_number(item.supports)} soutien{'s' if item.supports > 1 else ''}"
            if item.supported_by_me:
                st.caption(f"{supports} · vous la soutenez")
                continue
            st.caption(supports)
            st.button(
                "Je soutiens celle-ci",
                key=f"{key}_support_{item.contribution_id}",
                on_click=_support,
                args=(item.contribution_id, key),
                icon=":material/thumb_up:",
            )
    if note:
        kind, message = note
        (st.success if kind == "ok" else st.warning)(message)
