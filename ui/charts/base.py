"""The shared look of every figure: colours, fonts, French numbers, the layout and the small building blocks.

Figures are written as plain Plotly specs (dicts) and wrapped without validation (`figure()`): plotly's
validated object model costs 20–80 ms per figure, more than every query of the page together, and the
live pages redraw a dozen figures every two seconds. tests/ui/test_charts.py validates every spec once
with plotly's own validation instead.

Every stored text placed in a figure (theme and orientation titles, stand names, words) goes through
`safe`: Plotly reads a few HTML tags in labels, and reference data is typed by staff.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]  # plotly ships no type hints

from services.formatting import format_number
from services.reference import ThemeInfo

Spec = dict[str, Any]

# Decimal comma and narrow no-break space between thousands: 152 500, 14,5 (as services.formatting).
SEPARATORS = ",\u202f"
FONT = '"Source Sans", "Source Sans Pro", "Helvetica Neue", Arial, sans-serif'
INK = "#1a1a1a"
GRID = "#e3e3e3"
MUTED = "#8a8a8a"
# Stances on a diverging scale that reads without colour vision (blue / red, light for the nuanced ones).
STANCE_COLORS = {
    "support": "#1f5aa6",
    "reservations": "#8db7e0",
    "new_proposal": "#c8c8c8",
    "disagreement": "#c0392b",
}
STANCE_NAMES = {
    "support": "Soutien",
    "reservations": "Soutien avec réserves",
    "new_proposal": "Nouvelle proposition",
    "disagreement": "Désaccord",
}
# Shorter, for the room's screen where the legend shares one line at a large size.
STANCE_SHORT_NAMES = {**STANCE_NAMES, "reservations": "Avec réserves", "new_proposal": "Autre proposition"}
# The four answers of the adequacy check: the same colours on the phones' buttons and on every chart.
VOTE_COLORS = {"agree": "#1a7f37", "reservations": "#8cc084", "disagree": "#c0392b", "skip": "#9aa0a6"}
VOTE_NAMES = {
    "agree": "D'accord",
    "reservations": "D'accord avec réserves",
    "disagree": "Pas d'accord",
    "skip": "Je ne sais pas / passer",
}
# Shorter, where the keys share one line at a large size (the plenary screen) and beside the skip column.
VOTE_SHORT_NAMES = {**VOTE_NAMES, "reservations": "Avec réserves", "skip": "Passent"}
# Lines of several orientations on one chart (Okabe–Ito: distinct without colour vision).
SERIES_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442")
FONT_SIZE = 14
# The room's screen: letters about 3 cm high on a 3 m wide image, readable from the back of the room.
BIG_FONT = 30


def figure(spec: Spec) -> go.Figure:
    """The spec as a Figure for st.plotly_chart, skipping plotly's per-property validation (see above)."""
    return go.Figure(spec, _validate=False)


def _keys_html(colors: Mapping[str, str], names: Mapping[str, str], keys: Sequence[str], size: int) -> str:
    """Colour keys as constant HTML (no stored text in it), for a legend outside the chart."""
    spans = "".join(
        f'<span style="display:inline-block;margin-right:1.2em;white-space:nowrap">'
        f'<span style="display:inline-block;width:0.8em;height:0.8em;background:{colors[key]};'
        f'margin-right:0.35em;vertical-align:-0.05em"></span>{html.escape(names[key])}</span>'
        for key in keys
    )
    return f'<div style="font-size:{size}px;color:{INK};line-height:1.5">{spans}</div>'


def stance_keys_html(*, size: int = BIG_FONT - 4) -> str:
    """The stances' colour keys as constant HTML (no stored text in it), for a legend outside the chart."""
    return _keys_html(
        STANCE_COLORS, STANCE_SHORT_NAMES, ("support", "reservations", "new_proposal", "disagreement"), size
    )


def vote_keys_html(*, size: int = BIG_FONT - 4) -> str:
    """The four answers' colour keys as constant HTML (no stored text in it), for a legend outside the chart."""
    return _keys_html(VOTE_COLORS, VOTE_SHORT_NAMES, ("agree", "reservations", "disagree", "skip"), size)


def safe(text: str) -> str:
    return html.escape(text, quote=False)


def cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def wrap(text: str, width: int, lines: int = 2) -> str:
    """At most `lines` lines of about `width` characters (Plotly's <br>), the last one cut with "…"."""
    parts = textwrap.wrap(" ".join(text.split()), width) or [""]
    if len(parts) > lines:
        parts = [*parts[: lines - 1], cut(" ".join(parts[lines - 1 :]), width)]
    return "<br>".join(safe(p) for p in parts)


def axis(**extra: Any) -> Spec:
    return {"showgrid": False, "zeroline": False, "ticks": "", "showline": False, "automargin": True, **extra}


def _label_margin(labels: Sequence[str], size: int) -> int:
    """Room for the category labels on the left, from their length.

    Plotly's automargin measures the labels before the web font has loaded and then cuts them; an
    estimate from the longest line (Source Sans: about 0.5 em per character) does not depend on that.
    """
    longest = max((len(line) for label in labels for line in html.unescape(label).split("<br>")), default=0)
    return min(int(longest * size * 0.48) + 14, 420)


def chart_layout(
    *,
    height: int,
    big: bool = False,
    legend: bool = True,
    totals: bool = False,
    labels: Sequence[str] = (),
    **extra: Any,
) -> Spec:
    """Shared look; `totals` leaves room on the right for the numbers after the bars, `labels` on the left."""
    size = BIG_FONT if big else FONT_SIZE
    layout: Spec = {
        "height": height,
        "separators": SEPARATORS,
        # No template: the default one costs time and colours; everything is set here.
        "template": {},
        "font": {"family": FONT, "size": size, "color": INK},
        "margin": {
            "l": _label_margin(labels, size) if labels else 8,
            "r": (90 if big else 48) if totals else 8,
            "t": 36 if legend else 8,
            "b": 8,
        },
        "showlegend": legend,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "font": {"size": size}},
        "hoverlabel": {"font": {"size": size, "family": FONT}},
        # Keeps what a user did (zoom, legend clicks) through the live refreshes.
        "uirevision": "live",
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "xaxis": axis(),
        "yaxis": axis(),
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def message(text: str) -> Spec:
    return {
        "text": text,
        "showarrow": False,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "font": {"color": MUTED},
    }


def end_totals(labels: Sequence[str], totals: Sequence[int], *, big: bool = False) -> Spec:
    """The total at the end of each horizontal bar, as a French number."""
    return {
        "type": "scatter",
        "mode": "text",
        "x": list(totals),
        "y": list(labels),
        "text": [f"  {format_number(n)}" for n in totals],
        "textposition": "middle right",
        "textfont": {"size": BIG_FONT if big else FONT_SIZE + 1, "color": INK},
        "hoverinfo": "skip",
        "showlegend": False,
        "cliponaxis": False,
    }


def hbar(labels: Sequence[str], values: Sequence[float], color: str | Sequence[str], **extra: Any) -> Spec:
    return {
        "type": "bar",
        "orientation": "h",
        "y": list(labels),
        "x": list(values),
        "marker": {"color": color if isinstance(color, str) else list(color), "line": {"width": 0}},
        **extra,
    }


def value_axis(top: float, factor: float = 1.2) -> Spec:
    return axis(showticklabels=False, range=[0, max(top, 1) * factor])


def labels_above(names: Sequence[str], row_height: int) -> list[Spec]:
    """Each category written above its bar (narrow columns leave no room for labels beside the bars)."""
    return [
        {
            "text": name,
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "y": name,
            "yref": "y",
            "yanchor": "bottom",
            "yshift": row_height * 0.2,
            "showarrow": False,
            "font": {"size": FONT_SIZE, "color": INK},
        }
        for name in names
    ]


def theme_rows(frame: pd.DataFrame, themes: Sequence[ThemeInfo], *counts: str) -> list[tuple[ThemeInfo, list[int]]]:
    """The rows of `frame` whose theme_id is one of `themes`, in the frame's order: the theme and its counts."""
    if frame.empty:  # an empty summary may have no columns at all
        return []
    by_id = {t.id: t for t in themes}
    columns = [frame[name].tolist() for name in ("theme_id", *counts)]
    return [(by_id[int(t)], [int(n) for n in ns]) for t, *ns in zip(*columns, strict=True) if int(t) in by_id]
