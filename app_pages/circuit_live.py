"""Circuit en direct: the treasure hunt's traffic for organisers, refreshing itself, and the welcome desk's check,
for the edition chosen in the sidebar."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from services import circuit
from services.formatting import format_datetime, format_percent, to_paris
from services.permissions import Permission
from services.reference import ThemeInfo
from ui import auth, edition, layout, store

auth.require(Permission.CIRCUIT)
REFRESH_S = 5
EDITION_ID = edition.edition_id()

st.title("Circuit en direct")


def _themes_chart(traffic: circuit.CircuitTraffic, themes: list[ThemeInfo]) -> None:
    st.subheader("Visites par thème")
    fig = go.Figure(
        go.Bar(
            x=[traffic.visits_by_theme.get(t.id, 0) for t in themes],
            y=[t.short_label for t in themes],
            orientation="h",
            marker_color=[t.color for t in themes],
        )
    )
    fig.update_layout(height=260, margin={"l": 0, "r": 0, "t": 10, "b": 0}, yaxis={"autorange": "reversed"})
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False}, key="circuit_live_themes")


def _quarters_chart(traffic: circuit.CircuitTraffic) -> None:
    st.subheader("Visites par quart d'heure")
    if traffic.visits_by_quarter:
        times = [to_paris(t) for t, _ in traffic.visits_by_quarter]
        fig = go.Figure(go.Bar(x=times, y=[n for _, n in traffic.visits_by_quarter], marker_color="#2e7d32"))
        fig.update_layout(height=260, margin={"l": 0, "r": 0, "t": 10, "b": 0}, xaxis={"tickformat": "%H:%M"})
        st.plotly_chart(fig, width="stretch", config={"displayModeBar": False}, key="circuit_live_quarters")
    else:
        st.caption("Aucune visite pour le moment.")


def _stand_tables(traffic: circuit.CircuitTraffic, names: dict[int, str]) -> None:
    st.subheader("Par stand")
    st.dataframe(
        pd.DataFrame(
            {
                "N°": [s.position for s in traffic.stands],
                "Stand": [s.name for s in traffic.stands],
                "Thème": [names.get(s.theme_id, "") for s in traffic.stands],
                "Visites": [s.visits for s in traffic.stands],
                "Contributions": [s.contributions for s in traffic.stands],
                "Visite → contribution": [
                    format_percent(100 * s.conversion) if s.conversion is not None else "—" for s in traffic.stands
                ],
            }
        ),
        hide_index=True,
        width="stretch",
        key="circuit_live_stands",
    )
    if traffic.unreached:
        st.subheader("Stands que personne n'a encore atteints")
        st.dataframe(
            pd.DataFrame({"N°": [s.position for s in traffic.unreached], "Stand": [s.name for s in traffic.unreached]}),
            hide_index=True,
            width="stretch",
            key="circuit_live_unreached",
        )


@st.fragment(run_every=REFRESH_S)
@store.storage_faults_reported(retry=False)  # the database may be restarting
def _live() -> None:
    traffic = store.read(circuit.circuit_traffic, edition_id=EDITION_ID)
    themes = store.themes(EDITION_ID)
    layout.metric_row(
        [
            ("Visites", sum(s.visits for s in traffic.stands)),
            ("Chasseurs", traffic.hunters),
            ("Trésors trouvés", traffic.treasures_found),
            ("Stands jamais visités", len(traffic.unreached)),
        ]
    )
    left, right = st.columns(2)
    with left:
        _themes_chart(traffic, themes)
    with right:
        _quarters_chart(traffic)
    _stand_tables(traffic, {t.id: t.short_label for t in themes})


_live()

st.subheader("Accueil : vérifier un code trésor")
with st.form("circuit_check", clear_on_submit=True):
    code = st.text_input("Code trésor présenté", max_chars=12, placeholder="T-K7QF4M")
    checked = st.form_submit_button("Vérifier")
if checked:
    found = store.read(circuit.check_treasure_code, code=code, edition_id=EDITION_ID)
    if found is None:
        st.error("Ce code trésor n'existe pas.")
    else:
        st.success(f"Code valable : trésor trouvé le {format_datetime(found.found_at)}.")
