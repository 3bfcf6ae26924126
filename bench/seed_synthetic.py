"""Synthetic contributions for the benchmarks: SQLAlchemy Core inserts in batches, reproducible."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from models import Contribution, Orientation, Participant, Stand, StandVisit

BATCH = 20_000
DEMO_TEXTS = Path(__file__).resolve().parent.parent / "assets" / "demo" / "contributions.yaml"
# The conference day in UTC (Paris is UTC+2 in June): 08:30–17:00 local.
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


def _created_at(rng: random.Random, source: str) -> datetime:
    if source == "workshop":
        return DAY_START - timedelta(days=rng.randint(40, 70), hours=rng.uniform(0, 8))
    if source in ("questionnaire", "online"):
        return DAY_START - timedelta(days=rng.randint(1, 45), hours=rng.uniform(-6, 10))
    return DAY_START + timedelta(hours=rng.uniform(0, DAY_HOURS))


def seed_contributions(engine: Engine, n: int, *, seed: int = 2016, visits: bool = True) -> dict[str, int]:
    """Insert `n` contributions (and about n/10 stand visits by n/40 participants) into a prepared store."""
    rng = random.Random(seed)  # synthetic data, reproducible
    texts = [item["text"] for item in yaml.safe_load(DEMO_TEXTS.read_text(encoding="utf-8"))["contributions"]]
    with engine.connect() as conn:
        orientations = [(o.id, o.theme_id) for o in conn.execute(select(Orientation.id, Orientation.theme_id))]
        stands = [(s.id, s.theme_id) for s in conn.execute(select(Stand.id, Stand.theme_id))]
        first_id = int(conn.execute(select(Contribution.id).order_by(Contribution.id.desc()).limit(1)).scalar() or 0)
    orientations_by_theme: dict[int, list[int]] = {}
    for oid, theme_id in orientations:
        orientations_by_theme.setdefault(theme_id, []).append(oid)
    stands_by_theme: dict[int, list[int]] = {}
    for sid, theme_id in stands:
        stands_by_theme.setdefault(theme_id, []).append(sid)

    done = 0
    with engine.begin() as conn:
        while done < n:
            size = min(BATCH, n - done)
            sources = _weighted(rng, SOURCES, size)
            statuses = _weighted(rng, STATUSES, size)
            themes = rng.choices([1, 2, 3, 4, 5], weights=[24, 22, 20, 18, 16], k=size)
            rows: list[dict[str, Any]] = []
            for i in range(size):
                number = first_id + done + i + 1
                theme_id = themes[i]
                orientation_id = stance = None
                if rng.random() < 0.4 and orientations_by_theme.get(theme_id):
                    orientation_id = rng.choice(orientations_by_theme[theme_id])
                    stance = rng.choice(STANCES)
                source = sources[i]
                created = _created_at(rng, source)
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
                        "device_token": f"bench-device-{seed}-{p}",
                        "public_code": f"P{p:09d}",
                        "created_at": DAY_START,
                        "last_seen_at": DAY_START,
                        "treasure_code": f"T{p:09d}" if p % 3 == 0 else None,
                        "treasure_found_at": DAY_START + timedelta(hours=5) if p % 3 == 0 else None,
                        "is_demo": False,
                    }
                    for p in range(hunters)
                ],
            )
            ids = [
                row[0] for row in conn.execute(select(Participant.id).order_by(Participant.id.desc()).limit(hunters))
            ]
            visit_rows: list[dict[str, Any]] = []
            for pid in ids:
                for sid, _ in rng.sample(stands, k=min(len(stands), 4)):
                    at = DAY_START + timedelta(hours=rng.uniform(2, 5))
                    visit_rows.append({"stand_id": sid, "participant_id": pid, "created_at": at, "is_demo": False})
                if len(visit_rows) >= BATCH:
                    conn.execute(insert(StandVisit), visit_rows)
                    n_visits += len(visit_rows)
                    visit_rows = []
            if visit_rows:
                conn.execute(insert(StandVisit), visit_rows)
                n_visits += len(visit_rows)
    return {"contributions": n, "visits": n_visits}
