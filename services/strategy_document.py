"""The draft strategy as a document: Word (python-docx) and Markdown, built from one anonymised plan.

Title page, context, method note and key figures, then per theme each orientation with its status, how many
contributions stand behind it and where they come from, how the participants weighed in on it (the adequacy
check: counts and shares only), a few anonymised quotes; an annex of sources.
One edition's: its Région, city, dates, organisers and context paragraph come from the edition's settings,
its themes, orientations and figures from its reference data, its counts from its themes' contributions.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Contribution, ModerationStatus, Orientation, Theme, utcnow
from services import drafting
from services.editions import EditionInfo, get_edition
from services.exports import md_escape, xml_safe
from services.formatting import format_datetime, format_figure, format_number
from services.labels import ORIENTATION_STATUS_LABELS, SOURCE_LABELS, STANCE_LABELS, label
from services.moderation import mask_personal_data
from services.reference import list_key_figures
from services.scope import resolve_edition_id

QUOTES_PER_ORIENTATION = 3
QUOTE_MAX_CHARS = 280
# What every edition's document is; the Région, the conference and its context are the edition's.
TITLE = "Stratégie régionale de l'économie sociale et solidaire"
# The method note on the adequacy check; the cookie caveat is said once, here, not under each orientation.
METHOD_NOTE = (
    "Pendant la conférence, chaque participant a pu donner son avis sur chacune des orientations proposées "
    "(« D'accord », « D'accord avec réserves », « Pas d'accord » ou « Je ne sais pas / passer »), sur son "
    "téléphone ou sur un bulletin papier saisi ensuite par l'équipe. Les pourcentages portent sur les avis "
    "exprimés, hors « sans avis » ; une orientation qui a recueilli peu d'avis est signalée comme telle. "
)
# When staff left the edition's context paragraph empty: what the law asks of every Région, nothing more.
DEFAULT_CONTEXT = (
    "La loi du 31 juillet 2014 relative à l'économie sociale et solidaire prévoit que l'État et la Région "
    "réunissent une conférence régionale de l'ESS, dont les propositions nourrissent la stratégie régionale. "
    "Les contributions recueillies ont servi à retenir, amender, compléter ou abandonner les orientations "
    "proposées, thème par thème."
)


def document_title(edition: EditionInfo) -> str:
    """« Stratégie régionale de l'économie sociale et solidaire — <Région> »."""
    return f"{TITLE} — {edition.region_name}" if edition.region_name else TITLE


def document_subtitle(edition: EditionInfo) -> str:
    """The conference the draft comes from: its name, then city and dates when known."""
    where = ", ".join(part for part in (edition.city, edition.dates_label) if part)
    return f"Projet issu de : {edition.name}" + (f" ({where})" if where else "")


def document_organisers(edition: EditionInfo) -> str:
    return f"Organisée par : {', '.join(edition.organisers)}" if edition.organisers else ""


@dataclass
class OrientationPlan:
    code: str
    title: str
    body: str
    status: str
    sources: int = 0
    by_source: Counter[str] = field(default_factory=Counter)
    by_stance: Counter[str] = field(default_factory=Counter)
    quotes: list[str] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    stances: drafting.StanceFigures | None = None  # None: not put to the participants' vote


@dataclass
class ThemePlan:
    number: int
    label: str
    orientations: list[OrientationPlan]


@dataclass
class StrategyPlan:
    generated_at: datetime
    figures: list[str]
    themes: list[ThemePlan]
    contributions_by_source: Counter[str]
    total_contributions: int
    title: str = TITLE
    subtitle: str = ""
    organisers: str = ""
    context: str = DEFAULT_CONTEXT
    method: str = ""  # the note on how the stances were gathered (empty when nothing was put to the vote)


def _quote(text: str) -> str:
    text = " ".join(mask_personal_data(text).split())
    return text if len(text) <= QUOTE_MAX_CHARS else text[: QUOTE_MAX_CHARS - 1].rstrip() + "…"


def _orientation_plan(
    o: Orientation, rows: list[drafting.SourceRow], stances: drafting.StanceFigures | None
) -> OrientationPlan:
    """One orientation's part of the document: its sources counted, a few published quotes, its stances."""
    summary = drafting.summarise(rows)
    published = [r for r in rows if r.status == ModerationStatus.PUBLISHED.value]
    quotes = list(dict.fromkeys(_quote(r.text) for r in published))[:QUOTES_PER_ORIENTATION]
    return OrientationPlan(
        code=o.code,
        title=o.title,
        body=o.body,
        status=o.status,
        sources=summary.total,
        by_source=summary.by_source,
        by_stance=summary.by_stance,
        quotes=quotes,
        receipts=[r.receipt_code for r in rows],
        stances=stances,
    )


