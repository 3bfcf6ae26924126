"""Access and erasure by code, and the retention purge (service and `manage.py purge-personal-data`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from models import AuditEvent, Contribution, utcnow
from services import auth, contributions, privacy
from services.codes import device_token
from services.contributions import ContributionDraft
from services.errors import NotFoundError
from services.permissions import CONSOLE_ACTOR
from tests.conftest import Cli

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "un-mot-de-passe-solide"
BODY = "Appelez Mme Durand au 06 12 34 56 78 : elle anime un tiers-lieu qui mutualise des locaux."


def run(engine: Engine, fn: Any, **kw: Any) -> Any:
    with session_scope(engine, write=True) as session:
        return fn(session=session, **kw)


def submit(engine: Engine, token: str | None = None, **kw: Any) -> contributions.Receipt:
    values: dict[str, Any] = {"theme_id": 4, "body": BODY, "idempotency_key": uuid.uuid4().hex} | kw
    with session_scope(engine, write=True) as session:
        draft = ContributionDraft(**values)
        if token:
            return contributions.submit_from_device(session=session, device_token=token, draft=draft)
        return contributions.submit_contribution(session=session, draft=draft)


def row(engine: Engine, cid: int) -> Contribution:
    with session_scope(engine) as session:
        found = session.get(Contribution, cid)
        assert found is not None
        return found


def test_access_by_receipt_finds_the_phone_s_other_contributions_and_exports_them(store_engine: Engine) -> None:
    token = device_token()
    first = submit(store_engine, token, author_name="Jeanne Petit", display_mode="name")
    second = submit(store_engine, token, body="Une seconde idée envoyée depuis le même téléphone, sans nom.")
    stranger = submit(store_engine, author_name="Autre Personne", display_mode="name")
    data = run(store_engine, privacy.find_personal_data, actor=CONSOLE_ACTOR, code=first.receipt_code.lower())
    assert data.device_linked
    assert [c.receipt_code for c in data.contributions] == [first.receipt_code, second.receipt_code]
    assert data.contributions[0].author_name == "Jeanne Petit"
    exported = json.loads(privacy.personal_data_json(data))
    assert exported["contributions"][0]["author_name"] == "Jeanne Petit"
    assert stranger.receipt_code not in json.dumps(exported)
    by_token = run(store_engine, privacy.find_personal_data, actor=CONSOLE_ACTOR, code=token)
    assert len(by_token.contributions) == 2
    assert run(store_engine, privacy.find_personal_data, actor=CONSOLE_ACTOR, code="ZZZZ-ZZZZ").empty


def test_erasure_removes_personal_fields_keeps_the_text_anonymised_and_audits_without_values(
    store_engine: Engine,
) -> None:
    token = device_token()
    receipt = submit(store_engine, token, author_name="Jeanne Petit", organisation="Tiers-lieu", display_mode="name")
    run(store_engine, auth.create_user, username="anne", password=PASSWORD, role="staff", actor=CONSOLE_ACTOR)
    report = run(store_engine, privacy.erase_personal_data, code=receipt.receipt_code, actor="anne")
    assert (report.contributions, report.responses) == (1, 0)
    erased = row(store_engine, receipt.contribution_id)
    assert (erased.author_name, erased.organisation, erased.display_mode, erased.participant_id) == (
        "",
        "",
        "anonymous",
        None,
    )
    assert erased.personal_data_erased_at is not None
    assert "Durand" not in erased.body and "06 12" not in erased.body and "tiers-lieu" in erased.body
    with session_scope(store_engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "contribution.erase")).one()
    assert (
        event.actor == "anne" and "Jeanne" not in json.dumps(event.after) and "Jeanne" not in json.dumps(event.before)
    )
    assert event.after is not None
    assert set(event.after["erased"]) >= {"author_name", "organisation", "participant", "text"}
    with pytest.raises(NotFoundError):
        run(store_engine, privacy.erase_personal_data, code="ZZZZ-ZZZZ", actor="anne")


def test_purge_erases_only_what_is_past_the_retention(sqlite_engine: Engine) -> None:
    old = submit(
        sqlite_engine, author_name="Ancien Nom", display_mode="name", created_at=utcnow() - timedelta(days=800)
    )
    recent = submit(sqlite_engine, author_name="Nom Récent", display_mode="name")
    dry = run(sqlite_engine, privacy.purge_personal_data, actor=CONSOLE_ACTOR, retention_months=24, dry_run=True)
    assert dry.contributions == 1 and row(sqlite_engine, old.contribution_id).author_name == "Ancien Nom"
    report = run(sqlite_engine, privacy.purge_personal_data, actor=CONSOLE_ACTOR, retention_months=24)
    assert report.contributions == 1
    assert row(sqlite_engine, old.contribution_id).author_name == ""
    assert row(sqlite_engine, recent.contribution_id).author_name == "Nom Récent"
    # Nothing left to purge the second time.
    assert run(sqlite_engine, privacy.purge_personal_data, actor=CONSOLE_ACTOR, retention_months=24).contributions == 0


def test_manage_purge_personal_data(sqlite_url: str, sqlite_engine: Engine, manage_in_process: Cli) -> None:
    old = submit(sqlite_engine, author_name="Ancien Nom", display_mode="name", created_at=utcnow() - timedelta(days=90))
    env = {**os.environ, "ESS_DATABASE_URL": sqlite_url}
    cmd = [sys.executable, "manage.py", "purge-personal-data", "--months", "2"]
    # The dry run through manage.main() in this process, the purge itself as the operator runs it: a real process.
    store = Path(sqlite_url.removeprefix("sqlite:///"))
    dry = manage_in_process(store, "purge-personal-data", "--months", "2", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Essai à blanc" in dry.stdout and "1 contribution(s)" in dry.stdout
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Données personnelles effacées : 1 contribution(s)" in done.stdout
    assert row(sqlite_engine, old.contribution_id).author_name == ""
