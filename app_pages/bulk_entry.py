"""Saisie groupée: staff type or paste paper and workshop contributions, several a minute, same rules.

Shared settings (origin, theme, date, who) stay put between entries; the per-entry fields live in a
form, so Ctrl+Entrée in the text sends it. Sending happens in callbacks, which clear the entry only
once it is stored; a refused entry keeps what was typed, with its messages.
"""

import uuid
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any

import pandas as pd
import streamlit as st

from services import contributions, reference
from services.contributions import BODY_MAX_CHARS, BULK_SOURCES, TITLE_MAX_CHARS, ContributionDraft
from services.formatting import PARIS, format_datetime, format_number
from services.labels import DISPLAY_MODE_LABELS, SOURCE_LABELS, STANCE_LABELS, label
from services.permissions import Permission
from services.scope import ARCHIVED
from ui import edition, forms, store
from ui.auth import require
from ui.components import about_you

account = require(Permission.BULK_ENTRY)
current = edition.active_edition()

K_SOURCE = "bulk_source"
K_THEME = "bulk_theme"
K_DATE = "bulk_date"
K_ACTOR = "bulk_actor"
K_DEPT = "bulk_departement"
K_ORIENTATION = "bulk_orientation"
K_STANCE = "bulk_stance"
K_BODY = "bulk_body"
K_TITLE = "bulk_title"
K_NAME = "bulk_name"
K_ORG = "bulk_organisation"
K_DISPLAY = "bulk_display"
K_IDEMPOTENCY = "bulk_idempotency_key"
K_ERRORS = "bulk_errors"
K_LAST = "bulk_last_saved"
K_PASTE = "bulk_paste"
K_BATCH = "bulk_batch_key"
K_BATCH_REPORT = "bulk_batch_report"
# "Nothing chosen" options: a None option would show Streamlit's own (English) placeholder instead.
NONE = about_you.UNSAID
NO_ORIENTATION = 0
NOT_SPECIFIED = "Non précisé"

INTRO = (
    "Contributions reçues sur papier ou notées pendant les ateliers : mêmes règles que sur les téléphones. "
    "Les réglages ci-dessous restent en place d'une saisie à l'autre."
)
WHEN = "Date de l'atelier ou du formulaire"
PICK_THEME = "Choisissez le thème"
STANCES = {NONE: "Non précisée", **STANCE_LABELS}
STANCE_HELP = "Prise en compte seulement avec une orientation."
SEND_HELP = "Ctrl+Entrée (⌘+Entrée sur Mac) enregistre et vide le champ pour la suivante."

FORM = forms.Form(K_ERRORS)
# Messages drawn under their field; any other (type of actor, département, a refusal) goes by the button.
FIELDS = {"theme_id", "body", "title", "orientation_id", "stance", "author_name", "organisation", "display_mode"}


def _created_at() -> datetime | None:
    """Today's entries are stamped now; an earlier workshop or form date is stamped at noon, Paris time."""
    day = st.session_state.get(K_DATE)
    if not isinstance(day, date) or day >= datetime.now(PARIS).date():
        return None
    return datetime.combine(day, time(12, 0), tzinfo=PARIS)


def _draft(body: str = "", idempotency_key: str = "") -> ContributionDraft:
    """An entry with the settings shared above the tabs: origin, theme, date, who."""
    ss = st.session_state
    return ContributionDraft(
        theme_id=ss.get(K_THEME),
        body=body,
        idempotency_key=idempotency_key,
        source=ss.get(K_SOURCE) or BULK_SOURCES[0],
        actor_type=ss.get(K_ACTOR) or None,
        departement=ss.get(K_DEPT) or None,
        entered_by=account.username,
        created_at=_created_at(),
    )


