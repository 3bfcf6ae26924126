"""The rollup behind the live tallies stays exact: after random sequences of writes (submissions, moderation,
theme changes, edits of counted fields, erasure, grouping, deletions), every tally read from it equals the same count
made directly on the contribution rows, on SQLite and on PostgreSQL, for windows cut anywhere.
"""

from __future__ import annotations

import random
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, delete, event, func, text, update
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from db.migrate import alembic_config, upgrade_schema
from models import Contribution, ContributionGroupMember, Orientation, UTCDateTime
from services import grouping, moderation, privacy, tallies
from services.contributions import ContributionDraft, submit_contribution
from services.tallies import Dimension, TallyFilter

BASE = datetime(2016, 6, 28, 6, 0, tzinfo=UTC)
SPAN_S = 3 * 86400
SOURCES = ("conference", "online", "workshop")
STATUSES = ("pending", "published", "rejected")
DEPARTEMENTS = (None, "44", "85")
ACTORS = (None, "association", "citizen")
STANCES = ("support", "support_with_reservations", "disagreement", "new_proposal")

# Moments on and around bucket edges (quarter hour, hour, UTC day, Paris day), and anywhere.
EDGES = [0, 1, 899, 900, 3599, 3600, 7200, 57600, 86399, 86400, 93600, 172799, 172800]
moments = st.builds(
    lambda seconds, micro: BASE + timedelta(seconds=seconds, microseconds=micro),
    st.one_of(st.sampled_from(EDGES), st.integers(0, SPAN_S)),
    st.sampled_from([0, 0, 1, 500_000, 999_999]),
)
windows = st.tuples(st.none() | moments, st.none() | moments)
themes = st.integers(1, 3)

insert = st.tuples(
    st.just("insert"),
    themes,
    st.sampled_from(SOURCES),
    st.sampled_from(STATUSES),
    st.sampled_from(DEPARTEMENTS),
    st.sampled_from(ACTORS),
    st.booleans(),  # with an orientation of the theme
    st.sampled_from(STANCES),
    moments,
)
pick = st.integers(0, 10_000)  # which existing contribution (modulo how many there are)
operation = st.one_of(
    insert,
    st.tuples(st.just("publish"), pick),
    st.tuples(st.just("reject"), pick),
    st.tuples(st.just("requeue"), pick),
    st.tuples(st.just("theme"), pick, themes),
    st.tuples(st.just("move"), pick, moments),
    st.tuples(st.just("fields"), pick, st.sampled_from(DEPARTEMENTS), st.sampled_from(ACTORS)),
    st.tuples(st.just("delete"), pick),
    st.tuples(st.just("erase"), pick),
    st.tuples(st.just("group"), themes),
)


def _orientations(engine: Engine) -> dict[int, int]:
    with session_scope(engine) as session:
        rows = session.exec(select(Orientation).order_by(Orientation.id)).all()
    first: dict[int, int] = {}
    for o in rows:
        first.setdefault(o.theme_id, o.id or 0)
    return first


def _apply(engine: Engine, op: tuple[Any, ...], orientations: dict[int, int]) -> None:
    with session_scope(engine, write=True) as session:
        ids = [int(i) for i in session.exec(select(Contribution.id).order_by(Contribution.id)).all()]
        if op[0] == "insert":
            _, theme, source, status, dep, actor, oriented, stance, when = op
            submit_contribution(
                session=session,
                draft=ContributionDraft(
                    theme_id=theme,
                    body="Une contribution tirée au hasard pour vérifier les cumuls.",
                    idempotency_key=uuid.uuid4().hex,
                    source=source,
                    status=status,
                    departement=dep,
                    actor_type=actor,
                    orientation_id=orientations[theme] if oriented else None,
                    stance=stance if oriented else None,
                    created_at=when,
                ),
            )
            return
        if op[0] == "group":  # staff group near-duplicates of a theme (no counted field changes)
            grouping.propose_groups(session=session, theme_id=op[1], actor="test")
            proposed = grouping.list_groups(session=session, theme_id=op[1], statuses=["proposed"])
            if proposed:
                grouping.confirm_group(session=session, group_id=proposed[0].id, actor="test")
            return
        if not ids:
            return
        target = ids[op[1] % len(ids)]
        if op[0] == "publish":
            moderation.publish(session=session, contribution_ids=[target], actor="test")
        elif op[0] == "reject":
            moderation.reject(session=session, contribution_ids=[target], actor="test", reason="hors sujet")
        elif op[0] == "requeue":
            moderation.return_to_queue(session=session, contribution_ids=[target], actor="test")
        elif op[0] == "theme":
            moderation.change_theme(session=session, contribution_ids=[target], theme_id=op[2], actor="test")
        elif op[0] == "move":
            session.execute(update(Contribution).where(Contribution.id == target).values(created_at=op[2]))
        elif op[0] == "fields":
            session.execute(
                update(Contribution).where(Contribution.id == target).values(departement=op[2], actor_type=op[3])
            )
        elif op[0] == "delete":
            session.execute(delete(ContributionGroupMember).where(ContributionGroupMember.contribution_id == target))
            session.execute(delete(Contribution).where(Contribution.id == target))
        elif op[0] == "erase":
            code = session.get(Contribution, target).receipt_code  # type: ignore[union-attr]
            privacy.erase_personal_data(session=session, code=code, actor="test")


