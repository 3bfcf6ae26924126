"""Two editions in one store, with overlapping codes (theme « emploi », stand S01, orientation T1-O1 in both): every
live tally of one edition holds none of the other's contributions, visits, themes or words, and a theme of the
other edition asked for counts nothing. The scoped statements keep to the indexes the single-edition ones used.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from db.engine import session_scope
from models import Orientation, Participant, Stand, StandVisit, Theme
from services import tallies
from services.contributions import ContributionDraft, submit_contribution
from services.tallies import Dimension, TallyFilter
from tests.editions import FIRST_EDITION_ID, load_second_edition

FIRST_DAY = datetime(2016, 6, 28, 7, 0, tzinfo=UTC)
SECOND_DAY = datetime(2022, 11, 24, 9, 0, tzinfo=UTC)
MARKS = {"first": "ligerienne", "second": "berruyere"}  # a word only each edition's texts use


@dataclass
class EditionData:
    edition_id: int
    theme_ids: list[int]
    orientation_ids: set[int]
    stand_ids: set[int]
    published: list[int]  # contribution ids, newest first
    pending: list[int]
    day: datetime
    mark: str


@dataclass
class TwoEditions:
    engine: Engine
    first: EditionData
    second: EditionData

    def read(self, fn: Any, **kwargs: Any) -> Any:
        with session_scope(self.engine) as session:
            return fn(session=session, **kwargs)


def _fill(engine: Engine, edition_id: int, day: datetime, mark: str, departement: str) -> EditionData:
    with session_scope(engine, write=True) as session:
        themes = session.exec(
            select(Theme).where(Theme.edition_id == edition_id).order_by(col(Theme.position), col(Theme.id))
        ).all()
        theme_ids = [t.id or 0 for t in themes]
        emploi = next(t.id or 0 for t in themes if t.code == "emploi")
        t1o1 = session.exec(
            select(Orientation).where(Orientation.edition_id == edition_id, Orientation.code == "T1-O1")
        ).one()
        stands = session.exec(select(Stand).where(Stand.edition_id == edition_id)).all()
        s01 = next(s for s in stands if s.code == "S01")
        rows = [
            (emploi, "published", f"Des emplois durables, une idée {mark} pour les quartiers.", None, None),
            (t1o1.theme_id, "published", f"Un guichet unique {mark} pour les associations.", t1o1.id, "support"),
            (t1o1.theme_id, "pending", f"Une proposition {mark} encore à modérer.", t1o1.id, "disagreement"),
        ]
        ids: list[tuple[str, int]] = []
        for n, (theme_id, status, body, orientation_id, stance) in enumerate(rows):
            receipt = submit_contribution(
                session=session,
                draft=ContributionDraft(
                    theme_id=theme_id,
                    body=body,
                    idempotency_key=uuid.uuid4().hex,
                    status=status,
                    departement=departement,
                    actor_type="association",
                    orientation_id=orientation_id,
                    stance=stance,
                    created_at=day + timedelta(minutes=10 * n),
                ),
                edition_id=edition_id,
            )
            ids.append((status, receipt.contribution_id))
        # Two hunters of this edition, the first finds the treasure; both scan this edition's S01.
        for n in range(2):
            hunter = Participant(
                edition_id=edition_id,
                device_token=uuid.uuid4().hex,
                public_code=uuid.uuid4().hex[:10],
                treasure_found_at=day + timedelta(hours=2) if n == 0 else None,
            )
            session.add(hunter)
            session.flush()
            assert hunter.id is not None and s01.id is not None
            session.add(StandVisit(stand_id=s01.id, participant_id=hunter.id, created_at=day + timedelta(hours=1)))
        orientation_ids = set(
            session.exec(select(col(Orientation.id)).where(col(Orientation.edition_id) == edition_id)).all()
        )
    return EditionData(
        edition_id=edition_id,
        theme_ids=theme_ids,
        orientation_ids={i or 0 for i in orientation_ids},
        stand_ids={s.id or 0 for s in stands},
        published=[i for s, i in reversed(ids) if s == "published"],
        pending=[i for s, i in ids if s == "pending"],
        day=day,
        mark=mark,
    )


@pytest.fixture
def two(store_engine: Engine) -> TwoEditions:
    with session_scope(store_engine, write=True) as session:
        second_id = load_second_edition(session)
    first = _fill(store_engine, FIRST_EDITION_ID, FIRST_DAY, MARKS["first"], "44")
    second = _fill(store_engine, second_id, SECOND_DAY, MARKS["second"], "18")
    return TwoEditions(store_engine, first, second)


def _pairs(two: TwoEditions) -> list[tuple[EditionData, EditionData]]:
    return [(two.first, two.second), (two.second, two.first)]


def test_the_editions_share_codes_but_not_rows(two: TwoEditions) -> None:
    assert two.first.edition_id != two.second.edition_id
    assert not set(two.first.theme_ids) & set(two.second.theme_ids)
    assert not two.first.stand_ids & two.second.stand_ids
    assert len(two.first.theme_ids) == 5 and len(two.second.theme_ids) == 4


def test_counts_by_theme_and_by_category_are_each_editions_own(two: TwoEditions) -> None:
    for own, _other in _pairs(two):
        frame = two.read(tallies.theme_tallies, filters=TallyFilter(), edition_id=own.edition_id)
        assert frame["theme_id"].tolist() == own.theme_ids  # every theme of the edition, zeros kept, no other
        assert (int(frame["published"].sum()), int(frame["pending"].sum())) == (2, 1)
        for dimension in Dimension:
            split = two.read(
                tallies.dimension_tallies, filters=TallyFilter(), dimension=dimension, edition_id=own.edition_id
            )
            assert set(split["theme_id"]) <= set(own.theme_ids), dimension
            assert int(split["count"].sum()) == 3, dimension
        places = two.read(tallies.departement_tallies, filters=TallyFilter(), edition_id=own.edition_id)
        assert set(places["key"]) == ({"44"} if own is two.first else {"18"})
        recent = two.read(
            tallies.recent_count,
            filters=TallyFilter(),
            now=own.day + timedelta(minutes=25),
            minutes=60,
            edition_id=own.edition_id,
        )
        assert recent == 3


def test_time_series_and_last_activity_follow_the_edition_only(two: TwoEditions) -> None:
    for own, _other in _pairs(two):
        series = two.read(tallies.time_series, filters=TallyFilter(), edition_id=own.edition_id)
        # The edition's own span (one morning): quarter hours, though the store spans six years.
        assert series.bucket_s == tallies.QUARTER_HOUR_S
        assert series.first == own.day and series.last == own.day + timedelta(minutes=20)
        assert set(series.frame["theme_id"]) <= set(own.theme_ids)
        assert int(series.frame["count"].sum()) == 3
        assert two.read(tallies.last_contribution_at, edition_id=own.edition_id) == own.day + timedelta(minutes=20)


def test_stances_words_and_latest_texts_are_each_editions_own(two: TwoEditions) -> None:
    for own, other in _pairs(two):
        stances = two.read(tallies.orientation_stances, filters=TallyFilter(), edition_id=own.edition_id)
        assert {s.orientation_id for s in stances} <= own.orientation_ids
        t1o1 = next(s for s in stances if s.code == "T1-O1")
        assert (t1o1.support, t1o1.disagreement, t1o1.total) == (1, 1, 2)
        words = two.read(tallies.top_words, filters=TallyFilter(), edition_id=own.edition_id)
        assert own.mark in set(words["word"]) and other.mark not in set(words["word"])
        assert set(words["theme_id"]) <= set(own.theme_ids)
        latest = two.read(tallies.latest_contributions, filters=TallyFilter(), edition_id=own.edition_id)
        assert [c.contribution_id for c in latest] == own.published
        everything = two.read(
            tallies.latest_contributions, filters=TallyFilter(), published_only=False, edition_id=own.edition_id
        )
        assert sorted(c.contribution_id for c in everything) == sorted(own.published + own.pending)
        assert all(other.mark not in c.text for c in everything)


def test_the_circuit_counts_the_editions_stands_and_passports_only(two: TwoEditions) -> None:
    for own, _other in _pairs(two):
        circuit = two.read(tallies.circuit_summary, filters=TallyFilter(), edition_id=own.edition_id)
        assert (circuit.visits, circuit.hunters, circuit.treasures_found, circuit.stands_visited) == (2, 2, 1, 1)
        with session_scope(two.engine) as session:
            open_stands = sum(
                1 for s in session.exec(select(Stand).where(Stand.edition_id == own.edition_id)).all() if s.active
            )
        assert circuit.stands_open == open_stands
        assert circuit.by_theme["theme_id"].tolist() == own.theme_ids
        assert circuit.by_stand["code"].tolist() == ["S01"]


def test_a_theme_of_another_edition_counts_nothing(two: TwoEditions) -> None:
    for own, other in _pairs(two):
        foreign = TallyFilter(theme_ids=(other.theme_ids[0], other.theme_ids[1]))
        kw: dict[str, Any] = {"filters": foreign, "edition_id": own.edition_id}
        assert two.read(tallies.theme_tallies, **kw).empty
        for dimension in Dimension:
            assert two.read(tallies.dimension_tallies, dimension=dimension, **kw).empty
        assert two.read(tallies.recent_count, now=own.day + timedelta(minutes=25), minutes=60, **kw) == 0
        assert two.read(tallies.time_series, **kw).frame.empty
        assert two.read(tallies.orientation_stances, **kw) == []
        assert two.read(tallies.top_words, **kw).empty
        assert two.read(tallies.latest_contributions, published_only=False, **kw) == []
        circuit = two.read(tallies.circuit_summary, **kw)
        assert (circuit.visits, circuit.hunters, circuit.stands_open) == (0, 0, 0) and circuit.by_theme.empty
        # Mixed with one of its own: only its own counts.
        mixed = TallyFilter(theme_ids=(own.theme_ids[0], *foreign.theme_ids))
        assert two.read(tallies.theme_tallies, filters=mixed, edition_id=own.edition_id)["theme_id"].tolist() == [
            own.theme_ids[0]
        ]


def test_without_an_edition_the_default_one_is_counted(two: TwoEditions) -> None:
    default = two.read(tallies.theme_tallies, filters=TallyFilter())
    first = two.read(tallies.theme_tallies, filters=TallyFilter(), edition_id=FIRST_EDITION_ID)
    assert default.equals(first)
    assert [c.contribution_id for c in two.read(tallies.latest_contributions, filters=TallyFilter())] == (
        two.first.published
    )


def test_scoped_tallies_keep_to_the_indexes(two: TwoEditions) -> None:
    """SQLite: the rollup by its primary key, the latest texts and the time span through (theme_id, created_at);
    no statement reads the whole contribution table, whatever the other edition holds."""
    if two.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plans (PostgreSQL plans by its statistics)")
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(two.engine, "before_cursor_execute", capture)
    try:
        with session_scope(two.engine) as session:
            edition = two.second.edition_id
            for dimension in Dimension:
                tallies.dimension_tallies(
                    session=session, filters=TallyFilter(), dimension=dimension, edition_id=edition
                )
            tallies.theme_tallies(session=session, filters=TallyFilter(), edition_id=edition)
            tallies.orientation_stances(session=session, filters=TallyFilter(), edition_id=edition)
            tallies.time_series(session=session, filters=TallyFilter(), edition_id=edition)
            tallies.latest_contributions(session=session, filters=TallyFilter(), edition_id=edition)
            tallies.recent_count(session=session, filters=TallyFilter(), edition_id=edition)
    finally:
        event.remove(two.engine, "before_cursor_execute", capture)
    plans: list[tuple[str, str]] = []
    with two.engine.connect() as conn:
        for statement, parameters in statements:
            if statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                continue
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append((statement, " | ".join(row[-1] for row in rows)))
    rollup = [p for s, p in plans if "FROM contributiontally" in s]
    assert len(rollup) == 6  # three dimensions, the themes, the stances, the time series
    # Even with no window, a range of buckets: the edition's own days, not every edition's buckets of a width.
    key_range = r"SEARCH contributiontally USING PRIMARY KEY \(family=\? AND width=\? AND bucket>\? AND bucket<\?\)"
    for plan in rollup:
        assert re.fullmatch(key_range + r"( \| .*)?", plan), plan
    for statement, plan in plans:
        assert not re.search(r"\bSCAN contribution\b", plan), (statement, plan)
    span = next(p for s, p in plans if "min(contribution.created_at)" in s)
    latest = next(p for s, p in plans if "UNION ALL" in s)
    assert span.count("USING COVERING INDEX ix_contribution_theme_created (theme_id=?)") == 2 * 4  # 4 themes, 2 ends
    assert latest.count("USING INDEX ix_contribution_theme_created (theme_id=?)") == 4
