"""The rollup behind the live tallies stays exact: after random sequences of writes (submissions, moderation,
theme changes, edits of counted fields, erasure, grouping, deletions, bulk batches that pause the triggers and count
themselves), every tally read from it equals the same count made directly on the contribution rows, on SQLite and on
PostgreSQL, for windows cut anywhere.
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
from sqlalchemy import bindparam, delete, event, func, inspect, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.engine import session_scope
from db.migrate import alembic_config, upgrade_schema
from models import Contribution, ContributionGroupMember, Orientation, UTCDateTime
from services import grouping, moderation, privacy, tallies, tally_counts
from services import questionnaire_import as qi
from services.contributions import ContributionDraft, submit_batch, submit_contribution
from services.permissions import CONSOLE_ACTOR
from services.questionnaires import get_questionnaire
from services.tallies import Dimension, TallyFilter
from services.tally_rollup import PAUSE_SETTING, paused_rollup
from tests import migrations
from tests.fixtures.questionnaire_files import FIXTURES
from tests.migrations import old_contribution, old_reference_rows, orientation_ids

bare_engine = migrations.bare_engine  # the fixture: an empty database, migrated by the test itself
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
# A bulk batch under paused_rollup: new contributions (the first through submit_contribution, the others through
# submit_batch in a nested pause), then inside the pause one more write on an older row (counted by the triggers)
# or on a row of the batch (counted at the end of the pause), or none.
BATCH_WRITES = (None, "publish old", "theme old", "delete old", "reject new", "move new", "delete new")
batch = st.tuples(
    st.just("batch"), st.lists(insert, min_size=1, max_size=6), st.sampled_from(BATCH_WRITES), pick, moments
)
operation = st.one_of(
    insert,
    batch,
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
        rows = session.exec(select(Orientation).order_by(col(Orientation.id))).all()
    first: dict[int, int] = {}
    for o in rows:
        first.setdefault(o.theme_id, o.id or 0)
    return first


def _draft(op: tuple[Any, ...], orientations: dict[int, int]) -> ContributionDraft:
    _, theme, source, status, dep, actor, oriented, stance, when = op
    return ContributionDraft(
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
    )


def _write_batch(session: Session, op: tuple[Any, ...], ids: list[int], orientations: dict[int, int]) -> None:
    _, inserts, write, which, when = op
    with paused_rollup(session=session):
        submit_contribution(session=session, draft=_draft(inserts[0], orientations))
        with paused_rollup(session=session):  # nested: joins the outer pause, counted once at its end
            submit_batch(session=session, drafts=[_draft(i, orientations) for i in inserts[1:]])
        if write is None or (write.endswith("old") and not ids):
            return
        if write.endswith("old"):
            target = ids[which % len(ids)]
        else:
            new = session.exec(select(Contribution.id).where(col(Contribution.id) > max(ids, default=0))).all()
            target = sorted(i or 0 for i in new)[which % len(new)]  # stored rows: every id is set
        if write.startswith("publish"):
            moderation.publish(session=session, contribution_ids=[target], actor="test")
        elif write.startswith("theme"):
            moderation.change_theme(session=session, contribution_ids=[target], theme_id=1 + which % 3, actor="test")
        elif write.startswith("reject"):
            moderation.reject(
                session=session, contribution_ids=[target], actor="test", category="off_topic", reason="hors sujet"
            )
        elif write.startswith("move"):
            session.execute(update(Contribution).where(Contribution.id == target).values(created_at=when))
        else:
            session.execute(delete(ContributionGroupMember).where(ContributionGroupMember.contribution_id == target))
            session.execute(delete(Contribution).where(Contribution.id == target))


def _apply(engine: Engine, op: tuple[Any, ...], orientations: dict[int, int]) -> None:
    with session_scope(engine, write=True) as session:
        ids = [i or 0 for i in session.exec(select(Contribution.id).order_by(col(Contribution.id))).all()]
        if op[0] == "insert":
            submit_contribution(session=session, draft=_draft(op, orientations))
            return
        if op[0] == "batch":
            _write_batch(session, op, ids, orientations)
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
            moderation.reject(
                session=session, contribution_ids=[target], actor="test", category="off_topic", reason="hors sujet"
            )
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
            privacy.erase_personal_data(session=session, code=code, actor=CONSOLE_ACTOR)


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
        for r in by_theme.to_dict("records"):
            for status, n in (("published", r["published"]), ("pending", r["pending"])):
                if n and status in f.statuses:
                    result["theme"][(r["theme_id"], status)] = int(n)
        for dimension in Dimension:
            frame = tallies.dimension_tallies(session=session, filters=f, dimension=dimension)
            result[dimension] = {(r["key"], r["theme_id"]): int(r["count"]) for r in frame.to_dict("records")}
        stance_field = {v: k for k, v in tally_counts._STANCE_FIELDS.items()}
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


@pytest.mark.slow  # property sweep: 40 generated histories, every tally read both ways
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
            assert conn.execute(text("SELECT count(*) FROM contributiontally_pause")).scalar() == 0
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


def test_the_migration_counts_the_contributions_already_there(bare_engine: Engine) -> None:
    """A store migrated from before the rollup gets it backfilled, then kept by the triggers (and its rows become
    edition 1's at 0008, the rollup untouched: it is keyed by theme)."""
    upgrade_schema(bare_engine, "0003")
    old_reference_rows(bare_engine)
    oriented = orientation_ids(bare_engine)
    for i, when in enumerate([BASE, BASE + timedelta(seconds=899, microseconds=999_999), BASE + timedelta(days=1)]):
        theme = 1 + i % 3
        old_contribution(
            bare_engine,
            theme_id=theme,
            source=SOURCES[i],
            status=STATUSES[i],
            departement=DEPARTEMENTS[i],
            actor_type=ACTORS[i],
            orientation_id=oriented[theme] if i != 1 else None,
            stance=STANCES[i] if i != 1 else None,
            created_at=when,
        )
    upgrade_schema(bare_engine)
    orientations = _orientations(bare_engine)
    _apply(bare_engine, ("insert", 2, "online", "published", "44", None, True, "support", BASE), orientations)
    _apply(bare_engine, ("theme", 0, 3), orientations)
    _check(bare_engine, TallyFilter())
    _check(bare_engine, TallyFilter(since=BASE + timedelta(minutes=5), until=BASE + timedelta(hours=30)))


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
                    chosen = rng.sample(sorted(i or 0 for i in pending), min(3, len(pending)))
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


# ---------------------------------------------------------------------------------------------
# Bulk batches that pause the triggers (services.tally_rollup, migration 0005)


def _tally(engine: Engine) -> dict[tuple[Any, ...], int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT family, width, bucket, theme_id, source, status, key1, key2, n FROM contributiontally")
        )
        return {tuple(r[:-1]): int(r[-1]) for r in rows if r[-1]}


def _paused_anywhere(engine: Engine) -> list[Any]:
    """Pause rows (SQLite) and the pause setting as a new transaction sees it (PostgreSQL): nothing, outside a batch."""
    with engine.connect() as conn:
        left = list(conn.execute(text("SELECT above_id FROM contributiontally_pause")).all())
        if engine.dialect.name == "postgresql":
            setting = conn.execute(text("SELECT current_setting(:name, true)"), {"name": PAUSE_SETTING}).scalar()
            left += [setting] if setting else []
    return left


def _batch_drafts(orientations: dict[int, int], n: int, day: int = 0) -> list[ContributionDraft]:
    return [
        _draft(
            (
                "insert",
                1 + i % 3,
                SOURCES[i % 3],
                STATUSES[i % 3],
                DEPARTEMENTS[i % 3],
                ACTORS[(i + 1) % 3],
                i % 2 == 0,
                STANCES[i % 4],
                BASE + timedelta(days=day, minutes=7 * i, microseconds=999_999 * (i % 2)),
            ),
            orientations,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("fails_in", ["the block", "the batch upsert"])
def test_a_paused_batch_that_fails_leaves_no_contribution_no_count_and_no_pause(
    store_engine: Engine, fails_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    orientations = _orientations(store_engine)
    _apply(
        store_engine,
        ("batch", [("insert", 2, "online", "published", "44", None, True, "support", BASE)], None, 0, BASE),
        orientations,
    )
    _apply(store_engine, ("insert", 3, "workshop", "pending", None, "citizen", False, "support", BASE), orientations)
    before = _tally(store_engine)
    if fails_in == "the batch upsert":
        from services import tally_rollup

        real = tally_rollup._count_batch

        def count_then_fail(*args: Any) -> None:
            real(*args)
            raise RuntimeError("boom")

        monkeypatch.setattr(tally_rollup, "_count_batch", count_then_fail)
    with (
        pytest.raises(RuntimeError, match="boom"),
        session_scope(store_engine, write=True) as session,
        paused_rollup(session=session),
    ):
        submit_batch(session=session, drafts=_batch_drafts(orientations, 40))
        if fails_in == "the block":
            raise RuntimeError("boom")
    monkeypatch.undo()
    assert _tally(store_engine) == before
    with store_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Contribution)).scalar() == 2
    assert _paused_anywhere(store_engine) == []
    # The triggers count the next ordinary write, and the next batch counts itself.
    _apply(store_engine, ("insert", 1, "conference", "pending", "85", None, True, "disagreement", BASE), orientations)
    with session_scope(store_engine, write=True) as session, paused_rollup(session=session):
        submit_batch(session=session, drafts=_batch_drafts(orientations, 40))
    _check(store_engine, TallyFilter())
    _check(store_engine, TallyFilter(since=BASE + timedelta(minutes=50), until=BASE + timedelta(hours=3)))


def test_a_commit_inside_a_paused_batch_is_refused(store_engine: Engine) -> None:
    """Committing half-way would leave the batch uncounted (and on SQLite commit the pause for every writer)."""
    orientations = _orientations(store_engine)
    with (
        pytest.raises(RuntimeError, match="commit inside paused_rollup"),
        session_scope(store_engine, write=True) as session,
        paused_rollup(session=session),
    ):
        submit_batch(session=session, drafts=_batch_drafts(orientations, 5))
        session.commit()
    with store_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Contribution)).scalar() == 0
    assert _tally(store_engine) == {}
    assert _paused_anywhere(store_engine) == []


