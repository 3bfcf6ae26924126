"""A whole room on two app replicas behind nginx, one PostgreSQL store: bench_room's phones, as deployed.

Rerun alone: `.venv/bin/python -m bench.run room2`; a smaller run: `ESS_ROOM_PHONES=100 ESS_ROOM_DURATION=120
ESS_ROOM_ARRIVAL=30 .venv/bin/python -m bench.run room2` (or `python -m bench.bench_room2 --phones 100 …`, which
prints the section without touching RESULTS.md).

The same room as bench_room (its phones, organisers and projector, its journeys, its checks of every acknowledged
write), served as deploy/ describes: a PostgreSQL cluster of its own (tests/pg.py), two replicas started as
deploy/systemd/ess-app@.service starts them (`streamlit run asgi.py` on 127.0.0.1, ESS_REPLICA=app-<port>, one
Streamlit cookie secret), and Debian's nginx with deploy/nginx/ess.conf rendered as the two-replica test renders it
(tests/deploy/nginx_stack.py: self-signed certificate, free ports, its own prefix, and the test-only snippet that
adds X-Ess-Upstream). The phones speak HTTPS and WSS to nginx, keep its `ess_route` cookie from their first page
load, and so stay on one replica, as a browser does. The server probe (bench/probe_room) runs in both replicas.

Measured beside bench_room's figures: each replica's memory before the wave, after it and at the end, and its CPU;
PostgreSQL's and nginx's CPU (each process tree); how the clients spread over the replicas (the replica named by
X-Ess-Upstream on their page loads; a client seen on two replicas would have lost its session).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from bench.bench_room import (
    ARRIVAL_S,
    DURATION_S,
    ORGANISERS,
    PHONES,
    THINK_S,
    Ledger,
    Measure,
    Observed,
    Room,
    Watch,
    check_writes,
    command_line,
    failures_line,
    interaction_tables,
    observe,
    read_probe,
    seed_room,
    server_env,
    warm,
    writes_table,
)
from bench.bench_room import TITLE as ROOM_TITLE
from bench.common import fr, prepare_store_at

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Une salle entière sur deux instances derrière nginx, base PostgreSQL"
# One secret for both replicas, as deploy/ess.env.example asks (Streamlit signs its XSRF cookie with it).
COOKIE_SECRET = "bench-deux-instances-" + "s" * 40


def tree_cpu(pid: int) -> float:
    """Processor time (s) of a process and its children alive or reaped (PostgreSQL's backends, nginx's worker)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(stat.parent.name) == pid or int(fields[1]) == pid:
                total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def _spread(ledger: Ledger, ports: dict[str, int]) -> tuple[Counter[str], int]:
    """Clients per replica (by the X-Ess-Upstream of their page loads) and how many were answered by both."""
    names = {f"127.0.0.1:{port}": name for name, port in ports.items()}
    per_replica: Counter[str] = Counter()
    moved = 0
    for _role, upstreams in ledger.routes.values():
        seen = {names.get(u, u or "?") for u in upstreams}
        moved += len(seen) > 1
        per_replica.update(seen)
    return per_replica, moved


