"""Import des réponses: an export from another survey tool → mapping → preview → import → report.

Everything read from the file (column names, values, sheet name) is drawn with st.text or in a
st.dataframe, never as Markdown: an export is written by whoever filled in the other tool. Answers go to
a questionnaire of the edition chosen in the sidebar; its Région's départements are the ones accepted.
"""

import hashlib
import logging
from typing import Any, Literal

import pandas as pd
import streamlit as st

from services import questionnaire_import as qi
from services import questionnaires as qs
from services.errors import ServiceError, ValidationError
from services.formatting import format_datetime, format_number
from services.permissions import Permission
from services.scope import ARCHIVED
from ui import edition, layout, store, uploads
from ui.auth import require
from ui.components.questionnaire_picker import pick_questionnaire

log = logging.getLogger(__name__)
account = require(Permission.QUESTIONNAIRE)

K_QUESTIONNAIRE = "imp_questionnaire"
K_UPLOAD = "imp_upload"
K_TABLE = "imp_table"  # (file fingerprint, UploadedTable)
K_SAVED = "imp_saved_mapping"
K_MAPPED_FOR = "imp_mapped_for"  # what the mapping widgets were last filled for
K_PREVIEW = "imp_preview"  # (mapping fingerprint, ImportReport)
K_PROPOSALS = "imp_proposals"  # (what they were made for, {header: Proposal}): reading every value once per file
K_SAVE_AS = "imp_save_as"
K_REPORT = "imp_report"
NO_SAVED = "Aucune : proposition d'après les noms et les valeurs des colonnes"
LEVEL_COLOURS: dict[str, Literal["green", "orange", "red"]] = {qi.HIGH: "green", qi.MEDIUM: "orange", qi.LOW: "red"}
PROBLEM_COLUMNS = {
    "Colonne": st.column_config.TextColumn("Colonne", width="medium"),
    "Motif": st.column_config.TextColumn("Motif", width="large"),
}


def _map_key(index: int) -> str:
    return f"imp_map_{index}"


def _text_problem(message: str) -> None:
    """A warning that quotes the file (a column name): drawn as plain text, not Markdown."""
    with st.container(border=True):
        st.text("⚠ " + message)


def _table(upload: object) -> qi.UploadedTable | None:
    if uploads.refuse_if_too_big(upload, qi.MAX_FILE_BYTES):
        return None
    data = upload.getvalue()  # type: ignore[attr-defined]
    digest = hashlib.sha256(data).hexdigest()
    cached = st.session_state.get(K_TABLE)
    if cached and cached[0] == digest:
        return cached[1]  # type: ignore[no-any-return]
    st.session_state.pop(K_PREVIEW, None)
    try:
        table = qi.read_table(filename=upload.name, data=data)  # type: ignore[attr-defined]
    except qi.ImportFileError as exc:
        st.error(exc.message, icon=":material/error:")  # our sentence; it never quotes the file
        return None
    st.session_state[K_TABLE] = (digest, table)
    return table


def _import(questionnaire: qs.QuestionnaireInfo, table: qi.UploadedTable, mapping: dict[str, str]) -> None:
    ss = st.session_state
    try:
        report = store.write(
            qi.import_answers,
            questionnaire=questionnaire,
            table=table,
            mapping=mapping,
            created_by=account.username,
            save_as=(ss.get(K_SAVE_AS) or "").strip() or None,
            edition_id=questionnaire.edition_id,
        )
    except ValidationError as exc:
        ss[K_REPORT] = {"error": " ".join(exc.errors.values()), "questionnaire_id": questionnaire.id}
        return
    except ServiceError as exc:
        ss[K_REPORT] = {"error": exc.message, "questionnaire_id": questionnaire.id}
        return
    except Exception:
        log.exception("questionnaire import failed")
        ss[K_REPORT] = {
            "error": "L'import a échoué (incident technique) : rien n'a été enregistré. Réessayez.",
            "questionnaire_id": questionnaire.id,
        }
        return
    ss[K_REPORT] = {"report": report, "mapping": mapping, "questionnaire_id": questionnaire.id}
    ss.pop(K_PREVIEW, None)
    ss.pop(K_TABLE, None)
    ss.pop(K_PROPOSALS, None)
    ss[K_UPLOAD + "_generation"] = ss.get(K_UPLOAD + "_generation", 0) + 1  # empties the uploader


def _problems_frame(report: qi.ImportReport) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"Ligne": p.line, "Type": p.kind, "Colonne": p.column, "Valeur": p.value, "Motif": p.reason}
            for p in report.problems
        ],
        columns=["Ligne", "Type", "Colonne", "Valeur", "Motif"],
    )


