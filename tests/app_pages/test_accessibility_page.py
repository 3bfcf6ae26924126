"""The accessibility statement under AppTest: public, in the RGAA's sections, its facts from the edition's
settings and the recorded audit file, never typed in the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from db.engine import session_scope
from models import Edition
from services import accessibility
from services.formatting import format_date
from tests.app_pages.helpers import app_as, texts

pytestmark = pytest.mark.usefixtures("app_env")

PAGE = "app_pages/accessibility.py"
SECTIONS = [
    "État de conformité",
    "Résultats des tests",
    "Contenus non accessibles",
    "Établissement de cette déclaration",
    "Retour d'information et contact",
    "Voies de recours",
]


def _set_contact(controller: str, contact: str) -> None:
    with session_scope(write=True) as session:
        for edition in session.exec(select(Edition)).all():
            edition.privacy_controller = controller
            edition.privacy_contact = contact
            session.add(edition)


@pytest.mark.parametrize("role", [None, "staff"])
def test_anyone_reads_the_statement_with_the_editions_contact_and_the_recorded_audit(role: str | None) -> None:
    _set_contact("Collectivité organisatrice de test", "la mission de test pour les questions")
    at = app_as(role).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.title[0].value == "Déclaration d'accessibilité"
    assert [h.value for h in at.header] == SECTIONS
    shown = texts(at)
    assert "Responsable de l'application : Collectivité organisatrice de test." in shown
    assert "contacter la mission de test pour les questions pour être orienté" in shown
    assert "Défenseur des droits" in shown and "**non conforme**" in shown
    audit = accessibility.load_audit()
    assert audit is not None
    assert f"établie le {format_date(audit.audited_on)}" in shown
    assert f"axe-core {audit.axe_core}" in shown.replace("\\", "")
    assert "aucune violation grave ou critique n'a été relevée" in shown
    assert not at.warning  # every page of the menu was in the audit


def test_without_a_recorded_audit_the_statement_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(accessibility, "AUDIT_FILE", tmp_path / "absent.json")
    monkeypatch.setattr(accessibility.load_audit, "__defaults__", (tmp_path / "absent.json",))
    at = app_as(None).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "Aucun audit automatique n'est enregistré" in at.warning[0].value
    assert "n'a pas encore de date" in texts(at)
