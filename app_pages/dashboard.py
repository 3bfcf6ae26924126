"""En direct: what the room is saying, for the organisers' laptops.

Two live fragments. Every 2 s, the counts, the bars per theme and the latest contributions beside them: a
new contribution shows within 3 s. Every 10 s, the detailed charts, in tabs of which only the open one is
computed and drawn; its name is in the URL (/direct?vue=Mots), but for the first tab's. Each change of a
figure makes the browser draw that chart anew: redrawing a dozen charts while contributions kept arriving
cost an organiser's browser about a processor core (bench/bench_load.py), and drawing them all made every
opening of the page wait.

Everything is the active edition's (the staff sidebar's choice): its themes, its figures, its name.
"""

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from services.formatting import format_datetime, format_number, to_paris
from services.labels import MODERATION_LABELS, SOURCE_LABELS, label
from services.permissions import Permission
from services.tallies import DataVersion, LatestContribution, Window
from ui import announce, charts, store
from ui import tallies as live
from ui import verdict as vlive
from ui.auth import require
from ui.components.live import choose_among, open_live_page

require(Permission.LIVE)
st.set_page_config(layout="wide")
# Our own constant CSS (no data in it): see the file.
st.html(f"<style>{(Path(__file__).resolve().parent.parent / 'assets' / 'css' / 'live.css').read_text()}</style>")

WINDOW_LABELS = {
    Window.ALL.value: "Depuis le début",
    Window.DAY.value: "Une journée",
    Window.LAST_3H.value: "Les 3 dernières heures",
    Window.LAST_HOUR.value: "La dernière heure",
}
STANCE_COLUMNS = [
    "Orientation",
    "Soutiens",
    "Avec réserves",
    "Désaccords",
    "Nouvelles propositions",
    "Total",
    "Soutien net",
]
VERDICT_PAGE = "app_pages/verdict.py"
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


INTRO = (
    "Les contributions de la conférence, des ateliers et du questionnaire, comptées à mesure qu'elles arrivent. "
    "Les chiffres clés, les contributions par thème et les dernières contributions se mettent à jour seuls toutes "
    "les 2 secondes, les graphiques détaillés (un onglet à la fois, plus bas) toutes les 10 secondes ; "
    "les filtres s'appliquent à tous les graphiques."
)


def _chart(spec: charts.Spec, key: str, alt: str, *, toolbar: bool = True) -> None:
    # A stable key per chart; a chart whose figure did not change is left as it is on screen.
    config = PLOTLY_CONFIG if toolbar else {"displayModeBar": False}
    st.plotly_chart(charts.figure(spec), key=key, config=config, theme=None, alt=alt)


current, themes, theme_names, departement_labels, actor_labels = open_live_page("En direct", INTRO)
edition_id = current.id

# Filters: outside the live fragment, so changing one redraws the whole page once.
f_themes, f_sources, f_window, f_day = st.columns([3, 3, 2, 2])
theme_ids = choose_among(f_themes, "Thèmes", theme_names, placeholder="Tous les thèmes", key="direct_themes")
sources = choose_among(f_sources, "Origines", SOURCE_LABELS, placeholder="Toutes les origines", key="direct_sources")
window = f_window.selectbox(
    "Période", options=list(WINDOW_LABELS), format_func=WINDOW_LABELS.__getitem__, key="direct_window"
)
day = f_day.date_input(
    "Jour",
    value=live.last_activity_day(edition_id),
    format="DD/MM/YYYY",
    disabled=window != Window.DAY.value,
    key="direct_day",
    help="Pour la période « Une journée » (heure de Paris).",
)
selection = live.Selection(
    theme_ids=tuple(theme_ids),
    sources=tuple(sources),
    window=window,
    day=day if window == Window.DAY.value else None,
)
shown_themes = [t for t in themes if not theme_ids or t.id in theme_ids]


def _latest_cards(items: list[LatestContribution]) -> None:
    if not items:
        st.text("Aucune contribution à afficher pour ces filtres.")
        return
    for item in items:
        with st.container(border=True):
            # Everything a participant typed (title, text, name) is drawn as plain text, never as Markdown.
            meta = " · ".join(
                [
                    format_datetime(item.created_at),
                    theme_names.get(item.theme_id, "?"),
                    label(SOURCE_LABELS, item.source),
                    label(MODERATION_LABELS, item.status),
                    item.author or "Anonyme",
                ]
            )
            st.text(meta)
            if item.title:
                st.text(item.title)
            st.text(item.text)


