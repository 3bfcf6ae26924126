"""The live pages under AppTest: the organisers' dashboard and the room's screen, for every role."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from models import Contribution, Theme
from services import tallies
from services.contributions import ContributionDraft, submit_contribution
from services.permissions import Permission, role_allows
from tests.app_pages.helpers import ROLES, account, app_as, script, texts
from tests.editions import load_second_edition
from ui import tallies as live

pytestmark = pytest.mark.usefixtures("app_env")

DASHBOARD = "app_pages/dashboard.py"
PROJECTOR = "app_pages/projector.py"
PUBLISHED = "Des conventions pluriannuelles d'objectifs plutôt que des appels à projets d'un an."
PENDING = "Un texte pasencoremodere qui attend la modération et ne doit jamais aller à l'écran."
MARKUP = "**gras** [clic](javascript:alert(1)) <img src=x onerror=alert(1)> : du texte, rien d'autre."
# The bars per theme, always; then the open tab's charts only (the first tab when the URL names none).
CHARTS_PER_TAB = {
    "Au fil du temps": ["direct_chart_time"],
    "Origines et publics": ["direct_chart_sources", "direct_chart_departements", "direct_chart_actors"],
    "Orientations": ["direct_chart_stances"],
    "Mots": [f"direct_chart_words_{n}" for n in range(1, 6)],
    "Circuit": ["direct_chart_circuit", "direct_chart_stands"],
}


def add(body: str, *, theme: int = 1, status: str = "published", source: str = "conference", **extra: object) -> int:
    with session_scope(write=True) as session:
        receipt = submit_contribution(
            session=session,
            draft=ContributionDraft(
                theme_id=theme,
                body=body,
                idempotency_key=uuid.uuid4().hex,
                status=status,
                source=source,
                **({"created_at": datetime(2016, 6, 28, 9, 30, tzinfo=UTC)} | extra),  # type: ignore[arg-type]
            ),
            edition_id=session.get(Theme, theme).edition_id,  # type: ignore[union-attr]
        )
    return receipt.contribution_id


@pytest.fixture
def day() -> None:
    add(PUBLISHED, theme=1)
    add(PENDING, theme=1, status="pending")
    add("Mieux faire connaître les scop et les coopératives d'activité.", theme=2, source="workshop")
    add("Une contribution rejetée par la modération ne compte jamais.", theme=3, status="rejected")


def open_page(role: str | None, path: str, query: dict[str, str] | None = None) -> AppTest:
    at = app_as(role).run()
    if query:
        at.query_params.update(query)
    at.switch_page(path).run()
    assert not at.exception
    return at


def chart_keys(at: AppTest) -> list[str]:
    return [str(el.key) for el in at.get("plotly_chart")]


def headline(at: AppTest) -> list[str]:
    return [str(m.value) for m in at.metric][:4]


def specs(at: AppTest) -> str:
    """Every chart's Plotly spec, as readable text (JSON escapes undone)."""
    return "\n".join(json.dumps(json.loads(el.proto.spec), ensure_ascii=False) for el in at.get("plotly_chart"))


def markup_rendering(at: AppTest) -> str:
    """What went through elements that render Markdown or HTML (never user text)."""
    parts = [
        str(el.value) for kind in ("title", "header", "subheader", "markdown", "caption") for el in getattr(at, kind)
    ]
    parts += [str(el.value) for kind in ("success", "error", "warning", "info") for el in getattr(at, kind)]
    parts += [el.proto.body for el in at.get("html")]
    parts += [str(m.label) for m in at.metric]
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Who may open them


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", [DASHBOARD, PROJECTOR])
def test_live_pages_for_every_role(role: str | None, path: str, day: None) -> None:
    at = app_as(role).run()
    if not role_allows(role, Permission.LIVE):
        with pytest.raises(ValueError):  # not even registered for this session
            at.switch_page(path)
        return
    at.switch_page(path).run()
    assert not at.exception
    if path == DASHBOARD:
        assert "En direct" in [t.value for t in at.title]
        # 3 counted (the rejected one never), 2 published, 1 awaiting moderation.
        assert headline(at) == ["3", "2", "1", "0"]
        assert chart_keys(at) == ["direct_chart_themes", "direct_chart_time"]
    else:
        assert not at.title  # large type of its own, no page title
        assert len(at.get("plotly_chart")) == 2


