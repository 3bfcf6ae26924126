"""Donner mon avis: every proposed orientation, theme by theme, one card per screen, one tap per stance.

A tap saves the stance and moves to the next card; « Je ne sais pas / passer » is one of the four answers, so
nobody is stuck on a card. « Précédente » goes back, a theme picker jumps (and `?theme=<code>` opens a theme
from a link or a QR code), and after the last card a summary lists the phone's stances, each one changeable.
A new session (a reload) opens on the first orientation still without a stance: the stances are the stored ones.

Orientation texts are typed by staff: drawn with st.text (ui/votes.py), never as Markdown.
"""

import streamlit as st

from services import reference, votes
from services.exports import md_escape
from services.formatting import format_number
from services.labels import ACTOR_TYPE_LABELS
from services.votes import BallotItem, VoteOrigin
from ui import edition, forms, participant, store
from ui import votes as cards
from ui.circuit import theme_band
from ui.components import about_you
from ui.fragments import interactive_fragment
from ui.scrolling import scroll_to_top_on_step

KEY = "vote"  # the cards' prefix (ui/votes.py)
K_INDEX = "vote_index"  # the card shown: a position in the ballot; len(ballot) is the summary
K_ORDER = "vote_order"  # the ballot's orientation ids, as drawn (what the callbacks move along)
K_THEME_SEEN = "vote_theme_seen"  # the ?theme= value already followed
K_THEME_PICK = "vote_theme_pick"
K_BACK_TO_SUMMARY = "vote_back_to_summary"  # a change asked from the summary returns there
K_ACTOR = "vote_actor"
K_DEPT = "vote_departement"
K_PROFILE_NOTE = "vote_profile_note"
QUERY_THEME = "theme"
UNSAID = about_you.UNSAID

NOT_OPEN = "Cette édition de la conférence n'est pas encore ouverte : le vote commencera à son ouverture."
ARCHIVED = "Cette édition de la conférence est terminée : le vote est clos, ses résultats restent consultables."
ALL_CLOSED = "Le vote est clos : voici les résultats de la salle."
HOW = "Une touche par orientation : votre avis est enregistré aussitôt, et la suivante s'affiche."
TIED_TO_PHONE = (
    "Vos avis sont liés à ce téléphone (à ce navigateur, par un cookie) : vous les retrouvez en revenant sur "
    "cette page. Ils ne vous suivent pas sur un autre appareil, et effacer les cookies les fait oublier ici."
)


def _order() -> list[int]:
    return list(st.session_state.get(K_ORDER) or [])


def _after_tap(orientation_id: int) -> None:
    """A saved tap moves to the card after the one tapped (not « one more »: a late second tap changes nothing)."""
    order = _order()
    if st.session_state.pop(K_BACK_TO_SUMMARY, False) or orientation_id not in order:
        st.session_state[K_INDEX] = len(order)
    else:
        st.session_state[K_INDEX] = order.index(orientation_id) + 1


def _go(index: int) -> None:
    st.session_state.pop(K_BACK_TO_SUMMARY, None)
    st.session_state[K_INDEX] = index


def _change(index: int) -> None:
    st.session_state[K_INDEX] = index
    st.session_state[K_BACK_TO_SUMMARY] = True


def _first_of(items: list[BallotItem], stances: dict[int, str], theme_id: int | None = None) -> int:
    """The first card still without a stance (of one theme, or of all), else the theme's first, else the summary."""
    positions = [n for n, i in enumerate(items) if theme_id is None or i.theme_id == theme_id]
    for n in positions:
        if items[n].id not in stances and items[n].open:
            return n
    return positions[0] if theme_id is not None and positions else len(items)


def _picked(first_by_theme: dict[int, int]) -> None:
    theme_id = st.session_state.get(K_THEME_PICK)
    if theme_id in first_by_theme:
        _go(first_by_theme[theme_id])


def _save_profile(edition_id: int) -> None:
    ss = st.session_state
    saved = forms.SAVING.attempt(
        votes.set_voter_profile,
        device_token=participant.device_token(),
        actor_type=ss.get(K_ACTOR) or None,
        departement=ss.get(K_DEPT) or None,
        throttle_origin=participant.origin(),
        edition_id=edition_id,
    )
    if isinstance(saved, forms.Failure):
        ss[K_PROFILE_NOTE] = ("error", saved.message)
        return
    ss[K_PROFILE_NOTE] = ("ok", "Merci : vos avis sont comptés avec ces précisions.")


