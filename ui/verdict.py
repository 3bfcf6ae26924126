"""The verdict pages' thin cache in front of services/verdict.py, shared by every session of this process.

The same discipline as ui/tallies.py (read its docstring):
- every board is keyed by the edition, the filters *and* the vote version (the newest vote event's id, one
  primary-key lookup per refresh, `version()`): a tap on any phone, or a paper entry or withdrawal, served by
  this process or any other sharing the database, changes the key and shows at the very next refresh;
- a short time-to-live (TTL_S) bounds what the version cannot see: a « pourquoi ? » published by a moderator,
  a participant who describes themselves after voting (the filters by actor type and département move), the
  vote opened or closed, and on PostgreSQL a commit landing after a higher id was already seen.
The counts come from the rollups (services/verdict.py): a few milliseconds whatever the number of stances.
Nothing here is a participant's own: the boards are counts and published texts, the same for every organiser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
import streamlit as st
from sqlmodel import Session

from services import verdict
from services.verdict import Reason, Verdict, VerdictFilter, VoteSummary
from ui import store
from ui import tallies as live

# The live fragment reruns this often: a tap shows after at most one interval plus the query (within 3 s).
REFRESH_S = live.REFRESH_S
# The movement over the day and the new phones per minute: redrawn less often.
DETAILS_REFRESH_S = live.DETAILS_REFRESH_S
TTL_S = 3
# A few filter combinations per open page, times a few versions in flight.
MAX_ENTRIES = 32
# The new devices per minute over this many minutes (the organisers' anomaly watch).
DEVICES_MINUTES = 30


@dataclass(frozen=True)
class VerdictBoard:
    """What the verdict page draws at each refresh: the verdicts (ballot order) and the headline counts."""

    rows: list[Verdict]
    summary: VoteSummary


def version() -> int:
    """Read once per refresh, never cached: what lets the boards below be reused safely."""
    return store.read(verdict.vote_version)


# The version is an ordinary (hashed) argument of every board: it is part of the cache key.


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def board(edition_id: int, filters: VerdictFilter, version: int) -> VerdictBoard:
    # Both reads in one session (one checkout, one transaction).
    return store.read(_board, filters=filters, edition_id=edition_id)


def _board(session: Session, *, filters: VerdictFilter, edition_id: int) -> VerdictBoard:
    rows = verdict.verdicts(session, filters=filters, edition_id=edition_id)
    return VerdictBoard(rows=rows, summary=verdict.vote_summary(session, edition_id=edition_id))


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def summary(edition_id: int, version: int) -> VoteSummary:
    """The headline counts alone (the dashboard's metric)."""
    return store.read(verdict.vote_summary, edition_id=edition_id)


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def over_time(orientation_ids: tuple[int, ...], origins: tuple[str, ...], version: int) -> pd.DataFrame:
    """The running counts per quarter hour of these orientations (their ids belong to one edition)."""
    return store.read(verdict.verdict_over_time, orientation_ids=orientation_ids, origins=origins)


@st.cache_data(ttl=TTL_S, max_entries=16, show_spinner=False)
def new_devices(edition_id: int, minute: datetime) -> pd.DataFrame:
    """New phones per minute up to `minute` (the current one, UTC): the key moves with the clock, the TTL
    refreshes the minute in progress."""
    return store.read(verdict.new_devices_per_minute, minutes=DEVICES_MINUTES, now=minute, edition_id=edition_id)


def current_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def reasons(edition_id: int, orientation_ids: tuple[int, ...], version: int) -> dict[int, list[Reason]]:
    """A published « pourquoi ? » per side for each orientation (a publication shows within the TTL)."""
    return store.read(
        verdict.representative_reasons, orientation_ids=orientation_ids, per_choice=1, edition_id=edition_id
    )


def plenary_rows(rows: list[Verdict], limit: int) -> list[Verdict]:
    """The most divided orientations for the plenary: small samples only when nothing else has been answered."""
    answered = [v for v in rows if v.weighed_in]
    settled = [v for v in answered if not v.small_sample]
    return verdict.sort_verdicts(settled or answered, "division")[:limit]


def clear() -> None:
    """After a write in this process that the version does not reveal, show it at once here."""
    for fn in (board, summary, over_time, new_devices, reasons):
        fn.clear()
