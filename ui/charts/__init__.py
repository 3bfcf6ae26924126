"""Plotly figures of the live tallies: theme colours from the themes table, French numbers and dates.

The modules: `base` (the shared look and building blocks, and why figures are plain specs), `tallies` (the
contributions per theme, over time, per category, the words), `stances` (the contributions' stances on the
orientations), `circuit` (stand visits and the Région's map), `verdict` (the room's stances, their movement,
the new phones). Pages use the names re-exported here (`charts.verdict_chart`).
"""

from ui.charts.base import (
    BIG_FONT,
    FONT_SIZE,
    SERIES_COLORS,
    STANCE_COLORS,
    STANCE_NAMES,
    STANCE_SHORT_NAMES,
    VOTE_COLORS,
    VOTE_NAMES,
    VOTE_SHORT_NAMES,
    Spec,
    figure,
    stance_keys_html,
    vote_keys_html,
)
from ui.charts.circuit import MapPoint, circuit_themes_bar, region_map_chart, stands_bar
from ui.charts.stances import stances_chart
from ui.charts.tallies import category_bar, themes_bar, time_chart, words_chart
from ui.charts.verdict import new_devices_chart, verdict_chart, verdict_label, verdict_time_chart

__all__ = [
    "BIG_FONT",
    "FONT_SIZE",
    "SERIES_COLORS",
    "STANCE_COLORS",
    "STANCE_NAMES",
    "STANCE_SHORT_NAMES",
    "VOTE_COLORS",
    "VOTE_NAMES",
    "VOTE_SHORT_NAMES",
    "MapPoint",
    "Spec",
    "category_bar",
    "circuit_themes_bar",
    "figure",
    "new_devices_chart",
    "region_map_chart",
    "stance_keys_html",
    "stances_chart",
    "stands_bar",
    "themes_bar",
    "time_chart",
    "verdict_chart",
    "verdict_label",
    "verdict_time_chart",
    "vote_keys_html",
    "words_chart",
]
