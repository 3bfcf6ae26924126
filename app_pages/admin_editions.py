"""Administration: the conference's editions. Set up the next one (copy, pack or blank), its settings, its themes.

Every check is the server's (services.editions, services.packs): this page only reads widgets and shows the
French messages. What staff typed stays in the widgets when a save is refused.
"""

from typing import Any

import pandas as pd
import streamlit as st

from services import editions, packs
from services.auth import StaffAccount
from services.editions import EditionInfo
from services.formatting import format_number
from services.permissions import Permission
from ui import edition, edition_settings, store
from ui.auth import require
from ui.edition_settings import REGION_LABELS, REGIONS

K_FLASH = "ed_flash"
NEW_MODE_LABELS = {
    "copy": "Copier une édition précédente (tout est repris, à modifier ensuite)",
    "pack": "Importer un pack de conférence (fichier YAML)",
    "blank": "Partir de zéro (réglages et thèmes)",
}
# Key figures and support schemes: tables edited in place, saved whole, checked by the server like a pack's.
TABLE_COLUMNS = {
    "key_figures": {
        "code": "Code",
        "label": "Intitulé",
        "value": "Valeur",
        "unit": "Unité",
        "year": "Année",
        "source": "Source",
        "short_label": "À la une (libellé court)",
    },
    "support_schemes": {"code": "Code", "name": "Nom", "provider": "Porté par", "description": "Description"},
}
TABLE_TITLES = {"key_figures": "Chiffres clés", "support_schemes": "Dispositifs de soutien"}


def _done(message: str, *, slug: str | None = None) -> None:
    """After a write: fresh caches, the session on the edition just made, a French confirmation."""
    edition.clear_cache()
    store.clear_shared_caches()
    if slug is not None:
        st.session_state[edition.K_SLUG] = slug
    # Shown at the top of the next run (the page reruns at once to draw the new state).
    st.session_state[K_FLASH] = message


def _counts(e: EditionInfo) -> dict[str, int]:
    return store.read(editions.edition_counts, edition_id=e.id)