def test_the_questionnaire_import_counts_its_contributions_in_the_rollup(store_engine: Engine) -> None:
    """import_answers inserts under paused_rollup: the rollup matches the rows, and a reimport adds nothing."""
    orientations = _orientations(store_engine)
    _apply(store_engine, ("insert", 2, "online", "published", "44", None, True, "support", BASE), orientations)
    with session_scope(store_engine) as session:
        questionnaire = get_questionnaire(session=session)
    table = qi.read_table(filename="acteurs_windows1252.csv", data=(FIXTURES / "acteurs_windows1252.csv").read_bytes())
    mapping = {h: p.target for h, p in qi.propose_mapping(questionnaire, table.headers).items()}
    for imported in (True, False):
        with session_scope(store_engine, write=True) as session:
            report = qi.import_answers(
                session=session, questionnaire=questionnaire, table=table, mapping=mapping, created_by="anne"
            )
        assert (report.contributions > 0) is imported, report.summary()
        _check(store_engine, TallyFilter())
    assert _paused_anywhere(store_engine) == []


@pytest.mark.postgres
@pytest.mark.parametrize("first", ["the paused batch", "the ordinary writer"])
def test_postgresql_a_concurrent_ordinary_writer_keeps_its_triggers(pg_engine: Engine, first: str) -> None:
    """The pause is this transaction's only: another writer's contribution is counted by its own trigger.

    Writers queue on 0004's advisory lock: the ordinary writer waits for the batch's commit, or the batch waits
    for the writer's commit before reading its mark (else the writer's row, above a stale mark, would count twice).
    """
    orientations = _orientations(pg_engine)
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def paused_batch() -> None:
        try:
            with session_scope(pg_engine, write=True) as session, paused_rollup(session=session):
                submit_batch(session=session, drafts=_batch_drafts(orientations, 30))
                holding.set()
                release.wait(10)
        except BaseException as exc:
            errors.append(exc)

    def ordinary_writer() -> None:
        try:
            with session_scope(pg_engine, write=True) as session:
                draft = _batch_drafts(orientations, 1, day=1)[0]
                submit_contribution(session=session, draft=draft)
                holding.set()
                release.wait(10)
        except BaseException as exc:
            errors.append(exc)

    one, other = (paused_batch, ordinary_writer) if first == "the paused batch" else (ordinary_writer, paused_batch)
    threads = [threading.Thread(target=one), threading.Thread(target=other)]
    threads[0].start()
    assert holding.wait(10)
    threads[1].start()
    threads[1].join(0.5)
    assert threads[1].is_alive()  # waiting for the advisory lock held by the first transaction
    release.set()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    with pg_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Contribution)).scalar() == 31
    _check(pg_engine, TallyFilter())
    _check(pg_engine, TallyFilter(since=BASE + timedelta(minutes=20), until=BASE + timedelta(days=1, hours=1)))
    assert _paused_anywhere(pg_engine) == []


