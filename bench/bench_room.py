"""A whole room on one server: 800 phones at the protocol level, the arrival wave then a day at human pace.

Rerun alone: `.venv/bin/python -m bench.run room`; a smaller run: `ESS_ROOM_PHONES=100 ESS_ROOM_DURATION=120
ESS_ROOM_ARRIVAL=30 .venv/bin/python -m bench.run room` (or `python -m bench.bench_room --phones 100 …`, which
prints the section without touching RESULTS.md).

Each phone is a bench.protocol.Phone (Streamlit's websocket protocol, no browser), all in this process's event
loop. It scans the join QR code (the projector's « Rejoindre » page encodes `/contribuer?edition=<slug>`) at a
random moment of the arrival window, then until the end, after a pause of tens of seconds each time, does one of:
- contribute: picks a theme (pills), types (one pause in the typing reruns the suggestions' fragment, as the
  page's listener does), leaves the text area (commit), taps « Envoyer » and reads its receipt code;
- vote: opens « Donner mon avis » and taps a stance on one to three cards, each acknowledged « enregistré »;
- walks the circuit: scans a stand's QR code (a new page load: a new session, the device cookie kept) and taps
  « J'ai visité ce stand », acknowledged « Visite enregistrée »;
- opens « Mes contributions », where every receipt it was shown must be listed.
Beside them, organisers keep the dashboard open and one projector shows « Écran de la salle »: their fragments
rerun on the interval the page gives (`auto_rerun`), as the frontend does.

Measured: per interaction, the client's time (request sent → `script_finished`) and the server's (the
rerun_script message reaching the session → its `script_finished` queued, bench/probe_room); p50/p95/max for the
arrival wave and for the day; the server's memory (RSS) before the wave, after it and at the end, its CPU; the
failures. After the run every acknowledged write is checked against the store: 0 lost, 0 duplicated.
Baseline, in the same run: the same phones arriving the same way on a bare Streamlit page (a title, a text
field, a button) served by the same Streamlit, then taps at the same pace for BASELINE_S seconds: what
Streamlit itself costs per session and per rerun on this machine, whatever the app does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import fr, prepare_store, quantile, rss_mb
from bench.protocol import Phone, ProtocolError, Timing

ROOT = Path(__file__).resolve().parent.parent
PROBE_DIR = Path(__file__).resolve().parent / "probe_room"
TITLE = "Une salle entière sur un serveur : téléphones au protocole Streamlit, vague d'arrivée puis journée"
PHONES = int(os.environ.get("ESS_ROOM_PHONES", "800"))
DURATION_S = float(os.environ.get("ESS_ROOM_DURATION", "600"))
ARRIVAL_S = float(os.environ.get("ESS_ROOM_ARRIVAL", "60"))
BASELINE_S = 120.0  # the baseline's day: enough taps for its quantiles
ORGANISERS = 3
THINK_S = (20.0, 60.0)  # a person's pause between two actions
TYPING_S = (8.0, 20.0)
COOKIE_KEY = "bench-cookie-key-" + "r" * 40
ROUTE_COOKIE = "ess_route"  # deploy/nginx/ess.conf's sticky-session cookie
ORGANISER = "bench-salle"
JOURNEYS = (("contribute", 4), ("vote", 3), ("stand", 2), ("mine", 1))
VOTE_KEY = re.compile(r"-vote_(\d+)_([a-z_]+)$")
HELLO = (
    "import streamlit as st\n\n"
    'st.title("Bonjour")\n'
    'name = st.text_input("Votre prénom", key="name")\n'
    'st.button("Envoyer", key="send")\n'
    'st.text(f"Reçu : {name}")\n'
)


@dataclass
class Ledger:
    """What the phones were told was saved, and what went wrong."""

    receipts: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (device token, text)
    votes: dict[tuple[str, int], str] = field(default_factory=dict)  # (token, orientation) -> last stance
    visits: set[tuple[str, str]] = field(default_factory=set)  # (token, stand code)
    failures: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)  # the first few, printed on stderr
    unlisted: int = 0  # receipts missing from « Mes contributions »
    joined: int = 0  # phones whose first page (the join QR code) was drawn
    timings: list[tuple[str, Timing]] = field(default_factory=list)  # (role, timing)
    sessions: dict[str, str] = field(default_factory=dict)  # server session id -> role
    # Behind nginx (bench_room2): a client's route cookie -> (role, the replicas that answered its page loads).
    routes: dict[str, tuple[str, set[str]]] = field(default_factory=dict)

    def keep(self, role: str, phone: Phone) -> None:
        self.timings.extend((role, t) for t in phone.timings)
        phone.timings.clear()
        if phone.session_id:
            self.sessions[phone.session_id] = role
        if route := phone.cookies.get(ROUTE_COOKIE):
            self.routes.setdefault(route, (role, set()))[1].add(phone.upstream)


@dataclass(frozen=True)
class Room:
    base_url: str
    slug: str
    stands: list[str]
    started: float  # time.time() of the wave's start
    arrival: float
    end: float
    tls: ssl.SSLContext | None = None  # behind nginx over HTTPS (bench_room2): its self-signed certificate

    @property
    def token_cookie(self) -> str:
        return f"ess_device_{self.slug}"


# --- the phones' journeys --------------------------------------------------------------------------------------


async def _contribute(phone: Phone, room: Room, ledger: Ledger, rng: random.Random, n: int) -> None:
    if not phone.page.has_widget(key="contribute_send") and not phone.page.has_widget(key="contribute_again"):
        await phone.navigate("contribuer", f"edition={room.slug}", what="Retour à « Contribuer »")
    # The form, or the receipt of the last one (kept in the session when the phone went elsewhere meanwhile).
    if phone.page.has_widget(key="contribute_again"):
        await phone.click(key="contribute_again", what="« Écrire une autre contribution »")
    theme = phone.page.widget(key="contribute_theme")
    await phone.commit(theme, rng.choice(theme.options()), what="Choix du thème (pills)")
    text = f"Idée du téléphone {n} à {time.time():.3f} : des circuits courts et des achats publics responsables."
    await asyncio.sleep(rng.uniform(*TYPING_S))
    listener = next((w for w in phone.page.widgets() if w.kind == "component_instance"), None)
    if listener is not None:  # a pause in the typing: the suggestions' fragment reruns with the text so far
        await phone.commit(listener, text[: len(text) // 2], what="Pause dans la frappe (fragment des suggestions)")
        await asyncio.sleep(rng.uniform(*TYPING_S))
    await phone.commit(phone.page.widget(key="contribute_body"), text, what="Texte validé (sortie du champ)")
    await phone.click(key="contribute_send", what="« Envoyer » → code de reçu")
    code = phone.page.metric("Votre code de reçu")
    if code is None:
        raise ProtocolError("no receipt after « Envoyer »")
    ledger.receipts[code] = (phone.cookies[room.token_cookie], text)


async def _vote(phone: Phone, room: Room, ledger: Ledger, rng: random.Random) -> None:
    await phone.navigate("avis", what="Ouverture de « Donner mon avis »")
    for _ in range(rng.randint(1, 3)):
        buttons = [(w, VOTE_KEY.search(w.id)) for w in phone.page.widgets() if w.kind == "button"]
        choices = [(w, m) for w, m in buttons if m is not None]
        if not choices:
            return  # the summary: every card has its stance
        widget, match = rng.choice(choices)
        await phone.click(key=widget.id.rsplit("-", 1)[1], what="Avis sur une orientation (une touche)")
        if not any("enregistré" in t for t in phone.page.texts()):
            raise ProtocolError("stance not acknowledged")
        ledger.votes[(phone.cookies[room.token_cookie], int(match.group(1)))] = match.group(2)
        await asyncio.sleep(rng.uniform(3.0, 10.0))


async def _stand(phone: Phone, room: Room, ledger: Ledger, rng: random.Random) -> None:
    """A stand's QR code: the camera opens a new page load, hence a new session; the cookie comes along."""
    code = rng.choice(room.stands)
    await phone.close()
    phone.session_id = ""
    await phone.open("stand", f"code={code}&edition={room.slug}", what="Scan du QR code d'un stand (nouvelle session)")
    if phone.page.has_widget(key="stand_visit"):
        await asyncio.sleep(rng.uniform(2.0, 8.0))
        await phone.click(key="stand_visit", what="« J'ai visité ce stand »")
        if phone.page.text_containing("Visite enregistrée") is None:
            raise ProtocolError("visit not acknowledged")
    ledger.visits.add((phone.cookies[room.token_cookie], code))


