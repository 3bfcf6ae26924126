"""Verdict de la salle: what the room says of each proposed orientation, live, for the organisers' laptops
and the room's projector (the adequacy check that the second plenary debates).

Filters and sort outside the fragments (changing one redraws the page once). Every 2 s: the headline counts,
the diverging bars per orientation and the table, from one vote-version read and the cached rollups
(ui/verdict.py), so a tap shows within 3 s. Every 10 s: how the stances moved during the day, and the honest
numbers (a phone is a cookie; new phones per minute, for an anomaly to show).

Everything is the active edition's (the staff sidebar's choice).
"""

from datetime import UTC, datetime
from urllib.parse import quote

import pandas as pd
import streamlit as st

from services.formatting import format_number, format_percent, to_paris
from services.labels import VOTE_ORIGIN_LABELS
from services.permissions import Permission
from services.verdict import SMALL_SAMPLE, VERDICT_LABELS, Verdict, VerdictFilter, sort_verdicts
from ui import charts, store
from ui import verdict as vlive
from ui.auth import require
from ui.components.live import choose_among, open_live_page

require(Permission.LIVE)
st.set_page_config(layout="wide")

SORT_LABELS = {
    "division": "Les plus partagées",
    "consensus": "Le plus large accord",
    "rejection": "Les plus rejetées",
    "weighed_in": "Le plus d'avis",
    "position": "Ordre de présentation",
}
# The movement over the day: this many orientations when none is chosen (more lines read as noise).
TOP_OVER_TIME = 5
DEFAULT_PLENARY_S = 30
TABLE_COLUMNS = [
    "Orientation",
    "Avis",
    "Accord",
    "Division",
    "Rejet",
    "Verdict",
    "D'accord",
    "Avec réserves",
    "Pas d'accord",
    "Passent",
    "Papier",
    "Vote",
    "Thème",
]
PLOTLY_CONFIG = {"displaylogo": False, "displayModeBar": False, "scrollZoom": False}
CAVEAT = (
    "Un avis est compté par téléphone (un cookie du navigateur) : un participant qui efface ses cookies puis "
    "vote de nouveau compte deux fois. Les bulletins papier sont comptés à part, tels que saisis par l'équipe."
)


INTRO = (
    "Ce que les participants disent de chaque orientation proposée, en un geste sur leur téléphone (et les "
    "bulletins papier saisis par l'équipe). Les chiffres, les barres et le tableau se mettent à jour seuls "
    "toutes les 2 secondes ; l'évolution au fil de la journée, toutes les 10 secondes. Les parts sont "
    "calculées sur les avis exprimés (« passer » n'en fait pas partie) ; en dessous de "
    f"{format_number(SMALL_SAMPLE)} avis, une orientation est signalée comme un petit échantillon."
)


def _chart(spec: charts.Spec, key: str, alt: str) -> None:
    st.plotly_chart(charts.figure(spec), key=key, config=PLOTLY_CONFIG, theme=None, alt=alt)


def _short(title: str, limit: int = 40) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _percent(share: float | None) -> str:
    return "—" if share is None else format_percent(100 * share)


current, themes, theme_names, departement_labels, actor_labels = open_live_page("Verdict de la salle", INTRO)
edition_id = current.id

# Filters and sort: outside the live fragments, so changing one redraws the whole page once.
f_themes, f_origins, f_actors, f_departements, f_sort = st.columns(5)
theme_ids = choose_among(f_themes, "Thèmes", theme_names, placeholder="Tous les thèmes", key="verdict_themes")
origins = choose_among(
    f_origins, "Origines", VOTE_ORIGIN_LABELS, placeholder="Toutes les origines", key="verdict_origins"
)
actor_types = choose_among(f_actors, "Types d'acteur", actor_labels, placeholder="Tous", key="verdict_actor_types")
departements = choose_among(
    f_departements, "Départements", departement_labels, placeholder="Tous", key="verdict_departements"
)
sort_key = f_sort.selectbox(
    "Trier par", options=list(SORT_LABELS), format_func=SORT_LABELS.__getitem__, key="verdict_sort"
)
filters = VerdictFilter(
    theme_ids=tuple(theme_ids),
    origins=tuple(origins),
    actor_types=tuple(actor_types),
    departements=tuple(departements),
)
filtered = filters != VerdictFilter()


