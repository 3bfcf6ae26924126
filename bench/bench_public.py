"""The public results page under 200 concurrent anonymous visitors, at the protocol level, beside the dashboard.

Rerun alone: `.venv/bin/python -m bench.run public`.

No browser: each visitor is a websocket on Streamlit's `/_stcore/stream` speaking its protobufs, as the
frontend does: it opens the socket (subprotocol « streamlit »), sends one `BackMsg.rerun_script` naming the
page (`page_name`, the URL path) and reads `ForwardMsg`s until `script_finished` (the whole page drawn on the
server and sent). The time per view is from the request sent to that message; the server's CPU per view is
its process's CPU time (user + system, /proc) over the burst divided by the views. What the browser then
draws is not counted (bench_circuit and bench_load measure real Chromium phones).

Five bursts on one server and one store (2 000 background contributions, the demo day, results and strategy
published): 200 visitors on « Résultats » with the shared cache warm; 200 again just after a new contribution
(the data version moved: the results are recomputed once, then shared); 200 organisers opening the dashboard
(« Tableau de bord », logged in by their cookie), the page the organisers already run on the same server;
then 200 visitors, and 200 organisers, arriving evenly over SPREAD_S seconds instead of in the same instant.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.common import cpu_seconds, prepare_store, quantile, rss_mb, view_page

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Page publique « Résultats » : 200 visiteurs anonymes simultanés (protocole), à côté du tableau de bord"
VISITORS = 200
COOKIE_KEY = "bench-cookie-key-" + "p" * 40
ORGANISER = "bench-orga"
VIEW_TIMEOUT_S = 600
# The same 200 arriving one after the other over this long (10 a second), rather than in the same instant.
SPREAD_S = 20.0


@dataclass
class Burst:
    label: str
    times: list[float]
    failures: int
    wall: float
    cpu: float  # server CPU seconds over the burst

    def row(self) -> str:
        views = len(self.times)
        if not views:
            return f"| {self.label} | 0 | — | — | — | {self.wall:.1f} | — | {self.failures} |"
        return (
            f"| {self.label} | {views} | {statistics.median(self.times) * 1000:.0f} | "
            f"{quantile(self.times, 0.95) * 1000:.0f} | {max(self.times) * 1000:.0f} | {self.wall:.1f} | "
            f"{self.cpu / views * 1000:.0f} | {self.failures} |"
        )


async def _view(ws_url: str, page: str, cookie: str | None, expected: bytes) -> float:
    """One visitor: connect, ask for `page`, wait for the end of the run; the seconds from request to end."""
    import websockets

    headers = {"Cookie": cookie} if cookie else None
    async with websockets.connect(
        ws_url, subprotocols=[websockets.Subprotocol("streamlit")], additional_headers=headers, max_size=None
    ) as ws:
        return await view_page(ws, page, "", expected)


async def _arriving(delay: float, ws_url: str, page: str, cookie: str | None, expected: bytes) -> float:
    await asyncio.sleep(delay)
    return await asyncio.wait_for(_view(ws_url, page, cookie, expected), VIEW_TIMEOUT_S)


async def _burst_async(
    ws_url: str, page: str, cookie: str | None, expected: bytes, spread: float
) -> tuple[list[float], int]:
    delays = [spread * n / VISITORS for n in range(VISITORS)]
    results = await asyncio.gather(
        *(_arriving(d, ws_url, page, cookie, expected) for d in delays),
        return_exceptions=True,
    )
    times = [r for r in results if isinstance(r, float)]
    errors = [r for r in results if isinstance(r, BaseException)]
    for e in errors[:3]:
        print(f"bench public: {page}: {type(e).__name__}: {e}", file=sys.stderr)
    return times, len(errors)


def _burst(
    label: str, ws_url: str, pid: int, page: str, cookie: str | None, expected: bytes, spread: float = 0.0
) -> Burst:
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    times, failures = asyncio.run(_burst_async(ws_url, page, cookie, expected, spread))
    return Burst(label, times, failures, time.perf_counter() - started, cpu_seconds(pid) - cpu)


def _seed(url: str) -> str:
    """Demo day, an organiser, results and strategy published; the organiser's login cookie."""
    from db.engine import build_engine, session_scope
    from services import auth, publication
    from services.auth import Role, issue_login_cookie
    from services.demo import seed_demo
    from services.permissions import CONSOLE_ACTOR
    from services.scope import resolve_edition_id

    engine = build_engine(url)
    with session_scope(engine, write=True) as session:
        seed_demo(session, participants=120)
        auth.create_user(
            session=session,
            username=ORGANISER,
            password="organisatrice-de-la-mesure-2026",
            role=Role.ORGANIZER.value,
            actor=CONSOLE_ACTOR,
        )
        edition_id = resolve_edition_id(session=session, edition_id=None)
        publication.publish_results(session, actor=CONSOLE_ACTOR, edition_id=edition_id)
        publication.publish_strategy(session, actor=CONSOLE_ACTOR, edition_id=edition_id)
    engine.dispose()
    token = issue_login_cookie(username=ORGANISER, cookie_key=COOKIE_KEY, expiry_days=1)
    return f"ess_staff_auth={token}"


