"""Plotly figures of the live tallies: theme colours from the themes table, French numbers and dates.

Figures are written as plain Plotly specs (dicts) and wrapped without validation (`figure()`): plotly's
validated object model costs 20–80 ms per figure, more than every query of the page together, and the
live pages redraw a dozen figures every two seconds. tests/ui/test_charts.py validates every spec once
with plotly's own validation instead.

Every stored text placed in a figure (theme and orientation titles, stand names, words) goes through
`_safe`: Plotly reads a few HTML tags in labels, and reference data is typed by staff.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from services.formatting import PARIS, format_number, format_percent
from services.geo import DepartementShape, RegionMap
from services.reference import ThemeInfo
from services.tallies import HOUR_S, QUARTER_HOUR_S, CircuitSummary, OrientationStances, TimeSeries
from services.verdict import VERDICT_LABELS, Verdict

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


def stance_keys_html(*, size: int = BIG_FONT - 4) -> str:
    """The stances' colour keys as constant HTML (no stored text in it), for a legend outside the chart."""
    keys = "".join(
        f'<span style="display:inline-block;margin-right:1.2em;white-space:nowrap">'
        f'<span style="display:inline-block;width:0.8em;height:0.8em;background:{STANCE_COLORS[key]};'
        f'margin-right:0.35em;vertical-align:-0.05em"></span>{html.escape(STANCE_SHORT_NAMES[key])}</span>'
        for key in ("support", "reservations", "new_proposal", "disagreement")
    )
    return f'<div style="font-size:{size}px;color:{INK};line-height:1.5">{keys}</div>'


def vote_keys_html(*, size: int = BIG_FONT - 4) -> str:
    """The four answers' colour keys as constant HTML (no stored text in it), for a legend outside the chart."""
    keys = "".join(
        f'<span style="display:inline-block;margin-right:1.2em;white-space:nowrap">'
        f'<span style="display:inline-block;width:0.8em;height:0.8em;background:{VOTE_COLORS[key]};'
        f'margin-right:0.35em;vertical-align:-0.05em"></span>{html.escape(VOTE_SHORT_NAMES[key])}</span>'
        for key in ("agree", "reservations", "disagree", "skip")
    )
    return f'<div style="font-size:{size}px;color:{INK};line-height:1.5">{keys}</div>'


def _safe(text: str) -> str:
    return html.escape(text, quote=False)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _wrap(text: str, width: int, lines: int = 2) -> str:
    """At most `lines` lines of about `width` characters (Plotly's <br>), the last one cut with "…"."""
    parts = textwrap.wrap(" ".join(text.split()), width) or [""]
    if len(parts) > lines:
        parts = [*parts[: lines - 1], _cut(" ".join(parts[lines - 1 :]), width)]
    return "<br>".join(_safe(p) for p in parts)


def _axis(**extra: Any) -> Spec:
    return {"showgrid": False, "zeroline": False, "ticks": "", "showline": False, "automargin": True, **extra}


def _label_margin(labels: Sequence[str], size: int) -> int:
    """Room for the category labels on the left, from their length.

    Plotly's automargin measures the labels before the web font has loaded and then cuts them; an
    estimate from the longest line (Source Sans: about 0.5 em per character) does not depend on that.
    """
    longest = max((len(line) for label in labels for line in html.unescape(label).split("<br>")), default=0)
    return min(int(longest * size * 0.48) + 14, 420)