@st.fragment(run_every=live.REFRESH_S)
@store.storage_faults_reported(retry=False)  # the database may be restarting
def headline(selection: live.Selection) -> None:
    """The counts, the bars per theme and the latest contributions: one version read, then cached tallies."""
    version = live.version()
    board = live.dashboard_board(edition_id, selection, version)
    by_theme = board.by_theme
    # The stances of the adequacy check, from their own rollup and version (every edition's filters aside).
    votes = vlive.summary(edition_id, vlive.version())
    cols = st.columns([1, 1, 1, 1.25, 1.45, 1.2])  # room for the two longest labels on a laptop
    cols[0].metric("Contributions", format_number(int(by_theme["total"].sum())))
    cols[1].metric("Publiées", format_number(int(by_theme["published"].sum())))
    cols[2].metric("À modérer", format_number(int(by_theme["pending"].sum())))
    cols[3].metric("Dernier quart d'heure", format_number(board.recent))
    cols[4].metric(
        "Avis sur les orientations",
        format_number(votes.stances),
        help="Avis donnés en un geste sur les orientations proposées (bulletins papier compris), sans les filtres "
        "ci-dessus : le détail est dans « Verdict de la salle ».",
    )
    cols[5].metric("Mis à jour à", to_paris(datetime.now(UTC)).strftime("%H:%M:%S"))
    # The metrics are silent for screen readers; this summary is read politely, at most once a minute.
    announce.polite_summary(
        "direct_announce",
        f"Point de la salle : {format_number(int(by_theme['total'].sum()))} contributions, dont "
        f"{format_number(int(by_theme['pending'].sum()))} à modérer.",
    )

    left, right = st.columns([2, 3], gap="large")
    with left:
        st.subheader("Par thème")
        _chart(charts.themes_bar(by_theme, themes), "direct_chart_themes", "Contributions par thème")
    with right:
        st.subheader("Dernières contributions")
        include_pending = st.toggle(
            "Inclure celles qui attendent la modération (jamais sur l'écran de la salle)", key="direct_pending"
        )
        with st.container(height=420):
            _latest_cards(live.latest(edition_id, selection, version, limit=20, published_only=not include_pending))


@st.fragment(run_every=live.DETAILS_REFRESH_S)
def details(selection: live.Selection) -> None:
    """The detailed charts, one tab at a time: only the open tab is computed and drawn, every 10 s."""
    # The tabs first, whatever the store says: a run that skipped them would drop the open tab from the URL.
    tabs = st.tabs(list(live.DETAIL_TABS), key=live.TAB_PARAM, bind="query-params")
    for tab, draw in zip(tabs, (_time_tab, _origins_tab, _stances_tab, _words_tab, _circuit_tab), strict=True):
        if tab.open:
            with tab, store.storage_faults_reported(retry=False):  # the database may be restarting
                version = live.version()
                draw(selection, version, live.dashboard_board(edition_id, selection, version))


def _time_tab(selection: live.Selection, version: DataVersion, board: live.DashboardBoard) -> None:
    _chart(charts.time_chart(board.series, shown_themes), "direct_chart_time", "Contributions au fil du temps")


def _origins_tab(selection: live.Selection, version: DataVersion, board: live.DashboardBoard) -> None:
    by_source, by_departement, by_actor = st.columns(3, gap="large")
    with by_source:
        st.subheader("Par origine")
        order = list(sources or SOURCE_LABELS)
        spec = charts.category_bar(board.by_source, shown_themes, labels=SOURCE_LABELS, order=order)
        _chart(spec, "direct_chart_sources", "Contributions par origine")
    with by_departement:
        st.subheader("Par département")
        order = list(departement_labels)
        spec = charts.category_bar(board.by_departement, shown_themes, labels=departement_labels, order=order)
        _chart(spec, "direct_chart_departements", "Contributions par département")
    with by_actor:
        st.subheader("Par type d'acteur")
        spec = charts.category_bar(board.by_actor_type, shown_themes, labels=actor_labels)
        _chart(spec, "direct_chart_actors", "Contributions par type d'acteur")


