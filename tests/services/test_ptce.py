"""The PTCE catalogue: filter by département, linked stands and contributions, staff edits and tags (audited)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from models import AuditEvent, Contribution
from services import contributions, ptce
from services.contributions import ContributionDraft
from services.errors import ValidationError

BODY = "Mutualiser un poste de chargé de mission entre les structures du pôle territorial."


def test_the_catalogue_has_the_eight_ptce_and_filters_by_departement(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as session:
        every = ptce.list_ptce_catalogue(session=session)
        vendee = ptce.list_ptce_catalogue(session=session, departement="85")
        mayenne = ptce.list_ptce_catalogue(session=session, departement="53")
    assert len(every) == 8 and {c.departement for c in every} == {"44", "49", "72", "85"}
    assert sorted(c.carrier for c in vendee) == ["Association Icroacoa", "Association Label ESS 85"]
    assert mayenne == []
    nantes = next(c for c in every if c.code == "agglo-nantaise")
    assert ("S04", "Les Ecossolies et leur incubateur") in nantes.stands
    assert all(c.lat is not None and c.lon is not None for c in every)


def test_contributions_count_for_a_ptce_by_its_stand_or_by_a_staff_tag(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        stand = contributions.find_open_stand(session=session, code="S04")
        assert stand is not None
        at_stand = contributions.submit_contribution(
            session=session,
            draft=ContributionDraft(
                theme_id=stand.theme_id, body=BODY, idempotency_key=uuid.uuid4().hex, stand_id=stand.id
            ),
        )
        elsewhere = contributions.submit_contribution(
            session=session, draft=ContributionDraft(theme_id=1, body=BODY + " Bis.", idempotency_key=uuid.uuid4().hex)
        )
        ptce.tag_contribution_with_ptce(
            session=session,
            receipt_code=elsewhere.receipt_code.lower().replace("-", ""),
            ptce_code="montaigu",
            actor="staff",
        )
        with pytest.raises(ValidationError):
            ptce.tag_contribution_with_ptce(
                session=session, receipt_code="NOPE-NOPE", ptce_code="montaigu", actor="staff"
            )
        session.get(Contribution, at_stand.contribution_id).status = "published"  # type: ignore[union-attr]
    with session_scope(sqlite_engine) as session:
        cards = {c.code: c for c in ptce.list_ptce_catalogue(session=session)}
        assert cards["agglo-nantaise"].contributions == 1 and cards["agglo-nantaise"].latest == [BODY]
        assert cards["montaigu"].contributions == 1 and cards["montaigu"].latest == []  # still pending
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "contribution.tag_ptce")).first()


def test_staff_edit_a_ptce_with_checks_and_an_audit_event(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine, write=True) as session:
        card = ptce.list_ptce_catalogue(session=session, departement="72")[0]
        with pytest.raises(ValidationError) as refused:
            ptce.update_ptce(session=session, ptce_id=card.id, values={"name": " ", "lat": 80.0}, actor="staff")
        assert set(refused.value.errors) == {"name", "lat"}
        ptce.update_ptce(session=session, ptce_id=card.id, values={"support": "Aide régionale 2016."}, actor="staff")
    with session_scope(sqlite_engine) as session:
        assert ptce.list_ptce_catalogue(session=session, departement="72")[0].support == "Aide régionale 2016."
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "ptce.update")).one()
        assert event.actor == "staff" and event.after == {"support": "Aide régionale 2016."}
