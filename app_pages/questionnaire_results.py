"""Résultats du questionnaire: counts and charts per closed question, open answers with their contributions.

Counting is done by the database (services.questionnaires.question_results: GROUP BY), so the page
stays quick with thousands of imported responses. Open answers are drawn in a st.dataframe (plain text).
Only the questionnaires of the edition chosen in the sidebar, and only their responses.
"""

import html

import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]  # plotly ships no type stubs
import streamlit as st

from services import questionnaires as qs
from services import reference
from services.exports import md_escape
from services.formatting import format_datetime, format_number, format_percent
from services.labels import ACTOR_TYPE_LABELS, MODERATION_LABELS, label
from services.permissions import Permission
from ui import edition, layout, store
from ui.auth import require
from ui.components.questionnaire_picker import pick_questionnaire

require(Permission.QUESTIONNAIRE)

K_QUESTIONNAIRE = "res_questionnaire"
K_ACTOR = "res_actor"
K_DEPT = "res_departement"
EVERYONE = "Tous"
SEPARATORS = ",\u202f"  # decimal comma, narrow no-break space: 152 500 (as services.formatting)
BAR_COLOR = "#0072B2"
OPEN_LIMIT = 200
# The two CSV exports, side by side: label, service, start of the file's name, widget key.
EXPORTS = (
    ("Exporter les résultats (CSV)", qs.export_results_csv, "resultats", "res_export_results"),
    ("Exporter les réponses (CSV)", qs.export_responses_csv, "reponses", "res_export_responses"),
)
EXPORT_HELP = {"res_export_responses": "Une ligne par réponse envoyée ; sans nom ni adresse électronique."}


def _bar_chart(result: qs.QuestionResult) -> go.Figure:
    # Choices are typed by staff; Plotly reads a few HTML tags in labels, so they are escaped.
    labels = [html.escape(c.label) for c in result.counts]
    counts = [c.count for c in result.counts]
    share = [c.count / result.answered if result.answered else 0 for c in result.counts]
    figure = go.Figure(
        go.Bar(
            x=counts,
            y=labels,
            orientation="h",
            marker_color=BAR_COLOR,
            text=[f"{format_number(n)} · {format_percent(100 * s)}" for n, s in zip(counts, share, strict=True)],
            textposition="auto",
            hovertemplate="%{y} : %{x}<extra></extra>",
        )
    )
    figure.update_layout(
        separators=SEPARATORS,
        height=60 + 34 * len(labels),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"title": None, "tickformat": "d"},
        plot_bgcolor="white",
    )
    return figure


st.title("Résultats du questionnaire")

# staff=True: an edition still being prepared, chosen in the sidebar, is the one shown (not the default one).
current = edition.active_edition(staff=True)
edition_id = current.id
questionnaire_id = pick_questionnaire(edition_id, key=K_QUESTIONNAIRE)

departements = dict(store.read(reference.list_departements, edition_id=edition_id))
actor_options = [EVERYONE, *ACTOR_TYPE_LABELS.values()]
actor_by_label = {v: k for k, v in ACTOR_TYPE_LABELS.items()}
dept_options = [EVERYONE, *(f"{c} · {n}" if c != "HORS" else n for c, n in departements.items())]
dept_by_label = {(f"{c} · {n}" if c != "HORS" else n): c for c, n in departements.items()}
left, right = st.columns(2)
actor_label = left.selectbox("Type d'acteur", actor_options, key=K_ACTOR)
dept_label = right.selectbox("Département", dept_options, key=f"{K_DEPT}_{edition_id}")
filters = qs.ResultsFilter(actor_by_label.get(actor_label or ""), dept_by_label.get(dept_label or ""))

overview = store.read(qs.results_overview, questionnaire_id=questionnaire_id, filters=filters, edition_id=edition_id)
layout.metric_row(
    [
        ("Réponses", overview.responses),
        ("En ligne", overview.online),
        ("Importées", overview.imported),
        ("Contributions", overview.contributions),
    ]
)
if overview.drafts:
    st.caption(f"{format_number(overview.drafts)} brouillon(s) en cours, non comptés.")

results = store.read(qs.question_results, questionnaire_id=questionnaire_id, filters=filters, edition_id=edition_id)
for column, (caption, export, name, key) in zip(st.columns(2), EXPORTS, strict=True):
    column.download_button(
        caption,
        store.read(export, questionnaire_id=questionnaire_id, filters=filters, edition_id=edition_id),
        file_name=f"{name}-questionnaire-{current.slug}.csv",
        mime="text/csv",
        key=key,
        icon=":material/download:",
        help=EXPORT_HELP.get(key),
    )

if overview.responses == 0:
    st.info("Aucune réponse envoyée pour ces critères.")
    st.stop()

section = None
for number, result in enumerate(results, start=1):
    q = result.question
    if result.section_title != section:
        section = result.section_title
        st.subheader(md_escape(section))
    with st.container(border=True, key=f"res_question_{q.id}"):
        st.markdown(f"**{number}. {md_escape(q.text)}**")  # the edition's pack's text, drawn as typed
        answered = format_number(result.answered)
        share = format_percent(100 * result.answered / overview.responses) if overview.responses else "—"
        detail = f"{answered} répondant{'s' if result.answered > 1 else ''} ({share})"
        if result.mean is not None:
            detail += f" · moyenne {format_number(result.mean, 1)} sur 5"
        if q.qtype == "multiple":
            detail += " · plusieurs réponses possibles"
        st.caption(detail)
        if q.qtype == "open":
            total, answers = store.read(
                qs.list_open_answers, question_id=q.id, filters=filters, limit=OPEN_LIMIT, edition_id=edition_id
            )
            if not answers:
                continue
            if total > len(answers):
                st.caption(f"Les {format_number(len(answers))} plus récentes sur {format_number(total)}.")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Réponse": a.text,
                            "Contribution": a.receipt_code or "—",
                            "Modération": label(MODERATION_LABELS, a.contribution_status, "—"),
                            "Structure": a.organisation,
                            "Type d'acteur": label(ACTOR_TYPE_LABELS, a.actor_type, ""),
                            "Département": a.departement or "",
                            "Envoyée le": format_datetime(a.submitted_at) if a.submitted_at else "",
                        }
                        for a in answers
                    ]
                ),
                hide_index=True,
                width="stretch",
                key=f"res_open_{q.id}",
            )
        elif result.answered:
            st.plotly_chart(_bar_chart(result), key=f"res_chart_{q.id}", config={"displayModeBar": False}, theme=None)