def _render_report(done: dict[str, Any], questionnaire: qs.QuestionnaireInfo) -> None:
    if "error" in done:
        st.error(done["error"], icon=":material/error:")
        return
    report: qi.ImportReport = done["report"]
    st.success(f"Import terminé. {report.summary()}", icon=":material/task_alt:")
    if not report.adds_up:  # never expected: the counts are the promise of this page
        st.error("Les comptes ne tombent pas juste : signalez-le à l'équipe technique.")
    layout.metric_row(
        [
            ("Lues", report.rows_read),
            ("Importées", report.rows_imported),
            ("Déjà présentes", report.rows_duplicate),
            ("Rejetées", report.rows_rejected),
        ]
    )
    name = f"rapport-import-{report.batch_id or 0}.csv"
    st.download_button(
        "Télécharger le rapport (CSV)",
        qi.report_csv(report),
        file_name=name,
        mime="text/csv",
        key="imp_report_download",
        icon=":material/download:",
    )
    st.download_button(
        "Télécharger la correspondance (pour manage.py import-answers)",
        qi.mapping_file(questionnaire, done["mapping"]),
        file_name="correspondance.json",
        mime="application/json",
        key="imp_mapping_download",
        icon=":material/data_object:",
    )
    if report.problems:
        st.dataframe(_problems_frame(report), hide_index=True, width="stretch", column_config=PROBLEM_COLUMNS)
    st.button("Importer un autre fichier", key="imp_again", on_click=_forget_report)


def _forget_report() -> None:
    st.session_state.pop(K_REPORT, None)


def _proposals(
    made_for: tuple[object, ...],
    questionnaire: qs.QuestionnaireInfo,
    table: qi.UploadedTable,
    saved: dict[str, str] | None,
) -> dict[str, qi.Proposal]:
    """The proposed mapping, computed once per file, questionnaire and saved mapping (it reads every value)."""
    cached = st.session_state.get(K_PROPOSALS)
    if cached and cached[0] == made_for:
        return cached[1]  # type: ignore[no-any-return]
    with st.spinner("Lecture des colonnes…"):
        proposals = qi.propose_mapping(questionnaire, table.headers, saved, rows=table.rows)
    st.session_state[K_PROPOSALS] = (made_for, proposals)
    return proposals


def _proposal_summary(proposals: dict[str, qi.Proposal]) -> str:
    """One line: how many columns were proposed at each level, how many need a choice."""
    given = [p for p in proposals.values() if p.target]
    counts = {level: sum(1 for p in given if p.confidence == level) for level in LEVEL_COLOURS}
    saved = sum(1 for p in given if not p.confidence)
    unsure = sum(1 for p in proposals.values() if p.reason == qi.NO_SAFE_PROPOSAL)
    parts = [f"{format_number(n)} en confiance {level}" for level, n in counts.items() if n]
    if saved:
        parts.insert(0, f"{format_number(saved)} d'après la correspondance enregistrée")
    if unsure:
        parts.append(f"{format_number(unsure)} sans proposition sûre")
    return "Proposition : " + (", ".join(parts) if parts else "aucune colonne reliée") + "."


def _show_proposal(proposal: qi.Proposal, chosen: str) -> None:
    """The proposal's confidence and reason (our words, question numbers and field names only) under its column,
    while the column still holds it; « aucune proposition sûre » while it is still ignored."""
    if proposal.target and chosen == proposal.target:
        if proposal.confidence:
            st.badge(f"Confiance {proposal.confidence}", color=LEVEL_COLOURS[proposal.confidence])
        st.caption(f"Proposé : {proposal.reason}")
    elif not proposal.target and not chosen:
        st.caption(proposal.reason[:1].upper() + proposal.reason[1:] + ".")


st.title("Import des réponses au questionnaire")
st.caption(
    "Exports d'autres outils (LimeSurvey, Framaforms, Google Forms, Microsoft Forms, tableur) : CSV ou XLSX, "
    f"{format_number(qi.MAX_FILE_BYTES // 1024 // 1024)} Mo au plus. Réimporter un export plus récent "
    "n'ajoute que les nouvelles réponses."
)

# staff=True: an edition still being prepared, chosen in the sidebar, is the one shown (not the default one).
current = edition.active_edition(staff=True)
edition_id = current.id
questionnaire_id = pick_questionnaire(edition_id, key=K_QUESTIONNAIRE)
questionnaire = store.read(qs.get_questionnaire, questionnaire_id=questionnaire_id, edition_id=edition_id)

done = st.session_state.get(K_REPORT)
if done and done.get("questionnaire_id") != questionnaire.id:
    done = None  # the report of an import into another questionnaire (another edition chosen since)
if done:
    _render_report(done, questionnaire)
    st.stop()

st.subheader("1. Le fichier")
upload = st.file_uploader(
    "Export des réponses (CSV ou XLSX)",
    # .xls and .ods are accepted here only to be answered in French (save as .xlsx), not in Streamlit's English.
    type=["csv", "txt", "tsv", "xlsx", "xls", "ods"],
    key=f"{K_UPLOAD}_{st.session_state.get(K_UPLOAD + '_generation', 0)}",
)
table = _table(upload) if upload is not None else None
if table is None:
    batches = store.read(qi.list_batches, questionnaire_id=questionnaire.id, edition_id=edition_id)
    if batches:
        st.subheader("Derniers imports")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Date": format_datetime(b.created_at),
                        "Fichier": b.filename,
                        "Par": b.created_by,
                        "Lues": b.rows_read,
                        "Importées": b.rows_imported,
                        "Déjà présentes": b.rows_duplicate,
                        "Rejetées": b.rows_rejected,
                    }
                    for b in batches
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    st.stop()

