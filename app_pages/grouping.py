"""Regroupement: the app proposes groups of near-duplicate contributions per theme; staff decide on each.

Confirming keeps every member (authors, supports, stances) behind one representative text; a group can be
edited before it is confirmed, refused, or undone later. Texts people typed are shown in dataframes only.
"""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from services import grouping
from services.formatting import format_datetime, format_number
from services.labels import GROUP_STATUS_LABELS, SOURCE_LABELS, STANCE_LABELS, label
from services.permissions import Permission
from services.scope import ARCHIVED
from ui import edition, store
from ui.auth import require

account = require(Permission.GROUPING)
current = edition.active_edition()

K_THEME = "grouping_theme"
K_THRESHOLD = "grouping_threshold"
K_STATUS = "grouping_status"
K_FEEDBACK = "grouping_feedback"
MAX_SHOWN = 30
REP_TYPED = "typed"
ACTION_LABELS = {
    "group.confirm": "Confirmé",
    "group.refuse": "Refusé",
    "group.undo": "Défait",
    "group.edit": "Modifié",
    "group.edit.undo": "Modification annulée",
}

themes = store.themes(current.id)
# Numbered in their order (ids run on from one edition to the next).
theme_labels = {t.id: f"{n}. {t.label}" for n, t in enumerate(themes, start=1)}
status_labels = dict(GROUP_STATUS_LABELS)


def _feedback(kind: str, message: str) -> None:
    st.session_state[K_FEEDBACK] = (kind, message)


def _propose() -> None:
    ss = st.session_state
    with st.spinner("Lecture du sens des contributions du thème…"):
        # The model's and the clustering's work, outside the write transaction that stores the groups (other
        # writers, participants included, wait only for that).
        plan = store.read(
            grouping.plan_groups, theme_id=ss[K_THEME], threshold=float(ss[K_THRESHOLD]), edition_id=current.id
        )
    n = store.write_or_report(
        grouping.propose_groups,
        theme_id=ss[K_THEME],
        threshold=float(ss[K_THRESHOLD]),
        actor=account.username,
        edition_id=current.id,
        plan=plan,
    )
    if n is not None:
        _feedback("success", f"Groupes proposés : {format_number(n)}.")
        ss[K_STATUS] = "proposed"


def _write_edits(group_id: int) -> grouping.GroupView | None:
    """Store what staff set in a group's edit widgets (grouping.edit_group); None when refused."""
    ss = st.session_state
    source = ss.get(f"grouping_rep_{group_id}", REP_TYPED)
    return store.write_or_report(
        grouping.edit_group,
        group_id=group_id,
        actor=account.username,
        edition_id=current.id,
        member_ids=list(ss.get(f"grouping_members_{group_id}") or []),
        add_receipt_codes=grouping.split_receipt_codes(ss.get(f"grouping_add_{group_id}") or ""),
        representative_text=(ss.get(f"grouping_text_{group_id}") or "") if source == REP_TYPED else None,
        representative_member_id=None if source == REP_TYPED else int(source),
    )


def _forget_widgets(group_id: int) -> None:
    """After a change, the widgets show the group as stored."""
    for name in ("members", "add", "rep", "text"):
        st.session_state.pop(f"grouping_{name}_{group_id}", None)


def _changed(group_id: int, view: grouping.GroupView | None, message: str) -> None:
    """Once a change is stored: the widgets show the group as stored, and a French summary for the next run."""
    if view is not None:
        _forget_widgets(group_id)
        _feedback("success", message.format(n=format_number(len(view.members))))


def _save(group_id: int) -> None:
    _changed(group_id, _write_edits(group_id), f"Groupe G{group_id} modifié : {{n}} contributions.")


def _undo_edit(group_id: int) -> None:
    view = store.write_or_report(
        grouping.undo_last_edit, group_id=group_id, actor=account.username, edition_id=current.id
    )
    _changed(group_id, view, f"Dernière modification du groupe G{group_id} annulée.")


def _confirm(group_id: int) -> None:
    # The edits first (audited as such), then the decision.
    if _write_edits(group_id):
        view = store.write_or_report(
            grouping.confirm_group, group_id=group_id, actor=account.username, edition_id=current.id
        )
        _changed(group_id, view, f"Groupe G{group_id} confirmé : {{n}} contributions.")


