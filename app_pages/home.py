"""Home: what the conference is, the way in for each kind of user, the five themes, key figures."""

import streamlit as st

from services.formatting import format_figure, format_number
from ui import store
from ui.auth import current_account
from ui.navigation import visible_pages

st.title("Conférence régionale de l'ESS")
st.caption("Économie sociale et solidaire · Pays de la Loire · Angers · 28/06/2016 · État et Région")

# The participant's way in comes first: on a phone it must be visible without scrolling.
with st.container(border=True):
    st.markdown("**Vous participez à la conférence ?**")
    st.write(
        "Sans compte ni inscription, depuis votre téléphone : donnez votre avis sur les orientations "
        "proposées et parcourez le circuit d'exposition. Les informations personnelles sont toujours facultatives."
    )
    for spec in visible_pages(None):
        if not spec.default:
            st.page_link(spec.path, label=spec.title, icon=spec.icon)

st.write(
    "Première conférence régionale de l'ESS des Pays de la Loire, prévue par la loi du 31/07/2014 "
    "relative à l'économie sociale et solidaire. Elle prépare la stratégie régionale de l'ESS, "
    "valable cinq ans : les orientations proposées sont présentées thème par thème, mises à l'épreuve "
    "pendant la chasse aux trésors du circuit d'exposition, puis débattues en plénière. Les "
    "contributions des ateliers de lancement, du questionnaire aux acteurs et de la conférence "
    "nourrissent la stratégie présentée pendant le mois de l'ESS, en novembre."
)

figures = {f.code: f for f in store.key_figures()}
# Short labels: metric labels are cut after ~25 characters on a laptop.
HEADLINE = (
    ("emplois-ess", "Emplois dans l'ESS régionale"),
    ("part-emploi-prive", "Part de l'emploi privé"),
    ("part-emploi-prive-france", "Moyenne nationale"),
)
for col, (code, label) in zip(st.columns(3), HEADLINE, strict=True):
    figure = figures.get(code)
    if figure is not None:
        value = format_number(figure.value) if figure.unit == "emplois" else format_figure(figure.value, figure.unit)
        col.metric(label, value, help=f"{figure.label} en {figure.year}. Source : {figure.source}.")

st.subheader("Les cinq thèmes de la stratégie")
for theme in store.themes():
    with st.container(border=True):
        st.markdown(f"**{theme.id}. {theme.label}**")
        st.caption(theme.description)

st.subheader("Équipes de la Région, de l'État, de la CRESS et de l'organisation")
account = current_account()
if account is None:
    st.write("Connectez-vous dans « Espace équipe », dans le menu latéral (icône » en haut à gauche sur téléphone).")
else:
    for spec in visible_pages(account):
        if spec.permission is not None:
            st.page_link(spec.path, label=spec.title, icon=spec.icon)
