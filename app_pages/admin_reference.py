"""Administration: the active edition's reference data in the store, and reloading it from its shipped pack."""

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from services import reference
from services.bootstrap import FIELD_LABELS, reload_reference_data
from services.errors import NotFoundError
from services.exports import md_escape
from services.formatting import format_figure, format_number
from services.labels import ORIENTATION_STATUS_LABELS, label
from services.permissions import Permission
from ui import edition, layout, store
from ui.auth import require


def _show(
    rows: Sequence[object], columns: dict[str, str], *, shown: dict[str, Mapping[Any, str]] | None = None
) -> None:
    """Rows as a table of the given columns, headed in French; `shown` maps a column's values to what is shown."""
    frame = pd.DataFrame(rows, columns=list(columns))
    for column, labels in (shown or {}).items():
        frame[column] = frame[column].map(labels)
    st.dataframe(frame[list(columns)].rename(columns=columns), hide_index=True, width="stretch")


def _reload(actor: str, edition_id: int) -> None:
    """« Recharger »: the edition brought up to its shipped pack; what staff changed is kept and listed."""
    try:
        result = store.write(reload_reference_data, actor=actor, edition_id=edition_id)
    except NotFoundError as exc:  # an edition made in the app, or imported from a pack not shipped
        st.info(exc.message, icon=":material/info:")
        st.stop()
    store.clear_shared_caches()
    added = sum(result.inserted.values())
    updated = sum(result.updated.values())
    st.success(
        f"Données rechargées : {format_number(added)} élément(s) ajouté(s), "
        f"{format_number(updated)} mis à jour depuis les fichiers."
    )
    if result.kept:
        st.warning(
            f"{format_number(len(result.kept))} élément(s) modifié(s) dans l'application gardé(s) tels quels : "
            "la valeur du fichier n'a pas été reprise."
        )
        # A table, not Markdown: codes and values come from files and are shown as plain text.
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Type": k.kind,
                        "Code": k.code,
                        "Non repris du fichier": ", ".join(FIELD_LABELS.get(f, f) for f in k.fields),
                        "Pourquoi": k.reason,
                    }
                    for k in result.kept
                ]
            ),
            hide_index=True,
            width="stretch",
            key="reference_kept",
        )


account = require(Permission.REFERENCE)
current = edition.active_edition(staff=True)
edition_id = current.id
# What the Région calls its featured projects, typed by staff: escaped wherever Markdown renders it.
projects = md_escape(current.projects_label or "Projets")

st.title("Données de référence")
st.caption(md_escape(f"{current.name} · {current.place_and_date}"))

summary = store.read(reference.store_summary, edition_id=edition_id)
layout.metric_row(
    [
        ("Thèmes", summary.themes),
        ("Orientations", summary.orientations),
        (projects, summary.ptce),
        ("Stands", summary.stands),
        ("Départements", summary.departements),
        ("Dispositifs", summary.support_schemes),
        ("Contributions", summary.contributions),
        ("Visites de stands", summary.visits),
    ],
    per_row=4,
)

themes = store.themes(edition_id)
theme_names = {t.id: t.short_label for t in themes}
tabs = st.tabs(["Thèmes", "Orientations proposées", projects, "Stands", "Dispositifs", "Chiffres clés"])
with tabs[0]:
    st.dataframe(
        pd.DataFrame(
            [
                {"N°": n, "Code": t.code, "Thème": t.label, "Libellé court": t.short_label, "Couleur": t.color}
                for n, t in enumerate(themes, start=1)
            ]
        ),
        hide_index=True,
        width="stretch",
    )
with tabs[1]:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Code": o.code,
                    "Thème": theme_names.get(o.theme_id, o.theme_id),
                    "Intitulé": o.title,
                    "Statut": label(ORIENTATION_STATUS_LABELS, o.status),
                }
                for o in store.read(reference.list_orientation_infos, edition_id=edition_id)
            ]
        ),
        hide_index=True,
        width="stretch",
    )
with tabs[2]:
    _show(
        store.read(reference.list_ptce, edition_id=edition_id),
        {
            "name": current.projects_label or "Projet",
            "carrier": "Porteur",
            "territory": "Territoire",
            "departement": "Département",
        },
    )
with tabs[3]:
    _show(
        store.read(reference.list_stands, edition_id=edition_id),
        {
            "position": "Ordre",
            "code": "Code",
            "name": "Stand",
            "carrier": "Porteur",
            "theme_id": "Thème",
            "active": "Ouvert",
        },
        shown={"theme_id": theme_names, "active": {True: "oui", False: "non"}},
    )
with tabs[4]:
    _show(
        store.read(reference.list_support_schemes, edition_id=edition_id),
        {"provider": "Porteur", "name": "Dispositif", "description": "Description"},
    )
with tabs[5]:
    st.dataframe(
        pd.DataFrame(
            [
                {"Chiffre": f.label, "Valeur": format_figure(f.value, f.unit), "Année": f.year, "Source": f.source}
                for f in store.key_figures(edition_id)
            ]
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Recharger depuis le pack livré")
st.caption(
    "Pour une édition livrée avec l'application (assets/editions) : ajoute ce qui manque depuis son pack et met à "
    f"jour ce que personne n'a modifié dans l'application. Ce que l'équipe a modifié ici ({projects}, stands, "
    "orientations) est gardé, et listé après le rechargement. Les autres éditions ne sont pas touchées."
)
if st.button("Recharger les données de référence", key="reference_reload"):
    _reload(account.username, edition_id)
