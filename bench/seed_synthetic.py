"""Synthetic contributions for the benchmarks: SQLAlchemy Core inserts in batches, reproducible.

Each call fills one edition (the default one unless told): its themes, orientations and stands, its days.
The rows go in under services.tally_rollup.paused_rollup, as the questionnaire import writes them: the
triggers skip them and one grouped upsert per family and width counts the whole load in the rollup.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import Contribution, Edition, Orientation, Participant, Stand, StandVisit, Theme
from services.scope import resolve_edition_id
from services.tally_rollup import paused_rollup

BATCH = 20_000
DEMO_TEXTS = Path(__file__).resolve().parent.parent / "assets" / "demo" / "contributions.yaml"
# The conference day starts at 08:30 Paris time, 06:30 UTC in summer (the default edition's day: DAY_START).
DAY_START_UTC = time(6, 30)
DAY_START = datetime(2016, 6, 28, 6, 30, tzinfo=UTC)
DAY_HOURS = 8.5

SOURCES = (
    ("conference", 45),
    ("treasure_hunt", 20),
    ("questionnaire", 20),
    ("workshop", 10),
    ("online", 4),
    ("paper", 1),
)
STATUSES = (("published", 70), ("pending", 25), ("rejected", 5))
DEPARTEMENTS = (None, "44", "44", "44", "49", "49", "53", "72", "72", "85", "85", "HORS")
ACTOR_TYPES = (None, "association", "cooperative", "mutual", "foundation", "ess_company", "network", "citizen")
STANCES = ("support", "support", "support_with_reservations", "disagreement", "new_proposal")


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...], k: int) -> list[str]:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs], k=k)


def _created_at(rng: random.Random, source: str, day_start: datetime) -> datetime:
    if source == "workshop":
        return day_start - timedelta(days=rng.randint(40, 70), hours=rng.uniform(0, 8))
    if source in ("questionnaire", "online"):
        return day_start - timedelta(days=rng.randint(1, 45), hours=rng.uniform(-6, 10))
    return day_start + timedelta(hours=rng.uniform(0, DAY_HOURS))


def edition_day_start(engine: Engine, edition_id: int | None = None) -> datetime:
    """When the edition's conference day starts, in UTC (08:30 Paris time in summer)."""
    with Session(engine) as session:
        edition = session.get(Edition, resolve_edition_id(session=session, edition_id=edition_id))
        assert edition is not None
        return datetime.combine(edition.start_date, DAY_START_UTC, tzinfo=UTC)


def seed_contributions(
    engine: Engine, n: int, *, seed: int = 2016, visits: bool = True, edition_id: int | None = None
) -> dict[str, int]:
    """Insert `n` contributions of an edition (and about n/10 stand visits by n/40 of its participants)."""
    rng = random.Random(seed)  # synthetic data, reproducible
    texts = [item["text"] for item in yaml.safe_load(DEMO_TEXTS.read_text(encoding="utf-8"))["contributions"]]
    with Session(engine) as session:
        edition = resolve_edition_id(session=session, edition_id=edition_id)
    day_start = edition_day_start(engine, edition)
    with engine.connect() as conn:
        theme_ids = [
            int(t or 0)
            for t in conn.execute(
                select(col(Theme.id)).where(Theme.edition_id == edition).order_by(col(Theme.position), col(Theme.id))
            ).scalars()
        ]
        orientations = [
            (o.id, o.theme_id)
            for o in conn.execute(
                select(col(Orientation.id), col(Orientation.theme_id)).where(Orientation.edition_id == edition)
            )
        ]
        stands = [
            (s.id, s.theme_id)
            for s in conn.execute(select(col(Stand.id), col(Stand.theme_id)).where(Stand.edition_id == edition))
        ]
        first_id = int(conn.execute(select(func.max(Contribution.id))).scalar() or 0)
        first_participant = int(conn.execute(select(func.max(Participant.id))).scalar() or 0)
    # The first themes draw a little more than the last ones (24 %, 22 %… of five themes).
    weights = [max(24 - 2 * i, 4) for i in range(len(theme_ids))]
    orientations_by_theme: dict[int, list[int]] = {}
    for oid, theme_id in orientations:
        orientations_by_theme.setdefault(theme_id, []).append(oid)
    stands_by_theme: dict[int, list[int]] = {}
    for sid, theme_id in stands:
        stands_by_theme.setdefault(theme_id, []).append(sid)

    done = 0
    with Session(engine) as session, session.begin(), paused_rollup(session=session):
        conn = session.connection()
        while done < n:
            size = min(BATCH, n - done)
            sources = _weighted(rng, SOURCES, size)
            statuses = _weighted(rng, STATUSES, size)
            themes = rng.choices(theme_ids, weights=weights, k=size)
            rows: list[dict[str, Any]] = []
            for i in range(size):
                number = first_id + done + i + 1
                theme_id = themes[i]
                orientation_id = stance = None
                if rng.random() < 0.4 and orientations_by_theme.get(theme_id):
                    orientation_id = rng.choice(orientations_by_theme[theme_id])
                    stance = rng.choice(STANCES)
                source = sources[i]
                created = _created_at(rng, source, day_start)
                rows.append(
                    {
                        "receipt_code": f"B{number:010d}",
                        "idempotency_key": f"bench-{seed}-{number:010d}",
                        "theme_id": theme_id,
                        "orientation_id": orientation_id,
                        "stance": stance,
                        "title": "",
                        "body": rng.choice(texts),
                        "source": source,
                        "author_name": "",
                        "organisation": "",
                        "actor_type": rng.choice(ACTOR_TYPES),
                        "departement": rng.choice(DEPARTEMENTS),
                        "display_mode": "anonymous",
                        "status": statuses[i],
                        "rejection_reason": "",
                        "entered_by": "",
                        "is_demo": False,
                        "stand_id": rng.choice(stands_by_theme[theme_id])
                        if source == "treasure_hunt" and stands_by_theme.get(theme_id)
                        else None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            conn.execute(insert(Contribution), rows)
            done += size

        n_visits = 0
        if visits and stands:
            hunters = max(1, n // 40)
            conn.execute(
                insert(Participant),
                [
                    {
                        "edition_id": edition,
                        "device_token": f"bench-device-{seed}-{p}",
                        "public_code": f"P{p:09d}",
                        "created_at": day_start,
                        "last_seen_at": day_start,
                        "treasure_code": f"T{p:09d}" if p % 3 == 0 else None,
                        "treasure_found_at": day_start + timedelta(hours=5) if p % 3 == 0 else None,
                        "is_demo": False,
                    }
                    for p in range(first_participant + 1, first_participant + 1 + hunters)
                ],
            )
            ids = [
                row[0]
                for row in conn.execute(select(col(Participant.id)).order_by(col(Participant.id).desc()).limit(hunters))
            ]
            visit_rows: list[dict[str, Any]] = []
            for pid in ids:
                for sid, _ in rng.sample(stands, k=min(len(stands), 4)):
                    at = day_start + timedelta(hours=rng.uniform(2, 5))
                    visit_rows.append({"stand_id": sid, "participant_id": pid, "created_at": at, "is_demo": False})
                if len(visit_rows) >= BATCH:
                    conn.execute(insert(StandVisit), visit_rows)
                    n_visits += len(visit_rows)
                    visit_rows = []
            if visit_rows:
                conn.execute(insert(StandVisit), visit_rows)
                n_visits += len(visit_rows)
    return {"contributions": n, "visits": n_visits}
