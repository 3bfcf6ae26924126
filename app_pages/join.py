"""Rejoindre: the projector's page, a large QR code to the form, its address in words, the running count."""

import streamlit as st

from core.config import get_settings
from services import contributions
from services.formatting import format_number
from services.qrcodes import page_url, qr_png, short_address
from ui import store


# The same image for every viewer and every refresh: shared cache, keyed by the address.
@st.cache_data(max_entries=4, show_spinner=False)
def _qr(url: str) -> bytes:
    return qr_png(url, scale=14, border=2)


# The projector refreshes the count on its own; only this fragment reruns, not the page.
@st.fragment(run_every=5)
def _running_count() -> None:
    count = store.read(contributions.count_contributions)
    st.metric("Contributions reçues", format_number(count))


url = page_url(get_settings().base_url, "contribuer")
address = short_address(url)

st.title("Participez à la stratégie régionale de l'ESS")
left, right = st.columns([5, 4], gap="large", vertical_alignment="center")
with left:
    st.image(_qr(url), width="stretch", caption="Scannez avec l'appareil photo de votre téléphone")
with right:
    st.markdown("#### Ou tapez cette adresse")
    # The address comes from settings, not from a user; as inline code it reads exactly as it must be typed.
    st.markdown(f"## `{address}`")
    st.markdown("**Sans compte, sans inscription, en moins d'une minute.**")
    st.caption("Choisissez un thème, écrivez votre idée, envoyez : vous recevez un code de reçu.")
    _running_count()
