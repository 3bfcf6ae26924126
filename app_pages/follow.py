"""Suivre ma contribution: « Qu'est devenue ma contribution ? », by its receipt code or from « Mes contributions ».

No account: the receipt code is the participant's proof (throttled in the store against guessing). Every text
here was typed by someone (the participant, staff): st.text only; the app's own words in captions.
"""

import streamlit as st

from services import throttle
from services.contributions import followup
from services.exports import md_escape
from ui import edition, participant, store

K_CODE = "follow_code"
K_OWN = "follow_own_id"  # set by « Mes contributions »: one of this phone's contributions to show
K_FOUND = "follow_journey"
K_NOTE = "follow_note"

_MARKS = {followup.DONE: "✓", followup.WAITING: "…", followup.REFUSED: "✗"}


def _look_up() -> None:
    st.session_state[K_OWN] = None
    st.session_state[K_FOUND] = None
    code = st.session_state.get(K_CODE) or ""
    if not code.strip():
        st.session_state[K_NOTE] = "Indiquez le code de reçu de votre contribution."
        return
    try:
        journey = store.write(
            followup.follow_by_code, code=code, session_key=participant.session_key(), origin=participant.origin()
        )
    except throttle.Throttled as exc:
        st.session_state[K_NOTE] = exc.message
        return
    st.session_state[K_FOUND] = journey
    st.session_state[K_NOTE] = None if journey is not None else followup.UNKNOWN_CODE


def _draw(journey: followup.Journey) -> None:
    with st.container(border=True, key="follow_journey_box"):
        st.subheader(f"Contribution {journey.receipt_code}", anchor=False)
        st.caption(f"{md_escape(journey.theme)} · {md_escape(journey.origin)} · reçue le {journey.received_at}")
        st.text(journey.text)
    st.subheader("Son parcours", anchor=False)
    for number, step in enumerate(journey.steps, start=1):
        with st.container(border=True, key=f"follow_step_{number}"):
            st.text(f"{_MARKS.get(step.state, '•')} {step.title}")
            if step.detail:
                st.caption(md_escape(step.detail))
            if step.quote:
                st.text(step.quote)


current = edition.active_edition()
st.title("Suivre ma contribution")
st.caption(
    "Qu'est devenue votre contribution ? Saisissez le code de reçu affiché après l'envoi (par exemple K7QF-MC3R) : "
    "vous voyez si elle est publiée, regroupée avec d'autres et quelles orientations de la stratégie elle a nourries."
)

own_id = st.session_state.get(K_OWN)
if isinstance(own_id, int):
    own = store.read(
        followup.own_journey, device_token=participant.device_token(), contribution_id=own_id, edition_id=current.id
    )
    if own is not None:
        _draw(own)

with st.form("follow_form", border=True, enter_to_submit=True):
    st.text_input("Code de reçu", key=K_CODE, max_chars=followup.RECEIPT_MAX_CHARS, placeholder="K7QF-MC3R")
    st.form_submit_button("Voir son parcours", type="primary", icon=":material/search:", on_click=_look_up)

note = st.session_state.get(K_NOTE)
if note:
    st.error(note, icon=":material/error:")
found = st.session_state.get(K_FOUND)
if found is not None:
    _draw(found)

st.page_link("app_pages/my_contributions.py", label="Mes contributions", icon=":material/inbox:")
st.page_link(
    "app_pages/my_data.py", label="Mes données : les télécharger ou les effacer", icon=":material/shield_person:"
)
