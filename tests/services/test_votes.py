"""The adequacy check on the server: one stance per device and orientation, changes, the closed vote, paper
ballots, and rollups that always equal a count of the stored stances (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from db.engine import session_scope
from models import Contribution, OrientationVote, PaperBallot, Participant, VoteTally, VoteTallyTime
from services import throttle, verdict, votes
from services.codes import device_token
from services.errors import NotFoundError, PermissionDenied, ValidationError
from services.permissions import CONSOLE_ACTOR
from services.votes import PaperLine
from tests.editions import load_second_edition

AGREE, RESERVATIONS, DISAGREE, SKIP = "agree", "reservations", "disagree", "skip"


def ballot(engine: Engine, edition_id: int | None = None, theme_id: int | None = None) -> list[votes.BallotItem]:
    with session_scope(engine) as session:
        return votes.ballot(session=session, edition_id=edition_id, theme_id=theme_id)


def vote(engine: Engine, token: str, orientation_id: int, choice: str, **kwargs: object) -> votes.VoteReceipt:
    kwargs.setdefault("origin", "cards")
    with session_scope(engine, write=True) as session:
        return votes.cast_vote(
            session=session,
            device_token=token,
            orientation_id=orientation_id,
            choice=choice,
            **kwargs,  # type: ignore[arg-type]
        )


def results(engine: Engine, **filters: object) -> dict[str, verdict.Verdict]:
    with session_scope(engine) as session:
        rows = verdict.verdicts(session=session, filters=verdict.VerdictFilter(**filters))  # type: ignore[arg-type]
    return {v.code: v for v in rows}


def raw_counts(session: Session) -> dict[tuple[int, str], int]:
    """The hand-written GROUP BY the rollup must always equal: stored stances plus paper ballots not withdrawn."""
    counts: dict[tuple[int, str], int] = {}
    for o, c, n in session.exec(
        select(OrientationVote.orientation_id, OrientationVote.choice, func.count()).group_by(
            col(OrientationVote.orientation_id), col(OrientationVote.choice)
        )
    ).all():
        counts[(o, c)] = counts.get((o, c), 0) + int(n)
    for o, c, n in session.exec(
        select(PaperBallot.orientation_id, PaperBallot.choice, func.sum(PaperBallot.count))
        .where(col(PaperBallot.withdrawn_at).is_(None))
        .group_by(col(PaperBallot.orientation_id), col(PaperBallot.choice))
    ).all():
        counts[(o, c)] = counts.get((o, c), 0) + int(n)
    return {k: v for k, v in counts.items() if v}


def rollup_counts(session: Session, model: type[VoteTally] | type[VoteTallyTime]) -> dict[tuple[int, str], int]:
    rows = session.exec(
        select(model.orientation_id, model.choice, func.sum(model.n)).group_by(
            col(model.orientation_id), col(model.choice)
        )
    ).all()
    return {(o, c): int(n) for o, c, n in rows if n}


def assert_rollups_exact(engine: Engine) -> None:
    with session_scope(engine) as session:
        raw = raw_counts(session)
        assert rollup_counts(session, VoteTally) == raw
        assert rollup_counts(session, VoteTallyTime) == raw


def test_the_ballot_is_every_presented_orientation_theme_by_theme(store_engine: Engine) -> None:
    items = ballot(store_engine)
    assert len(items) == 17
    assert [i.code for i in items][:2] == ["T1-O1", "T1-O2"]
    assert all(i.open for i in items)
    assert len({i.theme_id for i in items}) == 5


def test_one_stance_per_device_and_orientation_changeable(store_engine: Engine) -> None:
    first = ballot(store_engine)[0]
    token = device_token()
    receipt = vote(store_engine, token, first.id, AGREE)
    assert receipt.changed and receipt.previous_choice is None
    again = vote(store_engine, token, first.id, AGREE)  # the same tap resent after a reconnect
    assert not again.changed
    changed = vote(store_engine, token, first.id, DISAGREE)
    assert changed.changed and changed.previous_choice == AGREE
    vote(store_engine, device_token(), first.id, RESERVATIONS)
    row = results(store_engine)[first.code]
    assert (row.agree, row.reservations, row.disagree, row.skip) == (0, 1, 1, 0)
    assert row.weighed_in == 2
    with session_scope(store_engine) as session:
        assert votes.my_votes(session=session, device_token=token) == {first.id: DISAGREE}
        stored = session.exec(select(OrientationVote).where(OrientationVote.orientation_id == first.id)).all()
        assert len(stored) == 2
        summary = verdict.vote_summary(session=session)
        assert (summary.voters, summary.stances, summary.paper) == (2, 2, 0)
    assert_rollups_exact(store_engine)


def test_skip_is_answered_but_weighs_on_neither_side(store_engine: Engine) -> None:
    first = ballot(store_engine)[0]
    vote(store_engine, device_token(), first.id, SKIP)
    row = results(store_engine)[first.code]
    assert (row.weighed_in, row.answered, row.consensus) == (0, 1, None)
    assert row.kind == verdict.VerdictKind.NONE


def test_unknown_choice_orientation_and_origin_are_refused_in_french(store_engine: Engine) -> None:
    first = ballot(store_engine)[0]
    with pytest.raises(ValidationError) as refused:
        vote(store_engine, device_token(), first.id, "maybe")
    assert refused.value.errors == {"choice": votes.UNKNOWN_CHOICE}
    with pytest.raises(ValidationError) as refused:
        vote(store_engine, device_token(), 999_999, AGREE)
    assert refused.value.errors == {"orientation": votes.UNKNOWN_ORIENTATION}
    with pytest.raises(ValidationError) as refused:
        vote(store_engine, device_token(), first.id, AGREE, origin="paper")  # paper is staff's, as counts
    assert "origin" in refused.value.errors
    with session_scope(store_engine) as session:
        assert session.exec(select(func.count()).select_from(OrientationVote)).one() == 0


def test_a_closed_vote_refuses_stances_with_a_french_message_and_keeps_its_results(store_engine: Engine) -> None:
    items = ballot(store_engine)
    first, other_theme = items[0], next(i for i in items if i.theme_id != items[0].theme_id)
    token = device_token()
    vote(store_engine, token, first.id, AGREE)
    with session_scope(store_engine, write=True) as session:
        votes.set_vote_open(session=session, open_=False, actor=CONSOLE_ACTOR, theme_id=first.theme_id)
    with pytest.raises(ValidationError) as refused:
        vote(store_engine, token, first.id, DISAGREE)
    assert refused.value.errors == {"vote": votes.VOTE_CLOSED}
    assert "clos" in votes.VOTE_CLOSED
    vote(store_engine, token, other_theme.id, AGREE)  # the other themes stay open
    assert results(store_engine)[first.code].agree == 1
    assert not [i for i in ballot(store_engine) if i.theme_id == first.theme_id and i.open]

    with session_scope(store_engine, write=True) as session:
        votes.set_vote_open(session=session, open_=False, actor=CONSOLE_ACTOR)  # the whole edition
    with pytest.raises(ValidationError):
        vote(store_engine, token, other_theme.id, DISAGREE)
    with session_scope(store_engine, write=True) as session:
        votes.set_vote_open(session=session, open_=True, actor=CONSOLE_ACTOR)
        votes.set_vote_open(session=session, open_=True, actor=CONSOLE_ACTOR, theme_id=first.theme_id)
    assert vote(store_engine, token, first.id, DISAGREE).changed


def test_a_theme_of_another_edition_cannot_be_opened_or_voted_from_this_one(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session:
        second = load_second_edition(session)
    theirs, ours = ballot(store_engine, edition_id=second), ballot(store_engine)
    assert theirs[0].code == ours[0].code == "T1-O1"  # the same code in both editions, two orientations
    assert theirs[0].id != ours[0].id
    with pytest.raises(NotFoundError), session_scope(store_engine, write=True) as session:
        votes.set_vote_open(session=session, open_=False, actor=CONSOLE_ACTOR, theme_id=theirs[0].theme_id)
    with pytest.raises(ValidationError):
        vote(store_engine, device_token(), theirs[0].id, AGREE)  # default edition: not its orientation


def test_paper_ballots_are_counted_once_and_can_be_withdrawn(store_engine: Engine) -> None:
    items = ballot(store_engine)
    batch = votes.new_paper_batch()
    lines = [
        PaperLine(items[0].id, {AGREE: 12, RESERVATIONS: 3, DISAGREE: 4, SKIP: 0}),
        PaperLine(items[1].id, {DISAGREE: 7}),
    ]
    for _ in range(2):  # a double click sends the same entry twice
        with session_scope(store_engine, write=True) as session:
            entry = votes.enter_paper_ballots(
                session=session, lines=lines, source="Urne de la plénière", actor=CONSOLE_ACTOR, batch=batch
            )
    assert (entry.ballots, entry.orientations) == (26, 2)
    row = results(store_engine)[items[0].code]
    assert (row.agree, row.reservations, row.disagree, row.paper) == (12, 3, 4, 19)
    assert results(store_engine, origins=("cards",))[items[0].code].weighed_in == 0
    assert_rollups_exact(store_engine)

    with session_scope(store_engine, write=True) as session:
        assert votes.withdraw_paper_entry(session=session, batch=batch, actor=CONSOLE_ACTOR) == 26
        entries = votes.list_paper_entries(session=session)
    assert entries[0].withdrawn_at is not None
    assert results(store_engine)[items[0].code].weighed_in == 0
    assert_rollups_exact(store_engine)
    with pytest.raises(NotFoundError), session_scope(store_engine, write=True) as session:
        votes.withdraw_paper_entry(session=session, batch=batch, actor=CONSOLE_ACTOR)


def test_paper_ballots_refuse_bad_counts_and_store_nothing(store_engine: Engine) -> None:
    items = ballot(store_engine)
    for lines, source, field in (
        ([PaperLine(items[0].id, {AGREE: -1})], "Urne", "count_T1-O1_agree"),
        ([PaperLine(items[0].id, {AGREE: 10**6})], "Urne", "count_T1-O1_agree"),
        ([PaperLine(items[0].id, {AGREE: 0})], "Urne", "counts"),
        ([PaperLine(items[0].id, {AGREE: 3})], "  ", "source"),
        ([PaperLine(items[0].id, {"peut-être": 3})], "Urne", "choice_T1-O1"),
    ):
        with pytest.raises(ValidationError) as refused, session_scope(store_engine, write=True) as session:
            votes.enter_paper_ballots(
                session=session, lines=lines, source=source, actor=CONSOLE_ACTOR, batch=votes.new_paper_batch()
            )
        assert field in refused.value.errors
        assert all(message and message[0].isupper() for message in refused.value.errors.values())
    with session_scope(store_engine) as session:
        assert session.exec(select(func.count()).select_from(PaperBallot)).one() == 0


def test_filters_by_actor_type_departement_and_origin_follow_the_profile(store_engine: Engine) -> None:
    first = ballot(store_engine)[0]
    coop, asso = device_token(), device_token()
    vote(store_engine, coop, first.id, AGREE, origin="stand")
    vote(store_engine, asso, first.id, DISAGREE)
    with session_scope(store_engine, write=True) as session:
        votes.set_voter_profile(session=session, device_token=coop, actor_type="cooperative", departement="44")
    with session_scope(store_engine, write=True) as session:
        votes.set_voter_profile(session=session, device_token=asso, actor_type="association", departement=None)
    assert results(store_engine, actor_types=("cooperative",))[first.code].agree == 1
    assert results(store_engine, actor_types=("cooperative",))[first.code].disagree == 0
    assert results(store_engine, departements=("",))[first.code].disagree == 1
    assert results(store_engine, departements=("44",))[first.code].weighed_in == 1
    assert results(store_engine, origins=("stand",))[first.code].agree == 1
    assert results(store_engine, origins=("cards",))[first.code].disagree == 1
    vote(store_engine, asso, first.id, AGREE)  # a change after the profile: counted under it
    assert results(store_engine, actor_types=("association",))[first.code].agree == 1
    with pytest.raises(ValidationError) as refused, session_scope(store_engine, write=True) as session:
        votes.set_voter_profile(session=session, device_token=asso, actor_type="robot", departement="999")
    assert set(refused.value.errors) == {"actor_type", "departement"}
    assert_rollups_exact(store_engine)


def test_verdict_labels_consensus_division_rejection_ties_and_small_samples() -> None:
    def v(a: int, r: int, d: int) -> verdict.Verdict:
        return verdict.Verdict(1, "X", "x", 1, 0, agree=a, reservations=r, disagree=d)

    assert v(0, 0, 0).kind == verdict.VerdictKind.NONE
    assert v(3, 0, 1).kind == verdict.VerdictKind.SMALL
    assert v(5, 0, 5).kind == verdict.VerdictKind.TIE
    assert v(10, 5, 5).kind == verdict.VerdictKind.CONSENSUS
    assert v(6, 0, 5).kind == verdict.VerdictKind.DIVIDED
    assert v(2, 1, 9).kind == verdict.VerdictKind.REJECTED
    assert v(14, 0, 6).kind == verdict.VerdictKind.LEANING_AGREE
    assert v(5, 0, 5).division == 1.0
    assert v(10, 0, 0).division == 0.0
    ordered = verdict.sort_verdicts([v(10, 0, 0), v(6, 0, 5), v(1, 0, 1)], "division")
    assert [x.weighed_in for x in ordered] == [11, 10, 2]  # the tiny sample last despite its 100 %


def test_the_movement_over_the_day_is_a_running_count_per_quarter_hour(store_engine: Engine) -> None:
    first = ballot(store_engine)[0]
    start = datetime(2026, 6, 28, 9, 0, tzinfo=UTC)
    a, b = device_token(), device_token()
    vote(store_engine, a, first.id, AGREE, now=start)
    vote(store_engine, b, first.id, AGREE, now=start + timedelta(minutes=20))
    vote(store_engine, a, first.id, DISAGREE, now=start + timedelta(minutes=50))
    with session_scope(store_engine) as session:
        frame = verdict.verdict_over_time(session=session, orientation_ids=[first.id])
    assert list(frame["agree"]) == [1, 2, 1]
    assert list(frame["disagree"]) == [0, 0, 1]
    assert [t.strftime("%H:%M") for t in frame["at"]] == ["11:15", "11:30", "12:00"]  # Paris, end of quarter


def test_new_devices_per_minute_show_a_burst(store_engine: Engine) -> None:
    first = ballot(store_engine)[0]
    now = datetime.now(UTC)
    for _ in range(6):
        vote(store_engine, device_token(), first.id, AGREE, now=now)
    with session_scope(store_engine) as session:
        frame = verdict.new_devices_per_minute(session=session, minutes=10, now=now)
    assert len(frame) == 10
    assert int(frame["devices"].sum()) == 6
    assert int(frame["devices"].iloc[-1]) == 6


def test_the_why_is_a_contribution_with_the_stance_and_needs_a_stance_first(store_engine: Engine) -> None:
    first = ballot(store_engine)[0]
    token = device_token()
    with pytest.raises(ValidationError) as refused, session_scope(store_engine, write=True) as session:
        votes.explain_vote(
            session=session,
            device_token=token,
            orientation_id=first.id,
            text="Parce que les petites associations manquent de temps.",
            idempotency_key=uuid.uuid4().hex,
        )
    assert refused.value.errors == {"choice": votes.NO_STANCE_YET}
    vote(store_engine, token, first.id, RESERVATIONS)
    key = uuid.uuid4().hex
    with session_scope(store_engine, write=True) as session:
        receipt = votes.explain_vote(
            session=session,
            device_token=token,
            orientation_id=first.id,
            text="Parce que les petites associations manquent de temps.",
            idempotency_key=key,
        )
    with session_scope(store_engine) as session:
        row = session.get(Contribution, receipt.contribution_id)
        assert row is not None
        assert (row.orientation_id, row.stance, row.status) == (first.id, "support_with_reservations", "pending")
        # Pending: no reason shows until moderation publishes it.
        assert verdict.representative_reasons(session=session, orientation_ids=[first.id]) == {}
        row.status = "published"
        session.add(row)
        session.commit()
    with session_scope(store_engine) as session:
        reasons = verdict.representative_reasons(session=session, orientation_ids=[first.id])
    assert [r.choice for r in reasons[first.id]] == [RESERVATIONS]


def test_forgetting_demo_voters_unwinds_both_rollups(store_engine: Engine) -> None:
    items = ballot(store_engine)
    start = datetime(2026, 6, 28, 9, 0, tzinfo=UTC)
    keep, drop = device_token(), device_token()
    vote(store_engine, keep, items[0].id, AGREE, now=start)
    vote(store_engine, drop, items[0].id, AGREE, now=start, origin="stand")
    vote(store_engine, drop, items[0].id, DISAGREE, now=start + timedelta(minutes=40))
    vote(store_engine, drop, items[1].id, SKIP, now=start + timedelta(minutes=41))
    with session_scope(store_engine, write=True) as session:
        pid = session.exec(select(Participant.id).where(Participant.device_token == drop)).one()
        assert pid is not None
        assert votes.forget_votes(session=session, participant_ids=[pid]) == 2
    assert_rollups_exact(store_engine)
    with session_scope(store_engine) as session:
        frame = verdict.verdict_over_time(session=session, orientation_ids=[items[0].id])
    assert set(frame["disagree"]) == {0}
    assert frame["agree"].iloc[0] == 1


def test_random_taps_keep_both_rollups_equal_to_the_stored_stances(store_engine: Engine) -> None:
    items = ballot(store_engine)[:5]
    rng = random.Random(20160628)
    phones = [device_token() for _ in range(8)]
    start = datetime(2026, 6, 28, 9, 0, tzinfo=UTC)
    for step in range(120):
        vote(
            store_engine,
            rng.choice(phones),
            rng.choice(items).id,
            rng.choice(votes.CHOICES),
            origin=rng.choice(votes.DEVICE_ORIGINS),
            now=start + timedelta(minutes=step),
        )
        if step % 40 == 0:
            with session_scope(store_engine, write=True) as session:
                votes.set_voter_profile(
                    session=session, device_token=rng.choice(phones), actor_type="association", departement="49"
                )
    assert_rollups_exact(store_engine)


def test_concurrent_double_taps_of_one_phone_count_once(store_engine: Engine) -> None:
    first = ballot(store_engine)[0]
    token = device_token()
    vote(store_engine, token, first.id, SKIP)  # the participant exists: the taps race on the stance only

    def tap(choice: str) -> None:
        try:
            vote(store_engine, token, first.id, choice)
        except ValidationError:
            pytest.fail("a double tap must not be refused")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(tap, [AGREE, DISAGREE] * 8))
    with session_scope(store_engine) as session:
        assert session.exec(select(func.count()).select_from(OrientationVote)).one() == 1
    assert results(store_engine)[first.code].answered == 1
    assert_rollups_exact(store_engine)


def test_only_staff_whose_role_allows_it_control_the_vote(store_engine: Engine) -> None:
    with pytest.raises(PermissionDenied), session_scope(store_engine, write=True) as session:
        votes.set_vote_open(session=session, open_=False, actor="nobody")
    with pytest.raises(PermissionDenied), session_scope(store_engine, write=True) as session:
        votes.enter_paper_ballots(
            session=session,
            lines=[PaperLine(ballot(store_engine)[0].id, {AGREE: 3})],
            source="Urne",
            actor="nobody",
            batch=votes.new_paper_batch(),
        )


def test_stances_have_their_own_ceiling_per_address_apart_from_contributions(store_engine: Engine) -> None:
    items = ballot(store_engine)
    room = throttle.Origin(
        key="venue", writes=(throttle.Window(1, 10),), stances=(throttle.Window(3, 10),)
    )  # a contribution budget used up does not stop the vote
    token = device_token()
    for item in items[:3]:
        vote(store_engine, token, item.id, AGREE, throttle_origin=room)
    with pytest.raises(throttle.Throttled) as held:
        vote(store_engine, token, items[3].id, AGREE, throttle_origin=room)
    assert str(held.value.message).startswith(votes.STANCES_HELD.split("{")[0])
    vote(store_engine, token, items[0].id, AGREE, throttle_origin=room)  # a repeated tap is never held
