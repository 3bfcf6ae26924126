"""The operations panel's figures and alerts against a fixed clock, on SQLite and PostgreSQL: each figure is the
edition's, each alert appears past its threshold and not before."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.engine import session_scope
from models import AuditEvent, Edition, Participant, Stand, StandVisit, Theme
from services import operations
from services.backup import BackupReport, last_backup_at, record_backup
from services.codes import device_token
from services.contributions import ContributionDraft, submit_contribution
from services.formatting import PARIS, format_number
from services.operations import Backlog, StoreHealth
from services.permissions import CONSOLE_ACTOR
from tests.editions import FIRST_EDITION_ID, load_second_edition

EDITION = FIRST_EDITION_ID


def event_clock(engine: Engine, hour: int = 10, minute: int = 5) -> datetime:
    """A moment of the edition's first day (Paris time), read from the store rather than written here."""
    with session_scope(engine) as session:
        edition = session.get(Edition, EDITION)
        assert edition is not None
        return datetime.combine(edition.start_date, time(hour, minute), tzinfo=PARIS).astimezone(UTC)


def add(engine: Engine, at: datetime, *, status: str = "pending", source: str = "conference", theme: int = 1) -> int:
    with session_scope(engine, write=True) as session:
        receipt = submit_contribution(
            session=session,
            draft=ContributionDraft(
                theme_id=theme,
                body=f"Une idée pour la stratégie régionale, numéro {uuid.uuid4().hex[:6]}.",
                idempotency_key=uuid.uuid4().hex,
                status=status,
                source=source,
                created_at=at,
            ),
            edition_id=session.get(Theme, theme).edition_id,  # type: ignore[union-attr]
        )
    return receipt.contribution_id


def decide(engine: Engine, contribution_id: int, action: str, at: datetime) -> None:
    with session_scope(engine, write=True) as session:
        session.add(
            AuditEvent(
                actor="moderatrice",
                action=action,
                entity_type="contribution",
                entity_id=str(contribution_id),
                created_at=at,
            )
        )


