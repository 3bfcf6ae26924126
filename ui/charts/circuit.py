"""The circuit's figures: stand visits per theme, the most visited stands, and the Région's map."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from services.geo import DepartementShape, RegionMap
from services.reference import ThemeInfo
from services.tallies import CircuitSummary
from ui.charts.base import MUTED, Spec, chart_layout, cut, end_totals, hbar, message, safe, theme_rows, value_axis


def circuit_themes_bar(summary: CircuitSummary, themes: Sequence[ThemeInfo], *, height: int = 260) -> Spec:
    """Stand visits per theme."""
    rows = theme_rows(summary.by_theme, themes, "visits")
    labels = [safe(theme.short_label) for theme, _ in rows]
    visits = [n for _, (n,) in rows]
    data = [
        hbar(
            labels,
            visits,
            [theme.color for theme, _ in rows],
            hovertemplate="%{y} : %{x:,d} visites<extra></extra>",
        ),
        end_totals(labels, visits),
    ]
    layout = chart_layout(
        height=height,
        legend=False,
        totals=True,
        labels=labels,
        yaxis={"autorange": "reversed"},
        xaxis=value_axis(max(visits, default=0)),
    )
    return {"data": data, "layout": layout}


def stands_bar(summary: CircuitSummary, themes: Sequence[ThemeInfo], *, top: int = 8, height: int = 300) -> Spec:
    """The most visited stands, in the colour of their theme."""
    colors = {t.id: t.color for t in themes}
    rows = summary.by_stand.head(top)
    labels = [safe(f"{code} · {cut(str(name), 34)}") for code, name in zip(rows["code"], rows["name"], strict=True)]
    visits = [int(v) for v in rows["visits"]]
    data: list[Spec] = []
    annotations: list[Spec] = []
    if labels:
        data = [
            hbar(
                labels,
                visits,
                [colors.get(int(t), MUTED) for t in rows["theme_id"]],
                hovertemplate="%{y} : %{x:,d} visites<extra></extra>",
            ),
            end_totals(labels, visits),
        ]
    else:
        annotations = [message("Aucune visite de stand pour l'instant")]
    layout = chart_layout(
        height=height,
        legend=False,
        totals=True,
        labels=labels,
        annotations=annotations,
        yaxis={"autorange": "reversed", "visible": bool(labels)},
        xaxis=value_axis(max(visits, default=0)),
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
    data = [_outline(shape) for shape in region_map.shapes if shape.has_outline]
    placed = [(region_map.project(p.lat, p.lon), p.hover) for p in points]
    x0, x1, y0, y1 = _map_extent(region_map, [xy for xy, _ in placed])
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
                "hovertext": [safe(text) for _, text in placed],
                "hoverinfo": "text",
                "showlegend": False,
            }
        )
    notes = _map_notes(region_map)
    layout = chart_layout(
        height=height,
        legend=False,
        annotations=[_notes_below(notes)],
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


def _outline(shape: DepartementShape) -> Spec:
    """One département as a light filled outline: one trace, its rings apart (fill="toself" closes each)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in shape.rings:
        xs += [p[0] for p in ring] + [ring[0][0], None]
        ys += [p[1] for p in ring] + [ring[0][1], None]
    return {
        "type": "scatter",
        "mode": "lines",
        "x": xs,
        "y": ys,
        "fill": "toself",
        "fillcolor": MAP_TINTS[shape.tint % len(MAP_TINTS)],
        "line": {"color": "#ffffff", "width": 1.5},
        "name": safe(shape.label),
        "hoveron": "fills",
        "hoverinfo": "name",
        "showlegend": False,
    }


def _map_extent(region_map: RegionMap, points: Sequence[tuple[float, float]]) -> tuple[float, float, float, float]:
    """The plane shown: the départements drawn, widened to every point (a pôle elsewhere, an outline-less island)."""
    (x0, x1), (y0, y1) = region_map.x_range, region_map.y_range
    pad = 0.04 * max(x1 - x0, y1 - y0)
    for x, y in points:
        x0, x1, y0, y1 = min(x0, x - pad), max(x1, x + pad), min(y0, y - pad), max(y1, y + pad)
    return x0, x1, y0, y1


def _map_notes(region_map: RegionMap) -> list[str]:
    """The lines under the map: the départements without an outline, then the outlines' credit."""
    notes = [safe(region_map.credit)] if any(s.has_outline for s in region_map.shapes) else []
    missing = region_map.missing_outlines
    if missing:
        names = ", ".join(safe(s.label) for s in missing)
        notes.insert(0, f"Contour non disponible pour {names} : les points sont placés selon leurs coordonnées.")
    return notes


def _notes_below(notes: Sequence[str]) -> Spec:
    return {
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
        out.append((x, y, safe(text)))
    return out


# ---------------------------------------------------------------------------------------------
