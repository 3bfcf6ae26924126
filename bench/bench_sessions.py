"""Sessions per process: the server's memory per idle session and its CPU per landing view, app and baseline.

Rerun alone: `.venv/bin/python -m bench.run sessions` (sizes: ESS_BENCH_SESSIONS_STEPS="100,200,400,800").

What a phone does when it scans the join QR code (app_pages/join.py: `<base>/contribuer?edition=<slug>`):
it opens Streamlit's websocket `/_stcore/stream` and asks for the page « contribuer » with that query string;
the server runs app.py and the page and sends the form, then the phone keeps the socket open while its
owner reads, thinks and types. Here each phone is that socket, at the protocol level (bench_public's `_view`
protocol: one `BackMsg.rerun_script`, `ForwardMsg`s read until `script_finished`), left open afterwards.

Sessions arrive at the arrival wave's pace (800 in 60 s, ESS_BENCH_SESSIONS_RATE per second) up to each
step; after a pause, the server's resident memory (VmRSS) is read. Memory per idle session is the slope of
a least-squares line through (sessions, RSS) from 0 to the last step; the time of each landing view (request
to `script_finished`, as the client sees it) gives the median and p95 of the wave; the server's CPU time
(user + system, /proc) over a step divided by the views of that step is its CPU per landing view.

The same steps are run on a baseline in the same run: a bare Streamlit page (a title and a few lines) under
the same configuration, so what belongs to Streamlit itself (a session, its script thread, its message
queue) is told from what the app adds. With ESS_BENCH_SESSIONS_BEFORE=<an older checkout of this project>,
the app of that checkout is measured too (its own app.py and modules, on a store prepared by this one).

With ESS_BENCH_SESSIONS_PROBE=1 the servers are started with bench/probe_sessions on their PYTHONPATH:
the live objects counted by type at 0 and at the last step (after a full collection) and a profile of the
script runs of one step are printed to the console (a diagnosis, not part of RESULTS.md: the probe's
profiling slows the server).
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import cpu_seconds, fr, prepare_store, quantile, rss_mb, view_page

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Sessions par processus : mémoire par session inactive et CPU par vue d'arrivée (page du QR code)"
STEPS = tuple(int(s) for s in os.environ.get("ESS_BENCH_SESSIONS_STEPS", "100,200,400,800").split(","))
# The arrival wave of the issue: 800 phones within 60 s.
RATE = float(os.environ.get("ESS_BENCH_SESSIONS_RATE", str(800 / 60)))
SETTLE_S = 4.0
VIEW_TIMEOUT_S = 300
PAGE = "contribuer"
APP_MARK = b"Envoyer ma contribution"  # the form's button, drawn last
BASELINE_MARK = b"Bienvenue"
BASELINE = '''"""A bare page: what Streamlit itself costs per session, without the app."""

import streamlit as st

st.title("Bienvenue")
st.write("Une page simple, sans base de données.")
st.caption("Trois lignes de texte, comme une page d'accueil minimale.")
'''
PROBE = ROOT / "bench" / "probe_sessions"
# What the probe showed once (not measured again by each run: its profiling and tracemalloc slow the server).
DIAGNOSIS = (
    "Ce que tient une session inactive (sonde `ESS_BENCH_SESSIONS_PROBE=1` et tracemalloc, 60 sessions, "
    "03/12/2026) : environ 90 Kio de tas Python par session après un ramassage complet, dont environ 25 Kio pour "
    "sa websocket (uvicorn, websockets, files asyncio), 20 Kio pour l'état de session de Streamlit (13 "
    "`WidgetMetadata`, 12 valeurs de widgets), 8 Kio pour l'espace de noms de la page « Contribuer » (gardé "
    "vivant par les callbacks de ses widgets) et 4 Kio pour la navigation (les pages inscrites) ; environ 400 "
    "objets suivis par le ramasse-miettes, contre 215 pour la page nue. Rien de volumineux dans "
    "`st.session_state`, aucune session SQLAlchemy ni connexion gardée, aucun thread par session inactive (celui "
    "du script se termine avec son exécution) ; le reste de la pente de RSS est la fragmentation de "
    "l'allocateur. La mémoire n'est donc pas ce qui limite un processus (0,07 Mo par session, cible 2 Mo). "
    "Où va le CPU d'une vue (cProfile en temps CPU de chaque thread de script, 60 vues, avant les changements) : "
    "« À propos de vous » environ 25 % (dont la lecture des départements en base, désormais en cache partagé), "
    "la navigation 16 % (14 `st.Page` créés à chaque exécution, chacun résolvant son chemin sur le disque), le "
    "formulaire de connexion de l'équipe 8 %, `active_edition()` 8 % (neuf appels par exécution, chacun "
    "désérialisant la liste des éditions : désormais un objet partagé), le reste dans la mécanique de Streamlit "
    "par élément (une vingtaine d'éléments, 13 widgets). Ces deux corrections ne se voient pas au-delà du bruit "
    "(22,0 → 21,8 ms). Ce qui a pesé dans les mesures précédentes : le fil d'arrière-plan qui calcule les vecteurs "
    "des contributions importées sans eux (ici les 2 000 de fond) tourne dans le même processus pendant des "
    "minutes ; avec lui, le CPU par vue mesuré montait à 40–90 ms et la vague de 800 arrivées sur une machine "
    "chargée (charge 4 à 11) a donné un p95 de 12 à 19 s ; il est coupé ici (`ESS_EMBED_IN_BACKGROUND=false` "
    "pour les serveurs mesurés). Sous la vague, les threads de script prêts à tourner se disputent aussi le GIL "
    "avec la boucle d'événements qui envoie les messages de toutes les sessions ; `ui/admission.py` n'en admet "
    "que quelques-uns à la fois (`ESS_PAGE_RUNS_AT_ONCE`, 4)."
)


@dataclass
class Step:
    sessions: int
    rss: float
    times: list[float] = field(default_factory=list)
    failures: int = 0
    cpu: float = 0.0


@dataclass
class Server:
    label: str
    process: subprocess.Popen[bytes]
    ws_url: str
    probe: Path | None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(label: str, root: Path, script: Path, url: str, log: Path, probe: Path | None) -> Server:
    port = _free_port()
    # The 2 000 background contributions were inserted without their sentence vectors: the background thread
    # would spend minutes of CPU computing them inside the server during the measure (in a room, one vector
    # per new contribution, just after it is written). Off here, so the CPU counted is the views'.
    env = {**os.environ, "ESS_DATABASE_URL": url, "ESS_EMBED_IN_BACKGROUND": "false"}
    if probe is not None:
        probe.mkdir(parents=True, exist_ok=True)
        env |= {"PYTHONPATH": str(PROBE), "ESS_BENCH_SESSIONS_PROBE": str(probe)}
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{label}: le serveur s'est arrêté : {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return Server(label, process, f"ws://127.0.0.1:{port}/_stcore/stream", probe)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{label}: le serveur n'a pas répondu en 60 s")


def _stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


async def _ask_probe(server: Server, name: str) -> str:
    """Ask the in-server probe (bench/probe_sessions) and wait for its answer."""
    assert server.probe is not None
    (server.probe / name).write_text("", encoding="utf-8")
    answer = server.probe / (name.rsplit(".", 1)[0] + ".out")
    for _ in range(3000):
        if answer.exists():
            await asyncio.sleep(0.2)
            text = answer.read_text(encoding="utf-8")
            answer.unlink()
            return text
        await asyncio.sleep(0.1)
    return "(pas de réponse de la sonde)"


async def _open(ws_url: str, page: str, query: str, mark: bytes, sockets: list[Any]) -> float:
    """One phone: open the socket, ask for the page, read until the run ends; the socket stays open."""
    import websockets

    ws = await websockets.connect(
        ws_url, subprotocols=[websockets.Subprotocol("streamlit")], max_size=None, open_timeout=VIEW_TIMEOUT_S
    )
    sockets.append(ws)
    return await view_page(ws, page, query, mark)


async def _arrive(delay: float, ws_url: str, page: str, query: str, mark: bytes, sockets: list[Any]) -> float:
    await asyncio.sleep(delay)
    return await asyncio.wait_for(_open(ws_url, page, query, mark, sockets), VIEW_TIMEOUT_S)


async def _steps(server: Server, page: str, query: str, mark: bytes) -> list[Step]:
    pid = server.process.pid
    sockets: list[Any] = []
    # One view first, closed: the imports and first computations, not what a phone of the wave waits for.
    warm: list[Any] = []
    await _open(server.ws_url, page, query, mark, warm)
    await warm[0].close()
    await asyncio.sleep(SETTLE_S)
    if server.probe is not None:
        print(f"--- {server.label}: objets vivants à 0 session\n{await _ask_probe(server, 'zero.gc')}", flush=True)
    steps = [Step(0, rss_mb(pid))]
    for target in STEPS:
        count = target - steps[-1].sessions
        if server.probe is not None and target == STEPS[-1]:
            await _ask_probe(server, "start.prof")
        cpu = cpu_seconds(pid)
        results = await asyncio.gather(
            *(_arrive(n / RATE, server.ws_url, page, query, mark, sockets) for n in range(count)),
            return_exceptions=True,
        )
        spent = cpu_seconds(pid) - cpu
        if server.probe is not None and target == STEPS[-1]:
            print(f"--- {server.label}: profil des exécutions\n{await _ask_probe(server, 'stop.prof')}", flush=True)
        await asyncio.sleep(SETTLE_S)
        step = Step(target, rss_mb(pid), [r for r in results if isinstance(r, float)], cpu=spent)
        errors = [r for r in results if isinstance(r, BaseException)]
        step.failures = len(errors)
        for e in errors[:3]:
            print(f"bench sessions: {server.label}: {type(e).__name__}: {e}", file=sys.stderr)
        steps.append(step)
        print(f"{server.label}: {target} sessions, {step.rss:.0f} Mo", flush=True)
    if server.probe is not None:
        print(f"--- {server.label}: objets vivants à {STEPS[-1]}\n{await _ask_probe(server, 'last.gc')}", flush=True)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return steps


def _slope(steps: list[Step]) -> float:
    """Least-squares MB per session through (sessions, RSS)."""
    xs = [float(s.sessions) for s in steps]
    ys = [s.rss for s in steps]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def _commit(root: Path) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or str(root)


def _edition_slug(url: str) -> str:
    from db.engine import build_engine, session_scope
    from services import editions

    engine = build_engine(url)
    with session_scope(engine) as session:
        known = editions.list_editions(session)
    engine.dispose()
    return next(e.slug for e in known if e.is_default)


@dataclass(frozen=True)
class Target:
    """What a server runs and what its phones ask for."""

    label: str
    root: Path  # the checkout whose code the server runs
    script: Path
    page: str
    query: str
    mark: bytes  # seen in the messages once the page is drawn


def _measure(target: Target, url: str, work_dir: Path) -> list[Step]:
    probe = work_dir / f"probe-{target.label}" if os.environ.get("ESS_BENCH_SESSIONS_PROBE") else None
    server = _start(target.label, target.root, target.script, url, work_dir / f"{target.label}.log", probe)
    try:
        return asyncio.run(_steps(server, target.page, target.query, target.mark))
    finally:
        _stop(server)


def _row(label: str, steps: list[Step]) -> str:
    views = [t for s in steps for t in s.times]
    count = sum(len(s.times) for s in steps)
    cpu = sum(s.cpu for s in steps)
    rss = " / ".join(fr(s.rss, 0) for s in steps)
    failures = sum(s.failures for s in steps)
    per_step = " / ".join(fr(quantile(s.times, 0.95) * 1000, 0) if s.times else "—" for s in steps[1:])
    return (
        f"| {label} | {rss} | {fr(_slope(steps), 2)} | {fr(statistics.median(views) * 1000, 0)} | "
        f"{fr(quantile(views, 0.95) * 1000, 0)} | {per_step} | {fr(cpu / count * 1000, 1)} | {failures} |"
    )


def run(work_dir: Path) -> str:
    sys.path.insert(0, str(ROOT))
    url = prepare_store(work_dir / "sessions.db")
    query = f"edition={_edition_slug(url)}"
    baseline = work_dir / "baseline.py"
    baseline.write_text(BASELINE, encoding="utf-8")
    targets = [Target("baseline", ROOT, baseline, "", "", BASELINE_MARK)]
    labels = ["page nue (référence)"]
    before = os.environ.get("ESS_BENCH_SESSIONS_BEFORE")
    if before:
        targets.append(Target("before", Path(before), Path(before) / "app.py", PAGE, query, APP_MARK))
        labels.append("« Contribuer », avant")
    targets.append(Target("app", ROOT, ROOT / "app.py", PAGE, query, APP_MARK))
    labels.append("« Contribuer », après" if before else "« Contribuer »")
    load = os.getloadavg()[0]
    rows = [_row(label, _measure(target, url, work_dir)) for label, target in zip(labels, targets, strict=True)]
    load_after = os.getloadavg()[0]
    steps = " / ".join(["0", *(str(s) for s in STEPS)])
    lines = [
        f"Charge moyenne (1 min) : {load:.2f} au début, {load_after:.2f} à la fin. Un serveur `streamlit run` par "
        f"ligne, l'un après l'autre, sur la même base SQLite (2 000 contributions de fond). Les téléphones arrivent "
        f"au rythme de la vague du sujet ({fr(RATE, 1)} par seconde, soit 800 en 60 s) jusqu'à {steps} sessions ; "
        "chacun ouvre la page du QR code (`/contribuer?edition=…` : `rerun_script` → `script_finished`) puis garde "
        f"sa websocket ouverte sans rien faire. Mémoire résidente (VmRSS) du serveur lue {SETTLE_S:.0f} s après "
        "chaque palier ; mémoire par session = pente des moindres carrés ; CPU par vue = temps CPU du processus "
        "serveur (utilisateur + système) sur les paliers ÷ vues."
        + (f" « Avant » : le code du commit {_commit(Path(before))}, mesuré dans la même exécution." if before else ""),
        "",
        f"| page | RSS (Mo) à {steps} sessions | Mo par session inactive | médiane vue (ms) | p95 vue (ms) "
        "| p95 par palier (ms) | CPU serveur par vue (ms) | échecs |",
        "|---|---|---:|---:|---:|---|---:|---:|",
        *rows,
        "",
        DIAGNOSIS,
    ]
    return "\n".join(lines)
