"""What the rest of the app asks: how alike texts are, which pairs are close, and why two texts matched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.semantics import methods, model
from services.semantics.methods import Scores, Space
from services.semantics.normalise import key_words

# Rows scored at once when looking for close pairs: 1 000 × 10 000 float32 is 40 MB at most.
_BLOCK = 1000
# Average linkage holds every score at once (n² float32, then n²/2 float64): 6 000 texts is about 290 MB.
# Beyond, grouping merges close pairs instead (services.grouping.similarity).
LINKAGE_MAX_SIZE = 6000
# When a group comes out larger than asked, its own texts are cut again this much stricter, until it fits.
_STRICTER = 0.02


def similarity_matrix(a: Sequence[str], b: Sequence[str] | None = None, *, method_name: str | None = None) -> Scores:
    """Scores in [0, 1] of each text of `a` against each of `b` (against `a` itself when `b` is None)."""
    if b is None:
        whole = methods.space(a, method_name=method_name)
        return whole.block(0, len(a)) if a else np.zeros((0, 0), dtype=np.float32)
    if not a or not b:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    both = methods.space([*a, *b], method_name=method_name)
    return both.block(0, len(a))[:, len(a) :]


def similarity(a: str, b: str, *, method_name: str | None = None) -> float:
    """One score in [0, 1]."""
    return float(similarity_matrix([a], [b], method_name=method_name)[0, 0])


def close_pairs(
    texts: Sequence[str], threshold: float, *, method_name: str | None = None, vectors: model.Matrix | None = None
) -> list[tuple[float, int, int]]:
    """Pairs (score, i, j), i < j, scoring at least `threshold` (in [0, 1]), best first then by position."""
    if len(texts) < 2:
        return []
    whole = methods.space(texts, method_name=method_name, vectors=vectors)
    return pairs_in(whole, threshold)


def pairs_in(whole: Space, threshold: float) -> list[tuple[float, int, int]]:
    """The close pairs of a space already built, by blocks of rows (bounded memory whatever the size)."""
    cutoff = threshold - 1e-6
    found_i, found_j, found_s = [], [], []
    for start in range(0, whole.size, _BLOCK):
        block = whole.block(start, min(start + _BLOCK, whole.size))
        rows, cols = np.nonzero(block >= cutoff)
        upper = start + rows < cols  # each pair once, never a text with itself
        found_i.append(start + rows[upper])
        found_j.append(cols[upper])
        found_s.append(block[rows[upper], cols[upper]])
    i, j, score = np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_s)
    order = np.lexsort((j, i, -score))  # the same input, the same order
    return list(zip(score[order].astype(float).tolist(), i[order].tolist(), j[order].tolist(), strict=True))


def groups_in(
    whole: Space, threshold: float, *, same: Sequence[tuple[int, int]] = (), max_size: int | None = None
) -> list[list[int]]:
    """Groups of two or more rows by average linkage: two groups join while their texts score, on average over
    every pair between them, at least `threshold` (in [0, 1]). `same`: pairs that score 1 whatever the method.

    Within a theme every idea is close to every other, and a single pair's score misleads both ways; averaging
    over the groups being joined decides better (bench/bench_similarity.py, « groupes »). Sorted by first row.
    """
    from scipy.cluster.hierarchy import fcluster, linkage  # type: ignore[import-untyped]  # noqa: PLC0415
    from scipy.spatial.distance import squareform  # type: ignore[import-untyped]  # noqa: PLC0415

    if whole.size < 2:
        return []
    # Distances 1 - score, in place (n² float32); linkage reads the upper triangle only (the scores are symmetric).
    distance = np.vstack([whole.block(s, min(s + _BLOCK, whole.size)) for s in range(0, whole.size, _BLOCK)])
    np.clip(distance, 0.0, 1.0, out=distance)
    np.subtract(1.0, distance, out=distance)
    for i, j in same:
        distance[min(i, j), max(i, j)] = 0.0

    tree = linkage(squareform(distance, checks=False).astype(np.float64), method="average")
    del distance  # n² floats: not kept while the groups are read off the tree
    labels_at: dict[float, npt.NDArray[np.int32]] = {}

    def labels(at: float) -> npt.NDArray[np.int32]:
        if at not in labels_at:
            labels_at[at] = fcluster(tree, 1.0 - at + 1e-6, criterion="distance")
        return labels_at[at]

    # Average linkage is reducible: the tree of a group's own texts is its subtree in the whole tree, so a group
    # too large is cut again, stricter, on the same tree (no second linkage, no copy of its scores).
    def cut(rows: npt.NDArray[np.intp], at: float) -> list[list[int]]:
        of_rows = labels(at)[rows]
        found: list[list[int]] = []
        for label in np.unique(of_rows):
            members = rows[of_rows == label]
            if len(members) < 2:
                continue
            if max_size is not None and len(members) > max_size and at < 1.0:
                found.extend(cut(members, min(at + _STRICTER, 1.0)))
            else:
                found.append(sorted(members.tolist()))
        return found

    return sorted(cut(np.arange(whole.size), threshold), key=lambda m: m[0])


def close_groups(
    texts: Sequence[str],
    threshold: float,
    *,
    method_name: str | None = None,
    vectors: model.Matrix | None = None,
    same: Sequence[tuple[int, int]] = (),
    max_size: int | None = None,
) -> list[list[int]]:
    """Indexes of `texts` in groups of two or more, by average linkage at `threshold` (see `groups_in`)."""
    if len(texts) < 2:
        return []
    whole = methods.space(texts, method_name=method_name, vectors=vectors)
    return groups_in(whole, threshold, same=same, max_size=max_size)


@dataclass(frozen=True)
class Explanation:
    """Why two texts were found alike, in terms a person can check."""

    score: float  # the method's score, [0, 1]
    meaning: float | None  # the sentence model's score alone, [0, 1]; None without the model
    shared_words: tuple[str, ...]  # words of the first text whose lemma the second also has, as written


def explain(a: str, b: str, *, method_name: str | None = None) -> Explanation:
    """The score of `a` against `b`, the meaning part alone, and the words they share (as `a` wrote them)."""
    theirs = {lemma for _, lemma in key_words(b)}
    shared: list[str] = []
    seen: set[str] = set()
    for word, lemma in key_words(a):
        if lemma in theirs and lemma not in seen:
            seen.add(lemma)
            shared.append(word.lower() if not word.isupper() else word)
    meaning = similarity(a, b, method_name="e5") if model.available() else None
    return Explanation(score=similarity(a, b, method_name=method_name), meaning=meaning, shared_words=tuple(shared))
