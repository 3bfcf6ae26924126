"""An edition beside the same Région's previous one: figures per theme and stances on the orientations carried over."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db.engine import session_scope
from models import Contribution, Orientation, Participant, Theme
from services import comparison, editions
from services.permissions import CONSOLE_ACTOR
from tests.editions import load_second_edition


def contribute(
    session: Session,
    theme_id: int,
    *,
    status: str = "published",
    orientation: int | None = None,
    stance: str | None = None,
) -> None:
    session.add(
        Contribution(
            receipt_code=uuid.uuid4().hex[:12],
            idempotency_key=uuid.uuid4().hex,
            theme_id=theme_id,
            body="Une contribution de test assez longue.",
            status=status,
            orientation_id=orientation,
            stance=stance,
        )
    )


def test_the_next_edition_is_compared_theme_by_theme_with_the_previous_one(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session:
        load_second_edition(session)  # another Région's edition: never part of the comparison
        nxt = editions.copy_edition(
            session=session,
            actor=CONSOLE_ACTOR,
            source_id=1,
            settings={"slug": "pays-de-la-loire-2018", "start_date": "2018-06-26"},
        )
        editions.save_theme(
            session=session,
            actor=CONSOLE_ACTOR,
            edition_id=nxt.id,
            values={"code": "numerique", "label": "Le numérique", "short_label": "Numérique", "color": "#56B4E9"},
        )
        old = {t.code: t.id or 0 for t in session.exec(select(Theme).where(Theme.edition_id == 1)).all()}
        new = {t.code: t.id or 0 for t in session.exec(select(Theme).where(Theme.edition_id == nxt.id)).all()}
        o_old = session.exec(select(Orientation).where(Orientation.edition_id == 1, Orientation.code == "T1-O1")).one()
        o_new = session.exec(
            select(Orientation).where(Orientation.edition_id == nxt.id, Orientation.code == "T1-O1")
        ).one()
        for _ in range(3):
            contribute(session, old["emploi"], orientation=o_old.id, stance="disagreement")
        contribute(session, old["emploi"], status="rejected")
        contribute(session, new["emploi"], orientation=o_new.id, stance="support")
        contribute(session, new["numerique"])
        session.add(Participant(edition_id=nxt.id, device_token="t" * 43, public_code="ABCD2345"))
    with session_scope(store_engine) as session:
        result = comparison.compare_with_previous(session=session, edition_id=nxt.id)
    assert result.previous is not None and result.previous.id == 1
    before, now = result.figures
    assert before is not None and before.contributions == 3 and now.contributions == 2 and now.participants == 1
    rows = {r.code: r for r in result.themes}
    assert rows["emploi"].contributions == (3, 1)
    assert rows["numerique"].contributions == (None, 1)  # new this edition
    assert "financer" not in rows  # the other Région's themes never appear
    (stance,) = result.stances
    assert stance.code == "T1-O1" and stance.previous == {"disagreement": 3} and stance.current == {"support": 1}


def test_a_first_edition_has_nothing_to_compare_with(store_engine: Engine) -> None:
    with session_scope(store_engine) as session:
        result = comparison.compare_with_previous(session=session, edition_id=1)
    assert result.previous is None and result.figures[0] is None and result.stances == []
    assert all(r.contributions[0] is None for r in result.themes)
