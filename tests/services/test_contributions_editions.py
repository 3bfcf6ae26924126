"""Two editions in one store, with overlapping codes (stand S01, orientation T1-O1): contributions, moderation,
grouping, drafting, the published reads and privacy each see only the edition asked, and an id of the other
edition behaves as if it did not exist. An archived edition refuses every change, with the French message."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.engine import session_scope
from models import Contribution, Edition, EditionStatus, Orientation, Participant, Stand, Theme, utcnow
from services import contributions, demo, drafting, grouping, moderation, privacy, similar
from services.codes import device_token
from services.contributions import ContributionDraft
from services.errors import NotFoundError, ValidationError
from services.moderation import QueueFilter
from services.permissions import CONSOLE_ACTOR
from services.scope import ARCHIVED, NOT_OPEN
from tests.editions import FIRST_EDITION_ID, load_second_edition

STAFF = CONSOLE_ACTOR
A = FIRST_EDITION_ID
# The same idea, reworded, twice in each edition: grouping finds a pair in each, never one across.
GUICHET = [
    "Créer un guichet unique pour les aides régionales aux associations de l'ESS.",
    "Creer un guichet unique pour les aides regionales aux associations de l'ESS",
]


@pytest.fixture
def b(sqlite_engine: Engine) -> int:
    """The second edition's id (Centre-Val de Loire 2022) in this test's store."""
    with session_scope(sqlite_engine, write=True) as session:
        return load_second_edition(session)


def run(engine: Engine, fn: Any, **kw: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kw)


def first_theme(session: Session, edition_id: int) -> int:
    theme_id = session.exec(
        select(Theme.id).where(Theme.edition_id == edition_id).order_by(col(Theme.position))
    ).first()
    assert theme_id is not None
    return theme_id


def orientation(session: Session, edition_id: int, code: str) -> Orientation:
    return session.exec(select(Orientation).where(Orientation.edition_id == edition_id, Orientation.code == code)).one()


def stand(session: Session, edition_id: int, code: str) -> Stand:
    return session.exec(select(Stand).where(Stand.edition_id == edition_id, Stand.code == code)).one()


def add(engine: Engine, edition_id: int, body: str, **kw: Any) -> contributions.Receipt:
    with session_scope(engine, write=True) as session:
        values: dict[str, Any] = {
            "theme_id": first_theme(session, edition_id),
            "body": body,
            "idempotency_key": uuid.uuid4().hex,
        }
        values.update(kw)
        return contributions.submit_contribution(
            session=session, draft=ContributionDraft(**values), edition_id=edition_id
        )


def archive(engine: Engine, edition_id: int, status: str = EditionStatus.ARCHIVED.value) -> None:
    with session_scope(engine, write=True) as session:
        row = session.get(Edition, edition_id)
        assert row is not None
        row.status = status
        session.add(row)


# --- submitting ----------------------------------------------------------------------------------------------


def test_a_contribution_names_only_its_own_editions_theme_orientation_stand_and_departement(
    sqlite_engine: Engine, b: int
) -> None:
    with session_scope(sqlite_engine) as session:
        theme_a, theme_b = first_theme(session, A), first_theme(session, b)
        t1o1_a, t1o1_b = orientation(session, A, "T1-O1").id, orientation(session, b, "T1-O1").id
        s01_a, s01_b = stand(session, A, "S01").id, stand(session, b, "S01").id
    assert t1o1_a != t1o1_b and s01_a != s01_b  # same codes, different rows
    body = "Un guichet unique pour les aides aux petites associations de l'ESS."
    ok = add(sqlite_engine, b, body, theme_id=theme_b, orientation_id=t1o1_b, stance="support", stand_id=s01_b)
    with session_scope(sqlite_engine) as session:
        row = session.get(Contribution, ok.contribution_id)
        assert row is not None and (row.theme_id, row.orientation_id, row.stand_id) == (theme_b, t1o1_b, s01_b)

    cases: list[tuple[int, dict[str, Any], str]] = [
        (A, {"theme_id": theme_b}, "theme_id"),
        (b, {"theme_id": theme_a}, "theme_id"),
        (A, {"theme_id": theme_a, "orientation_id": t1o1_b, "stance": "support"}, "orientation_id"),
        (A, {"theme_id": theme_a, "stand_id": s01_b}, "stand_id"),
        (b, {"theme_id": theme_b, "stand_id": s01_a}, "stand_id"),
        (A, {"theme_id": theme_a, "departement": "18"}, "departement"),  # Cher: Centre-Val de Loire
        (b, {"theme_id": theme_b, "departement": "44"}, "departement"),  # Loire-Atlantique: Pays de la Loire
    ]
    for edition_id, overrides, field in cases:
        with pytest.raises(ValidationError) as caught:
            add(sqlite_engine, edition_id, body, **overrides)
        assert field in caught.value.errors, (edition_id, overrides)
    with pytest.raises(ValidationError) as caught:
        add(sqlite_engine, A, body, theme_id=theme_b)
    assert caught.value.errors["theme_id"] == "Choisissez l'une des thématiques de la conférence."
    # Each Région's own départements, and « hors région », are accepted.
    add(sqlite_engine, A, body + " (44)", departement="44")
    add(sqlite_engine, b, body + " (18)", departement="18")
    add(sqlite_engine, b, body + " (hors)", departement="HORS")


def test_a_stand_code_opens_the_stand_of_the_edition_asked(sqlite_engine: Engine, b: int) -> None:
    found_a = run(sqlite_engine, contributions.find_open_stand, code="s01", edition_id=A)
    found_b = run(sqlite_engine, contributions.find_open_stand, code="S01", edition_id=b)
    assert found_a is not None and found_b is not None
    assert found_a.id != found_b.id and found_a.name != found_b.name
    with session_scope(sqlite_engine) as session:
        assert found_b.theme_id in {t for t in session.exec(select(Theme.id).where(Theme.edition_id == b)).all()}


def test_a_phone_and_its_supports_stay_in_their_edition(sqlite_engine: Engine, b: int) -> None:
    author, neighbour = device_token(), device_token()
    with session_scope(sqlite_engine, write=True) as session:
        draft_b = ContributionDraft(theme_id=first_theme(session, b), body=GUICHET[0], idempotency_key=uuid.uuid4().hex)
        mine_b = contributions.submit_from_device(session=session, device_token=author, draft=draft_b, edition_id=b)
        participant = session.exec(select(Participant).where(Participant.device_token == author)).one()
        assert participant.edition_id == b
    add(sqlite_engine, A, GUICHET[1], status="published")
    run(sqlite_engine, moderation.publish, contribution_ids=[mine_b.contribution_id], actor=STAFF, edition_id=b)

    def mine(edition_id: int) -> list[int]:
        rows = run(sqlite_engine, contributions.list_device_contributions, device_token=author, edition_id=edition_id)
        return [r.contribution_id for r in rows]

    assert mine(b) == [mine_b.contribution_id] and mine(A) == []
    # Supporting: the other edition's contribution is not offered, this one's is.
    with pytest.raises(NotFoundError):
        run(
            sqlite_engine,
            contributions.support_contribution,
            device_token=neighbour,
            contribution_id=mine_b.contribution_id,
            edition_id=A,
        )
    done = run(
        sqlite_engine,
        contributions.support_contribution,
        device_token=neighbour,
        contribution_id=mine_b.contribution_id,
        edition_id=b,
    )
    assert done.new and done.supports == 1
    backed = run(sqlite_engine, contributions.list_device_supports, device_token=neighbour, edition_id=b)
    assert [s.contribution_id for s in backed] == [mine_b.contribution_id]
    assert run(sqlite_engine, contributions.list_device_supports, device_token=neighbour, edition_id=A) == []


def test_similar_ideas_and_counts_come_from_the_edition_asked(sqlite_engine: Engine, b: int) -> None:
    in_a = add(sqlite_engine, A, GUICHET[0], status="published")
    in_b = add(sqlite_engine, b, GUICHET[1], status="published")
    add(sqlite_engine, b, "Une troisième idée, rejetée, sur les achats publics.", status="rejected")
    with session_scope(sqlite_engine) as session:
        theme_a, theme_b = first_theme(session, A), first_theme(session, b)
    query = "Un guichet unique des aides régionales pour les associations"
    for edition_id, theme_id, expected in ((A, theme_a, in_a), (b, theme_b, in_b)):
        found = run(
            sqlite_engine, similar.find_similar_contributions, theme_id=theme_id, text=query, edition_id=edition_id
        )
        assert [f.contribution_id for f in found] == [expected.contribution_id]
    # A theme of the other edition: nothing, not the other edition's ideas.
    assert run(sqlite_engine, similar.find_similar_contributions, theme_id=theme_b, text=query, edition_id=A) == []
    assert run(sqlite_engine, contributions.count_contributions, edition_id=A) == 1
    assert run(sqlite_engine, contributions.count_contributions, edition_id=b) == 1


def test_staff_entries_and_batches_are_scoped_and_a_foreign_key_is_not_answered(sqlite_engine: Engine, b: int) -> None:
    first = add(sqlite_engine, A, GUICHET[0], entered_by="alice", idempotency_key="cle-partagee-0001")
    add(sqlite_engine, b, GUICHET[1], entered_by="alice")
    entries_a = run(sqlite_engine, contributions.list_entries_by, entered_by="alice", edition_id=A)
    entries_b = run(sqlite_engine, contributions.list_entries_by, entered_by="alice", edition_id=b)
    assert [e.receipt_code for e in entries_a] == [first.receipt_code]
    assert len(entries_b) == 1 and entries_b[0].receipt_code != first.receipt_code
    # The same idempotency key sent to the other edition never answers with this edition's receipt.
    with pytest.raises(ValidationError) as caught:
        add(sqlite_engine, b, GUICHET[0], idempotency_key="cle-partagee-0001")
    assert "idempotency_key" in caught.value.errors
    with session_scope(sqlite_engine, write=True) as session:
        theme_b = first_theme(session, b)
        items = contributions.submit_batch(
            session=session,
            drafts=[
                ContributionDraft(theme_id=theme_b, body=GUICHET[0], idempotency_key="cle-partagee-0001"),
                ContributionDraft(theme_id=theme_b, body=GUICHET[1] + " !", idempotency_key="cle-nouvelle-0002"),
            ],
            edition_id=b,
        )
    assert items[0].receipt is None and "idempotency_key" in items[0].errors
    assert items[1].receipt is not None and not items[1].receipt.duplicate


# --- moderation ------------------------------------------------------------------------------------------------


def test_the_moderation_queue_backlog_and_actions_see_only_the_edition_asked(sqlite_engine: Engine, b: int) -> None:
    in_a = add(sqlite_engine, A, GUICHET[0]).contribution_id
    in_b = add(sqlite_engine, b, GUICHET[1]).contribution_id
    queue_a = run(sqlite_engine, moderation.list_queue, edition_id=A)
    queue_b = run(sqlite_engine, moderation.list_queue, edition_id=b)
    assert [i.contribution_id for i in queue_a] == [in_a]
    assert [i.contribution_id for i in queue_b] == [in_b]
    # A filter naming the other edition's theme finds nothing rather than the other edition's rows.
    with session_scope(sqlite_engine) as session:
        theme_b = first_theme(session, b)
    assert run(sqlite_engine, moderation.list_queue, filters=QueueFilter(theme_id=theme_b), edition_id=A) == []

    backlog_a = run(sqlite_engine, moderation.backlog_by_theme, edition_id=A)
    backlog_b = run(sqlite_engine, moderation.backlog_by_theme, edition_id=b)
    assert (len(backlog_a), len(backlog_b)) == (5, 4)
    assert sum(r.pending for r in backlog_a) == 1 and sum(r.pending for r in backlog_b) == 1

    for fn, kw in (
        (moderation.publish, {}),
        (moderation.reject, {"category": "off_topic", "reason": "Hors sujet"}),
        (moderation.return_to_queue, {}),
        (moderation.mask_automatically, {}),
        (moderation.add_tags, {"labels": ["emploi"]}),
        (moderation.change_theme, {"theme_id": backlog_a[1].theme_id}),
    ):
        with pytest.raises(NotFoundError):
            run(sqlite_engine, fn, contribution_ids=[in_b], actor=STAFF, edition_id=A, **kw)
    for read in (moderation.get_item, moderation.contribution_history, drafting.contribution_orientations):
        with pytest.raises(NotFoundError):
            run(sqlite_engine, read, contribution_id=in_b, edition_id=A)
    with pytest.raises(NotFoundError):
        run(sqlite_engine, moderation.set_masked_text, contribution_id=in_b, masked_text="x", actor=STAFF, edition_id=A)
    with pytest.raises(ValidationError) as caught:
        run(
            sqlite_engine, moderation.change_theme, contribution_ids=[in_a], theme_id=theme_b, actor=STAFF, edition_id=A
        )
    assert caught.value.errors["theme_id"] == "Choisissez l'une des thématiques de la conférence."
    with session_scope(sqlite_engine) as session:
        row = session.get(Contribution, in_b)
        assert row is not None and row.status == "pending" and row.masked_body is None

    run(sqlite_engine, moderation.add_tags, contribution_ids=[in_b], labels=["financement"], actor=STAFF, edition_id=b)
    assert run(sqlite_engine, moderation.list_tags, edition_id=b) == ["financement"]
    assert run(sqlite_engine, moderation.list_tags, edition_id=A) == []


# --- grouping and drafting -------------------------------------------------------------------------------------


def test_grouping_proposes_within_each_edition_and_never_across(sqlite_engine: Engine, b: int) -> None:
    ids_a = [add(sqlite_engine, A, text).contribution_id for text in GUICHET]
    receipts_b = [add(sqlite_engine, b, text) for text in GUICHET]
    ids_b = [r.contribution_id for r in receipts_b]
    with session_scope(sqlite_engine) as session:
        theme_a, theme_b = first_theme(session, A), first_theme(session, b)
    with pytest.raises(ValidationError):
        run(sqlite_engine, grouping.propose_groups, theme_id=theme_b, actor=STAFF, edition_id=A)
    assert run(sqlite_engine, grouping.propose_groups, theme_id=theme_a, actor=STAFF, edition_id=A) == 1
    assert run(sqlite_engine, grouping.propose_groups, theme_id=theme_b, actor=STAFF, edition_id=b) == 1
    groups_a = run(sqlite_engine, grouping.list_groups, edition_id=A)
    groups_b = run(sqlite_engine, grouping.list_groups, edition_id=b)
    assert [sorted(m.contribution_id for m in g.members) for g in groups_a] == [sorted(ids_a)]
    assert [sorted(m.contribution_id for m in g.members) for g in groups_b] == [sorted(ids_b)]
    assert run(sqlite_engine, grouping.list_groups, theme_id=theme_a, edition_id=b) == []

    group_a, group_b = groups_a[0].id, groups_b[0].id
    for fn in (grouping.confirm_group, grouping.refuse_group, grouping.undo_last_edit):
        with pytest.raises(NotFoundError):
            run(sqlite_engine, fn, group_id=group_b, actor=STAFF, edition_id=A)
    with pytest.raises(NotFoundError):
        run(sqlite_engine, grouping.group_history, group_id=group_b, edition_id=A)
    # A receipt code of the other edition is unknown here.
    with pytest.raises(ValidationError) as caught:
        run(
            sqlite_engine,
            grouping.edit_group,
            group_id=group_a,
            actor=STAFF,
            add_receipt_codes=[receipts_b[0].receipt_code],
            edition_id=A,
        )
    assert "Code de reçu inconnu" in caught.value.errors["add"]
    confirmed = run(sqlite_engine, grouping.confirm_group, group_id=group_b, actor=STAFF, edition_id=b)
    assert confirmed.status == "confirmed"


def test_drafting_reads_and_writes_only_the_editions_orientations(sqlite_engine: Engine, b: int) -> None:
    in_a = add(sqlite_engine, A, GUICHET[0]).contribution_id
    in_b = add(sqlite_engine, b, GUICHET[1]).contribution_id
    with session_scope(sqlite_engine) as session:
        theme_a, theme_b = first_theme(session, A), first_theme(session, b)
        t1o1_a, t1o1_b = orientation(session, A, "T1-O1").id, orientation(session, b, "T1-O1").id
    assert t1o1_a is not None and t1o1_b is not None
    codes_a = [o.code for o in run(sqlite_engine, drafting.list_draft_orientations, theme_id=theme_a, edition_id=A)]
    assert "T1-O1" in codes_a
    assert run(sqlite_engine, drafting.list_draft_orientations, theme_id=theme_a, edition_id=b) == []
    assert run(sqlite_engine, drafting.theme_contributions, theme_id=theme_b, edition_id=A) == []
    assert [
        c.contribution_id for c in run(sqlite_engine, drafting.theme_contributions, theme_id=theme_b, edition_id=b)
    ] == [in_b]
    for fn, kw in (
        (drafting.get_orientation, {}),
        (drafting.list_versions, {}),
        (drafting.list_comments, {}),
        (drafting.orientation_sources, {}),
        (drafting.add_comment, {"body": "Une note", "actor": STAFF}),
        (drafting.move_orientation, {"offset": 1, "actor": STAFF}),
        (drafting.edit_orientation, {"title": "Un autre titre", "body": "", "status": "proposed", "actor": STAFF}),
    ):
        with pytest.raises(NotFoundError):
            run(sqlite_engine, fn, orientation_id=t1o1_b, edition_id=A, **kw)
    # Linking: the other edition's contribution does not exist here.
    with pytest.raises(NotFoundError):
        run(
            sqlite_engine,
            drafting.link_sources,
            orientation_id=t1o1_a,
            contribution_ids=[in_b],
            actor=STAFF,
            edition_id=A,
        )
    assert (
        run(
            sqlite_engine,
            drafting.link_sources,
            orientation_id=t1o1_a,
            contribution_ids=[in_a],
            actor=STAFF,
            edition_id=A,
        )
        == 1
    )
    sources = run(sqlite_engine, drafting.orientation_sources_many, orientation_ids=[t1o1_a, t1o1_b], edition_id=A)
    assert [r.contribution_id for r in sources[t1o1_a]] == [in_a] and sources[t1o1_b] == []

    # New orientations: codes unique within an edition, the same code free in the other one.
    added_a = run(
        sqlite_engine,
        drafting.add_orientation,
        theme_id=theme_a,
        title="Une orientation nouvelle",
        body="",
        actor=STAFF,
        edition_id=A,
    )
    added_b = run(
        sqlite_engine,
        drafting.add_orientation,
        theme_id=theme_b,
        title="Une orientation nouvelle",
        body="",
        actor=STAFF,
        edition_id=b,
    )
    with session_scope(sqlite_engine) as session:
        row_b = session.get(Orientation, added_b.id)
        assert row_b is not None and row_b.edition_id == b
    assert added_a.code != "" and added_b.code != ""
    with pytest.raises(ValidationError) as caught:
        run(
            sqlite_engine,
            drafting.add_orientation,
            theme_id=theme_b,
            title="Une orientation nouvelle",
            body="",
            actor=STAFF,
            edition_id=A,
        )
    assert caught.value.errors["theme_id"] == "Choisissez l'une des thématiques de la conférence."


# --- archived and closed editions ------------------------------------------------------------------------------


def test_an_archived_edition_refuses_contributions_and_every_staff_change(sqlite_engine: Engine, b: int) -> None:
    pending = add(sqlite_engine, b, GUICHET[0]).contribution_id
    add(sqlite_engine, b, GUICHET[1])
    with session_scope(sqlite_engine) as session:
        theme_b = first_theme(session, b)
        t1o1_b = orientation(session, b, "T1-O1").id
    archive(sqlite_engine, b)

    def refused(fn: Any, **kw: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            run(sqlite_engine, fn, edition_id=b, **kw)
        assert caught.value.errors == {"edition": ARCHIVED}, fn

    draft = ContributionDraft(theme_id=theme_b, body=GUICHET[0] + " Encore.", idempotency_key=uuid.uuid4().hex)
    refused(contributions.submit_from_device, device_token=device_token(), draft=draft)
    refused(contributions.submit_contribution, draft=draft)
    refused(contributions.submit_batch, drafts=[draft])
    refused(moderation.publish, contribution_ids=[pending], actor=STAFF)
    refused(moderation.reject, contribution_ids=[pending], actor=STAFF, category="off_topic", reason="Hors sujet")
    refused(moderation.add_tags, contribution_ids=[pending], labels=["emploi"], actor=STAFF)
    refused(grouping.propose_groups, theme_id=theme_b, actor=STAFF)
    refused(drafting.add_orientation, theme_id=theme_b, title="Une orientation nouvelle", body="", actor=STAFF)
    refused(
        drafting.edit_orientation,
        orientation_id=t1o1_b,
        title="Un titre changé",
        body="",
        status="proposed",
        actor=STAFF,
    )
    refused(drafting.add_comment, orientation_id=t1o1_b, body="Une note", actor=STAFF)
    refused(drafting.link_sources, orientation_id=t1o1_b, contribution_ids=[pending], actor=STAFF)
    refused(demo.seed_demo)
    # Reading stays possible; the other edition is untouched.
    assert run(sqlite_engine, moderation.list_queue, edition_id=b)[0].contribution_id == pending
    add(sqlite_engine, A, GUICHET[0])


def test_a_support_needs_an_open_edition(sqlite_engine: Engine, b: int) -> None:
    published = add(sqlite_engine, b, GUICHET[0], status="published").contribution_id
    archive(sqlite_engine, b, EditionStatus.DRAFT.value)
    with pytest.raises(ValidationError) as caught:
        run(
            sqlite_engine,
            contributions.support_contribution,
            device_token=device_token(),
            contribution_id=published,
            edition_id=b,
        )
    assert caught.value.errors == {"edition": NOT_OPEN}
    # Staff may still prepare a draft edition.
    add(sqlite_engine, b, GUICHET[1])


# --- privacy, retention, demo ----------------------------------------------------------------------------------


def test_a_receipt_code_is_answered_whatever_the_edition_even_archived(sqlite_engine: Engine, b: int) -> None:
    receipt = add(sqlite_engine, b, GUICHET[0], author_name="Camille Berger", display_mode="name")
    archive(sqlite_engine, b)
    data = run(sqlite_engine, privacy.find_personal_data, code=receipt.receipt_code, actor=STAFF)
    assert [c.contribution_id for c in data.contributions] == [receipt.contribution_id]
    assert "Centre-Val de Loire" in data.contributions[0].edition and "24/11/2022" in data.contributions[0].edition
    report = run(sqlite_engine, privacy.erase_personal_data, code=receipt.receipt_code, actor=STAFF)
    assert report.contributions == 1
    with session_scope(sqlite_engine) as session:
        row = session.get(Contribution, receipt.contribution_id)
        assert row is not None and row.author_name == ""


def test_the_retention_purge_follows_each_editions_own_duration(sqlite_engine: Engine, b: int) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        for edition_id, months in ((A, 24), (b, 3)):
            row = session.get(Edition, edition_id)
            assert row is not None
            row.retention_months = months
            session.add(row)
    old = utcnow() - timedelta(days=120)  # older than 3 months, younger than 24
    in_a = add(sqlite_engine, A, GUICHET[0], author_name="Ancien Nom", display_mode="name", created_at=old)
    in_b = add(sqlite_engine, b, GUICHET[1], author_name="Ancien Nom", display_mode="name", created_at=old)
    dry = run(sqlite_engine, privacy.purge_every_edition, actor=STAFF, dry_run=True)
    assert dry.contributions == 1
    only_a = run(sqlite_engine, privacy.purge_personal_data, actor=STAFF, edition_id=A)
    assert only_a.contributions == 0
    done = run(sqlite_engine, privacy.purge_every_edition, actor=STAFF)
    assert done.contributions == 1
    with session_scope(sqlite_engine) as session:
        kept, erased = session.get(Contribution, in_a.contribution_id), session.get(Contribution, in_b.contribution_id)
        assert kept is not None and kept.author_name == "Ancien Nom"
        assert erased is not None and erased.author_name == ""


@pytest.mark.slow  # a whole demo day seeded per edition
def test_demo_data_is_seeded_and_removed_per_edition_on_its_own_day(sqlite_engine: Engine, b: int) -> None:
    report_b = run(sqlite_engine, demo.seed_demo, edition_id=b, participants=10)
    assert report_b.contributions > 0
    with session_scope(sqlite_engine) as session:
        theme_ids_b = set(session.exec(select(Theme.id).where(Theme.edition_id == b)).all())
        rows = session.exec(select(Contribution).where(col(Contribution.is_demo))).all()
        assert rows and all(r.theme_id in theme_ids_b for r in rows)
        # Conference contributions fall on the edition's own day (24/11/2022), workshops weeks before.
        days = {r.created_at.date().isoformat() for r in rows if r.source == "conference"}
        assert days <= {"2022-11-24", "2022-11-23"}
        # The Région's départements (or none), never another Région's.
        assert {r.departement for r in rows} <= {None, "HORS", "18", "28", "36", "37", "41", "45"}
    assert run(sqlite_engine, demo.seed_demo, edition_id=b).contributions == 0  # already there
    report_a = run(sqlite_engine, demo.seed_demo, edition_id=A, participants=10)
    assert report_a.contributions > 0
    removed = run(sqlite_engine, demo.remove_demo, edition_id=b)
    assert removed["contributions"] == report_b.contributions
    assert run(sqlite_engine, contributions.count_contributions, edition_id=A) > 0
    assert run(sqlite_engine, contributions.count_contributions, edition_id=b) == 0
