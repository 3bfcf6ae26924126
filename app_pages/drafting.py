"""Rédaction: per theme, the contributions and their groups beside the draft orientations.

Each orientation: edit (a new version each time), status, order, sources (by origin and stance), links
to contributions and confirmed groups, history with a readable diff, comments between staff. Everything
typed by people or staff is drawn as text, in dataframes or in a code block, never as markdown.
"""

import pandas as pd
import streamlit as st

from services import drafting, grouping
from services.formatting import format_datetime, format_number, format_percent
from services.labels import ORIENTATION_STATUS_LABELS, SOURCE_LABELS, STANCE_LABELS, label
from services.permissions import Permission
from services.scope import ARCHIVED
from ui import edition, store
from ui.auth import require

account = require(Permission.DRAFTING)
current = edition.active_edition()

K_THEME = "drafting_theme"
K_FOCUS = "drafting_focus"
K_FEEDBACK = "drafting_feedback"
RELATIONS = {"supports": "Appuie l'orientation", "questions": "Questionne l'orientation"}
VIA = {"stance": "Position du participant", "link": "Lien de l'équipe", "group": "Groupe lié"}

themes = store.themes(current.id)
# Numbered in their order (ids run on from one edition to the next).
theme_labels = {t.id: f"{n}. {t.label}" for n, t in enumerate(themes, start=1)}
status_labels = dict(ORIENTATION_STATUS_LABELS)


def _done(message: str) -> None:
    st.session_state[K_FEEDBACK] = message


def _move(orientation_id: int, offset: int) -> None:
    store.write_or_report(
        drafting.move_orientation,
        orientation_id=orientation_id,
        offset=offset,
        actor=account.username,
        edition_id=current.id,
    )


def _share(f: drafting.StanceFigures, n: int) -> str:
    share = f.share(n)
    return "—" if share is None else format_percent(round(share * 100))


def _verdict_line(f: drafting.StanceFigures) -> str:
    """The verdict's label (small samples said as such) and the share of paper ballots."""
    if not f.weighed_in:
        line = f.label
    elif f.small_sample:
        line = f"{f.label} : à lire avec prudence"
    else:
        line = f"Verdict de la salle : {f.label}"
    if f.paper and f.paper_share is not None:
        line += f" · dont bulletins papier : {format_number(f.paper)} ({format_percent(round(f.paper_share * 100))})"
    return line


def _stored(message: str | None) -> None:
    """After a write: a French summary kept for the next run, which starts at once (None: refused, errors shown)."""
    if message is not None:
        _done(message)
        st.rerun()


def _theme_contributions(contributions: list[drafting.ThemeContribution], groups: list[grouping.GroupView]) -> None:
    """The theme's confirmed groups, then its contributions in no group."""
    st.subheader("Contributions du thème")
    st.caption(
        f"{format_number(len(contributions))} contributions, dont "
        f"{format_number(sum(1 for c in contributions if c.group_id))} dans {format_number(len(groups))} groupe(s)."
    )
    if groups:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Groupe": f"G{g.id}",
                        "Contributions": len(g.members),
                        "Soutiens": g.supports,
                        "Texte représentatif": g.representative_text,
                    }
                    for g in groups
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    alone = [c for c in contributions if c.group_id is None]
    if alone:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Reçu": c.receipt_code,
                        "Origine": label(SOURCE_LABELS, c.source),
                        "Orientation": c.orientation_code or "",
                        "Position": label(STANCE_LABELS, c.stance, ""),
                        "Texte": c.text,
                    }
                    for c in alone
                ]
            ),
            hide_index=True,
            width="stretch",
            height=400,
        )


def _draft_table(
    orientations: list[drafting.OrientationView],
    figures: dict[int, drafting.StanceFigures],
    sources: dict[int, list[drafting.SourceRow]],
) -> None:
    """The theme's draft: each orientation's stance count and verdict, status, version and sources."""
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Code": o.code,
                    "Titre": o.title,
                    "Avis": figures[o.id].weighed_in if o.id in figures else None,
                    "Verdict": figures[o.id].label if o.id in figures else "Non soumise au vote",
                    "Statut": label(ORIENTATION_STATUS_LABELS, o.status),
                    "Version": o.version,
                    "Sources": len(sources.get(o.id, [])),
                }
                for o in orientations
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Titre": st.column_config.TextColumn("Titre", width="medium"),
            "Avis": st.column_config.NumberColumn("Avis", help="Avis exprimés des participants (hors « sans avis »)"),
        },
    )


