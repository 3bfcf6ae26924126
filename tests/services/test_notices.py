"""The « Vos données » notice: one wording for the contribution form and the questionnaire."""

from __future__ import annotations

from core.config import get_settings
from services import notices


def test_both_forms_say_the_same_retention_and_contact_with_their_own_code() -> None:
    settings = get_settings().model_copy(update={"personal_data_retention_months": 18, "privacy_contact": "la CRESS"})
    contribution = notices.contribution_notice(settings)
    questionnaire = notices.questionnaire_notice(settings, draft_retention_days=60)
    for text in (contribution, questionnaire):
        assert text.startswith("**Vos données.** L'État et la Région des Pays de la Loire recueillent")
        assert "effacés au bout de 18 mois" in text and "adressez-vous à la CRESS" in text
    assert contribution.endswith("en donnant son code de reçu.")
    assert questionnaire.endswith("en donnant votre code de reprise.")
    assert "brouillon jamais envoyé est effacé au bout de 60 jours" in questionnaire
    assert "brouillon" not in contribution