def _replica_lines(
    seen: Observed,
    watch: Watch,
    probes: dict[str, list[tuple[float, float, str]]],
    clients: Counter[str],
) -> list[str]:
    lines = [
        "| instance | clients | sessions (sonde) | interactions (sonde) | mémoire avant (Mo) | après la vague (Mo) "
        "| fin (Mo) | max (Mo) | Ko par client | CPU vague (s) | CPU journée (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in watch.pids:
        before, wave, end = seen.before[name], seen.wave[name], seen.end[name]
        per_client = (wave[0] - before[0]) / max(1, clients[name]) * 1024
        lines.append(
            f"| {name} | {fr(clients[name], 0)} | {fr(len({sid for _, _, sid in probes[name]}), 0)} | "
            f"{fr(len(probes[name]), 0)} | {fr(before[0], 0)} | {fr(wave[0], 0)} | {fr(end[0], 0)} | "
            f"{fr(max([*watch.rss.get(name, []), end[0]]), 0)} | {fr(per_client, 0)} | {fr(wave[1] - before[1], 0)} | "
            f"{fr(end[1] - wave[1], 0)} |"
        )
    return lines


def _section(
    app: Measure,
    seen: Observed,
    watch: Watch,
    probes: dict[str, list[tuple[float, float, str]]],
    ports: dict[str, int],
    checks: dict[str, int],
    others_cpu: dict[str, float],
    phones: int,
) -> str:
    wave_s, day_s = app.room.arrival, app.room.end - app.room.started - app.room.arrival
    loads = app.loads or [float("nan")]
    clients, moved = _spread(app.ledger, ports)
    per_session = (app.rss_wave - app.rss_before) / max(1, app.connected) * 1024
    lines = [
        f"{fr(phones, 0)} téléphones (clients du protocole Streamlit, bench/protocol.py, en HTTPS et WSS, dans un "
        f"seul processus Python à côté des serveurs) arrivant au hasard sur {fr(wave_s, 0)} s par le lien du QR code "
        f"« Rejoindre », puis {fr(day_s, 0)} s au rythme d'une personne (une action toutes les {fr(THINK_S[0], 0)} à "
        f"{fr(THINK_S[1], 0)} s), {ORGANISERS} tableaux de bord et un écran de projection : la salle de la section "
        f"« {ROOM_TITLE} », servie comme deploy/ la décrit. Deux instances `streamlit run asgi.py` (ESS_REPLICA, un "
        "secret de cookie commun) sur une base PostgreSQL (2 000 contributions de fond, la journée de démonstration, "
        "leurs vecteurs de phrase calculés avant la salle), derrière nginx avec deploy/nginx/ess.conf "
        "(TLS, certificat auto-signé, sessions collantes par le cookie `ess_route` que chaque téléphone garde depuis "
        "son premier chargement de page). Tout sur la même machine de 2 cœurs : les téléphones, nginx, PostgreSQL et "
        f"les deux instances. Charge moyenne (1 min) pendant la salle : {fr(min(loads), 1)} à {fr(max(loads), 1)} "
        f"(moyenne {fr(statistics.fmean(loads), 1)}).",
        "",
        *interaction_tables(app),
        "",
        "Par instance (clients : téléphones, tableaux de bord et écran servis par elle, d'après l'en-tête "
        "X-Ess-Upstream que la configuration de test ajoute ; sessions et interactions : la sonde du serveur dans "
        "chaque instance) :",
        "",
        *_replica_lines(seen, watch, probes, clients),
        "",
        f"Répartition : {' / '.join(fr(clients[n], 0) for n in watch.pids)} clients ; servis par les deux instances "
        f"(session perdue) : {fr(moved, 0)}. Mémoire des deux instances : {fr(app.rss_before, 0)} Mo avant la vague, "
        f"{fr(app.rss_wave, 0)} Mo après ({fr(app.connected, 0)} sessions ouvertes), {fr(app.rss_end, 0)} Mo à la fin "
        f"(max {fr(app.rss_max, 0)} Mo) : {fr(per_session, 0)} Ko par session. CPU des deux instances : "
        f"{fr(app.cpu_wave, 0)} s pendant la vague, {fr(app.cpu_day, 0)} s pendant la journée ; PostgreSQL : "
        f"{fr(others_cpu['postgresql'], 0)} s ; nginx : {fr(others_cpu['nginx'], 0)} s (sur toute la salle) ; "
        f"clients (ce processus) : {fr(app.client_cpu, 0)} s.",
        "",
        failures_line(app.ledger),
        "",
        *writes_table(checks),
        "",
        f"Pas de témoin (page Streamlit nue) dans ce mode : la section « {ROOM_TITLE} » le mesure.",
        "",
        f"Rejouer : `ESS_ROOM_PHONES={phones} ESS_ROOM_ARRIVAL={fr(wave_s, 0)} ESS_ROOM_DURATION={fr(day_s, 0)} "
        ".venv/bin/python -m bench.run room2`.",
    ]
    return "\n".join(lines)


def run(work_dir: Path, *, phones: int = PHONES, duration: float = DURATION_S, arrival: float = ARRIVAL_S) -> str:
    sys.path.insert(0, str(ROOT))
    import asyncio

    from sqlalchemy import create_engine, text

    from tests.deploy.nginx_stack import (
        free_port,
        render_site,
        start_nginx,
        start_replicas,
        stop_process,
        unverified_tls,
    )
    from tests.pg import own_cluster

    with contextlib.ExitStack() as cleanup:
        cluster = cleanup.enter_context(own_cluster())
        admin = create_engine(f"{cluster.url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE ess"))
        admin.dispose()
        url = prepare_store_at(f"{cluster.url}/ess")
        slug, cookie, stands = seed_room(url)
        probe_files = {name: work_dir / f"probe-{name}.tsv" for name in "AB"}

        def replica_env(name: str, port: int) -> dict[str, str]:
            secret = {"STREAMLIT_SERVER_COOKIE_SECRET": COOKIE_SECRET}
            return {**server_env(probe_files[name]), **secret, "ESS_REPLICA": f"app-{port}"}

        replicas = start_replicas(url, work_dir, cleanup, replica_env)
        ports = {name: int(replica.url.rsplit(":", 1)[1]) for name, replica in replicas.items()}
        site = work_dir / "nginx"
        site.mkdir()
        https_port, http_port = free_port(), free_port()
        # Two connections per client (its side, the replica's side), the page loads besides.
        main = render_site(site, https_port, http_port, list(ports.values()), worker_connections=4 * phones + 256)
        nginx = start_nginx(site, main, https_port)
        cleanup.callback(stop_process, nginx)
        tls = unverified_tls()
        base_url = f"https://127.0.0.1:{https_port}"
        # One visit to each replica first (straight to it): imports and first computations.
        for replica in replicas.values():
            asyncio.run(warm(Room(replica.url, slug, stands, time.time(), 0.0, time.time()), app=True))
        for probe in probe_files.values():
            probe.write_text("", encoding="utf-8")
        watch = Watch({name: replica.process.pid for name, replica in replicas.items()})
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
        others = {"postgresql": tree_cpu(postmaster), "nginx": tree_cpu(nginx.pid)}
        start = time.time() + 1.0
        room = Room(base_url, slug, stands, start, arrival, start + arrival + duration, tls=tls)
        ledger = Ledger()
        seen = observe(room, ledger, phones, cookie, watch)
        others = {
            "postgresql": tree_cpu(postmaster) - others["postgresql"],
            "nginx": tree_cpu(nginx.pid) - others["nginx"],
        }
        probes = {name: read_probe(path) for name, path in probe_files.items()}
        app = Measure.of(ledger, [r for rows in probes.values() for r in rows], room, seen, watch, with_screens=True)
        checks = check_writes(url, ledger)
    return _section(app, seen, watch, probes, ports, checks, others, phones)


def main(argv: list[str]) -> int:
    return command_line(argv, TITLE, run, "bench-room2-")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