def _decide(decision: Callable[..., bool], group_id: int, done: str) -> None:
    """Refuse or undo a group (grouping.refuse_group / undo_group); `done` said once it is stored."""
    if store.write_or_report(decision, group_id=group_id, actor=account.username, edition_id=current.id) is not None:
        _feedback("success", done)


def _refuse(group_id: int) -> None:
    _decide(grouping.refuse_group, group_id, f"Groupe G{group_id} refusé : ses contributions restent séparées.")


def _undo(group_id: int) -> None:
    _decide(grouping.undo_group, group_id, f"Groupe G{group_id} défait : chaque contribution compte de nouveau seule.")


def _members_table(group: grouping.GroupView) -> None:
    """Where the group's contributions come from, their stances, and the members themselves with why each is
    there next to the group's first text (as data)."""
    origins = ", ".join(f"{label(SOURCE_LABELS, s)} {format_number(n)}" for s, n in group.sources.most_common())
    stances = ", ".join(f"{label(STANCE_LABELS, s)} {format_number(n)}" for s, n in group.stances.most_common())
    st.caption(f"Origines : {origins}" + (f" · Positions : {stances}" if stances else ""))
    if group.decided_at:
        st.caption(f"Décidé le {format_datetime(group.decided_at)}")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Reçu": m.receipt_code,
                    "Pourquoi dans ce groupe": m.reason,
                    "Texte": m.text,
                    "Origine": label(SOURCE_LABELS, m.source),
                    "Position": label(STANCE_LABELS, m.stance, ""),
                    "Soutiens": m.supports,
                }
                for m in group.members
            ]
        ),
        hide_index=True,
        width="stretch",
        # Taller than 4rem, Streamlit wraps long cells (the reason, the text) instead of cutting them.
        row_height=84,
        column_config={
            "Reçu": st.column_config.TextColumn(width=100),
            # « sens proche (84 %) · mots en commun : … » and the text both wrap on three lines at laptop size
            # (the origin, stance and supports come next, a scroll away; a click on a cell shows it whole).
            "Pourquoi dans ce groupe": st.column_config.TextColumn(width=250),
            "Texte": st.column_config.TextColumn(width=320),
        },
    )


def _edit_widgets(group: grouping.GroupView) -> None:
    """Members to keep or add, the representative text, read by _write_edits under these keys."""
    member_labels = {m.contribution_id: m.receipt_code for m in group.members}
    st.multiselect(
        "Contributions à garder dans le groupe",
        list(member_labels),
        default=list(member_labels),
        format_func=member_labels.__getitem__,
        key=f"grouping_members_{group.id}",
    )
    st.text_input(
        "Ajouter des contributions du thème (codes de reçu, séparés par des virgules)",
        key=f"grouping_add_{group.id}",
        placeholder="K7QF-MC3R, AB34-CD67",
        max_chars=grouping.RECEIPT_CODES_MAX * 11,
    )
    rep_labels = {REP_TYPED: "Le texte ci-dessous"} | {
        str(m.contribution_id): f"Le texte de {m.receipt_code}" for m in group.members
    }
    st.selectbox(
        "Texte représentatif",
        list(rep_labels),
        format_func=rep_labels.__getitem__,
        key=f"grouping_rep_{group.id}",
    )
    st.text_area(
        "Texte représentatif (rédigé par l'équipe)",
        value=group.representative_text,
        key=f"grouping_text_{group.id}",
        max_chars=grouping.REPRESENTATIVE_MAX_CHARS,
    )


def _decision_buttons(group: grouping.GroupView, history: list[grouping.GroupChange]) -> None:
    a, b, c = st.columns(3)
    if group.status == "proposed":
        a.button(
            "Confirmer le groupe",
            key=f"grouping_confirm_{group.id}",
            type="primary",
            on_click=_confirm,
            args=(group.id,),
        )
        c.button("Refuser", key=f"grouping_refuse_{group.id}", on_click=_refuse, args=(group.id,))
    else:
        c.button("Défaire le groupe", key=f"grouping_undo_{group.id}", on_click=_undo, args=(group.id,))
    b.button("Enregistrer les modifications", key=f"grouping_save_{group.id}", on_click=_save, args=(group.id,))
    if any(h.action == "group.edit" and not h.undone for h in history):
        st.button(
            "Annuler la dernière modification",
            key=f"grouping_undo_edit_{group.id}",
            on_click=_undo_edit,
            args=(group.id,),
            icon=":material/undo:",
        )