# The same list for everyone (the edition's Région's départements): safe in the shared cache.
@st.cache_data(ttl=300, max_entries=8, show_spinner=False)
def _departements(edition_id: int) -> list[tuple[str, str]]:
    return store.read(reference.list_departements, edition_id=edition_id)


def _profile(edition_id: int) -> None:
    """Optional, once: who is speaking, so the results can be read by kind of actor and by département."""
    ss = st.session_state
    profile = store.read(votes.voter_profile, device_token=participant.device_token(), edition_id=edition_id)
    departements = dict(_departements(edition_id))
    dept_labels = about_you.departement_labels(departements.items())
    actor_labels = about_you.actor_labels()
    if K_ACTOR not in ss or ss[K_ACTOR] not in actor_labels:
        ss[K_ACTOR] = profile.actor_type or UNSAID
    if K_DEPT not in ss or ss[K_DEPT] not in dept_labels:
        ss[K_DEPT] = profile.departement if profile.departement in dept_labels else UNSAID
    note = ss.pop(K_PROFILE_NOTE, None)
    given = profile.actor_type or profile.departement
    with st.expander(
        "Qui êtes-vous ? Pour lire les résultats par public (facultatif)",
        expanded=bool(note),
        icon=":material/group:",
    ):
        st.caption(
            "Facultatif : votre type de structure et votre département servent seulement à lire les résultats "
            "par public. Rien d'autre n'est demandé, vos avis restent anonymes."
        )
        about_you.actor_and_departement(departements.items(), keys=(K_ACTOR, K_DEPT))
        st.button(
            "Enregistrer ces précisions",
            key="vote_profile_save",
            on_click=_save_profile,
            kwargs={"edition_id": edition_id},
            icon=":material/save:",
            width="stretch",
        )
        if note:
            kind, message = note
            (st.success if kind == "ok" else st.error)(message)  # our own sentences
    if given and not note:
        parts = [ACTOR_TYPE_LABELS.get(profile.actor_type or ""), departements.get(profile.departement or "")]
        st.caption("Vos précisions : " + md_escape(" · ".join(p for p in parts if p)))  # reference data: escaped


def _summary(items: list[BallotItem], stances: dict[int, str]) -> None:
    given = sum(1 for i in items if i.id in stances)
    st.subheader("Vos avis", anchor=False)
    done = f"{format_number(given)} avis donné{'s' if given > 1 else ''} sur {format_number(len(items))} orientations."
    st.caption(f"{done} Touchez « Changer » pour revenir sur un avis.")
    theme = None
    for n, item in enumerate(items):
        if item.theme_id != theme:
            theme = item.theme_id
            theme_band(item.theme_color, item.theme_short_label)
        with st.container(border=True, key=f"vote_nav_summary_{item.id}"):
            st.text(f"{item.code} · {item.title}")
            stance = stances.get(item.id)
            line = f"Votre avis : {cards.choice_label(stance)}" if stance else "Pas encore d'avis"
            if not item.open:
                st.caption(f":material/lock: {cards.CLOSED} · {line}")
                continue
            st.caption(f":green[:material/check_circle:] {line}" if stance else line)
            st.button(
                "Changer" if stance else "Donner mon avis",
                key=f"vote_change_{item.id}",
                on_click=_change,
                args=(n,),
                icon=":material/edit:",
            )
    with st.container(key="vote_nav_restart"):
        st.button(
            "Revoir depuis la première orientation",
            key="vote_restart",
            on_click=_go,
            args=(0,),
            icon=":material/restart_alt:",
            width="stretch",
        )


def _position(items: list[BallotItem], stances: dict[int, str], asked: str | None) -> int:
    """Where to stand: a theme named in the link (followed once), else where this session was, else the first
    orientation without a stance. len(items) is the summary."""
    ss = st.session_state
    themes = {i.theme_code: i.theme_id for i in items}
    if asked != ss.get(K_THEME_SEEN):
        ss[K_THEME_SEEN] = asked
        if asked in themes:
            _go(_first_of(items, stances, themes[asked]))
    index = ss.get(K_INDEX)
    if not isinstance(index, int):
        index = _first_of(items, stances)
    ss[K_INDEX] = max(0, min(index, len(items)))
    return int(ss[K_INDEX])