async def _mine(phone: Phone, room: Room, ledger: Ledger) -> None:
    await phone.navigate("mes-contributions", what="Ouverture de « Mes contributions »")
    token = phone.cookies.get(room.token_cookie)
    shown = " ".join(phone.page.texts())
    ledger.unlisted += sum(1 for code, (t, _) in list(ledger.receipts.items()) if t == token and code not in shown)


async def _phone(n: int, room: Room, ledger: Ledger) -> None:
    rng = random.Random(n)  # reproducible, not a secret
    await asyncio.sleep(max(0.0, room.started + rng.uniform(0, room.arrival) - time.time()))
    phone = Phone(room.base_url, tls=room.tls)
    try:
        await phone.open("contribuer", f"edition={room.slug}", what="Arrivée par le QR code « Rejoindre »")
    except Exception as error:
        ledger.failures[f"arrivée : {type(error).__name__}"] += 1
        return
    ledger.joined += 1
    ledger.keep("phone", phone)
    names, weights = [n for n, _ in JOURNEYS], [w for _, w in JOURNEYS]
    while time.time() + THINK_S[0] < room.end:
        await asyncio.sleep(rng.uniform(*THINK_S))
        if time.time() >= room.end:
            break
        journey = rng.choices(names, weights)[0]
        try:
            if journey == "contribute":
                await _contribute(phone, room, ledger, rng, n)
            elif journey == "vote":
                await _vote(phone, room, ledger, rng)
            elif journey == "stand":
                await _stand(phone, room, ledger, rng)
            else:
                await _mine(phone, room, ledger)
        except Exception as error:  # counted, then the phone reloads the form, as a person would
            ledger.failures[f"{journey} : {type(error).__name__}"] += 1
            if len(ledger.first_errors) < 5:
                ledger.first_errors.append(f"{journey}: {error}"[:300])
                print(f"bench room: {ledger.first_errors[-1]}", file=sys.stderr)
            ledger.keep("phone", phone)
            await phone.close()
            phone.session_id = ""
            try:
                await phone.open("contribuer", f"edition={room.slug}", what="Rechargement après un échec")
            except Exception as again:
                ledger.failures[f"rechargement : {type(again).__name__}"] += 1
                return
        ledger.keep("phone", phone)
    ledger.keep("phone", phone)
    await phone.close()


