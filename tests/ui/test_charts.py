"""The live figures: valid Plotly (checked here, skipped at each refresh), theme colours, French numbers and times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from services import geo
from services.reference import ThemeInfo
from services.tallies import CircuitSummary, OrientationStances, TimeSeries
from services.verdict import Verdict
from ui import charts

THEMES = [
    ThemeInfo(1, "institutions", "Acteurs de l'ESS et institutions publiques", "Institutions <b>", "#0072B2", ""),
    ThemeInfo(2, "entreprendre", "Un mode d'entreprendre", "Entreprendre", "#E69F00", ""),
]
COLORS = {"#0072B2", "#E69F00"}


def by_theme() -> pd.DataFrame:
    return pd.DataFrame({"theme_id": [1, 2], "published": [1200, 3], "pending": [34, 0], "total": [1234, 3]})


def series(bucket_s: int = 900) -> TimeSeries:
    frame = pd.DataFrame(
        {
            "bucket": pd.to_datetime(
                [datetime(2016, 6, 28, 6, 0, tzinfo=UTC), datetime(2016, 6, 28, 6, 30, tzinfo=UTC)]
            ),
            "theme_id": [1, 2],
            "count": [5, 2],
        }
    )
    frame["bucket"] = frame["bucket"].astype("datetime64[s, UTC]")
    return TimeSeries(bucket_s, frame)


def stances() -> list[OrientationStances]:
    return [
        OrientationStances(1, "T1-O1", 1, "Simplifier l'accès aux aides <script>", 3, 1, 2, 2),
        OrientationStances(2, "T2-O1", 2, "Faire connaître le modèle coopératif", 0, 0, 0, 0),
    ]


def circuit() -> CircuitSummary:
    return CircuitSummary(
        visits=1500,
        hunters=300,
        treasures_found=12,
        stands_open=15,
        stands_visited=2,
        by_theme=pd.DataFrame({"theme_id": [1, 2], "visits": [1000, 500]}),
        by_stand=pd.DataFrame(
            {
                "code": ["S01", "S04"],
                "name": ["Le portail ESSOR", "Les Ecossolies"],
                "theme_id": [1, 2],
                "visits": [1000, 500],
            }
        ),
    )


def verdicts() -> list[Verdict]:
    return [
        Verdict(1, "T1-O1", "Simplifier l'accès aux aides <script>", 1, 0, agree=1200, reservations=30, disagree=1100),
        Verdict(2, "T1-O2", "Faire connaître le modèle coopératif", 1, 1, agree=3, skip=2),
        Verdict(3, "T2-O1", "Personne encore", 2, 2),
    ]


def over_time() -> pd.DataFrame:
    at = pd.to_datetime([datetime(2016, 6, 28, 7, 15, tzinfo=UTC), datetime(2016, 6, 28, 7, 30, tzinfo=UTC)])
    return pd.DataFrame(
        {
            "orientation_id": [1, 1],
            "at": at.tz_convert("Europe/Paris"),
            "agree": [3, 10],
            "reservations": [0, 2],
            "disagree": [1, 8],
            "skip": [0, 1],
        }
    )


SPECS = {
    "themes": lambda: charts.themes_bar(by_theme(), THEMES),
    "time-quarters": lambda: charts.time_chart(series(), THEMES),
    "time-months": lambda: charts.time_chart(
        _spread(datetime(2016, 6, 28, 9, tzinfo=UTC), datetime(2026, 11, 22, 9, tzinfo=UTC)), THEMES
    ),
    "time-empty": lambda: charts.time_chart(TimeSeries(900, series().frame.iloc[0:0]), THEMES),
    "sources": lambda: charts.category_bar(
        pd.DataFrame({"key": ["conference", "conference", "online"], "theme_id": [1, 2, 1], "count": [1000, 234, 1]}),
        THEMES,
        labels={"conference": "Conférence", "online": "En ligne"},
        order=["conference", "online", "paper"],
    ),
    "stances": lambda: charts.stances_chart(stances()),
    "stances-big": lambda: charts.stances_chart(stances(), big=True, legend=False, title_chars=20),
    "verdict": lambda: charts.verdict_chart(verdicts()),
    "verdict-big": lambda: charts.verdict_chart(verdicts()[:1], big=True, labels=False, notes=False, legend=False),
    "verdict-empty": lambda: charts.verdict_chart([]),
    "verdict-time": lambda: charts.verdict_time_chart(over_time(), {1: "T1-O1 · Simplifier", 2: "T1-O2"}),
    "verdict-time-empty": lambda: charts.verdict_time_chart(over_time().iloc[0:0], {1: "T1-O1"}),
    "new-devices": lambda: charts.new_devices_chart(pd.DataFrame({"minute": over_time()["at"], "devices": [0, 1500]})),
    "words": lambda: charts.words_chart(pd.DataFrame({"word": ["emploi", "PTCE"], "count": [1500, 2]}), THEMES[0]),
    "words-empty": lambda: charts.words_chart(pd.DataFrame({"word": [], "count": []}), THEMES[1], big=True),
    "circuit": lambda: charts.circuit_themes_bar(circuit(), THEMES),
    "stands": lambda: charts.stands_bar(circuit(), THEMES),
    "region-map": lambda: charts.region_map_chart(
        geo.region_map(["44", "49", "53", "72", "85"]), [charts.MapPoint(47.2184, -1.5536, "Nantes")]
    ),
    "region-map-overseas": lambda: charts.region_map_chart(geo.region_map(["974"])),
}


@pytest.mark.parametrize("name", SPECS)
def test_every_spec_passes_plotly_validation(name: str) -> None:
    spec = SPECS[name]()
    go.Figure(spec)  # raises on any unknown or invalid property
    assert spec["layout"]["separators"] == ",\u202f"  # 14,5 and 152 500
    assert charts.figure(spec).to_dict()["layout"]["height"] == spec["layout"]["height"]


def _texts(spec: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for trace in spec["data"]:
        found += [str(t) for t in trace.get("text", []) or []]
        found += [str(y) for y in trace.get("y", []) or []]
    found += [str(a.get("text", "")) for a in spec["layout"].get("annotations", [])]
    return found


def test_numbers_are_french_and_theme_colours_are_the_themes_table() -> None:
    spec = charts.themes_bar(by_theme(), THEMES)
    assert "  1\u202f234" in _texts(spec)
    bars = [t for t in spec["data"] if t["type"] == "bar" and t.get("showlegend") is False]
    assert {c for t in bars for c in t["marker"]["color"]} == COLORS
    sources = SPECS["sources"]()
    assert [t["marker"]["color"] for t in sources["data"] if t["type"] == "bar"] == ["#0072B2", "#E69F00"]
    assert "  1\u202f234" in _texts(sources)
    assert "En ligne" in _texts(sources) and "paper" in _texts(sources)  # every category shown, even at zero


def test_stored_text_is_escaped_before_plotly_reads_its_tags() -> None:
    everything = " ".join(_texts(charts.themes_bar(by_theme(), THEMES)) + _texts(charts.stances_chart(stances())))
    assert "<b>" not in everything and "<script>" not in everything
    assert "Institutions &lt;b&gt;" in everything
    assert "&lt;script&gt;" in everything


def test_time_chart_is_in_paris_time_with_every_quarter_hour() -> None:
    spec = charts.time_chart(series(), THEMES)
    cumul = [t for t in spec["data"] if t.get("stackgroup")]
    assert cumul[0]["x"] == ["2016-06-28 08:00", "2016-06-28 08:15", "2016-06-28 08:30"]  # UTC+2, gap filled
    assert cumul[0]["y"] == [5, 5, 5] and cumul[1]["y"] == [0, 0, 2]
    assert [t["line"]["color"] for t in cumul] == ["#0072B2", "#E69F00"]
    assert spec["layout"]["yaxis2"]["title"]["text"] == "Par quart d'heure"
    assert "%d/%m" in spec["layout"]["xaxis"]["tickformat"]


def _spread(*moments: datetime, bucket_s: int = 3600) -> TimeSeries:
    frame = pd.DataFrame({"bucket": pd.to_datetime(list(moments)), "theme_id": 1, "count": 1})
    frame["bucket"] = frame["bucket"].astype("datetime64[s, UTC]")
    return TimeSeries(bucket_s, frame)


@pytest.mark.parametrize(
    ("moments", "unit", "first_labels", "bars"),
    [
        # Three weeks of hours: Paris days (the 22:30 UTC contribution belongs to the next Paris day).
        (
            [datetime(2016, 6, 8, 9, tzinfo=UTC), datetime(2016, 6, 28, 22, 30, tzinfo=UTC)],
            "Par jour",
            ["2016-06-08", "2016-06-09"],
            22,
        ),
        # Half a year: weeks from Monday.
        (
            [datetime(2016, 1, 6, 9, tzinfo=UTC), datetime(2016, 6, 28, 9, tzinfo=UTC)],
            "Par semaine",
            ["2016-01-04", "2016-01-11"],
            26,
        ),
        # An old questionnaire next to today's conference: months, not thousands of days.
        (
            [datetime(2016, 6, 28, 9, tzinfo=UTC), datetime(2026, 11, 22, 9, tzinfo=UTC)],
            "Par mois",
            ["2016-06-01", "2016-07-01"],
            126,
        ),
    ],
)
def test_long_spans_become_days_weeks_then_months(
    moments: list[datetime], unit: str, first_labels: list[str], bars: int
) -> None:
    spec = charts.time_chart(_spread(*moments), THEMES)
    per_period = next(t for t in spec["data"] if t["type"] == "bar" and t["marker"]["color"] == "#0072B2")
    assert spec["layout"]["yaxis2"]["title"]["text"] == unit
    assert per_period["x"][:2] == first_labels
    assert len(per_period["x"]) == bars  # every period of the span, empty ones included
    assert sum(per_period["y"]) == 2 and per_period["y"][0] == 1 and per_period["y"][-1] == 1
    assert "%H" not in spec["layout"]["xaxis"]["tickformat"]


def test_stances_diverge_with_new_proposals_split_around_zero() -> None:
    spec = charts.stances_chart(stances())
    values = {(t["name"], t.get("showlegend", True)): t["x"] for t in spec["data"]}
    assert values[("Soutien", True)] == [3]
    assert values[("Désaccord", True)] == [-2]
    assert values[("Nouvelle proposition", True)] == [1.0] and values[("Nouvelle proposition", False)] == [-1.0]
    net = [a["text"] for a in spec["layout"]["annotations"] if a.get("yref") == "y"]
    assert net == ["+25"]  # (3 + 1 - 2) / 8; the orientation nobody spoke about is left out
    assert "Soutien" in charts.stance_keys_html() and "<script" not in charts.stance_keys_html()


def test_the_map_chart_is_valid_plotly_with_escaped_text_and_no_geo_trace() -> None:
    loire = geo.region_map([d.code for d in geo.departements_of_region("52")])
    spec = charts.region_map_chart(loire, [charts.MapPoint(47.2184, -1.5536, "Nantes <b>métropole</b>")])
    go.Figure(spec)  # raises on any invalid property
    assert {t["type"] for t in spec["data"]} == {"scatter"}  # nothing that fetches a base map
    assert sum(t.get("fill") == "toself" for t in spec["data"]) == 5
    labels = next(t for t in spec["data"] if t.get("mode") == "text")["text"]
    assert "Loire-Atlantique (44)" in labels
    points = next(t for t in spec["data"] if t.get("mode") == "markers")
    assert points["hovertext"] == ["Nantes &lt;b&gt;métropole&lt;/b&gt;"]
    assert spec["layout"]["yaxis"]["scaleanchor"] == "x"
    assert "MapSVG" in spec["layout"]["annotations"][0]["text"]


def test_an_overseas_map_draws_its_outline_and_credits_openstreetmap() -> None:
    reunion = geo.region_map(["974"])
    spec = charts.region_map_chart(reunion, [charts.MapPoint(-21.34, 55.48, "Saint-Pierre")])
    notes = " ".join(a["text"] for a in spec["layout"]["annotations"])
    assert "Contour non disponible" not in notes and "OpenStreetMap" in notes
    assert any(t.get("fill") == "toself" for t in spec["data"])
    _, y = reunion.project(-21.34, 55.48)
    assert spec["layout"]["yaxis"]["range"][0] < y < spec["layout"]["yaxis"]["range"][1]


def test_verdict_bars_diverge_as_shares_with_skip_apart_and_french_labels() -> None:
    spec = charts.verdict_chart(verdicts())
    agree, reservations, disagree, skip = spec["data"]
    assert agree["marker"]["color"] == "#1a7f37" and disagree["marker"]["color"] == "#c0392b"
    assert skip["marker"]["color"] == "#9aa0a6" and skip["xaxis"] == "x2"  # its own column, in grey
    assert disagree["x"][0] < 0 < agree["x"][0]
    assert abs(agree["x"][0] + reservations["x"][0] - disagree["x"][0] - 1) < 1e-9  # shares of those who weighed in
    assert agree["text"][0] == "52\u00a0%"
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert "2\u202f330 avis · À égalité" not in notes and "2\u202f330 avis · Salle partagée" in notes
    assert "3 avis · Moins de 10 avis" in notes and "0 avis · Pas encore d'avis" in notes
    assert "&lt;script&gt;" in spec["data"][0]["y"][0]
