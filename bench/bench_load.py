"""50 browser sessions at once for 5 minutes on the 2-core machine: participants, hunters, two organisers.

Rerun alone: `.venv/bin/python -m bench.run load` (5 min); `ESS_BENCH_LOAD_SECONDS=30 .venv/bin/python -m
bench.run load` for a short check of the benchmark itself.

A real server (`streamlit run`) on a SQLite store (WAL, synchronous=FULL) that already holds 2 000
contributions, and one Chromium with 50 contexts, each a person at human pace:
- 30 participants (390 × 844): each reads, thinks and types a contribution for 20 to 60 s, taps
  « Envoyer », reads the receipt for 3 to 8 s, taps « Écrire une autre contribution »;
- 18 hunters (390 × 844): each opens the circuit map once on arrival (as participants open the form, a
  few at a time: an empty cache compiles Streamlit's bundle), then walks 30 to 90 s between two stands,
  scans the stand's QR code (a fresh page load of its URL), taps « J'ai visité ce stand »;
- 2 organisers (1280 × 900), logged in, keep the live dashboard open (it refreshes itself every 2 s) and
  open it again every 45 to 75 s.
Measured: every interaction from the action to the page showing its result, timed inside the page as the
person sees it (performance.now() from the tap, or from the navigation's start for a scan or an opening);
the test driver's view, which adds its round trips through Playwright and the browser process, is reported
beside it. Also the p95 minute by minute, the age of the dashboard's « Mis à jour à » clock, errors, and the
server's resident memory sampled every 2 s.
The phones run at nice 10, the server at normal priority: a real phone has its own processor.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import statistics
import sys
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import cpu_seconds
from bench.inpage import TAP_UNTIL_JS, shown_mark_js
from services.permissions import CONSOLE_ACTOR

ROOT = Path(__file__).resolve().parent.parent
DURATION_S = int(os.environ.get("ESS_BENCH_LOAD_SECONDS", "300"))
TITLE = f"Charge : 50 sessions de navigateur (participants, chasseurs, deux organisateurs) pendant {DURATION_S} s"
PARTICIPANTS = 30
HUNTERS = 18
ORGANISERS = 2
TYPING_S = (20.0, 60.0)
READING_S = (3.0, 8.0)
WALKING_S = (30.0, 90.0)
DASHBOARD_REOPEN_S = (45.0, 75.0)
CLOCK_SAMPLE_S = 5.0
TARGET_P95_S = 1.5
PASSWORD = "un-mot-de-passe-solide-2016"
PARIS = ZoneInfo("Europe/Paris")
LAPTOP = {"width": 1280, "height": 900}
# Interactions are timed inside the page, as the person sees them; the test driver's own round trips to the
# page (Playwright, through the browser process, at nice 10 with 50 pages) are reported beside them.
# The live page's first chart on screen, in ms since the navigation started (organisers' pages).
CHART_SHOWN_JS = shown_mark_js(
    "__essChartShownMs", "() => document.querySelector('[data-testid=stPlotlyChart] .main-svg')"
)
# « Écrire une autre » tapped in the page: until the empty form is there and the run has ended.
FORM_READY = {"selector": "[data-testid=stTextArea] textarea", "idle": True}


@dataclass
class Measures:
    timings: dict[str, list[float]] = field(default_factory=dict)
    # The same interactions as the test driver saw them (its round trips to the page included).
    driver: dict[str, list[float]] = field(default_factory=dict)
    at: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, duration)
    clock_age: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    visits: int = 0
    rss: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MB)
    started: float = field(default_factory=time.monotonic)

    def add(self, kind: str, seconds: float | None, driver: float | None = None) -> None:
        """One interaction, timed in the page; `driver` is the driver's view of it when it has one."""
        if seconds is None:
            raise TimeoutError(f"{kind} : pas de mesure dans la page")
        self.timings.setdefault(kind, []).append(seconds)
        self.at.append((time.monotonic() - self.started - seconds, seconds))
        if driver is not None:
            self.driver.setdefault(kind, []).append(driver)