async def _screen(role: str, page: str, cookie: str, room: Room, ledger: Ledger) -> None:
    """An organiser's dashboard or the projector: the page once, then its fragments on their own intervals."""
    phone = Phone(room.base_url, cookies={"ess_staff_auth": cookie}, tls=room.tls)
    await phone.open(page)
    ledger.keep(role, phone)
    due = {fragment: time.time() + interval for fragment, interval in phone.page.auto_reruns.items()}
    try:
        while due and time.time() < room.end:
            fragment, at = min(due.items(), key=lambda item: item[1])
            await asyncio.sleep(max(0.0, at - time.time()))
            await phone.fragment_rerun(fragment)
            due[fragment] = time.time() + phone.page.auto_reruns.get(fragment, 2.0)
            ledger.keep(role, phone)
    except Exception as error:
        ledger.failures[f"{role} : {type(error).__name__}"] += 1
    await phone.close()


async def _hello_phone(n: int, room: Room, ledger: Ledger) -> None:
    rng = random.Random(10_000 + n)
    await asyncio.sleep(max(0.0, room.started + rng.uniform(0, room.arrival) - time.time()))
    phone = Phone(room.base_url)
    try:
        await phone.open("", what="join")
        ledger.joined += 1
        ledger.keep("phone", phone)
        while time.time() + THINK_S[0] < room.end:
            await asyncio.sleep(rng.uniform(*THINK_S))
            await phone.commit(phone.page.widget(key="name"), f"Téléphone {n}")
            await phone.click(key="send")
            ledger.keep("phone", phone)
    except Exception as error:
        ledger.failures[f"témoin : {type(error).__name__}"] += 1
    ledger.keep("phone", phone)
    await phone.close()


