"""The page registry: which pages exist, who sees them, and the menu built from the session's role."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from services.auth import StaffAccount
from services.exports import md_escape
from services.permissions import Permission, role_allows
from ui.edition import active_edition
from ui.public_results import results_published


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url_path: str
    section: str
    permission: Permission | None = None  # None: open to everyone, participants included
    default: bool = False
    # None: always in the menu; else in the menu only when it answers True (the page's URL works regardless).
    listed: Callable[[], bool] | None = None


def _results_public() -> bool:
    """The public results page is in the menu once the session's edition's results are published."""
    return results_published(active_edition().id)


PROJECTS_PAGE_PATH = "app_pages/ptce.py"
PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/home.py", "Accueil", ":material/home:", "accueil", "Conférence", default=True),
    PageSpec("app_pages/contribute.py", "Contribuer", ":material/edit_note:", "contribuer", "Conférence"),
    PageSpec("app_pages/vote.py", "Donner mon avis", ":material/how_to_vote:", "avis", "Conférence"),
    PageSpec(
        "app_pages/my_contributions.py", "Mes contributions", ":material/inbox:", "mes-contributions", "Conférence"
    ),
    PageSpec("app_pages/join.py", "Rejoindre", ":material/qr_code_2:", "rejoindre", "Conférence"),
    PageSpec("app_pages/circuit.py", "Chasse aux trésors", ":material/map:", "circuit", "Conférence"),
    PageSpec("app_pages/stand.py", "Stand", ":material/storefront:", "stand", "Conférence"),
    PageSpec("app_pages/passport.py", "Mon passeport", ":material/badge:", "passeport", "Conférence"),
    PageSpec(PROJECTS_PAGE_PATH, "Projets", ":material/hub:", "ptce", "Conférence"),
    PageSpec(
        "app_pages/questionnaire.py", "Questionnaire aux acteurs", ":material/quiz:", "questionnaire", "Conférence"
    ),
    PageSpec("app_pages/follow.py", "Suivre ma contribution", ":material/track_changes:", "suivi", "Conférence"),
    PageSpec("app_pages/my_data.py", "Mes données", ":material/shield_person:", "mes-donnees", "Conférence"),
    PageSpec(
        "app_pages/accessibility.py",
        "Déclaration d'accessibilité",
        ":material/accessibility_new:",
        "accessibilite",
        "Conférence",
    ),
    PageSpec(
        "app_pages/public_results.py",
        "Résultats",
        ":material/insights:",
        "resultats",
        "Conférence",
        listed=_results_public,
    ),
    PageSpec(
        "app_pages/dashboard.py", "Tableau de bord", ":material/monitoring:", "direct", "En direct", Permission.LIVE
    ),
    PageSpec(
        "app_pages/verdict.py", "Verdict de la salle", ":material/how_to_vote:", "verdict", "En direct", Permission.LIVE
    ),
    PageSpec(
        "app_pages/projector.py", "Écran de la salle", ":material/tv:", "projecteur", "En direct", Permission.LIVE
    ),
    PageSpec(
        "app_pages/compare.py", "Édition précédente", ":material/compare:", "comparer", "En direct", Permission.LIVE
    ),
    PageSpec("app_pages/account.py", "Mon compte", ":material/person:", "compte", "Équipe", Permission.ACCOUNT),
    PageSpec(
        "app_pages/bulk_entry.py",
        "Saisie groupée",
        ":material/keyboard:",
        "saisie",
        "Équipe",
        Permission.BULK_ENTRY,
    ),
    PageSpec(
        "app_pages/import_questionnaire.py",
        "Import du questionnaire",
        ":material/upload_file:",
        "import-questionnaire",
        "Équipe",
        Permission.QUESTIONNAIRE,
    ),
    PageSpec(
        "app_pages/questionnaire_results.py",
        "Résultats du questionnaire",
        ":material/bar_chart:",
        "resultats-questionnaire",
        "Équipe",
        Permission.QUESTIONNAIRE,
    ),
    PageSpec(
        "app_pages/moderation.py",
        "Modération",
        ":material/fact_check:",
        "moderation",
        "Équipe",
        Permission.MODERATION,
    ),
    PageSpec(
        "app_pages/grouping.py",
        "Regroupement",
        ":material/join_inner:",
        "regroupement",
        "Équipe",
        Permission.GROUPING,
    ),
    PageSpec(
        "app_pages/drafting.py",
        "Rédaction",
        ":material/edit_document:",
        "redaction",
        "Équipe",
        Permission.DRAFTING,
    ),
    PageSpec(
        "app_pages/exports.py",
        "Exports",
        ":material/download:",
        "exports",
        "Équipe",
        Permission.EXPORTS,
    ),
    PageSpec(
        "app_pages/privacy.py",
        "Données personnelles",
        ":material/shield_person:",
        "donnees-personnelles",
        "Équipe",
        Permission.PRIVACY,
    ),
    PageSpec(
        "app_pages/moderation_backlog.py",
        "File de modération",
        ":material/pending_actions:",
        "file-moderation",
        "En direct",
        Permission.BACKLOG,
    ),
    PageSpec(
        "app_pages/circuit_live.py",
        "Circuit en direct",
        ":material/route:",
        "circuit-direct",
        "En direct",
        Permission.CIRCUIT,
    ),
    PageSpec(
        "app_pages/vote_admin.py",
        "Pilotage du vote",
        ":material/how_to_vote:",
        "pilotage-vote",
        "En direct",
        Permission.VOTE,
    ),
    PageSpec(
        "app_pages/operations.py",
        "Opérations du jour",
        ":material/monitor_heart:",
        "operations",
        "En direct",
        Permission.LIVE,
    ),
    PageSpec(
        "app_pages/admin_stands.py",
        "Stands du circuit",
        ":material/storefront:",
        "stands",
        "Administration",
        Permission.STANDS,
    ),
    PageSpec(
        "app_pages/admin_users.py",
        "Comptes de l'équipe",
        ":material/group:",
        "comptes",
        "Administration",
        Permission.USERS,
    ),
    PageSpec(
        "app_pages/admin_editions.py",
        "Éditions",
        ":material/event:",
        "editions",
        "Administration",
        Permission.EDITIONS,
    ),
    PageSpec(
        "app_pages/admin_reference.py",
        "Données de référence",
        ":material/database:",
        "referentiel",
        "Administration",
        Permission.REFERENCE,
    ),
)


# The page of the edition's featured projects is named as the edition names them (« PTCE », « Projets »…).
PROJECTS_PAGE = PROJECTS_PAGE_PATH


def page_title(spec: PageSpec) -> str:
    """The menu's title of a page, in this session's edition's words."""
    if spec.path == PROJECTS_PAGE:
        return active_edition().projects_label or spec.title
    return spec.title