def _cell(value: object) -> object:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def _list_tab(account: StaffAccount, known: list[EditionInfo], labels: dict[str, str]) -> None:
    """Every edition, the one participants reach by default, and each one's pack to download."""
    rows = []
    for e in known:
        counts = _counts(e)
        rows.append(
            {
                "Édition": e.name,
                "Région": e.region_name,
                "Lieu et date": " · ".join(p for p in (e.city, e.dates_label) if p),
                "Statut": e.status_label,
                "Par défaut": "oui" if e.is_default else "",
                "Thèmes": format_number(counts["themes"]),
                "Stands": format_number(counts["stands"]),
                "Identifiant (QR codes)": e.slug,
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    by_slug = {e.slug: e for e in known}
    chosen_slug = st.selectbox("Édition", list(by_slug), format_func=labels.__getitem__, key="ed_list_choice")
    chosen = by_slug[chosen_slug]
    left, right = st.columns(2)
    if left.button(
        "Ouvrir aux participants par défaut",
        key="ed_make_default",
        disabled=chosen.is_default,
        help="L'édition que l'on atteint sans QR code ni lien qui en nomme une.",
        icon=":material/star:",
    ) and (
        store.write_or_report(editions.set_default_edition, actor=account.username, edition_id=chosen.id) is not None
    ):
        _done(f"« {chosen.name} » est désormais l'édition par défaut.")
        st.rerun()
    pack_text = store.read(editions.export_pack_text, edition_id=chosen.id)
    right.download_button(
        "Télécharger son pack (YAML)",
        data=pack_text.encode("utf-8"),
        file_name=f"{chosen.slug}.yaml",
        mime="application/x-yaml",
        key="ed_download_pack",
        icon=":material/download:",
        help="Le fichier décrit toute l'édition (réglages, thèmes, orientations, stands, projets, questionnaire) : "
        "une autre Région peut l'importer et l'adapter.",
    )


def _copy_form(account: StaffAccount, known: list[EditionInfo], labels: dict[str, str]) -> None:
    """A new edition copied from an earlier one (everything carried forward, to edit afterwards)."""
    with st.form("ed_copy_form"):
        source = st.selectbox(
            "Édition à copier", [e.slug for e in known], format_func=labels.__getitem__, key="ed_copy_source"
        )
        slug = st.text_input(
            "Identifiant de la nouvelle édition (dans les QR codes)",
            key="ed_copy_slug",
            placeholder="par exemple pays-de-la-loire-2018",
        )
        name = st.text_input("Nom", key="ed_copy_name", placeholder="Conférence régionale de l'ESS")
        city = st.text_input("Ville", key="ed_copy_city")
        start = st.date_input("Date (premier jour)", value=None, format="DD/MM/YYYY", key="ed_copy_start")
        submitted = st.form_submit_button("Créer la copie", type="primary", icon=":material/content_copy:")
    if submitted:
        settings: dict[str, Any] = {"slug": slug, "start_date": start, "end_date": None}
        settings |= {k: v for k, v in (("name", name), ("city", city)) if v.strip()}
        source_id = {e.slug: e for e in known}[source].id
        made = store.write_or_report(
            editions.copy_edition, actor=account.username, source_id=source_id, settings=settings
        )
        if made is not None:
            _done(f"Édition « {made.name} » créée (en préparation) : complétez-la.", slug=made.slug)
            st.rerun()


def _pack_import(account: StaffAccount) -> None:
    """A new edition (or an update of one) from a conference pack: read and checked first, then imported."""
    upload = st.file_uploader("Pack de conférence (YAML)", type=["yaml", "yml"], key="ed_pack_file")
    if upload is None:
        return
    try:
        pack = packs.read_pack(upload.getvalue())
    except packs.PackError as exc:
        st.error("Ce pack ne peut pas être importé ; rien n'a été enregistré :", icon=":material/error:")
        for problem in exc.problems:
            st.text(f"• {problem}")
        return
    st.success(
        f"Pack lisible : {pack.edition['name']} — {REGIONS.get(pack.edition['region_code'], '')}, "
        f"{format_number(len(pack.themes))} thèmes, {format_number(len(pack.orientations))} orientations, "
        f"{format_number(len(pack.stands))} stands, {format_number(len(pack.projects))} projets.",
        icon=":material/fact_check:",
    )
    if st.button("Importer ce pack", type="primary", key="ed_pack_import", icon=":material/upload:"):
        result = store.write_or_report(editions.import_pack, actor=account.username, pack=pack)
        if result is not None:
            imported, summary = result
            _done(f"Édition « {imported.name} » importée.", slug=imported.slug)
            st.text(summary)


def _blank_form(account: StaffAccount) -> None:
    """A new edition from its settings and its themes only."""
    with st.form("ed_blank_form"):
        slug = st.text_input("Identifiant (dans les QR codes)", key="ed_blank_slug")
        name = st.text_input("Nom", key="ed_blank_name", value="Conférence régionale de l'ESS")
        region = st.selectbox(
            "Région",
            list(REGIONS),
            format_func=REGION_LABELS.__getitem__,
            key="ed_blank_region",
        )
        city = st.text_input("Ville", key="ed_blank_city")
        start = st.date_input("Date (premier jour)", value=None, format="DD/MM/YYYY", key="ed_blank_start")
        controller = st.text_input(
            "Responsable du traitement des données (notice « Vos données »)", key="ed_blank_controller"
        )
        contact = st.text_input("À qui s'adresser pour ses données", key="ed_blank_contact")
        st.caption("Thèmes (de 2 à 12) : code court, intitulé, libellé court, couleur #RRGGBB, description.")
        themes_table = st.data_editor(
            pd.DataFrame([{"code": "", "label": "", "short_label": "", "color": "#0072B2", "description": ""}] * 2),
            num_rows="dynamic",
            key="ed_blank_themes",
            column_config={
                "code": "Code",
                "label": "Intitulé",
                "short_label": "Libellé court",
                "color": "Couleur",
                "description": "Description",
            },
            hide_index=True,
        )
        submitted = st.form_submit_button("Créer l'édition", type="primary", icon=":material/add:")
    if not submitted:
        return
    themes: list[dict[str, Any]] = [
        {str(k): ("" if pd.isna(v) else str(v)) for k, v in row.items()}
        for row in themes_table.to_dict("records")
        if any(str(v).strip() for v in row.values() if not pd.isna(v))
    ]
    settings = {
        "slug": slug,
        "name": name,
        "region_code": region,
        "city": city,
        "start_date": start,
        "privacy_controller": controller,
        "privacy_contact": contact,
    }
    made = store.write_or_report(
        editions.create_blank_edition, actor=account.username, settings=settings, themes=themes
    )
    if made is not None:
        _done(f"Édition « {made.name} » créée (en préparation).", slug=made.slug)
        st.rerun()


def _new_tab(account: StaffAccount, known: list[EditionInfo], labels: dict[str, str]) -> None:
    mode = st.radio(
        "Comment commencer ?", list(NEW_MODE_LABELS), format_func=NEW_MODE_LABELS.__getitem__, key="ed_new_mode"
    )
    if mode == "copy":
        _copy_form(account, known, labels)
    elif mode == "pack":
        _pack_import(account)
    else:
        _blank_form(account)


def _settings_tab(account: StaffAccount, current: EditionInfo) -> None:
    st.subheader(f"{current.name} — {current.place_and_date}", anchor=False)
    if current.archived:
        st.info("Édition archivée : seul son statut peut changer (la rouvrir).", icon=":material/inventory_2:")
    frozen = current.archived
    with st.form(f"ed_settings_{current.id}"):
        values = edition_settings.settings_fields(current, frozen)
        saved = st.form_submit_button("Enregistrer les réglages", type="primary", icon=":material/save:")
    if saved:
        if frozen:
            values = {"status": values["status"]}
        result = store.write_or_report(
            editions.update_edition_settings, actor=account.username, edition_id=current.id, values=values
        )
        if result is not None:
            _done("Réglages enregistrés.", slug=result.slug)
            st.rerun()


def _themes_tab(account: StaffAccount, current: EditionInfo) -> None:
    themes = store.themes(current.id)
    st.caption(
        f"{format_number(len(themes))} thèmes. Les orientations se rédigent dans « Rédaction », les stands dans "
        "« Stands du circuit », le questionnaire s'importe avec le pack."
    )
    for number, theme in enumerate(themes, start=1):
        with st.expander(f"{number}. {theme.short_label}", expanded=False):
            with st.form(f"ed_theme_{theme.id}"):
                label = st.text_input("Intitulé", value=theme.label, disabled=current.archived)
                short = st.text_input("Libellé court", value=theme.short_label, disabled=current.archived)
                color = st.color_picker("Couleur", value=theme.color, disabled=current.archived)
                description = st.text_area("Description", value=theme.description, disabled=current.archived)
                save = st.form_submit_button("Enregistrer ce thème", disabled=current.archived)
            if save:
                values = {"label": label, "short_label": short, "color": color, "description": description}
                _save_theme(account, current, "Thème enregistré.", values, theme_id=theme.id)
            delete = st.button("Supprimer ce thème", key=f"ed_theme_delete_{theme.id}", disabled=current.archived)
            if delete and (
                store.write_or_report(
                    editions.delete_theme, actor=account.username, edition_id=current.id, theme_id=theme.id
                )
                is not None
            ):
                _done("Thème supprimé.")
                st.rerun()
    with st.form("ed_theme_new"):
        st.markdown("**Ajouter un thème**")
        code = st.text_input("Code court", key="ed_theme_new_code", disabled=current.archived)
        label = st.text_input("Intitulé", key="ed_theme_new_label", disabled=current.archived)
        short = st.text_input("Libellé court", key="ed_theme_new_short", disabled=current.archived)
        color = st.color_picker("Couleur", value="#009E73", key="ed_theme_new_color", disabled=current.archived)
        description = st.text_area("Description", key="ed_theme_new_description", disabled=current.archived)
        add = st.form_submit_button("Ajouter", disabled=current.archived, icon=":material/add:")
    if add:
        values = {"code": code, "label": label, "short_label": short, "color": color, "description": description}
        _save_theme(account, current, "Thème ajouté.", values)


def _save_theme(
    account: StaffAccount, current: EditionInfo, message: str, values: dict[str, Any], *, theme_id: int | None = None
) -> None:
    """Save one theme (a new one without `theme_id`); on success, say so and draw the page again."""
    done = store.write_or_report(
        editions.save_theme, actor=account.username, edition_id=current.id, theme_id=theme_id, values=values
    )
    if done is not None:
        _done(message)
        st.rerun()


def _tables_tab(account: StaffAccount, current: EditionInfo) -> None:
    st.caption(
        "Les chiffres clés dont le libellé court est rempli s'affichent en tête de l'accueil (trois au plus), "
        "dans l'ordre du tableau."
    )
    for table, columns in TABLE_COLUMNS.items():
        st.subheader(TABLE_TITLES[table], anchor=False)
        rows = store.read(editions.list_edition_rows, edition_id=current.id, table=table)
        edited = st.data_editor(
            pd.DataFrame(rows, columns=list(columns)),
            num_rows="dynamic",
            hide_index=True,
            column_config=columns,
            disabled=current.archived,
            key=f"ed_table_{table}_{current.id}",
            width="stretch",
        )
        if st.button(
            f"Enregistrer : {TABLE_TITLES[table].lower()}",
            key=f"ed_table_save_{table}",
            disabled=current.archived,
            icon=":material/save:",
        ):
            values: list[dict[str, Any]] = [
                {str(k): _cell(v) for k, v in row.items()}
                for row in edited.to_dict("records")
                if any(_cell(v) not in (None, "") for v in row.values())
            ]
            saved = store.write_or_report(
                editions.save_edition_rows, actor=account.username, edition_id=current.id, table=table, rows=values
            )
            if saved is not None:
                _done(f"{TABLE_TITLES[table]} enregistrés : {format_number(saved)}.")
                st.rerun()


def _questionnaire_tab(account: StaffAccount, current: EditionInfo) -> None:
    st.caption(
        "Le questionnaire aux acteurs de l'édition, tel qu'il s'écrit dans un pack : parties (sections) liées ou non "
        "à un thème (code du thème), questions avec leur code, leur texte, leur type (single, multiple, scale, "
        "yesno, open) et leurs choix. Il ne se modifie plus une fois qu'il a reçu des réponses : donnez alors un "
        "autre identifiant (slug) au nouveau questionnaire, qui remplace l'ancien dans le formulaire."
    )
    with st.form(f"ed_questionnaire_{current.id}"):
        definition = st.text_area(
            "Questionnaire (YAML)",
            value=store.read(editions.questionnaire_text, edition_id=current.id),
            height=480,
            disabled=current.archived,
        )
        save_questionnaire = st.form_submit_button(
            "Enregistrer le questionnaire", type="primary", disabled=current.archived, icon=":material/save:"
        )
    if save_questionnaire and (
        store.write_or_report(
            editions.replace_questionnaire, actor=account.username, edition_id=current.id, text=definition
        )
        is not None
    ):
        _done("Questionnaire enregistré.")
        st.rerun()


account = require(Permission.EDITIONS)
st.title("Éditions de la conférence")
st.caption(
    "Chaque édition a ses thèmes, ses orientations, ses stands, ses projets, son questionnaire et ses "
    "contributions. Les équipes choisissent l'édition sur laquelle elles travaillent dans le menu latéral."
)
flash = st.session_state.pop(K_FLASH, None)
if flash:
    st.success(flash, icon=":material/check_circle:")
known = list(edition.all_editions())
current = edition.active_edition(staff=True)
edition_labels = {e.slug: f"{e.name} — {e.place_and_date}" for e in known}
tab_list, tab_new, tab_settings, tab_themes, tab_tables, tab_questionnaire = st.tabs(
    [
        "Toutes les éditions",
        "Nouvelle édition",
        "Réglages de l'édition",
        "Thèmes de l'édition",
        "Chiffres et dispositifs",
        "Questionnaire",
    ]
)
with tab_list:
    _list_tab(account, known, edition_labels)
with tab_new:
    _new_tab(account, known, edition_labels)
with tab_settings:
    _settings_tab(account, current)
with tab_themes:
    _themes_tab(account, current)
with tab_tables:
    _tables_tab(account, current)
with tab_questionnaire:
    _questionnaire_tab(account, current)