def _history_table(history: list[grouping.GroupChange]) -> None:
    st.caption("Historique du groupe")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Date": format_datetime(h.at),
                    "Par": h.actor,
                    "Action": ACTION_LABELS.get(h.action, h.action) + (" (annulée depuis)" if h.undone else ""),
                    "Contributions avant": len(h.before.get("members", [])) or None,
                    "Contributions après": len(h.after.get("members", [])) or None,
                    "Texte représentatif avant": h.before.get("representative_text", ""),
                    "Texte représentatif après": h.after.get("representative_text", ""),
                }
                for h in history
            ]
        ),
        hide_index=True,
        width="stretch",
    )


st.title("Regroupement")
st.caption(
    "L'application propose des groupes de contributions qui disent la même chose dans un même thème : textes "
    "comparés par leur sens (modèle de langue installé avec l'application, sans internet) et par leurs mots, "
    "et pour chaque contribution la raison de sa place dans le groupe. Confirmez, modifiez ou refusez chaque "
    "groupe : rien n'est supprimé, chaque contribution garde son auteur, ses soutiens et sa position."
)
if not grouping.uses_meaning():
    st.warning(
        "Le modèle de langue n'a pas pu être chargé sur ce serveur : les groupes sont proposés sur les mots "
        "en commun seulement (les reformulations avec d'autres mots ne sont pas rapprochées).",
        icon=":material/warning:",
    )
if current.archived:
    st.info(ARCHIVED, icon=":material/inventory_2:")
if st.session_state.get(K_THEME) not in theme_labels:
    st.session_state.pop(K_THEME, None)  # a theme of another edition chosen earlier in this session
left, right = st.columns([2, 1])
theme_id = left.selectbox("Thème", list(theme_labels), format_func=theme_labels.__getitem__, key=K_THEME)
right.slider(
    "Seuil de ressemblance (%)",
    min_value=grouping.min_threshold(),
    max_value=grouping.MAX_THRESHOLD,
    value=grouping.default_threshold(),
    step=1,
    key=K_THRESHOLD,
    help=(
        "Ressemblance de deux textes, de 0 à 100 % : sens et mots en commun. 100 % : le même texte (casse, "
        f"accents et ponctuation mis à part). Proposé : {grouping.default_threshold()} %. Plus haut : seulement "
        "des textes presque identiques. Plus bas : des reformulations plus libres, et plus de groupes à vérifier."
    ),
)
st.button(
    "Proposer des groupes",
    key="grouping_propose",
    type="primary",
    on_click=_propose,
    icon=":material/hub:",
    disabled=current.archived,
)
if feedback := st.session_state.pop(K_FEEDBACK, None):
    (st.success if feedback[0] == "success" else st.error)(feedback[1])

st.session_state.setdefault(K_STATUS, "proposed")
status = st.segmented_control(
    "Groupes", list(status_labels), format_func=status_labels.__getitem__, key=K_STATUS, required=True
)
groups = store.read(
    grouping.list_groups, theme_id=theme_id, statuses=[status or "proposed"], edition_id=current.id, reasons=True
)
if not groups:
    st.info("Aucun groupe dans cet état pour ce thème.")
st.caption(
    f"{format_number(len(groups))} groupe(s)"
    + (f", les {MAX_SHOWN} plus grands affichés." if len(groups) > MAX_SHOWN else ".")
)
for group in groups[:MAX_SHOWN]:
    title = (
        f"G{group.id} · {format_number(len(group.members))} contributions · {format_number(group.supports)} soutiens"
    )
    with st.expander(title, expanded=group.status == "proposed"):
        _members_table(group)
        history = store.read(grouping.group_history, group_id=group.id, edition_id=current.id)
        if group.status in grouping.EDITABLE_STATUSES:
            _edit_widgets(group)
            _decision_buttons(group, history)
        else:
            st.caption("Texte représentatif :")
            st.text(group.representative_text)
        if history:
            _history_table(history)
