"""The « Vos données » notice: one wording for the contribution form and the questionnaire, the edition's own."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from services import notices
from services.editions import EditionInfo


def edition(**changes: object) -> EditionInfo:
    base = EditionInfo(
        id=1,
        slug="test-2030",
        name="Conférence d'essai",
        region_code="24",
        region_name="Centre-Val de Loire",
        city="Tours",
        venue="",
        start_date=date(2030, 5, 14),
        end_date=None,
        organisers=("État", "Région"),
        introduction="",
        document_context="",
        projects_label="Projets",
        projects_intro="",
        public_base_url="",
        privacy_controller="La Région Centre-Val de Loire",
        privacy_contact="la CRESS",
        retention_months=18,
        status="open",
        is_default=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_both_forms_say_the_edition_s_controller_retention_and_contact_with_their_own_code() -> None:
    contribution = notices.contribution_notice(edition())
    questionnaire = notices.questionnaire_notice(edition(), draft_retention_days=60)
    for text in (contribution, questionnaire):
        assert text.startswith("**Vos données.** La Région Centre\\-Val de Loire recueillent")
        assert "effacés au bout de 18 mois" in text and "adressez-vous à la CRESS" in text
    assert contribution.endswith("en donnant son code de reçu.")
    assert questionnaire.endswith("en donnant votre code de reprise.")
    assert "brouillon jamais envoyé est effacé au bout de 60 jours" in questionnaire
    assert "brouillon" not in contribution


def test_settings_typed_by_staff_are_never_interpreted_as_markdown() -> None:
    text = notices.contribution_notice(edition(privacy_contact="[clic](javascript:alert(1))", privacy_controller=""))
    assert "[clic](" not in text and "\\[clic\\]" in text
    assert "État et Région recueillent" in text
