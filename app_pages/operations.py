"""Opérations du jour: the organisers' one page while the conference runs, refreshing itself.

The moderation queue and its oldest item, decisions per quarter hour, contributions per hour by origin, the
stands nobody visited lately, new devices per minute and the store's health, with the alerts of the figures that
left their normal range (services/operations.py says each threshold and why). Everything is the edition chosen
in the staff sidebar's. Alerts are Streamlit's own: st.error and st.warning are ARIA alerts (read out when one
appears or changes, not at each refresh, as the fragment keeps what did not change), the all-clear an st.success
status (polite).
"""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from services import operations
from services.formatting import format_datetime, format_number, to_paris
from services.operations import AlertLevel, OperationsBoard
from services.permissions import Permission
from ui import charts, edition, store
from ui.auth import require
from ui.charts import operations as ops_charts

require(Permission.LIVE)
st.set_page_config(layout="wide")

REFRESH_S = 10
# Shared by every organiser of this process: at most one read (and one write-latency probe) per few seconds.
CACHE_TTL_S = 5
PLOTLY_CONFIG = {"displayModeBar": False}
EDITION_ID = edition.edition_id()

st.title("Opérations du jour")
st.caption(
    "Les chiffres utiles pour tenir la journée, sur une seule page : modération, contributions, circuit, "
    f"appareils et santé de la base. La page se met à jour seule toutes les {REFRESH_S} secondes ; "
    "une alerte s'affiche en haut dès qu'un chiffre sort de sa plage normale."
)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=8, show_spinner=False)
def _board(edition_id: int) -> OperationsBoard:
    # The edition's figures, the same for every organiser: nothing here is one person's.
    return store.read(operations.operations_board, now=datetime.now(UTC), edition_id=edition_id)


def _chart(spec: charts.Spec, key: str, alt: str) -> None:
    st.plotly_chart(charts.figure(spec), key=key, config=PLOTLY_CONFIG, theme=None, alt=alt)


def _size(n_bytes: int) -> str:
    return f"{format_number(n_bytes / 1_000_000, 1)} Mo"


def _latency(seconds: float) -> str:
    ms = seconds * 1000
    return f"{format_number(ms, 1 if ms < 10 else 0)} ms"


def _alerts(board: OperationsBoard) -> None:
    if not board.alerts:
        st.success("Tous les indicateurs sont dans leur plage normale.", icon=":material/check_circle:")
    for alert in board.alerts:
        if alert.level == AlertLevel.ERROR:
            st.error(alert.message, icon=":material/error:")
        else:
            st.warning(alert.message, icon=":material/warning:")


def _headline(board: OperationsBoard) -> None:
    # Two rows of three: on a laptop, six abreast cut the labels.
    wait = board.backlog.oldest_wait(board.now)
    last = board.decisions[-1] if board.decisions else None
    devices = board.new_devices["devices"].tolist()
    cols = st.columns(3)
    cols[0].metric("À modérer", format_number(board.backlog.pending))
    cols[1].metric(
        "Attente la plus longue",
        "—" if wait is None else operations.format_duration(wait),
        help=None
        if board.backlog.oldest_pending_at is None
        else f"Reçue le {format_datetime(board.backlog.oldest_pending_at)}",
    )
    cols[2].metric(
        "Décisions ce quart d'heure",
        format_number(0 if last is None else last.published + last.rejected),
        help="Contributions publiées ou rejetées depuis le début du quart d'heure en cours.",
    )
    cols = st.columns(3)
    cols[0].metric(
        "Stands sans visite depuis 30 min",
        f"{format_number(len(board.idle_stands))} / {format_number(board.stands_open)}",
    )
    cols[1].metric(
        "Nouveaux appareils",
        format_number(devices[-2] if len(devices) > 1 else 0),
        help="Téléphones vus pour la première fois pendant la dernière minute complète.",
    )
    cols[2].metric("Mis à jour à", to_paris(board.now).strftime("%H:%M:%S"))


def _charts(board: OperationsBoard) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Modération par quart d'heure")
        _chart(ops_charts.decisions_chart(board.decisions), "ops_chart_decisions", "Décisions par quart d'heure")
    with right:
        st.subheader("Contributions par heure et par origine")
        _chart(ops_charts.origins_chart(board.by_origin), "ops_chart_origins", "Contributions par heure et origine")
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Stands sans visite depuis 30 minutes")
        if not board.idle_stands:
            st.text("Chaque stand ouvert a eu une visite ces 30 dernières minutes.")
        else:
            st.dataframe(
                pd.DataFrame(
                    {
                        "N°": [s.position for s in board.idle_stands],
                        "Stand": [f"{s.code} · {s.name}" for s in board.idle_stands],
                        "Dernière visite": [
                            "jamais" if s.last_visit_at is None else format_datetime(s.last_visit_at)
                            for s in board.idle_stands
                        ],
                    }
                ),
                hide_index=True,
                width="stretch",
                key="ops_idle_stands",
            )
    with right:
        st.subheader("Nouveaux appareils par minute")
        _chart(charts.new_devices_chart(board.new_devices, height=260), "ops_chart_devices", "Nouveaux appareils")


def _health(board: OperationsBoard) -> None:
    st.subheader("Santé de la base")
    health = board.health
    if health.last_backup_at is None:
        backup, backup_help = "aucune", "Aucune sauvegarde notée par « manage.py backup » dans cette base."
    else:
        backup = format_datetime(health.last_backup_at)
        backup_help = f"Il y a {operations.format_duration(board.now - health.last_backup_at)}."
    cols = st.columns(3)
    cols[0].metric(
        "Taille de la base",
        _size(health.size_bytes),
        help="SQLite : les pages du fichier (journal d'écriture à part)."
        if health.dialect == "sqlite"
        else "PostgreSQL : pg_database_size.",
    )
    cols[1].metric("Dernière sauvegarde", backup, help=backup_help)
    cols[2].metric(
        "Latence d'écriture",
        _latency(health.write_latency_s),
        help="Temps pour commencer une écriture comme le fait un participant (rien n'est enregistré).",
    )


@st.fragment(run_every=REFRESH_S)
@store.storage_faults_reported(retry=False)  # the database may be restarting
def _live() -> None:
    board = _board(EDITION_ID)
    _alerts(board)
    _headline(board)
    _charts(board)
    _health(board)


_live()
