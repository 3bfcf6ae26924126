"""Every export opened back: Excel with openpyxl, Word with python-docx, CSV and Markdown as text.

Anonymised by default, formula-safe (=HYPERLINK stays text) and XML-safe (a stray \\x0b never breaks a file).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import docx
import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select, update

from db.engine import session_scope
from models import Contribution, Edition, Orientation, Theme
from services import contributions, data_export, drafting, moderation, strategy_document
from services.contributions import ContributionDraft
from services.exports import export_file_name, md_escape, xml_safe
from services.permissions import CONSOLE_ACTOR
from tests.editions import FIRST_EDITION_ID, load_second_edition

FORMULA = '=HYPERLINK("http://x","clic")'
CONTROL = "Un texte avec un caractère de contrôle\x0b glissé dans un copier-coller depuis un tableur."
NAMED = "Nous voulons un guichet unique des aides, écrivez-moi à anne.martin@exemple.fr pour en parler."


def add(engine: Engine, body: str, **kw: Any) -> int:
    """A contribution to the edition its theme belongs to."""
    values: dict[str, Any] = {"theme_id": 1, "body": body, "idempotency_key": uuid.uuid4().hex} | kw
    with session_scope(engine, write=True) as session:
        edition_id = session.get(Theme, values["theme_id"]).edition_id  # type: ignore[union-attr]
        draft = ContributionDraft(**values)
        return contributions.submit_contribution(session=session, draft=draft, edition_id=edition_id).contribution_id


def force_body(engine: Engine, cid: int, body: str) -> None:
    """The service refuses control characters; older imports or a direct DB edit may still hold one."""
    with session_scope(engine, write=True) as session:
        session.exec(update(Contribution).where(col(Contribution.id) == cid).values(body=body))


def run(engine: Engine, fn: Any, **kw: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kw)


@pytest.fixture
def seeded(store_engine: Engine) -> dict[str, int]:
    o = run(store_engine, drafting.list_draft_orientations, theme_id=1)[0]
    ids = {
        "formula": add(store_engine, "Une contribution qui commence par une formule de tableur, à neutraliser."),
        "control": add(store_engine, "Une contribution dont le texte recevra un caractère de contrôle."),
        "named": add(
            store_engine,
            NAMED,
            author_name="Anne Martin",
            organisation="Coopérative Idéal",
            display_mode="name",
            orientation_id=o.id,
            stance="support",
        ),
        "anonymous": add(
            store_engine,
            "Je préfère rester anonyme, mais mon organisation est connue du staff.",
            author_name="Paul Secret",
            organisation="Asso Secrète",
            display_mode="anonymous",
            theme_id=3,
            source="questionnaire",
        ),
        "org": add(
            store_engine,
            "Au nom de notre réseau : mutualiser les fonctions support entre structures.",
            author_name="Claire Dupuis",
            organisation="Réseau Solidaire",
            display_mode="organisation",
            source="workshop",
            theme_id=4,
        ),
        "rejected": add(store_engine, "Une contribution rejetée n'apparaît pas dans l'export par défaut."),
    }
    force_body(store_engine, ids["formula"], FORMULA)
    force_body(store_engine, ids["control"], CONTROL)
    run(
        store_engine,
        moderation.reject,
        contribution_ids=[ids["rejected"]],
        actor="anne",
        category="off_topic",
        reason="Hors sujet",
    )
    run(store_engine, moderation.publish, contribution_ids=[ids["named"]], actor="anne")
    ids["orientation"] = o.id
    return ids


def test_excel_has_summary_theme_and_source_sheets_with_filters_and_frozen_headers(
    store_engine: Engine, seeded: dict[str, int]
) -> None:
    data = run(store_engine, data_export.excel_export, actor=CONSOLE_ACTOR)
    book = openpyxl.load_workbook(io.BytesIO(data))
    names = book.sheetnames
    assert names[0] == "Synthèse"
    # The summary, the three themes with contributions, the three origins, the stances on the orientations.
    assert len(names) == 8 and sum(n.startswith("Origine - ") for n in names) == 3
    assert any(n.startswith("Origine - Questionnaire") for n in names)
    assert names[-1] == data_export.STANCE_SHEET
    contribution_sheets = book.worksheets[1:-1]
    values = [c for ws in contribution_sheets for row in ws.iter_rows(values_only=True) for c in row if c]
    for ws in contribution_sheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
        assert ws.cell(1, 1).value == "Reçu"
    text = "\n".join(str(v) for v in values)
    # Formula neutralised: stored as text with a leading apostrophe, never as a formula.
    assert "'" + FORMULA in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    # The control character is gone, the rest of the text is there.
    assert xml_safe(CONTROL) in values
    # Anonymised: the anonymous author's name and organisation never appear; the named author's do.
    assert "Paul Secret" not in text and "Asso Secrète" not in text
    assert "Anne Martin" in text and "Réseau Solidaire" in text and "Claire Dupuis" not in text
    assert "anne.martin@exemple.fr" not in text and "[courriel masqué]" in text
    assert "rejetée" not in text
    summary = {row[0]: row[1] for row in book["Synthèse"].iter_rows(values_only=True)}
    assert summary["Contributions"] == 5 and summary["Anonymisé"] == "oui"


def test_full_internal_excel_is_an_explicit_choice(store_engine: Engine, seeded: dict[str, int]) -> None:
    data = run(store_engine, data_export.excel_export, actor=CONSOLE_ACTOR, anonymised=False, include_rejected=True)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    text = "\n".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)
    assert "Paul Secret" in text and "anne.martin@exemple.fr" in text and "Hors sujet" in text
    assert "non : export interne complet" in text
    # The rejection's category (what its author was told) beside staff's note, in the internal export only.
    table = run(
        store_engine, data_export.contribution_table, actor=CONSOLE_ACTOR, anonymised=False, include_rejected=True
    )
    row = next(r for r in table.rows if "Hors sujet" in r)
    cells = dict(zip(table.header, row, strict=True))
    assert (cells["Catégorie du rejet"], cells["Motif du rejet"]) == ("Hors sujet pour la conférence", "Hors sujet")
    anonymised = run(store_engine, data_export.contribution_table, actor=CONSOLE_ACTOR, include_rejected=True)
    assert "Catégorie du rejet" not in anonymised.header and "Motif du rejet" not in anonymised.header


@pytest.mark.parametrize("semicolon", [True, False])
def test_csv_has_a_bom_the_chosen_separator_and_neutralised_cells(
    store_engine: Engine, seeded: dict[str, int], semicolon: bool
) -> None:
    data = run(store_engine, data_export.csv_export, actor=CONSOLE_ACTOR, semicolon=semicolon)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if semicolon else ","))
    assert rows[0][:3] == ["Reçu", "Date", "Thème"]
    bodies = [r[rows[0].index("Texte")] for r in rows[1:]]
    assert "'" + FORMULA in bodies and xml_safe(CONTROL) in bodies
    assert "Paul Secret" not in text and len(rows) == 6


def test_word_document_opens_with_every_section(store_engine: Engine, seeded: dict[str, int]) -> None:
    run(
        store_engine,
        drafting.link_sources,
        orientation_id=seeded["orientation"],
        contribution_ids=[seeded["formula"], seeded["control"]],
        actor="anne",
    )
    run(store_engine, moderation.publish, contribution_ids=[seeded["formula"], seeded["control"]], actor="anne")
    data = run(store_engine, strategy_document.strategy_docx)
    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    text = "\n".join(paragraphs)
    # Title page from the edition's settings: its Région, its conference, city and date, its organisers.
    assert paragraphs[0] == f"{strategy_document.TITLE} — Pays de la Loire"
    assert paragraphs[1] == "Projet issu de : Conférence régionale de l'ESS (Angers, 28/06/2016)"
    assert paragraphs[2] == "Organisée par : État, Région Pays de la Loire, CRESS Pays de la Loire"
    assert "Celle du 28 juin 2016 à Angers" in text  # the edition's context paragraph
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert headings[0] == "Contexte" and "Chiffres clés" in headings and headings[-1] == "Annexe — sources"
    assert sum(h.startswith("Thème ") for h in headings) == 5
    assert "152\u202f500" in text  # key figures, French number format
    assert "Statut : Proposée" in text
    assert "Contributions : 3 (Conférence 3)" in text
    assert "Positions exprimées : Je soutiens : 1" in text
    # Quotes are anonymised (email masked) and the odd characters are handled.
    assert "anne.martin@exemple.fr" not in text and "[courriel masqué]" in text
    assert f"« {FORMULA} »" in text and xml_safe(CONTROL) in text.replace("\n", " ")
    assert "Anne Martin" not in text
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["Origine", "Contributions"]


def test_markdown_escapes_what_people_typed(store_engine: Engine, seeded: dict[str, int]) -> None:
    run(store_engine, moderation.publish, contribution_ids=[seeded["formula"]], actor="anne")
    run(
        store_engine,
        drafting.link_sources,
        orientation_id=seeded["orientation"],
        contribution_ids=[seeded["formula"]],
        actor="anne",
    )
    md = run(store_engine, strategy_document.strategy_markdown)
    assert md.startswith(f"# {strategy_document.TITLE} — Pays de la Loire\n")
    assert "*Projet issu de : Conférence régionale de l'ESS \\(Angers, 28/06/2016\\)*" in md
    assert "## Annexe — sources" in md and "| Conférence |" in md
    assert '=HYPERLINK\\("http://x","clic"\\)' in md
    assert md_escape("[clic](javascript:alert(1)) **x**") == "\\[clic\\]\\(javascript:alert\\(1\\)\\) \\*\\*x\\*\\*"


# ---------------------------------------------------------------------------------------------
# Two editions in one store: each export is one edition's


@dataclass
class EditionFiles:
    edition_id: int
    mark: str  # a word only this edition's texts use
    themes: set[str]  # full labels
    short_labels: set[str]


@pytest.fixture
def two_editions(store_engine: Engine) -> tuple[EditionFiles, EditionFiles]:
    """Contributions in 2016 and in the Centre-Val de Loire edition, on themes and orientations with the same codes
    (« emploi », T1-O1), published and backing an orientation so that the documents quote them."""
    with session_scope(store_engine, write=True) as session:
        second_id = load_second_edition(session)
    found = []
    for edition_id, mark in ((FIRST_EDITION_ID, "ligerienne"), (second_id, "berruyere")):
        with session_scope(store_engine, write=True) as session:
            themes = session.exec(select(Theme).where(Theme.edition_id == edition_id)).all()
            emploi = next(t for t in themes if t.code == "emploi")
            t1o1 = session.exec(
                select(Orientation).where(Orientation.edition_id == edition_id, Orientation.code == "T1-O1")
            ).one()
        for theme_id, orientation_id in ((emploi.id, None), (t1o1.theme_id, t1o1.id)):
            add(
                store_engine,
                f"Une idée {mark} pour l'emploi et les associations du territoire.",
                theme_id=theme_id,
                status="published",
                orientation_id=orientation_id,
                stance="support" if orientation_id else None,
            )
        found.append(EditionFiles(edition_id, mark, {t.label for t in themes}, {t.short_label for t in themes}))
    return found[0], found[1]


def test_each_editions_data_exports_hold_none_of_the_others(
    store_engine: Engine, two_editions: tuple[EditionFiles, EditionFiles]
) -> None:
    first, second = two_editions
    assert first.short_labels.isdisjoint(second.short_labels)
    for own, other in ((first, second), (second, first)):
        data = run(store_engine, data_export.csv_export, actor=CONSOLE_ACTOR, edition_id=own.edition_id)
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) == 3  # the header, its two contributions
        assert {r[rows[0].index("Thème")] for r in rows[1:]} <= own.short_labels
        assert all(own.mark in r[rows[0].index("Texte")] for r in rows[1:])
        assert other.mark not in data.decode("utf-8-sig")

        book = openpyxl.load_workbook(
            io.BytesIO(run(store_engine, data_export.excel_export, actor=CONSOLE_ACTOR, edition_id=own.edition_id))
        )
        cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
        assert other.mark not in "\n".join(cells) and own.mark in "\n".join(cells)
        theme_sheets = [
            n for n in book.sheetnames[1:] if not n.startswith("Origine - ") and n != data_export.STANCE_SHEET
        ]
        assert set(theme_sheets) <= {label[:31] for label in own.short_labels}
        assert not any(label in cells for label in other.short_labels)
        summary = {row[0]: row[1] for row in book["Synthèse"].iter_rows(values_only=True)}
        assert summary["Contributions"] == 2
        assert ("Centre-Val de Loire" in summary["Édition"]) is (own is second)

        # A theme of the other edition asked for gives no row, not the other edition's rows.
        with session_scope(store_engine) as session:
            foreign = session.exec(select(Theme.id).where(Theme.edition_id == other.edition_id)).first()
            table = data_export.contribution_table(
                session=session, actor=CONSOLE_ACTOR, edition_id=own.edition_id, theme_id=foreign
            )
        assert table.rows == []


def test_each_editions_strategy_document_is_its_own(
    store_engine: Engine, two_editions: tuple[EditionFiles, EditionFiles]
) -> None:
    first, second = two_editions
    for own, other in ((first, second), (second, first)):
        document = docx.Document(
            io.BytesIO(run(store_engine, strategy_document.strategy_docx, edition_id=own.edition_id))
        )
        paragraphs = [p.text for p in document.paragraphs]
        text = "\n".join(paragraphs)
        headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
        theme_headings = [h for h in headings if h.startswith("Thème ")]
        assert {h.split(" — ", 1)[1] for h in theme_headings} == own.themes
        assert own.mark in text and other.mark not in text
        assert not any(label in text for label in other.themes - own.themes)
        markdown = run(store_engine, strategy_document.strategy_markdown, edition_id=own.edition_id)
        assert other.mark not in markdown and own.mark in markdown
        assert "Contributions : 1 (Conférence 1)" in text  # T1-O1 of this edition: its own supporter only
        assert "2 contributions retenues pour l'analyse" in text
        if own is second:
            assert paragraphs[0] == f"{strategy_document.TITLE} — Centre-Val de Loire"
            assert paragraphs[1] == "Projet issu de : Conférence régionale de l'ESS 2022 (Bourges, 24/11/2022)"
            assert "Organisée par : État, Région Centre-Val de Loire, CRESS Centre-Val de Loire" in paragraphs
            assert "conférence du 24 novembre 2022 à Bourges" in text  # its own context paragraph
            assert "Angers" not in text and "Pays de la Loire" not in text
            assert markdown.startswith(f"# {strategy_document.TITLE} — Centre\\-Val de Loire\n")
        else:
            assert "Bourges" not in text and "Centre-Val de Loire" not in text


def test_an_edition_without_a_context_paragraph_gets_the_laws_only(store_engine: Engine) -> None:
    with session_scope(store_engine, write=True) as session:
        edition = session.get(Edition, FIRST_EDITION_ID)
        assert edition is not None
        edition.document_context = ""
        edition.organisers = []
        edition.city = ""
    document = docx.Document(io.BytesIO(run(store_engine, strategy_document.strategy_docx)))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[1] == "Projet issu de : Conférence régionale de l'ESS (28/06/2016)"
    assert strategy_document.DEFAULT_CONTEXT in paragraphs
    assert not any(p.startswith("Organisée par") for p in paragraphs)


def test_export_file_names_carry_the_edition() -> None:
    moment = datetime(2022, 11, 24, 14, 30, tzinfo=UTC)  # 15:30 in Paris
    assert export_file_name("contributions-anonyme", "centre-val-de-loire-2022", "csv", now=moment) == (
        "contributions-anonyme-centre-val-de-loire-2022-20221124-1530.csv"
    )
