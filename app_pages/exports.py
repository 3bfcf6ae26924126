"""Exports: the draft strategy (Word, Markdown) and the contributions (Excel, CSV), anonymised by default.

Files are built on demand (a button), kept for this session only, and handed over with download buttons
that do not rerun the page. A full internal export is an explicit choice and goes to the audit trail.
Everything is the active edition's (the staff sidebar's choice); file names carry its identifier.
"""

from datetime import UTC, datetime

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from services import data_export, strategy_document
from services.exports import export_file_name, md_escape
from services.permissions import Permission
from ui import edition, store
from ui.auth import require
from ui.publication import publication_panel

account = require(Permission.EXPORTS)
current = edition.active_edition(staff=True)
edition_id = current.id

K_FULL = "exports_full"
K_REJECTED = "exports_rejected"
K_SEPARATOR = "exports_separator"
K_FILES = "exports_files"
SEPARATORS = {"semicolon": "Point-virgule (Excel en français)", "comma": "Virgule"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _name(kind: str, extension: str) -> str:
    return export_file_name(kind, current.slug, extension, now=datetime.now(UTC))


def _offer(
    column: DeltaGenerator, label: str, data: bytes, file_name: str, mime: str, *, key: str, primary: bool = False
) -> None:
    """A prepared file's download button; it does not rerun the page."""
    column.download_button(
        label,
        data,
        file_name=file_name,
        mime=mime,
        key=f"exports_get_{key}",
        on_click="ignore",
        type="primary" if primary else "secondary",
    )


def _record(kind: str) -> None:
    """The download goes to the audit trail (services.data_export.record_export)."""
    store.write(
        data_export.record_export,
        actor=account.username,
        kind=kind,
        anonymised=anonymised,
        include_rejected=include_rejected,
        edition_id=edition_id,
    )


# Files prepared for another edition earlier in this session are not offered under this one's name.
if st.session_state.get(K_FILES, {}).get("edition") != current.slug:
    st.session_state[K_FILES] = {"edition": current.slug}

st.title("Exports")
# Typed by staff (the edition's settings): escaped before Markdown sees it.
st.caption(md_escape(f"{current.name} · {current.place_and_date}"))
st.caption(
    "Le projet de stratégie pour la relecture et la publication, les contributions pour l'analyse. "
    "Par défaut, tout est anonymisé : aucun nom ni organisation des personnes restées anonymes, "
    "données personnelles masquées."
)

st.subheader("Projet de stratégie")
st.caption(
    "Page de titre, contexte, note de méthode et chiffres clés, puis par thème les orientations avec leur statut, "
    "le nombre et l'origine des contributions qui les appuient, l'avis des participants et quelques citations "
    "anonymisées ; annexe des sources."
)
left, right = st.columns(2)
if left.button("Préparer le document Word", key="exports_make_docx", icon=":material/description:"):
    st.session_state.setdefault(K_FILES, {})["docx"] = store.read(
        strategy_document.strategy_docx, edition_id=edition_id
    )
if right.button("Préparer le Markdown", key="exports_make_md", icon=":material/article:"):
    markdown = store.read(strategy_document.strategy_markdown, edition_id=edition_id)
    st.session_state.setdefault(K_FILES, {})["md"] = markdown.encode("utf-8")
files = st.session_state.get(K_FILES) or {}
if "docx" in files:
    _offer(
        left,
        "Télécharger le document Word",
        files["docx"],
        _name("strategie-ess-projet", "docx"),
        DOCX,
        key="docx",
        primary=True,
    )
if "md" in files:
    _offer(
        right, "Télécharger le Markdown", files["md"], _name("strategie-ess-projet", "md"), "text/markdown", key="md"
    )

st.subheader("Données des contributions")
st.caption(
    "Excel : une feuille de synthèse, une feuille par thème et une par origine, avec filtres et en-têtes figés, "
    "et la feuille « Avis sur les orientations » (des comptes, jamais d'identifiant de téléphone). "
    "CSV : UTF-8 avec BOM, séparateur au choix."
)
full = st.toggle(
    "Export interne complet (noms, organisations et textes tels que saisis)",
    key=K_FULL,
    help="Réservé à l'équipe : ce fichier contient des données personnelles. Son téléchargement est journalisé.",
)
if full:
    st.warning("Export interne : ne pas diffuser. Le téléchargement est inscrit au journal.", icon=":material/lock:")
include_rejected = st.checkbox("Inclure les contributions rejetées", key=K_REJECTED)
separator = st.radio(
    "Séparateur du CSV", list(SEPARATORS), format_func=SEPARATORS.__getitem__, key=K_SEPARATOR, horizontal=True
)
anonymised = not full
actor = account.username
suffix = "interne" if full else "anonyme"
left, right = st.columns(2)
if left.button("Préparer le fichier Excel", key="exports_make_xlsx", icon=":material/table_view:"):
    with st.spinner("Préparation du fichier Excel…"):
        st.session_state.setdefault(K_FILES, {})["xlsx"] = (
            store.read(
                data_export.excel_export,
                actor=actor,
                anonymised=anonymised,
                include_rejected=include_rejected,
                edition_id=edition_id,
            ),
            suffix,
        )
    _record("xlsx")
if right.button("Préparer le fichier CSV", key="exports_make_csv", icon=":material/csv:"):
    data = store.read(
        data_export.csv_export,
        actor=actor,
        anonymised=anonymised,
        include_rejected=include_rejected,
        semicolon=separator == "semicolon",
        edition_id=edition_id,
    )
    st.session_state.setdefault(K_FILES, {})["csv"] = (data, suffix)
    _record("csv")
files = st.session_state.get(K_FILES) or {}
if "xlsx" in files:
    data, kind = files["xlsx"]
    _offer(
        left,
        "Télécharger le fichier Excel",
        data,
        _name(f"contributions-{kind}", "xlsx"),
        XLSX,
        key="xlsx",
        primary=True,
    )
if "csv" in files:
    data, kind = files["csv"]
    _offer(right, "Télécharger le fichier CSV", data, _name(f"contributions-{kind}", "csv"), "text/csv", key="csv")

st.divider()
publication_panel(actor=account.username, edition_id=edition_id, slug=current.slug)
