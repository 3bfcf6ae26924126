"""Every live tally against counts worked out by hand, on SQLite and on PostgreSQL.

The fixture stores seven contributions whose every field is chosen (one of them rejected, two awaiting
moderation), three stand visits and one treasure found; each test states what the room should see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from db.engine import session_scope
from models import Contribution, Orientation, Participant, Stand
from services import tallies
from services.circuit import record_stand_visit
from services.contributions import ContributionDraft, submit_contribution
from services.participants import create_participant
from services.tallies import Dimension, TallyFilter, Window

DAY = date(2016, 6, 28)
EVERYTHING = TallyFilter()
NOTHING = TallyFilter(sources=("paper",))  # no contribution came on paper
ZERO = (0, 0, 0)


def at(hour: int, minute: int = 0, *, day: int = 28, month: int = 6) -> datetime:
    return datetime(2016, month, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    theme: int
    source: str
    status: str
    created: datetime
    body: str
    title: str = ""
    departement: str | None = None
    actor_type: str | None = None
    orientation: str | None = None
    stance: str | None = None
    display_mode: str = "anonymous"
    author_name: str = ""
    organisation: str = ""


ROWS = {
    "c1": Row(
        1,
        "conference",
        "published",
        at(8, 0),
        "Un dossier unique simplifié pour les petites associations.",
        title="Dossier unique",
        departement="44",
        actor_type="association",
        orientation="T1-O1",
        stance="support",
        display_mode="name",
        author_name="Marie Curie",
    ),
    "c2": Row(
        1,
        "conference",
        "pending",
        at(8, 10),
        "Une idée secretpending encore à modérer, pas pour la salle.",
        departement="49",
        actor_type="cooperative",
        orientation="T1-O1",
        stance="disagreement",
    ),
    "c3": Row(
        1,
        "treasure_hunt",
        "published",
        at(8, 20),
        "Dossier unique : moins de paperasse pour les associations.",
        orientation="T1-O1",
        stance="support_with_reservations",
        display_mode="organisation",
        organisation="SCOP Les Ateliers",
    ),
    "c4": Row(
        1,
        "workshop",
        "rejected",
        at(8, 5),
        "Un message rejeté par la modération, jamais compté.",
        departement="44",
        actor_type="association",
        orientation="T1-O1",
        stance="disagreement",
    ),
    "c5": Row(
        2,
        "questionnaire",
        "published",
        at(9, 0, day=10, month=5),
        "Faire connaître les coopératives.",
        departement="85",
        actor_type="mutual",
        orientation="T2-O1",
        stance="new_proposal",
    ),
    "c6": Row(
        3,
        "conference",
        "published",
        at(12, 40),
        "Créer des emplois durables pour les jeunes du quartier.",
        title="Emploi local",
        departement="44",
        actor_type="association",
    ),
    "c7": Row(
        3,
        "online",
        "pending",
        at(12, 59),
        "Texte confidentiel en attente de modération.",
        orientation="T3-O1",
        stance="support",
    ),
}


@dataclass
class Store:
    engine: Engine
    ids: dict[str, int]
    orientations: dict[str, int]
    participants: list[int]

    def read(self, fn: Any, **kwargs: Any) -> Any:
        with session_scope(self.engine) as session:
            return fn(session=session, **kwargs)


def _orientation_ids(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return {o.code: o.id or 0 for o in session.exec(select(Orientation)).all()}


@pytest.fixture
def seeded(store_engine: Engine) -> Store:
    orientations = _orientation_ids(store_engine)
    ids: dict[str, int] = {}
    with session_scope(store_engine, write=True) as session:
        for name, row in ROWS.items():
            receipt = submit_contribution(
                session=session,
                draft=ContributionDraft(
                    theme_id=row.theme,
                    body=row.body,
                    title=row.title,
                    idempotency_key=uuid.uuid4().hex,
                    source=row.source,
                    status=row.status,
                    created_at=row.created,
                    departement=row.departement,
                    actor_type=row.actor_type,
                    orientation_id=orientations[row.orientation] if row.orientation else None,
                    stance=row.stance,
                    display_mode=row.display_mode,
                    author_name=row.author_name,
                    organisation=row.organisation,
                ),
            )
            ids[name] = receipt.contribution_id
        # Staff masked a personal detail in c6: the room sees the masked copy, words included.
        session.execute(
            update(Contribution)
            .where(col(Contribution.id) == ids["c6"])
            .values(masked_body="Créer des emplois durables pour les jeunes du [quartier masqué].")
        )
        first, second = create_participant(session=session), create_participant(session=session)
        record_stand_visit(session=session, participant_id=first.id, stand_code="S01", at=at(9, 0))
        record_stand_visit(session=session, participant_id=first.id, stand_code="S07", at=at(9, 30))
        record_stand_visit(session=session, participant_id=second.id, stand_code="S01", at=at(10, 0))
        record_stand_visit(session=session, participant_id=second.id, stand_code="S01", at=at(10, 5))  # repeat scan
        participant = session.get(Participant, first.id)
        assert participant is not None
        participant.treasure_found_at = at(11, 0)
    return Store(store_engine, ids, orientations, [first.id, second.id])


@pytest.fixture(params=["filter-matching-nothing", "empty-store"])
def blank(request: pytest.FixtureRequest, store_engine: Engine) -> tuple[Store, TallyFilter]:
    """Nothing to count, two ways: a filter no contribution matches, or a store with no contribution."""
    if request.param == "empty-store":
        return Store(store_engine, {}, _orientation_ids(store_engine), []), EVERYTHING
    return request.getfixturevalue("seeded"), NOTHING


def themes(frame: pd.DataFrame) -> dict[int, tuple[int, int, int]]:
    rows = frame.to_dict("records")
    return {int(r["theme_id"]): (int(r["published"]), int(r["pending"]), int(r["total"])) for r in rows}


def triples(frame: pd.DataFrame) -> list[tuple[str, int, int]]:
    return [(str(r["key"]), int(r["theme_id"]), int(r["count"])) for r in frame.to_dict("records")]


# ---------------------------------------------------------------------------------------------
# Counts per theme


def test_theme_tallies_count_published_and_pending_never_rejected(seeded: Store) -> None:
    frame = seeded.read(tallies.theme_tallies, filters=EVERYTHING)
    assert list(frame.columns) == ["theme_id", "published", "pending", "total"]
    # c1, c3 published and c2 pending on theme 1 (c4 is rejected); c5 on 2; c6 published, c7 pending on 3.
    assert themes(frame) == {1: (2, 1, 3), 2: (1, 0, 1), 3: (1, 1, 2), 4: ZERO, 5: ZERO}
    assert frame["theme_id"].tolist() == [1, 2, 3, 4, 5]  # theme order, zeros kept


def test_theme_tallies_follow_every_filter(seeded: Store) -> None:
    only_one = seeded.read(tallies.theme_tallies, filters=TallyFilter(theme_ids=(1,)))
    assert themes(only_one) == {1: (2, 1, 3)}
    conference = seeded.read(tallies.theme_tallies, filters=TallyFilter(sources=("conference",)))
    assert themes(conference) == {1: (1, 1, 2), 2: ZERO, 3: (1, 0, 1), 4: ZERO, 5: ZERO}
    day = tallies.make_filter(window=Window.DAY, day=DAY)
    assert themes(seeded.read(tallies.theme_tallies, filters=day))[2] == ZERO  # c5 came in May
    morning = TallyFilter(since=at(8, 10), until=at(12, 40))  # since inclusive, until exclusive
    assert themes(seeded.read(tallies.theme_tallies, filters=morning)) == {
        1: (1, 1, 2),
        2: ZERO,
        3: ZERO,
        4: ZERO,
        5: ZERO,
    }


def test_every_tally_with_nothing_to_count(blank: tuple[Store, TallyFilter]) -> None:
    """A filter no contribution matches, and a store without contributions: zeros, never an error."""
    store, filters = blank
    assert themes(store.read(tallies.theme_tallies, filters=filters)) == {i: ZERO for i in range(1, 6)}
    for dimension in Dimension:
        frame = store.read(tallies.dimension_tallies, filters=filters, dimension=dimension)
        assert frame.empty and list(frame.columns) == ["key", "theme_id", "count"]
    assert store.read(tallies.recent_count, filters=filters, now=at(13, 5)) == 0
    ts = store.read(tallies.time_series, filters=filters)
    assert ts.frame.empty and list(ts.frame.columns) == ["bucket", "theme_id", "count"]
    stances = store.read(tallies.orientation_stances, filters=filters)
    assert len(stances) == 17 and all(s.total == 0 and s.net_support is None for s in stances)
    words = store.read(tallies.top_words, filters=filters)
    assert words.empty and list(words.columns) == ["theme_id", "word", "count", "rank"]
    assert store.read(tallies.latest_contributions, filters=filters) == []
    if not store.ids:  # the empty store (the circuit ignores the source filter, so only there)
        circuit = store.read(tallies.circuit_summary, filters=filters)
        assert (circuit.visits, circuit.hunters, circuit.treasures_found, circuit.stands_visited) == (0, 0, 0, 0)
        assert circuit.by_theme["visits"].tolist() == [0, 0, 0, 0, 0] and circuit.by_stand.empty
        assert store.read(tallies.data_version) == tallies.DataVersion(0, 0)
        assert store.read(tallies.last_contribution_at) is None


# ---------------------------------------------------------------------------------------------
# Counts by source, département, actor type


def test_source_tallies_split_by_theme_largest_first(seeded: Store) -> None:
    frame = seeded.read(tallies.source_tallies, filters=EVERYTHING)
    assert list(frame.columns) == ["key", "theme_id", "count"]
    # Ties (one contribution each) in key order; the rejected workshop contribution is not there.
    assert triples(frame) == [
        ("conference", 1, 2),
        ("conference", 3, 1),
        ("online", 3, 1),
        ("questionnaire", 2, 1),
        ("treasure_hunt", 1, 1),
    ]


def test_departement_and_actor_type_tallies_keep_the_unsaid(seeded: Store) -> None:
    departements = seeded.read(tallies.departement_tallies, filters=EVERYTHING)
    assert triples(departements) == [("", 1, 1), ("", 3, 1), ("44", 1, 1), ("44", 3, 1), ("49", 1, 1), ("85", 2, 1)]
    actors = seeded.read(tallies.actor_type_tallies, filters=EVERYTHING)
    assert triples(actors) == [
        ("", 1, 1),
        ("", 3, 1),
        ("association", 1, 1),
        ("association", 3, 1),
        ("cooperative", 1, 1),
        ("mutual", 2, 1),
    ]


def test_dimension_tallies_with_one_theme_or_one_status(seeded: Store) -> None:
    one = seeded.read(tallies.dimension_tallies, filters=TallyFilter(theme_ids=(3,)), dimension=Dimension.SOURCE)
    assert triples(one) == [("conference", 3, 1), ("online", 3, 1)]
    published = TallyFilter(statuses=("published",))
    assert triples(seeded.read(tallies.source_tallies, filters=published)) == [
        ("conference", 1, 1),
        ("conference", 3, 1),
        ("questionnaire", 2, 1),
        ("treasure_hunt", 1, 1),
    ]


def test_recent_count_is_the_last_quarter_hour(seeded: Store) -> None:
    now = at(13, 5)  # since 12:50: c7 (12:59) only; c6 came at 12:40
    assert seeded.read(tallies.recent_count, filters=EVERYTHING, now=now) == 1
    assert seeded.read(tallies.recent_count, filters=EVERYTHING, now=now, minutes=30) == 2
    assert seeded.read(tallies.recent_count, filters=TallyFilter(theme_ids=(1,)), now=now) == 0


# ---------------------------------------------------------------------------------------------
# Over time


def series(ts: tallies.TimeSeries) -> list[tuple[str, int, int]]:
    return [(b.strftime("%d/%m %H:%M"), int(t), int(n)) for b, t, n in ts.frame.itertuples(index=False)]


def test_time_series_per_quarter_hour_on_the_conference_day(seeded: Store) -> None:
    ts = seeded.read(tallies.time_series, filters=tallies.make_filter(window=Window.DAY, day=DAY))
    assert ts.bucket_s == tallies.QUARTER_HOUR_S
    # UTC buckets: c1 08:00 and c2 08:10 share 08:00; c3 08:20 → 08:15; c6 12:40 → 12:30; c7 12:59 → 12:45.
    assert series(ts) == [("28/06 08:00", 1, 2), ("28/06 08:15", 1, 1), ("28/06 12:30", 3, 1), ("28/06 12:45", 3, 1)]
    assert str(ts.frame["bucket"].dtype) == "datetime64[s, UTC]"


def test_time_series_per_hour_beyond_two_days(seeded: Store) -> None:
    ts = seeded.read(tallies.time_series, filters=EVERYTHING)
    assert ts.bucket_s == tallies.HOUR_S
    assert series(ts) == [("10/05 09:00", 2, 1), ("28/06 08:00", 1, 3), ("28/06 12:00", 3, 2)]
    assert ts.first == at(9, 0, day=10, month=5)
    assert ts.last == at(12, 59)


def test_time_series_of_one_theme(seeded: Store) -> None:
    one = seeded.read(tallies.time_series, filters=TallyFilter(theme_ids=(3,)), bucket_s=tallies.QUARTER_HOUR_S)
    assert series(one) == [("28/06 12:30", 3, 1), ("28/06 12:45", 3, 1)]
    assert seeded.read(tallies.last_contribution_at) == at(12, 59)


# ---------------------------------------------------------------------------------------------
# Stances on the orientations


def test_orientation_stances_most_divisive_first(seeded: Store) -> None:
    stances = seeded.read(tallies.orientation_stances, filters=EVERYTHING)
    first = stances[0]
    # T1-O1: c1 support, c3 support with reservations, c2 disagreement (c4's disagreement was rejected).
    assert (first.code, first.support, first.reservations, first.disagreement, first.new_proposal) == (
        "T1-O1",
        1,
        1,
        1,
        0,
    )
    assert first.total == 3
    assert first.net_support == pytest.approx(100 * (1 + 1 - 1) / 3)
    assert first.controversy == pytest.approx(3**0.5)  # (2 + 1) ** (1 / 2)
    # Then undivided orientations with stances (by number, then code), then the silent ones.
    assert [(s.code, s.total) for s in stances[1:3]] == [("T2-O1", 1), ("T3-O1", 1)]
    t2, t3 = stances[1], stances[2]
    assert (t2.new_proposal, t2.net_support, t2.controversy) == (1, 0.0, 0.0)
    assert (t3.support, t3.net_support, t3.controversy) == (1, 100.0, 0.0)
    silent = stances[3:]
    assert all(s.total == 0 and s.net_support is None for s in silent)
    assert [s.code for s in silent] == sorted(s.code for s in silent)
    assert len(stances) == 17  # every presented orientation of the reference data


def test_orientation_stances_of_one_theme(seeded: Store) -> None:
    one = seeded.read(tallies.orientation_stances, filters=TallyFilter(theme_ids=(1,)))
    assert [s.code for s in one] == ["T1-O1", "T1-O2", "T1-O3", "T1-O4"]
    assert [s.total for s in one] == [3, 0, 0, 0]
    published = seeded.read(tallies.orientation_stances, filters=TallyFilter(theme_ids=(1,), statuses=("published",)))
    assert (published[0].support, published[0].reservations, published[0].disagreement) == (1, 1, 0)


# ---------------------------------------------------------------------------------------------
# Words


def words(frame: pd.DataFrame, theme_id: int) -> list[tuple[str, int]]:
    part = frame[frame["theme_id"] == theme_id].sort_values("rank")
    return list(zip(part["word"], part["count"].astype(int), strict=True))


def test_top_words_count_published_texts_once_each(seeded: Store) -> None:
    frame = seeded.read(tallies.top_words, filters=EVERYTHING, top=6)
    assert list(frame.columns) == ["theme_id", "word", "count", "rank"]
    # Theme 1, published: c1 (title + body) and c3. « Dossier » is in c1's title and body: one contribution.
    assert words(frame, 1) == [
        ("associations", 2),
        ("dossier", 2),
        ("unique", 2),
        ("paperasse", 1),
        ("petites", 1),
        ("simplifié", 1),  # accents kept for display
    ]
    # Theme 3: only c6, through its masked copy; the pending c7 never counts.
    assert ("masqué", 1) in words(frame, 3)
    assert "confidentiel" not in set(frame["word"])
    assert "secretpending" not in set(frame["word"])
    assert set(frame["theme_id"]) == {1, 2, 3}


def test_top_words_are_bounded_to_the_newest_texts(seeded: Store) -> None:
    newest_only = seeded.read(tallies.top_words, filters=TallyFilter(theme_ids=(1,)), texts_per_theme=1)
    assert words(newest_only, 1)[0] == ("associations", 1)  # c3 alone, the newest published one
    assert "simplifié" not in set(newest_only["word"])


# ---------------------------------------------------------------------------------------------
# Latest contributions


def test_latest_contributions_show_only_published_texts_by_default(seeded: Store) -> None:
    latest = seeded.read(tallies.latest_contributions, filters=EVERYTHING)
    assert [c.contribution_id for c in latest] == [seeded.ids[k] for k in ("c6", "c3", "c1", "c5")]
    assert {c.status for c in latest} == {"published"}
    c6, c3, c1, c5 = latest
    assert c6.text.endswith("[quartier masqué].")  # the masked copy, never the original
    assert (c1.author, c3.author, c5.author) == ("Marie Curie", "SCOP Les Ateliers", "")
    assert c1.title == "Dossier unique" and c1.created_at == at(8, 0)
    everything = seeded.read(tallies.latest_contributions, filters=EVERYTHING, published_only=False, limit=3)
    assert [c.contribution_id for c in everything] == [seeded.ids[k] for k in ("c7", "c6", "c3")]
    assert seeded.ids["c4"] not in {
        c.contribution_id
        for c in seeded.read(tallies.latest_contributions, filters=EVERYTHING, published_only=False, limit=50)
    }


def test_latest_contributions_of_one_theme(seeded: Store) -> None:
    one = seeded.read(tallies.latest_contributions, filters=TallyFilter(theme_ids=(1,)))
    assert [c.contribution_id for c in one] == [seeded.ids["c3"], seeded.ids["c1"]]


# ---------------------------------------------------------------------------------------------
# The circuit


def test_circuit_summary_counts_visits_hunters_and_treasures(seeded: Store) -> None:
    with session_scope(seeded.engine) as session:
        stand_theme = {s.code: s.theme_id for s in session.exec(select(Stand)).all()}
        open_stands = sum(1 for s in session.exec(select(Stand)).all() if s.active)
    assert (stand_theme["S01"], stand_theme["S07"]) == (1, 3)
    summary = seeded.read(tallies.circuit_summary, filters=EVERYTHING)
    # S01 twice (the repeat scan of the second hunter did not count), S07 once.
    assert (summary.visits, summary.hunters, summary.treasures_found) == (3, 2, 1)
    assert (summary.stands_visited, summary.stands_open) == (2, open_stands)
    assert dict(zip(summary.by_theme["theme_id"], summary.by_theme["visits"], strict=True)) == {
        1: 2,
        2: 0,
        3: 1,
        4: 0,
        5: 0,
    }
    assert summary.by_stand[["code", "visits"]].values.tolist() == [["S01", 2], ["S07", 1]]


def test_circuit_summary_of_one_theme_and_of_another_day(seeded: Store) -> None:
    one = seeded.read(tallies.circuit_summary, filters=TallyFilter(theme_ids=(3,)))
    assert (one.visits, one.hunters, one.stands_open) == (1, 1, 3)
    assert one.by_theme.values.tolist() == [[3, 1]]
    other_day = seeded.read(
        tallies.circuit_summary, filters=tallies.make_filter(window=Window.DAY, day=date(2016, 6, 29))
    )
    assert (other_day.visits, other_day.hunters, other_day.treasures_found, other_day.stands_visited) == (0, 0, 0, 0)


# ---------------------------------------------------------------------------------------------
# Version, windows


def test_data_version_moves_with_each_new_contribution_or_visit(seeded: Store) -> None:
    before = seeded.read(tallies.data_version)
    assert before.last_contribution_id == max(seeded.ids.values())
    with session_scope(seeded.engine, write=True) as session:
        record_stand_visit(session=session, participant_id=seeded.participants[1], stand_code="S13")
    after = seeded.read(tallies.data_version)
    assert after.last_contribution_id == before.last_contribution_id
    assert after.last_visit_id > before.last_visit_id


def test_windows_resolve_to_utc_bounds() -> None:
    now = at(13, 5)
    # A Paris day (UTC+2 in summer) runs from 22:00 UTC the day before.
    assert tallies.window_bounds(Window.DAY, day=DAY, now=now) == (at(22, 0, day=27), at(22, 0))
    assert tallies.window_bounds(Window.DAY, now=now) == (at(22, 0, day=27), at(22, 0))  # today by default
    assert tallies.window_bounds(Window.LAST_HOUR, now=now) == (at(12, 5), None)
    assert tallies.window_bounds(Window.LAST_3H, now=now) == (at(10, 5), None)
    assert tallies.window_bounds(Window.ALL, now=now) == (None, None)
    with pytest.raises(ValueError):
        tallies.window_bounds("week", now=now)
    made = tallies.make_filter(theme_ids=(3, 1), sources=("online",), window=Window.LAST_HOUR, now=now)
    assert made == TallyFilter(theme_ids=(1, 3), sources=("online",), since=at(12, 5))


def test_last_hour_window_against_the_seeded_clock(seeded: Store) -> None:
    last_hour = tallies.make_filter(window=Window.LAST_HOUR, now=at(13, 5))
    assert themes(seeded.read(tallies.theme_tallies, filters=last_hour))[3] == (1, 1, 2)
    assert sum(t[2] for t in themes(seeded.read(tallies.theme_tallies, filters=last_hour)).values()) == 2


# ---------------------------------------------------------------------------------------------
# Fast at any size: what SQLite is asked to do