def _layout(
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
        "xaxis": _axis(),
        "yaxis": _axis(),
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def _message(text: str) -> Spec:
    return {
        "text": text,
        "showarrow": False,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "font": {"color": MUTED},
    }


def _totals(labels: Sequence[str], totals: Sequence[int], *, big: bool = False) -> Spec:
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


def _hbar(labels: Sequence[str], values: Sequence[float], color: str | Sequence[str], **extra: Any) -> Spec:
    return {
        "type": "bar",
        "orientation": "h",
        "y": list(labels),
        "x": list(values),
        "marker": {"color": color if isinstance(color, str) else list(color), "line": {"width": 0}},
        **extra,
    }


def _value_axis(top: float, factor: float = 1.2) -> Spec:
    return _axis(showticklabels=False, range=[0, max(top, 1) * factor])


# ---------------------------------------------------------------------------------------------


def _labels_above(names: Sequence[str], row_height: int) -> list[Spec]:
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


def themes_bar(frame: pd.DataFrame, themes: Sequence[ThemeInfo], *, row_height: int = 54) -> Spec:
    """Contributions per theme, published (solid) and awaiting moderation (light), total at the end."""
    by_id = {t.id: t for t in themes}
    rows = [r for r in frame.itertuples() if r.theme_id in by_id]
    labels = [_safe(by_id[r.theme_id].short_label) for r in rows]
    colors = [by_id[r.theme_id].color for r in rows]
    totals = [int(r.total) for r in rows]
    pending = _hbar(
        labels,
        [int(r.pending) for r in rows],
        colors,
        name="À modérer",
        hovertemplate="%{y} : %{x:,d} à modérer<extra></extra>",
    )
    pending["marker"].update(opacity=0.35, pattern={"shape": "/", "fgcolor": "#ffffff"})
    published = _hbar(
        labels,
        [int(r.published) for r in rows],
        colors,
        name="Publiées",
        hovertemplate="%{y} : %{x:,d} publiées<extra></extra>",
    )
    published["showlegend"] = pending["showlegend"] = False
    # Legend keys in grey: the bars themselves carry the theme colours.
    keys = [
        {
            "type": "bar",
            "orientation": "h",
            "x": [None],
            "y": [None],
            "name": name,
            "marker": marker,
            "hoverinfo": "skip",
        }
        for name, marker in (
            ("Publiées", {"color": "#555555"}),
            ("À modérer", {"color": "#b5b5b5", "pattern": {"shape": "/", "fgcolor": "#ffffff", "solidity": 0.3}}),
        )
    ]
    data = [published, pending, _totals(labels, totals), *keys]
    layout = _layout(
        height=row_height * max(len(rows), 1) + 56,
        totals=True,
        barmode="stack",
        bargap=0.5,
        annotations=_labels_above(labels, row_height),
        yaxis={"autorange": "reversed", "showticklabels": False},
        xaxis=_value_axis(max(totals, default=0), 1.05),
    )
    return {"data": data, "layout": layout}


# Beyond these spans the bars become whole Paris days, then weeks, then months: a store that holds an old
# questionnaire next to today's conference spans years, and thousands of bars per theme cost an organiser's
# browser most of a processor core at each refresh (measured: 3 800 days, 1 core) and are unreadable anyway.
HOURS_UP_TO = 24 * 14
DAYS_UP_TO = 92
WEEKS_UP_TO = 104
# Per period: the label of the lower chart's axis, the hover format and the x axis' tick format.
PERIODS = {
    "day": ("Par jour", "%{x|%d/%m/%Y}", "%d/%m/%Y"),
    "week": ("Par semaine", "semaine du %{x|%d/%m/%Y}", "%d/%m/%Y"),
    "month": ("Par mois", "%{x|%m/%Y}", "%m/%Y"),
}


def _calendar_table(
    counts: dict[tuple[int, int], int], theme_ids: Sequence[int], first: int, last: int
) -> tuple[list[str], dict[int, list[int]], str]:
    """Counts per Paris day, week (from Monday) or month, whichever keeps the bars under a few hundred."""
    first_day = datetime.fromtimestamp(first, PARIS).date()
    last_day = datetime.fromtimestamp(last, PARIS).date()
    span_days = (last_day - first_day).days + 1
    if span_days <= DAYS_UP_TO:
        period = "day"
        periods = [first_day + timedelta(days=i) for i in range(span_days)]
    elif span_days <= WEEKS_UP_TO * 7:
        period = "week"
        monday = first_day - timedelta(days=first_day.weekday())
        periods = [monday + timedelta(weeks=i) for i in range((last_day - monday).days // 7 + 1)]
    else:
        period = "month"
        months = (last_day.year - first_day.year) * 12 + last_day.month - first_day.month + 1
        periods = [
            first_day.replace(
                year=first_day.year + (first_day.month - 1 + i) // 12, month=(first_day.month - 1 + i) % 12 + 1, day=1
            )
            for i in range(months)
        ]
    index = {p: i for i, p in enumerate(periods)}
    rows = {t: [0] * len(periods) for t in theme_ids}
    for (start, theme_id), n in counts.items():
        if theme_id not in rows:
            continue
        day = datetime.fromtimestamp(start, PARIS).date()
        key = (
            day if period == "day" else day - timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)
        )
        rows[theme_id][index[key]] += n
    return [p.isoformat() for p in periods], rows, period


def _series_table(series: TimeSeries, theme_ids: Sequence[int]) -> tuple[list[str], dict[int, list[int]], str, str]:
    """Counts per theme for every bucket of the span (zeros filled), labelled in Paris time.

    Returns the labels, the counts per theme, the lower chart's unit and the period ("time" for quarter
    hours and hours, else "day", "week" or "month"). Plain Python over the buckets: pandas' pivot and
    resample cost more than the queries behind them at each refresh. Beyond two weeks of hours, the
    buckets become calendar periods (then only the stored buckets are walked through).
    """
    step = series.bucket_s
    counts: dict[tuple[int, int], int] = {}
    frame = series.frame
    seconds = frame["bucket"].astype("int64").tolist()  # datetime64[s]: epoch seconds
    for start, theme_id, n in zip(seconds, frame["theme_id"].tolist(), frame["count"].tolist(), strict=True):
        counts[(start, theme_id)] = counts.get((start, theme_id), 0) + n
    first = min(start for start, _ in counts)
    last = max(start for start, _ in counts)
    if (last - first) // step + 1 > HOURS_UP_TO * HOUR_S // step:
        labels, rows, period = _calendar_table(counts, theme_ids, first, last)
        return labels, rows, PERIODS[period][0], period
    unit = "Par quart d'heure" if step == QUARTER_HOUR_S else "Par heure" if step == HOUR_S else f"Par {step // 60} min"
    starts = range(first, last + step, step)
    labels = [datetime.fromtimestamp(start, PARIS).strftime("%Y-%m-%d %H:%M") for start in starts]
    rows = {t: [counts.get((start, t), 0) for start in starts] for t in theme_ids}
    return labels, rows, unit, "time"


def time_chart(series: TimeSeries, themes: Sequence[ThemeInfo], *, height: int = 420) -> Spec:
    """Cumulative contributions per theme (stacked areas) above the count per quarter hour, hour, day, week or month."""
    if series.frame.empty:
        layout = _layout(height=height, legend=False, annotations=[_message("Aucune contribution sur cette période")])
        layout["xaxis"]["visible"] = layout["yaxis"]["visible"] = False
        return {"data": [], "layout": layout}
    x, table, unit, period = _series_table(series, [t.id for t in themes])
    cumulative = {theme_id: list(accumulate(values)) for theme_id, values in table.items()}
    _, when, ticks = PERIODS.get(period, (unit, "%{x|%d/%m/%Y %H:%M}", "%d/%m %H:%M"))
    data: list[Spec] = []
    for theme in themes:
        name = _safe(theme.short_label)
        data.append(
            {
                "type": "scatter",
                "x": x,
                "y": cumulative[theme.id],
                "name": name,
                "legendgroup": name,
                "stackgroup": "cumul",
                "mode": "lines",
                "line": {"color": theme.color, "width": 1},
                "fillcolor": theme.color,
                "hovertemplate": f"{name}<br>{when} : %{{y:,d}} au total<extra></extra>",
            }
        )
    for theme in themes:
        name = _safe(theme.short_label)
        data.append(
            {
                "type": "bar",
                "x": x,
                "y": table[theme.id],
                "yaxis": "y2",
                "name": name,
                "legendgroup": name,
                "showlegend": False,
                "marker": {"color": theme.color, "line": {"width": 0}},
                "hovertemplate": f"{name}<br>{when} : %{{y:,d}}<extra></extra>",
            }
        )
    layout = _layout(
        height=height,
        barmode="stack",
        bargap=0.1,
        xaxis=_axis(type="date", anchor="y2", tickformat=ticks, showline=True, linecolor=GRID),
        yaxis=_axis(domain=[0.42, 1.0], title={"text": "Cumul"}, showgrid=True, gridcolor=GRID, tickformat=",d"),
        yaxis2=_axis(domain=[0.0, 0.34], title={"text": unit}, showgrid=True, gridcolor=GRID, tickformat=",d"),
    )
    return {"data": data, "layout": layout}


def category_bar(
    frame: pd.DataFrame,
    themes: Sequence[ThemeInfo],
    *,
    labels: dict[str, str],
    order: Sequence[str] | None = None,
    row_height: int = 46,
) -> Spec:
    """Counts per category (source, département, actor type), each bar split in theme colours.

    The category is written above its bar rather than beside it: these charts sit three abreast on a
    laptop, where labels such as « Questionnaire aux acteurs » would leave the bars no room.
    """
    counts: dict[tuple[str, int], int] = {}
    for key, theme_id, n in frame.itertuples(index=False):
        counts[(key, int(theme_id))] = counts.get((key, int(theme_id)), 0) + int(n)
    seen = list(dict.fromkeys(key for key, _ in counts))
    keys = list(order) if order is not None else seen
    keys += [k for k in seen if k not in keys]
    names = [_safe(labels.get(k, k)) for k in keys]
    table = {theme.id: [counts.get((k, theme.id), 0) for k in keys] for theme in themes}
    data = [
        _hbar(
            names,
            table[theme.id],
            theme.color,
            name=_safe(theme.short_label),
            hovertemplate=f"%{{y}} · {_safe(theme.short_label)} : %{{x:,d}}<extra></extra>",
        )
        for theme in themes
    ]
    totals = [sum(column[i] for column in table.values()) for i in range(len(keys))]
    data.append(_totals(names, totals))
    annotations = _labels_above(names, row_height)
    layout = _layout(
        height=row_height * max(len(keys), 1) + 20,
        totals=True,
        legend=False,
        barmode="stack",
        bargap=0.55,
        annotations=annotations,
        margin={"t": 22},
        yaxis={"autorange": "reversed", "showticklabels": False},
        xaxis=_value_axis(max(totals, default=0), 1.05),
    )
    return {"data": data, "layout": layout}


def stances_chart(
    stances: Sequence[OrientationStances],
    *,
    big: bool = False,
    legend: bool = True,
    title_chars: int = 46,
    height: int | None = None,
) -> Spec:
    """One diverging bar per orientation: supports right, disagreements left, new proposals halved around
    zero (they are neither); the net support in the right margin. Most divisive on top, as given."""
    rows = [s for s in stances if s.total] or list(stances)
    if big:
        labels = [_wrap(f"{s.code} · {s.title}", title_chars) for s in rows]
    else:
        labels = [_safe(f"{s.code} · {_cut(s.title, title_chars)}") for s in rows]
    size = BIG_FONT if big else FONT_SIZE
    names = STANCE_SHORT_NAMES if big else STANCE_NAMES

    def bar(key: str, values: list[float], counts: list[int], *, key_shown: bool = True) -> Spec:
        return _hbar(
            labels,
            values,
            STANCE_COLORS[key],
            name=names[key],
            legendgroup=key,
            showlegend=key_shown,
            customdata=counts,
            text=[format_number(n) if n and key_shown else "" for n in counts],
            textposition="inside",
            insidetextanchor="middle",
            textangle=0,
            textfont={"color": "#ffffff" if key in ("support", "disagreement") else INK},
            hovertemplate=f"{STANCE_NAMES[key]} : %{{customdata:,d}}<extra></extra>",
        )

    proposals = [s.new_proposal for s in rows]
    data = [
        bar("support", [s.support for s in rows], [s.support for s in rows]),
        bar("reservations", [s.reservations for s in rows], [s.reservations for s in rows]),
        bar("new_proposal", [n / 2 for n in proposals], proposals),
        bar("new_proposal", [-n / 2 for n in proposals], proposals, key_shown=False),
        bar("disagreement", [-s.disagreement for s in rows], [s.disagreement for s in rows]),
    ]
    extent = max([max(s.support + s.reservations, s.disagreement) + s.new_proposal / 2 for s in rows] + [1])
    annotations = [
        {
            "x": 1.0,
            "xref": "paper",
            "xanchor": "left",
            "y": label,
            "yref": "y",
            "text": "—" if s.net_support is None else f"{s.net_support:+.0f}".replace("-", "−"),
            "showarrow": False,
            "font": {"size": size + 1, "color": INK},
        }
        for label, s in zip(labels, rows, strict=True)
    ]
    annotations.append(
        {
            "x": 1.0,
            "xref": "paper",
            "xanchor": "left",
            "y": 1.0,
            "yref": "paper",
            "yanchor": "bottom",
            "text": "Net",
            "showarrow": False,
            "font": {"color": MUTED, "size": size - 2},
        }
    )
    if not rows:
        annotations = [_message("Aucune orientation pour ces filtres")]
    layout = _layout(
        height=height or 70 + (110 if big else 34) * max(len(rows), 1),
        big=big,
        labels=labels,
        legend={"font": {"size": size}},
        showlegend=legend,
        barmode="relative",
        bargap=0.3,
        annotations=annotations,
        margin={"r": 100 if big else 48},
        yaxis={"autorange": "reversed"},
        xaxis=_axis(
            showticklabels=False,
            range=[-extent * 1.05, extent * 1.05],
            zeroline=True,
            zerolinecolor=INK,
            zerolinewidth=1,
        ),
    )
    return {"data": data, "layout": layout}


def words_chart(
    words: pd.DataFrame, theme: ThemeInfo, *, big: bool = False, height: int = 320, title: bool = True
) -> Spec:
    """The words used by the most contributions of one theme, longest bar on top."""
    labels = [_safe(w) for w in words["word"]]
    counts = [int(n) for n in words["count"]]
    data: list[Spec] = []
    annotations: list[Spec] = []
    if labels:
        data = [
            _hbar(labels, counts, theme.color, hovertemplate="%{y} : %{x:,d} contributions<extra></extra>"),
            _totals(labels, counts, big=big),
        ]
    else:
        annotations = [_message("Pas encore de texte publié")]
    layout = _layout(
        height=height,
        big=big,
        legend=False,
        totals=True,
        labels=labels,
        bargap=0.2,
        annotations=annotations,
        yaxis={"autorange": "reversed", "visible": bool(labels)},
        xaxis=_value_axis(max(counts, default=0), 1.25),
    )
    if title:
        layout["title"] = {"text": _safe(theme.short_label), "x": 0, "font": {"color": INK}}
        layout["margin"]["t"] = 40
    return {"data": data, "layout": layout}


def circuit_themes_bar(summary: CircuitSummary, themes: Sequence[ThemeInfo], *, height: int = 260) -> Spec:
    """Stand visits per theme."""
    by_id = {t.id: t for t in themes}
    rows = [r for r in summary.by_theme.itertuples() if r.theme_id in by_id]
    labels = [_safe(by_id[r.theme_id].short_label) for r in rows]
    visits = [int(r.visits) for r in rows]
    data = [
        _hbar(
            labels,
            visits,
            [by_id[r.theme_id].color for r in rows],
            hovertemplate="%{y} : %{x:,d} visites<extra></extra>",
        ),
        _totals(labels, visits),
    ]
    layout = _layout(
        height=height,
        legend=False,
        totals=True,
        labels=labels,
        yaxis={"autorange": "reversed"},
        xaxis=_value_axis(max(visits, default=0)),
    )
    return {"data": data, "layout": layout}


def stands_bar(summary: CircuitSummary, themes: Sequence[ThemeInfo], *, top: int = 8, height: int = 300) -> Spec:
    """The most visited stands, in the colour of their theme."""
    colors = {t.id: t.color for t in themes}
    rows = summary.by_stand.head(top)
    labels = [_safe(f"{r.code} · {_cut(r.name, 34)}") for r in rows.itertuples()]
    visits = [int(v) for v in rows["visits"]]
    data: list[Spec] = []
    annotations: list[Spec] = []
    if labels:
        data = [
            _hbar(
                labels,
                visits,
                [colors.get(int(t), MUTED) for t in rows["theme_id"]],
                hovertemplate="%{y} : %{x:,d} visites<extra></extra>",
            ),
            _totals(labels, visits),
        ]
    else:
        annotations = [_message("Aucune visite de stand pour l'instant")]
    layout = _layout(
        height=height,
        legend=False,
        totals=True,
        labels=labels,
        annotations=annotations,
        yaxis={"autorange": "reversed", "visible": bool(labels)},
        xaxis=_value_axis(max(visits, default=0)),
    )
    return {"data": data, "layout": layout}


# Light tints for the départements of a map (neighbours never share one), a darker one for the points.
MAP_TINTS = ("#dfeadf", "#e3e9f3", "#f1e9d9", "#ece2ee", "#dcecea", "#eeeed8")
MAP_POINT = "#2e7d32"
MAP_LABEL = "#4d5354"
MAP_WIDTH, MAP_MIN_HEIGHT, MAP_MAX_HEIGHT = 700, 380, 620


@dataclass(frozen=True)
class MapPoint:
    """A point to place on a map, with the text shown when it is hovered or tapped (escaped here)."""

    lat: float
    lon: float
    hover: str


def region_map_chart(region_map: RegionMap, points: Sequence[MapPoint] = (), *, height: int | None = None) -> Spec:
    """The départements of a `RegionMap` as light filled outlines, labelled, with points on top.

    A plain scatter in the map's own plane (kilometres): no tiles, no plotly geo, nothing fetched. With no
    height given, a tall Région gets a taller figure (for a page about 700 pixels wide).
    """
    data: list[Spec] = []
    for shape in region_map.shapes:
        if not shape.has_outline:
            continue
        xs: list[float | None] = []
        ys: list[float | None] = []
        for ring in shape.rings:  # one trace per département, its rings apart (fill="toself" closes each)
            xs += [p[0] for p in ring] + [ring[0][0], None]
            ys += [p[1] for p in ring] + [ring[0][1], None]
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": xs,
                "y": ys,
                "fill": "toself",
                "fillcolor": MAP_TINTS[shape.tint % len(MAP_TINTS)],
                "line": {"color": "#ffffff", "width": 1.5},
                "name": _safe(shape.label),
                "hoveron": "fills",
                "hoverinfo": "name",
                "showlegend": False,
            }
        )
    placed = [(region_map.project(p.lat, p.lon), p.hover) for p in points]
    (x0, x1), (y0, y1) = region_map.x_range, region_map.y_range
    # Points outside the départements drawn (a pôle elsewhere, an outline-less island) still show.
    pad = 0.04 * max(x1 - x0, y1 - y0)
    for (x, y), _ in placed:
        x0, x1, y0, y1 = min(x0, x - pad), max(x1, x + pad), min(y0, y - pad), max(y1, y + pad)
    if height is None:
        height = round(min(MAP_MAX_HEIGHT, max(MAP_MIN_HEIGHT, MAP_WIDTH * (y1 - y0) / (x1 - x0))))
    labels = _map_labels(region_map, [xy for xy, _ in placed], km_per_px=max((x1 - x0) / MAP_WIDTH, (y1 - y0) / height))
    data.append(
        {
            "type": "scatter",
            "mode": "text",
            "x": [x for x, _, _ in labels],
            "y": [y for _, y, _ in labels],
            "text": [text for _, _, text in labels],
            "textfont": {"color": MAP_LABEL, "size": 13},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )
    if placed:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [xy[0] for xy, _ in placed],
                "y": [xy[1] for xy, _ in placed],
                "marker": {"size": 14, "color": MAP_POINT, "line": {"width": 1.5, "color": "#ffffff"}},
                "hovertext": [_safe(text) for _, text in placed],
                "hoverinfo": "text",
                "showlegend": False,
            }
        )
    notes = [_safe(region_map.credit)] if any(s.has_outline for s in region_map.shapes) else []
    missing = region_map.missing_outlines
    if missing:
        names = ", ".join(_safe(s.label) for s in missing)
        notes.insert(0, f"Contour non disponible pour {names} : les points sont placés selon leurs coordonnées.")
    annotations = [
        {
            "text": "<br>".join(notes),
            "showarrow": False,
            "x": 0,
            "y": 0,
            "xref": "paper",
            "yref": "paper",
            "xanchor": "left",
            "yanchor": "top",
            "yshift": -4,
            "align": "left",
            "font": {"color": MUTED, "size": 11},
        }
    ]
    layout = _layout(
        height=height,
        legend=False,
        annotations=annotations,
        margin={"b": 16 * len(notes) + 8},
        uirevision="map",
        dragmode=False,
        hovermode="closest",
        xaxis={"range": [x0, x1], "visible": False, "fixedrange": True, "constrain": "domain"},
        yaxis={
            "range": [y0, y1],
            "visible": False,
            "fixedrange": True,
            "scaleanchor": "x",
            "scaleratio": 1,
            "constrain": "domain",
        },
    )
    return {"data": data, "layout": layout}