def _add_form(theme_id: int) -> None:
    with st.expander("Ajouter une orientation"), st.form("drafting_new", clear_on_submit=True):
        new_title = st.text_input("Titre", max_chars=drafting.TITLE_MAX_CHARS, key="drafting_new_title")
        new_body = st.text_area("Texte", key="drafting_new_body")
        if st.form_submit_button("Ajouter"):
            added = store.write_or_report(
                drafting.add_orientation,
                theme_id=theme_id,
                title=new_title,
                body=new_body,
                actor=account.username,
                edition_id=current.id,
            )
            if added is not None:
                st.session_state[K_FOCUS] = added.id
            _stored(None if added is None else f"Orientation {added.code} ajoutée.")


def _edit_form(focused: drafting.OrientationView) -> None:
    """A new version of the focused orientation: title, text, status and a note."""
    with st.form(f"drafting_edit_{focused.id}_{focused.version}"):
        title = st.text_input("Titre", value=focused.title, max_chars=drafting.TITLE_MAX_CHARS)
        body = st.text_area("Texte", value=focused.body, height=200)
        status = st.selectbox(
            "Statut",
            list(status_labels),
            index=list(status_labels).index(focused.status),
            format_func=status_labels.__getitem__,
        )
        note = st.text_input("Note de version (facultatif)", max_chars=drafting.NOTE_MAX_CHARS)
        if st.form_submit_button("Enregistrer une nouvelle version", type="primary"):
            saved = store.write_or_report(
                drafting.edit_orientation,
                orientation_id=focused.id,
                title=title,
                body=body,
                status=status,
                note=note,
                actor=account.username,
                edition_id=current.id,
            )
            _stored(None if saved is None else f"Version {saved.version} enregistrée.")


def _stance_figures(stance: drafting.StanceFigures | None) -> None:
    """What the participants said of the focused orientation: counts, shares, the verdict and its caveat."""
    st.markdown("**Avis des participants**")
    if stance is None:
        st.caption(drafting.NOT_ON_BALLOT)
        return
    cells = st.columns(5)
    cells[0].metric("Avis exprimés", format_number(stance.weighed_in), border=True)
    cells[1].metric("D'accord", _share(stance, stance.agree), border=True)
    cells[2].metric("Avec réserves", _share(stance, stance.reservations), border=True)
    cells[3].metric("Pas d'accord", _share(stance, stance.disagree), border=True)
    cells[4].metric("Sans avis", format_number(stance.skip), border=True)
    st.caption(_verdict_line(stance))
    st.caption(drafting.COOKIE_CAVEAT)


def _sources(rows: list[drafting.SourceRow]) -> None:
    """The contributions behind the focused orientation, counted, listed, and the staff's links to remove."""
    st.markdown("**Contributions**")
    summary = drafting.summarise(rows)
    st.caption(
        f"{format_number(summary.total)} contribution(s) · "
        + (
            ", ".join(f"{label(SOURCE_LABELS, s)} {format_number(n)}" for s, n in summary.by_source.most_common())
            or "—"
        )
    )
    if summary.by_stance:
        st.caption(
            "Positions : "
            + ", ".join(f"{label(STANCE_LABELS, s)} {format_number(n)}" for s, n in summary.by_stance.most_common())
        )
    if not rows:
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Reçu": r.receipt_code,
                    "Origine": label(SOURCE_LABELS, r.source),
                    "Stand": r.stand_name or "",
                    "Position": label(STANCE_LABELS, r.stance, ""),
                    "Lien": label(RELATIONS, r.relation, ""),
                    "Par": VIA[r.via] + (f" G{r.group_id}" if r.group_id else ""),
                    "Texte": r.text,
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    links = {r.link_id: f"{r.receipt_code} ({VIA[r.via]})" for r in rows if r.link_id}
    if links:
        with st.form("drafting_unlink"):
            chosen = st.selectbox("Retirer un lien", list(links), format_func=links.__getitem__)
            if st.form_submit_button("Retirer") and store.write_or_report(
                drafting.unlink_source, link_id=chosen, actor=account.username, edition_id=current.id
            ):
                _stored("Lien retiré.")


def _link_form(
    focus_id: int, contributions: list[drafting.ThemeContribution], groups: list[grouping.GroupView]
) -> None:
    """Link contributions in no group, or confirmed groups, to the focused orientation."""
    with st.form("drafting_link", clear_on_submit=True):
        contribution_labels = {c.contribution_id: f"{c.receipt_code}" for c in contributions if c.group_id is None}
        group_labels = {g.id: f"G{g.id} ({len(g.members)})" for g in groups}
        picked = st.multiselect("Contributions", list(contribution_labels), format_func=contribution_labels.__getitem__)
        picked_groups = st.multiselect("Groupes confirmés", list(group_labels), format_func=group_labels.__getitem__)
        relation = st.radio("Lien", list(RELATIONS), format_func=RELATIONS.__getitem__, horizontal=True)
        if st.form_submit_button("Lier à l'orientation", type="primary"):
            n = store.write_or_report(
                drafting.link_sources,
                orientation_id=focus_id,
                contribution_ids=picked,
                group_ids=picked_groups,
                relation=relation,
                actor=account.username,
                edition_id=current.id,
            )
            _stored(None if n is None else f"Liens ajoutés : {format_number(n)}.")


