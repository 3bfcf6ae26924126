"""Administration: the reference data in the store, and reloading it from assets/."""

import pandas as pd
import streamlit as st

from db.reference import FIELD_LABELS, reload_reference_data
from services import reference
from services.formatting import format_figure, format_number
from services.labels import ORIENTATION_STATUS_LABELS, label
from services.permissions import Permission
from ui import layout, store
from ui.auth import require

account = require(Permission.REFERENCE)
st.title("Données de référence")

summary = store.read(reference.store_summary)
layout.metric_row(
    [
        ("Thèmes", summary.themes),
        ("Orientations", summary.orientations),
        ("PTCE", summary.ptce),
        ("Stands", summary.stands),
        ("Départements", summary.departements),
        ("Dispositifs", summary.support_schemes),
        ("Contributions", summary.contributions),
        ("Visites de stands", summary.visits),
    ],
    per_row=4,
)

theme_names = {t.id: t.short_label for t in store.themes()}
tabs = st.tabs(["Thèmes", "Orientations proposées", "PTCE", "Stands", "Dispositifs", "Chiffres clés"])
with tabs[0]:
    st.dataframe(
        pd.DataFrame(
            [{"N°": t.id, "Thème": t.label, "Libellé court": t.short_label, "Couleur": t.color} for t in store.themes()]
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
                for o in store.read(reference.list_orientations)
            ]
        ),
        hide_index=True,
        width="stretch",
    )
with tabs[2]:
    ptce = pd.DataFrame(store.read(reference.list_ptce))
    st.dataframe(
        ptce[["name", "carrier", "territory", "departement"]].rename(
            columns={"name": "PTCE", "carrier": "Porteur", "territory": "Territoire", "departement": "Département"}
        ),
        hide_index=True,
        width="stretch",
    )
with tabs[3]:
    stands = pd.DataFrame(store.read(reference.list_stands))
    stands["theme_id"] = stands["theme_id"].map(theme_names)
    stands["active"] = stands["active"].map({True: "oui", False: "non"})
    st.dataframe(
        stands[["position", "code", "name", "carrier", "theme_id", "active"]].rename(
            columns={
                "position": "Ordre",
                "code": "Code",
                "name": "Stand",
                "carrier": "Porteur",
                "theme_id": "Thème",
                "active": "Ouvert",
            }
        ),
        hide_index=True,
        width="stretch",
    )
with tabs[4]:
    schemes = pd.DataFrame(store.read(reference.list_support_schemes))
    st.dataframe(
        schemes[["provider", "name", "description"]].rename(
            columns={"provider": "Porteur", "name": "Dispositif", "description": "Description"}
        ),
        hide_index=True,
        width="stretch",
    )
with tabs[5]:
    st.dataframe(
        pd.DataFrame(
            [
                {"Chiffre": f.label, "Valeur": format_figure(f.value, f.unit), "Année": f.year, "Source": f.source}
                for f in store.key_figures()
            ]
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Recharger depuis les fichiers")
st.caption(
    "Ajoute ce qui manque depuis assets/reference et met à jour ce que personne n'a modifié dans l'application. "
    "Ce que l'équipe a modifié ici (PTCE, stands, orientations) est gardé, et listé après le rechargement."
)
if st.button("Recharger les données de référence", key="reference_reload"):
    result = store.write(reload_reference_data, actor=account.username)
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