def _contributions_by_source(session: Session, theme_ids: list[int | None]) -> Counter[str]:
    """The themes' contributions that count (rejected ones left out), by origin."""
    counts = session.exec(
        select(Contribution.source, func.count())
        .where(
            col(Contribution.status) != ModerationStatus.REJECTED.value,
            col(Contribution.theme_id).in_(theme_ids),
        )
        .group_by(col(Contribution.source))
    ).all()
    return Counter({s: int(n) for s, n in counts})


def build_plan(session: Session, *, edition_id: int | None = None) -> StrategyPlan:
    """Everything the edition's document says, anonymised: counts, origins, stances and quotes per orientation."""
    edition_id = resolve_edition_id(session=session, edition_id=edition_id)
    edition = get_edition(session=session, edition_id=edition_id)
    themes = session.exec(
        select(Theme).where(Theme.edition_id == edition_id).order_by(col(Theme.position), col(Theme.id))
    ).all()
    orientations = session.exec(
        select(Orientation)
        .where(Orientation.edition_id == edition_id)
        .order_by(col(Orientation.position), col(Orientation.id))
    ).all()
    sources = drafting.orientation_sources_many(
        session=session, orientation_ids=[o.id or 0 for o in orientations], edition_id=edition_id
    )
    by_source = _contributions_by_source(session, [t.id for t in themes])
    stances = drafting.stance_figures(session=session, edition_id=edition_id)
    plans = [
        ThemePlan(
            number,
            theme.label,
            [
                _orientation_plan(o, sources.get(o.id or 0, []), stances.get(o.id or 0))
                for o in orientations
                if o.theme_id == theme.id
            ],
        )
        for number, theme in enumerate(themes, start=1)
    ]
    figures = [
        f"{f.label} : {format_figure(f.value, f.unit)}"
        for f in list_key_figures(session=session, edition_id=edition_id)
    ]
    return StrategyPlan(
        utcnow(),
        figures,
        plans,
        by_source,
        sum(by_source.values()),
        title=document_title(edition),
        subtitle=document_subtitle(edition),
        organisers=document_organisers(edition),
        context=edition.document_context.strip() or DEFAULT_CONTEXT,
        method=METHOD_NOTE + drafting.COOKIE_CAVEAT if stances else "",
    )


def _origins(counter: Counter[str]) -> str:
    if not counter:
        return "aucune"
    return ", ".join(f"{label(SOURCE_LABELS, s)} {format_number(n)}" for s, n in counter.most_common())


def _stances(counter: Counter[str]) -> str:
    return ", ".join(f"{label(STANCE_LABELS, s)} : {format_number(n)}" for s, n in counter.most_common())


def _status(status: str) -> str:
    return label(ORIENTATION_STATUS_LABELS, status)


def _docx_title_page(doc: DocxDocument, plan: StrategyPlan) -> None:
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(xml_safe(plan.title))
    run.bold = True
    run.font.size = Pt(26)
    subtitle = doc.add_paragraph(xml_safe(plan.subtitle))
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if plan.organisers:
        doc.add_paragraph(xml_safe(plan.organisers)).alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = doc.add_paragraph(
        f"Document de travail — version du {format_datetime(plan.generated_at)} — contributions anonymisées"
    )
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_page_break()  # type: ignore[no-untyped-call]


def _docx_context(doc: DocxDocument, plan: StrategyPlan) -> None:
    doc.add_heading("Contexte", level=1)
    doc.add_paragraph(xml_safe(plan.context))
    total = format_number(plan.total_contributions)
    doc.add_paragraph(f"{total} contributions retenues pour l'analyse : {_origins(plan.contributions_by_source)}.")
    if plan.method:
        doc.add_heading("Note de méthode : l'avis des participants", level=2)
        doc.add_paragraph(plan.method)
    if plan.figures:
        doc.add_heading("Chiffres clés", level=2)
        for figure in plan.figures:
            doc.add_paragraph(xml_safe(figure), style="List Bullet")


def _docx_labelled(doc: DocxDocument, name: str, value: str) -> None:
    """A paragraph « <name> : <value> », the name in bold (our own words)."""
    paragraph = doc.add_paragraph()
    paragraph.add_run(f"{name} : ").bold = True
    paragraph.add_run(value)