st.text(table.describe())

st.subheader("2. La correspondance des colonnes")
saved = store.read(qi.list_mappings, questionnaire_id=questionnaire.id, edition_id=edition_id)
saved_by_name = {m.name: m.columns for m in saved}
saved_name = st.selectbox("Partir d'une correspondance enregistrée", [NO_SAVED, *saved_by_name], key=K_SAVED)
targets = qi.mapping_targets(questionnaire)
target_labels = [t.label for t in targets]
key_of_label = {t.label: t.key for t in targets}
label_of_key = {t.key: t.label for t in targets}

mapped_for = (st.session_state[K_TABLE][0], questionnaire.id, saved_name)
proposals = _proposals(mapped_for, questionnaire, table, saved_by_name.get(saved_name or ""))
if st.session_state.get(K_MAPPED_FOR) != mapped_for:
    for index, header in enumerate(table.headers):
        st.session_state[_map_key(index)] = label_of_key[proposals[header].target]
    st.session_state[K_MAPPED_FOR] = mapped_for
    st.session_state.pop(K_PREVIEW, None)

st.caption(
    "Chaque colonne va vers une question, vers un renseignement sur le répondant, ou est ignorée. "
    "La proposition vient des noms de colonnes et de leurs valeurs, avec sa confiance : vérifiez-la, "
    "surtout les confiances moyenne et faible."
)
st.text(_proposal_summary(proposals))
mapping: dict[str, str] = {}
for index, header in enumerate(table.headers):
    with st.container(border=True, key=f"imp_column_{index}"):
        left, right = st.columns([2, 3])
        with left:
            st.text(header)
            samples = table.samples(index)
            st.text(
                "Ex. : " + " | ".join(s if len(s) <= 40 else s[:39] + "…" for s in samples) if samples else "(vide)"
            )
        with right:
            chosen_label = st.selectbox(
                f"Correspondance de la colonne {index + 1}",
                target_labels,
                key=_map_key(index),
                label_visibility="collapsed",
            )
            mapping[header] = key_of_label.get(chosen_label or "", qi.IGNORE)
            _show_proposal(proposals[header], mapping[header])

problems = qi.check_mapping(questionnaire, mapping)
for message in problems:
    _text_problem(message)
if problems:
    st.stop()
for note in qi.mapping_notes(questionnaire, mapping):
    st.info(note, icon=":material/info:")  # our sentences, with question codes only

st.subheader("3. L'aperçu")
mapping_digest = hashlib.sha256(repr(sorted(mapping.items())).encode()).hexdigest()
cached = st.session_state.get(K_PREVIEW)
if not cached or cached[0] != (mapped_for, mapping_digest):
    with st.spinner("Vérification de toutes les lignes…"):
        preview = store.read(
            qi.analyse_import, questionnaire=questionnaire, table=table, mapping=mapping, edition_id=edition_id
        )
    st.session_state[K_PREVIEW] = ((mapped_for, mapping_digest), preview)
else:
    preview = cached[1]
st.info(preview.summary(), icon=":material/preview:")  # counts only
st.caption(f"Les {format_number(len(preview.preview))} premières lignes, telles qu'elles seront enregistrées :")
preview_frame = pd.DataFrame(
    [{"Ligne": r.line, "État": r.status, "Motif": r.reason, **r.values} for r in preview.preview]
)
st.dataframe(
    preview_frame.fillna(""),
    hide_index=True,
    width="stretch",
    column_config={"Motif": st.column_config.TextColumn("Motif", width="large")},
)
if preview.problems:
    with st.expander(f"Lignes rejetées, remarques et doublons ({format_number(len(preview.problems))})"):
        st.dataframe(_problems_frame(preview), hide_index=True, width="stretch", column_config=PROBLEM_COLUMNS)

st.subheader("4. L'import")
if current.archived:
    st.info(ARCHIVED, icon=":material/inventory_2:")
st.text_input(
    "Enregistrer cette correspondance sous le nom (facultatif)",
    key=K_SAVE_AS,
    max_chars=120,
    placeholder="Par exemple : Framaforms, export de juin",
    help="Au prochain export du même formulaire, choisissez-la à l'étape 2.",
)
st.button(
    f"Importer {format_number(preview.rows_imported)} réponse{'s' if preview.rows_imported > 1 else ''}",
    type="primary",
    key="imp_run",
    on_click=_import,
    args=(questionnaire, table, mapping),
    disabled=preview.rows_imported == 0 or current.archived,
    icon=":material/upload:",
)
