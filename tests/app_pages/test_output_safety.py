"""Hostile text on every page that shows user text, and in every export: always plain text, never Markdown.

Under AppTest each page is rendered for the roles that open it; every element Streamlit would hand
to its Markdown renderer (markdown, captions, headings, alerts, widget, tab, expander and metric
labels, radio options) must hold none of the payloads, and the pages that show user text must show it
in a plain-text element or a dataframe cell. The exports are opened and read back.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from markdown_it import MarkdownIt
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from services import data_export, strategy_document
from services.permissions import CONSOLE_ACTOR
from tests.app_pages.helpers import app_as
from tests.fixtures.hostile import FRAGMENTS, HOSTILE, PAYLOADS, SHORT, STAND_CODE, HostileStore, seed_hostile_store
from ui.navigation import PAGES
from ui.tallies import DETAIL_TABS, TAB_PARAM

pytestmark = pytest.mark.usefixtures("app_env")

MARKDOWN_KINDS = {"markdown", "caption", "title", "header", "subheader", "latex", "error", "warning", "info", "success"}
# Pages where the seeded text must be visible, as plain text or a table cell (path → role that sees it).
SHOWS_USER_TEXT = {
    "app_pages/my_contributions.py": None,
    "app_pages/ptce.py": None,
    "app_pages/stand.py": None,
    "app_pages/moderation.py": "admin",
    "app_pages/grouping.py": "admin",
    "app_pages/drafting.py": "admin",
    "app_pages/bulk_entry.py": "staff",
    "app_pages/questionnaire_results.py": "admin",
    "app_pages/admin_stands.py": "admin",
}


def markdown_strings(at: AppTest) -> list[str]:
    """Every string this run hands to Streamlit's Markdown renderer."""
    found: list[str] = []
    for node in at._tree:
        kind = getattr(node, "type", "")
        if kind in MARKDOWN_KINDS:
            found.append(str(node.value))  # type: ignore[union-attr]
        label = getattr(node, "label", None)
        if isinstance(label, str):
            found.append(label)
        if kind == "radio":
            found.extend(str(o) for o in node.options)  # type: ignore[union-attr]
        help_text = getattr(getattr(node, "proto", None), "help", None)
        if isinstance(help_text, str):
            found.append(help_text)
    return found


def plain_strings(at: AppTest) -> str:
    """Text drawn as text: st.text, st.code, dataframe cells, metric values, select options and input values."""
    parts: list[str] = []
    for node in at._tree:
        kind = getattr(node, "type", "")
        if kind in ("text", "code"):
            parts.append(str(node.value))  # type: ignore[union-attr]
        elif kind in ("dataframe", "table"):
            parts.append(node.value.to_csv())  # type: ignore[union-attr]
        elif kind in ("selectbox", "multiselect"):
            parts.extend(str(o) for o in node.options)  # type: ignore[union-attr]
        elif kind in ("text_area", "text_input"):
            parts.append(str(node.value or ""))  # type: ignore[union-attr]
    return "\n".join(parts)


def render(role: str | None, path: str, store: HostileStore, query: dict[str, str] | None = None) -> AppTest:
    at = app_as(role)
    at.session_state["device_token_pays-de-la-loire-2016"] = store.device_token  # ui.participant.token_key
    if path == "app_pages/stand.py":
        at.query_params["code"] = STAND_CODE
    at.query_params.update(query or {})
    at.run()
    at.switch_page(path).run()
    assert not at.exception, (path, role, at.exception)
    return at


@pytest.fixture
def store() -> HostileStore:
    return seed_hostile_store()


@pytest.mark.slow  # whole-app sweep: every page on a hostile store
def test_every_page_draws_user_text_as_plain_text_only(store: HostileStore) -> None:
    problems: list[str] = []
    for spec in PAGES:
        roles = ["admin"] if spec.permission else [None, "admin"]
        if spec.path == "app_pages/bulk_entry.py":
            roles = ["staff"]  # it lists what this staff member typed in
        # The live page draws one tab of detailed charts at a time: every tab is rendered in turn.
        queries = [{TAB_PARAM: tab} for tab in DETAIL_TABS] if spec.path == "app_pages/dashboard.py" else [{}]
        for role, query in [(role, query) for role in roles for query in queries]:
            at = render(role, spec.path, store, query)
            where = f"{spec.url_path}{query or ''} ({role or 'anonyme'})"
            for text in markdown_strings(at):
                if hits := [f for f in FRAGMENTS if f in text]:
                    problems.append(f"{where} : Markdown avec {hits} : {text[:120]!r}")
            if SHOWS_USER_TEXT.get(spec.path, "absent") == role:
                shown = plain_strings(at)
                if SHORT not in shown and HOSTILE not in shown:
                    problems.append(f"{where} : le texte saisi n'apparaît pas")
    assert problems == []


