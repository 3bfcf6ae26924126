"""The published texts of a theme as a search index, built once per data version and shared by every session.

What a participant may be offered while typing is the same for everybody (published texts, as published), so
one index per (store, theme) serves the whole process; only what depends on the phone (its own contributions,
its supports) is read per query, by services.similar. A query costs one version check (one SQL aggregate), the
embedding of the typed text (~13 ms) and a product with the index's vectors.

The index's sentence vectors come from the store (table contributionvector), so a restart reads them back
instead of embedding thousands of texts again. Vectors still missing are computed here: a few (a publication
since the last version) at once, while the participant waits; many (a batch just imported or published, a store
never indexed) in a background thread, the theme being answered meanwhile by the word method, which needs no
vector. Either way they are stored by a background thread, in short write transactions of its own
(services.semantics.contribution_vectors): a participant's read never writes, never waits for the write lock,
and never fails because a vector could not be stored (it is computed again by a later build). A new data
version is built by a background thread too, every session answering from the previous version meanwhile:
only a theme's very first query in a process waits for its index.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.engine import session_scope
from models import Contribution, Edition, Theme
from models.edition import EditionStatus
from services import semantics
from services.published import is_published, published_text
from services.semantics import model
from services.words import words_of

log = logging.getLogger(__name__)

# Up to this many missing vectors are embedded while the participant waits (~13 ms each); more go to the
# background and the theme is answered by the word method meanwhile.
EMBED_NOW_MAX = 40
# Vectors embedded and stored per background transaction: each write holds the store's lock briefly.
_BACKGROUND_CHUNK = 64
# Themes kept in memory (every edition's, every store's): about 1,6 kB per published text with the model.
MAX_INDEXES = 32
# Present in nearly every contribution here: a word that counts in the word cloud, not for likeness.
_EVERYWHERE = frozenset({"ess"})

Version = tuple[int, int, str]


@lru_cache(maxsize=50_000)
def match_key(text: str) -> str:
    """The words that matter in a text (services.words: folded, stop words out)."""
    return " ".join(key for _, key in words_of(text) if key not in _EVERYWHERE)


@dataclass(frozen=True)
class Copy:
    contribution_id: int
    title: str
    text: str  # as published


@dataclass(frozen=True)
class Entry:
    """One distinct published text of the theme (by its words) and the contributions that carry it, oldest
    first: the same idea sent twice is offered once."""

    copies: tuple[Copy, ...]

    @property
    def text(self) -> str:
        return self.copies[0].text

    @property
    def compared(self) -> str:
        """What the index compares: as for grouping and the stored vectors (title and text as published)."""
        first = self.copies[0]
        return semantics.contribution_text(first.title, first.text)


@dataclass(frozen=True)
class ThemeIndex:
    version: Version
    entries: tuple[Entry, ...]
    index: semantics.SuggestionIndex  # its ids are positions in `entries`
    complete: bool  # False: built by the word method while the vectors are being computed


_lock = threading.Lock()
_indexes: OrderedDict[tuple[str, int], ThemeIndex] = OrderedDict()
_builders: dict[tuple[str, int], threading.Lock] = {}
_embedding: set[tuple[str, int]] = set()
_threads: list[threading.Thread] = []
builds = 0  # how many indexes this process built (tests and the bench read it)


def data_version(session: Session, theme_id: int) -> Version:
    """What changes when the theme's published texts change: how many, the highest id, the latest change
    (a publication, a withdrawal, a masked text, a theme changed or an erasure all move `updated_at`)."""
    count, highest, latest = session.exec(
        select(func.count(), func.max(Contribution.id), func.max(Contribution.updated_at)).where(
            Contribution.theme_id == theme_id, is_published()
        )
    ).one()
    return int(count or 0), int(highest or 0), str(latest or "")


def _store_key(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def theme_index(session: Session, theme_id: int) -> ThemeIndex:
    """The theme's index for its current data version; while a new version is being built (by a thread of its
    own), the previous version's. Only the very first query of a theme in this process waits for a build."""
    key = (_store_key(session), theme_id)
    version = data_version(session, theme_id)
    with _lock:
        current = _indexes.get(key)
        builder = _builders.setdefault(key, threading.Lock())
    if current is not None and _fresh(current, key, version):
        return current
    if current is not None:
        if builder.acquire(blocking=False):  # else another session's thread is building it already
            _start(_rebuild, session.get_bind().engine, key, theme_id, builder)
        return current
    with builder:  # nothing to answer from yet: build it here (or wait for the session that does)
        with _lock:
            again = _indexes.get(key)
        if again is not None and _fresh(again, key, version):
            return again
        return _install(key, _build(session, key, theme_id, version))


def _fresh(index: ThemeIndex, key: tuple[str, int], version: Version) -> bool:
    """Of this version, and either complete or the word index standing in while the vectors are computed."""
    return index.version == version and (index.complete or key in _embedding)


