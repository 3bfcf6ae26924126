"""The « Vos données » notice under every form that collects something: one wording for contributions and
questionnaire answers, so what people are told about retention and access cannot drift between forms."""

from __future__ import annotations

from dataclasses import dataclass

from services.editions import EditionInfo
from services.exports import md_escape


@dataclass(frozen=True)
class Wording:
    """What differs from one form's notice to another's: what is collected, which fields are personal, what one
    can see, correct or erase, and with which code."""

    collected: str
    personal_fields: str
    access: str
    code: str
    purpose_note: str = ""
    retention_note: str = ""


def privacy_notice(edition: EditionInfo, wording: Wording) -> str:
    """Markdown of our own (the edition's settings are staff's, nothing a participant typed): who collects, why,
    what is optional and erased when, and how to see, correct or erase it."""
    # Staff type these settings in the app: escaped, so they read as typed and are never interpreted.
    controllers = md_escape(edition.privacy_controller or " et ".join(edition.organisers) or "Les organisateurs")
    contact = md_escape(edition.privacy_contact) or controllers
    return (
        f"**Vos données.** {controllers} recueillent {wording.collected} pour préparer la stratégie régionale de "
        f"l'ESS{wording.purpose_note}. {wording.personal_fields} sont facultatifs et effacés au bout de "
        f"{edition.retention_months} mois{wording.retention_note}. "
        f"Pour consulter, corriger ou effacer {wording.access}, adressez-vous à {contact} en donnant {wording.code}."
    )


def contribution_notice(edition: EditionInfo) -> str:
    """Under the contribution form."""
    return privacy_notice(
        edition,
        Wording(
            collected="ces contributions, lors de la conférence qu'ils organisent,",
            purpose_note=" ; le texte est conservé avec les travaux de la stratégie",
            personal_fields="Le nom, l'organisation, le type d'acteur et le département",
            access="une contribution",
            code="son code de reçu",
        ),
    )


def questionnaire_notice(edition: EditionInfo, *, draft_retention_days: int) -> str:
    """Under each step of the questionnaire."""
    return privacy_notice(
        edition,
        Wording(
            collected="ces réponses",
            purpose_note=" ; vos propositions écrites deviennent des contributions, publiées sans votre nom",
            personal_fields="Le nom, l'adresse électronique, l'organisation, le type d'acteur et le département",
            retention_note=f" ; un brouillon jamais envoyé est effacé au bout de {draft_retention_days} jours",
            access="vos réponses",
            code="votre code de reprise",
        ),
    )
