"""The treasure hunt's server side: time per scan through the page, and 30 hunters × 10 stands on the store.

Rerun alone: `.venv/bin/python -m bench.run circuit_server`.

1. Through the page (AppTest, one process): a fresh session runs app.py + the stand page for a stand's
   QR address (what a scan costs the server), then the tap on « J'ai visité ce stand ». Excludes the
   websocket and the browser's own drawing (bench_circuit measures those with real Chromium phones).
2. On the store: 30 threads, one per hunter, each recording 10 visits through services.circuit.visit_stand
   in its own transaction, as the page does; then rows counted against visits acknowledged.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import quantile

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Chasse aux trésors : temps serveur par scan, 30 chasseurs × 10 stands sur la base"
PAGE_SCANS = 60
HUNTERS = 30
STANDS_EACH = 10
TARGET_P95_S = 1.5


def _row(label: str, values: list[float]) -> str:
    return (
        f"| {label} | {len(values)} | {statistics.median(values) * 1000:.0f} | "
        f"{quantile(values, 0.95) * 1000:.0f} | {max(values) * 1000:.0f} |"
    )


def _through_the_page(url: str, codes: list[str]) -> dict[str, list[float]]:
    from streamlit.testing.v1 import AppTest

    from core.config import get_settings
    from services.codes import device_token

    os.environ["ESS_DATABASE_URL"] = url
    get_settings.cache_clear()
    times: dict[str, list[float]] = {"scan": [], "tap": []}
    for n in range(PAGE_SCANS + 1):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["device_token"] = device_token()
        at.query_params["code"] = codes[n % len(codes)]
        started = time.perf_counter()
        at.switch_page(str(ROOT / "app_pages/stand.py")).run()
        scan = time.perf_counter() - started
        assert not at.exception
        started = time.perf_counter()
        at.button(key="stand_visit").click().run()
        tap = time.perf_counter() - started
        assert not at.exception
        if n:  # the first run pays for imports and caches
            times["scan"].append(scan)
            times["tap"].append(tap)
    return times


def _on_the_store(url: str, codes: list[str]) -> dict[str, Any]:
    from db.engine import build_engine, session_scope
    from services import circuit
    from services.codes import device_token

    engine = build_engine(url)
    latencies: list[float] = []
    acknowledged = 0
    errors: list[str] = []
    lock = threading.Lock()
    gate = threading.Barrier(HUNTERS)

    def hunter(n: int) -> None:
        nonlocal acknowledged
        token = device_token()
        rng = random.Random(n)
        gate.wait()
        for code in rng.sample(codes, STANDS_EACH):
            started = time.perf_counter()
            try:
                with session_scope(engine, write=True) as session:
                    result = circuit.visit_stand(session=session, device_token=token, stand_code=code)
            except Exception as exc:  # counted, not fatal
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:80]}")
                continue
            with lock:
                latencies.append(time.perf_counter() - started)
                acknowledged += int(result.new)

    threads = [threading.Thread(target=hunter, args=(n,)) for n in range(HUNTERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    from sqlalchemy import func
    from sqlmodel import select

    from models import StandVisit

    with session_scope(engine) as session:
        stored = int(session.exec(select(func.count()).select_from(StandVisit)).one())
    engine.dispose()
    return {"latencies": latencies, "acknowledged": acknowledged, "stored": stored, "errors": errors, "wall": wall}


def run(work_dir: Path) -> str:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("ESS_COOKIE_KEY", "bench-cookie-key-" + "z" * 40)
    from sqlmodel import select

    from db.engine import build_engine, session_scope
    from models import Stand
    from services.bootstrap import prepare_store

    page_url = f"sqlite:///{work_dir / 'page.db'}"
    store_url = f"sqlite:///{work_dir / 'store.db'}"
    for url in (page_url, store_url):
        engine = build_engine(url)
        prepare_store(engine)
        engine.dispose()
    engine = build_engine(store_url)
    with session_scope(engine) as session:
        codes = [s.code for s in session.exec(select(Stand).where(Stand.active)).all()]
    engine.dispose()

    load = os.getloadavg()[0]
    page = _through_the_page(page_url, codes)
    store = _on_the_store(store_url, codes)
    lost = store["acknowledged"] - store["stored"]
    p95 = quantile(page["scan"], 0.95)
    verdict = "tenu" if p95 < TARGET_P95_S and lost == 0 and not store["errors"] else "NON TENU"
    lines = [
        f"Charge moyenne (1 min) au début des mesures : {load:.2f}.",
        "",
        "| mesure (ms) | n | médiane | p95 | max |",
        "|---|---:|---:|---:|---:|",
        _row("scan : app.py + page du stand, session neuve (AppTest)", page["scan"]),
        _row("appui « J'ai visité » : écriture + page redessinée (AppTest)", page["tap"]),
        _row(f"visit_stand seul, {HUNTERS} fils en même temps", store["latencies"]),
        "",
        f"Sur la base : {HUNTERS} chasseurs × {STANDS_EACH} stands en {store['wall']:.1f} s ; visites acquittées "
        f"{store['acknowledged']}, lignes en base {store['stored']}, perdues {lost}, erreurs {len(store['errors'])}.",
        "",
        f"Objectif : p95 du temps serveur par scan < {TARGET_P95_S:.1f} s et 0 visite perdue : **{verdict}**.",
    ]
    lines += [f"- {e}" for e in store["errors"][:5]]
    return "\n".join(lines)
