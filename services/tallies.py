"""Live tallies of the contributions and of the circuit: every count is a GROUP BY in the database.

Nothing here loads contributions one by one. The counts by theme, source, département, actor type, stance
and time bucket read the rollup `contributiontally` (models.contribution.ContributionTally), which the
database's own triggers keep exact in the same transaction as every write: a few thousand rows per
month of data, whatever the number of contributions (services.tally_buckets).

Every tally is an edition's (`edition_id`, the default edition when None): each function narrows its filter
to the edition's theme ids first (services.tally_filters).

This module is the one name the live pages call (ui/tallies.py looks each function up here at call time, so a
test may replace one): the tallies themselves live in
- services.tally_filters: the filter, the time windows, the edition's themes;
- services.tally_buckets: reading the rollup (whole buckets, ragged ends);
- services.tally_counts: counts by category, the room's pace, stances on orientations, the data version;
- services.tally_series: contributions over time;
- services.tally_texts: the words of the published texts, the latest contributions;
- services.circuit.traffic: the circuit's summary (visits, hunters, treasures), beside its live traffic.
"""

from __future__ import annotations

from services.circuit.traffic import CircuitSummary, circuit_summary
from services.tally_buckets import DAY_S, HOUR_S, QUARTER_HOUR_S, QUARTER_HOURS_UP_TO, ROLLUP_WIDTHS, rollup_column
from services.tally_counts import (
    NOT_GIVEN,
    RECENT_MINUTES,
    DataVersion,
    Dimension,
    OrientationStances,
    actor_type_tallies,
    data_version,
    departement_tallies,
    dimension_tallies,
    last_contribution_at,
    orientation_stances,
    recent_count,
    source_tallies,
    theme_tallies,
)
from services.tally_filters import (
    COUNTED_STATUSES,
    NO_THEME,
    PUBLISHED,
    TallyFilter,
    Window,
    edition_filter,
    make_filter,
    window_bounds,
)
from services.tally_series import TimeSeries, time_series
from services.tally_texts import WORDS_TEXTS_PER_THEME, LatestContribution, latest_contributions, top_words

__all__ = [
    "COUNTED_STATUSES",
    "DAY_S",
    "HOUR_S",
    "NOT_GIVEN",
    "NO_THEME",
    "PUBLISHED",
    "QUARTER_HOURS_UP_TO",
    "QUARTER_HOUR_S",
    "RECENT_MINUTES",
    "ROLLUP_WIDTHS",
    "WORDS_TEXTS_PER_THEME",
    "CircuitSummary",
    "DataVersion",
    "Dimension",
    "LatestContribution",
    "OrientationStances",
    "TallyFilter",
    "TimeSeries",
    "Window",
    "actor_type_tallies",
    "circuit_summary",
    "data_version",
    "departement_tallies",
    "dimension_tallies",
    "edition_filter",
    "last_contribution_at",
    "latest_contributions",
    "make_filter",
    "orientation_stances",
    "recent_count",
    "rollup_column",
    "source_tallies",
    "theme_tallies",
    "time_series",
    "top_words",
    "window_bounds",
]
