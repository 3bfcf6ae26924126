"""Rejoindre: the projector's page, a large QR code to the form, its address in words, the running count.

The QR code names the session's edition (`?edition=<slug>`), so phones land on this conference's form; the address
written for people to type names it only when it is not the edition reached without one (the default), to keep it
short enough to read from the back of the room.
"""

import re

import streamlit as st

from core.config import get_settings
from services import contributions
from services.formatting import format_number
from services.qrcodes import edition_base_url, local_address_problem, page_url, qr_png, short_address
from ui import edition, store

# Shown on the room's projector: the whole width, the menu folded away (calls to set_page_config add up).
st.set_page_config(layout="wide", initial_sidebar_state="collapsed")


# The same image for every viewer and every refresh: shared cache, keyed by the address.
@st.cache_data(max_entries=4, show_spinner=False)
def _qr(url: str) -> bytes:
    return qr_png(url, scale=16, border=2)


current = edition.active_edition()


# The projector refreshes the count on its own; only this fragment reruns, not the page.
@st.fragment(run_every=5)
@store.storage_faults_reported(retry=False)  # the database may be restarting
def _running_count() -> None:
    count = store.read(contributions.count_contributions, edition_id=current.id)
    st.metric("Contributions déjà reçues", format_number(count))


base = edition_base_url(current.public_base_url, get_settings().base_url)
url = page_url(base, "contribuer", edition=current.slug)
typed = url if not current.is_default else page_url(base, "contribuer")
# The address comes from settings (or the edition's, typed by staff): Markdown's own characters are escaped.
address = re.sub(r"([\\`*_{}\[\]()#+!|<>~])", r"\\\1", short_address(typed))

st.title("Participez à la stratégie régionale de l'ESS")
# A local address (the default http://localhost:8501) is drawn all the same, as a preview, under a warning.
local = local_address_problem(current.public_base_url, get_settings().base_url, on_screen=True)
if local:
    st.warning(local, icon=":material/wifi_off:")
left, right = st.columns([1, 1], gap="large", vertical_alignment="center")
with left:
    st.image(_qr(url), width="stretch", alt=f"QR code vers {short_address(typed)}")
with right:
    st.markdown("#### Scannez le QR code avec l'appareil photo de votre téléphone, ou tapez :")
    # One unbroken line in its column: a long address gets a smaller heading rather than a break mid-word.
    level = "#" if len(address) <= 20 else "##" if len(address) <= 28 else "###" if len(address) <= 38 else "####"
    st.markdown(f"{level} {address}")
    st.markdown("**Sans compte, sans inscription, en moins d'une minute.**")
    st.caption("Choisissez un thème, écrivez votre idée, envoyez : un code de reçu vous confirme qu'elle est arrivée.")
    _running_count()
