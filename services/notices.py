"""The « Vos données » notice under every form that collects something: one wording for contributions and
questionnaire answers, so what people are told about retention and access cannot drift between forms."""

from __future__ import annotations

from services.editions import EditionInfo
from services.exports import md_escape


def privacy_notice(
    *,
    edition: EditionInfo,
    collected: str,
    personal_fields: str,
    access: str,
    code: str,
    purpose_note: str = "",
    retention_note: str = "",
) -> str:
    """Markdown of our own (the edition's settings are staff's, nothing a participant typed): who collects, why,
    what is optional and erased when, and how to see, correct or erase it."""
    # Staff type these settings in the app: escaped, so they read as typed and are never interpreted.
    controllers = md_escape(edition.privacy_controller or " et ".join(edition.organisers) or "Les organisateurs")
    contact = md_escape(edition.privacy_contact) or controllers
    return (
        f"**Vos données.** {controllers} recueillent {collected} pour préparer la stratégie régionale de l'ESS"
        f"{purpose_note}. {personal_fields} sont facultatifs et effacés au bout de "
        f"{edition.retention_months} mois{retention_note}. "
        f"Pour consulter, corriger ou effacer {access}, adressez-vous à {contact} en donnant {code}."
    )


def contribution_notice(edition: EditionInfo) -> str:
    """Under the contribution form."""
    return privacy_notice(
        edition=edition,
        collected="ces contributions, lors de la conférence qu'ils organisent,",
        purpose_note=" ; le texte est conservé avec les travaux de la stratégie",
        personal_fields="Le nom, l'organisation, le type d'acteur et le département",
        access="une contribution",
        code="son code de reçu",
    )


def questionnaire_notice(edition: EditionInfo, *, draft_retention_days: int) -> str:
    """Under each step of the questionnaire."""
    return privacy_notice(
        edition=edition,
        collected="ces réponses",
        purpose_note=" ; vos propositions écrites deviennent des contributions, publiées sans votre nom",
        personal_fields="Le nom, l'adresse électronique, l'organisation, le type d'acteur et le département",
        retention_note=f" ; un brouillon jamais envoyé est effacé au bout de {draft_retention_days} jours",
        access="vos réponses",
        code="votre code de reprise",
    )