def _stances_tab(selection: live.Selection, version: DataVersion, board: live.DashboardBoard) -> None:
    st.subheader("Les orientations proposées dans les contributions écrites")
    st.page_link(
        VERDICT_PAGE,
        label="Les avis en un geste sur chaque orientation : Verdict de la salle",
        icon=":material/how_to_vote:",
    )
    st.caption(
        "Les positions prises dans les contributions écrites qui citent une orientation. "
        "Les plus clivantes d'abord (autant de soutiens que de désaccords, et nombreux). Soutien net : part des "
        "soutiens, avec ou sans réserves, moins part des désaccords, en points ; les nouvelles propositions "
        "comptent dans le total sans pencher d'un côté."
    )
    stances = board.stances
    _chart(charts.stances_chart(stances), "direct_chart_stances", "Positions sur les orientations proposées")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Orientation": f"{s.code} · {s.title}",
                    "Soutiens": format_number(s.support),
                    "Avec réserves": format_number(s.reservations),
                    "Désaccords": format_number(s.disagreement),
                    "Nouvelles propositions": format_number(s.new_proposal),
                    "Total": format_number(s.total),
                    "Soutien net": "—" if s.net_support is None else f"{s.net_support:+.0f}".replace("-", "−"),
                }
                for s in stances
            ],
            columns=STANCE_COLUMNS,
        ),
        hide_index=True,
        width="stretch",
        height=250,
        key="direct_table_stances",
    )


def _words_tab(selection: live.Selection, version: DataVersion, board: live.DashboardBoard) -> None:
    by_theme = board.by_theme
    st.subheader("Les mots qui reviennent")
    st.caption(
        f"Dans les {format_number(live.WORDS_TEXTS_PER_THEME)} dernières contributions publiées de chaque thème, "
        "sans les mots outils ; nombre de contributions qui emploient chaque mot (recompté à chaque publication)."
    )
    words = live.top_words(edition_id, selection, live.published_counts(by_theme))
    # Three abreast at most: on a laptop narrower columns would leave the words no room.
    columns = [column for start in range(0, len(shown_themes), 3) for column in st.columns(3, gap="medium")]
    for column, theme in zip(columns, shown_themes, strict=False):
        with column:
            st.text(theme.short_label)
            spec = charts.words_chart(words[words["theme_id"] == theme.id].head(8), theme, height=300, title=False)
            _chart(spec, f"direct_chart_words_{theme.id}", f"Mots qui reviennent : {theme.short_label}", toolbar=False)


def _circuit_tab(selection: live.Selection, version: DataVersion, board: live.DashboardBoard) -> None:
    st.subheader("Le circuit d'exposition")
    circuit = live.circuit(edition_id, selection, version.last_visit_id)
    cols = st.columns(4)
    cols[0].metric("Visites de stands", format_number(circuit.visits))
    cols[1].metric("Chasseurs de trésors", format_number(circuit.hunters))
    cols[2].metric(
        "Trésors trouvés",
        format_number(circuit.treasures_found),
        help="Le trésor est celui de tout le circuit : ce nombre suit la période, pas le filtre des thèmes.",
    )
    cols[3].metric("Stands visités", f"{format_number(circuit.stands_visited)} / {format_number(circuit.stands_open)}")
    per_theme, per_stand = st.columns(2, gap="large")
    with per_theme:
        st.caption("Visites par thème")
        _chart(charts.circuit_themes_bar(circuit, shown_themes), "direct_chart_circuit", "Visites de stands par thème")
    with per_stand:
        st.caption("Les stands les plus visités")
        _chart(charts.stands_bar(circuit, themes), "direct_chart_stands", "Les stands les plus visités")


headline(selection)
st.page_link(
    VERDICT_PAGE,
    label="Verdict de la salle : l'avis des participants sur chaque orientation",
    icon=":material/how_to_vote:",
)
details(selection)

with st.expander("Écran de la salle (projecteur)"):
    st.write(
        "Une page plein écran en gros caractères, sans menu : le thème, les mots qui reviennent, les orientations, "
        "le QR code pour contribuer et les dernières contributions publiées (jamais celles qui attendent la "
        "modération). Ouvrez-la sur l'ordinateur relié au projecteur, puis passez en plein écran (touche F11)."
    )
    codes = ["", *(t.code for t in themes)]
    names = {"": "Tous les thèmes, l'un après l'autre", **{t.code: t.short_label for t in themes}}
    pick, every = st.columns(2)
    code = pick.selectbox("Thème affiché", codes, format_func=names.__getitem__, key="direct_screen_theme")
    seconds = every.number_input(
        "Changer de thème toutes les (secondes)",
        min_value=5,
        max_value=600,
        value=20,
        step=5,
        key="direct_screen_every",
    )
    # The screen names its edition: it opens without the staff sidebar that chose it here.
    query = f"edition={current.slug}&" + (f"theme={code}" if code else f"rotation={int(seconds)}")
    st.link_button("Ouvrir l'écran de la salle", f"projecteur?{query}", icon=":material/tv:")
