"""Pilotage du vote: open and close the adequacy check, type in the paper ballots, withdraw a wrong entry.

Organisers and staff (Permission.VOTE). The switches act on the whole edition or on one theme; a closed vote
shows participants the results only. Paper ballots are counted per orientation and answer in a grid, checked
once more on a confirmation step that shows the total, and sent with a batch key kept for this form: a second
click sends the same key and adds nothing. A refused entry keeps the grid and the provenance as typed.
"""

import math

import pandas as pd
import streamlit as st

from services import votes
from services.errors import ServiceError, ValidationError
from services.exports import md_escape
from services.formatting import format_datetime, format_number
from services.labels import VOTE_CHOICE_LABELS, label
from services.permissions import Permission
from services.scope import ARCHIVED
from ui import edition, store
from ui.auth import require

account = require(Permission.VOTE)
current = edition.active_edition()

K_THEME = "vote_admin_paper_theme"
K_SOURCE = "vote_admin_paper_source"
K_CLEAR_SOURCE = "vote_admin_paper_clear_source"
K_BATCH = "vote_admin_paper_batch"
K_PENDING = "vote_admin_paper_pending"
K_ERRORS = "vote_admin_paper_errors"
K_SAVED = "vote_admin_paper_saved"
K_WITHDRAW = "vote_admin_withdraw_pick"
K_WITHDRAW_ASK = "vote_admin_withdraw_ask"
K_FEEDBACK = "vote_admin_feedback"
K_SWITCH_ERRORS = "vote_admin_switch_errors"
K_WITHDRAW_ERRORS = "vote_admin_withdraw_errors"
ALL_THEMES = 0

# The grid's answer columns, in the cards' order.
COLUMNS = {
    "agree": "D'accord",
    "reservations": "Avec réserves",
    "disagree": "Pas d'accord",
    "skip": "Sans avis",
}
OPEN_TEXT = "Vote ouvert : les participants donnent leur avis"
CLOSED_TEXT = "Vote clos : les participants voient les résultats"


def _plural(n: int, word: str) -> str:
    return f"{format_number(n)} {word}{'s' if n > 1 else ''}"


def _attempt(fn: object, /, **kwargs: object) -> tuple[object, list[str]]:
    """A write from a callback: its result, or the French messages to show on the run that follows."""
    try:
        return store.write(fn, **kwargs), []  # type: ignore[arg-type]
    except ValidationError as exc:
        return None, list(exc.errors.values())
    except ServiceError as exc:
        return None, [exc.message]
    except store.STORAGE_ERRORS:
        return None, [store.WRITE_FAILED]


def _switch(open_: bool, theme_id: int | None) -> None:
    _done, errors = _attempt(
        votes.set_vote_open, open_=open_, actor=account.username, theme_id=theme_id, edition_id=current.id
    )
    st.session_state[K_SWITCH_ERRORS] = errors
    if not errors:
        what = "de toute l'édition" if theme_id is None else "du thème"
        st.session_state[K_FEEDBACK] = f"Vote {what} {'ouvert' if open_ else 'clos'}."


def _grid_key(theme_key: int) -> str:
    # Renewed with the batch after a stored entry: the next entry starts from an empty grid.
    return f"vote_admin_paper_grid_{theme_key}_{st.session_state[K_BATCH]}"


