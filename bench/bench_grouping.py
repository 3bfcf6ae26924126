"""Benchmark of grouping by meaning (issue 17): 5 000 contributions of one theme, `propose_groups` end to end on
a real SQLite file, beside today's TF-IDF path in the same run.

- TF-IDF (before issue 17): character n-grams, no sentence model (method "tfidf-char", threshold 60 %).
- Cold: no vector stored and none in the process's memory (a first proposal): every text goes through the
  sentence model, then its vector is stored.
- Warm: vectors stored, process memory emptied (a proposal after a restart, or at another threshold).
- The page's path: `plan_groups` (reads only: the model's work and the clustering) then `propose_groups` with
  that plan (the write transaction, which holds SQLite's write lock, only stores): how long other writers wait.
- Listing the proposals with each member's reason, as the page does.
Contributions are the demo texts rewritten with typos (bench.bench_drafting.seed). Target: < 10 s.
Run alone: `python -m bench.run grouping`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.bench_drafting import seed
from bench.common import fr
from db.engine import build_engine, session_scope
from services import grouping, semantics
from services.formatting import format_number
from services.semantics import model

TITLE = "Regroupement par le sens de 5 000 contributions d'un thème (issue 17)"
N = 5_000
THEME = 2
OLD_METHOD, OLD_THRESHOLD = "tfidf-char", 60


def _forget_vectors() -> None:
    """As after a restart: the process remembers no sentence vector."""
    model._memo.clear()  # the benchmark simulates a fresh process


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - started, time.process_time() - cpu


def _store(work_dir: Path, name: str) -> str:
    url = f"sqlite:///{work_dir / f'{name}.db'}"
    seed(url, N, theme_id=THEME)  # the same seed each time: the same 5 000 texts
    return url


def _propose(url: str, **kw: Any) -> tuple[int, float, float, int]:
    """(groups, wall s, CPU s, largest group) of one proposal in its own write transaction."""
    engine = build_engine(url)

    def call() -> int:
        with session_scope(engine, write=True) as session:
            return int(grouping.propose_groups(session=session, theme_id=THEME, actor="bench", **kw))

    groups, wall, cpu = _timed(call)
    with session_scope(engine) as session:
        largest = max((len(g.members) for g in grouping.list_groups(session=session, theme_id=THEME)), default=0)
    engine.dispose()
    return groups, wall, cpu, largest


def _page_path(url: str) -> tuple[float, float, int, float]:
    """The page's cold path: (read phase s, write phase s, groups, listing with reasons s)."""
    engine = build_engine(url)

    def plan() -> grouping.GroupPlan | None:
        with session_scope(engine) as session:
            return grouping.plan_groups(session=session, theme_id=THEME)

    def propose(ahead: grouping.GroupPlan | None) -> int:
        with session_scope(engine, write=True) as session:
            return grouping.propose_groups(session=session, theme_id=THEME, actor="bench", plan=ahead)

    def listing() -> int:
        with session_scope(engine) as session:
            views = grouping.list_groups(session=session, theme_id=THEME, statuses=["proposed"], reasons=True)
        return sum(len(v.members) for v in views)

    ahead, read_s, _ = _timed(plan)
    groups, write_s, _ = _timed(lambda: propose(ahead))
    _forget_vectors()  # the listing after a restart: vectors from the store
    _, list_s, _ = _timed(listing)
    engine.dispose()
    return read_s, write_s, groups, list_s


def _rss_peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(work_dir: Path) -> str:
    load = os.getloadavg()[0]
    _, load_s, _ = _timed(semantics.available)  # loads the model once for the process (as the app does)
    print(f"  model loaded in {load_s:.2f} s", flush=True)

    old_url = _store(work_dir, "old")
    old = _propose(old_url, method_name=OLD_METHOD, threshold=OLD_THRESHOLD)
    print(f"  TF-IDF: {old[1]:.1f} s, {old[0]} groups", flush=True)

    url = _store(work_dir, "new")
    _forget_vectors()
    cold = _propose(url)
    print(f"  cold: {cold[1]:.1f} s, {cold[0]} groups", flush=True)
    _forget_vectors()
    warm = _propose(url)
    print(f"  warm (vectors stored): {warm[1]:.1f} s, {warm[0]} groups", flush=True)
    other = _propose(url, threshold=grouping.DEFAULT_THRESHOLD + 10)
    print(f"  warm, another threshold: {other[1]:.1f} s, {other[0]} groups", flush=True)

    # The same 5 000 texts in a new store: their vectors are still in the process's memory, so the read phase is
    # quick here (its cold cost is the cold row's); what matters is the write phase, when other writers wait.
    page_url = _store(work_dir, "page")
    read_s, write_s, page_groups, list_s = _page_path(page_url)
    print(f"  page path: read {read_s:.1f} s, write {write_s:.1f} s, listing {list_s:.2f} s", flush=True)
    method = grouping.similarity.group_method()
    per_text_ms = (cold[2] / N) * 1000

    def row(label: str, measured: tuple[int, float, float, int], threshold: float, detail: str = "") -> str:
        groups, wall, cpu, largest = measured
        verdict = "oui" if wall < 10 else "**non**"
        return (
            f"| {label} | {threshold:g} % | {fr(wall)} s | {fr(cpu)} s | {verdict} | "
            f"{format_number(groups)} groupes, le plus grand de {format_number(largest)}{detail} |"
        )

    return "\n".join(
        [
            f"Charge moyenne (1 min) au départ : {load:.2f}. {format_number(N)} contributions d'un thème (textes de "
            "démonstration réécrits avec des fautes), `propose_groups` de bout en bout sur un fichier SQLite. "
            f"Méthode par défaut : `{method}` ; modèle chargé en {fr(load_s, 2)} s (une fois par processus, "
            f"non compté ci-dessous) ; mémoire maximale du processus {_rss_peak_mb():.0f} Mo.",
            "",
            "| Chemin | Seuil | Temps (horloge) | Temps CPU | < 10 s | Détail |",
            "|---|---|---|---|---|---|",
            row("TF-IDF de caractères (avant l'issue 17)", old, OLD_THRESHOLD),
            row(
                "Par le sens, à froid (aucun vecteur connu)",
                cold,
                grouping.DEFAULT_THRESHOLD,
                f" ; {format_number(N)} textes passés au modèle et leurs vecteurs enregistrés",
            ),
            row(
                "Par le sens, à chaud (vecteurs enregistrés, mémoire vide : après un redémarrage)",
                warm,
                grouping.DEFAULT_THRESHOLD,
            ),
            row("Par le sens, à chaud, autre seuil", other, grouping.DEFAULT_THRESHOLD + 10),
            "",
            f"À froid, le modèle coûte environ {fr(per_text_ms, 0)} ms de CPU par texte (textes de 25 mots en "
            "moyenne). Chemin de la page : le modèle et le regroupement travaillent en lecture "
            f"(`plan_groups`, ici {fr(read_s)} s, les vecteurs déjà en mémoire), puis la transaction d'écriture "
            f"enregistre les vecteurs et les groupes (`propose_groups` avec ce plan, {fr(write_s)} s, "
            f"{format_number(page_groups)} groupes) : c'est le seul moment où les autres écritures attendent. "
            "Liste des propositions avec la raison de chaque membre (vecteurs relus du "
            f"fichier, sans appel au modèle) : {fr(list_s, 2)} s.",
            "",
            "Relancer seul : `python -m bench.run grouping`.",
        ]
    )
