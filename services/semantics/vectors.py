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


def contribution_text(title: str, text: str) -> str:
    """What is compared of a contribution, everywhere (suggestions, grouping, their stored vectors): its title and
    its text as published (the masked copy when there is one)."""
    return f"{title} {text}".strip()


def recall_stored(session: Session, items: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """Hand the vectors the store holds for these exact texts and this model to the model's memory (embedding
    them then costs nothing); return the items whose vector is missing or stale. Reads only."""
    ids = [cid for cid, _ in items]
    stored: dict[int, tuple[str, bytes]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.exec(
            select(ContributionVector.contribution_id, ContributionVector.digest, ContributionVector.vector).where(
                col(ContributionVector.contribution_id).in_(ids[start : start + _CHUNK]),
                ContributionVector.model == model.MODEL_ID,
            )
        ).all()
        stored.update((cid, (digest, blob)) for cid, digest, blob in rows)
    found: list[tuple[str, model.Matrix]] = []
    missing: list[tuple[int, str]] = []
    for cid, text in items:
        digest = model.digest(text)
        digest_stored, blob = stored.get(cid, ("", b""))
        if digest_stored == digest:
            found.append((digest, np.frombuffer(blob, dtype="<f4").copy()))
        else:
            missing.append((cid, text))
    model.remember(found)
    return missing


def contribution_vectors(session: Session, items: Sequence[tuple[int, str]]) -> model.Matrix:
    """One row per (contribution id, compared text), in order. Raises RuntimeError without the model.

    Vectors already stored for that exact text and model are read back; the others are embedded and stored
    (insert or replace, so two processes computing the same one never conflict). The caller commits.
    """
    missing = recall_stored(session, items)
    vectors = model.embed([text for _, text in items])
    if missing:
        row_of = {cid: row for row, (cid, _) in enumerate(items)}
        now = utcnow()
        _upsert(
            session,
            [
                {
                    "contribution_id": cid,
                    "model": model.MODEL_ID,
                    "digest": model.digest(text),
                    "vector": vectors[row_of[cid]].astype("<f4").tobytes(),
                    "computed_at": now,
                }
                for cid, text in missing
            ],
        )
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
