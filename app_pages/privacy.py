"""Données personnelles: find what a receipt code, a phone's token or a resume code links to; export or erase it.

Erasure keeps the texts, anonymised, for the public-interest strategy; names, organisations, emails and
the link to the phone go. Every value shown here was typed by someone: dataframes and st.text only.
"""

import pandas as pd
import streamlit as st

from services import privacy
from services.formatting import format_number
from services.labels import DISPLAY_MODE_LABELS, MODERATION_LABELS, label
from services.permissions import Permission
from ui import store
from ui.auth import require

account = require(Permission.PRIVACY)

K_CODE = "privacy_code"
K_CONFIRM = "privacy_confirm"

st.title("Données personnelles")
st.caption(
    "Demandes d'accès et d'effacement : saisissez le code de reçu donné à la personne (ou le code de reprise "
    "du questionnaire, ou le jeton de son téléphone). L'effacement retire les noms, organisations, courriels et "
    "le lien avec le téléphone ; les textes restent, anonymisés, pour la stratégie. Les codes valent pour toutes "
    "les éditions de la conférence, archivées comprises."
)
code = st.text_input("Code", key=K_CODE, max_chars=privacy.CODE_MAX_CHARS, placeholder="ABCD-EFGH")
if code.strip():
    data = store.read(privacy.find_personal_data, code=code, actor=account.username)
    if data.empty:
        st.info("Aucune donnée n'est liée à ce code.")
    else:
        st.caption(
            f"Téléphone relié : {'oui' if data.device_linked else 'non'} · soutiens : {format_number(data.supports)} · "
            f"visites de stands : {format_number(data.visits)}"
        )
        if data.contributions:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Reçu": c.receipt_code,
                            "Édition": c.edition,
                            "Date": c.created_at,
                            "Statut": label(MODERATION_LABELS, c.status),
                            "Affichage": label(DISPLAY_MODE_LABELS, c.display_mode),
                            "Nom": c.author_name,
                            "Organisation": c.organisation,
                            "Texte": c.text,
                            "Déjà effacée": "oui" if c.erased else "non",
                        }
                        for c in data.contributions
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        if data.responses:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Réponse": r.response_id,
                            "Édition": r.edition,
                            "Date": r.created_at,
                            "Nom": r.respondent_name,
                            "Courriel": r.email,
                        }
                        for r in data.responses
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        st.download_button(
            "Télécharger ces données (JSON)",
            privacy.personal_data_json(data),
            file_name="donnees-personnelles.json",
            mime="application/json",
            key="privacy_download",
            on_click="ignore",
        )
        confirm = st.checkbox("Je confirme l'effacement des données personnelles liées à ce code", key=K_CONFIRM)
        if st.button("Effacer les données personnelles", key="privacy_erase", disabled=not confirm, type="primary"):
            report = store.write_or_report(privacy.erase_personal_data, code=code, actor=account.username)
            if report is not None:
                # Committed: now the old copies of the pages can leave the database file.
                store.read(privacy.release_erased_pages)
                st.success(
                    f"Effacement fait : {format_number(report.contributions)} contribution(s), "
                    f"{format_number(report.responses)} réponse(s) au questionnaire, "
                    f"{format_number(report.devices)} téléphone(s) délié(s)."
                )
