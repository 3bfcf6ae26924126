"""« Mes données »: a participant's own export and erasure with their code, throttled and in the audit trail."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from db.engine import session_scope
from models import AuditEvent, Contribution, Participant
from services import privacy, throttle
from services.errors import ValidationError
from tests.services.test_erasure_everywhere import EMAIL, NAME, ORGANISATION, Person, left_behind, spread_everywhere

ORIGIN = throttle.Origin(key="origin-de-test")


def run(engine: Engine, fn: Any, **kw: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kw)


def receipt_of(engine: Engine, person: Person) -> str:
    with session_scope(engine) as session:
        participant = session.exec(select(Participant).where(Participant.device_token == person.token)).one()
        code = session.exec(
            select(Contribution.receipt_code)
            .where(Contribution.participant_id == participant.id)
            .order_by(col(Contribution.id))
        ).first()
    assert code is not None
    return code


def mine(engine: Engine, code: str, session_key: str = "session-a") -> Any:
    return run(engine, privacy.my_personal_data, code=code, session_key=session_key, origin=ORIGIN)


def erase(engine: Engine, code: str, confirmation: str | None = None) -> Any:
    return run(
        engine,
        privacy.erase_my_personal_data,
        code=code,
        confirmation=code if confirmation is None else confirmation,
        session_key="session-a",
        origin=ORIGIN,
    )


def actors(engine: Engine, action: str) -> list[str]:
    with session_scope(engine) as session:
        return list(session.exec(select(AuditEvent.actor).where(AuditEvent.action == action)).all())


def test_the_export_holds_the_person_s_data_and_the_request_is_audited(store_engine: Engine) -> None:
    person = spread_everywhere(store_engine)
    code = receipt_of(store_engine, person)
    data = mine(store_engine, code.lower())
    payload = json.loads(privacy.personal_data_json(data))
    assert payload["telephone_relie"] is True and payload["soutiens"] == 1 and payload["visites_de_stands"] == 1
    assert {c["author_name"] for c in payload["contributions"]} == {NAME}
    assert code in {c["receipt_code"] for c in payload["contributions"]}
    by_resume = json.loads(privacy.personal_data_json(mine(store_engine, person.resume_code)))
    assert [(r["respondent_name"], r["email"], r["organisation"]) for r in by_resume["reponses_au_questionnaire"]] == [
        (NAME, EMAIL, ORGANISATION)
    ]
    # Staff see who asked, the code masked beyond its first four signs.
    assert actors(store_engine, "privacy.access") == [
        f"participant (code {code[:4]}-…)",
        privacy.participant_actor(person.resume_code),
    ]
    assert code not in " ".join(actors(store_engine, "privacy.access"))


def test_a_phone_token_or_an_unknown_code_finds_nothing(sqlite_engine: Engine) -> None:
    person = spread_everywhere(sqlite_engine)
    assert mine(sqlite_engine, person.token) is None
    assert mine(sqlite_engine, "AAAA-AAAA") is None
    assert actors(sqlite_engine, "privacy.access") == []


def test_the_person_erases_everything_with_their_codes_the_audit_trail_included(store_engine: Engine) -> None:
    person = spread_everywhere(store_engine)
    code = receipt_of(store_engine, person)
    with pytest.raises(ValidationError) as caught:
        erase(store_engine, code, confirmation="AAAA-AAAA")
    assert "Retapez" in caught.value.errors["confirmation"]
    report = erase(store_engine, code)
    assert report.contributions >= 2 and report.devices == 1
    assert erase(store_engine, person.resume_code).responses == 1
    with session_scope(store_engine) as session:
        privacy.release_erased_pages(session=session)
    # As the staff erasure: no value left in any text column of any table, the audit trail's included.
    assert left_behind(store_engine, person) == []
    erased_by = set(actors(store_engine, "contribution.erase")) | set(actors(store_engine, "response.erase"))
    assert erased_by == {privacy.participant_actor(code), privacy.participant_actor(person.resume_code)}
    assert privacy.participant_actor(code) in actors(store_engine, "privacy.erase")


def test_erasure_by_an_unknown_code_counts_as_a_wrong_code_then_is_throttled(sqlite_engine: Engine) -> None:
    spread_everywhere(sqlite_engine)
    for _ in range(throttle.RESTORE_PER_SESSION[0].max_events):
        assert erase(sqlite_engine, "AAAA-AAAA") is None
    with pytest.raises(throttle.Throttled):
        mine(sqlite_engine, "AAAA-AAAA")
    assert actors(sqlite_engine, "privacy.erase") == []
