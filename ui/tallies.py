"""The live pages' thin cache in front of services/tallies.py, shared by every session of this process.

Aggregates are the same for every organiser, so one process computes each at most once per data change:
- the cached boards are keyed by the filters *and* by the store's data version (highest contribution
  and stand-visit ids, two primary-key lookups per refresh): a new contribution, written by this process
  or by any other one sharing the database, changes the key and shows at the very next refresh;
- a short time-to-live (TTL_S) bounds what the version cannot see: moderation (a status change),
  corrections, deletions, and on PostgreSQL a commit that lands after a higher id was already seen.
  Several app processes on one PostgreSQL database therefore never disagree for longer than that.
The counts read the rollup kept by the database (services/tallies.py): a few milliseconds each whatever
the number of contributions, all in one session. The circuit's counts, read from the visit rows, have
their own cache keyed by the newest visit, so a new contribution does not recount them.
Words are recounted only when the published counts they come from change (or after WORDS_TTL_S, for
edits of a published text), never because a contribution awaiting moderation arrived.
Every board is an edition's: its id is an argument of each cached function, hence part of every cache key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from services import qrcodes, reference, tallies
from services.formatting import PARIS
from services.tallies import (
    CircuitSummary,
    DataVersion,
    Dimension,
    LatestContribution,
    OrientationStances,
    TallyFilter,
    TimeSeries,
    Window,
)
from ui import store

WORDS_TEXTS_PER_THEME = tallies.WORDS_TEXTS_PER_THEME

# The live fragments rerun this often; with the version in the cache key a new contribution appears
# after at most one interval plus the time to query (within the 3 s promised to organisers).
REFRESH_S = 2.0
# The dashboard's other charts (over time, origins, places, actors, stances, words, circuit): redrawn less often,
# one tab at a time, the open tab's name in this URL parameter (/direct?vue=Mots; none for the first tab).
DETAILS_REFRESH_S = 10.0
DETAIL_TABS = ("Au fil du temps", "Origines et publics", "Orientations", "Mots", "Circuit")
TAB_PARAM = "vue"
# Upper bound on the age of anything the data version does not reveal (see the module docstring).
TTL_S = 3
# Upper bound on the age of the words after an edit of an already published text (masking).
WORDS_TTL_S = 20
# A few filter combinations per open page, times a few data versions in flight.
MAX_ENTRIES = 32


@dataclass(frozen=True)
class Selection:
    """What the filters say; resolved into a TallyFilter (dates against the clock) when a query runs."""

    theme_ids: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()
    window: str = Window.ALL
    day: date | None = None

    def filters(self) -> TallyFilter:
        return tallies.make_filter(theme_ids=self.theme_ids, sources=self.sources, window=self.window, day=self.day)


@dataclass(frozen=True)
class DashboardBoard:
    """Everything the organisers' page draws that must follow each new contribution."""

    by_theme: pd.DataFrame
    by_source: pd.DataFrame
    by_departement: pd.DataFrame
    by_actor_type: pd.DataFrame
    recent: int
    series: TimeSeries
    stances: list[OrientationStances]


@dataclass(frozen=True)
class ScreenBoard:
    """What the room's screen shows of one theme (and the totals of all themes)."""

    by_theme: pd.DataFrame
    recent: int
    stances: list[OrientationStances]
    latest: list[LatestContribution]


Reads = dict[str, tuple[Callable[..., Any], dict[str, Any]]]


def _each_read(session: Session, *, calls: Reads) -> dict[str, Any]:
    return {name: fn(session=session, **kwargs) for name, (fn, kwargs) in calls.items()}


def _read_all(calls: Reads) -> dict[str, Any]:
    """Run service reads one after the other in a single session (one checkout, one transaction)."""
    return store.read(_each_read, calls=calls)


def version() -> DataVersion:
    """Read at every refresh, never cached: it is what lets the boards below be reused safely."""
    return store.read(tallies.data_version)


