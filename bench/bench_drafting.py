"""Benchmark of the after-conference work: grouping 5 000 contributions of one theme, exporting 100 000 to Excel.

Targets from issue 7: grouping under 10 s, the Excel export under 30 s. Contributions are seeded with
SQLAlchemy Core from the demo texts, each rewritten with typos, so near-duplicates are realistic.
The export is compared in the same run with a raw baseline: sqlite3 rows written by the same writer
(XlsxWriter, constant memory) as the same sheets, with no labels, masking or neutralisation.
Run alone: `python -m bench.run drafting`.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter  # type: ignore[import-untyped]
import yaml
from sqlalchemy import insert
from sqlmodel import col, select

from db.engine import build_engine, session_scope
from models import Contribution, Theme
from services import data_export, grouping
from services.bootstrap import prepare_store
from services.formatting import format_number
from services.permissions import CONSOLE_ACTOR

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
        themes = [t for (t,) in conn.execute(select(col(Theme.id)))]
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
    started, cpu = time.perf_counter(), time.process_time()
    with session_scope(engine, write=True) as session:
        groups = grouping.propose_groups(session=session, theme_id=2, actor="bench")
    grouping_s, grouping_cpu = time.perf_counter() - started, time.process_time() - cpu
    with session_scope(engine) as session:
        sizes = [len(g.members) for g in grouping.list_groups(session=session, theme_id=2)]
    engine.dispose()
    print(f"  grouping: {grouping_s:.1f} s, {groups} groups", flush=True)

    url = f"sqlite:///{work_dir / 'export.db'}"
    seed(url, EXPORT_N, theme_id=None)
    load_export = os.getloadavg()[0]
    # In a fresh process, so the peak memory is the export's own, not the seeding's or the grouping's.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        measured = pool.apply(_measure_export, (url,))
    data = measured["data"]
    query_s, export_s, export_cpu, peak_mb = (measured[k] for k in ("query_s", "export_s", "export_cpu", "peak_mb"))
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheets = len(book.sheetnames)
    print(f"  export: {export_s:.1f} s ({len(data) / 1e6:.1f} MB, {sheets} sheets)", flush=True)
    raw_s, raw_cpu = _raw_baseline(work_dir / "export.db")
    print(f"  raw baseline: {raw_s:.1f} s", flush=True)
    return "\n".join(
        [
            f"Charge moyenne (1 min) au départ du regroupement : {load:.2f} ; "
            f"au départ de l'export : {load_export:.2f}.",
            "",
            "| Mesure | Volume | Temps (horloge) | Temps CPU | Cible | Détail |",
            "|---|---|---|---|---|---|",
            f"| Proposition de groupes (TF-IDF scikit-learn, un thème) | {format_number(GROUPING_N)} contributions "
            f"| {grouping_s:.1f} s | {grouping_cpu:.1f} s | < 10 s | {groups} groupes, le plus grand de "
            f"{max(sizes, default=0)} |",
            f"| Export Excel anonymisé de l'application (XlsxWriter) | {format_number(EXPORT_N)} contributions "
            f"| {export_s:.1f} s | {export_cpu:.1f} s | < 30 s | lecture, libellés, masquage et neutralisation "
            f"{query_s:.1f} s ; {len(data) / 1e6:.1f} Mo, {sheets} feuilles (synthèse, 5 thèmes, 6 origines) ; "
            f"mémoire maximale du processus d'export {peak_mb:.0f} Mo, dont {measured['base_mb']:.0f} Mo "
            "avant l'export (Python et bibliothèques) |",
            f"| Référence brute : sqlite3 + les mêmes feuilles par XlsxWriter, sans libellés, masquage ni "
            f"neutralisation | {format_number(EXPORT_N)} contributions | {raw_s:.1f} s | {raw_cpu:.1f} s | | |",
            "",
            "Relancer seul : `python -m bench.run drafting`.",
        ]
    )


def _measure_export(url: str) -> dict[str, Any]:
    """The app's Excel export timed in this (child) process."""
    engine = build_engine(url)
    base_mb = _high_water_mb()
    started, cpu = time.perf_counter(), time.process_time()
    with session_scope(engine) as session:
        table = data_export.contribution_table(session=session, actor=CONSOLE_ACTOR)
    query_s = time.perf_counter() - started
    data = data_export.excel_bytes(table)
    export_s, export_cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_mb = _high_water_mb()
    engine.dispose()
    return {
        "data": data,
        "query_s": query_s,
        "export_s": export_s,
        "export_cpu": export_cpu,
        "peak_mb": peak_mb,
        "base_mb": base_mb,
    }


def _high_water_mb() -> float:
    """This process's peak resident memory (VmHWM: reset by exec, unlike ru_maxrss, which a spawned child
    inherits from the parent that seeded 100 000 rows)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _raw_baseline(db: Path) -> tuple[float, float]:
    """The floor: the same columns fetched by sqlite3 and written as the same sheets, with no processing."""
    started, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db)
    cursor = conn.execute(
        "SELECT receipt_code, created_at, theme_id, source, stand_id, status, orientation_id, stance, title, body,"
        " 0, '', '', actor_type, departement, author_name, organisation FROM contribution"
        " WHERE status != 'rejected' ORDER BY created_at, id"
    )
    header = [d[0] if d[0] not in ("0", "''") else f"c{i}" for i, d in enumerate(cursor.description)]
    rows = cursor.fetchall()
    conn.close()
    by_sheet: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_sheet.setdefault(f"t{row[2]}", []).append(i)
        by_sheet.setdefault(f"s{row[3]}", []).append(i)
    book = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True, "strings_to_formulas": False})
    book.add_worksheet("Synthèse").write_string(0, 0, "b")
    for name, indexes in by_sheet.items():
        ws = book.add_worksheet(name)
        ws.write_row(0, 0, header)
        ws.freeze_panes(1, 0)
        for r, i in enumerate(indexes, start=1):
            for c, value in enumerate(rows[i]):
                if isinstance(value, int):
                    ws.write_number(r, c, value)
                elif value:
                    ws.write_string(r, c, value)
        ws.autofilter(0, 0, max(len(indexes), 1), len(header) - 1)
    book.close()
    return time.perf_counter() - started, time.process_time() - cpu
