"""Figures of the operations panel: moderation decisions per quarter hour, contributions per hour by origin.

Plain Plotly specs in the shared look (ui.charts.base): French numbers and labels, Paris times on the axis.
The new devices per minute reuse the verdict page's chart (ui.charts.verdict.new_devices_chart).
"""

from __future__ import annotations

import math

import pandas as pd

from services.formatting import to_paris
from services.labels import SOURCE_LABELS
from services.operations import QuarterDecisions
from ui.charts.base import GRID, SERIES_COLORS, Spec, axis, chart_layout, message, safe

PUBLISHED_COLOR = "#1a7f37"
REJECTED_COLOR = "#c0392b"
# One colour per origin, in the labels' order (Okabe–Ito: distinct without colour vision).
SOURCE_COLORS = {source: SERIES_COLORS[i % len(SERIES_COLORS)] for i, source in enumerate(SOURCE_LABELS)}


def _minute(value: object) -> str:
    """A UTC instant as Plotly's date text in Paris time (Plotly reads dates without a zone)."""
    return to_paris(pd.Timestamp(value).to_pydatetime()).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]


def _empty(height: int, text: str) -> Spec:
    layout = chart_layout(height=height, legend=False, annotations=[message(text)])
    layout["xaxis"]["visible"] = layout["yaxis"]["visible"] = False
    return {"data": [], "layout": layout}


def _step(top: int) -> int:
    """A round tick step (1, 2, 5, 10, 20, 50…) giving at most five lines up to `top`."""
    rough = max(top / 5, 1)
    power = 10 ** math.floor(math.log10(rough))
    return int(next(f * power for f in (1, 2, 5, 10) if f * power >= rough))


def _time_bars(height: int, top: int) -> Spec:
    """Stacked bars over Paris time; whole numbers only on the count axis (never 0,5 contribution)."""
    return chart_layout(
        height=height,
        barmode="stack",
        bargap=0.15,
        xaxis=axis(type="date", tickformat="%H:%M", showline=True, linecolor=GRID, fixedrange=True),
        yaxis=axis(
            tickformat=",d",
            dtick=_step(top),
            range=[0, max(top, 1) * 1.1],  # room above the tallest bar
            showgrid=True,
            gridcolor=GRID,
            fixedrange=True,
        ),
    )


def decisions_chart(decisions: list[QuarterDecisions], *, height: int = 260) -> Spec:
    """Contributions published and rejected per quarter hour (Paris time), stacked."""
    if not any(d.published or d.rejected for d in decisions):
        return _empty(height, "Aucune décision de modération sur ces trois heures")
    x = [_minute(d.start) for d in decisions]
    data = [
        {
            "type": "bar",
            "x": x,
            "y": [getattr(d, field) for d in decisions],
            "name": name,
            "marker": {"color": color, "line": {"width": 0}},
            "hovertemplate": f"%{{x|%H:%M}} : %{{y:,d}} {word}<extra></extra>",
        }
        for field, name, color, word in (
            ("published", "Publiées", PUBLISHED_COLOR, "publiées"),
            ("rejected", "Rejetées", REJECTED_COLOR, "rejetées"),
        )
    ]
    return {"data": data, "layout": _time_bars(height, max(d.published + d.rejected for d in decisions))}


def origins_chart(frame: pd.DataFrame, *, height: int = 260) -> Spec:
    """Today's contributions per hour (Paris time), one stacked colour per origin, in the labels' order."""
    if frame.empty:
        return _empty(height, "Aucune contribution aujourd'hui")
    hours = sorted(set(frame["hour"]))
    x = [_minute(h) for h in hours]
    counts = {(h, s): int(n) for h, s, n in frame.itertuples(index=False)}
    present = set(frame["source"])
    order = [s for s in SOURCE_LABELS if s in present] + sorted(present - set(SOURCE_LABELS))
    data = []
    for source in order:
        name = safe(SOURCE_LABELS.get(source) or str(source))
        data.append(
            {
                "type": "bar",
                "x": x,
                "y": [counts.get((h, source), 0) for h in hours],
                "name": name,
                "marker": {"color": SOURCE_COLORS.get(source, GRID), "line": {"width": 0}},
                "hovertemplate": f"%{{x|%H:%M}} · {name} : %{{y:,d}}<extra></extra>",
            }
        )
    return {"data": data, "layout": _time_bars(height, max(frame.groupby("hour")["count"].sum()))}
