"""Moderation rules: the queue's order and filters, each staff action and its audit trail, masking, backlog."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from models import AuditEvent, Contribution, Orientation, Stand, utcnow
from services import contributions, moderation
from services.contributions import ContributionDraft
from services.errors import NotFoundError, ValidationError
from services.moderation import QueueFilter


def add(engine: Engine, body: str, *, minutes_ago: int = 0, **kw: Any) -> int:
    values: dict[str, Any] = {"theme_id": 1, "body": body, "idempotency_key": uuid.uuid4().hex}
    values["created_at"] = utcnow() - timedelta(minutes=minutes_ago)
    values.update(kw)
    with session_scope(engine, write=True) as session:
        return contributions.submit_contribution(session=session, draft=ContributionDraft(**values)).contribution_id


def run(engine: Engine, fn: Any, **kw: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kw)


def row(engine: Engine, cid: int) -> Contribution:
    with session_scope(engine) as session:
        found = session.get(Contribution, cid)
        assert found is not None
        return found


def test_queue_is_oldest_first_and_filters_by_theme_source_stand_status(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        stand = session.exec(select(Stand).where(Stand.theme_id == 2)).first()
        assert stand is not None and stand.id is not None
        stand_id = stand.id
    newer = add(sqlite_engine, "Une idée récente sur la mutualisation des locaux.", minutes_ago=1)
    older = add(sqlite_engine, "Une idée plus ancienne sur les achats publics responsables.", minutes_ago=30)
    paper = add(sqlite_engine, "Une idée reçue sur papier pendant un atelier de lancement.", source="paper")
    at_stand = add(
        sqlite_engine,
        "Une idée trouvée au stand pendant la chasse aux trésors.",
        theme_id=2,
        stand_id=stand_id,
        source="treasure_hunt",
    )
    queue = run(sqlite_engine, moderation.list_queue)
    assert [i.contribution_id for i in queue][:2] == [older, newer]
    assert {i.contribution_id for i in run(sqlite_engine, moderation.list_queue, filters=QueueFilter(theme_id=2))} == {
        at_stand
    }
    assert [
        i.contribution_id for i in run(sqlite_engine, moderation.list_queue, filters=QueueFilter(source="paper"))
    ] == [paper]
    by_stand = run(sqlite_engine, moderation.list_queue, filters=QueueFilter(stand_id=stand_id))
    assert [(i.contribution_id, i.stand_name) for i in by_stand] == [(at_stand, stand.name)]
    run(sqlite_engine, moderation.publish, contribution_ids=[older], actor="anne")
    assert older not in {i.contribution_id for i in run(sqlite_engine, moderation.list_queue)}
    published = run(sqlite_engine, moderation.list_queue, filters=QueueFilter(status="published"))
    assert [i.contribution_id for i in published] == [older]


def test_publish_and_reject_in_bulk_are_audited_with_before_and_after(store_engine: Engine) -> None:
    ids = [add(store_engine, f"Contribution numéro {n} sur l'emploi dans l'ESS en région.") for n in range(3)]
    assert run(store_engine, moderation.publish, contribution_ids=ids[:2], actor="anne") == 2
    # Publishing again changes nothing and writes nothing to the trail.
    assert run(store_engine, moderation.publish, contribution_ids=ids[:2], actor="anne") == 0
    with pytest.raises(ValidationError) as refused:
        run(store_engine, moderation.reject, contribution_ids=[ids[2]], actor="anne", category="other", reason="  ")
    assert "motif" in refused.value.errors["reason"]
    assert (
        run(
            store_engine,
            moderation.reject,
            contribution_ids=[ids[2]],
            actor="paul",
            category="off_topic",
            reason="Hors sujet",
        )
        == 1
    )
    assert row(store_engine, ids[2]).status == "rejected"
    assert row(store_engine, ids[2]).rejection_reason == "Hors sujet"
    history = run(store_engine, moderation.contribution_history, contribution_id=ids[2])
    assert [(h.actor, h.action, h.before, h.after) for h in history] == [
        (
            "paul",
            "contribution.reject",
            {"status": "pending", "rejection_reason": "", "rejection_category": None},
            {"status": "rejected", "rejection_reason": "Hors sujet", "rejection_category": "off_topic"},
        )
    ]
    with session_scope(store_engine) as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.entity_type == "contribution")).all()) == 3
    run(store_engine, moderation.return_to_queue, contribution_ids=[ids[2]], actor="paul")
    assert row(store_engine, ids[2]).status == "pending"
    with pytest.raises(ValidationError):
        run(store_engine, moderation.publish, contribution_ids=[], actor="anne")


def test_a_rejection_needs_a_category_of_the_list_kept_audited_and_cleared_on_return_to_queue(
    store_engine: Engine,
) -> None:
    cid = add(store_engine, "Une contribution qui n'a rien à voir avec la conférence régionale.")
    for wrong in ("", "  ", "spam", "OFF_TOPIC", "Hors sujet pour la conférence"):
        with pytest.raises(ValidationError) as refused:
            run(store_engine, moderation.reject, contribution_ids=[cid], actor="anne", category=wrong, reason="Note")
        assert refused.value.errors == {"category": moderation.CATEGORY_REQUIRED}
    # Both fields wrong: both messages at once, nothing stored.
    with pytest.raises(ValidationError) as refused:
        run(store_engine, moderation.reject, contribution_ids=[cid], actor="anne", category="", reason="")
    assert set(refused.value.errors) == {"category", "reason"}
    stored = row(store_engine, cid)
    assert (stored.status, stored.rejection_category, stored.rejection_reason) == ("pending", None, "")

    assert run(
        store_engine, moderation.reject, contribution_ids=[cid], actor="anne", category=" abusive ", reason="Insulte X"
    )
    stored = row(store_engine, cid)
    assert (stored.status, stored.rejection_category, stored.rejection_reason) == ("rejected", "abusive", "Insulte X")
    assert run(store_engine, moderation.get_item, contribution_id=cid).rejection_category == "abusive"
    # Another category on a rejected one: a change, audited.
    run(store_engine, moderation.reject, contribution_ids=[cid], actor="paul", category="duplicate", reason="Insulte X")
    assert row(store_engine, cid).rejection_category == "duplicate"

    run(store_engine, moderation.return_to_queue, contribution_ids=[cid], actor="paul")
    stored = row(store_engine, cid)
    assert (stored.status, stored.rejection_category, stored.rejection_reason) == ("pending", None, "")
    history = run(store_engine, moderation.contribution_history, contribution_id=cid)
    assert [(h.action, h.before.get("rejection_category"), h.after.get("rejection_category")) for h in history] == [
        ("contribution.requeue", "duplicate", None),
        ("contribution.reject", "abusive", "duplicate"),
        ("contribution.reject", None, "abusive"),
    ]
    # Published afterwards: no category in the trail of a row that has none.
    run(store_engine, moderation.publish, contribution_ids=[cid], actor="paul")
    latest = run(store_engine, moderation.contribution_history, contribution_id=cid)[0]
    assert latest.action == "contribution.publish" and "rejection_category" not in latest.after


def test_a_failed_bulk_action_changes_nothing(sqlite_engine: Engine) -> None:
    cid = add(sqlite_engine, "Une contribution qui restera à modérer malgré l'erreur.")
    with pytest.raises(NotFoundError):  # the whole batch rolls back
        run(sqlite_engine, moderation.publish, contribution_ids=[cid, 999_999], actor="anne")
    assert row(sqlite_engine, cid).status == "pending"


def test_changing_the_theme_drops_an_orientation_of_the_former_theme(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        orientation = session.exec(select(Orientation).where(Orientation.theme_id == 1)).first()
        assert orientation is not None
        oid = orientation.id
    cid = add(sqlite_engine, "Je soutiens cette orientation, avec des moyens.", orientation_id=oid, stance="support")
    run(sqlite_engine, moderation.change_theme, contribution_ids=[cid], theme_id=3, actor="anne")
    moved = row(sqlite_engine, cid)
    assert (moved.theme_id, moved.orientation_id, moved.stance) == (3, None, None)
    history = run(sqlite_engine, moderation.contribution_history, contribution_id=cid)
    assert history[0].before == {"theme_id": 1, "orientation_id": oid, "stance": "support"}
    with pytest.raises(ValidationError):
        run(sqlite_engine, moderation.change_theme, contribution_ids=[cid], theme_id=99, actor="anne")


def test_tags_are_created_once_folded_and_audited(sqlite_engine: Engine) -> None:
    a = add(sqlite_engine, "Former les bénévoles à la gestion des associations.")
    b = add(sqlite_engine, "Former les dirigeants de coopératives au numérique.")
    labels = moderation.split_tags("Formation ; Numérique, formation")
    assert run(sqlite_engine, moderation.add_tags, contribution_ids=[a, b], labels=labels, actor="anne") == 4
    assert run(sqlite_engine, moderation.add_tags, contribution_ids=[a], labels=["formation"], actor="anne") == 0
    assert run(sqlite_engine, moderation.list_tags) == ["formation", "numérique"]
    assert run(sqlite_engine, moderation.get_item, contribution_id=a).tags == ("formation", "numérique")
    assert run(sqlite_engine, moderation.remove_tag, contribution_id=a, label="numérique", actor="anne")
    assert run(sqlite_engine, moderation.get_item, contribution_id=a).tags == ("formation",)
    actions = [h.after for h in run(sqlite_engine, moderation.contribution_history, contribution_id=a)]
    assert actions == [{"tags": ["formation"]}, {"tags": ["formation", "numérique"]}]
    with pytest.raises(ValidationError):
        run(sqlite_engine, moderation.add_tags, contribution_ids=[a], labels=[" "], actor="anne")


PERSONAL = (
    "Contactez M. Dupont au 06 12 34 56 78 ou par mail jean.dupont@exemple.fr, "
    "ou Madame Anne Martin au +33 2 40 00 00 00 : elles portent le projet."
)


def test_personal_data_is_flagged_and_masked() -> None:
    kinds = [(h.kind, h.text) for h in moderation.detect_personal_data(PERSONAL)]
    assert kinds == [
        ("name", "M. Dupont"),
        ("phone", "06 12 34 56 78"),
        ("email", "jean.dupont@exemple.fr"),
        ("name", "Madame Anne Martin"),
        ("phone", "+33 2 40 00 00 00"),
    ]
    masked = moderation.mask_personal_data(PERSONAL)
    assert "Dupont" not in masked and "06 12" not in masked and "@" not in masked and "Martin" not in masked
    assert masked.startswith("Contactez [nom masqué] au [téléphone masqué]")
    assert moderation.detect_personal_data("En 2016, 152 500 emplois dans l'ESS, 14 % de l'emploi privé.") == []


# Names of third parties without a civility, beside towns, organisations and capitals that start a sentence.
# Each text with the names that must be flagged, and nothing else.
NAMES_FIXTURE: list[tuple[str, list[str]]] = [
    ("Claire Dubois nous a aidés à monter la coopérative à Saint-Nazaire.", ["Claire Dubois"]),
    ("Bonjour, Jean-Pierre Le Goff anime le réseau à La Roche-sur-Yon.", ["Jean-Pierre Le Goff"]),
    (
        "Merci à Sophie MARTIN et à Mohamed Benali de France Active Pays de la Loire.",
        ["Sophie MARTIN", "Mohamed Benali"],
    ),
    ("Anne Marie Dupont, trésorière, peut témoigner.", ["Anne Marie Dupont"]),
    ("Nantes Métropole et Saint-Nazaire Agglomération financent les tiers-lieux.", []),
    ("La Roche-sur-Yon, Les Herbiers et Château-Gontier manquent de lieux.", []),
    ("Pôle Emploi, la CRESS et Familles Rurales doivent travailler ensemble.", []),
    ("Les Pays de la Loire comptent 152 500 emplois dans l'ESS. Nous voulons plus.", []),
    ("Au Mans, Le Mans Métropole soutient Emmaüs et les Restos du Cœur.", []),
    (
        "Développer l'ESS en Vendée : Marie-Claire Pineau connaît les acteurs de Sainte-Luce-sur-Loire.",
        ["Marie-Claire Pineau"],
    ),
]


def test_names_of_third_parties_are_flagged_without_a_civility_and_towns_are_not() -> None:
    found = [[h.text for h in moderation.detect_personal_data(text) if h.kind == "name"] for text, _ in NAMES_FIXTURE]
    expected = [names for _, names in NAMES_FIXTURE]
    assert found == expected
    assert "Claire Dubois" not in moderation.mask_personal_data(NAMES_FIXTURE[0][0])
    assert "Saint-Nazaire" in moderation.mask_personal_data(NAMES_FIXTURE[0][0])


def test_masking_keeps_the_text_as_typed_and_shows_the_masked_copy(sqlite_engine: Engine) -> None:
    cid = add(sqlite_engine, PERSONAL)
    item = run(sqlite_engine, moderation.get_item, contribution_id=cid)
    assert item.flags == ("name", "phone", "email") and not item.masked
    assert run(sqlite_engine, moderation.mask_automatically, contribution_ids=[cid], actor="anne") == 1
    item = run(sqlite_engine, moderation.get_item, contribution_id=cid)
    assert item.masked and "Dupont" not in item.text and item.body == PERSONAL
    run(sqlite_engine, moderation.set_masked_text, contribution_id=cid, masked_text="Contactez le porteur.", actor="a")
    assert row(sqlite_engine, cid).masked_body == "Contactez le porteur."
    run(sqlite_engine, moderation.set_masked_text, contribution_id=cid, masked_text=None, actor="a")
    assert row(sqlite_engine, cid).masked_body is None
    assert [h.action for h in run(sqlite_engine, moderation.contribution_history, contribution_id=cid)] == [
        "contribution.mask"
    ] * 3


def test_backlog_counts_every_theme(store_engine: Engine) -> None:
    a = add(store_engine, "Une première idée pour le thème de l'emploi.", theme_id=3)
    add(store_engine, "Une seconde idée pour le thème de l'emploi.", theme_id=3)
    run(
        store_engine,
        moderation.reject,
        contribution_ids=[a],
        actor="anne",
        category="duplicate",
        reason="Doublon exact",
    )
    backlog = {r.theme_id: (r.pending, r.published, r.rejected) for r in run(store_engine, moderation.backlog_by_theme)}
    assert len(backlog) == 5
    assert backlog[3] == (1, 0, 1) and backlog[1] == (0, 0, 0)
