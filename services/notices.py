"""The « Vos données » notice under every form that collects something: one wording for contributions and
questionnaire answers, so what people are told about retention and access cannot drift between forms."""

from __future__ import annotations

from core.config import Settings

CONTROLLERS = "L'État et la Région des Pays de la Loire"


def privacy_notice(
    *,
    settings: Settings,
    collected: str,
    personal_fields: str,
    access: str,
    code: str,
    purpose_note: str = "",
    retention_note: str = "",
) -> str:
    """Markdown of our own (the settings are ours, nothing a participant typed): who collects, why, what is
    optional and erased when, and how to see, correct or erase it."""
    return (
        f"**Vos données.** {CONTROLLERS} recueillent {collected} pour préparer la stratégie régionale de l'ESS"
        f"{purpose_note}. {personal_fields} sont facultatifs et effacés au bout de "
        f"{settings.personal_data_retention_months} mois{retention_note}. "
        f"Pour consulter, corriger ou effacer {access}, adressez-vous à {settings.privacy_contact} en donnant {code}."
    )


def contribution_notice(settings: Settings) -> str:
    """Under the contribution form."""
    return privacy_notice(
        settings=settings,
        collected="ces contributions, lors de la conférence qu'ils organisent,",
        purpose_note=" ; le texte est conservé avec les travaux de la stratégie",
        personal_fields="Le nom, l'organisation, le type d'acteur et le département",
        access="une contribution",
        code="son code de reçu",
    )


def questionnaire_notice(settings: Settings, *, draft_retention_days: int) -> str:
    """Under each step of the questionnaire."""
    return privacy_notice(
        settings=settings,
        collected="ces réponses, avec la CRESS,",
        purpose_note=" ; vos propositions écrites deviennent des contributions, publiées sans votre nom",
        personal_fields="Le nom, l'adresse électronique, l'organisation, le type d'acteur et le département",
        retention_note=f" ; un brouillon jamais envoyé est effacé au bout de {draft_retention_days} jours",
        access="vos réponses",
        code="votre code de reprise",
    )
