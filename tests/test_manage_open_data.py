"""`manage.py open-data`: refused before the results are published (unless --apercu), then the same zip as the page."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from db.engine import build_engine, session_scope
from services import publication
from tests.conftest import Cli, copy_sqlite
from tests.public_seed import PENDING_MARKER, PUBLISHED_MARKER, PUBLISHER, REJECTED_MARKER, seed_public


@pytest.fixture
def db(sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ess.db"
    copy_sqlite(sqlite_template, path)
    return path


def test_open_data_waits_for_publication_then_writes_the_zip(db: Path, tmp_path: Path, manage_in_process: Cli) -> None:
    engine = build_engine(f"sqlite:///{db}")
    seed = seed_public(engine)
    out = tmp_path / "donnees.zip"
    refused = manage_in_process(db, "open-data", str(out))
    assert refused.returncode == 1 and "ne sont pas publiés" in refused.stderr and not out.exists()
    assert manage_in_process(db, "open-data", str(out), "--edition", "inconnue").returncode == 1
    with session_scope(engine, write=True) as session:
        publication.publish_results(session, actor=PUBLISHER, edition_id=seed.edition_id)
    engine.dispose()
    done = manage_in_process(db, "open-data", str(out))
    assert done.returncode == 0 and "Licence Ouverte / Etalab 2.0" in done.stdout
    with zipfile.ZipFile(out) as archive:
        texts = [archive.read(name).decode("utf-8") for name in archive.namelist()]
    assert any(PUBLISHED_MARKER in t for t in texts)
    assert not any(PENDING_MARKER in t or REJECTED_MARKER in t for t in texts)
