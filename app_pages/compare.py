"""Comparison: this edition beside the same Région's previous one, theme by theme (organisers and staff)."""

import pandas as pd
import streamlit as st

from services import comparison
from services.formatting import format_number, format_percent
from services.labels import STANCE_LABELS, label
from services.permissions import Permission
from ui import edition, store
from ui.auth import require

require(Permission.LIVE)
st.title("Comparer avec l'édition précédente")
result = store.read(comparison.compare_with_previous, edition_id=edition.edition_id())
current, previous = result.current, result.previous
now_name = f"{current.dates_label}"
if previous is None:
    st.info(
        "Cette édition est la première de la Région dans l'application : rien à comparer pour l'instant. "
        "Les chiffres de cette édition sont ci-dessous.",
        icon=":material/info:",
    )
    before_name = "Édition précédente"
else:
    before_name = f"{previous.dates_label}"
    st.caption(f"{previous.name} ({previous.dates_label}) et {current.name} ({current.dates_label}).")


def _n(value: int | None) -> str:
    return "—" if value is None else format_number(value)


before, now = result.figures
rows = [
    ("Contributions reçues (hors rejetées)", "contributions"),
    ("Participants (téléphones)", "participants"),
    ("Réponses au questionnaire", "responses"),
    ("Visites de stands", "visits"),
]
st.subheader("L'édition en chiffres", anchor=False)
st.dataframe(
    pd.DataFrame(
        [
            {"Indicateur": text}
            | ({before_name: _n(getattr(before, key))} if before else {})
            | {now_name: _n(getattr(now, key))}
            for text, key in rows
        ]
    ),
    hide_index=True,
    width="stretch",
)

st.subheader("Par thème", anchor=False)
if previous is not None:
    st.caption("Un thème repris d'une édition à l'autre garde son code ; « — » : le thème n'existait pas.")
st.dataframe(
    pd.DataFrame(
        [
            {"Thème": row.label}
            | ({f"Contributions {before_name}": _n(row.contributions[0])} if previous else {})
            | {f"Contributions {now_name}": _n(row.contributions[1])}
            | ({f"Réponses au questionnaire {before_name}": _n(row.responses[0])} if previous else {})
            | {f"Réponses au questionnaire {now_name}": _n(row.responses[1])}
            for row in result.themes
        ]
    ),
    hide_index=True,
    width="stretch",
)

st.subheader("Avis sur les orientations reprises", anchor=False)
if not result.stances:
    st.write("Aucune orientation reprise de l'édition précédente n'a encore reçu d'avis dans les deux éditions.")
else:

    def _share(counts: dict[str, int], stance: str) -> str:
        total = sum(counts.values())
        return format_percent(100 * counts.get(stance, 0) / total) if total else "—"

    table = []
    for row in result.stances:
        line = {"Code": row.code, "Orientation": row.title}
        for stance in STANCE_LABELS:
            line[f"{label(STANCE_LABELS, stance)} ({before_name})"] = _share(row.previous, stance)
            line[f"{label(STANCE_LABELS, stance)} ({now_name})"] = _share(row.current, stance)
        line[f"Avis ({before_name})"] = format_number(sum(row.previous.values()))
        line[f"Avis ({now_name})"] = format_number(sum(row.current.values()))
        table.append(line)
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