def _direct(engine: Engine, f: TallyFilter) -> dict[str, Any]:
    """The same counts straight from the contribution rows (GROUP BY), and the time buckets in Python."""
    where = ["1 = 1"]
    params: dict[str, Any] = {}
    if f.statuses:
        where.append("status IN (" + ", ".join(f"'{s}'" for s in f.statuses) + ")")
    if f.theme_ids:
        where.append("theme_id IN (" + ", ".join(str(t) for t in f.theme_ids) + ")")
    if f.sources:
        where.append("source IN (" + ", ".join(f"'{s}'" for s in f.sources) + ")")
    if f.since is not None:
        where.append("created_at >= :since")
        params["since"] = f.since
    if f.until is not None:
        where.append("created_at < :until")
        params["until"] = f.until
    w = " AND ".join(where)

    def grouped(sql: str) -> dict[tuple[Any, ...], int]:
        stmt = text(sql).bindparams(*[bindparam(name, type_=UTCDateTime()) for name in params])
        with engine.connect() as conn:
            return {tuple(r[:-1]): int(r[-1]) for r in conn.execute(stmt, params).all()}

    with engine.connect() as conn:
        rows = conn.execute(
            select(Contribution.theme_id, Contribution.source, Contribution.status, Contribution.created_at)
        ).all()
    kept = [
        (theme_id, created)
        for theme_id, source, status, created in rows
        if status in f.statuses
        and (not f.theme_ids or theme_id in f.theme_ids)
        and (not f.sources or source in f.sources)
        and (f.since is None or created >= f.since)
        and (f.until is None or created < f.until)
    ]
    series: dict[int, dict[tuple[int, int], int]] = {}
    for width in (tallies.QUARTER_HOUR_S, tallies.HOUR_S):
        counts: dict[tuple[int, int], int] = {}
        for theme_id, created in kept:
            start = int(created.timestamp()) // width * width
            counts[(start, theme_id)] = counts.get((start, theme_id), 0) + 1
        series[width] = counts
    return {
        "theme": grouped(f"SELECT theme_id, status, count(*) FROM contribution WHERE {w} GROUP BY theme_id, status"),
        Dimension.SOURCE: grouped(
            f"SELECT source, theme_id, count(*) FROM contribution WHERE {w} GROUP BY source, theme_id"
        ),
        Dimension.DEPARTEMENT: grouped(
            f"SELECT coalesce(departement, ''), theme_id, count(*) FROM contribution WHERE {w} "
            "GROUP BY coalesce(departement, ''), theme_id"
        ),
        Dimension.ACTOR_TYPE: grouped(
            f"SELECT coalesce(actor_type, ''), theme_id, count(*) FROM contribution WHERE {w} "
            "GROUP BY coalesce(actor_type, ''), theme_id"
        ),
        "stances": grouped(
            f"SELECT orientation_id, stance, count(*) FROM contribution WHERE {w} "
            "AND orientation_id IS NOT NULL AND stance IS NOT NULL GROUP BY orientation_id, stance"
        ),
        "series": series,
    }


def _through_app(engine: Engine, f: TallyFilter) -> dict[str, Any]:
    with session_scope(engine) as session:
        by_theme = tallies.theme_tallies(session=session, filters=f)
        result: dict[str, Any] = {"theme": {}}
        for r in by_theme.itertuples():
            for status, n in (("published", r.published), ("pending", r.pending)):
                if n and status in f.statuses:
                    result["theme"][(r.theme_id, status)] = int(n)
        for dimension in Dimension:
            frame = tallies.dimension_tallies(session=session, filters=f, dimension=dimension)
            result[dimension] = {(r.key, r.theme_id): int(r.count) for r in frame.itertuples()}
        stance_field = {v: k for k, v in tallies._STANCE_FIELDS.items()}
        result["stances"] = {
            (s.orientation_id, stance_field[name]): getattr(s, name)
            for s in tallies.orientation_stances(session=session, filters=f)
            for name in stance_field
            if getattr(s, name)
        }
        result["series"] = {}
        for width in (tallies.QUARTER_HOUR_S, tallies.HOUR_S):
            ts = tallies.time_series(session=session, filters=f, bucket_s=width)
            result["series"][width] = {
                (int(b.timestamp()), int(t)): int(n)
                for b, t, n in zip(ts.frame["bucket"], ts.frame["theme_id"], ts.frame["count"], strict=True)
            }
    return result


def _check(engine: Engine, f: TallyFilter) -> None:
    direct, app = _direct(engine, f), _through_app(engine, f)
    # Only published and pending rows are shown per theme: the direct count keeps the filter's statuses.
    direct["theme"] = {k: n for k, n in direct["theme"].items() if k[1] in ("published", "pending")}
    assert app == direct, f


