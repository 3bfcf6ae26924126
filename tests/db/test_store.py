"""The store itself: pragmas, migrations, reference data, datetimes, concurrent writes (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, col, select

from db.engine import session_scope
from db.migrate import alembic_config, upgrade_schema
from models import Contribution, Orientation, Ptce, Stand, Tag, Theme
from services.contributions import ContributionDraft, submit_contribution
from services.reference_data import load_reference_data
from tests import migrations
from tests.migrations import BEFORE_EDITIONS

bare_engine = migrations.bare_engine  # the fixture: an empty database, migrated by the test itself


def test_sqlite_pragmas_promise_durability_and_patience(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        busy_timeout = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert busy_timeout is not None and busy_timeout >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_migrations_match_the_models(store_engine: Engine) -> None:
    with store_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


def test_the_device_column_of_login_attempts_goes_down_and_up_again(bare_engine: Engine) -> None:
    """Migration 0006 (trusted devices of services.auth) undone and redone, attempts kept.

    From 0007, the last revision before editions (0008 cannot be undone), then up to the head.
    """
    upgrade_schema(bare_engine, BEFORE_EDITIONS)
    with bare_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO loginattempt (username, session_key, device, succeeded, created_at) "
                "VALUES ('claire', 's1', :device, false, :at)"
            ),
            {"device": "a" * 32, "at": datetime(2016, 6, 28, 9, tzinfo=UTC)},
        )
    with bare_engine.connect() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    assert "device" not in {c["name"] for c in inspect(bare_engine).get_columns("loginattempt")}
    upgrade_schema(bare_engine)
    with bare_engine.connect() as conn:
        kept = conn.execute(text("SELECT username, device FROM loginattempt")).all()
    assert [tuple(r) for r in kept] == [("claire", None)]


def test_reference_data_is_loaded_once(store_engine: Engine) -> None:
    with session_scope(store_engine) as session:
        assert session.exec(select(func.count()).select_from(Theme)).one() == 5
        assert session.exec(select(func.count()).select_from(Ptce)).one() == 8
        labels = [t.label for t in session.exec(select(Theme).order_by(col(Theme.id))).all()]
    assert labels[0] == "Acteurs de l'ESS et institutions publiques : une relation privilégiée ?"
    assert labels[4] == "Communication et promotion de l'ESS"
    with session_scope(store_engine, write=True) as session:
        assert sum(load_reference_data(session=session).inserted.values()) == 0
    with session_scope(store_engine) as session:
        assert session.exec(select(func.count()).select_from(Theme)).one() == 5


def test_reloading_reference_keeps_staff_edits(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session:
        orientation = session.exec(select(Orientation).where(Orientation.code == "T1-O1")).one()
        orientation.title = "Titre retravaillé par l'équipe"
        stand = session.exec(select(Stand).where(Stand.code == "S01")).one()
        stand.active = False
    with session_scope(store_engine, write=True) as session:
        load_reference_data(session=session)
    with session_scope(store_engine) as session:
        assert session.exec(select(Orientation).where(Orientation.code == "T1-O1")).one().title == (
            "Titre retravaillé par l'équipe"
        )
        assert session.exec(select(Stand).where(Stand.code == "S01")).one().active is False


def test_every_ptce_of_the_region_is_in_the_catalogue(store_engine: Engine) -> None:
    with session_scope(store_engine) as session:
        rows = session.exec(select(Ptce)).all()
    by_dept: dict[str, int] = {}
    for row in rows:
        by_dept[row.departement] = by_dept.get(row.departement, 0) + 1
    assert by_dept == {"44": 4, "49": 1, "72": 1, "85": 2}
    assert {r.carrier for r in rows} >= {"Club ESS", "Coopérative Idéal"}


def test_datetimes_come_back_aware_and_naive_ones_are_refused(store_engine: Engine) -> None:
    paris_summer = timezone(timedelta(hours=2))
    moment = datetime(2016, 6, 28, 14, 30, tzinfo=paris_summer)
    with session_scope(store_engine, write=True) as session:
        session.add(Tag(label="horodatage", created_at=moment))
    with session_scope(store_engine) as session:
        stored = session.exec(select(Tag).where(Tag.label == "horodatage")).one().created_at
    assert stored.tzinfo is not None
    assert stored == moment
    assert stored.astimezone(UTC).hour == 12
    with pytest.raises(Exception, match="naive"), session_scope(store_engine, write=True) as session:
        session.add(Tag(label="naif", created_at=datetime(2016, 6, 28, 14, 30)))
        session.flush()


def _draft(n: str) -> ContributionDraft:
    return ContributionDraft(
        theme_id=1 + hash(n) % 5,
        body=f"Contribution de charge numéro {n}, pour vérifier que rien ne se perd.",
        idempotency_key=f"load-{n}",
    )


@pytest.mark.serial  # fifty writers against a 30-connection pool: not beside another test worker
@pytest.mark.slow  # concurrency: fifty threads, 5 000 writes
def test_fifty_threads_write_five_thousand_contributions(store_engine: Engine) -> None:
    """50 writers × 100 contributions, one commit each, through the service layer: no error, no loss."""
    errors: list[BaseException] = []
    receipts: list[str] = []
    lock = threading.Lock()

    def writer(worker: int) -> None:
        for i in range(100):
            try:
                with session_scope(store_engine, write=True) as session:
                    receipt = submit_contribution(session=session, draft=_draft(f"{worker}-{i}"))
                with lock:
                    receipts.append(receipt.receipt_code)
            except BaseException as exc:  # any failure is the test's failure
                with lock:
                    errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope(store_engine) as session:
        assert session.exec(select(func.count()).select_from(Contribution)).one() == 5000
    assert len(set(receipts)) == 5000


def test_the_same_submission_sent_by_racing_threads_is_stored_once(store_engine: Engine) -> None:
    key = f"double-tap-{uuid.uuid4().hex}"
    codes: list[str] = []
    barrier = threading.Barrier(10)

    def tap() -> None:
        barrier.wait()
        with session_scope(store_engine, write=True) as session:
            draft = ContributionDraft(
                theme_id=2, body="Un double tap ne doit créer qu'une contribution.", idempotency_key=key
            )
            codes.append(submit_contribution(session=session, draft=draft).receipt_code)

    threads = [threading.Thread(target=tap) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(codes) == 10 and len(set(codes)) == 1
    with session_scope(store_engine) as session:
        count = session.exec(select(func.count()).select_from(Contribution).where(Contribution.idempotency_key == key))
        assert count.one() == 1


def test_a_failed_write_leaves_nothing_behind(store_engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(store_engine, write=True) as session:
        session.add(Tag(label="à moitié"))
        session.flush()
        raise RuntimeError("crash au milieu")
    with store_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tag WHERE label = 'à moitié'")).scalar() == 0
