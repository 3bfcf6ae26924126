"""« Qu'est devenue ma contribution ? »: the journey's steps, the throttle on receipt codes, what is never shown."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from db.engine import session_scope
from models import Contribution, ContributionGroup, ContributionGroupMember, Theme, utcnow
from services import auth, drafting, grouping, moderation, publication, throttle
from services.code_guesses import ORIGIN_SCOPE, OVERALL_SCOPE, SESSION_SCOPE, THROTTLED
from services.codes import device_token
from services.contributions import ContributionDraft, followup, submit_contribution, submit_from_device
from services.labels import REJECTION_CATEGORY_LABELS
from services.permissions import CONSOLE_ACTOR
from services.privacy import lookup as privacy_lookup

STAFF = "test-staff"
ORIGIN = throttle.Origin(key="origin-de-test")
SECRET_NOTE = "Note interne : doublon de Mme Berthe Quenouille"
MINE = "Créer une monnaie locale complémentaire pour les commerces de l'économie sociale du territoire."
OTHER = "Une monnaie locale complémentaire pour les commerces ESS, avec le 06 12 34 56 78 de Paul Martin."


def run(engine: Engine, fn: Any, **kw: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kw)


def send(engine: Engine, body: str = MINE, token: str | None = None) -> Any:
    draft = ContributionDraft(theme_id=4, body=body, idempotency_key=uuid.uuid4().hex)
    if token:
        return run(engine, submit_from_device, device_token=token, draft=draft)
    return run(engine, submit_contribution, draft=draft)


def follow(engine: Engine, code: str, session_key: str = "session-a", origin: throttle.Origin = ORIGIN) -> Any:
    return run(engine, followup.follow_by_code, code=code, session_key=session_key, origin=origin)


def staff(engine: Engine) -> None:
    run(engine, auth.create_user, username=STAFF, password="mot-de-passe-du-test", role="staff", actor=CONSOLE_ACTOR)


def group_of(engine: Engine, ids: list[int], representative: str) -> int:
    """A proposed group of these contributions (as the grouping proposal stores it), confirmed by staff."""
    with session_scope(engine, write=True) as session:
        group = ContributionGroup(theme_id=4, representative_text=representative, created_by=STAFF)
        session.add(group)
        session.flush()
        gid = group.id or 0
        session.add_all(ContributionGroupMember(group_id=gid, contribution_id=cid) for cid in ids)
    run(engine, grouping.confirm_group, group_id=gid, actor=STAFF)
    return gid


def keys(journey: followup.Journey) -> list[str]:
    return [s.key for s in journey.steps]


def test_a_new_contribution_is_received_and_waits_for_moderation(store_engine: Engine) -> None:
    receipt = send(store_engine)
    journey = follow(store_engine, receipt.receipt_code.lower().replace("-", " "))
    assert journey.receipt_code == receipt.receipt_code
    assert keys(journey) == ["received", "moderation"]
    assert re.fullmatch(r"Reçue le \d\d/\d\d/\d{4} à \d\d:\d\d", journey.steps[0].title)
    assert journey.steps[1].state == followup.WAITING and journey.steps[1].title == "En attente de modération"
    assert journey.text == MINE


def test_published_then_grouped_then_feeding_an_orientation(store_engine: Engine) -> None:
    staff(store_engine)
    mine, other = send(store_engine), send(store_engine, OTHER)
    run(store_engine, moderation.publish, contribution_ids=[mine.contribution_id], actor=STAFF)
    journey = follow(store_engine, mine.receipt_code)
    assert journey.steps[1].state == followup.DONE and journey.steps[1].title.startswith("Publiée le ")

    # The group's text is staff's: a member's text as typed is shown only as it was published (masked).
    group_of(store_engine, [mine.contribution_id, other.contribution_id], representative=OTHER)
    run(store_engine, moderation.mask_automatically, contribution_ids=[other.contribution_id], actor=STAFF)
    grouped = follow(store_engine, mine.receipt_code).steps[2]
    assert grouped.key == "grouped" and grouped.title.startswith("Regroupée avec 1 autre contribution proche")
    assert grouped.quote == "", "the other member is not published: its text stays hidden"
    run(store_engine, moderation.publish, contribution_ids=[other.contribution_id], actor=STAFF)
    grouped = follow(store_engine, mine.receipt_code).steps[2]
    assert "06 12 34 56 78" not in grouped.quote and "monnaie locale" in grouped.quote
    assert "2 contributions" in grouped.detail

    orientation = run(store_engine, drafting.list_draft_orientations, theme_id=4)[0]
    run(
        store_engine,
        drafting.link_sources,
        orientation_id=orientation.id,
        actor=STAFF,
        contribution_ids=[mine.contribution_id],
    )
    fed = follow(store_engine, mine.receipt_code).steps[-1]
    assert fed.key == "orientation" and fed.title == f"A nourri l'orientation {orientation.code}"
    assert fed.quote == orientation.title
    assert keys(follow(store_engine, mine.receipt_code)) == ["received", "moderation", "grouped", "orientation"]


def test_an_orientation_fed_through_the_group_only(sqlite_engine: Engine) -> None:
    staff(sqlite_engine)
    mine, other = send(sqlite_engine), send(sqlite_engine, OTHER)
    gid = group_of(sqlite_engine, [mine.contribution_id, other.contribution_id], representative="Une monnaie locale.")
    orientation = run(sqlite_engine, drafting.list_draft_orientations, theme_id=4)[0]
    run(sqlite_engine, drafting.link_sources, orientation_id=orientation.id, actor=STAFF, group_ids=[gid])
    journey = follow(sqlite_engine, mine.receipt_code)
    assert journey.steps[-1].title == f"A nourri l'orientation {orientation.code}"
    assert "Son groupe" in journey.steps[-1].detail
    assert journey.steps[2].quote == "Une monnaie locale."


def test_a_rejected_contribution_shows_the_category_never_staff_s_note(store_engine: Engine) -> None:
    staff(store_engine)
    receipt = send(store_engine)
    run(
        store_engine,
        moderation.reject,
        contribution_ids=[receipt.contribution_id],
        actor=STAFF,
        category="advertising",
        reason=SECRET_NOTE,
    )
    journey = follow(store_engine, receipt.receipt_code)
    step = journey.steps[1]
    assert step.state == followup.REFUSED and step.title == "Non publiée"
    assert step.detail.startswith(f"Motif : {REJECTION_CATEGORY_LABELS['advertising']}.")
    assert "charte de participation" in step.detail
    every = repr(journey)
    assert "Quenouille" not in every and "doublon" not in every and STAFF not in every
    assert keys(journey) == ["received", "moderation"]
    # The person's own data file names the category too, never the note.
    with session_scope(store_engine) as session:
        data = privacy_lookup.personal_data_json(privacy_lookup.collect_personal_data(session, receipt.receipt_code))
    assert REJECTION_CATEGORY_LABELS["advertising"] in data.decode()
    assert b"Quenouille" not in data and b"rejection_reason" not in data


def test_a_contribution_rejected_before_categories_existed_gets_the_charter_wording(store_engine: Engine) -> None:
    staff(store_engine)
    receipt = send(store_engine)
    run(
        store_engine,
        moderation.reject,
        contribution_ids=[receipt.contribution_id],
        actor=STAFF,
        category="other",
        reason=SECRET_NOTE,
    )
    with session_scope(store_engine, write=True) as session:  # as a row rejected before migration 0014
        row = session.get(Contribution, receipt.contribution_id)
        assert row is not None
        row.rejection_category = None
        session.add(row)
    step = follow(store_engine, receipt.receipt_code).steps[1]
    assert step.detail == followup.CHARTER_WORDING and "Motif :" not in step.detail
    assert "Quenouille" not in repr(step)


def test_once_the_strategy_is_published_the_journey_ends_on_its_paragraph(store_engine: Engine) -> None:
    staff(store_engine)
    mine = send(store_engine)
    run(store_engine, moderation.publish, contribution_ids=[mine.contribution_id], actor=STAFF)
    orientation = run(store_engine, drafting.list_draft_orientations, theme_id=4)[0]
    run(
        store_engine,
        drafting.link_sources,
        orientation_id=orientation.id,
        actor=STAFF,
        contribution_ids=[mine.contribution_id],
    )
    with session_scope(store_engine) as session:
        theme = session.get(Theme, 4)
        assert theme is not None
        edition_id = theme.edition_id
    # Results public, strategy not yet: the journey stops at the orientation.
    run(store_engine, publication.publish_results, actor=STAFF, edition_id=edition_id)
    assert keys(follow(store_engine, mine.receipt_code))[-1] == "orientation"

    run(store_engine, publication.publish_strategy, actor=STAFF, edition_id=edition_id)
    cited = follow(store_engine, mine.receipt_code).steps[-1]
    assert cited.key == "strategy" and cited.state == followup.DONE
    assert cited.title == f"Citée dans la stratégie publiée : orientation {orientation.code}"
    assert re.search(r"publiée le \d\d/\d\d/\d{4} à \d\d:\d\d", cited.detail)
    assert cited.quote.startswith(orientation.title) and orientation.body in cited.quote

    # Withdrawn by staff: the paragraph goes with it.
    run(store_engine, publication.unpublish_strategy, actor=STAFF, edition_id=edition_id)
    assert "strategy" not in keys(follow(store_engine, mine.receipt_code))


def test_unknown_codes_are_counted_and_then_throttled_without_telling_which_exist(store_engine: Engine) -> None:
    receipt = send(store_engine)
    assert follow(store_engine, "") is None  # nothing typed: not a guess
    for _ in range(throttle.RESTORE_PER_SESSION[0].max_events):
        assert follow(store_engine, "AAAA-AAAA") is None
    # The window is full: even a real code gets the same message as a made-up one.
    for code in ("AAAA-AAAA", receipt.receipt_code):
        with pytest.raises(throttle.Throttled) as caught:
            follow(store_engine, code)
        assert caught.value.message.startswith(THROTTLED.split("{")[0])
    # Another session of the same address is not held by this one's failures; its address's window counts them.
    assert follow(store_engine, receipt.receipt_code, session_key="session-b") is not None
    with session_scope(store_engine) as session:
        counts = {
            scope: throttle.wait_seconds(session=session, scope=scope, key=key, windows=(throttle.Window(5, 600),))
            for scope, key in ((SESSION_SCOPE, "session-a"), (ORIGIN_SCOPE, ORIGIN.key), (OVERALL_SCOPE, "all"))
        }
    assert all(wait is not None for wait in counts.values())
    # Once the window has passed, codes are looked up again.
    later = utcnow() + timedelta(seconds=601)
    journey = run(
        store_engine,
        followup.follow_by_code,
        code=receipt.receipt_code,
        session_key="session-a",
        origin=ORIGIN,
        now=later,
    )
    assert journey is not None


def test_from_my_contributions_only_the_phone_s_own(sqlite_engine: Engine) -> None:
    token = device_token()
    mine = send(sqlite_engine, token=token)
    stranger = send(sqlite_engine, OTHER, token=device_token())
    own = run(sqlite_engine, followup.own_journey, device_token=token, contribution_id=mine.contribution_id)
    assert own is not None and own.receipt_code == mine.receipt_code
    assert (
        run(sqlite_engine, followup.own_journey, device_token=token, contribution_id=stranger.contribution_id) is None
    )
