"""Modération: the queue of new contributions, oldest first; bulk decisions; personal data; the audit trail.

Keyboard first: the selection is a multiselect (type a receipt code, Entrée), actions are buttons reached
with Tab. Actions run in callbacks, so the selection is cleared once a decision is stored. Every text a
participant typed is drawn with st.text or inside a dataframe, never as markdown.
"""

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from services import drafting, moderation, reference
from services.errors import ServiceError, ValidationError
from services.exports import md_escape
from services.formatting import format_datetime, format_number
from services.labels import (
    AUDIT_ACTION_LABELS,
    FIELD_LABELS,
    MODERATION_LABELS,
    REJECTION_CATEGORY_LABELS,
    SOURCE_LABELS,
    STANCE_LABELS,
    label,
)
from services.moderation import PERSONAL_DATA_KINDS, QueueFilter
from services.permissions import Permission
from services.scope import ARCHIVED
from ui import edition, store
from ui.auth import require

account = require(Permission.MODERATION)
current = edition.active_edition()

K_THEME = "moderation_theme"
K_SOURCE = "moderation_source"
K_STAND = "moderation_stand"
K_STATUS = "moderation_status"
K_SELECTION = "moderation_selection"
K_REASON = "moderation_reason"
K_CATEGORY = "moderation_category"
K_NEW_THEME = "moderation_new_theme"
K_TAGS = "moderation_tags"
K_FEEDBACK = "moderation_feedback"
K_FOCUS = "moderation_focus"
K_MASKED = "moderation_masked_text"
FED_VIA = {"stance": "Position du participant", "link": "Lien de l'équipe", "group": "Groupe lié"}
ALL = ""  # "no filter": a None option would show Streamlit's own (English) placeholder

themes = store.themes(current.id)
# Numbered in their order (ids run on from one edition to the next).
theme_labels = {ALL: "Tous les thèmes"} | {str(t.id): f"{n}. {t.short_label}" for n, t in enumerate(themes, start=1)}
source_labels = {ALL: "Toutes les origines"} | dict(SOURCE_LABELS)
stands = store.read(reference.list_stands, edition_id=current.id)
stand_labels = {ALL: "Tous les stands"} | {str(s["id"]): f"{s['code']} · {s['name']}" for s in stands}
status_labels = {ALL: "Tous les statuts"} | dict(MODERATION_LABELS)
category_labels = {ALL: "Choisissez le motif"} | dict(REJECTION_CATEGORY_LABELS)


def _filters() -> QueueFilter:
    ss = st.session_state
    theme, stand = ss.get(K_THEME) or ALL, ss.get(K_STAND) or ALL
    return QueueFilter(
        theme_id=int(theme) if theme else None,
        source=ss.get(K_SOURCE) or None,
        stand_id=int(stand) if stand else None,
        status=ss.get(K_STATUS, "pending") or None,
    )


def _run(fn: Callable[..., int], done: str, **kwargs: object) -> None:
    """Run one staff action on the selection; keep a French summary (our words only) for the next run."""
    ss = st.session_state
    try:
        changed = store.write(
            fn,
            contribution_ids=list(ss.get(K_SELECTION) or []),
            actor=account.username,
            edition_id=current.id,
            **kwargs,
        )
    except ValidationError as exc:
        ss[K_FEEDBACK] = ("error", list(exc.errors.values()))
        return
    except ServiceError as exc:
        ss[K_FEEDBACK] = ("error", [exc.message])
        return
    ss[K_FEEDBACK] = ("success", [done.format(n=format_number(int(changed)))])
    ss[K_SELECTION] = []


def _publish() -> None:
    _run(moderation.publish, "Contributions publiées : {n}.")


def _reject() -> None:
    reason = st.session_state.get(K_REASON) or ""
    category = st.session_state.get(K_CATEGORY) or ALL
    _run(moderation.reject, "Contributions rejetées : {n}.", category=category, reason=reason)
    if st.session_state[K_FEEDBACK][0] == "success":
        st.session_state[K_REASON] = ""
        st.session_state[K_CATEGORY] = ALL


def _requeue() -> None:
    _run(moderation.return_to_queue, "Contributions remises à modérer : {n}.")


def _retheme() -> None:
    new_theme = st.session_state.get(K_NEW_THEME) or ALL
    if not new_theme:
        st.session_state[K_FEEDBACK] = ("error", ["Choisissez le nouveau thème."])
        return
    _run(moderation.change_theme, "Contributions changées de thème : {n}.", theme_id=int(new_theme))


def _tag() -> None:
    labels = moderation.split_tags(st.session_state.get(K_TAGS) or "")
    _run(moderation.add_tags, "Étiquettes ajoutées : {n}.", labels=labels)
    if st.session_state[K_FEEDBACK][0] == "success":
        st.session_state[K_TAGS] = ""


def _mask_selection() -> None:
    _run(moderation.mask_automatically, "Contributions masquées automatiquement : {n}.")


