"""The organisers' operations panel: the figures of the day in one read, and the alerts when one leaves its range.

Every figure is read against `now`, given by the caller (the page passes the clock, the tests a fixed instant),
and is the edition's. The counts reuse the live tallies (services.tally_*: the rollup, the edition's themes) and
the verdict's new devices per minute; what no other page computed (the oldest pending contribution, decisions
per quarter hour from the audit trail, each stand's last visit, the store's size and write latency) is read here.
The alerts (`assess`) are a pure function of those figures, in French, each with the threshold it crossed (a
no-break space before their colons: a phone never starts a line with one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from enum import StrEnum

import pandas as pd
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from db.engine import session_scope
from models import AuditEvent, Contribution, Edition, EditionStatus, ModerationStatus, Stand, StandVisit
from services.backup import last_backup_at
from services.formatting import PARIS, format_number
from services.tally_buckets import HOUR_S, rollup_counts
from services.tally_counts import theme_tallies
from services.tally_filters import TallyFilter, edition_filter, typed_frame, where_filter
from services.verdict import new_devices_per_minute

# ---------------------------------------------------------------------------------------------
# Normal ranges: beyond these the panel raises an alert (warning first, error past the second figure)

# A pending contribution reaches the room's screen only once published: past 20 minutes (about one speaker's
# slot) the screen lags the room; past an hour the moderators have stopped.
OLDEST_PENDING_WARNING = timedelta(minutes=20)
OLDEST_PENDING_ERROR = timedelta(hours=1)
# The treasure hunt sends a stream of visitors along the circuit: an open stand nobody reached for half an hour
# during the event usually has its QR code hidden, torn off, or nobody behind the table.
STAND_IDLE = timedelta(minutes=30)
# Taking SQLite's write lock (or a row lock on PostgreSQL) is a few milliseconds on a healthy store: at half a
# second participants start to feel their « Envoyer », at two seconds writers queue towards busy_timeout.
WRITE_LATENCY_WARNING_S = 0.5
WRITE_LATENCY_ERROR_S = 2.0
# README « Sauvegarde et restauration »: an hour of contributions is what a lost disk may cost at most.
BACKUP_MAX_AGE = timedelta(hours=1)
# The venue's doors let in a few dozen people a minute (services/throttle.py sizes 40 new passports per 10 s per
# address as a backstop): more than this many new devices in one minute looks like cookies cleared or a script.
DEVICE_BURST_PER_MINUTE = 60

# An alert names this many idle stands, then counts the others (the table below the charts lists them all).
IDLE_STANDS_NAMED = 5
# How far back the charts look.
THROUGHPUT_QUARTERS = 12  # three hours of moderation decisions, per quarter hour
DEVICES_MINUTES = 30  # new devices per minute
QUARTER = timedelta(minutes=15)
# The moderation decisions of the audit trail (services.moderation.decisions); « requeue » undoes one.
DECISIONS = {"contribution.publish": "published", "contribution.reject": "rejected"}


class AlertLevel(StrEnum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Alert:
    level: AlertLevel
    figure: str  # which figure: backlog, stands, latency, backup, devices
    message: str  # French, for the organisers


@dataclass(frozen=True)
class Backlog:
    pending: int
    oldest_pending_at: datetime | None

    def oldest_wait(self, now: datetime) -> timedelta | None:
        return None if self.oldest_pending_at is None else max(now - self.oldest_pending_at, timedelta(0))


@dataclass(frozen=True)
class QuarterDecisions:
    start: datetime  # UTC, start of the quarter hour
    published: int
    rejected: int


@dataclass(frozen=True)
class StandIdle:
    code: str
    name: str
    position: int
    last_visit_at: datetime | None  # None: never visited


@dataclass(frozen=True)
class StoreHealth:
    dialect: str  # "sqlite" or "postgresql"
    size_bytes: int
    last_backup_at: datetime | None
    write_latency_s: float


@dataclass(frozen=True)
class OperationsBoard:
    now: datetime
    event_running: bool  # the edition is open and today (Paris) is one of its days
    backlog: Backlog
    decisions: list[QuarterDecisions]  # oldest first, zeros kept
    by_origin: pd.DataFrame  # hour (UTC, aware), source, count: today's contributions (Paris day), rejected aside
    stands_open: int
    idle_stands: list[StandIdle]  # open stands without a visit in the last STAND_IDLE, circuit order
    new_devices: pd.DataFrame  # minute (Paris), devices: the last DEVICES_MINUTES minutes, zeros kept
    health: StoreHealth
    alerts: list[Alert]


# ---------------------------------------------------------------------------------------------
# The figures


def event_running(session: Session, *, now: datetime, edition_id: int) -> bool:
    """The edition is open and `now` falls on one of its days (Paris time): when idle stands and backups matter."""
    edition = session.get(Edition, edition_id)
    if edition is None or edition.status != EditionStatus.OPEN.value:
        return False
    today = now.astimezone(PARIS).date()
    return edition.start_date <= today <= (edition.end_date or edition.start_date)


def moderation_backlog(session: Session, *, now: datetime, edition_id: int) -> Backlog:
    """How many of the edition's contributions wait for moderation, and since when the oldest one waits."""
    filters = edition_filter(
        session=session, filters=TallyFilter(statuses=(ModerationStatus.PENDING.value,)), edition_id=edition_id
    )
    pending = int(theme_tallies(session=session, filters=filters, edition_id=edition_id)["pending"].sum())
    # The first row of ix_contribution_status_created that is one of the edition's themes.
    oldest = session.exec(where_filter(select(func.min(Contribution.created_at)), filters, until=now)).one()
    return Backlog(pending, _aware(oldest) if pending else None)