def _map_labels(
    region_map: RegionMap, points: Sequence[tuple[float, float]], *, km_per_px: float
) -> list[tuple[float, float, str]]:
    """Each département's label at its centre, or just below or above it when a point or another label is
    there; a département too narrow for its name, or crowded, shows its code alone (its name on hover)."""
    marker = 9 * km_per_px  # the points' radius and a little air
    taken: list[tuple[float, float, float, float]] = []  # centre and half sizes of the labels placed
    out = []

    def width(shape: DepartementShape) -> float:
        xs = [p[0] for ring in shape.rings for p in ring]
        return max(xs) - min(xs) if xs else math.inf

    for shape in sorted(region_map.shapes, key=width, reverse=True):
        texts = [shape.label, shape.code] if shape.has_outline else [shape.label]
        if len(shape.label) * 6.8 * km_per_px > 1.15 * width(shape):
            texts = texts[1:]
        choice = None
        for text in texts:
            half_w, half_h = len(text) * 3.4 * km_per_px, 8 * km_per_px
            for dy in (0, -22, 22, -36, 36):
                x, y = shape.label_x, shape.label_y + dy * km_per_px
                clear_of_points = all(
                    abs(px - x) > half_w + marker or abs(py - y) > half_h + marker for px, py in points
                )
                clear_of_labels = all(
                    abs(tx - x) > half_w + tw or abs(ty - y) > half_h + th for tx, ty, tw, th in taken
                )
                if clear_of_points and clear_of_labels:
                    choice = (x, y, text, half_w, half_h)
                    break
            if choice:
                break
        if choice is None:  # nowhere free: the code at the centre, over whatever is there
            text = texts[-1]
            choice = (shape.label_x, shape.label_y, text, len(text) * 3.4 * km_per_px, 8 * km_per_px)
        x, y, text, half_w, half_h = choice
        taken.append((x, y, half_w, half_h))
        out.append((x, y, _safe(text)))
    return out