def _new_contribution(url: str) -> None:
    from db.engine import build_engine, session_scope
    from services import contributions
    from services.codes import device_token
    from services.contributions import ContributionDraft

    engine = build_engine(url)
    draft = ContributionDraft(
        theme_id=1, body="Une contribution de plus pendant la mesure.", idempotency_key=uuid.uuid4().hex
    )
    with session_scope(engine, write=True) as session:
        contributions.submit_from_device(session, device_token=device_token(), draft=draft)
    engine.dispose()


def run(work_dir: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from tests.e2e.conftest import start_app, stop_app

    url = prepare_store(work_dir / "public.db")
    cookie = _seed(url)
    app = start_app(url, work_dir / "streamlit.log", extra_env={"ESS_COOKIE_KEY": COOKIE_KEY})
    ws_url = app.url.replace("http://", "ws://") + "/_stcore/stream"
    pid = app.process.pid
    results_mark = b"Participation"  # the results' first heading (the notice before publication has none)
    dashboard_mark = "Par thème".encode()  # the dashboard's first board
    try:
        load = os.getloadavg()[0]
        # One view of each first: imports and the first computation, not what a visitor waits for at scale.
        asyncio.run(_view(ws_url, "resultats", None, results_mark))
        asyncio.run(_view(ws_url, "direct", cookie, dashboard_mark))
        bursts = [_burst("« Résultats », cache partagé chaud", ws_url, pid, "resultats", None, results_mark)]
        _new_contribution(url)
        bursts.append(
            _burst("« Résultats », juste après une contribution", ws_url, pid, "resultats", None, results_mark)
        )
        bursts.append(_burst("Tableau de bord (organisateurs)", ws_url, pid, "direct", cookie, dashboard_mark))
        spread = f", arrivées étalées sur {SPREAD_S:.0f} s"
        bursts.append(_burst("« Résultats »" + spread, ws_url, pid, "resultats", None, results_mark, spread=SPREAD_S))
        bursts.append(
            _burst("Tableau de bord" + spread, ws_url, pid, "direct", cookie, dashboard_mark, spread=SPREAD_S)
        )
        rss = rss_mb(pid)
    finally:
        stop_app(app)
    lines = [
        f"Charge moyenne (1 min) au début des mesures : {load:.2f}. Un serveur `streamlit run`, une base SQLite "
        f"(2 000 contributions de fond, la journée de démonstration) ; {VISITORS} sessions websocket ouvertes "
        "ensemble par rafale (ou arrivant régulièrement sur 20 s), une vue chacune (requête `rerun_script` → "
        "`script_finished`). Ouvertes ensemble, les sessions se partagent le GIL du serveur tour à tour : elles "
        "finissent presque toutes en même temps (médiane proche du p95), la durée de la rafale mesure le débit.",
        "",
        "| rafale | vues | médiane (ms) | p95 (ms) | max (ms) | durée (s) | CPU serveur par vue (ms) | échecs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *[b.row() for b in bursts],
        "",
        f"Mémoire du serveur après les rafales : {rss:.0f} Mo.",
    ]
    return "\n".join(lines)
