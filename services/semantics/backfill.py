"""Vectors computed ahead: contributions waiting or published get their sentence vector soon after they are
written, so that grouping a theme and building the suggestion index find them stored (measured: the model costs
about 0,1 s of one core per text here, several minutes for thousands of texts at once).

One background thread per app process (started by ui.background when ESS_EMBED_IN_BACKGROUND is on), or
`manage.py embed` after a bulk import. Each batch is embedded outside any transaction, then stored in a short
write transaction of its own: the store's write lock is held for milliseconds, and a crash loses only a batch
that the next pass computes again. Several processes may do the same work at once: the insert-or-replace of
services.semantics.vectors makes that harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.engine import session_scope
from models import Contribution, ContributionVector, ModerationStatus, utcnow
from services.published import published_text
from services.semantics import model
from services.semantics.vectors import contribution_text, contribution_vectors

log = logging.getLogger(__name__)

# Texts embedded then stored together: about 3 s of the model, then one short transaction.
BATCH = 32
# What is compared and shown: contributions waiting for moderation (grouping) and published ones (suggestions).
_WANTED = (ModerationStatus.PENDING.value, ModerationStatus.PUBLISHED.value)


def stale(session: Session, *, limit: int = BATCH) -> list[tuple[int, str]]:
    """Up to `limit` (id, compared text) of contributions with no vector of this model, or one older than their
    last change (a masked copy, an erasure), newest first: what participants are typing about now comes first."""
    rows = session.exec(
        select(Contribution.id, Contribution.title, published_text())
        .outerjoin(ContributionVector, col(ContributionVector.contribution_id) == col(Contribution.id))
        .where(
            col(Contribution.status).in_(_WANTED),
            or_(
                col(ContributionVector.contribution_id).is_(None),
                col(ContributionVector.model) != model.MODEL_ID,
                col(ContributionVector.computed_at) < col(Contribution.updated_at),
            ),
        )
        .order_by(col(Contribution.id).desc())
        .limit(limit)
    ).all()
    return [(cid, contribution_text(title, text)) for cid, title, text in rows if cid is not None]


def backfill(engine: Engine, *, batch: int = BATCH, limit: int | None = None, stop: Callable[[], bool] = bool) -> int:
    """Compute and store the missing vectors, batch after batch, until none is missing, `limit` contributions are
    done or `stop()` says so; returns how many were stored. Needs the model (RuntimeError otherwise)."""
    done = 0
    while (limit is None or done < limit) and not stop():
        with session_scope(engine) as session:
            todo = stale(session, limit=batch if limit is None else min(batch, limit - done))
        if not todo:
            break
        model.embed([text for _, text in todo])  # the slow part, outside any transaction
        with session_scope(engine, write=True) as session:
            contribution_vectors(session, todo)  # from the model's memory: no model call here
            # A vector whose text did not change (a contribution published as it was) is up to date again.
            session.exec(
                update(ContributionVector)
                .where(col(ContributionVector.contribution_id).in_([cid for cid, _ in todo]))
                .values(computed_at=utcnow())
            )
        done += len(todo)
    return done


class _Worker:
    """The process's background pass: wakes every `period` seconds, embeds what is missing, sleeps again."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: set[str] = set()
        self.stopping = threading.Event()


_worker = _Worker()


def start_in_background(engine: Engine, *, period: float = 10.0) -> bool:
    """Start this process's background pass for `engine`'s store (once per store); False without the model."""
    key = str(engine.url)
    with _worker.lock:
        if key in _worker.started:
            return True
        if not model.available():
            return False
        _worker.started.add(key)

    def run() -> None:
        try:
            from services import suggestion_indexes  # noqa: PLC0415  # it imports this package

            suggestion_indexes.warm(engine)
        except Exception:  # the first query of each theme builds its index instead
            log.exception("semantics: suggestion indexes not built ahead")
        while not _worker.stopping.is_set():
            try:
                backfill(engine, stop=_worker.stopping.is_set)
            except Exception:  # a background thread has no caller to tell: log it, the next pass tries again
                log.exception("semantics: vectors not computed ahead this time")
            _worker.stopping.wait(period)

    threading.Thread(target=run, name="semantics-backfill", daemon=True).start()
    return True
