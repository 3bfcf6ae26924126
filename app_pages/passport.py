"""Mon passeport: the hunter's progress on the circuit, the treasure, and restoring it on another phone.

A passport is of the session's edition: this phone's token for it, restored only from a code of that edition.
"""

import pandas as pd
import streamlit as st

from services import circuit as circuit_service
from services import throttle
from services.formatting import format_datetime, format_number
from ui import edition, participant, store

K_RESTORE = "passport_restore_code"
K_NOTE = "passport_note"


def _restore() -> None:
    try:
        token = store.write(
            circuit_service.restore_passport,
            public_code=st.session_state.get(K_RESTORE) or "",
            session_key=participant.session_key(),
            origin=participant.origin(),
            edition_id=edition.edition_id(),
        )
    except throttle.Throttled as exc:
        st.session_state[K_NOTE] = ("error", exc.message)
        return
    if token is None:
        st.session_state[K_NOTE] = (
            "error",
            "Aucun passeport ne porte ce code. Vérifiez-le : 8 caractères, par ex. K7QF-MC3R.",
        )
        return
    # This phone takes over the passport: the cookie written at the bottom of the page keeps it.
    participant.take_over(token)
    st.session_state[K_RESTORE] = ""
    st.session_state[K_NOTE] = ("ok", "Passeport retrouvé : il est maintenant sur ce téléphone.")


current = edition.active_edition()
participant.device_token()
st.title("Mon passeport")
# A write: showing the passport may award the treasure (a contribution may have completed the circuit).
card = store.write(circuit_service.passport, device_token=participant.device_token(), edition_id=current.id)
# The themes the treasure asks for (those with a stand on this edition's circuit), in the edition's order.
all_themes = store.themes(current.id)
themes = [t for t in all_themes if t.id in set(card.theme_ids)]

if card.complete and card.treasure_code:
    with st.container(border=True):
        st.success("Bravo ! Vous avez trouvé le trésor de l'ESS.", icon=":material/star:")
        st.metric("Votre code trésor", card.treasure_code)
        found = f" le {format_datetime(card.treasure_found_at)}" if card.treasure_found_at else ""
        st.caption(f"Trouvé{found}. Montrez ce code à l'accueil : l'équipe le vérifie et vous remet votre surprise.")
elif current.archived:
    st.caption("Cette édition de la conférence est terminée : votre passeport se consulte tel qu'il était.")
else:
    st.caption(
        "Pour trouver le trésor : visitez au moins un stand de chaque thème du circuit et envoyez au moins "
        "une contribution."
    )

covered = len(card.themes_covered)
st.progress(
    covered / card.themes_total if card.themes_total else 0.0,
    text=f"Thèmes couverts : {format_number(covered)} sur {format_number(card.themes_total)}",
)
left, right = st.columns(2)
left.metric("Stands visités", format_number(len(card.visited)))
right.metric("Contributions", format_number(card.contributions))

st.subheader("Les thèmes du circuit")
done = set(card.themes_covered)
for theme in themes:
    # Plain characters every phone font has (headless browsers and old phones may lack emoji).
    st.text(f"✓ {theme.short_label}" if theme.id in done else f"○ {theme.short_label} · à découvrir")

if not card.complete and not current.archived:
    still = []
    if card.missing_theme_ids:
        missing_count = len(card.missing_theme_ids)
        still.append(f"{format_number(missing_count)} thème{'s' if missing_count > 1 else ''} à découvrir")
    if card.contributions == 0:
        still.append("une contribution à envoyer")
    if still:
        st.info("Il vous reste : " + " et ".join(still) + ".", icon=":material/explore:")
    if card.contributions == 0:
        st.page_link("app_pages/contribute.py", label="Contribuer", icon=":material/edit_note:")

theme_names = {t.id: t.short_label for t in all_themes}
if card.visited:
    st.subheader("Stands visités")
    st.dataframe(
        pd.DataFrame(
            {"Stand": [s.name for s in card.visited], "Thème": [theme_names.get(s.theme_id, "") for s in card.visited]}
        ),
        hide_index=True,
        width="stretch",
    )
missing = set(card.missing_theme_ids)
to_find = [s for s in card.remaining if s.theme_id in missing] or card.remaining
if to_find and not card.complete:
    st.subheader("À trouver")
    st.dataframe(
        pd.DataFrame(
            {
                "N°": [s.position for s in to_find],
                "Stand": [s.name for s in to_find],
                "Thème": [theme_names.get(s.theme_id, "") for s in to_find],
            }
        ),
        hide_index=True,
        width="stretch",
    )
st.page_link("app_pages/circuit.py", label="Plan du circuit", icon=":material/map:")

st.subheader("Garder son passeport")
if card.public_code:
    st.metric("Code de votre passeport", card.public_code)
    st.caption("Notez-le : sur un autre téléphone, ce code vous rend votre passeport.")
else:
    st.caption("Votre passeport commence au premier stand visité ou à votre première contribution.")
with st.expander("Vous avez changé de téléphone ? Retrouvez votre passeport", icon=":material/restore:"):
    st.text_input("Code du passeport", key=K_RESTORE, max_chars=12, placeholder="K7QF-MC3R")
    st.button("Retrouver mon passeport", key="passport_restore", on_click=_restore)
note = st.session_state.pop(K_NOTE, None)
if note:
    kind, message = note
    (st.success if kind == "ok" else st.error)(message)
participant.remember_device()
