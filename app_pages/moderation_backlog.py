"""File de modération: how many contributions wait per theme, for organisers during the day."""

import pandas as pd
import streamlit as st

from services import moderation
from services.formatting import format_number
from services.permissions import Permission
from ui import edition, store
from ui.auth import require

require(Permission.BACKLOG)

st.title("File de modération")
st.caption("Contributions reçues par thème et par statut de modération ; la page se met à jour toutes les 10 secondes.")


@st.fragment(run_every=10)
@store.storage_faults_reported(retry=False)  # the database may be restarting
def _counts() -> None:
    backlog = store.read(moderation.backlog_by_theme, edition_id=edition.edition_id())
    total = sum(r.pending for r in backlog)
    st.metric("À modérer, tous thèmes", format_number(total))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Thème": f"{position}. {r.theme_label}",
                    "À modérer": format_number(r.pending),
                    "Publiées": format_number(r.published),
                    "Rejetées": format_number(r.rejected),
                }
                for position, r in enumerate(backlog, start=1)
            ]
        ),
        hide_index=True,
        width="stretch",
    )


_counts()
