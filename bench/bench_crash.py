"""kill -9 of the server while 30 phones submit: receipts lost, duplicates, integrity, restart.

Rerun alone: `.venv/bin/python -m bench.run crash`.

A real server (`streamlit run`) on a SQLite store (WAL, synchronous=FULL) holding 2 000 contributions;
30 Chromium phone sessions (one browser, one context each, 390 × 844) send contributions in a loop with
0.5 to 3 s between two sends; once 45 receipts were shown and at least one send is in flight, the server
gets SIGKILL. Then: every receipt shown must be stored exactly once under its code, no text twice,
`PRAGMA integrity_check` ok, and the app restarted on the same file must serve a new contribution.
The light version (8 phones) runs in `make test`: tests/e2e/test_crash_browser.py.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Arrêt brutal (kill -9) du serveur pendant que 30 téléphones envoient : reçus perdus, intégrité, redémarrage"
PHONES = 30
KILL_AFTER = 45
PAUSE_S = (0.5, 3.0)
PREFIX = "Contribution envoyée pendant l'essai"


def run(work_dir: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from bench.common import BACKGROUND, prepare_store
    from tests.e2e.conftest import start_app, stop_app
    from tests.e2e.phones import send_one, submit_until_killed

    db = work_dir / "ess.db"
    url = prepare_store(db)
    env = {"ESS_COOKIE_KEY": "bench-cookie-key-" + "z" * 40, "ESS_CONTRIBUTION_RATE_MAX": "1000"}
    app = start_app(url, work_dir / "avant.log", extra_env=env)
    load_before = os.getloadavg()[0]
    try:
        crash = asyncio.run(
            submit_until_killed(app.url, app.process.pid, phones=PHONES, kill_after=KILL_AFTER, pause_s=PAUSE_S)
        )
        exit_code = app.process.wait(timeout=30)
    finally:
        stop_app(app)
    load_at_kill = os.getloadavg()[0]

    with closing(sqlite3.connect(db)) as conn:
        started = time.perf_counter()
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        check_s = time.perf_counter() - started
        rows = conn.execute("SELECT body, receipt_code FROM contribution WHERE body LIKE ?", (PREFIX + "%",)).fetchall()
        total = conn.execute("SELECT count(*) FROM contribution").fetchone()[0]
    by_text: dict[str, list[str]] = {}
    for body, code in rows:
        by_text.setdefault(body, []).append(code)
    lost = [code for code, text in crash.receipts.items() if code not in by_text.get(text, [])]
    twice = [text for text, codes in by_text.items() if len(codes) > 1]
    unseen = [text for text in by_text if text not in crash.receipts.values()]

    started = time.perf_counter()
    again = start_app(url, work_dir / "apres.log", extra_env=env)
    restart_s = time.perf_counter() - started
    try:
        started = time.perf_counter()
        text = "Après le redémarrage, une contribution de plus pour l'emploi des jeunes dans l'ESS."
        code = asyncio.run(send_one(again.url, text))
        first_send_s = time.perf_counter() - started
    finally:
        stop_app(again)
    with closing(sqlite3.connect(db)) as conn:
        after = conn.execute("SELECT receipt_code FROM contribution WHERE body = ?", (text,)).fetchall()
        integrity_after = conn.execute("PRAGMA integrity_check").fetchone()[0]
    served = [r[0] for r in after] == [code]

    def yes(ok: bool) -> str:
        return "oui" if ok else "**NON**"

    verdict = not lost and not twice and integrity == "ok" and served and exit_code == -9
    lines = [
        f"{PHONES} sessions Chromium (390 × 844, un navigateur, un contexte par téléphone) envoient en boucle, "
        f"{PAUSE_S[0]:.1f} à {PAUSE_S[1]:.1f} s entre deux envois, sur une base SQLite (WAL, synchronous=FULL) "
        f"contenant déjà {BACKGROUND} contributions ; `kill -9` du serveur après {KILL_AFTER} reçus affichés, "
        "avec au moins un envoi en vol. Charge moyenne (1 min) : "
        f"{load_before:.1f} au départ, {load_at_kill:.1f} au moment de l'arrêt.",
        "",
        "| Mesure | Valeur | Attendu |",
        "|---|---|---|",
        f"| Code de sortie du serveur | {exit_code} | -9 (SIGKILL) |",
        f"| Envois tapés avant l'arrêt | {len(crash.attempted)} | |",
        f"| Reçus affichés sur les téléphones | {len(crash.receipts)} | ≥ {KILL_AFTER} |",
        f"| Envois en vol au moment de l'arrêt | {crash.in_flight_at_kill} | ≥ 1 |",
        f"| Reçus affichés absents de la base (perdus) | {len(lost)} | 0 |",
        f"| Textes enregistrés deux fois | {len(twice)} | 0 |",
        f"| Enregistrés sans reçu vu (commit juste avant l'arrêt) | {len(unseen)} | permis |",
        f"| Échecs côté téléphone avant l'arrêt | {len(crash.failures)} | 0 |",
        f"| `PRAGMA integrity_check` après l'arrêt | {integrity} ({check_s * 1000:.0f} ms, "
        f"{total} contributions) | ok |",
        f"| Redémarrage sur le même fichier jusqu'à « serveur prêt » | {restart_s:.1f} s | |",
        f"| Premier envoi après redémarrage (nouveau téléphone, ouverture comprise) | {first_send_s:.1f} s, "
        f"reçu en base : {yes(served)} | oui |",
        f"| `PRAGMA integrity_check` à la fin | {integrity_after} | ok |",
        "",
        f"Promesse « aucune contribution confirmée perdue » : **{'tenue' if verdict else 'NON TENUE'}** "
        f"(temps jusqu'à l'arrêt : {crash.seconds_to_kill:.0f} s).",
    ]
    lines += [f"- {f}" for f in crash.failures[:10]]
    return "\n".join(lines)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-crash-") as tmp:
        print(run(Path(tmp)))
