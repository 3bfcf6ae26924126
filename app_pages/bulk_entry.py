"""Saisie groupée: staff type or paste paper and workshop contributions, several a minute, same rules.

Shared settings (origin, theme, date, who) stay put between entries; the per-entry fields live in a
form, so Ctrl+Entrée in the text sends it. Sending happens in callbacks, which clear the entry only
once it is stored; a refused entry keeps what was typed, with its messages.
"""

import uuid
from datetime import date, datetime, time

import pandas as pd
import streamlit as st

from services import contributions, reference
from services.contributions import BODY_MAX_CHARS, BULK_SOURCES, TITLE_MAX_CHARS, ContributionDraft
from services.errors import ValidationError
from services.formatting import PARIS, format_datetime, format_number
from services.labels import ACTOR_TYPE_LABELS, DISPLAY_MODE_LABELS, SOURCE_LABELS, STANCE_LABELS, label
from services.permissions import Permission
from services.scope import ARCHIVED
from ui import edition, store
from ui.auth import require

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
NONE = ""
NO_ORIENTATION = 0


def _created_at() -> datetime | None:
    """Today's entries are stamped now; an earlier workshop or form date is stamped at noon, Paris time."""
    day = st.session_state.get(K_DATE)
    if not isinstance(day, date) or day >= datetime.now(PARIS).date():
        return None
    return datetime.combine(day, time(12, 0), tzinfo=PARIS)


def _common() -> dict:
    ss = st.session_state
    return {
        "theme_id": ss.get(K_THEME),
        "source": ss.get(K_SOURCE) or BULK_SOURCES[0],
        "actor_type": ss.get(K_ACTOR) or None,
        "departement": ss.get(K_DEPT) or None,
        "entered_by": account.username,
        "created_at": _created_at(),
    }


def _save_one() -> None:
    ss = st.session_state
    orientation_id = ss.get(K_ORIENTATION) or None
    draft = ContributionDraft(
        **_common(),
        body=ss.get(K_BODY) or "",
        title=ss.get(K_TITLE) or "",
        orientation_id=orientation_id,
        stance=(ss.get(K_STANCE) or None) if orientation_id is not None else None,
        author_name=ss.get(K_NAME) or "",
        organisation=ss.get(K_ORG) or "",
        display_mode=ss.get(K_DISPLAY) or "anonymous",
        idempotency_key=ss[K_IDEMPOTENCY],
    )
    try:
        receipt = store.write(contributions.submit_contribution, draft=draft, edition_id=current.id)
    except ValidationError as exc:
        ss[K_ERRORS] = exc.errors
        return
    ss[K_ERRORS] = {}
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
    common = _common()
    drafts = [
        ContributionDraft(**common, body=text, idempotency_key=contributions.batch_idempotency_key(ss[K_BATCH], text))
        for text in paragraphs
    ]
    try:
        items = store.write(contributions.submit_batch, drafts=drafts, edition_id=current.id)
    except ValidationError as exc:
        ss[K_BATCH_REPORT] = {"saved": 0, "refused": [], "blocked": list(exc.errors.values())}
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


def _show_error(field: str) -> None:
    if message := (st.session_state.get(K_ERRORS) or {}).get(field):
        st.error(message, icon=":material/error:")


st.session_state.setdefault(K_IDEMPOTENCY, uuid.uuid4().hex)
st.session_state.setdefault(K_BATCH, uuid.uuid4().hex)

st.title("Saisie groupée")
st.caption(
    "Contributions reçues sur papier ou notées pendant les ateliers : mêmes règles que sur les téléphones. "
    "Les réglages ci-dessous restent en place d'une saisie à l'autre."
)

if current.archived:
    st.info(ARCHIVED, icon=":material/inventory_2:")

themes = store.themes(current.id)
# format_func: bound dict lookups, not lambdas. AppTest keeps them in session state, which must pickle.
# Numbered in their order (ids run on from one edition to the next).
theme_labels = {t.id: f"{n}. {t.label}" for n, t in enumerate(themes, start=1)}
departements = dict(store.read(reference.list_departements, edition_id=current.id))
departement_labels = {NONE: "Non précisé"}
departement_labels |= {code: name if code == "HORS" else f"{code} · {name}" for code, name in departements.items()}
with st.container(border=True):
    left, right = st.columns(2)
    with left:
        st.segmented_control(
            "Origine",
            list(BULK_SOURCES),
            format_func=SOURCE_LABELS.__getitem__,
            default=BULK_SOURCES[0],
            required=True,
            key=K_SOURCE,
        )
    with right:
        st.date_input(
            "Date de l'atelier ou du formulaire",
            value=datetime.now(PARIS).date(),
            max_value=datetime.now(PARIS).date(),
            format="DD/MM/YYYY",
            key=K_DATE,
        )
    # Settings kept from another edition chosen earlier in this session no longer apply.
    if st.session_state.get(K_THEME) not in theme_labels:
        st.session_state[K_THEME] = None
    if st.session_state.get(K_DEPT) not in departement_labels:
        st.session_state[K_DEPT] = NONE
    theme_id = st.selectbox(
        "Thème",
        [t.id for t in themes],
        index=None,
        format_func=theme_labels.__getitem__,
        placeholder="Choisissez le thème",
        key=K_THEME,
    )
    _show_error("theme_id")
    left, right = st.columns(2)
    with left:
        st.selectbox(
            "Type d'acteur",
            [NONE, *ACTOR_TYPE_LABELS],
            format_func={NONE: "Non précisé", **ACTOR_TYPE_LABELS}.__getitem__,
            key=K_ACTOR,
        )
    with right:
        st.selectbox(
            "Département",
            list(departement_labels),
            format_func=departement_labels.__getitem__,
            key=K_DEPT,
        )

