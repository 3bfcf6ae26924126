"""The edition's featured projects (in 2016, the PTCE the Région supports), on a map that needs no network.

The map draws the outlines of the edition's Région's départements shipped with the app (services.geo; no tiles,
no plotly geo base map): the venue's Wi-Fi may fail, and geo charts fetch their background from the internet.
"""

import streamlit as st

from services import geo, ptce
from services.errors import NotFoundError
from services.exports import md_escape
from services.formatting import format_number
from services.permissions import Permission, role_allows
from ui import auth, charts, edition, store

K_DEPT = "ptce_departement"
ALL = ""
NONE = ""

current = edition.active_edition()
every = store.read(ptce.list_ptce_catalogue, latest=0, edition_id=current.id)
home = geo.region(current.region_code) if current.region_name else None
home_departements = geo.departements_of_region(home.code) if home else []

# The edition's words, typed by staff: escaped for the Markdown of titles and captions.
st.title(md_escape(current.projects_label))
count = len(every)
if current.projects_intro:
    st.caption(md_escape(current.projects_intro))
st.text(
    f"{format_number(count)} au catalogue de cette édition." if count else "Aucun projet n'est encore au catalogue."
)
labels = {ALL: "Tous les départements", **{d.code: f"{d.code} · {d.name}" for d in home_departements}}
chosen = st.selectbox("Département", list(labels), format_func=labels.__getitem__, key=K_DEPT)
cards = store.read(ptce.list_ptce_catalogue, departement=chosen or None, edition_id=current.id)

if home is not None:
    region_map = geo.region_map([d.code for d in home_departements])
    points = [charts.MapPoint(c.lat, c.lon, c.territory) for c in cards if c.lat is not None and c.lon is not None]
    st.plotly_chart(
        charts.figure(charts.region_map_chart(region_map, points)),
        width="stretch",
        config={"displayModeBar": False},
        key="ptce_map",
    )
    st.caption(f"{home.name} : chaque point place un projet sur son territoire.")

for card in cards:
    with st.container(border=True, key=f"ptce_card_{card.code}"):
        st.text(card.name)
        st.caption(f"{card.departement_name} ({card.departement})")
        st.text(f"Porté par : {card.carrier}")
        st.text(f"Territoire : {card.territory}")
        if card.description:
            st.text(card.description)
        if card.support:
            st.caption("Soutien reçu")
            st.text(card.support)
        if card.stands:
            st.caption("Sur le circuit")
            for code, _name in card.stands:
                st.page_link(
                    "app_pages/stand.py",
                    label=f"Stand {code}",
                    query_params={"code": code},
                    icon=":material/storefront:",
                )
        n = card.contributions
        st.caption(f"{format_number(n)} contribution{'s' if n > 1 else ''} liée{'s' if n > 1 else ''}")
        for text in card.latest:
            st.text(text if len(text) <= 240 else text[:240].rstrip() + "…")
if not cards:
    st.info("Aucun projet du catalogue dans ce département.")

# Staff (Région) keep the catalogue up to date and link contributions to a project.
account = auth.current_account()
if account is not None and role_allows(account.role, Permission.CATALOGUE):
    st.divider()
    st.subheader("Équipe : tenir le catalogue")
    by_code = {c.code: c for c in every}
    names = {c.code: f"{c.departement} · {c.code}" for c in every}
    with st.expander("Modifier un projet", icon=":material/edit:"):
        chosen_code = st.selectbox("Projet", list(names), format_func=names.__getitem__, key="ptce_edit_code")
        card = by_code[chosen_code]
        lat, lon = card.lat, card.lon
        if lat is None or lon is None:  # a pôle not placed yet starts at its département's préfecture
            try:
                anchor = geo.departement(card.departement)
                lat, lon = anchor.lat, anchor.lon
            except NotFoundError:
                lat, lon = lat or 0.0, lon or 0.0
        with st.form(f"ptce_edit_{chosen_code}"):
            values = {
                "name": st.text_input("Nom", value=card.name, max_chars=160),
                "carrier": st.text_input("Porteur", value=card.carrier, max_chars=200),
                "territory": st.text_input("Territoire", value=card.territory, max_chars=200),
                "description": st.text_area("Ce qu'il fait", value=card.description),
                "support": st.text_area("Soutien reçu", value=card.support),
                "lat": st.number_input("Latitude", value=lat, format="%.4f"),
                "lon": st.number_input("Longitude", value=lon, format="%.4f"),
            }
            saved = st.form_submit_button("Enregistrer")
        if (
            saved
            and store.write_or_report(ptce.update_ptce, ptce_id=card.id, values=values, actor=account.username)
            is not None
        ):
            st.success("Projet enregistré.")
    with st.expander("Rattacher une contribution à un projet", icon=":material/link:"):
        with st.form("ptce_tag", clear_on_submit=True):
            receipt = st.text_input("Code de reçu de la contribution", max_chars=12, placeholder="K7QF-MC3R")
            options = {NONE: "Aucun (retirer le lien)", **{c.code: c.name for c in every}}
            target = st.selectbox("Projet", list(options), format_func=options.__getitem__)
            tagged = st.form_submit_button("Rattacher")
        if (
            tagged
            and store.write_or_report(
                ptce.tag_contribution_with_ptce,
                receipt_code=receipt,
                ptce_code=target or None,
                actor=account.username,
                edition_id=current.id,
            )
            is not None
        ):
            st.success("Lien enregistré.")
