"""Which conference edition this browser session works on.

Participants reach an edition by its QR code, whose URL names it (`?edition=centre-val-de-loire-2022`); the name
is kept in the session so that every page of the visit stays on it (Streamlit's page links do not carry query
parameters). Without one, the default edition. Staff switch editions from the sidebar. An edition still in
preparation is shown to staff only. The list of editions is the same for everyone: safe in the shared cache.
"""

from __future__ import annotations

import streamlit as st

from services import editions
from services.editions import EditionInfo, EditionStatus
from services.scope import NO_EDITION
from ui import store
from ui.auth import ACCOUNT_KEY

QUERY = "edition"
K_SLUG = "edition_slug"  # the edition this session works on
K_SWITCH = "edition_switch"  # the staff sidebar's selectbox
NO_OPEN_EDITION = "Aucune édition de la conférence n'est ouverte pour le moment : revenez bientôt."


# A resource, not data: every page calls active_edition() several times per run, and st.cache_data would unpickle a
# fresh copy of the list at each call (measured: a tenth of a landing view's CPU). EditionInfo is frozen and the
# tuple immutable, so the one shared object cannot be changed by a session.
@st.cache_resource(ttl=30, max_entries=4, show_spinner=False)
def all_editions() -> tuple[EditionInfo, ...]:
    return tuple(store.read(editions.list_editions))


def clear_cache() -> None:
    all_editions.clear()


def _visible(edition: EditionInfo, *, staff: bool) -> bool:
    return staff or edition.status != EditionStatus.DRAFT.value


def _is_staff() -> bool:
    # The account app.py checked against the store at the top of this run (ui.auth.current_account).
    return st.session_state.get(ACCOUNT_KEY) is not None


def active_edition(*, staff: bool | None = None) -> EditionInfo:
    """The edition of this session: named in the URL, else chosen earlier in the session, else the default one.

    An edition in preparation is reachable by staff only (`staff` None: this session's account decides).
    """
    staff = _is_staff() if staff is None else staff
    known = all_editions()
    if not known:
        st.error(NO_EDITION, icon=":material/event_busy:")
        st.stop()
    by_slug = {e.slug: e for e in known if _visible(e, staff=staff)}
    asked = st.query_params.get(QUERY)
    if isinstance(asked, str) and asked:
        if asked in by_slug:
            st.session_state[K_SLUG] = asked
        else:
            st.warning(
                "Cette adresse désigne une édition de la conférence qui n'existe pas ou n'est pas encore ouverte : "
                "voici l'édition en cours.",
                icon=":material/info:",
            )
            del st.query_params[QUERY]
    chosen = st.session_state.get(K_SLUG)
    if isinstance(chosen, str) and chosen in by_slug:
        return by_slug[chosen]
    # The default among the editions this session may see: a default still in preparation is staff's only.
    visible = list(by_slug.values())
    default = next((e for e in visible if e.is_default), None) or next((e for e in visible if e.open), None)
    if default is None and not visible:
        st.error(NO_OPEN_EDITION, icon=":material/event_busy:")
        st.stop()
    return default or visible[0]


def edition_id() -> int:
    """The id of this session's edition (what services take as `edition_id`)."""
    return active_edition().id


def _switched() -> None:
    """The sidebar's choice becomes the session's edition (before the rerun draws anything)."""
    chosen = st.session_state.get(K_SWITCH)
    if isinstance(chosen, str):
        st.session_state[K_SLUG] = chosen
        if QUERY in st.query_params:
            st.query_params[QUERY] = chosen


def render_switch(*, staff: bool) -> EditionInfo:
    """The staff sidebar's edition selector (only when there is more than one edition); returns the active one."""
    current = active_edition(staff=staff)
    known = [e for e in all_editions() if _visible(e, staff=staff)]
    if staff and len(known) > 1:
        labels = {e.slug: f"{e.region_name} · {e.dates_label} ({e.status_label})" for e in known}
        # The selector shows the session's edition, whichever way it was reached (this sidebar, a link naming an
        # edition, the « Éditions » page): set before the widget is drawn, changed through its callback only.
        st.session_state[K_SWITCH] = current.slug
        st.sidebar.selectbox(
            "Édition",
            list(labels),
            format_func=labels.__getitem__,
            key=K_SWITCH,
            on_change=_switched,
            help="Les tableaux de bord, la modération, la rédaction et les exports portent sur cette édition.",
        )
    if current.archived:
        st.sidebar.caption("Édition archivée : consultation seule.")
    return current