def _table(rows: list[Verdict]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Orientation": f"{v.code} · {v.title}",
                "Thème": theme_names.get(v.theme_id, ""),
                "Avis": format_number(v.weighed_in),
                "D'accord": format_number(v.agree),
                "Avec réserves": format_number(v.reservations),
                "Pas d'accord": format_number(v.disagree),
                "Passent": format_number(v.skip),
                "Accord": _percent(v.consensus),
                "Division": _percent(v.division),
                "Rejet": _percent(v.rejection),
                "Verdict": VERDICT_LABELS[v.kind],
                "Papier": format_number(v.paper),
                "Vote": "ouvert" if v.vote_open else "clos",
            }
            for v in rows
        ],
        columns=TABLE_COLUMNS,
    )


@st.fragment(run_every=vlive.REFRESH_S)
@store.storage_faults_reported(retry=False)  # the database may be restarting
def headline(filters: VerdictFilter, sort_key: str) -> None:
    """The counts, the bars and the table: one version read, then the cached board."""
    board = vlive.board(edition_id, filters, vlive.version())
    rows = sort_verdicts(board.rows, sort_key)
    answered = sum(v.answered for v in rows)
    paper = sum(v.paper for v in rows)
    cols = st.columns([3, 2, 2, 2])
    cols[0].metric(
        "Participants qui ont donné un avis",
        format_number(board.summary.voters),
        help="Téléphones qui ont donné au moins un avis, sur toute l'édition (les filtres ne s'y appliquent pas).",
    )
    cols[1].metric(
        "Avis",
        format_number(answered),
        help="Avis sur les orientations affichées, « passer » compris"
        + (", pour les filtres choisis." if filtered else "."),
    )
    paper_share = f" ({format_percent(100 * paper / answered)})" if answered else ""
    cols[2].metric("Dont bulletins papier", f"{format_number(paper)}{paper_share}")
    cols[3].metric("Mis à jour à", to_paris(datetime.now(UTC)).strftime("%H:%M:%S"))
    st.caption(CAVEAT)
    if not rows:
        st.info("Aucune orientation n'est soumise à l'avis des participants pour ces filtres.")
        return
    _chart(charts.verdict_chart(rows), "verdict_chart_bars", "Avis de la salle par orientation")
    st.dataframe(_table(rows), hide_index=True, width="stretch", key="verdict_table")
    st.caption(
        "Accord : part des avis exprimés d'accord, avec ou sans réserves. Rejet : part « pas d'accord ». "
        "Division : 100 % quand la salle se partage à parts égales, 0 % quand elle est unanime. Papier : "
        "bulletins papier compris dans ces avis."
    )


