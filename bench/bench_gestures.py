"""What each gesture of the room costs the server: CPU per interaction, gesture by gesture, app and bare page.

Rerun alone: `.venv/bin/python -m bench.run gestures` (repetitions: ESS_BENCH_GESTURES_REPEAT, default 40);
`python -m bench.bench_gestures [--repeat N] [--reuse DIR]` prints the section without touching RESULTS.md
(`--reuse` keeps the prepared store in DIR and starts from a copy of it the next time: the store takes minutes
to prepare, the measure one).

The room's benchmark (bench_room) says how long a phone waits when 800 of them act at human pace; this one
says why. One phone at a time (bench.protocol, Streamlit's websocket protocol) plays each gesture of the
room's journeys `repeat` times in a row on a quiet server, and the server's CPU time (user + system, /proc) is
read before and after each interaction: its sum over a gesture's repetitions, divided by them, is that
gesture's CPU cost, whatever thread spent it (the page run, the event loop sending the messages, the model
embedding a typed text). The contribution's sentence vector, computed by the server's background thread after
« Envoyer », is read apart: the CPU of the second after each « Envoyer » minus the idle server's.
Same run, same server version: a bare Streamlit page (a title, a field, a button) for what Streamlit itself
costs per rerun.

With the room's mix (bench_room: each phone acts every 20 to 60 s), the costs give the CPU a room asks:
Σ rate × cost. One Python process runs its pages under one lock (the GIL), so beyond about one core's worth
the phones queue, whatever the machine's cores: this is what sizes sessions per process (docs/DEPLOYMENT.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

from bench.bench_room import (
    COOKIE_KEY,
    HELLO,
    JOURNEYS,
    ORGANISER,
    THINK_S,
    VOTE_KEY,
    _start,
    _stop,
    seed_room,
    server_env,
)
from bench.common import cpu_seconds, fr, prepare_store
from bench.protocol import Phone, ProtocolError

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Coût serveur de chaque geste : CPU par interaction, application et page nue"
REPEAT = int(os.environ.get("ESS_BENCH_GESTURES_REPEAT", "40"))
SETTLE_S = 1.0  # after « Envoyer »: the background thread computes the new contribution's vector
ROOM_PHONES = 800
VECTOR = "Vecteur de la contribution (fil d'arrière-plan, dans la seconde après « Envoyer »)"


@dataclass
class Costs:
    """CPU seconds and client seconds per gesture, in the order first seen."""

    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    client: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def cpu_ms(self, what: str) -> float:
        return 1000 * statistics.fmean(self.cpu[what]) if self.cpu.get(what) else float("nan")


class Meter:
    """Wraps a phone's interactions: each one's server CPU and client time, under its gesture's name."""

    def __init__(self, pid: int, costs: Costs) -> None:
        self.pid = pid
        self.costs = costs

    async def __call__(self, what: str, action: Awaitable[float]) -> None:
        """`action` is the interaction's coroutine, not started yet: it runs between the two readings."""
        before = cpu_seconds(self.pid)
        elapsed = await action
        # The last messages of a run are sent by the event loop after `script_finished` is queued: let them go.
        await asyncio.sleep(0.05)
        self.costs.cpu[what].append(cpu_seconds(self.pid) - before)
        self.costs.client[what].append(elapsed)


