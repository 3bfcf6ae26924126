"""Résultats: an edition's results for everyone, no login, once staff publish them (services.publication).

Before publication the page says so and shows nothing else. The results come from the shared cache
(ui/public_results.py): the same for every visitor, computed once per data version.
"""

import streamlit as st

from ui import edition
from ui import public_results as results

current = edition.active_edition()

st.title("Résultats de la conférence")
if not results.results_published(current.id):
    st.info(results.NOT_YET, icon=":material/schedule:")
    st.stop()
results.draw_results(results.public_results_of(current.id))
results.offer_open_data(current.id, current.slug)