@st.fragment(run_every=vlive.DETAILS_REFRESH_S)
@store.storage_faults_reported(retry=False)  # the database may be restarting
def details(filters: VerdictFilter, sort_key: str, followed: tuple[int, ...]) -> None:
    """How the stances moved during the day, and the honest numbers: every 10 s."""
    version = vlive.version()
    board = vlive.board(edition_id, filters, version)
    by_id = {v.orientation_id: v for v in board.rows}
    if followed:
        shown = [by_id[i] for i in followed if i in by_id]
    else:
        shown = [v for v in sort_verdicts(board.rows, sort_key) if v.weighed_in][:TOP_OVER_TIME]
    names = {v.orientation_id: f"{v.code} · {_short(v.title)}" for v in shown}
    moved, honest = st.columns([3, 2], gap="large")
    with moved:
        st.subheader("Comment les avis ont évolué")
        st.caption(
            "Part des avis exprimés d'accord (avec ou sans réserves) à la fin de chaque quart d'heure, heure de "
            "Paris, pour les orientations choisies ci-dessus ou, à défaut, les "
            f"{format_number(TOP_OVER_TIME)} premières du tri. Seul le filtre des origines s'y applique."
        )
        frame = vlive.over_time(tuple(names), filters.origins, version)
        _chart(charts.verdict_time_chart(frame, names), "verdict_chart_time", "Évolution des avis")
    with honest, st.container(border=True, key="verdict_honest"):
        st.subheader("Des chiffres honnêtes")
        st.caption(CAVEAT)
        devices = vlive.new_devices(edition_id, vlive.current_minute())
        peak = int(devices["devices"].max()) if not devices.empty else 0
        total = int(devices["devices"].sum()) if not devices.empty else 0
        st.text(
            f"Nouveaux téléphones par minute, ces {format_number(vlive.DEVICES_MINUTES)} dernières minutes : "
            f"{format_number(total)} au total, au plus {format_number(peak)} en une minute."
        )
        _chart(charts.new_devices_chart(devices), "verdict_chart_devices", "Nouveaux téléphones par minute")
        st.caption(
            "Une rafale de nouveaux téléphones sans afflux dans la salle peut signaler des cookies effacés ou un "
            "script : comparez avec le nombre de personnes présentes."
        )
        paper = sum(v.paper for v in board.rows)
        answered = sum(v.answered for v in board.rows)
        share = format_percent(100 * paper / answered) if answered else "—"
        st.text(f"Bulletins papier : {format_number(paper)} avis sur {format_number(answered)} ({share}).")


headline(filters, sort_key)

# The orientations followed over the day: outside the fragments (a choice redraws the page once).
everything = vlive.board(edition_id, VerdictFilter(), vlive.version()).rows
labels = {v.orientation_id: f"{v.code} · {v.title}" for v in everything}
followed = st.multiselect(
    "Orientations suivies au fil de la journée",
    options=list(labels),
    format_func=labels.__getitem__,
    max_selections=len(charts.SERIES_COLORS),
    placeholder=f"Les {format_number(TOP_OVER_TIME)} premières du tri",
    key="verdict_followed",
)
details(filters, sort_key, tuple(followed))

with st.expander("Vue plénière (projecteur)"):
    st.write(
        "Une page plein écran en gros caractères, sans menu, pour la deuxième partie en plénière : les "
        "orientations sur lesquelles la salle est la plus partagée, l'une après l'autre, avec leur barre d'avis, "
        "le nombre d'avis et quelques « pourquoi ? » publiés (jamais ceux qui attendent la modération). Ouvrez-la "
        "sur l'ordinateur relié au projecteur, puis passez en plein écran (touche F11)."
    )
    codes = {
        "": "Les plus partagées, l'une après l'autre",
        **{v.code: f"{v.code} · {_short(v.title)}" for v in everything},
    }
    pick, every = st.columns(2)
    code = pick.selectbox(
        "Orientation affichée",
        options=list(codes),
        format_func=codes.__getitem__,
        key="verdict_plenary_orientation",
        help="Une orientation choisie reste à l'écran : celle que la salle débat.",
    )
    seconds = every.number_input(
        "Changer d'orientation toutes les (secondes)",
        min_value=5,
        max_value=600,
        value=DEFAULT_PLENARY_S,
        step=5,
        disabled=bool(code),
        key="verdict_plenary_every",
    )
    # The screen names its edition: it opens without the staff sidebar that chose it here.
    which = f"orientation={quote(code)}" if code else f"rotation={int(seconds)}"
    st.link_button(
        "Ouvrir la vue plénière",
        f"projecteur?edition={current.slug}&vue=pleniere&{which}",
        icon=":material/tv:",
    )
