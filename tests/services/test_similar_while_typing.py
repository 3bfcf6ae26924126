"""Similar contributions while typing: a reworded published idea is found, a pending or rejected one never, one's
own never; the theme's index is built once per data version and shared, its vectors kept in the store; without
the model the word method answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from models import ContributionVector
from services import contributions, moderation, similar, suggestion_indexes
from services.codes import device_token
from services.contributions import ContributionDraft
from services.semantics import model

THEME = 4
IDEA = "Mutualiser un poste de comptable entre plusieurs petites associations du même territoire."
REWORDED = "Partager un comptable entre petites assos du territoire"
OTHER = "Organiser une fête de quartier avec la fanfare municipale le samedi soir pour les familles."


@pytest.fixture(autouse=True)
def fresh_indexes() -> Iterator[None]:
    suggestion_indexes.forget_all()
    yield
    suggestion_indexes.wait_for_background()
    suggestion_indexes.forget_all()


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine where the model's engine cannot load."""
    monkeypatch.setattr(model, "_engine", None)
    monkeypatch.setattr(model, "_tried", True)


def add(engine: Engine, body: str, status: str = "published", token: str | None = None) -> int:
    draft = ContributionDraft(theme_id=THEME, body=body, status=status, idempotency_key=uuid.uuid4().hex)
    with session_scope(engine, write=True) as session:
        if token:
            return contributions.submit_from_device(session=session, device_token=token, draft=draft).contribution_id
        return contributions.submit_contribution(session=session, draft=draft).contribution_id


def find(engine: Engine, text: str, token: str | None = None, **kw: Any) -> list[similar.SimilarContribution]:
    with session_scope(engine) as session:
        return similar.find_similar_contributions(session, theme_id=THEME, text=text, device_token=token, **kw)


def find_settled(engine: Engine, text: str, token: str | None = None) -> list[similar.SimilarContribution]:
    """After a change: the first query answers from the previous version and starts the new one's build."""
    find(engine, text, token)
    suggestion_indexes.wait_for_background()
    return find(engine, text, token)


def test_a_reworded_published_idea_is_suggested_an_unrelated_one_is_not(sqlite_engine: Engine) -> None:
    idea = add(sqlite_engine, IDEA)
    add(sqlite_engine, OTHER)
    found = find(sqlite_engine, REWORDED)
    assert [f.contribution_id for f in found] == [idea]
    assert found[0].text == IDEA and 0 < found[0].score <= 1
    assert find(sqlite_engine, "Une piste cyclable le long de la Loire pour aller au travail à vélo") == []


def test_pending_and_rejected_are_never_suggested_even_word_for_word(sqlite_engine: Engine) -> None:
    pending = add(sqlite_engine, IDEA, status="pending")
    rejected = add(sqlite_engine, IDEA + " Et vite.", status="rejected")
    assert find(sqlite_engine, IDEA) == []
    # Published later: offered from the next data version on; rejected, it goes again.
    with session_scope(sqlite_engine, write=True) as session:
        moderation.publish(session=session, contribution_ids=[pending], actor="test-staff")
    assert [f.contribution_id for f in find_settled(sqlite_engine, IDEA)] == [pending]
    with session_scope(sqlite_engine, write=True) as session:
        moderation.reject(
            session=session, contribution_ids=[pending], actor="test-staff", category="off_topic", reason="Hors sujet."
        )
    assert find_settled(sqlite_engine, IDEA) == []
    assert rejected not in {f.contribution_id for f in find(sqlite_engine, IDEA)}


def test_ones_own_contribution_is_never_offered_back_a_copy_by_someone_else_is(sqlite_engine: Engine) -> None:
    me = device_token()
    mine = add(sqlite_engine, IDEA, token=me)
    assert find(sqlite_engine, REWORDED, token=me) == []
    assert [f.contribution_id for f in find(sqlite_engine, REWORDED, token=device_token())] == [mine]
    # The same text sent again by another phone: one entry, offered to me through the other's copy.
    theirs = add(sqlite_engine, IDEA.upper(), token=device_token())
    assert [f.contribution_id for f in find_settled(sqlite_engine, REWORDED, token=me)] == [theirs]
    assert [f.contribution_id for f in find(sqlite_engine, REWORDED)] == [mine]


