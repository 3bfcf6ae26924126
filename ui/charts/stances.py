"""The stances written in contributions on each proposed orientation, as one diverging bar per orientation."""

from __future__ import annotations

from collections.abc import Sequence

from services.formatting import format_number
from services.tallies import OrientationStances
from ui.charts.base import (
    BIG_FONT,
    FONT_SIZE,
    INK,
    MUTED,
    STANCE_COLORS,
    STANCE_NAMES,
    STANCE_SHORT_NAMES,
    Spec,
    axis,
    chart_layout,
    cut,
    hbar,
    message,
    safe,
    wrap,
)


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
        labels = [wrap(f"{s.code} · {s.title}", title_chars) for s in rows]
    else:
        labels = [safe(f"{s.code} · {cut(s.title, title_chars)}") for s in rows]
    size = BIG_FONT if big else FONT_SIZE
    extent = max([max(s.support + s.reservations, s.disagreement) + s.new_proposal / 2 for s in rows] + [1])
    annotations = _net_annotations(labels, rows, size) if rows else [message("Aucune orientation pour ces filtres")]
    layout = chart_layout(
        height=height or 70 + (110 if big else 34) * max(len(rows), 1),
        big=big,
        labels=labels,
        legend=legend,
        barmode="relative",
        bargap=0.3,
        annotations=annotations,
        # The keys' line stays reserved above the bars even when they are drawn outside the chart.
        margin={"r": 100 if big else 48, "t": 36},
        yaxis={"autorange": "reversed"},
        xaxis=axis(
            showticklabels=False,
            range=[-extent * 1.05, extent * 1.05],
            zeroline=True,
            zerolinecolor=INK,
            zerolinewidth=1,
        ),
    )
    return {"data": _stance_bars(rows, labels, STANCE_SHORT_NAMES if big else STANCE_NAMES), "layout": layout}


def _stance_bars(rows: Sequence[OrientationStances], labels: list[str], names: dict[str, str]) -> list[Spec]:
    """Supports and reservations to the right, disagreements to the left, new proposals half on each side."""

    def bar(key: str, values: list[float], counts: list[int], *, key_shown: bool = True) -> Spec:
        return hbar(
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
    return [
        bar("support", [s.support for s in rows], [s.support for s in rows]),
        bar("reservations", [s.reservations for s in rows], [s.reservations for s in rows]),
        bar("new_proposal", [n / 2 for n in proposals], proposals),
        bar("new_proposal", [-n / 2 for n in proposals], proposals, key_shown=False),
        bar("disagreement", [-s.disagreement for s in rows], [s.disagreement for s in rows]),
    ]


def _net_annotations(labels: list[str], rows: Sequence[OrientationStances], size: int) -> list[Spec]:
    """The net support of each orientation in the right margin, under a « Net » header."""
    nets: list[Spec] = [
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
    header = {
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
    return [*nets, header]
