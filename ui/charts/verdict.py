"""The adequacy check: the room's stances on the proposed orientations, their movement, and the new phones."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from services.formatting import format_number, format_percent
from services.verdict import VERDICT_LABELS, Verdict
from ui.charts.base import (
    BIG_FONT,
    FONT_SIZE,
    GRID,
    INK,
    MUTED,
    SERIES_COLORS,
    VOTE_COLORS,
    VOTE_NAMES,
    VOTE_SHORT_NAMES,
    Spec,
    axis,
    chart_layout,
    cut,
    hbar,
    labels_above,
    message,
    safe,
)

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
    names = [safe(f"{v.code} · {cut(v.title, title_chars)}") if labels else safe(v.code) for v in rows]
    row_height = (3 if labels else 2) * size + (24 if labels else 40)
    annotations = _verdict_annotations(rows, names, size=size, notes=notes)
    if labels:
        # On a white ground: the zero line and the grid pass behind the titles, not through them.
        annotations += [{**a, "bgcolor": "#ffffff"} for a in labels_above(names, row_height)]
    layout = chart_layout(
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
        xaxis=_shares_axis(size, big=big),
        xaxis2=axis(
            domain=[SKIP_DOMAIN, 1.0],
            anchor="y",
            range=[0, max(max((v.skip for v in rows), default=0), 1) * 1.6],
            showticklabels=False,
            fixedrange=True,
        ),
    )
    layout["yaxis"]["fixedrange"] = True
    # The keys above the whole figure, not squeezed into the plot's width (the labels are above the bars).
    layout["legend"].update(xref="container", x=0, y=1.0, yanchor="top", yref="container", font={"size": size})
    return {"data": _verdict_bars(rows, names, size=size, big=big), "layout": layout}


def _verdict_bars(rows: list[Verdict], names: list[str], *, size: int, big: bool) -> list[Spec]:
    """The shares agreeing (right) and disagreeing (left), then the skips in their own column."""

    def bar(key: str, counts: list[int], sign: int) -> Spec:
        shares = [_share(n, v.weighed_in) for n, v in zip(counts, rows, strict=True)]
        return hbar(
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
    return [
        bar("agree", [v.agree for v in rows], 1),
        bar("reservations", [v.reservations for v in rows], 1),
        bar("disagree", [v.disagree for v in rows], -1),
        {
            **hbar(
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


def _verdict_annotations(rows: list[Verdict], names: list[str], *, size: int, notes: bool) -> list[Spec]:
    """The skip column's header and, with `notes`, each orientation's number of stances and verdict."""
    if not rows:
        return [message("Aucune orientation pour ces filtres")]
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
                "text": safe(verdict_label(v)),
                "showarrow": False,
                "font": {"size": size, "color": INK if not v.small_sample else MUTED},
            }
            for name, v in zip(names, rows, strict=True)
        ]
    return annotations


def _shares_axis(size: int, *, big: bool) -> Spec:
    """The shares' axis, from 100 % disagreeing to 100 % agreeing, left of the skip column."""
    return axis(
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
    )


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
        label = safe(name)
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
    annotations = [] if data else [message("Pas encore d'avis sur ces orientations")]
    layout = chart_layout(
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
        xaxis=axis(type="date", tickformat="%H:%M", showline=True, linecolor=GRID, visible=bool(data)),
        yaxis=axis(
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
    layout = chart_layout(
        height=height,
        legend=False,
        bargap=0.15,
        margin={"t": 8, "b": 8},
        xaxis=axis(type="date", tickformat="%H:%M", showline=True, linecolor=GRID, fixedrange=True),
        yaxis=axis(
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
