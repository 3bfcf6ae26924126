"""Un stand: the page a stand's QR code opens (/stand?code=S01&edition=<slug>), on a phone, without an account.

The edition comes first: the URL names it, and each edition has its own S01.

Every text of a stand is typed by staff (or imported): drawn with st.text, never as Markdown.
"""

from pathlib import Path

import streamlit as st

from services import circuit as circuit_service
from services.exports import md_escape
from services.votes import VoteOrigin
from ui import circuit, edition, forms, participant, store, votes
from ui.fragments import interactive_fragment

K_NOTE = "stand_note"
K_HELD = "stand_held_message"
CSS_FILE = Path(__file__).resolve().parents[1] / "assets" / "css" / "circuit.css"
# What a visit that was not recorded says, by why: the stand closed meanwhile; the edition archived or not open,
# or the phone's token not of it (invalid); the venue's address over its ceiling (services.throttle: try again
# soon); the store failing (disk full, database restarting: nothing written, the button stays).
REFUSED_NOTES = {
    "missing": "closed",
    "invalid": "refused",
    "denied": "held",
    "refused": "held",
    "failed": "unavailable",
}
SAID_AS_IS = {"refused", "held"}  # with the service's own sentence


def _visit(code: str, edition_id: int) -> None:
    token, origin = participant.device_token(), participant.origin()
    result = forms.SAVING.attempt(
        circuit_service.visit_stand, device_token=token, stand_code=code, origin=origin, edition_id=edition_id
    )
    if isinstance(result, forms.Failure):
        note = st.session_state[K_NOTE] = REFUSED_NOTES[result.kind]
        if note in SAID_AS_IS:
            st.session_state[K_HELD] = result.message
        return
    st.session_state[K_NOTE] = "treasure" if result.treasure_just_found else ("new" if result.new else "again")


# The edition before the code: `?edition=` puts this session on the edition whose QR code was scanned.
current = edition.active_edition()
participant.device_token()
code = circuit_service.normalise_stand_code(st.query_params.get("code"))
stand = circuit.stand_page(current.id, code) if code else None

if stand is None:
    st.title("Stand introuvable")
    st.warning(
        "Ce code de stand n'existe pas ou ce stand est fermé pour le moment. "
        "Pas d'inquiétude : retrouvez tous les stands ouverts sur le plan du circuit.",
        icon=":material/explore:",
    )
    st.page_link("app_pages/circuit.py", label="Voir le plan du circuit", icon=":material/map:")
    st.page_link("app_pages/passport.py", label="Mon passeport", icon=":material/badge:")
    st.stop()

st.html(f"<style>{CSS_FILE.read_text(encoding='utf-8')}</style>")  # our own file: no user text in it
st.caption(f"Chasse aux trésors · stand n° {stand.position}")
circuit.theme_band(stand.theme_color, stand.theme_short_label)
with st.container(key="stand_name"):
    st.text(stand.name)
if stand.experience:
    st.text(stand.experience)
if stand.carrier:
    st.caption("Porté par")
    st.text(stand.carrier)


@interactive_fragment
def _visit_block(stand_code: str, edition_id: int, archived: bool) -> None:
    """The visit's button and what it says once tapped: a fragment, so the tap reruns this part only."""
    note = st.session_state.pop(K_NOTE, None)
    visited = store.read(
        circuit_service.has_visited,
        device_token=participant.device_token(),
        stand_code=stand_code,
        edition_id=edition_id,
    )
    if note == "treasure":
        st.balloons()
        st.success(
            "Bravo, vous avez trouvé le trésor ! Ouvrez votre passeport pour voir votre code.", icon=":material/star:"
        )
    elif note == "closed":
        st.warning("Ce stand vient d'être fermé : la visite n'a pas pu être enregistrée.")
    elif note == "held":
        st.warning(str(st.session_state.pop(K_HELD, "")), icon=":material/hourglass_top:")
    elif note == "refused":
        st.warning(str(st.session_state.pop(K_HELD, "")), icon=":material/block:")
    elif note == "unavailable":
        st.error(
            "La visite n'a pas pu être enregistrée (incident technique). Touchez de nouveau le bouton dans un instant.",
            icon=":material/error:",
        )
    elif visited:
        st.success(
            "Visite enregistrée dans votre passeport."
            if note != "again"
            else "Ce stand était déjà dans votre passeport.",
            icon=":material/check_circle:",
        )
    if archived:
        st.info(
            "Cette édition de la conférence est terminée : le circuit se consulte, les visites ne s'enregistrent plus.",
            icon=":material/inventory_2:",
        )
    elif not visited:
        st.button(
            "J'ai visité ce stand",
            type="primary",
            width="stretch",
            key="stand_visit",
            on_click=_visit,
            args=(stand_code, edition_id),
            icon=":material/where_to_vote:",
        )


@interactive_fragment
def _stand_cards(stand_code: str, theme_id: int, edition_id: int) -> None:
    """The stand's theme's proposed orientations, one tap each: a fragment too (a tap reruns the cards only)."""
    ballot = votes.ballot(edition_id, theme_id)
    if not ballot:
        return
    votes.inject_css()
    st.markdown("**Votre avis sur les orientations de ce thème**")
    st.caption("Une touche suffit : votre avis est enregistré aussitôt et reste modifiable.")
    votes.theme_cards(
        ballot,
        origin=VoteOrigin.STAND.value,
        key="stand_vote",
        edition_id=edition_id,
        stand_code=stand_code,
        show_theme=False,
        compact=True,
    )
    if not all(item.open for item in ballot):
        st.caption(votes.HONEST_RESULTS)


# The stand's one action first, within a thumb's reach before any long text.
_visit_block(stand.code, current.id, current.archived)
# The adequacy check, right after the visit: the stand's theme's proposed orientations, one tap each.
_stand_cards(stand.code, stand.theme_id, current.id)
if stand.question:
    with st.container(border=True):
        st.caption("La question de ce stand")
        st.text(stand.question)
st.page_link(
    "app_pages/contribute.py",
    label="Contribuer depuis ce stand",
    icon=":material/edit_note:",
    query_params={"stand": stand.code},
)
if stand.description:
    st.text(stand.description)
if stand.ptce_name:
    st.caption(md_escape(current.projects_label))  # the edition's word for its featured projects (staff-typed)
    st.text(stand.ptce_name)
st.page_link("app_pages/passport.py", label="Mon passeport", icon=":material/badge:")
st.page_link("app_pages/circuit.py", label="Plan du circuit", icon=":material/map:")
participant.remember_device()
