"""Les PTCE: the eight pôles territoriaux de coopération économique the Région supports, on a map that needs no network.

The map is a plain plotly scatter of longitude/latitude (no tiles, no geo base map): the venue's Wi-Fi
may fail, and geo charts fetch their background from the internet. The région's départements are
labelled where their préfecture sits, so the points still read as a map of Pays de la Loire.
"""

import plotly.graph_objects as go
import streamlit as st

from services import ptce, reference
from services.formatting import format_number
from services.permissions import Permission, role_allows
from ui import auth, store

K_DEPT = "ptce_departement"
ALL = ""
NONE = ""

st.title("Les PTCE de la région")
st.caption(
    "Les pôles territoriaux de coopération économique réunissent, sur un territoire, des acteurs de l'ESS, "
    "des entreprises et des collectivités autour de projets communs. La Région en soutient huit."
)
departements = {
    code: name for code, name in store.read(reference.list_departements) if code in ptce.DEPARTEMENT_LABEL_POSITIONS
}
labels = {ALL: "Tous les départements", **{code: f"{code} · {name}" for code, name in departements.items()}}
chosen = st.selectbox("Département", list(labels), format_func=labels.__getitem__, key=K_DEPT)
cards = store.read(ptce.list_ptce_catalogue, departement=chosen or None)


def _map(cards: list[ptce.PtceCard]) -> go.Figure:
    fig = go.Figure()
    dep_lat = [lat for lat, _ in ptce.DEPARTEMENT_LABEL_POSITIONS.values()]
    dep_lon = [lon for _, lon in ptce.DEPARTEMENT_LABEL_POSITIONS.values()]
    fig.add_trace(
        go.Scatter(
            x=dep_lon,
            y=dep_lat,
            mode="text",
            text=[f"{departements.get(c, c)} ({c})" for c in ptce.DEPARTEMENT_LABEL_POSITIONS],
            textfont={"color": "#9aa0a6", "size": 13},
            textposition="bottom center",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    placed = [c for c in cards if c.lat is not None and c.lon is not None]
    fig.add_trace(
        go.Scatter(
            x=[c.lon for c in placed],
            y=[c.lat for c in placed],
            mode="markers",
            marker={"size": 14, "color": "#2e7d32", "line": {"width": 1, "color": "#ffffff"}},
            # hovertext is drawn as text by plotly, with no HTML interpretation of the names.
            hovertext=[c.territory for c in placed],
            hoverinfo="text",
            showlegend=False,
        )
    )
    fig.update_xaxes(range=[-2.7, 0.95], visible=False)
    fig.update_yaxes(range=[46.2, 48.65], visible=False, scaleanchor="x", scaleratio=1.45)
    fig.update_layout(height=420, margin={"l": 0, "r": 0, "t": 0, "b": 0}, plot_bgcolor="#f4f7f4", dragmode=False)
    return fig


st.plotly_chart(_map(cards), width="stretch", config={"displayModeBar": False}, key="ptce_map")
st.caption("Les points placent chaque pôle sur son territoire ; les noms des départements repèrent la carte.")

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
    st.info("Aucun PTCE soutenu par la Région dans ce département.")

# Staff (Région) keep the catalogue up to date and link contributions to a PTCE.
account = auth.current_account()
if account is not None and role_allows(account.role, Permission.CATALOGUE):
    st.divider()
    st.subheader("Équipe : tenir le catalogue")
    every = store.read(ptce.list_ptce_catalogue, latest=0)
    by_code = {c.code: c for c in every}
    names = {c.code: f"{c.departement} · {c.code}" for c in every}
    with st.expander("Modifier un PTCE", icon=":material/edit:"):
        chosen_code = st.selectbox("PTCE", list(names), format_func=names.__getitem__, key="ptce_edit_code")
        card = by_code[chosen_code]
        with st.form(f"ptce_edit_{chosen_code}"):
            values = {
                "name": st.text_input("Nom", value=card.name, max_chars=160),
                "carrier": st.text_input("Porteur", value=card.carrier, max_chars=200),
                "territory": st.text_input("Territoire", value=card.territory, max_chars=200),
                "description": st.text_area("Ce qu'il fait", value=card.description),
                "support": st.text_area("Soutien reçu", value=card.support),
                "lat": st.number_input("Latitude", value=card.lat or 47.4, format="%.4f"),
                "lon": st.number_input("Longitude", value=card.lon or -1.0, format="%.4f"),
            }
            saved = st.form_submit_button("Enregistrer")
        if saved and store.write_or_report(ptce.update_ptce, ptce_id=card.id, values=values, actor=account.username):
            st.success("PTCE enregistré.")
    with st.expander("Rattacher une contribution à un PTCE", icon=":material/link:"):
        with st.form("ptce_tag", clear_on_submit=True):
            receipt = st.text_input("Code de reçu de la contribution", max_chars=12, placeholder="K7QF-MC3R")
            options = {NONE: "Aucun (retirer le lien)", **{c.code: c.name for c in every}}
            target = st.selectbox("PTCE", list(options), format_func=options.__getitem__)
            tagged = st.form_submit_button("Rattacher")
        if tagged and store.write_or_report(
            ptce.tag_contribution_with_ptce, receipt_code=receipt, ptce_code=target or None, actor=account.username
        ):
            st.success("Lien enregistré.")