# --- the server, its store, its measures ------------------------------------------------------------------------


def seed_room(url: str) -> tuple[str, str, list[str]]:
    """The demo day (open vote, open stands), an organiser; (edition slug, login cookie, stand codes)."""
    from sqlmodel import col, select

    from db.engine import build_engine, session_scope
    from models import Edition
    from models.circuit import Stand
    from services import auth
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
            password="organisatrice-de-la-salle-2026",
            role=Role.ORGANIZER.value,
            actor=CONSOLE_ACTOR,
        )
        edition_id = resolve_edition_id(session=session, edition_id=None)
        edition = session.get(Edition, edition_id)
        assert edition is not None
        slug = edition.slug
        stands = [
            str(c) for c in session.exec(select(Stand.code).where(Stand.edition_id == edition_id, col(Stand.active)))
        ]
    # The contributions of the days before have their sentence vectors already (the server computes each new
    # one's in the background): without this the server would spend the room embedding 2 000 old texts.
    from services.semantics import model
    from services.semantics.backfill import backfill

    if model.available():
        backfill(engine)
    engine.dispose()
    return slug, issue_login_cookie(username=ORGANISER, cookie_key=COOKIE_KEY, expiry_days=1), stands


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Watch:
    """The server processes (by name) and the machine, sampled every 5 s while the room runs."""

    pids: dict[str, int]
    rss: dict[str, list[float]] = field(default_factory=dict)  # name -> MB, one sample every 5 s
    loads: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.wait(5):
            for name, pid in self.pids.items():
                self.rss.setdefault(name, []).append(rss_mb(pid))
            self.loads.append(os.getloadavg()[0])

    def snapshot(self) -> dict[str, tuple[float, float]]:
        """Each server's memory (MB) and processor time so far (s)."""
        return {name: (rss_mb(pid), cpu_seconds(pid)) for name, pid in self.pids.items()}


@dataclass
class Measure:
    """One room (the app, or the bare page): what the phones and the server saw."""

    ledger: Ledger
    server: list[tuple[float, float, str]]  # (arrival wall time, seconds, session id)
    room: Room
    rss_before: float
    rss_wave: float
    rss_end: float
    rss_max: float
    cpu_wave: float
    cpu_day: float
    client_cpu: float
    loads: list[float]
    connected: int

    @classmethod
    def of(
        cls,
        ledger: Ledger,
        server: list[tuple[float, float, str]],
        room: Room,
        seen: Observed,
        watch: Watch,
        *,
        with_screens: bool,
    ) -> Measure:
        """The room's figures, memory and CPU summed over the servers watched (one, or the replicas)."""
        names = list(watch.pids)
        samples = [sum(column) for column in zip(*(watch.rss.get(n, []) for n in names), strict=False)]
        rss_end = sum(seen.end[n][0] for n in names)
        cpu_wave = sum(seen.wave[n][1] - seen.before[n][1] for n in names)
        return cls(
            ledger=ledger,
            server=server,
            room=room,
            rss_before=sum(seen.before[n][0] for n in names),
            rss_wave=sum(seen.wave[n][0] for n in names),
            rss_end=rss_end,
            rss_max=max([*samples, rss_end]),
            cpu_wave=cpu_wave,
            cpu_day=sum(seen.end[n][1] - seen.before[n][1] for n in names) - cpu_wave,
            client_cpu=seen.client_cpu,
            loads=watch.loads,
            # Open when the wave ended: every phone that arrived, the organisers' screens (a stand's scan later
            # replaces a phone's session by a new one, not counted twice).
            connected=ledger.joined + (ORGANISERS + 1 if with_screens else 0),
        )

    def client(self, role: str, *, wave: bool, what: str | None = None) -> list[float]:
        cut = self.room.started + self.room.arrival
        return [
            t.seconds
            for r, t in self.ledger.timings
            if r == role and (t.sent_at < cut) == wave and (what is None or t.what == what)
        ]

    def on_server(self, role: str, *, wave: bool) -> list[float]:
        cut = self.room.started + self.room.arrival
        return [
            s for at, s, sid in self.server if self.ledger.sessions.get(sid, "phone") == role and (at < cut) == wave
        ]


