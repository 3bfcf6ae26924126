"""Every export opened back: Excel with openpyxl, Word with python-docx, CSV and Markdown as text.

Anonymised by default, formula-safe (=HYPERLINK stays text) and XML-safe (a stray \\x0b never breaks a file).
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import docx
import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import update

from db.engine import session_scope
from models import Contribution
from services import contributions, data_export, drafting, moderation, strategy_document
from services.contributions import ContributionDraft
from services.exports import xml_safe
from services.permissions import CONSOLE_ACTOR

FORMULA = '=HYPERLINK("http://x","clic")'
CONTROL = "Un texte avec un caractère de contrôle\x0b glissé dans un copier-coller depuis un tableur."
NAMED = "Nous voulons un guichet unique des aides, écrivez-moi à anne.martin@exemple.fr pour en parler."


def add(engine: Engine, body: str, **kw: Any) -> int:
    values: dict[str, Any] = {"theme_id": 1, "body": body, "idempotency_key": uuid.uuid4().hex} | kw
    with session_scope(engine, write=True) as session:
        return contributions.submit_contribution(session=session, draft=ContributionDraft(**values)).contribution_id


def force_body(engine: Engine, cid: int, body: str) -> None:
    """The service refuses control characters; older imports or a direct DB edit may still hold one."""
    with session_scope(engine, write=True) as session:
        session.exec(update(Contribution).where(Contribution.id == cid).values(body=body))  # type: ignore[call-overload]


def run(engine: Engine, fn: Any, **kw: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kw)


@pytest.fixture
def seeded(store_engine: Engine) -> dict[str, int]:
    o = run(store_engine, drafting.list_orientations, theme_id=1)[0]
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
    run(store_engine, moderation.reject, contribution_ids=[ids["rejected"]], actor="anne", reason="Hors sujet")
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
    # The summary, the three themes with contributions, the three origins.
    assert len(names) == 7 and sum(n.startswith("Origine - ") for n in names) == 3
    assert any(n.startswith("Origine - Questionnaire") for n in names)
    values = [c for ws in book.worksheets[1:] for row in ws.iter_rows(values_only=True) for c in row if c]
    for ws in book.worksheets[1:]:
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
    assert paragraphs[0] == strategy_document.TITLE
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
    assert md.startswith(f"# {strategy_document.TITLE}\n")
    assert "## Annexe — sources" in md and "| Conférence |" in md
    assert '=HYPERLINK\\("http://x","clic"\\)' in md
    assert strategy_document.md_escape("[clic](javascript:alert(1)) **x**") == (
        "\\[clic\\]\\(javascript:alert\\(1\\)\\) \\*\\*x\\*\\*"
    )