# ---------------------------------------------------------------------------------------------
# The adequacy check: the room's stances on the proposed orientations

# Shares below this are left unlabelled inside their bar (no room for « 4 % »).
SHARE_LABEL_MIN = 0.08
SKIP_DOMAIN = 0.86  # the skip column starts here (paper fraction of the plot width)


def _share(n: int, total: int) -> float:
    return n / total if total else 0.0


def verdict_label(v: Verdict) -> str:
    """« 42 avis · Salle partagée »: how many weighed in, and what that says."""
    return f"{format_number(v.weighed_in)} avis · {VERDICT_LABELS[v.kind]}"


def verdict_chart(
    rows: Sequence[Verdict],
    *,
    big: bool = False,
    labels: bool = True,
    notes: bool = True,
    legend: bool = True,
    title_chars: int = 110,
    height: int | None = None,
) -> Spec:
    """One diverging bar per orientation, as shares of those who weighed in: disagreement to the left,
    agreement with reservations then without to the right; « passer » apart, in grey, in its own column
    (answered, but on neither side). With `notes`, the number who weighed in and the verdict on the right."""
    rows = list(rows)
    size = BIG_FONT if big else FONT_SIZE
    # Each orientation's title is written above its bar (with labels) or not at all: the bars keep the width.
    names = [_safe(f"{v.code} · {_cut(v.title, title_chars)}") if labels else _safe(v.code) for v in rows]

    def bar(key: str, counts: list[int], sign: int) -> Spec:
        shares = [_share(n, v.weighed_in) for n, v in zip(counts, rows, strict=True)]
        return _hbar(
            names,
            [sign * x for x in shares],
            VOTE_COLORS[key],
            name=VOTE_NAMES[key],
            customdata=[[n, format_percent(100 * x)] for n, x in zip(counts, shares, strict=True)],
            text=[format_percent(100 * x) if x >= SHARE_LABEL_MIN else "" for x in shares],
            textposition="inside",
            insidetextanchor="middle",
            textangle=0,
            textfont={"color": INK if key == "reservations" else "#ffffff", "size": size},
            hovertemplate=f"%{{y}}<br>{VOTE_NAMES[key]} : %{{customdata[0]:,d}} (%{{customdata[1]}})<extra></extra>",
        )

    skips = [v.skip for v in rows]
    top_skip = max(skips, default=0)
    data = [
        bar("agree", [v.agree for v in rows], 1),
        bar("reservations", [v.reservations for v in rows], 1),
        bar("disagree", [v.disagree for v in rows], -1),
        {
            **_hbar(
                names,
                skips,
                VOTE_COLORS["skip"],
                name=VOTE_SHORT_NAMES["skip"],
                hovertemplate=f"%{{y}}<br>{VOTE_NAMES['skip']} : %{{x:,d}}<extra></extra>",
            ),
            "xaxis": "x2",
            "text": [format_number(n) if n or big else "" for n in skips],
            "textposition": "outside",
            "textfont": {"color": MUTED, "size": size - 2},
            "cliponaxis": False,
            "showlegend": False,
        },
    ]
    header = {"xref": "paper", "yref": "paper", "y": 1.0, "yanchor": "bottom", "showarrow": False}
    annotations: list[Spec] = [
        {**header, "x": SKIP_DOMAIN, "xanchor": "left", "text": "Passent", "font": {"color": MUTED, "size": size - 2}}
    ]
    if notes:
        annotations += [
            {
                "x": 1.0,
                "xref": "paper",
                "xanchor": "left",
                "xshift": 12,
                "y": name,
                "yref": "y",
                "text": _safe(verdict_label(v)),
                "showarrow": False,
                "font": {"size": size, "color": INK if not v.small_sample else MUTED},
            }
            for name, v in zip(names, rows, strict=True)
        ]
    if not rows:
        annotations = [_message("Aucune orientation pour ces filtres")]
    row_height = (3 if labels else 2) * size + (24 if labels else 40)
    if labels:
        # On a white ground: the zero line and the grid pass behind the titles, not through them.
        annotations += [{**a, "bgcolor": "#ffffff"} for a in _labels_above(names, row_height)]
    layout = _layout(
        height=height or (56 if legend else 28) + row_height * max(len(rows), 1),
        big=big,
        showlegend=legend,
        barmode="relative",
        bargap=0.5 if labels else 0.25,
        annotations=annotations,
        uniformtext={"mode": "hide", "minsize": size - 3},
        margin={
            "l": 8 if labels else 3 * size,  # room for the « 100 % » tick under the left end
            "r": (12 * size + 24) if notes else 12,
            "t": 56 if legend else (size + 16),
        },
        yaxis={"autorange": "reversed", "showticklabels": False},
        xaxis=_axis(
            domain=[0, SKIP_DOMAIN - 0.04],
            range=[-1.04, 1.04],
            tickvals=[-1, -0.5, 0, 0.5, 1],
            ticktext=["100 %", "50 %", "0", "50 %", "100 %"],
            tickfont={"size": size - 6 if big else size - 1, "color": MUTED},
            showgrid=True,
            gridcolor=GRID,
            zeroline=True,
            zerolinecolor=INK,
            zerolinewidth=1.5,
            fixedrange=True,
        ),
        xaxis2=_axis(
            domain=[SKIP_DOMAIN, 1.0],
            anchor="y",
            range=[0, max(top_skip, 1) * 1.6],
            showticklabels=False,
            fixedrange=True,
        ),
    )
    layout["yaxis"]["fixedrange"] = True
    # The keys above the whole figure, not squeezed into the plot's width (the labels are above the bars).
    layout["legend"].update(xref="container", x=0, y=1.0, yanchor="top", yref="container", font={"size": size})
    return {"data": data, "layout": layout}


