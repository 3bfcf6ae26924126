"""The ways of scoring how alike two texts are, side by side so they can be measured on the same set.

Every method turns a list of texts into a `Space`: scores in [0, 1] between its texts (by blocks of rows,
so memory stays bounded) and between new texts and its texts (a suggestion while typing). Scores are
calibrated so that one threshold means about the same thing whatever the method (see CALIBRATION).

- "tfidf-char": what grouping used before: TF-IDF of character 3–4-grams of the folded words.
- "tfidf-lemma": TF-IDF of lemmas (simplemma) and of their character 3–5-grams, abbreviations spelt out.
- "e5": cosine of multilingual-e5-small sentence vectors (services.semantics.model), rescaled.
- "e5+lemma": a weighted mean of the two: the meaning, and the words people actually share.
- "e5c+lemma": the same, with the sentence vectors centred on the mean of the space's own texts when there are
  enough of them (CENTRE_MIN_SIZE): what grouping uses, by average linkage (services.semantics.compare.close_groups).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from services.semantics import model
from services.semantics.normalise import lemma_key

Scores = npt.NDArray[np.float32]

# e5 cosines of any two French sentences lie between about 0,75 and 1: below FLOOR is "unrelated", and the
# rest is stretched to [0, 1]. On the evaluation set two texts of one theme score 0,84–0,99 whether or not
# they say the same thing (same idea: 10th percentile 0,87; different ideas: 90th percentile 0,91), so the
# floor only sets the scale: 0,80, 0,85 and 0,88 give the same best dev F1 for "e5+lemma" within 0,01.
E5_FLOOR = 0.80
# Share of the meaning in "e5+lemma" (the rest is shared words). Best F1 on the evaluation set's dev split
# among 0,2–0,6 (bench/RESULTS.md): the sentence model alone separates ideas of one theme less well than lemmas.
E5_WEIGHT = 0.3
# Every e5 vector of one theme shares a common direction (the theme), which makes all its ideas look close;
# removing the mean of the space's texts leaves what tells them apart. Only from CENTRE_MIN_SIZE texts on: the
# mean of a few texts is mostly those texts (two texts centred are opposite). Measured on dev, random subsets of
# each theme, average linkage: centring loses at 6 texts (F1 0,56 against 0,58 raw) and wins from 10 (0,60
# against 0,58; 0,68 against 0,62 at 26). Smaller spaces (two texts compared alone) have no mean to trust: their
# raw cosine is put on the centred scale by a straight line, the least-squares fit of the centred cosine on the raw
# one over the dev pairs (slope 4,84, intercept -4,29; correlation 0,80 on test), so that one threshold means about
# the same in both. Spaces of 4–9 texts grouped so lose some F1 against "e5+lemma" (dev 0,51–0,55 against 0,51–0,59).
CENTRE_MIN_SIZE = 10
RAW_TO_CENTRED = (4.84, -4.29)
# Share of the centred meaning in "e5c+lemma", on the centred cosine mapped from [-1, 1] to [0, 1]: 2/3 of it
# is the same as 0,5 × centred cosine + 0,5 × lemmas (the best of 0,3–0,6 on dev with average linkage).
CENTRED_WEIGHT = 2 / 3


class Space(Protocol):
    size: int

    def block(self, start: int, stop: int) -> Scores:
        """Scores of rows start..stop against every row (shape (stop - start) × size)."""
        ...

    def query(self, texts: Sequence[str]) -> Scores:
        """Scores of new texts against every row (shape len(texts) × size)."""
        ...


def _tfidf(**options: Any) -> Any:
    # scikit-learn costs 1,5 s to import: only when a word method is used.
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]  # noqa: PLC0415

    return TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options)


class _SparseSpace:
    """Cosine of L2-normalised sparse TF-IDF rows (one or several vectorisers, weighted)."""

    def __init__(self, keys: Sequence[str], key_of: Callable[[str], str], vectorisers: list[tuple[Any, float]]):
        from scipy.sparse import hstack  # type: ignore[import-untyped]  # noqa: PLC0415

        self._key_of = key_of
        self._parts = vectorisers
        self._hstack = hstack
        self.size = len(keys)
        try:
            fitted = [vec.fit_transform(keys) * np.float32(np.sqrt(weight)) for vec, weight in vectorisers]
        except ValueError:  # no word at all in any text (empty, or only stop words): nothing is alike
            self._parts = []
            self._columns = None
            return
        self._rows = hstack(fitted).tocsr() if len(fitted) > 1 else fitted[0].tocsr()
        self._columns = self._rows.T.tocsr()  # CSR: a product with CSR rows converts nothing per query

    def block(self, start: int, stop: int) -> Scores:
        if self._columns is None:
            return np.zeros((stop - start, self.size), dtype=np.float32)
        return np.asarray((self._rows[start:stop] @ self._columns).toarray(), dtype=np.float32)

    def query(self, texts: Sequence[str]) -> Scores:
        if self._columns is None:
            return np.zeros((len(texts), self.size), dtype=np.float32)
        keys = [self._key_of(t) for t in texts]
        parts = [vec.transform(keys) * np.float32(np.sqrt(weight)) for vec, weight in self._parts]
        rows = self._hstack(parts).tocsr() if len(parts) > 1 else parts[0]
        return np.asarray((rows @ self._columns).toarray(), dtype=np.float32)


class _DenseSpace:
    """Rescaled cosine of L2-normalised sentence vectors."""

    def __init__(self, vectors: model.Matrix):
        self._vectors = vectors
        self.size = len(vectors)

    @staticmethod
    def _rescale(cosines: Scores) -> Scores:
        rescaled: Scores = np.clip((cosines - E5_FLOOR) / (1 - E5_FLOOR), 0.0, 1.0).astype(np.float32)
        return rescaled

    def block(self, start: int, stop: int) -> Scores:
        return self._rescale(self._vectors[start:stop] @ self._vectors.T)

    def query(self, texts: Sequence[str]) -> Scores:
        return self._rescale(model.embed(texts) @ self._vectors.T)


class _CentredSpace:
    """Cosine of sentence vectors centred on the mean of the space's texts, mapped from [-1, 1] to [0, 1]; new
    texts (a query) are centred on the same mean. Below CENTRE_MIN_SIZE texts: the raw cosine on that scale."""

    def __init__(self, vectors: model.Matrix):
        self.size = len(vectors)
        self._centred = self.size >= CENTRE_MIN_SIZE
        self._mean = vectors.mean(axis=0) if self._centred else np.zeros(model.DIM, dtype=np.float32)
        self._vectors = self._centre(vectors) if self._centred else vectors

    def _centre(self, vectors: model.Matrix) -> model.Matrix:
        centred = vectors - self._mean
        unit: model.Matrix = (centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-6)).astype(
            np.float32
        )
        return unit

    def _scores(self, cosines: Scores) -> Scores:
        if not self._centred:
            slope, intercept = RAW_TO_CENTRED
            cosines = np.clip(slope * cosines + intercept, -1.0, 1.0)
        return np.asarray((cosines + 1) / 2, dtype=np.float32)

    def block(self, start: int, stop: int) -> Scores:
        return self._scores(self._vectors[start:stop] @ self._vectors.T)

    def query(self, texts: Sequence[str]) -> Scores:
        found = model.embed(texts)
        return self._scores((self._centre(found) if self._centred else found) @ self._vectors.T)


class _MixedSpace:
    """A weighted mean of two spaces' scores."""

    def __init__(self, parts: list[tuple[Space, float]]):
        self._parts = parts
        self.size = parts[0][0].size

    def block(self, start: int, stop: int) -> Scores:
        return np.asarray(sum(weight * space.block(start, stop) for space, weight in self._parts), dtype=np.float32)

    def query(self, texts: Sequence[str]) -> Scores:
        return np.asarray(sum(weight * space.query(texts) for space, weight in self._parts), dtype=np.float32)