async def _pause(seconds: float, until: float) -> bool:
    """Wait like a person would, but not past the end of the run; False when the run is over."""
    await asyncio.sleep(max(0.0, min(seconds, until - time.monotonic())))
    return time.monotonic() < until


def _prepare(work_dir: Path) -> tuple[str, list[tuple[str, str]]]:
    from bench.common import prepare_store
    from db.engine import build_engine, session_scope
    from services import auth

    url = prepare_store(work_dir / "ess.db")
    engine = build_engine(url)
    with session_scope(engine, write=True) as session:
        for n in range(ORGANISERS):
            auth.create_user(
                session=session, username=f"orga{n}", password=PASSWORD, role="organizer", actor=CONSOLE_ACTOR
            )
    engine.dispose()
    with closing(sqlite3.connect(work_dir / "ess.db")) as conn:
        stands = [(str(c), str(n)) for c, n in conn.execute("SELECT code, name FROM stand WHERE active")]
    return url, stands


async def _participant(n: int, page: Any, base_url: str, m: Measures, until: float) -> None:
    from bench.common import TAP_JS, demo_texts
    from tests.e2e.phones import THEME_LABELS, open_form, wait_idle

    rng = random.Random(1000 + n)  # reproducible pacing, not a secret
    texts = demo_texts()
    k = 0
    while await _pause(rng.uniform(*TYPING_S), until):
        text = f"{rng.choice(texts)} (participant {n}, envoi {k})"
        k += 1
        try:
            await page.get_by_test_id("stTextArea").locator("textarea").fill(text)
            button = page.get_by_role("button", name="Envoyer ma contribution")
            await button.scroll_into_view_if_needed()
            seen = await button.evaluate(TAP_JS, text)
            if seen.get("ms") is None:
                raise TimeoutError(f"pas de reçu ({seen.get('missed', 'rien en 60 s')!r})")
            m.add("appui « Envoyer » → reçu affiché", seen["ms"] / 1000)
            m.receipts.append(seen["code"])
            if not await _pause(rng.uniform(*READING_S), until):
                return
            started = time.perf_counter()
            again = page.get_by_role("button", name="Écrire une autre contribution")
            ready = await again.evaluate(TAP_UNTIL_JS, FORM_READY)
            await page.get_by_test_id("stTextArea").locator("textarea").wait_for(state="visible")
            await wait_idle(page)
            m.add("« Écrire une autre » → formulaire prêt", ready and ready / 1000, time.perf_counter() - started)
        except Exception as exc:  # counted, and the phone starts again from a fresh form
            m.failures.append(f"participant {n}, envoi {k - 1} : {str(exc).splitlines()[0][:160]}")
            await open_form(page, base_url, THEME_LABELS[n % 5])


async def _hunter(
    n: int, page: Any, base_url: str, m: Measures, until: float, *, stands: list[tuple[str, str]]
) -> None:
    from bench.bench_circuit import scan_and_visit

    rng = random.Random(2000 + n)
    walk = rng.uniform(0, WALKING_S[1])  # hunters do not all reach their first stand together
    for code, name in rng.sample(stands, len(stands)):
        if not await _pause(walk, until):
            return
        walk = rng.uniform(*WALKING_S)
        try:
            times = await scan_and_visit(page, base_url, code, name)
            m.add("scan d'un stand → page du stand", times.scan_page, times.scan_driver)
            m.add("appui « J'ai visité » → confirmation", times.tap_page, times.tap_driver)
            m.visits += 1
        except Exception as exc:
            m.failures.append(f"chasseur {n}, stand {code} : {str(exc).splitlines()[0][:160]}")


async def _open_circuit(page: Any, base_url: str) -> None:
    from bench.bench_circuit import CIRCUIT_HEADING

    await page.goto(f"{base_url}/circuit")
    await page.get_by_role("heading", name=CIRCUIT_HEADING).wait_for(state="visible")


async def _open_dashboard(page: Any, base_url: str) -> float | None:
    """Open the live page; seconds from the navigation's start to its first chart on screen, seen in the page."""
    await page.goto(f"{base_url}/direct")
    await page.locator("[data-testid=stPlotlyChart] .main-svg").first.wait_for(state="visible")
    shown = await page.evaluate("window.__essChartShownMs ?? null")
    return None if shown is None else shown / 1000


