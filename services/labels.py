"""French labels of the domain's vocabularies: one place, used by every page and export."""

from __future__ import annotations

from models import (
    ActorType,
    DisplayMode,
    GroupStatus,
    ModerationStatus,
    OrientationStatus,
    RejectionCategory,
    Source,
    Stance,
    VoteChoice,
    VoteOrigin,
)

SOURCE_LABELS: dict[str, str] = {
    Source.WORKSHOP: "Atelier",
    Source.QUESTIONNAIRE: "Questionnaire aux acteurs",
    Source.CONFERENCE: "Conférence",
    Source.TREASURE_HUNT: "Chasse aux trésors",
    Source.ONLINE: "En ligne",
    Source.PAPER: "Papier",
}

STANCE_LABELS: dict[str, str] = {
    Stance.SUPPORT: "Je soutiens",
    Stance.SUPPORT_WITH_RESERVATIONS: "Je soutiens avec des réserves",
    Stance.DISAGREEMENT: "Je ne suis pas d'accord",
    Stance.NEW_PROPOSAL: "Je fais une nouvelle proposition",
}

# The adequacy check (services/votes.py): the four answers on each card, and where a stance was given.
VOTE_CHOICE_LABELS: dict[str, str] = {
    VoteChoice.AGREE: "D'accord",
    VoteChoice.RESERVATIONS: "D'accord avec réserves",
    VoteChoice.DISAGREE: "Pas d'accord",
    VoteChoice.SKIP: "Je ne sais pas / passer",
}

VOTE_ORIGIN_LABELS: dict[str, str] = {
    VoteOrigin.STAND: "Stand du circuit",
    VoteOrigin.CARDS: "Parcours des orientations",
    VoteOrigin.CONTRIBUTION: "Après une contribution",
    VoteOrigin.PAPER: "Bulletin papier",
}

MODERATION_LABELS: dict[str, str] = {
    ModerationStatus.PENDING: "À modérer",
    ModerationStatus.PUBLISHED: "Publiée",
    ModerationStatus.REJECTED: "Rejetée",
}

# Why a contribution was not published, as staff choose it and its author reads it (« Motif : … »).
REJECTION_CATEGORY_LABELS: dict[str, str] = {
    RejectionCategory.OFF_TOPIC: "Hors sujet pour la conférence",
    RejectionCategory.ABUSIVE: "Propos injurieux, diffamatoires ou discriminatoires",
    RejectionCategory.PERSONAL_DATA: "Données personnelles d'autrui",
    RejectionCategory.ADVERTISING: "Publicité ou propagande",
    RejectionCategory.DUPLICATE: "Doublon d'une autre contribution",
    RejectionCategory.UNINTELLIGIBLE: "Texte incompréhensible",
    RejectionCategory.OTHER: "Autre motif de la charte de participation",
}

ORIENTATION_STATUS_LABELS: dict[str, str] = {
    OrientationStatus.PROPOSED: "Proposée",
    OrientationStatus.RETAINED: "Retenue",
    OrientationStatus.AMENDED: "Amendée",
    OrientationStatus.NEW: "Nouvelle",
    OrientationStatus.DROPPED: "Abandonnée",
}

ACTOR_TYPE_LABELS: dict[str, str] = {
    ActorType.ASSOCIATION: "Association",
    ActorType.COOPERATIVE: "Coopérative",
    ActorType.MUTUAL: "Mutuelle",
    ActorType.FOUNDATION: "Fondation",
    ActorType.ESS_COMPANY: "Entreprise de l'ESS",
    ActorType.NETWORK: "Réseau ou fédération",
    ActorType.LOCAL_AUTHORITY: "Collectivité territoriale",
    ActorType.PUBLIC_BODY: "État ou organisme public",
    ActorType.CITIZEN: "Citoyen ou citoyenne",
    ActorType.OTHER: "Autre",
}

DISPLAY_MODE_LABELS: dict[str, str] = {
    DisplayMode.ANONYMOUS: "Anonyme",
    DisplayMode.NAME: "Sous mon nom",
    DisplayMode.ORGANISATION: "Au nom de mon organisation",
}

GROUP_STATUS_LABELS: dict[str, str] = {
    GroupStatus.PROPOSED: "Proposé",
    GroupStatus.CONFIRMED: "Confirmé",
    GroupStatus.REFUSED: "Refusé",
    GroupStatus.UNDONE: "Défait",
}


def label(mapping: dict[str, str], value: str | None, default: str = "—") -> str:
    """The French label of a stored value, or `default` when there is none."""
    if value is None:
        return default
    return mapping.get(value, value)


# Staff actions as the audit trail of a contribution shows them.
AUDIT_ACTION_LABELS: dict[str, str] = {
    "contribution.publish": "Publiée",
    "contribution.reject": "Rejetée",
    "contribution.requeue": "Remise à modérer",
    "contribution.theme": "Thème changé",
    "contribution.tags": "Étiquettes",
    "contribution.mask": "Données personnelles masquées",
}

# Fields of a contribution named in the audit trail.
FIELD_LABELS: dict[str, str] = {
    "status": "statut",
    "rejection_reason": "motif",
    "rejection_category": "catégorie du motif",
    "theme_id": "thème",
    "orientation_id": "orientation",
    "stance": "position",
    "tags": "étiquettes",
    "masked_body": "texte masqué",
}
