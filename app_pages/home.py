"""Home: what this edition of the conference is, the way in for each kind of user, its themes, key figures."""

import streamlit as st

from services.exports import md_escape
from services.formatting import format_figure, format_number
from ui import edition, store
from ui.auth import current_account
from ui.navigation import page_title, visible_pages

VOTE_PAGE = "app_pages/vote.py"

current = edition.active_edition()
# Headers, captions and metric labels take Markdown: the edition's texts are typed by staff, so they are escaped.
st.title(md_escape(current.name), anchor=False)
st.text(" · ".join(part for part in ("Économie sociale et solidaire", current.place_and_date) if part))

# The participant's way in comes first: on a phone it must be visible without scrolling.
with st.container(border=True):
    st.markdown("**Vous participez à la conférence ?**")
    st.write(
        "Sans compte ni inscription, depuis votre téléphone : donnez votre avis sur les orientations "
        "proposées et parcourez le circuit d'exposition. Les informations personnelles sont toujours facultatives."
    )
    # The adequacy check first: one tap per orientation, the morning's plenary still in mind.
    st.page_link(VOTE_PAGE, label="Donner mon avis sur les orientations proposées", icon=":material/how_to_vote:")
    for spec in visible_pages(None):
        if not spec.default and spec.path != VOTE_PAGE:
            st.page_link(spec.path, label=page_title(spec), icon=spec.icon)

if current.introduction:
    st.text(current.introduction)

# The headline figures are the ones the edition's pack gives a short label (metric labels are cut after ~25
# characters on a laptop), in the pack's order, at most three side by side.
headline = [f for f in store.key_figures(current.id) if f.short_label][:3]
if headline:
    for col, figure in zip(st.columns(len(headline)), headline, strict=True):
        value = format_number(figure.value) if figure.unit == "emplois" else format_figure(figure.value, figure.unit)
        year = f" en {figure.year}" if figure.year else ""
        source = f" Source : {figure.source}." if figure.source else ""
        col.metric(md_escape(figure.short_label), value, help=md_escape(f"{figure.label}{year}.{source}"))

themes = store.themes(current.id)
st.subheader(f"Les {format_number(len(themes))} thèmes de la stratégie")
for number, theme in enumerate(themes, start=1):
    with st.container(border=True):
        st.text(f"{number}. {theme.label}")
        st.caption(md_escape(theme.description))

st.subheader("Équipes de la Région, de l'État et de l'organisation")
account = current_account()
if account is None:
    st.write("Connectez-vous dans « Espace équipe », dans le menu latéral (icône » en haut à gauche sur téléphone).")
else:
    for spec in visible_pages(account):
        if spec.permission is not None:
            st.page_link(spec.path, label=page_title(spec), icon=spec.icon)
