"""The accessibility statement's facts: the audit file's round trip, the committed audit, who answers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from services import accessibility
from services.accessibility import AuditedPage, AuditRecord, Exclusion
from services.editions import EditionInfo
from ui.navigation import PAGES


def _record() -> AuditRecord:
    return AuditRecord(
        audited_on=date(2030, 1, 2),
        axe_core="4.14.1",
        browser="Chromium 1",
        rule_tags=("wcag2a",),
        pages=(AuditedPage("contribuer", "Contribuer", "participants", "390 × 844", {"serious": 0, "minor": 2}),),
        exclusions=(Exclusion("list", "ul", "raison"),),
        keyboard_journeys=("Contribuer",),
    )


def test_the_audit_file_reads_back_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "audit.json"
    accessibility.write_audit(_record(), path)
    assert accessibility.load_audit(path) == _record()


def test_a_missing_or_broken_audit_file_reads_as_no_audit(tmp_path: Path) -> None:
    assert accessibility.load_audit(tmp_path / "absent.json") is None
    (tmp_path / "broken.json").write_text('{"audited_on": "2030-01-02"}', encoding="utf-8")
    assert accessibility.load_audit(tmp_path / "broken.json") is None


def test_the_committed_audit_covers_every_page_with_no_serious_violation() -> None:
    """The statement shows this file: it must be the last full run's, on today's list of pages."""
    audit = accessibility.load_audit()
    assert audit is not None, "assets/accessibility/axe_audit.json manque : ESS_RECORD_AXE_AUDIT=1 (voir le test)"
    assert {p.url_path for p in audit.pages} == {p.url_path for p in PAGES}
    assert audit.blocking == 0
    assert all(e.reason for e in audit.exclusions)


def _edition(controller: str, contact: str) -> EditionInfo:
    return EditionInfo(
        id=1,
        slug="test",
        name="Conférence de test",
        region_code="00",
        region_name="",
        city="",
        venue="",
        start_date=date(2030, 1, 2),
        end_date=None,
        organisers=("État", "Collectivité"),
        introduction="",
        document_context="",
        projects_label="Projets",
        projects_intro="",
        public_base_url="",
        privacy_controller=controller,
        privacy_contact=contact,
        retention_months=24,
        status="open",
        is_default=True,
    )


def test_who_answers_comes_from_the_editions_settings() -> None:
    assert accessibility.responsible(_edition("L'organisation", "le service X")) == accessibility.Responsible(
        "L'organisation", "le service X"
    )
    # No controller typed: the organisers; no contact: the controller.
    assert accessibility.responsible(_edition("", "")) == accessibility.Responsible(
        "État et Collectivité", "État et Collectivité"
    )