def settle(pid: int, *, quiet: float = 0.05, longest: float = 180.0) -> None:
    """Wait until the server is idle (under `quiet` of a core for a second): after its first page run it builds
    the suggestion indexes and loads their libraries in the background (services.suggestion_indexes.warm), as
    a server started before the doors open has done by the time the first phone arrives."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline and idle_rate(pid, 1.0) > quiet:
        pass


def idle_rate(pid: int, seconds: float = 3.0) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


async def _app_gestures(base_url: str, slug: str, cookie: str, stands: list[str], pid: int, repeat: int) -> Costs:
    costs = Costs()
    meter = Meter(pid, costs)
    idle = await asyncio.to_thread(idle_rate, pid)
    for n in range(repeat):
        phone = Phone(base_url)
        await meter(
            "Arrivée par le QR code « Rejoindre » (nouvelle session)",
            phone.open("contribuer", f"edition={slug}"),
        )
        theme = phone.page.widget(key="contribute_theme")
        option = theme.options()[n % len(theme.options())]
        await meter("Choix du thème (pills)", phone.commit(theme, option))
        text = f"Idée numéro {n} du banc d'essai : des circuits courts et des achats publics responsables."
        listener = next((w for w in phone.page.widgets() if w.kind == "component_instance"), None)
        if listener is not None:
            half = text[: len(text) // 2]
            await meter(
                "Pause dans la frappe (fragment des suggestions)",
                phone.commit(listener, half),
            )
        body = phone.page.widget(key="contribute_body")
        await meter("Texte validé (sortie du champ)", phone.commit(body, text))
        await meter("« Envoyer » → code de reçu", phone.click(key="contribute_send"))
        if phone.page.metric("Votre code de reçu") is None:
            raise ProtocolError("no receipt after « Envoyer »")
        before = cpu_seconds(pid)
        await asyncio.sleep(SETTLE_S)
        costs.cpu[VECTOR].append(max(0.0, cpu_seconds(pid) - before - idle * SETTLE_S))
        await meter("« Écrire une autre contribution »", phone.click(key="contribute_again"))
        await meter("Ouverture de « Donner mon avis »", phone.navigate("avis"))
        buttons = [w for w in phone.page.widgets() if w.kind == "button" and VOTE_KEY.search(w.id)]
        if not buttons:
            raise ProtocolError("no stance button on « Donner mon avis »")
        key = buttons[n % len(buttons)].id.rsplit("-", 1)[1]
        await meter("Avis sur une orientation (une touche)", phone.click(key=key))
        if not any("enregistré" in t for t in phone.page.texts()):
            raise ProtocolError("stance not acknowledged")
        await meter("Ouverture de « Mes contributions »", phone.navigate("mes-contributions"))
        await phone.close()
        phone.session_id = ""
        code = stands[n % len(stands)]
        await meter(
            "Scan du QR code d'un stand (nouvelle session)",
            phone.open("stand", f"code={code}&edition={slug}"),
        )
        if phone.page.has_widget(key="stand_visit"):
            await meter("« J'ai visité ce stand »", phone.click(key="stand_visit"))
        await phone.close()
    for page, role in (("direct", "Tableau de bord"), ("projecteur", "Écran de la salle")):
        screen = Phone(base_url, cookies={"ess_staff_auth": cookie})
        await screen.open(page)
        for fragment in sorted(screen.page.auto_reruns):
            for _ in range(repeat):
                await meter(
                    f"{role} : un rafraîchissement de fragment",
                    screen.fragment_rerun(fragment),
                )
        await screen.close()
    return costs


async def _hello_gestures(base_url: str, pid: int, repeat: int) -> Costs:
    costs = Costs()
    meter = Meter(pid, costs)
    for n in range(repeat):
        phone = Phone(base_url)
        await meter("Arrivée (nouvelle session)", phone.open(""))
        field_ = phone.page.widget(key="name")
        await meter("Champ validé", phone.commit(field_, f"Téléphone {n}"))
        await meter("Bouton", phone.click(key="send"))
        await phone.close()
    return costs


def _prepared(work: Path, reuse: Path | None) -> tuple[str, tuple[str, str, list[str]]]:
    """The room's store (background contributions, the demo day, an organiser) and its seed, maybe from `reuse`."""
    store = work / "gestures.db"
    if reuse is not None and (reuse / "gestures.db").exists():
        shutil.copy(reuse / "gestures.db", store)
        slug, stands = json.loads((reuse / "seed.json").read_text(encoding="utf-8"))
        from services.auth import issue_login_cookie

        return f"sqlite:///{store}", (
            slug,
            issue_login_cookie(username=ORGANISER, cookie_key=COOKIE_KEY, expiry_days=1),
            stands,
        )
    url = prepare_store(store)
    seed = seed_room(url)
    if reuse is not None:
        reuse.mkdir(parents=True, exist_ok=True)
        shutil.copy(store, reuse / "gestures.db")
        (reuse / "seed.json").write_text(json.dumps([seed[0], seed[2]]), encoding="utf-8")
    return url, seed