def _save_one() -> None:
    ss = st.session_state
    orientation_id = ss.get(K_ORIENTATION) or None
    draft = replace(
        _draft(ss.get(K_BODY) or "", ss[K_IDEMPOTENCY]),
        title=ss.get(K_TITLE) or "",
        orientation_id=orientation_id,
        stance=(ss.get(K_STANCE) or None) if orientation_id is not None else None,
        author_name=ss.get(K_NAME) or "",
        organisation=ss.get(K_ORG) or "",
        display_mode=ss.get(K_DISPLAY) or "anonymous",
    )
    receipt = FORM.submit(contributions.submit_contribution, draft=draft, edition_id=current.id)
    if receipt is None:
        return
    FORM.clear()
    ss[K_LAST] = {"code": receipt.receipt_code, "duplicate": receipt.duplicate}
    for key in (K_BODY, K_TITLE, K_NAME, K_ORG):
        ss[key] = ""
    ss[K_ORIENTATION] = NO_ORIENTATION
    ss[K_STANCE] = NONE
    ss[K_DISPLAY] = "anonymous"
    ss[K_IDEMPOTENCY] = uuid.uuid4().hex


def _save_batch() -> None:
    ss = st.session_state
    paragraphs = contributions.split_pasted_text(ss.get(K_PASTE) or "")
    if not paragraphs:
        ss[K_BATCH_REPORT] = {"saved": 0, "refused": [], "empty": True}
        return
    common = _draft()
    drafts = [
        replace(common, body=text, idempotency_key=contributions.batch_idempotency_key(ss[K_BATCH], text))
        for text in paragraphs
    ]
    items = FORM.saving.attempt(contributions.submit_batch, drafts=drafts, edition_id=current.id)
    if isinstance(items, forms.Failure):
        ss[K_BATCH_REPORT] = {"saved": 0, "refused": [], "blocked": list(items.errors.values())}
        return
    refused = [(paragraphs[i.index], " ".join(i.errors.values())) for i in items if i.receipt is None]
    ss[K_BATCH_REPORT] = {
        "saved": sum(1 for i in items if i.receipt is not None and not i.receipt.duplicate),
        "duplicates": sum(1 for i in items if i.receipt is not None and i.receipt.duplicate),
        "refused": [{"Texte": text, "Motif": reason} for text, reason in refused],
    }
    # What was refused stays in the box to be corrected; the batch key stays too, so sending the
    # corrected box again never stores twice a paragraph that had already gone through.
    ss[K_PASTE] = "\n\n".join(text for text, _ in refused)
    if not refused:
        ss[K_BATCH] = uuid.uuid4().hex


def _settings() -> int | None:
    """What every entry below receives, kept from one entry to the next; returns the chosen theme."""
    themes = store.themes(current.id)
    # Numbered in their order (ids run on from one edition to the next).
    theme_labels = {t.id: f"{n}. {t.label}" for n, t in enumerate(themes, start=1)}
    today = datetime.now(PARIS).date()
    with st.container(border=True):
        left, right = st.columns(2)
        with left:
            sources = {source: SOURCE_LABELS[source] for source in BULK_SOURCES}
            forms.choice(st.segmented_control, "Origine", sources, key=K_SOURCE, default=BULK_SOURCES[0], required=True)
        with right:
            st.date_input(WHEN, value=today, max_value=today, format="DD/MM/YYYY", key=K_DATE)
        # A theme kept from another edition chosen earlier in this session no longer applies.
        if st.session_state.get(K_THEME) not in theme_labels:
            st.session_state[K_THEME] = None
        theme_id: int | None = FORM.choice(
            st.selectbox, "Thème", theme_labels, key=K_THEME, error="theme_id", index=None, placeholder=PICK_THEME
        )
        about_you.actor_and_departement(
            store.read(reference.list_departements, edition_id=current.id),
            keys=(K_ACTOR, K_DEPT),
            labels=("Type d'acteur", "Département"),
            unsaid=NOT_SPECIFIED,
            side_by_side=True,
        )
    return theme_id


