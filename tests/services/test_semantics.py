"""The text-similarity service: French forms made comparable, the model loaded once and offline, a word fallback,
vectors kept in the store, and an index that answers a typed text."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from models import Contribution, ContributionVector
from services import semantics
from services.demo import seed_demo
from services.semantics import model

ROOT = Path(__file__).resolve().parents[2]

TIERS_LIEU = "Créer un tiers-lieu dans chaque intercommunalité"
REWORDED = "Ouvrir des tiers lieux dans les communautés de communes"
OPPOSITE = "Supprimer les aides publiques aux tiers-lieux"
LYCEES = "Sensibiliser les élèves des lycées à l'économie sociale et solidaire"


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine where the model's engine cannot load."""
    monkeypatch.setattr(model, "_engine", None)
    monkeypatch.setattr(model, "_tried", True)


def test_one_spelling_of_the_same_words() -> None:
    assert semantics.prepare("les  assos de la com com et l’ESS") == (
        "les associations de la communauté de communes et l'économie sociale et solidaire"
    )
    assert semantics.prepare("ASSOS") == "associations"
    assert semantics.prepare("associations") == "associations"  # a word is never expanded inside another


def test_key_words_are_lemmas_and_compounds_count_by_their_parts() -> None:
    words = dict(semantics.key_words("Des tiers-lieux pour les lycéennes"))
    assert words["tiers"] == "tiers" and words["lieux"] == "lieu"
    assert words["lycéennes"] == "lyceen"
    assert "pour" not in words and "les" not in words


@pytest.mark.slow
def test_the_model_loads_and_embeds_with_the_network_unreachable(tmp_path: Path) -> None:
    """In a process with no network at all (its own empty network namespace) and hubs told to stay offline."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not on this machine")
    script = textwrap.dedent(
        f"""
        import socket, sys
        sys.path.insert(0, {str(ROOT)!r})
        try:
            socket.create_connection(("1.1.1.1", 443), timeout=2)
            sys.exit("the network is reachable: this test proves nothing")
        except OSError:
            pass
        from services import semantics
        from services.semantics import model
        assert model.available(), "the model did not load"
        scores = semantics.similarity_matrix([{TIERS_LIEU!r}, {REWORDED!r}, {LYCEES!r}], method_name="e5")
        print(semantics.method().name, round(float(scores[0, 1]), 3), round(float(scores[0, 2]), 3))
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "NO_PROXY": "*"}
    done = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    if "Operation not permitted" in done.stderr:
        pytest.skip("no permission to make a network namespace here")
    assert done.returncode == 0, done.stderr
    name, same, other = done.stdout.split()
    assert name == semantics.DEFAULT_METHOD
    assert float(same) > float(other)  # the reworded idea is closer than another idea


def test_the_model_is_loaded_once_per_process() -> None:
    assert model.available()
    first = model._get()
    assert model._get() is first


def test_meaning_brings_rewordings_together_that_share_few_words() -> None:
    scores = semantics.similarity_matrix([TIERS_LIEU], [REWORDED, LYCEES], method_name="e5")
    assert scores[0, 0] > scores[0, 1]
    words = semantics.similarity_matrix([TIERS_LIEU], [REWORDED, LYCEES], method_name="tfidf-char")
    assert scores[0, 0] > words[0, 0]  # the words alone see less of it


def test_without_the_model_every_call_falls_back_on_words(no_model: None) -> None:
    assert not semantics.available()
    assert semantics.method().name == semantics.FALLBACK_METHOD
    scores = semantics.similarity_matrix([TIERS_LIEU, "Créer des tiers-lieux dans chaque intercommunalité", LYCEES])
    assert scores[0, 1] > scores[0, 2]
    explanation = semantics.explain(TIERS_LIEU, OPPOSITE)
    assert explanation.meaning is None and "tiers" in explanation.shared_words


def test_explain_names_the_shared_words_as_written() -> None:
    explanation = semantics.explain(TIERS_LIEU, OPPOSITE)
    assert explanation.shared_words == ("tiers", "lieu")
    assert explanation.meaning is not None and 0 <= explanation.meaning <= 1
    assert 0 <= explanation.score <= 1


def test_close_pairs_are_each_pair_once_best_first_and_the_same_every_time() -> None:
    texts = [TIERS_LIEU, LYCEES, REWORDED, "Créer des tiers-lieux dans chaque intercommunalité", ""]
    pairs = semantics.close_pairs(texts, 0.3)
    assert pairs == semantics.close_pairs(texts, 0.3)
    assert all(i < j for _, i, j in pairs)
    scores = [s for s, _, _ in pairs]
    assert scores == sorted(scores, reverse=True)
    assert (0, 3) in {(i, j) for _, i, j in pairs}
    assert semantics.close_pairs(texts[:1], 0.3) == []


