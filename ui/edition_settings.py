"""The « Réglages de l'édition » form's fields (the « Éditions » page): every setting of an edition, as typed."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from services import geo, packs
from services.editions import EditionInfo, EditionStatus

STATUS_CHOICES = [s.value for s in EditionStatus]
REGIONS = {r.code: r.name for r in geo.regions()}
# Labels as dicts, not lambdas: widget options must stay serialisable (enforceSerializableSessionState).
REGION_LABELS = {code: f"{name} ({code})" for code, name in REGIONS.items()}


def settings_fields(current: EditionInfo, frozen: bool) -> dict[str, object]:
    """The settings form's fields, as the values typed (every field frozen for an archived edition)."""
    values: dict[str, object] = {}
    values["name"] = st.text_input("Nom", value=current.name, disabled=frozen)
    values["slug"] = st.text_input(
        "Identifiant (dans les QR codes)",
        value=current.slug,
        disabled=frozen,
        help="Le changer rend caducs les QR codes déjà imprimés.",
    )
    region_codes = list(REGIONS)
    values["region_code"] = st.selectbox(
        "Région",
        region_codes,
        index=region_codes.index(current.region_code) if current.region_code in REGIONS else 0,
        format_func=REGION_LABELS.__getitem__,
        disabled=frozen,
    )
    c1, c2 = st.columns(2)
    values["city"] = c1.text_input("Ville", value=current.city, disabled=frozen)
    values["venue"] = c2.text_input("Lieu", value=current.venue, disabled=frozen)
    values["start_date"] = c1.date_input("Premier jour", value=current.start_date, format="DD/MM/YYYY", disabled=frozen)
    values["end_date"] = c2.date_input(
        "Dernier jour (si plusieurs)", value=current.end_date, format="DD/MM/YYYY", disabled=frozen
    )
    values["organisers"] = st.text_area(
        "Organisateurs (un par ligne)", value="\n".join(current.organisers), disabled=frozen
    ).splitlines()
    values |= _text_fields(current, frozen, c1)
    values["status"] = st.selectbox(
        "Statut",
        STATUS_CHOICES,
        index=STATUS_CHOICES.index(current.status),
        format_func=packs.STATUS_LABELS.__getitem__,
        help="En préparation : visible des équipes seulement. Ouverte : les participants contribuent. "
        "Archivée : consultation seule.",
    )
    return values


def _text_fields(current: EditionInfo, frozen: bool, column: DeltaGenerator) -> dict[str, object]:
    """The settings' texts: presentation, projects, public address, data controller, retention."""
    return {
        "introduction": st.text_area("Présentation (page d'accueil)", value=current.introduction, disabled=frozen),
        "document_context": st.text_area(
            "Contexte (document de stratégie)", value=current.document_context, disabled=frozen
        ),
        "projects_label": column.text_input(
            "Nom des projets mis en avant",
            value=current.projects_label,
            disabled=frozen,
            help="« PTCE », « Projets accompagnés »… : le titre de la page et de la carte.",
        ),
        "projects_intro": st.text_area("Présentation des projets", value=current.projects_intro, disabled=frozen),
        "public_base_url": st.text_input(
            "Adresse publique de l'application (QR codes)",
            value=current.public_base_url,
            disabled=frozen,
            placeholder="https://conference.exemple.fr",
        ),
        "privacy_controller": st.text_input(
            "Responsable du traitement des données", value=current.privacy_controller, disabled=frozen
        ),
        "privacy_contact": st.text_input(
            "À qui s'adresser pour ses données", value=current.privacy_contact, disabled=frozen
        ),
        "retention_months": st.number_input(
            "Conservation des données personnelles (mois)",
            min_value=1,
            max_value=120,
            value=current.retention_months,
            disabled=frozen,
        ),
    }