def _one(theme_id: int | None) -> None:
    """One entry at a time: Ctrl+Entrée in the text sends it."""
    orientations = (
        store.read(reference.list_orientation_infos, theme_id=theme_id, edition_id=current.id)
        if theme_id is not None
        else []
    )
    titles = {NO_ORIENTATION: "Aucune"} | {o.id: f"{o.code} · {o.title}" for o in orientations}
    if st.session_state.get(K_ORIENTATION) not in titles:
        st.session_state[K_ORIENTATION] = NO_ORIENTATION
    with st.form("bulk_one", border=False, enter_to_submit=True):
        FORM.field(
            st.text_area,
            "Texte de la contribution",
            key=K_BODY,
            error="body",
            max_chars=BODY_MAX_CHARS,
            height=150,
            help=SEND_HELP,
        )
        FORM.field(st.text_input, "Titre (facultatif)", key=K_TITLE, error="title", max_chars=TITLE_MAX_CHARS)
        left, right = st.columns(2)
        with left:
            FORM.choice(st.selectbox, "Orientation concernée", titles, key=K_ORIENTATION, error="orientation_id")
        with right:
            FORM.choice(st.selectbox, "Position", STANCES, key=K_STANCE, error="stance", help=STANCE_HELP)
        left, middle, right = st.columns(3)
        with left:
            FORM.field(st.text_input, "Nom (facultatif)", key=K_NAME, error="author_name")
        with middle:
            FORM.field(st.text_input, "Organisation (facultatif)", key=K_ORG, error="organisation")
        with right:
            FORM.choice(st.selectbox, "Affichage", DISPLAY_MODE_LABELS, key=K_DISPLAY, error="display_mode")
        FORM.show_rest(FIELDS)
        st.form_submit_button("Enregistrer", type="primary", on_click=_save_one, icon=":material/save:")
    if last := st.session_state.get(K_LAST):
        suffix = " (déjà reçue : comptée une seule fois)" if last.get("duplicate") else ""
        st.success(f"Enregistrée : reçu **{last['code']}**{suffix}.", icon=":material/check_circle:")


def _many() -> None:
    """Several at once, pasted: one per paragraph."""
    st.text_area(
        "Contributions à enregistrer, une par paragraphe (séparez-les par une ligne vide)",
        key=K_PASTE,
        height=260,
        help="Toutes reçoivent l'origine, le thème, la date, le type d'acteur et le département choisis plus haut.",
    )
    count = len(contributions.split_pasted_text(st.session_state.get(K_PASTE) or ""))
    st.caption(f"{format_number(count)} contribution{'s' if count > 1 else ''} détectée{'s' if count > 1 else ''}.")
    st.button(
        f"Enregistrer les {format_number(count)} contributions" if count > 1 else "Enregistrer",
        type="primary",
        key="bulk_send_batch",
        on_click=_save_batch,
        disabled=count == 0,
        icon=":material/save:",
    )
    if report := st.session_state.get(K_BATCH_REPORT):
        _batch_report(report)


def _batch_report(report: dict[str, Any]) -> None:
    if report.get("empty"):
        st.warning("Rien à enregistrer : le champ est vide.")
        return
    if report.get("blocked"):
        for message in report["blocked"]:
            st.error(message)
        return
    saved = report["saved"]
    st.success(f"{format_number(saved)} contribution{'s' if saved > 1 else ''} enregistrée{'s' if saved > 1 else ''}.")
    if report.get("duplicates"):
        st.info(f"{format_number(report['duplicates'])} déjà reçue(s) lors d'un envoi précédent : non recomptée(s).")
    if report["refused"]:
        st.error(
            f"{format_number(len(report['refused']))} refusée(s) : elles sont restées dans le champ, "
            "corrigez-les puis enregistrez à nouveau."
        )
        st.dataframe(pd.DataFrame(report["refused"]), hide_index=True, width="stretch")


def _entry_row(entry: contributions.EntryRow) -> dict[str, str]:
    return {
        "Reçu": entry.receipt_code,
        "Date": format_datetime(entry.created_at),
        "Thème": entry.theme_label,
        "Origine": label(SOURCE_LABELS, entry.source),
        "Texte": entry.text,
    }


st.session_state.setdefault(K_IDEMPOTENCY, uuid.uuid4().hex)
st.session_state.setdefault(K_BATCH, uuid.uuid4().hex)

st.title("Saisie groupée")
st.caption(INTRO)
if current.archived:
    st.info(ARCHIVED, icon=":material/inventory_2:")
chosen_theme = _settings()
one, many = st.tabs(["Une par une", "Coller plusieurs"])
with one:
    _one(chosen_theme)
with many:
    _many()

st.subheader("Vos dernières saisies")
entries = store.read(contributions.list_entries_by, entered_by=account.username, limit=20, edition_id=current.id)
if entries:
    st.dataframe(pd.DataFrame([_entry_row(e) for e in entries]), hide_index=True, width="stretch")
else:
    st.caption("Aucune saisie pour l'instant.")
