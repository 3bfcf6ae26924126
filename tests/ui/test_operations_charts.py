"""The operations panel's figures: valid Plotly, French labels, Paris times, whole-number ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]  # plotly ships no type hints
import pytest

from services.operations import QuarterDecisions
from ui.charts import operations as ops_charts
from ui.charts.base import Spec

START = datetime(2030, 5, 14, 8, 0, tzinfo=UTC)  # 10:00 in Paris (summer time)


def decisions(published: int = 3) -> list[QuarterDecisions]:
    return [QuarterDecisions(START + timedelta(minutes=15 * i), published * i, i % 2) for i in range(4)]


def origins() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hour": pd.Series([START, START, START + timedelta(hours=1)], dtype="datetime64[s, UTC]"),
            "source": ["workshop", "conference", "<b>inconnue</b>"],
            "count": [1200, 4, 2],
        }
    )


SPECS = {
    "decisions": lambda: ops_charts.decisions_chart(decisions()),
    "decisions-empty": lambda: ops_charts.decisions_chart(decisions(published=0)[:1]),
    "origins": lambda: ops_charts.origins_chart(origins()),
    "origins-empty": lambda: ops_charts.origins_chart(origins().iloc[0:0]),
}


@pytest.mark.parametrize("name", SPECS)
def test_every_spec_passes_plotly_validation(name: str) -> None:
    spec: Spec = SPECS[name]()
    go.Figure(spec)  # raises on any unknown or invalid property
    assert spec["layout"]["separators"] == ",\u202f"


def test_decisions_are_french_and_in_paris_time() -> None:
    spec = ops_charts.decisions_chart(decisions())
    assert [t["name"] for t in spec["data"]] == ["Publiées", "Rejetées"]
    assert spec["data"][0]["x"][0] == "2030-05-14 10:00"
    assert spec["layout"]["yaxis"]["dtick"] == 2  # top 10: a round step, never 2,5


def test_origins_follow_the_labels_order_and_escape_an_unknown_source() -> None:
    spec = ops_charts.origins_chart(origins())
    assert [t["name"] for t in spec["data"]] == ["Atelier", "Conférence", "&lt;b&gt;inconnue&lt;/b&gt;"]
    assert spec["data"][0]["y"] == [1200, 0]
    assert spec["layout"]["yaxis"]["dtick"] == 500


def test_the_empty_charts_say_so() -> None:
    assert ops_charts.decisions_chart([])["layout"]["annotations"][0]["text"].startswith("Aucune décision")
    assert ops_charts.origins_chart(origins().iloc[0:0])["layout"]["annotations"][0]["text"] == (
        "Aucune contribution aujourd'hui"
    )