async def _login(page: Any, base_url: str, username: str) -> None:
    """Sign in from the home page; once more if a busy machine dropped a tap during a rerun."""
    from tests.e2e.phones import wait_idle

    for attempt in (1, 2, 3):
        await page.goto(base_url)
        await page.get_by_role("heading", name="Conférence régionale de l'ESS").wait_for(state="visible")
        await wait_idle(page)
        field_ = page.get_by_role("textbox", name="Identifiant")
        if not await field_.is_visible():
            await page.get_by_test_id("stExpander").get_by_text("Espace équipe", exact=True).click()
        await field_.fill(username)
        await page.get_by_role("textbox", name="Mot de passe").fill(PASSWORD)
        await page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
        # The login cookie is written by a component after the run: a deep link before it lands is anonymous.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(c["name"] == "ess_staff_auth" for c in await page.context.cookies()):
                return
            await page.wait_for_timeout(200)
        if attempt == 3:
            raise TimeoutError("cookie de connexion jamais écrit")


def _clock_age(shown: str) -> float | None:
    """Seconds between now (Paris) and the dashboard's « Mis à jour à » HH:MM:SS."""
    try:
        h, mi, s = (int(x) for x in shown.strip().split(":"))
    except ValueError:
        return None
    now = datetime.now(UTC).astimezone(PARIS)
    age = (now.hour * 3600 + now.minute * 60 + now.second) - (h * 3600 + mi * 60 + s)
    return age % 86400


async def _organiser(n: int, page: Any, base_url: str, m: Measures, until: float) -> None:
    rng = random.Random(3000 + n)
    clock = page.get_by_test_id("stMetric").filter(has_text="Mis à jour à").get_by_test_id("stMetricValue")
    next_open = time.monotonic() + rng.uniform(*DASHBOARD_REOPEN_S)
    while await _pause(CLOCK_SAMPLE_S, until):
        try:
            if time.monotonic() >= next_open:
                started = time.perf_counter()
                shown = await _open_dashboard(page, base_url)
                m.add("ouverture du tableau de bord → graphiques", shown, time.perf_counter() - started)
                next_open = time.monotonic() + rng.uniform(*DASHBOARD_REOPEN_S)
            elif (age := _clock_age(await clock.inner_text(timeout=10_000))) is not None:
                m.clock_age.append(age)
        except Exception as exc:
            m.failures.append(f"organisateur {n} : {str(exc).splitlines()[0][:160]}")


async def _sample_rss(pid: int, m: Measures, started: float, until: float) -> None:
    from bench.common import rss_mb

    while time.monotonic() < until:
        m.rss.append((time.monotonic() - started, rss_mb(pid)))
        await asyncio.sleep(2)