def _docx_orientation(doc: DocxDocument, o: OrientationPlan, *, with_stances: bool) -> None:
    doc.add_heading(xml_safe(f"{o.code} · {o.title}"), level=2)
    _docx_labelled(doc, "Statut", _status(o.status))
    if o.body:
        doc.add_paragraph(xml_safe(o.body))
    _docx_labelled(doc, "Contributions", f"{format_number(o.sources)} ({_origins(o.by_source)})")
    if with_stances:
        _docx_labelled(doc, "Avis des participants", drafting.stance_sentence(o.stances))
    if o.by_stance:
        _docx_labelled(doc, "Positions exprimées", _stances(o.by_stance))
    for quote in o.quotes:
        doc.add_paragraph(xml_safe(f"« {quote} »"), style="Quote")


def _docx_annex(doc: DocxDocument, plan: StrategyPlan) -> None:
    doc.add_page_break()  # type: ignore[no-untyped-call]
    doc.add_heading("Annexe — sources", level=1)
    doc.add_paragraph(
        "Contributions par origine (hors contributions rejetées), puis les reçus des contributions liées à "
        "chaque orientation : ils permettent de retrouver chaque source dans l'export des données."
    )
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.rows[0].cells[0].text = "Origine"
    table.rows[0].cells[1].text = "Contributions"
    for source, n in plan.contributions_by_source.most_common():
        cells = table.add_row().cells
        cells[0].text = label(SOURCE_LABELS, source)
        cells[1].text = format_number(n)
    for theme in plan.themes:
        for o in theme.orientations:
            if o.receipts:
                doc.add_paragraph(xml_safe(f"{o.code} : {', '.join(o.receipts)}"))


def docx_bytes(plan: StrategyPlan) -> bytes:
    """The Word document of the draft strategy; every text goes through xml_safe first."""
    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    _docx_title_page(doc, plan)
    _docx_context(doc, plan)
    for theme in plan.themes:
        doc.add_heading(xml_safe(f"Thème {theme.number} — {theme.label}"), level=1)
        if not theme.orientations:
            doc.add_paragraph("Aucune orientation pour ce thème.")
        for o in theme.orientations:
            _docx_orientation(doc, o, with_stances=bool(plan.method))
    _docx_annex(doc, plan)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def markdown_text(plan: StrategyPlan) -> str:
    """The same document as Markdown (text typed by people is escaped, never interpreted)."""
    # The edition's texts are typed by staff: escaped like everything people typed.
    out = [f"# {md_escape(plan.title)}", "", f"*{md_escape(plan.subtitle)}*", ""]
    if plan.organisers:
        out += [md_escape(plan.organisers), ""]
    out += [
        f"Document de travail — version du {format_datetime(plan.generated_at)} — contributions anonymisées.",
        "",
        "## Contexte",
        "",
        md_escape(plan.context),
        "",
        f"{format_number(plan.total_contributions)} contributions retenues pour l'analyse : "
        f"{_origins(plan.contributions_by_source)}.",
        "",
    ]
    if plan.method:
        out += ["### Note de méthode : l'avis des participants", "", plan.method, ""]  # our own words
    if plan.figures:
        out += ["### Chiffres clés", "", *[f"- {md_escape(f)}" for f in plan.figures], ""]
    for theme in plan.themes:
        out += [f"## Thème {theme.number} — {md_escape(theme.label)}", ""]
        for o in theme.orientations:
            out += [f"### {md_escape(o.code)} · {md_escape(o.title)}", "", f"**Statut :** {_status(o.status)}", ""]
            if o.body:
                out += [md_escape(o.body), ""]
            out += [f"**Contributions :** {format_number(o.sources)} ({_origins(o.by_source)})", ""]
            if plan.method:
                out += [f"**Avis des participants :** {drafting.stance_sentence(o.stances)}", ""]
            if o.by_stance:
                out += [f"**Positions exprimées :** {_stances(o.by_stance)}", ""]
            out += [f"> « {md_escape(q)} »\n" for q in o.quotes]
    out += ["## Annexe — sources", "", "| Origine | Contributions |", "|---|---|"]
    out += [
        f"| {label(SOURCE_LABELS, s)} | {format_number(n)} |" for s, n in plan.contributions_by_source.most_common()
    ]
    out.append("")
    for theme in plan.themes:
        for o in theme.orientations:
            if o.receipts:
                out.append(f"- {md_escape(o.code)} : {md_escape(', '.join(o.receipts))}")
    return "\n".join(out) + "\n"


def strategy_docx(session: Session, *, edition_id: int | None = None) -> bytes:
    """The edition's draft strategy as a Word file."""
    return docx_bytes(build_plan(session=session, edition_id=edition_id))


def strategy_markdown(session: Session, *, edition_id: int | None = None) -> str:
    """The edition's draft strategy as Markdown."""
    return markdown_text(build_plan(session=session, edition_id=edition_id))
