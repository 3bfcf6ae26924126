"""Contributions over time: counts per quarter hour (per hour beyond two days of data) and theme."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlmodel import Session

from services.tally_buckets import (
    HOUR_S,
    QUARTER_HOUR_S,
    QUARTER_HOURS_UP_TO,
    ROLLUP_WIDTHS,
    contribution_span,
    rollup_counts,
)
from services.tally_filters import TallyFilter, edition_filter, typed_frame


@dataclass(frozen=True)
class TimeSeries:
    """Counts per time bucket and theme: columns bucket (UTC, aware), theme_id, count; oldest first."""

    bucket_s: int
    frame: pd.DataFrame
    first: datetime | None = None
    last: datetime | None = None


def time_series(
    session: Session, *, filters: TallyFilter, bucket_s: int | None = None, edition_id: int | None = None
) -> TimeSeries:
    """Contributions per quarter hour (per hour beyond two days of data) and theme, for the chart over time."""
    filters = edition_filter(session=session, filters=filters, edition_id=edition_id)
    # The bucket size follows the span of the filter's themes (two index lookups per theme); the window,
    # when there is one, bounds it.
    span = contribution_span(session, filters)
    first, last = span
    if first is not None and filters.since is not None:
        first = max(first, filters.since)
    if last is not None and filters.until is not None:
        last = min(last, filters.until)
    empty = typed_frame(bucket=([], "datetime64[s, UTC]"), theme_id=([], "int64"), count=([], "int64"))
    if first is None or last is None:
        return TimeSeries(bucket_s or QUARTER_HOUR_S, empty)
    if bucket_s is None:
        bucket_s = QUARTER_HOUR_S if last - first <= QUARTER_HOURS_UP_TO else HOUR_S
    if bucket_s not in ROLLUP_WIDTHS["base"]:
        raise ValueError(f"no rollup of {bucket_s} s buckets")
    counts = rollup_counts(session, filters, "base", ("theme_id", "bucket"), widths=(bucket_s,), span=span)
    if not counts:
        return TimeSeries(bucket_s, empty, first, last)
    # Oldest first, then by theme; bucket starts as epoch seconds turned into datetimes by numpy, at once.
    points = sorted((int(bucket) * bucket_s, int(theme_id), n) for (theme_id, bucket), n in counts.items())
    starts = np.array([p[0] for p in points], dtype=np.int64).astype("datetime64[s]")
    frame = pd.DataFrame(
        {
            "bucket": pd.Series(starts).dt.tz_localize(UTC),
            "theme_id": np.array([p[1] for p in points], dtype=np.int64),
            "count": np.array([p[2] for p in points], dtype=np.int64),
        }
    )
    return TimeSeries(bucket_s, frame, first, last)