def moderation_decisions(
    session: Session, *, now: datetime, edition_id: int, quarters: int = THROUGHPUT_QUARTERS
) -> list[QuarterDecisions]:
    """Contributions published and rejected per quarter hour (from the audit trail), the last `quarters` ones."""
    end = _quarter_floor(now) + QUARTER
    start = end - quarters * QUARTER
    rows = session.exec(
        select(AuditEvent.created_at, AuditEvent.action, AuditEvent.entity_id).where(
            col(AuditEvent.created_at) >= start,
            col(AuditEvent.created_at) < end,
            col(AuditEvent.action).in_(list(DECISIONS)),
        )
    ).all()
    ids = {int(entity) for _at, _action, entity in rows if entity.isdigit()}
    own = set(_edition_contribution_ids(session, ids, edition_id))
    counts: dict[tuple[datetime, str], int] = {}
    for at, action, entity in rows:
        if entity.isdigit() and int(entity) in own:
            key = (_quarter_floor(_aware(at) or start), DECISIONS[action])
            counts[key] = counts.get(key, 0) + 1
    slots = [start + i * QUARTER for i in range(quarters)]
    return [QuarterDecisions(s, counts.get((s, "published"), 0), counts.get((s, "rejected"), 0)) for s in slots]


def _edition_contribution_ids(session: Session, ids: set[int], edition_id: int) -> list[int]:
    if not ids:
        return []
    filters = edition_filter(session=session, filters=TallyFilter(statuses=()), edition_id=edition_id)
    stmt = where_filter(select(Contribution.id).where(col(Contribution.id).in_(sorted(ids))), filters)
    return [int(i) for i in session.exec(stmt).all()]


