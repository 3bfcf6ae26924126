"""Contributions' sentence vectors: from the store when computed before for the same text and model, else
computed now (in chunks, by services.semantics.model) and written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from models import ContributionVector, utcnow
from services.semantics import model

# IN lists stay under SQLite's and PostgreSQL's parameter limits.
_CHUNK = 900


def contribution_vectors(session: Session, items: Sequence[tuple[int, str]]) -> model.Matrix:
    """One row per (contribution id, text as compared), in order. Raises RuntimeError without the model.

    Vectors already stored for that exact text and model are read back; the others are embedded and stored
    (insert or replace, so two processes computing the same one never conflict). The caller commits.
    """
    digests = [model.digest(text) for _, text in items]
    stored: dict[int, tuple[str, bytes]] = {}
    ids = [cid for cid, _ in items]
    for start in range(0, len(ids), _CHUNK):
        rows = session.exec(
            select(ContributionVector.contribution_id, ContributionVector.digest, ContributionVector.vector).where(
                col(ContributionVector.contribution_id).in_(ids[start : start + _CHUNK]),
                ContributionVector.model == model.MODEL_ID,
            )
        ).all()
        stored.update((cid, (digest, blob)) for cid, digest, blob in rows)
    model.remember(
        [
            (digest, np.frombuffer(stored[cid][1], dtype="<f4").copy())
            for (cid, _), digest in zip(items, digests, strict=True)
            if cid in stored and stored[cid][0] == digest
        ]
    )
    vectors = model.embed([text for _, text in items])
    fresh = [
        {
            "contribution_id": cid,
            "model": model.MODEL_ID,
            "digest": digest,
            "vector": vectors[row].astype("<f4").tobytes(),
            "computed_at": utcnow(),
        }
        for row, ((cid, _), digest) in enumerate(zip(items, digests, strict=True))
        if stored.get(cid, ("", b""))[0] != digest
    ]
    if fresh:
        _upsert(session, fresh)
    return vectors


def _upsert(session: Session, rows: list[dict[str, object]]) -> None:
    table = ContributionVector.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), 200):
        stmt = insert(table).values(rows[start : start + 200])
        stmt = stmt.on_conflict_do_update(
            index_elements=["contribution_id"],
            set_={
                "model": stmt.excluded.model,
                "digest": stmt.excluded.digest,
                "vector": stmt.excluded.vector,
                "computed_at": stmt.excluded.computed_at,
            },
        )
        session.exec(stmt)  # type: ignore[call-overload]