def test_empty_and_stop_word_only_texts_are_like_nothing(no_model: None) -> None:
    scores = semantics.similarity_matrix(["", "le la les", "et"])
    assert scores.shape == (3, 3) and not np.any(scores)


def test_the_index_answers_a_typed_text_with_the_closest_first() -> None:
    index = semantics.SuggestionIndex([10, 11, 12], [LYCEES, REWORDED, OPPOSITE])
    found = index.search("des tiers-lieux dans chaque interco", limit=2, min_score=0.0)
    assert next(cid for cid, _ in found) == 11
    assert index.search("   ", limit=3, min_score=0.0) == []
    assert semantics.SuggestionIndex([], []).search(TIERS_LIEU, limit=3, min_score=0.0) == []


@pytest.mark.slow
def test_vectors_are_stored_once_and_renewed_when_the_text_changes(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        seed_demo(session, participants=30)
    with session_scope(sqlite_engine, write=True) as session:
        rows = [(cid, body) for cid, body in session.exec(select(Contribution.id, Contribution.body).limit(8)).all()]
        items = [(cid, body) for cid, body in rows if cid is not None]
        first = semantics.contribution_vectors(session, items)
    assert first.shape == (8, model.DIM)
    assert np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-3)

    # Another process (an empty memo) reads them back from the store: no model call.
    monkeypatch.setattr(model, "_memo", type(model._memo)())
    calls: list[int] = []
    engine = model._get()
    assert engine is not None
    real = engine.encode

    def counted(texts: list[str], is_query: bool = False) -> model.Matrix:
        calls.append(len(texts))
        return real(texts, is_query)

    monkeypatch.setattr(engine, "encode", counted)
    with session_scope(sqlite_engine, write=True) as session:
        again = semantics.contribution_vectors(session, items)
    assert calls == [] and np.allclose(again, first)

    # A masked or edited text is another text: its vector is computed again, and replaced in the store.
    edited = [(items[0][0], items[0][1] + " Et des tiers-lieux partout."), *items[1:]]
    with session_scope(sqlite_engine, write=True) as session:
        semantics.contribution_vectors(session, edited)
    assert calls == [1]
    with session_scope(sqlite_engine) as session:
        stored = session.get(ContributionVector, items[0][0])
        assert stored is not None and stored.digest == model.digest(edited[0][1])
        assert len(session.exec(select(ContributionVector)).all()) == 8


class _Scores:
    """A space from a fixed score matrix (the Space protocol), to check grouping's decision alone."""

    def __init__(self, scores: np.ndarray) -> None:
        self._scores: semantics.methods.Scores = scores.astype(np.float32)
        self.size = len(scores)

    def block(self, start: int, stop: int) -> semantics.methods.Scores:
        return self._scores[start:stop].copy()

    def query(self, texts: Sequence[str]) -> semantics.methods.Scores:
        raise NotImplementedError


def _relinked(scores: np.ndarray, threshold: float, max_size: int) -> list[list[int]]:
    """Too large a group cut again by a linkage of its own texts only: what groups_in must give from one tree."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    def cut(rows: np.ndarray, at: float) -> list[list[int]]:
        within = 1.0 - scores[np.ix_(rows, rows)]
        np.fill_diagonal(within, 0.0)
        tree = linkage(squareform(within, checks=False), method="average")
        labels = fcluster(tree, 1.0 - at + 1e-6, criterion="distance")
        found: list[list[int]] = []
        for label in np.unique(labels):
            members = rows[labels == label]
            if len(members) > max_size and at < 1.0:
                found += cut(members, min(at + 0.02, 1.0))
            elif len(members) > 1:
                found.append(sorted(members.tolist()))
        return found

    return sorted(cut(np.arange(len(scores)), threshold), key=lambda m: m[0])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_group_too_large_is_cut_again_as_if_its_texts_were_grouped_alone(seed: int) -> None:
    """Average linkage is reducible: cutting the whole tree stricter gives the groups a fresh linkage of the large
    group's own texts would, without a second n² pass."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, 8))
    points = centres[rng.integers(0, 6, size=120)] + rng.normal(scale=0.8, size=(120, 8))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    scores = np.clip((points @ points.T + 1) / 2, 0, 1)
    for threshold, max_size in [(0.55, 12), (0.7, 5), (0.8, 30)]:
        found = semantics.groups_in(_Scores(scores), threshold, max_size=max_size)
        assert found == _relinked(scores, threshold, max_size)
        assert all(len(g) <= max_size for g in found)