# The data version is an ordinary (hashed) argument of every board: it is part of the cache key.


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def dashboard_board(edition_id: int, selection: Selection, version: DataVersion) -> DashboardBoard:
    filters = selection.filters()
    scope = {"filters": filters, "edition_id": edition_id}
    parts = _read_all(
        {
            "series": (tallies.time_series, scope),
            "by_theme": (tallies.theme_tallies, scope),
            "by_source": (tallies.dimension_tallies, {**scope, "dimension": Dimension.SOURCE}),
            "by_departement": (tallies.dimension_tallies, {**scope, "dimension": Dimension.DEPARTEMENT}),
            "by_actor_type": (tallies.dimension_tallies, {**scope, "dimension": Dimension.ACTOR_TYPE}),
            "stances": (tallies.orientation_stances, scope),
            "recent": (tallies.recent_count, scope),
        }
    )
    return DashboardBoard(**parts)


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def circuit(edition_id: int, selection: Selection, last_visit_id: int) -> CircuitSummary:
    """The circuit's counts, keyed by the newest visit only: a new contribution does not recount the visits.

    Read from the visit rows (tens of milliseconds at 100 000 visits); treasures found move with the TTL.
    """
    return store.read(tallies.circuit_summary, filters=selection.filters(), edition_id=edition_id)


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def screen_board(edition_id: int, theme_id: int, version: DataVersion, latest: int = 2) -> ScreenBoard:
    every_theme = {"filters": TallyFilter(), "edition_id": edition_id}
    theme = {"filters": TallyFilter(theme_ids=(theme_id,)), "edition_id": edition_id}
    parts = _read_all(
        {
            "by_theme": (tallies.theme_tallies, every_theme),
            "recent": (tallies.recent_count, every_theme),
            "stances": (tallies.orientation_stances, theme),
            # The room only ever sees published (moderated) texts.
            "latest": (tallies.latest_contributions, {**theme, "limit": latest, "published_only": True}),
        }
    )
    return ScreenBoard(**parts)


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def latest(
    edition_id: int, selection: Selection, version: DataVersion, limit: int = 20, published_only: bool = True
) -> list[LatestContribution]:
    return store.read(
        tallies.latest_contributions,
        filters=selection.filters(),
        limit=limit,
        published_only=published_only,
        edition_id=edition_id,
    )


# `published` (the published counts per theme the page just read) is part of the cache key.


@st.cache_data(ttl=WORDS_TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def top_words(edition_id: int, selection: Selection, published: tuple[int, ...], top: int = 10) -> pd.DataFrame:
    """Words per theme, recounted when a text is published or unpublished, not when one awaits moderation."""
    return store.read(tallies.top_words, filters=selection.filters(), top=top, edition_id=edition_id)


def published_counts(by_theme: pd.DataFrame, theme_ids: tuple[int, ...] = ()) -> tuple[int, ...]:
    """The published counts of a board's themes (all of them, or `theme_ids`): the key of the words' cache."""
    rows = by_theme if not theme_ids else by_theme[by_theme["theme_id"].isin(theme_ids)]
    return tuple(int(n) for n in rows["published"].tolist())


@st.cache_data(ttl=TTL_S, max_entries=16, show_spinner=False)
def last_activity_day(edition_id: int) -> date:
    """The Paris day of the edition's newest contribution (today when there is none): the default day to look at."""
    moment = store.read(tallies.last_contribution_at, edition_id=edition_id) or datetime.now(UTC)
    return moment.astimezone(PARIS).date()


@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def departement_labels(edition_id: int) -> dict[str, str]:
    """'44 · Loire-Atlantique', … of the edition's Région, in the reference order (the 60 s TTL of ui.store)."""
    rows = store.read(reference.list_departements, edition_id=edition_id)
    return {code: f"{code} · {name}" if code.isdigit() else name for code, name in rows}


@st.cache_data(max_entries=8, show_spinner=False)
def qr_png(url: str) -> bytes:
    return qrcodes.qr_png(url)


def clear() -> None:
    """After a write in this process that the version does not reveal (a moderation), show it at once here."""
    for fn in (dashboard_board, circuit, screen_board, latest, top_words, last_activity_day):
        fn.clear()
