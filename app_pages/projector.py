"""Écran de la salle: the live tallies on the projector, readable from the back of the room.

With ?vue=pleniere (opened from « Verdict de la salle »), the second plenary's view instead: the orientations
on which the room is most divided, one after the other (from the clock, like the themes), each with its
diverging bar of stances, how many weighed in, its verdict, and up to three published « pourquoi ? » texts
(one per side). Nothing that awaits moderation reaches this view either.

Full width, large type, no menu and no login widget in view; one theme at a time (in turn, or the one
given by ?theme=<code>), its words and its orientations, the QR code to contribute, and the latest
*published* contributions only: nothing that awaits moderation ever reaches this screen.
The edition is the one the URL names (?edition=<slug>, as « En direct » opens it), else the session's; the
QR code names it too, so that phones land on this conference whatever the default edition is.
"""

import re
import time
from pathlib import Path

import streamlit as st

from core.config import get_settings
from services.formatting import format_number
from services.permissions import Permission
from services.qrcodes import local_address_problem, page_url, short_address
from services.reference import ThemeInfo
from services.verdict import VERDICT_LABELS, Verdict, VerdictFilter
from ui import announce, charts, edition, store
from ui import tallies as live
from ui import verdict as vlive
from ui.auth import require

require(Permission.LIVE)
st.set_page_config(layout="wide", initial_sidebar_state="collapsed")

DEFAULT_ROTATION_S = 20
LATEST_SHOWN = 2
LATEST_CHARS = 170
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
PLENARY_VIEW = "pleniere"
PLENARY_SHOWN = 6  # the most divided orientations cycled in the plenary view
REASON_CHARS = 260
CSS_FILE = Path(__file__).resolve().parent.parent / "assets" / "css" / "projector.css"

current = edition.active_edition(staff=True)
edition_id = current.id
themes = store.themes(edition_id)
if not themes:
    st.info("Cette édition n'a pas encore de thème : rien à projeter.")
    st.stop()

# Our own CSS (no user text in it): hides Streamlit's chrome and the sidebar with its login and logout
# widgets, uses the whole screen, sets sizes that read at 10 m. The only variable part is each theme's
# colour, used once it is checked to be #rrggbb.
theme_rules = "\n".join(
    f".st-key-screen_theme_{t.id} {{ border-left: 18px solid {t.color}; }}"
    for t in themes
    if HEX_COLOR.fullmatch(t.color)
)
# The plenary view's reasons carry the colour of their side (our constants).
reason_rules = "\n".join(
    f".st-key-plenary_reason_{key} {{ border-left: 14px solid {color}; }}" for key, color in charts.VOTE_COLORS.items()
)
st.html(f"<style>{CSS_FILE.read_text(encoding='utf-8')}\n{theme_rules}\n{reason_rules}</style>")


def _rotation(params: dict[str, str]) -> tuple[ThemeInfo | None, int]:
    """The fixed theme (?theme=code) or None to rotate, and the rotation period (?rotation=s, 5–600)."""
    fixed = next((t for t in themes if t.code == params.get("theme")), None)
    try:
        seconds = int(params.get("rotation", DEFAULT_ROTATION_S))
    except ValueError:
        seconds = DEFAULT_ROTATION_S
    return fixed, min(max(seconds, 5), 600)


