"""The contributions' figures: per theme, over time, per category, and the words most used."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import accumulate

import pandas as pd

from services.formatting import PARIS
from services.reference import ThemeInfo
from services.tallies import HOUR_S, QUARTER_HOUR_S, TimeSeries
from ui.charts.base import (
    GRID,
    INK,
    Spec,
    axis,
    chart_layout,
    end_totals,
    hbar,
    labels_above,
    message,
    safe,
    theme_rows,
    value_axis,
)


def themes_bar(frame: pd.DataFrame, themes: Sequence[ThemeInfo], *, row_height: int = 54) -> Spec:
    """Contributions per theme, published (solid) and awaiting moderation (light), total at the end."""
    rows = theme_rows(frame, themes, "total", "pending", "published")
    labels = [safe(theme.short_label) for theme, _ in rows]
    colors = [theme.color for theme, _ in rows]
    totals, pending_counts, published_counts = ([counts[i] for _, counts in rows] for i in range(3))
    pending = hbar(
        labels,
        pending_counts,
        colors,
        name="À modérer",
        hovertemplate="%{y} : %{x:,d} à modérer<extra></extra>",
    )
    pending["marker"].update(opacity=0.35, pattern={"shape": "/", "fgcolor": "#ffffff"})
    published = hbar(
        labels,
        published_counts,
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
    data = [published, pending, end_totals(labels, totals), *keys]
    layout = chart_layout(
        height=row_height * max(len(rows), 1) + 56,
        totals=True,
        barmode="stack",
        bargap=0.5,
        annotations=labels_above(labels, row_height),
        yaxis={"autorange": "reversed", "showticklabels": False},
        xaxis=value_axis(max(totals, default=0), 1.05),
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
        empty = [message("Aucune contribution sur cette période")]
        layout = chart_layout(height=height, legend=False, annotations=empty)
        layout["xaxis"]["visible"] = layout["yaxis"]["visible"] = False
        return {"data": [], "layout": layout}
    x, table, unit, period = _series_table(series, [t.id for t in themes])
    cumulative = {theme_id: list(accumulate(values)) for theme_id, values in table.items()}
    _, when, ticks = PERIODS.get(period, (unit, "%{x|%d/%m/%Y %H:%M}", "%d/%m %H:%M"))
    data: list[Spec] = []
    for theme in themes:
        name = safe(theme.short_label)
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
        name = safe(theme.short_label)
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
    layout = chart_layout(
        height=height,
        barmode="stack",
        bargap=0.1,
        xaxis=axis(type="date", anchor="y2", tickformat=ticks, showline=True, linecolor=GRID),
        yaxis=axis(domain=[0.42, 1.0], title={"text": "Cumul"}, showgrid=True, gridcolor=GRID, tickformat=",d"),
        yaxis2=axis(domain=[0.0, 0.34], title={"text": unit}, showgrid=True, gridcolor=GRID, tickformat=",d"),
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
    names = [safe(labels.get(k, k)) for k in keys]
    table = {theme.id: [counts.get((k, theme.id), 0) for k in keys] for theme in themes}
    data = [
        hbar(
            names,
            table[theme.id],
            theme.color,
            name=safe(theme.short_label),
            hovertemplate=f"%{{y}} · {safe(theme.short_label)} : %{{x:,d}}<extra></extra>",
        )
        for theme in themes
    ]
    totals = [sum(column[i] for column in table.values()) for i in range(len(keys))]
    data.append(end_totals(names, totals))
    annotations = labels_above(names, row_height)
    layout = chart_layout(
        height=row_height * max(len(keys), 1) + 20,
        totals=True,
        legend=False,
        barmode="stack",
        bargap=0.55,
        annotations=annotations,
        margin={"t": 22},
        yaxis={"autorange": "reversed", "showticklabels": False},
        xaxis=value_axis(max(totals, default=0), 1.05),
    )
    return {"data": data, "layout": layout}


def words_chart(
    words: pd.DataFrame, theme: ThemeInfo, *, big: bool = False, height: int = 320, title: bool = True
) -> Spec:
    """The words used by the most contributions of one theme, longest bar on top."""
    labels = [safe(w) for w in words["word"]]
    counts = [int(n) for n in words["count"]]
    data: list[Spec] = []
    annotations: list[Spec] = []
    if labels:
        data = [
            hbar(labels, counts, theme.color, hovertemplate="%{y} : %{x:,d} contributions<extra></extra>"),
            end_totals(labels, counts, big=big),
        ]
    else:
        annotations = [message("Pas encore de texte publié")]
    layout = chart_layout(
        height=height,
        big=big,
        legend=False,
        totals=True,
        labels=labels,
        bargap=0.2,
        annotations=annotations,
        yaxis={"autorange": "reversed", "visible": bool(labels)},
        xaxis=value_axis(max(counts, default=0), 1.25),
    )
    if title:
        layout["title"] = {"text": safe(theme.short_label), "x": 0, "font": {"color": INK}}
        layout["margin"]["t"] = 40
    return {"data": data, "layout": layout}