def participant(session: Session, at: datetime, edition_id: int = EDITION) -> int:
    row = Participant(
        edition_id=edition_id, device_token=device_token(), public_code=uuid.uuid4().hex[:8], created_at=at
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def visit(engine: Engine, code: str, at: datetime) -> None:
    with session_scope(engine, write=True) as session:
        stand = session.exec(select(Stand).where(Stand.edition_id == EDITION, Stand.code == code)).one()
        session.add(StandVisit(stand_id=stand.id or 0, participant_id=participant(session, at), created_at=at))


def board(engine: Engine, now: datetime, latency: float = 0.001) -> operations.OperationsBoard:
    with session_scope(engine) as session:
        return operations.operations_board(session, now=now, edition_id=EDITION, probe=lambda _s, **_kw: latency)


def second_edition_theme(engine: Engine) -> int:
    with session_scope(engine, write=True) as session:
        other = load_second_edition(session)
        theme = session.exec(select(Theme.id).where(Theme.edition_id == other)).first()
    assert theme is not None
    return theme


def plain(message: str) -> str:
    """The message with its no-break spaces (before colons) as plain ones."""
    return message.replace("\u00a0", " ")


def figures(found: list[operations.Alert]) -> list[tuple[str, str]]:
    return [(a.figure, a.level.value) for a in found]


# ---------------------------------------------------------------------------------------------
# Each figure


def test_backlog_counts_the_editions_pending_and_dates_the_oldest(store_engine: Engine) -> None:
    now = event_clock(store_engine)
    for minutes in (40, 10, 5):
        add(store_engine, now - timedelta(minutes=minutes))
    add(store_engine, now - timedelta(hours=2), status="published")
    add(store_engine, now - timedelta(hours=3), status="rejected")
    add(store_engine, now - timedelta(hours=5), theme=second_edition_theme(store_engine))  # another edition's
    found = board(store_engine, now)
    assert found.backlog == Backlog(3, now - timedelta(minutes=40))
    assert found.backlog.oldest_wait(now) == timedelta(minutes=40)
    assert [plain(a.message) for a in found.alerts if a.figure == "backlog"] == [
        "La plus ancienne contribution attend la modération depuis 40 min (normal : moins de 20 min) ; 3 en attente."
    ]


def test_an_empty_queue_has_no_oldest_item_and_no_alert(store_engine: Engine) -> None:
    now = event_clock(store_engine)
    add(store_engine, now - timedelta(hours=2), status="published")
    found = board(store_engine, now)
    assert found.backlog == Backlog(0, None)
    assert "backlog" not in [a.figure for a in found.alerts]


def test_decisions_per_quarter_hour_come_from_the_audit_trail_of_this_edition(store_engine: Engine) -> None:
    now = event_clock(store_engine)  # 10:05, Paris: the current quarter starts at 10:00
    ours = [add(store_engine, now - timedelta(hours=1)) for _ in range(4)]
    theirs = add(store_engine, now - timedelta(hours=1), theme=second_edition_theme(store_engine))
    decide(store_engine, ours[0], "contribution.publish", now - timedelta(minutes=2))
    decide(store_engine, ours[1], "contribution.publish", now - timedelta(minutes=4))
    decide(store_engine, ours[2], "contribution.reject", now - timedelta(minutes=20))
    decide(store_engine, ours[3], "contribution.requeue", now - timedelta(minutes=3))  # an undo, not a decision
    decide(store_engine, ours[3], "contribution.publish", now - timedelta(hours=4))  # before the chart's window
    decide(store_engine, theirs, "contribution.publish", now - timedelta(minutes=1))
    decisions = board(store_engine, now).decisions
    assert len(decisions) == operations.THROUGHPUT_QUARTERS
    current, previous = decisions[-1], decisions[-2]
    assert current.start == now.replace(minute=0)
    assert (current.published, current.rejected) == (2, 0)
    assert (previous.start, previous.published, previous.rejected) == (
        now.replace(minute=0) - timedelta(minutes=15),
        0,
        1,
    )
    assert sum(d.published + d.rejected for d in decisions) == 3
    assert decisions[0].start == now.replace(minute=0) - timedelta(hours=2, minutes=45)


def test_contributions_per_hour_by_origin_are_todays_counted_ones(store_engine: Engine) -> None:
    now = event_clock(store_engine)
    hour = now.replace(minute=0)
    add(store_engine, hour - timedelta(minutes=50), source="conference")
    add(store_engine, hour - timedelta(minutes=10), source="conference", status="published")
    add(store_engine, hour + timedelta(minutes=1), source="workshop")
    add(store_engine, hour + timedelta(minutes=2), source="workshop", status="rejected")  # never counted
    add(store_engine, now - timedelta(days=1), source="paper")  # yesterday
    add(store_engine, hour, theme=second_edition_theme(store_engine), source="paper")  # another edition
    frame = board(store_engine, now).by_origin
    assert [(h.to_pydatetime(), s, n) for h, s, n in frame.itertuples(index=False)] == [
        (hour - timedelta(hours=1), "conference", 2),
        (hour, "workshop", 1),
    ]


def test_stands_without_a_visit_for_half_an_hour_are_listed(store_engine: Engine) -> None:
    now = event_clock(store_engine)
    visit(store_engine, "S01", now - timedelta(minutes=5))
    visit(store_engine, "S02", now - timedelta(minutes=45))
    visit(store_engine, "S03", now + timedelta(minutes=5))  # after the clock: not yet
    found = board(store_engine, now)
    with session_scope(store_engine) as session:
        open_stands = session.exec(select(Stand.code).where(Stand.edition_id == EDITION, Stand.active)).all()
    assert found.stands_open == len(open_stands)
    idle = {s.code: s.last_visit_at for s in found.idle_stands}
    assert "S01" not in idle
    assert idle["S02"] == now - timedelta(minutes=45)
    assert idle["S03"] is None
    assert len(idle) == len(open_stands) - 1


def test_new_devices_per_minute_are_the_editions(store_engine: Engine) -> None:
    now = event_clock(store_engine)
    with session_scope(store_engine, write=True) as session:
        other = load_second_edition(session)
        for seconds in (5, 10, 70):
            participant(session, now - timedelta(seconds=seconds))
        participant(session, now - timedelta(seconds=5), edition_id=other)
    devices = board(store_engine, now).new_devices
    assert len(devices) == operations.DEVICES_MINUTES
    assert devices["devices"].sum() == 3
    assert devices["devices"].tolist()[-3:] == [1, 2, 0]  # 10:03, 10:04 and the current minute, 10:05


def test_store_health_reads_size_backup_and_a_write_latency_that_stores_nothing(
    store_engine: Engine, tmp_path: Path
) -> None:
    with session_scope(store_engine) as session:
        before = session.get(Edition, EDITION)
        assert before is not None
        stamp = before.updated_at
        health = operations.store_health(session, edition_id=EDITION)
    assert health.size_bytes > 0
    assert health.write_latency_s > 0
    assert health.last_backup_at is None
    with session_scope(store_engine) as session:
        assert session.get(Edition, EDITION).updated_at == stamp  # type: ignore[union-attr]
    report = BackupReport(tmp_path / "ess-sauvegarde.db", "ok", 3, 4096, 0.1, 0.1)
    with session_scope(store_engine, write=True) as session:
        record_backup(session, actor=CONSOLE_ACTOR, report=report)
    with session_scope(store_engine) as session:
        noted = last_backup_at(session)
        assert noted is not None
        assert operations.store_health(session, edition_id=EDITION).last_backup_at == noted.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Each alert, at its threshold


def health(*, latency: float = 0.001, backup: datetime | None = None) -> StoreHealth:
    return StoreHealth("sqlite", 1_000_000, backup, latency)


def assess(now: datetime, **changes: object) -> list[operations.Alert]:
    values: dict[str, object] = {
        "now": now,
        "event_running": True,
        "backlog": Backlog(0, None),
        "idle_stands": [],
        "devices_peak": 0,
        "health": health(backup=now - timedelta(minutes=10)),
    }
    return operations.assess(**(values | changes))  # type: ignore[arg-type]


NOW = datetime(2030, 5, 14, 9, 0, tzinfo=UTC)  # any instant: assess reads no store


def test_nothing_in_range_raises_nothing() -> None:
    assert assess(NOW) == []


@pytest.mark.parametrize(
    ("wait", "expected"),
    [
        (operations.OLDEST_PENDING_WARNING, []),
        (operations.OLDEST_PENDING_WARNING + timedelta(seconds=1), [("backlog", "warning")]),
        (operations.OLDEST_PENDING_ERROR + timedelta(seconds=1), [("backlog", "error")]),
    ],
)
def test_the_oldest_pending_item_alerts_past_twenty_minutes(wait: timedelta, expected: list[tuple[str, str]]) -> None:
    assert figures(assess(NOW, backlog=Backlog(7, NOW - wait))) == expected


@pytest.mark.parametrize(
    ("latency", "expected"),
    [(0.5, []), (0.501, [("latency", "warning")]), (2.5, [("latency", "error")])],
)
def test_a_slow_write_alerts_past_half_a_second(latency: float, expected: list[tuple[str, str]]) -> None:
    found = assess(NOW, health=health(latency=latency, backup=NOW))
    assert figures(found) == expected
    if expected:
        assert plain(found[0].message).startswith(f"Écriture lente : {format_number(latency * 1000)} ms")


def test_idle_stands_and_backups_alert_only_while_the_event_runs() -> None:
    idle = [operations.StandIdle("S04", "La ressourcerie", 4, None)]
    old = health(backup=NOW - timedelta(hours=1, minutes=5))
    during = assess(NOW, idle_stands=idle, health=old)
    assert figures(during) == [("stands", "warning"), ("backup", "warning")]
    assert plain(during[0].message) == "1 stand(s) ouvert(s) sans visite depuis 30 min : S04 La ressourcerie."
    assert plain(during[1].message) == (
        "Dernière sauvegarde il y a 1 h 05 min (normal : moins de 1 h pendant la conférence)."
    )
    assert assess(NOW, event_running=False, idle_stands=idle, health=old) == []
    assert figures(assess(NOW, health=health(backup=None))) == [("backup", "error")]


def test_a_burst_of_new_devices_alerts() -> None:
    assert assess(NOW, devices_peak=operations.DEVICE_BURST_PER_MINUTE) == []
    found = assess(NOW, devices_peak=operations.DEVICE_BURST_PER_MINUTE + 1)
    assert figures(found) == [("devices", "warning")]


def test_errors_come_before_warnings() -> None:
    found = assess(NOW, backlog=Backlog(1, NOW - timedelta(minutes=25)), health=health(latency=3.0, backup=NOW))
    assert figures(found) == [("latency", "error"), ("backlog", "warning")]


def test_the_board_raises_the_alerts_of_its_figures(store_engine: Engine) -> None:
    now = event_clock(store_engine)
    add(store_engine, now - timedelta(minutes=25))
    found = board(store_engine, now, latency=0.8)
    assert found.event_running
    assert {a.figure for a in found.alerts} == {"backlog", "latency", "stands", "backup"}
    # The day after the conference: the circuit and the backups no longer matter.
    later = board(store_engine, now + timedelta(days=3))
    assert not later.event_running
    assert {a.figure for a in later.alerts} == {"backlog"}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 s"), (60 * 34, "34 min"), (3600, "1 h"), (3600 + 300, "1 h 05 min"), (86400 * 2 + 3600 * 3, "2 j 3 h")],
)
def test_durations_read_in_french(seconds: int, text: str) -> None:
    assert plain(operations.format_duration(timedelta(seconds=seconds))) == text


def test_an_alert_names_a_few_idle_stands_and_counts_the_others() -> None:
    idle = [operations.StandIdle(f"S{n:02d}", f"Stand {n}", n, None) for n in range(1, 8)]
    [alert] = assess(NOW, idle_stands=idle)
    assert plain(alert.message) == (
        "7 stand(s) ouvert(s) sans visite depuis 30 min : "
        "S01 Stand 1, S02 Stand 2, S03 Stand 3, S04 Stand 4, S05 Stand 5 et 2 autre(s)."
    )