def test_every_export_keeps_user_text_literal(store: HostileStore) -> None:
    with session_scope() as session:
        docx = strategy_document.strategy_docx(session=session)
        markdown = strategy_document.strategy_markdown(session=session)
        xlsx = data_export.excel_export(session=session, actor=CONSOLE_ACTOR)
        csv_data = data_export.csv_export(session=session, semicolon=True, actor=CONSOLE_ACTOR)

    # Word: the text is in the document's XML as characters, no field codes, no hyperlinks, no images.
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<w:hyperlink" not in body and "<w:fldSimple" not in body and "<w:drawing" not in body
        assert not [n for n in archive.namelist() if n.startswith("word/media/")]

    # Markdown: rendered by a CommonMark renderer, the payloads stay text: no link, image, raw HTML or emphasis.
    html = MarkdownIt("commonmark").render(markdown)
    assert "alert(1)" in html
    for tag in ("<a ", "<img", "<script", "<strong>gras", "<em>x"):
        assert tag not in html, tag

    # Excel and CSV: every cell that holds user text reads back as typed, or neutralised when formula-like.
    book = load_workbook(io.BytesIO(xlsx))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(HOSTILE in c.value for c in cells)
    assert not [c for c in cells if c.data_type == "f" or str(c.value).startswith("=")]
    assert not [c for c in cells if c.hyperlink is not None]
    rows = list(csv.reader(io.StringIO(csv_data.decode("utf-8-sig")), delimiter=";"))
    flat = [cell for row in rows for cell in row]
    assert any(HOSTILE in cell for cell in flat)
    assert not [cell for cell in flat if cell[:1] in ("=", "+", "-", "@")]
    assert all(p in "".join(flat) for p in PAYLOADS)
    json.dumps(flat)  # every cell is a well-formed string


def test_the_detector_sees_every_markdown_place_and_every_plain_place() -> None:
    """The control for the page test above: user text put where Markdown renders is found, and plain text too."""
    script = f"""
import streamlit as st
X = {HOSTILE!r}
st.markdown(X)
st.caption(X)
st.error(X)
with st.expander(X):
    st.checkbox(X)
st.radio("Choix", [X])
st.metric(X, 1)
st.text(X)
st.selectbox("Liste", [X])
"""
    at = AppTest.from_string(script).run()
    assert not at.exception
    assert sum(HOSTILE in s for s in markdown_strings(at)) == 7
    assert plain_strings(at).count(HOSTILE) == 2


# The pages of the live tallies, exports and reference data title themselves from the edition's settings,
# typed by staff: escaped wherever Markdown renders them, and inert in the exported documents.
EDITION_PAGES = (
    "app_pages/dashboard.py",
    "app_pages/verdict.py",
    "app_pages/projector.py",
    "app_pages/exports.py",
    "app_pages/admin_reference.py",
)
INERT_HTML = ("<a ", "<img", "<script", "<strong", "<em>")


def test_edition_settings_typed_by_staff_stay_inert_on_the_pages_and_in_the_document() -> None:
    from models import Edition

    with session_scope(write=True) as session:
        row = session.get(Edition, 1)
        assert row is not None
        row.name, row.city, row.projects_label = SHORT, SHORT[:120], SHORT[:60]
        row.organisers, row.document_context = [SHORT], HOSTILE
    problems: list[str] = []
    for path in EDITION_PAGES:
        at = app_as("admin").run()
        at.switch_page(path).run()
        assert not at.exception, (path, at.exception)
        strings = markdown_strings(at)
        assert any("onerror" in s for s in [*strings, plain_strings(at)]), path  # the name is shown somewhere
        for text in strings:
            html = MarkdownIt("commonmark").render(text)
            if hits := [tag for tag in INERT_HTML if tag in html] + [d for d in (":red[",) if d in text]:
                problems.append(f"{path} : {hits} : {text[:120]!r}")
    assert problems == []
    with session_scope() as session:
        markdown = strategy_document.strategy_markdown(session=session)
        docx = strategy_document.strategy_docx(session=session)
    html = MarkdownIt("commonmark").render(markdown)  # the document's own headings and bold labels aside
    assert not [tag for tag in ("<a ", "<img", "<script", "<strong>gras") if tag in html] and ":red[" not in markdown
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in body and "<w:hyperlink" not in body
