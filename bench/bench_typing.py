"""Benchmark of similar contributions while typing: the server cost of one suggestion at 10 000 published
contributions in one theme (issue 17: under 150 ms), beside the former rapidfuzz path in the same run.

The store holds 10 000 published contributions of one theme (demo texts, each reworded with typos and a
numbered variation, so all are distinct). Embedding 10 000 texts takes minutes (and far more on a shared,
loaded machine), and what a query costs does not depend on the vectors' values: the store is seeded with
random unit vectors under each text's true digest, as if the model had computed them, except for EMBED_LIVE
contributions, which the app embeds itself (their throughput is reported). Measured, on the service call as
the page makes it (its own read session, a phone's token): the first query while vectors are missing (the
word index answers, a background thread embeds and stores them), the first query of a restarted process
(vectors read back), 50 queries once the index is built (p50/p95), the first query after one more
publication (answered by the previous index) and that rebuild in the background, the same 50 queries without
the model (word method) and by the former rapidfuzz path (the 3 000 latest contributions, token_set_ratio, as
before issue 17).
Run alone: `python -m bench.run typing`.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import insert
from sqlmodel import Session, col, select

from bench.common import demo_texts, fr, ms, quantile
from db.engine import build_engine, session_scope
from models import Contribution, ContributionVector
from services import moderation, semantics, similar, suggestion_indexes
from services.bootstrap import prepare_store
from services.codes import device_token
from services.published import is_published, published_text
from services.semantics import model
from tests.fixtures.similarity_set import load_contribution_set

TITLE = "Contributions proches pendant la saisie, à 10 000 contributions publiées d'un thème"
N = 10_000
QUERIES = 50
THEME = 1
START = datetime(2016, 6, 28, 7, 0, tzinfo=UTC)
# Contributions left without a stored vector: embedded by the app's background thread during the run.
EMBED_LIVE = 128


def _reworded(text: str, rng: random.Random, n: int) -> str:
    words = text.split()
    for _ in range(2):  # two typos, as typed on a phone
        i = rng.randrange(len(words))
        if len(words[i]) > 3:
            j = rng.randrange(1, len(words[i]) - 1)
            words[i] = words[i][:j] + words[i][j + 1 :]
    return " ".join(words) + f" (variante {n})"


def _seed(url: str) -> None:
    engine = build_engine(url)
    prepare_store(engine)
    rng = random.Random(2016)  # reproducible, not a secret
    texts = demo_texts()
    rows: list[dict[str, Any]] = []
    for n in range(N):
        at = START + timedelta(seconds=rng.uniform(0, 8 * 3600))
        rows.append(
            {
                "receipt_code": f"TY{n:06d}",
                "idempotency_key": f"bench-typing-{n:06d}",
                "theme_id": THEME,
                "body": _reworded(rng.choice(texts), rng, n),
                "title": "",
                "source": "conference",
                "status": "published",
                "display_mode": "anonymous",
                "created_at": at,
                "updated_at": at,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Contribution), rows)
    _seed_vectors(engine, rng)
    engine.dispose()


def _seed_vectors(engine: Any, rng: random.Random) -> None:
    """Stored vectors for all but EMBED_LIVE contributions: random unit vectors under the true digests."""
    with session_scope(engine) as session:
        rows = session.exec(select(Contribution.id, Contribution.body).order_by(col(Contribution.id))).all()
    generator = np.random.default_rng(rng.randrange(2**32))
    vectors = generator.standard_normal((len(rows), model.DIM)).astype("<f4")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    stored = [
        {
            "contribution_id": cid,
            "model": model.MODEL_ID,
            "digest": model.digest(body),
            "vector": vectors[n].tobytes(),
            "computed_at": START,
        }
        for n, (cid, body) in enumerate(rows[EMBED_LIVE:])
    ]
    with engine.begin() as conn:
        conn.execute(insert(ContributionVector), stored)


def _baseline(session: Session, *, theme_id: int, text: str) -> list[tuple[str, float, int]]:
    """The rapidfuzz path this issue replaced (services/similar.py before issue 17), search part."""
    rows = session.exec(
        select(Contribution.id, Contribution.title, published_text())
        .where(Contribution.theme_id == theme_id, is_published())
        .order_by(col(Contribution.created_at).desc())
        .limit(3000)
    ).all()
    choices = {cid or 0: similar.match_key(f"{title} {body}") for cid, title, body in rows}
    found = process.extract(similar.match_key(text), choices, scorer=fuzz.token_set_ratio, score_cutoff=60.0, limit=15)
    return [(str(choice), float(score), int(cid)) for choice, score, cid in found]


def _timed(engine: Any, fn: Callable[..., Any], **kw: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    with session_scope(engine) as session:
        result = fn(session, **kw)
    return time.perf_counter() - started, result


def _series(engine: Any, fn: Callable[..., Any], queries: list[str], **kw: Any) -> tuple[list[float], int]:
    times, hits = [], 0
    for text in queries:
        seconds, found = _timed(engine, fn, theme_id=THEME, text=text, **kw)
        times.append(seconds)
        hits += bool(found)
    return times, hits


def _row(label: str, times: list[float], hits: int) -> str:
    return f"| {label} | {ms(quantile(times, 0.5))} | {ms(quantile(times, 0.95))} | {ms(max(times))} | {hits} |"


def run(work_dir: Path) -> str:
    url = f"sqlite:///{work_dir / 'typing.db'}"
    _seed(url)
    engine = build_engine(url)
    queries = [item.text for item in load_contribution_set()][:QUERIES]
    token = device_token()
    find = similar.find_similar_contributions
    model.available()  # loaded once per process, as in the app (0,1 s)
    suggestion_indexes.forget_all()

    cold, _ = _timed(engine, find, theme_id=THEME, text=queries[0], device_token=token)
    started = time.perf_counter()
    suggestion_indexes.wait_for_background(timeout=3600)
    embedding = time.perf_counter() - started
    suggestion_indexes.forget_all()
    model._memo.clear()  # a restarted process: nothing in memory, the vectors in the store
    restart, _ = _timed(engine, find, theme_id=THEME, text=queries[0], device_token=token)
    steady, steady_hits = _series(engine, find, queries, device_token=token)

    with session_scope(engine, write=True) as session:
        added = Contribution(
            receipt_code="TYNEW1",
            idempotency_key=uuid.uuid4().hex,
            theme_id=THEME,
            body="Créer une monnaie locale complémentaire pour payer une partie des salaires des associations.",
        )
        session.add(added)
        session.flush()
        moderation.publish(session=session, contribution_ids=[added.id or 0], actor="bench")
    after_publish, _ = _timed(engine, find, theme_id=THEME, text=queries[1], device_token=token)
    started = time.perf_counter()
    suggestion_indexes.wait_for_background()
    rebuild = time.perf_counter() - started

    baseline, baseline_hits = _series(engine, _baseline, queries)
    saved = (model._engine, model._tried)
    model._engine, model._tried = None, True  # as on a machine where the model cannot load
    try:
        suggestion_indexes.forget_all()
        words_build, _ = _timed(engine, find, theme_id=THEME, text=queries[0], device_token=token)
        words, words_hits = _series(engine, find, queries, device_token=token)
    finally:
        model._engine, model._tried = saved
        suggestion_indexes.forget_all()
    engine.dispose()

    return "\n".join(
        [
            f"{fr(N, 0)} contributions publiées dans un thème, {QUERIES} textes tapés (ceux du jeu d'évaluation), "
            "appel du service tel que la page le fait (sa session de lecture, le jeton d'un téléphone). Temps "
            "serveur, en millisecondes.",
            "",
            "| requête (50 textes) | p50 | p95 | max | avec suggestion |",
            "| --- | ---: | ---: | ---: | ---: |",
            _row("index construit (e5+lemma), une suggestion", steady, steady_hits),
            _row("sans le modèle (méthode des mots)", words, words_hits),
            _row("référence : chemin rapidfuzz d'avant (3 000 dernières)", baseline, baseline_hits),
            "",
            "| construction de l'index | durée |",
            "| --- | ---: |",
            f"| première requête, aucun vecteur en base (l'index des mots répond) | {ms(cold)} |",
            f"| calcul et écriture en arrière-plan des {EMBED_LIVE} vecteurs manquants | {fr(embedding, 1)} s "
            f"({ms(embedding / EMBED_LIVE)} par texte) |",
            f"| première requête après redémarrage (vecteurs relus en base) | {ms(restart)} |",
            f"| première requête après une publication (l'index précédent répond) | {ms(after_publish)} |",
            f"| reconstruction de l'index en arrière-plan après cette publication | {ms(rebuild)} |",
            f"| première requête sans le modèle (index des mots) | {ms(words_build)} |",
            "",
            f"Seuils de suggestion réglés sur le jeu d'évaluation (services/semantics/methods.py : "
            f"{fr(semantics.SUGGEST_THRESHOLD, 2)} avec le modèle, {fr(semantics.FALLBACK_SUGGEST_THRESHOLD, 2)} "
            "sans) ; le texte tapé est comparé par ses 200 premiers caractères. Objectif de l'issue : < 150 ms de "
            "temps serveur à 10 000 contributions publiées. La version des données (nombre, plus grand "
            "identifiant et dernière modification des contributions publiées du "
            "thème) est relue à chaque requête ; l'index n'est reconstruit que lorsqu'elle change, une fois pour "
            "tout le processus. Relancer seul : `python -m bench.run typing`.",
        ]
    )