def test_the_index_is_reused_for_a_data_version_and_rebuilt_after_a_publication(sqlite_engine: Engine) -> None:
    add(sqlite_engine, IDEA)
    pending = add(sqlite_engine, "Créer une monnaie locale pour payer une partie des salaires.", status="pending")
    before = suggestion_indexes.builds
    for _ in range(5):
        assert len(find(sqlite_engine, REWORDED)) == 1
    assert suggestion_indexes.builds == before + 1
    with session_scope(sqlite_engine, write=True) as session:
        moderation.publish(session=session, contribution_ids=[pending], actor="test-staff")
    money = "Une monnaie locale pour payer les salaires"
    # The previous version answers at once while the new one is built in the background, then the new one.
    assert find(sqlite_engine, money) == []
    suggestion_indexes.wait_for_background()
    assert [f.contribution_id for f in find(sqlite_engine, money)] == [pending]
    assert suggestion_indexes.builds == before + 2
    # Its vectors are in the store: a restarted process (no index, no memory) embeds only the typed text.
    suggestion_indexes.wait_for_background()
    with session_scope(sqlite_engine) as session:
        assert session.exec(select(func.count()).select_from(ContributionVector)).one() == 2


def test_a_restart_reads_the_vectors_back_instead_of_embedding_again(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        add(sqlite_engine, f"{IDEA} Variante {n} avec {'des ' * n}mots en plus.")
    assert find(sqlite_engine, REWORDED)
    suggestion_indexes.wait_for_background()
    suggestion_indexes.forget_all()
    monkeypatch.setattr(model, "_memo", type(model._memo)())
    engine = model._get()
    assert engine is not None
    calls: list[int] = []
    real = engine.encode

    def counted(texts: list[str], is_query: bool = False) -> model.Matrix:
        calls.append(len(texts))
        return real(texts, is_query=is_query)

    monkeypatch.setattr(engine, "encode", counted)
    assert find(sqlite_engine, REWORDED)
    assert calls == [1]  # the typed text only


def test_many_missing_vectors_are_computed_in_the_background_words_answer_meanwhile(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(suggestion_indexes, "EMBED_NOW_MAX", 1)
    idea = add(sqlite_engine, IDEA)
    add(sqlite_engine, OTHER)
    assert [f.contribution_id for f in find(sqlite_engine, "mutualiser un poste de comptable associations")] == [idea]
    suggestion_indexes.wait_for_background()
    with session_scope(sqlite_engine) as session:
        assert session.exec(select(func.count()).select_from(ContributionVector)).one() == 2
    assert [f.contribution_id for f in find(sqlite_engine, REWORDED)] == [idea]  # now by meaning


@pytest.mark.usefixtures("no_model")
def test_without_the_model_the_word_method_answers(sqlite_engine: Engine) -> None:
    idea = add(sqlite_engine, IDEA)
    add(sqlite_engine, OTHER)
    add(sqlite_engine, IDEA, status="pending")
    found = find(sqlite_engine, "Mutualiser un comptable entre petites associations du territoire")
    assert [f.contribution_id for f in found] == [idea]
    with session_scope(sqlite_engine) as session:
        assert session.exec(select(func.count()).select_from(ContributionVector)).one() == 0


def test_a_read_inside_a_write_transaction_neither_waits_nor_fails(sqlite_engine: Engine) -> None:
    add(sqlite_engine, IDEA)
    with session_scope(sqlite_engine, write=True) as session:
        found = similar.find_similar_contributions(session, theme_id=THEME, text=REWORDED)
    assert len(found) == 1


def test_a_long_text_is_compared_by_its_beginning() -> None:
    long = "Mutualiser un poste de comptable entre associations. " * 20
    start = similar.query_text(long)
    assert len(start) <= similar.QUERY_MAX_CHARS and long.startswith(start) and not start.endswith(" ")
    assert similar.query_text("  deux   mots  ") == "deux mots"


def test_warming_builds_every_open_themes_index_so_no_participant_waits_for_it(sqlite_engine: Engine) -> None:
    idea = add(sqlite_engine, IDEA)
    built = suggestion_indexes.warm(sqlite_engine)
    assert built >= 2  # every theme of the open edition, not only the one with a text
    suggestion_indexes.wait_for_background()
    before = suggestion_indexes.builds
    assert [f.contribution_id for f in find(sqlite_engine, REWORDED)] == [idea]
    assert suggestion_indexes.builds == before  # answered from the index built ahead