def _history(focus_id: int) -> None:
    """The focused orientation's versions, and the diff between two of them."""
    versions = store.read(drafting.list_versions, orientation_id=focus_id, edition_id=current.id)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Version": v.version,
                    "Date": format_datetime(v.created_at),
                    "Par": v.edited_by,
                    "Statut": label(ORIENTATION_STATUS_LABELS, v.status),
                    "Note": v.note,
                }
                for v in versions
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    numbers = [v.version for v in versions]
    if len(numbers) > 1:
        a, b = st.columns(2)
        old = a.selectbox("De la version", numbers, index=1, key=f"drafting_old_{focus_id}")
        new = b.selectbox("À la version", numbers, index=0, key=f"drafting_new_{focus_id}")
        diff = store.read(drafting.diff_versions, orientation_id=focus_id, old=old, new=new, edition_id=current.id)
        st.code(diff or "Aucune différence.", language="diff")


def _comments(focus_id: int) -> None:
    """The staff's notes on the focused orientation, and a form to add one."""
    for c in store.read(drafting.list_comments, orientation_id=focus_id, edition_id=current.id):
        st.text(f"{format_datetime(c.created_at)} · {c.author}\n{c.body}")
    with st.form(f"drafting_comment_{focus_id}", clear_on_submit=True):
        text = st.text_area("Commentaire pour l'équipe", max_chars=drafting.COMMENT_MAX_CHARS)
        sent = st.form_submit_button("Publier le commentaire")
    if sent:
        comment = store.write_or_report(
            drafting.add_comment, orientation_id=focus_id, body=text, actor=account.username, edition_id=current.id
        )
        if comment is not None:
            st.rerun()


st.set_page_config(layout="wide")
st.title("Rédaction")
if current.archived:
    st.info(ARCHIVED, icon=":material/inventory_2:")
if st.session_state.get(K_THEME) not in theme_labels:
    st.session_state.pop(K_THEME, None)  # a theme of another edition chosen earlier in this session
theme_id = st.selectbox("Thème", list(theme_labels), format_func=theme_labels.__getitem__, key=K_THEME)
if message := st.session_state.pop(K_FEEDBACK, None):
    st.success(message)

orientations = store.read(drafting.list_draft_orientations, theme_id=theme_id, edition_id=current.id)
sources = store.read(
    drafting.orientation_sources_many, orientation_ids=[o.id for o in orientations], edition_id=current.id
)
contributions = store.read(drafting.theme_contributions, theme_id=theme_id, edition_id=current.id)
figures = store.read(drafting.stance_figures, edition_id=current.id)
groups = store.read(grouping.list_groups, theme_id=theme_id, statuses=["confirmed"], edition_id=current.id)

left, right = st.columns(2, gap="large")
with left:
    _theme_contributions(contributions, groups)
with right:
    st.subheader("Projet d'orientations")
    _draft_table(orientations, figures, sources)
    _add_form(theme_id)

if not orientations:
    st.info("Aucune orientation pour ce thème : ajoutez-en une.")
    st.stop()

st.divider()
focus_labels = {o.id: f"{o.code} · {o.title}" for o in orientations}
if st.session_state.get(K_FOCUS) not in focus_labels:
    st.session_state[K_FOCUS] = orientations[0].id
focus_id = st.selectbox("Orientation", list(focus_labels), format_func=focus_labels.__getitem__, key=K_FOCUS)
focused = next(o for o in orientations if o.id == focus_id)
up, down, _ = st.columns([1, 1, 4])
up.button("Monter", key="drafting_up", on_click=_move, args=(focus_id, -1), icon=":material/arrow_upward:")
down.button("Descendre", key="drafting_down", on_click=_move, args=(focus_id, 1), icon=":material/arrow_downward:")

edit, traced, link, history, comments = st.tabs(["Texte", "Sources", "Lier", "Historique", "Commentaires"])
with edit:
    _edit_form(focused)
with traced:
    _stance_figures(figures.get(focus_id))
    _sources(sources.get(focus_id, []))
with link:
    _link_form(focus_id, contributions, groups)
with history:
    _history(focus_id)
with comments:
    _comments(focus_id)