def visible_pages(account: StaffAccount | None) -> list[PageSpec]:
    role = account.role if account else None
    return [p for p in PAGES if p.permission is None or role_allows(role, p.permission)]


# st.Page resolves its file on the disk when it is made (a path, a stat, the file's name parsed): a dozen pages at
# every run of every session was a sixth of a landing view's CPU (bench/bench_sessions.py). Each page is made
# once per process and description, then each run takes a shallow copy: st.navigation marks the page it runs on
# the object itself, which must therefore stay the session's own.
_PAGE_TEMPLATES: dict[tuple[str, ...], st.Page] = {}
_PAGE_TEMPLATES_LOCK = threading.Lock()


def _page(spec: PageSpec, title: str, *, visible: bool) -> st.Page:
    visibility: Literal["visible", "hidden"] = "visible" if visible else "hidden"
    ctx = get_script_run_ctx()
    home = str(ctx.pages_manager.main_script_parent) if ctx is not None else ""  # where st.Page resolves paths
    key = (home, spec.path, title, spec.icon, spec.url_path, str(spec.default), visibility)
    with _PAGE_TEMPLATES_LOCK:
        template = _PAGE_TEMPLATES.get(key)
    if template is None:
        template = st.Page(
            spec.path, title=title, icon=spec.icon, url_path=spec.url_path, default=spec.default, visibility=visibility
        )
        with _PAGE_TEMPLATES_LOCK:
            _PAGE_TEMPLATES.setdefault(key, template)
    return copy.copy(template)


def build_navigation(account: StaffAccount | None) -> dict[str, list[st.Page]] | list[st.Page]:
    """Only the pages this session may open are registered: any other URL falls back to the home page.

    A single section (a participant's menu) is handed over as a plain list: Streamlit then draws a plain
    <ul> of <li>, where its section headers would put <div>s inside the <ul> (an invalid list for screen
    readers, axe-core's `list` rule).
    """
    sections: dict[str, list[st.Page]] = {}
    for spec in visible_pages(account):
        visible = spec.listed is None or spec.listed()
        sections.setdefault(spec.section, []).append(_page(spec, page_title(spec), visible=visible))
    if len(sections) == 1:
        return next(iter(sections.values()))
    return sections


def run_menu(account: StaffAccount | None, slot: DeltaGenerator) -> st.Page:
    """Register this session's pages, draw its menu in `slot` (the sidebar's top), and return the page to run.

    Streamlit draws a menu of several sections as <ul><div><header/><li>…</li></div>…</ul>: the <ul> holds
    non-<li> children (axe-core's `list` and `listitem` rules, a malformed list for screen readers). A staff
    menu (several sections) is therefore drawn by the app: each section's name, then its pages as links
    (st.page_link marks the current one), with Streamlit's own menu hidden. A participant's single section is
    handed over as a plain list, which Streamlit draws as a well-formed <ul> of <li>.
    """
    pages = build_navigation(account)
    if isinstance(pages, list):
        # expanded: Streamlit would otherwise fold a long list under "View more".
        return st.navigation(pages, expanded=True)
    page = st.navigation(pages, position="hidden")
    with slot:
        for section, entries in pages.items():
            listed = [entry for entry in entries if entry.visibility == "visible"]
            if not listed:
                continue
            st.caption(section)
            for entry in listed:
                # A link's label is Markdown, and a title can be typed by staff (the projects page's name).
                st.page_link(entry, label=md_escape(entry.title), icon=entry.icon)
    return page
