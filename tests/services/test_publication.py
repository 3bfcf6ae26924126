"""Staff publish an edition's results, then its strategy: permission, audit, what the public and the open data
hold, and never a pending or rejected text (their unique markers searched for in every file)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from db.engine import session_scope
from services import audit, open_data, public_results, publication
from services.errors import PermissionDenied, ValidationError
from tests.public_seed import (
    FORMULA,
    ORGANIZER,
    PENDING_MARKER,
    PUBLISHED_MARKER,
    PUBLISHER,
    REJECTED_MARKER,
    PublicSeed,
    seed_public,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def run(engine: Engine, fn: Any, **kw: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session, **kw)


@pytest.fixture
def seeded(store_engine: Engine) -> tuple[Engine, PublicSeed]:
    return store_engine, seed_public(store_engine)


def test_results_then_strategy_are_published_by_staff_and_audited(seeded: tuple[Engine, PublicSeed]) -> None:
    engine, seed = seeded
    e = seed.edition_id
    assert not run(engine, publication.results_published, edition_id=e)
    with pytest.raises(ValidationError):  # the strategy shows on the results' page: results first
        run(engine, publication.publish_strategy, actor=PUBLISHER, edition_id=e)
    state = run(engine, publication.publish_results, actor=PUBLISHER, edition_id=e)
    assert state.results and state.results_published_by == PUBLISHER and state.results_published_at.tzinfo
    assert not state.strategy and run(engine, publication.strategy_paragraphs, edition_id=e) == {}
    state = run(engine, publication.publish_strategy, actor=PUBLISHER, edition_id=e)
    assert state.strategy and run(engine, publication.strategy_published, edition_id=e)
    paragraphs = run(engine, publication.strategy_paragraphs, edition_id=e)
    assert seed.orientation_code in {p.code for p in paragraphs.values()}
    # Withdrawing the results withdraws the strategy shown on their page.
    state = run(engine, publication.unpublish_results, actor=PUBLISHER, edition_id=e)
    assert not state.results and state.strategy_published_at is None
    events = run(engine, audit.list_audit_events, entity_type="edition", entity_id=e)
    actions = [ev.action for ev in events]
    assert actions[:3] == ["edition.unpublish_results", "edition.publish_strategy", "edition.publish_results"]
    assert events[2].actor == PUBLISHER and events[2].before["results_published_at"] is None


def test_publishing_needs_the_exports_permission(seeded: tuple[Engine, PublicSeed]) -> None:
    engine, seed = seeded
    for actor in (ORGANIZER, "", "inconnu"):
        with pytest.raises(PermissionDenied):
            run(engine, publication.publish_results, actor=actor, edition_id=seed.edition_id)
    assert not run(engine, publication.results_published, edition_id=seed.edition_id)


def _results(engine: Engine, seed: PublicSeed) -> public_results.PublicResults:
    results: public_results.PublicResults = run(engine, public_results.build_public_results, edition_id=seed.edition_id)
    return results


def test_the_public_results_hold_only_published_texts(seeded: tuple[Engine, PublicSeed]) -> None:
    engine, seed = seeded
    results = _results(engine, seed)
    text = repr(results)
    assert PUBLISHED_MARKER in text
    assert PENDING_MARKER not in text and REJECTED_MARKER not in text and "06 12 34 56 78" not in text
    # Counts count the pending one (never its text), not the rejected one.
    assert results.contributions >= 3 and len(results.published_contributions) == 2
    (o,) = [o for o in results.orientations if o.code == seed.orientation_code]
    assert any(PUBLISHED_MARKER in q for q in o.supporting) and o.body == ""  # strategy not public yet
    assert sum(o.sources_by_origin.values()) == 3


def _open_data(engine: Engine, seed: PublicSeed) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(open_data.open_data_zip(_results(engine, seed), now=NOW))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_open_data_files_columns_dictionary_and_licence(seeded: tuple[Engine, PublicSeed]) -> None:
    engine, seed = seeded
    run(engine, publication.publish_results, actor=PUBLISHER, edition_id=seed.edition_id)
    run(engine, publication.publish_strategy, actor=PUBLISHER, edition_id=seed.edition_id)
    files = _open_data(engine, seed)
    names = {"participation", "contributions_par_theme", "contributions_par_origine", "orientations"}
    names |= {"contributions_publiees", "sources_des_orientations"}
    for name in names:
        assert f"csv/{name}.csv" in files and f"csv-point-virgule/{name}.csv" in files
    comma = files["csv/contributions_publiees.csv"].decode("utf-8")
    assert not comma.startswith("\ufeff")
    header = next(csv.reader(io.StringIO(comma)))
    assert header == ["id_contribution", "date", "theme", "origine", "code_orientation", "titre", "texte", "auteur"]
    semicolon = files["csv-point-virgule/contributions_publiees.csv"].decode("utf-8")
    assert semicolon.startswith("\ufeff") and semicolon.splitlines()[0].count(";") == 7
    rows = list(csv.DictReader(io.StringIO(comma)))
    by_text = {r["texte"][:20]: r for r in rows}
    formula = next(r for r in rows if "HYPERLINK" in r["texte"])
    assert formula["texte"].startswith("'=") and formula["auteur"] == "Jeanne Martin"  # chose to appear
    assert all(r["auteur"] == "" for r in rows if r is not formula) and by_text
    dictionary = list(
        csv.reader(io.StringIO(files["dictionnaire_des_donnees.csv"].decode("utf-8-sig"), newline=""), delimiter=";")
    )
    documented = {(t, c) for t, c, _, _ in dictionary[1:]}
    for path, data in files.items():
        if path.startswith("csv/"):
            table = path.removeprefix("csv/").removesuffix(".csv")
            cols = next(csv.reader(io.StringIO(data.decode("utf-8"))))
            assert {(table, c) for c in cols} <= documented
    readme = files["LISEZMOI.txt"].decode("utf-8")
    assert "Licence Ouverte / Etalab 2.0" in readme
    document = json.loads(files["resultats.json"])
    assert document["licence"] == "Licence Ouverte / Etalab 2.0"
    assert {r["texte"] for r in document["tables"]["contributions_publiees"]} >= {FORMULA}
    oriented = {r["code_orientation"]: r for r in document["tables"]["orientations"]}
    assert oriented[seed.orientation_code]["contributions_sources"] == 3


def test_no_open_data_file_holds_a_pending_or_rejected_text_or_an_identifier(
    seeded: tuple[Engine, PublicSeed],
) -> None:
    engine, seed = seeded
    run(engine, publication.publish_results, actor=PUBLISHER, edition_id=seed.edition_id)
    run(engine, publication.publish_strategy, actor=PUBLISHER, edition_id=seed.edition_id)
    files = _open_data(engine, seed)
    assert any(PUBLISHED_MARKER.encode() in data for data in files.values())
    for path, data in files.items():
        text = data.decode("utf-8")
        for secret in (PENDING_MARKER, REJECTED_MARKER, "06 12 34 56 78", "Claire Dubois", "device", "receipt"):
            assert secret not in text, f"{secret} in {path}"


def test_the_cache_key_moves_with_moderation_and_publication(seeded: tuple[Engine, PublicSeed]) -> None:
    engine, seed = seeded
    from services import moderation
    from services.permissions import CONSOLE_ACTOR

    first = run(engine, public_results.public_version, edition_id=seed.edition_id)
    assert run(engine, public_results.public_version, edition_id=seed.edition_id) == first
    run(engine, moderation.publish, contribution_ids=[seed.pending], actor=CONSOLE_ACTOR)
    second = run(engine, public_results.public_version, edition_id=seed.edition_id)
    assert second != first
    run(engine, publication.publish_results, actor=PUBLISHER, edition_id=seed.edition_id)
    assert run(engine, public_results.public_version, edition_id=seed.edition_id) != second
