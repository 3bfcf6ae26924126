"""Participants' submissions while a login flood runs: the old login path against the new one, in one run.

Rerun alone: `.venv/bin/python -m bench.run login_flood`.

A real SQLite file (WAL, synchronous=FULL) holding 2 000 contributions, one engine as in the app (its
process-wide write lock included). Participant threads submit contributions through the service the phone
page calls (contributions.submit_from_device in a write session, as ui.store.write does), a short pause
between two; each submission is timed from the call to its commit. Meanwhile flood threads try unknown
usernames from fresh browser sessions, back to back (the per-account and per-session throttle never slows
them). Four phases of the same length, one after the other in the same process:
- no flood;
- flood through the old login path: throttle, bcrypt check and the attempt's record in ONE write
  transaction (the former `store.write(auth.attempt_login)`, reproduced here from the service's pieces);
- flood through the new path (services.auth.attempt_login: the check between two short transactions)
  without the process-wide backstop, to show what the split alone gives;
- flood through the new path with the backstop the app uses (PasswordCheckGate, default settings).
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from bench.common import fr, ms, quantile

TITLE = "Envois des participants pendant un afflux de tentatives de connexion (ancien et nouveau chemin)"
PHASE_S = 20.0
PARTICIPANTS = 4
FLOODERS = 4
PAUSE_S = 0.2  # between two submissions of one participant thread
BODY = "Mutualiser un poste de comptable entre trois petites associations du quartier (banc {n})."


def _old_login(engine: Engine, username: str, password: str, session_key: str) -> bool:
    """The former path: the whole attempt, bcrypt included, inside one write transaction."""
    from db.engine import session_scope
    from models import LoginAttempt, utcnow
    from services import auth
    from services.auth.accounts import get_user
    from services.auth.login import _failures_since
    from services.auth.passwords import dummy_hash, password_matches

    with session_scope(engine, write=True) as session:
        now = utcnow()
        since = now - timedelta(seconds=60)
        for scope in ((LoginAttempt.username == username,), (LoginAttempt.session_key == session_key,)):
            if _failures_since(session, since, scope) >= 5:
                return False
        user = get_user(session, username)
        stored = user.password_hash.encode("ascii") if user and user.active else dummy_hash()
        ok = password_matches(password, stored) and user is not None
        session.add(LoginAttempt(username=auth.normalise_username(username), session_key=session_key, created_at=now))
    return ok


def _phase(engine: Engine, login: Callable[[str], str] | None) -> dict[str, object]:
    from db.engine import session_scope
    from services import contributions
    from services.codes import device_token
    from services.contributions import ContributionDraft, RateLimit

    stop = threading.Event()
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    counter = iter(range(10**9))

    def participant() -> None:
        token, sent = device_token(), 0
        while not stop.is_set():
            if sent == 10:  # the per-device limit (10 in 10 minutes) stays out of the way: a new phone
                token, sent = device_token(), 0
            n = next(counter)
            draft = ContributionDraft(theme_id=1 + n % 5, body=BODY.format(n=n), idempotency_key=uuid.uuid4().hex)
            started = time.perf_counter()
            with session_scope(engine, write=True) as session:
                contributions.submit_from_device(
                    session=session, device_token=token, draft=draft, rate_limit=RateLimit(10, 600)
                )
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
            sent += 1
            stop.wait(PAUSE_S)

    def flooder() -> None:
        assert login is not None
        while not stop.is_set():
            outcome = login(f"inconnu-{uuid.uuid4().hex[:12]}")
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

    threads = [threading.Thread(target=participant) for _ in range(PARTICIPANTS)]
    if login is not None:
        threads += [threading.Thread(target=flooder) for _ in range(FLOODERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(PHASE_S)
    stop.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"latencies": latencies, "outcomes": outcomes, "wall": wall}


def run(work_dir: Path) -> str:
    import os

    from bench.common import BACKGROUND, prepare_store
    from core.config import get_settings
    from db.engine import build_engine
    from services import auth

    url = prepare_store(work_dir / "flood.db")
    engine = build_engine(url)
    settings = get_settings()

    def old(name: str) -> str:
        _old_login(engine, name, "devine-le", uuid.uuid4().hex)
        return "vérifiées"

    def new_with(gate: auth.PasswordCheckGate | None) -> Callable[[str], str]:
        def login(name: str) -> str:
            result = auth.attempt_login(
                engine=engine, username=name, password="devine-le", session_key=uuid.uuid4().hex, gate=gate
            )
            return "refusées (saturé)" if result.message == auth.LOGIN_BUSY else "vérifiées"

        return login

    gate = auth.PasswordCheckGate(
        per_second=settings.login_checks_per_second,
        burst=settings.login_check_burst,
        concurrency=settings.login_check_concurrency,
        max_wait_s=settings.login_check_max_wait_seconds,
    )
    load_before = os.getloadavg()[0]
    _phase(engine, None)  # warm-up: imports, caches, the file's pages
    phases = [
        ("Sans afflux de connexions", _phase(engine, None)),
        ("Afflux, ancien chemin (bcrypt dans la transaction d'écriture)", _phase(engine, old)),
        ("Afflux, nouveau chemin sans garde-fou global", _phase(engine, new_with(None))),
        ("Afflux, nouveau chemin avec garde-fou (réglages par défaut)", _phase(engine, new_with(gate))),
    ]
    load_after = os.getloadavg()[0]
    engine.dispose()

    lines = [
        f"Magasin SQLite réel (WAL, synchronous=FULL) contenant déjà {fr(BACKGROUND, 0)} contributions ; un seul "
        "moteur "
        f"comme dans l'application (verrou d'écriture du processus compris). {PARTICIPANTS} fils « participants » "
        f"envoient des contributions par le service de la page (`submit_from_device` dans une session "
        f"d'écriture, comme `ui.store.write`), {fr(PAUSE_S)} s de pause entre deux envois ; chaque envoi est "
        f"chronométré de l'appel au commit. Pendant les phases « afflux », {FLOODERS} fils essaient sans pause "
        "des identifiants inconnus depuis des sessions toujours nouvelles (ce que la limitation par compte et "
        f"par session ne freine pas). Quatre phases de {PHASE_S:.0f} s dans le même processus, l'une après "
        "l'autre. Garde-fou par défaut : "
        f"{fr(settings.login_checks_per_second)} vérifications/s en moyenne, rafales de {settings.login_check_burst}, "
        f"{settings.login_check_concurrency} à la fois, attente {fr(settings.login_check_max_wait_seconds)} s au "
        "plus (au-delà : « service de connexion saturé »).",
        "",
        "| Phase | Envois | Médiane | p95 | Max | Tentatives de connexion traitées |",
        "|---|---|---|---|---|---|",
    ]
    for label, result in phases:
        lat = result["latencies"]
        assert isinstance(lat, list) and lat
        outcomes = result["outcomes"]
        assert isinstance(outcomes, dict)
        wall = result["wall"]
        assert isinstance(wall, float)
        attempts = " ; ".join(f"{n} {k} ({fr(n / wall)}/s)" for k, n in sorted(outcomes.items())) if outcomes else "—"
        lines.append(
            f"| {label} | {len(lat)} | {ms(statistics.median(lat))} ms | {ms(quantile(lat, 0.95))} ms "
            f"| {ms(max(lat))} ms | {attempts} |"
        )
    lines += [
        "",
        f"Charge moyenne de la machine (1 min), début → fin : {fr(load_before)} → {fr(load_after)} (machine "
        "partagée avec d'autres travaux au moment de la mesure). Ce qui reste de ralentissement avec le "
        "garde-fou vient du processeur que prennent les vérifications admises (bcrypt), plus du verrou "
        "d'écriture.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory(prefix="bench-login-flood-") as tmp:
        print(run(Path(tmp)))