def contributions_by_origin(session: Session, *, now: datetime, edition_id: int) -> pd.DataFrame:
    """Today's contributions (Paris day, up to the current hour) per hour and origin, from the rollup."""
    day_start = datetime.combine(now.astimezone(PARIS).date(), clock_time(0), tzinfo=PARIS).astimezone(UTC)
    # Whole hours only (Paris is a whole number of hours from UTC): the rollup answers without ragged ends.
    until = datetime.fromtimestamp((int(now.timestamp()) // HOUR_S + 1) * HOUR_S, UTC)
    filters = edition_filter(session=session, filters=TallyFilter(since=day_start, until=until), edition_id=edition_id)
    counts = rollup_counts(session, filters, "base", ("bucket", "source"), widths=(HOUR_S,))
    rows = sorted((int(bucket), str(source), n) for (bucket, source), n in counts.items())
    return typed_frame(
        hour=([datetime.fromtimestamp(b * HOUR_S, UTC) for b, _s, _n in rows], "datetime64[s, UTC]"),
        source=([s for _b, s, _n in rows], "object"),
        count=([n for _b, _s, n in rows], "int64"),
    )


def stand_last_visits(session: Session, *, now: datetime, edition_id: int) -> list[StandIdle]:
    """Every open stand of the edition in circuit order, with its latest visit up to `now` (None: never)."""
    last = (
        select(StandVisit.stand_id, func.max(StandVisit.created_at).label("at"))
        .where(col(StandVisit.created_at) <= now)
        .group_by(col(StandVisit.stand_id))
        .subquery()
    )
    rows = session.exec(
        select(Stand.code, Stand.name, Stand.position, last.c.at)
        .outerjoin(last, last.c.stand_id == col(Stand.id))
        .where(col(Stand.edition_id) == edition_id, col(Stand.active))
        .order_by(col(Stand.position), col(Stand.code))
    ).all()
    return [StandIdle(code, name, int(position), _aware(at)) for code, name, position, at in rows]


def store_size(session: Session) -> int:
    """The database's size in bytes: SQLite's pages (the write-ahead log aside), PostgreSQL's pg_database_size."""
    if _dialect(session) == "sqlite":
        pages = int(session.exec(text("PRAGMA page_count")).one()[0])  # type: ignore[call-overload]
        page_size = int(session.exec(text("PRAGMA page_size")).one()[0])  # type: ignore[call-overload]
        return pages * page_size
    return int(session.exec(text("SELECT pg_database_size(current_database())")).one()[0])  # type: ignore[call-overload]


def measure_write_latency(
    session: Session, *, edition_id: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Seconds to start a write as any writer does, in a transaction of its own rolled back: nothing is stored.

    SQLite: this process's writers' queue, then BEGIN IMMEDIATE (the write lock); on both stores, then the
    edition's row rewritten unchanged (its row lock on PostgreSQL). No new table, nothing committed.
    """
    engine = session.get_bind()
    started = clock()
    with session_scope(engine, write=True) as probe:  # type: ignore[arg-type]
        probe.execute(text("UPDATE edition SET updated_at = updated_at WHERE id = :id"), {"id": edition_id})
        probe.rollback()
    return clock() - started


def store_health(
    session: Session, *, edition_id: int, probe: Callable[..., float] = measure_write_latency
) -> StoreHealth:
    """Size, latest noted backup and write latency of the store."""
    dialect = _dialect(session)
    return StoreHealth(
        dialect=dialect,
        size_bytes=store_size(session),
        last_backup_at=_aware(last_backup_at(session)),
        write_latency_s=probe(session, edition_id=edition_id),
    )


def operations_board(
    session: Session, *, now: datetime, edition_id: int, probe: Callable[..., float] = measure_write_latency
) -> OperationsBoard:
    """Every figure of the operations panel at `now`, and the alerts they raise."""
    running = event_running(session, now=now, edition_id=edition_id)
    backlog = moderation_backlog(session, now=now, edition_id=edition_id)
    stands = stand_last_visits(session, now=now, edition_id=edition_id)
    idle = [s for s in stands if s.last_visit_at is None or now - s.last_visit_at >= STAND_IDLE]
    devices = new_devices_per_minute(session, minutes=DEVICES_MINUTES, now=now, edition_id=edition_id)
    health = store_health(session, edition_id=edition_id, probe=probe)
    return OperationsBoard(
        now=now,
        event_running=running,
        backlog=backlog,
        decisions=moderation_decisions(session, now=now, edition_id=edition_id),
        by_origin=contributions_by_origin(session, now=now, edition_id=edition_id),
        stands_open=len(stands),
        idle_stands=idle,
        new_devices=devices,
        health=health,
        alerts=assess(
            now=now,
            event_running=running,
            backlog=backlog,
            idle_stands=idle,
            devices_peak=int(devices["devices"].max()) if len(devices) else 0,
            health=health,
        ),
    )


# ---------------------------------------------------------------------------------------------
# The alerts


def assess(
    *,
    now: datetime,
    event_running: bool,
    backlog: Backlog,
    idle_stands: list[StandIdle],
    devices_peak: int,
    health: StoreHealth,
) -> list[Alert]:
    """The figures outside their normal range, most serious first, each said in French with its threshold."""
    alerts: list[Alert] = []
    wait = backlog.oldest_wait(now)
    if wait is not None and wait > OLDEST_PENDING_WARNING:
        level = AlertLevel.ERROR if wait > OLDEST_PENDING_ERROR else AlertLevel.WARNING
        alerts.append(
            Alert(
                level,
                "backlog",
                f"La plus ancienne contribution attend la modération depuis {format_duration(wait)} "
                f"(normal\u00a0: moins de {format_duration(OLDEST_PENDING_WARNING)})\u00a0; "
                f"{format_number(backlog.pending)} en attente.",
            )
        )
    latency = health.write_latency_s
    if latency > WRITE_LATENCY_WARNING_S:
        level = AlertLevel.ERROR if latency > WRITE_LATENCY_ERROR_S else AlertLevel.WARNING
        alerts.append(
            Alert(
                level,
                "latency",
                f"Écriture lente\u00a0: {format_number(latency * 1000)} ms pour commencer une écriture "
                f"(normal\u00a0: moins de {format_number(WRITE_LATENCY_WARNING_S * 1000)} ms).",
            )
        )
    if event_running:
        alerts += _event_alerts(now, idle_stands, health)
    if devices_peak > DEVICE_BURST_PER_MINUTE:
        alerts.append(
            Alert(
                AlertLevel.WARNING,
                "devices",
                f"Afflux inhabituel\u00a0: {format_number(devices_peak)} nouveaux appareils en une minute "
                f"(normal\u00a0: {format_number(DEVICE_BURST_PER_MINUTE)} au plus). "
                "Un script ou des cookies effacés\u00a0?",
            )
        )
    return sorted(alerts, key=lambda a: a.level != AlertLevel.ERROR)


def _event_alerts(now: datetime, idle_stands: list[StandIdle], health: StoreHealth) -> list[Alert]:
    """What matters only while the conference runs: the circuit's stands and the backups."""
    alerts: list[Alert] = []
    if idle_stands:
        shown = ", ".join(f"{s.code} {s.name}" for s in idle_stands[:IDLE_STANDS_NAMED])
        more = len(idle_stands) - IDLE_STANDS_NAMED
        names = shown + (f" et {format_number(more)} autre(s)" if more > 0 else "")
        alerts.append(
            Alert(
                AlertLevel.WARNING,
                "stands",
                f"{format_number(len(idle_stands))} stand(s) ouvert(s) sans visite depuis "
                f"{format_duration(STAND_IDLE)}\u00a0: {names}.",
            )
        )
    if health.last_backup_at is None:
        alerts.append(
            Alert(
                AlertLevel.ERROR,
                "backup",
                "Aucune sauvegarde notée pour cette base\u00a0: lancez « manage.py backup » (voir le README).",
            )
        )
    elif now - health.last_backup_at > BACKUP_MAX_AGE:
        alerts.append(
            Alert(
                AlertLevel.WARNING,
                "backup",
                f"Dernière sauvegarde il y a {format_duration(now - health.last_backup_at)} "
                f"(normal\u00a0: moins de {format_duration(BACKUP_MAX_AGE)} pendant la conférence).",
            )
        )
    return alerts


# ---------------------------------------------------------------------------------------------
# Small helpers


def format_duration(value: timedelta) -> str:
    """A wait in French: « 45 s », « 34 min », « 1 h 05 min », « 2 j 3 h » (no-break spaces: never cut in two)."""
    seconds = int(value.total_seconds())
    if seconds < 60:
        text = f"{seconds} s"
    elif seconds < 3600:
        text = f"{seconds // 60} min"
    elif seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        text = f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    else:
        days, hours = divmod(seconds // 3600, 24)
        text = f"{format_number(days)} j {hours} h" if hours else f"{format_number(days)} j"
    return text.replace(" ", "\u00a0")


def _quarter_floor(value: datetime) -> datetime:
    value = value.astimezone(UTC)
    return value.replace(minute=value.minute - value.minute % 15, second=0, microsecond=0)


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name
