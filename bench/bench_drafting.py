"""Benchmark of the after-conference work: grouping 5 000 contributions of one theme, exporting 100 000 to Excel.

Targets from issue 7: grouping under 10 s, the Excel export under 30 s. Contributions are seeded with
SQLAlchemy Core from the demo texts, each rewritten with typos, so near-duplicates are realistic.
Run alone: `python -m bench.run drafting`.
"""

from __future__ import annotations

import io
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import yaml
from sqlalchemy import insert, select

from db.bootstrap import prepare_store
from db.engine import build_engine, session_scope
from models import Contribution, Theme
from services import data_export, grouping
from services.formatting import format_number

TITLE = "Regroupement de 5 000 contributions d'un thème, export Excel de 100 000 contributions"
DEMO_TEXTS = Path(__file__).resolve().parent.parent / "assets" / "demo" / "contributions.yaml"
GROUPING_N = 5_000
EXPORT_N = 100_000
SOURCES = ("conference", "treasure_hunt", "questionnaire", "workshop", "online", "paper")
START = datetime(2016, 6, 28, 6, 30, tzinfo=UTC)


def _typo(rng: random.Random, text: str) -> str:
    """A reworded copy: a few dropped or doubled letters, accents lost, a word or two cut."""
    words = text.split()
    if len(words) > 8 and rng.random() < 0.5:
        del words[rng.randrange(len(words))]
    chars = list(" ".join(words))
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(chars))
        chars[i] = rng.choice(["", chars[i] * 2, "e" if chars[i] in "éèê" else chars[i]])
    return "".join(chars)


def seed(engine_url: str, n: int, *, theme_id: int | None, seed: int = 2016) -> None:
    rng = random.Random(seed)  # synthetic data, reproducible
    texts = [item["text"] for item in yaml.safe_load(DEMO_TEXTS.read_text(encoding="utf-8"))["contributions"]]
    engine = build_engine(engine_url)
    prepare_store(engine)
    with engine.connect() as conn:
        themes = [t for (t,) in conn.execute(select(Theme.id))]
    rows = []
    for i in range(n):
        rows.append(
            {
                "receipt_code": f"B{i:09d}",
                "idempotency_key": f"bench-{i:012d}",
                "theme_id": theme_id or rng.choice(themes),
                "body": _typo(rng, rng.choice(texts)) + ("" if rng.random() < 0.7 else f" (atelier {i % 97})"),
                "title": "",
                "source": rng.choice(SOURCES),
                "author_name": "Prénom Nom" if rng.random() < 0.2 else "",
                "organisation": "",
                "display_mode": "anonymous",
                "status": rng.choice(("published", "published", "pending")),
                "rejection_reason": "",
                "entered_by": "",
                "is_demo": False,
                "created_at": START + timedelta(seconds=i),
                "updated_at": START + timedelta(seconds=i),
            }
        )
    with engine.begin() as conn:
        for start in range(0, len(rows), 20_000):
            conn.execute(insert(Contribution), rows[start : start + 20_000])
    engine.dispose()


def run(work_dir: Path) -> str:
    load = os.getloadavg()[0]
    url = f"sqlite:///{work_dir / 'grouping.db'}"
    seed(url, GROUPING_N, theme_id=2)
    engine = build_engine(url)
    started = time.perf_counter()
    with session_scope(engine, write=True) as session:
        groups = grouping.propose_groups(session=session, theme_id=2, actor="bench")
    grouping_s = time.perf_counter() - started
    with session_scope(engine) as session:
        sizes = [len(g.members) for g in grouping.list_groups(session=session, theme_id=2)]
    engine.dispose()
    print(f"  grouping: {grouping_s:.1f} s, {groups} groups", flush=True)

    url = f"sqlite:///{work_dir / 'export.db'}"
    seed(url, EXPORT_N, theme_id=None)
    engine = build_engine(url)
    started = time.perf_counter()
    with session_scope(engine) as session:
        table = data_export.contribution_table(session=session)
    query_s = time.perf_counter() - started
    data = data_export.excel_bytes(table)
    export_s = time.perf_counter() - started
    engine.dispose()
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheets = len(book.sheetnames)
    print(f"  export: {export_s:.1f} s ({len(data) / 1e6:.1f} MB, {sheets} sheets)", flush=True)
    return "\n".join(
        [
            f"Charge moyenne (1 min) au départ de la mesure : {load:.2f}.",
            "",
            "| Mesure | Volume | Temps | Cible | Détail |",
            "|---|---|---|---|---|",
            f"| Proposition de groupes (TF-IDF scikit-learn, un thème) | {format_number(GROUPING_N)} contributions "
            f"| {grouping_s:.1f} s | < 10 s | {groups} groupes, le plus grand de {max(sizes, default=0)} |",
            f"| Export Excel anonymisé (XlsxWriter, mémoire constante) | {format_number(EXPORT_N)} contributions "
            f"| {export_s:.1f} s | < 30 s | lecture et anonymisation {query_s:.1f} s ; "
            f"{len(data) / 1e6:.1f} Mo, {sheets} feuilles (synthèse, 5 thèmes, 6 origines) |",
            "",
            "Relancer seul : `python -m bench.run drafting`.",
        ]
    )
