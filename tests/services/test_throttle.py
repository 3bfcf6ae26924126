"""The store-backed throttles on anonymous use: per network address, shared by every process and replica."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from db.engine import build_engine, session_scope
from models import Contribution, ContributionSupport, Participant, StandVisit, ThrottleEvent, utcnow
from services import circuit, contributions, moderation, throttle
from services.codes import device_token
from services.contributions import ContributionDraft

BODY = "Un guichet unique pour les porteurs de projets de l'économie sociale et solidaire."
VENUE = throttle.origin_key("198.51.100.7", secret="clé-de-test-" + "x" * 32)
ELSEWHERE = throttle.origin_key("203.0.113.42", secret="clé-de-test-" + "x" * 32)
HELD_BY_NETWORK = "depuis votre réseau"


def draft(n: int = 0) -> ContributionDraft:
    return ContributionDraft(theme_id=1 + n % 5, body=f"{BODY} Idée n° {n}.", idempotency_key=uuid.uuid4().hex)


def write(engine: Engine, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kwargs)


def count(engine: Engine, model: type) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def passport_code(engine: Engine) -> str:
    token = device_token()
    write(engine, circuit.visit_stand, device_token=token, stand_code="S01")
    with session_scope(engine) as session:
        return session.exec(select(Participant.public_code).where(Participant.device_token == token)).one()


# --- item 4: anonymous flooding ------------------------------------------------------------------------


def test_fresh_tokens_at_machine_speed_are_stopped_while_another_address_still_works(store_engine: Engine) -> None:
    origin = throttle.Origin(VENUE)
    now = utcnow()
    sent, held = 0, []
    for n in range(100):  # a script posing as 100 phones, all within the same second
        try:
            write(
                store_engine,
                contributions.submit_from_device,
                device_token=device_token(),
                draft=draft(n),
                origin=origin,
                now=now,
            )
            sent += 1
        except throttle.Throttled as exc:
            held.append(exc)
    ceiling = throttle.NEW_PASSPORTS[0].max_events
    assert sent == ceiling == 40
    assert len(held) == 100 - ceiling
    assert held[0].message.startswith("Beaucoup de nouveaux téléphones envoient en même temps depuis votre réseau.")
    assert "votre saisie est conservée, réessayez dans 10 s." in held[0].message
    assert count(store_engine, Participant) == count(store_engine, Contribution) == ceiling
    # Supports and stand visits by fresh tokens are the same new passports: held too.
    with pytest.raises(throttle.Throttled):
        write(store_engine, circuit.visit_stand, device_token=device_token(), stand_code="S01", origin=origin, now=now)
    # A phone already known keeps working from the same address, and another address is not concerned.
    known = write(
        store_engine,
        contributions.submit_from_device,
        device_token=device_token(),
        draft=draft(),
        origin=throttle.Origin(ELSEWHERE),
        now=now,
    )
    assert not known.duplicate
    # Ten seconds later the window has moved on: the next new phone of the venue gets in.
    write(
        store_engine,
        contributions.submit_from_device,
        device_token=device_token(),
        draft=draft(),
        origin=origin,
        now=now + timedelta(seconds=11),
    )


def test_anonymous_writes_per_address_have_a_ceiling(store_engine: Engine) -> None:
    origin = throttle.Origin(VENUE)
    now = utcnow()
    target = write(
        store_engine,
        contributions.submit_from_device,
        device_token=device_token(),
        draft=draft(),
        origin=origin,
        now=now,
    ).contribution_id
    write(store_engine, moderation.publish, contribution_ids=[target], actor="moderation")  # only these are backed
    phone = device_token()
    ceiling = throttle.ANONYMOUS_WRITES[0].max_events
    with session_scope(store_engine, write=True) as session:
        for _ in range(ceiling - 1):  # the first write above was one of them
            contributions.support_contribution(
                session=session, device_token=phone, contribution_id=target, origin=origin, now=now
            )
    with pytest.raises(throttle.Throttled) as caught:
        write(
            store_engine,
            contributions.support_contribution,
            device_token=phone,
            contribution_id=target,
            origin=origin,
            now=now,
        )
    assert HELD_BY_NETWORK in caught.value.message and caught.value.retry_after_s == 10
    write(
        store_engine,
        contributions.support_contribution,
        device_token=phone,
        contribution_id=target,
        origin=throttle.Origin(ELSEWHERE),
        now=now,
    )


@pytest.mark.slow  # load: a room of 800 at human pace
def test_a_room_of_800_behind_one_address_at_human_pace_is_never_held(sqlite_engine: Engine) -> None:
    """The whole room makes its first write within 10 minutes, then supports or scans: nobody waits.

    SQLite only: 1 600 writes cost two minutes on PostgreSQL here, and the windows' queries are the same ones
    the other tests of this file run on both stores; what this test adds is the figures, not the SQL.
    """
    store_engine = sqlite_engine
    origin = throttle.Origin(VENUE)
    start = utcnow()
    rng = random.Random(14)
    people = [(rng.uniform(0, 600), device_token()) for _ in range(800)]
    events: list[tuple[float, str, str, int]] = []
    for n, (arrival, token) in enumerate(people):
        events.append((arrival, "contribute", token, n))
        # Then a support or a stand visit (one each, not both: the test's cost, not the throttle's, decides).
        events.append((arrival + rng.uniform(20, 300), "support" if n % 2 else "visit", token, n))
    events.sort()
    mine: dict[str, int] = {}
    # Forty requests per transaction: the windows see the same rows as with one each, for fewer commits.
    for chunk in range(0, len(events), 40):
        with session_scope(store_engine, write=True) as session:
            for at, kind, token, n in events[chunk : chunk + 40]:
                now = start + timedelta(seconds=at)
                if kind == "contribute":
                    receipt = contributions.submit_from_device(
                        session=session, device_token=token, draft=draft(n), origin=origin, now=now
                    )
                    mine[token] = receipt.contribution_id
                    # Published at once, so others can back it (only published contributions are offered).
                    moderation.publish(session=session, contribution_ids=[receipt.contribution_id], actor="moderation")
                elif kind == "support":
                    others = [cid for t, cid in mine.items() if t != token]
                    contributions.support_contribution(
                        session=session, device_token=token, contribution_id=rng.choice(others), origin=origin, now=now
                    )
                else:
                    circuit.visit_stand(
                        session=session, device_token=token, stand_code=f"S{1 + n % 15:02d}", origin=origin, now=now
                    )
    assert count(store_engine, Participant) == count(store_engine, Contribution) == 800
    assert count(store_engine, ContributionSupport) > 350 and count(store_engine, StandVisit) == 400


def test_the_store_keeps_hashed_addresses_and_forgets_old_events(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = throttle.Origin(VENUE)
    old = utcnow() - timedelta(hours=2)
    write(store_engine, circuit.visit_stand, device_token=device_token(), stand_code="S01", origin=origin, now=old)
    assert count(store_engine, ThrottleEvent) == 2  # one write, one new passport
    monkeypatch.setitem(throttle._prune_clock, "next", 0.0)  # as if the last pruning was a minute ago
    write(store_engine, circuit.visit_stand, device_token=device_token(), stand_code="S02", origin=origin)
    with session_scope(store_engine) as session:
        rows = session.exec(select(ThrottleEvent)).all()
    assert len(rows) == 2 and all(r.created_at > old + timedelta(hours=1) for r in rows)
    assert {r.key for r in rows} == {VENUE} and "198.51.100.7" not in VENUE
    assert throttle.origin_key("198.51.100.7", secret="une-autre-clé" + "y" * 32) != VENUE


# --- item 5: the passport-restore throttle --------------------------------------------------------------


def restore(engine: Engine, code: str, *, session_key: str, origin: throttle.Origin, now: datetime) -> str | None:
    result: str | None = write(
        engine, circuit.restore_passport, public_code=code, session_key=session_key, origin=origin, now=now
    )
    return result


def test_restore_failures_from_one_address_cannot_block_a_restore_from_another(store_engine: Engine) -> None:
    code = passport_code(store_engine)
    attacker, now = throttle.Origin(VENUE), utcnow()
    wrong = 0
    with pytest.raises(throttle.Throttled) as caught:
        for guess in range(1_000):  # a new browser session for every guess: only the address window holds
            restore(store_engine, f"AAAA-{guess:04d}", session_key=uuid.uuid4().hex, origin=attacker, now=now)
            wrong += 1
    assert wrong == throttle.RESTORE_PER_ORIGIN[0].max_events == 30
    assert caught.value.message == "Trop d'essais avec des codes inconnus. Réessayez dans 10 minutes."
    # Held means not checked: the right code from the attacker's address waits too (guessing stays bounded).
    with pytest.raises(throttle.Throttled):
        restore(store_engine, code, session_key=uuid.uuid4().hex, origin=attacker, now=now)
    owner = restore(store_engine, code, session_key=uuid.uuid4().hex, origin=throttle.Origin(ELSEWHERE), now=now)
    assert owner is not None


def test_one_address_holds_only_its_share_of_the_overall_restore_window(store_engine: Engine) -> None:
    small = {"restore_failures": (throttle.Window(3, 600),), "restore_failures_overall": (throttle.Window(9, 600),)}
    code, now = passport_code(store_engine), utcnow()

    def guess_until_held(address: str) -> int:
        origin, wrong = throttle.Origin(throttle.origin_key(address, secret="k" * 32), **small), 0
        while True:
            try:
                restore(store_engine, f"CCCC-{wrong:04d}", session_key=uuid.uuid4().hex, origin=origin, now=now)
            except throttle.Throttled:
                return wrong
            wrong += 1

    assert guess_until_held("192.0.2.1") == 3  # one address fills a third of the overall window, no more
    assert guess_until_held("192.0.2.2") == 3
    assert guess_until_held("192.0.2.3") == 3
    # Only an attack from as many addresses as the overall window holds shares fills it: then everybody waits.
    with pytest.raises(throttle.Throttled):
        restore(store_engine, code, session_key=uuid.uuid4().hex, origin=throttle.Origin(ELSEWHERE, **small), now=now)


def test_two_replicas_on_the_same_store_share_the_restore_windows(store_engine: Engine) -> None:
    url = store_engine.url.render_as_string(hide_password=False)
    replica_a, replica_b = build_engine(url), build_engine(url)
    try:
        code, now, browser = passport_code(replica_a), utcnow(), uuid.uuid4().hex
        origin = throttle.Origin(VENUE)
        for n in range(throttle.RESTORE_PER_SESSION[0].max_events):
            engine = replica_a if n % 2 else replica_b  # the load balancer alternates
            assert restore(engine, f"DDDD-{n:04d}", session_key=browser, origin=origin, now=now) is None
        # Five failures in this browser session, counted across both replicas: the sixth try waits on either.
        for engine in (replica_a, replica_b):
            with pytest.raises(throttle.Throttled):
                restore(engine, code, session_key=browser, origin=origin, now=now + timedelta(seconds=5))
        # Ten minutes later the window is empty again, and the right code is accepted.
        assert restore(replica_b, code, session_key=browser, origin=origin, now=now + timedelta(minutes=10)) is not None
    finally:
        replica_a.dispose()
        replica_b.dispose()


def test_a_blank_code_is_not_a_guess(store_engine: Engine) -> None:
    for _ in range(10):
        assert restore(store_engine, " - ", session_key="s" * 32, origin=throttle.Origin(VENUE), now=utcnow()) is None
    with session_scope(store_engine) as session:
        assert session.exec(select(func.count()).where(col(ThrottleEvent.scope).startswith("restore"))).one() == 0


# --- the window itself ----------------------------------------------------------------------------------


def test_a_window_says_how_long_to_wait_and_frees_as_events_age(store_engine: Engine) -> None:
    window = (throttle.Window(3, 60),)
    start = utcnow()
    with session_scope(store_engine, write=True) as session:
        for offset in (0, 10, 20):
            throttle.record_event(session=session, scope="test", key="k", now=start + timedelta(seconds=offset))
        kw: dict[str, Any] = {"session": session, "scope": "test", "key": "k", "windows": window}
        assert throttle.wait_seconds(**kw, now=start + timedelta(seconds=30)) == 30
        assert throttle.wait_seconds(**kw, now=start + timedelta(seconds=60.5)) is None
        assert throttle.wait_seconds(**{**kw, "key": "other"}, now=start) is None


def test_the_wait_message_is_french_and_rounds_up() -> None:
    assert throttle.wait_message(30) == "Trop d'essais avec des codes inconnus. Réessayez dans 30 s."
    assert throttle.wait_message(61) == "Trop d'essais avec des codes inconnus. Réessayez dans 2 minutes."
    assert throttle.wait_message(60) == "Trop d'essais avec des codes inconnus. Réessayez dans 1 minute."


def test_new_questionnaire_drafts_per_address_have_the_new_passport_ceiling(store_engine: Engine) -> None:
    from services import questionnaires as qs

    with session_scope(store_engine) as session:
        questionnaire_id = qs.get_questionnaire(session=session).id
    origin, now = throttle.Origin(VENUE), utcnow()
    answers: dict[str, object] = {"q_structure_reseau": "oui"}
    ceiling = throttle.NEW_PASSPORTS[0].max_events
    with session_scope(store_engine, write=True) as session:
        drafts = [
            qs.save_draft(session=session, questionnaire_id=questionnaire_id, answers=answers, origin=origin, now=now)
            for _ in range(ceiling)
        ]
    with pytest.raises(throttle.Throttled) as caught:
        write(store_engine, qs.save_draft, questionnaire_id=questionnaire_id, answers=answers, origin=origin, now=now)
    assert caught.value.message.startswith("Beaucoup de réponses commencent en même temps depuis votre réseau.")
    # Saving a draft already begun is not a new respondent; another address is not concerned.
    write(
        store_engine,
        qs.save_draft,
        questionnaire_id=questionnaire_id,
        answers=answers,
        resume_code=drafts[0].resume_code,
        origin=origin,
        now=now,
    )
    write(
        store_engine,
        qs.save_draft,
        questionnaire_id=questionnaire_id,
        answers=answers,
        origin=throttle.Origin(ELSEWHERE),
        now=now,
    )