async def _session(base_url: str, pid: int, stands: list[tuple[str, str]]) -> tuple[Measures, dict[str, float]]:
    from playwright.async_api import async_playwright

    from bench.common import renice_browsers, rss_mb
    from tests.e2e.phones import THEME_LABELS, launch, new_phone, open_form

    m = Measures()
    marks: dict[str, float] = {}
    async with async_playwright() as p:
        browser = await launch(p)
        renice_browsers(pid)
        # Warm-up: one session runs each page once (imports, caches), then leaves.
        warm = await new_phone(browser, timeout_ms=120_000)
        await open_form(warm, base_url, THEME_LABELS[0])
        await warm.context.close()
        marks["idle"] = rss_mb(pid)

        participants = []
        hunters = []
        for first in range(0, PARTICIPANTS, 5):  # a few at a time, as people arrive
            batch = [await new_phone(browser, timeout_ms=120_000) for _ in range(first, min(first + 5, PARTICIPANTS))]
            await asyncio.gather(
                *(open_form(pg, base_url, THEME_LABELS[(first + i) % 5]) for i, pg in enumerate(batch))
            )
            participants += batch
        for first in range(0, HUNTERS, 5):  # hunters too: the circuit map once, from the entrance's QR code
            batch = [await new_phone(browser, timeout_ms=120_000) for _ in range(first, min(first + 5, HUNTERS))]
            await asyncio.gather(*(_open_circuit(pg, base_url) for pg in batch))
            hunters += batch
        organisers = []
        for n in range(ORGANISERS):
            context = await browser.new_context(viewport=LAPTOP, locale="fr-FR")
            await context.add_init_script(CHART_SHOWN_JS)
            page = await context.new_page()
            page.set_default_timeout(120_000)
            await _login(page, base_url, f"orga{n}")
            await _open_dashboard(page, base_url)
            organisers.append(page)
        renice_browsers(pid)
        marks["open"] = rss_mb(pid)
        marks["load_start"] = os.getloadavg()[0]
        marks["cpu_start"] = cpu_seconds(pid)

        started = time.monotonic()
        m.started = started
        until = started + DURATION_S
        await asyncio.gather(
            _sample_rss(pid, m, started, until),
            *(_participant(n, pg, base_url, m, until) for n, pg in enumerate(participants)),
            *(_hunter(n, pg, base_url, m, until, stands=stands) for n, pg in enumerate(hunters)),
            *(_organiser(n, pg, base_url, m, until) for n, pg in enumerate(organisers)),
        )
        marks["wall"] = time.monotonic() - started
        marks["server_cpu"] = (cpu_seconds(pid) - marks["cpu_start"]) / marks["wall"]
        marks["load_end"] = os.getloadavg()[0]
        marks["after"] = rss_mb(pid)
        # Any page showing Streamlit's exception box counts as an error.
        marks["exception_boxes"] = 0
        for page in [*participants, *hunters, *organisers]:
            marks["exception_boxes"] += await page.locator("[data-testid=stException]").count()
        await browser.close()
    return m, marks