def _select_all(ids: list[int]) -> None:
    st.session_state[K_SELECTION] = ids


def _queue_table(queue: list[moderation.QueueItem]) -> None:
    """The contributions listed (texts as data, never markdown) and how many are shown."""
    with_category = any(i.rejection_category for i in queue)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Reçu": i.receipt_code,
                    "Reçue le": format_datetime(i.created_at),
                    "Thème": i.theme_label,
                    "Origine": label(SOURCE_LABELS, i.source),
                    "Stand": i.stand_name or "",
                    "Statut": label(MODERATION_LABELS, i.status),
                    # Beside the status when the list holds rejected items (empty column otherwise left out).
                    **(
                        {"Motif du rejet": label(REJECTION_CATEGORY_LABELS, i.rejection_category, "")}
                        if with_category
                        else {}
                    ),
                    "Titre": i.title,
                    "Texte": i.text,
                    "Étiquettes": ", ".join(i.tags),
                    "Données personnelles": ", ".join(PERSONAL_DATA_KINDS[k] for k in i.flags)
                    + (" (masquées)" if i.masked and i.flags else ""),
                }
                for i in queue
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    shown = format_number(len(queue))
    more = " (les 500 premières)" if len(queue) >= moderation.QUEUE_LIMIT else ""
    st.caption(f"{shown} contribution{'s' if len(queue) > 1 else ''} affichée{'s' if len(queue) > 1 else ''}{more}.")


def _bulk_actions() -> None:
    """The actions on the selection; each runs in its callback (see _run)."""
    selected = 0 if current.archived else len(st.session_state.get(K_SELECTION) or [])
    with st.container(border=True):
        st.caption(f"Actions sur la sélection ({format_number(selected)})")
        a1, a2, a3 = st.columns(3)
        a1.button("Publier", key="moderation_publish", type="primary", on_click=_publish, disabled=not selected)
        a2.button("Remettre à modérer", key="moderation_requeue", on_click=_requeue, disabled=not selected)
        a3.button(
            "Masquer les données personnelles", key="moderation_mask", on_click=_mask_selection, disabled=not selected
        )
        r0, r1, r2 = st.columns([2, 2, 1], vertical_alignment="bottom")
        if st.session_state.get(K_CATEGORY) not in category_labels:
            st.session_state[K_CATEGORY] = ALL
        r0.selectbox(
            "Motif du rejet (lu par l'auteur)",
            list(category_labels),
            format_func=category_labels.__getitem__,
            key=K_CATEGORY,
        )
        r1.text_input("Note interne à l'équipe", key=K_REASON, max_chars=moderation.REASON_MAX_CHARS)
        r2.button("Rejeter", key="moderation_reject", on_click=_reject, disabled=not selected)
        t1, t2 = st.columns([3, 1], vertical_alignment="bottom")
        new_theme_labels = {ALL: "Choisissez le thème"} | {
            str(t.id): f"{n}. {t.label}" for n, t in enumerate(themes, start=1)
        }
        if st.session_state.get(K_NEW_THEME) not in new_theme_labels:
            st.session_state[K_NEW_THEME] = ALL
        t1.selectbox("Nouveau thème", list(new_theme_labels), format_func=new_theme_labels.__getitem__, key=K_NEW_THEME)
        t2.button("Changer le thème", key="moderation_retheme", on_click=_retheme, disabled=not selected)
        g1, g2 = st.columns([3, 1], vertical_alignment="bottom")
        g1.text_input("Étiquettes (séparées par des virgules)", key=K_TAGS)
        g2.button("Ajouter", key="moderation_tag", on_click=_tag, disabled=not selected)


def _examine(item: moderation.QueueItem) -> None:
    """One contribution as typed, its personal data flagged, and its masked copy to edit."""
    focus = item.contribution_id
    st.caption(
        f"Reçue le {format_datetime(item.created_at)} · {label(SOURCE_LABELS, item.source)} · "
        f"{label(MODERATION_LABELS, item.status)}"
    )
    if item.title:
        st.text(item.title)
    st.text(item.body)
    shown = (
        ("Motif du rejet (lu par l'auteur) :", label(REJECTION_CATEGORY_LABELS, item.rejection_category, "")),
        ("Note interne à l'équipe :", item.rejection_reason),
        ("Étiquettes :", ", ".join(item.tags)),
    )
    for caption, text in shown:
        if text:
            st.caption(caption)
            st.text(text)
    if item.flags:
        st.warning(
            "Données personnelles repérées : " + ", ".join(PERSONAL_DATA_KINDS[k] for k in item.flags) + ".",
            icon=":material/privacy_tip:",
        )
    with st.form("moderation_mask_form", border=False):
        proposed = item.text if item.masked else moderation.mask_personal_data(item.body)
        masked = st.text_area(
            "Texte publié (données personnelles masquées)", value=proposed, key=f"{K_MASKED}_{focus}", height=120
        )
        save = st.form_submit_button("Enregistrer le texte masqué", disabled=current.archived)
    if save and (
        store.write_or_report(
            moderation.set_masked_text,
            contribution_id=focus,
            masked_text=masked,
            actor=account.username,
            edition_id=current.id,
        )
        is not None
    ):
        st.success("Texte masqué enregistré.")