def read_probe(path: Path) -> list[tuple[float, float, str]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        at, seconds, session, _kind = line.split("\t")
        rows.append((float(at), float(seconds), session))
    return rows


async def crowd(room: Room, ledger: Ledger, phones: int, cookie: str | None) -> None:
    if cookie is None:
        tasks = [_hello_phone(n, room, ledger) for n in range(phones)]
    else:
        tasks = [_phone(n, room, ledger) for n in range(phones)]
        tasks += [_screen("organiser", "direct", cookie, room, ledger) for _ in range(ORGANISERS)]
        tasks.append(_screen("projector", "projecteur", cookie, room, ledger))
    await asyncio.gather(*tasks)


async def connected_after_wave(room: Room, watch: Watch, out: dict[str, tuple[float, float]]) -> None:
    """Memory and CPU once every phone has arrived and the wave's runs are done (10 s after the window)."""
    await asyncio.sleep(max(0.0, room.started + room.arrival + 10 - time.time()))
    out.update(watch.snapshot())


def _start(script: str, database_url: str, log: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """`streamlit run <script>` on a free port, as tests/e2e starts the app (it takes any script); its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, "ESS_DATABASE_URL": database_url, **env}, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"le serveur ne répond pas : {log.read_text(errors='replace')[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _room(
    work: Path,
    url: str,
    script: str,
    *,
    phones: int,
    duration: float,
    arrival: float,
    seed: tuple[str, str, list[str]] | None,
) -> Measure:
    probe = work / f"probe-{Path(script).stem}.tsv"
    process, base_url = _start(script, url, work / f"{Path(script).stem}.log", server_env(probe))
    slug, cookie, stands = seed if seed is not None else ("", None, [])
    try:
        # One visit first: imports and first computations, not what a phone waits for in the room.
        first = Room(base_url, slug, stands, time.time(), 0.0, time.time())
        asyncio.run(warm(first, app=seed is not None))
        probe.write_text("", encoding="utf-8")
        watch = Watch({"app": process.pid})
        start = time.time() + 1.0
        room = Room(base_url, slug, stands, start, arrival, start + arrival + duration)
        ledger = Ledger()
        seen = observe(room, ledger, phones, cookie, watch)
    finally:
        _stop(process)
    return Measure.of(ledger, read_probe(probe), room, seen, watch, with_screens=cookie is not None)


def server_env(probe: Path) -> dict[str, str]:
    """What a measured server runs with: the room's cookie key, the probe (bench/probe_room) writing to `probe`."""
    return {
        "ESS_COOKIE_KEY": COOKIE_KEY,
        "PYTHONPATH": str(PROBE_DIR),
        "ESS_ROOM_PROBE": str(probe),
        # Every phone comes from this machine, one address: the per-address backstops (services.throttle) would
        # hold a room behind one NAT as they are meant to; the benchmark measures the app behind them.
        **{f"ESS_ADDRESS_{s}": "1000000" for s in ("NEW_PASSPORTS_PER_10S", "NEW_PASSPORTS_PER_HOUR")},
        **{f"ESS_ADDRESS_{s}": "1000000" for s in ("WRITES_PER_10S", "WRITES_PER_HOUR")},
        **{f"ESS_ADDRESS_{s}": "1000000" for s in ("STANCES_PER_10S", "STANCES_PER_HOUR")},
    }


@dataclass(frozen=True)
class Observed:
    """Each server's (memory MB, CPU s) before the wave, after it, at the end; this process's CPU (the clients)."""

    before: dict[str, tuple[float, float]]
    wave: dict[str, tuple[float, float]]
    end: dict[str, tuple[float, float]]
    client_cpu: float


def observe(room: Room, ledger: Ledger, phones: int, cookie: str | None, watch: Watch) -> Observed:
    """The crowd in this process's event loop, the servers of `watch` sampled meanwhile."""
    before, client_cpu = watch.snapshot(), time.process_time()
    after_wave: dict[str, tuple[float, float]] = {}
    threading.Thread(target=watch.run, daemon=True).start()

    async def both() -> None:
        await asyncio.gather(crowd(room, ledger, phones, cookie), connected_after_wave(room, watch, after_wave))

    asyncio.run(both())
    watch.stop.set()
    end = watch.snapshot()
    return Observed(before, after_wave or end, end, time.process_time() - client_cpu)


async def warm(room: Room, *, app: bool) -> None:
    phone = Phone(room.base_url, tls=room.tls)
    if app:
        await phone.open("contribuer", f"edition={room.slug}")
        await phone.navigate("avis", what="Ouverture de « Donner mon avis »")
        await phone.navigate("stand", f"code={room.stands[0]}&edition={room.slug}")
    else:
        await phone.open("")
    await phone.close()


# --- the writes, checked against the store -------------------------------------------------------------------


def check_writes(url: str, ledger: Ledger) -> dict[str, int]:
    from sqlalchemy import func
    from sqlmodel import select

    from db.engine import build_engine, session_scope
    from models import Contribution, Participant
    from models.circuit import Stand, StandVisit
    from models.vote import OrientationVote

    engine = build_engine(url)
    found: Counter[str] = Counter()
    with session_scope(engine) as session:
        tokens = dict(session.exec(select(Participant.device_token, Participant.id)).all())
        for code, (token, text) in ledger.receipts.items():
            rows = session.exec(
                select(Contribution.body, Contribution.participant_id).where(Contribution.receipt_code == code)
            ).all()
            same_text = session.exec(select(func.count()).where(Contribution.body == text)).one()
            found["receipts"] += 1
            found["receipts_lost"] += not rows or rows[0][0] != text or rows[0][1] != tokens.get(token)
            found["receipts_duplicated"] += max(0, int(same_text) - 1)
        bench_rows = session.exec(select(func.count()).where(Contribution.body.like("Idée du téléphone %"))).one()  # type: ignore[attr-defined]
        found["contributions_stored"] = int(bench_rows)
        for (token, orientation), choice in ledger.votes.items():
            stances = session.exec(
                select(OrientationVote.choice).where(
                    OrientationVote.participant_id == tokens.get(token), OrientationVote.orientation_id == orientation
                )
            ).all()
            found["votes"] += 1
            found["votes_lost"] += not stances or stances[-1] != choice
            found["votes_duplicated"] += max(0, len(stances) - 1)
        for token, code in ledger.visits:
            count = session.exec(
                select(func.count())
                .select_from(StandVisit)
                .join(Stand, Stand.id == StandVisit.stand_id)  # type: ignore[arg-type]
                .where(StandVisit.participant_id == tokens.get(token), Stand.code == code)
            ).one()
            found["visits"] += 1
            found["visits_lost"] += int(count) == 0
            found["visits_duplicated"] += max(0, int(count) - 1)
    engine.dispose()
    return dict(found)


# --- the section -----------------------------------------------------------------------------------------------


def row(label: str, values: list[float]) -> str:
    if not values:
        return f"| {label} | 0 | — | — | — |"
    return (
        f"| {label} | {fr(len(values), 0)} | {fr(statistics.median(values), 2)} | "
        f"{fr(quantile(values, 0.95), 2)} | {fr(max(values), 2)} |"
    )


def interaction_tables(app: Measure) -> list[str]:
    """Wave and day, client and server side, then the day's gestures: the room's timing tables."""
    lines = [
        "Temps par interaction, en secondes : côté client (requête envoyée → `script_finished` reçu) et côté "
        "serveur (message arrivé dans la session → `script_finished` mis en file).",
        "",
        "| interactions | nombre | médiane (s) | p95 (s) | max (s) |",
        "|---|---:|---:|---:|---:|",
        row("Vague d'arrivée, téléphones, client", app.client("phone", wave=True)),
        row("Vague d'arrivée, téléphones, serveur", app.on_server("phone", wave=True)),
        row("Journée, téléphones, client", app.client("phone", wave=False)),
        row("Journée, téléphones, serveur", app.on_server("phone", wave=False)),
        row("Journée, organisateurs (fragments), client", app.client("organiser", wave=False)),
        row("Journée, écran de projection (fragments), client", app.client("projector", wave=False)),
        "",
        "Journée, côté client, par geste :",
        "",
        "| geste | nombre | médiane (s) | p95 (s) | max (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for gesture in dict.fromkeys(t.what for r, t in app.ledger.timings if r == "phone"):
        if values := app.client("phone", wave=False, what=gesture):
            lines.append(row(gesture, values))
    return lines


def writes_table(checks: dict[str, int]) -> list[str]:
    """The acknowledged writes against the store (check_writes)."""
    return [
        "Écritures acquittées, vérifiées dans la base après la salle :",
        "",
        "| écriture | acquittées | perdues | en double |",
        "|---|---:|---:|---:|",
        *(
            f"| {label} | {fr(checks.get(name, 0), 0)} | {checks.get(f'{name}_lost', 0)} | "
            f"{checks.get(f'{name}_duplicated', 0)} |"
            for label, name in (
                ("Contributions (code de reçu affiché)", "receipts"),
                ("Avis sur une orientation (« enregistré »)", "votes"),
                ("Visites de stand (« Visite enregistrée »)", "visits"),
            )
        ),
        "",
        f"Contributions des téléphones dans la base : {fr(checks.get('contributions_stored', 0), 0)} "
        f"(acquittées : {fr(checks.get('receipts', 0), 0)} ; l'écart est ce qui a été enregistré sans que le reçu "
        "ne soit lu, après un échec côté client).",
    ]


def failures_line(ledger: Ledger) -> str:
    fails = sum(ledger.failures.values())
    return (
        f"Échecs : {fr(fails, 0)}"
        + (f" ({', '.join(f'{k} : {v}' for k, v in ledger.failures.items())})" if fails else "")
        + f". Reçus absents de « Mes contributions » : {ledger.unlisted}."
    )


def _section(app: Measure, hello: Measure, checks: dict[str, int], phones: int) -> str:
    wave_s, day_s = app.room.arrival, app.room.end - app.room.started - app.room.arrival
    per_session = (app.rss_wave - app.rss_before) / max(1, app.connected) * 1024
    hello_session = (hello.rss_wave - hello.rss_before) / max(1, hello.connected) * 1024
    loads = app.loads or [float("nan")]
    lines = [
        f"{fr(phones, 0)} téléphones (clients du protocole Streamlit, bench/protocol.py, dans un seul processus "
        f"Python à côté du serveur) arrivant au hasard sur {fr(wave_s, 0)} s par le lien du QR code « Rejoindre », "
        f"puis {fr(day_s, 0)} s au rythme d'une personne (une action toutes les {fr(THINK_S[0], 0)} à "
        f"{fr(THINK_S[1], 0)} s : contribuer, donner son avis, scanner un stand, « Mes contributions ») ; "
        f"{ORGANISERS} tableaux de bord et un écran de projection rafraîchis par leurs fragments. Un serveur "
        "`streamlit run`, une base SQLite (2 000 contributions de fond, la journée de démonstration). "
        f"Charge moyenne (1 min) pendant la salle : {fr(min(loads), 1)} à {fr(max(loads), 1)} "
        f"(moyenne {fr(statistics.fmean(loads), 1)}) : d'autres programmes partageaient les 2 cœurs.",
        "",
        *interaction_tables(app),
    ]
    lines += [
        "",
        f"Mémoire du serveur : {fr(app.rss_before, 0)} Mo avant la vague, {fr(app.rss_wave, 0)} Mo après "
        f"({fr(app.connected, 0)} sessions ouvertes), {fr(app.rss_end, 0)} Mo à la fin (max {fr(app.rss_max, 0)} Mo) : "
        f"{fr(per_session, 0)} Ko par session. CPU du serveur : {fr(app.cpu_wave, 0)} s pendant la vague "
        f"({fr(app.cpu_wave / max(1.0, wave_s + 10) * 100, 0)} % d'un cœur), {fr(app.cpu_day, 0)} s pendant la journée "
        f"({fr(app.cpu_day / max(1.0, day_s - 10) * 100, 0)} % d'un cœur). CPU des clients (ce processus) : "
        f"{fr(app.client_cpu, 0)} s.",
        "",
        failures_line(app.ledger),
        "",
        *writes_table(checks),
        "",
        f"Témoin, dans la même exécution : les mêmes {fr(phones, 0)} téléphones arrivant de la même façon sur une "
        "page Streamlit nue (un titre, un champ, un bouton), servie par le même Streamlit, puis un champ et un bouton "
        f"au même rythme pendant {fr(hello.room.end - hello.room.started - hello.room.arrival, 0)} s : ce que coûte "
        "Streamlit lui-même, quoi que fasse l'application.",
        "",
        "| témoin | nombre | médiane (s) | p95 (s) | max (s) |",
        "|---|---:|---:|---:|---:|",
        row("Vague d'arrivée, client", hello.client("phone", wave=True)),
        row("Vague d'arrivée, serveur", hello.on_server("phone", wave=True)),
        row("Journée, client", hello.client("phone", wave=False)),
        row("Journée, serveur", hello.on_server("phone", wave=False)),
        "",
        f"Mémoire du témoin : {fr(hello.rss_before, 0)} Mo avant, {fr(hello.rss_wave, 0)} Mo après la vague "
        f"({fr(hello.connected, 0)} sessions) : {fr(hello_session, 0)} Ko par session ; CPU {fr(hello.cpu_wave, 0)} s "
        f"pendant la vague, {fr(hello.cpu_day, 0)} s ensuite. Échecs : {sum(hello.ledger.failures.values())}.",
        "",
        f"Rejouer : `ESS_ROOM_PHONES={phones} ESS_ROOM_ARRIVAL={fr(wave_s, 0)} ESS_ROOM_DURATION={fr(day_s, 0)} "
        ".venv/bin/python -m bench.run room`.",
    ]
    return "\n".join(lines)


def run(work_dir: Path, *, phones: int = PHONES, duration: float = DURATION_S, arrival: float = ARRIVAL_S) -> str:
    sys.path.insert(0, str(ROOT))
    url = prepare_store(work_dir / "room.db")
    seed = seed_room(url)
    app = _room(work_dir, url, "app.py", phones=phones, duration=duration, arrival=arrival, seed=seed)
    checks = check_writes(url, app.ledger)
    hello_script = work_dir / "hello.py"
    hello_script.write_text(HELLO, encoding="utf-8")
    hello = _room(
        work_dir, url, str(hello_script), phones=phones, duration=min(duration, BASELINE_S), arrival=arrival, seed=None
    )
    return _section(app, hello, checks, phones)


def command_line(argv: list[str], title: str, room: Callable[..., str], prefix: str) -> int:
    """`python -m bench.<room bench> --phones … --arrival … --duration …`: prints the section, writes nothing."""
    import tempfile

    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("--phones", type=int, default=PHONES)
    parser.add_argument("--duration", type=float, default=DURATION_S)
    parser.add_argument("--arrival", type=float, default=ARRIVAL_S)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        print(room(Path(tmp), phones=args.phones, duration=args.duration, arrival=args.arrival))
    return 0


def main(argv: list[str]) -> int:
    return command_line(argv, TITLE, run, "bench-room-")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
