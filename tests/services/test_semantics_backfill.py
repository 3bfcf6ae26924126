"""Vectors computed ahead: waiting and published contributions get theirs in batches, each stored in a short
transaction; nothing twice; a masked copy is embedded again; `manage.py embed` does the same on demand."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

import manage
from db.engine import session_scope
from models import ContributionVector
from services import contributions, moderation, semantics
from services.contributions import ContributionDraft
from services.semantics import model
from services.semantics.backfill import stale

STAFF = "test-staff"
TEXTS = [
    "Créer un tiers-lieu dans chaque intercommunalité.",
    "Ouvrir des tiers lieux dans les communautés de communes.",
    "Un guichet unique pour les aides régionales aux associations.",
    "Former les élus locaux à l'économie sociale et solidaire.",
    "Des clauses sociales dans tous les marchés publics.",
]


def add(engine: Engine, body: str) -> int:
    with session_scope(engine, write=True) as session:
        draft = ContributionDraft(theme_id=1, body=body, idempotency_key=uuid.uuid4().hex)
        return contributions.submit_contribution(session=session, draft=draft).contribution_id


def stored(engine: Engine) -> dict[int, str]:
    with session_scope(engine) as session:
        rows = session.exec(select(ContributionVector.contribution_id, ContributionVector.digest)).all()
    return dict(rows)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Texts the model is asked to embed, call by call (the memo emptied first: as in a fresh process)."""
    monkeypatch.setattr(model, "_memo", type(model._memo)())
    engine = model._get()
    assert engine is not None
    real = engine.encode
    seen: list[int] = []

    def counted(texts: list[str], is_query: bool = False) -> model.Matrix:
        seen.append(len(texts))
        return real(texts, is_query)

    monkeypatch.setattr(engine, "encode", counted)
    return seen


def test_waiting_and_published_contributions_get_their_vectors_once(sqlite_engine: Engine, calls: list[int]) -> None:
    ids = [add(sqlite_engine, t) for t in TEXTS]
    with session_scope(sqlite_engine, write=True) as session:
        moderation.publish(session=session, contribution_ids=ids[:2], actor=STAFF)
        moderation.reject(
            session=session, contribution_ids=[ids[4]], actor=STAFF, category="off_topic", reason="Hors sujet"
        )
    assert semantics.backfill(sqlite_engine, batch=2) == 4  # the rejected one is neither grouped nor suggested
    assert set(stored(sqlite_engine)) == set(ids[:4])
    assert sum(calls) == 4
    with session_scope(sqlite_engine) as session:
        assert stale(session) == []
    assert semantics.backfill(sqlite_engine) == 0 and sum(calls) == 4

    # Published as it was: its vector is still right (no model call); masked: another text, embedded again.
    with session_scope(sqlite_engine, write=True) as session:
        moderation.publish(session=session, contribution_ids=[ids[2]], actor=STAFF)
        moderation.set_masked_text(
            session=session, contribution_id=ids[3], masked_text="Former les élus à l'ESS.", actor=STAFF
        )
    before = stored(sqlite_engine)
    assert semantics.backfill(sqlite_engine) == 2
    assert sum(calls) == 5
    after = stored(sqlite_engine)
    assert after[ids[2]] == before[ids[2]] and after[ids[3]] != before[ids[3]]
    assert after[ids[3]] == model.digest(semantics.contribution_text("", "Former les élus à l'ESS."))


def test_a_limit_or_a_stop_ends_the_pass_between_batches(sqlite_engine: Engine) -> None:
    for text in TEXTS:
        add(sqlite_engine, text)
    assert semantics.backfill(sqlite_engine, batch=2, limit=3) == 3
    assert semantics.backfill(sqlite_engine, stop=lambda: True) == 0
    assert semantics.backfill(sqlite_engine) == 2


def test_the_command_computes_what_is_missing_and_says_so_in_french(
    app_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from db.engine import get_engine

    for text in TEXTS[:3]:
        add(get_engine(), text)
    assert manage.main(["embed"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Vecteurs calculés et enregistrés : 3 contributions en ") and out.rstrip().endswith(" s.")
    assert manage.main(["embed"]) == 0
    assert "enregistrés : 0 contribution en" in capsys.readouterr().out
