"""The questionnaire picker of the staff pages that work on one questionnaire (import, results)."""

from __future__ import annotations

import streamlit as st

from services import questionnaires as qs
from ui import store


def pick_questionnaire(edition_id: int, *, key: str) -> int:
    """The id of the edition's questionnaire chosen in a selectbox (the first one until another is chosen); stops
    the page with a notice when the edition has none.

    The widget's key is `key` followed by the edition: a choice made in another edition never lingers in this
    one's list.
    """
    summaries = store.read(qs.list_questionnaires, edition_id=edition_id)
    if not summaries:
        st.info("Aucun questionnaire n'est défini pour cette édition.")
        st.stop()
    by_id = {s.id: s.title for s in summaries}
    chosen = st.selectbox("Questionnaire", list(by_id), format_func=by_id.__getitem__, key=f"{key}_{edition_id}")
    return chosen if chosen in by_id else summaries[0].id
