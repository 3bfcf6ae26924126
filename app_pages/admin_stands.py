"""Stands du circuit (admins): create, edit, reorder, import and export the stands of the edition chosen in the
sidebar; download their QR codes and posters (each QR code names the edition)."""

import pandas as pd
import streamlit as st

from core.config import get_settings
from services import circuit as circuit_service
from services import exports
from services.circuit import StandImportReport, StandPage, StandValues
from services.errors import ValidationError
from services.permissions import Permission
from services.qrcodes import edition_base_url, local_address_problem, stand_poster_png, stand_url
from ui import auth, circuit, edition, store, uploads

account = auth.require(Permission.STANDS)
NEW = ""
K_EDIT = "admin_stands_edit"
K_MOVE = "admin_stands_move"
K_REPORT = "admin_stands_report"

this_edition = edition.active_edition(staff=True)
EDITION_ID = this_edition.id
st.title("Stands du circuit")
if this_edition.archived:
    st.info("Cette édition est archivée : ses stands se consultent mais ne se modifient plus.", icon=":material/lock:")
stands = store.read(circuit_service.list_circuit, include_closed=True, edition_id=EDITION_ID)
themes = store.themes(EDITION_ID)
theme_codes = {t.code: t.short_label for t in themes}
theme_code_by_id = {t.id: t.code for t in themes}
# The edition's own public address when it has one (its QR codes may be printed for another server).
base_url = edition_base_url(this_edition.public_base_url, get_settings().base_url)
# A local address (the default http://localhost:8501): the addresses are listed, nothing is printed (services.qrcodes).
address_problem = local_address_problem(this_edition.public_base_url, get_settings().base_url)


def _after_change() -> None:
    circuit.clear_caches()


def _move(offset: int) -> None:
    code = st.session_state.get(K_MOVE)
    target = next((s for s in stands if s.code == code), None)
    if target is not None:
        store.write_or_report(
            circuit_service.move_stand, stand_id=target.id, offset=offset, actor=account.username, edition_id=EDITION_ID
        )
        _after_change()


def _stand_form(current: StandPage | None, ptce_codes: dict[str, str]) -> StandValues:
    """The stand form's widgets, in the page's order, read straight into what the service checks."""
    theme_list = list(theme_codes)
    ptce_list = list(ptce_codes)
    return StandValues(
        code=st.text_input("Code *", value=current.code if current else "", max_chars=20),
        name=st.text_input("Nom *", value=current.name if current else "", max_chars=160),
        theme=st.selectbox(
            "Thème *",
            theme_list,
            index=theme_list.index(theme_code_by_id[current.theme_id]) if current else 0,
            format_func=theme_codes.__getitem__,
        ),
        experience=st.text_input("Expérience présentée", value=current.experience if current else "", max_chars=300),
        carrier=st.text_input("Portée par", value=current.carrier if current else "", max_chars=200),
        description=st.text_area("Description courte", value=current.description if current else ""),
        question=st.text_area("Question posée aux visiteurs", value=current.question if current else ""),
        position=_position_text(
            st.number_input(
                "Position sur le circuit", min_value=0, max_value=999, value=current.position if current else 0
            ),
            current,
        ),
        ptce=st.selectbox(
            f"Lien avec : {exports.md_escape(this_edition.projects_label)}",
            ptce_list,
            index=ptce_list.index(current.ptce_code) if current and current.ptce_code in ptce_list else 0,
            format_func=ptce_codes.__getitem__,
        ),
        active=st.checkbox("Stand ouvert", value=current.active if current else True),
    )


def _position_text(position: int, current: StandPage | None) -> str:
    """A new stand left at 0 goes to the end of the circuit (the service's empty position)."""
    return str(int(position)) if current or position else ""


def _csv_download(label: str, data: bytes, file_name: str, key: str) -> None:
    st.download_button(label, data, file_name=file_name, mime="text/csv", key=key)


tab_list, tab_edit, tab_import, tab_qr = st.tabs(
    ["Circuit", "Ajouter ou modifier", "Import CSV", "QR codes et affiches"]
)

with tab_list:
    st.dataframe(
        pd.DataFrame(
            {
                "N°": [s.position for s in stands],
                "Code": [s.code for s in stands],
                "Stand": [s.name for s in stands],
                "Thème": [s.theme_short_label for s in stands],
                this_edition.projects_label: [s.ptce_name or "" for s in stands],
                "Ouvert": [s.active for s in stands],
            }
        ),
        hide_index=True,
        width="stretch",
        key="admin_stands_table",
    )
    if stands:
        names = {s.code: f"{s.position} · {s.code}" for s in stands}
        st.selectbox("Stand à déplacer", list(names), format_func=names.__getitem__, key=K_MOVE)
        up, down = st.columns(2)
        up.button("Monter d'un rang", key="admin_stands_up", on_click=_move, args=(-1,), icon=":material/arrow_upward:")
        down.button(
            "Descendre d'un rang", key="admin_stands_down", on_click=_move, args=(1,), icon=":material/arrow_downward:"
        )

