"""Le circuit: every open stand of the session's edition, theme by theme, each a link to its page (where an
unknown code sends people)."""

import pandas as pd
import streamlit as st

from services.exports import md_escape
from ui import circuit, edition, store

current = edition.active_edition()
st.title("Le circuit de la chasse aux trésors")
st.caption(
    "Les stands présentent des expériences de l'ESS, regroupées par thème. Scannez le QR code d'un stand "
    "ou ouvrez-le ci-dessous, puis touchez « J'ai visité ce stand »."
)
stands = circuit.open_stands(current.id)
if not stands:
    st.info("Le circuit n'est pas encore ouvert.")
for theme in store.themes(current.id):
    mine = [s for s in stands if s.theme_id == theme.id]
    if not mine:
        continue
    circuit.theme_band(theme.color, theme.label)
    st.dataframe(
        pd.DataFrame(
            {
                "N°": [s.position for s in mine],
                "Stand": [s.name for s in mine],
                # The edition in the link too: the stand page must open this edition's stand of that code.
                "Page": [f"stand?code={s.code}&edition={current.slug}" for s in mine],
            }
        ),
        column_config={"Page": st.column_config.LinkColumn("Page", display_text="Ouvrir")},
        hide_index=True,
        width="stretch",
        key=f"circuit_theme_{theme.id}",
    )
st.page_link("app_pages/passport.py", label="Mon passeport", icon=":material/badge:")
st.page_link("app_pages/ptce.py", label=md_escape(current.projects_label), icon=":material/hub:")