def _as_count(value: object) -> object:
    """A cell as the service checks it: empty is 0, a whole float is an int, anything else as typed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "item"):  # a numpy scalar
        return _as_count(value.item())  # type: ignore[union-attr]
    return value


def _lines(frame: pd.DataFrame, ids: list[int]) -> list[votes.PaperLine]:
    lines = []
    for orientation_id, (_, row) in zip(ids, frame.iterrows(), strict=True):
        counts = {choice: _as_count(row[column]) for choice, column in COLUMNS.items()}
        if any(c != 0 for c in counts.values()):
            lines.append(votes.PaperLine(orientation_id=orientation_id, counts=counts))  # type: ignore[arg-type]
    return lines


def _looks_valid(lines: list[votes.PaperLine], source: str) -> bool:
    counts = [c for line in lines for c in line.counts.values()]
    whole = all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= votes.PAPER_MAX_COUNT for c in counts)
    return bool(source.strip()) and whole and sum(counts) > 0


def _send(lines: list[votes.PaperLine], source: str, batch: str) -> None:
    """Store the entry (or have the service refuse it with its French messages); nothing stored when refused."""
    ss = st.session_state
    entry, errors = _attempt(
        votes.enter_paper_ballots,
        lines=lines,
        source=source,
        actor=account.username,
        batch=batch,
        edition_id=current.id,
    )
    ss[K_ERRORS] = errors
    ss.pop(K_PENDING, None)
    if not isinstance(entry, votes.PaperEntry):
        return
    ss[K_SAVED] = {"ballots": entry.ballots, "orientations": entry.orientations}
    ss.pop(K_WITHDRAW, None)  # the list of entries now starts with this one
    if ss.get(K_BATCH) == batch:
        ss[K_BATCH] = votes.new_paper_batch()  # a fresh key (and an empty grid) for the next entry
        ss[K_CLEAR_SOURCE] = True  # emptied before the field is drawn again


def _confirm() -> None:
    pending = st.session_state.get(K_PENDING)
    if not pending:  # a second click after the entry was stored: nothing left to send
        return
    lines = [votes.PaperLine(orientation_id=o, counts=dict(c)) for o, c in pending["lines"]]
    _send(lines, pending["source"], pending["batch"])


def _cancel() -> None:
    st.session_state.pop(K_PENDING, None)


def _withdraw(batch: str) -> None:
    st.session_state.pop(K_WITHDRAW_ASK, None)
    n, errors = _attempt(votes.withdraw_paper_entry, batch=batch, actor=account.username, edition_id=current.id)
    st.session_state[K_WITHDRAW_ERRORS] = errors
    if isinstance(n, int):
        st.session_state[K_FEEDBACK] = f"Saisie retirée : {_plural(n, 'bulletin')} de moins dans les résultats."


def _keep() -> None:
    st.session_state.pop(K_WITHDRAW_ASK, None)


st.session_state.setdefault(K_BATCH, votes.new_paper_batch())

st.set_page_config(layout="wide")
st.title("Pilotage du vote")
st.caption(
    "L'avis des participants sur chaque orientation proposée : ouvrez ou fermez le vote pour toute l'édition ou "
    "thème par thème, saisissez les bulletins papier, retirez une saisie erronée."
)
if current.archived:
    st.info(ARCHIVED, icon=":material/inventory_2:")
if message := st.session_state.pop(K_FEEDBACK, None):
    st.success(message, icon=":material/check_circle:")

for errors_key in (K_SWITCH_ERRORS, K_WITHDRAW_ERRORS):
    for message in st.session_state.pop(errors_key, None) or []:
        st.error(message, icon=":material/error:")
settings = store.read(votes.vote_settings, edition_id=current.id)
themes = store.themes(current.id)
writable = not current.archived

# ---------------------------------------------------------------------------------------------
st.subheader("Ouverture du vote")
if settings.edition_status != "open":
    st.warning(
        "Cette édition n'est pas ouverte aux participants : personne ne peut voter, quels que soient les réglages "
        "ci-dessous.",
        icon=":material/event_busy:",
    )
st.caption(
    "Vote ouvert : les participants donnent leur avis sur les orientations du thème. "
    "Vote clos : les participants voient les résultats, sans pouvoir voter."
)


def _state(effective: bool, switched_on: bool) -> None:
    if effective:
        st.badge(OPEN_TEXT, color="green", icon=":material/how_to_vote:")
    elif switched_on:
        st.badge("Vote clos pour toute l'édition : les participants voient les résultats", color="red")
    else:
        st.badge(CLOSED_TEXT, color="red", icon=":material/lock:")


def _row(label: str, effective: bool, switched_on: bool, theme_id: int | None) -> None:
    name, state, action = st.columns([4, 4, 1.4], vertical_alignment="center")
    name.markdown(label)
    with state:
        _state(effective, switched_on)
    if not writable:
        return
    suffix = "edition" if theme_id is None else f"theme_{theme_id}"
    opening = not switched_on
    verb = "Ouvrir" if opening else "Clore"
    action.button(
        f"{verb} tout" if theme_id is None else verb,
        key=f"vote_admin_{suffix}_{'open' if opening else 'close'}",
        on_click=_switch,
        args=(opening, theme_id),
        type="primary" if opening else "secondary",
        icon=":material/lock_open:" if opening else ":material/lock:",
        width="stretch",
    )


with st.container(border=True):
    edition_effective = settings.edition_status == "open" and settings.edition_open
    _row("**Toute l'édition**", edition_effective, settings.edition_open, None)
    for number, theme in enumerate(themes, start=1):
        # Theme labels are typed by staff: escaped before Markdown sees them.
        _row(
            md_escape(f"{number}. {theme.label}"),  # escaped whole: « 1. » would start a Markdown list
            settings.theme_open(theme.id),
            settings.themes.get(theme.id, False),
            theme.id,
        )

# ---------------------------------------------------------------------------------------------
st.subheader("Bulletins papier")
if writable:
    st.caption(
        "Comptez les bulletins d'une urne, puis saisissez pour chaque orientation le nombre de bulletins par "
        "réponse. Ils s'ajoutent aux avis donnés sur les téléphones (origine « Bulletin papier »), y compris "
        "après la clôture du vote."
    )
    theme_labels = {ALL_THEMES: "Tous les thèmes"} | {t.id: f"{n}. {t.label}" for n, t in enumerate(themes, start=1)}
    if st.session_state.get(K_THEME) not in theme_labels:
        st.session_state[K_THEME] = ALL_THEMES
    picked = st.selectbox("Thème", list(theme_labels), format_func=theme_labels.__getitem__, key=K_THEME)
    items = store.read(votes.ballot, theme_id=picked or None, edition_id=current.id)
    if not items:
        st.info("Aucune orientation soumise au vote pour ce choix.")
    else:
        ids = [i.id for i in items]
        base = pd.DataFrame(
            [{"Code": i.code, "Orientation": i.title} | {c: 0 for c in COLUMNS.values()} for i in items]
        )
        number_columns = {
            c: st.column_config.NumberColumn(c, min_value=0, max_value=votes.PAPER_MAX_COUNT, step=1, format="%d")
            for c in COLUMNS.values()
        }
        grid = st.data_editor(
            base,
            key=_grid_key(picked),
            hide_index=True,
            width="stretch",
            disabled=["Code", "Orientation"],
            num_rows="fixed",
            height=min(38 + 35 * len(items), 720),  # every orientation of the choice in view, when it fits
            column_config={
                "Code": st.column_config.TextColumn("Code", width="small"),
                "Orientation": st.column_config.TextColumn("Orientation", width="large"),
                **number_columns,
            },
        )
        if st.session_state.pop(K_CLEAR_SOURCE, False):
            st.session_state[K_SOURCE] = ""
        source = st.text_input(
            "Provenance des bulletins",
            key=K_SOURCE,
            max_chars=votes.PAPER_SOURCE_MAX_CHARS,
            placeholder="Par exemple : urne de l'accueil, atelier de l'après-midi",
        )
        lines = _lines(grid, ids)
        snapshot = [(line.orientation_id, sorted(line.counts.items())) for line in lines]
        pending = st.session_state.get(K_PENDING)
        if pending and (pending["snapshot"] != snapshot or pending["source"] != source):
            st.session_state.pop(K_PENDING, None)  # changed since the check: check again
            pending = None
        if st.button("Vérifier la saisie", key="vote_admin_paper_check", icon=":material/fact_check:"):
            st.session_state.pop(K_SAVED, None)
            if _looks_valid(lines, source):
                st.session_state[K_ERRORS] = []
                pending = {
                    "lines": [(line.orientation_id, dict(line.counts)) for line in lines],
                    "snapshot": snapshot,
                    "source": source,
                    "batch": st.session_state[K_BATCH],
                }
                st.session_state[K_PENDING] = pending
            else:
                # The service says what is wrong, in its own words; a refused entry stores nothing.
                _send(lines, source, st.session_state[K_BATCH])
        for message in st.session_state.get(K_ERRORS) or []:
            st.error(message, icon=":material/error:")
        pending = st.session_state.get(K_PENDING)
        if pending:
            total = sum(sum(c.values()) for _o, c in pending["lines"])
            with st.container(border=True):
                st.markdown(
                    f"**{_plural(total, 'bulletin')}** sur "
                    f"{_plural(len(pending['lines']), 'orientation')} : enregistrer cette saisie ?"
                )
                st.text(f"Provenance : {pending['source'].strip()}")
                yes, no = st.columns(2)
                yes.button(
                    "Confirmer l'enregistrement",
                    key="vote_admin_paper_confirm",
                    on_click=_confirm,
                    type="primary",
                    icon=":material/save:",
                    width="stretch",
                )
                no.button("Corriger", key="vote_admin_paper_cancel", on_click=_cancel, width="stretch")
        if saved := st.session_state.get(K_SAVED):
            st.success(
                f"Saisie enregistrée : {_plural(saved['ballots'], 'bulletin')} sur "
                f"{_plural(saved['orientations'], 'orientation')}. La grille est vide pour l'urne suivante.",
                icon=":material/check_circle:",
            )

# ---------------------------------------------------------------------------------------------
st.subheader("Saisies de bulletins")
entries = store.read(votes.list_paper_entries, edition_id=current.id)
if not entries:
    st.caption("Aucune saisie de bulletins papier pour l'instant.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Date": format_datetime(e.created_at),
                    "Provenance": e.source,
                    "Saisie par": e.entered_by,
                    "Bulletins": e.ballots,
                    "Orientations": e.orientations,
                    "État": f"Retirée le {format_datetime(e.withdrawn_at)}" if e.withdrawn_at else "Comptée",
                }
                for e in entries
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    active = {e.batch: e for e in entries if e.withdrawn_at is None}
    if writable and active:
        choices = {
            b: f"{format_datetime(e.created_at)} · {e.source} · {_plural(e.ballots, 'bulletin')}"
            for b, e in active.items()
        }
        if st.session_state.get(K_WITHDRAW) not in choices:
            st.session_state.pop(K_WITHDRAW, None)
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        chosen = left.selectbox("Saisie à retirer", list(choices), format_func=choices.__getitem__, key=K_WITHDRAW)
        if right.button("Retirer", key="vote_admin_withdraw", icon=":material/undo:", width="stretch"):
            st.session_state[K_WITHDRAW_ASK] = chosen
        asked = st.session_state.get(K_WITHDRAW_ASK)
        if asked in active:
            with st.container(border=True):
                st.warning(
                    f"Retirer cette saisie ? Ses {_plural(active[asked].ballots, 'bulletin')} sortiront des "
                    "résultats (la saisie reste visible dans cette liste, marquée « retirée »).",
                    icon=":material/warning:",
                )
                st.text(choices[asked])
                st.dataframe(
                    pd.DataFrame(
                        [
                            {"Orientation": code, "Réponse": label(VOTE_CHOICE_LABELS, choice), "Bulletins": n}
                            for code, choice, n in active[asked].lines
                        ]
                    ),
                    hide_index=True,
                )
                yes, no = st.columns(2)
                yes.button(
                    "Confirmer le retrait",
                    key="vote_admin_withdraw_confirm",
                    on_click=_withdraw,
                    args=(asked,),
                    type="primary",
                    width="stretch",
                )
                no.button(
                    "Annuler",
                    key="vote_admin_withdraw_cancel",
                    on_click=_keep,
                    width="stretch",
                )