def verdict_time_chart(frame: pd.DataFrame, names: dict[int, str], *, height: int = 380) -> Spec:
    """The share in agreement (with or without reservations) of each orientation, at the end of each quarter
    hour of the day (Paris time), from its running counts; the 50 % line marks an even split."""
    data: list[Spec] = []
    for index, (orientation_id, name) in enumerate(names.items()):
        rows = frame[frame["orientation_id"] == orientation_id]
        if rows.empty:
            continue
        agreeing = (rows["agree"] + rows["reservations"]).tolist()
        weighed = (rows["agree"] + rows["reservations"] + rows["disagree"]).tolist()
        label = _safe(name)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [at.strftime("%Y-%m-%d %H:%M") for at in rows["at"]],
                "y": [100 * a / w if w else None for a, w in zip(agreeing, weighed, strict=True)],
                "customdata": weighed,
                "name": label,
                "line": {"color": SERIES_COLORS[index % len(SERIES_COLORS)], "width": 2.5, "shape": "hv"},
                "marker": {"size": 6},
                "connectgaps": True,
                "hovertemplate": f"{label}<br>%{{x|%H:%M}} : %{{y:.0f}} % d'accord (%{{customdata:,d}} avis)"
                "<extra></extra>",
            }
        )
    annotations = [] if data else [_message("Pas encore d'avis sur ces orientations")]
    layout = _layout(
        height=height,
        annotations=annotations,
        margin={"t": 12, "b": 8},
        hovermode="closest",
        shapes=[
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": 50,
                "y1": 50,
                "line": {"color": MUTED, "width": 1, "dash": "dot"},
            }
        ],
        xaxis=_axis(type="date", tickformat="%H:%M", showline=True, linecolor=GRID, visible=bool(data)),
        yaxis=_axis(
            range=[0, 102],
            tickvals=[0, 25, 50, 75, 100],
            ticktext=["0 %", "25 %", "50 %", "75 %", "100 %"],
            showgrid=True,
            gridcolor=GRID,
            title={"text": "D'accord (avec ou sans réserves)"},
            visible=bool(data),
        ),
    )
    layout["legend"].update(yanchor="top", y=-0.12)  # below the lines: the top is the 100 % of agreement
    return {"data": data, "layout": layout}


def new_devices_chart(frame: pd.DataFrame, *, height: int = 180) -> Spec:
    """Phones seen for the first time, per minute (Paris time): a burst stands out."""
    counts = [int(n) for n in frame["devices"]]
    data = [
        {
            "type": "bar",
            "x": [m.strftime("%Y-%m-%d %H:%M") for m in frame["minute"]],
            "y": counts,
            "marker": {"color": "#5b6770", "line": {"width": 0}},
            "hovertemplate": "%{x|%H:%M} : %{y:,d} nouveaux téléphones<extra></extra>",
        }
    ]
    layout = _layout(
        height=height,
        legend=False,
        bargap=0.15,
        margin={"t": 8, "b": 8},
        xaxis=_axis(type="date", tickformat="%H:%M", showline=True, linecolor=GRID, fixedrange=True),
        yaxis=_axis(
            range=[0, max(max(counts, default=0), 1) * 1.15],
            tickformat=",d",
            dtick=max(1, math.ceil(max(counts, default=0) / 4)),  # whole phones only, never 0,5
            showgrid=True,
            gridcolor=GRID,
            fixedrange=True,
            rangemode="tozero",
        ),
    )
    return {"data": data, "layout": layout}