def _fed_orientations(focus: int) -> None:
    """The orientations the contribution fed (its author's stance, staff links, its confirmed groups)."""
    fed = store.read(drafting.contribution_orientations, contribution_id=focus, edition_id=current.id)
    if fed:
        st.caption("Orientations nourries par cette contribution")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Orientation": f"{f.code} · {f.title}",
                        "Par": FED_VIA[f.via],
                        "Position": label(STANCE_LABELS, f.stance, ""),
                    }
                    for f in fed
                ]
            ),
            hide_index=True,
            width="stretch",
        )


# Audited fields whose stored code the history shows by its French label.
_FIELD_VALUE_LABELS = {"status": MODERATION_LABELS, "rejection_category": REJECTION_CATEGORY_LABELS}


def _fields(values: dict[str, Any]) -> str:
    def shown(key: str, value: Any) -> str:
        if value is None:
            return ""
        return label(_FIELD_VALUE_LABELS[key], str(value)) if key in _FIELD_VALUE_LABELS else str(value)

    return " ; ".join(f"{FIELD_LABELS.get(k, k)} : {shown(k, v)}" for k, v in values.items())


def _history(focus: int) -> None:
    """Every staff action on the contribution, latest first."""
    st.caption("Historique")
    history = store.read(moderation.contribution_history, contribution_id=focus, edition_id=current.id)
    if history:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Date": format_datetime(h.at),
                        "Par": h.actor,
                        "Action": label(AUDIT_ACTION_LABELS, h.action),
                        "Avant": _fields(h.before),
                        "Après": _fields(h.after),
                    }
                    for h in history
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("Aucune action pour l'instant.")


st.title("Modération")
st.caption(
    "Les contributions arrivées, les plus anciennes d'abord. Sélectionnez-en une ou plusieurs (tapez le code du "
    "reçu puis Entrée), puis publiez, rejetez avec un motif, changez le thème, ajoutez des étiquettes ou masquez "
    "les données personnelles. Chaque action est inscrite à l'historique de la contribution."
)

if current.archived:
    st.info(ARCHIVED, icon=":material/inventory_2:")

backlog = store.read(moderation.backlog_by_theme, edition_id=current.id)
cols = st.columns(len(backlog) or 1)
for position, (column, row) in enumerate(zip(cols, backlog, strict=False), start=1):
    column.metric(f"{position}. {md_escape(row.theme_label)}", format_number(row.pending), help="À modérer")

# Filters kept from another edition (a theme or a stand id of its own) no longer apply.
for key, labels in ((K_THEME, theme_labels), (K_STAND, stand_labels)):
    if st.session_state.get(key) not in labels:
        st.session_state[key] = ALL
f1, f2, f3, f4 = st.columns(4)
f1.selectbox("Thème", list(theme_labels), format_func=theme_labels.__getitem__, key=K_THEME)
f2.selectbox("Origine", list(source_labels), format_func=source_labels.__getitem__, key=K_SOURCE)
f3.selectbox("Stand", list(stand_labels), format_func=stand_labels.__getitem__, key=K_STAND)
st.session_state.setdefault(K_STATUS, "pending")
f4.selectbox("Statut", list(status_labels), format_func=status_labels.__getitem__, key=K_STATUS)

queue = store.read(moderation.list_queue, filters=_filters(), edition_id=current.id)
by_id = {item.contribution_id: item for item in queue}
if feedback := st.session_state.pop(K_FEEDBACK, None):
    kind, messages = feedback
    for message in messages:
        (st.success if kind == "success" else st.error)(message)

if not queue:
    st.info("Aucune contribution ne correspond à ces filtres.")
else:
    _queue_table(queue)
    choice_labels = {i.contribution_id: f"{i.receipt_code} · {i.theme_label}" for i in queue}
    # Stale ids (already decided, filtered out) would make the widget fail: keep only those still listed.
    st.session_state[K_SELECTION] = [cid for cid in st.session_state.get(K_SELECTION) or [] if cid in choice_labels]
    st.multiselect(
        "Sélection",
        list(choice_labels),
        format_func=choice_labels.__getitem__,
        key=K_SELECTION,
        placeholder="Tapez un code de reçu",
    )
    st.button("Tout sélectionner", key="moderation_all", on_click=_select_all, args=(list(choice_labels),))
    _bulk_actions()
    st.subheader("Examiner une contribution")
    if st.session_state.get(K_FOCUS) not in choice_labels:
        st.session_state[K_FOCUS] = queue[0].contribution_id
    focus = st.selectbox("Contribution", list(choice_labels), format_func=choice_labels.__getitem__, key=K_FOCUS)
    _examine(by_id[focus])
    _fed_orientations(focus)
    _history(focus)
