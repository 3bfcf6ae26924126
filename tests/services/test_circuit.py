"""The treasure hunt on the server: one visit per stand and phone, the completion rule, restoring a passport."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from models import Stand, StandVisit
from services import circuit, contributions
from services.codes import device_token
from services.contributions import ContributionDraft
from services.errors import NotFoundError

BODY = "Un guichet unique pour les structures de l'ESS qui cherchent un financement."
ONE_PER_THEME = ("S01", "S04", "S07", "S10", "S13")


def visit(engine: Engine, token: str, code: str) -> circuit.VisitResult:
    with session_scope(engine, write=True) as session:
        return circuit.visit_stand(session=session, device_token=token, stand_code=code)


def passport(engine: Engine, token: str) -> circuit.Passport:
    with session_scope(engine, write=True) as session:
        return circuit.passport(session=session, device_token=token)


def contribute(engine: Engine, token: str, stand_code: str = "S01") -> None:
    with session_scope(engine, write=True) as session:
        stand = contributions.find_open_stand(session=session, code=stand_code)
        assert stand is not None
        draft = ContributionDraft(
            theme_id=stand.theme_id,
            body=BODY,
            idempotency_key=uuid.uuid4().hex,
            source="treasure_hunt",
            stand_id=stand.id,
        )
        contributions.submit_from_device(session=session, device_token=token, draft=draft)


def visits(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(StandVisit)).one())


def test_a_second_scan_of_the_same_stand_records_nothing_new(sqlite_engine: Engine) -> None:
    token = device_token()
    first = visit(sqlite_engine, token, "S01")
    again = visit(sqlite_engine, token, " s01 ")
    assert first.new and not again.new
    assert first.public_code == again.public_code
    assert visits(sqlite_engine) == 1
    with session_scope(sqlite_engine) as session:
        assert circuit.has_visited(session=session, device_token=token, stand_code="S01")
        assert not circuit.has_visited(session=session, device_token=token, stand_code="S02")
        assert not circuit.has_visited(session=session, device_token=device_token(), stand_code="S01")


def test_unknown_or_closed_stands_are_refused_and_not_found(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        stand = session.exec(select(Stand).where(Stand.code == "S02")).one()
        stand.active = False
        session.add(stand)
    with session_scope(sqlite_engine) as session:
        for code in ("S99", "S02", "", "<script>", "S01" * 10):
            assert circuit.get_stand_page(session=session, code=code) is None
        page = circuit.get_stand_page(session=session, code="s01")
        assert page is not None and page.code == "S01" and page.theme_short_label
    with pytest.raises(NotFoundError):
        visit(sqlite_engine, device_token(), "S02")
    assert visits(sqlite_engine) == 0


def test_the_treasure_needs_every_theme_and_a_contribution(sqlite_engine: Engine) -> None:
    token = device_token()
    empty = passport(sqlite_engine, token)
    assert empty.public_code is None and empty.themes_total == 5 and not empty.complete
    for code in ONE_PER_THEME[:4]:
        assert not visit(sqlite_engine, token, code).treasure_just_found
    contribute(sqlite_engine, token)
    midway = passport(sqlite_engine, token)
    assert len(midway.themes_covered) == 4 and len(midway.missing_theme_ids) == 1
    assert midway.contributions == 1 and not midway.complete
    assert [s.code for s in midway.visited] == list(ONE_PER_THEME[:4])
    assert "S13" in [s.code for s in midway.remaining]

    last = visit(sqlite_engine, token, ONE_PER_THEME[4])
    assert last.treasure_just_found
    done = passport(sqlite_engine, token)
    assert done.complete and done.treasure_code and done.treasure_found_at is not None
    assert not visit(sqlite_engine, token, "S14").treasure_just_found  # found once only
    assert passport(sqlite_engine, token).treasure_code == done.treasure_code
    with session_scope(sqlite_engine) as session:
        check = circuit.check_treasure_code(session=session, code=done.treasure_code.lower().replace("-", " "))
        assert check is not None and check.public_code == done.public_code
        assert circuit.check_treasure_code(session=session, code="T-AAAAAA") is None


def test_every_theme_without_a_contribution_is_not_yet_the_treasure(sqlite_engine: Engine) -> None:
    token = device_token()
    for code in ONE_PER_THEME:
        visit(sqlite_engine, token, code)
    assert not passport(sqlite_engine, token).complete
    contribute(sqlite_engine, token, "S07")  # the contribution completes it: awarded when it is stored
    with session_scope(sqlite_engine) as session:
        assert circuit.check_treasure_code(session=session, code="nothing") is None
    assert passport(sqlite_engine, token).complete


def test_a_lost_passport_is_restored_from_its_short_code(sqlite_engine: Engine) -> None:
    old_phone = device_token()
    code = visit(sqlite_engine, old_phone, "S03").public_code
    with session_scope(sqlite_engine) as session:
        assert circuit.restore_passport(session=session, public_code="ZZZZ-ZZZZ") is None
        restored = circuit.restore_passport(session=session, public_code=code.lower().replace("-", ""))
    assert restored == old_phone
    assert [s.code for s in passport(sqlite_engine, restored).visited] == ["S03"]
