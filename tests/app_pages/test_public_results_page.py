"""The public results page under AppTest: nothing before staff publish, the results after, never a pending or
rejected text; the staff preview on the exports page and its switches."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from db.engine import build_engine, session_scope
from services import publication
from tests.app_pages.helpers import app_as, texts
from tests.public_seed import PENDING_MARKER, PUBLISHED_MARKER, PUBLISHER, REJECTED_MARKER, PublicSeed, seed_public
from ui import public_results

PAGE = "app_pages/public_results.py"
EXPORTS = "app_pages/exports.py"


@pytest.fixture
def seeded(app_env: str) -> PublicSeed:
    engine: Engine = build_engine(app_env)
    try:
        return seed_public(engine)
    finally:
        engine.dispose()


def _publish(seed: PublicSeed, *, strategy: bool = False) -> None:
    with session_scope(write=True) as session:
        publication.publish_results(session, actor=PUBLISHER, edition_id=seed.edition_id)
        if strategy:
            publication.publish_strategy(session, actor=PUBLISHER, edition_id=seed.edition_id)
    public_results.clear_cache()


def test_before_publication_the_page_says_so_and_shows_nothing_else(seeded: PublicSeed) -> None:
    at = app_as(None).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert [i.value for i in at.info] == [public_results.NOT_YET]
    assert not at.metric and not at.dataframe
    assert PUBLISHED_MARKER not in texts(at)


def test_after_publication_the_results_show_published_texts_only(seeded: PublicSeed) -> None:
    _publish(seeded)
    at = app_as(None).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    shown = texts(at)
    assert PUBLISHED_MARKER in shown and seeded.orientation_code in shown.replace("\\", "")
    assert PENDING_MARKER not in shown and REJECTED_MARKER not in shown
    assert "La stratégie sera publiée ici" in shown
    assert {m.label for m in at.metric} >= {"Contributions reçues", "Participants", "Stands visités"}
    for frame in at.dataframe:
        assert PENDING_MARKER not in frame.value.to_csv() and REJECTED_MARKER not in frame.value.to_csv()
    assert at.get("download_button")  # the open data


def test_the_published_strategy_shows_each_orientation_with_its_sources(seeded: PublicSeed) -> None:
    _publish(seeded, strategy=True)
    at = app_as(None).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    shown = texts(at)
    assert "La stratégie" in [h.value for h in at.header]
    assert "Sources : 3 contributions" in shown
    assert PENDING_MARKER not in shown and REJECTED_MARKER not in shown


def test_staff_preview_then_publish_from_the_exports_page(seeded: PublicSeed) -> None:
    at = app_as("staff").run()
    at.switch_page(EXPORTS).run()
    assert not at.exception
    at.toggle(key="publication_preview").set_value(True).run()
    assert not at.exception
    shown = texts(at)
    assert PUBLISHED_MARKER in shown and PENDING_MARKER not in shown and REJECTED_MARKER not in shown
    at.button(key="publication_results_on").click().run()
    assert not at.exception
    with session_scope() as session:
        assert publication.results_published(session, edition_id=seeded.edition_id)
    at.button(key="publication_strategy_on").click().run()
    assert not at.exception
    with session_scope() as session:
        assert publication.strategy_published(session, edition_id=seeded.edition_id)
    assert "Sources : 3 contributions" in texts(at)
    at.button(key="publication_results_off").click().run()
    with session_scope() as session:
        assert not publication.results_published(session, edition_id=seeded.edition_id)