@pytest.mark.parametrize("engine_name", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_every_tally_read_from_the_rollup_equals_the_direct_count(
    engine_name: str, request: pytest.FixtureRequest
) -> None:
    engine: Engine = request.getfixturevalue("sqlite_engine" if engine_name == "sqlite" else "pg_engine")
    orientations = _orientations(engine)

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        ops=st.lists(operation, min_size=1, max_size=14),
        cuts=st.lists(windows, min_size=1, max_size=3),
        theme_ids=st.sets(themes, max_size=2),
        sources=st.sets(st.sampled_from(SOURCES), max_size=2),
    )
    def check(
        ops: list[tuple[Any, ...]],
        cuts: list[tuple[datetime | None, datetime | None]],
        theme_ids: set[int],
        sources: set[str],
    ) -> None:
        # Each example starts from an empty table: the delete trigger must bring every count back to 0.
        with session_scope(engine, write=True) as session:
            session.execute(delete(ContributionGroupMember))
            session.execute(delete(Contribution))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM contributiontally WHERE n <> 0")).scalar() == 0
        for op in ops:
            _apply(engine, op, orientations)
        _check(engine, TallyFilter())
        for since, until in cuts:
            _check(engine, TallyFilter(since=since, until=until))
            _check(
                engine,
                TallyFilter(
                    theme_ids=tuple(sorted(theme_ids)), sources=tuple(sorted(sources)), since=since, until=until
                ),
            )

    check()


def test_live_tallies_read_only_the_rollup_by_primary_key(sqlite_engine: Engine) -> None:
    """Windows of whole hours or days never touch the contribution table: a range of the rollup's key each."""
    with session_scope(sqlite_engine, write=True) as session:
        draft = ContributionDraft(
            theme_id=2, body="Une contribution pour le plan de requête.", idempotency_key=uuid.uuid4().hex
        )
        submit_contribution(session=session, draft=draft)
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters))

    day = TallyFilter(theme_ids=(2,), sources=("conference",), since=BASE, until=BASE + timedelta(hours=23))
    event.listen(sqlite_engine, "before_cursor_execute", capture)
    try:
        with session_scope(sqlite_engine) as session:
            for f in (TallyFilter(), day):
                tallies.theme_tallies(session=session, filters=f)
                for dimension in Dimension:
                    tallies.dimension_tallies(session=session, filters=f, dimension=dimension)
                tallies.orientation_stances(session=session, filters=f)
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", capture)
    counted = [(s, p) for s, p in statements if "sum(" in s]
    assert len(counted) == 10
    with sqlite_engine.connect() as conn:
        for statement, parameters in counted:
            plan = " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert re.fullmatch(
                r"SEARCH contributiontally USING PRIMARY KEY \(family=\? AND width=\?[^)]*\)( \| .*)?", plan
            ), plan
            assert "contribution " not in plan.replace("contributiontally", ""), plan


def test_the_migration_counts_the_contributions_already_there(store_engine: Engine) -> None:
    """A store migrated from before the rollup gets it backfilled, then kept by the triggers."""
    with store_engine.connect() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    orientations = _orientations(store_engine)
    for i, when in enumerate([BASE, BASE + timedelta(seconds=899, microseconds=999_999), BASE + timedelta(days=1)]):
        op = ("insert", 1 + i % 3, SOURCES[i], STATUSES[i], DEPARTEMENTS[i], ACTORS[i], i != 1, STANCES[i], when)
        _apply(store_engine, op, orientations)
    upgrade_schema(store_engine)
    _apply(store_engine, ("insert", 2, "online", "published", "44", None, True, "support", BASE), orientations)
    _apply(store_engine, ("theme", 0, 3), orientations)
    _check(store_engine, TallyFilter())
    _check(store_engine, TallyFilter(since=BASE + timedelta(minutes=5), until=BASE + timedelta(hours=30)))


def test_concurrent_writers_neither_deadlock_nor_lose_a_count(store_engine: Engine) -> None:
    """Four writers at once, each sending several contributions and publishing a batch in one transaction."""
    orientations = _orientations(store_engine)
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(6):
                with session_scope(store_engine, write=True) as session:
                    for theme in rng.sample([1, 2, 3], 3):  # themes in a different order in each transaction
                        submit_contribution(
                            session=session,
                            draft=ContributionDraft(
                                theme_id=theme,
                                body="Plusieurs écritures en même temps, un seul décompte juste.",
                                idempotency_key=uuid.uuid4().hex,
                                departement=rng.choice(DEPARTEMENTS),
                                orientation_id=orientations[theme],
                                stance=rng.choice(STANCES),
                                created_at=BASE + timedelta(minutes=rng.randint(0, 40)),
                            ),
                        )
                    pending = session.exec(select(Contribution.id).where(Contribution.status == "pending")).all()
                    chosen = rng.sample(sorted(int(i) for i in pending), min(3, len(pending)))
                    moderation.publish(session=session, contribution_ids=chosen[::-1], actor=f"w{seed}")
        except BaseException as exc:  # reported from the test's thread, below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    _check(store_engine, TallyFilter())
    _check(store_engine, TallyFilter(since=BASE + timedelta(minutes=7, seconds=30), until=BASE + timedelta(hours=1)))
    with store_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Contribution)).scalar() == 4 * 6 * 3