def _excerpt(text: str, limit: int = LATEST_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _current(fixed: ThemeInfo | None, rotation_s: int, now: float) -> int:
    """The theme on screen, from the clock rather than session state: every screen in the room agrees."""
    return themes.index(fixed) if fixed else int(now // rotation_s) % len(themes)


@st.fragment(run_every=live.REFRESH_S)
@store.storage_faults_reported(retry=False)  # the database may be restarting
def screen(fixed: ThemeInfo | None, rotation_s: int) -> None:
    """Everything that moves, except the numbers beside the QR code (their own fragment)."""
    now = time.time()
    index = _current(fixed, rotation_s, now)
    theme = themes[index]
    board = live.screen_board(edition_id, theme.id, live.version(), LATEST_SHOWN)

    with st.container(key="screen_kicker"):
        turn = "" if fixed else f" · suivant dans {int(rotation_s - now % rotation_s)} s"
        pace = f"{format_number(board.recent)} contribution{'s' if board.recent > 1 else ''} ces 15 dernières minutes"
        st.text(f"{current.name} · en direct · thème {index + 1} sur {len(themes)}{turn} · {pace}")
    with st.container(key=f"screen_theme_{theme.id}"):
        st.text(theme.label)

    words_col, stances_col = st.columns([8, 12], gap="large")
    with words_col, st.container(key="screen_heading"):
        st.text("Les mots qui reviennent")
        published = live.published_counts(board.by_theme, (theme.id,))
        words = live.top_words(edition_id, live.Selection(theme_ids=(theme.id,)), published, top=7)
        spec = charts.words_chart(words, theme, big=True, height=460, title=False)
        st.plotly_chart(
            charts.figure(spec), key="screen_chart_words", config={"staticPlot": True}, theme=None, alt="Mots"
        )
    with stances_col, st.container(key="screen_heading_stances"):
        st.text("Les orientations proposées")
        # Constant HTML (colours and names are ours): Plotly would fold this legend onto four lines.
        st.html(charts.stance_keys_html())
        spec = charts.stances_chart(board.stances, big=True, legend=False, title_chars=30, height=410)
        st.plotly_chart(
            charts.figure(spec), key="screen_chart_stances", config={"staticPlot": True}, theme=None, alt="Orientations"
        )

    with st.container(key="screen_heading_latest"):
        st.text("Dernières contributions publiées")
    with st.container(key="screen_latest"):
        if not board.latest:
            st.text("Les premières contributions publiées sur ce thème s'afficheront ici.")
        for column, item in zip(st.columns(LATEST_SHOWN, gap="large"), board.latest, strict=False):
            with column, st.container(border=True):
                # Participant text: plain text only, never Markdown or HTML.
                st.text(_excerpt(f"{item.title} — {item.text}" if item.title else item.text))


@st.fragment(run_every=live.REFRESH_S)
@store.storage_faults_reported(retry=False)  # the database may be restarting
def numbers(fixed: ThemeInfo | None, rotation_s: int) -> None:
    theme = themes[_current(fixed, rotation_s, time.time())]
    board = live.screen_board(edition_id, theme.id, live.version(), LATEST_SHOWN)  # the same cache entry as screen()
    row = board.by_theme[board.by_theme["theme_id"] == theme.id]
    with st.container(key="screen_numbers"):
        st.metric("Contributions sur ce thème", format_number(int(row["total"].iloc[0]) if not row.empty else 0))
        st.metric("Toutes thématiques", format_number(int(board.by_theme["total"].sum())))
    # The metrics are silent for screen readers; this summary is read politely, at most once a minute.
    total = int(board.by_theme["total"].sum())
    announce.polite_summary("screen_announce", f"{format_number(total)} contributions au total.")


@st.fragment(run_every=live.REFRESH_S)
@store.storage_faults_reported(retry=False)  # the database may be restarting
def plenary(rotation_s: int, pinned: str | None) -> None:
    """The most divided orientations in turn (or the one pinned by ?orientation=<code>, the one being debated),
    each with its bar, its verdict and a published reason per side."""
    now = time.time()
    version = vlive.version()
    board = vlive.board(edition_id, VerdictFilter(), version)
    fixed = [v for v in board.rows if v.code == pinned]
    shown = fixed or vlive.plenary_rows(board.rows, PLENARY_SHOWN)
    with st.container(key="screen_kicker"):
        voters = board.summary.voters
        who = (
            f"{format_number(voters)} participants ont donné un avis"
            if voters > 1
            else f"{format_number(voters)} participant a donné un avis"
        )
        if not shown:
            st.text(f"{current.name} · plénière · {who}")
        else:
            index = int(now // rotation_s) % len(shown)
            turn = f" · suivante dans {int(rotation_s - now % rotation_s)} s" if len(shown) > 1 else ""
            place = "" if fixed else f" · orientation {index + 1} sur {len(shown)}{turn}"
            st.text(f"{current.name} · plénière{place} · {who}")
    if not shown:
        with st.container(key="plenary_empty"):
            st.text(
                "Les avis des participants sur les orientations proposées s'afficheront ici dès les premiers votes."
            )
        return
    v = shown[index]
    theme = next((t for t in themes if t.id == v.theme_id), None)
    with st.container(key=f"screen_theme_{v.theme_id}"):
        st.text(f"{v.code} · {v.title}")
    _plenary_orientation(v, theme)
    reasons = vlive.reasons(edition_id, tuple(r.orientation_id for r in shown), version).get(v.orientation_id, [])
    with st.container(key="screen_heading_latest"):
        st.text(
            "Pourquoi ? Quelques avis publiés"
            if reasons
            else "Pas encore de « pourquoi ? » publié sur cette orientation"
        )
    with st.container(key="plenary_reasons"):
        for column, reason in zip(st.columns(max(len(reasons), 1), gap="large"), reasons, strict=False):
            with column, st.container(border=True, key=f"plenary_reason_{reason.choice}"):
                with st.container(key=f"plenary_side_{reason.choice}"):
                    st.text(charts.VOTE_NAMES[reason.choice])
                # Participant text: plain text only, never Markdown or HTML.
                st.text(_excerpt(f"{reason.title} — {reason.text}" if reason.title else reason.text, REASON_CHARS))
    with st.container(key="plenary_caveat"):
        st.text("Un avis par téléphone : un participant qui efface ses cookies puis vote de nouveau compte deux fois.")


def _plenary_orientation(v: Verdict, theme: ThemeInfo | None) -> None:
    bar, figures = st.columns([15, 5], gap="large")
    with bar:
        # Constant HTML (colours and names are ours), on one line above the bar.
        st.html(charts.vote_keys_html())
        spec = charts.verdict_chart([v], big=True, labels=False, notes=False, legend=False, height=300)
        st.plotly_chart(
            charts.figure(spec), key="plenary_chart", config={"staticPlot": True}, theme=None, alt="Avis de la salle"
        )
    with figures, st.container(key="screen_numbers"):
        st.metric("Avis exprimés", format_number(v.weighed_in))
        with st.container(key="plenary_verdict"):
            st.text(VERDICT_LABELS[v.kind])
        if theme is not None:
            with st.container(key="plenary_theme"):
                st.text(f"Thème : {theme.short_label}")


query = st.query_params.to_dict()
fixed_theme, rotation = _rotation(query)
if query.get("vue") == PLENARY_VIEW:
    pinned = query.get("orientation")
    plenary(rotation, pinned if isinstance(pinned, str) else None)
else:
    main, side = st.columns([20, 6], gap="large")
    with main:
        screen(fixed_theme, rotation)
    with side:
        numbers(fixed_theme, rotation)
        # Outside the fragments: the QR code is drawn once, not reloaded at every refresh (no blink), and kept
        # as PNG so that its modules stay sharp.
        url = page_url(current.public_base_url or get_settings().base_url, "contribuer", edition=current.slug)
        with st.container(key="screen_join"):
            # A local address is drawn all the same, as on the join page, under the warning that says what to set.
            local = local_address_problem(current.public_base_url, get_settings().base_url, on_screen=True)
            if local:
                st.warning(local, icon=":material/wifi_off:")
            st.image(live.qr_png(url), width="stretch", output_format="PNG", alt="QR code pour contribuer")
            st.text(f"Contribuez depuis votre téléphone :\n{short_address(url)}")