@pytest.mark.parametrize("role", [None, "nobody"])
@pytest.mark.parametrize("path", [DASHBOARD, PROJECTOR])
def test_live_pages_guard_themselves_when_run_directly(role: str | None, path: str) -> None:
    at = AppTest.from_file(script(path), default_timeout=30)
    if role is not None:
        at.session_state["staff_account"] = account(role)
    at.run()
    assert not at.exception
    assert not at.get("plotly_chart") and not at.metric
    assert "réservée aux équipes habilitées" in texts(at)


# ---------------------------------------------------------------------------------------------
# The dashboard


@pytest.mark.parametrize("tab", list(CHARTS_PER_TAB))
def test_each_tab_draws_only_its_own_charts_and_is_named_in_the_url(
    tab: str, day: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed: list[str] = []
    for name in ("top_words", "circuit_summary"):  # the two tallies the board does not hold
        real = getattr(tallies, name)

        def noted(real: Callable[..., object] = real, name: str = name, **kw: object) -> object:
            computed.append(name)
            return real(**kw)

        monkeypatch.setattr(tallies, name, noted)  # the module ui.tallies calls through
    at = open_page("organizer", DASHBOARD, {"vue": tab})
    assert chart_keys(at) == ["direct_chart_themes", *CHARTS_PER_TAB[tab]]
    assert at.query_params.get("vue") == (None if tab == "Au fil du temps" else tab)  # the first tab: no parameter
    assert computed == {"Mots": ["top_words"], "Circuit": ["circuit_summary"]}.get(tab, [])
    assert [t.label for t in at.tabs if t.children] == [tab]  # the other tabs are empty
    assert not at.exception


def test_an_unknown_tab_in_the_url_opens_the_first_one(day: None) -> None:
    at = open_page("organizer", DASHBOARD, {"vue": "<script>alert(1)</script>"})
    assert not at.exception
    assert chart_keys(at) == ["direct_chart_themes", "direct_chart_time"]
    assert "vue" not in at.query_params  # dropped from the URL
    at.session_state["vue"] = "Circuit"  # the program's way to open a tab (a click reruns the fragment only)
    at.run()
    assert chart_keys(at) == ["direct_chart_themes", *CHARTS_PER_TAB["Circuit"]]


def test_filters_apply_to_every_tally(day: None) -> None:
    at = open_page("organizer", DASHBOARD, {"vue": "Mots"})
    at.multiselect(key="direct_themes").set_value([2]).run()
    assert not at.exception
    assert headline(at) == ["1", "1", "0", "0"]
    assert chart_keys(at) == ["direct_chart_themes", "direct_chart_words_2"]  # one theme's words instead of five
    assert at.query_params.get("vue") == "Mots"  # a filter reruns the whole page: the open tab stays
    at.query_params.pop("vue")  # back to the first tab, the chart over time
    at.session_state["vue"] = "Au fil du temps"
    at.multiselect(key="direct_themes").set_value([]).run()
    at.multiselect(key="direct_sources").set_value(["conference"]).run()
    assert headline(at) == ["2", "1", "1", "0"]
    at.selectbox(key="direct_window").set_value("1h").run()  # the day was in 2016: nothing in the last hour
    assert not at.exception
    assert headline(at) == ["0", "0", "0", "0"]
    assert "Aucune contribution sur cette période" in specs(at)
    at.selectbox(key="direct_window").set_value("day").run()  # the day of the latest contribution by default
    assert headline(at) == ["2", "1", "1", "0"]
    chosen = at.date_input(key="direct_day").value
    assert isinstance(chosen, date) and chosen.isoformat() == "2016-06-28"


def test_a_new_contribution_shows_at_the_next_refresh_and_a_moderation_within_the_ttl(day: None) -> None:
    at = open_page("staff", DASHBOARD)
    assert headline(at)[0] == "3"
    add("Une nouvelle idée arrivée d'un autre téléphone pendant la plénière.", theme=4)
    at.run()  # what the fragment's timer does: the data version changed, so the cache is not used
    assert headline(at)[:2] == ["4", "3"]
    with session_scope(write=True) as session:  # a moderator rejects it: no new id, the TTL bounds the delay
        session.execute(
            update(Contribution).where(col(Contribution.body).startswith("Une nouvelle")).values(status="rejected")
        )
    live.clear()  # what a write in this process does (other processes wait for the TTL)
    at.run()
    assert headline(at)[:2] == ["3", "2"]
    assert live.TTL_S <= 3 and live.REFRESH_S + 0.5 < 3  # a new contribution within 3 s, a moderation within 5 s


def test_latest_contributions_are_plain_text_and_pending_ones_only_on_request(day: None) -> None:
    add(MARKUP, theme=3)
    at = open_page("organizer", DASHBOARD, {"vue": "Mots"})  # the words' charts hold what people typed
    shown = [str(t.value) for t in at.text]
    assert PUBLISHED in shown and MARKUP in shown
    assert PENDING not in shown
    rendered = markup_rendering(at)
    assert "javascript" not in rendered and "onerror" not in rendered and "**gras**" not in rendered
    assert "<img" not in specs(at) and "javascript:" not in specs(at)
    at.toggle(key="direct_pending").set_value(True).run()
    assert not at.exception
    assert PENDING in [str(t.value) for t in at.text]
    assert "pasencoremodere" not in specs(at)  # words come from published texts only, whatever the toggle


def test_charts_use_the_theme_colours_and_french_numbers(day: None) -> None:
    with session_scope(write=True) as session:  # enough to need a thousands separator
        for n in range(1200):
            submit_contribution(
                session=session,
                draft=ContributionDraft(
                    theme_id=4,
                    body=f"Contribution numéro {n} sur la coopération entre structures du territoire.",
                    idempotency_key=uuid.uuid4().hex,
                    status="published",
                ),
            )
    at = open_page("admin", DASHBOARD)
    assert headline(at)[0] == "1\u202f203"
    themes_chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert themes_chart["layout"]["separators"] == ",\u202f"
    colors = {c for trace in themes_chart["data"] for c in (trace.get("marker", {}).get("color") or []) if c}
    assert {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00"} <= colors
    assert "1\u202f200" in specs(at)


def test_the_dashboard_links_to_the_room_screen(day: None) -> None:
    at = open_page("organizer", DASHBOARD)
    at.selectbox(key="direct_screen_theme").set_value("emploi").run()
    assert not at.exception
    assert at.get("link_button")[0].proto.url == "projecteur?edition=pays-de-la-loire-2016&theme=emploi"


# ---------------------------------------------------------------------------------------------
# The room's screen


def test_projector_shows_one_theme_and_only_published_text(day: None) -> None:
    add(MARKUP, theme=1)
    at = open_page("organizer", PROJECTOR, {"theme": "institutions"})
    shown = "\n".join(str(t.value) for t in at.text)
    assert "Acteurs de l'ESS et institutions publiques : une relation privilégiée ?" in shown
    assert MARKUP[:60] in shown or PUBLISHED[:60] in shown  # the two newest published texts of the theme
    everything = "\n".join([shown, markup_rendering(at), specs(at), str([m.value for m in at.metric])])
    assert "pasencoremodere" not in everything and "attend la modération" not in everything
    assert "javascript:" not in markup_rendering(at) and "<img" not in specs(at)
    assert [str(m.value) for m in at.metric] == ["3", "4"]  # on this theme (2 published + 1 pending), all themes
    assert "contribuer" in shown  # the join address under the QR code
    assert at.get("imgs") or at.get("image")


def test_projector_rotates_through_the_themes_from_the_clock(day: None) -> None:
    at = open_page("staff", PROJECTOR, {"rotation": "5"})
    kicker = str(at.text[0].value)
    assert "suivant dans" in kicker and " sur 5" in kicker and "ces 15 dernières minutes" in kicker
    labels = {
        "Acteurs de l'ESS et institutions publiques : une relation privilégiée ?",
        "Un mode d'entreprendre à essaimer et développer",
        "Soutien et développement de l'emploi",
        "Coopération, mutualisation et mise en réseau au profit des territoires",
        "Communication et promotion de l'ESS",
    }
    assert labels & {str(t.value) for t in at.text}


def test_projector_hides_the_sidebar_and_its_login_widgets(day: None) -> None:
    at = open_page("organizer", PROJECTOR, {"theme": "emploi"})
    css = "\n".join(el.proto.body for el in at.get("html"))
    assert '[data-testid="stSidebar"]' in css and "display: none" in css
    assert "border-left: 18px solid #009E73" in css  # the theme's colour, from the themes table


def test_words_are_recounted_for_a_publication_not_for_a_pending_contribution(
    day: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[object] = []
    real = tallies.top_words

    def counting(**kwargs: object) -> object:  # the real count, noted
        counted.append(kwargs["filters"])
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tallies, "top_words", counting)
    at = open_page("organizer", DASHBOARD, {"vue": "Mots"})
    assert len(counted) == 1
    add("Une monnaie locale complémentaire pour les territoires ruraux.", theme=5, status="pending")
    at.run()
    assert not at.exception and len(counted) == 1  # the board moved, the words did not need to
    add("La monnaie locale soutient les commerces de proximité.", theme=5)
    at.run()  # published: counted again at once, not after the words' time-to-live
    assert len(counted) == 2
    assert "monnaie" in specs(at)


# ---------------------------------------------------------------------------------------------
# Two editions in one store

SECOND_SLUG = "centre-val-de-loire-2022"
SECOND_TEXT = "Une idée berruyere pour les tiers-lieux du Cher, vue à Bourges."


@pytest.fixture
def second_edition(day: None) -> dict[str, int]:
    """The Centre-Val de Loire edition beside 2016 (same theme code « emploi »), with contributions of its own:
    two published on « emploi », one awaiting moderation; the 2016 day keeps its 3 counted contributions."""
    with session_scope(write=True) as session:
        edition_id = load_second_edition(session)
        themes = {t.code: t.id or 0 for t in session.exec(select(Theme).where(Theme.edition_id == edition_id))}
    for status in ("published", "published", "pending"):
        add(SECOND_TEXT, theme=themes["emploi"], status=status, created_at=datetime(2022, 11, 24, 9, tzinfo=UTC))
    return themes


def test_the_dashboard_shows_only_the_chosen_edition(second_edition: dict[str, int]) -> None:
    at = app_as("organizer")
    at.session_state["edition_slug"] = SECOND_SLUG  # what the staff sidebar's edition switch keeps
    at.run()
    at.switch_page(DASHBOARD).query_params.update({"vue": "Mots"})
    at.run()
    assert not at.exception
    assert headline(at) == ["3", "2", "1", "0"]  # its own three, never the 2016 ones
    assert "Conférence régionale de l'ESS 2022 · Centre\\-Val de Loire · Bourges · 24/11/2022" in [
        str(c.value) for c in at.caption
    ]
    shown = [str(t.value) for t in at.text]
    assert SECOND_TEXT in shown and PUBLISHED not in shown
    # One chart of words per theme of this edition (4), none for the 2016 themes.
    assert chart_keys(at) == ["direct_chart_themes", *(f"direct_chart_words_{i}" for i in second_edition.values())]
    everything = specs(at)
    assert "Emploi et inclusion" in everything and "Relations avec les institutions" not in everything
    assert "berruyere" in everything and "conventions" not in everything
    assert at.multiselect(key="direct_themes").options == [
        "Accompagner et financer",
        "Emploi et inclusion",
        "Innovation et transition",
        "Équilibre des territoires",
    ]
    chosen = at.date_input(key="direct_day").value
    assert isinstance(chosen, date) and chosen.isoformat() == "2022-11-24"  # its own last day
    at.selectbox(key="direct_screen_theme").set_value("emploi").run()
    assert at.get("link_button")[0].proto.url == f"projecteur?edition={SECOND_SLUG}&theme=emploi"


def test_the_default_edition_is_shown_without_a_choice(second_edition: dict[str, int]) -> None:
    at = open_page("organizer", DASHBOARD)
    assert headline(at) == ["3", "2", "1", "0"]  # the 2016 day's three
    shown = [str(t.value) for t in at.text]
    assert PUBLISHED in shown and SECOND_TEXT not in shown
    assert "berruyere" not in specs(at) and "Emploi et inclusion" not in specs(at)


def test_the_projector_named_by_its_url_shows_only_that_edition(second_edition: dict[str, int]) -> None:
    # The dashboard's link opens a new browser tab: a new session whose first run reads the URL.
    at = app_as("organizer")
    at.query_params.update({"edition": SECOND_SLUG, "theme": "emploi"})
    at.run()
    at.switch_page(PROJECTOR).run()
    assert not at.exception
    shown = "\n".join(str(t.value) for t in at.text)
    assert "Une économie inclusive : l'emploi au cœur de l'ESS" in shown
    assert "Soutien et développement de l'emploi" not in shown
    assert " sur 4" in shown and "Conférence régionale de l'ESS 2022" in shown
    assert SECOND_TEXT[:60] in shown and PUBLISHED[:60] not in shown
    assert [str(m.value) for m in at.metric] == ["3", "3"]  # this theme, every theme of this edition
    assert f"contribuer?edition={SECOND_SLUG}" in shown  # phones land on this conference
    css = "\n".join(el.proto.body for el in at.get("html"))
    assert f"screen_theme_{second_edition['emploi']}" in css
    assert not any(f"screen_theme_{i} " in css for i in range(1, 6))  # no rule for a 2016 theme