def _card(
    items: list[BallotItem],
    index: int,
    stances: dict[int, str],
    *,
    edition_id: int,
    asked: str | None,
    saved: str | None,
) -> None:
    """The card of the orientation at `index`, under the progress line, with « Précédente » and « Suivante »."""
    item = items[index]
    # The last tap's confirmation on the progress line: the next card's answers stay within one screen.
    steps = f"Orientation {index + 1} sur {len(items)}"
    st.progress((index + 1) / len(items), text=f"{steps} · {saved}" if saved else steps)
    if asked != item.theme_code:
        # The address follows the card: a reload or a shared link opens this theme again.
        st.query_params[QUERY_THEME] = item.theme_code
        st.session_state[K_THEME_SEEN] = item.theme_code
    result = None if item.open else cards.results(edition_id, [item.theme_id]).get(item.id)
    origin = VoteOrigin.CARDS.value
    stance = stances.get(item.id)
    cards.card(item, stance=stance, origin=origin, key=KEY, edition_id=edition_id, on_saved=_after_tap, result=result)
    if not item.open:
        st.caption(cards.HONEST_RESULTS)
    last = index + 1 == len(items)
    with st.container(horizontal=True, key="vote_nav_steps"):
        st.button(
            "Précédente",
            key="vote_previous",
            on_click=_go,
            args=(index - 1,),
            icon=":material/arrow_back:",
            disabled=index == 0,
            width="stretch",
        )
        st.button(
            "Mes avis" if last else "Suivante",
            key="vote_next",
            on_click=_go,
            args=(index + 1,),
            icon=":material/checklist:" if last else ":material/arrow_forward:",
            icon_position="left" if last else "right",
            width="stretch",
        )


def _theme_picker(items: list[BallotItem], stances: dict[int, str], index: int) -> None:
    """Jump to a theme: its first orientation still without a stance."""
    first_by_theme = {t: _first_of(items, stances, t) for t in dict.fromkeys(i.theme_id for i in items)}
    # Pills render Markdown: the short labels are typed by staff.
    labels = {i.theme_id: md_escape(i.theme_short_label) for i in items}
    st.session_state[K_THEME_PICK] = items[index].theme_id if index < len(items) else None
    forms.choice(st.pills, "Aller à un thème", labels, key=K_THEME_PICK, on_change=_picked, args=(first_by_theme,))
    if index < len(items):
        st.button(
            "Voir tous mes avis",
            key="vote_summary",
            on_click=_go,
            args=(len(items),),
            type="tertiary",
            icon=":material/checklist:",
        )


@interactive_fragment
def _ballot(edition_id: int, *, archived: bool) -> None:
    """The card shown (or the summary) and the theme picker: a fragment, so a tap reruns this part only, not
    the whole app nor the profile below (ui/fragments.py). Ballot and stances are read at each of its runs."""
    items = cards.ballot(edition_id)
    if not items:
        st.info("Aucune orientation n'est encore soumise à l'avis des participants.", icon=":material/info:")
        return
    cards.inject_css()
    stances = cards.my_stances(edition_id)
    st.session_state[K_ORDER] = [i.id for i in items]
    asked = st.query_params.get(QUERY_THEME)
    index = _position(items, stances, asked)
    if archived:
        st.info(ARCHIVED, icon=":material/inventory_2:")
    elif not any(i.open for i in items):
        st.info(ALL_CLOSED, icon=":material/lock:")
    saved = cards.pop_saved(KEY)
    if index < len(items):
        _card(items, index, stances, edition_id=edition_id, asked=asked, saved=saved)
    else:
        if saved:
            st.caption(saved)
        _summary(items, stances)
    _theme_picker(items, stances, index)
    # A tap at the bottom of a long card lands at the top of the next one, under the progress bar.
    scroll_to_top_on_step(f"card-{index}" if index < len(items) else "summary")


def _page() -> None:
    current = edition.active_edition()
    participant.device_token()
    st.title("Donner mon avis", anchor=False)
    if not current.open and not current.archived:
        st.info(NOT_OPEN, icon=":material/event_busy:")
        return
    _ballot(current.id, archived=current.archived)
    if not cards.ballot(current.id):
        return
    if current.open:
        _profile(current.id)
    st.caption(f"{HOW} {TIED_TO_PHONE}")


_page()
participant.remember_device()
