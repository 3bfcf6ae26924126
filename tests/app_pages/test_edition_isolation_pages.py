"""Two editions with overlapping codes in one store: every page, for every role that opens it, shows only the
session's edition (its themes, its contributions), never the other's."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from models import Contribution, Edition, Orientation, Stand, Theme
from tests.app_pages.helpers import app_as
from tests.app_pages.test_output_safety import markdown_strings, plain_strings
from tests.editions import FIRST_EDITION_ID, load_second_edition
from ui.edition import K_SLUG
from ui.navigation import PAGES
from ui.tallies import DETAIL_TABS, TAB_PARAM

pytestmark = pytest.mark.usefixtures("app_env")

MARK = {FIRST_EDITION_ID: "Repère-de-la-première-édition", 0: "Repère-de-la-seconde-édition"}


def seed() -> dict[int, tuple[str, set[str]]]:
    """Both editions get a published contribution on stand S01 and orientation T1-O1; edition id → (slug, marks
    that must never be seen from the other edition: its marker text and the labels of its own themes)."""
    out: dict[int, tuple[str, set[str]]] = {}
    with session_scope(write=True) as session:
        second = load_second_edition(session)
        for edition_id, mark in ((FIRST_EDITION_ID, MARK[FIRST_EDITION_ID]), (second, MARK[0])):
            theme = session.exec(
                select(Theme).where(Theme.edition_id == edition_id).order_by(Theme.position)  # type: ignore[arg-type]
            ).first()
            stand = session.exec(select(Stand).where(Stand.edition_id == edition_id, Stand.code == "S01")).one()
            orientation = session.exec(
                select(Orientation).where(Orientation.edition_id == edition_id, Orientation.code == "T1-O1")
            ).one()
            assert theme is not None
            session.add(
                Contribution(
                    receipt_code=uuid.uuid4().hex[:9].upper(),
                    idempotency_key=uuid.uuid4().hex,
                    theme_id=stand.theme_id,
                    stand_id=stand.id,
                    orientation_id=orientation.id,
                    stance="support",
                    body=f"{mark} : une idée déposée sur le stand S01 de cette édition.",
                    status="published",
                )
            )
            labels = {t.label for t in session.exec(select(Theme).where(Theme.edition_id == edition_id)).all()}
            slug = session.get(Edition, edition_id).slug  # type: ignore[union-attr]
            out[edition_id] = (slug, {mark, *labels})
    first_labels, second_labels = out[FIRST_EDITION_ID][1], out[second][1]
    shared = first_labels & second_labels
    return {k: (slug, marks - shared) for k, (slug, marks) in out.items()}


def render(role: str | None, path: str, slug: str, query: dict[str, str]) -> AppTest:
    at = app_as(role)
    at.session_state[K_SLUG] = slug
    if path == "app_pages/stand.py":
        at.query_params["code"] = "S01"
    at.query_params.update(query)
    at.run()
    at.switch_page(path).run()
    assert not at.exception, (path, role, slug, at.exception)
    return at


@pytest.mark.slow  # whole-app sweep: every page of two editions
def test_every_page_of_one_edition_shows_nothing_of_the_other() -> None:
    editions = seed()
    problems: list[str] = []
    for edition_id, (slug, _) in editions.items():
        foreign = set().union(*(marks for other, (_, marks) in editions.items() if other != edition_id))
        for spec in PAGES:
            roles = ["admin"] if spec.permission else [None, "admin"]
            if spec.path == "app_pages/bulk_entry.py":
                roles = ["staff"]
            queries = [{TAB_PARAM: t} for t in DETAIL_TABS] if spec.path == "app_pages/dashboard.py" else [{}]
            for role in roles:
                for query in queries:
                    at = render(role, spec.path, slug, query)
                    seen = "\n".join(markdown_strings(at)) + "\n" + plain_strings(at)
                    if hits := sorted(m for m in foreign if m in seen):
                        problems.append(f"{slug} · {spec.url_path}{query or ''} ({role or 'anonyme'}) : {hits}")
    assert problems == []
