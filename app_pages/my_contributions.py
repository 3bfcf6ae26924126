"""Mes contributions: what this phone sent, with receipt codes, found again after a reload (no account)."""

import streamlit as st

from services import contributions
from services.exports import md_escape
from services.formatting import format_datetime, format_number
from services.labels import MODERATION_LABELS, SOURCE_LABELS, STANCE_LABELS, label
from ui import edition, participant, store

FOLLOW_PAGE = "app_pages/follow.py"
FOLLOW_OWN_KEY = "follow_own_id"  # read by the follow-up page

st.title("Mes contributions")
st.caption(
    "Ce que vous avez envoyé depuis ce téléphone, avec vos codes de reçu. Pas de compte : le téléphone est "
    "reconnu par un identifiant anonyme gardé dans son navigateur."
)

token = participant.device_token()
current = edition.active_edition()
mine = store.read(contributions.list_device_contributions, device_token=token, edition_id=current.id)
supported = store.read(contributions.list_device_supports, device_token=token, edition_id=current.id)

if not mine:
    st.info("Vous n'avez encore rien envoyé depuis ce téléphone.", icon=":material/inbox:")
else:
    st.caption(f"{format_number(len(mine))} contribution{'s' if len(mine) > 1 else ''}, la plus récente en premier.")
for item in mine:
    with st.container(border=True, key=f"mine_{item.contribution_id}"):
        # The receipt code and the labels are the app's own words; what the participant wrote goes through st.text.
        st.markdown(f"**{item.receipt_code}** · {label(MODERATION_LABELS, item.status)}")
        origin = label(SOURCE_LABELS, item.source)
        st.caption(f"{md_escape(item.theme_label)} · {origin} · {format_datetime(item.created_at)}")
        if item.title:
            st.text(item.title)
        st.text(item.text)
        if item.orientation_title:
            stance = f" — {label(STANCE_LABELS, item.stance)}" if item.stance else ""
            st.text(f"Orientation : {item.orientation_title}{stance}")
        if item.stand_name:
            st.text(f"Stand : {item.stand_name}")
        if item.supports:
            st.caption(
                f"{format_number(item.supports)} soutien{'s' if item.supports > 1 else ''} d'autres participants"
            )
        if st.button("Voir son parcours", key=f"mine_follow_{item.contribution_id}", icon=":material/track_changes:"):
            # The follow-up page shows this phone's own contribution (checked again there against the token).
            st.session_state[FOLLOW_OWN_KEY] = item.contribution_id
            st.switch_page(FOLLOW_PAGE)

if supported:
    st.subheader("Les contributions que vous soutenez")
    for backed in supported:
        with st.container(border=True, key=f"backed_{backed.contribution_id}"):
            st.caption(f"{md_escape(backed.theme_label)} · soutenue le {format_datetime(backed.supported_at)}")
            if backed.text is None:
                st.caption("Cette contribution n'est plus affichée : elle est revenue en modération ou a été retirée.")
            else:
                st.text(backed.text if len(backed.text) <= 400 else backed.text[:400].rstrip() + "…")
            st.caption(f"{format_number(backed.supports)} soutien{'s' if backed.supports > 1 else ''} en tout")

st.page_link("app_pages/contribute.py", label="Écrire une contribution", icon=":material/edit_note:")
st.page_link(
    "app_pages/my_data.py", label="Mes données : les télécharger ou les effacer", icon=":material/shield_person:"
)
st.caption(
    "Pour corriger une contribution, adressez-vous à "
    f"{md_escape(current.privacy_contact) if current.privacy_contact else 'l’accueil de la conférence'} "
    "en donnant son code de reçu."
)
participant.remember_device()