def _install(key: tuple[str, int], index: ThemeIndex) -> ThemeIndex:
    with _lock:
        _indexes[key] = index
        _indexes.move_to_end(key)
        while len(_indexes) > MAX_INDEXES:
            _indexes.popitem(last=False)
    return index


def _rebuild(engine: Engine, key: tuple[str, int], theme_id: int, builder: threading.Lock) -> None:
    """Build the theme's index for the store's current version, in a thread and a read session of its own."""
    try:
        with session_scope(engine) as session:
            _install(key, _build(session, key, theme_id, data_version(session, theme_id)))
    except Exception:  # a background thread has no caller to tell: log it, the previous index stays
        log.exception("similar contributions: the index of theme %s could not be rebuilt", theme_id)
    finally:
        builder.release()


def _start(target: Callable[..., None], *args: object) -> None:
    thread = threading.Thread(target=target, args=args, daemon=True)
    with _lock:  # started under the lock: wait_for_background never joins a thread not yet started
        _threads.append(thread)
        thread.start()


def _published(session: Session, theme_id: int) -> list[Entry]:
    """The theme's published texts, as published, each distinct text once (by its words), oldest first."""
    rows = session.exec(
        select(Contribution.id, Contribution.title, published_text())
        .where(Contribution.theme_id == theme_id, is_published())
        .order_by(col(Contribution.id))
    ).all()
    grouped: dict[str, list[Copy]] = {}
    for cid, title, text in rows:
        if cid is not None:
            grouped.setdefault(match_key(text) or text, []).append(Copy(cid, title, text))
    return [Entry(tuple(copies)) for copies in grouped.values()]


def _build(session: Session, key: tuple[str, int], theme_id: int, version: Version) -> ThemeIndex:
    global builds  # noqa: PLW0603  # a counter, for tests and the bench
    builds += 1
    entries = tuple(_published(session, theme_id))
    texts = [e.compared for e in entries]
    positions = list(range(len(entries)))
    if not semantics.method().uses_model or not entries:
        return ThemeIndex(version, entries, semantics.SuggestionIndex(positions, texts), complete=True)
    items = [(e.copies[0].contribution_id, e.compared) for e in entries]
    missing = semantics.recall_stored(session, items)
    engine = session.get_bind().engine
    if len(missing) > EMBED_NOW_MAX:
        _store_in_background(engine, key, missing)
        words = semantics.SuggestionIndex(positions, texts, method_name=semantics.FALLBACK_METHOD)
        return ThemeIndex(version, entries, words, complete=False)
    vectors = model.embed(texts)  # the stored ones from memory, the few missing by the model
    if missing:
        _store_in_background(engine, key, missing)
    return ThemeIndex(version, entries, semantics.SuggestionIndex(positions, texts, vectors=vectors), complete=True)


def _store_in_background(engine: Engine, key: tuple[str, int], missing: list[tuple[int, str]]) -> None:
    """Embed (if not done yet) and store `missing`, by chunks, each in a short write transaction, in a thread of
    its own: the participant's request never writes nor waits for the store's write lock (it may itself be
    inside a transaction). A failure only costs a later recomputation. Once done, the theme's next query
    builds the full index if the word index stood in."""
    with _lock:
        if key in _embedding:
            return
        _embedding.add(key)

    def work() -> None:
        try:
            for start in range(0, len(missing), _BACKGROUND_CHUNK):
                chunk = missing[start : start + _BACKGROUND_CHUNK]
                model.embed([text for _, text in chunk])  # before the transaction: the write lock is held briefly
                with session_scope(engine, write=True) as writer:
                    semantics.contribution_vectors(writer, chunk)
        except Exception:  # a background thread has no caller to tell: log it, the vectors are stored later
            log.exception("similar contributions: vectors not stored, computed again by a later build")
        finally:
            with _lock:
                _embedding.discard(key)

    _start(work)


def wait_for_background(timeout: float = 60.0) -> None:
    """Wait until the indexes being built are built and the vectors being stored are stored (tests, bench)."""
    while True:
        with _lock:
            if not _threads:
                return
            thread = _threads.pop()
        thread.join(timeout)


def forget_all() -> None:
    """Drop every index of this process (tests)."""
    with _lock:
        _indexes.clear()


def warm(engine: Engine) -> int:
    """Build the index of every theme of the open editions now (the background pass calls it once at start):
    the first participant of each theme, after a restart, is then not the one who waits for the libraries to
    load and the index to be built (about 1,4 s on these 2 cores). Returns how many indexes were built."""
    with session_scope(engine) as session:
        theme_ids = session.exec(
            select(Theme.id)
            .join(Edition, col(Edition.id) == col(Theme.edition_id))
            .where(Edition.status == EditionStatus.OPEN.value)
        ).all()
        for theme_id in theme_ids:
            if theme_id is not None:
                theme_index(session, theme_id)
    return len(theme_ids)