with tab_edit:
    choices = {NEW: "Nouveau stand", **{s.code: f"{s.code} · {s.position}" for s in stands}}
    chosen = st.selectbox("Stand", list(choices), format_func=choices.__getitem__, key=K_EDIT)
    current = next((s for s in stands if s.code == chosen), None)
    ptce_codes = {
        "": "Aucun",
        **{p["code"]: str(p["name"]) for p in store.read(circuit_service.list_ptce_codes, edition_id=EDITION_ID)},
    }
    with st.form(f"admin_stands_form_{chosen or 'new'}"):
        values = _stand_form(current, ptce_codes)
        saved = st.form_submit_button("Enregistrer", type="primary")
    if saved:
        result = store.write_or_report(
            circuit_service.save_stand,
            values=values,
            actor=account.username,
            stand_id=current.id if current else None,
            edition_id=EDITION_ID,
        )
        if result is not None:
            _after_change()
            st.success("Stand enregistré.")

with tab_import:
    st.caption(
        "Un fichier CSV (UTF-8, séparateur « , » ou « ; ») avec les colonnes code, name, theme et, si besoin, "
        "experience, carrier, description, question, position, ptce. Les stands dont le code existe déjà sont mis à "
        "jour ; les lignes refusées sont listées avec leur raison, les autres sont enregistrées. Les codes de thème "
        "et de projet sont ceux de cette édition."
    )
    if stands:
        _csv_download(
            "Exporter les stands de cette édition (CSV, mêmes colonnes)",
            store.read(circuit_service.export_stands_csv, edition_id=EDITION_ID),
            f"stands-{this_edition.slug}.csv",
            "admin_stands_export_csv",
        )
    upload = st.file_uploader("Fichier des stands", type=["csv"], key="admin_stands_upload")
    if upload is not None and uploads.refuse_if_too_big(upload, circuit_service.MAX_STAND_FILE_BYTES):
        upload = None
    if upload is not None and st.button("Importer", key="admin_stands_import", type="primary"):
        try:
            report = store.write(
                circuit_service.import_stands_csv,
                content=upload.getvalue(),
                actor=account.username,
                edition_id=EDITION_ID,
            )
        except ValidationError as exc:
            for message in exc.errors.values():
                st.error(message)
        else:
            _after_change()
            st.session_state[K_REPORT] = report
    last_report: StandImportReport | None = st.session_state.get(K_REPORT)
    if last_report is not None:
        st.success(
            f"{last_report.created} stand(s) créé(s), {last_report.updated} mis à jour, "
            f"{len(last_report.rejected)} ligne(s) refusée(s)."
        )
        if last_report.rejected:
            rejected = pd.DataFrame(
                {
                    "Ligne": [r.line for r in last_report.rejected],
                    "Code": [r.code for r in last_report.rejected],
                    "Raison": [r.reasons for r in last_report.rejected],
                }
            )
            st.dataframe(rejected, hide_index=True, width="stretch", key="admin_stands_rejected")
            _csv_download(
                "Télécharger le rapport des lignes refusées",
                exports.frame_csv_bytes(rejected),
                "stands-refuses.csv",
                "admin_stands_report_csv",
            )

with tab_qr:
    posters = store.read(circuit_service.poster_stands, edition_id=EDITION_ID)
    st.caption("Chaque QR code ouvre la page du stand ; l'adresse est aussi écrite en clair sur l'affiche.")
    if address_problem:
        st.error(address_problem, icon=":material/wifi_off:")
    elif posters:
        st.download_button(
            "Télécharger les affiches A4 (PDF, une page par stand)",
            data=circuit.posters_pdf(tuple(posters), base_url),
            file_name=f"affiches-stands-{this_edition.slug}.pdf",
            mime="application/pdf",
            type="primary",
            key="admin_stands_pdf",
        )
    for poster in posters:
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.text(f"{poster.position} · {poster.name}")
        left.caption(exports.md_escape(stand_url(base_url, poster.code, poster.edition)))
        if not address_problem:
            right.download_button(
                "PNG",
                data=stand_poster_png(poster, base_url),
                file_name=f"qr-stand-{this_edition.slug}-{poster.code}.png",
                mime="image/png",
                key=f"admin_stands_png_{poster.code}",
            )