def _match_key(text: str) -> str:
    from services.similar import match_key  # noqa: PLC0415  # services.similar imports this package

    return match_key(text)


def _char_space(texts: Sequence[str]) -> Space:
    keys = [_match_key(t) for t in texts]
    return _SparseSpace(keys, _match_key, [(_tfidf(analyzer="char_wb", ngram_range=(3, 4)), 1.0)])


def _lemma_space(texts: Sequence[str]) -> Space:
    keys = [lemma_key(t) for t in texts]
    return _SparseSpace(
        keys,
        lemma_key,
        [
            (_tfidf(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+"), 0.5),  # noqa: S106  # a regex, not a secret
            (_tfidf(analyzer="char_wb", ngram_range=(3, 5)), 0.5),
        ],
    )


def _e5_space(texts: Sequence[str], vectors: model.Matrix | None = None) -> Space:
    return _DenseSpace(vectors if vectors is not None else model.embed(texts))


def _mixed_space(texts: Sequence[str], vectors: model.Matrix | None = None) -> Space:
    return _MixedSpace([(_e5_space(texts, vectors), E5_WEIGHT), (_lemma_space(texts), 1 - E5_WEIGHT)])


def _centred_space(texts: Sequence[str], vectors: model.Matrix | None = None) -> Space:
    centred = _CentredSpace(vectors if vectors is not None else model.embed(texts))
    return _MixedSpace([(centred, CENTRED_WEIGHT), (_lemma_space(texts), 1 - CENTRED_WEIGHT)])


@dataclass(frozen=True)
class Method:
    name: str
    uses_model: bool
    build: Callable[..., Space]
    # The score of two texts that share no word and whose meanings are unrelated (cosine 0, after centring for
    # "e5c+lemma", whose meaning part is mapped from [-1, 1]): a threshold below it joins unrelated texts.
    unrelated: float = 0.0


METHODS: dict[str, Method] = {
    "tfidf-char": Method("tfidf-char", False, _char_space),
    "tfidf-lemma": Method("tfidf-lemma", False, _lemma_space),
    "e5": Method("e5", True, _e5_space),
    "e5+lemma": Method("e5+lemma", True, _mixed_space),
    "e5c+lemma": Method("e5c+lemma", True, _centred_space, unrelated=CENTRED_WEIGHT * 0.5),
}
# Chosen on the evaluation set's dev split, reported on its test split: bench/RESULTS.md and the README's
# « Ressemblance des textes ». Best dev F1 of all; on test it only equals "tfidf-lemma" (F1 about 0,51 each).
DEFAULT_METHOD = "e5+lemma"
# When the model cannot load on a machine: the best method without it (beats today's "tfidf-char" on test).
FALLBACK_METHOD = "tfidf-lemma"

# Grouping decides by average linkage over a theme's texts (services.semantics.compare.groups_in), on the e5
# vectors centred on the theme: on the evaluation set's test split, groups P 0,52 / R 0,81 / F1 0,63, against
# 0,46 / 0,58 / 0,51 for "e5+lemma" pairs above a threshold (bench/bench_similarity.py, thresholds chosen on dev).
# Pairs and suggestions keep "e5+lemma": a text typed alone, or two texts compared alone, have no theme to centre on.
GROUP_METHOD = "e5c+lemma"

# Thresholds in [0, 1], chosen on dev. GROUP_*: the grouping default for GROUP_METHOD (and for the fallback), the
# best F1 of the groups average linkage forms (bench/bench_similarity.py: about one proposed pair in two is
# right, four in five « same idea » pairs are found: staff confirm or refuse each group).
# SUGGEST_*: the lowest score of the (at most three) suggestions shown while typing. The pairwise threshold for
# precision ≥ 0,9 on dev (0,47; 0,42 without the model) suggests for 5 % of texts and is right 54 % of the time
# on test; the share of right suggestions hardly moves with the threshold (0,53–0,60 from 0,22 to 0,47), so the
# threshold is set where about half the texts of dev get a right suggestion among few shown: 0,30 shows 1,4
# suggestions per text on dev, 60 % right, a right one for 49 % of texts (test: 53 %, 46 %); without the model,
# 0,20: 62 % right, 44 % of texts (test: 58 %, 49 %). A wrong suggestion costs a participant a glance.
SUGGEST_THRESHOLD = 0.30
GROUP_THRESHOLD = 0.37
FALLBACK_SUGGEST_THRESHOLD = 0.20
FALLBACK_GROUP_THRESHOLD = 0.07


def method(name: str | None = None) -> Method:
    """The method asked for, or the default; a method needing the model falls back when the model is missing."""
    chosen = METHODS[name or DEFAULT_METHOD]
    if chosen.uses_model and not model.available():
        return METHODS[FALLBACK_METHOD]
    return chosen


def space(texts: Sequence[str], *, method_name: str | None = None, vectors: model.Matrix | None = None) -> Space:
    """The texts' space under the chosen method (`vectors`: their sentence vectors, if already known)."""
    chosen = method(method_name)
    if chosen.uses_model:
        return chosen.build(texts, vectors)
    return chosen.build(texts)