def _room_load(costs: Costs) -> tuple[float, float]:
    """The room's mix (bench_room.JOURNEYS, an action every THINK_S seconds): CPU seconds per second for
    ROOM_PHONES phones, and the mean CPU per interaction (ms)."""
    per_journey = {
        "contribute": [
            "Choix du thème (pills)",
            "Pause dans la frappe (fragment des suggestions)",
            "Texte validé (sortie du champ)",
            "« Envoyer » → code de reçu",
            VECTOR,
            "« Écrire une autre contribution »",
        ],
        # 1 to 3 taps (2 on average) after opening the page
        "vote": ["Ouverture de « Donner mon avis »", *["Avis sur une orientation (une touche)"] * 2],
        "stand": ["Scan du QR code d'un stand (nouvelle session)", "« J'ai visité ce stand »"],
        "mine": ["Ouverture de « Mes contributions »"],
    }
    weights = dict(JOURNEYS)
    total = sum(weights.values())
    cpu_per_action = sum(weights[j] / total * sum(costs.cpu_ms(g) for g in gs) for j, gs in per_journey.items())
    interactions = sum(weights[j] / total * len([g for g in gs if g != VECTOR]) for j, gs in per_journey.items())
    actions_per_s = ROOM_PHONES / statistics.fmean(THINK_S)
    return actions_per_s * cpu_per_action / 1000, cpu_per_action / interactions


def _table(costs: Costs) -> list[str]:
    lines = [
        "| geste | répétitions | CPU serveur par geste (ms) | temps vu par le téléphone, médiane (ms) |",
        "|---|---:|---:|---:|",
    ]
    for what, values in costs.cpu.items():
        client = costs.client.get(what)
        shown = fr(1000 * statistics.median(client), 0) if client else "—"
        lines.append(f"| {what} | {len(values)} | {fr(costs.cpu_ms(what), 1)} | {shown} |")
    return lines


def run(work_dir: Path, *, repeat: int = REPEAT, reuse: Path | None = None) -> str:
    sys.path.insert(0, str(ROOT))
    load = os.getloadavg()[0]
    url, (slug, cookie, stands) = _prepared(work_dir, reuse)
    env = server_env(work_dir / "probe.tsv")
    process, base_url = _start("asgi.py", url, work_dir / "app.log", env)
    try:
        warm = Phone(base_url)
        asyncio.run(warm.open("contribuer", f"edition={slug}"))
        settle(process.pid)
        app = asyncio.run(_app_gestures(base_url, slug, cookie, stands, process.pid, repeat))
    finally:
        _stop(process)
    hello_script = work_dir / "hello.py"
    hello_script.write_text(HELLO, encoding="utf-8")
    process, base_url = _start(str(hello_script), url, work_dir / "hello.log", env)
    try:
        hello = asyncio.run(_hello_gestures(base_url, process.pid, repeat))
    finally:
        _stop(process)
    per_s, per_interaction = _room_load(app)
    lines = [
        f"Un téléphone à la fois (bench/protocol.py) joue {repeat} fois chaque geste des parcours de la salle "
        "sur un serveur au repos (`streamlit run asgi.py`, base SQLite : 2 000 contributions de fond, la journée "
        "de démonstration) ; le CPU du serveur (utilisateur + système, /proc, tous ses fils) est lu avant et "
        "après chaque interaction. Le vecteur d'une contribution est calculé par le fil d'arrière-plan après "
        "« Envoyer » : compté à part (CPU de la seconde suivante moins celui du serveur au repos). "
        f"Charge moyenne (1 min) au départ : {fr(load, 2)}.",
        "",
        *_table(app),
        "",
        f"Avec le mélange de la salle (bench_room : une action toutes les {fr(THINK_S[0], 0)} à "
        f"{fr(THINK_S[1], 0)} s ; contribuer, donner son avis, scanner un stand, « Mes contributions » dans les "
        f"proportions {', '.join(f'{w}' for _, w in JOURNEYS)}), {ROOM_PHONES} téléphones demandent "
        f"**{fr(per_s, 2)} s de CPU par seconde** au serveur, soit **{fr(per_interaction, 1)} ms par "
        "interaction** en moyenne (vecteurs compris). Un processus Python exécute ses pages sous un seul verrou "
        "(le GIL) : au-delà d'environ un cœur, les téléphones attendent leur tour.",
        "",
        "Témoin, même exécution : une page Streamlit nue (un titre, un champ, un bouton).",
        "",
        *_table(hello),
        "",
        f"Rejouer : `ESS_BENCH_GESTURES_REPEAT={repeat} .venv/bin/python -m bench.run gestures`.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--reuse", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-gestures-") as tmp:
        print(run(Path(tmp), repeat=args.repeat, reuse=args.reuse))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
