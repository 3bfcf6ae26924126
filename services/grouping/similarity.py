"""How alike two contributions are: TF-IDF similarity of their texts (scikit-learn), and clusters of close texts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from services.errors import ValidationError
from services.similar import match_key

# Cosine similarity in %, see _neighbours. Staff move it; the default is tuned on the French test fixture.
DEFAULT_THRESHOLD = 60
_BLOCK = 1000
MIN_THRESHOLD = 20
MAX_THRESHOLD = 100
MAX_GROUP_SIZE = 200


def _neighbours(keys: Sequence[str], threshold: float) -> list[tuple[float, int, int]]:
    """Pairs (similarity in %, i, j) with i < j at or above `threshold`, best first.

    Cosine similarity of TF-IDF vectors of character 3–4-grams within words (scikit-learn): a typo or
    a plural changes a few n-grams only, so reworded duplicates stay close. The sparse product is done
    by blocks of rows, so memory stays bounded whatever the theme's size.
    """
    # Imported here: scikit-learn costs 1.5 s to import, and most users of this module (erasure, the
    # command line, the pages that only list groups) never compute a neighbour.
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]  # noqa: PLC0415

    vectors = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True, dtype=np.float32
    ).fit_transform(keys)
    cutoff = threshold / 100 - 1e-6
    found_i, found_j, found_s = [], [], []
    for start in range(0, len(keys), _BLOCK):
        block = (vectors[start : start + _BLOCK] @ vectors.T).toarray()
        rows, cols = np.nonzero(block >= cutoff)
        upper = start + rows < cols  # each pair once, never a text with itself
        found_i.append(start + rows[upper])
        found_j.append(cols[upper])
        found_s.append(block[rows[upper], cols[upper]])
    i, j, score = np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_s)
    order = np.lexsort((j, i, -score))  # best first, then by position: the same input, the same groups
    percent = np.round(score[order].astype(np.float64) * 100, 1)
    return list(zip(percent.tolist(), i[order].tolist(), j[order].tolist(), strict=True))


def cluster_texts(texts: Sequence[str], threshold: float) -> list[list[int]]:
    """Indexes of `texts` grouped by similarity (pairs at or above `threshold` %), groups of two or more.

    Texts are normalised by `match_key` (case, accents, punctuation, French stop words). The best pairs
    are joined first, and two clusters merge only if every member of the smaller one is itself close to
    the larger one's first member: a chain of small rewordings cannot drift into one huge group.
    """
    keys = [match_key(t) for t in texts]
    usable = [i for i, k in enumerate(keys) if k]
    if len(usable) < 2:
        return []
    close: dict[int, set[int]] = {}
    pairs = []
    for score, a, b in _neighbours([keys[i] for i in usable], threshold):
        i, j = usable[a], usable[b]
        close.setdefault(i, set()).add(j)
        close.setdefault(j, set()).add(i)
        pairs.append((score, i, j))
    root_of = {i: i for i in usable}
    members: dict[int, list[int]] = {i: [i] for i in usable}
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


def check_threshold(threshold: float) -> float:
    """The similarity threshold staff chose, within the bounds the page offers."""
    if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        raise ValidationError({"threshold": f"Le seuil va de {MIN_THRESHOLD} à {MAX_THRESHOLD}."})
    return float(threshold)