def _triggers(engine: Engine) -> dict[str, str]:
    """The definitions of the rollup's triggers and trigger functions."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"))
        else:
            rows = conn.execute(
                text(
                    "SELECT tgname, pg_get_triggerdef(t.oid) || ' ' || pg_get_functiondef(tgfoid) FROM pg_trigger t "
                    "WHERE tgrelid = 'contribution'::regclass AND NOT tgisinternal ORDER BY tgname"
                )
            )
        return {name: sql for name, sql in rows}


def test_downgrading_the_pause_restores_the_triggers_of_0004(bare_engine: Engine) -> None:
    # Down from 0005 only: 0008 (editions) cannot be undone, so the store is taken up to 0005 to come back.
    upgrade_schema(bare_engine, "0005")
    cfg = alembic_config()
    with bare_engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    restored = _triggers(bare_engine)
    with bare_engine.connect() as conn:
        assert "contributiontally_pause" not in inspect(conn).get_table_names()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
        command.upgrade(cfg, "0004")
    assert _triggers(bare_engine) == restored
    assert len(restored) == (3 if bare_engine.dialect.name == "sqlite" else 2)
    old_reference_rows(bare_engine)
    old_contribution(
        bare_engine, theme_id=2, source="online", status="published", departement="44", created_at=BASE
    )  # counted by the triggers of 0004
    upgrade_schema(bare_engine)
    assert _triggers(bare_engine) != restored
    orientations = _orientations(bare_engine)
    _apply(
        bare_engine,
        ("batch", [("insert", 1, "online", "pending", None, None, False, "support", BASE)], "publish old", 0, BASE),
        orientations,
    )
    _check(bare_engine, TallyFilter())