one, many = st.tabs(["Une par une", "Coller plusieurs"])
with one:
    orientations = (
        store.read(reference.list_orientations, theme_id=theme_id, edition_id=current.id)
        if theme_id is not None
        else []
    )
    titles = {NO_ORIENTATION: "Aucune"} | {o.id: f"{o.code} · {o.title}" for o in orientations}
    if st.session_state.get(K_ORIENTATION) not in titles:
        st.session_state[K_ORIENTATION] = NO_ORIENTATION
    with st.form("bulk_one", border=False, enter_to_submit=True):
        st.text_area(
            "Texte de la contribution",
            key=K_BODY,
            max_chars=BODY_MAX_CHARS,
            height=150,
            help="Ctrl+Entrée (⌘+Entrée sur Mac) enregistre et vide le champ pour la suivante.",
        )
        _show_error("body")
        st.text_input("Titre (facultatif)", key=K_TITLE, max_chars=TITLE_MAX_CHARS)
        _show_error("title")
        left, right = st.columns(2)
        with left:
            st.selectbox(
                "Orientation concernée",
                list(titles),
                format_func=titles.__getitem__,
                key=K_ORIENTATION,
            )
            _show_error("orientation_id")
        with right:
            st.selectbox(
                "Position",
                [NONE, *STANCE_LABELS],
                format_func={NONE: "Non précisée", **STANCE_LABELS}.__getitem__,
                key=K_STANCE,
                help="Prise en compte seulement avec une orientation.",
            )
            _show_error("stance")
        left, middle, right = st.columns(3)
        with left:
            st.text_input("Nom (facultatif)", key=K_NAME)
            _show_error("author_name")
        with middle:
            st.text_input("Organisation (facultatif)", key=K_ORG)
            _show_error("organisation")
        with right:
            st.selectbox(
                "Affichage", list(DISPLAY_MODE_LABELS), format_func=DISPLAY_MODE_LABELS.__getitem__, key=K_DISPLAY
            )
            _show_error("display_mode")
        other = {
            k: v
            for k, v in (st.session_state.get(K_ERRORS) or {}).items()
            if k not in {"theme_id", "body", "title", "orientation_id", "stance", "author_name", "organisation"}
            and k != "display_mode"
        }
        for message in other.values():
            st.error(message, icon=":material/error:")
        st.form_submit_button("Enregistrer", type="primary", on_click=_save_one, icon=":material/save:")
    if last := st.session_state.get(K_LAST):
        suffix = " (déjà reçue : comptée une seule fois)" if last.get("duplicate") else ""
        st.success(f"Enregistrée : reçu **{last['code']}**{suffix}.", icon=":material/check_circle:")

with many:
    st.text_area(
        "Contributions à enregistrer, une par paragraphe (séparez-les par une ligne vide)",
        key=K_PASTE,
        height=260,
        help="Toutes reçoivent l'origine, le thème, la date, le type d'acteur et le département choisis plus haut.",
    )
    pasted = st.session_state.get(K_PASTE) or ""
    count = len(contributions.split_pasted_text(pasted))
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
        if report.get("empty"):
            st.warning("Rien à enregistrer : le champ est vide.")
        elif report.get("blocked"):
            for message in report["blocked"]:
                st.error(message)
        else:
            saved = report["saved"]
            st.success(
                f"{format_number(saved)} contribution{'s' if saved > 1 else ''} enregistrée{'s' if saved > 1 else ''}."
            )
            if report.get("duplicates"):
                st.info(
                    f"{format_number(report['duplicates'])} déjà reçue(s) lors d'un envoi précédent : non recomptée(s)."
                )
            if report["refused"]:
                st.error(
                    f"{format_number(len(report['refused']))} refusée(s) : elles sont restées dans le champ, "
                    "corrigez-les puis enregistrez à nouveau."
                )
                st.dataframe(pd.DataFrame(report["refused"]), hide_index=True, width="stretch")

st.subheader("Vos dernières saisies")
entries = store.read(contributions.list_entries_by, entered_by=account.username, limit=20, edition_id=current.id)
if entries:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Reçu": e.receipt_code,
                    "Date": format_datetime(e.created_at),
                    "Thème": e.theme_label,
                    "Origine": label(SOURCE_LABELS, e.source),
                    "Texte": e.text,
                }
                for e in entries
            ]
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.caption("Aucune saisie pour l'instant.")
