"""Hot backup of a 200 MB store while the app writes 5 contributions a second.

Rerun alone: `.venv/bin/python -m bench.bench_backup` (prints the section, leaves RESULTS.md alone) or
`.venv/bin/python -m bench.run backup`.

A store of about 200 MB (180 000 contributions, Core inserts), a writer thread sending 5 contributions a
second through the app's own write path (`session_scope(write=True)` + `submit_from_device`, WAL,
synchronous=FULL), then `manage.py backup`'s service, `backup_sqlite`, taken three times. For comparison,
the step-wise copy used before (1 024 pages a step), given up after 30 s.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import fr, ms

TITLE = "Sauvegarde à chaud d'une base de 200 Mo sous 5 écritures par seconde"
CONTRIBUTIONS = int(os.environ.get("ESS_BENCH_BACKUP_CONTRIBUTIONS", "180000"))
WRITES_PER_S = 5.0
RUNS = 3
OLD_GIVE_UP_S = 30.0


class _Writer:
    """Steady writes through the app's path; keeps (start, end) of each commit."""

    def __init__(self, url: str) -> None:
        from db.engine import build_engine

        self.engine = build_engine(url)
        self.done: list[tuple[float, float]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        from db.engine import session_scope
        from services.contributions import ContributionDraft, submit_from_device

        i = 0
        due = time.perf_counter()
        while not self.stop.is_set():
            started = time.perf_counter()
            with session_scope(self.engine, write=True) as session:
                submit_from_device(
                    session=session,
                    device_token=f"bench-backup-{i % 40:04d}-abcdefghijklmnopqrstuvwxyz",
                    draft=ContributionDraft(
                        theme_id=1 + i % 5,
                        body=f"Écrite pendant la sauvegarde, numéro {i}.",
                        idempotency_key=f"bench-backup-{time.time_ns()}-{i}",
                    ),
                )
            self.done.append((started, time.perf_counter()))
            i += 1
            due += 1 / WRITES_PER_S
            self.stop.wait(max(0.0, due - time.perf_counter()))

    def between(self, start: float, end: float) -> list[float]:
        """Latencies of the writes that overlapped [start, end]."""
        return [b - a for a, b in self.done if b >= start and a <= end]


def _old_stepwise_copy(source: Path, destination: Path) -> tuple[bool, int, int]:
    """The copy used before the fix: (finished, steps, restarts) within OLD_GIVE_UP_S."""
    steps = restarts = 0
    last: int | None = None
    started = time.perf_counter()

    def progress(status: int, remaining: int, total: int) -> None:
        nonlocal steps, restarts, last
        steps += 1
        if last is not None and remaining > last:
            restarts += 1
        last = remaining
        if time.perf_counter() - started > OLD_GIVE_UP_S:
            raise TimeoutError

    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(destination)
    try:
        src.backup(dst, pages=1024, sleep=0.005, progress=progress)
        return True, steps, restarts
    except TimeoutError:
        return False, steps, restarts
    finally:
        dst.close()
        src.close()


def run(work_dir: Path) -> str:
    from bench.seed_synthetic import seed_contributions
    from db.engine import build_engine
    from services.backup import backup_sqlite
    from services.bootstrap import prepare_store

    db = work_dir / "ess.db"
    url = f"sqlite:///{db}"
    engine = build_engine(url)
    prepare_store(engine)
    seed_contributions(engine, CONTRIBUTIONS, visits=False)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    size_mb = db.stat().st_size / 1e6

    writer = _Writer(url)
    writer.thread.start()
    rows: list[str] = []
    try:
        time.sleep(3)
        for n in range(RUNS):
            start = time.perf_counter()
            report = backup_sqlite(db, work_dir / f"copie-{n}.db")
            end = time.perf_counter()
            # The copy is the first thing the service does after opening two files: its window starts here.
            in_copy = writer.between(start, start + report.copy_seconds)
            during = writer.between(start, end)
            rows.append(
                f"| nouvelle, une étape | oui | {fr(report.copy_seconds)} s | {len(in_copy)} | "
                f"{ms(max(in_copy, default=0))} ms | {fr(report.check_seconds)} s | {len(during)} | "
                f"{ms(max(during, default=0))} ms | {report.bytes / 1e6:.0f} Mo |"
            )
            (work_dir / f"copie-{n}.db").unlink()
            time.sleep(2)
        start = time.perf_counter()
        finished, steps, restarts = _old_stepwise_copy(db, work_dir / "ancienne.db")
        end = time.perf_counter()
        during = writer.between(start, end)
        rows.append(
            f"| ancienne, 1 024 pages par étape | {'oui' if finished else 'non, abandonnée'} | {fr(end - start)} s "
            f"| {len(during)} | {ms(max(during, default=0))} ms | – | – | – "
            f"| {steps} étapes, {restarts} redémarrages |"
        )
        time.sleep(1)
    finally:
        writer.stop.set()
        writer.thread.join()
        writer.engine.dispose()
    calm = [b - a for a, b in writer.done[:10]]
    count = f"{CONTRIBUTIONS:,}".replace(",", "\u202f")
    return (
        f"Base de {size_mb:.0f} Mo ({count} contributions) ; un fil écrit "
        f"{fr(WRITES_PER_S, 0)} contributions par seconde par le chemin d'écriture de l'application "
        "(WAL, synchronous=FULL). Latence d'une écriture hors sauvegarde (10 premières) : médiane "
        f"{ms(statistics.median(calm))} ms, max {ms(max(calm))} ms.\n\n"
        "| copie | terminée | durée de la copie | écritures pendant la copie | latence max pendant la copie "
        "| contrôle d'intégrité de la copie | écritures, tout compris | latence max, tout compris | taille / étapes |\n"
        "|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "La copie en une étape ne tient qu'une transaction de lecture sur la base : les écritures continuent "
        "pendant la copie (aucune n'attend sa fin). Le contrôle d'intégrité lit la copie seule ; il ne prend "
        "aux écritures que du temps de processeur et de disque.\n"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        print(run(Path(tmp)))
