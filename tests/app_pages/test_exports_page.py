"""The exports page under AppTest: who opens it, each file built and offered, the full export journaled."""

from __future__ import annotations

import io
import uuid

import docx
import openpyxl
import pytest
from sqlmodel import select

from db.engine import session_scope
from models import AuditEvent, Theme
from services import contributions
from services.contributions import ContributionDraft
from tests.app_pages.helpers import app_as
from tests.editions import load_second_edition

pytestmark = pytest.mark.usefixtures("app_env")

PAGE = "app_pages/exports.py"


def add(body: str, **kw: object) -> None:
    with session_scope(write=True) as session:
        draft = ContributionDraft(theme_id=1, body=body, idempotency_key=uuid.uuid4().hex, **kw)  # type: ignore[arg-type]
        contributions.submit_contribution(session=session, draft=draft)


@pytest.mark.parametrize("role", [None, "organizer"])
def test_only_staff_reach_exports(role: str | None) -> None:
    at = app_as(role).run()
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


def test_staff_build_each_file_and_the_full_export_is_journaled() -> None:
    add("Une contribution signée que seul l'export interne montre avec son auteur.", author_name="Anne Martin")
    at = app_as("staff").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Exports"]
    at.button(key="exports_make_docx").click().run()
    assert not at.exception
    document = docx.Document(io.BytesIO(at.session_state["exports_files"]["docx"]))
    assert document.paragraphs[0].text.startswith("Stratégie régionale")
    at.button(key="exports_make_xlsx").click().run()
    assert not at.exception
    data, kind = at.session_state["exports_files"]["xlsx"]
    assert kind == "anonyme"
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert "Anne Martin" not in str([c for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r])

    at.toggle(key="exports_full").set_value(True).run()
    at.radio(key="exports_separator").set_value("comma").run()
    at.button(key="exports_make_csv").click().run()
    assert not at.exception
    data, kind = at.session_state["exports_files"]["csv"]
    assert kind == "interne" and "Anne Martin" in data.decode("utf-8-sig")
    with session_scope() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "export.download")).all()
    assert [(e.entity_id, e.after) for e in events] == [
        ("xlsx", {"anonymised": True, "include_rejected": False, "edition_id": 1}),
        ("csv", {"anonymised": False, "include_rejected": False, "edition_id": 1}),
    ]


def test_the_chosen_editions_files_hold_only_its_contributions() -> None:
    add("Une contribution ligerienne de la conférence de 2016.")
    with session_scope(write=True) as session:
        second_id = load_second_edition(session)
        emploi = session.exec(select(Theme.id).where(Theme.edition_id == second_id, Theme.code == "emploi")).one()
    with session_scope(write=True) as session:
        draft = ContributionDraft(
            theme_id=emploi,
            body="Une contribution berruyere de la conférence de 2022.",
            idempotency_key=uuid.uuid4().hex,
        )
        contributions.submit_contribution(session=session, draft=draft, edition_id=second_id)
    at = app_as("staff")
    at.session_state["edition_slug"] = "centre-val-de-loire-2022"  # the staff sidebar's choice
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "Conférence régionale de l'ESS 2022 · Centre\\-Val de Loire · Bourges · 24/11/2022" in [
        str(c.value) for c in at.caption
    ]
    at.button(key="exports_make_docx").click().run()
    document = docx.Document(io.BytesIO(at.session_state["exports_files"]["docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert document.paragraphs[0].text.endswith("— Centre-Val de Loire")
    assert "Bourges" in text and "Angers" not in text and "Pays de la Loire" not in text
    at.button(key="exports_make_csv").click().run()
    assert not at.exception
    data, _kind = at.session_state["exports_files"]["csv"]
    assert "berruyere" in data.decode("utf-8-sig") and "ligerienne" not in data.decode("utf-8-sig")
    with session_scope() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "export.download")).one()
    assert event.after == {"anonymised": True, "include_rejected": False, "edition_id": second_id}

    # Back to 2016 in the same session: the files made for 2022 are not offered under its name.
    at.selectbox(key="edition_switch").set_value("pays-de-la-loire-2016").run()  # the sidebar's switch
    assert not at.exception
    assert set(at.session_state["exports_files"]) == {"edition"}
    at.button(key="exports_make_csv").click().run()
    data, _kind = at.session_state["exports_files"]["csv"]
    assert "ligerienne" in data.decode("utf-8-sig") and "berruyere" not in data.decode("utf-8-sig")