def run(work_dir: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from bench.common import BACKGROUND, ms, quantile, server_times
    from tests.e2e.conftest import start_app, stop_app

    url, stands = _prepare(work_dir)
    log = work_dir / "streamlit.log"
    probe = work_dir / "probe.tsv"
    env = {
        "ESS_COOKIE_KEY": "bench-cookie-key-" + "w" * 40,
        # bench/probe/sitecustomize.py: the server's own timestamps of each « Envoyer » (see bench_submit).
        "PYTHONPATH": str(ROOT / "bench" / "probe"),
        "ESS_BENCH_PROBE": str(probe),
    }
    app = start_app(url, log, extra_env=env)
    try:
        m, marks = asyncio.run(_session(app.url, app.process.pid, stands))
    finally:
        stop_app(app)
    server_errors = log.read_text(errors="replace").count("Traceback")
    with closing(sqlite3.connect(work_dir / "ess.db")) as conn:
        codes = {r[0] for r in conn.execute("SELECT receipt_code FROM contribution")}
        visits = int(conn.execute("SELECT count(*) FROM standvisit").fetchone()[0])
    lost = len(set(m.receipts) - codes)
    server = server_times(probe, set(m.receipts))["total"]

    everything = [s for values in m.timings.values() for s in values]
    p95_all = quantile(everything, 0.95) if everything else float("nan")
    rss_values = [mb for _, mb in m.rss] or [float("nan")]
    half = [mb for t, mb in m.rss if t >= DURATION_S / 2] or rss_values
    lines = [
        f"{PARTICIPANTS} participants et {HUNTERS} chasseurs (Chromium, 390 × 844) et {ORGANISERS} organisateurs "
        f"(1280 × 900, connectés, tableau de bord ouvert) en même temps pendant **{DURATION_S} s**, sur une base "
        f"SQLite contenant déjà {BACKGROUND} contributions. Rythme humain : un participant tape sa contribution "
        f"en {TYPING_S[0]:.0f} à {TYPING_S[1]:.0f} s et lit son reçu {READING_S[0]:.0f} à {READING_S[1]:.0f} s ; "
        f"un chasseur marche {WALKING_S[0]:.0f} à {WALKING_S[1]:.0f} s entre deux stands ; un organisateur "
        f"rouvre le tableau de bord toutes les {DASHBOARD_REOPEN_S[0]:.0f} à {DASHBOARD_REOPEN_S[1]:.0f} s (il se "
        "met à jour seul toutes les 2 s). Navigateurs en priorité basse (nice 10), serveur en priorité normale. "
        f"Charge moyenne (1 min) : {marks['load_start']:.1f} au début, {marks['load_end']:.1f} à la fin.",
        "",
        "| Interaction (ms) | n | médiane | p95 | max |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, values in m.timings.items():
        lines.append(
            f"| {kind} | {len(values)} | {ms(statistics.median(values))} | {ms(quantile(values, 0.95))} "
            f"| {ms(max(values))} |"
        )
    if everything:
        lines.append(
            f"| **toutes interactions** | {len(everything)} | {ms(statistics.median(everything))} | "
            f"**{ms(p95_all)}** | {ms(max(everything))} |"
        )
    if server:
        lines.append(
            f"| … dont, dans le serveur, message du clic reçu → reçu envoyé | {len(server)} | "
            f"{ms(statistics.median(server))} | {ms(quantile(server, 0.95))} | {ms(max(server))} |"
        )
    if m.clock_age:
        lines.append(
            f"| âge de l'horloge « Mis à jour à » du tableau de bord (s, résolution 1 s) | {len(m.clock_age)} | "
            f"{statistics.median(m.clock_age):.0f} s | {quantile(m.clock_age, 0.95):.0f} s | "
            f"{max(m.clock_age):.0f} s |"
        )
    driven = [s for values in m.driver.values() for s in values]
    if driven:
        lines += [
            "",
            "Les temps ci-dessus sont mesurés dans la page (ce que voit la personne). Vus par le pilote de test, "
            "ses allers-retours avec les 50 pages compris (Playwright, par le processus du navigateur) : "
            + ", ".join(f"{kind} p95 {ms(quantile(values, 0.95))} ms" for kind, values in m.driver.items() if values)
            + ".",
        ]
    if m.at:
        lines += ["", "| Minute de l'essai | interactions | médiane (ms) | p95 (ms) |", "|---|---:|---:|---:|"]
        for minute in range(int(DURATION_S // 60) + 1):
            these = [d for t, d in m.at if minute * 60 <= t < (minute + 1) * 60]
            if these:
                lines.append(
                    f"| {minute + 1} | {len(these)} | {ms(statistics.median(these))} | {ms(quantile(these, 0.95))} |"
                )
    ok = bool(everything) and p95_all < TARGET_P95_S and not m.failures and not server_errors and not lost
    lines += [
        "",
        "| Mesure | Valeur |",
        "|---|---|",
        f"| Reçus affichés / absents de la base | {len(m.receipts)} / {lost} |",
        f"| Visites confirmées à l'écran / lignes de visites en base | {m.visits} / {visits} |",
        f"| Échecs côté navigateur | {len(m.failures)} |",
        f"| Encadrés d'exception Streamlit sur les pages à la fin | {marks['exception_boxes']:.0f} |",
        f"| Erreurs dans le journal du serveur (Traceback) | {server_errors} |",
        f"| CPU du serveur pendant l'essai | {marks['server_cpu'] * 100:.0f} % d'un cœur |",
        f"| Mémoire serveur : une session chauffée / 50 sessions ouvertes | {marks['idle']:.0f} Mo / "
        f"{marks['open']:.0f} Mo |",
        f"| Mémoire serveur pendant l'essai : min / max / fin | {min(rss_values):.0f} / {max(rss_values):.0f} / "
        f"{marks['after']:.0f} Mo |",
        f"| Mémoire serveur, seconde moitié de l'essai : min / max | {min(half):.0f} / {max(half):.0f} Mo |",
        "",
        f"Objectif : p95 de toutes les interactions < {TARGET_P95_S:.1f} s, aucune erreur, mémoire bornée : "
        f"**{'tenu' if ok else 'NON TENU'}** (mémoire : comparer la seconde moitié au reste).",
    ]
    lines += [f"- {f}" for f in m.failures[:12]]
    return "\n".join(lines)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        print(run(Path(tmp)))
