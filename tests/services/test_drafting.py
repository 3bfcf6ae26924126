"""Drafting: versions and diffs, status, order, new orientations, comments, and traceability both ways."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from models import AuditEvent, Orientation
from services import contributions, drafting, grouping
from services.contributions import ContributionDraft
from services.errors import ValidationError

T = TypeVar("T")


def run(engine: Engine, fn: Callable[..., T], **kw: Any) -> T:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kw)


def add(engine: Engine, body: str, **kw: Any) -> int:
    values: dict[str, Any] = {"theme_id": 1, "body": body, "idempotency_key": uuid.uuid4().hex} | kw
    with session_scope(engine, write=True) as session:
        return contributions.submit_contribution(session=session, draft=ContributionDraft(**values)).contribution_id


def first_orientation(engine: Engine, theme_id: int = 1) -> drafting.OrientationView:
    return run(engine, drafting.list_draft_orientations, theme_id=theme_id)[0]


def test_each_edit_is_a_version_with_a_readable_diff(store_engine: Engine) -> None:
    o = first_orientation(store_engine)
    assert [v.version for v in run(store_engine, drafting.list_versions, orientation_id=o.id)] == [1]
    body2 = o.body + "\nUn comité de suivi réunit chaque année les réseaux de l'ESS."
    edited = run(
        store_engine,
        drafting.edit_orientation,
        orientation_id=o.id,
        title=o.title,
        body=body2,
        status="amended",
        actor="anne",
        note="Ajout du suivi demandé en plénière",
    )
    assert (edited.version, edited.status) == (2, "amended")
    # Saving the same text again makes no new version.
    same = run(
        store_engine,
        drafting.edit_orientation,
        orientation_id=o.id,
        title=o.title,
        body=body2,
        status="amended",
        actor="anne",
    )
    assert same.version == 2
    run(
        store_engine,
        drafting.edit_orientation,
        orientation_id=o.id,
        title="Un accès simplifié aux aides",
        body=body2,
        status="retained",
        actor="paul",
    )
    versions = run(store_engine, drafting.list_versions, orientation_id=o.id)
    assert [(v.version, v.status, v.edited_by) for v in versions] == [
        (3, "retained", "paul"),
        (2, "amended", "anne"),
        (1, "proposed", "reference"),
    ]
    diff = run(store_engine, drafting.diff_versions, orientation_id=o.id, old=1, new=2)
    assert "-Statut : Proposée" in diff and "+Statut : Amendée" in diff
    assert "+Un comité de suivi réunit chaque année les réseaux de l'ESS." in diff
    diff13 = run(store_engine, drafting.diff_versions, orientation_id=o.id, old=1, new=3)
    assert f"-Titre : {o.title}" in diff13 and "+Titre : Un accès simplifié aux aides" in diff13
    with session_scope(store_engine) as session:
        audited = session.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "orientation")).all()
    assert audited == ["orientation.edit", "orientation.edit"]
    with pytest.raises(ValidationError):
        run(store_engine, drafting.edit_orientation, orientation_id=o.id, title="", body="", status="x", actor="a")


def test_word_diff_shows_what_was_removed_and_added() -> None:
    assert drafting.word_diff("relier le portail ESSOR", "relier le portail régional") == [
        ("=", "relier le portail"),
        ("-", "ESSOR"),
        ("+", "régional"),
    ]


def test_new_orientations_reordering_and_comments(sqlite_engine: Engine) -> None:
    before = run(sqlite_engine, drafting.list_draft_orientations, theme_id=2)
    new = run(
        sqlite_engine,
        drafting.add_orientation,
        theme_id=2,
        title="Créer un fonds d'amorçage coopératif",
        body="Un fonds régional pour les premières années des coopératives.",
        actor="anne",
    )
    assert (new.status, new.version, new.presented) == ("new", 1, False)
    assert [o.id for o in run(sqlite_engine, drafting.list_draft_orientations, theme_id=2)][-1] == new.id
    assert run(sqlite_engine, drafting.move_orientation, orientation_id=new.id, offset=-1, actor="anne")
    order = [o.id for o in run(sqlite_engine, drafting.list_draft_orientations, theme_id=2)]
    assert order == [*[o.id for o in before[:-1]], new.id, before[-1].id]
    assert not run(sqlite_engine, drafting.move_orientation, orientation_id=order[0], offset=-1, actor="anne")
    run(sqlite_engine, drafting.add_comment, orientation_id=new.id, body="À valider avec la CRESS.", actor="paul")
    comments = run(sqlite_engine, drafting.list_comments, orientation_id=new.id)
    assert [(c.author, c.body) for c in comments] == [("paul", "À valider avec la CRESS.")]
    with pytest.raises(ValidationError):
        run(sqlite_engine, drafting.add_comment, orientation_id=new.id, body="  ", actor="paul")


def test_traceability_from_orientation_to_sources_and_back(store_engine: Engine) -> None:
    o = first_orientation(store_engine)
    stance = add(store_engine, "Oui, un seul portail pour toutes les aides.", orientation_id=o.id, stance="support")
    doubt = add(
        store_engine,
        "Attention : le portail ne remplace pas un accompagnement humain.",
        orientation_id=o.id,
        stance="disagreement",
        source="questionnaire",
    )
    linked = add(store_engine, "Un guichet unique des aides, en ligne et au téléphone.", source="workshop")
    dup_a = add(store_engine, "Créer un guichet unique pour les aides régionales aux associations.", source="paper")
    dup_b = add(store_engine, "Creer un guichet unic pour les aides regionales aux associations", source="online")
    rejected = add(store_engine, "Une contribution rejetée ne compte jamais dans les sources.")
    run(store_engine, grouping.propose_groups, theme_id=1, actor="anne")
    group = next(
        g
        for g in run(store_engine, grouping.list_groups, theme_id=1)
        if {dup_a, dup_b} <= {m.contribution_id for m in g.members}
    )
    run(store_engine, grouping.confirm_group, group_id=group.id, member_ids=[dup_a, dup_b], actor="anne")
    from services import moderation

    run(
        store_engine,
        moderation.reject,
        contribution_ids=[rejected],
        category="off_topic",
        reason="Hors sujet",
        actor="anne",
    )
    assert (
        run(
            store_engine,
            drafting.link_sources,
            orientation_id=o.id,
            contribution_ids=[linked, rejected],
            group_ids=[group.id],
            actor="anne",
        )
        == 3
    )
    # Linking again adds nothing.
    assert run(store_engine, drafting.link_sources, orientation_id=o.id, contribution_ids=[linked], actor="a") == 0
    sources = run(store_engine, drafting.orientation_sources, orientation_id=o.id)
    assert {(s.contribution_id, s.via) for s in sources} == {
        (stance, "stance"),
        (doubt, "stance"),
        (linked, "link"),
        (dup_a, "group"),
        (dup_b, "group"),
    }
    summary = drafting.summarise(sources)
    assert summary.total == 5
    assert summary.by_source == {"conference": 1, "questionnaire": 1, "workshop": 1, "paper": 1, "online": 1}
    assert summary.by_stance == {"support": 1, "disagreement": 1}
    assert summary.by_relation == {"supports": 3}
    fed = run(store_engine, drafting.contribution_orientations, contribution_id=dup_b)
    assert [(f.code, f.via, f.relation) for f in fed] == [(o.code, "group", "supports")]
    assert [f.via for f in run(store_engine, drafting.contribution_orientations, contribution_id=doubt)] == ["stance"]
    # Undoing the group: its members no longer count for the orientation.
    run(store_engine, grouping.undo_group, group_id=group.id, actor="anne")
    after = {s.contribution_id for s in run(store_engine, drafting.orientation_sources, orientation_id=o.id)}
    assert after == {stance, doubt, linked}
    link_id = next(s.link_id for s in run(store_engine, drafting.orientation_sources, orientation_id=o.id) if s.link_id)
    run(store_engine, drafting.unlink_source, link_id=link_id, actor="anne")
    assert {s.contribution_id for s in run(store_engine, drafting.orientation_sources, orientation_id=o.id)} == {
        stance,
        doubt,
    }


def test_links_refuse_other_themes_and_unconfirmed_groups(sqlite_engine: Engine) -> None:
    o = first_orientation(sqlite_engine)
    other = add(sqlite_engine, "Une contribution du thème de l'emploi, pas de celui-ci.", theme_id=3)
    with pytest.raises(ValidationError):
        run(sqlite_engine, drafting.link_sources, orientation_id=o.id, contribution_ids=[other], actor="a")
    with pytest.raises(ValidationError):
        run(sqlite_engine, drafting.link_sources, orientation_id=o.id, actor="a")
    with session_scope(sqlite_engine) as session:
        assert session.exec(select(Orientation).where(Orientation.id == o.id)).one().version == 1
