"""How alike contributions are (services.semantics: meaning and shared words), and clusters of close texts.

The threshold staff move is a percentage of the semantics service's calibrated score (in [0, 1]) under the
method in use: the default method when the sentence model is available, the word method otherwise. Texts
identical once case, accents, punctuation and stop words are set aside always score 100 %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from services import semantics
from services.errors import ValidationError
from services.semantics.model import Matrix
from services.similar import match_key

# Scores in [0, 1] of the default method and of the word fallback, chosen on the evaluation set (best F1 on its
# dev split: services.semantics.methods).
GROUP_THRESHOLD = semantics.GROUP_THRESHOLD
FALLBACK_GROUP_THRESHOLD = semantics.FALLBACK_GROUP_THRESHOLD

# The slider's default, in % of the calibrated score (see default_threshold for the fallback's).
DEFAULT_THRESHOLD = round(GROUP_THRESHOLD * 100)
# Low enough for the word fallback's default (scores of shared words run lower than the mixed ones).
MIN_THRESHOLD = 5
MAX_THRESHOLD = 100
MAX_GROUP_SIZE = 200


def group_method(method_name: str | None = None) -> str:
    """The method grouping actually uses: the one asked for, else semantics.GROUP_METHOD (or its fallback)."""
    return semantics.method(method_name or semantics.GROUP_METHOD).name


def uses_meaning(method_name: str | None = None) -> bool:
    """Whether texts are compared by meaning (the sentence model loaded), or by their words only."""
    return semantics.method(group_method(method_name)).uses_model


def min_threshold(method_name: str | None = None) -> int:
    """The lowest threshold (in %) the page offers and a proposal accepts, for the method that will compare the
    texts: never below the score of two unrelated texts (a third under the centred meaning, where every text of a
    theme would join one group; bench/bench_similarity.py), never below MIN_THRESHOLD."""
    unrelated = semantics.method(group_method(method_name)).unrelated
    return max(MIN_THRESHOLD, math.floor(unrelated * 100) + 1)


def default_threshold(method_name: str | None = None) -> int:
    """The threshold the page proposes (in %), for the method that will actually compare the texts."""
    return DEFAULT_THRESHOLD if uses_meaning(method_name) else round(FALLBACK_GROUP_THRESHOLD * 100)


def _identical(keys: Sequence[str], usable: Sequence[int]) -> list[tuple[float, int, int]]:
    """Pairs of texts with the same words once folded: a copy, a resubmission (score 1, whatever the method)."""
    by_key: dict[str, list[int]] = {}
    for i in usable:
        by_key.setdefault(keys[i], []).append(i)
    return [(1.0, a, b) for same in by_key.values() for n, a in enumerate(same) for b in same[n + 1 :]]


def close_pairs(
    texts: Sequence[str],
    threshold: float,
    *,
    vectors: Matrix | None = None,
    method_name: str | None = None,
) -> list[tuple[float, int, int]]:
    """Pairs (score in [0, 1], i, j), i < j, at or above `threshold` % of `texts`, best first then by position.

    Texts with no meaningful word (empty, only punctuation or stop words) pair with nothing.
    """
    keys = [match_key(t) for t in texts]
    usable = [i for i, k in enumerate(keys) if k]
    if len(usable) < 2:
        return []
    subset = vectors[np.asarray(usable)] if vectors is not None else None
    found = {
        (usable[a], usable[b]): score
        for score, a, b in semantics.close_pairs(
            [texts[i] for i in usable], threshold / 100, method_name=method_name, vectors=subset
        )
    }
    for score, i, j in _identical(keys, usable):
        found[(i, j)] = score
    return sorted(((score, i, j) for (i, j), score in found.items()), key=lambda p: (-p[0], p[1], p[2]))


def cluster_texts(
    texts: Sequence[str],
    threshold: float,
    *,
    vectors: Matrix | None = None,
    method_name: str | None = None,
) -> list[list[int]]:
    """Indexes of `texts` grouped by likeness at `threshold` %, groups of two or more (at most MAX_GROUP_SIZE).

    `vectors`: the texts' sentence vectors when already known (services.semantics.contribution_vectors), so
    nothing is embedded again. Average linkage: two groups join while their texts score on average at least
    the threshold (texts identical once folded score 100 %); it finds more rewordings than pairs above the
    threshold, as wrongly (bench/bench_similarity.py). Beyond semantics.LINKAGE_MAX_SIZE texts (memory), the
    close pairs are merged instead (`merge_pairs`). The same texts give the same groups.
    """
    name = group_method(method_name)
    keys = [match_key(t) for t in texts]
    usable = [i for i, k in enumerate(keys) if k]
    if len(usable) < 2:
        return []
    if len(usable) > semantics.LINKAGE_MAX_SIZE:
        return merge_pairs(close_pairs(texts, threshold, vectors=vectors, method_name=name))
    position = {i: n for n, i in enumerate(usable)}
    same = [(position[i], position[j]) for _, i, j in _identical(keys, usable)]
    found = semantics.close_groups(
        [texts[i] for i in usable],
        threshold / 100,
        method_name=name,
        vectors=vectors[np.asarray(usable)] if vectors is not None else None,
        same=same,
        max_size=MAX_GROUP_SIZE,
    )
    return sorted(([usable[n] for n in members] for members in found), key=lambda m: m[0])


def merge_pairs(pairs: Sequence[tuple[float, int, int]]) -> list[list[int]]:
    """Groups from close pairs (best first): the best pairs are joined first, and two clusters merge only if
    every member of the smaller one is itself close to the larger one's first member, so that a chain of small
    rewordings cannot drift into one huge group."""
    close: dict[int, set[int]] = {}
    for _, i, j in pairs:
        close.setdefault(i, set()).add(j)
        close.setdefault(j, set()).add(i)
    root_of = {i: i for i in close}
    members: dict[int, list[int]] = {i: [i] for i in close}
    for _, i, j in pairs:
        a, b = root_of[i], root_of[j]
        if a == b:
            continue
        if len(members[a]) < len(members[b]) or (len(members[a]) == len(members[b]) and b < a):
            a, b = b, a
        if len(members[a]) + len(members[b]) > MAX_GROUP_SIZE:
            continue
        if not all(m in close.get(a, set()) for m in members[b]):
            continue
        for m in members[b]:
            root_of[m] = a
        members[a].extend(members.pop(b))
    return sorted((sorted(m) for m in members.values() if len(m) > 1), key=lambda m: m[0])


def check_threshold(threshold: float, method_name: str | None = None) -> float:
    """The likeness threshold staff chose (in %), within the bounds the page offers for the method in use."""
    lowest = min_threshold(method_name)
    if not lowest <= threshold <= MAX_THRESHOLD:
        raise ValidationError({"threshold": f"Le seuil va de {lowest} à {MAX_THRESHOLD} %."})
    return float(threshold)
