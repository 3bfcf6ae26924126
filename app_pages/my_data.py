"""Mes données: a participant downloads what the app holds about them, or erases it, with their own code (RGPD).

The receipt code of a contribution or the questionnaire's resume code is the person's proof, as at the staff's
privacy desk (app_pages/privacy.py, the same services). Codes typed are throttled in the store; each request
is in the audit trail. What people typed is shown in dataframes only.
"""

import pandas as pd
import streamlit as st

from services import privacy, throttle
from services.errors import ValidationError
from services.formatting import format_number
from services.labels import DISPLAY_MODE_LABELS, MODERATION_LABELS, REJECTION_CATEGORY_LABELS, label
from services.privacy.self_service import UNKNOWN_CODE
from ui import participant, store

K_CODE = "my_data_code"
K_CONFIRM = "my_data_confirm"
K_FOUND = "my_data_found"
K_NOTE = "my_data_note"


def _look_up() -> None:
    st.session_state[K_FOUND] = None
    code = st.session_state.get(K_CODE) or ""
    if not code.strip():
        st.session_state[K_NOTE] = ("error", "Indiquez votre code de reçu ou votre code de reprise.")
        return
    try:
        data = store.write(
            privacy.my_personal_data, code=code, session_key=participant.session_key(), origin=participant.origin()
        )
    except throttle.Throttled as exc:
        st.session_state[K_NOTE] = ("error", exc.message)
        return
    st.session_state[K_FOUND] = data
    st.session_state[K_NOTE] = None if data is not None else ("error", UNKNOWN_CODE)


def _erase() -> None:
    data = st.session_state.get(K_FOUND)
    if data is None:
        return
    try:
        report = store.write(
            privacy.erase_my_personal_data,
            code=data.code,
            confirmation=st.session_state.get(K_CONFIRM) or "",
            session_key=participant.session_key(),
            origin=participant.origin(),
        )
    except ValidationError as exc:
        st.session_state[K_NOTE] = ("error", " ".join(exc.errors.values()))
        return
    except throttle.Throttled as exc:
        st.session_state[K_NOTE] = ("error", exc.message)
        return
    if report is None:
        st.session_state[K_NOTE] = ("error", UNKNOWN_CODE)
        return
    # Committed: now the old copies of the pages can leave the database file.
    store.read(privacy.release_erased_pages)
    st.session_state[K_FOUND] = None
    st.session_state[K_CODE] = st.session_state[K_CONFIRM] = ""
    st.session_state[K_NOTE] = (
        "ok",
        "Vos données personnelles sont effacées : "
        f"{format_number(report.contributions)} contribution(s), {format_number(report.responses)} réponse(s) au "
        f"questionnaire, {format_number(report.devices)} téléphone(s) délié(s). Les textes restent, anonymisés, "
        "pour la stratégie.",
    )


def _draw(data: privacy.PersonalData) -> None:
    st.caption(
        f"Téléphone relié : {'oui' if data.device_linked else 'non'} · soutiens : {format_number(data.supports)} · "
        f"visites de stands : {format_number(data.visits)}"
    )
    if data.contributions:
        with_category = any(c.rejection_category for c in data.contributions)
        rows = [
            {
                # The text first after the code: on a phone the later columns are a swipe away.
                "Reçu": c.receipt_code,
                "Statut": label(MODERATION_LABELS, c.status),
                # The category staff chose when rejecting (never their internal note).
                **({"Motif": label(REJECTION_CATEGORY_LABELS, c.rejection_category, "")} if with_category else {}),
                "Texte": c.text,
                "Nom": c.author_name,
                "Organisation": c.organisation,
                "Affichage": label(DISPLAY_MODE_LABELS, c.display_mode),
                "Date": c.created_at,
            }
            for c in data.contributions
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="my_data_contributions")
    if data.responses:
        rows = [
            {"Date": r.created_at, "Nom": r.respondent_name, "Courriel": r.email, "Organisation": r.organisation}
            for r in data.responses
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="my_data_responses")
    st.download_button(
        "Télécharger mes données (JSON)",
        privacy.personal_data_json(data),
        file_name="mes-donnees.json",
        mime="application/json",
        key="my_data_download",
        on_click="ignore",
        icon=":material/download:",
    )
    with st.container(border=True, key="my_data_erase_box"):
        st.subheader("Effacer mes données", anchor=False)
        st.caption(
            "L'effacement retire votre nom, votre organisation, votre courriel et le lien avec votre téléphone ; les "
            "données personnelles de vos textes sont masquées. Les textes restent, anonymisés, pour la stratégie. "
            "C'est définitif."
        )
        st.text_input("Retapez votre code pour confirmer", key=K_CONFIRM, max_chars=privacy.SELF_CODE_MAX_CHARS + 6)
        st.button("Effacer mes données", key="my_data_erase", type="primary", on_click=_erase)


st.title("Mes données")
st.caption(
    "Avec le code de reçu d'une contribution ou le code de reprise du questionnaire, consultez ce que l'application "
    "garde à votre sujet, téléchargez-le ou effacez-le vous-même. Sans compte ; chaque demande est notée au "
    "registre de l'équipe, sans votre code en entier."
)
with st.form("my_data_form", border=True, enter_to_submit=True):
    st.text_input(
        "Code de reçu ou de reprise",
        key=K_CODE,
        max_chars=privacy.SELF_CODE_MAX_CHARS + 6,
        placeholder="K7QF-MC3R",
    )
    st.form_submit_button("Voir mes données", type="primary", icon=":material/search:", on_click=_look_up)

note = st.session_state.get(K_NOTE)
if note:
    kind, message = note
    if kind == "ok":
        st.success(message, icon=":material/check_circle:")
    else:
        st.error(message, icon=":material/error:")
found = st.session_state.get(K_FOUND)
if found is not None:
    _draw(found)
